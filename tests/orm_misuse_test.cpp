// Misuse of the mapping API: compile errors with plain messages (checked by
// running the compiler on small programs), and ConfigErrors at declaration.
#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "orm_models.hpp"

namespace {

using strata::testing::expect_throw;

std::string shell_quoted(const std::string& word) {
    std::string quoted = "'";
    for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

// The compiler flags of this build (tests/CMakeLists.txt writes them, one a line).
std::vector<std::string> build_flags() {
    std::ifstream in(STRATA_MISUSE_CXX_FLAGS_FILE);
    if (!in) throw std::runtime_error("cannot read " STRATA_MISUSE_CXX_FLAGS_FILE);
    std::vector<std::string> flags;
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) flags.push_back(line);
    return flags;
}

// Compiles `body` (after the includes, a small model and `declarations`) with
// this build's compiler and flags, and returns the compiler's output, or ""
// when it compiled.
std::string compile_errors(const std::string& body, const std::string& declarations = {}) {
    strata::testing::TempDir dir;
    auto source = dir.path() / "misuse.cpp";
    std::ofstream(source) << "#include <strata/strata.hpp>\n"
                             "struct Note { std::int64_t id = 0; std::string text{}; std::vector<int> tags{};"
                             " strata::HasMany<Note> children{}; };\n"
                             "struct MyInteger : strata::SqlType {\n"
                             "    static constexpr strata::TypeKind static_kind = strata::TypeKind::Integer;\n"
                             "    MyInteger() { kind = static_kind; }\n"
                             "};\n"
                          << declarations << "void misuse(strata::Registry& r) {\n"
                          << body << "\n}\n";
    std::string cmd = shell_quoted(STRATA_CXX_COMPILER);
    for (const auto& flag : build_flags()) cmd += " " + shell_quoted(flag);
    cmd += " -fsyntax-only " + shell_quoted(source.string()) + " 2>&1";
    std::string out;
    FILE* pipe = popen(cmd.c_str(), "r");
    std::array<char, 4096> buf{};
    while (auto n = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
    return pclose(pipe) == 0 ? "" : out;
}

#ifdef __SANITIZE_ADDRESS__
constexpr const char* same_sanitizer = "#ifndef __SANITIZE_ADDRESS__\n#error not built like the tests\n#endif\n";
#else
constexpr const char* same_sanitizer = "#ifdef __SANITIZE_ADDRESS__\n#error not built like the tests\n#endif\n";
#endif

// Also checks that the programs are built like the tests: same compiler, standard, sanitizer.
TEST(OrmMisuse, CompilesTheCorrectProgram) {
    EXPECT_EQ(compile_errors("r.model<Note>(\"note\").column(&Note::id, \"id\", strata::primary_key())"
                             ".column(&Note::text, \"text\", strata::Text());\n"
                             "static_assert(__cplusplus == " +
                             std::to_string(__cplusplus) +
                             "L);\n"
                             "static_assert(std::string_view(__VERSION__) == \"" __VERSION__ "\");\n" +
                             same_sanitizer),
              "");
}

TEST(OrmMisuse, UnmappableMemberTypeFailsToCompile) {
    auto out = compile_errors("r.model<Note>(\"note\").column(&Note::tags, \"tags\");");
    EXPECT_NE(out.find("strata: this member's type cannot be mapped to a column"), std::string::npos) << out;
}

// std::uint64_t has no column type to go to: the same plain message, and only it
// (not the failed overloads of Value's constructor it used to give).
TEST(OrmMisuse, UnsignedSixtyFourBitMemberFailsToCompileWithThePlainMessage) {
    // One compiler run: three members refused (lines 9-11), a 32-bit unsigned one accepted (line 12).
    auto out = compile_errors(
        "struct Counter { std::uint64_t a{}; unsigned long long b{}; std::optional<std::size_t> c{}; "
        "std::uint32_t d{}; };\n"
        "r.model<Counter>(\"counter\").column(&Counter::a, \"a\");\n"
        "r.model<Counter>(\"counter\").column(&Counter::b, \"b\");\n"
        "r.model<Counter>(\"counter\").column(&Counter::c, \"c\");\n"
        "r.model<Counter>(\"counter\").column(&Counter::d, \"d\", strata::primary_key());");
    auto count = [&](const std::string& what) {
        std::size_t n = 0;
        for (auto at = out.find(what); at != std::string::npos; at = out.find(what, at + 1)) ++n;
        return n;
    };
    EXPECT_EQ(count("strata: this member's type cannot be mapped to a column"), 3u) << out;
    EXPECT_EQ(count("error:"), 3u) << "the static_asserts, and nothing else\n" << out;
    for (const char* line : {"misuse.cpp:9:", "misuse.cpp:10:", "misuse.cpp:11:"})
        EXPECT_NE(out.find(line), std::string::npos) << "points at the user's line\n" << out;
    EXPECT_EQ(out.find("misuse.cpp:12:"), std::string::npos) << out;
}

TEST(OrmMisuse, RelationshipDeclaredAsColumnFailsToCompile) {
    auto out = compile_errors("r.model<Note>(\"note\").column(&Note::children, \"children\");");
    EXPECT_NE(out.find("strata: a HasMany/BelongsTo member is declared with has_many()/belongs_to(), not column()"),
              std::string::npos)
        << out;
}

// The handles' machinery is not API: a user who reaches for it (and would
// corrupt a session with it) gets a compile error, on each line below.
TEST(OrmMisuse, InternalsOfTheHandlesDoNotCompile) {
    const std::string declarations =
        "(void)r; Note n; strata::Ptr<Note> p; strata::BelongsTo<Note> parent; strata::Session* s = nullptr;\n";
    const char* misuses[] = {
        "n.children.items_.clear();",                                  // line 9
        "(void)n.children.owner_;",                                    // 10
        "(void)n.children.changes();",                                 // 11
        "n.children.append(nullptr);",                                 // 12
        "strata::detail::CollectionBase& base = n.children; (void)base;",  // 13
        "(void)parent.target_;",                                       // 14
        "(void)p.record();",                                           // 15
        "(void)r.impl();",                                             // 16
        "(void)s->impl();",                                            // 17
    };
    std::string body = declarations;
    for (const char* line : misuses) body += std::string(line) + "\n";
    auto out = compile_errors(body);
    for (int line = 9; line <= 17; ++line)
        EXPECT_NE(out.find("misuse.cpp:" + std::to_string(line) + ":"), std::string::npos)
            << "line " << line << " (" << misuses[line - 9] << ") compiled\n"
            << out;
    EXPECT_EQ(out.find("misuse.cpp:8:"), std::string::npos) << out;

    // What the handles do offer still compiles.
    EXPECT_EQ(compile_errors(declarations +
                             "(void)n.children.size(); (void)n.children.empty(); (void)n.children.is_loaded();\n"
                             "n.children.push_back(p); (void)n.children.contains(p); (void)n.children.remove(p);\n"
                             "n.children.clear(); for (auto& c : n.children) (void)c;\n"
                             "parent = p; (void)(parent == p); (void)parent.get(); parent = nullptr; (void)s;"),
              "");
}

// A column_type whose stored form is not a built-in column type: the plain message.
TEST(OrmMisuse, ColumnTypeStoredAsAnUnmappableTypeFailsToCompile) {
    auto out = compile_errors(
        "(void)r; }\n"
        "struct Tags { std::vector<int> ids; };\n"
        "template <> struct strata::column_type<Tags> {\n"
        "    using stored = std::vector<int>;\n"
        "    static strata::SqlType sql_type() { return strata::Text(); }\n"
        "    static std::vector<int> to_stored(const Tags& t) { return t.ids; }\n"
        "    static Tags from_stored(std::vector<int> v) { return {v}; }\n"
        "};\n"
        "struct Tagged { std::int64_t id = 0; Tags tags{}; };\n"
        "void declare(strata::Registry& r) {\n"
        "    r.model<Tagged>(\"tagged\").column(&Tagged::tags, \"tags\");");
    EXPECT_NE(out.find("strata: column_type<T>::stored must be a built-in column type"), std::string::npos) << out;
}

TEST(OrmMisuse, ComparingWithAValueOfAnotherTypeFailsToCompile) {
    auto out = compile_errors("(void)r; auto e = strata::col(&Note::text) == 42; (void)e;");
    EXPECT_NE(out.find("strata: the value compared with this column does not have the column's C++ type"),
              std::string::npos)
        << out;
}

TEST(OrmMisuse, StringMemberDeclaredIntegerFailsToCompile) {
    auto out = compile_errors("r.model<Note>(\"note\").column(&Note::text, \"text\", strata::Integer());");
    EXPECT_NE(out.find("strata: the declared SQL type does not fit the member's C++ type"), std::string::npos) << out;
    // The column's name is only text at the call: the message names the call's file and line
    // (GCC: "misuse.cpp:8:29:   required from here"; clang: "misuse.cpp:8:23: note: in
    // instantiation of ... requested here").
    bool names_the_call = false;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);)
        names_the_call |= line.find("misuse.cpp:8:") != std::string::npos &&
                          (line.ends_with("required from here") || line.ends_with("requested here"));
    EXPECT_TRUE(names_the_call) << out;
    auto own = compile_errors("r.model<Note>(\"note\").column(&Note::text, \"text\", MyInteger());");
    EXPECT_NE(own.find("strata: the declared SQL type does not fit the member's C++ type"), std::string::npos) << own;
}

