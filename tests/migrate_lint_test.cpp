// The ops the linter's safe alternatives use (not_valid, validate_constraint,
// a unique constraint from an index) on every backend, and `db lint` /
// `db upgrade --lint` as a user runs them.
#include <gtest/gtest.h>

#include "migrate/lint.hpp"
#include "migrate/revision_file.hpp"
#include "migrate_support.hpp"

using namespace strata;
using namespace strata::migrate;
using strata::testing::differences;
using strata::testing::expect_throw;

namespace {

const char* kBaseUp = R"(  - create_table:
      table: author
      columns:
        - {name: id, type: Integer, primary_key: true}
        - {name: name, type: String(50)}
  - create_table:
      table: post
      columns:
        - {name: id, type: Integer, primary_key: true}
        - {name: body, type: String(140)}
        - {name: author_id, type: Integer}
        - {name: score, type: Integer}
)";
const char* kBaseDown = R"(  - drop_table: post
  - drop_table: author
)";

class MigrateSafeOps : public strata::testing::MigrateTest {
protected:
    void SetUp() override {
        MigrateTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        write_rev("base01", "null", kBaseUp, kBaseDown, "base");
        upgrade();
        conn().execute("INSERT INTO author (id, name) VALUES (1, 'ann'), (2, 'bob')");
        conn().execute("INSERT INTO post (id, body, author_id, score) VALUES (1, 'a', 1, 1), (2, 'b', 2, 2), (3, 'c', 1, 3)");
    }
    // The schema the files describe at `rev` is the database's.
    void expect_files_match(const std::string& rev) {
        ScriptDirectory s(repo());
        EXPECT_EQ(differences(schema_at(s, {rev}, conn().dialect()), inspect(conn())), "");
    }
};

TEST_P(MigrateSafeOps, CheckAddedNotValidThenValidatedIsEnforced) {
    MetaData before = inspect(conn());
    write_rev("safe01", "base01",
              "  - create_check_constraint: {table: post, name: ck_post_score, sqltext: score > 0, not_valid: true}\n"
              "  - validate_constraint: {table: post, name: ck_post_score}\n",
              "  - drop_constraint: {table: post, name: ck_post_score}\n");
    upgrade();
    expect_files_match("safe01");
    expect_throw<IntegrityError>([&] { conn().execute("INSERT INTO post (id, score) VALUES (9, 0)"); });
    downgrade("base01");
    EXPECT_EQ(differences(before, inspect(conn())), "");
    EXPECT_EQ(rows("SELECT COUNT(*) FROM post"), std::vector<std::string>{"3"});
}

