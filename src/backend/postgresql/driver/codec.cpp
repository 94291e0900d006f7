#include "backend/postgresql/driver/codec.hpp"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "driver/calendar.hpp"
#include "strata/error.hpp"

namespace strata::pg {

Wire wire_of(Oid oid) {
    switch (oid) {
        case kBool: return Wire::Bool;
        case kInt2: return Wire::Int2;
        case kInt4:
        case kOid: return Wire::Int4;
        case kInt8: return Wire::Int8;
        case kFloat4: return Wire::Float4;
        case kFloat8: return Wire::Float8;
        case kNumeric: return Wire::Numeric;
        case kText:
        case kVarchar:
        case kBpchar:
        case kName:
        case kChar:
        case kJson:
        case kXml:
        case kUnknown: return Wire::Text;
        case kBytea: return Wire::Bytea;
        case kTimestamp:
        case kTimestamptz: return Wire::Timestamp;
        case kDate: return Wire::Date;
        case kTime: return Wire::Time;
        case kUuid: return Wire::Uuid;
        case kJsonb: return Wire::Jsonb;
        default: return Wire::Unsupported;
    }
}

const char* wire_name(Wire w) {
    switch (w) {
        case Wire::Bool: return "boolean";
        case Wire::Int2: return "smallint";
        case Wire::Int4: return "integer";
        case Wire::Int8: return "bigint";
        case Wire::Float4: return "real";
        case Wire::Float8: return "double precision";
        case Wire::Numeric: return "numeric";
        case Wire::Text: return "text";
        case Wire::Bytea: return "bytea";
        case Wire::Timestamp: return "timestamp";
        case Wire::Date: return "date";
        case Wire::Time: return "time";
        case Wire::Uuid: return "uuid";
        case Wire::Jsonb: return "jsonb";
        case Wire::Unsupported: break;
    }
    return "unsupported type";
}

void append_i32(std::string& out, std::int32_t v) {
    const std::uint32_t be = __builtin_bswap32(static_cast<std::uint32_t>(v));
    out.append(reinterpret_cast<const char*>(&be), sizeof be);
}

void append_i64(std::string& out, std::int64_t v) {
    const std::uint64_t be = __builtin_bswap64(static_cast<std::uint64_t>(v));
    out.append(reinterpret_cast<const char*>(&be), sizeof be);
}

std::vector<std::int64_t> decode_int8_array(std::string_view bytes) {
    // Header: dimensions, has-nulls flag, element type; per dimension its
    // size and lower bound; then each element as a length and 8 bytes.
    auto bad = [&](const char* why) { return Error(std::string("PostgreSQL sent a bigint[] value ") + why); };
    if (bytes.size() < 12) throw bad("shorter than its header");
    const char* p = bytes.data();
    const std::int32_t dimensions = read_i32(p);
    if (read_i32(p + 8) != static_cast<std::int32_t>(kInt8)) throw bad("of another element type");
    if (dimensions == 0) return {};
    if (dimensions != 1 || bytes.size() < 20) throw bad("of more than one dimension");
    const std::int32_t count = read_i32(p + 12);
    if (count < 0 || bytes.size() != 20 + 12 * static_cast<std::size_t>(count)) throw bad("of the wrong length");
    std::vector<std::int64_t> out(static_cast<std::size_t>(count));
    for (std::size_t i = 0; i < out.size(); ++i) {
        const char* element = p + 20 + 12 * i;
        if (read_i32(element) != 8) throw bad("with a NULL element");
        out[i] = read_i64(element + 4);
    }
    return out;
}

DateTime decode_timestamp(const char* p) {
    const std::int64_t since_2000 = read_i64(p);
    if (since_2000 == INT64_MAX) return DateTime::max();  // infinity (DT_NOEND)
    if (since_2000 == INT64_MIN) return DateTime::min();  // -infinity (DT_NOBEGIN)
    if (ordinary_timestamp(since_2000)) return timestamp_from(since_2000);
    throw Error("a timestamp " + std::to_string(since_2000 / 86'400'000'000 / 365) +
                " years after 2000 is later than strata::DateTime holds (" + format_datetime(DateTime::max()) + ")");
}

Date decode_date(const char* p) {
    const std::int32_t since_2000 = read_i32(p);
    if (since_2000 == INT32_MAX) return Date::max();  // infinity (DATEVAL_NOEND)
    if (since_2000 == INT32_MIN) return Date::min();  // -infinity (DATEVAL_NOBEGIN)
    return Date{std::chrono::days{since_2000 + kPgEpochDays}};
}

Time decode_time(const char* p) { return Time{std::chrono::microseconds{read_i64(p)}}; }

double decode_float8(const char* p) { return std::bit_cast<double>(read_i64(p)); }

double decode_float4(const char* p) { return std::bit_cast<float>(read_i32(p)); }

namespace {

void append_group(std::string& out, int group, bool pad) {
    char buf[8];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, group);
    (void)ec;
    const auto len = static_cast<std::size_t>(end - buf);
    if (pad && len < 4) out.append(4 - len, '0');
    out.append(buf, len);
}

}  // namespace

std::string decode_numeric(const char* p, int length) {
    if (length < 8) throw Error("PostgreSQL sent a numeric value of " + std::to_string(length) + " bytes");
    const int ndigits = read_i16(p);
    const int weight = read_i16(p + 2);
    const auto sign = static_cast<std::uint16_t>(read_i16(p + 4));
    const int dscale = read_i16(p + 6);
    if (sign == 0xC000) return "NaN";
    if (sign == 0xD000) return "Infinity";
    if (sign == 0xF000) return "-Infinity";
    if (length < 8 + 2 * ndigits) throw Error("PostgreSQL sent a truncated numeric value");
    auto digit = [&](int i) { return (i >= 0 && i < ndigits) ? read_i16(p + 8 + 2 * i) : 0; };

    std::string out;
    if (sign == 0x4000) out += '-';
    // Digit i (base 10000) has value digit(i) * 10000^(weight - i).
    if (weight < 0) {
        out += '0';
    } else {
        for (int i = 0; i <= weight; ++i) append_group(out, digit(i), i > 0);
    }
    if (dscale > 0) {
        out += '.';
        std::string fraction;
        for (int i = weight + 1; static_cast<int>(fraction.size()) < dscale; ++i) append_group(fraction, digit(i), true);
        out.append(fraction, 0, static_cast<std::size_t>(dscale));
    }
    return out;
}

void encode_timestamp(std::string& out, DateTime t) {
    if (t == DateTime::max()) return append_i64(out, INT64_MAX);
    if (t == DateTime::min()) return append_i64(out, INT64_MIN);
    append_i64(out, t.time_since_epoch().count() - kPgEpochMicros);
}

void encode_date(std::string& out, Date d) {
    if (d == Date::max()) return append_i32(out, INT32_MAX);
    if (d == Date::min()) return append_i32(out, INT32_MIN);
    append_i32(out, static_cast<std::int32_t>(d.time_since_epoch().count() - kPgEpochDays));
}

namespace {

// `v` in decimal, zero-padded to `width` digits (more when it needs them).
// By hand, not snprintf: COPY writes a timestamp per row (W4 spent half its
// client time in snprintf).
void append_padded(std::string& out, std::uint64_t v, std::size_t width) {
    char digits[20];
    const char* end = std::to_chars(digits, digits + sizeof digits, v).ptr;
    const auto n = static_cast<std::size_t>(end - digits);
    if (n < width) out.append(width - n, '0');
    out.append(digits, n);
}

// "YYYY-MM-DD" with PostgreSQL's era: year 0 is "0001" BC, year -43 "0044"
// BC (its input takes an era, not a sign). Says whether the date is BC.
bool append_era_date(std::string& out, std::int64_t days) {
    const calendar::CivilDate c = calendar::civil_from_days(days);
    append_padded(out, static_cast<std::uint64_t>(c.year > 0 ? c.year : 1 - c.year), 4);
    out += '-';
    append_padded(out, c.month, 2);
    out += '-';
    append_padded(out, c.day, 2);
    return c.year <= 0;
}

}  // namespace

std::string timestamp_text(DateTime t) {
    if (t == DateTime::max()) return "infinity";
    if (t == DateTime::min()) return "-infinity";
    const auto [days, micros] = calendar::split(t);  // micros: 0 to a day's less one
    std::string out;
    out.reserve(32);
    const bool bc = append_era_date(out, days);
    const auto us = static_cast<std::uint64_t>(micros);
    out += ' ';
    append_padded(out, us / 3'600'000'000, 2);
    out += ':';
    append_padded(out, us / 60'000'000 % 60, 2);
    out += ':';
    append_padded(out, us / 1'000'000 % 60, 2);
    out += '.';
    append_padded(out, us % 1'000'000, 6);
    if (bc) out += " BC";
    return out;
}

std::string date_text(Date d) {
    if (d == Date::max()) return "infinity";
    if (d == Date::min()) return "-infinity";
    std::string out;
    if (append_era_date(out, d.time_since_epoch().count())) out += " BC";
    return out;
}

void encode_time(std::string& out, Time t) { append_i64(out, t.since_midnight.count()); }

void encode_float8(std::string& out, double v) { append_i64(out, std::bit_cast<std::int64_t>(v)); }

std::string double_to_text(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    (void)ec;
    return std::string(buf, end);
}

std::string uuid_text(std::string_view bytes) {
    if (bytes.size() != 16) throw Error("a uuid is 16 bytes, not " + std::to_string(bytes.size()));
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    for (std::size_t i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
        const auto b = static_cast<unsigned char>(bytes[i]);
        out += kHex[b >> 4];
        out += kHex[b & 15];
    }
    return out;
}

}  // namespace strata::pg
