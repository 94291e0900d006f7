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
// ...); std::optional members are nullable, others NOT NULL.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include "strata/export.hpp"
#include "strata/connection.hpp"
#include "strata/expression.hpp"
#include "strata/ptr.hpp"
#include "strata/relationship.hpp"
#include "strata/schema.hpp"
#include "strata/types.hpp"
#include "strata/value.hpp"

namespace strata {

namespace detail {

// A column's value as the database last had it (loaded or flushed): what a
// flush compares the member with to decide whether the column changed. It is
// exact, never a hash: numbers, dates and times are their own 64-bit word;
// text and bytes are a saved copy (see save_bytes). A word is meaningless
// when `null` is set.
struct SavedColumn {
    std::uint64_t word = 0;
    bool null = false;
};

// Text and bytes as a SavedColumn word: up to 7 bytes inline in the word
// itself (low bit set, the length in bits 1-3, the bytes above), longer ones
// copied into the store's memory (the word is then a pointer to a 4-byte
// length and the bytes; 4-aligned, so its low bit is clear). `previous` is
// the column's last saved word (0 for none): a long copy whose room fits the
// new bytes is reused, so reloading a row does not grow the store.
STRATA_API std::uint64_t save_bytes(Store& store, std::uint64_t previous, const void* data, std::size_t size);

constexpr std::size_t kInlineSavedBytes = 7;

inline std::uint64_t inline_saved_word(const void* data, std::size_t size) {
    std::uint64_t word = 0;
    if (size) std::memcpy(reinterpret_cast<unsigned char*>(&word) + 1, data, size);
    return word | (std::uint64_t{size} << 1) | 1;
}

// True when `saved` (from save_bytes) holds exactly these bytes.
inline bool same_bytes(std::uint64_t saved, const void* data, std::size_t size) {
    if (saved & 1) return size <= kInlineSavedBytes && saved == inline_saved_word(data, size);
    const auto* at = reinterpret_cast<const unsigned char*>(static_cast<std::uintptr_t>(saved));
    std::uint32_t saved_size;
    std::memcpy(&saved_size, at, sizeof saved_size);
    return saved_size == size && (size == 0 || std::memcmp(at + sizeof saved_size, data, size) == 0);
}

[[noreturn]] STRATA_API void throw_value_type(const char* cpp_type, const Value& v);

template <class V, class = void>
struct column_traits {
    static constexpr bool mappable = false;
};

template <class V>
struct column_traits<V, std::enable_if_t<std::is_integral_v<V> && !std::is_same_v<V, bool>>> {
    static constexpr bool mappable = true;
    static constexpr const char* name = "an integer";
    static SqlType type() {
        if (sizeof(V) <= 2) return SmallInteger();
        return Integer();
    }
    static constexpr bool accepts(TypeKind k) {
        return k == TypeKind::Integer || k == TypeKind::BigInteger || k == TypeKind::SmallInteger;
    }
    static void read(V& out, const Statement& st, int col) { out = static_cast<V>(st.get_int64(col)); }
    static std::uint64_t word(const V& v) { return static_cast<std::uint64_t>(v); }
    static V from(const Value& v) {
        if (v.is<std::int64_t>()) return static_cast<V>(v.as<std::int64_t>());
        if (v.is<bool>()) return static_cast<V>(v.as<bool>());
        throw_value_type(name, v);
    }
};

template <>
struct column_traits<bool> {
    static constexpr bool mappable = true;
    static constexpr const char* name = "bool";
    static SqlType type() { return Boolean(); }
    static constexpr bool accepts(TypeKind k) { return k == TypeKind::Boolean; }
    static void read(bool& out, const Statement& st, int col) { out = st.get_bool(col); }
    static std::uint64_t word(bool v) { return v ? 1 : 0; }
    static bool from(const Value& v) {
        if (v.is<bool>()) return v.as<bool>();
        if (v.is<std::int64_t>()) return v.as<std::int64_t>() != 0;
        throw_value_type(name, v);
    }
};

template <class V>
struct column_traits<V, std::enable_if_t<std::is_floating_point_v<V>>> {
    static constexpr bool mappable = true;
    static constexpr const char* name = "a floating-point number";
    static SqlType type() { return Float(); }
    static constexpr bool accepts(TypeKind k) { return k == TypeKind::Float || k == TypeKind::Numeric; }
    static void read(V& out, const Statement& st, int col) { out = static_cast<V>(st.get_double(col)); }
    // Every float is exactly a double: one word each, NaN equal to itself.
    static std::uint64_t word(V v) { return std::bit_cast<std::uint64_t>(static_cast<double>(v)); }
    static V from(const Value& v) {
        if (v.is<double>()) return static_cast<V>(v.as<double>());
        if (v.is<std::int64_t>()) return static_cast<V>(v.as<std::int64_t>());
        throw_value_type(name, v);
    }
};

template <>
struct column_traits<std::string> {
    static constexpr bool mappable = true;
    static constexpr const char* name = "std::string";
    static SqlType type() { return String(); }
    static constexpr bool accepts(TypeKind k) { return k == TypeKind::String || k == TypeKind::Text || k == TypeKind::Enum; }
    static void read(std::string& out, const Statement& st, int col) { out.assign(st.get_text(col)); }
    static std::string_view bytes(const std::string& v) { return v; }
    // read(), saving the driver's copy: reading back bytes just written to
    // the member stalls the CPU until the write lands.
    static std::uint64_t read_saved(std::string& out, const Statement& st, int col, Store& store, std::uint64_t previous) {
        const std::string_view text = st.get_text(col);
        out.assign(text);
        return save_bytes(store, previous, text.data(), text.size());
    }
    static std::string from(const Value& v) {
        if (v.is<std::string>()) return v.as<std::string>();
        throw_value_type(name, v);
    }
};

// Types that Value holds as themselves.
template <class V, TypeKind Kind>
struct exact_traits {
    static constexpr bool mappable = true;
    static constexpr bool accepts(TypeKind k) { return k == Kind; }
    static V from(const Value& v) {
        if (v.is<V>()) return v.as<V>();
        throw_value_type("this column's C++ type", v);
    }
};

template <>
struct column_traits<DateTime> : exact_traits<DateTime, TypeKind::DateTime> {
    static constexpr const char* name = "strata::DateTime";
    static SqlType type() { return DateTimeType(); }
    static void read(DateTime& out, const Statement& st, int col) { out = st.get_datetime(col); }
    static std::uint64_t word(DateTime v) { return static_cast<std::uint64_t>(v.time_since_epoch().count()); }
};

template <>
struct column_traits<Date> : exact_traits<Date, TypeKind::Date> {
    static constexpr const char* name = "strata::Date";
    static SqlType type() { return DateType(); }
    static void read(Date& out, const Statement& st, int col) { out = st.get_date(col); }
    static std::uint64_t word(Date v) { return static_cast<std::uint64_t>(v.time_since_epoch().count()); }
};

template <>
struct column_traits<Time> : exact_traits<Time, TypeKind::Time> {
    static constexpr const char* name = "strata::Time";
    static SqlType type() { return TimeType(); }
    static void read(Time& out, const Statement& st, int col) { out = st.get_time(col); }
    static std::uint64_t word(Time v) { return static_cast<std::uint64_t>(v.since_midnight.count()); }
};

template <>
struct column_traits<Blob> : exact_traits<Blob, TypeKind::LargeBinary> {
    static constexpr const char* name = "strata::Blob";
    static SqlType type() { return LargeBinary(); }
    static void read(Blob& out, const Statement& st, int col) {
        auto b = st.get_blob(col);
        out.bytes.assign(b.begin(), b.end());
    }
    static std::string_view bytes(const Blob& v) {
        return {reinterpret_cast<const char*>(v.bytes.data()), v.bytes.size()};
    }
};

template <>
struct column_traits<Decimal> : exact_traits<Decimal, TypeKind::Numeric> {
    static constexpr const char* name = "strata::Decimal";
    static SqlType type() { return Numeric(); }
    static void read(Decimal& out, const Statement& st, int col) { out = st.get_decimal(col); }
    static std::string_view bytes(const Decimal& v) { return v.text; }
};

// A member type column() maps. An unsigned 64-bit integer is not one: a
// value past INT64_MAX has no column type to go to on either backend.
template <class V>
inline constexpr bool mappable_member =
    column_traits<V>::mappable && !(std::is_integral_v<V> && std::is_unsigned_v<V> && sizeof(V) >= 8);

// Reads and writes one mapped member of an object of unknown static type.
//
// `store` and `previous` say where a saved copy of text goes and what the
// column's last SavedColumn word was (0 for none): see save_bytes.
class STRATA_API ColumnAccessor {
public:
    virtual ~ColumnAccessor() = default;
    // Reads column `col` of the row into the member; returns it as saved.
    virtual SavedColumn read(void* obj, const Statement& st, int col, Store& store, std::uint64_t previous) const = 0;
    // What read() does with an integer already read from the row (a key).
    virtual SavedColumn assign_integer(void* obj, std::int64_t v, Store& store, std::uint64_t previous) const = 0;
    // The member's value as saved (after it was written to the database).
    virtual SavedColumn save(const void* obj, Store& store, std::uint64_t previous) const = 0;
    // True when the member still holds exactly the saved value.
    virtual bool unchanged(const void* obj, SavedColumn saved) const = 0;
    virtual Value get(const void* obj) const = 0;
    // Binds the member as statement parameter `index`; text is bound without
    // a copy, so the object must not change until the statement is reset.
    virtual void bind(const void* obj, ValueSink& st, int index) const = 0;
    virtual void set(void* obj, const Value& v) const = 0;
    // True for std::nullopt, and for 0 in an integer member (a key not yet assigned).
    virtual bool is_unset(const void* obj) const = 0;
};

template <class T, class M>
class MemberColumn final : public ColumnAccessor {
    using V = unwrap_optional_t<M>;
    using Traits = column_traits<V>;
    static constexpr bool optional = unwrap_optional<M>::is_optional;
    // Text and bytes are saved as copies; every other type is its own word.
    static constexpr bool saved_as_bytes = requires(const V& v) { Traits::bytes(v); };

public:
    explicit MemberColumn(M T::*m) : m_(m) {}

