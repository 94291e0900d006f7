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
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <typeinfo>
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

struct Join {
    std::string table;
    std::string alias;        // empty: the table's own name
    Expr on;
    bool left_outer = false;
    const std::type_info* model = nullptr;  // set: the table of this mapped class (ModelResolver)
    MemberKey relationship{};               // set: the joins that follow this relationship (ModelResolver)
};

// Turns a mapped class into its table, and a relationship into the joins
// that follow it from its owner's table (the ORM supplies it).
class STRATA_API ModelResolver {
public:
    virtual ~ModelResolver() = default;
    virtual std::string table(const std::type_info& model) const = 0;
    virtual std::vector<Join> relationship_joins(const MemberKey& relationship, bool left_outer) const = 0;
};

struct Compiled {
    std::string sql;
    std::vector<Value> params;
};

// Appends SQL text and collects bound parameters, numbering placeholders in order.
class STRATA_API Compiler {
public:
    explicit Compiler(const Dialect& dialect, MemberResolver resolver = {}, const ModelResolver* models = nullptr);
    void expr(const Expr& e);
    void text(std::string_view sql) { out.sql += sql; }
    void identifier(std::string_view name);
    void qualified(std::string_view table, std::string_view column);
    void param(Value v);
    const Dialect& dialect() const { return dialect_; }
    const MemberResolver& resolver() const { return resolver_; }
    // The ORM's mapped classes; throws when there is none.
    const ModelResolver& models() const;
    Compiled out;

private:
    void node(const detail::ExprNode& n);
    const Dialect& dialect_;
    MemberResolver resolver_;
    const ModelResolver* models_;
};

// One term of a select list: an expression, with "AS label" when labelled.
struct SelectItem {
    Expr expr;
    std::string label;
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

    Compiled compile(const Dialect& dialect, const MemberResolver& resolver = {},
                     const ModelResolver* models = nullptr) const;
    // Writes this statement into an ongoing compilation (for subqueries).
    void compile_into(Compiler& c) const;

    // FROM (subquery) AS from_table, instead of the table itself.
    std::shared_ptr<const Select> subquery;
    std::string from_table, from_alias, columns;
    std::vector<Join> joins;
    std::vector<Expr> conditions;
    std::vector<Order> ordering;
    std::optional<std::int64_t> limit_n, offset_n;

    // The select list as expressions, when `columns` is empty. Without a
    // FROM table, FROM is the table of the first mapped member they name.
    std::vector<SelectItem> items;
    const std::type_info* from_model = nullptr;  // FROM this mapped class's table (ModelResolver)
    bool distinct_rows = false;
    std::vector<Expr> grouping;
    std::vector<Expr> having;
    // UNION / UNION ALL parts after this statement; ordering and limits then apply to the whole.
    struct Compound {
        bool all = false;
        std::shared_ptr<const Select> select;
    };
    std::vector<Compound> compound;

private:
    void compile_from(Compiler& c) const;
    void compile_core(Compiler& c) const;  // SELECT ... HAVING, without ORDER BY / LIMIT
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
