// DDL common to every backend; dialects override what they spell differently.
#include "strata/dialect.hpp"

#include <cstdio>

#include "dialect/backend.hpp"
#include "strata/error.hpp"

namespace strata {

std::string Dialect::quote(std::string_view identifier) const {
    // A longer name would be cut by the backend without a word (PostgreSQL),
    // and the object made would not be the one asked for.
    if (const std::size_t limit = max_identifier_length(); limit && identifier.size() > limit)
        throw ProgrammingError("the name '" + std::string(identifier) + "' is " + std::to_string(identifier.size()) +
                                   " bytes; " + std::string(name()) + " keeps at most " + std::to_string(limit) +
                                   " bytes of a name (and cuts the rest silently)",
                               "");
    if (identifier.find('\0') != std::string_view::npos)
        throw ProgrammingError("the name '" + std::string(identifier.substr(0, identifier.find('\0'))) +
                                   "…' holds a NUL byte", "");
    std::string out;
    out.reserve(identifier.size() + 2);
    out.push_back('"');
    for (char c : identifier) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

std::string Dialect::quoted_list(const std::vector<std::string>& identifiers) const {
    std::string out;
    for (std::size_t i = 0; i < identifiers.size(); ++i) {
        if (i) out += ", ";
        out += quote(identifiers[i]);
    }
    return out;
}

namespace {
std::string quote_string(std::string_view s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') out.push_back('\'');
        out.push_back(c);
    }
    return out + "'";
}
}  // namespace

std::string Dialect::literal(const Value& value) const {
    return std::visit(
        [](const auto& v) -> std::string {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, Null>) return "NULL";
            else if constexpr (std::is_same_v<T, bool>) return v ? "1" : "0";
            else if constexpr (std::is_same_v<T, std::int64_t>) return std::to_string(v);
            else if constexpr (std::is_same_v<T, double>) {
                char buf[64];
                std::snprintf(buf, sizeof buf, "%.17g", v);
                return buf;
            } else if constexpr (std::is_same_v<T, std::string>) return quote_string(v);
            else if constexpr (std::is_same_v<T, Blob>) {
                static const char* hex = "0123456789abcdef";
                std::string out = "X'";
                for (auto b : v.bytes) {
                    out.push_back(hex[b >> 4]);
                    out.push_back(hex[b & 15]);
                }
                return out + "'";
            } else if constexpr (std::is_same_v<T, DateTime>) return quote_string(format_datetime(v));
            else if constexpr (std::is_same_v<T, Date>) return quote_string(format_date(v));
            else if constexpr (std::is_same_v<T, Time>) return quote_string(format_time(v));
            else return v.text;
        },
        value.storage());
}

std::string Dialect::type_sql(const SqlType& t) const {
    switch (t.kind) {
        case TypeKind::Integer: return "INTEGER";
        case TypeKind::BigInteger: return "BIGINT";
        case TypeKind::SmallInteger: return "SMALLINT";
        case TypeKind::Boolean: return "BOOLEAN";
        case TypeKind::Numeric:
            if (t.precision == 0) return "NUMERIC";
            return "NUMERIC(" + std::to_string(t.precision) + ", " + std::to_string(t.scale) + ")";
        case TypeKind::String:
            if (t.fixed_length) return t.length ? "CHAR(" + std::to_string(t.length) + ")" : "CHAR";
            return t.length ? "VARCHAR(" + std::to_string(t.length) + ")" : "VARCHAR";
        case TypeKind::Text: return "TEXT";
        case TypeKind::Date: return "DATE";
        default: break;
    }
    throw ConfigError("the " + std::string(name()) + " dialect has no spelling for type " + t.to_string());
}

std::string Dialect::column_definition(const Table&, const Column& column) const {
    std::string out = quote(column.name) + " " + type_sql(column.type);
    if (column.computed) out += " GENERATED ALWAYS AS (" + *column.computed + ") STORED";
    if (!column.nullable) out += " NOT NULL";
    if (column.server_default) out += " DEFAULT " + *column.server_default;
    return out;
}

// "CONSTRAINT name " before a constraint; nothing for one the database left
// unnamed (a table rebuild on SQLite keeps it unnamed instead of naming it "").
static std::string constraint_name_clause(const Dialect& dialect, const std::string& name) {
    return name.empty() ? std::string() : "CONSTRAINT " + dialect.quote(name) + " ";
}

std::string Dialect::primary_key_clause(const Table& table) const {
    auto cols = table.primary_key_columns();
    if (cols.empty()) return {};
    return constraint_name_clause(*this, table.primary_key_constraint) + "PRIMARY KEY (" + quoted_list(cols) + ")";
}

std::string Dialect::unique_clause(const UniqueConstraint& uq) const {
    return constraint_name_clause(*this, uq.name) + "UNIQUE (" + quoted_list(uq.columns) + ")";
}

