// Session: identity map, loading, and the public Session API.
#include <algorithm>
#include <bit>
#include <limits>
#include <new>
#include <utility>

#include "driver/numbered_text.hpp"
#include "orm/orm_internal.hpp"

namespace strata {

namespace detail {

std::shared_ptr<RecordBase> RecordBase::handle() {
    if (!store) return std::shared_ptr<RecordBase>(std::shared_ptr<RecordBase>(), this);  // not yet in a session
    // The live session's reference to its store is at hand: aliasing it costs
    // one atomic increment, self.lock() three.
    if (store->session && store->session->store.get() == store) return std::shared_ptr<RecordBase>(store->session->store, this);
    return std::shared_ptr<RecordBase>(store->self.lock(), this);
}

SessionImpl& live_session(const RecordBase& r, const char* what) {
    if (r.store && r.store->session && r.state != RecordState::Detached) return *r.store->session;
    std::string name = r.mapper ? r.mapper->describe(r) : std::string("the object");
    throw DetachedInstanceError("strata: cannot load " + std::string(what) + " of " + name +
                                ": the object is detached from its session (the session is gone or the object was "
                                "expunged); load it while the session is open, or eager-load it with "
                                "strata::selectin / strata::joined");
}

SessionImpl& session_of(const Store* store) {
    if (!store || !store->session) throw DetachedInstanceError("strata: the session of this query is gone");
    return *store->session;
}

[[noreturn]] void throw_vanished(const RecordBase& r) {
    throw ObjectDeletedError("strata: " + r.mapper->describe(r) + " was deleted: its row in table " + r.mapper->table +
                             " is gone (deleted, or its insert rolled back, by another transaction); the session no "
                             "longer tracks it");
}

void load_expired(RecordBase& r) {
    if (r.state == RecordState::Vanished) throw_vanished(r);
    live_session(r, "the expired columns").reload(r);
}

void touch(RecordBase& r) {
    if (r.mapper && r.store && r.store->session) r.store->session->note_touched(r);
    else r.touched = true;
}

std::string repr_record(const RecordBase* r) {
    if (!r) return "None";
    if (!r->mapper) return "<unmapped object>";
    return r->mapper->describe(*r);
}

// --- SessionImpl -------------------------------------------------------------

// Built only by Session's constructor, and ended by its destructor (through
// detach_all): both inline there, a call fewer each per session.
STRATA_DETAIL_INLINE SessionImpl::SessionImpl(const Database& database, const Registry& reg,
                                              std::shared_ptr<Store> first_store)
    : db(database), registry_ref(reg), registry(Access::impl(reg)), store(std::move(first_store)),
      identity(Access::impl(reg).mappers.size()) {
    registry.finalize();
    store->session = this;
}

// An open transaction is rolled back by the pool as `conn` goes back to it
// (a connection that fails to roll back is closed, not reused). Inline in
// Session's destructor, its one caller: a call fewer per session.
STRATA_DETAIL_INLINE SessionImpl::~SessionImpl() { detach_all(); }

// Persistent and deleted records are detached by the store losing its
// session (live_session() checks both): ending a session that loaded 100,000
// objects does not walk them.
STRATA_DETAIL_INLINE void SessionImpl::detach_all() {
    for (auto* r : pending) r->state = RecordState::Transient;
    pending.clear();
    pending_models = 0;
    // Checked here, inline: a session that never streamed nor wrote (a get
    // per request) makes no call.
    if (extras_) detach_extras();
    store->session = nullptr;
    // From now on handles of its objects share the store through `self`.
    // Only what holds the store can reach them, so the first store (the one
    // in SessionHome, whose `self` is not set up front) gets it only if
    // something besides the session holds it: a get() per request then skips
    // the weak reference's atomic operations. Later stores come from
    // Store::make() with `self` set.
    if (store->self.expired() && store.use_count() > kSessionReferencesToFirstStore) store->self = store;
}

void SessionImpl::detach_extras() {
    SessionExtras& x = *extras_;
    if (!x.streams.empty()) end_streams();
    if (!x.batches.empty()) unlink_stores();
    for (Store* b : x.batches) b->session = nullptr;  // from now on freed with their last handle
    x.batches.clear();
    x.retained.clear();
}

// Out of line: a session makes them once at most.
SessionExtras& SessionImpl::make_extras() {
    extras_ = std::make_unique<SessionExtras>();
    return *extras_;
}

// A session reads in autocommit mode until its first write; the write opens
// the transaction that commit() or rollback() ends, and later reads run in it
// (they see the session's own changes). Each read before it sees the latest
// committed data, as every statement does under PostgreSQL's default READ
// COMMITTED; in exchange a session that only reads holds no lock, so on SQLite
// it neither waits for writers nor makes them wait, and costs no
// BEGIN/ROLLBACK. Session::begin() opens the transaction up front for reads
// that must see one snapshot.
Connection& SessionImpl::read_connection() {
    if (!conn.get()) db.connect_borrowed(conn);  // `db` outlives `conn` (declared before it)
    return *conn;
}

Connection& SessionImpl::connection() {
    Connection& c = read_connection();
    if (!c.in_transaction()) c.begin();
    return c;
}

StatementHandle SessionImpl::prepare(const std::string& sql) { return connection().prepare(sql); }
// The ORM's own SQL: a PostgreSQL query without parameters goes to the server with its first run.
StatementHandle SessionImpl::prepare_read(const std::string& sql) { return read_connection().prepare_generated(sql); }
namespace {

// prepare_read by a numbered text, inline where a get() asks for its SELECT.
STRATA_DETAIL_INLINE StatementHandle read_numbered(SessionImpl& s, const std::string& sql, std::uint64_t text_id) {
    return NumberedText::prepare_generated(s.read_connection(), sql, text_id);
}

}  // namespace

StatementHandle SessionImpl::prepare_read(const std::string& sql, std::uint64_t text_id) { return read_numbered(*this, sql, text_id); }

namespace {

std::string text_key(const Value& v) { return v.is<std::string>() ? v.as<std::string>() : v.to_display(); }

// A composite key as one identity-map text: each part's text after its
// length, so that no two keys give the same text. Empty when a part is NULL.
std::string composite_text(std::span<const Value> key) {
    std::string out;
    for (const Value& part : key) {
        if (part.is_null()) return {};
        const std::string text = text_key(part);
        out += std::to_string(text.size());
        out += ':';
        out += text;
    }
    return out;
}

}  // namespace

RecordBase* SessionImpl::lookup(const Mapper& m, const Value& pk) const {
    const auto& map = identity[m.index];
    if (pk.is_null()) return nullptr;
    if (m.integer_key) {
        if (!pk.is<std::int64_t>()) return nullptr;
        return found(map.by_int.find(pk.as<std::int64_t>()), nullptr);
    }
    return found(map.find_text(text_key(pk)), nullptr);
}

RecordBase* SessionImpl::lookup(const Mapper& m, std::int64_t key) const {
    if (!m.integer_key) return lookup(m, Value(key));
    return found(identity[m.index].by_int.find(key), nullptr);
}

RecordBase* SessionImpl::lookup(const Mapper& m, std::span<const Value> key) const {
    if (!m.composite_key()) return lookup(m, key[0]);
    const std::string text = composite_text(key);
    return text.empty() ? nullptr : found(identity[m.index].find_text(text), nullptr);
}

// A row's object by a key that is not an integer (load_row reads integer keys itself).
RecordBase* SessionImpl::lookup_row(const Mapper& m, const Statement& st, int offset) const {
    const auto& map = identity[m.index];
    if (!m.composite_key())
        return map.find_text(text_key(st.get_value(offset + m.pk, m.pk_column().column->type.kind)));
    std::vector<Value> key;
    for (int i : m.key_columns)
        key.push_back(st.get_value(offset + i, m.columns[static_cast<std::size_t>(i)].column->type.kind));
    return map.find_text(composite_text(key));
}

// The identity-map text of a record whose key is not an integer.
std::string SessionImpl::identity_text(const Mapper& m, const RecordBase& r) {
    return m.composite_key() ? composite_text(m.key_values(r)) : text_key(m.pk_value(r));
}

void SessionImpl::remember(RecordBase* r) {
    const Mapper& m = *r->mapper;
    auto& map = identity[m.index];
    if (m.integer_key) map.by_int.set(m.pk_value(*r).as<std::int64_t>(), r);
    else map.text_slot(identity_text(m, *r)) = r;
}

void SessionImpl::forget(RecordBase* r) {
    const Mapper& m = *r->mapper;
    auto& map = identity[m.index];
    if (m.integer_key) {
        Value pk = m.pk_value(*r);
        if (!pk.is_null()) map.by_int.erase(pk.as<std::int64_t>(), r);
    } else {
        map.erase_text(identity_text(m, *r), r);
    }
}

namespace {

// The column's last saved word, where there is one to reuse (see save_bytes).
std::uint64_t previous_word(const Snapshot& snap, std::size_t i) {
    return snap.valid && !((snap.nulls >> i) & 1) ? snap.at(i) : 0;
}

void keep(Snapshot& snap, std::size_t i, SavedColumn saved) {
    snap.at(i) = saved.word;
    if (saved.null) snap.nulls |= std::uint64_t{1} << i;
}

}  // namespace

// Every column of the row into a held record's object and its saved words,
// through the model's row program (Mapper::loops.reread).
void SessionImpl::populate(RecordBase& r, const Statement& st, int offset) {
    const Mapper& m = *r.mapper;
    Snapshot& snap = r.snapshot;
    if (!snap.has_storage()) snap.attach(r.store->saved_words(m.columns.size()));
    // Each column's last saved word is read before it is overwritten (a
    // text's saved room is reused); a NULL one's word is 0, and words never
    // saved are all 0.
    if (snap.valid) {
        for (std::uint64_t nulls = snap.nulls; nulls; nulls &= nulls - 1)
            snap.at(static_cast<std::size_t>(std::countr_zero(nulls))) = 0;
    } else {
        std::fill_n(&snap.at(0), m.columns.size(), std::uint64_t{0});
    }
    const std::uint64_t nulls = snap.nulls;
    try {
        m.loops.reread(m.row_plan, r, st, offset, *r.store);
    } catch (...) {
        snap.nulls = nulls;  // a failed read leaves the NULL bits as they were
        throw;
    }
    snap.valid = true;
}

void SessionImpl::take_snapshot(RecordBase& r) {
    const Mapper& m = *r.mapper;
    Snapshot& snap = r.snapshot;
    if (!snap.has_storage()) snap.attach(r.store->saved_words(m.columns.size()));
    // The last saved words whose room can be reused (see save_bytes): not a NULL one's.
    const std::uint64_t reusable = snap.valid ? ~snap.nulls : 0;
    snap.nulls = m.loops.save(m.plan.data(), m.columns.size(), r.object, *r.store, &snap.at(0), reusable);
    snap.valid = true;
}

// Exact: a column is changed when its member differs from the saved value.
std::uint64_t SessionImpl::changed_columns(const RecordBase& r) const {
    const Mapper& m = *r.mapper;
    return m.loops.changed(m.plan.data(), m.columns.size(), r.object, r.snapshot.words(), r.snapshot.nulls);
}

RecordBase* SessionImpl::load_row(const Mapper& m, const Statement& st, int offset) {
    const int pk_col = offset + m.pk;
    if (m.integer_key) {  // the common case, without a Value for the key
        const std::int64_t key = st.get_int64(pk_col);
        if (key == 0 && st.is_null(pk_col)) return nullptr;  // no row on this side of an outer join
        return load_row(m, st, offset, key);
    }
    if (st.is_null(pk_col)) return nullptr;
    if (RecordBase* r = lookup_row(m, st, offset)) return reuse_row(*r, st, offset);
    RecordBase* r = new_row(m, st, offset);
    remember(r);
    return r;
}

namespace {

// What new_row does, inline where a get (or a lazy load) builds its object:
// one call fewer a row.
STRATA_DETAIL_INLINE RecordBase* build_row(SessionImpl& s, const Mapper& m, const Statement& st, int offset,
                                           const std::int64_t* key) {
    // Built, read and bound in one call compiled for the model (build_loaded_record).
    return (s.loading_into ? s.loading_into : s.store.get())->create_loaded(m, st, offset, key);
}

// A row of a model with integer keys whose key is known, `map` the
// model's identity map: what load_row does, inline in it and in
// load_keyed_rows's loop.
STRATA_DETAIL_INLINE RecordBase* load_keyed_row(SessionImpl& s, IntKeyMap& map, const Mapper& m, const Statement& st,
                                                int offset, std::int64_t key) {
    IntKeyMap::Slot& slot = map.slot_for(key);
    if (slot.value) return s.reuse_row(*slot.value, st, offset);
    RecordBase* r = build_row(s, m, st, offset, &key);  // builds and reads the object only: the slot stays put
    map.fill(slot, key, r);
    return r;
}

}  // namespace

// A row of a model with integer keys whose key is known (read, or bound).
RecordBase* SessionImpl::load_row(const Mapper& m, const Statement& st, int offset, std::int64_t key) {
    return load_keyed_row(*this, identity[m.index].by_int, m, st, offset, key);
}

// One loop for every row of a collection's load: the identity map looked up
// once (not per row), each row loaded without a call of its own, and the
// order of the keys checked as they come (no second pass over them).
STRATA_DETAIL_HOT_PATH bool SessionImpl::load_keyed_rows(const Mapper& m, Statement& st, std::vector<std::pair<std::int64_t, RecordBase*>>& keyed) {
    IntKeyMap& map = identity[m.index].by_int;  // never moves: the maps live in the session
    bool ascending = true;
    std::int64_t last = std::numeric_limits<std::int64_t>::min();
    while (st.step()) {
        const std::int64_t key = st.get_int64(m.pk);  // read once: for the identity map and the order
        if (key == 0 && st.is_null(m.pk)) continue;    // no row: a NULL key
        ascending &= key >= last;
        last = key;
        keyed.emplace_back(key, load_keyed_row(*this, map, m, st, 0, key));
        map.prefetch_next_run(key);  // after the row's own probe: a growth there would move the slots
    }
    return ascending;
}

// With no object of the model in the session, no row can be one: the
// objects are built first, then entered into the identity map together --
// sized once instead of grown and rehashed, and in key order with the slots
// a few keys ahead already on their way from memory (a lookup per row as it
// arrives waited for a cache miss every few rows). The objects go to the
// store being loaded into (a stream's batch) or the session's.
bool SessionImpl::load_new_rows(const Mapper& m, Statement& st, std::vector<RecordBase*>& out, std::size_t limit,
                                Store* leaving) {
    Store& into = loading_into ? *loading_into : *store;
    const std::size_t first = out.size();
    const std::size_t first_record = into.records().size();
    std::vector<std::int64_t>& keys = extras().new_keys;
    keys.clear();
    bool more = true;
    while (keys.size() < limit && (more = st.step())) {
        const std::int64_t key = st.get_int64(m.pk);
        if (key == 0 && st.is_null(m.pk)) continue;
        // An object of the last batch freed just before a new one takes the
        // same sizes: malloc serves the new text from its per-thread cache
        // (a few blocks per size), not its slower bins, as the whole last
        // batch freed at once made it do.
        if (leaving) leaving->destroy_next();
        // Each is handed out as a Ptr (all(), a stream's loop), which would
        // mark it touched one call at a time.
        new_row(m, st, 0, &key)->touched = true;
        keys.push_back(key);
    }
    if (!keys.empty()) touched_models |= model_bit(m);
    // One record per row, in order, at the end of the store's list: copied
    // once into `out` (not grown row by row).
    const auto fresh = into.records().subspan(first_record);
    out.insert(out.end(), fresh.begin(), fresh.end());
    IntKeyMap& map = identity[m.index].by_int;
    const bool map_was_empty = map.size() == 0;
    map.reserve(map.size() + keys.size());  // room for every key: no growth below
    // Each key hashed once, kAhead keys before it is entered: its home slot
    // prefetched then, and kept here until its turn.
    constexpr std::size_t kAhead = 8;
    std::size_t homes[kAhead] = {};
    for (std::size_t i = 0; i < std::min(kAhead, keys.size()); ++i) homes[i] = map.prefetch_home(keys[i]);
    for (std::size_t i = 0; i < keys.size(); ++i) {
        std::size_t& home = homes[i % kAhead];
        IntKeyMap::Slot& slot = map.reserved_slot_for(keys[i], home);
        if (i + kAhead < keys.size()) home = map.prefetch_home(keys[i + kAhead]);
        RecordBase*& r = out[first + i];
        if (!slot.value) {
            map.fill(slot, keys[i], r);
        } else {  // the key twice (no unique constraint behind it): one object per key, as load_row gives
            r->state = RecordState::Detached;
            r = slot.value;
        }
    }
    // A batch's load into an empty map: the batch may later empty it in one sweep (forget_batch).
    if (map_was_empty && into.serial) map.note_filled_by(into.serial);
    // A stream's batches keep the room; a large all() gives it back.
    constexpr std::size_t kKeptKeys = 1 << 14;
    if (keys.capacity() > kKeptKeys) std::vector<std::int64_t>().swap(keys);
    return more;
}

// A row of an object already in the identity map: its loaded state wins,
// unless it was expired (by rollback).
RecordBase* SessionImpl::reuse_row(RecordBase& r, const Statement& st, int offset) {
    found(&r, loading_into);
    if (r.expired) {
        populate(r, st, offset);
        r.expired = false;
    }
    return &r;
}

RecordBase* SessionImpl::new_row(const Mapper& m, const Statement& st, int offset, const std::int64_t* key) {
    return build_row(*this, m, st, offset, key);
}

std::vector<RecordBase*> SessionImpl::run_select(const Mapper& m, const sql::Compiled& c) {
    auto st = prepare_read(c.sql);
    st->bind_all(c.params);
    note(c.sql);
    std::vector<RecordBase*> out;
    while (st->step())
        if (auto* r = load_row(m, *st, 0)) out.push_back(r);
    return out;
}

RecordBase* SessionImpl::get(const Mapper& m, const Value& pk) {
    if (m.integer_key && pk.is<std::int64_t>()) return get(m, pk.as<std::int64_t>());
    if (m.composite_key())
        throw Error("strata: " + m.class_name + " has a composite primary key: get<" + m.class_name +
                    ">(std::tuple{...}) takes one value per key column");
    if (RecordBase* r = lookup(m, pk)) return r->state == RecordState::Deleted ? nullptr : r;
    if (autoflush_before_reading(m)) {  // the flush may have given a pending object this key
        if (RecordBase* r = lookup(m, pk)) return r;
    }
    const MapperSql& by_key = m.sql(dialect());
    const std::string& sql = by_key.select_by_pk;
    auto st = prepare_read(sql, by_key.select_by_pk_id);
    st->bind(1, pk);
    note(sql);
    if (!st->step()) return nullptr;
    return load_row(m, *st, 0);
}

RecordBase* SessionImpl::get(const Mapper& m, std::int64_t key) {
    if (!m.integer_key) return get(m, Value(key));
    const IntKeyMap& map = identity[m.index].by_int;
    if (RecordBase* r = found(map.find(key), nullptr)) return r->state == RecordState::Deleted ? nullptr : r;
    if (autoflush_before_reading(m)) {  // the flush may have given a pending object this key
        if (RecordBase* r = found(map.find(key), nullptr)) return r;
    }
    const MapperSql& by_key = m.sql(dialect());
    const std::string& sql = by_key.select_by_pk;
    auto st = read_numbered(*this, sql, by_key.select_by_pk_id);
    st->bind_int64(1, key);
    note(sql);
    if (!st->step()) return nullptr;
    return load_row(m, *st, 0, key);  // the row's key is the one bound: not read back
}

// By a composite key (or a one-column one given as a list of one).
RecordBase* SessionImpl::get(const Mapper& m, std::span<const Value> key) {
    if (key.size() != m.key_columns.size())
        throw Error("strata: the primary key of " + m.class_name + " has " + std::to_string(m.key_columns.size()) +
                    " column(s), not " + std::to_string(key.size()));
    if (!m.composite_key()) return get(m, key[0]);
    if (std::any_of(key.begin(), key.end(), [](const Value& v) { return v.is_null(); })) return nullptr;
    if (RecordBase* r = lookup(m, key)) return r->state == RecordState::Deleted ? nullptr : r;
    if (autoflush_before_reading(m)) {  // the flush may have given a pending object this key
        if (RecordBase* r = lookup(m, key)) return r;
    }
    const MapperSql& by_key = m.sql(dialect());
    const std::string& sql = by_key.select_by_pk;
    auto st = prepare_read(sql, by_key.select_by_pk_id);
    for (std::size_t i = 0; i < key.size(); ++i) st->bind(static_cast<int>(i) + 1, key[i]);
    note(sql);
    if (!st->step()) return nullptr;
    return load_row(m, *st, 0);
}

void SessionImpl::refresh(RecordBase& r) {
    const Mapper& m = *r.mapper;
    if (r.state == RecordState::Vanished) throw_vanished(r);
    if (r.state == RecordState::Pending || r.state == RecordState::Transient)
        throw Error("strata: cannot refresh " + m.describe(r) + ": it has no row yet");
    const MapperSql& by_key = m.sql(dialect());
    const std::string& sql = by_key.select_by_pk;
    auto st = prepare_read(sql, by_key.select_by_pk_id);
    // Bound as copies: the row read next overwrites the members.
    if (!m.composite_key()) {
        st->bind(1, m.pk_value(r));
    } else {
        const std::vector<Value> key = m.key_values(r);
        for (std::size_t i = 0; i < key.size(); ++i) st->bind(static_cast<int>(i) + 1, key[i]);
    }
    note(sql);
    if (!st->step()) vanish(r);
    populate(r, *st, 0);
    r.expired = false;
    r.rolled_back = false;
    reset_relationships(r);
}

// Members that differ from the saved values of an object expired by commit
// were written meanwhile (through a reference taken before): they are the
// program's changes, kept over the reloaded row and compared with it.
void SessionImpl::reload(RecordBase& r) {
    const Mapper& m = *r.mapper;
    std::vector<std::pair<std::size_t, Value>> written;
    if (!r.rolled_back && r.snapshot.valid) {
        for (std::uint64_t mask = changed_columns(r); mask; mask &= mask - 1) {
            const auto i = static_cast<std::size_t>(std::countr_zero(mask));
            written.emplace_back(i, m.columns[i].access->get(r.object));
        }
    }
    refresh(r);
    for (auto& [i, value] : written) m.columns[i].access->set(r.object, value);
}

// The row is gone: the object leaves the identity map (a new row may take
// its key) and raises ObjectDeletedError on every access from now on.
void SessionImpl::vanish(RecordBase& r) {
    forget(&r);
    if (extras_) std::erase(extras_->to_delete, &r);
    r.state = RecordState::Vanished;
    r.expired = true;
    r.snapshot.valid = false;
    throw_vanished(r);
}

// --- unit of work: tracking -----------------------------------------------------

RecordBase* SessionImpl::attach_new(std::unique_ptr<RecordBase> fresh) {
    const Mapper& m = registry.mapper_for(fresh->type());
    fresh->mapper = &m;
    RecordBase* r = store->adopt(std::move(fresh));
    attach_pending(r);
    bind_new_relationships(*r);
    return r;
}

// A new object Session::add built in the store's memory (Store::record_room):
// destroyed here if it cannot join (a type no model maps).
RecordBase* SessionImpl::attach_built(RecordBase* built) {
    try {
        const std::type_info& type = built->type();
        if (&type != last_added_type) {
            last_added_mapper = &registry.mapper_for(type);
            last_added_type = &type;
        }
        built->mapper = last_added_mapper;
        store->adopt_built(built);
    } catch (...) {
        built->~RecordBase();
        throw;
    }
    attach_pending(built);
    bind_new_relationships(*built);
    // Touched (see touch()) here, where the session and model are at hand:
    // Session::add makes a Ptr to it.
    note_touched(*built);
    return built;
}

namespace {

void check_same_store(const RecordBase& owner, const RecordBase& item) {
    if (!same_session(owner, item))
        throw Error("strata: " + repr_record(&item) + " belongs to another session than " + repr_record(&owner));
}

}  // namespace

// A new object's reference assigned before it joined the session: assigned
// again now that it has an owner (the target joins too, by cascade).
void SessionImpl::adopt_unbound_target(ReferenceBase& ref) {
    auto target = std::move(ref.unbound_target_);
    ref.target_ = nullptr;
    ref.assign(target);
}

// Objects put in a new object's collection before it joined: adopted now.
void SessionImpl::adopt_unbound_items(RecordBase& r, CollectionBase& coll) {
    ItemList items = std::move(coll.items_);
    if (coll.changes_) {
        auto fresh = std::move(coll.changes_->unbound_new);
        coll.changes_->unbound_new.clear();
        for (auto& f : fresh) attach_new(std::move(f));
        for (auto& kept : coll.changes_->unbound_kept) check_same_store(r, *kept);
        coll.changes_->unbound_kept.clear();
    }
    for (auto* item : items) coll.append(item);
}

// The objects that reference `owner` in the database now (after the
// autoflush the load makes), and those not yet inserted: a collection loaded
// earlier may be stale (another transaction moved, added or deleted rows).
std::vector<RecordBase*> SessionImpl::children_now(const RelationshipMapping& rel, RecordBase& owner) {
    auto& coll = collection_of(rel, owner);
    std::vector<RecordBase*> unsaved;
    if (owner.state == RecordState::Persistent && coll.loaded_) {
        for (auto* item : coll.items_)
            if (item->state == RecordState::Pending) unsaved.push_back(item);
        coll.loaded_ = false;
    }
    coll.ensure_loaded();
    for (auto* item : unsaved)
        if (item->state == RecordState::Pending && std::find(coll.items_.begin(), coll.items_.end(), item) == coll.items_.end())
            coll.items_.push_back(item);
    return {coll.items_.begin(), coll.items_.end()};
}

void SessionImpl::mark_deleted(RecordBase* r) {
    if (r->state == RecordState::Deleted) return;
    if (r->state == RecordState::Transient || r->state == RecordState::Detached)
        throw Error("strata: cannot remove " + r->mapper->describe(*r) + ": it is not in this session");
    SessionExtras& x = extras();
    std::vector<RecordBase*>& deleting = x.deleting;
    if (std::find(deleting.begin(), deleting.end(), r) != deleting.end()) return;  // a cascade cycle
    deleting.push_back(r);
    struct Done {
        std::vector<RecordBase*>& list;
        ~Done() { list.pop_back(); }
    } done{deleting};
    // Children first: loading them may autoflush, which must not yet delete r.
    for (auto& rel : r->mapper->relationships) {
        if (rel->kind == RelationshipKind::OneToMany) {
            for (auto* child : children_now(*rel, *r)) {
                if (rel->cascade.delete_) {
                    mark_deleted(child);
                } else if (child->state != RecordState::Deleted) {  // orphaned: its key is NULLed
                    auto& back = reference_of(*rel->backref, *child);
                    back.target_ = nullptr;
                    back.loaded_ = true;
                    mark_reference_dirty(back);
                }
            }
        } else if (rel->kind == RelationshipKind::ManyToOne && rel->backref) {
            if (RecordBase* parent = current_target(reference_of(*rel, *r)))
                remove_in_memory(collection_of(*rel->backref, *parent), r);
        } else if (rel->kind == RelationshipKind::ManyToMany) {
            auto& coll = collection_of(*rel, *r);
            coll.ensure_loaded();
            auto items = coll.items_;
            for (auto* item : items) {  // its association rows go at flush; the other sides forget it now
                if (rel->backref) remove_in_memory(collection_of(*rel->backref, *item), r);
                if (rel->cascade.delete_) mark_deleted(item);
            }
        }
    }
    if (r->state == RecordState::Pending) {
        pending.erase(std::remove(pending.begin(), pending.end(), r), pending.end());
        r->state = RecordState::Transient;
    } else if (r->state == RecordState::Persistent) {
        r->state = RecordState::Deleted;
        x.to_delete.push_back(r);
    }
}

// As SQLAlchemy: a deleted object cannot come back (its key may already
// name a new row); make a new object with its values instead.
void SessionImpl::refuse_deleted(const RecordBase& r) const {
    const std::string what = "strata: cannot add " + repr_record(&r) + " back to the session: ";
    const auto& to_delete = extras_or_none().to_delete;
    if (std::find(to_delete.begin(), to_delete.end(), &r) != to_delete.end())
        throw Error(what + "it was removed (s.remove) and is deleted at the next flush");
    if (r.deleted_in_transaction)
        throw Error(what + "its row was deleted in the open transaction (rollback() brings it back)");
    throw Error(what + "its row was deleted and the deletion committed; add a new object with its values instead");
}

void SessionImpl::expunge(RecordBase* r) {
    if (r->state == RecordState::Persistent || r->state == RecordState::Deleted) forget(r);
    pending.erase(std::remove(pending.begin(), pending.end(), r), pending.end());
    if (extras_) std::erase(extras_->to_delete, r);
    r->state = RecordState::Detached;
}

namespace {

// One relationship member of an expired or refreshed object: unloaded, what
// it held forgotten (the next access loads it). Inline in the loop over an
// object's relationships: a commit runs it for every member of every object.
inline void unload(RelationshipBase& base, bool reference) {
    base.loaded_ = false;
    if (reference) {
        auto& ref = static_cast<ReferenceBase&>(base);
        ref.target_ = nullptr;
        ref.dirty_ = false;
    } else {
        auto& coll = static_cast<CollectionBase&>(base);
        coll.items_.clear();
        if (coll.changes_) {
            coll.changes_->pending_adds.clear();
            coll.changes_->pending_removes.clear();
            coll.changes_->link_added.clear();
            coll.changes_->link_removed.clear();
        }
    }
}

}  // namespace

// Through the model's slots (Mapper::relationship_slots): no lookup of each
// member through its mapping, for every object a commit expires.
void SessionImpl::reset_relationships(RecordBase& r) {
    for (const RelationshipSlot& slot : r.mapper->relationship_slots) unload(relationship_at(r.object, slot), slot.reference);
}

void SessionImpl::reset_relationship(RecordBase& r, const RelationshipMapping& rel) {
    unload(rel.member_of(r.object), rel.kind == RelationshipKind::ManyToOne);
}

void SessionImpl::unload_everywhere(const RelationshipMapping& rel) {
    for_each_record([&](RecordBase* r) {
        if (r->mapper == rel.owner && r->state == RecordState::Persistent) reset_relationship(*r, rel);
    });
}

void SessionImpl::assign_saved(RecordBase& r, std::size_t column, const Value& v) {
    const ColumnAccessor& access = *r.mapper->columns[column].access;
    access.set(r.object, v);
    Snapshot& snap = r.snapshot;
    const SavedColumn saved = access.save(r.object, *r.store, previous_word(snap, column));
    snap.nulls &= ~(std::uint64_t{1} << column);
    keep(snap, column, saved);
}

// As a flushed remove(): out of the identity map, deleted; rollback() brings it back.
void SessionImpl::deleted_by_statement(RecordBase& r) {
    forget(&r);
    r.state = RecordState::Deleted;
    r.deleted_in_transaction = true;
    extras().deleted_in_transaction.push_back(&r);
}

void SessionImpl::note_link_change(CollectionBase& c) {
    auto& link_changes = extras().link_changes;
    if (std::find(link_changes.begin(), link_changes.end(), &c) == link_changes.end()) link_changes.push_back(&c);
}

// --- transactions ------------------------------------------------------------

void SessionImpl::end_transaction() {
    if (extras_) {
        for (auto* r : extras_->deleted_in_transaction) r->deleted_in_transaction = false;
        extras_->inserted_in_transaction.clear();
        extras_->deleted_in_transaction.clear();
    }
    // Back to the pool (an open stream still reads on it).
    if (extras_or_none().streams.empty()) conn = PooledConnection();
}

void SessionImpl::commit() {
    flush();
    if (conn.get() && conn->in_transaction()) conn->commit();
    end_transaction();
    if (expire_on_commit) expire_all(false);
    release_retained();  // objects deleted in the transaction no longer keep their batch
}

void SessionImpl::expire_all(bool rolled_back) {
    for_each_record_ahead([&](RecordBase* r) {
        if (r->state != RecordState::Persistent) return;
        if (rolled_back) r->rolled_back = true;
        expire(*r);
    });
}

void SessionImpl::expire(RecordBase& r) {
    r.expired = true;
    reset_relationships(r);
}

void SessionImpl::rollback() {
    if (conn.get() && conn->in_transaction()) conn->rollback();
    for (auto* r : pending) r->state = RecordState::Transient;
    pending.clear();
    pending_models = 0;
    if (extras_) {
        SessionExtras& x = *extras_;
        for (auto* r : x.inserted_in_transaction) {
            if (r->state == RecordState::Detached) continue;
            forget(r);
            r->state = RecordState::Transient;
            r->snapshot.valid = false;
            if (r->key_from_database) r->mapper->pk_column().access->set(r->object, Value());
            r->key_from_database = false;
        }
        for (auto* r : x.deleted_in_transaction) {
            r->state = RecordState::Persistent;
            remember(r);
        }
        for (auto* r : x.to_delete) r->state = RecordState::Persistent;
        x.to_delete.clear();
        x.link_changes.clear();
    }
    expire_all(true);
    end_transaction();
    release_retained();
}

}  // namespace detail

// --- Session -------------------------------------------------------------------

using detail::RecordBase;
using detail::RecordState;

namespace {

// The memory of the last session that ended on this thread (with its
// store), kept for the thread's next session: a session per request then
// skips malloc and free for its kilobyte. Trivially destructible, so that it
// stays usable until the thread's very end; SpareSessionRelease frees the
// block when the thread ends and closes it to later arrivals.
struct SpareSession {
    void* block;
    bool closed;
};
thread_local SpareSession spare_session{nullptr, false};

struct SpareSessionRelease {
    ~SpareSessionRelease() {
        ::operator delete(std::exchange(spare_session.block, nullptr));
        spare_session.closed = true;
    }
};
thread_local SpareSessionRelease spare_session_release;

// allocate_shared's allocator for SessionHome (all its blocks have one size).
template <class T>
struct SessionAllocator {
    using value_type = T;
    static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__, "strata: SessionHome must not be over-aligned");

