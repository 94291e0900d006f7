// Expression trees and their compilation to SQL text with bound parameters.
#include "strata/expression.hpp"

#include <algorithm>
#include <charconv>

#include "strata/dialect.hpp"
#include "strata/error.hpp"
#include "strata/sql.hpp"

namespace strata {

using detail::ExprNode;

namespace {

std::shared_ptr<ExprNode> node(ExprNode::Kind kind) {
    auto n = std::make_shared<ExprNode>();
    n->kind = kind;
    return n;
}

// An IN list that can travel as one integer array: integers only (no NULL),
// tested against a column, whose type the server gives the array.
bool as_array(const ExprNode& n) {
    if (n.a->kind != ExprNode::Kind::Column && n.a->kind != ExprNode::Kind::Member) return false;
    return std::all_of(n.values.begin(), n.values.end(), [](const Value& v) { return v.is<std::int64_t>(); });
}

// The array's text input form: "{1,-2,3}".
std::string integer_array_text(const std::vector<Value>& values) {
    std::string out = "{";
    char digits[20];
    for (const Value& v : values) {
        if (out.size() > 1) out += ',';
        const char* end = std::to_chars(digits, digits + sizeof digits, v.as<std::int64_t>()).ptr;
        out.append(digits, static_cast<std::size_t>(end - digits));
    }
    out += '}';
    return out;
}

}  // namespace

Expr column(std::string table, std::string name) {
    auto n = node(ExprNode::Kind::Column);
    n->table = std::move(table);
    n->column = std::move(name);
    return Expr(std::move(n));
}

Expr member(const MemberKey& key) {
    auto n = node(ExprNode::Kind::Member);
    n->member = key;
    return Expr(std::move(n));
}

Expr bind(Value value) {
    auto n = node(ExprNode::Kind::Param);
    n->value = std::move(value);
    return Expr(std::move(n));
}

Expr raw_sql(std::string text) {
    auto n = node(ExprNode::Kind::Raw);
    n->op = std::move(text);
    return Expr(std::move(n));
}

Expr binary(std::string op, const Expr& left, const Expr& right) {
    if (!left.node() || !right.node()) throw Error("strata: operator " + op + " needs two expressions");
    auto n = node(ExprNode::Kind::Binary);
    n->op = std::move(op);
    n->a = left.shared();
    n->b = right.shared();
    return Expr(std::move(n));
}

Expr operator&&(const Expr& a, const Expr& b) {
    if (!a.node()) return b;
    if (!b.node()) return a;
    return binary("AND", a, b);
}

Expr operator||(const Expr& a, const Expr& b) { return binary("OR", a, b); }

Expr operator!(const Expr& a) { return detail::make_unary(ExprNode::Kind::Not, a); }

namespace detail {

Expr make_unary(ExprNode::Kind kind, const Expr& operand) {
    auto n = node(kind);
    n->a = operand.shared();
    return Expr(std::move(n));
}

Expr make_in(const Expr& operand, std::vector<Value> values) {
    auto n = node(ExprNode::Kind::In);
    n->a = operand.shared();
    n->values = std::move(values);
    return Expr(std::move(n));
}

Expr make_between(const Expr& operand, const Expr& low, const Expr& high) {
    auto n = node(ExprNode::Kind::Between);
    n->a = operand.shared();
    n->b = low.shared();
    n->c = high.shared();
    return Expr(std::move(n));
}

Expr make_like(const Expr& operand, const Expr& pattern, bool case_insensitive) {
    auto n = node(ExprNode::Kind::Like);
    n->a = operand.shared();
    n->b = pattern.shared();
    n->case_insensitive = case_insensitive;
    return Expr(std::move(n));
}

Expr make_function(std::string name, const Expr& operand, bool distinct) {
    auto n = node(ExprNode::Kind::Function);
    n->op = std::move(name);
    n->a = operand.shared();
    n->distinct = distinct;
    return Expr(std::move(n));
}

Expr make_subquery(ExprNode::Kind kind, std::shared_ptr<const sql::Select> select, const Expr& operand) {
    if (!select) throw Error("strata: a subquery without a statement");
    auto n = node(kind);
    n->select = std::move(select);
    n->a = operand.shared();
    return Expr(std::move(n));
}

Expr aliased_column(std::string table, std::string alias, std::string column) {
    auto n = node(ExprNode::Kind::Column);
    n->op = std::move(table);
    n->table = std::move(alias);
    n->column = std::move(column);
    return Expr(std::move(n));
}

Expr aliased_member(const MemberKey& key, std::string alias) {
    auto n = node(ExprNode::Kind::Member);
    n->member = key;
    n->table = std::move(alias);
    return Expr(std::move(n));
}

}  // namespace detail

namespace sql {

Compiler::Compiler(const Dialect& dialect, MemberResolver resolver, const ModelResolver* models)
    : dialect_(dialect), resolver_(std::move(resolver)), models_(models) {}

const ModelResolver& Compiler::models() const {
    if (!models_) throw Error("strata: a statement naming a mapped class needs the ORM to resolve its table");
    return *models_;
}

void Compiler::identifier(std::string_view name) { out.sql += dialect_.quote(name); }

void Compiler::qualified(std::string_view table, std::string_view column) {
    identifier(table);
    out.sql += '.';
    identifier(column);
}

void Compiler::param(Value v) {
    out.params.push_back(std::move(v));
    out.sql += dialect_.placeholder(static_cast<int>(out.params.size()));
}

void Compiler::expr(const Expr& e) {
    if (!e.node()) throw Error("strata: empty expression");
    node(*e.node());
}

void Compiler::node(const ExprNode& n) {
    switch (n.kind) {
    case ExprNode::Kind::Column:
        if (n.table.empty()) identifier(n.column);  // a label of the select list
        else qualified(n.table, n.column);
        return;
    case ExprNode::Kind::Member: {
        if (!resolver_) throw Error("strata: a member expression needs the ORM to resolve its column");
        auto c = resolver_(n.member);
        qualified(n.table.empty() ? c.table : n.table, c.column);
        return;
    }
    case ExprNode::Kind::Function:
        text(n.op);
        text(n.distinct ? "(DISTINCT " : "(");
        if (n.a) node(*n.a);
        else text("*");
        text(")");
        return;
    case ExprNode::Kind::Subquery:
    case ExprNode::Kind::Exists:
        text(n.kind == ExprNode::Kind::Exists ? "EXISTS (" : "(");
        n.select->compile_into(*this);
        text(")");
        return;
    case ExprNode::Kind::InSubquery:
        text("(");
        node(*n.a);
        text(" IN (");
        n.select->compile_into(*this);
        text("))");
        return;
    case ExprNode::Kind::Param:
        param(n.value);
        return;
    case ExprNode::Kind::Raw:
        text(n.op);
        return;
    case ExprNode::Kind::Binary:
        text("(");
        node(*n.a);
        text(" " + n.op + " ");
        node(*n.b);
        text(")");
        return;
    case ExprNode::Kind::Not:
        text("NOT (");
        node(*n.a);
        text(")");
        return;
    case ExprNode::Kind::IsNull:
    case ExprNode::Kind::IsNotNull:
        text("(");
        node(*n.a);
        text(n.kind == ExprNode::Kind::IsNull ? " IS NULL)" : " IS NOT NULL)");
        return;
    case ExprNode::Kind::In:
        if (n.values.empty()) {  // IN () is not SQL; an empty list matches nothing
            text("(1 = 0)");
            return;
        }
        if (dialect_.binds_integer_list_as_array() && as_array(n)) {
            text("(");
            node(*n.a);
            text(" = ANY(");
            param(Value(integer_array_text(n.values)));
            text("))");
            return;
        }
        text("(");
        node(*n.a);
        text(" IN (");
        for (std::size_t i = 0; i < n.values.size(); ++i) {
            if (i) text(", ");
            param(n.values[i]);
        }
        text("))");
        return;
    case ExprNode::Kind::Between:
        text("(");
        node(*n.a);
        text(" BETWEEN ");
        node(*n.b);
        text(" AND ");
        node(*n.c);
        text(")");
        return;
    case ExprNode::Kind::Like:
        text("(");
        if (n.case_insensitive && dialect_.has_ilike()) {
            node(*n.a);
            text(" ILIKE ");
            node(*n.b);
        } else if (n.case_insensitive) {  // SQLAlchemy's rendering where there is no ILIKE
            text("lower(");
            node(*n.a);
            text(") LIKE lower(");
            node(*n.b);
            text(")");
        } else {
            node(*n.a);
            text(" LIKE ");
            node(*n.b);
        }
        text(")");
        return;
    }
}

}  // namespace sql
}  // namespace strata
