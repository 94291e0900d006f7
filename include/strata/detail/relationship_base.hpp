// strata/detail/relationship_base.hpp — what HasMany and BelongsTo hold: not API.
//
// The public members (strata/relationship.hpp) inherit these bases
// protectedly; strata's own code reaches them through detail::Access.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <typeinfo>
#include <utility>
#include <vector>

#include "strata/detail/record.hpp"

namespace strata {

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

// A collection's items: one pointer to a block holding the count, the
// capacity and the items; null while empty. Every loaded object carries its
// collections, and most never fill them: 8 bytes where a std::vector took 24.
// A load takes its block from the session's Store (the memory its owner
// lives in: one bump, where malloc cost about 200 instructions and a free at
// the session's end): such a block is "borrowed", never freed by the list,
// and a list that outgrows it moves to a heap block of its own.
class STRATA_API ItemList {
public:
    using value_type = RecordBase*;

    ItemList() = default;
    ItemList(const ItemList& other) { append(other.begin(), other.end()); }
    ItemList(ItemList&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
    explicit ItemList(const std::vector<RecordBase*>& items) {
        reserve(items.size());  // one block, not grown item by item
        append(items.data(), items.data() + items.size());
    }
    ItemList& operator=(ItemList other) noexcept {
        std::swap(block_, other.block_);
        return *this;
    }
    ~ItemList() {
        if (block_ && !block_->borrowed) ::operator delete(block_);  // most are empty: no call for them
    }

    // The bytes a borrowed block for `capacity` items takes.
    static constexpr std::size_t room_bytes(std::size_t capacity) {
        return sizeof(Header) + capacity * sizeof(RecordBase*);
    }
    static constexpr std::size_t room_align = alignof(std::size_t);  // the block's header and items: words
    // An empty list without a block takes `room` (room_bytes(n) bytes, which
    // outlive the list: its owner's Store) as its borrowed block, holding n
    // items that the caller writes at the pointer returned, before anything
    // reads the list: a load fills a collection once, with no check per item.
    RecordBase** fill_room(void* room, std::size_t n) {
        block_ = ::new (room) Header{n, n, true};
        return items();
    }
    bool has_block() const { return block_ != nullptr; }
    // What a move out of a collection leaves the other list: the block, or a
    // heap copy of a borrowed one (its store may end before the other list).
    ItemList take() {
        if (block_ && block_->borrowed) return take_borrowed();
        ItemList out;
        out.block_ = std::exchange(block_, nullptr);
        return out;
    }

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
    // Room for `n` items in all (one block, moved once), when there is less.
    void reserve(std::size_t n);
    void clear() {
        if (block_) block_->size = 0;
    }

private:
    struct Header {  // followed by `capacity` item pointers
        std::size_t size;
        std::size_t capacity;
        bool borrowed;  // in a Store: freed with it, not by the list
    };
    ItemList take_borrowed();
    RecordBase** items() const { return reinterpret_cast<RecordBase**>(block_ + 1); }
    std::size_t capacity() const { return block_ ? block_->capacity : 0; }
    void grow();
    void append(RecordBase* const* first, RecordBase* const* last) {
        for (; first != last; ++first) push_back(*first);
    }
    Header* block_ = nullptr;
};

// What every relationship member holds: the object it belongs to and which
// of its model's relationships it is, set when the object joins a session
// ("bound"). Two words: every loaded object carries each of its members.
class STRATA_API RelationshipBase {
public:
    RelationshipBase() = default;
    RelationshipBase(const RelationshipBase&) = delete;
    RelationshipBase& operator=(const RelationshipBase&) = delete;

    bool is_loaded() const { return loaded_ || owner_ == nullptr; }

    RecordBase* owner_ = nullptr;
    // Its place in the owner's Mapper::relationships, meaningful once bound
    // (owner_ set): mapping_of() in src/orm gives the mapping.
    std::uint32_t relationship_ = 0;
    mutable bool loaded_ = false;
};

class STRATA_API CollectionBase : public RelationshipBase {
public:
    CollectionBase() = default;
    // Inline: every object given to Session::add moves its collections.
    // Not noexcept: a loaded collection's items are copied out of its
    // session's Store (ItemList::take), which may throw std::bad_alloc.
    CollectionBase(CollectionBase&& other) : items_(other.items_.take()), changes_(std::move(other.changes_)) {
        loaded_ = other.loaded_;
    }
    CollectionBase& operator=(CollectionBase&& other) {
        items_ = other.items_.take();
        changes_ = std::move(other.changes_);
        loaded_ = other.loaded_;
        return *this;
    }
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
    // Deletes a collection's Changes out of line: the destructor of every
    // loaded object's collections then inlines to a few tests (with the
    // Changes' six vectors' destructors inline, ~Record left one collection's
    // destructor as a call, 22 instructions a W7 row).
    struct STRATA_API ChangesDeleter {
        void operator()(Changes* changes) const noexcept;
    };
    Changes& changes() const {
        if (!changes_) changes_.reset(new Changes);
        return *changes_;
    }
    mutable std::unique_ptr<Changes, ChangesDeleter> changes_;
};

class STRATA_API ReferenceBase : public RelationshipBase {
public:
    ReferenceBase() = default;
    // Inline: every object given to Session::add moves its references. A
    // bound reference's target is its session's: the copy starts unbound.
    ReferenceBase(ReferenceBase&& other) noexcept
        : dirty_(other.dirty_), target_(other.owner_ ? nullptr : other.target_),
          unbound_target_(std::move(other.unbound_target_)) {
        loaded_ = other.loaded_;
    }
    ReferenceBase& operator=(ReferenceBase&& other) noexcept {
        target_ = other.owner_ ? nullptr : other.target_;
        unbound_target_ = std::move(other.unbound_target_);
        dirty_ = other.dirty_;
        loaded_ = other.loaded_;
        return *this;
    }

