// The PostgreSQL driver's parts of the backend record (src/backend/postgresql/backend.cpp).
#pragma once

#include <memory>

#include "strata/connection.hpp"
#include "strata/url.hpp"

namespace strata {

std::unique_ptr<Connection> connect_postgresql(const Url& url, const ConnectionOptions& options);

}  // namespace strata
