// SQLite's spelling: SQLAlchemy's type names (so Python apps read our files),
// "?" placeholders, and no ALTER beyond add/rename column (migrations rebuild
// tables in batch mode instead).
#include "strata/dialect.hpp"

#include <algorithm>
#include <cctype>

#include "strata/schema.hpp"

namespace strata {

namespace {

// A literal SQLite takes after DEFAULT as it is: a signed number, one string
// literal, NULL / TRUE / FALSE, CURRENT_TIME / _DATE / _TIMESTAMP.
bool default_literal(std::string_view text) {
    std::string u;
    for (char c : text) u += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (u == "NULL" || u == "TRUE" || u == "FALSE" || u == "CURRENT_TIME" || u == "CURRENT_DATE" ||
        u == "CURRENT_TIMESTAMP")
        return true;
    if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'') {
        for (std::size_t i = 1; i + 1 < text.size(); ++i)
            if (text[i] == '\'' && text[++i] != '\'') return false;   // a quote inside must be doubled
        return true;
    }
    std::string_view n = text;
    if (!n.empty() && (n.front() == '-' || n.front() == '+')) n.remove_prefix(1);
    return !n.empty() && std::isdigit(static_cast<unsigned char>(n.front())) &&
           n.find_first_not_of("0123456789.eE+-") == std::string_view::npos;
}

// Whether the whole text is one parenthesised group: "(a) + (b)" is not.
bool parenthesised(std::string_view text) {
    if (text.size() < 2 || text.front() != '(' || text.back() != ')') return false;
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '\'') in_string = !in_string;
        if (in_string) continue;
        if (c == '(') ++depth;
        if (c == ')' && --depth == 0 && i + 1 < text.size()) return false;
    }
    return true;
}

class SqliteDialect final : public Dialect {
public:
    std::string_view name() const override { return "sqlite"; }
    std::string placeholder(int) const override { return "?"; }
    bool supports_returning() const override { return true; }  // SQLite >= 3.35
    bool returning_for_new_keys() const override { return false; }  // rowids are faster (see Dialect)
    std::string_view limit_for_offset_alone() const override { return "LIMIT -1"; }
    bool needs_batch_alter() const override { return true; }

    std::string type_sql(const SqlType& t) const override {
        switch (t.kind) {
            case TypeKind::Float: return "FLOAT";
            case TypeKind::DateTime: return "DATETIME";
            case TypeKind::Time: return "TIME";
            case TypeKind::LargeBinary: return "BLOB";
            // A name of NUMERIC affinity, which keeps a blob as it is.
            case TypeKind::Uuid: return "UUID";
            // Not "JSON": that has NUMERIC affinity, which would store the
            // document 12345678901234567890 as the REAL 1.23456789012346e+19.
            case TypeKind::Json: return "JSON TEXT";
            case TypeKind::Enum: {
                // As SQLAlchemy: VARCHAR sized to the longest value, plus a CHECK.
                std::size_t longest = 0;
                for (const auto& v : t.enum_values) longest = std::max(longest, v.size());
                return "VARCHAR(" + std::to_string(longest) + ")";
            }
            default: return Dialect::type_sql(t);
        }
    }

    // SQLite takes an expression default only in parentheses, and reads it
    // back without them (PRAGMA table_info): `datetime('now')` is written
    // DEFAULT (datetime('now')), whoever wrote it.
    std::string column_definition(const Table& table, const Column& column) const override {
        if (!column.server_default || default_literal(*column.server_default) || parenthesised(*column.server_default))
            return Dialect::column_definition(table, column);
        Column spelled = column;
        spelled.server_default = "(" + *column.server_default + ")";
        return Dialect::column_definition(table, spelled);
    }

    std::string drop_index(const std::string&, const std::string& index_name) const override {
        return "DROP INDEX " + quote(index_name);
    }

    std::string table_exists_sql() const override {
        return "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?";
    }
};

}  // namespace

const Dialect& sqlite_dialect() {
    static const SqliteDialect instance;
    return instance;
}

}  // namespace strata
