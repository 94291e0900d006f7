// Concurrency: sessions that only read never block each other, a session
// takes SQLite's write lock at its first flush, Database::run_transaction
// retries exactly the transactions that lost a race (serialization failure,
// deadlock, SQLite busy) and never an IntegrityError, several processes
// incrementing counters end with exact sums, and ?journal_mode=wal.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <latch>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "support.hpp"

namespace {

using strata::testing::expect_throw;

struct Counter {
    std::int64_t id = 0;
    std::int64_t n = 0;
};

struct Doctor {
    std::int64_t id = 0;
    std::string name{};
    bool on_call = true;
};

struct Member {
    std::int64_t id = 0;
    std::string email{};
};

void map_models(strata::Registry& r) {
    r.model<Counter>("counter").column(&Counter::id, "id", strata::primary_key()).column(&Counter::n, "n");
    r.model<Doctor>("doctor")
        .column(&Doctor::id, "id", strata::primary_key())
        .column(&Doctor::name, "name", strata::String(40))
        .column(&Doctor::on_call, "on_call");
    r.model<Member>("member")
        .column(&Member::id, "id", strata::primary_key())
        .column(&Member::email, "email", strata::String(80), strata::unique());
}

constexpr int kCounters = 4;

class Concurrency : public strata::testing::BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        map_models(registry);
        create_tables(url());
    }

    void create_tables(const std::string& database_url) {
        auto db = strata::Database::open(database_url);
        registry.metadata().create_all(db);
        strata::Session s(db, registry);
        for (int i = 1; i <= kCounters; ++i) s.add(Counter{.id = i, .n = 0});
        s.add(Doctor{.id = 1, .name = "alice", .on_call = true});
        s.add(Doctor{.id = 2, .name = "bob", .on_call = true});
        s.commit();
    }

    std::int64_t counter(const strata::Database& db, std::int64_t id) {
        strata::Session s(db, registry);
        return s.get<Counter>(id)->n;
    }

    strata::Database impatient_db(int busy_timeout_ms) const {
        strata::DatabaseOptions options;
        options.connection.busy_timeout_ms = busy_timeout_ms;
        return open_db(options);
    }

    strata::Registry registry{};
};

// Two sessions in one thread, each inside a transaction it opened for its
// reads, read side by side: neither waits (a wait would end in a busy error
// after 100 ms). The write lock comes with the first flush, so then a third
// writer is the one that waits; the reader does not stop the flush.
TEST_P(Concurrency, TwoReadingSessionsInOneThreadDoNotBlockEachOther) {
    auto db = impatient_db(100);
    strata::Session a(db, registry), b(db, registry);
    a.begin();
    b.begin();
    EXPECT_EQ(a.get<Counter>(1)->n, 0);
    EXPECT_EQ(b.get<Counter>(1)->n, 0);
    EXPECT_EQ(a.query<Doctor>().count(), 2);
    EXPECT_EQ(b.query<Doctor>().count(), 2);
    auto other = db.connect();
    other->execute("SELECT count(*) FROM counter");  // a third reader is welcome too

    a.get<Counter>(2)->n = 5;
    a.flush();  // a takes the write lock here; b still reads
    EXPECT_EQ(b.get<Counter>(2)->n, 0) << "b does not see a's uncommitted write";
    if (is_sqlite()) {
        auto e = expect_throw<strata::ConcurrencyError>([&] { other->execute("UPDATE counter SET n = 9 WHERE id = 3"); });
        EXPECT_EQ(e.code(), "SQLITE_BUSY") << e.what();
        // A rollback journal's commit needs b's shared lock gone: a waits
        // the busy timeout, and can commit again later.
        auto c = expect_throw<strata::ConcurrencyError>([&] { a.commit(); });
        EXPECT_NE(std::string(c.what()).find("database is locked (other connections are still reading"),
                  std::string::npos)
            << c.what();
    }
    b.rollback();
    a.commit();
    EXPECT_EQ(counter(db, 2), 5);
}

