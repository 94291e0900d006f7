// Internals of the ORM: mappers, relationship mappings, the session's store
// and unit of work. Not a public header.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <typeindex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "orm/identity_map.hpp"
#include "strata/database.hpp"
#include "strata/dialect.hpp"
#include "strata/error.hpp"
#include "strata/query.hpp"
#include "strata/registry.hpp"
#include "strata/repr.hpp"
#include "strata/schema.hpp"
#include "strata/session.hpp"
#include "strata/sql.hpp"

namespace strata::detail {

struct ColumnMapping {
    std::string name;
    MemberKey key;
    std::unique_ptr<ColumnAccessor> access;
    const Column* column = nullptr;  // in the registry's MetaData (after finalize)
    bool optional = false;           // std::optional member: client defaults apply when empty
};

struct RelationshipMapping {
    RelationshipKind kind = RelationshipKind::OneToMany;
    std::string name;                 // "User.posts"
    Mapper* owner = nullptr;
    Mapper* target = nullptr;
    MemberKey key;
    std::unique_ptr<RelationshipAccessor> access;
    RelationshipMapping* backref = nullptr;
    // OneToMany: the target's columns holding the owner's key; ManyToOne: the
    // owner's; one per column of the parent's key, in its order. fk_column is
    // the first (the only one of a one-column foreign key).
    int fk_column = -1;
    std::vector<int> fk_columns;
    std::string secondary, local_column, remote_column;  // ManyToMany
    Cascade cascade;
    // ManyToOne, one integer member holding the target's one integer key
    // (the usual BelongsTo; found when the registry is finalised): that
    // member, and the target's key. The current target is looked up by it,
    // and a flush copies the key member to member, without a Value.
    const ColumnAccessor* integer_fk = nullptr;
    const ColumnAccessor* target_key = nullptr;

    // The lazy load's SELECT (one bound parameter: the owner's key), rendered
    // once per dialect, with its NumberedText::new_text_id: every lazy load
    // of the relationship asks for it, and the statement cache then finds it
    // by number, not by comparing the text.
    struct LazySql {
        std::string sql;
        std::uint64_t text_id = 0;
    };
    const LazySql& lazy_sql(const Dialect& d) const;

    // The relationship member of an owner object. Its offset in the object is
    // learnt from the first owner (the same for all): no virtual call per
    // object loaded.
    RelationshipBase& member_of(void* owner_object) const {
        auto* object = static_cast<std::byte*>(owner_object);
        std::ptrdiff_t offset = member_offset_.load(std::memory_order_relaxed);
        if (offset < 0) {
            offset = reinterpret_cast<std::byte*>(&access->get(owner_object)) - object;
            member_offset_.store(offset, std::memory_order_relaxed);
        }
        return *std::launder(reinterpret_cast<RelationshipBase*>(object + offset));
    }

private:
    mutable std::mutex sql_mutex_;
    mutable std::map<const Dialect*, LazySql> lazy_sql_;
    // The last rendering asked for (map nodes stay put): a lazy load takes no lock.
    mutable std::atomic<const std::pair<const Dialect* const, LazySql>*> last_lazy_sql_{nullptr};
    mutable std::atomic<std::ptrdiff_t> member_offset_{-1};
};

// RETURNING for new keys where it is the way to get them (Dialect::returning_for_new_keys).
inline bool returns_keys(const Dialect& d) { return d.returning_for_new_keys(); }

// The SQL a mapper runs, rendered once per dialect.
struct MapperSql {
    const Dialect* dialect = nullptr;
    std::string select_list;      // "user"."id", "user"."nickname", ...
    std::string select_by_pk;
    std::uint64_t select_by_pk_id = 0;  // its NumberedText::new_text_id (the statement cache finds it by number)
    std::string insert_all;       // every column
    std::string insert_no_pk;     // the key left to the database
    std::string select_computed;  // the generated columns of one row, by key ("" when the model has none)
    std::string delete_by_pk;
    std::mutex update_mutex;
    std::map<std::uint64_t, std::string> update_by_mask;  // changed columns -> UPDATE
};

class Mapper {
public:
    std::size_t index = 0;
    const std::type_info* type = nullptr;
    std::string class_name;      // "User"
    std::string table;
    std::vector<ColumnMapping> columns;
    // Each column's kind and member, in column order (built when the registry
    // is finalised), and the loops compiled for the model's class that read a
    // row and compare saved values through it: no virtual call per column.
    std::vector<PlannedColumn> plan;
    ColumnLoops loops;
    int pk = -1;                  // the key column (the first of a composite key)
    std::vector<int> key_columns; // every primary-key column, in the table's order
    std::uint64_t key_mask = 0;   // bit i: column i is part of the key
    std::vector<MemberKey> declared_key;  // strata::primary_key_of<T>'s members, if declared
    bool pk_autoincrement = false;
    bool integer_key = false;     // the identity map keys it by integer
    std::uint64_t onupdate_columns = 0;  // bit i: column i has an onupdate value
    // bit i: column i is generated (computed()): the database writes it, so
    // INSERT and UPDATE leave it out and a flush reads it back.
    std::uint64_t computed_columns = 0;
    bool client_defaults = false;  // an optional member's column has a client-side default (apply_client_defaults)
    bool has_references = false;   // a many-to-one relationship (a foreign key a flush may set)
    std::vector<std::unique_ptr<RelationshipMapping>> relationships;  // owned here
    // Each relationship's member in the objects, in `relationships`' order
    // (found when the registry is finalised): what the per-object loops use.
    std::vector<RelationshipSlot> relationship_slots;
    RelationshipOffsets relationship_offsets;  // the same members by kind (first_record_to_check)
    std::vector<RowStep> row_steps;  // row_plan's steps: a column's each, the key's first
    RowPlan row_plan;  // what a row is read into a new record with (loops.build_loaded), once finalised
    // Each many-to-one relationship, in `relationships`' order: what a flush
    // reads to set the foreign key of an object whose reference was assigned
    // (SessionImpl::sync_foreign_keys, once per new row that has one).
    struct ReferenceSync {
        const RelationshipMapping* relationship = nullptr;
        std::ptrdiff_t offset = 0;  // of its ReferenceBase in the objects
    };
    std::vector<ReferenceSync> reference_syncs;
    std::function<std::string(const void*)> repr;
    RecordFactory factory;
    int flush_order = 0;          // position of the table in foreign-key order
    std::vector<RelationshipMember> relationship_members;  // every HasMany / BelongsTo of the struct
    // (association table, column) pairs whose rows reference this model's key.
    std::vector<std::pair<std::string, std::string>> association_refs;

