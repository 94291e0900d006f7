// src/migrate/reflect_models.cpp — `db reflect`: write models for a live database as C++.
//
// The header must compile whatever the database's names are: SQL names reach
// it only as escaped string literals, and every C++ name is made from one by
// cpp_type_name / cpp_member_name, then made unique in its scope.
#include "migrate/reflect_models.hpp"

#include <algorithm>
#include <set>
#include <sstream>
#include <string>

#include "strata/error.hpp"

namespace strata::migrate {

namespace {

bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_lower(c) || is_upper(c) || is_digit(c); }

std::string lowercase(std::string s) {
    for (char& c : s)
        if (is_upper(c)) c = static_cast<char>(c - 'A' + 'a');
    return s;
}

// The runs of ASCII letters and digits: everything else (spaces, quotes,
// underscores, non-ASCII bytes) separates words.
std::vector<std::string> words_of(std::string_view name) {
    std::vector<std::string> out;
    std::string word;
    for (char c : name) {
        if (is_alnum(c)) {
            word += c;
        } else if (!word.empty()) {
            out.push_back(std::move(word));
            word.clear();
        }
    }
    if (!word.empty()) out.push_back(std::move(word));
    return out;
}

// Words a member cannot be: C++20 keywords and alternative tokens, and the
// lower-case object-like macros of the standard headers and of GNU mode.
bool is_reserved(const std::string& name) {
    static const std::set<std::string> reserved{
        "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case", "catch",
        "char", "char8_t", "char16_t", "char32_t", "class", "compl", "concept", "const", "consteval", "constexpr",
        "constinit", "const_cast", "continue", "co_await", "co_return", "co_yield", "decltype", "default", "delete",
        "do", "double", "dynamic_cast", "else", "enum", "explicit", "export", "extern", "false", "float", "for",
        "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new", "noexcept", "not", "not_eq",
        "nullptr", "operator", "or", "or_eq", "private", "protected", "public", "register", "reinterpret_cast",
        "requires", "return", "short", "signed", "sizeof", "static", "static_assert", "static_cast", "struct",
        "switch", "template", "this", "thread_local", "throw", "true", "try", "typedef", "typeid", "typename",
        "union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t", "while", "xor", "xor_eq",
        "errno", "stdin", "stdout", "stderr", "linux", "unix", "i386"};
    return reserved.contains(name);
}

bool is_cpp_name(const std::string& s) {
    if (s.empty() || is_digit(s[0])) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return is_alnum(c) || c == '_'; });
}

// Makes names unique in one scope: the first asker gets the name, later ones
// a numbered variant.
class Scope {
public:
    void reserve(const std::string& name) { taken_.insert(name); }
    bool taken(const std::string& name) const { return taken_.contains(name); }
    std::string claim(const std::string& wanted) {
        std::string name = wanted;
        for (int n = 2; taken_.contains(name); ++n) name = wanted + "_" + std::to_string(n);
        taken_.insert(name);
        return name;
    }
    // The first of `choices` that is free, else a numbered first choice.
    std::string claim_first(const std::vector<std::string>& choices) {
        for (const auto& c : choices)
            if (!taken_.contains(c)) return claim(c);
        return claim(choices.front());
    }

private:
    std::set<std::string> taken_;
};

// "post" -> "posts", "address" -> "addresses", "reply" -> "replies";
// a past participle ("followed") is already a collection's name.
std::string plural(const std::string& word) {
    auto ends = [&](std::string_view tail) { return lowercase(word).ends_with(tail); };
    if (ends("ed")) return word;
    if (ends("s") || ends("x") || ends("z") || ends("ch") || ends("sh")) return word + "es";
    if (word.size() >= 2 && ends("y") && std::string_view("aeiouAEIOU").find(word[word.size() - 2]) == std::string_view::npos)
        return word.substr(0, word.size() - 1) + "ies";
    return word + "s";
}

// "author_id" -> "author": what a foreign-key column refers to, or "" when its name does not say.
std::string stem_of(const std::string& column) {
    const std::string lower = lowercase(column);
    if (lower.size() > 3 && lower.ends_with("_id")) return column.substr(0, column.size() - 3);
    return "";
}