// Raw SQL that only reads runs outside a transaction as the ORM's reads do
// (SQLite can tell; PostgreSQL's readers lock nothing anyway): two sessions
// reading through execute() leave a writer free to commit.
TEST_P(Concurrency, ReadOnlyExecuteHoldsNoLock) {
    auto db = impatient_db(100);
    strata::Session a(db, registry), b(db, registry);
    using Count = std::tuple<std::int64_t>;
    EXPECT_EQ(a.execute<Count>("SELECT n FROM counter WHERE id = ?", 1).size(), 1u);
    EXPECT_EQ(b.execute<Count>("SELECT count(*) FROM doctor").at(0), Count{2});
    auto writer = db.connect();
    writer->execute("UPDATE counter SET n = 7 WHERE id = 1");
    EXPECT_EQ(a.execute<Count>("SELECT n FROM counter WHERE id = 1").at(0), Count{7});
    a.execute("UPDATE counter SET n = 8 WHERE id = 1");  // a write opens a's transaction
    a.rollback();
    EXPECT_EQ(counter(db, 1), 7);
}

TEST_P(Concurrency, RunTransactionCommitsAndReturnsWhatTheFunctionReturns) {
    auto db = open_db();
    int runs = 0;
    std::int64_t seen = db.run_transaction(registry, [&](strata::Session& s) {
        ++runs;
        auto c = s.get<Counter>(1);
        c->n += 3;
        return c->n;
    });
    EXPECT_EQ(seen, 3);
    EXPECT_EQ(runs, 1);
    EXPECT_EQ(counter(db, 1), 3);
}

// An IntegrityError is the program's or the data's fault: running the
// function again would fail the same way. It runs once, and nothing of it
// is committed.
TEST_P(Concurrency, RunTransactionNeverRetriesAnIntegrityError) {
    auto db = open_db();
    db.run_transaction(registry, [](strata::Session& s) { s.add(Member{.id = 1, .email = "a@x"}); });
    int runs = 0;
    expect_throw<strata::IntegrityError>([&] {
        db.run_transaction(registry, [&](strata::Session& s) {
            ++runs;
            s.get<Counter>(1)->n = 42;
            s.add(Member{.id = 2, .email = "a@x"});  // the same email: unique violation at commit's flush
        });
    });
    EXPECT_EQ(runs, 1);
    EXPECT_EQ(counter(db, 1), 0) << "rolled back";
}

// A conflict that lasts: run_transaction gives up after max_attempts runs
// and throws the last ConcurrencyError, saying so. SQLite: another
// connection holds the write lock. PostgreSQL: every run meets a write
// skew against a transaction that commits first.
TEST_P(Concurrency, RunTransactionGivesUpAfterMaxAttempts) {
    auto db = impatient_db(20);
    strata::TransactionOptions options;
    options.max_attempts = 3;
    options.first_backoff = std::chrono::milliseconds(1);
    auto holder = db.connect();
    if (is_sqlite()) holder->begin();  // BEGIN IMMEDIATE: the write lock, kept
    int runs = 0;
    auto e = expect_throw<strata::ConcurrencyError>([&] {
        db.run_transaction(
            registry,
            [&](strata::Session& s) {
                ++runs;
                auto doctors = s.query<Doctor>().all();
                if (!is_sqlite()) {
                    strata::Session rival(db, registry);
                    rival.begin(strata::Isolation::Serializable);
                    EXPECT_EQ(rival.query<Doctor>().count(), 2);
                    rival.get<Doctor>(2)->on_call = !rival.get<Doctor>(2)->on_call;
                    rival.commit();
                }
                doctors.at(0)->on_call = !doctors.at(0)->on_call;
                s.flush();
            },
            options);
    });
    EXPECT_EQ(runs, 3);
    EXPECT_NE(std::string(e.what()).find("gave up after 3 attempts"), std::string::npos) << e.what();
    EXPECT_EQ(e.code(), is_sqlite() ? "SQLITE_BUSY" : "40001") << e.what();
    if (is_sqlite()) holder->rollback();
}

