// Backend entry points behind strata::connect(); one per driver.
#pragma once

#include <memory>

#include "strata/connection.hpp"
#include "strata/url.hpp"

namespace strata {

std::unique_ptr<Connection> connect_sqlite(const Url& url, const ConnectionOptions& options);
std::unique_ptr<Connection> connect_postgresql(const Url& url, const ConnectionOptions& options);

// True when STRATA_ECHO is set to something other than "" or "0".
bool echo_from_environment();

}  // namespace strata
