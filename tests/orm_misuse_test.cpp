// Misuse of the mapping API: compile errors with plain messages (checked by
// running the compiler on small programs), and ConfigErrors at declaration.
#include <array>
#include <cstdio>
#include <fstream>

#include "orm_models.hpp"

namespace {

using strata::testing::expect_throw;

// Compiles `body` (after the includes and a small model) and returns the
// compiler's output, or "" when it compiled.
std::string compile_errors(const std::string& body) {
    strata::testing::TempDir dir;
    auto source = dir.path() / "misuse.cpp";
    std::ofstream(source) << "#include <strata/strata.hpp>\n"
                             "struct Note { std::int64_t id = 0; std::string text{}; std::vector<int> tags{};"
                             " strata::HasMany<Note> children{}; };\n"
                             "struct MyInteger : strata::SqlType {\n"
                             "    static constexpr strata::TypeKind static_kind = strata::TypeKind::Integer;\n"
                             "    MyInteger() { kind = static_kind; }\n"
                             "};\n"
                             "void misuse(strata::Registry& r) {\n"
                          << body << "\n}\n";
    std::string cmd = "c++ -std=c++20 -fsyntax-only -I" STRATA_SOURCE_DIR "/include " + source.string() + " 2>&1";
    std::string out;
    FILE* pipe = popen(cmd.c_str(), "r");
    std::array<char, 4096> buf{};
    while (auto n = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
    return pclose(pipe) == 0 ? "" : out;
}

TEST(OrmMisuse, CompilesTheCorrectProgram) {
    EXPECT_EQ(compile_errors("r.model<Note>(\"note\").column(&Note::id, \"id\", strata::primary_key())"
                             ".column(&Note::text, \"text\", strata::Text());"),
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

TEST(OrmMisuse, ComparingWithAValueOfAnotherTypeFailsToCompile) {
    auto out = compile_errors("(void)r; auto e = strata::col(&Note::text) == 42; (void)e;");
    EXPECT_NE(out.find("strata: the value compared with this column does not have the column's C++ type"),
              std::string::npos)
        << out;
}

TEST(OrmMisuse, StringMemberDeclaredIntegerFailsToCompile) {
    auto out = compile_errors("r.model<Note>(\"note\").column(&Note::text, \"text\", strata::Integer());");
    EXPECT_NE(out.find("strata: the declared SQL type does not fit the member's C++ type"), std::string::npos) << out;
    // The column's name is only text at the call: the message names the call's file and line.
    EXPECT_NE(out.find("misuse.cpp:8:29:   required from here"), std::string::npos) << out;
    auto own = compile_errors("r.model<Note>(\"note\").column(&Note::text, \"text\", MyInteger());");
    EXPECT_NE(own.find("strata: the declared SQL type does not fit the member's C++ type"), std::string::npos) << own;
}

struct Note {
    std::int64_t id = 0;
    std::string text{};
};

// A type chosen at run time (parsed from text) cannot be checked by the compiler.
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
    EXPECT_STREQ(e.what(), "strata: Note: the ORM needs a single-column primary key; table note has 0");
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
