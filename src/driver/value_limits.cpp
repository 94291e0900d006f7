#include "driver/value_limits.hpp"

namespace strata::limits {

namespace {

template <class T>
bool is_infinity(T v) {
    return v == T::min() || v == T::max();
}

std::string outside(const std::string& value, const char* what, const char* backend, const std::string& first,
                    const std::string& last) {
    return value + " is outside the " + what + " " + backend + " stores (" + first + " to " + last + ")";
}

}  // namespace

std::string temporal_out_of_range(const Value& v, const TemporalRange& r) {
    if (v.is<DateTime>()) {
        const DateTime t = v.as<DateTime>();
        if ((t >= r.first_datetime && t <= r.last_datetime) || (r.infinities && is_infinity(t))) return {};
        return outside(format_datetime(t), "timestamps", r.backend, format_datetime(r.first_datetime),
                       format_datetime(r.last_datetime));
    }
    if (v.is<Date>()) {
        const Date d = v.as<Date>();
        if ((d >= r.first_date && d <= r.last_date) || (r.infinities && is_infinity(d))) return {};
        return outside(format_date(d), "dates", r.backend, format_date(r.first_date), format_date(r.last_date));
    }
    if (v.is<Time>()) {
        const auto t = v.as<Time>().since_midnight;
        if (t.count() >= 0 && t <= r.last_time.since_midnight) return {};
        return std::to_string(t.count()) + " µs since midnight is outside the times " + r.backend + " stores (00:00:00 to " +
               format_time(r.last_time) + ")";
    }
    return {};
}

std::size_t bytes_of(const Value& v) {
    if (v.is<std::string>()) return v.as<std::string>().size();
    if (v.is<Blob>()) return v.as<Blob>().bytes.size();
    if (v.is<Decimal>()) return v.as<Decimal>().text.size();
    return 0;
}

std::string too_large(std::string_view what, std::size_t size, std::size_t limit, const char* backend) {
    return std::string(what) + " of " + std::to_string(size) + " bytes is more than " + backend + " takes in one value (" +
           std::to_string(limit) + " bytes)";
}

}  // namespace strata::limits
