// The SQLite driver's parts of the backend record (src/backend/sqlite/backend.cpp).
#pragma once

#include <memory>
#include <string>

#include "strata/connection.hpp"
#include "strata/url.hpp"

namespace strata {

std::unique_ptr<Connection> connect_sqlite(const Url& url, const ConnectionOptions& options);
// ?journal_mode= and ?mode=: "" or what is wrong; journal_mode kept in lower case.
std::string check_sqlite_url(Url& url);
// In memory (sqlite:// or sqlite:///:memory:), each connection is a database of its own.
bool sqlite_connection_is_database(const Url& url);

}  // namespace strata
