// strata/registry.hpp — mapping C++ structs to tables, declared once.
//
//   strata::Registry r;
//   r.model<User>("user")
//       .column(&User::id, "id", strata::primary_key())
//       .column(&User::nickname, "nickname", strata::String(64), strata::index(), strata::unique())
//       .has_many(&User::posts, &Post::author)
//       .repr([](const User& u) { return "<User " + u.nickname + ">"; });
//   r.metadata().create_all(conn);     // the same MetaData migrations diff against
//
// The SQL type of a column comes from its member's C++ type unless given
// (std::string -> String, std::int64_t -> Integer, strata::DateTime -> DateTime,
// ...: strata::column_type<T>, which a program specialises for its own
// types); std::optional members are nullable, others NOT NULL.
//
// A key of several columns is primary_key() on each of them; the table's key
// is those columns in the order they are declared. strata::primary_key_of
// names its members at compile time, for get<T>(std::tuple{...}):
//
//   template <>
//   struct strata::primary_key_of<Follow> : strata::key<&Follow::follower_id, &Follow::followed_id> {};
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <new>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "strata/export.hpp"
#include "strata/connection.hpp"
#include "strata/column_type.hpp"
#include "strata/detail/mapping.hpp"
#include "strata/expression.hpp"
#include "strata/ptr.hpp"
#include "strata/relationship.hpp"
#include "strata/schema.hpp"
#include "strata/types.hpp"

namespace strata {

namespace detail {

template <class P>
struct member_pointer;
template <class C, class M>
struct member_pointer<M C::*> {
    using owner = C;
    using type = M;
};
template <class P>
using member_type_t = typename member_pointer<P>::type;
template <class P>
using member_owner_t = typename member_pointer<P>::owner;

}  // namespace detail

// The members of a model's primary key, in the order of its columns.
template <auto... Members>
struct key {
    static_assert(sizeof...(Members) > 0, "strata: strata::key<...> names at least one member");
    static_assert((std::is_member_object_pointer_v<decltype(Members)> && ...),
                  "strata: strata::key<...> names data members, like strata::key<&Follow::follower_id, "
                  "&Follow::followed_id>");
    static constexpr std::size_t size = sizeof...(Members);
    // True when every member is one of T's.
    template <class T>
    static constexpr bool members_of = (std::is_same_v<detail::member_owner_t<decltype(Members)>, T> && ...);
    // The members' types, in order.
    using types = std::tuple<detail::member_type_t<decltype(Members)>...>;
    static std::vector<MemberKey> member_keys() { return {member_key(Members)...}; }
};

// Specialised for a model whose key has several columns (deriving from
// strata::key<...>): what get<T>(std::tuple{...}) checks its values against
// at compile time, and the registry checks against the declared columns.
template <class T>
struct primary_key_of {};

namespace detail {

template <class T>
concept declared_key = requires { typename primary_key_of<T>::types; };

// Each value converts to its key member's type.
template <class Key, class... V, std::size_t... I>
constexpr bool key_values_fit(std::index_sequence<I...>) {
    return (std::is_convertible_v<const V&, std::tuple_element_t<I, typename Key::types>> && ...);
}

// The key values of get<T>(std::tuple{...}), as the columns hold them.
template <class Key, class... V, std::size_t... I>
std::array<Value, sizeof...(V)> key_values(const std::tuple<V...>& values, std::index_sequence<I...>) {
    return {column_value(static_cast<std::tuple_element_t<I, typename Key::types>>(std::get<I>(values)))...};
}

STRATA_API void declare_key_members(RegistryImpl& r, std::size_t model, std::vector<MemberKey> members);
STRATA_API void declare_foreign_key(RegistryImpl& r, std::size_t model, ForeignKey fk);

}  // namespace detail

// Cascade options of a relationship, spelled as in SQLAlchemy:
// "save-update", "delete", "delete-orphan", "all" (= save-update, delete), comma-separated.
struct CascadeOption {
    detail::Cascade cascade;
};
STRATA_API CascadeOption cascade(const std::string& spec);

template <class T>
class ModelBuilder {
public:
    ModelBuilder(detail::RegistryImpl& registry, std::size_t model) : registry_(registry), model_(model) {}

