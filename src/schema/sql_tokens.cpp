#include "schema/sql_tokens.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>

namespace strata::sqltok {

bool Token::is_word(std::string_view upper_word) const {
    if (kind != Kind::Word || text.size() != upper_word.size()) return false;
    for (std::size_t i = 0; i < text.size(); ++i)
        if (std::toupper(static_cast<unsigned char>(text[i])) != upper_word[i]) return false;
    return true;
}

namespace {
// Reads a quoted run closed by `close`, where a doubled close is an escaped one.
std::size_t read_quoted(std::string_view sql, std::size_t i, char close, std::string& out) {
    ++i;
    while (i < sql.size()) {
        if (sql[i] == close) {
            if (i + 1 < sql.size() && sql[i + 1] == close && close != ']') {
                out.push_back(close);
                i += 2;
                continue;
            }
            return i + 1;
        }
        out.push_back(sql[i++]);
    }
    return i;
}
}  // namespace

std::vector<Token> tokenize(std::string_view sql) {
    std::vector<Token> out;
    std::size_t i = 0;
    while (i < sql.size()) {
        char c = sql[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
        } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
            while (i < sql.size() && sql[i] != '\n') ++i;
        } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
            auto end = sql.find("*/", i + 2);
            i = end == std::string_view::npos ? sql.size() : end + 2;
        } else if (c == '"' || c == '`' || c == '[') {
            Token t{Kind::Identifier, {}, i, 0};
            i = read_quoted(sql, i, c == '[' ? ']' : c, t.text);
            t.end = i;
            out.push_back(std::move(t));
        } else if (c == '\'') {
            Token t{Kind::String, {}, i, 0};
            i = read_quoted(sql, i, '\'', t.text);
            t.end = i;
            out.push_back(std::move(t));
        } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
            std::size_t start = i;
            while (i < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '_' || sql[i] == '$')) ++i;
            out.push_back({Kind::Word, std::string(sql.substr(start, i - start)), start, i});
        } else if (std::isdigit(static_cast<unsigned char>(c))) {
            std::size_t start = i;
            while (i < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '.')) ++i;
            out.push_back({Kind::Number, std::string(sql.substr(start, i - start)), start, i});
        } else {
            out.push_back({Kind::Punct, std::string(1, c), i, i + 1});
            ++i;
        }
    }
    return out;
}

namespace {
// The end of the literal or quoted name opened at text[i] (npos when it is
// not closed); a doubled quote is part of it.
std::size_t quoted_end(std::string_view text, std::size_t i) {
    const char q = text[i];
    for (++i; i < text.size(); ++i) {
        if (text[i] != q) continue;
        if (i + 1 < text.size() && text[i + 1] == q) ++i;
        else return i + 1;
    }
    return std::string_view::npos;
}
}  // namespace

