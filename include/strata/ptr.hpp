// strata/ptr.hpp — Ptr<T>, the reference-counted handle to a mapped object.
//
// A Session owns its objects in one store; every Ptr<T> it hands out keeps
// that store alive, so an object outlives its session as a detached object
// (its loaded columns and relationships stay readable). Two handles to the
// same row in one session compare equal and point at the same object.
//
//   strata::Ptr<User> u = s.get<User>(1);
//   u->nickname = "johnny";      // tracked: the next flush UPDATEs "nickname" only
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <type_traits>
#include <typeinfo>

#include "strata/detail/record.hpp"
#include "strata/export.hpp"
#include "strata/error.hpp"

namespace strata {

template <class T>
class Ptr {
public:
    using element_type = T;

    Ptr() = default;
    Ptr(std::nullptr_t) {}
    // Every way user code reaches a mapped object goes through a Ptr: making
    // one marks the record as one the program may change (RecordBase::touched).
    explicit Ptr(std::shared_ptr<detail::RecordBase> record) : record_(std::move(record)) {
        if (record_ && !record_->touched) detail::touch(*record_);
    }

    T* operator->() const { return &fresh(); }
    T& operator*() const { return fresh(); }
    // The object without reloading it (nullptr for an empty handle).
    T* get() const { return record_ ? static_cast<T*>(record_->object) : nullptr; }
    explicit operator bool() const { return record_ != nullptr; }

    friend bool operator==(const Ptr& a, const Ptr& b) { return a.record_ == b.record_; }
    friend bool operator==(const Ptr& a, std::nullptr_t) { return a.record_ == nullptr; }

private:
    friend struct detail::Access;
    // A handle on a record its session marked touched as it loaded it
    // (detail::to_ptrs): the record is not read here, where a large query's
    // handles would wait for a cache miss each.
    struct Touched {};
    Ptr(std::shared_ptr<detail::RecordBase> record, Touched) : record_(std::move(record)) {}
    T& fresh() const {
        if (!record_) detail::throw_null_handle(typeid(T));
        if (record_->expired) detail::load_expired(*record_);
        return *static_cast<T*>(record_->object);
    }
    std::shared_ptr<detail::RecordBase> record_;
};

namespace detail {
// A handle on r, or an empty one where there is no record.
template <class T>
Ptr<T> handle_of(RecordBase* r) {
    return r ? Ptr<T>(r->handle()) : Ptr<T>();
}

template <class T>
struct is_ptr : std::false_type {};
template <class T>
struct is_ptr<Ptr<T>> : std::true_type {};
}  // namespace detail

}  // namespace strata

template <class T>
struct std::hash<strata::Ptr<T>> {
    std::size_t operator()(const strata::Ptr<T>& p) const noexcept { return std::hash<const void*>{}(p.get()); }
};
