// Tables, naming convention, column options; create_all / drop_all.
#include "strata/schema.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <set>

#include "strata/connection.hpp"
#include "strata/database.hpp"
#include "strata/dialect.hpp"
#include "strata/error.hpp"
#include "schema/sql_tokens.hpp"

namespace strata {

namespace {

std::string join(const std::vector<std::string>& items, std::string_view sep) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? std::string(sep) : "") + items[i];
    return out;
}

// A made-up name longer than a backend keeps (PostgreSQL: 63 bytes) would be
// cut there silently, and two long names could become one. Such a name keeps
// its start and ends in '_' + 8 hex digits of a hash of the whole name
// (FNV-1a), as SQLAlchemy does: the same name always shortens the same way.
std::string fit_identifier(std::string name) {
    const std::size_t limit = strictest_identifier_dialect().max_identifier_length();
    if (!limit || name.size() <= limit) return name;
    std::uint64_t hash = 14695981039346656037ull;
    for (unsigned char c : name) hash = (hash ^ c) * 1099511628211ull;
    char suffix[10];
    std::snprintf(suffix, sizeof suffix, "_%08x", static_cast<unsigned>(hash ^ (hash >> 32)));
    std::size_t keep = limit - 9;
    while (keep > 0 && (static_cast<unsigned char>(name[keep]) & 0xC0) == 0x80) --keep;   // whole UTF-8 characters
    return name.substr(0, keep) + suffix;
}

std::string apply_convention(std::string pattern, const std::string& table, const std::string& column,
                             const std::string& reftable, const std::string& name) {
    auto replace = [&](std::string_view key, const std::string& value) {
        for (auto pos = pattern.find(key); pos != std::string::npos; pos = pattern.find(key, pos + value.size()))
            pattern.replace(pos, key.size(), value);
    };
    replace("{table}", table);
    replace("{column}", column);
    replace("{reftable}", reftable);
    replace("{name}", name);
    return fit_identifier(pattern);
}

}  // namespace

bool Index::is_expression(std::size_t key) const {
    return std::binary_search(expressions.begin(), expressions.end(), key);
}
bool Index::is_descending(std::size_t key) const {
    return std::binary_search(descending.begin(), descending.end(), key);
}

bool Column::same_structure(const Column& o) const {
    return name == o.name && type == o.type && nullable == o.nullable && primary_key == o.primary_key &&
           autoincrement == o.autoincrement && server_default == o.server_default && computed == o.computed;
}

// --- options ------------------------------------------------------------

ColumnOption primary_key() {
    return {[](Table&, Column& c, ColumnDecl&) {
        c.primary_key = true;
        c.nullable = false;
        c.autoincrement = c.type.kind == TypeKind::Integer;
    }};
}
ColumnOption autoincrement(bool on) {
    return {[on](Table&, Column& c, ColumnDecl&) { c.autoincrement = on; }};
}
ColumnOption nullable(bool on) {
    return {[on](Table&, Column& c, ColumnDecl&) { c.nullable = on; }};
}
ColumnOption not_null() { return nullable(false); }
ColumnOption unique() {
    return {[](Table&, Column&, ColumnDecl& d) { d.unique = true; }};
}
ColumnOption index() {
    return {[](Table&, Column&, ColumnDecl& d) { d.index = true; }};
}
ColumnOption default_value(Value v) {
    return {[v = std::move(v)](Table&, Column& c, ColumnDecl&) { c.default_value = v; }};
}
ColumnOption default_function(std::function<Value()> fn) {
    return {[fn = std::move(fn)](Table&, Column& c, ColumnDecl&) { c.default_function = fn; }};
}
ColumnOption detail::onupdate_option(std::optional<Value> value, std::function<Value()> fn) {
    return {[value = std::move(value), fn = std::move(fn)](Table&, Column& c, ColumnDecl&) {
        c.onupdate_value = value;
        c.onupdate_function = fn;
    }};
}
ColumnOption server_default(std::string sql_expression) {
    return {[s = std::move(sql_expression)](Table&, Column& c, ColumnDecl&) { c.server_default = s; }};
}
ColumnOption computed(std::string sql_expression) {
    return {[s = std::move(sql_expression)](Table& t, Column& c, ColumnDecl&) {
        if (auto problem = sqltok::expression_problem(s); !problem.empty())
            throw Error("column " + t.name() + "." + c.name + ": computed '" + s + "' is not one SQL expression: it holds " +
                        problem);
        c.computed = s;
    }};
}
ColumnOption comment(std::string text) {
    return {[s = std::move(text)](Table&, Column& c, ColumnDecl&) { c.comment = s; }};
}
ColumnOption foreign_key(std::string target, std::string ondelete, std::string onupdate) {
    return {[=](Table& t, Column& c, ColumnDecl&) {
        auto dot = target.rfind('.');
        if (dot == std::string::npos || dot == 0 || dot + 1 == target.size())
            throw Error("column " + t.name() + "." + c.name + ": foreign_key target '" + target +
                        "' must be 'table.column'");
        t.foreign_key("", {c.name}, target.substr(0, dot), {target.substr(dot + 1)}, ondelete, onupdate);
    }};
}

