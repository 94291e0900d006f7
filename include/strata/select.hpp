// strata/select.hpp — typed SELECTs of columns and expressions (projections).
//
// Rows come back as std::tuple of the C++ types of what is selected, read
// straight from the result (no objects, no identity map):
//
//   std::vector<std::tuple<std::string, std::int64_t>> rows =
//       s.select(&User::nickname, strata::count(&Post::id))
//           .outerjoin(&User::posts)                 // Post's columns now read as std::optional
//           .group_by(&User::id, &User::nickname)
//           .order_by(strata::desc(strata::count(&Post::id)))
//           .all();
//
// A selected item is a mapped member (&User::nickname), a column (strata::col,
// an Alias's member, a TableRef's col<T>), an aggregate (count, count_distinct,
// sum, avg, min, max), a scalar subquery (strata::scalar) or any of these
// under a label (strata::label). Its C++ type is the member's; std::optional
// when the column is nullable, when its model is the outer side of an
// outerjoin(), or when wrapped in strata::nullable. FROM is the table of the
// first mapped member selected, unless select_from() names it.
//
// strata::select(...) without a session builds a statement for use inside
// another: in_(subquery), exists(subquery), scalar(subquery).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "strata/connection.hpp"
#include "strata/expression.hpp"
#include "strata/registry.hpp"
#include "strata/relationship.hpp"
#include "strata/sql.hpp"

