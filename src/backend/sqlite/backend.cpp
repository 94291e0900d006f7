// SQLite's registration: its parts in each layer (src/dialect/backend.hpp).
#include "backend/sqlite/driver/driver.hpp"
#include "backend/sqlite/migrate/rules.hpp"
#include "backend/sqlite/schema/inspect.hpp"
#include "dialect/backend.hpp"

namespace strata {

const Backend& sqlite_backend() {
    static const Backend backend{
        .name = "sqlite",
        .display_name = "SQLite",
        .aliases = {},
        .dialect = sqlite_dialect,
        .file_url = true,
        .check_url = check_sqlite_url,
        .connection_is_database = sqlite_connection_is_database,
        .connect = connect_sqlite,
        .inspector = sqlite_inspector,
        .migration = migrate::sqlite_rules,
    };
    return backend;
}

}  // namespace strata
