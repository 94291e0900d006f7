// libFuzzer target: the SQL text strata reads back from a database it did not
// write (index definitions, server defaults and CHECKs as a backend echoes
// them) or from a user (a revision's expressions, a duration in strata.yaml
// or a flag), without a database. None of these throws: any text gives an
// answer.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "migrate/timeouts.hpp"
#include "schema/sql_tokens.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    namespace tok = strata::sqltok;

    (void)tok::expression_problem(text);
    const tok::IndexDefinition index = tok::parse_index_definition(text);
    for (const auto& key : index.keys)
        if (key.text.size() > text.size()) __builtin_trap();  // a key is a piece of the text, unquoted
    (void)tok::canonical_expression(text);
    (void)tok::canonical_expression(index.where);
    std::string column;
    std::vector<std::string> values;
    if (tok::parse_in_list_check(text, column, values) && column.empty()) __builtin_trap();

    std::chrono::milliseconds d{-1};
    if (strata::migrate::parse_duration(text, d).empty()) {
        // Accepted: within PostgreSQL's limit for a timeout, and printable.
        if (d.count() < 0 || d.count() > 2147483647) __builtin_trap();
        (void)strata::migrate::format_duration(d);
    }
    return 0;
}
