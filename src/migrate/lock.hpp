// src/migrate/lock.hpp — the migration transaction: the lock that serialises
// runs (SQLite: BEGIN EXCLUSIVE; PostgreSQL: pg_advisory_xact_lock), and on
// SQLite foreign keys off for the run (rebuilt tables would otherwise cascade;
// the runner checks them after each revision).
#pragma once

#include <cstdint>
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

class MigrationTransaction {
public:
    // Takes the lock and opens the transaction (waiting up to options.lock_timeout
    // for another run); MigrationError when the lock cannot be had.
    MigrationTransaction(Connection& conn, const RunOptions& options);
    MigrationTransaction(const MigrationTransaction&) = delete;
    MigrationTransaction& operator=(const MigrationTransaction&) = delete;
    ~MigrationTransaction();

    void commit();
    void rollback();

private:
    void close() noexcept;
    void lock_sqlite(const RunOptions& options);
    void take_sqlite_lock(const RunOptions& options, std::int64_t busy_timeout);
    bool try_lock(bool readers_too);
    void wait_for_sqlite_lock(std::int64_t wait_ms, const std::string& why);
    void lock_postgresql(const RunOptions& options);

    Connection& conn_;
    bool sqlite_ = false;
    bool open_ = false;
    bool foreign_keys_were_on_ = true;
};

}  // namespace strata::migrate