// N processes, each running `per_process` transactions that increment a
// counter chosen by its own seeded random sequence: the sums must be exact
// (no update lost, none applied twice). Each process is a fork of this one
// that opens its own Database.
void increment_in_processes(const std::string& url, int processes, int per_process) {
    auto child = [&](int p) {
        try {
            strata::Registry registry;
            map_models(registry);
            auto db = strata::Database::open(url);
            // Durability is not under test: without an fsync per commit the
            // SQLite run takes 0.4 s instead of 12 (the pool reuses this connection).
            if (db.url().backend == "sqlite") db.connect()->execute("PRAGMA synchronous = NORMAL");
            strata::TransactionOptions options;
            options.max_attempts = 200;  // a retry budget, not a bound this test means to hit
            std::mt19937 pick(static_cast<unsigned>(p));
            for (int i = 0; i < per_process; ++i) {
                std::int64_t id = 1 + static_cast<std::int64_t>(pick() % kCounters);
                db.run_transaction(registry, [&](strata::Session& s) { s.get<Counter>(id)->n += 1; }, options);
            }
            return 0;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "process %d: %s\n", p, e.what());
            return 1;
        }
    };
    std::vector<pid_t> kids;
    for (int p = 0; p < processes; ++p) {
        pid_t pid = fork();
        ASSERT_GE(pid, 0) << "fork failed";
        if (pid == 0) _exit(child(p));  // _exit: no test-framework teardown in the child
        kids.push_back(pid);
    }
    for (pid_t pid : kids) {
        int status = 0;
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a child failed; status " << status;
    }
}

std::map<std::int64_t, std::int64_t> expected_counts(int processes, int per_process) {
    std::map<std::int64_t, std::int64_t> out;
    for (int p = 0; p < processes; ++p) {
        std::mt19937 pick(static_cast<unsigned>(p));
        for (int i = 0; i < per_process; ++i) ++out[1 + static_cast<std::int64_t>(pick() % kCounters)];
    }
    return out;
}

// On SQLite in WAL mode (readers and the one writer side by side); on
// PostgreSQL SERIALIZABLE, run_transaction's default.
TEST_P(Concurrency, FourProcessesIncrementCountersWithExactSums) {
    constexpr int kProcesses = 4, kPerProcess = 500;
    const std::string database_url = is_sqlite() ? url() + "?journal_mode=wal" : url();
    strata::Database::open(database_url);  // switches the file to WAL before the children start
    increment_in_processes(database_url, kProcesses, kPerProcess);
    auto db = open_db();
    std::int64_t total = 0;
    for (auto [id, expected] : expected_counts(kProcesses, kPerProcess)) {
        EXPECT_EQ(counter(db, id), expected) << "counter " << id;
        total += counter(db, id);
    }
    EXPECT_EQ(total, kProcesses * kPerProcess);
}

STRATA_INSTANTIATE_BACKENDS(Concurrency);

// --- PostgreSQL: serialization failures and deadlocks ----------------------

class PostgresConcurrency : public strata::testing::PostgresTest {
protected:
    void SetUp() override {
        PostgresTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        map_models(registry);
        db.emplace(strata::Database::open(strata::testing::postgres_url()));
        registry.metadata().create_all(*db);
        strata::Session s(*db, registry);
        s.add(Counter{.id = 1, .n = 0});
        s.add(Counter{.id = 2, .n = 0});
        s.add(Doctor{.id = 1, .name = "alice", .on_call = true});
        s.add(Doctor{.id = 2, .name = "bob", .on_call = true});
        s.commit();
    }
    void TearDown() override {
        db.reset();
        PostgresTest::TearDown();
    }

    // Write skew: each takes a doctor off call if another one stays on.
    static void go_off_call(strata::Session& s, std::int64_t id) {
        auto on_call = s.query<Doctor>().where(strata::col(&Doctor::on_call) == true).count();
        if (on_call >= 2) s.get<Doctor>(id)->on_call = false;
    }
    std::int64_t doctors_on_call() {
        strata::Session s(*db, registry);
        return s.query<Doctor>().where(strata::col(&Doctor::on_call) == true).count();
    }

    strata::Registry registry{};
    std::optional<strata::Database> db{};
};

