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

#include "strata/export.hpp"
#include "strata/error.hpp"

namespace strata {

namespace detail {

class Mapper;
class Store;

enum class RecordState : std::uint8_t {
    Transient,   // not in a session (rolled back, or never added)
    Pending,     // added, not yet inserted
    Persistent,  // has a row
    Deleted,     // marked for deletion (or deleted in the open transaction)
    Detached,    // expunged; a record whose store has lost its session is detached whatever this says
    Vanished,    // its row was found gone on reload: every access raises ObjectDeletedError
};

// The row as the database last had it, one word per column (a SavedColumn's
// word: the value itself, or a saved copy of text): what a flush compares
// each member with, exactly. The words live in blocks owned by the session's
// store (the record's owner), not inline: a record is as big as its columns
// need, whatever the model.
class Snapshot {
public:
    std::uint64_t& at(std::size_t i) { return bits_[i]; }
    std::uint64_t at(std::size_t i) const { return bits_[i]; }
    bool has_storage() const { return bits_ != nullptr; }
    void attach(std::uint64_t* bits) { bits_ = bits; }
    std::uint64_t nulls = 0;  // bit i: column i was NULL

private:
    std::uint64_t* bits_ = nullptr;

public:
    bool valid = false;       // false: nothing loaded (pending object); last, so that its padding can be reused
};

class STRATA_API RecordBase {
public:
    virtual ~RecordBase() = default;
    RecordBase(const RecordBase&) = delete;
    RecordBase& operator=(const RecordBase&) = delete;

    // A handle that keeps the record's store alive.
    std::shared_ptr<RecordBase> handle();

    virtual const std::type_info& type() const = 0;  // of the object

    // Kept small: a query of 100,000 rows builds 100,000 of these.
    void* object;
    const Mapper* mapper = nullptr;
    Store* store = nullptr;
    [[no_unique_address]] Snapshot snapshot;  // the flags below fill its padding
    RecordState state = RecordState::Transient;
    bool expired = false;              // reload every column on next access (a vanished record stays expired)
    // A Ptr to it was made, or strata changed one of its references: the only
    // ways its members can change. An autoflush compares only these; a commit
    // or flush() compares every record. Never cleared: a reference to the
    // object may be kept and written through later.
    bool touched = false;
    bool inserted_in_transaction : 1 = false;
    bool deleted_in_transaction : 1 = false;
    bool key_from_database : 1 = false;    // autoincrement key written back by the last INSERT
    bool in_arena : 1 = false;             // built in its store's memory (destroyed, not deleted)
    bool rolled_back : 1 = false;          // expired by rollback: its members' values are void, never written

protected:
    explicit RecordBase(void* obj) : object(obj) {}
};

// Reloads an expired record (after commit or rollback), or throws
// DetachedInstanceError / ObjectDeletedError.
STRATA_API void load_expired(RecordBase& record);
[[noreturn]] STRATA_API void throw_null_handle(const std::type_info& type);

template <class T>
class Record final : public RecordBase {
public:
    template <class... A>
    explicit Record(A&&... args) : RecordBase(&value), value(std::forward<A>(args)...) {}
    const std::type_info& type() const override { return typeid(T); }
    T value;
};

}  // namespace detail

template <class T>
class Ptr {
public:
    using element_type = T;

    Ptr() = default;
    Ptr(std::nullptr_t) {}
    // Every way user code reaches a mapped object goes through a Ptr: making
    // one marks the record as one the program may change (RecordBase::touched).
    explicit Ptr(std::shared_ptr<detail::RecordBase> record) : record_(std::move(record)) {
        if (record_) record_->touched = true;
    }

    T* operator->() const { return &fresh(); }
    T& operator*() const { return fresh(); }
    // The object without reloading it (nullptr for an empty handle).
    T* get() const { return record_ ? static_cast<T*>(record_->object) : nullptr; }
    explicit operator bool() const { return record_ != nullptr; }

    const std::shared_ptr<detail::RecordBase>& record() const { return record_; }

    friend bool operator==(const Ptr& a, const Ptr& b) { return a.record_ == b.record_; }
    friend bool operator==(const Ptr& a, std::nullptr_t) { return a.record_ == nullptr; }

private:
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
