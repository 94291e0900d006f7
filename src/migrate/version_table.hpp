// src/migrate/version_table.hpp — the version table (strata_version by default):
// one row per head the database is at.
#pragma once

#include <string>
#include <vector>

#include "migrate/script.hpp"
#include "strata/connection.hpp"

namespace strata::migrate {

// The version table's definition (its name from migrations/strata.yaml).
Table version_table(const std::string& name = kVersionTable);

// DELETE / INSERT of one version_num; `value` is a placeholder or (offline) a literal.
std::string delete_version_sql(const Dialect& d, const std::string& table, const std::string& value);
std::string insert_version_sql(const Dialect& d, const std::string& table, const std::string& value);

// Creates the version table when it is missing.
void ensure_version_table(Connection& conn, const std::string& table);
// The heads recorded in the version table, sorted (empty: none yet / no table).
std::vector<std::string> read_heads(Connection& conn, const std::string& table);

}  // namespace strata::migrate
