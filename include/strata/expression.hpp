// strata/expression.hpp — typed SQL expressions (the sql layer's front end).
//
// An Expr is an untyped tree (column, bound value, operator); the typed front
// end Col<M> is made from a pointer to a mapped member and checks at compile
// time that what it is compared with has the member's type:
//
//   strata::col(&Post::user_id) == u->id
//   strata::col(&User::nickname).like("j%") && !strata::col(&User::email).is_null()
//   strata::desc(&Post::timestamp)
//
// Values never become SQL text: every operand is a bound parameter.
#pragma once

#include <bit>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include "strata/export.hpp"
#include "strata/types.hpp"
#include "strata/column_type.hpp"
#include "strata/value.hpp"

namespace strata {

namespace sql {
class Select;
}

// Identifies a data member of a class (the ORM maps it to a column or a relationship).
struct MemberKey {
    const std::type_info* owner = nullptr;
    std::ptrdiff_t offset = 0;
    friend bool operator==(const MemberKey& a, const MemberKey& b) {
        if (a.owner == nullptr || b.owner == nullptr) return a.owner == b.owner && a.offset == b.offset;
        return *a.owner == *b.owner && a.offset == b.offset;
    }
};

template <class C, class M>
MemberKey member_key(M C::*member) {
    static_assert(std::is_member_object_pointer_v<M C::*>, "strata: expected a pointer to a data member, like &User::id");
    static_assert(sizeof(member) == sizeof(std::ptrdiff_t), "strata: pointers to data members must be plain offsets");
    return {&typeid(C), std::bit_cast<std::ptrdiff_t>(member)};
}

namespace detail {

template <class T>
struct unwrap_optional {
    using type = T;
    static constexpr bool is_optional = false;
};
template <class T>
struct unwrap_optional<std::optional<T>> {
    using type = T;
    static constexpr bool is_optional = true;
};
template <class T>
using unwrap_optional_t = typename unwrap_optional<T>::type;

struct ExprNode {
    enum class Kind { Column, Member, Param, Binary, Not, IsNull, IsNotNull, In, Between, Like, Raw,
                      Function, Subquery, Exists, InSubquery };
    Kind kind = Kind::Param;
    std::string op;                          // Binary: "=", "<>", "<", "AND", ...; Raw: SQL text; Function: its
                                             // name; Column: the table's name when `table` is an alias of it
    std::string table, column;               // Column (no table: a label of the select list); Member: an alias
    MemberKey member;                        // Member
    Value value;                             // Param
    std::vector<Value> values;               // In
    std::shared_ptr<const ExprNode> a, b, c; // operands (Function: a, or none for "*")
    std::shared_ptr<const sql::Select> select;  // Subquery, Exists, InSubquery
    bool case_insensitive = false;           // Like
    bool distinct = false;                   // Function: count(DISTINCT a)
};

}  // namespace detail

class Expr {
public:
    Expr() = default;
    explicit Expr(std::shared_ptr<const detail::ExprNode> node) : node_(std::move(node)) {}
    const detail::ExprNode* node() const { return node_.get(); }
    const std::shared_ptr<const detail::ExprNode>& shared() const { return node_; }

private:
    std::shared_ptr<const detail::ExprNode> node_;
};

// Building blocks (untyped): a table-qualified column, a bound value, a binary operator.
STRATA_API Expr column(std::string table, std::string name);
STRATA_API Expr member(const MemberKey& key);
STRATA_API Expr bind(Value value);
STRATA_API Expr binary(std::string op, const Expr& left, const Expr& right);
// SQL text spliced in as-is, for functions the typed API lacks; never put values in it.
STRATA_API Expr raw_sql(std::string text);

STRATA_API Expr operator&&(const Expr& a, const Expr& b);
STRATA_API Expr operator||(const Expr& a, const Expr& b);
STRATA_API Expr operator!(const Expr& a);

namespace detail {
STRATA_API Expr make_unary(ExprNode::Kind kind, const Expr& operand);
STRATA_API Expr make_in(const Expr& operand, std::vector<Value> values);
STRATA_API Expr make_between(const Expr& operand, const Expr& low, const Expr& high);
STRATA_API Expr make_like(const Expr& operand, const Expr& pattern, bool case_insensitive);
// name(operand), name(DISTINCT operand), or name(*) for an empty operand.
STRATA_API Expr make_function(std::string name, const Expr& operand, bool distinct = false);
// (SELECT ...), EXISTS (SELECT ...), operand IN (SELECT ...).
STRATA_API Expr make_subquery(ExprNode::Kind kind, std::shared_ptr<const sql::Select> select, const Expr& operand = {});
// A mapped member's column under a table alias ("author"."nickname").
STRATA_API Expr aliased_member(const MemberKey& key, std::string alias);
}  // namespace detail

// A column expression typed by the mapped member M (std::optional<X> compares with X).
template <class M>
class Col {
public:
    using value_type = detail::unwrap_optional_t<M>;

