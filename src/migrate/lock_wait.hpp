// src/migrate/lock_wait.hpp — a migration's lock waits on PostgreSQL: limited, watched, reported.
//
// An ALTER TABLE waits for ACCESS EXCLUSIVE behind any open transaction that
// read the table, and every later query of the table queues behind the
// ALTER: one idle reader becomes an outage. So each migration transaction
// runs with lock_timeout (and optionally statement_timeout) set, and a
// second session watches the migration's backend: when it waits for a lock,
// the notice says which lock, on what, until when, and who holds it
// (pg_blocking_pids, the holder's state, query and transaction age).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "migrate/timeouts.hpp"
#include "strata/connection.hpp"

namespace strata::migrate {

class CancelOnSignal;

// SET LOCAL lock_timeout, statement_timeout and (PostgreSQL 14 and later)
// client_connection_check_interval, so the server also ends the work of a
// client that died. For the open transaction on a PostgreSQL connection.
void limit_waits(Connection& conn, const Timeouts& timeouts);
// The SET LOCAL statements of lock_timeout and statement_timeout (also
// written into offline scripts).
std::vector<std::string> wait_limits(const Timeouts& timeouts);

// True when the error, or one it was made from (std::nested_exception), is
// PostgreSQL's lock_not_available (55P03): what lock_timeout raises.
bool caused_by_lock_timeout(const std::exception& e);

// A session holding a lock the migration waits for.
struct LockHolder {
    std::int64_t pid = 0;
    std::string modes;    // the locks it holds on the object ("ACCESS SHARE"), may be empty
    std::string state;    // pg_stat_activity.state: "idle in transaction", "active", …
    std::string query;    // its current or last query
    double age_s = 0;     // how long its transaction (or query) has been open
};

// One wait of the migration's backend for a lock.
struct LockWait {
    std::string mode;     // "ACCESS EXCLUSIVE"
    std::string object;   // the table ("post"), or the lock type ("transactionid")
    std::string until;    // when lock_timeout ends it, "HH:MM:SS" UTC
    std::string key;      // tells one wait from the next (when it started)
    std::vector<LockHolder> holders;
};

// "pid 4242 (ACCESS SHARE; idle in transaction for 12.3 s; its last query: SELECT …)", joined.
std::string describe_holders(const std::vector<LockHolder>& holders);

// Watches the backend of a migration from a second connection, every 100 ms,
// on a thread of its own: prints each lock wait that lasts (once), keeps the
// last one for the lock timeout's message, repeats a cancel request while a
// signal asks for one, and reports the progress of the index it builds
// (pg_stat_progress_create_index: blocks scanned, then tuples loaded).
class LockWatch {
public:
    // The observer connection is opened on the watch's thread (the run does
    // not wait for it); one that cannot be opened leaves the run unwatched.
    LockWatch(std::function<std::unique_ptr<Connection>()> open_observer, std::int64_t watched_pid,
              const Timeouts& timeouts, std::function<void(const std::string&)> notice, const CancelOnSignal* interrupt,
              std::function<void(const Progress&)> progress = {});
    ~LockWatch();
    LockWatch(const LockWatch&) = delete;
    LockWatch& operator=(const LockWatch&) = delete;

    // The last wait seen since forget(), if any.
    std::optional<LockWait> last_wait() const;
    void forget();

    // The statement that built an index returned: its build is reported
    // finished. Called before each next statement and when the run succeeds;
    // the watch never decides that itself, since a failed build leaves
    // pg_stat_progress_create_index just as a finished one does.
    void statement_succeeded();
    // The run failed: the build it was in is not reported finished.
    void statement_failed();

private:
    void loop(const std::function<std::unique_ptr<Connection>()>& open_observer);
    std::optional<LockWait> poll();
    std::string waiting_notice(const LockWait& wait) const;
    void poll_index_build();

    std::unique_ptr<Connection> observer_;   // the watch thread's own
    std::int64_t pid_;
    Timeouts timeouts_;
    std::function<void(const std::string&)> notice_;
    const CancelOnSignal* interrupt_;
    std::function<void(const Progress&)> progress_;
    std::mutex build_mutex_;   // guards the three below: the run's thread ends a build, the watch's reports it
    std::optional<Progress> building_;   // the index build phase reported last
    std::chrono::steady_clock::time_point phase_start_;
    std::uint64_t builds_ended_ = 0;     // a poll that started before a build ended does not bring it back
    std::string wait_start_;   // the SQL for when a wait started (waitstart needs PostgreSQL 14)

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::optional<LockWait> last_;
    std::string reported_key_;
    std::thread thread_;
};

}  // namespace strata::migrate
