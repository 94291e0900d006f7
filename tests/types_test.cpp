#include <gtest/gtest.h>

#include <cstdio>

#include "support.hpp"

using namespace strata;
using namespace std::chrono;
using strata::testing::expect_throw;

TEST(Types, DateTimeTextMatchesSqlAlchemy) {
    DateTime t = sys_days{year{2026} / 11 / 27} + hours{14} + minutes{5} + seconds{6} + microseconds{7};
    EXPECT_EQ(format_datetime(t), "2026-11-27 14:05:06.000007");
    EXPECT_EQ(parse_datetime("2026-11-27 14:05:06.000007"), t);
    EXPECT_EQ(parse_datetime("2026-11-27T14:05:06.000007Z"), t);
    EXPECT_EQ(parse_datetime("2026-11-27 14:05:06"), t - microseconds{7});
    EXPECT_EQ(parse_datetime("2026-11-27"), sys_days{year{2026} / 11 / 27});
    DateTime before_epoch = sys_days{year{1950} / 6 / 1} + hours{1} + microseconds{999999};
    EXPECT_EQ(format_datetime(before_epoch), "1950-06-01 01:00:00.999999");
    EXPECT_EQ(parse_datetime(format_datetime(before_epoch)), before_epoch);
    EXPECT_EQ(format_date(sys_days{year{1969} / 12 / 31}), "1969-12-31");
    EXPECT_EQ(format_time(Time{hours{7} + microseconds{5}}), "07:00:00.000005");
    EXPECT_EQ(parse_time("07:00"), Time{hours{7}});
}

TEST(Types, BadDateTextIsAnError) {
    for (auto bad : {"2026-13-01 00:00:00", "2026-02-30", "yesterday", "2026-11-27 25:00:00", "2026-11-27 10:00:00+02:00"})
        EXPECT_THROW(parse_datetime(bad), Error) << bad;
    auto e = expect_throw<Error>([] { parse_date("2026/11/27"); });
    EXPECT_STREQ(e.what(), "invalid date '2026/11/27'");
    // Found by tests/fuzz/types: a sign inside a field was read as a negative number ("-1:00" an hour
    // before midnight), and second 60 made 23:59:60 a time of day of 24:00 that could not be read back.
    for (auto bad : {"2026-11-27 -1:00:00", "2026-11-27 23:59:60", "--123-01-01 00:00:00", "2026-11-27 12:+1:00"})
        EXPECT_THROW(parse_datetime(bad), Error) << bad;
    for (auto bad : {"-1:00", "23:59:60", "12:-5", "+1:00:00"}) EXPECT_THROW(parse_time(bad), Error) << bad;
    EXPECT_THROW(parse_date("2026--1-01"), Error);
    EXPECT_EQ(parse_time("23:59:59.999999"), Time{hours{24} - microseconds{1}});
}

// The stored form ("YYYY-MM-DD HH:MM:SS.ffffff") has a one-pass reader and
// writer of their own: written as printf writes it, read as the general
// parser reads it (the 'T' form goes through the latter), and refused
// where the general parser refuses it.
TEST(Types, StoredDateTimeTextReadsAsTheGeneralForm) {
    std::vector<DateTime> values;
    for (auto d : {sys_days{year{1} / 1 / 1}, sys_days{year{1600} / 2 / 29}, sys_days{year{1969} / 12 / 31},
                   sys_days{year{1970} / 1 / 1}, sys_days{year{2000} / 2 / 29}, sys_days{year{2026} / 11 / 27},
                   sys_days{year{9999} / 12 / 31}})
        for (auto t : {microseconds{0}, microseconds{1}, hours{12} + minutes{34} + seconds{56} + microseconds{789012},
                       hours{24} - microseconds{1}})
            values.push_back(d + t);
    for (DateTime t : values) {
        std::string text = format_datetime(t);
        const year_month_day ymd{floor<days>(t)};
        const hh_mm_ss hms{t - floor<days>(t)};
        char expected[64];
        std::snprintf(expected, sizeof expected, "%04d-%02u-%02u %02d:%02d:%02d.%06lld", static_cast<int>(ymd.year()),
                      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                      static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                      static_cast<long long>(hms.subseconds().count()));
        EXPECT_EQ(text, expected);
        EXPECT_EQ(parse_datetime(text), t) << text;
        text[10] = 'T';
        EXPECT_EQ(parse_datetime(text), t) << text;
    }
    // Years outside 0000-9999 take the general writer.
    EXPECT_EQ(format_datetime(sys_days{year{10000} / 1 / 2} + seconds{3}), "10000-01-02 00:00:03.000000");
    EXPECT_EQ(format_datetime(sys_days{year{-1} / 12 / 31}), "-0001-12-31 00:00:00.000000");
    for (auto bad : {"2026-02-29 00:00:00.000000", "2026-04-31 00:00:00.000000", "2026-00-10 00:00:00.000000",
                     "2026-11-00 00:00:00.000000", "2026-11-27 24:00:00.000000", "2026-11-27 12:60:00.000000",
                     "2026-11-27 12:00:60.000000", "2026-11-27 12:00:00.00000x", "2026-11-27 12:00:00 000000",
                     "2026-11-27 12:00:0a.000000", "2026-11-27X12:00:00.000000", "+026-11-27 12:00:00.000000"})
        EXPECT_THROW(parse_datetime(bad), Error) << bad;
    // The stored form is read eight bytes at a time: a byte that is not a
    // digit, in any digit's place, is refused (or read by the general
    // parser, which refuses it too).
    const std::string good = "2026-11-27 12:34:56.789012";
    for (std::size_t i = 0; i < good.size(); ++i) {
        if (good[i] < '0' || good[i] > '9') continue;
        for (char c : {'/', ':', 'a', ' ', '\x80', '\xff'}) {
            std::string bad = good;
            bad[i] = c;
            EXPECT_THROW(parse_datetime(bad), Error) << bad;
        }
    }
    // Likewise any other byte in a separator's place.
    for (std::size_t i : {4, 7, 10, 13, 16, 19})
        for (char c : {'0', '9', '/', '-', ':', '.', '\x80', '\xff'}) {
            if (c == good[i]) continue;
            std::string bad = good;
            bad[i] = c;
            EXPECT_THROW(parse_datetime(bad), Error) << bad;
        }
}