    const ColumnMapping& pk_column() const { return columns[static_cast<std::size_t>(pk)]; }
    bool is_computed(std::size_t i) const { return (computed_columns >> i) & 1; }
    // Whether an INSERT writes column i (with_key: the key too, not left to the database).
    bool inserts(std::size_t i, bool with_key) const {
        return !is_computed(i) && (with_key || static_cast<int>(i) != pk);
    }
    // The same as bits: the columns an INSERT writes, in order.
    std::uint64_t insert_columns(bool with_key) const {
        std::uint64_t all = (std::uint64_t{1} << columns.size()) - 1;  // at most 63 columns
        all &= ~computed_columns;
        return with_key || pk < 0 ? all : all & ~(std::uint64_t{1} << pk);
    }
    // The key of a one-column key (pk_value) or of any key (key_values).
    Value pk_value(const RecordBase& r) const { return pk_column().access->get(r.object); }
    bool composite_key() const { return key_columns.size() > 1; }
    std::vector<Value> key_values(const RecordBase& r) const;
    std::vector<std::string> key_names() const;
    // Binds the key columns of r from parameter `first` on; returns the next parameter.
    int bind_key(const RecordBase& r, ValueSink& st, int first) const;
    const MapperSql& sql(const Dialect& d) const {
        const MapperSql* last = last_sql_.load(std::memory_order_acquire);
        return last && last->dialect == &d ? *last : render_sql(d);
    }
    const std::string& update_sql(const Dialect& d, std::uint64_t mask) const;
    int column_index(std::string_view name) const;
    std::string describe(const RecordBase& r) const;   // repr, for messages

private:
    const MapperSql& render_sql(const Dialect& d) const;
    mutable std::mutex sql_mutex_;
    mutable std::map<const Dialect*, std::unique_ptr<MapperSql>> sql_;
    // The last rendering asked for: an application uses one dialect, and every
    // get() and INSERT asks, so that case takes no lock.
    mutable std::atomic<const MapperSql*> last_sql_{nullptr};
};

// The mapping of a bound relationship member (RelationshipBase::owner_ set).
inline const RelationshipMapping& mapping_of(const RelationshipBase& member) {
    return *member.owner_->mapper->relationships[member.relationship_];
}

struct PendingRelationship {
    std::size_t model;
    RelationshipDecl decl;
};

class RegistryImpl {
public:
    MetaData metadata;
    std::vector<std::unique_ptr<Mapper>> mappers;
    std::vector<PendingRelationship> pending;
    std::atomic<bool> finalized{false};  // read without the mutex by every session
    std::mutex mutex;