// PostgreSQL keeps a row that breaks a constraint added NOT VALID until
// validate_constraint checks it; SQLite has no NOT VALID (adding the
// constraint rebuilds the table and checks every row), so the add fails there.
TEST_P(MigrateSafeOps, ForeignKeyNotValidLeavesOldRowsUntilValidated) {
    conn().execute("INSERT INTO post (id, body, author_id, score) VALUES (4, 'orphan', 99, 4)");
    write_rev("safe01", "base01",
              "  - create_foreign_key: {table: post, name: fk_post_author, columns: [author_id], ref_table: author,\n"
              "                         ref_columns: [id], not_valid: true}\n",
              "  - drop_constraint: {table: post, name: fk_post_author}\n");
    write_rev("safe02", "safe01", "  - validate_constraint: {table: post, name: fk_post_author}\n", "");
    if (is_sqlite()) {
        auto e = expect_throw<MigrationError>([&] { upgrade("safe01"); });
        EXPECT_NE(std::string(e.what()).find("foreign key"), std::string::npos) << e.what();
        EXPECT_EQ(current(), std::vector<std::string>{"base01"});
        return;
    }
    upgrade("safe01");
    EXPECT_EQ(rows("SELECT author_id FROM post WHERE id = 4"), std::vector<std::string>{"99"});
    expect_throw<IntegrityError>([&] { conn().execute("INSERT INTO post (id, author_id) VALUES (5, 98)"); });
    auto e = expect_throw<MigrationError>([&] { upgrade("safe02"); });
    EXPECT_NE(std::string(e.what()).find("safe02_test.yaml:6:5"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("validate_constraint fk_post_author on post"), std::string::npos) << e.what();
    EXPECT_EQ(current(), std::vector<std::string>{"safe01"});
    conn().execute("DELETE FROM post WHERE id = 4");
    upgrade("safe02");
    expect_files_match("safe02");
}

TEST_P(MigrateSafeOps, UniqueConstraintTakesOverAUniqueIndex) {
    MetaData before = inspect(conn());
    write_rev("safe01", "base01", "  - create_index: {table: post, name: ux_post_body, columns: [body], unique: true}\n",
              "  - drop_index: {table: post, name: ux_post_body}\n");
    write_rev("safe02", "safe01", "  - create_unique_constraint: {table: post, name: uq_post_body, using_index: ux_post_body}\n",
              "  - drop_constraint: {table: post, name: uq_post_body}\n"
              "  - create_index: {table: post, name: ux_post_body, columns: [body], unique: true}\n");
    upgrade();
    expect_files_match("safe02");
    const MetaData after = inspect(conn());
    const Table* post = after.find("post");
    ASSERT_NE(post, nullptr);
    ASSERT_EQ(post->unique_constraints.size(), 1u);
    EXPECT_EQ(post->unique_constraints[0].name, "uq_post_body");
    EXPECT_EQ(post->unique_constraints[0].columns, std::vector<std::string>{"body"});
    EXPECT_TRUE(post->indexes.empty()) << "the index belongs to the constraint now";
    expect_throw<IntegrityError>([&] { conn().execute("INSERT INTO post (id, body) VALUES (9, 'a')"); });
    downgrade("safe01");
    expect_files_match("safe01");
    downgrade("base01");
    EXPECT_EQ(differences(before, inspect(conn())), "");
}

TEST_P(MigrateSafeOps, ValidatingWhatIsNoForeignKeyOrCheckFails) {
    write_rev("safe01", "base01", "  - validate_constraint: {table: post, name: nothing_here}\n", "");
    auto e = expect_throw<MigrationError>([&] { upgrade(); });
    EXPECT_NE(std::string(e.what()).find("safe01_test.yaml:6:5"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("has no foreign key or CHECK constraint 'nothing_here'"), std::string::npos)
        << e.what();
    EXPECT_EQ(current(), std::vector<std::string>{"base01"});
}

STRATA_INSTANTIATE_BACKENDS(MigrateSafeOps);

// ------------------------------------------------------------ db lint

class MigrateLintCommand : public MigrateSafeOps {};

const char* kHazards = "  - create_index: {table: post, name: ix_post_score, columns: [score]}\n"
                       "  - alter_column: {table: post, column: score, nullable: false}\n";

TEST_P(MigrateLintCommand, LintNamesLocksOrRebuildsOfPendingOps) {
    write_rev("next01", "base01", kHazards,
              "  - alter_column: {table: post, column: score, nullable: true}\n"
              "  - drop_index: {table: post, name: ix_post_score}\n",
              "tighten");
    auto lint = run_db({"lint"});
    EXPECT_EQ(lint.code, 0) << lint.err;
    EXPECT_NE(lint.out.find("Revision next01 (tighten)"), std::string::npos) << lint.out;
    EXPECT_NE(lint.out.find("alter_column post.score (" + (repo() / "versions" / "next01_test.yaml").string() + ":7:5)"),
              std::string::npos)
        << lint.out;
    auto strict = run_db({"lint", "--strict"});
    if (is_sqlite()) {
        EXPECT_NE(lint.out.find("rebuilds post: copies 3 rows"), std::string::npos) << lint.out;
        EXPECT_NE(lint.out.find("1 table rebuild"), std::string::npos) << lint.out;
        EXPECT_EQ(strict.code, 0) << "a rebuild is not a lock hazard: SQLite locks the whole run anyway";
    } else {
        EXPECT_NE(lint.out.find("SHARE on post, scans it"), std::string::npos) << lint.out;
        EXPECT_NE(lint.out.find("instead: create_index with concurrently: true"), std::string::npos) << lint.out;
        EXPECT_NE(lint.out.find("ACCESS EXCLUSIVE on post, scans it"), std::string::npos) << lint.out;
        EXPECT_NE(lint.out.find("instead: create_check_constraint {sqltext: score IS NOT NULL, not_valid: true}"),
                  std::string::npos)
            << lint.out;
        EXPECT_NE(lint.out.find("2 hazards"), std::string::npos) << lint.out;
        EXPECT_EQ(strict.code, 1) << strict.out;
    }
    EXPECT_EQ(current(), std::vector<std::string>{"base01"}) << "lint runs nothing";
}

TEST_P(MigrateLintCommand, SafeWayHasNoHazards) {
    write_rev("next01", "base01",
              "  - create_check_constraint: {table: post, name: ck_post_score_nn, sqltext: score IS NOT NULL, "
              "not_valid: true}\n"
              "  - validate_constraint: {table: post, name: ck_post_score_nn}\n"
              "  - alter_column: {table: post, column: score, nullable: false}\n"
              "  - create_foreign_key: {table: post, name: fk_post_author, columns: [author_id], ref_table: author, "
              "ref_columns: [id], not_valid: true}\n"
              "  - validate_constraint: {table: post, name: fk_post_author}\n",
              "");
    auto lint = run_db({"lint", "--strict"});
    if (is_sqlite()) {
        EXPECT_NE(lint.out.find("rebuilds post: copies 3 rows"), std::string::npos) << lint.out;
        EXPECT_NE(lint.out.find("part of the rebuild of post above"), std::string::npos) << lint.out;
    } else {
        EXPECT_NE(lint.out.find("SHARE UPDATE EXCLUSIVE on post, scans it; ROW SHARE on author"), std::string::npos)
            << lint.out;
        EXPECT_NE(lint.out.find("No hazards"), std::string::npos) << lint.out;
    }
    EXPECT_EQ(lint.code, 0) << lint.out;
}

TEST_P(MigrateLintCommand, UpgradeLintRefusesHazardsUnlessYes) {
    write_rev("next01", "base01", kHazards, "");
    auto refused = run_db({"upgrade", "--lint"});
    if (is_sqlite()) {
        EXPECT_EQ(refused.code, 0) << refused.err;
        EXPECT_NE(refused.out.find("rebuilds post"), std::string::npos) << refused.out;
        EXPECT_EQ(current(), std::vector<std::string>{"next01"});
        return;
    }
    EXPECT_EQ(refused.code, 1);
    EXPECT_NE(refused.out.find("HAZARD"), std::string::npos) << refused.out;
    EXPECT_NE(refused.err.find("Refusing to run an op that is a hazard"), std::string::npos) << refused.err;
    EXPECT_EQ(current(), std::vector<std::string>{"base01"});
    auto forced = run_db({"upgrade", "--lint", "--yes"});
    EXPECT_EQ(forced.code, 0) << forced.err;
    EXPECT_NE(forced.out.find("Running despite the hazards (--yes)"), std::string::npos) << forced.out;
    EXPECT_EQ(current(), std::vector<std::string>{"next01"});
}

STRATA_INSTANTIATE_BACKENDS(MigrateLintCommand);

// ------------------------------------------------------------ files and offline SQL

Revision parse(const std::string& upgrade) {
    return parse_revision("revision: r1\ndown_revision: null\nupgrade:\n" + upgrade + "downgrade: []\n", "r1.yaml");
}

TEST(MigrateSafeOpsFiles, NewFieldsReadBackAsWritten) {
    Revision rev = parse(
        "  - create_foreign_key: {table: post, name: fk_a, columns: [a], ref_table: t, ref_columns: [id], not_valid: true}\n"
        "  - create_check_constraint: {table: post, name: ck_a, sqltext: a > 0, not_valid: true}\n"
        "  - validate_constraint: {table: post, name: ck_a}\n"
        "  - create_unique_constraint: {table: post, name: uq_a, using_index: ux_a}\n"
        "  - create_unique_constraint: {table: post, using_index: ux_b, columns: [b]}\n");
    ASSERT_EQ(rev.upgrade.size(), 5u);
    EXPECT_TRUE(std::get<CreateForeignKey>(rev.upgrade[0].op).not_valid);
    EXPECT_TRUE(std::get<CreateCheckConstraint>(rev.upgrade[1].op).not_valid);
    EXPECT_EQ(std::get<ValidateConstraint>(rev.upgrade[2].op).name, "ck_a");
    EXPECT_EQ(std::get<CreateUniqueConstraint>(rev.upgrade[3].op).using_index, "ux_a");
    Revision again = parse_revision(format_revision(rev), "again.yaml");
    ASSERT_EQ(again.upgrade.size(), 5u);
    for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(describe(again.upgrade[i].op), describe(rev.upgrade[i].op));
    EXPECT_TRUE(std::get<CreateForeignKey>(again.upgrade[0].op).not_valid);
    EXPECT_EQ(std::get<CreateUniqueConstraint>(again.upgrade[4].op).constraint.columns, std::vector<std::string>{"b"});
}

TEST(MigrateSafeOpsFiles, BadFieldsNameFileAndLine) {
    auto e1 = expect_throw<MigrationError>(
        [] { parse("  - create_check_constraint: {table: t, name: ck, sqltext: a > 0, not_valid: maybe}\n"); });
    EXPECT_EQ(std::string(e1.what()), "r1.yaml:4:78: expected true or false for 'not_valid'");
    auto e2 = expect_throw<MigrationError>([] { parse("  - validate_constraint: {table: t}\n"); });
    EXPECT_EQ(std::string(e2.what()), "r1.yaml:4:26: validate_constraint: missing field 'name'");
    auto e3 = expect_throw<MigrationError>(
        [] { parse("  - create_unique_constraint: {table: t, name: uq, using_indx: ux}\n"); });
    EXPECT_NE(std::string(e3.what()).find("r1.yaml:4:52: create_unique_constraint: unknown field 'using_indx'"),
              std::string::npos)
        << e3.what();
}

TEST(MigrateSafeOpsFiles, OfflineScriptsSpellEachBackendsWay) {
    strata::testing::TempDir dir;
    ScriptDirectory::init(dir.path() / "migrations");
    std::ofstream(dir.path() / "migrations" / "versions" / "a1_x.yaml")
        << "revision: a1\ndown_revision: null\nupgrade:\n" << kBaseUp
        << "  - create_index: {table: post, name: ux_post_body, columns: [body], unique: true}\n"
           "  - create_unique_constraint: {table: post, name: uq_post_body, using_index: ux_post_body}\n"
           "  - create_foreign_key: {table: post, name: fk_post_author, columns: [author_id], ref_table: author, "
           "ref_columns: [id], not_valid: true}\n"
           "  - validate_constraint: {table: post, name: fk_post_author}\n"
        << "downgrade: []\n";
    ScriptDirectory s(dir.path() / "migrations");
    const std::string pg = offline_upgrade(s, postgresql_dialect(), "head").text;
    EXPECT_NE(pg.find("ALTER TABLE \"post\" ADD CONSTRAINT \"uq_post_body\" UNIQUE USING INDEX \"ux_post_body\";"),
              std::string::npos)
        << pg;
    EXPECT_NE(pg.find("REFERENCES \"author\" (\"id\") NOT VALID;"), std::string::npos) << pg;
    EXPECT_NE(pg.find("ALTER TABLE \"post\" VALIDATE CONSTRAINT \"fk_post_author\";"), std::string::npos) << pg;
    const std::string lite = offline_upgrade(s, sqlite_dialect(), "head").text;
    EXPECT_EQ(lite.find("VALIDATE"), std::string::npos) << lite;
    EXPECT_EQ(lite.find("NOT VALID"), std::string::npos) << lite;
    EXPECT_NE(lite.find("-- validate_constraint fk_post_author on post\n"), std::string::npos) << lite;
}

}  // namespace
