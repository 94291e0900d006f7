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

Compiled Select::compile(const Dialect& dialect, const MemberResolver& resolver) const {
    Compiler c(dialect, resolver);
    compile_into(c);
    return std::move(c.out);
}

void Select::compile_into(Compiler& c) const {
    if (from_table.empty()) throw Error("strata: SELECT without a FROM table");
    c.text("SELECT ");
    c.text(columns.empty() ? "*" : columns);
    c.text(" FROM ");
    if (subquery) {
        c.text("(");
        subquery->compile_into(c);
        c.text(") AS ");
        c.identifier(from_table);
    } else {
        c.identifier(from_table);
    }
    if (!subquery && !from_alias.empty() && from_alias != from_table) {
        c.text(" AS ");
        c.identifier(from_alias);
    }
    for (const auto& j : joins) {
        c.text(j.left_outer ? " LEFT OUTER JOIN " : " JOIN ");
        c.identifier(j.table);
        if (!j.alias.empty() && j.alias != j.table) {
            c.text(" AS ");
            c.identifier(j.alias);
        }
        c.text(" ON ");
        c.expr(j.on);
    }
    for (std::size_t i = 0; i < conditions.size(); ++i) {
        c.text(i == 0 ? " WHERE " : " AND ");
        c.expr(conditions[i]);
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
    } else if (offset_n && c.dialect().name() == "sqlite") {
        c.text(" LIMIT -1");  // SQLite accepts OFFSET only after a LIMIT
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