struct Note {
    std::int64_t id = 0;
    std::string text{};
};

// A type chosen at run time (parsed from text) cannot be checked by the compiler.
// get<T>(std::tuple{...}) of a composite key: the tuple is checked against
// strata::primary_key_of<T> at compile time, one plain message per misuse.
TEST(OrmMisuse, GetByATupleThatDoesNotFitTheKeyFailsToCompile) {
    const std::string link = "struct Link { std::int64_t a = 0; std::string b{}; };\n"
                             "template <> struct strata::primary_key_of<Link> : strata::key<&Link::a, &Link::b> {};\n";
    EXPECT_EQ(compile_errors("(void)r; (void)[](strata::Session& s) { (void)s.get<Link>(std::tuple{1, \"x\"}); };", link), "");
    struct Case {
        const char* call;
        const char* message;
    };
    for (const Case& c : {
             Case{"s.get<Link>(std::tuple{1})", "strata: get<T>(std::tuple{...}) takes one value per primary-key member"},
             Case{"s.get<Link>(std::tuple{1, \"x\", 2})", "strata: get<T>(std::tuple{...}) takes one value per primary-key member"},
             Case{"s.get<Link>(std::tuple{1, 2})", "strata: a value of get<T>(std::tuple{...}) does not convert to the type of its primary-key member"},
             Case{"s.get<Link>(std::tuple{\"x\", 1})", "strata: a value of get<T>(std::tuple{...}) does not convert to the type of its primary-key member"},
             Case{"s.get<Note>(std::tuple{1, 2})", "strata: get<T>(std::tuple{...}) needs T's key declared at compile time"},
         }) {
        auto out = compile_errors(std::string("(void)r; (void)[](strata::Session& s) { (void)") + c.call + "; };", link);
        EXPECT_NE(out.find(c.message), std::string::npos) << c.call << "\n" << out;
        std::size_t errors = 0;
        for (auto at = out.find("error:"); at != std::string::npos; at = out.find("error:", at + 1)) ++errors;
        EXPECT_EQ(errors, 1u) << c.call << ": the static_assert, and nothing else\n" << out;
    }
}