    SavedColumn read(void* obj, const Statement& st, int col, Store& store, std::uint64_t previous) const override {
        M& field = static_cast<T*>(obj)->*m_;
        if constexpr (optional) {
            if (st.is_null(col)) {
                field.reset();
                return {0, true};
            }
            if (!field) field.emplace();
            return {read_saved(*field, st, col, store, previous), false};
        } else {
            // NULL in a non-optional member: its default value, which is not a
            // change (loading the row writes nothing back). Numbers and text
            // read NULL as 0 / empty already: no separate check for them (it
            // cost a third of reading a number).
            if constexpr (!std::is_arithmetic_v<V> && !std::is_same_v<V, std::string>) {
                if (st.is_null(col)) {
                    field = V{};
                    return {saved_word(field, store, previous), false};
                }
            }
            return {read_saved(field, st, col, store, previous), false};
        }
    }
    SavedColumn assign_integer(void* obj, std::int64_t v, Store& store, std::uint64_t previous) const override {
        if constexpr (std::is_integral_v<V> && !std::is_same_v<V, bool>) {
            static_cast<T*>(obj)->*m_ = static_cast<V>(v);
            return {Traits::word(static_cast<V>(v)), false};
        } else {
            set(obj, Value(v));
            return save(obj, store, previous);
        }
    }
    SavedColumn save(const void* obj, Store& store, std::uint64_t previous) const override {
        const M& field = static_cast<const T*>(obj)->*m_;
        if constexpr (optional) {
            if (!field) return {0, true};
            return {saved_word(*field, store, previous), false};
        } else {
            return {saved_word(field, store, previous), false};
        }
    }
    bool unchanged(const void* obj, SavedColumn saved) const override {
        const M& field = static_cast<const T*>(obj)->*m_;
        if constexpr (optional) {
            if (!field) return saved.null;
            return !saved.null && holds(*field, saved.word);
        } else {
            return !saved.null && holds(field, saved.word);
        }
    }
    Value get(const void* obj) const override {
        const M& field = static_cast<const T*>(obj)->*m_;
        if constexpr (optional) {
            if (!field) return Value();
            return Value(*field);
        } else {
            return Value(field);
        }
    }
    void bind(const void* obj, ValueSink& st, int index) const override {
        const M& field = static_cast<const T*>(obj)->*m_;
        if constexpr (std::is_same_v<V, std::string>) {
            if constexpr (optional) {
                if (!field) return st.bind(index, Value());
                return st.bind_view(index, *field);
            } else {
                return st.bind_view(index, field);
            }
        } else {
            st.bind(index, get(obj));
        }
    }
    void set(void* obj, const Value& v) const override {
        M& field = static_cast<T*>(obj)->*m_;
        if (v.is_null()) {
            field = M{};
            return;
        }
        field = Traits::from(v);
    }
    bool is_unset(const void* obj) const override {
        const M& field = static_cast<const T*>(obj)->*m_;
        if constexpr (optional) {
            return !field.has_value();
        } else if constexpr (std::is_integral_v<V> && !std::is_same_v<V, bool>) {
            return field == 0;
        } else {
            return false;
        }
    }

private:
    static std::uint64_t saved_word(const V& v, Store& store, std::uint64_t previous) {
        if constexpr (saved_as_bytes) {
            const std::string_view b = Traits::bytes(v);
            return save_bytes(store, previous, b.data(), b.size());
        } else {
            return Traits::word(v);
        }
    }
    static bool holds(const V& v, std::uint64_t word) {
        if constexpr (saved_as_bytes) {
            const std::string_view b = Traits::bytes(v);
            return same_bytes(word, b.data(), b.size());
        } else {
            return Traits::word(v) == word;
        }
    }
    static std::uint64_t read_saved(V& out, const Statement& st, int col, Store& store, std::uint64_t previous) {
        if constexpr (requires { Traits::read_saved(out, st, col, store, previous); }) {
            return Traits::read_saved(out, st, col, store, previous);
        } else {
            Traits::read(out, st, col);
            return saved_word(out, store, previous);
        }
    }

