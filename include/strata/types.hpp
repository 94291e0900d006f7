// strata/types.hpp — column types and the C++ value types that carry them.
//
// Type table (C++ type / SQLite declaration / PostgreSQL type) is in
// docs/types.md. Values are stored on SQLite the way SQLAlchemy stores them,
// so databases are interchangeable with Python apps.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "strata/export.hpp"

namespace strata {

// UTC instant with microsecond precision.
using DateTime = std::chrono::sys_time<std::chrono::microseconds>;
// A calendar date (days since 1970-01-01, negative before).
using Date = std::chrono::sys_days;

// A time of day, microseconds since midnight, no time zone.
struct Time {
    std::chrono::microseconds since_midnight{0};
    friend bool operator==(const Time&, const Time&) = default;
    friend auto operator<=>(const Time&, const Time&) = default;
};

// Raw bytes; may contain NULs.
struct Blob {
    std::vector<std::uint8_t> bytes;
    Blob() = default;
    explicit Blob(std::vector<std::uint8_t> b) : bytes(std::move(b)) {}
    explicit Blob(std::string_view s) : bytes(s.begin(), s.end()) {}
    friend bool operator==(const Blob&, const Blob&) = default;
};

// An exact decimal (Numeric columns), kept as text ("-12.50"). Exact on
// PostgreSQL; on SQLite exact up to 15 significant digits (REAL storage, as
// with SQLAlchemy). Reads keep the column's declared scale ("-12.50" from
// Numeric(10, 2)) on every backend.
struct Decimal {
    std::string text;
    // By value, as Python's decimal.Decimal: "1.50" == "1.5", "-0" == "0",
    // "1E+2" == "100". Text that is not a number (NaN, Infinity) compares as text.
    friend STRATA_API bool operator==(const Decimal& a, const Decimal& b);
};

STRATA_API DateTime now();  // current UTC time, truncated to microseconds

// Text forms used on SQLite and in logs: "YYYY-MM-DD HH:MM:SS.ffffff",
// "YYYY-MM-DD", "HH:MM:SS.ffffff". The parsers accept SQLAlchemy's forms
// (fraction optional, 'T' separator) and throw strata::Error otherwise.
STRATA_API std::string format_datetime(DateTime t);
STRATA_API std::string format_date(Date d);
STRATA_API std::string format_time(Time t);
STRATA_API DateTime parse_datetime(std::string_view text);
STRATA_API Date parse_date(std::string_view text);
STRATA_API Time parse_time(std::string_view text);

enum class TypeKind {
    Integer,
    BigInteger,
    SmallInteger,
    Boolean,
    Float,
    Numeric,
    String,
    Text,
    DateTime,
    Date,
    Time,
    LargeBinary,
    Enum,
    Uuid,   // 16 bytes: a 16-byte BLOB on SQLite, native uuid on PostgreSQL
    Json,   // a JSON document as text: TEXT on SQLite, jsonb on PostgreSQL
};

// A column's SQL type, independent of backend.
struct STRATA_API SqlType {
    TypeKind kind = TypeKind::Integer;
    int length = 0;                        // String(n); 0 = no length
    int precision = 0;                     // Numeric(p, s); 0 = unspecified
    int scale = 0;
    std::vector<std::string> enum_values;  // Enum(a, b, c)
    std::string enum_name;                 // PostgreSQL ENUM type name; defaults to the column name
    // What other tools declare and strata reads back, so that it differs from
    // strata's own spelling: CHAR(n) (blank-padded on PostgreSQL) and
    // TIMESTAMP WITH TIME ZONE. Spelled Char(n) and DateTime(timezone).
    bool fixed_length = false;             // String: CHAR(n) instead of VARCHAR(n)
    bool timezone = false;                 // DateTime: WITH TIME ZONE (PostgreSQL)

    friend bool operator==(const SqlType&, const SqlType&) = default;
    // "String(64)", "Numeric(10,2)", "Enum(a,b)": the spelling of migration files.
    std::string to_string() const;
    bool is_integer() const {
        return kind == TypeKind::Integer || kind == TypeKind::BigInteger || kind == TypeKind::SmallInteger;
    }
};

// Parse the spelling of SqlType::to_string(); throws strata::Error naming the text.
STRATA_API SqlType parse_type(std::string_view text);

inline SqlType type_of(TypeKind kind) {
    SqlType t;
    t.kind = kind;
    return t;
}
// Each factory returns its own type (a SqlType that knows its kind at
// compile time), so that the ORM can refuse, at compile time, a column whose
// member cannot hold it (a std::string member declared Integer()).
template <TypeKind K>
struct KindedType : SqlType {
    static constexpr TypeKind static_kind = K;
    KindedType() { kind = K; }
};
inline KindedType<TypeKind::Integer> Integer() { return {}; }
inline KindedType<TypeKind::BigInteger> BigInteger() { return {}; }
inline KindedType<TypeKind::SmallInteger> SmallInteger() { return {}; }
inline KindedType<TypeKind::Boolean> Boolean() { return {}; }
inline KindedType<TypeKind::Float> Float() { return {}; }
inline KindedType<TypeKind::Numeric> Numeric(int precision = 0, int scale = 0) {
    KindedType<TypeKind::Numeric> t;
    t.precision = precision;
    t.scale = scale;
    return t;
}
inline KindedType<TypeKind::String> String(int length = 0) {
    KindedType<TypeKind::String> t;
    t.length = length;
    return t;
}
inline KindedType<TypeKind::Text> Text() { return {}; }
inline KindedType<TypeKind::DateTime> DateTimeType() { return {}; }
inline KindedType<TypeKind::Date> DateType() { return {}; }
inline KindedType<TypeKind::Time> TimeType() { return {}; }
inline KindedType<TypeKind::LargeBinary> LargeBinary() { return {}; }
// A UUID, held as its 16 bytes (a strata::Blob member, or a type of the
// program's stored as one): declared UUID on SQLite (a BLOB), uuid on PostgreSQL.
inline KindedType<TypeKind::Uuid> UuidType() { return {}; }
// A JSON document, held as its text (a std::string member, or a type of the
// program's stored as one): declared JSON TEXT on SQLite (text affinity: a
// document that is a bare number is kept as written), jsonb on PostgreSQL.
inline KindedType<TypeKind::Json> JsonType() { return {}; }
inline KindedType<TypeKind::Enum> Enum(std::vector<std::string> values, std::string name = {}) {
    KindedType<TypeKind::Enum> t;
    t.enum_values = std::move(values);
    t.enum_name = std::move(name);
    return t;
}

}  // namespace strata
