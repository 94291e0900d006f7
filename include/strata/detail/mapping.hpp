// strata/detail/mapping.hpp — the type-erased mapping Registry::model<T>() builds: not API.
//
// ModelBuilder<T> (strata/registry.hpp) turns each declared member into an
// accessor object here; the registry (src/orm/registry.cpp) keeps them and
// the session reads and writes objects only through them.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <typeinfo>
#include <vector>

#include "strata/export.hpp"
#include "strata/detail/column_traits.hpp"
#include "strata/detail/compiler.hpp"
#include "strata/detail/record.hpp"
#include "strata/detail/relationship_base.hpp"
#include "strata/expression.hpp"
#include "strata/schema.hpp"

namespace strata {

namespace detail {

// One mapped member itself (M is a column type V or std::optional<V>):
// reading it from a row, saving, comparing, binding. MemberColumn reaches
// the member through a pointer to member and calls these; the column plan's
// loops (below) call them inline, without a virtual call per column.
//
// `store` and `previous` (read's `word` on the way in) say where a saved
// copy of text goes and what the column's last SavedColumn word was (0 for
// none): see save_bytes.
template <class M>
struct FieldColumn {
    using V = unwrap_optional_t<M>;
    using Traits = column_traits<V>;
    static constexpr bool optional = unwrap_optional<M>::is_optional;
    // Text and bytes are saved as copies; every other type is its own word.
    static constexpr bool saved_as_bytes = requires(const V& v) { Traits::bytes(v); };
    // The getter of V's column reads NULL as V{} (see Statement::get_int64).
    static constexpr bool reads_null_as_default =
        std::is_arithmetic_v<V> || std::is_same_v<V, std::string> || std::is_same_v<V, DateTime> ||
        std::is_same_v<V, Date> || std::is_same_v<V, Time>;
    // A program's type stored as an integer (a strong id type): 0 is an unassigned key, as for an integer.
    static constexpr bool integer_stored = [] {
        if constexpr (custom_column_type<V>) {
            using S = typename column_type<V>::stored;
            return is_number_integer_v<S>;
        } else {
            return false;
        }
    }();

