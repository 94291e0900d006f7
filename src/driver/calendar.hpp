// Day counts <-> proleptic Gregorian dates for every value strata::Date and
// strata::DateTime can hold (std::chrono::year_month_day stops at ±32767, and
// splitting the far ends of DateTime into days would overflow).
//
// Years are astronomical: year 0 is 1 BC, year -1 is 2 BC (ISO 8601, and
// what std::chrono uses). The algorithms are Howard Hinnant's
// (http://howardhinnant.github.io/date_algorithms.html), written so that no
// intermediate overflows for any 64-bit day count.
#pragma once

#include <cstddef>
#include <cstdint>

#include "strata/types.hpp"

namespace strata::calendar {

struct CivilDate {
    std::int64_t year;
    unsigned month;  // 1..12
    unsigned day;    // 1..31
};

// Division rounding towards minus infinity.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    const std::int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Days since 1970-01-01 of y-m-d, for the constants of the backends' ranges
// and tests: |y| must stay well inside the years civil_from_days gives
// (±2.5e16), where the intermediate sums would overflow.
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = floor_div(y, 400);
    const auto yoe = static_cast<std::int64_t>(y - era * 400);                              // [0, 399]
    const std::int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;              // [0, 365]
    const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                       // [0, 146096]
    return era * 146097 + doe - 719468;
}

// The date of a day count; total over std::int64_t.
constexpr CivilDate civil_from_days(std::int64_t z) {
    // z + 719468 split into whole 400-year eras without forming the sum or
    // era * 146097 (either overflows at the ends of the range).
    const std::int64_t rest = z % 146097 + 719468;                                // [573372, 865564]
    const std::int64_t era = z / 146097 + rest / 146097;
    const std::int64_t doe = rest % 146097;                                       // [0, 146096]
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);             // [0, 365]
    const std::int64_t mp = (5 * doy + 2) / 153;                                  // [0, 11]
    const auto d = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
    const auto m = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
    return {yoe + era * 400 + (m <= 2), m, d};
}

inline constexpr std::int64_t kMicrosPerDay = 86'400'000'000;

// A DateTime as whole days since 1970 and microseconds into that day
// ([0, kMicrosPerDay)), for every value including DateTime::min().
struct DayAndTime {
    std::int64_t days;
    std::int64_t micros;
};

constexpr DayAndTime split(DateTime t) {
    const std::int64_t us = t.time_since_epoch().count();
    std::int64_t days = us / kMicrosPerDay;  // truncating: days * kMicrosPerDay cannot overflow
    std::int64_t micros = us % kMicrosPerDay;
    if (micros < 0) {
        micros += kMicrosPerDay;
        --days;
    }
    return {days, micros};
}

// The length of format_datetime's text ("YYYY-MM-DD HH:MM:SS.ffffff").
inline constexpr std::size_t kDateTimeTextSize = 26;

}  // namespace strata::calendar

namespace strata {

// format_datetime's text of t into `out` without allocating, for years 0 to
// 9999 (every value a SQLite row holds); false (out untouched) for others.
bool format_datetime_text(DateTime t, char (&out)[calendar::kDateTimeTextSize]);

}  // namespace strata
