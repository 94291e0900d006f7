// strata/detail/column_traits.hpp — how each C++ member type is read, bound and compared: not API.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "strata/export.hpp"
#include "strata/detail/compiler.hpp"
#include "strata/column_type.hpp"
#include "strata/connection.hpp"
#include "strata/types.hpp"
#include "strata/value.hpp"

namespace strata {

namespace detail {

class Store;

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

// The `N` bytes at p as a number, the first byte lowest, on any machine.
template <class U>
STRATA_DETAIL_INLINE U load_little_endian(const unsigned char* p) {
    U v;
    std::memcpy(&v, p, sizeof v);
    if constexpr (std::endian::native == std::endian::big) {
        U swapped = 0;
        for (std::size_t i = 0; i < sizeof v; ++i) swapped |= static_cast<U>((v >> (8 * i)) & 0xff) << (8 * (sizeof v - 1 - i));
        return swapped;
    }
    return v;
}

// Up to 8 bytes as one number, the first byte lowest (0 for none): two
// overlapping 4-byte loads, or three of one byte, each within the bytes
// (a memcpy of a variable size was a call per text compared).
STRATA_DETAIL_INLINE std::uint64_t small_bytes_word(const void* data, std::size_t size) {
    const auto* p = static_cast<const unsigned char*>(data);
    if (size >= 4) {
        const std::uint64_t low = load_little_endian<std::uint32_t>(p);
        const std::uint64_t high = load_little_endian<std::uint32_t>(p + size - 4);
        return low | (high << (8 * (size - 4)));  // the overlap holds the same bytes in both
    }
    if (size == 0) return 0;
    return std::uint64_t{p[0]} | (std::uint64_t{p[size / 2]} << (8 * (size / 2))) |
           (std::uint64_t{p[size - 1]} << (8 * (size - 1)));
}

STRATA_DETAIL_INLINE std::uint64_t inline_saved_word(const void* data, std::size_t size) {
    return (small_bytes_word(data, size) << 8) | (std::uint64_t{size} << 1) | 1;
}

// The 8 bytes at a and b XORed: 0 when they are the same.
STRATA_DETAIL_INLINE std::uint64_t differ8(const unsigned char* a, const unsigned char* b) {
    std::uint64_t x, y;
    std::memcpy(&x, a, 8);
    std::memcpy(&y, b, 8);
    return x ^ y;
}

// True when the `size` bytes at a and b are the same. Up to 32 are
// compared inline, as two or four overlapping 8-byte words ORed and tested
// once (the last ones overlapping the ones before: every load stays within
// the bytes; a loop with a test per word cost a third more per text);
// longer ones by memcmp.
STRATA_DETAIL_INLINE bool equal_bytes(const unsigned char* a, const unsigned char* b, std::size_t size) {
    if (size <= 8) return small_bytes_word(a, size) == small_bytes_word(b, size);
    if (size <= 16) return (differ8(a, b) | differ8(a + size - 8, b + size - 8)) == 0;
    if (size <= 32)
        return (differ8(a, b) | differ8(a + 8, b + 8) | differ8(a + size - 16, b + size - 16) |
                differ8(a + size - 8, b + size - 8)) == 0;
    return std::memcmp(a, b, size) == 0;
}

// True when `saved` (from save_bytes) holds exactly these bytes.
STRATA_DETAIL_INLINE bool same_bytes(std::uint64_t saved, const void* data, std::size_t size) {
    if (saved & 1) return size <= kInlineSavedBytes && saved == inline_saved_word(data, size);
    const auto* at = reinterpret_cast<const unsigned char*>(static_cast<std::uintptr_t>(saved));
    std::uint32_t saved_size;
    std::memcpy(&saved_size, at, sizeof saved_size);
    return saved_size == size && equal_bytes(at + sizeof saved_size, static_cast<const unsigned char*>(data), size);
}

[[noreturn]] STRATA_API void throw_value_type(const char* cpp_type, const Value& v);

template <class V, class = void>
struct column_traits {
    static constexpr bool mappable = false;
};

template <class V>
struct column_traits<V, std::enable_if_t<is_number_integer_v<V>>> {
    static constexpr bool mappable = true;
    static constexpr const char* name = "an integer";
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
    static constexpr bool accepts(TypeKind k) {
        return k == TypeKind::String || k == TypeKind::Text || k == TypeKind::Enum || k == TypeKind::Json;
    }
    static void read(std::string& out, const Statement& st, int col) { assign(out, st.get_text(col)); }
    static std::string_view bytes(const std::string& v) { return v; }
    // read(), saving the driver's copy: reading back bytes just written to
    // the member stalls the CPU until the write lands.
    STRATA_DETAIL_INLINE static std::uint64_t read_saved(std::string& out, const Statement& st, int col, Store& store, std::uint64_t previous) {
        const std::string_view text = st.get_text(col);
        assign(out, text);
        return save_bytes(store, previous, text.data(), text.size());
    }
    // An empty member (a new object's, every column of a loaded row) is
    // built again in place (rebuild): the string's own constructor, half
    // the instructions of clearing it and appending. Text too long for any
    // other member's room goes to a string built aside and moved in, so
    // that the member keeps its value if the allocation fails. assign()
    // would go through the general replace-and-grow path, a third of the
    // cost of reading the column. Text that fits is appended to the cleared
    // member: assign() goes through replace(), which also handles text
    // inside the member itself (never the case here: the text is the
    // driver's) at twice the cost.
    STRATA_DETAIL_INLINE static void assign(std::string& out, std::string_view text) {
        if (out.empty()) {
            rebuild(out, text);
        } else if (text.size() > out.capacity()) {
            out = std::string(text);
        } else {
            out.clear();
            out.append(text);
        }
    }
    // An empty string rebuilt holding `text`: destroyed and constructed again
    // where it is, through the string's own constructor. Building a temporary
    // and moving it in cost 45 instructions more per long text (a loaded
    // e-mail address). If the allocation throws, the member is built again
    // empty, as it was: it stays a live string for its owner to destroy.
    static void rebuild(std::string& out, std::string_view text) {
        std::destroy_at(&out);
        try {
            std::construct_at(&out, text.data(), text.size());
        } catch (...) {
            std::construct_at(&out);
            throw;
        }
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
    static void read(DateTime& out, const Statement& st, int col) { out = st.get_datetime(col); }
    static std::uint64_t word(DateTime v) { return static_cast<std::uint64_t>(v.time_since_epoch().count()); }
};

template <>
struct column_traits<Date> : exact_traits<Date, TypeKind::Date> {
    static constexpr const char* name = "strata::Date";
    static void read(Date& out, const Statement& st, int col) { out = st.get_date(col); }
    static std::uint64_t word(Date v) { return static_cast<std::uint64_t>(v.time_since_epoch().count()); }
};

template <>
struct column_traits<Time> : exact_traits<Time, TypeKind::Time> {
    static constexpr const char* name = "strata::Time";
    static void read(Time& out, const Statement& st, int col) { out = st.get_time(col); }
    static std::uint64_t word(Time v) { return static_cast<std::uint64_t>(v.since_midnight.count()); }
};

template <>
struct column_traits<Blob> : exact_traits<Blob, TypeKind::LargeBinary> {
    static constexpr const char* name = "strata::Blob";
    static constexpr bool accepts(TypeKind k) { return k == TypeKind::LargeBinary || k == TypeKind::Uuid; }
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
    static void read(Decimal& out, const Statement& st, int col) { out = st.get_decimal(col); }
    static std::string_view bytes(const Decimal& v) { return v.text; }
};

// A type the program maps through column_type<V> (strata/column_type.hpp):
// everything goes through its built-in stored type's traits. bytes() gives
// the stored value itself (text or bytes made on the fly), which byte_view()
// then reads.
template <class V>
struct column_traits<V, std::enable_if_t<custom_column_type<V>>> {
    using Custom = column_type<V>;
    using stored = typename Custom::stored;
    using Stored = column_traits<stored>;
    static constexpr bool mappable = Stored::mappable && !custom_column_type<stored>;
    static_assert(mappable, "strata: column_type<T>::stored must be a built-in column type (an integer, bool, double, "
                            "std::string, strata::DateTime, Date, Time, Blob or Decimal)");
    static constexpr const char* name = Stored::name;
    static constexpr bool accepts(TypeKind k) { return Stored::accepts(k); }
    static void read(V& out, const Statement& st, int col) {
        stored s{};
        Stored::read(s, st, col);
        out = Custom::from_stored(std::move(s));
    }
    static std::uint64_t word(const V& v)
        requires requires(const stored& s) { Stored::word(s); }
    {
        return Stored::word(Custom::to_stored(v));
    }
    static stored bytes(const V& v)
        requires requires(const stored& s) { Stored::bytes(s); }
    {
        return Custom::to_stored(v);
    }
    static V from(const Value& v) { return Custom::from_stored(Stored::from(v)); }
};

// The bytes a column's bytes() gave, for save_bytes / same_bytes.
inline std::string_view byte_view(std::string_view v) { return v; }
inline std::string_view byte_view(const std::string& v) { return v; }
inline std::string_view byte_view(const Blob& v) { return column_traits<Blob>::bytes(v); }
inline std::string_view byte_view(const Decimal& v) { return v.text; }

// A member type column() maps. An unsigned 64-bit integer is not one: a
// value past INT64_MAX has no column type to go to on either backend.
template <class V>
inline constexpr bool mappable_member =
    column_traits<V>::mappable && !(std::is_integral_v<V> && std::is_unsigned_v<V> && sizeof(V) >= 8);

static_assert(sizeof(SavedColumn) == 2 * sizeof(std::uint64_t), "strata: a saved column is a word and a flag");

}  // namespace detail

}  // namespace strata