    template <class M, class... Opts>
    ModelBuilder& column(M T::*member, std::string name, Opts&&... opts) {
        using V = detail::unwrap_optional_t<M>;
        static_assert(!detail::is_relationship<M>::value,
                      "strata: a HasMany/BelongsTo member is declared with has_many()/belongs_to(), not column()");
        static_assert(detail::mappable_member<V>,
                      "strata: this member's type cannot be mapped to a column; use an integer (at most 64 bits "
                      "signed, 32 unsigned), bool, double, std::string, strata::DateTime, Date, Time, Blob, Decimal, "
                      "a type with a strata::column_type specialisation, or std::optional of one");
        static_assert(((std::is_convertible_v<Opts, SqlType> || std::is_convertible_v<Opts, ColumnOption>) && ...),
                      "strata: column options are a type (strata::String(64)) or options like strata::primary_key()");
        // Only a member that can be mapped is: the static_assert above is then the only error, not
        // pages of failed overloads.
        if constexpr (!detail::is_relationship<M>::value && detail::mappable_member<V>)
            declare_column(member, std::move(name), std::forward<Opts>(opts)...);
        return *this;
    }

    // One-to-many with its many-to-one backref: has_many(&User::posts, &Post::author).
    template <class U, class... Opts>
    ModelBuilder& has_many(HasMany<U> T::*collection, BelongsTo<T> U::*backref, Opts&&... opts) {
        detail::RelationshipDecl decl;
        decl.kind = detail::RelationshipKind::OneToMany;
        decl.key = member_key(collection);
        decl.access = std::make_unique<detail::MemberRelationship<T, HasMany<U>>>(collection);
        decl.target = &typeid(U);
        decl.backref_key = member_key(backref);
        decl.backref_access = std::make_unique<detail::MemberRelationship<U, BelongsTo<T>>>(backref);
        (apply_cascade(decl, std::forward<Opts>(opts)), ...);
        detail::declare_relationship(registry_, model_, std::move(decl));
        return *this;
    }

    // Many-to-one through a foreign-key member: belongs_to(&Post::author, &Post::user_id).
    template <class U, class F, class... Opts>
    ModelBuilder& belongs_to(BelongsTo<U> T::*reference, F T::*foreign_key, Opts&&... opts) {
        detail::RelationshipDecl decl;
        decl.kind = detail::RelationshipKind::ManyToOne;
        decl.key = member_key(reference);
        decl.access = std::make_unique<detail::MemberRelationship<T, BelongsTo<U>>>(reference);
        decl.target = &typeid(U);
        decl.foreign_keys = {member_key(foreign_key)};
        (apply_cascade(decl, std::forward<Opts>(opts)), ...);
        detail::declare_relationship(registry_, model_, std::move(decl));
        return *this;
    }
    // The same over a foreign key of several columns, its members in the
    // order of the target's key columns:
    //   belongs_to(&FollowNote::follow, std::tuple{&FollowNote::follower_id, &FollowNote::followed_id})
    template <class U, class... F, class... Opts>
    ModelBuilder& belongs_to(BelongsTo<U> T::*reference, std::tuple<F T::*...> foreign_key, Opts&&... opts) {
        static_assert(sizeof...(F) > 0, "strata: belongs_to() needs the foreign key's members");
        detail::RelationshipDecl decl;
        decl.kind = detail::RelationshipKind::ManyToOne;
        decl.key = member_key(reference);
        decl.access = std::make_unique<detail::MemberRelationship<T, BelongsTo<U>>>(reference);
        decl.target = &typeid(U);
        decl.foreign_keys = std::apply([](auto... m) { return std::vector<MemberKey>{member_key(m)...}; }, foreign_key);
        (apply_cascade(decl, std::forward<Opts>(opts)), ...);
        detail::declare_relationship(registry_, model_, std::move(decl));
        return *this;
    }

    // A foreign key of several columns (a one-column one is the column's
    // foreign_key() option), named by the naming convention:
    //   foreign_key({"follower_id", "followed_id"}, "follow", {"follower_id", "followed_id"})
    ModelBuilder& foreign_key(std::vector<std::string> columns, std::string ref_table,
                              std::vector<std::string> ref_columns, std::string ondelete = {},
                              std::string onupdate = {}) {
        detail::declare_foreign_key(registry_, model_,
                                    ForeignKey{{}, std::move(columns), std::move(ref_table), std::move(ref_columns),
                                               std::move(ondelete), std::move(onupdate)});
        return *this;
    }

    // Many-to-many through an association table (declared with Registry::table):
    //   many_to_many(&User::followed, "followers", "follower_id", "followed_id", &User::followers)
    template <class U, class... Opts>
    ModelBuilder& many_to_many(HasMany<U> T::*collection, std::string secondary, std::string local_column,
                               std::string remote_column, HasMany<T> U::*backref = nullptr, Opts&&... opts) {
        detail::RelationshipDecl decl;
        decl.kind = detail::RelationshipKind::ManyToMany;
        decl.key = member_key(collection);
        decl.access = std::make_unique<detail::MemberRelationship<T, HasMany<U>>>(collection);
        decl.target = &typeid(U);
        decl.secondary = std::move(secondary);
        decl.local_column = std::move(local_column);
        decl.remote_column = std::move(remote_column);
        if (backref) {
            decl.backref_key = member_key(backref);
            decl.backref_access = std::make_unique<detail::MemberRelationship<U, HasMany<T>>>(backref);
        }
        (apply_cascade(decl, std::forward<Opts>(opts)), ...);
        detail::declare_relationship(registry_, model_, std::move(decl));
        return *this;
    }

