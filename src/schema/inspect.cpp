// inspect() dispatch and compare_schema(): the diff that autogenerate and
// `db check` build on, so it reports every structural difference and
// nothing on an unchanged schema.
#include "strata/inspect.hpp"

#include <fnmatch.h>

#include <algorithm>

#include "dialect/backend.hpp"
#include "schema/inspect_internal.hpp"
#include "schema/inspector.hpp"
#include "strata/dialect.hpp"

namespace strata {

bool InspectOptions::reads_table(const std::string& name) const {
    auto matches = [&](const std::string& pattern) { return fnmatch(pattern.c_str(), name.c_str(), 0) == 0; };
    if (std::find(exclude_tables.begin(), exclude_tables.end(), name) != exclude_tables.end()) return false;
    if (!include_patterns.empty() && std::none_of(include_patterns.begin(), include_patterns.end(), matches))
        return false;
    return std::none_of(exclude_patterns.begin(), exclude_patterns.end(), matches);
}

const Inspector& inspector_of(const Connection& conn) { return backend_of(conn.dialect()).inspector(); }

MetaData inspect(Connection& conn, const InspectOptions& options) { return inspector_of(conn).inspect(conn, options); }

std::vector<std::string> table_names(Connection& conn, const InspectOptions& options) {
    return inspector_of(conn).table_names(conn, options);
}

std::optional<std::string> server_check_text(Connection& conn, const std::string& table, const std::string& sqltext) {
    return inspector_of(conn).server_check_text(conn, table, sqltext);
}

bool has_table(Connection& conn, const std::string& name) {
    auto stmt = conn.prepare(conn.dialect().table_exists_sql());
    stmt->bind(1, name);
    return stmt->step();
}

namespace {

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
    return out;
}

// Types compare by what the database can hold; an enum's type name is a
// PostgreSQL detail that SQLite does not keep.
bool same_type(const SqlType& a, const SqlType& b) {
    SqlType x = a, y = b;
    x.enum_name.clear();
    y.enum_name.clear();
    return x == y;
}

std::string describe(const Column& c) {
    std::string out = c.type.to_string() + (c.nullable ? " NULL" : " NOT NULL");
    if (c.primary_key) out += " PRIMARY KEY";
    if (c.server_default) out += " DEFAULT " + *c.server_default;
    return out;
}

void compare_columns(const Table& e, const Table& a, std::vector<SchemaDifference>& out) {
    const std::string& t = e.name();
    for (const auto& ec : e.columns) {
        const Column* ac = a.find_column(ec.name);
        if (!ac) {
            out.push_back({t, "column " + ec.name + ": missing in database"});
            continue;
        }
        if (!same_type(ec.type, ac->type))
            out.push_back({t, "column " + ec.name + ": type " + ac->type.to_string() + " in database, " +
                                  ec.type.to_string() + " expected"});
        if (ec.nullable != ac->nullable)
            out.push_back({t, "column " + ec.name + ": " + (ac->nullable ? "nullable" : "NOT NULL") + " in database, " +
                                  (ec.nullable ? "nullable" : "NOT NULL") + " expected"});
        if (ec.primary_key != ac->primary_key)
            out.push_back({t, "column " + ec.name + ": primary key differs (" + describe(*ac) + " in database)"});
        if (ec.server_default != ac->server_default)
            out.push_back({t, "column " + ec.name + ": server default " + ac->server_default.value_or("none") +
                                  " in database, " + ec.server_default.value_or("none") + " expected"});
    }
    for (const auto& ac : a.columns)
        if (!e.find_column(ac.name)) out.push_back({t, "column " + ac.name + ": in database, not expected"});
}

// Named things (indexes, constraints) compared by name, then by content.
template <class T, class Describe>
void compare_named(const std::string& table, std::string_view what, const std::vector<T>& expected,
                   const std::vector<T>& actual, Describe describe_item, std::vector<SchemaDifference>& out) {
    for (const auto& e : expected) {
        auto it = std::find_if(actual.begin(), actual.end(), [&](const T& a) { return a.name == e.name; });
        if (it == actual.end())
            out.push_back({table, std::string(what) + " " + e.name + " (" + describe_item(e) + "): missing in database"});
        else if (!(*it == e))
            out.push_back({table, std::string(what) + " " + e.name + ": " + describe_item(*it) + " in database, " +
                                      describe_item(e) + " expected"});
    }
    for (const auto& a : actual)
        if (std::none_of(expected.begin(), expected.end(), [&](const T& e) { return e.name == a.name; }))
            out.push_back({table, std::string(what) + " " + (a.name.empty() ? "(unnamed)" : a.name) + " (" +
                                      describe_item(a) + "): in database, not expected"});
}

}  // namespace

std::vector<SchemaDifference> compare_schema(const MetaData& expected, const MetaData& actual) {
    std::vector<SchemaDifference> out;
    for (const auto& e : expected.tables()) {
        const Table* a = actual.find(e->name());
        if (!a) {
            out.push_back({e->name(), "table missing in database"});
            continue;
        }
        compare_columns(*e, *a, out);
        if (!e->primary_key_columns().empty() && e->primary_key_constraint != a->primary_key_constraint &&
            !a->primary_key_constraint.empty())
            out.push_back({e->name(), "primary key constraint named " + a->primary_key_constraint + " in database, " +
                                          e->primary_key_constraint + " expected"});
        compare_named(e->name(), "index", e->indexes, a->indexes,
                      [](const Index& i) { return std::string(i.unique ? "UNIQUE " : "") + "(" + join(i.columns) + ")"; },
                      out);
        compare_named(e->name(), "unique constraint", e->unique_constraints, a->unique_constraints,
                      [](const UniqueConstraint& u) { return "(" + join(u.columns) + ")"; }, out);
        compare_named(e->name(), "foreign key", e->foreign_keys, a->foreign_keys,
                      [](const ForeignKey& f) {
                          std::string s = "(" + join(f.columns) + ") -> " + f.ref_table + "(" + join(f.ref_columns) + ")";
                          if (!f.ondelete.empty()) s += " ON DELETE " + f.ondelete;
                          if (!f.onupdate.empty()) s += " ON UPDATE " + f.onupdate;
                          if (f.deferrable) s += f.initially_deferred ? " DEFERRABLE INITIALLY DEFERRED" : " DEFERRABLE";
                          return s;
                      },
                      out);
        compare_named(e->name(), "check constraint", e->checks, a->checks,
                      [](const CheckConstraint& c) { return c.sqltext; }, out);
    }
    for (const auto& a : actual.tables())
        if (!expected.find(a->name())) out.push_back({a->name(), "table in database, not expected"});
    return out;
}

}  // namespace strata
