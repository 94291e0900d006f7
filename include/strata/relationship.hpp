// strata/relationship.hpp — HasMany<T> and BelongsTo<T>, the members that relate mapped objects.
//
//   struct User { std::int64_t id = 0; strata::HasMany<Post> posts; };
//   struct Post { std::int64_t id = 0; std::optional<std::int64_t> user_id; strata::BelongsTo<User> author; };
//
//   p->author = u;                 // u->posts now holds p; p->user_id is set at flush
//   u->posts.remove(p);            // p->author is now empty; p->user_id is NULLed at flush
//   for (auto& post : u->posts)    // loaded on first access (lazy), unless eager-loaded
//   u->posts.query().order_by(strata::desc(&Post::timestamp)).limit(5).all();
//
// A relationship of an object whose session is gone can be read if it was
// loaded; touching one that was not throws DetachedInstanceError.
#pragma once

#include <cstddef>
#include <iterator>
#include <memory>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "strata/export.hpp"
#include "strata/detail/relationship_base.hpp"
#include "strata/ptr.hpp"

namespace strata {

template <class T>
class Query;

// One-to-many (or many-to-many) collection of mapped objects.
template <class T>
class HasMany : protected detail::CollectionBase {
public:
    // Yields Ptr<T>& so that `for (auto& p : coll)` works. It walks by
    // position, so removing from the collection while iterating skips an
    // element but never reads freed memory; iterate over to_vector() to change it.
    class iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = Ptr<T>;
        using difference_type = std::ptrdiff_t;
        using reference = Ptr<T>&;
        using pointer = Ptr<T>*;

        iterator() = default;
        iterator(const detail::ItemList* items, std::size_t i) : items_(items), i_(i) {}
        Ptr<T>& operator*() const {
            current_ = Ptr<T>((*items_).at(i_)->handle());
            return current_;
        }
        Ptr<T>* operator->() const { return &**this; }
        iterator& operator++() {
            ++i_;
            return *this;
        }
        iterator operator++(int) {
            auto old = *this;
            ++i_;
            return old;
        }
        friend bool operator==(const iterator& a, const iterator& b) {
            return a.at_end() && b.at_end() ? true : a.i_ == b.i_ && a.items_ == b.items_;
        }

    private:
        bool at_end() const { return !items_ || i_ >= items_->size(); }
        const detail::ItemList* items_ = nullptr;
        std::size_t i_ = 0;
        mutable Ptr<T> current_;
    };
    using const_iterator = iterator;

    HasMany() { detail::note_if_census(this, typeid(HasMany)); }

    using CollectionBase::empty;
    using CollectionBase::is_loaded;
    using CollectionBase::size;
    // Removes every item, as remove() does each.
    using CollectionBase::clear;

    iterator begin() const {
        ensure_loaded();
        return iterator(&items_, 0);
    }
    iterator end() const {
        ensure_loaded();
        return iterator(&items_, items_.size());
    }
    Ptr<T> operator[](std::size_t i) const { return Ptr<T>(at(i)->handle()); }
    Ptr<T> front() const { return (*this)[0]; }
    Ptr<T> back() const { return (*this)[size() - 1]; }

    void push_back(const Ptr<T>& item) {
        if (!item) detail::throw_null_handle(typeid(T));
        const auto& record = detail::Access::record(item);
        if (owner_) append(record.get());
        else append_kept(record);
    }
    // A new object, added to the session with its owner (save-update cascade).
    void push_back(T&& value) { append_new(std::make_unique<detail::Record<T>>(std::move(value))); }
    bool remove(const Ptr<T>& item) { return item && CollectionBase::remove(detail::Access::record(item).get()); }
    bool contains(const Ptr<T>& item) const {
        return item && CollectionBase::contains(detail::Access::record(item).get());
    }

    std::vector<Ptr<T>> to_vector() const {
        std::vector<Ptr<T>> out;
        for (auto& p : *this) out.push_back(p);
        return out;
    }
    // A query over the collection's rows without loading it (SQLAlchemy lazy='dynamic').
    Query<T> query() const;

private:
    friend struct detail::Access;
};

// Many-to-one reference to a mapped object (the other side of a HasMany).
template <class T>
class BelongsTo : protected detail::ReferenceBase {
public:
    BelongsTo() { detail::note_if_census(this, typeid(BelongsTo)); }
    BelongsTo(BelongsTo&&) noexcept = default;
    BelongsTo& operator=(BelongsTo&&) noexcept = default;

    BelongsTo& operator=(const Ptr<T>& target) {
        assign(detail::Access::record(target));
        return *this;
    }
    BelongsTo& operator=(std::nullptr_t) {
        assign(nullptr);
        return *this;
    }

    Ptr<T> get() const { return detail::handle_of<T>(target()); }
    T* operator->() const { return get().operator->(); }
    T& operator*() const { return *get(); }
    explicit operator bool() const { return target() != nullptr; }
    friend bool operator==(const BelongsTo& a, const Ptr<T>& b) {
        return a.target() == detail::Access::record(b).get();
    }

private:
    friend struct detail::Access;
};

namespace detail {
template <class R>
struct is_relationship : std::false_type {};
template <class U>
struct is_relationship<HasMany<U>> : std::true_type {};
template <class U>
struct is_relationship<BelongsTo<U>> : std::true_type {};

}  // namespace detail

}  // namespace strata