namespace strata {

class Session;

namespace detail {

class Store;

// What one select-list item is, at compile time: the model (or Alias) its
// column belongs to (void: none), and its C++ type as declared. NeverNull:
// an aggregate that always gives a value (count).
template <class Owner, class R, bool NeverNull = false>
struct Item {
    using owner = Owner;
    using type = R;
    static constexpr bool never_null = NeverNull;
};

// The models outer-joined so far: their columns read as std::optional.
template <class... Models>
struct ModelList {
    template <class M>
    static constexpr bool contains = (std::is_same_v<M, Models> || ...);
    template <class M>
    using add = ModelList<Models..., M>;
};

template <class R>
using as_optional = std::optional<unwrap_optional_t<R>>;

template <class Outer, class I>
using result_of = std::conditional_t<Outer::template contains<typename I::owner>, as_optional<typename I::type>,
                                     typename I::type>;

template <class R>
struct relationship_target {};
template <class U>
struct relationship_target<HasMany<U>> {
    using type = U;
};
template <class U>
struct relationship_target<BelongsTo<U>> {
    using type = U;
};

}  // namespace detail

// A column whose owner (a model, or an Alias of one) is known at compile time,
// so that outerjoin() can make it std::optional.
template <class Owner, class M>
class OwnedCol : public Col<M> {
public:
    using Col<M>::Col;
    // Declared here too: else C++20 prefers Col's operator== reversed, which returns no bool.
    template <class U> Expr operator==(const U& v) const { return Col<M>::operator==(v); }
    template <class U> Expr operator!=(const U& v) const { return Col<M>::operator!=(v); }
};

// count(...): never NULL, so a scalar subquery of it reads as a plain integer.
class CountCol : public Col<std::int64_t> {
public:
    using Col<std::int64_t>::Col;
    template <class U> Expr operator==(const U& v) const { return Col::operator==(v); }
    template <class U> Expr operator!=(const U& v) const { return Col::operator!=(v); }
};

// An item under a name: "expr AS name"; order_by / asc / desc of it order by the name.
template <class I>
struct Labeled {
    std::string name;
    Expr expr;
};

// A mapped model under another name, for self-joins and joining a table twice:
//   strata::Alias<User> followed("followed");
//   s.select(&User::nickname, followed(&User::nickname)).join(followed, followed(&User::id) == ...)
// Two Aliases of one model share a type unless given distinct Tag types;
// outerjoin() of one makes the columns of both std::optional.
template <class T, class Tag = void>
class Alias {
public:
    explicit Alias(std::string name) : name_(std::move(name)) {}
    template <class M>
    OwnedCol<Alias, M> operator()(M T::*member) const {
        static_assert(!detail::is_relationship<M>::value, "strata: an Alias names columns, not relationships");
        return OwnedCol<Alias, M>(detail::aliased_member(member_key(member), name_));
    }
    const std::string& name() const { return name_; }

private:
    std::string name_;
};

namespace detail {
// alias.column, where alias names table (FROM can then say `table AS alias`).
STRATA_API Expr aliased_column(std::string table, std::string alias, std::string column);
}  // namespace detail

// A table without a model (an association table), with typed handles on its
// columns by name:
//   strata::TableRef followers("followers");
//   auto follower_id = followers.col<std::int64_t>("follower_id");
class TableRef {
public:
    explicit TableRef(std::string name, std::string alias = {}) : name_(std::move(name)), alias_(std::move(alias)) {}
    template <class V>
    Col<V> col(std::string column) const {
        static_assert(detail::mappable_member<detail::unwrap_optional_t<V>>,
                      "strata: col<V>() takes a column's C++ type (an integer, std::string, strata::DateTime, ...)");
        if (alias_.empty()) return Col<V>(strata::column(name_, std::move(column)));
        return Col<V>(detail::aliased_column(name_, alias_, std::move(column)));
    }
    const std::string& name() const { return name_; }
    const std::string& alias() const { return alias_; }

private:
    std::string name_, alias_;
};

namespace detail {

// How an argument of select() becomes a select-list item. Anything else is
// one plain static_assert (valid = false), and a placeholder so that no other
// error follows it.
template <class A>
struct item_of {
    static constexpr bool valid = false;
    using type = Item<void, int>;
    static sql::SelectItem make(const A&) { return {}; }
};
template <class C, class M>
struct item_of<M C::*> {
    static constexpr bool valid = std::is_member_object_pointer_v<M C::*> && !is_relationship<M>::value;
    using type = std::conditional_t<valid, Item<C, M>, Item<void, int>>;
    static sql::SelectItem make(M C::*m) {
        if constexpr (valid) return {member(member_key(m)), {}};
        else return {};
    }
};
template <class M>
struct item_of<Col<M>> {
    static constexpr bool valid = true;
    using type = Item<void, M>;
    static sql::SelectItem make(const Col<M>& c) { return {c.expr(), {}}; }
};
template <class O, class M>
struct item_of<OwnedCol<O, M>> {
    static constexpr bool valid = true;
    using type = Item<O, M>;
    static sql::SelectItem make(const OwnedCol<O, M>& c) { return {c.expr(), {}}; }
};
template <>
struct item_of<CountCol> {
    static constexpr bool valid = true;
    using type = Item<void, std::int64_t, true>;
    static sql::SelectItem make(const CountCol& c) { return {c.expr(), {}}; }
};
template <class I>
struct item_of<Labeled<I>> {
    static constexpr bool valid = true;
    using type = I;
    static sql::SelectItem make(const Labeled<I>& l) { return {l.expr, l.name}; }
};

template <class A>
using item_t = typename item_of<std::decay_t<A>>::type;

template <class A>
inline constexpr bool selectable = item_of<std::decay_t<A>>::valid;

// The expression of a selectable argument (what group_by and aggregates take).
template <class A>
Expr expr_of(const A& a) {
    if constexpr (std::is_base_of_v<Expr, A>) return a;
    else return item_of<std::decay_t<A>>::make(a).expr;
}

// Runs a select through the session that owns `store` (autoflush first).
STRATA_API StatementHandle run_select(const std::shared_ptr<Store>& store, const sql::Select& statement);
[[noreturn]] STRATA_API void throw_null_column(const Statement& st, int col, const char* cpp_type);

// Reads column `col` of the current row into `out`, without a Value between.
template <class R>
void read_column(R& out, const Statement& st, int col) {
    if constexpr (unwrap_optional<R>::is_optional) {
        if (st.is_null(col)) {
            out.reset();
            return;
        }
        column_traits<unwrap_optional_t<R>>::read(out.emplace(), st, col);
    } else {
        // A NULL is never read as 0 or "" silently: the item should have been optional.
        if (st.is_null(col)) throw_null_column(st, col, column_traits<R>::name);
        column_traits<R>::read(out, st, col);
    }
}

template <class Tuple, std::size_t... Is>
void read_row(Tuple& row, const Statement& st, std::index_sequence<Is...>) {
    (read_column(std::get<Is>(row), st, static_cast<int>(Is)), ...);
}

template <class... T>
struct first_of {
    using type = void;
};
template <class T, class... Rest>
struct first_of<T, Rest...> {
    using type = T;
};

}  // namespace detail

// A SELECT of columns and expressions, typed by what it selects. Made by
// Session::select (runnable) or strata::select (a subquery).
template <class Outer, class... I>
class Select {
public:
    using is_select = void;
    static constexpr std::size_t width = sizeof...(I);
    using row_type = std::tuple<detail::result_of<Outer, I>...>;
    using first_type = typename detail::first_of<detail::result_of<Outer, I>...>::type;
    using first_item = typename detail::first_of<I...>::type;