TEST(OrmMisuse, RuntimeDeclaredTypeThatDoesNotFitIsAConfigError) {
    strata::Registry r;
    strata::SqlType integer = strata::parse_type("Integer");
    auto e = expect_throw<strata::ConfigError>(
        [&] { r.model<Note>("note").column(&Note::id, "id", strata::primary_key()).column(&Note::text, "text", integer); });
    EXPECT_STREQ(e.what(), "strata: Note column text is declared as Integer but its member is std::string");
    EXPECT_EQ(r.metadata().find("note")->find_column("text"), nullptr) << "nothing declared";
}

TEST(OrmMisuse, ModelWithoutPrimaryKeyIsAConfigError) {
    strata::Registry r;
    r.model<Note>("note").column(&Note::id, "id").column(&Note::text, "text");
    auto e = expect_throw<strata::ConfigError>([&] { r.metadata(); });
    EXPECT_STREQ(e.what(), "strata: Note: the ORM needs a primary key; table note has none (declare its key column(s) with "
                           "strata::primary_key())");
}

TEST(OrmMisuse, UnknownCascadeIsAConfigError) {
    auto e = expect_throw<strata::ConfigError>([] { strata::cascade("save-update, explode"); });
    EXPECT_STREQ(e.what(),
                 "strata: unknown cascade \"explode\" in \"save-update, explode\" (expected save-update, delete, "
                 "delete-orphan, all)");
}

