// strata/dialect.hpp — how one backend spells SQL (the dialect layer).
//
// Quoting, type names, DDL for tables / indexes / constraints, placeholders,
// literals for offline scripts, and what ALTER TABLE the backend can do.
// Dialects are stateless singletons: sqlite_dialect(), postgresql_dialect().
// Code that must do something one way on one backend and another way on
// another asks the dialect what the backend can do (the capabilities below),
// never its name().
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "strata/export.hpp"
#include "strata/schema.hpp"
#include "strata/types.hpp"
#include "strata/value.hpp"

namespace strata {

class STRATA_API Dialect {
public:
    virtual ~Dialect() = default;

    // "sqlite", "postgresql": for messages and for the per-backend keys of a
    // revision file; not for deciding what to do (ask a capability).
    virtual std::string_view name() const = 0;

    // "user" -> "\"user\"" (embedded quotes doubled). Every identifier is quoted.
    std::string quote(std::string_view identifier) const;
    // 'it''s' — for offline scripts and server defaults only; values are bound.
    virtual std::string literal(const Value& value) const;
    // Placeholder for the n-th parameter (1-based): "?" or "$n".
    virtual std::string placeholder(int n) const = 0;

    // Column type as written in DDL: "VARCHAR(64)", "TIMESTAMP WITHOUT TIME ZONE".
    // The base spells the names both backends share (INTEGER, BIGINT,
    // SMALLINT, BOOLEAN, NUMERIC(p, s), VARCHAR(n), TEXT, DATE); dialects
    // override for the rest and call it for these.
    virtual std::string type_sql(const SqlType& type) const;

    virtual bool supports_returning() const = 0;
    // Whether RETURNING is the way to read the keys an INSERT made. SQLite
    // has RETURNING (3.35+), but it builds a temporary table per row there,
    // several times slower than reading the last rowid.
    virtual bool returning_for_new_keys() const { return supports_returning(); }
    // Whether `a ILIKE b` exists; where not, a case-insensitive LIKE is
    // written lower(a) LIKE lower(b) (SQLAlchemy's rendering).
    virtual bool has_ilike() const { return false; }
    // Whether a column's `IN (1, 2, ...)` of integers is written `= ANY(?)`
    // with the integers bound as one array parameter ("{1,2}"): one statement
    // text, prepared once, serves every length of list (a selectin load's
    // batches), where each length of an IN list is a statement of its own.
    virtual bool binds_integer_list_as_array() const { return false; }
    // What must stand before OFFSET in a query with no LIMIT (SQLite takes
    // OFFSET only after a LIMIT: "LIMIT -1"); empty where OFFSET stands alone.
    virtual std::string_view limit_for_offset_alone() const { return {}; }
    // SQLite cannot ALTER most things and rebuilds the table ("batch" mode).
    virtual bool needs_batch_alter() const = 0;
    virtual bool transactional_ddl() const { return true; }
    // CREATE / DROP INDEX CONCURRENTLY (outside a transaction); false: the
    // migration op's `concurrently` is ignored.
    virtual bool builds_indexes_concurrently() const { return false; }
    // A query with one parameter (an index name) that returns a row when a
    // failed concurrent build left that index INVALID; empty where none can be.
    virtual std::string invalid_index_sql() const { return {}; }
    // The longest name, in bytes, the backend keeps as written; 0 = no limit.
    // (PostgreSQL cuts longer names to 63 bytes without an error.)
    virtual std::size_t max_identifier_length() const { return 0; }
    // An ENUM type of its own (CREATE TYPE ... AS ENUM); false: an Enum
    // column is kept by a CHECK (enum_check()).
    virtual bool has_enum_type() const { return false; }

    // DDL. Statements are returned one per element, without trailing ';'.
    // create_table does not include the table's indexes: create_indexes does.
    virtual std::vector<std::string> create_table(const Table& table) const;
    std::vector<std::string> create_indexes(const Table& table) const;
    virtual std::string create_index(const std::string& table, const Index& index) const;
    // An index's keys and predicate as CREATE INDEX writes them after the
    // table: `("email", (lower(nickname)) DESC) WHERE active = 1`.
    std::string index_definition(const Index& index) const;
    // Statements that follow an index's creation: PostgreSQL keeps the
    // declared index_definition as the index's comment when it has
    // expressions or a predicate (it re-spells them), so inspect() reads back
    // what was written. Empty where not needed.
    virtual std::vector<std::string> index_comment(const Index& index) const;
    virtual std::string drop_index(const std::string& table, const std::string& index_name) const = 0;
    virtual std::vector<std::string> drop_table(const Table& table) const;
    // Type-level DDL that must exist before a table (PostgreSQL ENUM types).
    virtual std::vector<std::string> create_types(const Table& table) const;
    virtual std::vector<std::string> drop_types(const Table& table) const;

    // One column's definition inside CREATE TABLE / ADD COLUMN: "\"id\" INTEGER NOT NULL".
    virtual std::string column_definition(const Table& table, const Column& column) const;
    // Table-level constraint clauses: "CONSTRAINT \"pk_user\" PRIMARY KEY (\"id\")".
    std::string primary_key_clause(const Table& table) const;
    std::string unique_clause(const UniqueConstraint& uq) const;
    std::string foreign_key_clause(const ForeignKey& fk) const;
    std::string check_clause(const CheckConstraint& ck) const;
    // The CHECK an Enum column gets where the backend has no ENUM type.
    std::optional<CheckConstraint> enum_check(const Table& table, const Column& column) const;

    // Statements that follow a CHECK's creation: PostgreSQL keeps the declared
    // text as the constraint's comment (it rewrites the expression itself), so
    // inspect() reads back what was written. Empty where not needed.
    virtual std::vector<std::string> check_comment(const std::string& table, const CheckConstraint& ck) const;

    // Whether the backend keeps comments on tables and columns (PostgreSQL
    // does, SQLite does not: there they are not compared).
    virtual bool keeps_comments() const { return false; }
    // COMMENT ON TABLE (column "") or COLUMN, NULL for none; empty where comments are not kept.
    virtual std::vector<std::string> comment_on(const std::string& table, const std::string& column,
                                                const std::optional<std::string>& text) const;

    // SQL that says whether a table exists: one row when it does; parameter 1 = name.
    virtual std::string table_exists_sql() const = 0;

    // Joins quoted identifiers: "\"a\", \"b\"".
    std::string quoted_list(const std::vector<std::string>& identifiers) const;
};

STRATA_API const Dialect& sqlite_dialect();
STRATA_API const Dialect& postgresql_dialect();
// By name: "sqlite" or "postgresql"; throws ConfigError otherwise.
STRATA_API const Dialect& dialect_named(std::string_view name);
// The dialect with the shortest max_identifier_length: a name that fits it
// fits every backend (a revision file or a model applies to all of them).
STRATA_API const Dialect& strictest_identifier_dialect();

}  // namespace strata
