// SQLite's spelling: SQLAlchemy's type names (so Python apps read our files),
// "?" placeholders, and no ALTER beyond add/rename column (migrations rebuild
// tables in batch mode instead).
#include "strata/dialect.hpp"

#include <algorithm>

namespace strata {

namespace {

class SqliteDialect final : public Dialect {
public:
    std::string_view name() const override { return "sqlite"; }
    std::string placeholder(int) const override { return "?"; }
    bool supports_returning() const override { return true; }  // SQLite >= 3.35
    bool needs_batch_alter() const override { return true; }

    std::string type_sql(const SqlType& t) const override {
        switch (t.kind) {
            case TypeKind::Float: return "FLOAT";
            case TypeKind::DateTime: return "DATETIME";
            case TypeKind::Time: return "TIME";
            case TypeKind::LargeBinary: return "BLOB";
            case TypeKind::Enum: {
                // As SQLAlchemy: VARCHAR sized to the longest value, plus a CHECK.
                std::size_t longest = 0;
                for (const auto& v : t.enum_values) longest = std::max(longest, v.size());
                return "VARCHAR(" + std::to_string(longest) + ")";
            }
            default: return Dialect::type_sql(t);
        }
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
