// PostgreSQL binary wire formats, byte by byte (no server needed): the
// layouts are PostgreSQL's numeric_send / timestamp_send / date_send.
#include <bit>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backend/postgresql/driver/codec.hpp"
#include "strata/error.hpp"

namespace strata::pg {
namespace {

// ndigits, weight, sign, dscale, then base-10000 digits: all big-endian int16.
std::string numeric_bytes(std::int16_t weight, std::uint16_t sign, std::int16_t dscale, std::vector<std::int16_t> digits) {
    std::string out;
    auto put16 = [&](std::uint16_t v) {
        out.push_back(static_cast<char>(v >> 8));
        out.push_back(static_cast<char>(v & 0xff));
    };
    put16(static_cast<std::uint16_t>(digits.size()));
    put16(static_cast<std::uint16_t>(weight));
    put16(sign);
    put16(static_cast<std::uint16_t>(dscale));
    for (auto d : digits) put16(static_cast<std::uint16_t>(d));
    return out;
}

std::string decode(const std::string& bytes) { return decode_numeric(bytes.data(), static_cast<int>(bytes.size())); }

TEST(PgCodec, NumericDigitGroupsBecomeCanonicalText) {
    EXPECT_EQ(decode(numeric_bytes(0, 0, 0, {})), "0");
    EXPECT_EQ(decode(numeric_bytes(0, 0, 2, {})), "0.00");
    EXPECT_EQ(decode(numeric_bytes(1, 0, 3, {1, 2345, 6780})), "12345.678");
    EXPECT_EQ(decode(numeric_bytes(1, 0, 0, {1})), "10000") << "trailing zero groups are implied by the weight";
    EXPECT_EQ(decode(numeric_bytes(-1, 0x4000, 4, {1})), "-0.0001");
    EXPECT_EQ(decode(numeric_bytes(-2, 0, 8, {1})), "0.00000001") << "leading zero groups are implied by the weight";
    EXPECT_EQ(decode(numeric_bytes(0, 0x4000, 2, {42, 5000})), "-42.50");
    EXPECT_EQ(decode(numeric_bytes(4, 0, 0, {9223, 3720, 3685, 4775, 8070})), "92233720368547758070");
    EXPECT_EQ(decode(numeric_bytes(0, 0xC000, 0, {})), "NaN");
    EXPECT_EQ(decode(numeric_bytes(0, 0xD000, 0, {})), "Infinity");
    EXPECT_EQ(decode(numeric_bytes(0, 0xF000, 0, {})), "-Infinity");
}

TEST(PgCodec, TruncatedNumericIsAnError) {
    try {
        decode(std::string("\x00\x01", 2));
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "PostgreSQL sent a numeric value of 2 bytes");
    }
    const std::string missing_digit = numeric_bytes(0, 0, 0, {1, 2}).substr(0, 10);
    EXPECT_THROW(decode(missing_digit), Error);
}

TEST(PgCodec, TimestampsCountFrom2000) {
    std::string bytes;
    encode_timestamp(bytes, DateTime{});  // 1970-01-01
    ASSERT_EQ(bytes.size(), 8u);
    EXPECT_EQ(read_i64(bytes.data()), -kPgEpochMicros);
    EXPECT_EQ(decode_timestamp(bytes.data()), DateTime{});
    for (const char* text : {"2000-01-01 00:00:00.000000", "1969-12-31 23:59:59.999999", "0001-01-01 00:00:00.000001"}) {
        bytes.clear();
        encode_timestamp(bytes, parse_datetime(text));
        EXPECT_EQ(format_datetime(decode_timestamp(bytes.data())), text);
    }
    bytes.clear();
    encode_timestamp(bytes, parse_datetime("2000-01-01 00:00:00.000001"));
    EXPECT_EQ(read_i64(bytes.data()), 1);
}

TEST(PgCodec, DatesAndTimes) {
    std::string bytes;
    encode_date(bytes, parse_date("1999-12-31"));
    ASSERT_EQ(bytes.size(), 4u);
    EXPECT_EQ(read_i32(bytes.data()), -1);
    EXPECT_EQ(format_date(decode_date(bytes.data())), "1999-12-31");
    bytes.clear();
    encode_time(bytes, parse_time("23:59:59.999999"));
    EXPECT_EQ(read_i64(bytes.data()), 86399999999);
    EXPECT_EQ(format_time(decode_time(bytes.data())), "23:59:59.999999");
}

TEST(PgCodec, FloatsAreBitExactAndTextIsShortest) {
    for (double v : {0.1, -1e300, 5e-324, -0.0}) {
        std::string bytes;
        encode_float8(bytes, v);
        EXPECT_EQ(std::bit_cast<std::uint64_t>(decode_float8(bytes.data())), std::bit_cast<std::uint64_t>(v));
    }
    EXPECT_EQ(double_to_text(0.1), "0.1");
    EXPECT_EQ(double_to_text(1e300), "1e+300");
    EXPECT_EQ(double_to_text(1.0 / 0.0), "Infinity");
    EXPECT_EQ(double_to_text(-1.0 / 0.0), "-Infinity");
}

TEST(PgCodec, BuiltInTypeOidsHaveWireKinds) {
    EXPECT_EQ(wire_of(kInt8), Wire::Int8);
    EXPECT_EQ(wire_of(kTimestamptz), Wire::Timestamp);
    EXPECT_EQ(wire_of(kVarchar), Wire::Text);
    EXPECT_EQ(wire_of(kUuid), Wire::Uuid);
    EXPECT_EQ(wire_of(kJsonb), Wire::Jsonb);
    EXPECT_EQ(wire_of(600), Wire::Unsupported);  // point
    EXPECT_STREQ(wire_name(Wire::Numeric), "numeric");
}

TEST(PgCodec, UuidTextIsTheServersForm) {
    const std::string bytes("\x12\x34\x56\x78\x9a\xbc\xde\xf0\x00\x11\x22\x33\x44\x55\x66\x77", 16);
    EXPECT_EQ(uuid_text(bytes), "12345678-9abc-def0-0011-223344556677");
    EXPECT_THROW(uuid_text("short"), Error);
}

// array_send's layout: dimensions, has-nulls, element type, then per
// dimension size and lower bound, then each element's length and bytes.
std::string int8_array_bytes(std::vector<std::int64_t> values, std::int32_t element_type = 20, bool null_last = false) {
    std::string out;
    append_i32(out, values.empty() ? 0 : 1);
    append_i32(out, null_last ? 1 : 0);
    append_i32(out, element_type);
    if (values.empty()) return out;
    append_i32(out, static_cast<std::int32_t>(values.size()));
    append_i32(out, 1);
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (null_last && i + 1 == values.size()) {
            append_i32(out, -1);
            out.append(8, '\0');  // keeps the length a full element's, so only the NULL is wrong
            continue;
        }
        append_i32(out, 8);
        append_i64(out, values[i]);
    }
    return out;
}

TEST(PgCodec, Int8ArrayDecodesElementsInOrderAndRefusesOtherShapes) {
    const std::vector<std::int64_t> keys{1, -7, INT64_MAX, INT64_MIN};
    EXPECT_EQ(decode_int8_array(int8_array_bytes(keys)), keys);
    EXPECT_TRUE(decode_int8_array(int8_array_bytes({})).empty());
    EXPECT_THROW(decode_int8_array(int8_array_bytes(keys, 23)), Error);        // int4[]
    EXPECT_THROW(decode_int8_array(int8_array_bytes(keys, 20, true)), Error);  // a NULL element
    const std::string whole = int8_array_bytes(keys);
    EXPECT_THROW(decode_int8_array(whole.substr(0, whole.size() - 1)), Error);  // truncated
    EXPECT_THROW(decode_int8_array(whole.substr(0, 8)), Error);
}

}  // namespace
}  // namespace strata::pg