std::string Dialect::foreign_key_clause(const ForeignKey& fk) const {
    std::string out = constraint_name_clause(*this, fk.name) + "FOREIGN KEY (" + quoted_list(fk.columns) + ") REFERENCES " +
                      quote(fk.ref_table) + " (" + quoted_list(fk.ref_columns) + ")";
    if (!fk.ondelete.empty()) out += " ON DELETE " + fk.ondelete;
    if (!fk.onupdate.empty()) out += " ON UPDATE " + fk.onupdate;
    if (fk.deferrable) out += fk.initially_deferred ? " DEFERRABLE INITIALLY DEFERRED" : " DEFERRABLE";
    return out;
}

std::string Dialect::check_clause(const CheckConstraint& ck) const {
    return constraint_name_clause(*this, ck.name) + "CHECK (" + ck.sqltext + ")";
}

std::optional<CheckConstraint> Dialect::enum_check(const Table& table, const Column& column) const {
    if (column.type.kind != TypeKind::Enum || has_enum_type()) return std::nullopt;
    std::string text = quote(column.name) + " IN (";
    for (std::size_t i = 0; i < column.type.enum_values.size(); ++i)
        text += (i ? ", " : "") + quote_string(column.type.enum_values[i]);
    text += ")";
    return CheckConstraint{table.check_name(column.type.enum_name.empty() ? column.name : column.type.enum_name), text};
}

std::vector<std::string> Dialect::create_table(const Table& table) const {
    std::vector<std::string> parts;
    for (const auto& c : table.columns) parts.push_back(column_definition(table, c));
    if (auto pk = primary_key_clause(table); !pk.empty()) parts.push_back(pk);
    for (const auto& uq : table.unique_constraints) parts.push_back(unique_clause(uq));
    for (const auto& fk : table.foreign_keys) parts.push_back(foreign_key_clause(fk));
    for (const auto& c : table.columns)
        if (auto ck = enum_check(table, c)) parts.push_back(check_clause(*ck));
    for (const auto& ck : table.checks) parts.push_back(check_clause(ck));
    std::string sql = "CREATE TABLE " + quote(table.name()) + " (\n";
    for (std::size_t i = 0; i < parts.size(); ++i) sql += "\t" + parts[i] + (i + 1 < parts.size() ? ",\n" : "\n");
    sql += ")";
    auto out = create_types(table);
    out.push_back(std::move(sql));
    return out;
}

std::string Dialect::create_index(const std::string& table, const Index& index) const {
    return std::string("CREATE ") + (index.unique ? "UNIQUE " : "") + "INDEX " + quote(index.name) + " ON " +
           quote(table) + " " + index_definition(index);
}

std::string Dialect::index_definition(const Index& index) const {
    std::string keys;
    for (std::size_t i = 0; i < index.columns.size(); ++i) {
        keys += i ? ", " : "";
        keys += index.is_expression(i) ? "(" + index.columns[i] + ")" : quote(index.columns[i]);
        if (index.is_descending(i)) keys += " DESC";
    }
    return "(" + keys + ")" + (index.where.empty() ? "" : " WHERE " + index.where);
}

std::vector<std::string> Dialect::create_indexes(const Table& table) const {
    std::vector<std::string> out;
    for (const auto& ix : table.indexes) {
        out.push_back(create_index(table.name(), ix));
        for (auto& sql : index_comment(ix)) out.push_back(std::move(sql));
    }
    return out;
}

std::vector<std::string> Dialect::drop_table(const Table& table) const {
    std::vector<std::string> out{"DROP TABLE " + quote(table.name())};
    for (auto& s : drop_types(table)) out.push_back(std::move(s));
    return out;
}

std::vector<std::string> Dialect::create_types(const Table&) const { return {}; }
std::vector<std::string> Dialect::check_comment(const std::string&, const CheckConstraint&) const { return {}; }
std::vector<std::string> Dialect::index_comment(const Index&) const { return {}; }
std::vector<std::string> Dialect::comment_on(const std::string&, const std::string&,
                                             const std::optional<std::string>&) const {
    return {};
}
std::vector<std::string> Dialect::drop_types(const Table&) const { return {}; }

const Dialect& dialect_named(std::string_view name) {
    const Backend* backend = find_backend(name);
    if (!backend || backend->name != name)
        throw ConfigError("unknown dialect '" + std::string(name) + "' (expected one of: " + backend_names() + ")");
    return backend->dialect();
}

const Dialect& strictest_identifier_dialect() {
    const Dialect* strictest = nullptr;
    for (const Backend* b : registered_backends()) {
        const Dialect* d = &b->dialect();
        std::size_t limit = d->max_identifier_length();
        if (limit && (!strictest || limit < strictest->max_identifier_length())) strictest = d;
    }
    return strictest ? *strictest : registered_backends().front()->dialect();
}

}  // namespace strata
