// Text forms of dates and times (SQLAlchemy's SQLite storage format) and of type names.
#include "strata/types.hpp"

#include <array>
#include <bit>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>

#include "driver/calendar.hpp"
#include "strata/error.hpp"
#include "strata/value.hpp"

namespace strata {

using namespace std::chrono;

namespace {

// Reads exactly `width` digits at text[pos]; advances pos. Throws on anything else.
int read_digits(std::string_view text, std::size_t& pos, int width, std::string_view what) {
    int value = 0;
    if (pos + width > text.size()) throw Error("invalid " + std::string(what) + " '" + std::string(text) + "'");
    for (std::size_t i = pos; i < pos + width; ++i) {  // digits only: from_chars alone would take "-1" as an hour
        if (!std::isdigit(static_cast<unsigned char>(text[i])))
            throw Error("invalid " + std::string(what) + " '" + std::string(text) + "'");
        value = value * 10 + (text[i] - '0');
    }
    pos += width;
    return value;
}

void expect_char(std::string_view text, std::size_t& pos, char c, std::string_view what) {
    if (pos >= text.size() || text[pos] != c) throw Error("invalid " + std::string(what) + " '" + std::string(text) + "'");
    ++pos;
}

Date read_date(std::string_view text, std::size_t& pos, std::string_view what) {
    bool negative = pos < text.size() && text[pos] == '-';
    if (negative) ++pos;
    int y = read_digits(text, pos, 4, what);
    expect_char(text, pos, '-', what);
    int m = read_digits(text, pos, 2, what);
    expect_char(text, pos, '-', what);
    int d = read_digits(text, pos, 2, what);
    year_month_day ymd{year{negative ? -y : y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}};
    if (!ymd.ok()) throw Error("invalid " + std::string(what) + " '" + std::string(text) + "'");
    return sys_days{ymd};
}

microseconds read_time(std::string_view text, std::size_t& pos, std::string_view what) {
    int h = read_digits(text, pos, 2, what);
    expect_char(text, pos, ':', what);
    int m = read_digits(text, pos, 2, what);
    int s = 0;
    if (pos < text.size() && text[pos] == ':') {
        ++pos;
        s = read_digits(text, pos, 2, what);
    }
    long long frac = 0;
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        int digits = 0;
        while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
            if (digits < 6) frac = frac * 10 + (text[pos] - '0');
            ++digits;
            ++pos;
        }
        if (digits == 0) throw Error("invalid " + std::string(what) + " '" + std::string(text) + "'");
        for (; digits < 6; ++digits) frac *= 10;
    }
    // Second 60 is refused as Python's datetime refuses it: 23:59:60 would be 24:00, not a time of day.
    if (h > 23 || m > 59 || s > 59) throw Error("invalid " + std::string(what) + " '" + std::string(text) + "'");
    return hours{h} + minutes{m} + seconds{s} + microseconds{frac};
}

// Any day count: years past 9999 get more digits, years before 1 a minus
// sign (astronomical: -0001 is 2 BC). Only 0001..9999 read back (read_date).
void append_date(std::string& out, Date d) {
    const calendar::CivilDate c = calendar::civil_from_days(d.time_since_epoch().count());
    const long long y = c.year;
    char buf[48];
    std::snprintf(buf, sizeof buf, y < 0 ? "-%04lld-%02u-%02u" : "%04lld-%02u-%02u", y < 0 ? -y : y, c.month, c.day);
    out += buf;
}

void append_time(std::string& out, microseconds t) {
    auto h = duration_cast<hours>(t);
    t -= h;
    auto m = duration_cast<minutes>(t);
    t -= m;
    auto s = duration_cast<seconds>(t);
    t -= s;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%06lld", static_cast<int>(h.count()), static_cast<int>(m.count()),
                  static_cast<int>(s.count()), static_cast<long long>(t.count()));
    out += buf;
}

// A decimal's value as (sign, significant digits, exponent of the last
// digit), with no leading or trailing zeros in the digits; zero is
// {false, "", 0}. Empty when the text is not a plain decimal number.
struct DecimalValue {
    bool negative = false;
    std::string digits;
    long exponent = 0;
    friend bool operator==(const DecimalValue&, const DecimalValue&) = default;
};