std::string type_expression(const SqlType& t) {
    switch (t.kind) {
    case TypeKind::Integer: return "strata::Integer()";
    case TypeKind::BigInteger: return "strata::BigInteger()";
    case TypeKind::SmallInteger: return "strata::SmallInteger()";
    case TypeKind::Boolean: return "strata::Boolean()";
    case TypeKind::Float: return "strata::Float()";
    case TypeKind::Numeric:
        if (t.precision == 0 && t.scale == 0) return "strata::Numeric()";
        return "strata::Numeric(" + std::to_string(t.precision) + ", " + std::to_string(t.scale) + ")";
    case TypeKind::String: return t.length ? "strata::String(" + std::to_string(t.length) + ")" : "strata::String()";
    case TypeKind::Text: return "strata::Text()";
    case TypeKind::DateTime: return "strata::DateTimeType()";
    case TypeKind::Date: return "strata::DateType()";
    case TypeKind::Time: return "strata::TimeType()";
    case TypeKind::LargeBinary: return "strata::LargeBinary()";
    case TypeKind::Uuid: return "strata::UuidType()";
    case TypeKind::Json: return "strata::JsonType()";
    case TypeKind::Enum: {
        std::string values;
        for (const auto& v : t.enum_values) values += (values.empty() ? "" : ", ") + cpp_string_literal(v);
        return "strata::Enum({" + values + "}" + (t.enum_name.empty() ? "" : ", " + cpp_string_literal(t.enum_name)) + ")";
    }
    }
    throw MigrationError("db reflect: a column type it does not know (" + t.to_string() + ")");
}

// The member type the ORM maps the column to (docs/types.md).
std::string member_type(const SqlType& t) {
    switch (t.kind) {
    case TypeKind::Integer:
    case TypeKind::BigInteger: return "std::int64_t";
    case TypeKind::SmallInteger: return "std::int16_t";
    case TypeKind::Boolean: return "bool";
    case TypeKind::Float: return "double";
    case TypeKind::Numeric: return "strata::Decimal";
    case TypeKind::String:
    case TypeKind::Text:
    case TypeKind::Json:
    case TypeKind::Enum: return "std::string";
    case TypeKind::DateTime: return "strata::DateTime";
    case TypeKind::Date: return "strata::Date";
    case TypeKind::Time: return "strata::Time";
    case TypeKind::Uuid:
    case TypeKind::LargeBinary: return "strata::Blob";
    }
    throw MigrationError("db reflect: a column type it does not know (" + t.to_string() + ")");
}

std::string string_list(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ", ") + cpp_string_literal(i);
    return "{" + out + "}";
}

// The ORM maps a table with a single-column primary key (and at most 64 columns).
bool is_model_table(const Table& t) { return t.primary_key_columns().size() == 1 && t.columns.size() <= 64; }

struct Model {
    const Table* table = nullptr;
    std::string type;                  // the struct's name
    std::vector<std::string> members;  // one per table column, in order
    Scope scope;
};

// A foreign key that became a BelongsTo on the referring model and a HasMany on the referred one.
struct Reference {
    std::size_t child = 0, parent = 0;
    std::size_t column = 0;  // the key column's index in the child table
    std::string belongs_to, has_many;
};

// An association table between two models: many_to_many on each side.
struct Association {
    const Table* table = nullptr;
    std::size_t left = 0, right = 0;
    std::string left_column, right_column;
    std::string left_member, right_member;  // left_member is on `left` and holds `right`s
};

class Generator {
public:
    Generator(const MetaData& schema, const ReflectOptions& options) : options_(options) {
        for (const Table* t : schema.sorted_tables())
            if (selected(t->name())) tables_.push_back(t);
        for (const auto& name : options.tables)
            if (!schema.find(name)) throw MigrationError("db reflect: --tables names '" + name + "', which the database does not have");
        check_namespace();
    }

    std::string run() {
        name_models();
        find_references();
        find_associations();
        name_relationships();
        write_header();
        return out_.str();
    }

private:
    const ReflectOptions& options_;
    std::vector<const Table*> tables_;
    std::vector<Model> models_;
    std::vector<const Table*> plain_;  // no struct: mapped with Registry::table
    std::vector<Reference> references_;
    std::vector<Association> associations_;
    std::ostringstream out_;

    bool selected(const std::string& name) const {
        return options_.tables.empty() ||
               std::find(options_.tables.begin(), options_.tables.end(), name) != options_.tables.end();
    }

    void check_namespace() const {
        const std::string& ns = options_.name_space;
        if (ns.empty()) return;
        std::size_t from = 0;
        while (true) {
            auto sep = ns.find("::", from);
            std::string part = ns.substr(from, sep == std::string::npos ? std::string::npos : sep - from);
            if (!is_cpp_name(part) || is_reserved(part) || (from == 0 && (part == "std" || part == "strata")))
                throw MigrationError("db reflect: --namespace '" + ns + "' is not a C++ namespace name (a or a::b)");
            if (sep == std::string::npos) return;
            from = sep + 2;
        }
    }

