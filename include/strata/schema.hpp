// strata/schema.hpp — tables, columns, indexes and constraints (the schema layer).
//
// MetaData holds Tables; create_all / drop_all run their DDL in foreign-key
// order. The same structures come back from inspect() (strata/inspect.hpp),
// so that a schema made by create_all inspects equal to its MetaData.
//
//   strata::MetaData md;
//   auto& user = md.table("user");
//   user.column("id", strata::Integer(), strata::primary_key());
//   user.column("nickname", strata::String(64), strata::index(), strata::unique());
//   md.create_all(conn);
//
// Every index and constraint has a name from the naming convention, so later
// migrations can drop or alter it on every backend.
#pragma once

#include <functional>
#include <memory>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "strata/export.hpp"
#include "strata/types.hpp"
#include "strata/column_type.hpp"
#include "strata/value.hpp"

namespace strata {

class Connection;
class Database;

struct STRATA_API Column {
    std::string name;
    SqlType type;
    bool nullable = true;
    bool primary_key = false;
    // Integer primary keys are assigned by the database (rowid / IDENTITY).
    bool autoincrement = false;
    std::optional<std::string> server_default;     // SQL expression text, e.g. "0" or "'x'" or "CURRENT_TIMESTAMP"
    std::optional<Value> default_value;            // client-side default, applied at insert
    std::function<Value()> default_function;       // client-side default evaluated at insert
    // A generated column: GENERATED ALWAYS AS (expression) STORED; the database computes its value.
    std::optional<std::string> computed = {};
    std::optional<std::string> comment = {};       // COMMENT ON COLUMN (kept by PostgreSQL; SQLite keeps none)
    std::optional<Value> onupdate_value;           // client-side value written by each ORM UPDATE of the row
    std::function<Value()> onupdate_function;      // ...or evaluated for each one (onupdate())

    // Structural equality: what DDL and inspect() can see (not client-side defaults).
    bool same_structure(const Column& other) const;
};

// An index's keys are columns or SQL expressions (lower(email)), each
// ascending or descending; a partial index covers the rows its `where`
// predicate holds for.
struct Index {
    std::string name;
    // The keys in order: a column name, or an expression's SQL text at the
    // positions listed in `expressions`.
    std::vector<std::string> columns;
    bool unique = false;
    std::vector<std::size_t> expressions = {};   // positions of expression keys, ascending
    std::vector<std::size_t> descending = {};    // positions of DESC keys, ascending
    std::string where = {};                      // a partial index's predicate; "" = every row

    bool is_expression(std::size_t key) const;
    bool is_descending(std::size_t key) const;
    friend bool operator==(const Index&, const Index&) = default;
};

struct UniqueConstraint {
    std::string name;
    std::vector<std::string> columns;
    friend bool operator==(const UniqueConstraint&, const UniqueConstraint&) = default;
};

struct ForeignKey {
    std::string name;
    std::vector<std::string> columns;
    std::string ref_table;
    std::vector<std::string> ref_columns;
    std::string ondelete;   // "" (NO ACTION), "CASCADE", "SET NULL", "RESTRICT", "SET DEFAULT"
    std::string onupdate;
    bool deferrable = false;          // DEFERRABLE
    bool initially_deferred = false;  // DEFERRABLE INITIALLY DEFERRED: checked at COMMIT
    friend bool operator==(const ForeignKey&, const ForeignKey&) = default;
};

struct CheckConstraint {
    std::string name;
    std::string sqltext;    // the boolean expression, without CHECK ( )
    friend bool operator==(const CheckConstraint&, const CheckConstraint&) = default;
};

// Templates for constraint names; %(table)s-style placeholders as in SQLAlchemy:
// {table}, {column} (first column, or all joined by '_' for multi-column),
// {reftable}, {name}.
struct NamingConvention {
    std::string index = "ix_{table}_{column}";
    std::string unique = "uq_{table}_{column}";
    std::string foreign_key = "fk_{table}_{column}_{reftable}";
    std::string check = "ck_{table}_{name}";
    std::string primary_key = "pk_{table}";
};

class Table;

// What a column's options asked for beyond the Column itself; resolved once
// all options are applied (unique + index = a unique index).
struct ColumnDecl {
    bool unique = false;
    bool index = false;
};

// A column option: applied to the column and its table when the column is declared.
struct ColumnOption {
    std::function<void(Table&, Column&, ColumnDecl&)> apply;
};

STRATA_API ColumnOption primary_key();                       // also NOT NULL; autoincrement for a lone integer key
STRATA_API ColumnOption autoincrement(bool on = true);
STRATA_API ColumnOption nullable(bool on = true);
STRATA_API ColumnOption not_null();
STRATA_API ColumnOption unique();                            // with index(): a unique index; alone: a UNIQUE constraint
STRATA_API ColumnOption index();
STRATA_API ColumnOption default_value(Value v);
STRATA_API ColumnOption default_function(std::function<Value()> fn);
STRATA_API ColumnOption server_default(std::string sql_expression);
STRATA_API ColumnOption computed(std::string sql_expression);   // GENERATED ALWAYS AS (sql_expression) STORED
STRATA_API ColumnOption comment(std::string text);              // the column's comment (PostgreSQL)
// SQLAlchemy's onupdate=: when a flush UPDATEs the row and the program did not
// set this column itself, the column gets this value (a Value, or a function
// called once per UPDATE: onupdate(strata::now)). An INSERT does not use it.
template <class V>
ColumnOption onupdate(V&& value_or_function);
STRATA_API ColumnOption foreign_key(std::string target, std::string ondelete = {}, std::string onupdate = {});  // "table.column"

namespace detail {
STRATA_API ColumnOption onupdate_option(std::optional<Value> value, std::function<Value()> fn);
}

template <class V>
ColumnOption onupdate(V&& value_or_function) {
    if constexpr (std::is_invocable_v<V&>) {
        return detail::onupdate_option(std::nullopt, [fn = std::forward<V>(value_or_function)]() mutable {
            return detail::column_value(fn());
        });
    } else {
        return detail::onupdate_option(detail::column_value(value_or_function), nullptr);
    }
}

class STRATA_API Table {
public:
    explicit Table(std::string name, NamingConvention naming = {});