    RecordBase* target() const;
    void assign(const std::shared_ptr<RecordBase>& target);

    bool dirty_ = false;  // assigned: write the foreign key at flush (first: it fits the base's padding)
    mutable RecordBase* target_ = nullptr;
    std::shared_ptr<RecordBase> unbound_target_;  // set before the owner joined a session
};

// Where one of a model's relationship members sits in its objects (the
// RelationshipBase's offset from the object's start) and which kind it is:
// Mapper::relationship_slots, one per relationship in its order, so that
// the per-object work (binding a loaded object's members, the check before a
// stream's batch goes) needs no lookup through the relationship's mapping.
struct RelationshipSlot {
    std::ptrdiff_t offset = 0;
    bool reference = false;  // a BelongsTo (ReferenceBase), else a collection (CollectionBase)
};

inline RelationshipBase& relationship_at(void* object, RelationshipSlot slot) {
    return *std::launder(reinterpret_cast<RelationshipBase*>(static_cast<std::byte*>(object) + slot.offset));
}
inline const RelationshipBase& relationship_at(const void* object, RelationshipSlot slot) {
    return *std::launder(reinterpret_cast<const RelationshipBase*>(static_cast<const std::byte*>(object) + slot.offset));
}

// True when the member holds a change a flush has still to write: a
// reference assigned, a collection's adds and removals (made before its
// owner joined the session, through a backref while it was not loaded, or
// many-to-many links).
inline bool has_unwritten_change(const void* object, RelationshipSlot slot) {
    const RelationshipBase& base = relationship_at(object, slot);
    if (slot.reference) return static_cast<const ReferenceBase&>(base).dirty_;
    const auto& changes = static_cast<const CollectionBase&>(base).changes_;
    return changes && (!changes->unbound_kept.empty() || !changes->unbound_new.empty() ||
                       !changes->pending_adds.empty() || !changes->pending_removes.empty() ||
                       !changes->link_added.empty() || !changes->link_removed.empty());
}

// Members as a fixed run of kRun offsets, each with the member's index
// (its order of adding): the first kRun members, the rest of the run
// repeating the last of them (testing or binding a member twice does the
// same thing again), so that a pass over an object's members is a run of
// loads or stores with no loop or count (a loop over microblog's three
// collections cost twice as much per object). `count` says how many there
// are in all: none, or more than kRun (the run does not cover them).
struct OffsetRun {
    static constexpr std::size_t kRun = 4;
    std::ptrdiff_t at[kRun] = {};
    std::uint32_t index[kRun] = {};
    std::size_t count = 0;
    void add(std::ptrdiff_t offset) {
        for (std::size_t i = count; i < kRun; ++i) {  // the first fills the run; each next one its place onwards
            at[i] = offset;
            index[i] = static_cast<std::uint32_t>(count);
        }
        ++count;
    }
    bool covers() const { return count <= kRun; }
};

// A model's relationship members by kind, as offsets from the object's
// start (Mapper::relationship_offsets): what the check before a stream's
// batch goes reads of each object.
struct RelationshipOffsets {
    std::vector<std::ptrdiff_t> collections;
    std::vector<std::ptrdiff_t> references;
    OffsetRun collection_run, reference_run;  // the same, as runs
    void add(std::ptrdiff_t offset, bool reference) {
        (reference ? references : collections).push_back(offset);
        (reference ? reference_run : collection_run).add(offset);
    }
    // True when the runs hold every member (at most kRun of each kind).
    bool covered() const { return collection_run.covers() && reference_run.covers(); }
};

// False when no member can hold a change a flush has to write: no
// collection has its Changes allocated and no reference is assigned (one
// test for them all, no branch per member). True says only "look closer"
// (has_unwritten_change, member by member).
inline bool may_hold_unwritten_change(const void* object, std::span<const std::ptrdiff_t> collections,
                                      std::span<const std::ptrdiff_t> references) {
    const auto* at = static_cast<const std::byte*>(object);
    bool any = false;
    for (const std::ptrdiff_t offset : collections)
        any |= std::launder(reinterpret_cast<const CollectionBase*>(at + offset))->changes_ != nullptr;
    for (const std::ptrdiff_t offset : references)
        any |= std::launder(reinterpret_cast<const ReferenceBase*>(at + offset))->dirty_;
    return any;
}

// The same through the runs (RelationshipOffsets::covered() must hold): a
// fixed number of loads per kind present, no loop.
inline bool may_hold_unwritten_change(const void* object, const OffsetRun& collections,
                                      const OffsetRun& references) {
    const auto* at = static_cast<const std::byte*>(object);
    bool any = false;
    if (collections.count) {
        for (std::size_t i = 0; i < OffsetRun::kRun; ++i)
            any |= std::launder(reinterpret_cast<const CollectionBase*>(at + collections.at[i]))->changes_ != nullptr;
    }
    if (references.count) {
        for (std::size_t i = 0; i < OffsetRun::kRun; ++i)
            any |= std::launder(reinterpret_cast<const ReferenceBase*>(at + references.at[i]))->dirty_;
    }
    return any;
}

static_assert(sizeof(ItemList) == sizeof(void*), "strata: an empty collection is one pointer");
static_assert(sizeof(void*) != 8 || sizeof(CollectionBase) == 32,
              "strata: a collection grew past four words (every loaded object carries its collections)");

}  // namespace detail

}  // namespace strata