    explicit Select(sql::Select statement, std::shared_ptr<detail::Store> store = {})
        : statement_(std::move(statement)), store_(std::move(store)) {}

    Select& where(const Expr& condition) {
        statement_.where(condition);
        return *this;
    }

    // JOIN along a relationship from a model already in the statement.
    template <class C, class R>
    Select& join(R C::*relationship) {
        static_assert(detail::is_relationship<R>::value, "strata: join(member) takes a HasMany/BelongsTo member");
        return add_join(join_of({}, {}, {}, false, nullptr, member_key(relationship)));
    }
    // LEFT OUTER JOIN along a relationship: the target's columns read as std::optional.
    template <class C, class R>
    auto outerjoin(R C::*relationship) const {
        static_assert(detail::is_relationship<R>::value, "strata: outerjoin(member) takes a HasMany/BelongsTo member");
        using Target = typename detail::relationship_target<R>::type;
        return joined<Target>(join_of({}, {}, {}, true, nullptr, member_key(relationship)));
    }
    // JOIN a model's table on a condition: join<Post>(col(&Post::user_id) == col(&User::id)).
    template <class T>
    Select& join(const Expr& on) {
        return add_join(join_of({}, {}, on, false, &typeid(T)));
    }
    template <class T>
    auto outerjoin(const Expr& on) const {
        return joined<T>(join_of({}, {}, on, true, &typeid(T)));
    }
    template <class T, class Tag>
    Select& join(const Alias<T, Tag>& alias, const Expr& on) {
        return add_join(join_of({}, alias.name(), on, false, &typeid(T)));
    }
    template <class T, class Tag>
    auto outerjoin(const Alias<T, Tag>& alias, const Expr& on) const {
        return joined<Alias<T, Tag>>(join_of({}, alias.name(), on, true, &typeid(T)));
    }
    // A table without a model; its columns are read as declared (strata::nullable for an outer join).
    Select& join(const TableRef& table, const Expr& on) { return add_join(join_of(table.name(), table.alias(), on, false)); }
    Select& outerjoin(const TableRef& table, const Expr& on) {
        return add_join(join_of(table.name(), table.alias(), on, true));
    }

    // FROM this model's table (else: the first mapped member's).
    template <class T>
    Select& select_from() {
        statement_.from_model = &typeid(T);
        return *this;
    }
    template <class T, class Tag>
    Select& select_from(const Alias<T, Tag>& alias) {
        statement_.from_model = &typeid(T);
        statement_.from_alias = alias.name();
        return *this;
    }
    Select& select_from(const TableRef& table) {
        statement_.from(table.name(), table.alias());
        return *this;
    }

    template <class... G>
    Select& group_by(const G&... terms) {
        static_assert(((detail::selectable<G> || std::is_base_of_v<Expr, G>) && ...),
                      "strata: group_by() takes members, columns and expressions");
        (statement_.grouping.push_back(detail::expr_of(terms)), ...);
        return *this;
    }
    Select& having(const Expr& condition) {
        statement_.having.push_back(condition);
        return *this;
    }
    Select& distinct() {
        statement_.distinct_rows = true;
        return *this;
    }
    Select& order_by(const Order& order) {
        statement_.ordering.push_back(order);
        return *this;
    }
    template <class A>
        requires(!std::is_convertible_v<const A&, Order>)
    Select& order_by(const A& term) {
        static_assert(detail::selectable<A> || std::is_base_of_v<Expr, A>,
                      "strata: order_by() takes an Order (asc/desc), a member, a column or a label");
        if constexpr (requires { term.name; }) return order_by(Order{strata::column({}, term.name)});
        else return order_by(Order{detail::expr_of(term)});
    }
    Select& limit(std::int64_t n) {
        statement_.limit_n = n;
        return *this;
    }
    Select& offset(std::int64_t n) {
        statement_.offset_n = n;
        return *this;
    }

    // UNION / UNION ALL of a select with the same row type. Order the result
    // by labels (the compound's columns are named by the first select's list).
    template <class S>
    Select& union_(const S& other) {
        return add_compound(other, false);
    }
    template <class S>
    Select& union_all(const S& other) {
        return add_compound(other, true);
    }

