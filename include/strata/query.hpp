// strata/query.hpp — Query<T>: SELECTs that return mapped objects.
//
//   auto recent = s.query<Post>()
//                     .where(strata::col(&Post::user_id) == u->id)
//                     .order_by(strata::desc(&Post::timestamp))
//                     .limit(10)
//                     .all();
//   s.query<Post>().join(&Post::author).where(strata::col(&User::nickname) == "john").count();
//   s.query<User>().options(strata::selectin(&User::posts)).all();   // 2 statements, not N+1
//   s.query<User>().order_by(&User::id).paginate(3, 20);             // items, total, pages, ...
//   for (strata::Ptr<User> u : s.query<User>().stream(1000)) ...    // batches, released as the loop goes
//   s.query<Post>().where(strata::col(&Post::user_id) == 7).update({{&Post::body, "gone"}});  // one UPDATE
//   s.query<Post>().where(strata::col(&Post::user_id) == 7).remove();                         // one DELETE
//
// Rows come back through the session's identity map: a row already loaded
// gives the object already loaded. Pending changes are flushed first (autoflush).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <type_traits>
#include <vector>

#include "strata/export.hpp"
#include "strata/expression.hpp"
#include "strata/ptr.hpp"
#include "strata/relationship.hpp"
#include "strata/sql.hpp"
#include "strata/stream.hpp"

namespace strata {

namespace detail {

class Store;
class Mapper;

enum class LoadStrategy { Lazy, Selectin, Joined };

}  // namespace detail

// Eager loading of a relationship for the objects a query returns.
struct LoadOption {
    MemberKey relationship;
    detail::LoadStrategy strategy = detail::LoadStrategy::Lazy;
};
// One extra SELECT ... WHERE key IN (...) for the whole result.
template <class C, class R>
LoadOption selectin(R C::*relationship) {
    static_assert(detail::is_relationship<R>::value, "strata: selectin() takes a HasMany/BelongsTo member");
    return {member_key(relationship), detail::LoadStrategy::Selectin};
}
// A LEFT OUTER JOIN in the same SELECT.
template <class C, class R>
LoadOption joined(R C::*relationship) {
    static_assert(detail::is_relationship<R>::value, "strata: joined() takes a HasMany/BelongsTo member");
    return {member_key(relationship), detail::LoadStrategy::Joined};
}

// One SET term of Query<T>::update(): {&T::member, value}, the value of the
// member's C++ type (std::nullopt for a nullable member).
template <class T>
class Assignment {
public:
    template <class C, class M, class V>
    Assignment(M C::*member, const V& value) : member_(member_key(member)), value_(checked<M>(value)) {
        static_assert(std::is_base_of_v<C, T>, "strata: update() sets a member of another class than the query's");
    }

    const MemberKey& member() const { return member_; }
    const Value& value() const { return value_; }

private:
    template <class M, class V>
    static Value checked(const V& v) {
        using Target = detail::unwrap_optional_t<M>;
        if constexpr (std::is_same_v<V, std::nullopt_t>) {
            static_assert(detail::unwrap_optional<M>::is_optional,
                          "strata: update() sets std::nullopt only on a std::optional member");
            return Value();
        } else {
            static_assert(std::is_convertible_v<const V&, Target>,
                          "strata: the value update() sets does not have the member's C++ type");
            if constexpr (std::is_convertible_v<const V&, Target>) return Value(static_cast<Target>(v));
            else return Value();
        }
    }
    MemberKey member_;
    Value value_;
};

// One page of a query's results (Flask-SQLAlchemy's Pagination): `page` is
// 1-based; a page past the last one (or below 1) has no items.
template <class T>
struct Page {
    std::vector<Ptr<T>> items;
    std::int64_t page = 1;
    std::int64_t per_page = 0;
    std::int64_t total = 0;   // rows of the whole query
    std::int64_t pages = 0;   // ceil(total / per_page); 0 when there are no rows
    bool has_prev = false;    // page - 1 is a page with rows
    bool has_next = false;    // page + 1 is a page with rows
    std::int64_t prev_num() const { return has_prev ? page - 1 : 0; }  // 0: none
    std::int64_t next_num() const { return has_next ? page + 1 : 0; }  // 0: none
};

namespace detail {

struct QuerySpec {
    std::shared_ptr<Store> store;     // the session's store (its session may be gone)
    const Mapper* mapper = nullptr;
    std::vector<Expr> conditions;
    std::vector<Order> ordering;
    std::optional<std::int64_t> limit, offset;
    std::vector<MemberKey> joins;     // relationships joined (their columns usable in where)
    std::vector<sql::Join> raw_joins; // association tables of relationship queries
    std::vector<LoadOption> load;
};

// The query's objects, each marked touched (the caller hands them out as Ptrs).
STRATA_API std::vector<RecordBase*> query_all(const QuerySpec& q);
STRATA_API RecordBase* query_first(const QuerySpec& q);
STRATA_API RecordBase* query_one(const QuerySpec& q);
STRATA_API std::int64_t query_count(const QuerySpec& q);
STRATA_API bool query_exists(const QuerySpec& q);
STRATA_API QuerySpec relationship_query(const CollectionBase& collection);

struct ColumnAssignment {
    MemberKey member;
    Value value;
};
STRATA_API std::int64_t query_update(const QuerySpec& q, const std::vector<ColumnAssignment>& set);
STRATA_API std::int64_t query_remove(const QuerySpec& q);

struct PageRecords {
    std::vector<RecordBase*> items;
    std::int64_t total = 0;
};
STRATA_API PageRecords query_page(const QuerySpec& q, std::int64_t page, std::int64_t per_page);

// Handles on records of one store, each sharing the store's ownership: one
// increment of its count per handle, and no record read (100,000 of them
// would be 100,000 cache misses; reading each one's `touched` was 5% of
// loading 100,000 users). Every caller's records are already marked touched:
// query_all and Session::raw_records mark each one they return.
template <class T>
std::vector<Ptr<T>> to_ptrs(const std::vector<RecordBase*>& records, const std::shared_ptr<Store>& store) {
    std::vector<Ptr<T>> out;
    out.reserve(records.size());
    for (auto* r : records) out.push_back(Access::touched_handle<Ptr<T>>(std::shared_ptr<RecordBase>(store, r)));
    return out;
}

}  // namespace detail

template <class T>
class Query {
public:
    explicit Query(detail::QuerySpec spec) : spec_(std::move(spec)) {}