    // Thread-safe, idempotent; every session calls it, so the done case is inline.
    void finalize() {
        if (!finalized.load(std::memory_order_acquire)) finalize_once();
    }
    // Every get() and query asks: the common case (the model's own type_info
    // object) is inline, without the frame the error's message needs.
    const Mapper& mapper_for(const std::type_info& type) const {
        for (const auto& m : mappers)
            if (m->type == &type) return *m;
        return mapper_for_other(type);
    }
    const Mapper* find_mapper(const std::type_info& type) const;
    sql::ColumnName resolve(const MemberKey& key) const;
    const RelationshipMapping& relationship(const MemberKey& key) const;
    const RelationshipMapping* find_relationship(const MemberKey& key) const;

private:
    const Mapper& mapper_for_other(const std::type_info& type) const;  // by name, or ConfigError
    const Mapper* find_mapper_by_name(const std::type_info& type) const;
    void finalize_once();
    static void resolve_key(Mapper& m, const Table& t);
    void resolve_relationship(PendingRelationship& p);
    void check_relationship_members() const;
    void check_finalized() const;
};

// Owns every object a session has seen; Ptr<T> handles alias it.
//
// Loaded records and their saved values are built in memory the store carves
// from blocks it owns (the first one inline), in load order: no allocation
// per row, and a query's objects sit next to each other. Objects the user
// creates (Session::add) arrive already allocated and are adopted.
//
// create() runs once per row loaded: its common case (room in the current
// block and in the list) is here, inline; the rest is in store.cpp.
class Store {
public:
    // A store owned by a shared_ptr, which it knows (what handles share).
    static std::shared_ptr<Store> make();

    Store();  // user-provided: make_shared must not zero the inline block
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;
    ~Store();

    SessionImpl* session = nullptr;
    // A stream's batch (SessionImpl::make_batch_store): its objects leave
    // the session with it, unless something else may point at them (pinned).
    bool batch = false;
    bool pinned = false;
    std::uint64_t serial = 0;  // a batch's number in its session (from 1): IntKeyMap::note_filled_by
    std::weak_ptr<Store> self;  // the shared_ptr that owns this store (a session's first: once the session lets go)

    // A new record of m's model, default-constructed in the store's memory,
    // its saved words' room right after it.
    RecordBase* create(const Mapper& m) {
        if (count_ == capacity_) grow_list();  // first: once built, the record must find its place without throwing
        note_model(m);
        const std::size_t record_size = m.factory.size;  // a multiple of its alignment, so of 8
        std::byte* at = allocate(record_size + m.columns.size() * sizeof(std::uint64_t), m.factory.align);
        RecordBase* r = m.factory.construct(at);  // if it throws, the memory waits for the store to go
        r->in_arena = true;
        r->mapper = &m;
        r->store = this;
        r->snapshot.attach(reinterpret_cast<std::uint64_t*>(at + record_size));
        list_[count_++] = r;
        return r;
    }
    // A new record of m's model built from a row of st (see
    // build_loaded_record; `key`: the integer key, when read already), in
    // the store's memory with its saved words right after it.
    RecordBase* create_loaded(const Mapper& m, const Statement& st, int offset, const std::int64_t* key) {
        if (count_ == capacity_) grow_list();  // first: once built, the record must find its place without throwing
        note_model(m);
        std::byte* at = allocate(m.row_plan.bytes, m.factory.align);
        RecordBase* r = m.loops.build_loaded(m.row_plan, at, *this, st, offset, key);  // if it throws, the memory waits for the store
        list_[count_++] = r;
        return r;
    }
    RecordBase* adopt(std::unique_ptr<RecordBase> r);
    // Room in the list for n records, taken from the store's own memory: a
    // stream's batch (a store per batch) then allocates nothing for its list.
    // An allocation of a few KiB per batch made malloc merge the thousand
    // small blocks the last batch had freed (its text) before serving it,
    // and serve the next batch's text from the merged ones: 140 instructions
    // a row.
    void reserve_records(std::size_t n);
    // Room for a record built by its caller (Session::add), which then joins
    // with adopt_built(): a new object costs no allocation of its own, and
    // is destroyed (not deleted) with the store, as a loaded one is.
    void* record_room(std::size_t size, std::size_t align) { return allocate(size, align); }
    // Room for a loaded collection's items (ItemList::fill_room); freed with the store.
    void* item_room(std::size_t size, std::size_t align) { return allocate(size, align); }
    RecordBase* adopt_built(RecordBase* r) {
        if (count_ == capacity_) grow_list();
        note_model(*r->mapper);
        r->in_arena = true;
        r->store = this;
        list_[count_++] = r;
        return r;
    }
    // Destroys every record and gives back the memory (none may be in use).
    void clear();
    // Destroys the first record not yet destroyed, in the order they joined
    // (none left: nothing). A stream's leaving batch goes so, record by
    // record, as the next batch is read (StreamState::next); the rest go
    // with the store.
    void destroy_next() {
        if (destroyed_ != count_) destroy_one(list_[destroyed_++]);
    }
    // Room for n saved words (a record's Snapshot); freed with the store.
    std::uint64_t* saved_words(std::size_t n) {
        return reinterpret_cast<std::uint64_t*>(allocate(n * sizeof(std::uint64_t), alignof(std::uint64_t)));
    }
    // Room for a saved copy of text (see save_bytes); freed with the store.
    std::byte* saved_bytes(std::size_t n) { return allocate(n, alignof(std::uint32_t)); }
    // The same when the current block has room for it, else nullptr (and nothing allocated).
    std::byte* saved_bytes_if_room(std::size_t n) { return try_bump(n, alignof(std::uint32_t)); }