TEST(OrmMisuse, MissingAssociationTableIsAConfigError) {
    struct Person {
        std::int64_t id = 0;
        strata::HasMany<Person> friends{};
    };
    strata::Registry r;
    r.model<Person>("person").column(&Person::id, "id", strata::primary_key())
        .many_to_many(&Person::friends, "friendship", "a_id", "b_id");
    auto e = expect_throw<strata::ConfigError>([&] { r.metadata(); });
    EXPECT_NE(std::string(e.what()).find("association table friendship is not declared"), std::string::npos) << e.what();
}

TEST(OrmMisuse, MappingTheSameTypeTwiceIsAConfigError) {
    strata::Registry r;
    r.model<Note>("note");
    auto e = expect_throw<strata::ConfigError>([&] { r.model<Note>("note2"); });
    EXPECT_STREQ(e.what(), "strata: Note is already mapped (to table note)");
}

TEST(OrmMisuse, NamingConventionNamesEveryConstraint) {
    strata::Registry r;
    orm_test::map_models(r);
    const auto* user = r.metadata().find("user");
    ASSERT_NE(user, nullptr);
    EXPECT_EQ(user->primary_key_constraint, "pk_user");
    std::vector<std::string> names;
    for (auto& ix : user->indexes) names.push_back(ix.name + (ix.unique ? " unique" : ""));
    EXPECT_EQ(names, (std::vector<std::string>{"ix_user_nickname unique", "ix_user_email unique"}));
    const auto* post = r.metadata().find("post");
    ASSERT_EQ(post->foreign_keys.size(), 1u);
    EXPECT_EQ(post->foreign_keys[0].name, "fk_post_user_id_user");
    EXPECT_FALSE(post->find_column("body")->nullable);
    EXPECT_TRUE(post->find_column("user_id")->nullable);
}

// Typed raw SQL and bulk update: a row type, or a value, that does not fit
// is one plain message at the user's line.
TEST(OrmMisuse, ExecuteIntoSomethingThatIsNotARowFailsToCompile) {
    auto out = compile_errors(
        "(void)r; strata::Session* s = nullptr;\n"
        "auto a = s->execute<std::tuple<std::vector<int>>>(\"SELECT 1\"); (void)a;\n"
        "auto b = s->execute<std::string>(\"SELECT 1\"); (void)b;");
    EXPECT_NE(out.find("strata: execute<R> reads rows into a std::tuple<...> or a plain struct"), std::string::npos)
        << out;
    for (const char* line : {"misuse.cpp:9:", "misuse.cpp:10:"})
        EXPECT_NE(out.find(line), std::string::npos) << "points at the user's line\n" << out;
    std::size_t errors = 0;
    for (auto at = out.find("error:"); at != std::string::npos; at = out.find("error:", at + 1)) ++errors;
    EXPECT_EQ(errors, 2u) << "the static_asserts, and nothing else\n" << out;
}

