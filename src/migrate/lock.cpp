// src/migrate/lock.cpp — the migration transaction; the backends take their locks (BackendRules::begin_run).
#include "migrate/lock.hpp"

#include "migrate/backend_rules.hpp"

namespace strata::migrate {

void run_query(Connection& conn, const std::string& sql) {
    auto stmt = conn.prepare(sql);
    while (stmt->step()) {
    }
}

std::int64_t query_int(Connection& conn, const std::string& sql) {
    auto stmt = conn.prepare(sql);
    return stmt->step() ? stmt->get_int64(0) : 0;
}

MigrationTransaction::MigrationTransaction(Connection& conn, const RunOptions& options)
    : conn_(conn), guard_(rules_for(conn.dialect()).begin_run(conn, options)) {}

MigrationTransaction::~MigrationTransaction() {
    try {
        rollback();
    } catch (...) {   // must not throw; a broken connection is discarded by its pool
    }
    guard_.reset();   // after the transaction: SQLite's foreign keys come back on
}

void MigrationTransaction::commit() {
    conn_.commit();
    open_ = false;
}

// Through the connection, which knows when SQLite has already rolled the
// transaction back itself (disk full, I/O error): a ROLLBACK then would
// fail with "no transaction is active" and hide the real error.
void MigrationTransaction::rollback() {
    if (open_) conn_.rollback();
    open_ = false;
}

}  // namespace strata::migrate
