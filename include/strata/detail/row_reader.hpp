// Reading result rows into std::tuple<...> or a plain struct of column
// types, each value checked against the type asked for (Session::execute<R>).
// Internal: included by session.hpp.
#pragma once

#include <cstddef>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "strata/connection.hpp"
#include "strata/registry.hpp"

namespace strata::detail {

template <class T>
struct is_tuple : std::false_type {};
template <class... E>
struct is_tuple<std::tuple<E...>> : std::true_type {};

// Converts to anything: counts an aggregate's fields (unevaluated only).
struct any_field {
    template <class T>
    operator T() const;
};

template <class T, class... A>
constexpr std::size_t field_count() {
    if constexpr (requires { T{std::declval<A>()..., any_field{}}; }) return field_count<T, A..., any_field>();
    else return sizeof...(A);
}

constexpr std::size_t kMostRowFields = 16;

// The types of an aggregate's N fields, as std::tuple (void past kMostRowFields).
template <std::size_t N, class T>
auto field_types_of(T& object) {
    if constexpr (N == 1) {
        auto& [f0] = object;
        return std::type_identity<std::tuple<std::remove_cvref_t<decltype(f0)>>>{};
    } else if constexpr (N == 2) {
        auto& [f0, f1] = object;
        return std::type_identity<std::tuple<std::remove_cvref_t<decltype(f0)>, std::remove_cvref_t<decltype(f1)>>>{};
    } else if constexpr (N == 3) {
        auto& [f0, f1, f2] = object;
        return std::type_identity<std::tuple<std::remove_cvref_t<decltype(f0)>, std::remove_cvref_t<decltype(f1)>, std::remove_cvref_t<decltype(f2)>>>{};
    } else if constexpr (N == 4) {
        auto& [f0, f1, f2, f3] = object;
        return std::type_identity<std::tuple<std::remove_cvref_t<decltype(f0)>, std::remove_cvref_t<decltype(f1)>, std::remove_cvref_t<decltype(f2)>, std::remove_cvref_t<decltype(f3)>>>{};
    } else if constexpr (N == 5) {
        auto& [f0, f1, f2, f3, f4] = object;
        return std::type_identity<std::tuple<std::remove_cvref_t<decltype(f0)>, std::remove_cvref_t<decltype(f1)>, std::remove_cvref_t<decltype(f2)>, std::remove_cvref_t<decltype(f3)>, std::remove_cvref_t<decltype(f4)>>>{};
    } else if constexpr (N == 6) {
        auto& [f0, f1, f2, f3, f4, f5] = object;
        return std::type_identity<std::tuple<std::remove_cvref_t<decltype(f0)>, std::remove_cvref_t<decltype(f1)>, std::remove_cvref_t<decltype(f2)>, std::remove_cvref_t<decltype(f3)>, std::remove_cvref_t<decltype(f4)>, std::remove_cvref_t<decltype(f5)>>>{};
    } else if constexpr (N == 7) {
        auto& [f0, f1, f2, f3, f4, f5, f6] = object;
        return std::type_identity<std::tuple<std::remove_cvref_t<decltype(f0)>, std::remove_cvref_t<decltype(f1)>, std::remove_cvref_t<decltype(f2)>, std::remove_cvref_t<decltype(f3)>, std::remove_cvref_t<decltype(f4)>, std::remove_cvref_t<decltype(f5)>, std::remove_cvref_t<decltype(f6)>>>{};
    } else if constexpr (N == 8) {
        auto& [f0, f1, f2, f3, f4, f5, f6, f7] = object;
        return std::type_identity<std::tuple<std::remove_cvref_t<decltype(f0)>, std::remove_cvref_t<decltype(f1)>, std::remove_cvref_t<decltype(f2)>, std::remove_cvref_t<decltype(f3)>, std::remove_cvref_t<decltype(f4)>, std::remove_cvref_t<decltype(f5)>, std::remove_cvref_t<decltype(f6)>, std::remove_cvref_t<decltype(f7)>>>{};
    } else if constexpr (N == 9) {
        auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8] = object;
        return std::type_identity<std::tuple<std::remove_cvref_t<decltype(f0)>, std::remove_cvref_t<decltype(f1)>, std::remove_cvref_t<decltype(f2)>, std::remove_cvref_t<decltype(f3)>, std::remove_cvref_t<decltype(f4)>, std::remove_cvref_t<decltype(f5)>, std::remove_cvref_t<decltype(f6)>, std::remove_cvref_t<decltype(f7)>, std::remove_cvref_t<decltype(f8)>>>{};
    } else if constexpr (N == 10) {
        auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9] = object;
        return std::type_identity<std::tuple<std::remove_cvref_t<decltype(f0)>, std::remove_cvref_t<decltype(f1)>, std::remove_cvref_t<decltype(f2)>, std::remove_cvref_t<decltype(f3)>, std::remove_cvref_t<decltype(f4)>, std::remove_cvref_t<decltype(f5)>, std::remove_cvref_t<decltype(f6)>, std::remove_cvref_t<decltype(f7)>, std::remove_cvref_t<decltype(f8)>, std::remove_cvref_t<decltype(f9)>>>{};
    } else if constexpr (N == 11) {
        auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10] = object;
        return std::type_identity<std::tuple<std::remove_cvref_t<decltype(f0)>, std::remove_cvref_t<decltype(f1)>, std::remove_cvref_t<decltype(f2)>, std::remove_cvref_t<decltype(f3)>, std::remove_cvref_t<decltype(f4)>, std::remove_cvref_t<decltype(f5)>, std::remove_cvref_t<decltype(f6)>, std::remove_cvref_t<decltype(f7)>, std::remove_cvref_t<decltype(f8)>, std::remove_cvref_t<decltype(f9)>, std::remove_cvref_t<decltype(f10)>>>{};
    } else if constexpr (N == 12) {
        auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11] = object;
        return std::type_identity<std::tuple<std::remove_cvref_t<decltype(f0)>, std::remove_cvref_t<decltype(f1)>, std::remove_cvref_t<decltype(f2)>, std::remove_cvref_t<decltype(f3)>, std::remove_cvref_t<decltype(f4)>, std::remove_cvref_t<decltype(f5)>, std::remove_cvref_t<decltype(f6)>, std::remove_cvref_t<decltype(f7)>, std::remove_cvref_t<decltype(f8)>, std::remove_cvref_t<decltype(f9)>, std::remove_cvref_t<decltype(f10)>, std::remove_cvref_t<decltype(f11)>>>{};
    } else if constexpr (N == 13) {
        auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12] = object;
        return std::type_identity<std::tuple<std::remove_cvref_t<decltype(f0)>, std::remove_cvref_t<decltype(f1)>, std::remove_cvref_t<decltype(f2)>, std::remove_cvref_t<decltype(f3)>, std::remove_cvref_t<decltype(f4)>, std::remove_cvref_t<decltype(f5)>, std::remove_cvref_t<decltype(f6)>, std::remove_cvref_t<decltype(f7)>, std::remove_cvref_t<decltype(f8)>, std::remove_cvref_t<decltype(f9)>, std::remove_cvref_t<decltype(f10)>, std::remove_cvref_t<decltype(f11)>, std::remove_cvref_t<decltype(f12)>>>{};
    } else if constexpr (N == 14) {
        auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13] = object;
        return std::type_identity<std::tuple<std::remove_cvref_t<decltype(f0)>, std::remove_cvref_t<decltype(f1)>, std::remove_cvref_t<decltype(f2)>, std::remove_cvref_t<decltype(f3)>, std::remove_cvref_t<decltype(f4)>, std::remove_cvref_t<decltype(f5)>, std::remove_cvref_t<decltype(f6)>, std::remove_cvref_t<decltype(f7)>, std::remove_cvref_t<decltype(f8)>, std::remove_cvref_t<decltype(f9)>, std::remove_cvref_t<decltype(f10)>, std::remove_cvref_t<decltype(f11)>, std::remove_cvref_t<decltype(f12)>, std::remove_cvref_t<decltype(f13)>>>{};
    } else if constexpr (N == 15) {
        auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14] = object;
        return std::type_identity<std::tuple<std::remove_cvref_t<decltype(f0)>, std::remove_cvref_t<decltype(f1)>, std::remove_cvref_t<decltype(f2)>, std::remove_cvref_t<decltype(f3)>, std::remove_cvref_t<decltype(f4)>, std::remove_cvref_t<decltype(f5)>, std::remove_cvref_t<decltype(f6)>, std::remove_cvref_t<decltype(f7)>, std::remove_cvref_t<decltype(f8)>, std::remove_cvref_t<decltype(f9)>, std::remove_cvref_t<decltype(f10)>, std::remove_cvref_t<decltype(f11)>, std::remove_cvref_t<decltype(f12)>, std::remove_cvref_t<decltype(f13)>, std::remove_cvref_t<decltype(f14)>>>{};
    } else if constexpr (N == 16) {
        auto& [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15] = object;
        return std::type_identity<std::tuple<std::remove_cvref_t<decltype(f0)>, std::remove_cvref_t<decltype(f1)>, std::remove_cvref_t<decltype(f2)>, std::remove_cvref_t<decltype(f3)>, std::remove_cvref_t<decltype(f4)>, std::remove_cvref_t<decltype(f5)>, std::remove_cvref_t<decltype(f6)>, std::remove_cvref_t<decltype(f7)>, std::remove_cvref_t<decltype(f8)>, std::remove_cvref_t<decltype(f9)>, std::remove_cvref_t<decltype(f10)>, std::remove_cvref_t<decltype(f11)>, std::remove_cvref_t<decltype(f12)>, std::remove_cvref_t<decltype(f13)>, std::remove_cvref_t<decltype(f14)>, std::remove_cvref_t<decltype(f15)>>>{};
    } else {
        return std::type_identity<void>{};
    }
}