    const std::string& name() const { return name_; }

    template <class... Opts>
    Table& column(std::string name, SqlType type, Opts&&... opts) {
        return add_column(std::move(name), std::move(type), {ColumnOption(std::forward<Opts>(opts))...});
    }
    Table& add_column(std::string name, SqlType type, std::vector<ColumnOption> options);
    Table& add_column(Column column);
    Table& index(std::string name, std::vector<std::string> columns, bool unique = false);  // name "" = from convention
    // An index with expression or DESC keys, or a WHERE predicate:
    //   t.index(strata::Index{.name = "ix_user_lower_email", .columns = {"lower(email)"}, .expressions = {0}});
    // name "" = from the convention (only when every key is a column).
    Table& index(Index index);
    Table& unique_constraint(std::string name, std::vector<std::string> columns);
    Table& foreign_key(std::string name, std::vector<std::string> columns, std::string ref_table,
                       std::vector<std::string> ref_columns, std::string ondelete = {}, std::string onupdate = {});
    Table& check(std::string name, std::string sqltext);                 // name is the {name} of the convention
    Table& primary_key_name(std::string name);

    std::vector<Column> columns;
    std::string primary_key_constraint;                // name of the PRIMARY KEY constraint
    std::vector<Index> indexes;
    std::vector<UniqueConstraint> unique_constraints;
    std::vector<ForeignKey> foreign_keys;
    std::vector<CheckConstraint> checks;
    std::optional<std::string> comment;                // COMMENT ON TABLE (PostgreSQL)

    const Column* find_column(std::string_view name) const;
    Column* find_column(std::string_view name);
    std::vector<std::string> primary_key_columns() const;

    // The names the convention gives (used by options and by autogenerate).
    std::string index_name(const std::vector<std::string>& cols) const;
    std::string unique_name(const std::vector<std::string>& cols) const;
    std::string foreign_key_name(const std::vector<std::string>& cols, const std::string& reftable) const;
    std::string check_name(const std::string& name) const;
    const NamingConvention& naming() const { return naming_; }

private:
    std::string name_;
    NamingConvention naming_;
};

class STRATA_API MetaData {
public:
    MetaData() = default;
    MetaData(const MetaData& other);
    MetaData& operator=(const MetaData& other);
    MetaData(MetaData&&) noexcept = default;
    MetaData& operator=(MetaData&&) noexcept = default;

    NamingConvention naming;

    // The table with this name, created empty if new.
    Table& table(const std::string& name);
    const Table* find(std::string_view name) const;
    Table* find(std::string_view name);
    bool remove(std::string_view name);
    const std::vector<std::unique_ptr<Table>>& tables() const { return tables_; }

    // Tables ordered so that every table comes after the tables it references
    // (self-references and cycles are allowed; cycles keep declaration order).
    std::vector<const Table*> sorted_tables() const;

    // CREATE TABLE + CREATE INDEX for every table, in one transaction.
    // checkfirst: skip tables that already exist (idempotent).
    void create_all(Connection& conn, bool checkfirst = true) const;
    void create_all(const Database& db, bool checkfirst = true) const;  // on a pooled connection
    // DROP in reverse foreign-key order; checkfirst skips missing tables.
    void drop_all(Connection& conn, bool checkfirst = true) const;
    void drop_all(const Database& db, bool checkfirst = true) const;

private:
    std::vector<std::unique_ptr<Table>> tables_;
};

}  // namespace strata