    // Every record, in the order they joined. (An array, not a list through
    // the records: walking 100,000 of them must not wait on each in turn.)
    std::span<RecordBase* const> records() const { return {list_, count_}; }

private:
    std::byte* allocate(std::size_t size, std::size_t align) {
        if (std::byte* at = try_bump(size, align)) return at;
        return allocate_in_new_block(size, align);
    }
    // `size` bytes aligned to `align` (a power of two) from the current
    // block, or nullptr (nothing taken) when they do not fit in it.
    std::byte* try_bump(std::size_t size, std::size_t align) {
        const auto at = (reinterpret_cast<std::uintptr_t>(free_) + align - 1) & ~(align - 1);
        if (at + size > reinterpret_cast<std::uintptr_t>(end_)) return nullptr;
        // Room in a block is never at address 0: said, so that allocate()
        // tests only "did it fit", not the pointer again (an instruction
        // more for every record loaded).
        if (at == 0) __builtin_unreachable();
        free_ = reinterpret_cast<std::byte*>(at + size);
        return reinterpret_cast<std::byte*>(at);
    }
    std::byte* allocate_in_new_block(std::size_t size, std::size_t align);
    // One record: built in the store's memory (destroyed in place) or adopted from the heap (deleted).
    static void destroy_one(RecordBase* r) {
        if (r->in_arena) r->~RecordBase();
        else delete r;
    }
    void destroy_records(bool ending);
    void grow_list();

    // The destroy loops (RecordFactory::destroy) of the models this store
    // builds records of, copied here as it builds its first record of each:
    // a store may outlive its registry (a Ptr kept after both), so its end
    // compares mapper addresses but never reads a mapper. A record of a
    // model not noted (past kModels, or adopted) goes through its virtual
    // destructor.
    using DestroyLoop = std::size_t (*)(const Mapper*, RecordBase* const*, std::size_t);
    struct ModelLoop {
        const Mapper* mapper;
        DestroyLoop destroy;
    };
    static constexpr std::size_t kModels = 4;
    void note_model(const Mapper& m) {
        if (&m != last_model_) note_new_model(m);  // one compare a record: a load builds one model's
    }
    void note_new_model(const Mapper& m);
    DestroyLoop destroy_loop_of(const Mapper* m) const;
    const Mapper* last_model_ = nullptr;
    std::size_t model_count_ = 0;
    ModelLoop models_[kModels];

    // The list of records: the first ones inside the store, then on the heap.
    static constexpr std::size_t kInlineRecords = 8;
    RecordBase* inline_records_[kInlineRecords];
    RecordBase** list_ = inline_records_;
    std::size_t count_ = 0;
    std::size_t destroyed_ = 0;  // the first records of the list, destroyed already (destroy_next)
    std::size_t capacity_ = kInlineRecords;
    std::unique_ptr<std::byte[]> heap_list_;  // the list once it outgrew the inline one (see grow_list)

    std::byte* free_;               // the unused part of the current block
    std::byte* end_;
    std::size_t block_size_ = 0;    // of the last heap block
    std::vector<std::unique_ptr<std::byte[]>> blocks_;
    std::vector<std::unique_ptr<std::byte[]>> full_blocks_;  // of the largest size: kept for later sessions
    // Enough for a get()'s object and its saved values (microblog's User with
    // its three collections: about 350 bytes), so a session per request
    // allocates no block of its own.
    alignas(std::max_align_t) std::byte inline_block_[512];
};

class StreamState;

// How far ahead a pass over many records fetches their memory
// (SessionImpl::for_each_record_ahead, the flush's passes over new records):
// a record's work is short, and its memory takes a few records' work to arrive.
constexpr std::size_t kRecordsAhead = 8;

// Starts fetching a record's header and the first lines of its object (only a hint).
inline void prefetch_record_start(const RecordBase* r) {
    const auto* at = reinterpret_cast<const char*>(r);
    STRATA_DETAIL_PREFETCH(at);
    STRATA_DETAIL_PREFETCH(at + 64);
    STRATA_DETAIL_PREFETCH(at + 128);
}

// What frees a stream batch's store when its last handle goes
// (SessionImpl::release_batch). `by_stream`: the stream holding the last
// handle gives the batch to release_batch itself, to destroy its records
// as it reads the next batch (StreamState::let_go); the deleter then does
// nothing.
struct BatchRelease {
    bool by_stream = false;
    void operator()(Store* store) const noexcept;
};

// What not every session does: removing objects, a transaction's writes,
// many-to-many link changes, streams, loads of many rows or of collections.
// Its lists live in one block the session makes on first need
// (SessionImpl::extras), so that a session that only gets objects -- one per
// request -- neither builds nor ends any of them.
struct SessionExtras {
    std::vector<RecordBase*> to_delete;                // removed, not yet flushed
    std::vector<RecordBase*> inserted_in_transaction;
    std::vector<RecordBase*> deleted_in_transaction;
    std::vector<CollectionBase*> link_changes;         // many-to-many collections with changes
    std::vector<RecordBase*> deleting;                 // remove() in progress (cascade cycles)
    // Streams (stream.cpp): the stores of their batches still alive, those
    // the session keeps because their objects hold what it must not lose,
    // and the streams still reading.
    std::vector<Store*> batches;
    std::vector<std::shared_ptr<Store>> retained;
    std::vector<StreamState*> streams;
    std::uint64_t batches_made = 0;  // the last batch's Store::serial
    // load_new_rows' keys, kept from one call to the next (a stream's
    // batches): like the batch's list, no allocation per batch.
    std::vector<std::int64_t> new_keys;
    // A lazy load's items with their keys, kept from one load to the next.
    std::vector<std::pair<std::int64_t, RecordBase*>> loaded_items;

