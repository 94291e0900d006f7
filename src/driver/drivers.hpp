// What the drivers of src/backend/*/driver/ share.
#pragma once

#include <memory>

#include "strata/connection.hpp"
#include "strata/url.hpp"

namespace strata {

// The error of execute() given text with a second statement in it.
inline constexpr const char* kOneStatementOnly =
    "the SQL text holds more than one statement; statements run one at a time "
    "(only a migration's `execute` op may hold several)";

// True when STRATA_ECHO is set to something other than "" or "0".
bool echo_from_environment();

}  // namespace strata
