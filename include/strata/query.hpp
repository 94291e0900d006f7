// strata/query.hpp — Query<T>: SELECTs that return mapped objects.
//
//   auto recent = s.query<Post>()
//                     .where(strata::col(&Post::user_id) == u->id)
//                     .order_by(strata::desc(&Post::timestamp))
//                     .limit(10)
//                     .all();
//   s.query<Post>().join(&Post::author).where(strata::col(&User::nickname) == "john").count();
//   s.query<User>().options(strata::selectin(&User::posts)).all();   // 2 statements, not N+1
//
// Rows come back through the session's identity map: a row already loaded
// gives the object already loaded. Pending changes are flushed first (autoflush).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "strata/export.hpp"
#include "strata/expression.hpp"
#include "strata/ptr.hpp"
#include "strata/relationship.hpp"
#include "strata/sql.hpp"

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

STRATA_API std::vector<RecordBase*> query_all(const QuerySpec& q);
STRATA_API RecordBase* query_first(const QuerySpec& q);
STRATA_API RecordBase* query_one(const QuerySpec& q);
STRATA_API std::int64_t query_count(const QuerySpec& q);
STRATA_API bool query_exists(const QuerySpec& q);
STRATA_API QuerySpec relationship_query(const CollectionBase& collection);

// Handles on records of one store, each sharing the store's ownership: one
// atomic increment per handle, and no record read (100,000 of them would be
// 100,000 cache misses).
template <class T>
std::vector<Ptr<T>> to_ptrs(const std::vector<RecordBase*>& records, const std::shared_ptr<Store>& store) {
    std::vector<Ptr<T>> out;
    out.reserve(records.size());
    for (auto* r : records) out.emplace_back(std::shared_ptr<RecordBase>(store, r));
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

    const detail::QuerySpec& spec() const { return spec_; }

private:
    detail::QuerySpec spec_;
};

template <class T>
Query<T> HasMany<T>::query() const {
    return Query<T>(detail::relationship_query(*this));
}

}  // namespace strata