    // How strata::repr and operator<< print an object; default "<User id=1>".
    template <class F>
    ModelBuilder& repr(F fn) {
        static_assert(std::is_invocable_r_v<std::string, F, const T&>,
                      "strata: repr takes a function (const T&) -> std::string");
        detail::declare_repr(registry_, model_,
                             [fn = std::move(fn)](const void* obj) { return fn(*static_cast<const T*>(obj)); });
        return *this;
    }

private:
    template <class M, class... Opts>
    void declare_column(M T::*member, std::string name, Opts&&... opts) {
        using V = detail::unwrap_optional_t<M>;
        detail::ColumnDeclaration decl;
        decl.name = std::move(name);
        decl.key = member_key(member);
        decl.access = std::make_unique<detail::MemberColumn<T, M>>(member);
        decl.type = column_type<V>::sql_type();
        decl.optional = detail::unwrap_optional<M>::is_optional;
        decl.accepts = &detail::column_traits<V>::accepts;
        decl.cpp_type = detail::column_traits<V>::name;
        (check_declared_type<V, std::decay_t<Opts>>(), ...);
        (add_option(decl, std::forward<Opts>(opts)), ...);
        detail::declare_column(registry_, model_, std::move(decl));
    }

    // A type option whose kind is known at compile time (a type deriving from
    // SqlType with `static constexpr TypeKind static_kind`) is checked here;
    // others are checked when the model is declared (ConfigError).
    template <class V, class O>
    static constexpr void check_declared_type() {
        if constexpr (requires { O::static_kind; })
            static_assert(detail::column_traits<V>::accepts(O::static_kind),
                          "strata: the declared SQL type does not fit the member's C++ type "
                          "(e.g. a std::string member declared Integer())");
    }
    static void add_option(detail::ColumnDeclaration& decl, const SqlType& type) {
        decl.type = type;
        decl.explicit_type = true;
    }
    static void add_option(detail::ColumnDeclaration& decl, ColumnOption opt) { decl.options.push_back(std::move(opt)); }
    template <class O>
    static void apply_cascade(detail::RelationshipDecl& decl, O&& opt) {
        static_assert(std::is_same_v<std::decay_t<O>, CascadeOption>,
                      "strata: relationship options are strata::cascade(\"...\")");
        decl.cascade = opt.cascade;
    }

    detail::RegistryImpl& registry_;
    std::size_t model_;
};

class STRATA_API Registry {
public:
    explicit Registry(NamingConvention naming = {});
    ~Registry();
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    template <class T>
    ModelBuilder<T> model(std::string table) {
        static_assert(std::is_default_constructible_v<T>, "strata: a mapped class needs a default constructor");
        static_assert(std::is_move_constructible_v<T>, "strata: a mapped class must be movable");
        static_assert(alignof(detail::Record<T>) <= alignof(std::max_align_t),
                      "strata: a mapped class cannot be over-aligned (alignas larger than std::max_align_t)");
        detail::RecordFactory factory{
            +[](void* at) -> detail::RecordBase* { return new (at) detail::Record<T>(); },
            sizeof(detail::Record<T>), alignof(detail::Record<T>), &detail::destroy_model_records<T>};
        const std::size_t model = detail::declare_model(*impl_, typeid(T), std::move(table), factory);
        detail::declare_column_loops(*impl_, model, detail::column_loops_of<T>());
        detail::declare_relationship_members(*impl_, model, detail::relationship_members_of<T>());
        if constexpr (detail::declared_key<T>) {
            static_assert(primary_key_of<T>::template members_of<T>,
                          "strata: strata::primary_key_of<T> must name members of T itself");
            detail::declare_key_members(*impl_, model, primary_key_of<T>::member_keys());
        }
        return ModelBuilder<T>(*impl_, model);
    }

    // A plain table (an association table for many_to_many), in the same MetaData.
    Table& table(const std::string& name);

    // Every mapped and plain table, with the naming convention applied.
    const MetaData& metadata() const;

    // The most recently created Registry still alive: what Session(db) uses.
    static const Registry& current();

private:
    friend struct detail::Access;
    std::unique_ptr<detail::RegistryImpl> impl_;
};

}  // namespace strata
