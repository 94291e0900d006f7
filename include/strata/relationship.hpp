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

#include <atomic>
#include <cstddef>
#include <iterator>
#include <memory>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "strata/export.hpp"
#include "strata/ptr.hpp"

namespace strata {

template <class T>
class Query;

namespace detail {

struct RelationshipMapping;

// C++ cannot list a struct's members, so Registry::model<T>() builds one T
// while a census runs on its thread: each HasMany / BelongsTo notes where it
// is, and the registry refuses a model with a member it does not map. The
// count of censuses running in any thread is almost always 0: one load per
// member built.
inline STRATA_API std::atomic<int> running_relationship_censuses{0};
STRATA_API void note_relationship_member(const void* member, const std::type_info& type);  // registry.cpp
inline void note_if_census(const void* member, const std::type_info& type) {
    if (running_relationship_censuses.load(std::memory_order_relaxed) != 0) [[unlikely]]
        note_relationship_member(member, type);
}

// A collection's items: one pointer to a heap block holding the count, the
// capacity and the items; null while empty. Every loaded object carries its
// collections, and most never fill them: 8 bytes where a std::vector took 24.
class STRATA_API ItemList {
public:
    using value_type = RecordBase*;

    ItemList() = default;
    ItemList(const ItemList& other) { append(other.begin(), other.end()); }
    ItemList(ItemList&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
    explicit ItemList(const std::vector<RecordBase*>& items) { append(items.data(), items.data() + items.size()); }
    ItemList& operator=(ItemList other) noexcept {
        std::swap(block_, other.block_);
        return *this;
    }
    ~ItemList() { ::operator delete(block_); }

    std::size_t size() const { return block_ ? block_->size : 0; }
    bool empty() const { return size() == 0; }
    RecordBase* const* begin() const { return block_ ? items() : nullptr; }
    RecordBase* const* end() const { return begin() + size(); }
    RecordBase** begin() { return block_ ? items() : nullptr; }
    RecordBase** end() { return begin() + size(); }
    RecordBase* operator[](std::size_t i) const { return items()[i]; }
    RecordBase* at(std::size_t i) const;  // std::out_of_range past the end

    void push_back(RecordBase* item) {
        if (size() == capacity()) grow();
        items()[block_->size++] = item;
    }
    void erase(RecordBase** at);
    void clear() {
        if (block_) block_->size = 0;
    }

private:
    struct Header {  // followed by `capacity` item pointers
        std::size_t size;
        std::size_t capacity;
    };
    RecordBase** items() const { return reinterpret_cast<RecordBase**>(block_ + 1); }
    std::size_t capacity() const { return block_ ? block_->capacity : 0; }
    void grow();
    void append(RecordBase* const* first, RecordBase* const* last) {
        for (; first != last; ++first) push_back(*first);
    }
    Header* block_ = nullptr;
};

// What every relationship member holds: the object it belongs to and its
// mapping, set when the object joins a session ("bound").
class STRATA_API RelationshipBase {
public:
    RelationshipBase() = default;
    RelationshipBase(const RelationshipBase&) = delete;
    RelationshipBase& operator=(const RelationshipBase&) = delete;

    bool is_loaded() const { return loaded_ || owner_ == nullptr; }

    RecordBase* owner_ = nullptr;
    const RelationshipMapping* mapping_ = nullptr;
    mutable bool loaded_ = false;
};

class STRATA_API CollectionBase : public RelationshipBase {
public:
    CollectionBase() = default;
    CollectionBase(CollectionBase&& other) noexcept;
    CollectionBase& operator=(CollectionBase&& other) noexcept;
    ~CollectionBase() = default;  // inline: every loaded object of a model with collections ends here

    std::size_t size() const;
    bool empty() const { return size() == 0; }
    void clear();

    void ensure_loaded() const;
    void append(RecordBase* item);
    void append_kept(std::shared_ptr<RecordBase> item);
    void append_new(std::unique_ptr<RecordBase> item);
    bool remove(RecordBase* item);
    bool contains(const RecordBase* item) const;
    RecordBase* at(std::size_t i) const;

    mutable ItemList items_;

    // State most collections never need, allocated on first use: every
    // loaded object carries its collections, so they stay small.
    struct Changes {
        // Added before the owner joined a session: kept alive here until it does.
        std::vector<std::shared_ptr<RecordBase>> unbound_kept;
        std::vector<std::unique_ptr<RecordBase>> unbound_new;
        // Appended through a backref while this side was not loaded; merged on load.
        std::vector<RecordBase*> pending_adds;
        std::vector<RecordBase*> pending_removes;
        // Many-to-many rows to write at the next flush.
        std::vector<RecordBase*> link_added, link_removed;
    };
    Changes& changes() const {
        if (!changes_) changes_ = std::make_unique<Changes>();
        return *changes_;
    }
    mutable std::unique_ptr<Changes> changes_;
};

class STRATA_API ReferenceBase : public RelationshipBase {
public:
    ReferenceBase() = default;
    ReferenceBase(ReferenceBase&& other) noexcept;
    ReferenceBase& operator=(ReferenceBase&& other) noexcept;

    RecordBase* target() const;
    void assign(const std::shared_ptr<RecordBase>& target);

    mutable RecordBase* target_ = nullptr;
    std::shared_ptr<RecordBase> unbound_target_;  // set before the owner joined a session
    bool dirty_ = false;                          // assigned: write the foreign key at flush
};

}  // namespace detail

// One-to-many (or many-to-many) collection of mapped objects.
template <class T>
class HasMany : public detail::CollectionBase {
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
        if (owner_) append(item.record().get());
        else append_kept(item.record());
    }
    // A new object, added to the session with its owner (save-update cascade).
    void push_back(T&& value) { append_new(std::make_unique<detail::Record<T>>(std::move(value))); }
    bool remove(const Ptr<T>& item) { return item && CollectionBase::remove(item.record().get()); }
    bool contains(const Ptr<T>& item) const { return item && CollectionBase::contains(item.record().get()); }

    std::vector<Ptr<T>> to_vector() const {
        std::vector<Ptr<T>> out;
        for (auto& p : *this) out.push_back(p);
        return out;
    }
    // A query over the collection's rows without loading it (SQLAlchemy lazy='dynamic').
    Query<T> query() const;
};

// Many-to-one reference to a mapped object (the other side of a HasMany).
template <class T>
class BelongsTo : public detail::ReferenceBase {
public:
    BelongsTo() { detail::note_if_census(this, typeid(BelongsTo)); }
    BelongsTo(BelongsTo&&) noexcept = default;
    BelongsTo& operator=(BelongsTo&&) noexcept = default;

    BelongsTo& operator=(const Ptr<T>& target) {
        assign(target.record());
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
    friend bool operator==(const BelongsTo& a, const Ptr<T>& b) { return a.target() == b.record().get(); }
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
