// PostgreSQL's registration: its parts in each layer (src/dialect/backend.hpp).
#include "backend/postgresql/driver/driver.hpp"
#include "backend/postgresql/migrate/rules.hpp"
#include "backend/postgresql/schema/inspect.hpp"
#include "dialect/backend.hpp"

namespace strata {

namespace {
// Every connection to a server sees the same database; its URL's query is libpq's.
bool connection_is_database(const Url&) { return false; }
std::string check_url(Url&) { return {}; }
}  // namespace

const Backend& postgresql_backend() {
    static const Backend backend{
        .name = "postgresql",
        .display_name = "PostgreSQL",
        .aliases = {"postgres"},
        .dialect = postgresql_dialect,
        .file_url = false,
        .check_url = check_url,
        .connection_is_database = connection_is_database,
        .connect = connect_postgresql,
        .inspector = postgresql_inspector,
        .migration = migrate::postgresql_rules,
    };
    return backend;
}

}  // namespace strata
