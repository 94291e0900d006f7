// Test support: temporary folders and the backends every integration test runs on.
//
// Backends: a fresh SQLite file per test always; PostgreSQL when
// STRATA_TEST_PG_URL is set (scripts/test.sh starts a throwaway server and
// sets it). When CI is set and STRATA_TEST_PG_URL is not, PostgreSQL tests
// FAIL instead of skipping, so CI can never pass without them.
//
//   class MyTest : public strata::testing::BackendTest {};
//   TEST_P(MyTest, Works) { auto db = open_db(); ... }
//   STRATA_INSTANTIATE_BACKENDS(MyTest);
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>
#include <string>

#include "strata/strata.hpp"

namespace strata::testing {

// A folder under the system temp dir, removed with everything in it at scope exit.
class TempDir {
public:
    TempDir() {
        std::random_device rd;
        path_ = std::filesystem::temp_directory_path() / ("strata-test-" + std::to_string(rd()) + std::to_string(rd()));
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::string sqlite_url(const std::string& file = "test.db") const { return "sqlite:///" + (path_ / file).string(); }

private:
    std::filesystem::path path_;
};

// The server given by STRATA_TEST_PG_URL (its database is the admin one tests never use directly).
inline std::string postgres_server_url() {
    const char* url = std::getenv("STRATA_TEST_PG_URL");
    return url ? url : "";
}

// The current test's own PostgreSQL database (see PgTestDatabase), or the
// server URL outside of a test fixture. Tests run in parallel under ctest, so
// each one gets a database of its own.
std::string postgres_url();

// Creates a fresh database on the test server for one test and drops it
// (WITH FORCE) afterwards; postgres_url() points at it meanwhile.
class PgTestDatabase {
public:
    PgTestDatabase();
    ~PgTestDatabase();
    PgTestDatabase(const PgTestDatabase&) = delete;
    PgTestDatabase& operator=(const PgTestDatabase&) = delete;
    const std::string& url() const { return url_; }

private:
    std::string name_;
    std::string url_;
};

inline bool running_in_ci() {
    const char* ci = std::getenv("CI");
    return ci && *ci && std::string(ci) != "0" && std::string(ci) != "false";
}

enum class Backend { SQLite, PostgreSQL };

inline std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
    return info.param == Backend::SQLite ? "sqlite" : "postgresql";
}

// PostgreSQL-only tests (driver details): skipped without STRATA_TEST_PG_URL,
// failed when CI is set; each test gets a fresh database of its own.
class PostgresTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (postgres_server_url().empty()) {
            if (running_in_ci()) FAIL() << "CI is set but STRATA_TEST_PG_URL is not: the PostgreSQL server did not start";
            GTEST_SKIP() << "STRATA_TEST_PG_URL not set; PostgreSQL tests skipped (scripts/pg.sh start sets it)";
        }
        database_.emplace();
    }
    void TearDown() override { database_.reset(); }
    std::unique_ptr<Connection> open_connection(ConnectionOptions options = {}) const {
        return connect(postgres_url(), options);
    }

private:
    std::optional<PgTestDatabase> database_;
};

// Fixture for tests that run on every backend. url() gives a URL to an
// empty database: a new SQLite file, or a new PostgreSQL database.
class BackendTest : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override {
        if (GetParam() == Backend::PostgreSQL && postgres_server_url().empty()) {
            if (running_in_ci()) FAIL() << "CI is set but STRATA_TEST_PG_URL is not: the PostgreSQL server did not start";
            GTEST_SKIP() << "STRATA_TEST_PG_URL not set; PostgreSQL tests skipped (scripts/test.sh sets it)";
        }
        if (GetParam() == Backend::PostgreSQL) pg_database_.emplace();
    }
    void TearDown() override { pg_database_.reset(); }

    bool is_sqlite() const { return GetParam() == Backend::SQLite; }
    std::string url() const { return GetParam() == Backend::SQLite ? dir_.sqlite_url() : postgres_url(); }
    std::unique_ptr<Connection> open_connection(ConnectionOptions options = {}) const { return connect(url(), options); }
    Database open_db(DatabaseOptions options = {}) const { return Database::open(url(), options); }
    const TempDir& dir() const { return dir_; }

private:
    TempDir dir_;
    std::optional<PgTestDatabase> pg_database_;
};

#define STRATA_INSTANTIATE_BACKENDS(fixture)                                                              \
    INSTANTIATE_TEST_SUITE_P(Backends, fixture,                                                          \
                             ::testing::Values(::strata::testing::Backend::SQLite,                        \
                                               ::strata::testing::Backend::PostgreSQL),                  \
                             ::strata::testing::backend_name)

// Runs fn and returns the exception it threw, failing the test if it threw none or another type.
template <class E, class Fn>
E expect_throw(Fn&& fn) {
    try {
        fn();
    } catch (const E& e) {
        return e;
    } catch (const std::exception& e) {
        ADD_FAILURE() << "expected " << typeid(E).name() << ", got " << typeid(e).name() << ": " << e.what();
        throw;
    }
    ADD_FAILURE() << "expected " << typeid(E).name() << ", nothing was thrown";
    throw std::runtime_error("no exception");
}

}  // namespace strata::testing