    std::vector<row_type> all() const {
        auto st = detail::run_select(store_, statement_);
        std::vector<row_type> rows;
        while (st->step()) read_into(rows.emplace_back(), *st);
        return rows;
    }
    // The rows as the user's plain struct, built from the row's values in order.
    template <class S>
    std::vector<S> all_as() const {
        constexpr bool fits = requires { S{std::declval<detail::result_of<Outer, I>>()...}; };
        static_assert(fits, "strata: all_as<S>() needs a struct whose members take the selected values in order");
        std::vector<S> out;
        if constexpr (fits) {
            auto st = detail::run_select(store_, statement_);
            row_type row;
            while (st->step()) {
                read_into(row, *st);
                out.push_back(std::apply([](auto&... v) { return S{std::move(v)...}; }, row));
            }
        }
        return out;
    }
    // The first row, if any.
    std::optional<row_type> first() const {
        Select one = *this;
        one.limit(1);
        auto rows = one.all();
        if (rows.empty()) return std::nullopt;
        return std::move(rows.front());
    }
    // Exactly one row: NoResultFound / MultipleResultsFound otherwise.
    row_type one() const {
        Select two = *this;
        two.limit(2);
        auto rows = two.all();
        check_one(rows.size());
        return std::move(rows.front());
    }
    // The first column of each row, for a select of one item.
    std::vector<first_type> scalars() const {
        static_assert(width == 1, "strata: scalars() is for a select of one item");
        auto st = detail::run_select(store_, statement_);
        std::vector<first_type> out;
        while (st->step()) detail::read_column(out.emplace_back(), *st, 0);
        return out;
    }
    // The one value of a select of one item and exactly one row.
    first_type scalar() const {
        static_assert(width == 1, "strata: scalar() is for a select of one item");
        return std::get<0>(one());
    }

    // A copy of the statement, to embed in another (in_, exists, scalar, union).
    std::shared_ptr<const sql::Select> statement() const { return std::make_shared<const sql::Select>(statement_); }
    const sql::Select& sql() const { return statement_; }

private:
    template <class O, class... J>
    friend class Select;

    static sql::Join join_of(std::string table, std::string alias, Expr on, bool left_outer,
                             const std::type_info* model = nullptr, MemberKey relationship = {}) {
        sql::Join j;
        j.table = std::move(table);
        j.alias = std::move(alias);
        j.on = std::move(on);
        j.left_outer = left_outer;
        j.model = model;
        j.relationship = relationship;
        return j;
    }
    Select& add_join(sql::Join j) {
        statement_.join(std::move(j));
        return *this;
    }
    template <class Model>
    auto joined(sql::Join j) const {
        Select<typename Outer::template add<Model>, I...> out(statement_, store_);
        out.add_join(std::move(j));
        return out;
    }
    template <class S>
    Select& add_compound(const S& other, bool all) {
        static_assert(requires { typename S::is_select; }, "strata: union_() takes another select");
        if constexpr (requires { typename S::is_select; }) {
            static_assert(std::is_same_v<typename S::row_type, row_type>,
                          "strata: the selects of a union must select the same C++ types in the same order");
            if (!statement_.ordering.empty() || statement_.limit_n || statement_.offset_n ||
                !other.sql().ordering.empty() || other.sql().limit_n || other.sql().offset_n)
                throw Error("strata: order_by / limit / offset go on the union, after union_() / union_all()");
            statement_.compound.push_back({all, other.statement()});
        }
        return *this;
    }
    static void read_into(row_type& row, const Statement& st) {
        detail::read_row(row, st, std::index_sequence_for<I...>{});
    }
    static void check_one(std::size_t n);

