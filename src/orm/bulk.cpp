// Query<T>::update / remove / paginate: statements over many rows at once,
// and keeping the session's objects true to what they wrote.
#include <algorithm>
#include <string>
#include <vector>

#include "orm/orm_internal.hpp"

namespace strata::detail {

namespace {

// WHERE of a bulk statement: the query's conditions on the table itself or,
// when the query joins or limits, "key IN (the query's keys)".
void where_clause(sql::Compiler& c, const QuerySpec& q, SessionImpl& s) {
    const Mapper& m = *q.mapper;
    const bool plain = q.joins.empty() && q.raw_joins.empty() && !q.limit && !q.offset;
    if (plain) {
        for (std::size_t i = 0; i < q.conditions.size(); ++i) {
            c.text(i == 0 ? " WHERE " : " AND ");
            c.expr(q.conditions[i]);
        }
        return;
    }
    // The key's columns, as "t"."a" or as the row value ("t"."a", "t"."b").
    std::string key_list;
    for (const std::string& key : m.key_names())
        key_list += (key_list.empty() ? "" : ", ") + s.dialect().quote(m.table) + "." + s.dialect().quote(key);
    sql::Select keys = base_select(q, s);
    keys.columns_sql(key_list);
    if (!q.limit && !q.offset) keys.ordering.clear();
    c.text(" WHERE ");
    c.text(m.composite_key() ? "(" + key_list + ")" : key_list);
    c.text(" IN (");
    keys.compile_into(c);
    c.text(")");
}

// Runs the statement, which ends in RETURNING the key; the keys of the rows
// it reached (each its columns' values, in the key's order).
std::vector<std::vector<Value>> run_returning_keys(SessionImpl& s, sql::Compiler& c, const Mapper& m) {
    c.text(" RETURNING ");
    const std::vector<std::string> names = m.key_names();
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i) c.text(", ");
        c.identifier(names[i]);
    }
    auto st = s.prepare(c.out.sql);  // a write: in the session's transaction
    st->bind_all(c.out.params);
    s.note(c.out.sql);
    std::vector<std::vector<Value>> keys;
    while (st->step()) {
        std::vector<Value>& key = keys.emplace_back();
        for (std::size_t i = 0; i < names.size(); ++i)
            key.push_back(st->get_value(static_cast<int>(i), m.columns[static_cast<std::size_t>(m.key_columns[i])].column->type.kind));
    }
    return keys;
}

// The index of the model's column for `member`, or a ConfigError naming it.
std::size_t column_for(const Mapper& m, const MemberKey& member) {
    for (std::size_t i = 0; i < m.columns.size(); ++i)
        if (m.columns[i].key == member) return i;
    throw ConfigError("strata: update() of " + m.class_name + " sets a member that is not one of its mapped columns");
}

// Relationships whose loaded state may hold `m`'s objects by column `column`'s value.
template <class F>
void for_relationships_through(SessionImpl& s, const Mapper& m, std::size_t column, F each) {
    const int fk = static_cast<int>(column);
    for (auto& mapper : s.registry.mappers)
        for (auto& rel : mapper->relationships) {
            const bool through = std::find(rel->fk_columns.begin(), rel->fk_columns.end(), fk) != rel->fk_columns.end();
            const bool owner_side = rel->kind == RelationshipKind::ManyToOne && rel->owner == &m && through;
            const bool target_side = rel->kind == RelationshipKind::OneToMany && rel->target == &m && through;
            if (owner_side || target_side) each(*rel);
        }
}

// Models whose rows the database itself changes when a row of `m` is
// deleted (a foreign key with ON DELETE CASCADE / SET NULL / SET DEFAULT).
std::vector<const Mapper*> cascaded_by_database(SessionImpl& s, const Mapper& m) {
    std::vector<const Mapper*> out;
    for (auto& mapper : s.registry.mappers) {
        const Table* t = s.registry.metadata.find(mapper->table);
        if (!t) continue;
        for (const ForeignKey& fk : t->foreign_keys)
            if (fk.ref_table == m.table && !fk.ondelete.empty() && fk.ondelete != "RESTRICT" &&
                fk.ondelete != "NO ACTION") {
                out.push_back(mapper.get());
                break;
            }
    }
    return out;
}

}  // namespace