std::optional<DecimalValue> decimal_value(std::string_view text) {
    DecimalValue v;
    std::size_t pos = 0;
    if (pos < text.size() && (text[pos] == '-' || text[pos] == '+')) v.negative = text[pos++] == '-';
    bool any_digit = false;
    bool after_point = false;
    for (; pos < text.size(); ++pos) {
        const char c = text[pos];
        if (c == '.' && !after_point) {
            after_point = true;
        } else if (c >= '0' && c <= '9') {
            any_digit = true;
            if (!v.digits.empty() || c != '0') v.digits += c;
            if (after_point) --v.exponent;
        } else {
            break;
        }
    }
    if (!any_digit) return std::nullopt;
    if (pos < text.size()) {
        if (text[pos] != 'e' && text[pos] != 'E') return std::nullopt;
        ++pos;
        if (pos < text.size() && text[pos] == '+') ++pos;
        long e = 0;
        auto [end, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), e);
        // Bounded, so that the exponent arithmetic cannot overflow.
        if (ec != std::errc() || end != text.data() + text.size() || e > 1'000'000'000 || e < -1'000'000'000)
            return std::nullopt;
        v.exponent += e;
    }
    while (!v.digits.empty() && v.digits.back() == '0') {
        v.digits.pop_back();
        ++v.exponent;
    }
    if (v.digits.empty()) return DecimalValue{};
    return v;
}

}  // namespace

bool operator==(const Decimal& a, const Decimal& b) {
    if (a.text == b.text) return true;
    auto va = decimal_value(a.text);
    auto vb = decimal_value(b.text);
    return va && vb && *va == *vb;
}

DateTime now() { return time_point_cast<microseconds>(system_clock::now()); }

namespace {

// The two digits of v (v < 100) at `at`, from a table of "00" to "99": a
// timestamp's ten pairs took a 64-bit division each digit (305
// instructions a timestamp, W4's posts on PostgreSQL).
void put_pair(char* at, std::uint32_t v) {
    static constexpr auto kPairs = [] {
        std::array<char, 200> pairs{};
        for (std::size_t i = 0; i < 100; ++i) {
            pairs[2 * i] = static_cast<char>('0' + i / 10);
            pairs[2 * i + 1] = static_cast<char>('0' + i % 10);
        }
        return pairs;
    }();
    std::memcpy(at, &kPairs[2 * v], 2);
}

}  // namespace

