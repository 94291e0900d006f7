// Database and its pool: shared across threads, bounded, broken connections dropped.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "support.hpp"

using namespace strata;
using strata::testing::expect_throw;

class PoolTest : public strata::testing::BackendTest {
protected:
    static DatabaseOptions pool_of(int size, int max_overflow, std::chrono::milliseconds timeout) {
        DatabaseOptions options;
        options.pool.size = size;
        options.pool.max_overflow = max_overflow;
        options.pool.timeout = timeout;
        return options;
    }
};

TEST_P(PoolTest, EightThreadsShareOneDatabase) {
    // SQLite serialises writers; under a loaded machine a writer can wait
    // longer than the 5 s default while seven others commit.
    DatabaseOptions options;
    options.connection.busy_timeout_ms = 60000;
    auto db = open_db(options);
    {
        auto conn = db.connect();
        MetaData md;
        md.table("hits").column("id", Integer(), primary_key()).column("thread", Integer(), not_null());
        md.create_all(*conn);
    }
    const Dialect& d = db.dialect();
    std::string ins = "INSERT INTO " + d.quote("hits") + " (" + d.quote("thread") + ") VALUES (" + d.placeholder(1) + ")";
    std::atomic<int> errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            try {
                for (int i = 0; i < 50; ++i) {
                    auto conn = db.connect();
                    conn->begin();
                    conn->execute(ins, std::vector<Value>{t});
                    conn->commit();
                }
            } catch (const std::exception& e) {
                ADD_FAILURE() << e.what();
                ++errors;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(errors.load(), 0);
    auto conn = db.connect();
    auto stmt = conn->prepare("SELECT " + d.quote("thread") + ", COUNT(*) FROM " + d.quote("hits") + " GROUP BY " +
                              d.quote("thread") + " ORDER BY 1");
    int groups = 0;
    while (stmt->step()) {
        EXPECT_EQ(stmt->get_int64(1), 50);
        ++groups;
    }
    EXPECT_EQ(groups, 8);
    EXPECT_LE(db.open_connections(), db.options().pool.size + db.options().pool.max_overflow);
}

TEST_P(PoolTest, CheckoutTimesOutWhenExhausted) {
    auto db = open_db(pool_of(1, 1, std::chrono::milliseconds(100)));
    auto a = db.connect();
    auto b = db.connect();
    auto e = expect_throw<OperationalError>([&] { db.connect(); });
    EXPECT_NE(std::string(e.what()).find("pool"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("100 ms"), std::string::npos) << e.what();
    b = PooledConnection();  // return one: the overflow connection is closed
    EXPECT_EQ(db.open_connections(), 1);
    auto c = db.connect();
    EXPECT_NE(c.get(), nullptr);
}

TEST_P(PoolTest, ReturnedConnectionIsRolledBack) {
    auto db = open_db();
    {
        auto conn = db.connect();
        conn->execute("CREATE TABLE t (x INTEGER)");
        conn->begin();
        conn->execute("INSERT INTO t VALUES (1)");
    }  // returned with an open transaction
    auto conn = db.connect();
    EXPECT_FALSE(conn->in_transaction());
    auto stmt = conn->prepare("SELECT COUNT(*) FROM t");
    ASSERT_TRUE(stmt->step());
    EXPECT_EQ(stmt->get_int64(0), 0);
}

// The returned connection is parked outside the pool's lock; threads that
// wait for it must still get it, one at a time, and none may time out.
TEST_P(PoolTest, EightThreadsTakeTurnsOnAPoolOfOne) {
    auto db = open_db(pool_of(1, 0, std::chrono::seconds(30)));
    std::atomic<Connection*> holder{nullptr};
    std::atomic<int> shared{0}, errors{0}, turns{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            try {
                for (int i = 0; i < 300; ++i) {
                    auto conn = db.connect();
                    Connection* expected = nullptr;
                    if (!holder.compare_exchange_strong(expected, conn.get())) ++shared;
                    if (i % 50 == 0) std::this_thread::yield();
                    holder.store(nullptr);
                    ++turns;
                }
            } catch (const std::exception& e) {
                ADD_FAILURE() << e.what();
                ++errors;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(shared.load(), 0) << "two threads held the pool's one connection at once";
    EXPECT_EQ(turns.load(), 8 * 300);
    EXPECT_EQ(db.open_connections(), 1);
}

STRATA_INSTANTIATE_BACKENDS(PoolTest);

TEST(Pool, MemoryDatabaseIsOneSharedConnection) {
    auto db = Database::open("sqlite://");
    {
        auto conn = db.connect();
        conn->execute("CREATE TABLE t (x INTEGER)");
    }
    auto conn = db.connect();  // same in-memory database
    conn->execute("INSERT INTO t VALUES (1)");
    EXPECT_EQ(db.open_connections(), 1);
}

TEST(Pool, BadUrlFailsAtOpen) {
    auto e = expect_throw<ConfigError>([] { Database::open("sqlite:/app.db"); });
    EXPECT_NE(std::string(e.what()).find("sqlite:/app.db"), std::string::npos);
    expect_throw<OperationalError>([] { Database::open("sqlite:////no/such/folder/app.db"); });
}

// DESIGN.md's shape: registry.metadata().create_all(db); db.session().
TEST_P(PoolTest, CreateAllAndDropAllOnADatabase) {
    auto db = open_db();
    MetaData md;
    md.table("t").column("id", Integer(), primary_key());
    md.create_all(db);
    {
        auto conn = db.connect();
        EXPECT_EQ(table_names(*conn), std::vector<std::string>{"t"});
    }
    md.drop_all(db);
    auto conn = db.connect();
    EXPECT_TRUE(table_names(*conn).empty());
}