    explicit Col(Expr e) : expr_(std::move(e)) {}
    const Expr& expr() const { return expr_; }
    operator Expr() const { return expr_; }

    template <class U> Expr operator==(const U& v) const { return binary("=", expr_, operand(v)); }
    template <class U> Expr operator!=(const U& v) const { return binary("<>", expr_, operand(v)); }
    template <class U> Expr operator<(const U& v) const { return binary("<", expr_, operand(v)); }
    template <class U> Expr operator<=(const U& v) const { return binary("<=", expr_, operand(v)); }
    template <class U> Expr operator>(const U& v) const { return binary(">", expr_, operand(v)); }
    template <class U> Expr operator>=(const U& v) const { return binary(">=", expr_, operand(v)); }

    Expr like(const std::string& pattern) const { return like_impl(pattern, false); }
    Expr ilike(const std::string& pattern) const { return like_impl(pattern, true); }
    Expr is_null() const { return detail::make_unary(detail::ExprNode::Kind::IsNull, expr_); }
    Expr is_not_null() const { return detail::make_unary(detail::ExprNode::Kind::IsNotNull, expr_); }
    template <class U>
    Expr between(const U& low, const U& high) const { return detail::make_between(expr_, operand(low), operand(high)); }
    template <class U>
    Expr in_(const std::vector<U>& values) const {
        std::vector<Value> bound;
        bound.reserve(values.size());
        for (const auto& v : values) bound.push_back(checked_value(v));
        return detail::make_in(expr_, std::move(bound));
    }
    Expr in_(std::initializer_list<value_type> values) const { return in_(std::vector<value_type>(values)); }
    // IN a subquery of one column of this type: col(&Post::user_id).in_(strata::select(...)) (select.hpp).
    template <class S>
        requires requires { typename S::is_select; }
    Expr in_(const S& subquery) const {
        static_assert(S::width == 1, "strata: in_(subquery) takes a subquery that selects one column");
        static_assert(std::is_same_v<detail::unwrap_optional_t<typename S::first_type>, value_type>,
                      "strata: the subquery's column does not have this column's C++ type");
        return detail::make_subquery(detail::ExprNode::Kind::InSubquery, subquery.statement(), expr_);
    }

private:
    template <class U>
    static Value checked_value(const U& v) {
        static_assert(std::is_convertible_v<const U&, value_type>,
                      "strata: the value compared with this column does not have the column's C++ type");
        return detail::column_value(static_cast<value_type>(v));
    }
    template <class U>
    static Expr operand(const U& v) {
        if constexpr (std::is_base_of_v<Expr, U>) {
            return v;
        } else if constexpr (requires { v.expr(); }) {
            static_assert(std::is_same_v<typename U::value_type, value_type>,
                          "strata: comparing two columns of different C++ types");
            return v.expr();
        } else {
            return bind(checked_value(v));
        }
    }
    Expr like_impl(const std::string& pattern, bool ci) const {
        static_assert(std::is_same_v<value_type, std::string>, "strata: like/ilike apply to string columns only");
        return detail::make_like(expr_, bind(Value(pattern)), ci);
    }
    Expr expr_;
};

// The column of a mapped member: col(&Post::user_id).
template <class C, class M>
Col<M> col(M C::*m) {
    return Col<M>(member(member_key(m)));
}

// ORDER BY terms: asc(x) / desc(x) of a member, a column or any expression,
// with NULLs placed explicitly by .nulls_first() / .nulls_last() (without,
// each backend's default: SQLite sorts NULL lowest, PostgreSQL highest).
enum class NullsOrder { Default, First, Last };
struct Order {
    Expr expr;
    bool descending = false;
    NullsOrder nulls = NullsOrder::Default;

    Order nulls_first() const { return {expr, descending, NullsOrder::First}; }
    Order nulls_last() const { return {expr, descending, NullsOrder::Last}; }
};
inline Order asc(const Expr& e) { return {e, false}; }
inline Order desc(const Expr& e) { return {e, true}; }
template <class M> Order asc(const Col<M>& c) { return {c.expr(), false}; }
template <class M> Order desc(const Col<M>& c) { return {c.expr(), true}; }
template <class C, class M> Order asc(M C::*m) { return {col(m).expr(), false}; }
template <class C, class M> Order desc(M C::*m) { return {col(m).expr(), true}; }

}  // namespace strata
