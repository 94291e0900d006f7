// Typed raw SQL (Session::execute): the checks behind reading a row into C++ types.
#include <string>

#include "orm/orm_internal.hpp"
#include "strata/detail/row_reader.hpp"

namespace strata::detail {

namespace {

const char* kind_name(TypeKind k) {
    switch (k) {
        case TypeKind::Integer:
        case TypeKind::BigInteger:
        case TypeKind::SmallInteger: return "an integer";
        case TypeKind::Boolean: return "a boolean";
        case TypeKind::Float: return "a floating-point number";
        case TypeKind::Numeric: return "a numeric";
        case TypeKind::LargeBinary: return "bytes";
        case TypeKind::Uuid: return "a uuid";
        case TypeKind::DateTime: return "a timestamp";
        case TypeKind::Date: return "a date";
        case TypeKind::Time: return "a time";
        default: return "text";
    }
}

// What a column holding `stored` can be read as, beyond the declared types
// the C++ type accepts: SQLite keeps booleans as integers and dates, times
// and decimals as text; PostgreSQL's sum() of integers is numeric.
bool readable(TypeKind stored, bool (*accepts)(TypeKind)) {
    if (accepts(stored)) return true;
    switch (stored) {
        case TypeKind::Integer: return accepts(TypeKind::Boolean) || accepts(TypeKind::Float) || accepts(TypeKind::Numeric);
        case TypeKind::Float: return accepts(TypeKind::Numeric);
        case TypeKind::Numeric: return accepts(TypeKind::Integer);
        case TypeKind::Text:
            return accepts(TypeKind::DateTime) || accepts(TypeKind::Date) || accepts(TypeKind::Time) ||
                   accepts(TypeKind::Numeric);
        default: return false;
    }
}

std::string column_label(const Statement& st, int col) {
    return "column " + std::to_string(col + 1) + " (\"" + st.column_name(col) + "\")";
}

}  // namespace

void check_column_count(const Statement& st, std::size_t expected) {
    const int count = st.column_count();
    if (static_cast<std::size_t>(count) == expected) return;
    std::string names;
    for (int i = 0; i < count; ++i) names += (i ? ", " : "") + st.column_name(i);
    throw Error("strata: execute<R>: the SQL returns " + std::to_string(count) + " column" + (count == 1 ? "" : "s") +
                " (" + names + ") but the requested row type has " + std::to_string(expected) + ": " + st.sql());
}

bool check_column_value(const Statement& st, int col, const char* cpp_type, bool (*accepts)(TypeKind), bool optional) {
    if (st.is_null(col)) {
        if (optional) return false;
        throw Error("strata: execute<R>: " + column_label(st, col) + " is NULL, but the requested type " + cpp_type +
                    " is not std::optional: " + st.sql());
    }
    const TypeKind stored = st.stored_kind(col);
    if (!readable(stored, accepts))
        throw Error("strata: execute<R>: " + column_label(st, col) + " holds " + kind_name(stored) +
                    ", which cannot be read as the requested type " + cpp_type + ": " + st.sql());
    return true;
}

}  // namespace strata::detail
