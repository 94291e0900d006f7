// flush(): the unit of work written in foreign-key order inside a savepoint.
//
// Order: INSERTs (parent tables first), UPDATEs of changed columns, rows of
// association tables, DELETEs (child tables first). A failure rolls back to
// the savepoint and leaves every object as it was before the flush, so the
// session stays usable (fix the object and flush again, or rollback()).
// A flush that opens the transaction itself needs no savepoint: rolling the
// transaction back undoes exactly what the flush wrote.
#include <algorithm>
#include <bit>
#include <optional>
#include <tuple>
#include <unordered_set>

#include "orm/orm_internal.hpp"

namespace strata::detail {

namespace {

constexpr const char* kSavepoint = "strata_flush";

struct FlushGuard {
    bool& flag;
    explicit FlushGuard(bool& f) : flag(f) { flag = true; }
    ~FlushGuard() { flag = false; }
};

// Whether a many-to-one reference of r was assigned since the last flush
// (its foreign key is then set from the target at the flush).
bool has_dirty_references(RecordBase& r) {
    if (!r.mapper->has_references) return false;
    for (auto& rel : r.mapper->relationships)
        if (rel->kind == RelationshipKind::ManyToOne && reference_of(*rel, r).dirty_) return true;
    return false;
}

bool references_pending(RecordBase& r) {
    for (auto& rel : r.mapper->relationships) {
        if (rel->kind != RelationshipKind::ManyToOne) continue;
        auto& ref = reference_of(*rel, r);
        if (ref.dirty_ && ref.target_ && ref.target_->state == RecordState::Pending) return true;
    }
    return false;
}

void clear_dirty_references(RecordBase& r) {
    for (const Mapper::ReferenceSync& sync : r.mapper->reference_syncs)
        std::launder(reinterpret_cast<ReferenceBase*>(static_cast<std::byte*>(r.object) + sync.offset))->dirty_ = false;
}

void apply_client_defaults(RecordBase& r) {
    if (!r.mapper->client_defaults) return;
    for (auto& c : r.mapper->columns) {
        if (!c.optional || !c.access->is_unset(r.object)) continue;
        if (c.column->default_function) c.access->set(r.object, c.column->default_function());
        else if (c.column->default_value) c.access->set(r.object, *c.column->default_value);
    }
}

// The members onupdate set during a flush, with what they held before: put
// back unless the flush succeeds, so that a failed flush leaves every object
// as it was (and the next one evaluates onupdate again).
class OnupdateUndo {
public:
    OnupdateUndo() = default;
    OnupdateUndo(const OnupdateUndo&) = delete;
    OnupdateUndo& operator=(const OnupdateUndo&) = delete;
    ~OnupdateUndo() {
        for (auto& [r, access, old] : saved_) access->set(r->object, old);
    }
    void remember(RecordBase& r, const ColumnAccessor& access) { saved_.emplace_back(&r, &access, access.get(r.object)); }
    void keep() { saved_.clear(); }

private:
    std::vector<std::tuple<RecordBase*, const ColumnAccessor*, Value>> saved_;
};

// The row is being UPDATEd (`changed` columns): its onupdate columns that the
// program did not set itself get their value, and are written too.
std::uint64_t with_onupdate(RecordBase& r, std::uint64_t changed, OnupdateUndo& undo) {
    const Mapper& m = *r.mapper;
    for (std::uint64_t todo = m.onupdate_columns & ~changed; todo; todo &= todo - 1) {
        const ColumnMapping& c = m.columns[static_cast<std::size_t>(std::countr_zero(todo))];
        undo.remember(r, *c.access);
        c.access->set(r.object, c.column->onupdate_function ? c.column->onupdate_function() : *c.column->onupdate_value);
    }
    return changed | m.onupdate_columns;
}

// Column i of r as parameter `index`. A value the driver refuses before
// sending it (a date outside the backend's range, text over its size limit)
// gets the column's name: the driver only knows the parameter's number.
ProgrammingError column_error(const Mapper& m, std::size_t i, const ProgrammingError& e) {
    return ProgrammingError("column " + m.table + "." + m.columns[i].name + ": " + e.backend_message(), e.statement(),
                            e.code());
}

void bind_column(const Mapper& m, std::size_t i, const RecordBase& r, ValueSink& sink, int index) {
    try {
        m.columns[i].access->bind(r.object, sink, index);
    } catch (const ProgrammingError& e) {
        throw column_error(m, i, e);
    }
}

// The columns an INSERT of r writes (Mapper::inserts), as parameters
// `first`, `first` + 1, ...; returns the next parameter. One handler for
// the row rather than a call with its own per column: a flush binds every
// column of every new row.
// With `saved`, the columns' saved values are taken as they are bound (see
// bind_planned_columns).
// `columns` is m.insert_columns(with_key), computed by the caller once for its rows.
int bind_insert_columns(const Mapper& m, std::uint64_t columns, const RecordBase& r, ValueSink& sink, int first = 1,
                        SavedWords* saved = nullptr) {
    std::size_t i = 0;
    try {
        return m.loops.bind(m.plan.data(), columns, r.object, sink, first, i, saved);
    } catch (const ProgrammingError& e) {
        throw column_error(m, i, e);
    }
}

}  // namespace

namespace {

// The foreign key columns of r's relationship `rel` set from `target`'s key
// (NULL without a target), column by column.
void set_foreign_key(RecordBase& r, const RelationshipMapping& rel, const RecordBase* target) {
    const Mapper& m = *r.mapper;
    for (std::size_t i = 0; i < rel.fk_columns.size(); ++i) {
        const auto fk = static_cast<std::size_t>(rel.fk_columns[i]);
        const ColumnAccessor& member = *m.columns[fk].access;
        if (!target) {
            member.set(r.object, Value());
            continue;
        }
        const Mapper& tm = *target->mapper;
        const ColumnAccessor& parent_key = *tm.columns[static_cast<std::size_t>(tm.key_columns[i])].access;
        // An integer key into an integer member: no Value.
        if (std::int64_t key; integer_kind(m.plan[fk].kind) && parent_key.integer(target->object, key)) {
            std::uint64_t unsaved = 0;
            (void)member.assign_integer(r.object, key, *r.store, unsaved);
        } else {
            member.set(r.object, parent_key.get(target->object));
        }
    }
}

}  // namespace

// Through the model's many-to-one relationships only (Mapper::reference_syncs);
// the usual one, an integer foreign key to an integer key, without a lookup
// of its columns: a flush runs this for every new row that has a reference.
void SessionImpl::sync_foreign_keys(RecordBase& r) {
    for (const Mapper::ReferenceSync& sync : r.mapper->reference_syncs) {
        const auto& ref = *std::launder(reinterpret_cast<const ReferenceBase*>(static_cast<std::byte*>(r.object) + sync.offset));
        if (!ref.dirty_) continue;
        const RecordBase* target = ref.target_;
        const RelationshipMapping& rel = *sync.relationship;
        if (std::int64_t key; target && rel.integer_fk && rel.target_key->integer(target->object, key)) {
            std::uint64_t unsaved = 0;
            (void)rel.integer_fk->assign_integer(r.object, key, *r.store, unsaved);
            continue;
        }
        set_foreign_key(r, rel, target);
    }
}

namespace {

// Rows per multi-row INSERT. The server takes up to 65535 parameters, but
// libpq before 16 refuses a statement description longer than 30000 bytes
// (4 bytes per parameter: "lost synchronization with server" past ~7490),
// so a wide model gets fewer rows per statement.
constexpr std::size_t kMaxBatchRows = 1000;
constexpr std::size_t kMaxBatchParameters = 7000;
// From this many new rows of one table on, PostgreSQL gets them by COPY:
// two round trips (keys, rows) however many rows.
constexpr std::size_t kCopyMinRows = 1000;

// INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4), ... [RETURNING key]
std::string multi_row_insert(const Dialect& d, const Mapper& m, bool with_key, std::size_t rows) {
    std::vector<std::string> columns;
    for (std::size_t i = 0; i < m.columns.size(); ++i)
        if (m.inserts(i, with_key)) columns.push_back(m.columns[i].name);
    const std::size_t per_row = columns.size();
    std::string sql = "INSERT INTO " + d.quote(m.table) + " (" + d.quoted_list(columns) + ") VALUES ";
    int placeholder = 1;
    for (std::size_t r = 0; r < rows; ++r) {
        sql += r ? ", (" : "(";
        for (std::size_t c = 0; c < per_row; ++c) sql += (c ? ", " : "") + d.placeholder(placeholder++);
        sql += ")";
    }
    if (!with_key) sql += " RETURNING " + d.quote(m.pk_column().name);
    return sql;
}

bool references_own_table(const Mapper& m) {
    for (auto& rel : m.relationships)
        if (rel->kind == RelationshipKind::ManyToOne && rel->target == &m) return true;
    return false;
}

// True if r points (through a reference assigned in this session) at a row of `unsent`.
bool references_any(RecordBase& r, const std::unordered_set<const RecordBase*>& unsent) {
    for (auto& rel : r.mapper->relationships) {
        if (rel->kind != RelationshipKind::ManyToOne) continue;
        auto& ref = reference_of(*rel, r);
        if (ref.dirty_ && ref.target_ && unsent.count(ref.target_)) return true;
    }
    return false;
}

}  // namespace

// Where each INSERT is a round trip (PostgreSQL), new rows of one table go
// in multi-row INSERTs. A row that references a row of its own table not yet
// sent (a self-reference) ends the batch, so the parent's key is known first.
void SessionImpl::insert_batched(std::vector<RecordBase*>& records, const Mapper& m) {
    const bool self_referencing = references_own_table(m);
    const std::size_t per_batch = std::min(kMaxBatchRows, kMaxBatchParameters / std::max<std::size_t>(1, m.columns.size()));
    std::vector<RecordBase*> batch;
    std::unordered_set<const RecordBase*> unsent;
    bool batch_assigns_keys = false;
    auto send = [&] {
        if (batch.empty()) return;
        insert_rows(batch, m, batch_assigns_keys);
        batch.clear();
        unsent.clear();
    };
    for (RecordBase* r : records) {
        if (self_referencing && references_any(*r, unsent)) send();
        // The model's checks made here: no call per row for a model without references or client defaults.
        if (m.has_references) sync_foreign_keys(*r);
        if (m.client_defaults) apply_client_defaults(*r);
        const bool assign_key = m.pk_autoincrement && m.pk_column().access->is_unset(r->object);
        if (!batch.empty() && assign_key != batch_assigns_keys) send();
        batch_assigns_keys = assign_key;
        batch.push_back(r);
        if (self_referencing) unsent.insert(r);
        if (batch.size() == per_batch) send();
    }
    send();
}

// One multi-row INSERT. New keys come back from RETURNING; a sequence (or
// IDENTITY) hands them out in the order the VALUES rows are inserted, so
// sorted, they belong to the rows in order (SQLAlchemy's "insertmanyvalues"
// relies on the same).
void SessionImpl::insert_rows(const std::vector<RecordBase*>& batch, const Mapper& m, bool assign_keys) {
    const std::string sql = multi_row_insert(dialect(), m, !assign_keys, batch.size());
    auto st = prepare(sql);
    int index = 1;
    const std::uint64_t columns = m.insert_columns(!assign_keys);
    for (RecordBase* r : batch) index = bind_insert_columns(m, columns, *r, *st, index);
    note(sql);
    if (!assign_keys) {
        st->execute();
    } else {
        std::vector<std::int64_t> keys;
        keys.reserve(batch.size());
        while (st->step()) keys.push_back(st->get_int64(0));
        if (keys.size() != batch.size())
            throw Error("strata: INSERT ... RETURNING into " + m.table + " gave " + std::to_string(keys.size()) +
                        " keys for " + std::to_string(batch.size()) + " rows");
        std::sort(keys.begin(), keys.end());
        for (std::size_t i = 0; i < batch.size(); ++i) {
            m.pk_column().access->set(batch[i]->object, Value(keys[i]));
            batch[i]->key_from_database = true;
        }
    }
    remember_all(batch, m);
}

// A row just written: its saved values taken now, while the object is at
// hand (a pass over 100,000 new objects after the INSERTs was a walk through
// memory), unless the database computes some of its columns (taken once
// they are read back). If the flush fails later, they are dropped again
// (flush()). From now on persistent: children's keys can point at it.
void SessionImpl::written(RecordBase& r) {
    if (!r.mapper->computed_columns) take_snapshot(r);
    r.state = RecordState::Persistent;
}

namespace {

// The model's text columns (std::string members, optional or not), as
// bits: what prefetch_text reads of a row about to be bound.
std::uint64_t text_columns(const Mapper& m) {
    std::uint64_t text = 0;
    for (std::size_t i = 0; i < m.plan.size(); ++i)
        if (m.plan[i].kind == ColumnKind::Text || m.plan[i].kind == ColumnKind::OptionalText) text |= std::uint64_t{1} << i;
    return text;
}

// Where a new row's saved values go as its INSERT is bound: its record's
// words, which a pending record has not saved into (none to reuse).
SavedWords saved_words_of(RecordBase& r) {
    Snapshot& snap = r.snapshot;
    if (!snap.has_storage()) snap.attach(r.store->saved_words(r.mapper->columns.size()));
    return SavedWords{*r.store, &snap.at(0)};
}

}  // namespace

// New rows of one model into the identity map, its table grown once.
void SessionImpl::remember_all(const std::vector<RecordBase*>& records, const Mapper& m) {
    if (m.integer_key) identity[m.index].by_int.reserve(identity[m.index].by_int.size() + records.size());
    for (RecordBase* r : records) {
        remember(r);
        written(*r);
    }
}

// Many new rows of one table on PostgreSQL: their keys drawn from the key's
// sequence in one query, then every row in one COPY, the server's bulk load
// (INSERT, even multi-row, costs the server about half as much again per
// row). Not for a table that references itself (a row may need the key of a
// parent in the same batch), nor a key without a sequence: INSERT them.
bool SessionImpl::insert_by_copy(std::vector<RecordBase*>& records, const Mapper& m) {
    Connection& c = connection();
    if (!c.supports_copy() || references_own_table(m)) return false;
    std::vector<RecordBase*> need_key;
    for (RecordBase* r : records)
        if (m.pk_autoincrement && m.pk_column().access->is_unset(r->object)) need_key.push_back(r);
    if (!need_key.empty()) {
        const auto keys = c.draw_keys(m.table, m.pk_column().name, need_key.size());
        if (keys.size() != need_key.size()) return false;
        for (std::size_t i = 0; i < keys.size(); ++i) {
            m.pk_column().access->set(need_key[i]->object, Value(keys[i]));
            need_key[i]->key_from_database = true;
        }
    }
    std::vector<std::string> names;
    for (std::size_t i = 0; i < m.columns.size(); ++i)
        if (m.inserts(i, true)) names.push_back(m.columns[i].name);
    auto copy = c.copy_from(m.table, names);
    const std::uint64_t all_columns = m.insert_columns(true);
    note(copy->sql());
    for (RecordBase* r : records) {
        if (m.has_references) sync_foreign_keys(*r);
        if (m.client_defaults) apply_client_defaults(*r);
        bind_insert_columns(m, all_columns, *r, *copy);
        copy->end_row();
    }
    copy->finish();
    remember_all(records, m);
    return true;
}

void SessionImpl::insert(std::vector<RecordBase*>& records, const Mapper& m) {
    if (records.size() >= kCopyMinRows && insert_by_copy(records, m)) return;
    const MapperSql& sql = m.sql(dialect());
    const bool returning = returns_keys(dialect());
    if (returning && records.size() > 1) return insert_batched(records, m);
    Connection& c = connection();
    auto& map = identity[m.index];
    if (m.integer_key) map.by_int.reserve(map.by_int.size() + records.size());
    StatementHandle with_key, without_key;
    const std::uint64_t with_key_columns = m.insert_columns(true), without_key_columns = m.insert_columns(false);
    // The saved values taken as each row is bound: the values written (the
    // generated columns' only once read back, in flush()).
    const bool save_as_bound = !m.computed_columns;
    // Held here: the loop's calls through other objects would make the compiler read them again per row.
    const ColumnAccessor& key_access = *m.pk_column().access;
    const bool autoincrement = m.pk_autoincrement, has_references = m.has_references, client_defaults = m.client_defaults;
    auto now_persistent = [&](RecordBase& r, const std::optional<SavedWords>& saved) {
        if (!saved) return written(r);
        r.snapshot.nulls = saved->nulls;
        r.snapshot.valid = true;
        r.state = RecordState::Persistent;
    };
    // Each row's memory is fetched while the database writes the rows
    // before it: its record two rows ahead (prefetch_record_start), then its
    // text one row ahead, read through the record by then at hand
    // (loops.prefetch_text). The new objects were built long before the
    // flush, and the loop waited on each one's memory otherwise.
    const std::size_t count = records.size();
    const std::uint64_t text = text_columns(m);
    for (std::size_t i = 0; i < std::min<std::size_t>(2, count); ++i) prefetch_record_start(records[i]);
    if (count && text) m.loops.prefetch_text(m.plan.data(), text, records[0]->object);
    for (std::size_t at = 0; at < count; ++at) {
        RecordBase* r = records[at];
        if (at + 2 < count) prefetch_record_start(records[at + 2]);
        if (text && at + 1 < count) m.loops.prefetch_text(m.plan.data(), text, records[at + 1]->object);
        if (has_references) sync_foreign_keys(*r);
        if (client_defaults) apply_client_defaults(*r);
        const bool assign_key = autoincrement && key_access.is_unset(r->object);
        StatementHandle& st = assign_key ? without_key : with_key;
        if (!st) st = c.prepare(assign_key ? sql.insert_no_pk : sql.insert_all);
        std::optional<SavedWords> saved;
        if (save_as_bound) saved.emplace(saved_words_of(*r));
        bind_insert_columns(m, assign_key ? without_key_columns : with_key_columns, *r, *st, 1, saved ? &*saved : nullptr);
        note(st->sql());
        if (!assign_key) {
            st->execute();
        } else {
            std::int64_t key = 0;
            if (returning) {
                if (!st->step()) throw Error("strata: INSERT ... RETURNING gave no key for " + m.describe(*r));
                key = st->get_int64(0);
                st->reset();
            } else {
                st->execute();
                key = c.last_insert_id();
            }
            // The key as read from a row (no Value), its saved word with the
            // others', and into the identity map by it.
            std::uint64_t key_word = 0;
            const bool null_key = key_access.assign_integer(r->object, key, *r->store, key_word);
            if (saved) {
                saved->words[static_cast<std::size_t>(m.pk)] = key_word;
                saved->nulls |= std::uint64_t{null_key} << m.pk;
            }
            r->key_from_database = true;
            if (m.integer_key) {
                map.by_int.set(key, r);
                // The next row's key is most often the next integer: its
                // slot fetched while that row is written (a guess: a hint
                // only, wrapping at the top of the range as a guess may).
                map.by_int.prefetch(static_cast<std::int64_t>(static_cast<std::uint64_t>(key) + 1));
                now_persistent(*r, saved);
                continue;
            }
        }
        remember(r);
        now_persistent(*r, saved);
    }
}

namespace {

// A key column changed: by the program, or by a reference whose foreign key
// is part of the key (an association object whose parent was removed or replaced).
[[noreturn]] void throw_key_changed(const Mapper& m, RecordBase& r, std::uint64_t changed_key) {
    for (auto& rel : m.relationships) {
        if (rel->kind != RelationshipKind::ManyToOne || !reference_of(*rel, r).dirty_) continue;
        for (int fk : rel->fk_columns)
            if (changed_key & (std::uint64_t{1} << fk))
                throw Error("strata: cannot flush " + m.describe(r) + ": its " + rel->name +
                            " was changed or emptied, and its foreign key column " +
                            m.columns[static_cast<std::size_t>(fk)].name +
                            " is part of the primary key, which cannot be updated; remove the object instead "
                            "(cascade(\"all, delete-orphan\") on the other side removes it with its parent)");
    }
    throw Error("strata: the primary key of " + m.describe(r) + " was changed; keys cannot be updated");
}

}  // namespace

void SessionImpl::update(RecordBase& r, std::uint64_t mask) {
    const Mapper& m = *r.mapper;
    if (mask & m.key_mask) throw_key_changed(m, r, mask & m.key_mask);
    if (const std::uint64_t computed = mask & m.computed_columns) {
        const ColumnMapping& c = m.columns[static_cast<std::size_t>(std::countr_zero(computed))];
        throw Error("strata: column " + m.table + "." + c.name + " of " + m.describe(r) +
                    " was changed, but the database computes it (GENERATED ALWAYS AS (" + *c.column->computed +
                    ")): change the columns it is computed from");
    }
    const std::string& sql = m.update_sql(dialect(), mask);
    auto st = prepare(sql);
    int index = 1;
    for (std::size_t i = 0; i < m.columns.size(); ++i)
        if (mask & (std::uint64_t{1} << i)) bind_column(m, i, r, *st, index++);
    m.bind_key(r, *st, index);
    note(sql);
    if (st->execute() == 0)
        throw Error("strata: UPDATE of " + m.describe(r) + " in table " + m.table +
                    " matched no row (was it deleted by another transaction?)");
}

// The values the database computed for a row just written (generated
// columns), into its members: the snapshot taken after the flush saves them.
void SessionImpl::read_computed(RecordBase& r) {
    const Mapper& m = *r.mapper;
    const std::string& sql = m.sql(dialect()).select_computed;
    auto st = prepare_read(sql);
    m.bind_key(r, *st, 1);
    note(sql);
    if (!st->step()) throw Error("strata: the row of " + m.describe(r) + " was not found after it was written");
    int index = 0;
    for (std::uint64_t todo = m.computed_columns; todo; todo &= todo - 1) {
        const ColumnMapping& c = m.columns[static_cast<std::size_t>(std::countr_zero(todo))];
        c.access->set(r.object, st->get_value(index++, c.column->type.kind));
    }
}

void SessionImpl::write_links() {
    const Dialect& d = dialect();
    for (CollectionBase* coll : extras_or_none().link_changes) {
        const RelationshipMapping& rel = mapping_of(*coll);
        RecordBase* owner = coll->owner_;
        if (owner->state == RecordState::Deleted) continue;  // its rows go with it
        Value owner_key = owner->mapper->pk_value(*owner);
        auto run = [&](const std::string& sql, RecordBase* item) {
            if (item->state == RecordState::Deleted) return;
            auto st = prepare(sql);
            st->bind(1, owner_key);
            st->bind(2, item->mapper->pk_value(*item));
            note(sql);
            st->execute();
        };
        const auto& changes = coll->changes();
        if (!changes.link_removed.empty()) {
            std::string sql = sql::delete_sql(d, rel.secondary, {rel.local_column, rel.remote_column});
            for (auto* item : changes.link_removed) run(sql, item);
        }
        if (!changes.link_added.empty()) {
            std::string sql = sql::insert_sql(d, rel.secondary, {rel.local_column, rel.remote_column});
            for (auto* item : changes.link_added) run(sql, item);
        }
    }
}

void SessionImpl::delete_rows(const Mapper& m, std::vector<RecordBase*>& records) {
    const Dialect& d = dialect();
    for (RecordBase* r : records) {
        for (auto& [table, column] : m.association_refs) {  // many_to_many() links models with one-column keys only
            std::string sql = sql::delete_sql(d, table, {column});
            auto st = prepare(sql);
            st->bind(1, m.pk_value(*r));
            note(sql);
            st->execute();
        }
        const std::string& sql = m.sql(d).delete_by_pk;
        auto st = prepare(sql);
        m.bind_key(*r, *st, 1);
        note(sql);
        st->execute();
    }
}

void SessionImpl::flush(FlushScope scope, const Mapper* model) {
    if (flushing) return;
    FlushGuard guard(flushing);

    // Changed persistent objects; those pointing at new parents wait for their
    // keys. (Every query and lazy load runs this scan first: it visits each
    // object once and allocates nothing for the unchanged ones; an autoflush
    // skips the records no Ptr was made for, which nothing can have changed.)
    std::vector<std::pair<RecordBase*, std::uint64_t>> updates;
    OnupdateUndo onupdate_undo;
    std::vector<RecordBase*> after_inserts, reassigned;  // reassigned: with references set since the last flush
    const bool every_record = scope == FlushScope::EveryRecord;
    const Mapper* only = scope == FlushScope::TouchedRecordsOf ? model : nullptr;
    auto each = [&](RecordBase* r) {
        if (r->state != RecordState::Persistent || !(every_record || r->touched)) return;
        if (only && r->mapper != only) return;
        if (r->expired) {  // written through a reference while expired: compared with the row as it is now
            if (r->rolled_back || !changed_columns(*r)) return;
            reload(*r);
        }
        if (has_dirty_references(*r)) {
            reassigned.push_back(r);
            if (references_pending(*r)) {
                after_inserts.push_back(r);
                return;
            }
            sync_foreign_keys(*r);
        }
        if (auto mask = changed_columns(*r)) updates.emplace_back(r, with_onupdate(*r, mask, onupdate_undo));
    };
    // A commit's pass reads every record: fetched ahead. An autoflush reads
    // few (the touched ones): no prefetch for the others.
    if (every_record) for_each_record_ahead(each);
    else for_each_record(each);
    if (pending.empty() && !extras_or_none().has_writes() && updates.empty() && after_inserts.empty()) {
        for (auto* r : reassigned) clear_dirty_references(*r);
        release_retained();
        return;
    }

    SessionExtras& x = extras();  // before anything is written: the bookkeeping after it allocates no block
    const auto& mappers = registry.mappers;
    std::vector<const Mapper*> order;
    for (auto& m : mappers) order.push_back(m.get());
    std::stable_sort(order.begin(), order.end(), [](const Mapper* a, const Mapper* b) { return a->flush_order < b->flush_order; });

    // Two statements fewer (two round trips on PostgreSQL) for the common
    // add-then-commit: the transaction holds nothing but this flush.
    const bool opens_transaction = !read_connection().in_transaction();
    Connection& c = connection();
    if (!opens_transaction) c.savepoint(kSavepoint);
    std::vector<RecordBase*> inserted;
    bool reads_computed = false;   // a model with generated columns had new rows
    bool sets_references = false;  // a model with references had new rows
    try {
        // The new objects by model in one pass over them (not one per model:
        // each visit of 100,000 objects is a walk through memory).
        std::vector<std::vector<RecordBase*>> new_by_model(pending.empty() ? 0 : mappers.size());
        if (std::has_single_bit(pending_models) && !(pending_models >> 63)) {
            // All of one model (its bit its own, not the one models from the
            // 64th on share): the list copied, no record read (100,000 new
            // objects are a walk through memory).
            new_by_model[static_cast<std::size_t>(std::countr_zero(pending_models))] = pending;
        } else if (!pending.empty()) {
            // Room for all in the first one's model (most often the only one): not grown row by row.
            new_by_model[pending.front()->mapper->index].reserve(pending.size());
            for (std::size_t i = 0; i < pending.size(); ++i) {
                if (i + kRecordsAhead < pending.size()) STRATA_DETAIL_PREFETCH(pending[i + kRecordsAhead]);  // its mapper
                new_by_model[pending[i]->mapper->index].push_back(pending[i]);
            }
        }
        for (const Mapper* m : order) {
            if (new_by_model.empty()) break;
            std::vector<RecordBase*>& batch = new_by_model[m->index];
            if (batch.empty()) continue;
            inserted.insert(inserted.end(), batch.begin(), batch.end());
            reads_computed = reads_computed || m->computed_columns;
            sets_references = sets_references || m->has_references;
            insert(batch, *m);  // each row persistent once written (children's keys can point at it)
        }
        for (auto* r : after_inserts) {
            sync_foreign_keys(*r);
            if (auto mask = changed_columns(*r)) updates.emplace_back(r, with_onupdate(*r, mask, onupdate_undo));
        }
        for (auto& [r, mask] : updates) update(*r, mask);
        write_links();
        for (auto it = order.rbegin(); it != order.rend(); ++it) {
            std::vector<RecordBase*> batch;
            for (auto* r : x.to_delete)
                if (r->mapper == *it) batch.push_back(r);
            if (!batch.empty()) delete_rows(**it, batch);
        }
        if (reads_computed)
            for (auto* r : inserted)
                if (r->mapper->computed_columns) read_computed(*r);
        for (auto& [r, mask] : updates)
            if (r->mapper->computed_columns) read_computed(*r);
        if (!opens_transaction) c.release_savepoint(kSavepoint);
    } catch (...) {
        try {
            if (opens_transaction) {
                c.rollback();
            } else {
                c.rollback_to_savepoint(kSavepoint);
                c.release_savepoint(kSavepoint);
            }
        } catch (...) {  // the transaction itself is gone; rollback() will clean up
        }
        for (auto* r : inserted) {  // back to pending, without the key the failed INSERT gave it nor saved values
            forget(r);
            r->state = RecordState::Pending;
            r->snapshot.valid = false;
            if (r->key_from_database) r->mapper->pk_column().access->set(r->object, Value());
            r->key_from_database = false;
        }
        throw;
    }
    onupdate_undo.keep();

    if (reads_computed || sets_references) {  // else nothing left to do for a new row
        for (std::size_t i = 0; i < inserted.size(); ++i) {
            if (i + kRecordsAhead < inserted.size()) prefetch_record_start(inserted[i + kRecordsAhead]);
            RecordBase* r = inserted[i];
            if (r->mapper->computed_columns) take_snapshot(*r);  // with what read_computed read; the others' by written()
            clear_dirty_references(*r);
        }
    }
    if (x.inserted_in_transaction.empty()) x.inserted_in_transaction = std::move(inserted);
    else x.inserted_in_transaction.insert(x.inserted_in_transaction.end(), inserted.begin(), inserted.end());
    pending.clear();
    pending_models = 0;
    for (auto& [r, mask] : updates) take_snapshot(*r);
    for (auto* r : reassigned) clear_dirty_references(*r);
    for (auto* coll : x.link_changes) {
        coll->changes().link_added.clear();
        coll->changes().link_removed.clear();
    }
    x.link_changes.clear();
    for (auto* r : x.to_delete) {
        forget(r);
        r->deleted_in_transaction = true;
        x.deleted_in_transaction.push_back(r);
    }
    x.to_delete.clear();
    release_retained();
}

}  // namespace strata::detail