bool format_datetime_text(DateTime t, char (&text)[calendar::kDateTimeTextSize]) {
    const auto [day, micros] = calendar::split(t);
    const calendar::CivilDate c = calendar::civil_from_days(day);
    if (c.year < 0 || c.year > 9999) return false;
    // Two digits at a time: snprintf cost 4,000 instructions.
    const auto y = static_cast<std::uint32_t>(c.year);
    put_pair(text, y / 100);
    put_pair(text + 2, y % 100);
    text[4] = '-';
    put_pair(text + 5, c.month);
    text[7] = '-';
    put_pair(text + 8, c.day);
    text[10] = ' ';
    const auto seconds = static_cast<std::uint32_t>(micros / 1'000'000);  // < 86,400
    const auto fraction = static_cast<std::uint32_t>(micros % 1'000'000);
    put_pair(text + 11, seconds / 3600);
    text[13] = ':';
    put_pair(text + 14, seconds / 60 % 60);
    text[16] = ':';
    put_pair(text + 17, seconds % 60);
    text[19] = '.';
    put_pair(text + 20, fraction / 10'000);
    put_pair(text + 22, fraction / 100 % 100);
    put_pair(text + 24, fraction % 100);
    return true;
}

std::string format_datetime(DateTime t) {
    char text[calendar::kDateTimeTextSize];
    if (format_datetime_text(t, text)) return std::string(text, sizeof text);  // every value a row holds
    const auto [day, micros] = calendar::split(t);
    std::string out;
    out.reserve(calendar::kDateTimeTextSize);
    append_date(out, Date{days{day}});
    out += ' ';
    append_time(out, microseconds{micros});
    return out;
}

std::string format_date(Date d) {
    std::string out;
    append_date(out, d);
    return out;
}

std::string format_time(Time t) {
    std::string out;
    append_time(out, t.since_midnight);
    return out;
}

namespace {

// Eight bytes of text as a little-endian word (byte i in bits 8i..8i+7).
std::uint64_t eight_bytes(const char* p) {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
    return v;
}

// "YYYY-MM-DD HH:MM:SS.ffffff", the form strata writes (format_datetime)
// and SQLite's rows hold, as four words of eight bytes (at 0, 8, 16 and 18:
// the last two overlap). kForm: '0' where a digit goes, the separator
// elsewhere, so that a word XOR its form holds each digit's value and 0 for
// each right separator. kRoom: what, added to such a byte, sets its top
// bit exactly when it is past what its place allows -- 0x76 for a digit's
// place (9 + 0x76 = 0x7F, 10 + 0x76 = 0x80), 0x7F for a separator's (0 only).
constexpr std::string_view kCanonicalForm = "0000-00-00 00:00:00.000000";
constexpr std::size_t kWordAt[4] = {0, 8, 16, 18};

constexpr std::uint64_t form_word(std::size_t at, bool room) {
    std::uint64_t w = 0;
    for (std::size_t i = 0; i < 8; ++i) {
        const char c = kCanonicalForm[at + i];
        const std::uint64_t byte = room ? (c == '0' ? 0x76 : 0x7F) : static_cast<unsigned char>(c);
        w |= byte << (8 * i);
    }
    return w;
}

// The text's day count (from 1970-01-01) and time of day in the canonical
// form, in `out`; false for any other text, or an invalid date or time in
// this form (left to the general parser, which reads or refuses it). Every
// byte is checked: a digit where a digit goes, the separator where one goes
// (a digit's byte XOR '0' is at most 9 and a separator's XOR itself 0 only
// when right; the sum with kRoom sets a byte's top bit otherwise, and no sum
// carries into the next byte unless a byte's top bit was set already).
// Read eight bytes at a time with one test for the form, and the day count
// by a table and three divisions by constants: 217 instructions a value
// when the fields were checked word by word, the day count by the general
// days_from_civil.
bool parse_canonical_datetime(std::string_view t, DateTime& out) {
    if (t.size() != kCanonicalForm.size()) return false;
    static constexpr std::uint64_t kForm[4] = {form_word(kWordAt[0], false), form_word(kWordAt[1], false),
                                               form_word(kWordAt[2], false), form_word(kWordAt[3], false)};
    static constexpr std::uint64_t kRoom[4] = {form_word(kWordAt[0], true), form_word(kWordAt[1], true),
                                               form_word(kWordAt[2], true), form_word(kWordAt[3], true)};
    const std::uint64_t w0 = eight_bytes(t.data()) ^ kForm[0], w1 = eight_bytes(t.data() + 8) ^ kForm[1],
                        w2 = eight_bytes(t.data() + 16) ^ kForm[2], w3 = eight_bytes(t.data() + 18) ^ kForm[3];
    const std::uint64_t wrong = (w0 | (w0 + kRoom[0])) | (w1 | (w1 + kRoom[1])) | (w2 | (w2 + kRoom[2])) |
                                (w3 | (w3 + kRoom[3]));
    if (wrong & 0x8080808080808080) return false;
    // Byte j of pairs(w): the two-digit number at bytes j and j+1 (at most 99: no carries).
    auto pairs = [](std::uint64_t w) { return w * 10 + (w >> 8); };
    auto byte = [](std::uint64_t w, int j) { return static_cast<unsigned>((w >> (8 * j)) & 0xFF); };
    const std::uint64_t p0 = pairs(w0), p1 = pairs(w1), p2 = pairs(w2), p3 = pairs(w3);
    const unsigned y = byte(p0, 0) * 100 + byte(p0, 2), mo = byte(p0, 5), d = byte(p1, 0), h = byte(p1, 3),
                   mi = byte(p1, 6), sec = byte(p2, 1);
    const unsigned micros = byte(p3, 2) * 10000 + byte(p3, 4) * 100 + byte(p3, 6);
    if (mo - 1 >= 12 || d == 0 || h > 23 || mi > 59 || sec > 59) return false;
    static constexpr unsigned char kDaysIn[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (d > kDaysIn[mo - 1]) {  // only 29 February of a leap year
        const bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
        if (!(mo == 2 && d == 29 && leap)) return false;
    }
    // calendar::days_from_civil for a year of 0..9999: the year counted
    // from March (January and February end the year before), one 400-year
    // era later so that it is never negative, and the days before the
    // month from a table (the era, 146,097 days, taken off again).
    static constexpr unsigned short kDaysBeforeMonth[13] = {0, 306, 337, 0, 31, 61, 92, 122, 153, 184, 214, 245, 275};
    const unsigned yy = y + 400 - (mo <= 2);
    const std::int64_t days = std::int64_t{yy * 365 + yy / 4 - yy / 100 + yy / 400 + kDaysBeforeMonth[mo] + d - 1} -
                              719468 - 146097;
    out = DateTime{microseconds{days * calendar::kMicrosPerDay +
                                std::int64_t{h * 3600 + mi * 60 + sec} * 1'000'000 + micros}};
    return true;
}

// Every other form parse_datetime reads: date alone, 'T', no seconds or
// fraction, a UTC marker.
[[gnu::noinline]] DateTime parse_general_datetime(std::string_view text) {
    std::size_t pos = 0;
    Date d = read_date(text, pos, "datetime");
    microseconds tod{0};
    if (pos < text.size()) {
        if (text[pos] != ' ' && text[pos] != 'T') throw Error("invalid datetime '" + std::string(text) + "'");
        ++pos;
        tod = read_time(text, pos, "datetime");
    }
    // A trailing UTC marker is accepted; other offsets are not silently dropped.
    if (pos < text.size() && (text.substr(pos) == "Z" || text.substr(pos) == "+00" || text.substr(pos) == "+00:00"))
        pos = text.size();
    if (pos != text.size()) throw Error("invalid datetime '" + std::string(text) + "'");
    return DateTime{d.time_since_epoch()} + tod;
}

}  // namespace

STRATA_DETAIL_HOT_PATH DateTime parse_datetime(std::string_view text) {
    DateTime t;
    if (parse_canonical_datetime(text, t)) [[likely]] return t;
    return parse_general_datetime(text);
}

Date parse_date(std::string_view text) {
    std::size_t pos = 0;
    Date d = read_date(text, pos, "date");
    if (pos != text.size()) throw Error("invalid date '" + std::string(text) + "'");
    return d;
}

Time parse_time(std::string_view text) {
    std::size_t pos = 0;
    auto t = read_time(text, pos, "time");
    if (pos != text.size()) throw Error("invalid time '" + std::string(text) + "'");
    return Time{t};
}

std::string SqlType::to_string() const {
    switch (kind) {
        case TypeKind::Integer: return "Integer";
        case TypeKind::BigInteger: return "BigInteger";
        case TypeKind::SmallInteger: return "SmallInteger";
        case TypeKind::Boolean: return "Boolean";
        case TypeKind::Float: return "Float";
        case TypeKind::Numeric:
            if (precision == 0) return "Numeric";
            return "Numeric(" + std::to_string(precision) + "," + std::to_string(scale) + ")";
        case TypeKind::String:
            if (fixed_length) return length ? "Char(" + std::to_string(length) + ")" : "Char";
            return length ? "String(" + std::to_string(length) + ")" : "String";
        case TypeKind::Text: return "Text";
        case TypeKind::DateTime: return timezone ? "DateTime(timezone)" : "DateTime";
        case TypeKind::Date: return "Date";
        case TypeKind::Time: return "Time";
        case TypeKind::LargeBinary: return "LargeBinary";
        case TypeKind::Uuid: return "Uuid";
        case TypeKind::Json: return "Json";
        case TypeKind::Enum: {
            // A value that would not survive the plain spelling is single-quoted: Enum('a,b',c).
            std::string out = "Enum(";
            for (std::size_t i = 0; i < enum_values.size(); ++i) {
                const std::string& v = enum_values[i];
                bool plain = !v.empty() && v.find_first_of(",()'") == std::string::npos && !std::isspace((unsigned char)v.front()) &&
                             !std::isspace((unsigned char)v.back());
                out += i ? "," : "";
                if (plain) {
                    out += v;
                } else {
                    out += '\'';
                    for (char c : v) out += c == '\'' ? std::string("''") : std::string(1, c);
                    out += '\'';
                }
            }
            return out + ")";
        }
    }
    return "?";
}

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

// Comma-separated arguments; an argument may be 'single-quoted' ('' is a quote).
std::vector<std::string> split_args(std::string_view args, std::string_view whole) {
    std::vector<std::string> out;
    std::size_t i = 0;
    for (;;) {
        while (i < args.size() && std::isspace(static_cast<unsigned char>(args[i]))) ++i;
        std::string item;
        if (i < args.size() && args[i] == '\'') {
            for (++i;; ++i) {
                if (i >= args.size()) throw Error("invalid type '" + std::string(whole) + "': unterminated quote");
                if (args[i] == '\'') {
                    if (i + 1 < args.size() && args[i + 1] == '\'') {
                        item += '\'';
                        ++i;
                        continue;
                    }
                    ++i;
                    break;
                }
                item += args[i];
            }
            while (i < args.size() && std::isspace(static_cast<unsigned char>(args[i]))) ++i;
            if (i < args.size() && args[i] != ',')
                throw Error("invalid type '" + std::string(whole) + "': expected ',' after a quoted value");
        } else {
            std::size_t start = i;
            while (i < args.size() && args[i] != ',') ++i;
            item = std::string(trim(args.substr(start, i - start)));
        }
        out.push_back(std::move(item));
        if (i >= args.size()) break;
        ++i;  // the comma
    }
    return out;
}

int parse_int_arg(std::string_view text, std::string_view whole) {
    int v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || ptr != text.data() + text.size() || v < 0)
        throw Error("invalid type '" + std::string(whole) + "': '" + std::string(text) + "' is not a non-negative integer");
    return v;
}

}  // namespace

