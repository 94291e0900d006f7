// strata/url.hpp — database URLs in SQLAlchemy's form.
//
//   sqlite://                        in-memory database
//   sqlite:///:memory:               in-memory database
//   sqlite:///relative/path.db       relative to the working folder
//   sqlite:////absolute/path.db      absolute path
//   postgresql://user:pass@host:port/dbname?key=value
//   postgresql:///dbname?host=/run/postgresql   (unix socket)
//
// parse_url throws ConfigError naming the URL (password masked) and what is
// wrong with it.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "strata/export.hpp"

namespace strata {

struct STRATA_API Url {
    std::string backend;                  // a registered backend's name: "sqlite", "postgresql"
    std::string username;
    std::string password;
    std::string host;
    std::optional<int> port;
    std::string database;                 // file path for SQLite ("" or ":memory:" = memory)
    std::map<std::string, std::string> query;

    // A SQLite database in memory (sqlite:// or sqlite:///:memory:).
    bool is_sqlite_memory() const;
    // The URL as text with the password replaced by "***": safe for logs and errors.
    std::string masked() const;
};

STRATA_API Url parse_url(const std::string& text);

// Percent-decoding of one URL component ("%40" -> "@").
STRATA_API std::string url_unquote(const std::string& text);

}  // namespace strata