    // Something a flush must write (besides new objects and changed columns).
    bool has_writes() const { return !to_delete.empty() || !link_changes.empty(); }
};

// A session's extras before it made them: every list empty.
inline constinit const SessionExtras kNoExtras{};

class SessionImpl {
public:
    SessionImpl(const Database& db, const Registry& registry, std::shared_ptr<Store> store);
    ~SessionImpl();

    Database db;
    const Registry& registry_ref;
    RegistryImpl& registry;
    std::shared_ptr<Store> store;
    PooledConnection conn;
    bool autoflush = true;
    bool expire_on_commit = true;
    bool flushing = false;
    std::function<void(const std::string&)> observer;

    IdentityMaps identity;                             // per mapper
    std::vector<RecordBase*> pending;                  // added, in order
    // model_bit() of every record put in `pending` since it was last
    // emptied (records taken out leave their bit: never too few bits). One
    // bit: all of one model, which a flush then need not group by model.
    std::uint64_t pending_models = 0;
    Store* loading_into = nullptr;  // the stream batch being loaded (else the session's store)

    // The lists of SessionExtras, made on first need: extras() to change
    // them, extras_or_none() to read them (empty ones while none were made).
    SessionExtras& extras() { return extras_ ? *extras_ : make_extras(); }
    const SessionExtras& extras_or_none() const { return extras_ ? *extras_ : kNoExtras; }
    bool has_batches() const { return extras_ && !extras_->batches.empty(); }

    // Every record of the session: its first store's, then its batches'.
    template <class F>
    void for_each_record(F&& each) {
        for (RecordBase* r : store->records()) each(r);
        if (!extras_) return;
        for (Store* b : std::vector<Store*>(extras_->batches))
            for (RecordBase* r : b->records()) each(r);
    }
    // The same for a pass that reads every record (a commit's flush and
    // expiry): each record's first lines (its header, the start of its
    // object) fetched a few records ahead, so the pass does not wait on each
    // record's memory in turn (the records of 10,000 new objects are far out
    // of cache by their commit).
    template <class F>
    void for_each_record_ahead(F&& each) {
        each_ahead(store->records(), each);
        if (!extras_) return;
        for (Store* b : std::vector<Store*>(extras_->batches)) each_ahead(b->records(), each);
    }
    template <class F>
    static void each_ahead(std::span<RecordBase* const> records, F& each) {
        for (std::size_t i = 0; i < records.size(); ++i) {
            if (i + kRecordsAhead < records.size()) prefetch_record_start(records[i + kRecordsAhead]);
            each(records[i]);
        }
    }
    std::shared_ptr<Store> make_batch_store(std::size_t batch_size);
    // The batch's last handle is gone: returns it when it may go (its
    // objects have left the identity map), nullptr when the session keeps it.
    std::unique_ptr<Store> release_batch(Store* batch);
    bool batch_can_go(const Store& batch) const;
    bool record_can_go(const RecordBase& r) const;
    // Gives each retained batch back to release_batch (after a flush or rollback).
    void release_retained();
    // The streams still reading stop (their statements go back to the connection).
    void end_streams();
    // At the session's end: relationships pointing into another store unloaded.
    void unlink_stores();
    // An object found by key or loaded again: if it lives in a stream's
    // batch, something may now point at it, so its batch stays.
    static RecordBase* found(RecordBase* r, const Store* loading) {
        if (r && r->store != loading && r->store->batch) r->store->pinned = true;
        return r;
    }
    // True when r is one of this session's objects (in its store or a batch's).
    bool owns(const RecordBase& r) const { return r.store && r.store->session == this; }

    Connection& connection();         // in the session's transaction (begun here if need be)
    Connection& read_connection();    // in it if one is open, else autocommit
    const Dialect& dialect() const { return db.dialect(); }
    StatementHandle prepare(const std::string& sql);        // for writes
    StatementHandle prepare_read(const std::string& sql);   // for SELECTs the ORM runs
    StatementHandle prepare_read(const std::string& sql, std::uint64_t text_id);  // the same, sql never changing (MapperSql)
    void note(const std::string& sql) {
        if (observer) observer(sql);
    }

    // Identity map.
    RecordBase* lookup(const Mapper& m, const Value& pk) const;
    RecordBase* lookup(const Mapper& m, std::int64_t key) const;  // an integer key, without a Value
    RecordBase* lookup(const Mapper& m, std::span<const Value> key) const;  // any key, its columns' values in order
    RecordBase* lookup_row(const Mapper& m, const Statement& st, int offset) const;
    static std::string identity_text(const Mapper& m, const RecordBase& r);
    void remember(RecordBase* r);
    void forget(RecordBase* r);
    void forget_batch(const Store& batch);

