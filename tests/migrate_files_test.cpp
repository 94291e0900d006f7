// Revision files: every op survives format -> parse, and every malformed file
// is refused with file:line:column and what was expected there, before the
// database is touched.
#include <gtest/gtest.h>

#include <algorithm>

#include "migrate_support.hpp"

using namespace strata;
using namespace strata::migrate;
using strata::testing::expect_throw;

namespace {

std::string parse_error(const std::string& text) {
    return expect_throw<MigrationError>([&] { parse_revision(text, "versions/a1_x.yaml"); }).what();
}

const std::string kHead = "revision: a1\ndown_revision: null\nmessage: m\n";

TEST(MigrateFiles, EveryOpSurvivesFormatAndParse) {
    Revision rev;
    rev.id = "0123456789ab";
    rev.down_revisions = {"aaaaaaaaaaaa", "bbbbbbbbbbbb"};
    rev.message = "every op: it's \"quoted\", with a: colon";
    rev.created = "2026-11-27T14:00:00Z";
    Table t("user");
    t.column("id", Integer(), primary_key());
    t.column("status", Enum({"a b", "c-d"}), not_null(), server_default("'a b'"));
    t.column("price", Numeric(10, 2));
    t.unique_constraints.push_back({"uq_user_price", {"price"}});
    t.foreign_keys.push_back({"fk_user_id_other", {"id"}, "other", {"oid"}, "CASCADE", "SET NULL"});
    t.checks.push_back({"ck_user_price", "price >= 0 AND status <> 'x'"});
    Column about;
    about.name = "about";
    about.type = String(140);
    rev.upgrade = {
        {CreateTable{t}, 0, 0, "WARNING: a comment\nover two lines"},
        {DropTable{"old"}, 0, 0, {}},
        {RenameTable{"a", "b"}, 0, 0, {}},
        {AddColumn{"user", about}, 0, 0, {}},
        {DropColumn{"user", "about"}, 0, 0, {}},
        {AlterColumn{"user", "price", Numeric(12, 3), false, std::optional<std::string>{}, "cost"}, 0, 0, {}},
        {AlterColumn{"user", "cost", {}, {}, std::optional<std::string>{"0"}, {}}, 0, 0, {}},
        {CreateIndex{"user", Index{"ix_user_a", {"a", "b"}, true}}, 0, 0, {}},
        {DropIndex{"user", "ix_user_a"}, 0, 0, {}},
        {CreateUniqueConstraint{"user", {"uq_x", {"a"}}}, 0, 0, {}},
        {CreateCheckConstraint{"user", {"ck_x", "a > 1"}}, 0, 0, {}},
        {CreateForeignKey{"user", {"fk_x", {"a"}, "t", {"id"}, "", "CASCADE"}}, 0, 0, {}},
        {DropConstraint{"user", "fk_x"}, 0, 0, {}},
        {Execute{"SELECT 1;\nSELECT 'two'", {{"postgresql", "SELECT 2"}}}, 0, 0, {}},
        {Backfill{"user", {{"slug", "lower(name) || 'x'"}, {"score", "0"}}, "slug IS NULL", 500}, 0, 0, {}},
    };
    std::string text = format_revision(rev);
    Revision back = parse_revision(text, "x.yaml");
    back.upgrade[0].comment = rev.upgrade[0].comment;   // comments are written, not read back
    EXPECT_EQ(format_revision(back), text);
    EXPECT_EQ(back.down_revisions, rev.down_revisions);
    EXPECT_EQ(back.message, rev.message);
    ASSERT_EQ(back.upgrade.size(), rev.upgrade.size());
    const auto& ct = std::get<CreateTable>(back.upgrade[0].op).table;
    EXPECT_EQ(ct.find_column("status")->type, Enum({"a b", "c-d"}));
    EXPECT_EQ(ct.find_column("status")->server_default, "'a b'");
    EXPECT_FALSE(ct.find_column("status")->nullable);
    EXPECT_EQ(ct.foreign_keys, t.foreign_keys);
    EXPECT_EQ(ct.checks, t.checks);
    const auto& alter = std::get<AlterColumn>(back.upgrade[5].op);
    EXPECT_EQ(alter.type, Numeric(12, 3));
    ASSERT_TRUE(alter.server_default.has_value());
    EXPECT_FALSE(alter.server_default->has_value()) << "server_default: null means drop the default";
    EXPECT_EQ(std::get<Execute>(back.upgrade[13].op).for_dialect("sqlite"), "SELECT 1;\nSELECT 'two'");
    EXPECT_EQ(std::get<Execute>(back.upgrade[13].op).for_dialect("postgresql"), "SELECT 2");
    const auto& fill = std::get<Backfill>(back.upgrade[14].op);
    EXPECT_EQ(fill.set, (std::vector<std::pair<std::string, std::string>>{{"slug", "lower(name) || 'x'"}, {"score", "0"}}))
        << "in the file's order";
    EXPECT_EQ(fill.where, "slug IS NULL");
    EXPECT_EQ(fill.batch_size, 500);
    EXPECT_NE(text.find("# WARNING: a comment"), std::string::npos) << text;
    auto add_column_at = text.find("  - add_column:");
    EXPECT_EQ(back.upgrade[3].line, 1 + std::count(text.begin(), text.begin() + add_column_at, '\n'))
        << "steps remember their line for error messages";
}

// Autogenerate's before → after detail is a comment: written on its own line
// (after any other comment), never read back as data.
TEST(MigrateFiles, DetailIsACommentNotData) {
    Revision rev;
    rev.id = "0123456789ab";
    rev.message = "m";
    rev.created = "2026-11-27T14:00:00Z";
    Step step{AlterColumn{"user", "email", {}, false, {}, {}}, 0, 0, "WARNING: first"};
    step.detail = "NOT NULL → nullable, server_default 'a: # b' → NULL";
    rev.upgrade = {step};
    std::string text = format_revision(rev);
    EXPECT_NE(text.find("# WARNING: first\n"), std::string::npos) << text;
    EXPECT_NE(text.find("# alter_column user.email: NOT NULL → nullable, server_default 'a: # b' → NULL\n"),
              std::string::npos)
        << text;
    Revision back = parse_revision(text, "x.yaml");
    ASSERT_EQ(back.upgrade.size(), 1u);
    EXPECT_EQ(back.upgrade[0].detail, "");
    EXPECT_EQ(std::get<AlterColumn>(back.upgrade[0].op).nullable, false);
}

TEST(MigrateFiles, DesignBriefExampleParses) {
    Revision rev = parse_revision(R"(# migrations/versions/3f2a9c1d7e4b_add_about_me.yaml
revision: 3f2a9c1d7e4b
down_revision: a1b2c3d4e5f6        # null for the first; a list for a merge
message: add about_me to user
created: 2026-11-27T14:00:00Z
upgrade:
  - add_column:
      table: user
      column: {name: about_me, type: String(140), nullable: true}
  - execute:
      sql: UPDATE "user" SET about_me = ''
downgrade:
  - drop_column: {table: user, column: about_me}
)",
                                  "x.yaml");
    EXPECT_EQ(rev.down_revisions, std::vector<std::string>{"a1b2c3d4e5f6"});
    EXPECT_EQ(std::get<AddColumn>(rev.upgrade[0].op).column.type, String(140));
    EXPECT_EQ(std::get<Execute>(rev.upgrade[1].op).sql, "UPDATE \"user\" SET about_me = ''");
}