    sql::Select statement_;
    std::shared_ptr<detail::Store> store_;  // empty: a subquery, not runnable by itself
};

namespace detail {
[[noreturn]] STRATA_API void throw_one_rows(std::size_t n);
}

template <class Outer, class... I>
void Select<Outer, I...>::check_one(std::size_t n) {
    if (n != 1) detail::throw_one_rows(n);
}

// A statement for use inside another (a subquery); Session::select runs one.
template <class... A>
auto select(const A&... items) {
    static_assert(sizeof...(A) > 0, "strata: select() takes at least one item");
    static_assert((detail::selectable<A> && ...),
                  "strata: select() takes members (&User::nickname), columns (strata::col, an Alias's member, a "
                  "TableRef's col<T>), aggregates (strata::count, ...), strata::scalar and strata::label");
    sql::Select statement;
    (statement.items.push_back(detail::item_of<std::decay_t<A>>::make(items)), ...);
    return Select<detail::ModelList<>, detail::item_t<A>...>(std::move(statement));
}

// Aggregates. count() is count(*).
inline CountCol count() { return CountCol(detail::make_function("count", {})); }
template <class A>
CountCol count(const A& x) {
    static_assert(detail::selectable<A>, "strata: count() takes a member or a column");
    return CountCol(detail::make_function("count", detail::expr_of(x)));
}
template <class A>
CountCol count_distinct(const A& x) {
    static_assert(detail::selectable<A>, "strata: count_distinct() takes a member or a column");
    return CountCol(detail::make_function("count", detail::expr_of(x), true));
}

namespace detail {
template <class A>
using value_of = unwrap_optional_t<typename item_t<A>::type>;
template <class A>
inline constexpr bool numeric_item = std::is_arithmetic_v<value_of<A>> && !std::is_same_v<value_of<A>, bool>;
}  // namespace detail

// sum, min and max have the column's type, avg is a double; all are NULL over no rows.
template <class A>
Col<std::optional<detail::value_of<A>>> sum(const A& x) {
    static_assert(detail::numeric_item<A>, "strata: sum() takes a numeric member or column");
    return Col<std::optional<detail::value_of<A>>>(detail::make_function("sum", detail::expr_of(x)));
}
template <class A>
Col<std::optional<double>> avg(const A& x) {
    static_assert(detail::numeric_item<A>, "strata: avg() takes a numeric member or column");
    return Col<std::optional<double>>(detail::make_function("avg", detail::expr_of(x)));
}
template <class A>
Col<std::optional<detail::value_of<A>>> min(const A& x) {
    static_assert(detail::selectable<A>, "strata: min() takes a member or a column");
    return Col<std::optional<detail::value_of<A>>>(detail::make_function("min", detail::expr_of(x)));
}
template <class A>
Col<std::optional<detail::value_of<A>>> max(const A& x) {
    static_assert(detail::selectable<A>, "strata: max() takes a member or a column");
    return Col<std::optional<detail::value_of<A>>>(detail::make_function("max", detail::expr_of(x)));
}

// The item under a name: selected as "x AS name"; order_by(it), asc(it), desc(it) order by the name.
template <class A>
Labeled<detail::item_t<A>> label(std::string name, const A& x) {
    static_assert(detail::selectable<A>, "strata: label() takes a member, a column or an aggregate");
    return {std::move(name), detail::expr_of(x)};
}
template <class I>
Order asc(const Labeled<I>& l) {
    return {column({}, l.name), false};
}
template <class I>
Order desc(const Labeled<I>& l) {
    return {column({}, l.name), true};
}

// The item read as std::optional: a column of an outer-joined Alias or TableRef.
template <class A>
Col<detail::as_optional<typename detail::item_t<A>::type>> nullable(const A& x) {
    static_assert(detail::selectable<A>, "strata: nullable() takes a member, a column or an aggregate");
    return Col<detail::as_optional<typename detail::item_t<A>::type>>(detail::expr_of(x));
}

// EXISTS (subquery); correlated when its conditions name the outer statement's columns.
template <class S>
Expr exists(const S& subquery) {
    static_assert(requires { typename S::is_select; }, "strata: exists() takes a strata::select(...)");
    if constexpr (requires { typename S::is_select; })
        return detail::make_subquery(detail::ExprNode::Kind::Exists, subquery.statement());
    else return {};
}

// A subquery of one item and at most one row, as a value: std::optional
// (no row is NULL), except a count, which always has its row.
template <class S>
auto scalar(const S& subquery) {
    static_assert(requires { typename S::is_select; }, "strata: scalar() takes a strata::select(...)");
    if constexpr (requires { typename S::is_select; }) {
        static_assert(S::width == 1, "strata: scalar() takes a subquery that selects one item");
        using R = std::conditional_t<S::first_item::never_null, typename S::first_type,
                                     detail::as_optional<typename S::first_type>>;
        return Col<R>(detail::make_subquery(detail::ExprNode::Kind::Subquery, subquery.statement()));
    } else {
        return Col<int>(Expr{});
    }
}

}  // namespace strata