// Two SERIALIZABLE transactions each read that two doctors are on call and
// take a different one off. Whichever commits second gets 40001, a
// ConcurrencyError.
TEST_F(PostgresConcurrency, WriteSkewUnderSerializableIsAConcurrencyError) {
    strata::Session first(*db, registry), second(*db, registry);
    first.begin(strata::Isolation::Serializable);
    second.begin(strata::Isolation::Serializable);
    go_off_call(first, 1);
    go_off_call(second, 2);
    first.commit();
    auto e = expect_throw<strata::ConcurrencyError>([&] { second.commit(); });
    EXPECT_EQ(e.code(), "40001") << e.what();
    second.rollback();
    EXPECT_EQ(doctors_on_call(), 1);
}

// The same race through run_transaction: the transaction that loses runs
// again, now sees one doctor on call, and leaves her there.
TEST_F(PostgresConcurrency, RunTransactionRetriesAWriteSkewAndTheRetrySucceeds) {
    int runs = 0;
    std::vector<std::string> failures;
    db->run_transaction(registry, [&](strata::Session& s) {
        ++runs;
        go_off_call(s, 1);
        if (runs == 1)  // the rival reads, writes and commits in between, once
            db->run_transaction(registry, [&](strata::Session& rival) { go_off_call(rival, 2); });
        try {
            s.flush();
        } catch (const strata::ConcurrencyError& e) {
            failures.push_back(e.code());
            throw;
        }
    });
    EXPECT_EQ(runs, 2);
    EXPECT_EQ(failures, std::vector<std::string>{"40001"});
    EXPECT_EQ(doctors_on_call(), 1) << "never both off call";
    strata::Session s(*db, registry);
    EXPECT_FALSE(s.get<Doctor>(2)->on_call) << "the rival's write stands";
    EXPECT_TRUE(s.get<Doctor>(1)->on_call) << "the retry saw it and kept alice on call";
}

// Two threads lock rows 1 and 2 in opposite order. PostgreSQL breaks the
// deadlock (after deadlock_timeout, 1 s by default) by failing one of them
// with 40P01; run_transaction runs that one again, and both increments land
// (SERIALIZABLE, the default, keeps the ORM's read-then-write exact).
TEST_F(PostgresConcurrency, RunTransactionRetriesADeadlock) {
    std::latch both_hold_their_first_row(2);
    std::atomic<int> runs{0};
    std::mutex mutex;
    std::vector<std::string> failures;
    auto worker = [&](std::int64_t first, std::int64_t second) {
        bool first_run = true;
        db->run_transaction(
            registry,
            [&](strata::Session& s) {
                ++runs;
                try {
                    s.get<Counter>(first)->n += 1;
                    s.flush();  // row `first` is locked now
                    if (std::exchange(first_run, false)) both_hold_their_first_row.arrive_and_wait();
                    s.get<Counter>(second)->n += 1;
                    s.flush();
                } catch (const strata::ConcurrencyError& e) {
                    std::lock_guard lock(mutex);
                    failures.push_back(e.code());
                    throw;
                }
            });
    };
    std::thread a(worker, 1, 2), b(worker, 2, 1);
    a.join();
    b.join();
    // The deadlock first; a retry that read before the winner committed
    // then meets its write as a serialization failure and runs once more.
    ASSERT_FALSE(failures.empty());
    EXPECT_EQ(failures[0], "40P01");
    for (std::size_t i = 1; i < failures.size(); ++i) EXPECT_EQ(failures[i], "40001");
    EXPECT_EQ(runs.load(), 2 + static_cast<int>(failures.size()));
    strata::Session s(*db, registry);
    EXPECT_EQ(s.get<Counter>(1)->n, 2);
    EXPECT_EQ(s.get<Counter>(2)->n, 2);
}

// --- SQLite: ?journal_mode= ---------------------------------------------------

std::string journal_mode(const strata::Database& db) {
    auto conn = db.connect();
    auto st = conn->prepare("PRAGMA journal_mode");
    return st->step() ? std::string(st->get_text(0)) : "";
}

