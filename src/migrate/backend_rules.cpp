// The rules every backend starts from (src/migrate/backend_rules.hpp).
#include "migrate/backend_rules.hpp"

#include "dialect/backend.hpp"
#include "strata/error.hpp"

namespace strata::migrate {

namespace {
bool is_text(TypeKind k) { return k == TypeKind::String || k == TypeKind::Text; }
}  // namespace

const BackendRules& rules_for(const Dialect& dialect) { return backend_of(dialect).migration(); }

Column with_enum_name(Column c) {
    if (c.type.kind == TypeKind::Enum && c.type.enum_name.empty()) c.type.enum_name = c.name;
    return c;
}

std::string BackendRules::type_statement(const Dialect& d, const AlterColumn& op, const SqlType& from,
                                         const SqlType& to, const std::string& prefix) {
    const std::string to_sql = d.type_sql(to);
    // A cast (USING x::VARCHAR(n)) cuts longer text silently; without one
    // the database refuses a value that does not fit. Text to text needs none.
    if (is_text(from.kind) && is_text(to.kind)) return prefix + "TYPE " + to_sql;
    const bool enums = from.kind == TypeKind::Enum || to.kind == TypeKind::Enum;
    return prefix + "TYPE " + to_sql + " USING " + d.quote(op.column) + (enums ? "::text" : "") + "::" + to_sql;
}

std::vector<std::string> BackendRules::change_type(const Dialect& d, const AlterColumn& op, const Table&,
                                                   const Column& column, const std::string& prefix) const {
    Column to = column;
    to.type = *op.type;
    return {type_statement(d, op, with_enum_name(column).type, with_enum_name(to).type, prefix)};
}

BackendRules::OfflineBackfill BackendRules::offline_backfill(const BackfillSql& sql) const {
    return {"in one UPDATE: this backend's SQL has no loop to commit batches in (`db upgrade` updates " +
                std::to_string(sql.op.batch_size) + " rows per transaction)",
            {sql.update_all()}};
}

std::filesystem::path BackendRules::backup(const Database& db) const {
    throw MigrationError("--backup works on file databases only; the " + std::string(db.dialect().name()) +
                         " backend has no backup here (use its own tools, e.g. pg_dump for PostgreSQL)");
}

}  // namespace strata::migrate
