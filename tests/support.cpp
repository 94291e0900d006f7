#include "support.hpp"

namespace strata::testing {

void reset_postgres(Connection& conn) {
    // Dropping and recreating the schema removes tables, sequences and enum types at once.
    conn.execute("DROP SCHEMA IF EXISTS public CASCADE");
    conn.execute("CREATE SCHEMA public");
}

}  // namespace strata::testing
