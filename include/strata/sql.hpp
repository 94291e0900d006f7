// strata/sql.hpp — statements compiled by a Dialect with bound parameters (the sql layer).
//
//   strata::sql::Select q;
//   q.from("user").columns_sql("\"user\".\"id\"").where(strata::column("user", "nickname") == ...);
//   auto c = q.compile(conn.dialect());      // c.sql with "?" or "$n", c.params in order
//
// insert_sql / update_sql / delete_sql give the text of the statements the ORM
// prepares once per model and binds per row.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "strata/export.hpp"
#include "strata/expression.hpp"
#include "strata/value.hpp"

namespace strata {

class Dialect;

namespace sql {

struct ColumnName {
    std::string table;
    std::string column;
};

// Turns the member of a mapped class into its table and column (the ORM supplies it).
using MemberResolver = std::function<ColumnName(const MemberKey&)>;

struct Compiled {
    std::string sql;
    std::vector<Value> params;
};

// Appends SQL text and collects bound parameters, numbering placeholders in order.
class STRATA_API Compiler {
public:
    explicit Compiler(const Dialect& dialect, MemberResolver resolver = {});
    void expr(const Expr& e);
    void text(std::string_view sql) { out.sql += sql; }
    void identifier(std::string_view name);
    void qualified(std::string_view table, std::string_view column);
    void param(Value v);
    const Dialect& dialect() const { return dialect_; }
    Compiled out;

private:
    void node(const detail::ExprNode& n);
    const Dialect& dialect_;
    MemberResolver resolver_;
};

struct Join {
    std::string table;
    std::string alias;        // empty: the table's own name
    Expr on;
    bool left_outer = false;
};

class STRATA_API Select {
public:
    Select& from(std::string table, std::string alias = {});
    // The select list, already rendered (the ORM renders each model's list once).
    Select& columns_sql(std::string list);
    Select& join(Join j);
    Select& where(const Expr& condition);    // several calls are ANDed
    Select& order_by(const Expr& e, bool descending = false);
    Select& order_by(const Order& o);
    Select& limit(std::int64_t n);
    Select& offset(std::int64_t n);

    Compiled compile(const Dialect& dialect, const MemberResolver& resolver = {}) const;
    // Writes this statement into an ongoing compilation (for subqueries).
    void compile_into(Compiler& c) const;

    // FROM (subquery) AS from_table, instead of the table itself.
    std::shared_ptr<const Select> subquery;
    std::string from_table, from_alias, columns;
    std::vector<Join> joins;
    std::vector<Expr> conditions;
    std::vector<Order> ordering;
    std::optional<std::int64_t> limit_n, offset_n;
};

// INSERT INTO "t" ("a", "b") VALUES (?, ?) [RETURNING "id"]
STRATA_API std::string insert_sql(const Dialect& d, const std::string& table, const std::vector<std::string>& columns,
                       const std::string& returning = {});
// UPDATE "t" SET "a" = ?, "b" = ? WHERE "id" = ?
STRATA_API std::string update_sql(const Dialect& d, const std::string& table, const std::vector<std::string>& set_columns,
                       const std::vector<std::string>& where_columns);
// DELETE FROM "t" WHERE "a" = ? AND "b" = ?
STRATA_API std::string delete_sql(const Dialect& d, const std::string& table, const std::vector<std::string>& where_columns);
// "?" placeholders (outside quotes and comments) rewritten in the dialect's form, for raw SQL.
STRATA_API std::string rewrite_placeholders(const Dialect& d, std::string_view sql);

}  // namespace sql
}  // namespace strata