// --- Table --------------------------------------------------------------

Table::Table(std::string name, NamingConvention naming) : name_(std::move(name)), naming_(std::move(naming)) {
    primary_key_constraint = apply_convention(naming_.primary_key, name_, "", "", "");
}

Table& Table::add_column(Column column) {
    if (column.name.empty()) throw Error("table " + name_ + ": a column needs a name");
    if (find_column(column.name)) throw Error("table " + name_ + ": column '" + column.name + "' is declared twice");
    columns.push_back(std::move(column));
    // Only a lone integer primary key is assigned by the database.
    if (primary_key_columns().size() > 1)
        for (auto& c : columns) c.autoincrement = false;
    return *this;
}

Table& Table::add_column(std::string name, SqlType type, std::vector<ColumnOption> options) {
    Column column;
    column.name = std::move(name);
    column.type = std::move(type);
    ColumnDecl decl;
    // Options that add constraints (foreign_key) need the column in the table first.
    add_column(std::move(column));
    for (auto& opt : options) {
        // Re-find: an option may add to other vectors but never to columns.
        opt.apply(*this, columns.back(), decl);
    }
    if (primary_key_columns().size() > 1)
        for (auto& c : columns) c.autoincrement = false;
    const std::string& cname = columns.back().name;
    if (decl.index) index("", {cname}, decl.unique);
    else if (decl.unique) unique_constraint("", {cname});
    return *this;
}

Table& Table::index(std::string name, std::vector<std::string> cols, bool is_unique) {
    return index(Index{std::move(name), std::move(cols), is_unique});
}

Table& Table::index(Index ix) {
    const std::string what = "table " + name_ + ": index " + (ix.name.empty() ? std::string() : ix.name + " ");
    if (ix.columns.empty()) throw Error(what + "has no keys");
    auto positions_ok = [&](std::vector<std::size_t>& positions) {
        std::sort(positions.begin(), positions.end());
        positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
        return positions.empty() || positions.back() < ix.columns.size();
    };
    if (!positions_ok(ix.expressions) || !positions_ok(ix.descending))
        throw Error(what + "lists a key position beyond its " + std::to_string(ix.columns.size()) + " keys");
    for (std::size_t i = 0; i < ix.columns.size(); ++i) {
        if (!ix.is_expression(i)) {
            if (!find_column(ix.columns[i])) throw Error(what + "on unknown column '" + ix.columns[i] + "'");
        } else if (auto problem = sqltok::expression_problem(ix.columns[i]); !problem.empty()) {
            throw Error(what + "key '" + ix.columns[i] + "' is not one SQL expression: it holds " + problem);
        }
    }
    if (!ix.where.empty())
        if (auto problem = sqltok::expression_problem(ix.where); !problem.empty())
            throw Error(what + "where '" + ix.where + "' is not one SQL expression: it holds " + problem);
    if (ix.name.empty()) {
        if (!ix.expressions.empty()) throw Error(what + "with expression keys needs a name");
        ix.name = index_name(ix.columns);
    }
    indexes.push_back(std::move(ix));
    return *this;
}

Table& Table::unique_constraint(std::string name, std::vector<std::string> cols) {
    for (const auto& c : cols)
        if (!find_column(c)) throw Error("table " + name_ + ": unique constraint on unknown column '" + c + "'");
    unique_constraints.push_back({name.empty() ? unique_name(cols) : std::move(name), std::move(cols)});
    return *this;
}

Table& Table::foreign_key(std::string name, std::vector<std::string> cols, std::string ref_table,
                          std::vector<std::string> ref_columns, std::string ondelete, std::string onupdate) {
    if (cols.size() != ref_columns.size())
        throw Error("table " + name_ + ": foreign key has " + std::to_string(cols.size()) + " columns but references " +
                    std::to_string(ref_columns.size()));
    for (const auto& c : cols)
        if (!find_column(c)) throw Error("table " + name_ + ": foreign key on unknown column '" + c + "'");
    auto upper = [](std::string s) {
        std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::toupper(ch); });
        return s;
    };
    foreign_keys.push_back({name.empty() ? foreign_key_name(cols, ref_table) : std::move(name), std::move(cols),
                            std::move(ref_table), std::move(ref_columns), upper(ondelete), upper(onupdate)});
    return *this;
}

Table& Table::check(std::string name, std::string sqltext) {
    checks.push_back({check_name(name), std::move(sqltext)});
    return *this;
}