    const Model* model_of(const std::string& table) const {
        for (const auto& m : models_)
            if (m.table->name() == table) return &m;
        return nullptr;
    }
    std::size_t index_of(const Model* m) const { return static_cast<std::size_t>(m - models_.data()); }

    void name_models() {
        Scope types;
        for (const Table* t : tables_) {
            if (!is_model_table(*t)) {
                plain_.push_back(t);
                continue;
            }
            Model m;
            m.table = t;
            m.type = types.claim(cpp_type_name(t->name()));
            models_.push_back(std::move(m));
        }
        for (auto& m : models_) {
            // A member named like a struct would hide it inside the struct.
            for (const auto& other : models_) m.scope.reserve(other.type);
            for (const auto& c : m.table->columns) m.members.push_back(m.scope.claim(cpp_member_name(c.name)));
        }
    }

    // A single-column foreign key from a model to another model's primary key.
    void find_references() {
        for (std::size_t child = 0; child < models_.size(); ++child) {
            const Table& t = *models_[child].table;
            for (const auto& fk : t.foreign_keys) {
                const Model* parent = model_of(fk.ref_table);
                if (!parent || fk.columns.size() != 1 || fk.ref_columns != parent->table->primary_key_columns()) continue;
                Reference r;
                r.child = child;
                r.parent = index_of(parent);
                for (std::size_t i = 0; i < t.columns.size(); ++i)
                    if (t.columns[i].name == fk.columns[0]) r.column = i;
                references_.push_back(r);
            }
        }
    }

    // A table of exactly two columns, each a foreign key to a model's primary key.
    void find_associations() {
        for (const Table* t : plain_) {
            if (t->columns.size() != 2 || t->foreign_keys.size() != 2) continue;
            std::vector<std::pair<std::size_t, std::string>> ends;
            for (const auto& fk : t->foreign_keys) {
                const Model* m = model_of(fk.ref_table);
                if (!m || fk.columns.size() != 1 || fk.ref_columns != m->table->primary_key_columns()) break;
                ends.emplace_back(index_of(m), fk.columns[0]);
            }
            if (ends.size() != 2 || ends[0].second == ends[1].second) continue;
            associations_.push_back({t, ends[0].first, ends[1].first, ends[0].second, ends[1].second, "", ""});
        }
    }

    void name_relationships() {
        for (auto& r : references_) {
            Model& child = models_[r.child];
            const std::string column = child.table->columns[r.column].name;
            const std::string stem = stem_of(column);
            const std::string wanted = cpp_member_name(stem.empty() ? models_[r.parent].table->name() : stem);
            r.belongs_to = child.scope.claim_first({wanted, wanted + "_ref"});
        }
        for (auto& r : references_) {
            Model& parent = models_[r.parent];
            const Model& child = models_[r.child];
            const std::string many = plural(cpp_member_name(child.table->name()));
            const bool several = std::count_if(references_.begin(), references_.end(), [&](const Reference& o) {
                                     return o.child == r.child && o.parent == r.parent;
                                 }) > 1;
            const std::string by = many + "_by_" + r.belongs_to;
            r.has_many = several ? parent.scope.claim(by) : parent.scope.claim_first({many, by});
        }
        for (auto& a : associations_) {
            const bool self = a.left == a.right;
            const std::string via = "_via_" + cpp_member_name(a.table->name());
            auto name = [&](std::size_t other, const std::string& other_column) {
                const std::string stem = stem_of(other_column);
                return plural(cpp_member_name(self && !stem.empty() ? stem : self ? other_column : models_[other].table->name()));
            };
            const std::string left = name(a.right, a.right_column), right = name(a.left, a.left_column);
            a.left_member = models_[a.left].scope.claim_first({left, left + via});
            a.right_member = models_[a.right].scope.claim_first({right, right + via});
        }
    }

    // ------------------------------------------------------------ writing

    void write_header() {
        out_ << "// Models reflected from a database by `db reflect`: " << models_.size() << " mapped " << (models_.size() == 1 ? "struct" : "structs") << ", " << plain_.size()
             << " plain " << (plain_.size() == 1 ? "table" : "tables") << ".\n";
        out_ << "// SQL names are kept in the mapping; the C++ names are made from them\n"
                "// (docs/migrations.md, \"Adopting an existing database\"). Edit freely.\n"
                "#pragma once\n\n"
                "#include <strata/strata.hpp>\n\n"
                "#include <cstdint>\n#include <optional>\n#include <string>\n\n";
        if (!options_.name_space.empty()) out_ << "namespace " << options_.name_space << " {\n\n";
        for (const auto& m : models_) out_ << "struct " << m.type << ";\n";
        if (!models_.empty()) out_ << "\n";
        for (std::size_t i = 0; i < models_.size(); ++i) write_struct(i);
        // An unused parameter would be a warning in the user's build.
        out_ << "inline void map_models(strata::Registry&" << (tables_.empty() ? "" : " r") << ") {\n";
        for (std::size_t i = 0; i < models_.size(); ++i) write_model(i);
        for (const Table* t : plain_) write_plain(*t);
        for (const auto& m : models_) write_constraints(*m.table, "    r.table(" + cpp_string_literal(m.table->name()) + ")");
        out_ << "}\n";
        if (!options_.name_space.empty()) out_ << "\n}  // namespace " << options_.name_space << "\n";
    }