    M T::*m_;
};

class STRATA_API RelationshipAccessor {
public:
    virtual ~RelationshipAccessor() = default;
    virtual RelationshipBase& get(void* obj) const = 0;
};

template <class T, class R>
class MemberRelationship final : public RelationshipAccessor {
public:
    explicit MemberRelationship(R T::*m) : m_(m) {}
    RelationshipBase& get(void* obj) const override { return static_cast<T*>(obj)->*m_; }

private:
    R T::*m_;
};

class RegistryImpl;

struct ColumnDeclaration {
    std::string name;
    MemberKey key;
    std::unique_ptr<ColumnAccessor> access;
    SqlType type;
    bool explicit_type = false;
    bool optional = false;
    std::vector<ColumnOption> options;
    bool (*accepts)(TypeKind) = nullptr;
    const char* cpp_type = "";
};

enum class RelationshipKind { OneToMany, ManyToOne, ManyToMany };

struct Cascade {
    bool save_update = true;
    bool delete_ = false;
    bool delete_orphan = false;
};

struct RelationshipDecl {
    RelationshipKind kind = RelationshipKind::OneToMany;
    MemberKey key;
    std::unique_ptr<RelationshipAccessor> access;
    const std::type_info* target = nullptr;
    MemberKey backref_key;                                 // owner == nullptr: none
    std::unique_ptr<RelationshipAccessor> backref_access;
    MemberKey foreign_key;                                 // ManyToOne: the owner's key member
    std::string secondary, local_column, remote_column;    // ManyToMany
    Cascade cascade;
    Cascade backref_cascade;
};

// How the ORM builds a record of a model in memory it provides (a session's store).
struct RecordFactory {
    RecordBase* (*construct)(void* at) = nullptr;
    std::size_t size = 0;
    std::size_t align = 0;
};

STRATA_API std::size_t declare_model(RegistryImpl& r, const std::type_info& type, std::string table, RecordFactory factory);

// A HasMany / BelongsTo member of a model, found by building one (note_if_census).
struct RelationshipMember {
    std::ptrdiff_t offset = 0;
    const std::type_info* type = nullptr;  // HasMany<U> or BelongsTo<U>
};

// Collects the relationship members built on this thread while it lives.
class STRATA_API RelationshipCensus {
public:
    RelationshipCensus();
    ~RelationshipCensus();
    RelationshipCensus(const RelationshipCensus&) = delete;
    RelationshipCensus& operator=(const RelationshipCensus&) = delete;
    // Those built inside [object, object + size), by offset.
    std::vector<RelationshipMember> members_in(const void* object, std::size_t size) const;

private:
    friend void note_relationship_member(const void* member, const std::type_info& type);
    struct Seen {
        const void* address;
        const std::type_info* type;
    };
    std::vector<Seen> seen_;
    RelationshipCensus* outer_;
};

template <class T>
std::vector<RelationshipMember> relationship_members_of() {
    RelationshipCensus census;
    auto probe = std::make_unique<T>();
    return census.members_in(probe.get(), sizeof(T));
}
STRATA_API void declare_relationship_members(RegistryImpl& r, std::size_t model, std::vector<RelationshipMember> members);
STRATA_API void declare_column(RegistryImpl& r, std::size_t model, ColumnDeclaration decl);
STRATA_API void declare_relationship(RegistryImpl& r, std::size_t model, RelationshipDecl decl);
STRATA_API void declare_repr(RegistryImpl& r, std::size_t model, std::function<std::string(const void*)> repr);

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
                      "or std::optional of one");
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
        decl.foreign_key = member_key(foreign_key);
        (apply_cascade(decl, std::forward<Opts>(opts)), ...);
        detail::declare_relationship(registry_, model_, std::move(decl));
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
        decl.type = detail::column_traits<V>::type();
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
            sizeof(detail::Record<T>), alignof(detail::Record<T>)};
        const std::size_t model = detail::declare_model(*impl_, typeid(T), std::move(table), factory);
        detail::declare_relationship_members(*impl_, model, detail::relationship_members_of<T>());
        return ModelBuilder<T>(*impl_, model);
    }

    // A plain table (an association table for many_to_many), in the same MetaData.
    Table& table(const std::string& name);

    // Every mapped and plain table, with the naming convention applied.
    const MetaData& metadata() const;

    // The most recently created Registry still alive: what Session(db) uses.
    static const Registry& current();

    detail::RegistryImpl& impl() const { return *impl_; }

private:
    std::unique_ptr<detail::RegistryImpl> impl_;
};

}  // namespace strata
