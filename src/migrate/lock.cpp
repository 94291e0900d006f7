// src/migrate/lock.cpp — the migration transaction and the lock that serialises runs.
#include "migrate/lock.hpp"

#include <algorithm>

#include "strata/dialect.hpp"
#include "strata/error.hpp"

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

MigrationTransaction::MigrationTransaction(Connection& conn, const RunOptions& options) : conn_(conn) {
    sqlite_ = conn.dialect().name() == "sqlite";
    try {
        if (sqlite_) {
            foreign_keys_were_on_ = query_int(conn, "PRAGMA foreign_keys") != 0;
            run_query(conn, "PRAGMA foreign_keys = OFF");
            lock_sqlite(options);
        } else {
            conn.begin();
            open_ = true;
            lock_postgresql(options);
        }
    } catch (...) {   // no destructor runs for a half-built object: undo here
        close();
        throw;
    }
}

MigrationTransaction::~MigrationTransaction() { close(); }

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

// Rolls back what is open and gives the connection its foreign keys back.
void MigrationTransaction::close() noexcept {
    try {
        rollback();
        if (sqlite_ && foreign_keys_were_on_) run_query(conn_, "PRAGMA foreign_keys = ON");
    } catch (...) {   // must not throw; a broken connection is discarded by its pool
    }
}

// BEGIN EXCLUSIVE takes SQLite's write lock before anything is read, so
// two runs never interleave, and in rollback-journal mode it also waits
// for readers to finish: a reader's shared lock would otherwise let the
// whole run (a table rebuild, say) happen first and fail only at COMMIT.
// (In WAL mode readers do not stand in a commit's way; EXCLUSIVE is then
// IMMEDIATE.) The connection's own busy timeout is restored afterwards.
void MigrationTransaction::lock_sqlite(const RunOptions& options) {
    const std::int64_t busy_timeout = query_int(conn_, "PRAGMA busy_timeout");
    run_query(conn_, "PRAGMA busy_timeout = 0");
    try {
        take_sqlite_lock(options, busy_timeout);
    } catch (...) {
        run_query(conn_, "PRAGMA busy_timeout = " + std::to_string(busy_timeout));
        throw;
    }
    open_ = true;
    run_query(conn_, "PRAGMA busy_timeout = " + std::to_string(busy_timeout));
}

// Busy with no wait: either another writer (a migration, most likely)
// holds the write lock, or -- when the write lock alone can be had --
// readers hold the shared lock. Each gets its own wait and message.
void MigrationTransaction::take_sqlite_lock(const RunOptions& options, std::int64_t busy_timeout) {
    if (try_lock(true)) return;
    if (try_lock(false)) {
        // Most readers are one statement of another program, gone in a
        // moment: wait for those without a word.
        const std::int64_t quiet = std::min<std::int64_t>(busy_timeout, 100);
        run_query(conn_, "PRAGMA busy_timeout = " + std::to_string(quiet));
        if (try_lock(true)) return;
        if (options.notice)
            options.notice("Another connection is reading the database; waiting up to " +
                           std::to_string(busy_timeout) + " ms (the busy timeout) for it to finish...");
        wait_for_sqlite_lock(busy_timeout - quiet, "another connection is reading the database, holding SQLite's "
                                                   "shared lock in an open transaction (waited " +
                                                       std::to_string(busy_timeout) + " ms)");
        return;
    }
    if (options.notice)
        options.notice("Another migration is running on this database; waiting up to " +
                       std::to_string(options.lock_timeout.count() / 1000) + " s for its lock...");
    wait_for_sqlite_lock(options.lock_timeout.count(), "another migration is still running on this database (waited " +
                                                           std::to_string(options.lock_timeout.count()) + " ms)");
}

// readers_too: the migration's own transaction (BEGIN EXCLUSIVE). Else
// only a probe of the write lock (BEGIN IMMEDIATE, rolled back at once):
// free, while the exclusive lock is not, means readers hold the database.
bool MigrationTransaction::try_lock(bool readers_too) {
    try {
        if (readers_too) {
            conn_.begin_exclusive();
        } else {
            conn_.execute("BEGIN IMMEDIATE");
            conn_.execute("ROLLBACK");
        }
        return true;
    } catch (const ConcurrencyError&) {
        return false;
    }
}

// Waits up to wait_ms for the lock; `why` says who holds it and how long we waited in all.
void MigrationTransaction::wait_for_sqlite_lock(std::int64_t wait_ms, const std::string& why) {
    run_query(conn_, "PRAGMA busy_timeout = " + std::to_string(wait_ms));
    try {
        conn_.begin_exclusive();
    } catch (const ConcurrencyError& e) {
        throw MigrationError("could not take the migration lock: " + why + ": " + e.what());
    }
}

void MigrationTransaction::lock_postgresql(const RunOptions& options) {
    auto got = conn_.prepare("SELECT pg_try_advisory_xact_lock(" + std::to_string(kPostgresLockKey) + ")");
    if (got->step() && got->get_bool(0)) return;
    if (options.notice) options.notice("Another migration is running on this database; waiting for its lock...");
    conn_.execute("SET LOCAL lock_timeout = '" + std::to_string(options.lock_timeout.count()) + "ms'");
    try {
        run_query(conn_, "SELECT pg_advisory_xact_lock(" + std::to_string(kPostgresLockKey) + ")");
    } catch (const DatabaseError& e) {
        throw MigrationError(std::string("could not take the migration lock: another migration is still running: ") +
                             e.what());
    }
}

}  // namespace strata::migrate
