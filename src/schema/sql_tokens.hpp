// A small SQL tokenizer: enough to read constraint names and CHECK bodies
// out of the CREATE TABLE text SQLite keeps in sqlite_master.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace strata::sqltok {

enum class Kind { Word, Identifier, String, Number, Punct };

struct Token {
    Kind kind;
    std::string text;      // unquoted for Identifier and String
    std::size_t begin = 0; // offsets into the source
    std::size_t end = 0;
    bool is_word(std::string_view upper_word) const;   // case-insensitive keyword match
    bool is(char punct) const { return kind == Kind::Punct && text.size() == 1 && text[0] == punct; }
    // A name: a bare word or a quoted identifier.
    bool is_name() const { return kind == Kind::Word || kind == Kind::Identifier; }
};

std::vector<Token> tokenize(std::string_view sql);

// Why `text` is not one SQL expression that every backend reads the same way,
// or "" when it is. Text that becomes SQL (a server default, a CHECK body)
// must pass, read as SQLite reads it and as PostgreSQL does: outside string
// literals and quoted names it may not hold ';', ',' at the top level, an
// unbalanced parenthesis, a comment, '$' (dollar quoting) or '`'; a literal
// may not hold a backslash before a quote (E'' and standard strings differ
// there). Stricter than SQL, never looser.
std::string expression_problem(std::string_view text);

// The keys and predicate of a CREATE INDEX text (or of its tail, "(a, (lower(b)) DESC) WHERE c"):
// the first parenthesis holds the keys; a key that is one name is a column,
// anything else an expression (one layer of parentheses removed); a trailing
// ASC / DESC sets the order.
struct IndexKeyText {
    std::string text;        // the column's name (unquoted), or the expression as written
    bool expression = false;
    bool descending = false;
};
struct IndexDefinition {
    std::vector<IndexKeyText> keys;   // empty when the text holds no key list
    std::string where;                // "" without a WHERE
};
IndexDefinition parse_index_definition(std::string_view sql);

// An expression in a form two spellings of it share when they differ only
// the way backends re-spell text: spacing, keyword and bare-name case,
// identifier quotes, casts PostgreSQL adds (`(email)::text`), parentheses
// around a single name or literal, and one layer around the whole.
// For comparing, never for running.
std::string canonical_expression(std::string_view sql);

// A CHECK that keeps a text column to a list of values, as an Enum's does:
// `col IN ('a', 'b')`, also followed by `OR col IS NULL` (the same CHECK: one
// that gives NULL passes anyway). False for anything else (NOT IN, other
// columns, non-string values).
bool parse_in_list_check(std::string_view text, std::string& column, std::vector<std::string>& values);

// Index of the token closing the parenthesis opened at tokens[open]; tokens.size() if unbalanced.
std::size_t matching_paren(const std::vector<Token>& tokens, std::size_t open);

}  // namespace strata::sqltok