TEST(MigrateFiles, BadYamlNamesLineAndColumn) {
    std::string what = parse_error(kHead + "upgrade: [ {add_column: \n");
    EXPECT_NE(what.find("versions/a1_x.yaml:5:"), std::string::npos) << what;
    EXPECT_NE(what.find("invalid YAML"), std::string::npos) << what;
}

TEST(MigrateFiles, UnknownOpListsTheKnownOnes) {
    std::string what = parse_error(kHead + "upgrade:\n  - add_colum: {table: user}\ndowngrade: []\n");
    EXPECT_NE(what.find("versions/a1_x.yaml:5:5: unknown operation 'add_colum' (expected one of create_table,"),
              std::string::npos)
        << what;
}

TEST(MigrateFiles, MissingFieldOfAnOp) {
    std::string what = parse_error(kHead + "upgrade:\n  - add_column: {table: user}\ndowngrade: []\n");
    EXPECT_NE(what.find("versions/a1_x.yaml:5:17: add_column: missing field 'column'"), std::string::npos) << what;
}

TEST(MigrateFiles, UnknownFieldIsNotIgnored) {
    const std::string op = "  - add_column: {table: user, column: {name: a, type: Text, nulable: true}}";
    std::string what = parse_error(kHead + "upgrade:\n" + op + "\ndowngrade: []\n");
    EXPECT_NE(what.find("versions/a1_x.yaml:5:" + std::to_string(op.find("nulable") + 1) + ": column: unknown field 'nulable' (expected one of name, type, nullable"),
              std::string::npos)
        << what;
}

TEST(MigrateFiles, UnknownTypeSaysWhichTypesExist) {
    const std::string column = "      column: {name: a, type: Strng(64)}";
    std::string what = parse_error(kHead + "upgrade:\n  - add_column:\n      table: user\n" + column +
                                   "\ndowngrade: []\n");
    EXPECT_NE(what.find("versions/a1_x.yaml:7:" + std::to_string(column.find("Strng") + 1) + ": unknown type 'Strng(64)' (expected one of Integer"), std::string::npos)
        << what;
}