// Without the option a file keeps its own mode, whichever it is; with it
// the mode is set (and stays in the file, as WAL does).
TEST(SqliteJournalMode, TheUrlOptionSetsItAndItsAbsenceChangesNothing) {
    strata::testing::TempDir dir;
    EXPECT_EQ(journal_mode(strata::Database::open(dir.sqlite_url())), "delete") << "a new file: SQLite's default";
    EXPECT_EQ(journal_mode(strata::Database::open(dir.sqlite_url() + "?journal_mode=WAL")), "wal");
    EXPECT_EQ(journal_mode(strata::Database::open(dir.sqlite_url())), "wal") << "the file's own mode is kept";
    EXPECT_EQ(journal_mode(strata::Database::open(dir.sqlite_url() + "?journal_mode=truncate")), "truncate");
    EXPECT_EQ(journal_mode(strata::Database::open(dir.sqlite_url())), "delete") << "a rollback-journal file";
}

TEST(SqliteJournalMode, BadValuesAndImpossibleModesAreErrors) {
    strata::testing::TempDir dir;
    auto bad = expect_throw<strata::ConfigError>([&] { strata::parse_url(dir.sqlite_url() + "?journal_mode=wall"); });
    EXPECT_NE(std::string(bad.what()).find("journal_mode 'wall' is not one of delete, truncate, persist, memory, wal, off"),
              std::string::npos)
        << bad.what();
    auto memory = expect_throw<strata::OperationalError>([] { strata::Database::open("sqlite://?journal_mode=wal"); });
    EXPECT_NE(std::string(memory.what()).find("cannot set journal_mode=wal on 'sqlite://': SQLite keeps 'memory'"),
              std::string::npos)
        << memory.what();
    strata::Database::open(dir.sqlite_url());  // creates the file, in rollback-journal mode
    auto read_only = expect_throw<strata::OperationalError>(
        [&] { strata::Database::open(dir.sqlite_url() + "?mode=ro&journal_mode=wal"); });
    EXPECT_NE(std::string(read_only.what()).find("cannot set journal_mode=wal on '" + dir.sqlite_url() + "': attempt to write a readonly database"), std::string::npos) << read_only.what();
}

// In WAL mode two sessions that opened transactions for their reads let a
// writer commit meanwhile; the one that then writes on its old snapshot
// cannot, and gets a ConcurrencyError at once (its reads are stale: SQLite
// would not let it wait) -- the error run_transaction retries.
TEST(SqliteWal, ReadersDoNotStopACommitAndAStaleWriterIsAConcurrencyError) {
    strata::testing::TempDir dir;
    strata::Registry registry;
    map_models(registry);
    strata::DatabaseOptions options;
    options.connection.busy_timeout_ms = 100;
    auto db = strata::Database::open(dir.sqlite_url() + "?journal_mode=wal", options);
    registry.metadata().create_all(db);
    db.run_transaction(registry, [](strata::Session& s) { s.add(Counter{.id = 1, .n = 0}); });

    strata::Session reader(db, registry), stale(db, registry);
    reader.begin();
    stale.begin();
    auto seen = reader.get<Counter>(1);
    EXPECT_EQ(seen->n, 0);
    EXPECT_EQ(stale.get<Counter>(1)->n, 0);
    db.run_transaction(registry, [](strata::Session& s) { s.get<Counter>(1)->n = 10; });
    reader.refresh(seen);
    EXPECT_EQ(seen->n, 0) << "one snapshot for the whole transaction";
    stale.get<Counter>(1)->n += 1;
    auto e = expect_throw<strata::ConcurrencyError>([&] { stale.flush(); });
    EXPECT_EQ(e.code(), "SQLITE_BUSY_SNAPSHOT") << e.what();
    EXPECT_NE(std::string(e.what()).find("another connection wrote after this transaction's first read"),
              std::string::npos)
        << e.what();
    stale.rollback();
    reader.rollback();
    strata::Session check(db, registry);
    EXPECT_EQ(check.get<Counter>(1)->n, 10) << "the stale increment was not applied";
}

}  // namespace