    // Loading.
    RecordBase* load_row(const Mapper& m, const Statement& st, int offset);
    RecordBase* load_row(const Mapper& m, const Statement& st, int offset, std::int64_t key);  // integer key known
    // Every row of st (m's columns first; m has integer keys) with its key,
    // appended to `keyed` (a collection's load). True when the keys came in
    // ascending order (the rows need no sort).
    bool load_keyed_rows(const Mapper& m, Statement& st, std::vector<std::pair<std::int64_t, RecordBase*>>& keyed);
    // Every row of st, for a query of a model with integer keys of which the
    // session holds no object yet.
    // At most `limit` rows (a stream's batch): false when the statement ran out first.
    // `leaving` (a stream's last batch, gone from the session): one of its
    // records destroyed before each new one is built.
    bool load_new_rows(const Mapper& m, Statement& st, std::vector<RecordBase*>& out,
                       std::size_t limit = static_cast<std::size_t>(-1), Store* leaving = nullptr);
    RecordBase* reuse_row(RecordBase& r, const Statement& st, int offset);
    RecordBase* new_row(const Mapper& m, const Statement& st, int offset, const std::int64_t* key = nullptr);
    void populate(RecordBase& r, const Statement& st, int offset);
    RecordBase* get(const Mapper& m, const Value& pk);
    RecordBase* get(const Mapper& m, std::int64_t key);
    RecordBase* get(const Mapper& m, std::span<const Value> key);
    void refresh(RecordBase& r);
    // An expired record's reload, keeping members the program wrote meanwhile.
    void reload(RecordBase& r);
    // Every persistent object reloads on next access; rolled_back: their
    // members' values are void (a rollback), not the program's changes.
    void expire_all(bool rolled_back);
    void expire(RecordBase& r);
    [[noreturn]] void vanish(RecordBase& r);
    // Session::merge: the session's object for `source`'s key, given its state (merge.cpp).
    RecordBase* merge(const RecordBase& source);
    std::vector<RecordBase*> run_select(const Mapper& m, const sql::Compiled& c);

    // Unit of work.
    RecordBase* attach_new(std::unique_ptr<RecordBase> r);
    RecordBase* attach_built(RecordBase* r);
    // The mapper of the last type added (a program adds objects of one or two models in a row).
    const std::type_info* last_added_type = nullptr;
    const Mapper* last_added_mapper = nullptr;
    // Inline: every Session::add ends here.
    void attach_pending(RecordBase* r) {
        r->state = RecordState::Pending;
        r->snapshot.valid = false;
        pending.push_back(r);
        pending_models |= model_bit(*r->mapper);
    }
    // A new object's relationships, through the model's slots: its
    // references load on first use, its collections start loaded (empty,
    // unless objects were put in them before it joined: adopted then).
    // Once per object added, so inline, the rare cases out of line.
    void bind_new_relationships(RecordBase& r) {
        const auto& slots = r.mapper->relationship_slots;
        for (std::uint32_t i = 0; i < slots.size(); ++i) {
            RelationshipBase& base = relationship_at(r.object, slots[i]);
            base.owner_ = &r;
            base.relationship_ = i;
            if (slots[i].reference) {
                auto& ref = static_cast<ReferenceBase&>(base);
                ref.loaded_ = false;
                if (ref.unbound_target_) [[unlikely]]
                    adopt_unbound_target(ref);
            } else {
                auto& coll = static_cast<CollectionBase&>(base);
                coll.loaded_ = true;
                if (!coll.items_.empty() || coll.changes_) [[unlikely]]
                    adopt_unbound_items(r, coll);
            }
        }
    }
    void adopt_unbound_target(ReferenceBase& ref);
    void adopt_unbound_items(RecordBase& r, CollectionBase& coll);
    void mark_deleted(RecordBase* r);
    // Bulk writes (bulk.cpp): column i of a loaded object set to what the
    // database now holds (the member and its saved value: not a change); a
    // row deleted in the database by a statement of this transaction.
    void assign_saved(RecordBase& r, std::size_t column, const Value& v);
    void deleted_by_statement(RecordBase& r);
    // Every loaded object's `rel` unloaded (it reloads on next access).
    void unload_everywhere(const RelationshipMapping& rel);
    std::vector<RecordBase*> children_now(const RelationshipMapping& rel, RecordBase& owner);
    void expunge(RecordBase* r);
    // Throws: why a deleted object cannot be added back.
    [[noreturn]] void refuse_deleted(const RecordBase& r) const;
    // Flushes before a query or load unless there is nothing it could write:
    // a session without objects (pending, removed and linked ones are all in
    // its store), the common get() per request. True if it flushed. It
    // compares only the touched records: a lazy load per object would
    // otherwise compare every loaded object each time.
    bool autoflush_now() {
        if (!autoflush || flushing || (store->records().empty() && !has_batches())) return false;
        flush(FlushScope::TouchedRecords);
        return true;
    }
    // Flushes before a statement that reads rows of m's table and no other
    // (a lazy one-to-many load, a get by key). With nothing pending, removed
    // or linked, only a change to one of m's own rows can change what such a
    // statement finds (keys are never updated, so a change to another
    // table's row cannot move one of m's), so it compares m's touched
    // records only, and none at all when m has none: N lazy loads then cost
    // N statements, not N times every object loaded so far.
    // The check every get() makes (a session without objects) is inline;
    // the rest is out of line.
    bool autoflush_before_reading(const Mapper& m) {
        if (!autoflush || flushing || (store->records().empty() && !has_batches())) return false;
        return autoflush_objects_before_reading(m);
    }
    [[gnu::noinline]] bool autoflush_objects_before_reading(const Mapper& m) {
        const SessionExtras& x = extras_or_none();
        if (!pending.empty() || x.has_writes() || !x.retained.empty()) {
            flush(FlushScope::TouchedRecords);
            return true;
        }
        if (!(touched_models & model_bit(m))) return false;
        flush(FlushScope::TouchedRecordsOf, &m);
        return true;
    }
    // Which persistent records a flush compares with their saved values:
    // all (commit, flush()), those user code or strata may have changed, or
    // those of them of one model (`model`).
    enum class FlushScope { EveryRecord, TouchedRecords, TouchedRecordsOf };
    void flush(FlushScope scope = FlushScope::EveryRecord, const Mapper* model = nullptr);
    // Bit min(index, 63) of every model with a touched record in this
    // session (RecordBase::touched; models from the 64th on share the last
    // bit: one of them touched makes an autoflush compare them all).
    std::uint64_t touched_models = 0;
    static std::uint64_t model_bit(const Mapper& m) { return std::uint64_t{1} << std::min<std::size_t>(m.index, 63); }
    // Marks one of this session's records as one the program may change
    // (RecordBase::touched), and its model as one with such records.
    void note_touched(RecordBase& r) {
        r.touched = true;
        touched_models |= model_bit(*r.mapper);
    }
    void commit();
    void rollback();
    void detach_all();