Table& Table::primary_key_name(std::string name) {
    primary_key_constraint = std::move(name);
    return *this;
}

const Column* Table::find_column(std::string_view n) const {
    for (const auto& c : columns)
        if (c.name == n) return &c;
    return nullptr;
}

Column* Table::find_column(std::string_view n) {
    for (auto& c : columns)
        if (c.name == n) return &c;
    return nullptr;
}

std::vector<std::string> Table::primary_key_columns() const {
    std::vector<std::string> out;
    for (const auto& c : columns)
        if (c.primary_key) out.push_back(c.name);
    return out;
}

std::string Table::index_name(const std::vector<std::string>& cols) const {
    return apply_convention(naming_.index, name_, join(cols, "_"), "", "");
}
std::string Table::unique_name(const std::vector<std::string>& cols) const {
    return apply_convention(naming_.unique, name_, join(cols, "_"), "", "");
}
std::string Table::foreign_key_name(const std::vector<std::string>& cols, const std::string& reftable) const {
    return apply_convention(naming_.foreign_key, name_, join(cols, "_"), reftable, "");
}
std::string Table::check_name(const std::string& name) const {
    return apply_convention(naming_.check, name_, "", "", name);
}

// --- MetaData -----------------------------------------------------------

MetaData::MetaData(const MetaData& other) : naming(other.naming) {
    for (const auto& t : other.tables_) tables_.push_back(std::make_unique<Table>(*t));
}

MetaData& MetaData::operator=(const MetaData& other) {
    if (this != &other) {
        MetaData copy(other);
        *this = std::move(copy);
    }
    return *this;
}

Table& MetaData::table(const std::string& name) {
    if (auto* t = find(name)) return *t;
    tables_.push_back(std::make_unique<Table>(name, naming));
    return *tables_.back();
}

const Table* MetaData::find(std::string_view name) const {
    for (const auto& t : tables_)
        if (t->name() == name) return t.get();
    return nullptr;
}

Table* MetaData::find(std::string_view name) {
    for (auto& t : tables_)
        if (t->name() == name) return t.get();
    return nullptr;
}

bool MetaData::remove(std::string_view name) {
    auto it = std::find_if(tables_.begin(), tables_.end(), [&](const auto& t) { return t->name() == name; });
    if (it == tables_.end()) return false;
    tables_.erase(it);
    return true;
}

std::vector<const Table*> MetaData::sorted_tables() const {
    // Depth-first over references, in declaration order; a table on the
    // current path (a cycle) is not revisited.
    std::vector<const Table*> out;
    std::set<const Table*> done, visiting;
    std::function<void(const Table*)> visit = [&](const Table* t) {
        if (done.count(t) || visiting.count(t)) return;
        visiting.insert(t);
        for (const auto& fk : t->foreign_keys)
            if (const Table* ref = find(fk.ref_table); ref && ref != t) visit(ref);
        visiting.erase(t);
        done.insert(t);
        out.push_back(t);
    };
    for (const auto& t : tables_) visit(t.get());
    return out;
}

namespace {

bool table_exists(Connection& conn, const std::string& name) {
    auto stmt = conn.prepare(conn.dialect().table_exists_sql());
    stmt->bind(1, name);
    return stmt->step();
}

// Runs fn inside a transaction of its own, or inside the caller's.
template <class Fn>
void in_transaction(Connection& conn, Fn&& fn) {
    if (conn.in_transaction()) {
        fn();
        return;
    }
    conn.begin();
    try {
        fn();
        conn.commit();
    } catch (...) {
        conn.rollback();
        throw;
    }
}

}  // namespace

void MetaData::create_all(Connection& conn, bool checkfirst) const {
    const Dialect& d = conn.dialect();
    in_transaction(conn, [&] {
        for (const Table* t : sorted_tables()) {
            if (checkfirst && table_exists(conn, t->name())) continue;
            for (const auto& sql : d.create_table(*t)) conn.execute(sql);
            for (const auto& sql : d.create_indexes(*t)) conn.execute(sql);
        }
    });
}

void MetaData::drop_all(Connection& conn, bool checkfirst) const {
    const Dialect& d = conn.dialect();
    auto order = sorted_tables();
    in_transaction(conn, [&] {
        for (auto it = order.rbegin(); it != order.rend(); ++it) {
            if (checkfirst && !table_exists(conn, (*it)->name())) continue;
            for (const auto& sql : d.drop_table(**it)) conn.execute(sql);
        }
    });
}

void MetaData::create_all(const Database& db, bool checkfirst) const {
    auto conn = db.connect();
    create_all(*conn, checkfirst);
}

void MetaData::drop_all(const Database& db, bool checkfirst) const {
    auto conn = db.connect();
    drop_all(*conn, checkfirst);
}

}  // namespace strata
