// What a backend can store, checked by its driver before a value is sent.
//
// A date or time outside the backend's range would be stored as another value
// (a wrapped day count, an unreadable year) or refused only on some paths, and
// text or bytes beyond the backend's size limit would lose the connection: both
// are refused up front with an error that names the parameter and the limit.
// The ORM adds the column's name (src/orm/flush.cpp).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "strata/types.hpp"
#include "strata/value.hpp"

namespace strata::limits {

// SQLSTATE datetime_field_overflow: the code() of a refused date or time on
// every backend (SQLite has no code of its own for it).
inline constexpr const char* kDateTimeOverflow = "22008";

struct TemporalRange {
    const char* backend;  // for messages: "SQLite", "PostgreSQL"
    Date first_date, last_date;
    DateTime first_datetime, last_datetime;
    Time last_time;    // the first is always 00:00:00
    bool infinities;   // min() and max() of Date and DateTime stand for -infinity / infinity
};

// Empty if the date or time v is within r; else why not, e.g.
// "10000-01-01 is outside the dates SQLite stores (0001-01-01 to 9999-12-31)".
std::string temporal_out_of_range(const Value& v, const TemporalRange& r);

// The same for any value (empty for all but dates and times); inline, since
// drivers call it for every value they bind.
inline std::string out_of_range(const Value& v, const TemporalRange& r) {
    if (!v.is<DateTime>() && !v.is<Date>() && !v.is<Time>()) return {};
    return temporal_out_of_range(v, r);
}

// Bytes a text, blob or decimal value sends (0 for the others).
std::size_t bytes_of(const Value& v);

// "text of 1073741824 bytes is more than PostgreSQL takes in one value (1073741819 bytes)".
std::string too_large(std::string_view what, std::size_t size, std::size_t limit, const char* backend);

}  // namespace strata::limits