    // Relationships.
    void load_collection(CollectionBase& c);
    RecordBase* load_reference(ReferenceBase& ref);
    void note_link_change(CollectionBase& c);

    sql::MemberResolver resolver() const {
        return [this](const MemberKey& k) { return registry.resolve(k); };
    }

private:
    void take_snapshot(RecordBase& r);
    std::uint64_t changed_columns(const RecordBase& r) const;
    void sync_foreign_keys(RecordBase& r);
    void insert(std::vector<RecordBase*>& records, const Mapper& m);
    void insert_batched(std::vector<RecordBase*>& records, const Mapper& m);
    bool insert_by_copy(std::vector<RecordBase*>& records, const Mapper& m);
    void insert_rows(const std::vector<RecordBase*>& batch, const Mapper& m, bool assign_keys);
    void remember_all(const std::vector<RecordBase*>& records, const Mapper& m);
    void written(RecordBase& r);
    void update(RecordBase& r, std::uint64_t mask);
    void read_computed(RecordBase& r);
    void write_links();
    void delete_rows(const Mapper& m, std::vector<RecordBase*>& records);
    void reset_relationships(RecordBase& r);
    static void reset_relationship(RecordBase& r, const RelationshipMapping& rel);
    void end_transaction();
    SessionExtras& make_extras();
    // detach_all's part for a session with extras: its streams end, its batches leave it.
    void detach_extras();

