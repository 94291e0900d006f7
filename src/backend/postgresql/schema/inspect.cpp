// Reflection on PostgreSQL through pg_catalog, in the current schema
// (search_path's first): the same structures inspect_sqlite returns, so
// compare_schema(metadata, inspect(conn)) is empty right after create_all.
//
// Normalisation that makes that true:
//   - literal server defaults lose the cast PostgreSQL adds ('x'::character
//     varying -> 'x'; '-1'::integer -> -1 on numeric columns);
//   - boolean defaults come back as 1 / 0, the portable spelling;
//   - IDENTITY and serial (nextval) columns are autoincrement, with no default;
//   - an ENUM type becomes Enum(values) named after the column unless its
//     name differs;
//   - CHECK constraints made by strata carry their original text as the
//     constraint's comment (PostgreSQL re-spells the expression); others get
//     the deparsed text without the outer parentheses.
#include <algorithm>
#include <map>

#include "backend/postgresql/schema/inspect.hpp"
#include "strata/dialect.hpp"
#include "schema/sql_tokens.hpp"
#include "strata/error.hpp"

namespace strata {

namespace {

struct TableRef {
    std::int64_t oid;
    std::string name;
    std::optional<std::string> comment;
};

std::vector<TableRef> list_tables(Connection& conn, const InspectOptions& options) {
    auto stmt = conn.prepare(
        "SELECT c.oid::bigint, c.relname, pg_catalog.obj_description(c.oid, 'pg_class') FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname");
    std::vector<TableRef> out;
    while (stmt->step()) {
        std::string name(stmt->get_text(1));
        std::optional<std::string> comment;
        if (!stmt->is_null(2)) comment = std::string(stmt->get_text(2));
        if (options.reads_table(name)) out.push_back({stmt->get_int64(0), std::move(name), std::move(comment)});
    }
    return out;
}

std::vector<std::string> enum_labels(Connection& conn, std::int64_t type_oid) {
    auto stmt = conn.prepare(
        "SELECT enumlabel FROM pg_catalog.pg_enum WHERE enumtypid = $1::bigint::oid ORDER BY enumsortorder");
    stmt->bind(1, type_oid);
    std::vector<std::string> out;
    while (stmt->step()) out.emplace_back(stmt->get_text(0));
    return out;
}

SqlType type_from_catalog(Connection& conn, const std::string& typname, char typtype, int typmod,
                          std::int64_t type_oid, const std::string& column) {
    if (typtype == 'e') return Enum(enum_labels(conn, type_oid), typname == column ? "" : typname);
    if (typname == "int4") return Integer();
    if (typname == "int8") return BigInteger();
    if (typname == "int2") return SmallInteger();
    if (typname == "bool") return Boolean();
    if (typname == "float8" || typname == "float4") return Float();
    if (typname == "numeric") {
        if (typmod < 4) return Numeric();
        return Numeric(((typmod - 4) >> 16) & 0xffff, (typmod - 4) & 0xffff);
    }
    if (typname == "varchar") return String(typmod >= 4 ? typmod - 4 : 0);
    if (typname == "bpchar") {  // CHAR(n): blank-padded, not strata's String
        SqlType t = String(typmod >= 4 ? typmod - 4 : 0);
        t.fixed_length = true;
        return t;
    }
    if (typname == "text") return Text();
    if (typname == "timestamp") return DateTimeType();
    if (typname == "timestamptz") {
        SqlType t = DateTimeType();
        t.timezone = true;
        return t;
    }
    if (typname == "date") return DateType();
    if (typname == "time" || typname == "timetz") return TimeType();
    if (typname == "bytea") return LargeBinary();
    if (typname == "uuid") return UuidType();
    if (typname == "jsonb") return JsonType();
    return Text();  // json, xml, …: strata reads them as text
}

bool is_number(std::string_view s) {
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
    return !s.empty() && s.find_first_not_of("0123456789.eE+-") == std::string_view::npos &&
           std::isdigit(static_cast<unsigned char>(s[0]));
}

// "'x'::character varying" -> "'x'": a lone string literal and the cast
// PostgreSQL adds to it. Anything else (expressions, function calls) is kept.
std::string strip_literal_cast(const std::string& expr) {
    if (expr.empty() || expr[0] != '\'') return expr;
    std::size_t i = 1;
    while (i < expr.size()) {
        if (expr[i] == '\'' && i + 1 < expr.size() && expr[i + 1] == '\'') i += 2;
        else if (expr[i] == '\'') break;
        else ++i;
    }
    if (i >= expr.size()) return expr;
    const std::string literal = expr.substr(0, i + 1);
    const std::string rest = expr.substr(i + 1);
    if (rest.empty()) return literal;
    if (rest.rfind("::", 0) != 0 || rest.find_first_of("'|+-*/<>=") != std::string::npos) return expr;
    return literal;
}

std::optional<std::string> normalise_default(const std::string& expr, const SqlType& type) {
    // Booleans are spelled 0/1 as on SQLite (the dialect writes them as false/true).
    if (type.kind == TypeKind::Boolean && (expr == "true" || expr == "false")) return expr == "true" ? "1" : "0";
    std::string out = strip_literal_cast(expr);
    const bool numeric = type.is_integer() || type.kind == TypeKind::Float || type.kind == TypeKind::Numeric;
    if (numeric && out.size() >= 2 && out.front() == '\'' && out.back() == '\'' &&
        is_number(std::string_view(out).substr(1, out.size() - 2))) {
        out = out.substr(1, out.size() - 2);  // '-1'::integer is how PostgreSQL spells -1
    }
    return out;
}

void read_columns(Connection& conn, const TableRef& ref, Table& t) {
    auto stmt = conn.prepare(
        "SELECT a.attname, t.typname, t.typtype, a.atttypmod, a.attnotnull, "
        "pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attidentity IN ('a', 'd'), t.oid::bigint, a.attgenerated = 's', "
        "pg_catalog.col_description(a.attrelid, a.attnum), pg_catalog.pg_get_expr(d.adbin, d.adrelid, true) "
        "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
        "LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        "WHERE a.attrelid = $1::bigint::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum");
    stmt->bind(1, ref.oid);
    while (stmt->step()) {
        Column c;
        c.name = std::string(stmt->get_text(0));
        const std::string typname(stmt->get_text(1));
        c.type = type_from_catalog(conn, typname, stmt->get_text(2)[0], static_cast<int>(stmt->get_int64(3)),
                                   stmt->get_int64(7), c.name);
        c.nullable = !stmt->get_bool(4);
        c.autoincrement = stmt->get_bool(6);  // GENERATED … AS IDENTITY
        if (!stmt->is_null(9)) c.comment = std::string(stmt->get_text(9));
        if (!stmt->is_null(5) && stmt->get_bool(8)) {
            // A generated column's expression, not a default; deparsed "pretty", with
            // no parentheses beyond what precedence needs (q * p + 1, not ((q * p) + 1)).
            c.computed = std::string(stmt->get_text(10));
        } else if (!stmt->is_null(5)) {
            std::string expr(stmt->get_text(5));
            if (expr.rfind("nextval(", 0) == 0) c.autoincrement = true;  // serial / bigserial
            else c.server_default = normalise_default(expr, c.type);
        }
        t.add_column(std::move(c));
    }
}

std::string fk_action(std::string_view code) {
    switch (code.empty() ? 'a' : code[0]) {
        case 'r': return "RESTRICT";
        case 'c': return "CASCADE";
        case 'n': return "SET NULL";
        case 'd': return "SET DEFAULT";
        default: return "";  // 'a' = NO ACTION
    }
}

// "CHECK ((price > 0))" -> "price > 0".
std::string check_body(std::string def) {
    if (def.rfind("CHECK (", 0) == 0 && def.back() == ')') def = def.substr(7, def.size() - 8);
    if (def.size() >= 2 && def.front() == '(' && def.back() == ')') def = def.substr(1, def.size() - 2);
    return def;
}

void read_constraints(Connection& conn, const TableRef& ref, Table& t) {
    auto stmt = conn.prepare(
        "SELECT c.conname, c.contype, a.attname, rc.relname, ra.attname, c.confdeltype, c.confupdtype, "
        "pg_catalog.pg_get_constraintdef(c.oid), pg_catalog.obj_description(c.oid, 'pg_constraint'), "
        "c.condeferrable, c.condeferred "
        "FROM pg_catalog.pg_constraint c "
        "LEFT JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord) ON c.contype <> 'c' "
        "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum "
        "LEFT JOIN pg_catalog.pg_class rc ON rc.oid = c.confrelid "
        "LEFT JOIN pg_catalog.pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[k.ord] "
        "WHERE c.conrelid = $1::bigint::oid ORDER BY c.conname, k.ord");
    stmt->bind(1, ref.oid);
    std::map<std::string, UniqueConstraint> uniques;
    std::map<std::string, ForeignKey> fks;
    while (stmt->step()) {
        const std::string name(stmt->get_text(0));
        const char type = stmt->get_text(1)[0];
        const std::string column(stmt->get_text(2));
        if (type == 'p') {
            t.primary_key_constraint = name;
            if (Column* c = t.find_column(column)) c->primary_key = true;
        } else if (type == 'u') {
            auto& uq = uniques[name];
            uq.name = name;
            uq.columns.push_back(column);
        } else if (type == 'f') {
            auto& fk = fks[name];
            fk.name = name;
            fk.columns.push_back(column);
            fk.ref_table = std::string(stmt->get_text(3));
            fk.ref_columns.emplace_back(stmt->get_text(4));
            fk.ondelete = fk_action(stmt->get_text(5));
            fk.onupdate = fk_action(stmt->get_text(6));
            fk.deferrable = stmt->get_bool(9);
            fk.initially_deferred = stmt->get_bool(10);
        } else if (type == 'c') {
            std::string text = stmt->is_null(8) ? check_body(std::string(stmt->get_text(7))) : std::string(stmt->get_text(8));
            t.checks.push_back({name, std::move(text)});
        }
    }
    for (auto& [name, uq] : uniques) t.unique_constraints.push_back(std::move(uq));
    for (auto& [name, fk] : fks) t.foreign_keys.push_back(std::move(fk));
}

// PostgreSQL re-spells expressions (lower(email) comes back as
// lower((email)::text)); an index strata made keeps its declared definition
// as its comment. That text is used when it describes this index: the same
// keys, columns and orders, expressions where the index has them.
void use_declared_text(Index& ix, const std::string& comment) {
    if (comment.empty() || (ix.expressions.empty() && ix.where.empty())) return;
    const auto declared = sqltok::parse_index_definition(comment);
    if (declared.keys.size() != ix.columns.size() || declared.where.empty() != ix.where.empty()) return;
    for (std::size_t i = 0; i < ix.columns.size(); ++i) {
        const auto& key = declared.keys[i];
        if (key.expression != ix.is_expression(i) || key.descending != ix.is_descending(i)) return;
        if (!key.expression && key.text != ix.columns[i]) return;
    }
    for (std::size_t i = 0; i < ix.columns.size(); ++i) ix.columns[i] = declared.keys[i].text;
    ix.where = declared.where;
}

// Indexes that are not the backing index of a PRIMARY KEY or UNIQUE
// constraint: each key a column or an expression (as PostgreSQL deparses it),
// DESC from indoption, and a partial index's predicate.
void read_indexes(Connection& conn, const TableRef& ref, Table& t) {
    auto stmt = conn.prepare(
        "SELECT i.relname, ix.indisunique, a.attname, "
        "pg_catalog.pg_get_indexdef(ix.indexrelid, k.ord::int, true), (ix.indoption[(k.ord - 1)::int] & 1) = 1, "
        "pg_catalog.pg_get_expr(ix.indpred, ix.indrelid, true), pg_catalog.obj_description(ix.indexrelid, 'pg_class') "
        "FROM pg_catalog.pg_index ix JOIN pg_catalog.pg_class i ON i.oid = ix.indexrelid "
        "CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord) "
        "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum AND k.attnum <> 0 "
        "WHERE ix.indrelid = $1::bigint::oid AND ix.indisvalid AND k.ord <= ix.indnkeyatts AND NOT EXISTS (SELECT 1 FROM "
        "pg_catalog.pg_constraint c WHERE c.conindid = ix.indexrelid AND c.contype IN ('p', 'u', 'x')) "
        "ORDER BY i.relname, k.ord");
    stmt->bind(1, ref.oid);
    std::vector<std::string> comments;
    while (stmt->step()) {
        const std::string name(stmt->get_text(0));
        if (t.indexes.empty() || t.indexes.back().name != name) {
            t.indexes.push_back({name, {}, stmt->get_bool(1)});
            t.indexes.back().where = stmt->is_null(5) ? std::string() : std::string(stmt->get_text(5));
            comments.push_back(stmt->is_null(6) ? std::string() : std::string(stmt->get_text(6)));
        }
        Index& ix = t.indexes.back();
        const std::size_t position = ix.columns.size();
        if (stmt->is_null(2)) {
            ix.columns.emplace_back(stmt->get_text(3));
            ix.expressions.push_back(position);
        } else {
            ix.columns.emplace_back(stmt->get_text(2));
        }
        if (stmt->get_bool(4)) ix.descending.push_back(position);
    }
    for (std::size_t i = 0; i < t.indexes.size(); ++i) use_declared_text(t.indexes[i], comments[i]);
}

}  // namespace

std::vector<std::string> table_names_postgresql(Connection& conn, const InspectOptions& options) {
    std::vector<std::string> out;
    for (auto& ref : list_tables(conn, options)) out.push_back(std::move(ref.name));
    return out;
}

// The server's spelling of a CHECK on `table`: the constraint is added to a
// temporary copy of the table's columns, read back, and rolled away.
std::optional<std::string> server_check_text_postgresql(Connection& conn, const std::string& table,
                                                        const std::string& sqltext) {
    const Dialect& d = conn.dialect();
    const bool own_transaction = !conn.in_transaction();
    if (own_transaction) conn.begin_deferred();
    else conn.savepoint("strata_check_text");
    std::optional<std::string> out;
    try {
        conn.execute("CREATE TEMPORARY TABLE strata_check_text (LIKE " + d.quote(table) + ")");
        conn.execute("ALTER TABLE strata_check_text ADD CHECK (" + sqltext + ")");
        auto stmt = conn.prepare(
            "SELECT pg_catalog.pg_get_constraintdef(c.oid) FROM pg_catalog.pg_constraint c "
            "WHERE c.conrelid = 'pg_temp.strata_check_text'::regclass AND c.contype = 'c'");
        if (stmt->step()) out = check_body(std::string(stmt->get_text(0)));
    } catch (const DatabaseError&) {
        // Text the server does not take on this table: nothing to compare with.
    }
    if (own_transaction) {
        conn.rollback();
    } else {
        conn.rollback_to_savepoint("strata_check_text");
        conn.release_savepoint("strata_check_text");
    }
    return out;
}

MetaData inspect_postgresql(Connection& conn, const InspectOptions& options) {
    MetaData md;
    for (const auto& ref : list_tables(conn, options)) {
        Table& t = md.table(ref.name);
        t.comment = ref.comment;
        read_columns(conn, ref, t);
        read_constraints(conn, ref, t);
        read_indexes(conn, ref, t);
    }
    return md;
}

namespace {

class PostgresqlInspector final : public Inspector {
public:
    MetaData inspect(Connection& conn, const InspectOptions& options) const override {
        return inspect_postgresql(conn, options);
    }
    std::vector<std::string> table_names(Connection& conn, const InspectOptions& options) const override {
        return table_names_postgresql(conn, options);
    }
    std::optional<std::string> server_check_text(Connection& conn, const std::string& table,
                                                 const std::string& sqltext) const override {
        return server_check_text_postgresql(conn, table, sqltext);
    }
};

}  // namespace

const Inspector& postgresql_inspector() {
    static const PostgresqlInspector instance;
    return instance;
}

}  // namespace strata