    Query& where(const Expr& condition) {
        spec_.conditions.push_back(condition);
        return *this;
    }
    // where(col(member) == value)
    template <class C, class M, class V>
    Query& filter_by(M C::*member, const V& value) {
        return where(col(member) == value);
    }
    Query& order_by(const Order& order) {
        spec_.ordering.push_back(order);
        return *this;
    }
    Query& order_by(const Expr& e) { return order_by(asc(e)); }
    template <class C, class M>
    Query& order_by(M C::*member) {
        return order_by(asc(member));
    }
    Query& limit(std::int64_t n) {
        spec_.limit = n;
        return *this;
    }
    Query& offset(std::int64_t n) {
        spec_.offset = n;
        return *this;
    }
    // JOIN along a relationship, so that where() can name the related model's columns.
    template <class C, class R>
    Query& join(R C::*relationship) {
        static_assert(detail::is_relationship<R>::value, "strata: join() takes a HasMany/BelongsTo member");
        spec_.joins.push_back(member_key(relationship));
        return *this;
    }
    template <class... O>
    Query& options(LoadOption first, O... rest) {
        spec_.load.push_back(first);
        (spec_.load.push_back(rest), ...);
        return *this;
    }

    std::vector<Ptr<T>> all() const { return detail::to_ptrs<T>(detail::query_all(spec_), spec_.store); }
    // The first row, or an empty Ptr.
    Ptr<T> first() const { return detail::handle_of<T>(detail::query_first(spec_)); }
    // Exactly one row: NoResultFound / MultipleResultsFound otherwise.
    Ptr<T> one() const { return detail::handle_of<T>(detail::query_one(spec_)); }
    std::int64_t count() const { return detail::query_count(spec_); }
    bool exists() const { return detail::query_exists(spec_); }

    // The objects read as the loop goes, batch_size at a time (stream.hpp).
    Stream<T> stream(std::size_t batch_size = 1000) const { return Stream<T>(detail::open_stream(spec_, batch_size)); }

    // Page `page` (from 1) of `per_page` rows, and the count of all rows: two
    // statements (one when the page is out of range). per_page < 1 throws.
    Page<T> paginate(std::int64_t page, std::int64_t per_page) const {
        detail::PageRecords found = detail::query_page(spec_, page, per_page);
        Page<T> out;
        out.items = detail::to_ptrs<T>(found.items, spec_.store);
        out.page = page;
        out.per_page = per_page;
        out.total = found.total;
        out.pages = found.total / per_page + (found.total % per_page != 0);
        out.has_prev = page >= 2 && page - 1 <= out.pages;
        out.has_next = page >= 0 && page < out.pages;
        return out;
    }

    // UPDATE of every row the query selects, in one statement; returns the
    // number of rows. The session is flushed first, and its objects of T that
    // the UPDATE reached take the new values (docs/orm.md, "Bulk update and
    // delete").
    std::int64_t update(std::initializer_list<Assignment<T>> set) const {
        std::vector<detail::ColumnAssignment> terms;
        terms.reserve(set.size());
        for (const auto& a : set) terms.push_back({a.member(), a.value()});
        return detail::query_update(spec_, terms);
    }
    // DELETE of every row the query selects, in one statement; returns the
    // number of rows. The session's objects of those rows become deleted.
    std::int64_t remove() const { return detail::query_remove(spec_); }

    const detail::QuerySpec& spec() const { return spec_; }

private:
    detail::QuerySpec spec_;
};

template <class T>
Query<T> HasMany<T>::query() const {
    return Query<T>(detail::relationship_query(*this));
}

}  // namespace strata
