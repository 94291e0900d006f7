// strata/column_type.hpp — column_type<T>: how a member's C++ type maps to a column.
//
// Every member type that Registry::model<T>().column() maps goes through
// column_type<T>. strata's own value types are specialised here (integers,
// bool, float and double, std::string, DateTime, Date, Time, Blob, Decimal:
// each gives the SQL type a column gets when column() names none). A program
// maps a type of its own by specialising column_type for it, naming one of
// those built-in types as the form it is stored in:
//
//   struct UserId { std::int64_t value = 0; };            // a strong id type
//   template <>
//   struct strata::column_type<UserId> {
//       using stored = std::int64_t;                       // a built-in type
//       static strata::SqlType sql_type() { return strata::BigInteger(); }
//       static std::int64_t to_stored(UserId id) { return id.value; }
//       static UserId from_stored(std::int64_t v) { return UserId{v}; }
//   };
//
//   enum class Role { admin, member };                     // stored as its name
//   template <>
//   struct strata::column_type<Role> : strata::enum_column<Role> {
//       static constexpr std::pair<Role, std::string_view> names[] = {{Role::admin, "admin"},
//                                                                     {Role::member, "member"}};
//   };
//
// Such a member is read, written, compared in where() (col(&User::role) ==
// Role::admin) and change-tracked through its stored form: a flush writes the
// column when to_stored() of the member differs from what was last loaded or
// written, compared exactly. So to_stored() must depend on the value alone,
// and from_stored(to_stored(v)) must give v back. An integer-stored member
// that is 0 is an unassigned key, as an integer member is (autoincrement).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include "strata/types.hpp"
#include "strata/value.hpp"

namespace strata {

namespace detail {
// A C++ integer that is a number (bool is integral too, but maps to BOOLEAN).
template <class T>
inline constexpr bool is_number_integer_v = std::is_integral_v<T> && !std::is_same_v<T, bool>;
}  // namespace detail

// Not specialised: not a column type (column() says so at compile time).
template <class T, class = void>
struct column_type {};

template <class T>
struct column_type<T, std::enable_if_t<detail::is_number_integer_v<T>>> {
    static SqlType sql_type() {
        if (sizeof(T) <= 2) return SmallInteger();
        return Integer();
    }
};
template <>
struct column_type<bool> {
    static SqlType sql_type() { return Boolean(); }
};
template <class T>
struct column_type<T, std::enable_if_t<std::is_floating_point_v<T>>> {
    static SqlType sql_type() { return Float(); }
};
template <>
struct column_type<std::string> {
    static SqlType sql_type() { return String(); }
};
template <>
struct column_type<DateTime> {
    static SqlType sql_type() { return DateTimeType(); }
};
template <>
struct column_type<Date> {
    static SqlType sql_type() { return DateType(); }
};
template <>
struct column_type<Time> {
    static SqlType sql_type() { return TimeType(); }
};
template <>
struct column_type<Blob> {
    static SqlType sql_type() { return LargeBinary(); }
};
template <>
struct column_type<Decimal> {
    static SqlType sql_type() { return Numeric(); }
};

// A type mapped by the program, through a built-in `stored` type.
template <class T>
concept custom_column_type = requires { typename column_type<T>::stored; };

namespace detail {
[[noreturn]] STRATA_API void throw_enum_value(const std::type_info& type, long long value);
[[noreturn]] STRATA_API void throw_enum_name(const std::type_info& type, std::string_view name);

// A member's value as a bound parameter.
template <class T>
Value column_value(const T& v) {
    if constexpr (custom_column_type<T>) {
        return Value(column_type<T>::to_stored(v));
    } else {
        return Value(v);
    }
}
}  // namespace detail

// column_type<E> for an enum stored as its name: an Enum column (VARCHAR
// with a CHECK constraint on SQLite, a native ENUM type on PostgreSQL, named
// after the column unless column() declares strata::Enum({...}, "name")).
// Derive column_type<E> from it and list `names`, as above. A value without
// a name, or a name read from the database that is not listed, is a
// strata::Error naming the enum type.
template <class E>
struct enum_column {
    using stored = std::string;
    static SqlType sql_type() {
        std::vector<std::string> values;
        for (const auto& [value, name] : column_type<E>::names) values.emplace_back(name);
        return Enum(std::move(values));
    }
    static std::string to_stored(E e) {
        for (const auto& [value, name] : column_type<E>::names)
            if (value == e) return std::string(name);
        detail::throw_enum_value(typeid(E), static_cast<long long>(static_cast<std::underlying_type_t<E>>(e)));
    }
    static E from_stored(const std::string& text) {
        for (const auto& [value, name] : column_type<E>::names)
            if (name == text) return value;
        detail::throw_enum_name(typeid(E), text);
    }
};

}  // namespace strata
