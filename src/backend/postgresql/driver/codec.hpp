// PostgreSQL binary wire formats for the types strata reads and binds.
//
// Results are always requested in binary: no DateStyle / bytea_output /
// extra_float_digits dependence, no escaping of bytea, exact microseconds.
#pragma once

#include <cstddef>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "strata/types.hpp"

namespace strata::pg {

// Built-in type OIDs (src/include/catalog/pg_type.dat); stable across versions.
using Oid = unsigned int;
inline constexpr Oid kBool = 16, kBytea = 17, kChar = 18, kName = 19, kInt8 = 20, kInt2 = 21, kInt4 = 23,
                     kText = 25, kOid = 26, kJson = 114, kXml = 142, kFloat4 = 700, kFloat8 = 701, kUnknown = 705,
                     kBpchar = 1042, kVarchar = 1043, kDate = 1082, kTime = 1083, kTimestamp = 1114,
                     kTimestamptz = 1184, kNumeric = 1700, kUuid = 2950, kJsonb = 3802;

// How a column's binary value is decoded.
// Uuid: 16 bytes in binary. Jsonb: a version byte (1), then the document's text.
enum class Wire { Bool, Int2, Int4, Int8, Float4, Float8, Numeric, Text, Bytea, Timestamp, Date, Time, Uuid, Jsonb, Unsupported };

// The wire kind of a built-in type OID; Unsupported for anything else (enums
// and domains are resolved through pg_type by the connection).
Wire wire_of(Oid oid);
const char* wire_name(Wire w);

// Big-endian integers, as on the wire (inline: read for each value of each row).
inline std::int16_t read_i16(const char* p) {
    std::uint16_t v;
    std::memcpy(&v, p, sizeof v);
    return static_cast<std::int16_t>(__builtin_bswap16(v));
}
inline std::int32_t read_i32(const char* p) {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return static_cast<std::int32_t>(__builtin_bswap32(v));
}
inline std::int64_t read_i64(const char* p) {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return static_cast<std::int64_t>(__builtin_bswap64(v));
}
void append_i32(std::string& out, std::int32_t v);
void append_i64(std::string& out, std::int64_t v);

// A one-dimensional bigint[] without NULLs in binary (array_agg of int8);
// an empty array is no elements. Anything else throws Error.
std::vector<std::int64_t> decode_int8_array(std::string_view bytes);

// PostgreSQL's epoch is 2000-01-01; strata's is 1970-01-01.
inline constexpr std::int64_t kPgEpochDays = 10957;
inline constexpr std::int64_t kPgEpochMicros = kPgEpochDays * 86400LL * 1000000LL;

// PostgreSQL's infinity and -infinity are DateTime::max() / min() and
// Date::max() / min() (a strata value that PostgreSQL cannot otherwise hold:
// it stores timestamps up to year 294276, DateTime ends in 294247, and dates
// beyond ±2^31 days do not exist there). A timestamp beyond DateTime's range
// throws Error.
DateTime decode_timestamp(const char* p);
// decode_timestamp's usual case, inline for reading rows: a value (microseconds
// since 2000-01-01) that is neither infinity nor beyond DateTime's range.
inline bool ordinary_timestamp(std::int64_t since_2000) {
    return since_2000 != INT64_MIN && since_2000 <= INT64_MAX - kPgEpochMicros;
}
inline DateTime timestamp_from(std::int64_t since_2000) {
    return DateTime{std::chrono::microseconds{since_2000 + kPgEpochMicros}};
}
Date decode_date(const char* p);
Time decode_time(const char* p);
double decode_float8(const char* p);
double decode_float4(const char* p);
// The binary numeric (base-10000 digits, weight, sign, display scale) as
// canonical decimal text with exactly `dscale` fraction digits: "-12.50".
std::string decode_numeric(const char* p, int length);

// For values within PostgreSQL's range (the driver checks before encoding).
void encode_timestamp(std::string& out, DateTime t);
void encode_date(std::string& out, Date d);
void encode_time(std::string& out, Time t);
void encode_float8(std::string& out, double v);

// PostgreSQL's text input forms, for COPY and text parameters: "0044-03-15 BC"
// for year -43, "infinity", years past 9999 with more digits.
std::string timestamp_text(DateTime t);
std::string date_text(Date d);

// The most one value may hold (a varlena: 1 GiB less its 4-byte header), and
// the most one protocol message (Bind, CopyData) or COPY line may
// (PQ_LARGE_MESSAGE_LIMIT): past it the server drops the connection.
inline constexpr std::size_t kMaxValueBytes = 0x3fffffff - 4;
inline constexpr std::size_t kMaxMessageBytes = 0x3ffffffe;

// Shortest text that reads back as the same double ("0.1", "1e+300", "inf").
std::string double_to_text(double v);
// A uuid's 16 bytes as PostgreSQL prints it: 8-4-4-4-12 lowercase hex digits.
// Other sizes throw strata::Error.
std::string uuid_text(std::string_view bytes);

}  // namespace strata::pg