TEST(OrmMisuse, UpdateWithAValueOfAnotherTypeFailsToCompile) {
    auto out = compile_errors(
        "(void)r; strata::Session* s = nullptr;\n"
        "s->query<Note>().update({{&Note::text, 42}});\n"
        "s->query<Note>().update({{&Note::text, std::nullopt}});\n"
        "struct Other { int n = 0; }; s->query<Note>().update({{&Other::n, 1}});");
    EXPECT_NE(out.find("strata: the value update() sets does not have the member's C++ type"), std::string::npos) << out;
    EXPECT_NE(out.find("strata: update() sets std::nullopt only on a std::optional member"), std::string::npos) << out;
    EXPECT_NE(out.find("strata: update() sets a member of another class than the query's"), std::string::npos) << out;
    std::size_t errors = 0;
    for (auto at = out.find("error:"); at != std::string::npos; at = out.find("error:", at + 1)) ++errors;
    EXPECT_EQ(errors, 3u) << "the static_asserts, and nothing else\n" << out;
}

}  // namespace

// Typed selects (strata/select.hpp): each misuse is its static_assert alone, at the user's line.
TEST(OrmMisuse, SelectMisusesFailToCompileWithPlainMessages) {
    auto out = compile_errors(
        "(void)r; struct Wrong { std::vector<int> v; };\n"
        "(void)strata::select(&Note::children);\n"
        "(void)strata::select(&Note::id).union_(strata::select(&Note::text));\n"
        "(void)strata::col(&Note::id).in_(strata::select(&Note::text));\n"
        "(void)strata::sum(&Note::text);\n"
        "(void)strata::scalar(strata::select(&Note::id, &Note::text));\n"
        "(void)strata::select(&Note::id, &Note::text).scalars();\n"
        "(void)strata::select(&Note::text).all_as<Wrong>();\n"
        "(void)strata::select(42);\n"
        "(void)strata::select(&Note::id, &Note::text).all();  // fine\n");
    const std::pair<const char*, const char*> expected[] = {
        {"misuse.cpp:9:", "strata: select() takes members (&User::nickname), columns"},
        {"misuse.cpp:10:", "strata: the selects of a union must select the same C++ types in the same order"},
        {"misuse.cpp:11:", "strata: the subquery's column does not have this column's C++ type"},
        {"misuse.cpp:12:", "strata: sum() takes a numeric member or column"},
        {"misuse.cpp:13:", "strata: scalar() takes a subquery that selects one item"},
        {"misuse.cpp:14:", "strata: scalars() is for a select of one item"},
        {"misuse.cpp:15:", "strata: all_as<S>() needs a struct whose members take the selected values in order"},
        {"misuse.cpp:16:", "strata: select() takes members (&User::nickname), columns"},
    };
    std::size_t errors = 0;
    for (auto at = out.find("error:"); at != std::string::npos; at = out.find("error:", at + 1)) ++errors;
    EXPECT_EQ(errors, std::size(expected)) << "the static_asserts, and nothing else\n" << out;
    for (const auto& [line, message] : expected) {
        EXPECT_NE(out.find(message), std::string::npos) << message << "\n" << out;
        EXPECT_NE(out.find(line), std::string::npos) << "points at the user's line " << line << "\n" << out;
    }
    EXPECT_EQ(out.find("misuse.cpp:17:"), std::string::npos) << out;
}
