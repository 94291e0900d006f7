#include "support.hpp"

#include <unistd.h>

#include <atomic>

namespace strata::testing {

namespace {

std::string current_test_url;

// The server URL with its database name replaced.
std::string with_database(const std::string& server_url, const std::string& db) {
    auto query = server_url.find('?');
    std::string base = server_url.substr(0, query);
    std::string rest = query == std::string::npos ? "" : server_url.substr(query);
    auto scheme_end = base.find("://");
    auto slash = base.find('/', scheme_end + 3);
    return (slash == std::string::npos ? base : base.substr(0, slash)) + "/" + db + rest;
}

}  // namespace

std::string postgres_url() { return current_test_url.empty() ? postgres_server_url() : current_test_url; }

PgTestDatabase::PgTestDatabase() {
    static std::atomic<int> counter{0};
    name_ = "strata_t_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
    auto admin = connect(postgres_server_url());
    admin->execute("DROP DATABASE IF EXISTS " + admin->dialect().quote(name_));
    admin->execute("CREATE DATABASE " + admin->dialect().quote(name_));
    url_ = with_database(postgres_server_url(), name_);
    current_test_url = url_;
}

PgTestDatabase::~PgTestDatabase() {
    current_test_url.clear();
    try {
        auto admin = connect(postgres_server_url());
        admin->execute("DROP DATABASE IF EXISTS " + admin->dialect().quote(name_) + " WITH (FORCE)");
    } catch (const std::exception& e) {
        ADD_FAILURE() << "could not drop test database " << name_ << ": " << e.what();
    }
}

}  // namespace strata::testing