    void write_struct(std::size_t index) {
        const Model& m = models_[index];
        out_ << "struct " << m.type << " {\n";
        const auto& columns = m.table->columns;
        for (std::size_t i = 0; i < columns.size(); ++i) {
            const Column& c = columns[i];
            std::string type = member_type(c.type);
            if (c.nullable && !c.primary_key) type = "std::optional<" + type + ">";
            out_ << "    " << type << " " << m.members[i] << "{};\n";
        }
        for (const auto& r : references_)
            if (r.child == index) out_ << "    strata::BelongsTo<" << models_[r.parent].type << "> " << r.belongs_to << "{};\n";
        for (const auto& r : references_)
            if (r.parent == index) out_ << "    strata::HasMany<" << models_[r.child].type << "> " << r.has_many << "{};\n";
        for (const auto& a : associations_) {
            if (a.left == index) out_ << "    strata::HasMany<" << models_[a.right].type << "> " << a.left_member << "{};\n";
            if (a.right == index) out_ << "    strata::HasMany<" << models_[a.left].type << "> " << a.right_member << "{};\n";
        }
        out_ << "};\n\n";
    }

    // primary_key(), autoincrement, NOT NULL (plain tables; a model's comes
    // from its member being std::optional or not) and the server default.
    static std::string column_options(const Table& t, const Column& c, bool plain) {
        std::string out = ", " + type_expression(c.type);
        const bool lone_key = t.primary_key_columns().size() == 1;
        if (c.primary_key) out += ", strata::primary_key()";
        // primary_key() means NOT NULL; SQLite lets a key column other than an INTEGER one be NULL.
        if (c.primary_key && c.nullable) out += ", strata::nullable()";
        const bool automatic = c.primary_key && lone_key && c.type.kind == TypeKind::Integer;
        if (c.autoincrement != automatic) out += std::string(", strata::autoincrement(") + (c.autoincrement ? "true" : "false") + ")";
        if (plain && !c.nullable && !c.primary_key) out += ", strata::not_null()";
        if (c.server_default) out += ", strata::server_default(" + cpp_string_literal(*c.server_default) + ")";
        return out;
    }

    void write_model(std::size_t index) {
        const Model& m = models_[index];
        out_ << "    r.model<" << m.type << ">(" << cpp_string_literal(m.table->name()) << ")";
        const auto& columns = m.table->columns;
        for (std::size_t i = 0; i < columns.size(); ++i)
            out_ << "\n        .column(&" << m.type << "::" << m.members[i] << ", " << cpp_string_literal(columns[i].name)
                 << column_options(*m.table, columns[i], false) << ")";
        for (const auto& r : references_) {
            if (r.child != index) continue;
            out_ << "\n        .belongs_to(&" << m.type << "::" << r.belongs_to << ", &" << m.type << "::" << m.members[r.column] << ")";
        }
        for (const auto& r : references_) {
            if (r.parent != index) continue;
            const std::string& child = models_[r.child].type;
            out_ << "\n        .has_many(&" << m.type << "::" << r.has_many << ", &" << child << "::" << r.belongs_to << ")";
        }
        for (const auto& a : associations_) {
            if (a.left != index) continue;
            const std::string& other = models_[a.right].type;
            out_ << "\n        .many_to_many(&" << m.type << "::" << a.left_member << ", " << cpp_string_literal(a.table->name())
                 << ", " << cpp_string_literal(a.left_column) << ", " << cpp_string_literal(a.right_column) << ", &" << other
                 << "::" << a.right_member << ")";
        }
        out_ << ";\n";
    }

    void write_plain(const Table& t) {
        const bool association = std::any_of(associations_.begin(), associations_.end(),
                                             [&](const Association& a) { return a.table == &t; });
        out_ << (association ? "    // An association table (many_to_many above).\n"
                             : "    // No single-column primary key: a plain table, no struct.\n");
        std::string chain = "    r.table(" + cpp_string_literal(t.name()) + ")";
        for (const auto& c : t.columns)
            chain += "\n        .column(" + cpp_string_literal(c.name) + column_options(t, c, true) + ")";
        write_constraints(t, chain, true);
    }