SqlType parse_type(std::string_view text) {
    const std::string whole(text);
    text = trim(text);
    auto open = text.find('(');
    std::string_view name = trim(text.substr(0, open));
    std::vector<std::string> args;
    bool has_args = open != std::string_view::npos;
    if (has_args) {
        if (text.back() != ')') throw Error("invalid type '" + whole + "': missing ')'");
        args = split_args(text.substr(open + 1, text.size() - open - 2), whole);
    }
    auto no_args = [&](SqlType t) {
        if (has_args) throw Error("invalid type '" + whole + "': " + std::string(name) + " takes no arguments");
        return t;
    };
    if (name == "Integer") return no_args(Integer());
    if (name == "BigInteger") return no_args(BigInteger());
    if (name == "SmallInteger") return no_args(SmallInteger());
    if (name == "Boolean") return no_args(Boolean());
    if (name == "Float") return no_args(Float());
    if (name == "Text") return no_args(Text());
    if (name == "DateTime") {
        if (!has_args) return DateTimeType();
        if (args.size() != 1 || args[0] != "timezone")
            throw Error("invalid type '" + whole + "': DateTime takes no argument or 'timezone', e.g. DateTime(timezone)");
        SqlType t = DateTimeType();
        t.timezone = true;
        return t;
    }
    if (name == "Date") return no_args(DateType());
    if (name == "Time") return no_args(TimeType());
    if (name == "LargeBinary") return no_args(LargeBinary());
    if (name == "Uuid") return no_args(UuidType());
    if (name == "Json") return no_args(JsonType());
    if (name == "String") {
        if (!has_args) return String();
        if (args.size() != 1) throw Error("invalid type '" + whole + "': String takes one length, e.g. String(64)");
        return String(parse_int_arg(args[0], whole));
    }
    if (name == "Char") {
        if (has_args && args.size() != 1) throw Error("invalid type '" + whole + "': Char takes one length, e.g. Char(64)");
        SqlType t = String(has_args ? parse_int_arg(args[0], whole) : 0);
        t.fixed_length = true;
        return t;
    }
    if (name == "Numeric") {
        if (!has_args) return Numeric();
        if (args.size() != 2) throw Error("invalid type '" + whole + "': Numeric takes precision and scale, e.g. Numeric(10,2)");
        int precision = parse_int_arg(args[0], whole);
        // Precision 0 means "unspecified" and is written "Numeric": a scale with it would be lost.
        if (precision == 0) throw Error("invalid type '" + whole + "': Numeric's precision must be at least 1");
        return Numeric(precision, parse_int_arg(args[1], whole));
    }
    if (name == "Enum") {
        if (!has_args || trim(text.substr(open + 1, text.size() - open - 2)).empty())
            throw Error("invalid type '" + whole + "': Enum needs its values, e.g. Enum(draft,published)");
        for (const auto& a : args)
            if (a.empty()) throw Error("invalid type '" + whole + "': empty Enum value");
        return Enum(args);
    }
    throw Error("unknown type '" + whole +
                "' (expected one of Integer, BigInteger, SmallInteger, Boolean, Float, Numeric(p,s), String(n), Char(n), Text, "
                "DateTime, DateTime(timezone), Date, Time, LargeBinary, Uuid, Json, Enum(a,b,c))");
}

std::string Value::to_display() const {
    return std::visit(
        [](const auto& v) -> std::string {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, Null>) return "NULL";
            else if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
            else if constexpr (std::is_same_v<T, std::int64_t>) return std::to_string(v);
            else if constexpr (std::is_same_v<T, double>) {
                char buf[64];
                std::snprintf(buf, sizeof buf, "%.17g", v);
                return buf;
            } else if constexpr (std::is_same_v<T, std::string>) {
                if (v.size() > 200) return "'" + v.substr(0, 200) + "…' (" + std::to_string(v.size()) + " bytes)";
                return "'" + v + "'";
            } else if constexpr (std::is_same_v<T, Blob>) {
                return "<" + std::to_string(v.bytes.size()) + " bytes>";
            } else if constexpr (std::is_same_v<T, DateTime>) return "'" + format_datetime(v) + "'";
            else if constexpr (std::is_same_v<T, Date>) return "'" + format_date(v) + "'";
            else if constexpr (std::is_same_v<T, Time>) return "'" + format_time(v) + "'";
            else return v.text;
        },
        v_);
}

}  // namespace strata