std::int64_t query_update(const QuerySpec& q, const std::vector<ColumnAssignment>& set) {
    SessionImpl& s = session_of(q.store.get());
    const Mapper& m = *q.mapper;
    if (set.empty()) throw ConfigError("strata: update() of " + m.class_name + " sets no column");
    std::vector<std::size_t> columns;
    for (const auto& term : set) {
        const std::size_t i = column_for(m, term.member);
        if (m.key_mask & (std::uint64_t{1} << i))
            throw ConfigError("strata: update() cannot change the primary key " + m.table + "." + m.columns[i].name);
        columns.push_back(i);
    }
    s.flush();  // always (even with autoflush off): no pending change may be lost or overwrite the new values

    sql::Compiler c(s.dialect(), s.resolver());
    c.text("UPDATE ");
    c.identifier(m.table);
    for (std::size_t k = 0; k < set.size(); ++k) {
        c.text(k == 0 ? " SET " : ", ");
        c.identifier(m.columns[columns[k]].name);
        c.text(" = ");
        c.param(set[k].value);
    }
    where_clause(c, q, s);
    const std::vector<std::vector<Value>> keys = run_returning_keys(s, c, m);

    for (const std::vector<Value>& key : keys) {
        RecordBase* r = s.lookup(m, key);
        // An expired object reloads on next access, new values included.
        if (!r || r->state != RecordState::Persistent || r->expired) continue;
        for (std::size_t k = 0; k < set.size(); ++k) s.assign_saved(*r, columns[k], set[k].value);
    }
    for (std::size_t i : columns)
        for_relationships_through(s, m, i, [&](const RelationshipMapping& rel) { s.unload_everywhere(rel); });
    return static_cast<std::int64_t>(keys.size());
}

std::int64_t query_remove(const QuerySpec& q) {
    SessionImpl& s = session_of(q.store.get());
    const Mapper& m = *q.mapper;
    s.flush();

    sql::Compiler c(s.dialect(), s.resolver());
    c.text("DELETE FROM ");
    c.identifier(m.table);
    where_clause(c, q, s);
    const std::vector<std::vector<Value>> keys = run_returning_keys(s, c, m);

    for (const std::vector<Value>& key : keys)
        if (RecordBase* r = s.lookup(m, key); r && r->state == RecordState::Persistent) s.deleted_by_statement(*r);
    // Loaded relationships may hold the deleted objects.
    for (auto& mapper : s.registry.mappers)
        for (auto& rel : mapper->relationships)
            if (rel->target == &m) s.unload_everywhere(*rel);
    // Rows the database changed or deleted along: their objects reload (and
    // raise ObjectDeletedError if their row is gone).
    if (!keys.empty())
        for (const Mapper* child : cascaded_by_database(s, m))
            s.for_each_record([&](RecordBase* r) {
                if (r->mapper == child && r->state == RecordState::Persistent) s.expire(*r);
            });
    return static_cast<std::int64_t>(keys.size());
}

PageRecords query_page(const QuerySpec& q, std::int64_t page, std::int64_t per_page) {
    if (per_page < 1)
        throw ConfigError("strata: paginate() of " + q.mapper->class_name + " needs per_page of at least 1, not " +
                          std::to_string(per_page));
    if (q.limit || q.offset)
        throw ConfigError("strata: paginate() of " + q.mapper->class_name +
                          " sets the page's LIMIT and OFFSET itself: call it on a query without limit() / offset()");
    PageRecords out;
    out.total = query_count(q);
    const std::int64_t pages = out.total / per_page + (out.total % per_page != 0);
    if (page < 1 || page > pages) return out;  // out of range: an empty page
    QuerySpec one_page = q;
    one_page.limit = per_page;
    one_page.offset = (page - 1) * per_page;  // at most total: no overflow
    out.items = query_all(one_page);
    return out;
}

}  // namespace strata::detail
