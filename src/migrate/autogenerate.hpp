// src/migrate/autogenerate.hpp — the ops that bring a database's schema to the models'.
//
// Compares the target MetaData (the models) with the database's (inspect())
// and returns upgrade ops plus their exact inverse. Renames are never guessed:
// a column dropped and one of the same type added in one table are written as
// drop + add with a warning, unless a Rename says otherwise.
#pragma once

#include <string>
#include <vector>

#include "migrate/operations.hpp"

namespace strata::migrate {

// "--rename user.nick:nickname" (column) or "--rename users:members" (table).
struct Rename {
    std::string table;   // the column's table (its new name); empty for a table rename
    std::string from;
    std::string to;
};
// Parses the --rename argument; MigrationError when malformed.
Rename parse_rename(const std::string& text);

struct Changes {
    std::vector<Step> upgrade;
    std::vector<Step> downgrade;
    std::vector<std::string> warnings;
    bool empty() const { return upgrade.empty(); }
};

struct CompareOptions {
    // Also report constraints that do the same thing under another name
    // (`db check --compare-names`): by default an unnamed or server-named
    // constraint matches the models' by what it does.
    bool compare_names = false;
    // false for a database that keeps no comments (SQLite): the models'
    // comments are still written in new tables and columns.
    bool compare_comments = true;
    // true where an Enum is a text column plus a CHECK (SQLite): a column
    // another tool made that way (VARCHAR(20), TEXT, `... OR x IS NULL`)
    // matches the models' Enum when its CHECK allows exactly the Enum's values.
    bool enum_as_check = false;
    // New indexes of existing tables are written `concurrently: true`
    // (strata.yaml's postgresql: {concurrent_indexes: true}, on PostgreSQL).
    bool concurrent_indexes = false;
};

Changes compare_metadata(const MetaData& target, const MetaData& database, const std::vector<Rename>& renames = {},
                         const CompareOptions& options = {});

// The downgrade of a list of ops: each op's inverse, last op first.
std::vector<Step> inverse_steps(const std::vector<Step>& upgrade, const MetaData& before);

}  // namespace strata::migrate
