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

#include "strata/types.hpp"
#include "strata/column_type.hpp"
#include "strata/value.hpp"

namespace strata {

class Connection;
class Database;

struct Column {
    std::string name;
    SqlType type;
    bool nullable = true;
    bool primary_key = false;
    // Integer primary keys are assigned by the database (rowid / IDENTITY).
    bool autoincrement = false;
    std::optional<std::string> server_default;     // SQL expression text, e.g. "0" or "'x'" or "CURRENT_TIMESTAMP"
    std::optional<Value> default_value;            // client-side default, applied at insert
    std::function<Value()> default_function;       // client-side default evaluated at insert
    std::optional<Value> onupdate_value;           // client-side value written by each ORM UPDATE of the row
    std::function<Value()> onupdate_function;      // ...or evaluated for each one (onupdate())

    // Structural equality: what DDL and inspect() can see (not client-side defaults).
    bool same_structure(const Column& other) const;
};

struct Index {
    std::string name;
    std::vector<std::string> columns;
    bool unique = false;
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

ColumnOption primary_key();                       // also NOT NULL; autoincrement for a lone integer key
ColumnOption autoincrement(bool on = true);
ColumnOption nullable(bool on = true);
ColumnOption not_null();
ColumnOption unique();                            // with index(): a unique index; alone: a UNIQUE constraint
ColumnOption index();
ColumnOption default_value(Value v);
ColumnOption default_function(std::function<Value()> fn);
ColumnOption server_default(std::string sql_expression);
// SQLAlchemy's onupdate=: when a flush UPDATEs the row and the program did not
// set this column itself, the column gets this value (a Value, or a function
// called once per UPDATE: onupdate(strata::now)). An INSERT does not use it.
template <class V>
ColumnOption onupdate(V&& value_or_function);
ColumnOption foreign_key(std::string target, std::string ondelete = {}, std::string onupdate = {});  // "table.column"

namespace detail {
ColumnOption onupdate_option(std::optional<Value> value, std::function<Value()> fn);
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

class Table {
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

class MetaData {
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
