// What inspect.cpp offers the later layers beyond include/strata/inspect.hpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/connection.hpp"
#include "strata/inspect.hpp"
#include "strata/schema.hpp"

namespace strata {

// How the database spells a CHECK's text on `table` when it reads it back
// (PostgreSQL deparses it: "(score >= (0)::numeric)"); nullopt when it keeps
// the text as written (SQLite) or does not take it.
std::optional<std::string> server_check_text(Connection& conn, const std::string& table, const std::string& sqltext);

}  // namespace strata
