// src/migrate/lock.hpp — the migration transaction: the lock that serialises
// runs, taken the backend's way (src/backend/<name>/migrate/), and what the
// backend changes on the connection for the run.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "migrate/runner.hpp"
#include "strata/connection.hpp"

namespace strata::migrate {

// Key of the PostgreSQL advisory lock that serialises migration runs ("strata" in ASCII).
inline constexpr std::int64_t kPostgresLockKey = 126943972389985;

// Runs one statement that may return rows (PRAGMAs, SELECT of a lock) and ignores them.
void run_query(Connection& conn, const std::string& sql);
// The first column of the first row as an integer (0 without a row).
std::int64_t query_int(Connection& conn, const std::string& sql);

class RunGuard;

// The migration transaction: the backend's lock and BEGIN
// (BackendRules::begin_run: SQLite's BEGIN EXCLUSIVE, PostgreSQL's advisory
// lock), and what the backend changed on the connection for the run (SQLite
// turns its foreign keys off; the runner has them checked after each
// revision), put back when the transaction ends.
class MigrationTransaction {
public:
    // Takes the lock and opens the transaction (waiting up to
    // options.migration_lock_wait for another run); MigrationError when the
    // lock cannot be had. On PostgreSQL the run's limits are then set (lock_wait.hpp).
    MigrationTransaction(Connection& conn, const RunOptions& options);
    MigrationTransaction(const MigrationTransaction&) = delete;
    MigrationTransaction& operator=(const MigrationTransaction&) = delete;
    ~MigrationTransaction();

    void commit();
    void rollback();

private:
    Connection& conn_;
    std::unique_ptr<RunGuard> guard_;
    bool open_ = true;
};

}  // namespace strata::migrate