    SessionAllocator() = default;
    template <class U>
    SessionAllocator(const SessionAllocator<U>&) noexcept {}

    T* allocate(std::size_t n) {
        if (n == 1 && spare_session.block) return static_cast<T*>(std::exchange(spare_session.block, nullptr));
        return static_cast<T*>(::operator new(n * sizeof(T)));
    }
    void deallocate(T* p, std::size_t n) noexcept {
        if (n == 1 && !spare_session.block && !spare_session.closed) {
            (void)&spare_session_release;  // first use on this thread: frees the block at thread end
            spare_session.block = p;
            return;
        }
        ::operator delete(p);
    }
    friend bool operator==(const SessionAllocator&, const SessionAllocator&) { return true; }
};

}  // namespace

Session::Session(const Database& db, SessionOptions options) : Session(db, Registry::current(), options) {}
Session::Session(const Database& db, const Registry& registry, SessionOptions options)
    : home_(std::allocate_shared<detail::SessionHome>(SessionAllocator<detail::SessionHome>{})) {
    std::shared_ptr<detail::Store> store(home_, &home_->store);  // `self` is set when the session lets go (detach_all)
    impl_ = new (home_->session) detail::SessionImpl(db, registry, std::move(store));
    impl_->autoflush = options.autoflush;
    impl_->expire_on_commit = options.expire_on_commit;
}
Session::~Session() {
    if (impl_) impl_->~SessionImpl();  // its memory goes with home_, when no handle holds the store
}
Session::Session(Session&& other) noexcept : home_(std::move(other.home_)), impl_(std::exchange(other.impl_, nullptr)) {}
Session& Session::operator=(Session&& other) noexcept {
    if (this != &other) {
        if (impl_) impl_->~SessionImpl();
        home_ = std::move(other.home_);
        impl_ = std::exchange(other.impl_, nullptr);
    }
    return *this;
}