// The stored form's day count is its own (not the general parser's): every
// 13th day of the years 0000-9999, and each end of February around the
// leap-year rules, read back as the value written.
TEST(Types, StoredDateTimeTextReadsEveryDayBack) {
    const microseconds time_of_day = hours{23} + minutes{59} + seconds{59} + microseconds{999999};
    for (auto d = sys_days{year{0} / 1 / 1}; d <= sys_days{year{9999} / 12 / 31}; d += days{13}) {
        const DateTime t = d + time_of_day;
        ASSERT_EQ(parse_datetime(format_datetime(t)), t) << format_datetime(t);
    }
    for (int y : {0, 4, 100, 400, 1600, 1900, 1970, 2000, 2024, 2100, 9996}) {
        const year_month_day end_of_february{year{y} / 2 / last};
        const DateTime t = sys_days{end_of_february} + hours{12};
        EXPECT_EQ(parse_datetime(format_datetime(t)), t) << format_datetime(t);
        EXPECT_EQ(parse_datetime(format_datetime(t + days{1})), t + days{1}) << format_datetime(t + days{1});
        if (!year{y}.is_leap()) {
            char text[32];
            std::snprintf(text, sizeof text, "%04d-02-29 12:00:00.000000", y);
            EXPECT_THROW(parse_datetime(text), Error) << text;
        }
    }
}

TEST(Types, TypeNamesRoundTrip) {
    for (const SqlType& t : std::initializer_list<SqlType>{Integer(), BigInteger(), SmallInteger(), Boolean(), Float(), Numeric(10, 2), Numeric(), String(64),
                   String(), Text(), DateTimeType(), DateType(), TimeType(), LargeBinary(), Enum({"a", "b", "c"})})
        EXPECT_EQ(parse_type(t.to_string()), t) << t.to_string();
    EXPECT_EQ(parse_type(" Numeric( 10 , 2 ) "), Numeric(10, 2));
    // Enum values that the plain spelling cannot carry are quoted.
    auto odd = Enum({"a,b", "it's", " padded", "(x)", "plain"});
    EXPECT_EQ(odd.to_string(), "Enum('a,b','it''s',' padded','(x)',plain)");
    EXPECT_EQ(parse_type(odd.to_string()), odd);
    // Found by tests/fuzz/types: a value of two quote characters was taken for an empty value.
    auto quotes = Enum({"''", "'"});
    EXPECT_EQ(quotes.to_string(), "Enum('''''','''')");
    EXPECT_EQ(parse_type(quotes.to_string()), quotes);
    EXPECT_THROW(parse_type("Enum('open"), Error);
    EXPECT_THROW(parse_type("Enum('a' b)"), Error);
}

TEST(Types, UnknownOrMalformedTypesAreNamed) {
    auto e = expect_throw<Error>([] { parse_type("Varchar(10)"); });
    EXPECT_NE(std::string(e.what()).find("unknown type 'Varchar(10)'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("String(n)"), std::string::npos);
    EXPECT_THROW(parse_type("String(abc)"), Error);
    EXPECT_THROW(parse_type("String(1,2)"), Error);
    EXPECT_THROW(parse_type("Numeric(10)"), Error);
    // Found by tests/fuzz/types: Numeric(0,112) read as precision 0 (unspecified), written back as "Numeric".
    e = expect_throw<Error>([] { parse_type("Numeric(0,112)"); });
    EXPECT_STREQ(e.what(), "invalid type 'Numeric(0,112)': Numeric's precision must be at least 1");
    EXPECT_THROW(parse_type("Integer(4)"), Error);
    e = expect_throw<Error>([] { parse_type("Enum( )"); });
    EXPECT_STREQ(e.what(), "invalid type 'Enum( )': Enum needs its values, e.g. Enum(draft,published)");
    for (auto empty_value : {"Enum('')", "Enum(a,)", "Enum(a,'',b)"}) {
        e = expect_throw<Error>([&] { parse_type(empty_value); });
        EXPECT_EQ(std::string(e.what()), "invalid type '" + std::string(empty_value) + "': empty Enum value");
    }
    EXPECT_THROW(parse_type("String(64"), Error);
}

TEST(Types, ValueDisplayForLogs) {
    EXPECT_EQ(Value(null).to_display(), "NULL");
    EXPECT_EQ(Value(std::optional<int>{}).to_display(), "NULL");
    EXPECT_EQ(Value(std::optional<int>{3}).to_display(), "3");
    EXPECT_EQ(Value("x").to_display(), "'x'");
    EXPECT_EQ(Value(Blob(std::string_view("abc"))).to_display(), "<3 bytes>");
    EXPECT_EQ(sqlite_dialect().literal(Value("it's")), "'it''s'");
    EXPECT_EQ(sqlite_dialect().literal(Value(Blob(std::vector<std::uint8_t>{0, 255}))), "X'00ff'");
}
