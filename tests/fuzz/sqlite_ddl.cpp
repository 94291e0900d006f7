// libFuzzer target: what inspect reads from SQLite's CREATE TABLE text, without a database:
// the tokenizer, the constraint clauses, the Enum CHECKs and declared type names.
// These parsers never throw: any text gives some answer.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "backend/sqlite/schema/inspect.hpp"
#include "schema/sql_tokens.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view sql(reinterpret_cast<const char*>(data), size);
    namespace ddl = strata::sqlite_ddl;

    const auto tokens = strata::sqltok::tokenize(sql);
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (tokens[i].begin > tokens[i].end || tokens[i].end > sql.size()) __builtin_trap();  // offsets stay in the text
        if (tokens[i].is('(')) (void)strata::sqltok::matching_paren(tokens, i);
    }
    const ddl::NamedConstraints named = ddl::parse_constraints(sql);
    for (const auto& check : named.checks) {
        std::string column;
        std::vector<std::string> values;
        (void)ddl::parse_enum_check(check.sqltext, column, values);
    }
    (void)ddl::type_from_declared(sql);
    return 0;
}
