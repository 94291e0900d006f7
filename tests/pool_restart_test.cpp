// The pool across a PostgreSQL server restart: the first disconnect it sees
// drops every idle connection, so only the request that met it fails.
//
// The test starts a server of its own (scripts/pg.sh) and restarts that one:
// the shared test server is never touched.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "support.hpp"

using namespace strata;

namespace {

// A throwaway PostgreSQL cluster for one test, stopped and removed at scope exit.
class OwnServer {
public:
    OwnServer() {
        const std::string env = (dir_.path() / "pg.env").string();
        run("STRATA_PG_ENV_FILE='" + env + "' " + script() + " start >/dev/null");
        std::ifstream in(env);
        for (std::string line; std::getline(in, line);) {
            if (line.starts_with("export STRATA_TEST_PG_URL=")) url_ = line.substr(line.find('=') + 1);
            if (line.starts_with("export STRATA_PG_DIR=")) cluster_ = line.substr(line.find('=') + 1);
        }
        if (url_.empty() || cluster_.empty()) throw std::runtime_error("scripts/pg.sh start wrote no URL to " + env);
    }
    ~OwnServer() { std::system((script() + " stop '" + cluster_ + "'").c_str()); }
    OwnServer(const OwnServer&) = delete;
    OwnServer& operator=(const OwnServer&) = delete;

    const std::string& url() const { return url_; }
    void restart() const { run(script() + " restart '" + cluster_ + "'"); }

private:
    static std::string script() { return std::string(STRATA_SOURCE_DIR) + "/scripts/pg.sh"; }
    static void run(const std::string& command) {
        if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
    }

    strata::testing::TempDir dir_;
    std::string url_;
    std::string cluster_;
};

}  // namespace

// A PostgreSQL test like the others (it needs the server binaries the suite's
// server runs from), though it starts and restarts a server of its own.
class PoolRestart : public strata::testing::PostgresTest {};

TEST_F(PoolRestart, AfterAServerRestartOnlyTheFirstRequestFailsAndTheIdleConnectionsAreReplaced) {
    OwnServer server;
    DatabaseOptions options;
    options.pool.size = 4;  // pre_ping stays off, the default
    auto db = Database::open(server.url(), options);
    {
        std::vector<PooledConnection> held;
        for (int i = 0; i < 4; ++i) {
            held.push_back(db.connect());
            held.back()->execute("SELECT 1");
        }
    }
    ASSERT_EQ(db.open_connections(), 4);  // all four idle

    server.restart();

    int failures = 0;
    for (int request = 0; request < 6; ++request) {
        try {
            auto conn = db.connect();
            conn->execute("SELECT 1");
        } catch (const OperationalError& e) {
            ++failures;
            EXPECT_NE(std::string(e.what()).find("connection lost"), std::string::npos) << e.what();
        }
    }
    EXPECT_EQ(failures, 1);
    EXPECT_EQ(db.open_connections(), 1);  // the three other idle ones were closed, one new one serves
}
