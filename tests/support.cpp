#include "support.hpp"

namespace strata::testing {

void reset_postgres(Connection& conn) {
    // Dropping and recreating the schema removes tables, sequences and enum types at once.
    const std::string schema = conn.dialect().quote(postgres_schema());
    conn.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    conn.execute("CREATE SCHEMA " + schema);
}

void drop_postgres_schema() {
    auto conn = connect(postgres_server_url());
    conn->execute("DROP SCHEMA IF EXISTS " + conn->dialect().quote(postgres_schema()) + " CASCADE");
}

}  // namespace strata::testing
