// The backend registry (src/dialect/backend.hpp) and the timeouts that
// ConnectionOptions owns, on every backend.
#include <gtest/gtest.h>

#include "dialect/backend.hpp"
#include "support.hpp"

using namespace strata;
using strata::testing::expect_throw;

namespace {

TEST(BackendRegistry, EachBackendIsFoundByNameAliasAndDialect) {
    std::vector<std::string> names;
    for (const Backend* b : registered_backends()) {
        names.emplace_back(b->name);
        EXPECT_EQ(&backend_named(b->name), b);
        EXPECT_EQ(&backend_of(b->dialect()), b);
        EXPECT_EQ(b->dialect().name(), b->name) << "a backend's dialect carries its name";
        EXPECT_EQ(&dialect_named(b->name), &b->dialect());
    }
    EXPECT_EQ(names, (std::vector<std::string>{"sqlite", "postgresql"}));
    EXPECT_EQ(backend_names(), "sqlite, postgresql");
    EXPECT_EQ(backend_named("postgres").name, "postgresql");
    EXPECT_EQ(find_backend("mysql"), nullptr);
    std::string what = expect_throw<ConfigError>([] { dialect_named("mysql"); }).what();
    EXPECT_EQ(what, "unknown dialect 'mysql' (expected one of: sqlite, postgresql)");
    what = expect_throw<ConfigError>([] { backend_named("mysql"); }).what();
    EXPECT_EQ(what, "unknown backend 'mysql' (supported: sqlite, postgresql)");
}

class ConnectionTimeouts : public strata::testing::BackendTest {
protected:
    // A setting as the backend reports it, read on `conn`.
    static std::string setting(Connection& conn, const std::string& sql) {
        auto stmt = conn.prepare(sql);
        EXPECT_TRUE(stmt->step()) << sql;
        return std::string(stmt->get_text(0));
    }
};

TEST_P(ConnectionTimeouts, OptionsSetTheSessionsTimeouts) {
    ConnectionOptions options;
    options.busy_timeout_ms = 1234;
    options.lock_timeout_ms = 250;
    options.statement_timeout_ms = 300;
    auto conn = open_connection(options);
    EXPECT_EQ(conn->options().lock_timeout_ms, 250);
    if (is_sqlite()) {
        EXPECT_EQ(setting(*conn, "PRAGMA busy_timeout"), "1234");
        return;
    }
    EXPECT_EQ(setting(*conn, "SHOW lock_timeout"), "250ms");
    EXPECT_EQ(setting(*conn, "SHOW statement_timeout"), "300ms");
    auto slow = expect_throw<DatabaseError>([&] { conn->execute("SELECT pg_sleep(5)"); });
    EXPECT_NE(std::string(slow.what()).find("statement timeout"), std::string::npos) << slow.what();

    // Unset: the server's setting (0, no timeout, on the test server).
    auto plain = open_connection();
    EXPECT_EQ(setting(*plain, "SHOW lock_timeout"), "0");
    EXPECT_EQ(setting(*plain, "SHOW statement_timeout"), "0");
}

TEST_P(ConnectionTimeouts, ANegativeTimeoutIsRefusedNamingIt) {
    ConnectionOptions options;
    options.statement_timeout_ms = -1;
    std::string what = expect_throw<ConfigError>([&] { open_connection(options); }).what();
    EXPECT_EQ(what, "ConnectionOptions::statement_timeout_ms is -1; expected 0 or more milliseconds");
}

STRATA_INSTANTIATE_BACKENDS(ConnectionTimeouts);

}  // namespace
