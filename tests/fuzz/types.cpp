// libFuzzer target: the text forms of types and values (src/driver/types.cpp) and
// PostgreSQL's binary numeric. The first byte picks the parser, the rest is its input.
// Whatever parses must survive a round trip through its formatter unchanged: a value
// strata writes (a migration file's type, a SQLite date) must read back as itself.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "backend/postgresql/driver/codec.hpp"
#include "strata/error.hpp"
#include "strata/types.hpp"

namespace {

void require(bool ok) {
    if (!ok) __builtin_trap();
}

// Parses with `parse`; false when the text is refused (strata::Error), the expected outcome
// for most inputs. Only the first parse may refuse: re-reading what strata wrote may not.
template <class T, class Parse>
bool parsed(Parse parse, std::string_view text, T& out) {
    try {
        out = parse(text);
        return true;
    } catch (const strata::Error&) {
        return false;
    }
}

void type_name(std::string_view text) {
    strata::SqlType t;
    if (parsed(strata::parse_type, text, t)) require(strata::parse_type(t.to_string()) == t);
}

// An Enum built from NUL-separated values must be written as a type name that reads back.
void enum_values(std::string_view text) {
    std::vector<std::string> values;
    for (std::size_t start = 0;;) {
        auto nul = text.find('\0', start);
        values.emplace_back(text.substr(start, nul == std::string_view::npos ? std::string_view::npos : nul - start));
        if (nul == std::string_view::npos) break;
        start = nul + 1;
    }
    for (const auto& v : values)
        if (v.empty()) return;  // empty values are refused by design
    const strata::SqlType t = strata::Enum(values);
    require(strata::parse_type(t.to_string()) == t);
}

void datetime(std::string_view text) {
    strata::DateTime t;
    if (parsed(strata::parse_datetime, text, t)) require(strata::parse_datetime(strata::format_datetime(t)) == t);
}

void date(std::string_view text) {
    strata::Date d;
    if (parsed(strata::parse_date, text, d)) require(strata::parse_date(strata::format_date(d)) == d);
}

// A time of day is in [00:00, 24:00).
void time_of_day(std::string_view text) {
    strata::Time t;
    if (!parsed(strata::parse_time, text, t)) return;
    require(t.since_midnight >= std::chrono::microseconds{0} && t.since_midnight < std::chrono::hours{24});
    require(strata::parse_time(strata::format_time(t)) == t);
}

void pg_numeric(std::string_view bytes) {
    try {
        (void)strata::pg::decode_numeric(bytes.data(), static_cast<int>(bytes.size()));
    } catch (const strata::Error&) {
        // a short or truncated value is refused
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 6) {  // '0' .. '5' in the seed files
        case 0: type_name(text); break;
        case 1: enum_values(text); break;
        case 2: datetime(text); break;
        case 3: date(text); break;
        case 4: time_of_day(text); break;
        case 5: pg_numeric(text); break;
    }
    return 0;
}