void* Session::record_room(std::size_t size, std::size_t align) { return impl_->store->record_room(size, align); }

// The handle aliases the session's reference to the store the record joined
// (RecordBase::handle's common case, without its checks).
std::shared_ptr<RecordBase> Session::add_built(detail::RecordBase* record) {
    RecordBase* added = impl_->attach_built(record);
    return std::shared_ptr<RecordBase>(impl_->store, added);
}

void Session::add_existing(RecordBase* r) {
    if (!r) detail::throw_null_handle(typeid(void));
    if (!impl_->owns(*r)) detail::throw_not_in_session(*r);
    if (r->state == RecordState::Deleted) impl_->refuse_deleted(*r);
    if (r->state == RecordState::Vanished) detail::throw_vanished(*r);
    if (r->state == RecordState::Transient) {
        impl_->attach_pending(r);
    } else if (r->state == RecordState::Detached) {
        if (r->snapshot.valid) {
            r->state = RecordState::Persistent;
            impl_->remember(r);
        } else {
            impl_->attach_pending(r);
        }
    }
}

RecordBase* Session::get_record(const std::type_info& type, const Value& pk) {
    return impl_->get(impl_->registry.mapper_for(type), pk);
}
// What handle_of and Ptr's touch() do for the object found, with the
// session at hand: it is marked touched here (as touch() would, the Ptr then
// makes no call), and an object of the session's first store shares the
// session's reference to it (RecordBase::handle's common case, without its checks).
std::shared_ptr<RecordBase> Session::get_handle(const std::type_info& type, std::int64_t pk) {
    RecordBase* r = impl_->get(impl_->registry.mapper_for(type), pk);
    if (!r) return nullptr;
    if (!r->touched) impl_->note_touched(*r);
    if (r->store == impl_->store.get()) return std::shared_ptr<RecordBase>(impl_->store, r);
    return r->handle();
}
RecordBase* Session::get_record(const std::type_info& type, std::span<const Value> key) {
    return impl_->get(impl_->registry.mapper_for(type), key);
}

