// src/migrate/timeouts.cpp — durations as users write them.
#include "migrate/timeouts.hpp"

#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>

namespace strata::migrate {

namespace {

// Milliseconds per unit, or 0 for an unknown one.
double unit_ms(std::string_view unit) {
    if (unit == "ms") return 1;
    if (unit == "s") return 1000;
    if (unit == "m" || unit == "min") return 60'000;
    if (unit == "h") return 3'600'000;
    return 0;
}

}  // namespace

std::string parse_duration(std::string_view text, std::chrono::milliseconds& out) {
    const std::string_view expected = "expected a number and a unit (ms, s, min, h), e.g. 500ms, 2s, 10m";
    double number = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc{} || text.empty() || text[0] == '-' || text[0] == '+' || !std::isfinite(number))
        return "'" + std::string(text) + "' is not a duration: " + std::string(expected);
    const std::string_view unit = text.substr(static_cast<std::size_t>(end - text.data()));
    const double per = unit_ms(unit);
    if (per == 0)
        return "'" + std::string(text) + "' has " + (unit.empty() ? std::string("no unit") : "an unknown unit '" + std::string(unit) + "'") +
               ": " + std::string(expected);
    const double ms = std::round(number * per);
    if (ms > INT_MAX) return "'" + std::string(text) + "' is longer than PostgreSQL allows (2147483647 ms, about 24 days)";
    out = std::chrono::milliseconds(static_cast<std::int64_t>(ms));
    return {};
}

std::string format_duration(std::chrono::milliseconds d) {
    const auto ms = d.count();
    if (ms < 1000) return std::to_string(ms) + " ms";
    if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + " min";
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
    char text[32];
    std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(ms) / 1000.0);
    return text;
}

}  // namespace strata::migrate