namespace {
bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// A keyword that starts a clause of a statement where an expression ends
// ("true ORDER BY id", "x = 1 UNION SELECT ..."): never part of one
// expression outside parentheses, except FROM in IS [NOT] DISTINCT FROM and
// GROUP in WITHIN GROUP. Keywords SQLite also takes as names (OFFSET, FOR,
// WINDOW, RETURNING, ...) are left out: a bare column may be called that.
bool starts_a_clause(const std::string& upper_word, const std::string& upper_before) {
    static const char* const kClauses[] = {"SELECT", "FROM",  "WHERE",     "GROUP",  "HAVING", "ORDER",
                                           "LIMIT",  "UNION", "INTERSECT", "EXCEPT", "INTO"};
    if (upper_word == "FROM" && upper_before == "DISTINCT") return false;
    if (upper_word == "GROUP" && upper_before == "WITHIN") return false;
    return std::find(std::begin(kClauses), std::end(kClauses), upper_word) != std::end(kClauses);
}

std::string upper(std::string_view word) {
    std::string out(word);
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

// expression_problem as one backend reads the text: SQLite takes [name] and
// `name` as quoted names, PostgreSQL takes [ ] as brackets (ARRAY['a']).
std::string problem_as(std::string_view text, bool sqlite) {
    int parens = 0, brackets = 0;
    bool any = false;
    std::string word_before;   // the last word outside quotes, in capitals
    for (std::size_t i = 0; i < text.size();) {
        const char c = text[i];
        const char next = i + 1 < text.size() ? text[i + 1] : '\0';
        if (is_word_char(c)) {   // a word or a number, whole
            std::size_t end = i;
            while (end < text.size() && is_word_char(text[end])) ++end;
            std::string word = upper(text.substr(i, end - i));
            if (parens == 0 && brackets == 0 && starts_a_clause(word, word_before))
                return "'" + std::string(text.substr(i, end - i)) + "' outside parentheses (a clause of a statement)";
            word_before = std::move(word);
            i = end;
            any = true;
            continue;
        }
        if (c == '\'' || c == '"' || (sqlite && (c == '`' || c == '['))) {
            std::size_t end = c == '[' ? text.find(']', i) : quoted_end(text, i);
            if (end == std::string_view::npos)
                return std::string(c == '\'' ? "a string literal" : "a quoted name") + " is not closed";
            if (c == '[') ++end;
            if (c == '\'' && text.substr(i, end - i).find("\\'") != std::string_view::npos)
                return "a backslash before a quote in a string literal (write '' for a quote)";
            i = end;
            any = true;
            continue;
        }
        if ((c == '-' && next == '-') || (c == '/' && next == '*')) return "a comment ('--' or '/*')";
        if (c == ';') return "a ';' (a second statement)";
        if (c == '$' || c == '`') return std::string("a '") + c + "'";
        if (c == ',' && parens == 0 && brackets == 0) return "a ',' outside parentheses (a second item)";
        if (c == '\0') return "a NUL byte";
        if (c == '(') ++parens;
        if (c == '[') ++brackets;
        if ((c == ')' && --parens < 0) || (c == ']' && --brackets < 0))
            return std::string("a '") + c + "' that closes nothing";
        if (!std::isspace(static_cast<unsigned char>(c))) any = true;
        ++i;
    }
    if (parens > 0 || brackets > 0) return "a '(' or '[' that is not closed";
    if (!any) return "no expression";
    return "";
}
}  // namespace

std::string expression_problem(std::string_view text) {
    std::string problem = problem_as(text, /*sqlite=*/false);
    return problem.empty() ? problem_as(text, /*sqlite=*/true) : problem;
}

namespace {
std::string_view trimmed(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

// One key: tokens [first, last] of the source.
IndexKeyText index_key(std::string_view sql, const std::vector<Token>& toks, std::size_t first, std::size_t last) {
    IndexKeyText key;
    if (last > first && (toks[last].is_word("DESC") || toks[last].is_word("ASC"))) {
        key.descending = toks[last].is_word("DESC");
        --last;
    }
    if (first == last && toks[first].is_name()) {
        key.text = toks[first].text;
        return key;
    }
    key.expression = true;
    if (toks[first].is('(') && matching_paren(toks, first) == last) {
        ++first;
        --last;
    }
    if (first <= last) key.text = std::string(trimmed(sql.substr(toks[first].begin, toks[last].end - toks[first].begin)));
    return key;
}
}  // namespace

IndexDefinition parse_index_definition(std::string_view sql) {
    IndexDefinition out;
    auto toks = tokenize(sql);
    std::size_t open = 0;
    while (open < toks.size() && !toks[open].is('(')) ++open;
    std::size_t close = open < toks.size() ? matching_paren(toks, open) : toks.size();
    if (close >= toks.size() || close == open + 1) return out;
    std::size_t first = open + 1;
    int depth = 0;
    for (std::size_t i = open + 1; i <= close; ++i) {
        if (toks[i].is('(')) ++depth;
        if (toks[i].is(')') && i < close) --depth;
        if ((i == close || (depth == 0 && toks[i].is(','))) && i > first) {
            out.keys.push_back(index_key(sql, toks, first, i - 1));
            first = i + 1;
        }
    }
    if (close + 1 < toks.size() && toks[close + 1].is_word("WHERE") && close + 2 < toks.size())
        out.where = std::string(trimmed(sql.substr(toks[close + 2].begin)));
    return out;
}

namespace {
bool continues_type_name(const Token& t) {
    for (const char* w : {"VARYING", "PRECISION", "WITHOUT", "WITH", "TIME", "ZONE"})
        if (t.is_word(w)) return true;
    return false;
}

// Removes "::type" casts: the type's words, a (n) and [] after them.
std::vector<Token> without_casts(const std::vector<Token>& toks) {
    std::vector<Token> out;
    for (std::size_t i = 0; i < toks.size(); ++i) {
        if (!(toks[i].is(':') && i + 2 < toks.size() && toks[i + 1].is(':') && toks[i + 2].is_name())) {
            out.push_back(toks[i]);
            continue;
        }
        i += 2;
        while (i + 1 < toks.size() && continues_type_name(toks[i + 1])) ++i;
        if (i + 1 < toks.size() && toks[i + 1].is('(')) i = matching_paren(toks, i + 1);
        while (i + 2 < toks.size() && toks[i + 1].is('[') && toks[i + 2].is(']')) i += 2;
    }
    return out;
}

// Drops "( atom )" that is not a call's argument list, and parentheses around the whole.
std::vector<Token> without_redundant_parens(std::vector<Token> toks) {
    for (bool changed = true; changed;) {
        changed = false;
        for (std::size_t i = 0; i + 2 < toks.size(); ++i) {
            const bool call = i > 0 && toks[i - 1].is_name();
            if (toks[i].is('(') && toks[i + 2].is(')') && !call && !toks[i + 1].is('(')) {
                toks.erase(toks.begin() + static_cast<std::ptrdiff_t>(i + 2));
                toks.erase(toks.begin() + static_cast<std::ptrdiff_t>(i));
                changed = true;
            }
        }
        if (toks.size() >= 2 && toks.front().is('(') && matching_paren(toks, 0) == toks.size() - 1) {
            toks.erase(toks.end() - 1);
            toks.erase(toks.begin());
            changed = true;
        }
    }
    return toks;
}
}  // namespace

std::string canonical_expression(std::string_view sql) {
    std::string out;
    for (const Token& t : without_redundant_parens(without_casts(tokenize(sql)))) {
        if (!out.empty()) out += ' ';
        if (t.kind == Kind::String) {
            out += '\'';
            for (char c : t.text) out += c == '\'' ? std::string("''") : std::string(1, c);
            out += '\'';
        } else if (t.kind == Kind::Word) {
            for (char c : t.text) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        } else {
            out += t.text;
        }
    }
    return out;
}

std::size_t matching_paren(const std::vector<Token>& tokens, std::size_t open) {
    int depth = 0;
    for (std::size_t i = open; i < tokens.size(); ++i) {
        if (tokens[i].is('(')) ++depth;
        else if (tokens[i].is(')') && --depth == 0) return i;
    }
    return tokens.size();
}

bool parse_in_list_check(std::string_view text, std::string& column, std::vector<std::string>& values) {
    auto toks = tokenize(text);
    // One layer of parentheses around the whole, as backends echo CHECK text.
    if (toks.size() > 2 && toks.front().is('(') && matching_paren(toks, 0) == toks.size() - 1)
        toks = std::vector<Token>(toks.begin() + 1, toks.end() - 1);
    if (toks.size() < 5 || !toks[0].is_name() || !toks[1].is_word("IN") || !toks[2].is('(')) return false;
    const std::size_t close = matching_paren(toks, 2);
    if (close >= toks.size()) return false;
    std::vector<std::string> found;
    for (std::size_t i = 3; i < close; ++i) {
        const bool expect_value = (i - 3) % 2 == 0;
        if (expect_value ? toks[i].kind != Kind::String : !toks[i].is(',')) return false;
        if (expect_value) found.push_back(toks[i].text);
    }
    if (found.empty() || toks[close - 1].is(',')) return false;
    const std::size_t rest = toks.size() - close - 1;
    const bool or_null = rest == 4 && toks[close + 1].is_word("OR") && toks[close + 2].is_name() &&
                         toks[close + 2].text == toks[0].text && toks[close + 3].is_word("IS") &&
                         toks[close + 4].is_word("NULL");
    if (rest != 0 && !or_null) return false;
    column = toks[0].text;
    values = std::move(found);
    return true;
}

}  // namespace strata::sqltok