void Session::remove_record(RecordBase* r) {
    if (!r) detail::throw_null_handle(typeid(void));
    if (!impl_->owns(*r)) detail::throw_not_in_session(*r);
    impl_->mark_deleted(r);
}

void Session::expunge_record(RecordBase* r) {
    if (!r) detail::throw_null_handle(typeid(void));
    if (!impl_->owns(*r)) return;
    impl_->expunge(r);
}

void Session::refresh_record(RecordBase* r) {
    if (!r) detail::throw_null_handle(typeid(void));
    detail::live_session(*r, "the columns").refresh(*r);
}

detail::QuerySpec Session::query_spec(const std::type_info& type) {
    detail::QuerySpec spec;
    spec.store = impl_->store;
    spec.mapper = &impl_->registry.mapper_for(type);
    return spec;
}

StatementHandle Session::raw_statement(std::string_view sql, const std::vector<Value>& params) {
    impl_->autoflush_now();
    std::string text = sql::rewrite_placeholders(impl_->dialect(), sql);
    auto st = impl_->read_connection().prepare(text);  // the caller's SQL: checked now
    if (!st->is_read_only()) impl_->connection();  // a write opens the session's transaction
    st->bind_all(params);
    impl_->note(text);
    return st;
}

std::vector<RecordBase*> Session::raw_records(const std::type_info& type, std::string_view sql,
                                              const std::vector<Value>& params) {
    const auto& m = impl_->registry.mapper_for(type);
    auto st = raw_statement(sql, params);
    std::vector<RecordBase*> out;
    bool checked = false;
    while (st->step()) {
        if (!checked) {  // the row must have the model's columns, in order
            bool same = st->column_count() == static_cast<int>(m.columns.size());
            for (int i = 0; same && i < st->column_count(); ++i) same = st->column_name(i) == m.columns[static_cast<std::size_t>(i)].name;
            if (!same) {
                std::string expected;
                for (auto& c : m.columns) expected += (expected.empty() ? "" : ", ") + c.name;
                throw Error("strata: raw SQL for " + m.class_name + " must select its columns in order (" + expected +
                            "): " + st->sql());
            }
            checked = true;
        }
        if (auto* r = impl_->load_row(m, *st, 0)) {
            impl_->note_touched(*r);  // handed out as a Ptr (to_ptrs)
            out.push_back(r);
        }
    }
    return out;
}

