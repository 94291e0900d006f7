// strata/value.hpp — one bound parameter or one read column, of any type.
//
// Value is what crosses from the sql/orm layers into a driver's bind calls.
// The read path does not use it: drivers expose typed column getters so that
// loading rows does not allocate per scalar column.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>

#include "strata/export.hpp"
#include "strata/types.hpp"

namespace strata {

struct Null {
    friend bool operator==(Null, Null) { return true; }
};
inline constexpr Null null{};

class STRATA_API Value {
public:
    using Storage = std::variant<Null, bool, std::int64_t, double, std::string, Blob, DateTime, Date, Time, Decimal>;

    Value() = default;
    Value(Null) {}
    Value(bool v) : v_(v) {}
    Value(int v) : v_(std::int64_t{v}) {}
    Value(long v) : v_(std::int64_t{v}) {}
    Value(long long v) : v_(std::int64_t{v}) {}
    Value(unsigned v) : v_(std::int64_t{v}) {}
    Value(short v) : v_(std::int64_t{v}) {}
    Value(double v) : v_(v) {}
    Value(float v) : v_(double{v}) {}
    Value(std::string v) : v_(std::move(v)) {}
    Value(std::string_view v) : v_(std::string(v)) {}
    Value(const char* v) : v_(std::string(v)) {}
    Value(Blob v) : v_(std::move(v)) {}
    Value(DateTime v) : v_(v) {}
    Value(Date v) : v_(v) {}
    Value(Time v) : v_(v) {}
    Value(Decimal v) : v_(std::move(v)) {}
    template <class T>
    Value(const std::optional<T>& v) {
        if (v) *this = Value(*v);
    }

    bool is_null() const { return std::holds_alternative<Null>(v_); }
    template <class T>
    bool is() const { return std::holds_alternative<T>(v_); }
    template <class T>
    const T& as() const { return std::get<T>(v_); }
    const Storage& storage() const { return v_; }

    // For logs (STRATA_ECHO) and offline SQL comments: 'text', 42, NULL, X'00ff'.
    std::string to_display() const;

    friend bool operator==(const Value&, const Value&) = default;

private:
    Storage v_;
};

}  // namespace strata
