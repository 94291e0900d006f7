// Migrating a live PostgreSQL database: lock_timeout and statement_timeout on
// every migration transaction, retries after a lock timeout with the holder
// named, the waiting notices, and SIGINT / SIGTERM cancelling the running
// statement. What other sessions wait is read from the server (pg_locks'
// waitstart), not timed on strata's side.
//
// Lock timeouts, cancel requests and pg_locks are PostgreSQL's: the runner
// tests cover SQLite's locking (migrate_runner_test.cpp), and the settings
// tests below need no database.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "migrate/timeouts.hpp"
#include "migrate_support.hpp"

using namespace strata;
using namespace strata::migrate;
using strata::testing::expect_throw;
using namespace std::chrono_literals;

namespace {

using Ids = std::vector<std::string>;

// Long enough for the watch (every 100 ms) to see each wait even on a busy
// machine, short enough to keep each test at a few seconds.
constexpr auto kLockTimeout = 500ms;
constexpr double kLockTimeout_s = 0.5;

// pg_locks shows every database of the server; relation OIDs are per database.
constexpr const char* kThisDatabase = "database = (SELECT oid FROM pg_database WHERE datname = current_database())";

std::size_t count(const std::string& text, const std::string& part) {
    std::size_t n = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
    return n;
}

TEST(MigrateTimeouts, DurationsAreReadWithTheirUnit) {
    std::chrono::milliseconds d{};
    EXPECT_EQ(parse_duration("500ms", d), "");
    EXPECT_EQ(d, 500ms);
    EXPECT_EQ(parse_duration("2s", d), "");
    EXPECT_EQ(d, 2000ms);
    EXPECT_EQ(parse_duration("1.5s", d), "");
    EXPECT_EQ(d, 1500ms);
    EXPECT_EQ(parse_duration("10m", d), "");
    EXPECT_EQ(d, 600'000ms);
    EXPECT_EQ(parse_duration("10min", d), "");
    EXPECT_EQ(d, 600'000ms);
    EXPECT_EQ(parse_duration("1h", d), "");
    EXPECT_EQ(d, 3'600'000ms);
    EXPECT_NE(parse_duration("2", d).find("'2' has no unit"), std::string::npos);
    EXPECT_NE(parse_duration("2x", d).find("unknown unit 'x'"), std::string::npos);
    EXPECT_NE(parse_duration("-1s", d).find("is not a duration"), std::string::npos);
    EXPECT_NE(parse_duration("", d).find("is not a duration"), std::string::npos);
    EXPECT_NE(parse_duration("1000h", d).find("longer than PostgreSQL allows"), std::string::npos);
    EXPECT_EQ(format_duration(300ms), "300 ms");
    EXPECT_EQ(format_duration(5000ms), "5 s");
    EXPECT_EQ(format_duration(1500ms), "1.5 s");
    EXPECT_EQ(format_duration(600'000ms), "10 min");
}

TEST(MigrateTimeouts, StrataYamlSetsThemAndNamesTheLineOfABadOne) {
    strata::testing::TempDir dir;
    const auto repo = dir.path() / "migrations";
    ScriptDirectory::init(repo);
    EXPECT_EQ(ScriptDirectory(repo).timeouts().lock_timeout, 5000ms) << "the default";
    EXPECT_EQ(ScriptDirectory(repo).timeouts().statement_timeout, 0ms);
    EXPECT_EQ(ScriptDirectory(repo).timeouts().retries, 3);
    std::ofstream(repo / "strata.yaml") << "version_table: strata_version\nlock_timeout: 2s\nstatement_timeout: 10m\nretries: 5\n";
    const Timeouts t = ScriptDirectory(repo).timeouts();
    EXPECT_EQ(t.lock_timeout, 2000ms);
    EXPECT_EQ(t.statement_timeout, 600'000ms);
    EXPECT_EQ(t.retries, 5);
    const std::string config = (repo / "strata.yaml").string();
    std::ofstream(repo / "strata.yaml") << "version_table: strata_version\nlock_timeout: 2 seconds\n";
    std::string what = expect_throw<MigrationError>([&] { ScriptDirectory s(repo); }).what();
    EXPECT_NE(what.find(config + ":2:15: lock_timeout: '2 seconds' has an unknown unit ' seconds'"), std::string::npos) << what;
    std::ofstream(repo / "strata.yaml") << "lock_timeout: 0s\n";
    what = expect_throw<MigrationError>([&] { ScriptDirectory s(repo); }).what();
    EXPECT_NE(what.find(config + ":1:15: lock_timeout: 0 would let a migration wait forever"), std::string::npos) << what;
    std::ofstream(repo / "strata.yaml") << "retries: many\n";
    what = expect_throw<MigrationError>([&] { ScriptDirectory s(repo); }).what();
    EXPECT_NE(what.find(config + ":1:10: retries: expected a number of retries from 0 to 999, got 'many'"), std::string::npos)
        << what;
}

// Samples pg_locks every 10 ms from a session of its own: for each backend
// waiting to lock the table, the longest wait seen and the waits it began.
class LockMonitor {
public:
    LockMonitor(const std::string& url, const std::string& table) : conn_(connect(url)) {
        stmt_ = "SELECT pid, EXTRACT(EPOCH FROM now() - waitstart)::float8, waitstart::text FROM pg_locks "
                "WHERE NOT granted AND waitstart IS NOT NULL AND relation = '" + table + "'::regclass AND " + kThisDatabase;
        thread_ = std::thread([this] { loop(); });
    }
    ~LockMonitor() { stop(); }
    void stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    // The longest wait of pid, and of every other backend, in seconds.
    double longest_wait(std::int64_t pid) const {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = longest_.find(pid);
        return it == longest_.end() ? 0 : it->second;
    }
    double longest_wait_of_others(std::int64_t pid) const {
        std::lock_guard<std::mutex> lock(mutex_);
        double most = 0;
        for (const auto& [p, w] : longest_)
            if (p != pid) most = std::max(most, w);
        return most;
    }
    std::size_t others_seen_waiting(std::int64_t pid) const {
        std::lock_guard<std::mutex> lock(mutex_);
        return longest_.size() - longest_.count(pid);
    }
    std::size_t waits_of(std::int64_t pid) const {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = starts_.find(pid);
        return it == starts_.end() ? 0 : it->second.size();
    }

private:
    void loop() {
        while (!stop_) {
            auto stmt = conn_->prepare(stmt_);
            while (stmt->step()) {
                std::lock_guard<std::mutex> lock(mutex_);
                const std::int64_t pid = stmt->get_int64(0);
                longest_[pid] = std::max(longest_[pid], stmt->get_double(1));
                starts_[pid].insert(std::string(stmt->get_text(2)));
            }
            std::this_thread::sleep_for(10ms);
        }
    }
    std::unique_ptr<Connection> conn_;
    std::string stmt_;
    std::atomic<bool> stop_{false};
    mutable std::mutex mutex_;
    std::map<std::int64_t, double> longest_;
    std::map<std::int64_t, std::set<std::string>> starts_;
    std::thread thread_;
};

// Reads the table over and over from a session of its own, as an
// application would, until stopped.
class Readers {
public:
    Readers(const std::string& url, const std::string& table) : conn_(connect(url)) {
        thread_ = std::thread([this, table] {
            while (!stop_) {
                conn_->prepare("SELECT count(*) FROM \"" + table + "\"")->step();
                std::this_thread::sleep_for(5ms);
            }
        });
    }
    ~Readers() {
        stop_ = true;
        thread_.join();
    }

private:
    std::unique_ptr<Connection> conn_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

class MigrateLive : public strata::testing::MigrateTest {
protected:
    // a1 creates post with a row; b2 adds a column to it (ACCESS EXCLUSIVE).
    void write_history(const std::string& b2_extra = "") {
        write_rev("a1", "null",
                  "  - create_table: {table: post, columns: [{name: id, type: Integer, primary_key: true}]}\n"
                  "  - execute: {sql: INSERT INTO post (id) VALUES (1)}\n",
                  "  - drop_table: post\n");
        write_rev("b2", "a1", "  - add_column: {table: post, column: {name: body, type: Text}}\n" + b2_extra,
                  "  - drop_column: {table: post, column: body}\n");
    }
    std::int64_t backend_pid(Connection& c) {
        auto stmt = c.prepare("SELECT pg_backend_pid()");
        stmt->step();
        return stmt->get_int64(0);
    }
    // A session that read post in a transaction it keeps open: it holds ACCESS SHARE.
    std::unique_ptr<Connection> open_reader_in_transaction(std::int64_t* pid = nullptr) {
        auto reader = open_connection();
        if (pid) *pid = backend_pid(*reader);
        reader->begin();
        reader->prepare("SELECT count(*) FROM post /* the blocker */")->step();
        return reader;
    }
    RunOptions options(std::vector<std::string>& notices, std::mutex& m) {
        RunOptions o;
        o.notice = [&](const std::string& line) {
            std::lock_guard<std::mutex> lock(m);
            notices.push_back(line);
        };
        o.timeouts.lock_timeout = kLockTimeout;
        o.timeouts.retry_delay = 100ms;
        return o;
    }
    static std::string joined(const std::vector<std::string>& lines) {
        std::string out;
        for (const auto& l : lines) out += l + "\n";
        return out;
    }
};

// The bug found on a real server: an uncontended run set no lock_timeout.
TEST_P(MigrateLive, EveryMigrationTransactionRunsWithTheLimits) {
    write_rev("a1", "null",
              "  - execute: {sql: \"CREATE TABLE seen AS SELECT current_setting('lock_timeout') AS lock, "
              "current_setting('statement_timeout') AS statement, "
              "current_setting('client_connection_check_interval') AS client_check\"}\n",
              "  - drop_table: seen\n");
    auto r = run_db({"upgrade", "--yes"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(rows("SELECT lock, statement, client_check FROM seen"), Ids{"5s|0|1s"}) << "the defaults";
    r = run_db({"downgrade", "--yes", "--lock-timeout", "300ms", "--statement-timeout", "10m", "--retries", "0"});
    ASSERT_EQ(r.code, 0) << r.err;
    r = run_db({"upgrade", "--yes", "--lock-timeout", "300ms", "--statement-timeout", "10m"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(rows("SELECT lock, statement, client_check FROM seen"), Ids{"300ms|10min|1s"});
    downgrade();
    EXPECT_EQ(rows("SELECT current_setting('lock_timeout')"), Ids{"0"}) << "SET LOCAL: the connection is left as it was";

    std::ofstream(repo() / "strata.yaml") << "version_table: strata_version\nlock_timeout: 2s\nstatement_timeout: 1h\n";
    r = run_db({"upgrade", "--yes"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(rows("SELECT lock, statement FROM seen"), Ids{"2s|1h"}) << "strata.yaml's";
}

TEST_P(MigrateLive, ABadFlagIsNamedAndNothingRuns) {
    write_history();
    auto r = run_db({"upgrade", "--yes", "--lock-timeout", "2x"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("error: --lock-timeout: '2x' has an unknown unit 'x'"), std::string::npos) << r.err;
    r = run_db({"upgrade", "--yes", "--statement-timeout", "soon"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("error: --statement-timeout: 'soon' is not a duration"), std::string::npos) << r.err;
    r = run_db({"stamp", "head", "--lock-timeout", "0ms"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("--lock-timeout 0 would let a migration wait forever"), std::string::npos) << r.err;
    EXPECT_TRUE(current().empty());
    EXPECT_FALSE(has_table(conn(), "post"));
}

// A reader keeps its transaction open: every try gives up after
// lock_timeout, other readers never queue longer than that, the error
// names the holder, and nothing changed.
TEST_P(MigrateLive, LockTimeoutRetriesThenGivesUpNamingTheHolder) {
    write_history();
    upgrade("a1");
    std::int64_t blocker_pid = 0;
    auto blocker = open_reader_in_transaction(&blocker_pid);
    const std::int64_t migration_pid = backend_pid(conn());
    std::vector<std::string> notices;
    std::mutex m;
    RunOptions o = options(notices, m);
    o.timeouts.retries = 2;
    std::string what;
    {
        LockMonitor monitor(url(), "post");
        Readers readers(url(), "post");
        what = expect_throw<MigrationError>([&] { upgrade("head", o); }).what();
        monitor.stop();
        EXPECT_EQ(monitor.waits_of(migration_pid), 3u) << "one wait per try";
        EXPECT_LE(monitor.longest_wait(migration_pid), kLockTimeout_s + 1.0) << "each try gives up within lock_timeout + 1 s";
        EXPECT_GT(monitor.others_seen_waiting(migration_pid), 0u) << "readers queued behind the migration";
        EXPECT_LT(monitor.longest_wait_of_others(migration_pid), kLockTimeout_s + 0.2)
            << "no reader waits longer than lock_timeout (plus the server's own scheduling)";
    }
    const std::string pid = "pid " + std::to_string(blocker_pid);
    EXPECT_NE(what.find("Everything was rolled back: the database is still at a1."), std::string::npos) << what;
    EXPECT_NE(what.find("Gave up after 3 tries: could not lock post in ACCESS EXCLUSIVE mode within 500 ms (lock_timeout); "
                        "it was held by " + pid + " (ACCESS SHARE; idle in transaction for "),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("its last query: SELECT count(*) FROM post /* the blocker */"), std::string::npos) << what;
    const std::string said = joined(notices);
    EXPECT_EQ(count(said, "Lock timeout: could not lock post in ACCESS EXCLUSIVE mode within 500 ms (lock_timeout); it was held by " + pid),
              2u)
        << said;
    EXPECT_NE(said.find("trying again in"), std::string::npos) << said;
    EXPECT_NE(said.find("(try 3 of 3)"), std::string::npos) << said;
    EXPECT_EQ(count(said, "Waiting to lock post in ACCESS EXCLUSIVE mode until "), 3u) << "one notice per wait:\n" << said;
    EXPECT_NE(said.find(" UTC (lock_timeout 500 ms); held by " + pid + " (ACCESS SHARE; idle in transaction"), std::string::npos)
        << said;
    blocker->rollback();
    EXPECT_EQ(current(), Ids{"a1"});
    EXPECT_EQ(columns_of("post"), Ids{"id"});
}

TEST_P(MigrateLive, UpgradeSucceedsOnceTheHolderCommits) {
    write_history();
    upgrade("a1");
    auto blocker = open_reader_in_transaction();
    const std::int64_t migration_pid = backend_pid(conn());
    std::vector<std::string> notices;
    std::mutex m;
    RunOptions o = options(notices, m);
    o.timeouts.retries = 10;
    LockMonitor monitor(url(), "post");
    Readers readers(url(), "post");
    std::thread release([&] {
        for (auto until = std::chrono::steady_clock::now() + 20s; monitor.waits_of(migration_pid) < 2;) {
            if (std::chrono::steady_clock::now() > until) break;
            std::this_thread::sleep_for(10ms);
        }
        blocker->commit();
    });
    RunResult result;
    EXPECT_NO_THROW(result = upgrade("head", o));
    release.join();
    monitor.stop();
    EXPECT_GE(monitor.waits_of(migration_pid), 2u);
    EXPECT_LE(monitor.longest_wait(migration_pid), kLockTimeout_s + 1.0);
    EXPECT_GT(monitor.others_seen_waiting(migration_pid), 0u);
    EXPECT_LT(monitor.longest_wait_of_others(migration_pid), kLockTimeout_s + 0.2);
    EXPECT_GE(count(joined(notices), "Lock timeout: could not lock post in ACCESS EXCLUSIVE mode"), 1u) << joined(notices);
    EXPECT_EQ(result.to_heads, Ids{"b2"});
    EXPECT_EQ(current(), Ids{"b2"});
    EXPECT_EQ(columns_of("post"), (Ids{"id", "body"}));
}

// A backfill commits batch by batch: a lock timeout in its second batch rolls
// back that batch only. The retry's notice says so (not "everything was
// rolled back"), the next try resumes after the last committed batch, and
// every row is updated exactly once. On a terminal the notice (stdout) starts
// a line of its own, not the end of the open progress line (stderr).
TEST_P(MigrateLive, ALockTimeoutInTheMiddleOfABackfillKeepsTheCommittedBatches) {
    write_rev("a1", "null",
              "  - create_table: {table: t, columns: [{name: id, type: Integer, primary_key: true}, "
              "{name: counter, type: Integer, nullable: false}]}\n"
              "  - execute: {sql: \"INSERT INTO t (id, counter) SELECT i, 0 FROM generate_series(1, 1000) i\"}\n",
              "  - drop_table: t\n");
    write_rev("b2", "a1", "  - backfill: {table: t, set: {counter: counter + 1}, batch_size: 300}\n", "");
    upgrade("a1");
    auto blocker = open_connection();
    blocker->begin();
    blocker->prepare("SELECT id FROM t WHERE id = 500 FOR UPDATE")->step();   // in the second batch
    std::ostringstream both;   // stdout and stderr of one terminal
    std::istringstream in;
    std::thread release([&, watcher = open_connection()] {   // once the second batch's wait has timed out
        bool seen_waiting = false;
        for (auto until = std::chrono::steady_clock::now() + 20s; std::chrono::steady_clock::now() < until;) {
            auto stmt = watcher->prepare(   // a row lock's wait is on a transaction id: no database in pg_locks
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
            stmt->step();
            const bool waiting = stmt->get_int64(0) > 0;
            if (seen_waiting && !waiting) break;
            seen_waiting = seen_waiting || waiting;
            std::this_thread::sleep_for(20ms);
        }
        blocker->rollback();
    });
    DbContext ctx{url(), repo(), {}, "test"};
    const int code = db_run(ctx, {"upgrade", "--lock-timeout", "500ms", "--retries", "5"}, DbStreams{both, both, in, false, true});
    release.join();
    const std::string text = both.str();
    ASSERT_EQ(code, 0) << text;
    EXPECT_EQ(current(), Ids{"b2"});
    EXPECT_EQ(rows("SELECT COUNT(*) FROM t WHERE counter = 1"), Ids{"1000"}) << "every row updated exactly once";
    for (const std::string notice : {"Waiting to lock ", "Lock timeout: "}) {
        const auto at = text.find(notice);
        ASSERT_NE(at, std::string::npos) << text;
        EXPECT_EQ(text[at - 1], '\n') << "'" << notice << "' starts a line of its own:\n" << text;
    }
    EXPECT_EQ(text.find("Everything was rolled back"), std::string::npos) << text;
    EXPECT_NE(text.find("The failing transaction was rolled back; the ones before it stay committed; trying again in "),
              std::string::npos)
        << text;
}

TEST_P(MigrateLive, StatementTimeoutStopsALongStatementAndIsNotRetried) {
    write_history("  - execute: {sql: SELECT pg_sleep(5)}\n");
    upgrade("a1");
    auto r = run_db({"upgrade", "--yes", "--statement-timeout", "200ms"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("upgrade op 2 `execute SELECT pg_sleep(5)` failed: canceling statement due to statement timeout"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.out.find("Lock timeout"), std::string::npos) << r.out;
    EXPECT_EQ(current(), Ids{"a1"});
    EXPECT_EQ(columns_of("post"), Ids{"id"});
}

TEST_P(MigrateLive, StampSaysWhatItWaitsFor) {
    write_history();
    upgrade("a1");
    // Another migration holds the migration lock for a moment.
    auto other = open_connection();
    other->prepare("SELECT pg_advisory_lock(" + std::to_string(kPostgresLockKey) + ")")->step();
    std::thread release([&] {
        std::this_thread::sleep_for(300ms);
        other->prepare("SELECT pg_advisory_unlock(" + std::to_string(kPostgresLockKey) + ")")->step();
    });
    auto r = run_db({"stamp", "head"});
    release.join();
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("Another migration is running on this database; waiting"), std::string::npos) << r.out;
    EXPECT_EQ(current(), Ids{"b2"});

    // A session that locked the version table: the stamp says so and gives up after lock_timeout.
    other->begin();
    other->execute("LOCK TABLE strata_version IN SHARE MODE");
    const std::string pid = "pid " + std::to_string(backend_pid(*other));
    r = run_db({"stamp", "a1", "--lock-timeout", "500ms", "--retries", "0"});
    other->rollback();
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.out.find("Waiting to lock strata_version in ROW EXCLUSIVE mode until "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("held by " + pid + " (SHARE; idle in transaction"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("Gave up after 1 try: could not lock strata_version in ROW EXCLUSIVE mode within 500 ms"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(current(), Ids{"b2"});
}

// The migration runs in a child process (the embedding program of
// docs/migrations.md), in a long statement after an ACCESS EXCLUSIVE lock;
// the signal makes it cancel that statement, so the server releases the
// lock at once instead of after the statement's 30 s, and the child exits
// non-zero with the database as it was.
class MigrateLiveSignal : public MigrateLive {
protected:
    void interrupt_with(int signal, const std::string& name) {
        write_history("  - execute: {sql: SELECT pg_sleep(30)}\n");
        upgrade("a1");
        const auto log = dir().path() / "child.log";
        const std::string database_url = "DATABASE_URL=" + url();
        const std::string bin = STRATA_DOCS_EMBEDDING_BIN;
        const std::string cwd = dir().path().string();
        char* const argv[] = {const_cast<char*>(bin.c_str()), const_cast<char*>("db"), const_cast<char*>("upgrade"),
                              const_cast<char*>("--yes"), nullptr};
        std::vector<char*> envp;
        for (char** e = environ; *e; ++e)
            if (std::string_view(*e).rfind("DATABASE_URL=", 0) != 0) envp.push_back(*e);
        envp.push_back(const_cast<char*>(database_url.c_str()));
        envp.push_back(nullptr);
        const pid_t child = fork();
        ASSERT_GE(child, 0);
        if (child == 0) {   // only async-signal-safe calls until exec
            const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd < 0 || chdir(cwd.c_str()) != 0) _exit(127);
            dup2(fd, 1);
            dup2(fd, 2);
            execve(bin.c_str(), argv, envp.data());
            _exit(127);
        }
        auto watcher = open_connection();
        auto locked = [&] {
            auto stmt = watcher->prepare(
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.granted AND "
                "l.mode = 'AccessExclusiveLock' AND l.relation = 'post'::regclass AND a.query LIKE '%pg_sleep(30)%' AND " +
                std::string(kThisDatabase));
            stmt->step();
            return stmt->get_int64(0) > 0;
        };
        const auto give_up = std::chrono::steady_clock::now() + 30s;
        while (!locked() && std::chrono::steady_clock::now() < give_up) std::this_thread::sleep_for(20ms);
        ASSERT_TRUE(locked()) << "the child never reached pg_sleep holding ACCESS EXCLUSIVE on post";
        const auto sent = std::chrono::steady_clock::now();
        ASSERT_EQ(kill(child, signal), 0);
        auto any_lock = [&] {
            auto stmt = watcher->prepare("SELECT count(*) FROM pg_locks l WHERE relation = 'post'::regclass AND " +
                                         std::string(kThisDatabase));
            stmt->step();
            return stmt->get_int64(0) > 0;
        };
        while (any_lock() && std::chrono::steady_clock::now() - sent < 10s) std::this_thread::sleep_for(10ms);
        const auto released = std::chrono::steady_clock::now() - sent;
        EXPECT_LT(released, 2s) << "the lock outlived the signal by "
                                << std::chrono::duration_cast<std::chrono::milliseconds>(released).count() << " ms";
        int status = 0;
        ASSERT_EQ(waitpid(child, &status, 0), child);
        std::ifstream in(log);
        const std::string output((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        ASSERT_TRUE(WIFEXITED(status)) << "the child was killed by the signal instead of handling it:\n" << output;
        EXPECT_NE(WEXITSTATUS(status), 0) << output;
        EXPECT_NE(output.find("error: interrupted by " + name + " (the running statement was cancelled)"), std::string::npos)
            << output;
        EXPECT_NE(output.find("Everything was rolled back: the database is still at a1."), std::string::npos) << output;
        EXPECT_EQ(current(), Ids{"a1"});
        EXPECT_EQ(columns_of("post"), Ids{"id"});
    }
};

TEST_P(MigrateLiveSignal, SigintCancelsTheRunningStatement) { interrupt_with(SIGINT, "SIGINT"); }
TEST_P(MigrateLiveSignal, SigtermCancelsTheRunningStatement) { interrupt_with(SIGTERM, "SIGTERM"); }

INSTANTIATE_TEST_SUITE_P(Backends, MigrateLive, ::testing::Values(strata::testing::Backend::PostgreSQL),
                         strata::testing::backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, MigrateLiveSignal, ::testing::Values(strata::testing::Backend::PostgreSQL),
                         strata::testing::backend_name);

}  // namespace