template <class R>
struct row_types {
    using type = typename decltype(field_types_of<field_count<R>()>(std::declval<R&>()))::type;
};
template <class... E>
struct row_types<std::tuple<E...>> {
    using type = std::tuple<E...>;
};

template <class E>
inline constexpr bool readable_element = mappable_member<unwrap_optional_t<E>>;

template <class R>
constexpr bool valid_row_type() {
    if constexpr (is_tuple<R>::value) {
        return []<class... E>(std::type_identity<std::tuple<E...>>) {
            return sizeof...(E) > 0 && (readable_element<E> && ...);
        }(std::type_identity<R>{});
    } else if constexpr (std::is_class_v<R> && std::is_aggregate_v<R>) {
        using Types = typename row_types<R>::type;
        if constexpr (std::is_void_v<Types>) return false;
        else return valid_row_type<Types>();
    } else {
        return false;
    }
}

// Throws unless the result has `expected` columns.
STRATA_API void check_column_count(const Statement& st, std::size_t expected);
// Checks column `col` of the current row against an element of C++ type
// `cpp_type` (which accepts declared types `accepts`): false for NULL (an
// error unless the element is optional), true for a value it can read; else
// throws, naming the column.
STRATA_API bool check_column_value(const Statement& st, int col, const char* cpp_type, bool (*accepts)(TypeKind), bool optional);

template <class E>
void read_element(E& out, const Statement& st, int col) {
    using V = unwrap_optional_t<E>;
    using Traits = column_traits<V>;
    constexpr bool optional = unwrap_optional<E>::is_optional;
    if (!check_column_value(st, col, Traits::name, &Traits::accepts, optional)) {
        if constexpr (optional) out.reset();
        return;
    }
    if constexpr (optional) Traits::read(out.emplace(), st, col);
    else Traits::read(out, st, col);
}

template <class R, std::size_t... I>
R read_row(const Statement& st, std::index_sequence<I...>) {
    typename row_types<R>::type values;
    (read_element(std::get<I>(values), st, static_cast<int>(I)), ...);
    if constexpr (is_tuple<R>::value) return values;
    else return R{std::move(std::get<I>(values))...};
}

template <class R>
std::vector<R> read_rows(Statement& st) {
    constexpr std::size_t n = std::tuple_size_v<typename row_types<R>::type>;
    check_column_count(st, n);
    std::vector<R> rows;
    while (st.step()) rows.push_back(read_row<R>(st, std::make_index_sequence<n>{}));
    return rows;
}

}  // namespace strata::detail