    // Reads column `col` of the row into the member. `word` holds the
    // column's last saved word (0 for none) and receives the new one (0 for
    // NULL); returns true when the column is NULL.
    STRATA_DETAIL_INLINE static bool read(M& field, const Statement& st, int col, Store& store, std::uint64_t& word) {
        if constexpr (optional && std::is_arithmetic_v<V>) {
            // A number's getter reads NULL as 0: only a 0 can be NULL, so
            // the value goes first and is_null is asked for 0 alone (it
            // cost as much as the read, on every row of a foreign key).
            V v{};
            const std::uint64_t w = read_saved(v, st, col, store, word);
            if (v == V{} && st.is_null(col)) {
                field.reset();
                word = 0;
                return true;
            }
            field = v;
            word = w;
        } else if constexpr (optional) {
            if (st.is_null(col)) {
                field.reset();
                word = 0;
                return true;
            }
            if (!field) field.emplace();
            word = read_saved(*field, st, col, store, word);
        } else {
            // NULL in a non-optional member: its default value, which is not a
            // change (loading the row writes nothing back). Numbers, text,
            // dates and times read NULL as 0 / empty / zero already
            // (Statement's getters): no separate check for them (it cost a
            // third of reading a number, and of a date-time column's whole read).
            if constexpr (!reads_null_as_default) {
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
    static bool assign_integer(M& field, std::int64_t v, Store& store, std::uint64_t& word) {
        if constexpr (is_number_integer_v<V>) {
            field = static_cast<V>(v);
            word = Traits::word(static_cast<V>(v));
            return false;
        } else {
            set(field, Value(v));
            const SavedColumn saved = save(field, store, word);
            word = saved.word;
            return saved.null;
        }
    }
    static SavedColumn save(const M& field, Store& store, std::uint64_t previous) {
        if constexpr (optional) {
            if (!field) return {0, true};
            return {saved_word(*field, store, previous), false};
        } else {
            return {saved_word(field, store, previous), false};
        }
    }
    // A plain member's saved value is never NULL (read() and save() give
    // NULL only for an optional one): its NULL bit is not looked at.
    STRATA_DETAIL_INLINE static bool unchanged(const M& field, SavedColumn saved) {
        if constexpr (optional) {
            if (!field) return saved.null;
            return !saved.null && holds(*field, saved.word);
        } else {
            return holds(field, saved.word);
        }
    }
    // The member's value as an integer, when it is one (an integer type,
    // plain or optional and set): a foreign key set from it without a Value.
    static bool integer(const M& field, std::int64_t& out) {
        if constexpr (is_number_integer_v<V>) {
            if constexpr (optional) {
                if (!field) return false;
                out = static_cast<std::int64_t>(*field);
            } else {
                out = static_cast<std::int64_t>(field);
            }
            return true;
        } else {
            return false;
        }
    }
    static Value get(const M& field) {
        if constexpr (optional) {
            if (!field) return Value();
            return column_value(*field);
        } else {
            return column_value(field);
        }
    }
    static void bind(const M& field, ValueSink& st, int index) {
        if constexpr (optional) {
            if (!field) return st.bind_null(index);
            bind_value(*field, st, index);
        } else {
            bind_value(field, st, index);
        }
    }
    static void set(M& field, const Value& v) {
        if (v.is_null()) {
            field = M{};
            return;
        }
        field = Traits::from(v);
    }
    static bool is_unset(const M& field) {
        if constexpr (optional) {
            return !field.has_value();
        } else if constexpr (is_number_integer_v<V>) {
            return field == 0;
        } else if constexpr (integer_stored) {
            return column_type<V>::to_stored(field) == 0;
        } else {
            return false;
        }
    }

private:
    STRATA_DETAIL_INLINE static std::uint64_t saved_word(const V& v, Store& store, std::uint64_t previous) {
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
        else if constexpr (is_number_integer_v<V>) st.bind_int64(index, static_cast<std::int64_t>(v));
        else if constexpr (std::is_same_v<V, DateTime>) st.bind_datetime(index, v);
        else st.bind(index, column_value(v));
    }
    STRATA_DETAIL_INLINE static bool holds(const V& v, std::uint64_t word) {
        if constexpr (saved_as_bytes) {
            const auto& held = Traits::bytes(v);
            const std::string_view b = byte_view(held);
            return same_bytes(word, b.data(), b.size());
        } else {
            return Traits::word(v) == word;
        }
    }
    STRATA_DETAIL_INLINE static std::uint64_t read_saved(V& out, const Statement& st, int col, Store& store, std::uint64_t previous) {
        if constexpr (requires { Traits::read_saved(out, st, col, store, previous); }) {
            return Traits::read_saved(out, st, col, store, previous);
        } else {
            Traits::read(out, st, col);
            return saved_word(out, store, previous);
        }
    }
};

// The member types whose columns the plan reads and compares inline: every
// built-in column type (an integer type strata maps on every platform,
// bool, float, double, std::string, DateTime, Date, Time, Blob, Decimal),
// each plain and as std::optional. Any other member type -- a
// strata::column_type<T> customisation, or a rarer built-in spelling such as
// char or long double -- goes through its ColumnAccessor.
#define STRATA_DETAIL_PLANNED_TYPES(X)                                                                                 \
    X(Bool, bool)                                                                                                      \
    X(SignedChar, signed char)                                                                                         \
    X(UnsignedChar, unsigned char)                                                                                     \
    X(Short, short)                                                                                                    \
    X(UnsignedShort, unsigned short)                                                                                   \
    X(Int, int)                                                                                                        \
    X(UnsignedInt, unsigned int)                                                                                       \
    X(Long, long)                                                                                                      \
    X(LongLong, long long)                                                                                             \
    X(Float, float)                                                                                                    \
    X(Double, double)                                                                                                  \
    X(Text, std::string)                                                                                               \
    X(DateTime, DateTime)                                                                                              \
    X(Date, Date)                                                                                                      \
    X(Time, Time)                                                                                                      \
    X(Blob, Blob)                                                                                                      \
    X(Decimal, Decimal)

// What a column plan entry holds: a planned member type (plain or
// optional), or Accessor (read and compared through the ColumnAccessor).
enum class ColumnKind : std::uint8_t {
    Accessor,
#define STRATA_DETAIL_KIND(Name, V) Name, Optional##Name,
    STRATA_DETAIL_PLANNED_TYPES(STRATA_DETAIL_KIND)
#undef STRATA_DETAIL_KIND
};

// The kind of a member of type M.
template <class M>
constexpr ColumnKind column_kind_of() {
#define STRATA_DETAIL_KIND(Name, V)                                                                                    \
    if constexpr (std::is_same_v<M, V>) return ColumnKind::Name;                                                      \
    else if constexpr (std::is_same_v<M, std::optional<V>>) return ColumnKind::Optional##Name;                        \
    else
    STRATA_DETAIL_PLANNED_TYPES(STRATA_DETAIL_KIND)
#undef STRATA_DETAIL_KIND
    return ColumnKind::Accessor;
}

class ColumnAccessor;

// Room for a pointer to a data member (its bytes; see PlannedColumn).
inline constexpr std::size_t kMemberPointerBytes = 2 * sizeof(void*);

// One column of a model's column plan (Mapper::plan, built when the registry
// is finalised): its kind and, for a planned type, the member's pointer to
// member `M T::*` (M the kind's type, T the model), kept as its bytes -- a
// pointer to member is trivially copyable, and the plan's loops, compiled
// for T, copy it back into a `M T::*` of that same type. `access` is the
// column's accessor (what an Accessor kind calls).
struct PlannedColumn {
    ColumnKind kind = ColumnKind::Accessor;
    alignas(void*) unsigned char member[kMemberPointerBytes] = {};
    const ColumnAccessor* access = nullptr;
};

// Reads and writes one mapped member of an object of unknown static type.
// The hot loops (a row's columns, the exact change check) go through the
// model's column plan instead; this is what the rest of the ORM uses, and
// what the plan calls for a member type it does not read inline.
class STRATA_API ColumnAccessor {
public:
    virtual ~ColumnAccessor() = default;
    // Reads column `col` of the row into the member. `word` holds the
    // column's last saved word (0 for none) and receives the new one (0 for
    // NULL); returns true when the column is NULL.
    virtual bool read(void* obj, const Statement& st, int col, Store& store, std::uint64_t& word) const = 0;
    // What read() does with an integer already read from the row (a key).
    virtual bool assign_integer(void* obj, std::int64_t v, Store& store, std::uint64_t& word) const = 0;
    // The member's value as saved (after it was written to the database).
    virtual SavedColumn save(const void* obj, Store& store, std::uint64_t previous) const = 0;
    // True when the member still holds exactly the saved value.
    virtual bool unchanged(const void* obj, SavedColumn saved) const = 0;
    virtual Value get(const void* obj) const = 0;
    // The member as an integer when it holds one (see FieldColumn::integer).
    virtual bool integer(const void* obj, std::int64_t& out) const = 0;
    // Binds the member as statement parameter `index`; text is bound without
    // a copy, so the object must not change until the statement is reset.
    virtual void bind(const void* obj, ValueSink& st, int index) const = 0;
    virtual void set(void* obj, const Value& v) const = 0;
    // True for std::nullopt, and for 0 in an integer member (a key not yet assigned).
    virtual bool is_unset(const void* obj) const = 0;
    // The column's entry in its model's column plan.
    virtual PlannedColumn plan() const = 0;
};

template <class T, class M>
class MemberColumn final : public ColumnAccessor {
    using Field = FieldColumn<M>;

public:
    explicit MemberColumn(M T::*m) : m_(m) {}

    bool read(void* obj, const Statement& st, int col, Store& store, std::uint64_t& word) const override {
        return Field::read(static_cast<T*>(obj)->*m_, st, col, store, word);
    }
    bool assign_integer(void* obj, std::int64_t v, Store& store, std::uint64_t& word) const override {
        return Field::assign_integer(static_cast<T*>(obj)->*m_, v, store, word);
    }
    SavedColumn save(const void* obj, Store& store, std::uint64_t previous) const override {
        return Field::save(static_cast<const T*>(obj)->*m_, store, previous);
    }
    bool unchanged(const void* obj, SavedColumn saved) const override {
        return Field::unchanged(static_cast<const T*>(obj)->*m_, saved);
    }
    Value get(const void* obj) const override { return Field::get(static_cast<const T*>(obj)->*m_); }
    bool integer(const void* obj, std::int64_t& out) const override {
        return Field::integer(static_cast<const T*>(obj)->*m_, out);
    }
    void bind(const void* obj, ValueSink& st, int index) const override {
        Field::bind(static_cast<const T*>(obj)->*m_, st, index);
    }
    void set(void* obj, const Value& v) const override { Field::set(static_cast<T*>(obj)->*m_, v); }
    bool is_unset(const void* obj) const override { return Field::is_unset(static_cast<const T*>(obj)->*m_); }
    PlannedColumn plan() const override {
        static_assert(sizeof m_ <= kMemberPointerBytes, "strata: a pointer to member larger than the plan's room");
        PlannedColumn c;
        c.kind = column_kind_of<M>();
        std::memcpy(c.member, &m_, sizeof m_);
        c.access = this;
        return c;
    }

private:
    M T::*m_;
};

// The member a plan entry of kind M names in `object` (T the model).
template <class T, class M, class Object>
auto& planned_member(Object& object, const PlannedColumn& c) {
    M T::*member;
    std::memcpy(&member, c.member, sizeof member);
    return object.*member;
}

// The planned types of nearly every model: the plan's loops read and compare
// them in their own switch; the other kinds go to one out-of-line call (a
// switch over them all), so that the loops stay small enough to keep their
// state in registers.
#define STRATA_DETAIL_HOT_TYPES(X)                                                                                     \
    X(Long, long)                                                                                                      \
    X(LongLong, long long)                                                                                             \
    X(Int, int)                                                                                                        \
    X(Bool, bool)                                                                                                      \
    X(Double, double)                                                                                                  \
    X(Text, std::string)                                                                                               \
    X(DateTime, DateTime)

// Calls `f(member)` with the member a plan entry names, typed, for every
// planned kind; `through(accessor)` for an Accessor kind.
template <class T, class Object, class F, class Through>
decltype(auto) visit_planned(Object& object, const PlannedColumn& c, F&& f, Through&& through) {
    switch (c.kind) {
#define STRATA_DETAIL_CASE(Name, V)                                                                                    \
    case ColumnKind::Name: return f(planned_member<T, V>(object, c));                                                  \
    case ColumnKind::Optional##Name: return f(planned_member<T, std::optional<V>>(object, c));
        STRATA_DETAIL_PLANNED_TYPES(STRATA_DETAIL_CASE)
#undef STRATA_DETAIL_CASE
    case ColumnKind::Accessor: break;
    }
    return through(*c.access);
}

// What read_planned_columns does for a column of a kind outside the hot types.
template <class T>
STRATA_DETAIL_COLD bool read_other_column(T& object, const PlannedColumn& c, const Statement& st, int col, Store& store,
                                          std::uint64_t& word) {
    return visit_planned<T>(
        object, c, [&]<class M>(M& field) { return FieldColumn<M>::read(field, st, col, store, word); },
        [&](const ColumnAccessor& a) { return a.read(&object, st, col, store, word); });
}

// The key column's value, already read from the row (ColumnAccessor::assign_integer).
template <class T>
STRATA_DETAIL_COLD bool assign_key_column(T& object, const PlannedColumn& c, std::int64_t key, Store& store,
                                          std::uint64_t& word) {
    return visit_planned<T>(
        object, c, [&]<class M>(M& field) { return FieldColumn<M>::assign_integer(field, key, store, word); },
        [&](const ColumnAccessor& a) { return a.assign_integer(&object, key, store, word); });
}

// What changed_planned_columns does for a column of a kind outside the hot types.
template <class T>
STRATA_DETAIL_COLD bool other_column_unchanged(const T& object, const PlannedColumn& c, SavedColumn saved) {
    return visit_planned<T>(
        object, c, [&]<class M>(const M& field) { return FieldColumn<M>::unchanged(field, saved); },
        [&](const ColumnAccessor& a) { return a.unchanged(&object, saved); });
}

// What save_planned_columns does for a column of a kind outside the hot types.
template <class T>
STRATA_DETAIL_COLD SavedColumn save_other_column(const T& object, const PlannedColumn& c, Store& store,
                                                 std::uint64_t previous) {
    return visit_planned<T>(
        object, c, [&]<class M>(const M& field) { return FieldColumn<M>::save(field, store, previous); },
        [&](const ColumnAccessor& a) { return a.save(&object, store, previous); });
}

// What bind_planned_columns does for a column of a kind outside the hot types.
template <class T>
STRATA_DETAIL_COLD void bind_other_column(const T& object, const PlannedColumn& c, ValueSink& sink, int index) {
    visit_planned<T>(
        object, c, [&]<class M>(const M& field) { FieldColumn<M>::bind(field, sink, index); },
        [&](const ColumnAccessor& a) { a.bind(&object, sink, index); });
}

// One column of a model's row program (RowPlan::steps): its member and
// where it goes, laid out for build_loaded_record's loop. `kind` is the plan
// entry's kind for a hot type, Accessor for any other (read through
// `planned`, the column's plan entry).
struct RowStep {
    ColumnKind kind = ColumnKind::Accessor;
    std::uint8_t column = 0;  // its index in the plan: its saved word's and its NULL bit's (a model maps at most 63)
    alignas(void*) unsigned char member[kMemberPointerBytes] = {};
    const PlannedColumn* planned = nullptr;
};

// Whether build_loaded_record's loop reads a kind inline (RowStep::kind).
constexpr bool row_step_inline(ColumnKind k) {
    switch (k) {
#define STRATA_DETAIL_CASE(Name, V)                                                                                    \
    case ColumnKind::Name:                                                                                             \
    case ColumnKind::Optional##Name: return true;
        STRATA_DETAIL_HOT_TYPES(STRATA_DETAIL_CASE)
#undef STRATA_DETAIL_CASE
    default: return false;
    }
}

// The step that reads plan entry `c`, column `column` of the plan.
inline RowStep row_step_of(const PlannedColumn& c, std::size_t column) {
    RowStep s;
    s.kind = row_step_inline(c.kind) ? c.kind : ColumnKind::Accessor;
    s.column = static_cast<std::uint8_t>(column);
    std::memcpy(s.member, c.member, sizeof s.member);
    s.planned = &c;
    return s;
}

// What a row is read into a new record of a model with: built when the
// registry is finalised (Mapper::row_plan).
struct RowPlan {
    const Mapper* mapper = nullptr;
    std::size_t bytes = 0;  // a record's room: the record (RecordFactory::size), then a saved word a column
    // Every column, the key's first (when the model has one): the key is
    // skipped when the caller has read it. A loop over these has no
    // per-column bookkeeping beyond the step itself (a loop over the plan's
    // columns as bits cost about 20 instructions a column).
    const RowStep* steps = nullptr;
    std::size_t step_count = 0;
    bool key_is_int64 = false;  // the key's member is a std::int64_t (the usual key: assigned inline)
    const RelationshipSlot* slots = nullptr;  // the relationship members, bound as unloaded
    std::size_t slot_count = 0;
    OffsetRun slot_run;  // the same as a run (their offsets and indexes), used when there are 2 to kRun
    // The object is default-initialised, not zeroed first: every byte its
    // constructor leaves unset is inside a column's member (read from the
    // row) or a relationship's (default_init_suffices).
    bool default_init = false;
};

// Binds a loaded record's relationship member (unloaded).
STRATA_DETAIL_INLINE void bind_loaded_member(RecordBase* r, void* object, std::ptrdiff_t offset, std::uint32_t index) {
    RelationshipBase& base = relationship_at(object, RelationshipSlot{offset, false});
    base.owner_ = r;
    base.relationship_ = index;
    base.loaded_ = false;
}

// The member a row step names in `object` (T the model).
template <class T, class M>
STRATA_DETAIL_INLINE M& step_member(T& object, const RowStep& s) {
    M T::*member;
    std::memcpy(&member, s.member, sizeof member);
    return object.*member;
}

// The columns of steps [first, last) of a row into a record's object and
// its saved words (its NULL bits 0 before reading), column `offset` +
// RowStep::column of the row each. `Again`: a held record read again, whose
// words hold their last saved values (0 where none), each read before it
// is overwritten (a text's saved room is reused, see save_bytes); else a
// new record's, 0 before reading. Each case stores its own word and sets
// its own NULL bit: the kinds that are never NULL (a std::string's) set
// none, and no running mask lives across the statement's calls.
template <class T, bool Again = false>
STRATA_DETAIL_INLINE void read_row_steps(Record<T>& r, const RowStep* first, const RowStep* last, const Statement& st,
                                         int offset, Store& store, std::uint64_t* words) {
    for (const RowStep* s = first; s != last; ++s) {
        const int col = offset + s->column;
        auto read = [&]<class M>(M& field) {
            std::uint64_t word = Again ? words[s->column] : 0;
            if (FieldColumn<M>::read(field, st, col, store, word)) r.snapshot.nulls |= std::uint64_t{1} << s->column;
            words[s->column] = word;
        };
        switch (s->kind) {
#define STRATA_DETAIL_CASE(Name, V)                                                                                    \
    case ColumnKind::Name: read(step_member<T, V>(r.value, *s)); break;                                                \
    case ColumnKind::Optional##Name: read(step_member<T, std::optional<V>>(r.value, *s)); break;
            STRATA_DETAIL_HOT_TYPES(STRATA_DETAIL_CASE)
#undef STRATA_DETAIL_CASE
        case ColumnKind::Accessor: {
            std::uint64_t word = Again ? words[s->column] : 0;
            if (read_other_column(r.value, *s->planned, st, col, store, word))
                r.snapshot.nulls |= std::uint64_t{1} << s->column;
            words[s->column] = word;
            break;
        }
        default: STRATA_DETAIL_UNREACHABLE();  // row_step_of gives no other kind
        }
    }
}

// A new record of the model (a T) built at `at` (room for the record, then
// its saved words) from a row, in one function compiled for the model:
// constructed, its columns read (the key, when given, assigned: the caller
// has read it), its relationships bound (unloaded). The caller puts it in
// `store`'s list. If a column throws, the object is destroyed again and its
// memory waits for the store.
template <class T>
STRATA_DETAIL_HOT_PATH STRATA_DETAIL_FLATTEN RecordBase* build_loaded_record(const RowPlan& p, void* at, Store& store, const Statement& st,
                                                      int offset, const std::int64_t* key) {
    // Value-initialisation zeroes the whole object before its constructor
    // sets each member again (28 instructions a microblog user).
    auto* r = p.default_init ? new (at) Record<T>(DefaultInit{}) : new (at) Record<T>();
    auto* words = reinterpret_cast<std::uint64_t*>(static_cast<std::byte*>(at) + sizeof(Record<T>));
    try {
        const RowStep* first = p.steps;
        if (key) {  // only for a model whose key is an integer: steps[0] is its column
            const RowStep& k = *first++;
            if (p.key_is_int64) {
                step_member<T, std::int64_t>(r->value, k) = *key;
                words[k.column] = static_cast<std::uint64_t>(*key);
            } else {
                std::uint64_t word = 0;
                r->snapshot.nulls = std::uint64_t{assign_key_column(r->value, *k.planned, *key, store, word)} << k.column;
                words[k.column] = word;
            }
        }
        read_row_steps(*r, first, p.steps + p.step_count, st, offset, store, words);
    } catch (...) {
        r->~Record<T>();
        throw;
    }
    r->in_arena = true;
    r->mapper = p.mapper;
    r->store = &store;
    r->snapshot.attach(words);
    r->snapshot.valid = true;
    r->state = RecordState::Persistent;
    const OffsetRun& run = p.slot_run;
    if (p.slot_count == 1) {  // one member (a post's author): the run would bind it four times
        bind_loaded_member(r, &r->value, run.at[0], 0);
    } else if (p.slot_count - 1 < OffsetRun::kRun) {  // 2 to kRun members
        for (std::size_t i = 0; i < OffsetRun::kRun; ++i) bind_loaded_member(r, &r->value, run.at[i], run.index[i]);
    } else {
        for (std::uint32_t i = 0; i < p.slot_count; ++i) bind_loaded_member(r, &r->value, p.slots[i].offset, i);
    }
    return r;
}

// A held record's columns read again from a row (an expired record's
// reload): every column, the key's too, through the model's row program.
// Its words hold their last saved values, 0 where none (see read_row_steps).
template <class T>
STRATA_DETAIL_FLATTEN void reread_record(const RowPlan& p, RecordBase& r, const Statement& st, int offset, Store& store) {
    auto& record = static_cast<Record<T>&>(r);
    std::uint64_t* words = &r.snapshot.at(0);
    r.snapshot.nulls = 0;
    read_row_steps<T, true>(record, p.steps, p.steps + p.step_count, st, offset, store, words);
}

// True when a loaded T may be default-initialised (RowPlan::default_init)
// rather than value-initialised: every byte that default-initialisation
// leaves unset -- found by building a T twice, in room filled with 0x00 and
// with 0xff, and comparing -- lies inside a column's member (the row
// overwrites it) or a relationship member's base (its padding). A member the
// model does not map and does not initialise (an `int n;`), or a constructor
// whose result depends on the memory, keeps value-initialisation. Run once
// per model when the registry is finalised.
template <class T>
bool default_init_suffices(const PlannedColumn* plan, std::size_t n, const RelationshipSlot* slots,
                           std::size_t slot_count) {
#if defined(__GNUC__)
    auto room = std::make_unique_for_overwrite<std::byte[]>(sizeof(Record<T>) + alignof(Record<T>));
    void* at = room.get();
    std::size_t space = sizeof(Record<T>) + alignof(Record<T>);
    at = std::align(alignof(Record<T>), sizeof(Record<T>), at, space);
    std::vector<unsigned char> seen[2] = {std::vector<unsigned char>(sizeof(T)), std::vector<unsigned char>(sizeof(T))};
    std::vector<bool> covered(sizeof(T));
    for (int pass = 0; pass < 2; ++pass) {
        std::memset(at, pass ? 0xff : 0x00, sizeof(Record<T>));
        // The fill is read (for all the compiler knows): not dropped as a
        // store before the object's lifetime begins.
        asm volatile("" : : "r"(at) : "memory");
        auto* r = new (at) Record<T>(DefaultInit{});
        asm volatile("" : : "r"(r) : "memory");
        std::memcpy(seen[pass].data(), static_cast<const void*>(&r->value), sizeof(T));
        const auto* object = reinterpret_cast<const std::byte*>(&r->value);
        auto cover = [&](const void* member, std::size_t size) {
            const auto offset = static_cast<std::size_t>(static_cast<const std::byte*>(member) - object);
            for (std::size_t i = 0; i < size; ++i) covered[offset + i] = true;
        };
        for (std::size_t i = 0; pass == 0 && i < n; ++i)
            visit_planned<T>(
                r->value, plan[i], [&]<class M>(const M& field) { cover(&field, sizeof(M)); }, [](const ColumnAccessor&) {});
        for (std::size_t i = 0; pass == 0 && i < slot_count; ++i) cover(object + slots[i].offset, sizeof(RelationshipBase));
        r->~Record<T>();
    }
    for (std::size_t i = 0; i < sizeof(T); ++i)
        if (seen[0][i] != seen[1][i] && !covered[i]) return false;
    return true;
#else
    (void)plan, (void)n, (void)slots, (void)slot_count;
    return false;
#endif
}

// Whether the member a plan entry names still holds its saved value: what
// ColumnAccessor::unchanged says, inline for the hot types.
template <class T>
STRATA_DETAIL_INLINE bool planned_column_unchanged(const T& object, const PlannedColumn& c, SavedColumn saved) {
    switch (c.kind) {
#define STRATA_DETAIL_CASE(Name, V)                                                                                    \
    case ColumnKind::Name: return FieldColumn<V>::unchanged(planned_member<T, V>(object, c), saved);                  \
    case ColumnKind::Optional##Name:                                                                                   \
        return FieldColumn<std::optional<V>>::unchanged(planned_member<T, std::optional<V>>(object, c), saved);
        STRATA_DETAIL_HOT_TYPES(STRATA_DETAIL_CASE)
#undef STRATA_DETAIL_CASE
    default: return other_column_unchanged(object, c, saved);
    }
}

// The columns whose member no longer holds its saved value (`words`,
// `nulls`), as bits: what ColumnAccessor::unchanged says, column by column.
template <class T>
STRATA_DETAIL_FLATTEN std::uint64_t changed_planned_columns(const PlannedColumn* plan, std::size_t n, const void* obj,
                                      const std::uint64_t* words, std::uint64_t nulls) {
    const T& object = *static_cast<const T*>(obj);
    std::uint64_t mask = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const SavedColumn saved{words[i], ((nulls >> i) & 1) != 0};
        mask |= std::uint64_t{!planned_column_unchanged(object, plan[i], saved)} << i;
    }
    return mask;
}

// Every column's value as saved after a write, into `words`, as bits the
// NULL ones: what ColumnAccessor::save does, column by column (a flush
// saves every column of every row it wrote). Bit i of `reusable`: words[i]
// holds the column's last saved word (its room is reused, see save_bytes);
// each is read before it is overwritten.
template <class T>
STRATA_DETAIL_FLATTEN std::uint64_t save_planned_columns(const PlannedColumn* plan, std::size_t n, const void* obj,
                                                         Store& store, std::uint64_t* words, std::uint64_t reusable) {
    const T& object = *static_cast<const T*>(obj);
    std::uint64_t nulls = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const PlannedColumn& c = plan[i];
        const std::uint64_t previous = ((reusable >> i) & 1) ? words[i] : 0;
        SavedColumn saved;
        switch (c.kind) {
#define STRATA_DETAIL_CASE(Name, V)                                                                                    \
    case ColumnKind::Name: saved = FieldColumn<V>::save(planned_member<T, V>(object, c), store, previous); break;      \
    case ColumnKind::Optional##Name:                                                                                   \
        saved = FieldColumn<std::optional<V>>::save(planned_member<T, std::optional<V>>(object, c), store, previous); \
        break;
            STRATA_DETAIL_HOT_TYPES(STRATA_DETAIL_CASE)
#undef STRATA_DETAIL_CASE
        default: saved = save_other_column(object, c, store, previous);
        }
        words[i] = saved.word;
        nulls |= std::uint64_t{saved.null} << i;
    }
    return nulls;
}

// Where bind_planned_columns puts the saved values of the columns it binds
// (a new row's, written by the statement being bound): the record's saved
// words, and the NULL ones as bits.
struct SavedWords {
    Store& store;
    std::uint64_t* words;
    std::uint64_t nulls = 0;
};

// The columns of `columns` (bits, in column order) of the object (a T) as
// statement parameters `first`, `first` + 1, ...: what ColumnAccessor::bind
// does, column by column (a flush binds every column of every new row).
// With `saved`, each column's saved value too, as save_planned_columns takes
// it for words never saved before: the value bound is the value saved, with
// no second pass over the object. `at` follows the column being bound: the
// one at fault if a bind throws. Returns the next parameter.
template <class T>
STRATA_DETAIL_FLATTEN int bind_planned_columns(const PlannedColumn* plan, std::uint64_t columns, const void* obj,
                                               ValueSink& sink, int first, std::size_t& at, SavedWords* saved) {
    const T& object = *static_cast<const T*>(obj);
    for (; columns; columns &= columns - 1, ++first) {
        const auto i = static_cast<std::size_t>(std::countr_zero(columns));
        const PlannedColumn& c = plan[i];
        at = i;
        auto bind = [&]<class M>(const M& field) {
            FieldColumn<M>::bind(field, sink, first);
            if (saved) {
                const SavedColumn s = FieldColumn<M>::save(field, saved->store, 0);
                saved->words[i] = s.word;
                saved->nulls |= std::uint64_t{s.null} << i;
            }
        };
        switch (c.kind) {
#define STRATA_DETAIL_CASE(Name, V)                                                                                    \
    case ColumnKind::Name: bind(planned_member<T, V>(object, c)); break;                                               \
    case ColumnKind::Optional##Name: bind(planned_member<T, std::optional<V>>(object, c)); break;
            STRATA_DETAIL_HOT_TYPES(STRATA_DETAIL_CASE)
#undef STRATA_DETAIL_CASE
        default:
            bind_other_column(object, c, sink, first);
            if (saved) {
                const SavedColumn s = save_other_column(object, c, saved->store, 0);
                saved->words[i] = s.word;
                saved->nulls |= std::uint64_t{s.null} << i;
            }
        }
    }
    return first;
}

// Starts fetching the text that binding `columns` of the object (a T) will
// read: a flush's next row, while the database writes this one. A new
// object's text was allocated by the program long before the flush, and
// waiting on it, row after row, was a sixth of W4 insert's time over the
// raw side's. Only a hint: nothing is read but the members' pointers.
// `columns`: text columns only (ColumnKind Text or OptionalText).
template <class T>
STRATA_DETAIL_FLATTEN void prefetch_planned_text(const PlannedColumn* plan, std::uint64_t columns, const void* obj) {
    const T& object = *static_cast<const T*>(obj);
    for (; columns; columns &= columns - 1) {
        const PlannedColumn& c = plan[std::countr_zero(columns)];
        if (c.kind == ColumnKind::Text) {
            STRATA_DETAIL_PREFETCH(planned_member<T, std::string>(object, c).data());
        } else {
            if (const auto& field = planned_member<T, std::optional<std::string>>(object, c))
                STRATA_DETAIL_PREFETCH(field->data());
        }
    }
}

// What first_record_to_check knows of the objects of one chunk whose
// columns it compares: each one's object and saved words.
template <class T>
struct CheckedChunk {
    static constexpr std::size_t kSize = 16;  // a chunk's records and objects stay in L1 between the columns
    const T* objects[kSize];
    const std::uint64_t* words[kSize];
    std::uint64_t nulls[kSize];
    std::size_t size = 0;
};

// The objects of `chunk` whose column i (plan entry c) no longer holds its
// saved value, as bits: the column's kind looked at once for the chunk,
// not once per object.
template <class T>
STRATA_DETAIL_INLINE std::uint32_t changed_in_chunk(const CheckedChunk<T>& chunk, const PlannedColumn& c, std::size_t i) {
    std::uint32_t changed = 0;
    auto each = [&]<class M>() {
        for (std::size_t j = 0; j < chunk.size; ++j) {
            const SavedColumn saved{chunk.words[j][i], ((chunk.nulls[j] >> i) & 1) != 0};
            changed |= std::uint32_t{!FieldColumn<M>::unchanged(planned_member<T, M>(*chunk.objects[j], c), saved)} << j;
        }
    };
    switch (c.kind) {
#define STRATA_DETAIL_CASE(Name, V)                                                                                    \
    case ColumnKind::Name: each.template operator()<V>(); break;                                                       \
    case ColumnKind::Optional##Name: each.template operator()<std::optional<V>>(); break;
        STRATA_DETAIL_HOT_TYPES(STRATA_DETAIL_CASE)
#undef STRATA_DETAIL_CASE
    default:
        for (std::size_t j = 0; j < chunk.size; ++j) {
            const SavedColumn saved{chunk.words[j][i], ((chunk.nulls[j] >> i) & 1) != 0};
            changed |= std::uint32_t{!other_column_unchanged(*chunk.objects[j], c, saved)} << j;
        }
    }
    return changed;
}

// The first of `records` that is not plainly unchanged: a loaded object of
// `mapper` (persistent, its saved values valid, not rolled back) whose
// members all hold their saved values and whose relationship members hold
// nothing a flush may have to write (no collection has its changes
// allocated, no reference is assigned: `members`, the model's); `count`
// when every one is. The check a stream's batch passes before it goes
// (SessionImpl::batch_can_go), inline for the model's class: no call per
// object or per column. The objects go by chunks of 16, column by column
// (a switch per column and chunk, not per column and object). Any other
// object goes to the exact per-object check.
template <class T>
STRATA_DETAIL_FLATTEN std::size_t first_record_to_check(const PlannedColumn* plan, std::size_t n, const Mapper* mapper,
                                                        const RelationshipOffsets& members, RecordBase* const* records,
                                                        std::size_t count) {
    // Held here, not read through `members` per object (the chunk's stores may alias it, for all the compiler knows).
    const std::span<const std::ptrdiff_t> collections = members.collections, references = members.references;
    const OffsetRun collection_run = members.collection_run, reference_run = members.reference_run;
    const bool runs = members.covered();
    CheckedChunk<T> chunk;
    for (std::size_t first = 0; first < count; first += chunk.kSize) {
        // The chunk's objects up to the first that is not a plain loaded
        // one: only theirs are compared (another's saved words may not exist).
        const std::size_t size = std::min(chunk.kSize, count - first);
        for (chunk.size = 0; chunk.size < size; ++chunk.size) {
            const RecordBase& r = *records[first + chunk.size];
            if (r.mapper != mapper || r.state != RecordState::Persistent || !r.snapshot.valid || r.rolled_back) break;
            if (runs ? may_hold_unwritten_change(r.object, collection_run, reference_run)
                     : may_hold_unwritten_change(r.object, collections, references))
                break;
            chunk.objects[chunk.size] = static_cast<const T*>(r.object);
            chunk.words[chunk.size] = r.snapshot.words();
            chunk.nulls[chunk.size] = r.snapshot.nulls;
        }
        std::uint32_t changed = 0;
        for (std::size_t i = 0; i < n; ++i) changed |= changed_in_chunk(chunk, plan[i], i);
        if (changed) return first + static_cast<std::size_t>(std::countr_zero(changed));
        if (chunk.size < size) return first + chunk.size;
    }
    return count;
}

// A model's plan loops, compiled for its class.
struct ColumnLoops {
    void (*reread)(const RowPlan&, RecordBase&, const Statement&, int, Store&) = nullptr;
    std::uint64_t (*changed)(const PlannedColumn*, std::size_t, const void*, const std::uint64_t*, std::uint64_t) = nullptr;
    std::uint64_t (*save)(const PlannedColumn*, std::size_t, const void*, Store&, std::uint64_t*, std::uint64_t) = nullptr;
    int (*bind)(const PlannedColumn*, std::uint64_t, const void*, ValueSink&, int, std::size_t&, SavedWords*) = nullptr;
    std::size_t (*first_to_check)(const PlannedColumn*, std::size_t, const Mapper*, const RelationshipOffsets&,
                                  RecordBase* const*, std::size_t) = nullptr;
    RecordBase* (*build_loaded)(const RowPlan&, void*, Store&, const Statement&, int, const std::int64_t*) = nullptr;
    bool (*default_init_suffices)(const PlannedColumn*, std::size_t, const RelationshipSlot*, std::size_t) = nullptr;
    void (*prefetch_text)(const PlannedColumn*, std::uint64_t, const void*) = nullptr;
};

template <class T>
ColumnLoops column_loops_of() {
    return {&reread_record<T>,           &changed_planned_columns<T>, &save_planned_columns<T>, &bind_planned_columns<T>,
            &first_record_to_check<T>,    &build_loaded_record<T>,      &default_init_suffices<T>,
            &prefetch_planned_text<T>};
}

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

// Destroys records of one model (a T) built in a store's memory, from the
// first of `records` up to the first that is not one (another model's, or
// not in_arena); returns how many it destroyed. A session's end (and a
// stream's batch) destroys every record: one loop compiled for the model,
// its destructor inline, where a virtual call per record was one more
// indirect jump and a reload of the loop's state for each.
//
// The records are read here long after they were built, each several cache
// lines (a microblog user five), so the loop waits on memory more than it
// computes: the lines of the record kAhead places on are asked for while
// this one is destroyed. W2's 100,000 users: this loop's share of the wall
// time fell from about 8% to about 5% (perf), for 9 instructions a record.
template <class T>
std::size_t destroy_model_records(const Mapper* mapper, RecordBase* const* records, std::size_t n) {
    constexpr std::size_t kAhead = 4;
    std::size_t i = 0;
    for (; i < n; ++i) {
        RecordBase* r = records[i];
        if (i + kAhead < n) {
            const auto* ahead = reinterpret_cast<const char*>(records[i + kAhead]);
            for (std::size_t at = 0; at < sizeof(Record<T>); at += 64) STRATA_DETAIL_PREFETCH(ahead + at);
            STRATA_DETAIL_PREFETCH(ahead + sizeof(Record<T>) - 1);  // the last line, when the record starts mid-line
        }
        if (r->mapper != mapper || !r->in_arena) break;
        static_cast<Record<T>*>(r)->~Record<T>();  // final: no virtual call
    }
    return i;
}

// How the ORM builds a record of a model in memory it provides (a session's
// store), and destroys such records (a record whose mapper is the model's is
// a Record<T>: built by `construct`, or by Session::add for a T).
struct RecordFactory {
    RecordBase* (*construct)(void* at) = nullptr;
    std::size_t size = 0;
    std::size_t align = 0;
    std::size_t (*destroy)(const Mapper*, RecordBase* const*, std::size_t) = nullptr;
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
STRATA_API void declare_column_loops(RegistryImpl& r, std::size_t model, ColumnLoops loops);
STRATA_API void declare_repr(RegistryImpl& r, std::size_t model, std::function<std::string(const void*)> repr);

}  // namespace detail

}  // namespace strata
