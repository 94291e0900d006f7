// Placeholder until the libpq driver lands (issue 6): PostgreSQL URLs parse,
// but connecting reports clearly that the backend is not built in.
#include "driver/drivers.hpp"
#include "schema/inspect_internal.hpp"
#include "strata/dialect.hpp"
#include "strata/error.hpp"

namespace strata {

std::unique_ptr<Connection> connect_postgresql(const Url& url, const ConnectionOptions&) {
    throw ConfigError("cannot connect to '" + url.masked() + "': the PostgreSQL driver is not available in this build");
}

MetaData inspect_postgresql(Connection&, const InspectOptions&) {
    throw ConfigError("inspect is not available for PostgreSQL in this build");
}

std::vector<std::string> table_names_postgresql(Connection&, const InspectOptions&) {
    throw ConfigError("inspect is not available for PostgreSQL in this build");
}

const Dialect& postgresql_dialect() {
    throw ConfigError("the PostgreSQL dialect is not available in this build");
}

}  // namespace strata
