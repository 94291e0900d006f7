// Per-backend halves of inspect(); inspect.cpp dispatches on the dialect name.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/connection.hpp"
#include "strata/inspect.hpp"
#include "strata/schema.hpp"

namespace strata {

MetaData inspect_sqlite(Connection& conn, const InspectOptions& options);
std::vector<std::string> table_names_sqlite(Connection& conn, const InspectOptions& options);
MetaData inspect_postgresql(Connection& conn, const InspectOptions& options);
std::vector<std::string> table_names_postgresql(Connection& conn, const InspectOptions& options);

// What inspect_sqlite reads from the CREATE TABLE text SQLite keeps in sqlite_master, which
// needs no database: tests/fuzz/sqlite_ddl.cpp calls these on arbitrary text.
namespace sqlite_ddl {

struct NamedConstraints {
    std::string primary_key;
    std::vector<UniqueConstraint> uniques;                // with names and columns
    std::vector<std::pair<std::string, std::vector<std::string>>> foreign_keys;  // name, local columns
    std::vector<CheckConstraint> checks;
};

// Table-level "CONSTRAINT name KIND (...)" clauses, and unnamed CHECKs, of a CREATE TABLE text.
NamedConstraints parse_constraints(std::string_view sql);
// The expression of the generated column `column` in a CREATE TABLE text ("" when not found).
std::string generated_expression(std::string_view sql, std::string_view column);
// `"col" IN ('a', 'b')` -> {col, [a, b]}: the CHECK strata writes for an Enum.
bool parse_enum_check(const std::string& text, std::string& column, std::vector<std::string>& values);
// A column's declared type (pragma_table_info's `type`) -> SqlType.
SqlType type_from_declared(std::string_view declared);

}  // namespace sqlite_ddl

}  // namespace strata
