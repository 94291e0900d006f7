// strata/inspect.hpp — read a live database's structure back (reflection).
//
// inspect() returns the same structures create_all takes, so a MetaData and
// the database made from it compare equal (compare_schema returns nothing).
// Migrations' autogenerate diffs against this.
#pragma once

#include <string>
#include <vector>

#include "strata/export.hpp"
#include "strata/schema.hpp"

namespace strata {

class Connection;

struct STRATA_API InspectOptions {
    // Tables never reported (the migration version table and its step records).
    std::vector<std::string> exclude_tables{"strata_version", "strata_version_steps"};
    // Glob patterns of table names (fnmatch: `*`, `?`, `[a-z]`): when
    // include_patterns is not empty only a table matching one is read, and a
    // table matching an exclude pattern never is.
    std::vector<std::string> include_patterns = {};
    std::vector<std::string> exclude_patterns = {};

    bool reads_table(const std::string& name) const;
};

// Every user table with its columns, indexes and constraints.
STRATA_API MetaData inspect(Connection& conn, const InspectOptions& options = {});
STRATA_API std::vector<std::string> table_names(Connection& conn, const InspectOptions& options = {});
STRATA_API bool has_table(Connection& conn, const std::string& name);

// One structural difference between two schemas, in words:
// "table user: column about_me: missing in database".
struct SchemaDifference {
    std::string table;
    std::string description;
};

// Differences from `actual` to `expected` (empty = equal). Compares tables,
// columns (type, nullability, primary key, server default), indexes,
// unique constraints, foreign keys and check constraints, by name.
STRATA_API std::vector<SchemaDifference> compare_schema(const MetaData& expected, const MetaData& actual);

}  // namespace strata
