// strata/detail/mapping.hpp — the type-erased mapping Registry::model<T>() builds: not API.
//
// ModelBuilder<T> (strata/registry.hpp) turns each declared member into an
// accessor object here; the registry (src/orm/registry.cpp) keeps them and
// the session reads and writes objects only through them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <typeinfo>
#include <vector>

#include "strata/export.hpp"
#include "strata/detail/column_traits.hpp"
#include "strata/detail/record.hpp"
#include "strata/detail/relationship_base.hpp"
#include "strata/expression.hpp"
#include "strata/schema.hpp"

namespace strata {

namespace detail {

// Reads and writes one mapped member of an object of unknown static type.
//
// `store` and `previous` (read's `word` on the way in) say where a saved
// copy of text goes and what the column's last SavedColumn word was (0 for
// none): see save_bytes.
class STRATA_API ColumnAccessor {
public:
    virtual ~ColumnAccessor() = default;
    // Reads column `col` of the row into the member. `word` holds the
    // column's last saved word (0 for none) and receives the new one (0 for
    // NULL); returns true when the column is NULL. One call per column of
    // every row loaded: the saved word is written in place, not returned.
    virtual bool read(void* obj, const Statement& st, int col, Store& store, std::uint64_t& word) const = 0;
    // What read() does with an integer already read from the row (a key).
    virtual bool assign_integer(void* obj, std::int64_t v, Store& store, std::uint64_t& word) const = 0;
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
    // A program's type stored as an integer (a strong id type): 0 is an unassigned key, as for an integer.
    static constexpr bool integer_stored = [] {
        if constexpr (custom_column_type<V>) {
            using S = typename column_type<V>::stored;
            return std::is_integral_v<S> && !std::is_same_v<S, bool>;
        } else {
            return false;
        }
    }();

public:
    explicit MemberColumn(M T::*m) : m_(m) {}

    bool read(void* obj, const Statement& st, int col, Store& store, std::uint64_t& word) const override {
        M& field = static_cast<T*>(obj)->*m_;
        if constexpr (optional) {
            if (st.is_null(col)) {
                field.reset();
                word = 0;
                return true;
            }
            if (!field) field.emplace();
            word = read_saved(*field, st, col, store, word);
        } else {
            // NULL in a non-optional member: its default value, which is not a
            // change (loading the row writes nothing back). Numbers and text
            // read NULL as 0 / empty already: no separate check for them (it
            // cost a third of reading a number).
            if constexpr (!std::is_arithmetic_v<V> && !std::is_same_v<V, std::string>) {
                if (st.is_null(col)) {
                    field = V{};
                    word = saved_word(field, store, word);
                    return false;
                }
            }
            word = read_saved(field, st, col, store, word);
        }
        return false;
    }
    bool assign_integer(void* obj, std::int64_t v, Store& store, std::uint64_t& word) const override {
        if constexpr (std::is_integral_v<V> && !std::is_same_v<V, bool>) {
            static_cast<T*>(obj)->*m_ = static_cast<V>(v);
            word = Traits::word(static_cast<V>(v));
            return false;
        } else {
            set(obj, Value(v));
            const SavedColumn saved = save(obj, store, word);
            word = saved.word;
            return saved.null;
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
            return column_value(*field);
        } else {
            return column_value(field);
        }
    }
    void bind(const void* obj, ValueSink& st, int index) const override {
        const M& field = static_cast<const T*>(obj)->*m_;
        if constexpr (optional) {
            if (!field) return st.bind_null(index);
            bind_value(*field, st, index);
        } else {
            bind_value(field, st, index);
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
        } else if constexpr (integer_stored) {
            return column_type<V>::to_stored(field) == 0;
        } else {
            return false;
        }
    }

private:
    static std::uint64_t saved_word(const V& v, Store& store, std::uint64_t previous) {
        if constexpr (saved_as_bytes) {
            const auto& held = Traits::bytes(v);  // a view, or a custom type's stored text or bytes
            const std::string_view b = byte_view(held);
            return save_bytes(store, previous, b.data(), b.size());
        } else {
            return Traits::word(v);
        }
    }
    // Text without a copy, integers and date-times without a Value (a flush binds every column of every new row).
    static void bind_value(const V& v, ValueSink& st, int index) {
        if constexpr (std::is_same_v<V, std::string>) st.bind_view(index, v);
        else if constexpr (std::is_integral_v<V> && !std::is_same_v<V, bool>) st.bind_int64(index, static_cast<std::int64_t>(v));
        else if constexpr (std::is_same_v<V, DateTime>) st.bind_datetime(index, v);
        else st.bind(index, column_value(v));
    }
    static bool holds(const V& v, std::uint64_t word) {
        if constexpr (saved_as_bytes) {
            const auto& held = Traits::bytes(v);
            const std::string_view b = byte_view(held);
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
    RelationshipBase& get(void* obj) const override {
        return Access::base<RelationshipBase>(static_cast<T*>(obj)->*m_);
    }

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
    std::vector<MemberKey> foreign_keys;                   // ManyToOne: the owner's key members (of the target's key columns, in order)
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

}  // namespace strata
