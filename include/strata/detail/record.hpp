// strata/detail/record.hpp — how the ORM holds one mapped object: not API.
//
// A Record<T> is the session's bookkeeping around a T (its state, its store,
// the row as last saved); Ptr<T> is a handle on one. Only strata's own code
// reads these members.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <typeinfo>

#include "strata/export.hpp"

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
    const std::uint64_t* words() const { return bits_; }
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
    // A Ptr to it was made (or is about to be: all() and streams mark the
    // rows they hand out as they build them), or strata changed one of its
    // references: the only ways its members can change. An autoflush compares only these; a commit
    // or flush() compares every record. Never cleared: a reference to the
    // object may be kept and written through later.
    bool touched = false;
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
// Marks a record as one the program may change (RecordBase::touched), and
// its model as one with such records in the record's session.
STRATA_API void touch(RecordBase& record);
[[noreturn]] STRATA_API void throw_null_handle(const std::type_info& type);

// Builds a Record<T> whose T is default-initialised, not value-initialised
// (zeroed first): for a model whose every byte a loaded object can show is
// set by its constructor or read from the row (RowPlan::default_init).
struct DefaultInit {};

template <class T>
class Record final : public RecordBase {
public:
    template <class... A>
    explicit Record(A&&... args) : RecordBase(&value), value(std::forward<A>(args)...) {}
    explicit Record(DefaultInit) : RecordBase(&value) {}
    const std::type_info& type() const override { return typeid(T); }
    T value;
};

// A query of 100,000 rows builds 100,000 records: the flags live in the
// snapshot's tail padding, so a record header is seven words.
static_assert(sizeof(void*) != 8 || sizeof(Snapshot) == 24, "strata: Snapshot grew");
static_assert(sizeof(void*) != 8 || sizeof(RecordBase) == 56,
              "strata: RecordBase grew past seven words (the flags no longer fit the snapshot's padding)");

// Reaches the machinery behind the public handles (Ptr, HasMany, BelongsTo,
// Registry, Session): their bases and internals are private or protected,
// and strata's own code (only) goes through here.
struct Access {
    template <class P>
    static const auto& record(const P& handle) {
        return handle.record_;
    }
    // A Ptr on a record already marked touched (Ptr's Touched constructor).
    template <class P>
    static P touched_handle(std::shared_ptr<RecordBase> record) {
        return P(std::move(record), typename P::Touched{});
    }
    // A HasMany's CollectionBase or a BelongsTo's ReferenceBase.
    template <class Base, class R>
    static Base& base(R& relationship) {
        return relationship;
    }
    template <class Base, class R>
    static const Base& base(const R& relationship) {
        return relationship;
    }
    template <class H>
    static auto& impl(const H& owner) {
        return *owner.impl_;
    }
};

}  // namespace detail

}  // namespace strata
