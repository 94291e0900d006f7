// Per-backend halves of inspect(); inspect.cpp dispatches on the dialect name.
#pragma once

#include <string>
#include <vector>

#include "strata/connection.hpp"
#include "strata/inspect.hpp"
#include "strata/schema.hpp"

namespace strata {

MetaData inspect_sqlite(Connection& conn, const InspectOptions& options);
std::vector<std::string> table_names_sqlite(Connection& conn, const InspectOptions& options);
MetaData inspect_postgresql(Connection& conn, const InspectOptions& options);
std::vector<std::string> table_names_postgresql(Connection& conn, const InspectOptions& options);

}  // namespace strata
