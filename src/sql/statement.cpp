// SELECT / INSERT / UPDATE / DELETE text, rendered through the dialect.
#include "strata/dialect.hpp"
#include "strata/error.hpp"
#include "strata/sql.hpp"

namespace strata::sql {

Select& Select::from(std::string table, std::string alias) {
    from_table = std::move(table);
    from_alias = std::move(alias);
    return *this;
}

Select& Select::columns_sql(std::string list) {
    columns = std::move(list);
    return *this;
}

Select& Select::join(Join j) {
    joins.push_back(std::move(j));
    return *this;
}

Select& Select::where(const Expr& condition) {
    conditions.push_back(condition);
    return *this;
}

Select& Select::order_by(const Expr& e, bool descending) { return order_by(Order{e, descending}); }

Select& Select::order_by(const Order& o) {
    ordering.push_back(o);
    return *this;
}

Select& Select::limit(std::int64_t n) {
    limit_n = n;
    return *this;
}

Select& Select::offset(std::int64_t n) {
    offset_n = n;
    return *this;
}

Compiled Select::compile(const Dialect& dialect, const MemberResolver& resolver, const ModelResolver* models) const {
    Compiler c(dialect, resolver, models);
    compile_into(c);
    return std::move(c.out);
}

namespace {

// The first mapped member or table column an expression names (subqueries
// and labels aside), or nullptr.
const detail::ExprNode* first_source(const detail::ExprNode* n) {
    if (!n) return nullptr;
    if (n->kind == detail::ExprNode::Kind::Member) return n;
    if (n->kind == detail::ExprNode::Kind::Column && !n->table.empty()) return n;
    if (n->kind == detail::ExprNode::Kind::Subquery || n->kind == detail::ExprNode::Kind::Exists) return nullptr;
    for (const auto* operand : {n->a.get(), n->b.get(), n->c.get()})
        if (const auto* m = first_source(operand)) return m;
    return nullptr;
}

void table_as(Compiler& c, const std::string& table, const std::string& alias) {
    c.identifier(table);
    if (!alias.empty() && alias != table) {
        c.text(" AS ");
        c.identifier(alias);
    }
}

void compile_join(Compiler& c, const Join& j) {
    if (j.relationship.owner) {
        for (const auto& step : c.models().relationship_joins(j.relationship, j.left_outer)) compile_join(c, step);
        return;
    }
    c.text(j.left_outer ? " LEFT OUTER JOIN " : " JOIN ");
    table_as(c, j.model ? c.models().table(*j.model) : j.table, j.alias);
    c.text(" ON ");
    c.expr(j.on);
}

}  // namespace

void Select::compile_from(Compiler& c) const {
    c.text(" FROM ");
    if (subquery) {
        c.text("(");
        subquery->compile_into(c);
        c.text(") AS ");
        c.identifier(from_table);
        return;
    }
    if (!from_table.empty()) return table_as(c, from_table, from_alias);
    if (from_model) return table_as(c, c.models().table(*from_model), from_alias);
    for (const auto& item : items) {
        const detail::ExprNode* n = first_source(item.expr.node());
        if (!n) continue;
        if (n->kind == detail::ExprNode::Kind::Column) return table_as(c, n->op.empty() ? n->table : n->op, n->table);
        if (!n->table.empty()) return table_as(c, c.models().table(*n->member.owner), n->table);  // an aliased model
        if (!c.resolver()) throw Error("strata: a member expression needs the ORM to resolve its column");
        return c.identifier(c.resolver()(n->member).table);
    }
    throw Error("strata: a SELECT whose list names no column needs a FROM table (select_from)");
}

void Select::compile_core(Compiler& c) const {
    if (from_table.empty() && !from_model && items.empty()) throw Error("strata: SELECT without a FROM table");
    c.text(distinct_rows ? "SELECT DISTINCT " : "SELECT ");
    if (!columns.empty() || items.empty()) c.text(columns.empty() ? "*" : columns);
    for (std::size_t i = 0; columns.empty() && i < items.size(); ++i) {
        if (i) c.text(", ");
        c.expr(items[i].expr);
        if (!items[i].label.empty()) {
            c.text(" AS ");
            c.identifier(items[i].label);
        }
    }
    compile_from(c);
    for (const auto& j : joins) compile_join(c, j);
    for (std::size_t i = 0; i < conditions.size(); ++i) {
        c.text(i == 0 ? " WHERE " : " AND ");
        c.expr(conditions[i]);
    }
    for (std::size_t i = 0; i < grouping.size(); ++i) {
        c.text(i == 0 ? " GROUP BY " : ", ");
        c.expr(grouping[i]);
    }
    for (std::size_t i = 0; i < having.size(); ++i) {
        c.text(i == 0 ? " HAVING " : " AND ");
        c.expr(having[i]);
    }
}

void Select::compile_into(Compiler& c) const {
    compile_core(c);
    for (const auto& part : compound) {
        c.text(part.all ? " UNION ALL " : " UNION ");
        part.select->compile_core(c);
    }
    for (std::size_t i = 0; i < ordering.size(); ++i) {
        c.text(i == 0 ? " ORDER BY " : ", ");
        c.expr(ordering[i].expr);
        if (ordering[i].descending) c.text(" DESC");
        // The same words on both backends (SQLite since 3.30).
        if (ordering[i].nulls == NullsOrder::First) c.text(" NULLS FIRST");
        if (ordering[i].nulls == NullsOrder::Last) c.text(" NULLS LAST");
    }
    if (limit_n) {
        c.text(" LIMIT ");
        c.param(*limit_n);
    } else if (offset_n && !c.dialect().limit_for_offset_alone().empty()) {
        c.text(" ");
        c.text(c.dialect().limit_for_offset_alone());
    }
    if (offset_n) {
        c.text(" OFFSET ");
        c.param(*offset_n);
    }
}

std::string insert_sql(const Dialect& d, const std::string& table, const std::vector<std::string>& columns,
                       const std::string& returning) {
    std::string sql = "INSERT INTO " + d.quote(table);
    if (columns.empty()) {
        sql += " DEFAULT VALUES";
    } else {
        sql += " (" + d.quoted_list(columns) + ") VALUES (";
        for (std::size_t i = 0; i < columns.size(); ++i) {
            if (i) sql += ", ";
            sql += d.placeholder(static_cast<int>(i + 1));
        }
        sql += ")";
    }
    if (!returning.empty()) sql += " RETURNING " + d.quote(returning);
    return sql;
}

namespace {

void append_conditions(const Dialect& d, std::string& sql, const std::vector<std::string>& columns, int first) {
    for (std::size_t i = 0; i < columns.size(); ++i) {
        sql += i == 0 ? " WHERE " : " AND ";
        sql += d.quote(columns[i]) + " = " + d.placeholder(first + static_cast<int>(i));
    }
}

}  // namespace

std::string update_sql(const Dialect& d, const std::string& table, const std::vector<std::string>& set_columns,
                       const std::vector<std::string>& where_columns) {
    if (set_columns.empty()) throw Error("strata: UPDATE of table " + table + " with no columns to set");
    std::string sql = "UPDATE " + d.quote(table) + " SET ";
    for (std::size_t i = 0; i < set_columns.size(); ++i) {
        if (i) sql += ", ";
        sql += d.quote(set_columns[i]) + " = " + d.placeholder(static_cast<int>(i + 1));
    }
    append_conditions(d, sql, where_columns, static_cast<int>(set_columns.size()) + 1);
    return sql;
}

std::string delete_sql(const Dialect& d, const std::string& table, const std::vector<std::string>& where_columns) {
    std::string sql = "DELETE FROM " + d.quote(table);
    append_conditions(d, sql, where_columns, 1);
    return sql;
}

std::string rewrite_placeholders(const Dialect& d, std::string_view sql) {
    if (d.placeholder(1) == "?") return std::string(sql);
    std::string out;
    out.reserve(sql.size() + 8);
    int n = 0;
    char quote = 0;
    for (std::size_t i = 0; i < sql.size(); ++i) {
        char ch = sql[i];
        if (quote) {
            if (ch == quote) quote = 0;
        } else if (ch == '\'' || ch == '"') {
            quote = ch;
        } else if (ch == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
            auto end = sql.find('\n', i);
            end = end == std::string_view::npos ? sql.size() : end;
            out.append(sql.substr(i, end - i));
            i = end - 1;
            continue;
        } else if (ch == '?') {
            out += d.placeholder(++n);
            continue;
        }
        out += ch;
    }
    return out;
}

}  // namespace strata::sql
