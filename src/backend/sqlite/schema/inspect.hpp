// SQLite's reflection: its inspector (the backend record's schema part), and
// what it reads from the CREATE TABLE text SQLite keeps.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "schema/inspector.hpp"
#include "strata/schema.hpp"

namespace strata {

const Inspector& sqlite_inspector();

// What the SQLite inspector reads from the CREATE TABLE text SQLite keeps in sqlite_master, which
// needs no database: tests/fuzz/sqlite_ddl.cpp calls these on arbitrary text.
namespace sqlite_ddl {

// What PRAGMA foreign_key_list does not say about a foreign key.
struct ForeignKeyClause {
    std::string name;
    std::vector<std::string> columns;   // local columns
    bool deferrable = false;
    bool initially_deferred = false;
};

struct NamedConstraints {
    std::string primary_key;
    std::vector<UniqueConstraint> uniques;                // with names and columns
    std::vector<ForeignKeyClause> foreign_keys;           // table-level and inline REFERENCES
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