const std::shared_ptr<detail::Store>& Session::store() const { return impl_->store; }
// No lock yet: the first flush takes the write lock (see Connection::begin_deferred).
void Session::begin(Isolation isolation) {
    Connection& c = impl_->read_connection();
    if (!c.in_transaction()) c.begin_deferred(isolation);
}
void Session::flush() { impl_->flush(); }
void Session::commit() { impl_->commit(); }
void Session::rollback() { impl_->rollback(); }
void Session::close() {
    impl_->end_streams();  // first: their statement must not keep the connection from the pool
    impl_->rollback();
    impl_->detach_all();  // ends the streams and lets go of their batches
    // The first store lives in home_ with the session: if nothing but the
    // session holds it (no handle, no query), its objects go now.
    if (impl_->store.get() == &home_->store && impl_->store.use_count() == detail::kSessionReferencesToFirstStore)
        impl_->store->clear();
    impl_->store = detail::Store::make();
    impl_->store->session = impl_;
    impl_->identity.clear();
}
void Session::set_autoflush(bool on) { impl_->autoflush = on; }
void Session::on_statement(std::function<void(const std::string&)> observer) { impl_->observer = std::move(observer); }
Connection& Session::connection() { return impl_->connection(); }
const Registry& Session::registry() const { return impl_->registry_ref; }

Session Database::session() const { return Session(*this); }
Session Database::session(const SessionOptions& options) const { return Session(*this, options); }

std::size_t release_session_memory() { return detail::release_cached_blocks(); }

}  // namespace strata