    std::unique_ptr<SessionExtras> extras_;
};

// A session and its first store in one allocation: a session per request
// that gets one object allocates once for both. The store may outlive the
// session (Ptr handles keep it), so Session builds and ends the session in
// place.
struct SessionHome {
    SessionHome() {}  // user-provided: allocate_shared must not zero `session`
    Store store;
    alignas(SessionImpl) std::byte session[sizeof(SessionImpl)];
};

// The references a session itself holds to its first store (Session::home_
// and SessionImpl::store, an alias of it): more means handles or queries
// hold it too.
constexpr long kSessionReferencesToFirstStore = 2;

// Frees the store blocks and record lists kept for later sessions (store.cpp); the bytes freed.
std::size_t release_cached_blocks();

// True when a and b are objects of one session (its first store or a
// stream's batches, or both in one store). One about to point at the other:
// a batch holding either stays with the session (SessionImpl::found).
inline bool same_session(const RecordBase& a, const RecordBase& b) {
    const bool same = a.store == b.store || (a.store && b.store && a.store->session && a.store->session == b.store->session);
    if (same) {
        SessionImpl::found(const_cast<RecordBase*>(&a), nullptr);
        SessionImpl::found(const_cast<RecordBase*>(&b), nullptr);
    }
    return same;
}

SessionImpl& live_session(const RecordBase& r, const char* what);
// `r` is not in this session: says whether it is detached (merge it) or in another session (merge.cpp).
[[noreturn]] void throw_not_in_session(const RecordBase& r);
SessionImpl& session_of(const Store* store);

// Whether a plan entry's member is an integer type (plain or optional):
// its value is then ColumnAccessor::integer's, with no Value.
inline bool integer_kind(ColumnKind kind) {
    switch (kind) {
#define STRATA_DETAIL_INTEGER(Name, V)                                                                                 \
    case ColumnKind::Name:                                                                                             \
    case ColumnKind::Optional##Name: return is_number_integer_v<V>;
        STRATA_DETAIL_PLANNED_TYPES(STRATA_DETAIL_INTEGER)
#undef STRATA_DETAIL_INTEGER
    case ColumnKind::Accessor: break;
    }
    return false;
}

// The other side of a relationship change, in memory only (relationship.cpp).
void add_in_memory(CollectionBase& c, RecordBase* item);
void remove_in_memory(CollectionBase& c, RecordBase* item);
// The parent a reference points at, from memory only (nullptr if not loaded).
RecordBase* current_target(const ReferenceBase& ref);
RecordBase* current_target(const ReferenceBase& ref, const RelationshipMapping& rel);  // rel: ref's mapping

// Relationship SQL (relationship.cpp).
// Without ORDER BY for a target with an integer key: its items go through in_key_order.
sql::Select relationship_select(const RelationshipMapping& rel, const Dialect& d);
// Loaded items, each with its integer key, put in key order (sorted unless
// they already are, as rows usually come).
void sort_by_key(std::span<std::pair<std::int64_t, RecordBase*>> keyed);
// The target rows of one owner, whose key is `owner_key` (its columns' values in order).
Expr owner_condition(const RelationshipMapping& rel, std::span<const Value> owner_key);
// The values of a record's foreign-key columns of a many-to-one `rel`.
std::vector<Value> foreign_key_values(const RelationshipMapping& rel, const RecordBase& r);

// JOIN from the relationship's owner table to its target (aliased) (loading.cpp).
void join_relationship(sql::Select& sel, const RelationshipMapping& rel, const std::string& alias, bool outer);
// The SELECT of a query without its select list's eager joins (loading.cpp).
sql::Select base_select(const QuerySpec& q, SessionImpl& s);

// Eager loading (loading.cpp).
void load_selectin(SessionImpl& s, const RelationshipMapping& rel, const std::vector<RecordBase*>& owners);
void set_collection(CollectionBase& c, std::vector<RecordBase*> items);
// What set_collection(c, {item(0), ..., item(n - 1)}) does, without a vector
// in between when nothing waits to be merged in (no change made to the
// collection before it was loaded) and no item can come twice (a
// many-to-many's association rows can repeat one). item(i) must not throw.
template <class ItemAt>
void set_loaded_items(CollectionBase& c, std::size_t n, ItemAt item) {
    if (c.changes_ || (n > 1 && mapping_of(c).kind == RelationshipKind::ManyToMany)) {
        std::vector<RecordBase*> items(n);
        for (std::size_t i = 0; i < n; ++i) items[i] = item(i);
        return set_collection(c, std::move(items));
    }
    ItemList& items = c.items_;
    if (!items.has_block()) {
        // Its first load: the block in the owner's Store (freed with it, as
        // the owner is). A later load reuses the block when the items fit,
        // else takes one from the heap: reloads never pile up blocks in the store.
        if (n) {
            RecordBase** out = items.fill_room(c.owner_->store->item_room(ItemList::room_bytes(n), ItemList::room_align), n);
            for (std::size_t i = 0; i < n; ++i) out[i] = item(i);
        }
    } else {
        items.clear();
        items.reserve(n);
        for (std::size_t i = 0; i < n; ++i) items.push_back(item(i));
    }
    c.loaded_ = true;
}
// A member's value as an integer: without a Value when it is a built-in
// integer type; empty when it is NULL or no integer.
inline std::optional<std::int64_t> integer_value(const ColumnAccessor& member, const void* object) {
    std::int64_t v = 0;
    if (member.integer(object, v)) return v;
    const Value value = member.get(object);
    if (value.is<std::int64_t>()) return value.as<std::int64_t>();
    return std::nullopt;
}
// An owner object's relationship member (through the member's offset: no virtual call).
inline CollectionBase& collection_of(const RelationshipMapping& rel, RecordBase& owner) {
    return static_cast<CollectionBase&>(rel.member_of(owner.object));
}
inline ReferenceBase& reference_of(const RelationshipMapping& rel, RecordBase& owner) {
    return static_cast<ReferenceBase&>(rel.member_of(owner.object));
}

// Marks a reference as set by strata (its foreign key is written at the next
// flush), and its record as one an autoflush must compare (RecordBase::touched).
inline void mark_reference_dirty(ReferenceBase& ref) {
    ref.dirty_ = true;
    if (ref.owner_ && !ref.owner_->touched) touch(*ref.owner_);
}

}  // namespace strata::detail