TEST(MigrateFiles, EmptyServerDefaultIsNotAnExpression) {
    const std::string op = "  - alter_column: {table: t, column: c, server_default: ''}";
    std::string what = parse_error(kHead + "upgrade:\n" + op + "\ndowngrade: []\n");
    EXPECT_NE(what.find("versions/a1_x.yaml:5:" + std::to_string(op.find("''") + 1) + ": server_default: expected an SQL expression"), std::string::npos) << what;
}

TEST(MigrateFiles, MissingDownRevision) {
    std::string what = parse_error("revision: a1\nmessage: m\nupgrade: []\ndowngrade: []\n");
    EXPECT_NE(what.find("versions/a1_x.yaml:1:1: revision file (null for the first revision): missing field 'down_revision'"),
              std::string::npos)
        << what;
}

TEST(MigrateFiles, MissingUpgradeList) {
    std::string what = parse_error(kHead + "downgrade: []\n");
    EXPECT_NE(what.find("missing field 'upgrade'"), std::string::npos) << what;
}

TEST(MigrateFiles, OpThatIsNotAOneKeyMap) {
    std::string what = parse_error(kHead + "upgrade:\n  - drop_table: a\n    drop_column: b\ndowngrade: []\n");
    EXPECT_NE(what.find("versions/a1_x.yaml:5:5: upgrade: expected an operation, a one-key mapping"), std::string::npos)
        << what;
}

TEST(MigrateFiles, AlterColumnWithNothingToChange) {
    std::string what = parse_error(kHead + "upgrade:\n  - alter_column: {table: t, column: c}\ndowngrade: []\n");
    EXPECT_NE(what.find("nothing to change (expected at least one of type, nullable, server_default, new_name, comment)"),
              std::string::npos)
        << what;
}

class MigrateRepository : public strata::testing::MigrateTest {};

TEST_P(MigrateRepository, DownRevisionThatDoesNotExist) {
    write_rev("a1", "null", "", "");
    auto path = write_rev("b2", "zz9", "", "");
    std::string what = expect_throw<MigrationError>([&] { ScriptDirectory s(repo()); }).what();
    EXPECT_NE(what.find(path.string() + ":2:16: down_revision 'zz9' does not exist"), std::string::npos) << what;
}

TEST_P(MigrateRepository, CycleIsRefused) {
    write_rev("a1", "null", "", "");
    write_rev("b2", "[a1, c3]", "", "");
    write_rev("c3", "b2", "", "");
    std::string what = expect_throw<MigrationError>([&] { ScriptDirectory s(repo()); }).what();
    EXPECT_NE(what.find("revision cycle"), std::string::npos) << what;
    EXPECT_NE(what.find("b2 -> c3 -> b2"), std::string::npos) << what;
}

TEST_P(MigrateRepository, DuplicateRevisionIds) {
    write_rev("a1", "null", "", "");
    std::filesystem::copy_file(repo() / "versions" / "a1_test.yaml", repo() / "versions" / "a1_copy.yaml");
    std::string what = expect_throw<MigrationError>([&] { ScriptDirectory s(repo()); }).what();
    EXPECT_NE(what.find("revision id a1 is also used by"), std::string::npos) << what;
}

TEST_P(MigrateRepository, MalformedFileLeavesTheDatabaseUntouched) {
    write_rev("a1", "null", "  - create_table: {table: t, columns: [{name: id, type: Integer, primary_key: true}]}\n",
              "  - drop_table: t\n");
    write_rev("b2", "a1", "  - add_column: {table: t, column: {name: x, type: Nope}}\n", "");
    auto r = run_db({"upgrade"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("b2_test.yaml:6:"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("unknown type 'Nope'"), std::string::npos) << r.err;
    EXPECT_TRUE(table_names(conn(), InspectOptions{{}}).empty()) << "nothing may be created, not even the version table";
}

TEST_P(MigrateRepository, InitRefusesAnExistingRepository) {
    auto r = run_db({"init"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("already exists; not overwriting it"), std::string::npos) << r.err;
    EXPECT_TRUE(std::filesystem::exists(repo() / kConfigFile));
}

TEST_P(MigrateRepository, CommandsNeedARepository) {
    std::filesystem::remove_all(repo());
    auto r = run_db({"upgrade"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("no migration repository at " + repo().string() + " (run `db init`"), std::string::npos) << r.err;
    r = run_db({"init"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(std::filesystem::is_directory(repo() / "versions"));
}

STRATA_INSTANTIATE_BACKENDS(MigrateRepository);

}  // namespace