    // Indexes and constraints under the database's own names (an unnamed one
    // gets the naming convention's: autogenerate matches it by what it does).
    // `chain` is the statement so far: written even with nothing added when `always`.
    void write_constraints(const Table& t, std::string chain, bool always = false) {
        const std::size_t bare = always ? 0 : chain.size();
        for (const auto& ix : t.indexes) {
            const bool on_columns = !ix.columns.empty() && std::all_of(ix.columns.begin(), ix.columns.end(), [&](const auto& c) {
                return t.find_column(c) != nullptr;
            });
            if (!on_columns) {
                out_ << "    // Index " << cpp_string_literal(ix.name) << " is not on plain columns: not mapped.\n";
                continue;
            }
            chain += "\n        .index(" + cpp_string_literal(ix.name) + ", " + string_list(ix.columns) + (ix.unique ? ", true" : "") + ")";
        }
        for (const auto& uq : t.unique_constraints)
            chain += "\n        .unique_constraint(" + cpp_string_literal(uq.name) + ", " + string_list(uq.columns) + ")";
        for (const auto& fk : t.foreign_keys) {
            chain += "\n        .foreign_key(" + cpp_string_literal(fk.name) + ", " + string_list(fk.columns) + ", " +
                     cpp_string_literal(fk.ref_table) + ", " + string_list(fk.ref_columns);
            if (!fk.ondelete.empty() || !fk.onupdate.empty())
                chain += ", " + cpp_string_literal(fk.ondelete) + (fk.onupdate.empty() ? "" : ", " + cpp_string_literal(fk.onupdate));
            chain += ")";
        }
        std::vector<const CheckConstraint*> named_checks;
        int unnamed = 0;
        for (const auto& ck : t.checks) {
            // Table::check names it by the convention: an unnamed CHECK gets
            // ck_<table>_<n>; a named one is kept exactly (pushed as is).
            if (!ck.name.empty()) named_checks.push_back(&ck);
            else chain += "\n        .check(" + cpp_string_literal(std::to_string(++unnamed)) + ", " + cpp_string_literal(ck.sqltext) + ")";
        }
        if (!t.primary_key_constraint.empty() && !t.primary_key_columns().empty())
            chain += "\n        .primary_key_name(" + cpp_string_literal(t.primary_key_constraint) + ")";
        if (chain.size() > bare) out_ << chain << ";\n";
        for (const auto* ck : named_checks)
            out_ << "    r.table(" << cpp_string_literal(t.name()) << ").checks.push_back({" << cpp_string_literal(ck->name)
                 << ", " << cpp_string_literal(ck->sqltext) << "});\n";
    }
};

}  // namespace

std::string cpp_type_name(std::string_view sql_name) {
    std::string out;
    for (std::string word : words_of(sql_name)) {
        // "ORDERS" reads as a word, not an acronym (and is no macro's name).
        if (std::none_of(word.begin(), word.end(), is_lower)) word = lowercase(word);
        if (is_lower(word[0])) word[0] = static_cast<char>(word[0] - 'a' + 'A');
        out += word;
    }
    if (out.empty() || is_digit(out[0])) out = "Table" + out;
    return out;
}

std::string cpp_member_name(std::string_view sql_name) {
    std::string out;
    for (const auto& word : words_of(sql_name)) out += (out.empty() ? "" : "_") + word;
    // All capitals are how macros are spelled: "ID" -> "id".
    if (std::none_of(out.begin(), out.end(), is_lower)) out = lowercase(out);
    if (out.empty()) return "column";
    if (is_digit(out[0])) out = "_" + out;
    if (is_reserved(out)) out += "_";
    return out;
}

std::string cpp_string_literal(std::string_view text) {
    std::string out = "\"";
    char previous = 0;
    for (char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '?' && previous == '?') {
            out += "\\?";  // no trigraph, not even one the compiler warns about
        } else if (byte < 0x20 || byte >= 0x7f) {
            // Three octal digits: an escape that cannot swallow the next character.
            out += '\\';
            out += static_cast<char>('0' + (byte >> 6));
            out += static_cast<char>('0' + ((byte >> 3) & 7));
            out += static_cast<char>('0' + (byte & 7));
        } else {
            out += c;
        }
        previous = c;
    }
    return out + "\"";
}

std::string reflect_models(const MetaData& schema, const ReflectOptions& options) {
    return Generator(schema, options).run();
}

}  // namespace strata::migrate
