// Reflection on SQLite: PRAGMA table-valued functions for columns, indexes
// and foreign keys; constraint names and CHECK bodies from the CREATE TABLE
// text in sqlite_master (SQLite keeps no catalog of them).
#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <map>

#include "backend/sqlite/schema/inspect.hpp"
#include "schema/sql_tokens.hpp"
#include "strata/error.hpp"

namespace strata {

namespace {

using sqltok::Token;

std::string upper(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

std::vector<int> type_args(std::string_view declared) {
    std::vector<int> out;
    auto open = declared.find('(');
    if (open == std::string_view::npos) return out;
    std::string_view inner = declared.substr(open + 1);
    std::size_t i = 0;
    while (i < inner.size() && inner[i] != ')') {
        if (std::isdigit(static_cast<unsigned char>(inner[i]))) {
            int v = 0;
            auto [end, ec] = std::from_chars(inner.data() + i, inner.data() + inner.size(), v);
            // SQLite keeps any declared length; one beyond int (VARCHAR(99999999999)) reads as INT_MAX.
            if (ec == std::errc::result_out_of_range) v = std::numeric_limits<int>::max();
            i = static_cast<std::size_t>(end - inner.data());
            out.push_back(v);
        } else {
            ++i;
        }
    }
    return out;
}

}  // namespace

namespace sqlite_ddl {

// Declared type text -> SqlType: our own spellings exactly, other spellings by
// SQLite's affinity rules (https://sqlite.org/datatype3.html, 3.1).
SqlType type_from_declared(std::string_view declared) {
    std::string u = upper(declared);
    std::string base = u.substr(0, u.find('('));
    while (!base.empty() && base.back() == ' ') base.pop_back();
    auto args = type_args(u);
    if (base == "INTEGER" || base == "INT") return Integer();
    if (base == "BIGINT") return BigInteger();
    if (base == "SMALLINT") return SmallInteger();
    if (base == "BOOLEAN" || base == "BOOL") return Boolean();
    if (base == "FLOAT" || base == "REAL" || base == "DOUBLE" || base == "DOUBLE PRECISION") return Float();
    if (base == "NUMERIC" || base == "DECIMAL")
        return args.size() >= 2 ? Numeric(args[0], args[1]) : args.size() == 1 ? Numeric(args[0], 0) : Numeric();
    if (base == "VARCHAR" || base == "NVARCHAR" || base == "CHARACTER VARYING") return String(args.empty() ? 0 : args[0]);
    if (base == "CHAR" || base == "CHARACTER") {  // another tool's fixed-length text: not strata's String
        SqlType t = String(args.empty() ? 0 : args[0]);
        t.fixed_length = true;
        return t;
    }
    if (base == "TEXT" || base == "CLOB") return Text();
    // SQLite stores every one of these as the same text: no time zone to tell apart.
    if (base == "DATETIME" || base == "TIMESTAMP" || base == "TIMESTAMP WITHOUT TIME ZONE" ||
        base == "TIMESTAMP WITH TIME ZONE" || base == "TIMESTAMPTZ")
        return DateTimeType();
    if (base == "DATE") return DateType();
    if (base == "TIME") return TimeType();
    if (base == "BLOB" || base.empty()) return LargeBinary();
    if (base == "UUID") return UuidType();
    if (base == "JSON TEXT" || base == "JSON") return JsonType();  // ours; SQLAlchemy's
    if (u.find("INT") != std::string::npos) return Integer();
    if (u.find("CHAR") != std::string::npos || u.find("CLOB") != std::string::npos || u.find("TEXT") != std::string::npos)
        return Text();
    if (u.find("REAL") != std::string::npos || u.find("FLOA") != std::string::npos || u.find("DOUB") != std::string::npos)
        return Float();
    return Numeric();
}

namespace {
std::vector<std::string> name_list(const std::vector<Token>& toks, std::size_t open, std::size_t close) {
    std::vector<std::string> out;
    for (std::size_t i = open + 1; i < close; ++i)
        if (toks[i].is_name()) out.push_back(toks[i].text);
    return out;
}
}  // namespace

// Reads table-level "CONSTRAINT name KIND (...)" clauses, and unnamed CHECKs.
NamedConstraints parse_constraints(std::string_view sql) {
    NamedConstraints out;
    auto toks = sqltok::tokenize(sql);
    auto body = std::find_if(toks.begin(), toks.end(), [](const Token& t) { return t.is('('); });
    if (body == toks.end()) return out;
    std::size_t end = sqltok::matching_paren(toks, body - toks.begin());
    int depth = 0;
    std::string pending_name;
    std::size_t segment = body - toks.begin() + 1;   // first token of the column or constraint definition
    bool fk_in_segment = false;                       // out.foreign_keys.back() belongs to this segment
    for (std::size_t i = segment; i < end; ++i) {
        const Token& t = toks[i];
        if (t.is('(')) ++depth;
        if (t.is(')')) --depth;
        if (depth != 0) continue;
        if (t.is(',')) {
            pending_name.clear();
            segment = i + 1;
            fk_in_segment = false;
        }
        if (t.is_word("REFERENCES") && !fk_in_segment && toks[segment].is_name() && !toks[segment].is_word("CONSTRAINT")) {
            out.foreign_keys.push_back({pending_name, {toks[segment].text}});   // inline: col TYPE REFERENCES t
            fk_in_segment = true;
        }
        if (fk_in_segment && t.is_word("DEFERRABLE")) out.foreign_keys.back().deferrable = !toks[i - 1].is_word("NOT");
        if (fk_in_segment && t.is_word("INITIALLY") && i + 1 < end && toks[i + 1].is_word("DEFERRED"))
            out.foreign_keys.back().initially_deferred = out.foreign_keys.back().deferrable;
        if (t.is_word("CONSTRAINT") && i + 1 < end) {
            pending_name = toks[++i].text;
            continue;
        }
        auto next_paren = [&](std::size_t from) {
            while (from < end && !toks[from].is('(')) ++from;
            return from;
        };
        if (t.is_word("PRIMARY")) {
            out.primary_key = pending_name;
        } else if (t.is_word("UNIQUE")) {
            std::size_t open = next_paren(i);
            std::size_t close = sqltok::matching_paren(toks, open);
            if (open < end && close < end && open == i + 1) {
                out.uniques.push_back({pending_name, name_list(toks, open, close)});
                i = close;
            }
        } else if (t.is_word("FOREIGN")) {
            std::size_t open = next_paren(i);
            std::size_t close = sqltok::matching_paren(toks, open);
            if (close < end) {
                out.foreign_keys.push_back({pending_name, name_list(toks, open, close)});
                fk_in_segment = true;
                i = close;
            }
        } else if (t.is_word("CHECK")) {
            std::size_t open = next_paren(i);
            std::size_t close = sqltok::matching_paren(toks, open);
            if (close < end) {
                std::string text(sql.substr(toks[open].end, toks[close].begin - toks[open].end));
                out.checks.push_back({pending_name, text});
                i = close;
            }
        }
    }
    return out;
}

// The expression of a generated column: `name TYPE [GENERATED ALWAYS] AS (expr)`.
std::string generated_expression(std::string_view sql, std::string_view column) {
    auto toks = sqltok::tokenize(sql);
    auto body = std::find_if(toks.begin(), toks.end(), [](const Token& t) { return t.is('('); });
    if (body == toks.end()) return {};
    const std::size_t end = sqltok::matching_paren(toks, body - toks.begin());
    bool segment_start = true, in_column = false;
    for (std::size_t i = body - toks.begin() + 1; i < end; ++i) {
        const Token& t = toks[i];
        if (segment_start) in_column = t.is_name() && upper(t.text) == upper(column);
        segment_start = t.is(',');
        if (t.is('(')) {
            i = sqltok::matching_paren(toks, i);
            continue;
        }
        if (in_column && t.is_word("AS") && i + 1 < end && toks[i + 1].is('(')) {
            const std::size_t close = sqltok::matching_paren(toks, i + 1);
            if (close >= end) return {};
            return std::string(sql.substr(toks[i + 1].end, toks[close].begin - toks[i + 1].end));
        }
    }
    return {};
}

// `"col" IN ('a', 'b')` -> {col, [a, b]}: the CHECK strata writes for an Enum.
bool parse_enum_check(const std::string& text, std::string& column, std::vector<std::string>& values) {
    return sqltok::parse_in_list_check(text, column, values);
}

}  // namespace sqlite_ddl

namespace {

using namespace sqlite_ddl;

std::string table_sql(Connection& conn, const std::string& table) {
    auto stmt = conn.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?");
    stmt->bind(1, table);
    if (!stmt->step()) throw OperationalError("no such table: " + table, "");
    return std::string(stmt->get_text(0));
}

void read_columns(Connection& conn, Table& t, std::string_view ddl) {
    // table_xinfo also lists generated columns (hidden 2: VIRTUAL, 3: STORED); 1 is a virtual table's hidden column.
    auto stmt = conn.prepare(
        "SELECT name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?) WHERE hidden <> 1 ORDER BY cid");
    stmt->bind(1, t.name());
    std::vector<std::pair<int, std::string>> pk_order;
    bool integer_declared = false;   // of the last key column: only "INTEGER" makes a rowid alias
    while (stmt->step()) {
        Column c;
        c.name = std::string(stmt->get_text(0));
        c.type = type_from_declared(stmt->get_text(1));
        const bool is_integer = upper(stmt->get_text(1)) == "INTEGER";
        c.nullable = stmt->get_int64(2) == 0;
        if (!stmt->is_null(3)) c.server_default = std::string(stmt->get_text(3));
        int pk = static_cast<int>(stmt->get_int64(4));
        c.primary_key = pk > 0;
        if (stmt->get_int64(5) >= 2) c.computed = generated_expression(ddl, c.name);
        if (pk > 0) {
            pk_order.push_back({pk, c.name});
            integer_declared = is_integer;
        }
        // A rowid alias (lone INTEGER PRIMARY KEY) is implicitly NOT NULL.
        t.add_column(std::move(c));
    }
    // (INT PRIMARY KEY is not one: SQLite assigns it nothing.)
    if (pk_order.size() == 1 && integer_declared) {
        Column* c = t.find_column(pk_order[0].second);
        c->autoincrement = true;
        c->nullable = false;
    }
}

// An index made by CREATE INDEX: column keys and their order from
// pragma_index_xinfo, expression keys and the WHERE predicate from its SQL text.
Index read_index(Connection& conn, const std::string& name, bool is_unique) {
    auto sql = conn.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?");
    sql->bind(1, name);
    const auto definition = sqltok::parse_index_definition(sql->step() && !sql->is_null(0) ? sql->get_text(0) : "");
    auto info = conn.prepare("SELECT name, \"desc\" FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno");
    info->bind(1, name);
    Index ix{name, {}, is_unique};
    while (info->step()) {
        const std::size_t position = ix.columns.size();
        if (info->is_null(0)) {   // an expression
            const bool known = position < definition.keys.size() && definition.keys[position].expression;
            ix.columns.push_back(known ? definition.keys[position].text : std::string());
            ix.expressions.push_back(position);
        } else {
            ix.columns.emplace_back(info->get_text(0));
        }
        if (info->get_int64(1) != 0) ix.descending.push_back(position);
    }
    ix.where = definition.where;
    return ix;
}

void read_indexes(Connection& conn, Table& t, const NamedConstraints& named) {
    auto list = conn.prepare("SELECT name, \"unique\", origin FROM pragma_index_list(?) ORDER BY seq DESC");
    list->bind(1, t.name());
    std::vector<std::tuple<std::string, bool, std::string>> found;
    while (list->step())
        found.emplace_back(std::string(list->get_text(0)), list->get_int64(1) != 0, std::string(list->get_text(2)));
    for (const auto& [name, is_unique, origin] : found) {
        if (origin == "c") {
            t.indexes.push_back(read_index(conn, name, is_unique));
            continue;
        }
        auto info = conn.prepare("SELECT name FROM pragma_index_info(?) ORDER BY seqno");
        info->bind(1, name);
        std::vector<std::string> cols;
        while (info->step()) cols.push_back(info->is_null(0) ? std::string() : std::string(info->get_text(0)));
        if (origin == "u") {
            std::string cname;
            for (const auto& uq : named.uniques)
                if (uq.columns == cols) cname = uq.name;
            t.unique_constraints.push_back({cname, cols});
        }
    }
    std::sort(t.indexes.begin(), t.indexes.end(), [](const Index& a, const Index& b) { return a.name < b.name; });
}

// The primary key columns of a table, in key order ("REFERENCES user" with no
// column list refers to them).
std::vector<std::string> primary_key_of(Connection& conn, const std::string& table) {
    auto stmt = conn.prepare("SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk");
    stmt->bind(1, table);
    std::vector<std::string> out;
    while (stmt->step()) out.emplace_back(stmt->get_text(0));
    return out;
}

void read_foreign_keys(Connection& conn, Table& t, const NamedConstraints& named) {
    auto stmt = conn.prepare(
        "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq");
    stmt->bind(1, t.name());
    std::map<std::int64_t, ForeignKey> by_id;
    while (stmt->step()) {
        auto& fk = by_id[stmt->get_int64(0)];
        fk.ref_table = std::string(stmt->get_text(1));
        fk.columns.emplace_back(stmt->get_text(2));
        fk.ref_columns.emplace_back(stmt->is_null(3) ? std::string() : std::string(stmt->get_text(3)));
        auto action = [](std::string_view a) { return a == "NO ACTION" ? std::string() : std::string(a); };
        fk.onupdate = action(stmt->get_text(4));
        fk.ondelete = action(stmt->get_text(5));
    }
    // pragma_foreign_key_list numbers constraints in reverse order of declaration.
    for (auto it = by_id.rbegin(); it != by_id.rend(); ++it) {
        ForeignKey fk = it->second;
        if (std::all_of(fk.ref_columns.begin(), fk.ref_columns.end(), [](const auto& c) { return c.empty(); })) {
            auto pk = primary_key_of(conn, fk.ref_table);
            if (pk.size() == fk.columns.size()) fk.ref_columns = std::move(pk);
        }
        for (const auto& clause : named.foreign_keys)
            if (clause.columns == fk.columns) {
                fk.name = clause.name;
                fk.deferrable = clause.deferrable;
                fk.initially_deferred = clause.initially_deferred;
            }
        t.foreign_keys.push_back(std::move(fk));
    }
}

void read_checks(Table& t, const NamedConstraints& named) {
    for (const auto& ck : named.checks) {
        std::string column;
        std::vector<std::string> values;
        if (parse_enum_check(ck.sqltext, column, values)) {
            Column* c = t.find_column(column);
            // Only strata's own spelling (VARCHAR sized to the longest value) is read as
            // the Enum; autogenerate matches other text columns to an Enum by their CHECK.
            std::size_t longest = 0;
            for (const auto& v : values) longest = std::max(longest, v.size());
            if (c && c->type.kind == TypeKind::String && !c->type.fixed_length &&
                static_cast<std::size_t>(c->type.length) == longest) {
                c->type = Enum(values);
                // The check is named after the enum; keep that name when it is not the column's.
                if (ck.name != t.check_name(column)) {
                    std::string prefix = t.check_name("");
                    if (ck.name.starts_with(prefix)) c->type.enum_name = ck.name.substr(prefix.size());
                }
                continue;
            }
        }
        t.checks.push_back(ck);
    }
}

}  // namespace

std::vector<std::string> table_names_sqlite(Connection& conn, const InspectOptions& options) {
    auto stmt = conn.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name");
    std::vector<std::string> out;
    while (stmt->step()) {
        std::string name(stmt->get_text(0));
        if (options.reads_table(name)) out.push_back(std::move(name));
    }
    return out;
}

MetaData inspect_sqlite(Connection& conn, const InspectOptions& options) {
    MetaData md;
    for (const auto& name : table_names_sqlite(conn, options)) {
        Table& t = md.table(name);
        const std::string ddl = table_sql(conn, name);
        auto named = parse_constraints(ddl);
        read_columns(conn, t, ddl);
        t.primary_key_constraint = named.primary_key;
        read_indexes(conn, t, named);
        read_foreign_keys(conn, t, named);
        read_checks(t, named);
    }
    return md;
}

namespace {

class SqliteInspector final : public Inspector {
public:
    MetaData inspect(Connection& conn, const InspectOptions& options) const override {
        return inspect_sqlite(conn, options);
    }
    std::vector<std::string> table_names(Connection& conn, const InspectOptions& options) const override {
        return table_names_sqlite(conn, options);
    }
    // server_check_text: SQLite keeps a CHECK's text as written (the default).
};

}  // namespace

const Inspector& sqlite_inspector() {
    static const SqliteInspector instance;
    return instance;
}

}  // namespace strata
