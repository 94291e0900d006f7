// src/migrate/operations.hpp — the migration operations of a revision file.
//
// An Operation is plain data (what a YAML list item says). Three things are
// done with one, all given the schema as it stands just before the op:
//   render()  — the SQL for a dialect (SQLite rebuilds tables in "batch" mode
//               for what its ALTER TABLE cannot do);
//   apply()   — the schema after the op (so a whole history can be replayed
//               without a database, for offline scripts);
//   inverse() — the ops that undo it (autogenerate's downgrade list).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "strata/dialect.hpp"
#include "strata/schema.hpp"

namespace strata::migrate {

struct CreateTable {
    Table table;   // columns and table constraints; indexes are separate create_index ops
};
struct DropTable {
    std::string table;
};
struct RenameTable {
    std::string table;
    std::string new_name;
};
struct AddColumn {
    std::string table;
    Column column;
};
struct DropColumn {
    std::string table;
    std::string column;
};
// Every field but table/column is optional: absent = unchanged.
struct AlterColumn {
    std::string table;
    std::string column;
    std::optional<SqlType> type;
    std::optional<bool> nullable;
    std::optional<std::optional<std::string>> server_default;   // engaged-but-empty = drop the default
    std::optional<std::string> new_name;
    std::optional<std::optional<std::string>> comment = {};     // engaged-but-empty = drop the comment
};
// The table's own properties; today its comment (engaged-but-empty = drop it).
struct AlterTable {
    std::string table;
    std::optional<std::optional<std::string>> comment;
};
// concurrently: PostgreSQL builds / drops the index without blocking writes
// (CREATE INDEX CONCURRENTLY), outside the revision's transaction; a dialect
// that cannot (SQLite) ignores it.
struct CreateIndex {
    std::string table;
    Index index;
    bool concurrently = false;
};
struct DropIndex {
    std::string table;
    std::string name;
    bool concurrently = false;
};
// `using_index` (PostgreSQL's ADD CONSTRAINT … UNIQUE USING INDEX): the
// constraint takes over an existing unique index (built concurrently
// beforehand), whose columns it gets; the index then belongs to it and is
// named like it. An unnamed one takes the index's name.
struct CreateUniqueConstraint {
    std::string table;
    UniqueConstraint constraint;
    std::string using_index = {};
};
// `not_valid`: PostgreSQL adds the constraint without checking the rows
// already there (new and changed rows are checked); validate_constraint
// checks them later under a lock that lets reads and writes go on.
struct CreateCheckConstraint {
    std::string table;
    CheckConstraint constraint;
    bool not_valid = false;
};
struct CreateForeignKey {
    std::string table;
    ForeignKey constraint;
    bool not_valid = false;
};
// Checks the existing rows against a CHECK or foreign key added with
// not_valid (PostgreSQL: VALIDATE CONSTRAINT; SQLite checks every row when
// the constraint is added, so there it only checks that the constraint exists).
struct ValidateConstraint {
    std::string table;
    std::string name;
};
// A constraint the database keeps no name for (SQLite) is named by what it
// does: `name` is empty and `unnamed` holds the constraint to drop.
struct DropConstraint {
    std::string table;
    std::string name;
    std::variant<std::monostate, UniqueConstraint, ForeignKey, CheckConstraint> unnamed = {};
};
// Raw SQL: `sql` for every dialect, or per dialect name ("sqlite", "postgresql").
struct Execute {
    std::optional<std::string> sql;
    std::map<std::string, std::string> per_dialect;
    // false: runs outside the revision's transaction (VACUUM, ALTER TYPE …
    // ADD VALUE on old servers, CREATE DATABASE …).
    bool transaction = true;
    // The statement for a dialect; empty when it has none (the op is skipped there).
    std::optional<std::string> for_dialect(std::string_view dialect) const;
};

// Updates the rows of a table in batches of primary-key ranges, each in a
// transaction of its own, outside the revision's (src/migrate/backfill.hpp):
// other sessions' writes wait for one batch at most, and a run stopped in
// the middle resumes after the last batch it committed. `set` maps columns
// to SQL expressions and `where` is an SQL condition, written by the
// migration author like execute's sql (one expression each).
struct Backfill {
    std::string table;
    std::vector<std::pair<std::string, std::string>> set;   // column -> expression, in the file's order
    std::string where;                                       // empty: every row
    std::int64_t batch_size = 10000;
};

using Operation = std::variant<CreateTable, DropTable, RenameTable, AddColumn, DropColumn, AlterColumn, CreateIndex,
                               DropIndex, CreateUniqueConstraint, CreateCheckConstraint, CreateForeignKey,
                               DropConstraint, Execute, AlterTable, ValidateConstraint, Backfill>;

// One op as it appears in a revision file: where it is, and an optional
// comment written above it (autogenerate's rename warnings).
struct Step {
    Operation op;
    int line = 0;        // 1-based; 0 when not read from a file
    int column = 0;
    std::string comment;
    // What autogenerate found different, before → after ("nullable → NOT NULL");
    // printed by `db check` / `db migrate` and written as a comment, never parsed.
    // Defaulted, so Step{op, line, column, comment} still compiles.
    std::string detail = {};
};

// "add_column" — the YAML key.
std::string op_name(const Operation& op);
// "add_column user.about_me" — for messages.
std::string describe(const Operation& op);
// "alter_column user.email: nullable → NOT NULL" — the op and what differs.
std::string describe(const Step& step);
// All op names, in the order of the docs (for "expected one of …").
const std::vector<std::string>& op_names();

// The SQL statements for this op on a dialect, given the schema just before it.
std::vector<std::string> render(const Operation& op, const Dialect& dialect, const MetaData& before);
// SQLite "batch" mode: the table this op rebuilds on a dialect whose ALTER
// TABLE cannot do it (nothing on PostgreSQL, or for ops SQLite does natively).
std::optional<std::string> batch_table(const Operation& op, const Dialect& dialect, const MetaData& before);
// One rebuild for several consecutive ops on the same table (each with a
// batch_table equal to the first's, in the schema after the ones before it).
std::vector<std::string> render_batch(const std::vector<const Operation*>& ops, const Dialect& dialect,
                                      const MetaData& before);
// How a rebuild's copy of the rows begins: "INSERT INTO <new table>" (the
// runner runs it with progress, BackendRules::copy_rows).
std::string rebuild_copy_prefix(const Dialect& dialect, const std::string& table);
// Whether the op runs outside the revision's transaction on this dialect (a
// concurrent index build or drop where the dialect has them, an `execute`
// with transaction: false, a backfill): the runner commits before it and records it after.
bool runs_outside_transaction(const Operation& op, const Dialect& dialect);
// Applies the op to the schema. Throws MigrationError when the op does not fit
// it (a missing table, an existing column, …).
void apply(const Operation& op, MetaData& schema);
// The ops that undo this one, given the schema just before it.
std::vector<Operation> inverse(const Operation& op, const MetaData& before);

// Whether an op loses data (drop_table, drop_column, a narrowing type change).
bool is_destructive(const Operation& op, const MetaData& before);
// A type change that can lose data: shorter strings, smaller integers, …
bool is_narrowing(const SqlType& from, const SqlType& to);

// The new length when the op makes a text column shorter (String(200) ->
// String(120)); 0 for any other op.
int shortened_text_length(const Operation& op, const MetaData& before);

// Equal for migration purposes (an unset PostgreSQL enum name matches any).
bool same_type(const SqlType& a, const SqlType& b);

// The constraint a create_unique_constraint makes on this table: with
// using_index, named (if unnamed) and keyed like the index it takes over.
// Throws MigrationError when the index is missing or cannot be taken over.
UniqueConstraint unique_constraint_of(const CreateUniqueConstraint& op, const Table& table);

// Copy of a table under another name (Table's name is fixed at construction).
Table copy_table(const Table& table, const std::string& new_name);

// For the backends' rules (src/migrate/backend_rules.hpp):
// Whether `sql` mentions `name` as a whole identifier (bare or quoted).
bool mentions_identifier(const std::string& sql, const std::string& name);
// Whether an index uses a column: as a key, or in an expression key or its predicate.
bool index_uses(const Index& index, const std::string& column);
// A table holding one column: for the type DDL (PostgreSQL ENUM) of that column alone.
Table single_column_table(const Table& table, const Column& column);

}  // namespace strata::migrate
