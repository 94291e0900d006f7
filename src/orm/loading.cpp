// Query execution and eager loading (selectin: one more SELECT ... IN; joined: LEFT OUTER JOIN).
#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "orm/orm_internal.hpp"

namespace strata::detail {

namespace {

// Keys per IN (...) of a selectin load. Each chunk is one more statement,
// and without an index on the foreign key one more scan of the child table
// (W4's selectin scanned post twice for 1,000 users at 500). Bounded by
// libpq before 16 (about 7,490 parameters) and SQLite 3.32+ (32,766).
constexpr std::size_t kInChunk = 2000;

Expr eq(const Expr& a, const Expr& b) { return binary("=", a, b); }

const std::string& column_name(const Mapper& m, int index) { return m.columns[static_cast<std::size_t>(index)].name; }

// child.fk_i = parent.key_i for each column of the parent's key.
Expr key_join(const RelationshipMapping& rel, const Mapper& child, const std::string& child_table,
              const Mapper& parent, const std::string& parent_table) {
    Expr on;
    for (std::size_t i = 0; i < rel.fk_columns.size(); ++i) {
        Expr term = eq(column(child_table, column_name(child, rel.fk_columns[i])),
                       column(parent_table, column_name(parent, parent.key_columns[i])));
        on = i == 0 ? term : on && term;
    }
    return on;
}

}  // namespace

void join_relationship(sql::Select& sel, const RelationshipMapping& rel, const std::string& alias, bool outer) {
    const Mapper& o = *rel.owner;
    const Mapper& t = *rel.target;
    const std::string& opk = o.pk_column().name;
    const std::string& tpk = t.pk_column().name;
    switch (rel.kind) {
    case RelationshipKind::OneToMany:
        sel.join({t.table, alias, key_join(rel, t, alias, o, o.table), outer});
        return;
    case RelationshipKind::ManyToOne:
        sel.join({t.table, alias, key_join(rel, o, o.table, t, alias), outer});
        return;
    case RelationshipKind::ManyToMany:
        sel.join({rel.secondary, {}, eq(column(rel.secondary, rel.local_column), column(o.table, opk)), outer});
        sel.join({t.table, alias, eq(column(alias, tpk), column(rel.secondary, rel.remote_column)), outer});
        return;
    }
}

namespace {

std::string aliased_list(const Mapper& m, const std::string& alias, const Dialect& d) {
    std::string out;
    for (auto& c : m.columns) out += ", " + d.quote(alias) + "." + d.quote(c.name);
    return out;
}

struct EagerJoin {
    const RelationshipMapping* rel;
    int offset;
};

struct Built {
    sql::Compiled compiled;
    std::vector<EagerJoin> eager;
};

}  // namespace

sql::Select base_select(const QuerySpec& q, SessionImpl& s) {
    const Mapper& m = *q.mapper;
    sql::Select sel;
    sel.from(m.table).columns_sql(m.sql(s.dialect()).select_list);
    for (auto& key : q.joins) {
        const auto& rel = s.registry.relationship(key);
        join_relationship(sel, rel, rel.target->table, false);
    }
    for (auto& j : q.raw_joins) sel.join(j);
    for (auto& c : q.conditions) sel.where(c);
    for (auto& o : q.ordering) sel.order_by(o);
    sel.limit_n = q.limit;
    sel.offset_n = q.offset;
    return sel;
}

namespace {

Built build(const QuerySpec& q, SessionImpl& s) {
    const Mapper& m = *q.mapper;
    const Dialect& d = s.dialect();
    sql::Select sel = base_select(q, s);
    Built out;
    int offset = static_cast<int>(m.columns.size());
    for (auto& opt : q.load) {
        if (opt.strategy != LoadStrategy::Joined) continue;
        const auto& rel = s.registry.relationship(opt.relationship);
        if (rel.owner != &m)
            throw ConfigError("strata: joined() names a relationship of " + rel.owner->class_name + ", not of " + m.class_name);
        if (rel.kind == RelationshipKind::ManyToMany) continue;  // loaded with selectin instead
        out.eager.push_back({&rel, offset});
        offset += static_cast<int>(rel.target->columns.size());
    }
    if (out.eager.empty()) {
        out.compiled = sel.compile(d, s.resolver());
        return out;
    }
    sql::Select outer;
    if (q.limit || q.offset) {  // LIMIT applies to the parents, so they go in a subquery
        auto inner = std::make_shared<sql::Select>(sel);
        inner->columns_sql(d.quote(m.table) + ".*");
        outer.from(m.table).columns_sql(m.sql(d).select_list);
        outer.subquery = inner;
        outer.ordering = sel.ordering;
    } else {
        outer = sel;
    }
    for (std::size_t i = 0; i < out.eager.size(); ++i) {
        std::string alias = "strata_eager_" + std::to_string(i + 1);
        outer.columns += aliased_list(*out.eager[i].rel->target, alias, d);
        join_relationship(outer, *out.eager[i].rel, alias, true);
    }
    out.compiled = outer.compile(d, s.resolver());
    return out;
}

StatementHandle run(SessionImpl& s, const sql::Compiled& c) {
    auto st = s.prepare_read(c.sql);
    st->bind_all(c.params);
    s.note(c.sql);
    return st;
}

const RelationshipMapping& eager_relationship(SessionImpl& s, const QuerySpec& q, const LoadOption& opt) {
    const auto& rel = s.registry.relationship(opt.relationship);
    if (rel.owner != q.mapper)
        throw ConfigError("strata: an eager-load option names a relationship of " + rel.owner->class_name + ", not of " +
                          q.mapper->class_name);
    return rel;
}

}  // namespace

std::vector<RecordBase*> query_all(const QuerySpec& q) {
    SessionImpl& s = session_of(q.store.get());
    s.autoflush_now();
    const Mapper& m = *q.mapper;
    Built built = build(q, s);
    std::vector<RecordBase*> out;
    std::vector<std::unordered_map<RecordBase*, std::vector<RecordBase*>>> eager_items(built.eager.size());
    {
        auto st = run(s, built.compiled);
        const bool dedupe = !built.eager.empty() || !q.joins.empty() || !q.raw_joins.empty();
        const bool all_new = !dedupe && m.integer_key && s.identity[m.index].by_int.size() == 0;
        if (all_new) s.load_new_rows(m, *st, out);
        std::unordered_set<RecordBase*> seen;
        while (!all_new && st->step()) {
            RecordBase* r = s.load_row(m, *st, 0);
            if (!r) continue;
            if (!dedupe || seen.insert(r).second) {
                s.note_touched(*r);  // handed out as a Ptr (to_ptrs), as load_new_rows marks its rows
                out.push_back(r);
            }
            for (std::size_t i = 0; i < built.eager.size(); ++i) {
                RecordBase* child = s.load_row(*built.eager[i].rel->target, *st, built.eager[i].offset);
                auto& list = eager_items[i][r];
                if (child && std::find(list.begin(), list.end(), child) == list.end()) list.push_back(child);
            }
        }
    }
    for (std::size_t i = 0; i < built.eager.size(); ++i) {
        const RelationshipMapping& rel = *built.eager[i].rel;
        for (RecordBase* r : out) {
            auto& items = eager_items[i][r];
            if (rel.kind == RelationshipKind::ManyToOne) {
                auto& ref = reference_of(rel, *r);
                if (ref.loaded_) continue;
                ref.target_ = items.empty() ? nullptr : items.front();
                ref.loaded_ = true;
            } else {
                auto& coll = collection_of(rel, *r);
                if (!coll.loaded_) set_collection(coll, std::move(items));
            }
        }
    }
    for (auto& opt : q.load) {
        const auto& rel = eager_relationship(s, q, opt);
        bool joined_done = opt.strategy == LoadStrategy::Joined && rel.kind != RelationshipKind::ManyToMany;
        if (opt.strategy != LoadStrategy::Lazy && !joined_done) load_selectin(s, rel, out);
    }
    return out;
}

RecordBase* query_first(const QuerySpec& q) {
    QuerySpec one = q;
    one.limit = 1;
    auto rows = query_all(one);
    return rows.empty() ? nullptr : rows.front();
}

RecordBase* query_one(const QuerySpec& q) {
    QuerySpec two = q;
    two.limit = 2;
    auto rows = query_all(two);
    if (rows.empty()) throw NoResultFound("strata: one() found no " + q.mapper->class_name + " row (exactly one expected)");
    if (rows.size() > 1)
        throw MultipleResultsFound("strata: one() found several " + q.mapper->class_name + " rows (exactly one expected)");
    return rows.front();
}

std::int64_t query_count(const QuerySpec& q) {
    SessionImpl& s = session_of(q.store.get());
    s.autoflush_now();
    auto inner = std::make_shared<sql::Select>(base_select(q, s));
    std::string keys;
    for (const std::string& key : q.mapper->key_names())
        keys += (keys.empty() ? "" : ", ") + s.dialect().quote(q.mapper->table) + "." + s.dialect().quote(key);
    inner->columns_sql(keys);
    if (!q.limit && !q.offset) inner->ordering.clear();
    sql::Select outer;
    outer.from("strata_count").columns_sql("count(*)");
    outer.subquery = inner;
    auto st = run(s, outer.compile(s.dialect(), s.resolver()));
    if (!st->step()) return 0;
    return st->get_int64(0);
}

bool query_exists(const QuerySpec& q) {
    SessionImpl& s = session_of(q.store.get());
    s.autoflush_now();
    sql::Select sel = base_select(q, s);
    sel.columns_sql("1");
    sel.ordering.clear();
    sel.limit_n = 1;
    auto st = run(s, sel.compile(s.dialect(), s.resolver()));
    return st->step();
}

namespace {

// The keys of the owners, kInChunk keys per chunk, each key's values one after the other.
std::vector<std::vector<Value>> chunks_of_keys(const std::vector<RecordBase*>& owners, const Mapper& m) {
    std::vector<std::vector<Value>> chunks;
    for (std::size_t i = 0; i < owners.size(); ++i) {
        if (i % kInChunk == 0) chunks.emplace_back();
        if (!m.composite_key()) {
            chunks.back().push_back(m.pk_value(*owners[i]));
        } else {
            for (Value& v : m.key_values(*owners[i])) chunks.back().push_back(std::move(v));
        }
    }
    return chunks;
}

// Rows whose columns `names` hold one of the keys (`keys`: each key's values
// in turn): "c IN (...)" for one column, else "(a = ? AND b = ?) OR ...".
Expr keys_condition(const std::string& table, const std::vector<std::string>& names, std::vector<Value> keys) {
    if (names.size() == 1) return detail::make_in(column(table, names[0]), std::move(keys));
    Expr any;
    for (std::size_t k = 0; k < keys.size(); k += names.size()) {
        Expr all;
        for (std::size_t i = 0; i < names.size(); ++i) {
            Expr term = eq(column(table, names[i]), bind(keys[k + i]));
            all = i == 0 ? term : all && term;
        }
        any = k == 0 ? all : any || all;
    }
    return any;
}

std::vector<std::string> column_names(const Mapper& m, const std::vector<int>& indexes) {
    std::vector<std::string> out;
    for (int i : indexes) out.push_back(column_name(m, i));
    return out;
}

// A one-to-many by one foreign key between integer keys (the usual
// HasMany): each row's child built with the key read once, its owner's key
// taken from the child's foreign-key member (no Value), and the rows grouped
// by sorting (owner's key, key) -- usually only a check, as the database
// reads `fk IN (...)` through the foreign key's index, owner by owner --
// rather than put in a list per owner in a map. Rows whose owner is not one
// of `owners` (a child's foreign key changed in memory) go to none.
void selectin_by_integer_keys(SessionImpl& s, const RelationshipMapping& rel, const std::vector<RecordBase*>& owners) {
    const Mapper& o = *rel.owner;
    const Mapper& t = *rel.target;
    const Dialect& d = s.dialect();
    const std::vector<std::string> fk_names = column_names(t, rel.fk_columns);
    const ColumnAccessor& fk = *t.columns[static_cast<std::size_t>(rel.fk_column)].access;
    struct Loaded {
        std::int64_t owner_key;
        std::int64_t key;
        RecordBase* item;
    };
    std::vector<Loaded> rows;
    std::vector<RecordBase*> children;
    for (auto& keys : chunks_of_keys(owners, o)) {
        sql::Select sel = relationship_select(rel, d);
        sel.where(keys_condition(t.table, fk_names, std::move(keys)));
        auto st = run(s, sel.compile(d));
        if (s.identity[t.index].by_int.size() == 0) {
            // No object of the target in the session (its first load): every
            // row is a new object, built first and entered into the identity
            // map together (sized once, not grown row by row) -- as all() does.
            children.clear();
            s.load_new_rows(t, *st, children);
            rows.reserve(rows.size() + children.size());  // one block, not regrown (and copied) as it fills
            for (RecordBase* child : children) {
                const auto key = integer_value(*t.pk_column().access, child->object);
                const auto owner_key = integer_value(fk, child->object);
                if (key && owner_key) rows.push_back({*owner_key, *key, child});
            }
            continue;
        }
        while (st->step()) {
            const std::int64_t key = st->get_int64(t.pk);
            if (key == 0 && st->is_null(t.pk)) continue;
            RecordBase* child = s.load_row(t, *st, 0, key);
            if (const auto owner_key = integer_value(fk, child->object)) rows.push_back({*owner_key, key, child});
        }
    }
    auto by_owner_and_key = [](const Loaded& a, const Loaded& b) {
        return a.owner_key != b.owner_key ? a.owner_key < b.owner_key : a.key < b.key;
    };
    if (!std::is_sorted(rows.begin(), rows.end(), by_owner_and_key)) std::sort(rows.begin(), rows.end(), by_owner_and_key);
    // The owners by key, likewise; each takes its run of rows.
    std::vector<std::pair<std::int64_t, RecordBase*>> by_key;
    by_key.reserve(owners.size());
    for (RecordBase* owner : owners) {
        if (const auto key = integer_value(*o.pk_column().access, owner->object)) by_key.emplace_back(*key, owner);
        else set_collection(collection_of(rel, *owner), {});  // no key: no rows
    }
    sort_by_key(by_key);
    std::size_t first = 0;
    for (const auto& [key, owner] : by_key) {
        CollectionBase& c = collection_of(rel, *owner);
        if (c.loaded_) continue;  // listed twice (a key without a unique constraint): set already
        while (first < rows.size() && rows[first].owner_key < key) ++first;
        std::size_t end = first;
        while (end < rows.size() && rows[end].owner_key == key) ++end;
        set_loaded_items(c, end - first, [&](std::size_t i) { return rows[first + i].item; });
        first = end;
    }
}

void selectin_collections(SessionImpl& s, const RelationshipMapping& rel, const std::vector<RecordBase*>& owners) {
    const Mapper& o = *rel.owner;
    const Mapper& t = *rel.target;
    const Dialect& d = s.dialect();
    const bool m2m = rel.kind == RelationshipKind::ManyToMany;
    const std::vector<std::string> fk_names = m2m ? std::vector<std::string>{} : column_names(t, rel.fk_columns);
    // Each collection in the target's key order, as a lazy load gives it.
    // An integer key is sorted in memory, owner by owner (relationship_select
    // has no ORDER BY then): the database reads `fk IN (...)` through the
    // foreign key's index, in owner order, and an ORDER BY would sort every
    // row of the statement. Other keys come in order, with keys left 0 here.
    const bool sort_in_memory = t.integer_key;
    const int offset = m2m ? 1 : 0;
    std::unordered_map<RecordBase*, std::vector<std::pair<std::int64_t, RecordBase*>>> groups;
    for (auto& keys : chunks_of_keys(owners, o)) {
        sql::Select sel = relationship_select(rel, d);
        if (m2m) {
            sel.columns = d.quote(rel.secondary) + "." + d.quote(rel.local_column) + ", " + sel.columns;
            sel.where(detail::make_in(column(rel.secondary, rel.local_column), keys));
        } else {
            sel.where(keys_condition(t.table, fk_names, std::move(keys)));
        }
        auto st = run(s, sel.compile(d));
        const auto& fk = t.columns[static_cast<std::size_t>(std::max(rel.fk_column, 0))];
        while (st->step()) {
            RecordBase* child = s.load_row(t, *st, offset);
            if (!child) continue;
            RecordBase* owner = nullptr;
            if (m2m) owner = s.lookup(o, st->get_value(0, o.pk_column().column->type.kind));
            else if (rel.fk_columns.size() == 1) owner = s.lookup(o, fk.access->get(child->object));
            else owner = s.lookup(o, foreign_key_values(rel, *child));
            if (owner) groups[owner].emplace_back(sort_in_memory ? st->get_int64(offset + t.pk) : 0, child);
        }
    }
    for (RecordBase* owner : owners) {
        CollectionBase& c = collection_of(rel, *owner);
        if (c.loaded_) continue;  // listed twice (a key without a unique constraint): set already
        auto& keyed = groups[owner];
        sort_by_key(keyed);
        set_loaded_items(c, keyed.size(), [&](std::size_t i) { return keyed[i].second; });
    }
}

// The target of each owner's reference: those not in the session yet loaded
// with one SELECT per kInChunk keys.
void selectin_references(SessionImpl& s, const RelationshipMapping& rel, const std::vector<RecordBase*>& owners) {
    const Mapper& t = *rel.target;
    const std::size_t width = rel.fk_columns.size();
    std::vector<Value> missing;  // each key's values in turn
    std::unordered_set<std::string> seen;
    for (RecordBase* owner : owners) {
        std::vector<Value> key = foreign_key_values(rel, *owner);
        std::string text;
        for (const Value& v : key) text += v.to_display() + '\x1f';
        const bool has_null = std::any_of(key.begin(), key.end(), [](const Value& v) { return v.is_null(); });
        if (has_null || s.lookup(t, key) || !seen.insert(text).second) continue;
        for (Value& v : key) missing.push_back(std::move(v));
    }
    for (std::size_t i = 0; i < missing.size(); i += kInChunk * width) {
        std::vector<Value> keys(missing.begin() + static_cast<std::ptrdiff_t>(i),
                                missing.begin() + static_cast<std::ptrdiff_t>(std::min(missing.size(), i + kInChunk * width)));
        sql::Select sel;
        sel.from(t.table).columns_sql(t.sql(s.dialect()).select_list);
        sel.where(keys_condition(t.table, t.key_names(), std::move(keys)));
        s.run_select(t, sel.compile(s.dialect()));
    }
    for (RecordBase* owner : owners) {
        auto& ref = reference_of(rel, *owner);
        ref.target_ = s.lookup(t, foreign_key_values(rel, *owner));
        ref.loaded_ = true;
    }
}

}  // namespace

void load_selectin(SessionImpl& s, const RelationshipMapping& rel, const std::vector<RecordBase*>& owners) {
    std::vector<RecordBase*> todo;
    for (RecordBase* owner : owners) {
        const RelationshipBase& base = rel.access->get(owner->object);
        if (!base.loaded_) todo.push_back(owner);
    }
    if (todo.empty()) return;
    if (rel.kind == RelationshipKind::ManyToOne) selectin_references(s, rel, todo);
    else if (rel.kind == RelationshipKind::OneToMany && rel.fk_columns.size() == 1 && rel.owner->integer_key &&
             rel.target->integer_key)
        selectin_by_integer_keys(s, rel, todo);
    else selectin_collections(s, rel, todo);
}

}  // namespace strata::detail
