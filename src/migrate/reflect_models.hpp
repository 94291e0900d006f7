// src/migrate/reflect_models.hpp — `db reflect`: a C++ header of models for a live database.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "strata/schema.hpp"

namespace strata::migrate {

struct ReflectOptions {
    std::string name_space;           // "" = the global namespace; "app::models" nests
    std::vector<std::string> tables;  // only these tables (empty = every table)
};

// The header: one struct per table with a single-column primary key, plain
// tables for the others (association tables get many_to_many on both sides),
// and `inline void map_models(strata::Registry&)` declaring the same columns,
// types, server defaults, indexes and constraints, under the database's names.
// Throws MigrationError naming a table of options.tables the schema lacks, or
// a namespace that is not a C++ name.
std::string reflect_models(const MetaData& schema, const ReflectOptions& options);

// C++ names for SQL names (deterministic; see docs/migrations.md):
// a struct name in PascalCase, a member name kept as written where C++ takes it.
std::string cpp_type_name(std::string_view sql_name);
std::string cpp_member_name(std::string_view sql_name);
// A C++ string literal holding exactly `text` (quotes, backslashes, control
// and non-ASCII bytes escaped).
std::string cpp_string_literal(std::string_view text);

}  // namespace strata::migrate
