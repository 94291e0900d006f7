// Autogenerate against tables made by hand with unnamed constraints (as
// SQLAlchemy without a naming convention, or a DBA, writes them): a
// constraint the models declare under a convention name matches the
// database's unnamed (SQLite) or server-named (PostgreSQL) one by what it
// does, and no operation is ever written with an empty name.
#include <gtest/gtest.h>

#include "migrate_support.hpp"

using namespace strata;
using namespace strata::migrate;

namespace {

using Lines = std::vector<std::string>;
using strata::testing::described;

class MigrateUnnamedConstraints : public strata::testing::MigrateTest {
protected:
    void SetUp() override {
        MigrateTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        // Table-level unnamed PRIMARY KEY, UNIQUE, CHECK and FOREIGN KEY (SQLAlchemy's
        // spelling), and an inline REFERENCES.
        // The key is SERIAL on PostgreSQL, as SQLAlchemy writes it.
        const std::string id = is_sqlite() ? "id INTEGER NOT NULL" : "id SERIAL NOT NULL";
        conn().execute(
            "CREATE TABLE \"user\" (" + id + ", nickname VARCHAR(64), email VARCHAR(120), "
            "PRIMARY KEY (id), UNIQUE (nickname, email), CHECK (id > 0))");
        conn().execute(
            "CREATE TABLE post (" + id + ", user_id INTEGER, "
            "editor_id INTEGER REFERENCES \"user\"(id) ON DELETE SET NULL, reviewer_id INTEGER REFERENCES \"user\", "
            "slug VARCHAR(20) UNIQUE, score INTEGER CHECK (score >= 0), PRIMARY KEY (id), FOREIGN KEY(user_id) REFERENCES \"user\" (id))");
        models = same_models();
    }

    static MetaData same_models() {
        MetaData md;
        md.table("user")
            .column("id", Integer(), primary_key())
            .column("nickname", String(64))
            .column("email", String(120))
            .unique_constraint("", {"nickname", "email"})
            .check("positive", "id > 0");
        md.table("post")
            .column("id", Integer(), primary_key())
            .column("user_id", Integer(), foreign_key("user.id"))
            .column("editor_id", Integer(), foreign_key("user.id", "SET NULL"))
            .column("reviewer_id", Integer(), foreign_key("user.id"))
            .column("slug", String(20), unique())
            .column("score", Integer())
            .check("score", "score >= 0");
        return md;
    }

    // The database's name for the unnamed foreign key on post.user_id.
    std::string user_fk_name() const { return is_sqlite() ? "" : "post_user_id_fkey"; }
};

TEST_P(MigrateUnnamedConstraints, ReflectedUnnamedOrServerNamed) {
    MetaData db = inspect(conn());
    const Table& post = *db.find("post");
    ASSERT_EQ(post.foreign_keys.size(), 3u);
    for (const auto& fk : post.foreign_keys) {
        EXPECT_EQ(fk.ref_table, "user");
        EXPECT_EQ(fk.ref_columns, Lines{"id"}) << fk.name;
        EXPECT_EQ(fk.name, is_sqlite() ? "" : "post_" + fk.columns[0] + "_fkey");
    }
    ASSERT_EQ(post.unique_constraints.size(), 1u);
    EXPECT_EQ(post.unique_constraints[0].name, is_sqlite() ? "" : "post_slug_key");
    ASSERT_EQ(post.checks.size(), 1u);
    EXPECT_EQ(post.checks[0].name, is_sqlite() ? "" : "post_score_check");
    const Table& user = *db.find("user");
    ASSERT_EQ(user.unique_constraints.size(), 1u);
    EXPECT_EQ(user.unique_constraints[0].name, is_sqlite() ? "" : "user_nickname_email_key");
    ASSERT_EQ(user.checks.size(), 1u);
    EXPECT_EQ(user.checks[0].name, is_sqlite() ? "" : "user_id_check");
}

TEST_P(MigrateUnnamedConstraints, SameConstraintsUnderConventionNamesAreNoDrift) {
    EXPECT_EQ(described(compare_metadata(models, inspect(conn())).upgrade), Lines{});
    auto r = run_db({"check"});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "No changes detected\n");
}

TEST_P(MigrateUnnamedConstraints, DifferentOnDeleteIsStillADifference) {
    MetaData next = same_models();
    next.table("post").foreign_keys[0].ondelete = "CASCADE";
    ASSERT_EQ(next.table("post").foreign_keys[0].columns, Lines{"user_id"});
    Changes changes = compare_metadata(next, inspect(conn()));
    // SQLite keeps no name: the old one is dropped by what it does (a table rebuild).
    EXPECT_EQ(described(changes.upgrade),
              (Lines{is_sqlite() ? "drop_constraint unnamed foreign key (user_id) -> user(id) on post"
                                 : "drop_constraint post_user_id_fkey on post",
                     "create_foreign_key fk_post_user_id_user on post"}));
    EXPECT_EQ(changes.warnings, Lines{});
    // The revision `db migrate` writes loads and applies.
    write_rev("a1", "null", "", "", "adopted as it is");
    auto r = run_db({"stamp", "head"});
    ASSERT_EQ(r.code, 0) << r.err;
    models = next;
    r = run_db({"migrate", "-m", "cascade"});
    ASSERT_EQ(r.code, 0) << r.err;
    r = run_db({"upgrade", "--yes"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto fks = inspect(conn()).find("post")->foreign_keys;
    EXPECT_TRUE(std::any_of(fks.begin(), fks.end(), [](const ForeignKey& fk) {
        return fk.name == "fk_post_user_id_user" && fk.ondelete == "CASCADE";
    }));
    EXPECT_FALSE(std::any_of(fks.begin(), fks.end(), [](const ForeignKey& fk) {
        return fk.columns == Lines{"user_id"} && fk.ondelete.empty();
    }));
    r = run_db({"check"});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    // The downgrade brings the old one back as it was.
    r = run_db({"downgrade", "--yes"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto back = inspect(conn()).find("post")->foreign_keys;
    EXPECT_TRUE(std::any_of(back.begin(), back.end(), [&](const ForeignKey& fk) {
        return fk.columns == Lines{"user_id"} && fk.ondelete.empty() && fk.name == user_fk_name();
    }));
}

TEST_P(MigrateUnnamedConstraints, DifferentReferredColumnIsStillADifference) {
    MetaData next = same_models();
    next.table("post").foreign_keys[0].ref_columns = {"email"};
    Changes changes = compare_metadata(next, inspect(conn()));
    EXPECT_EQ(described(changes.upgrade),
              (Lines{is_sqlite() ? "drop_constraint unnamed foreign key (user_id) -> user(id) on post"
                                 : "drop_constraint post_user_id_fkey on post",
                     "create_foreign_key fk_post_user_id_user on post"}));
}

TEST_P(MigrateUnnamedConstraints, DifferentUniqueAndCheckAreStillDifferences) {
    MetaData next = same_models();
    next.table("user").unique_constraints[0].columns = {"email"};
    next.table("user").checks[0].sqltext = "id > 1";
    Changes changes = compare_metadata(next, inspect(conn()));
    Lines expected{"create_unique_constraint uq_user_nickname_email on user",
                   "create_check_constraint ck_user_positive on user"};
    if (is_sqlite())
        expected.insert(expected.begin(), {"drop_constraint unnamed unique (nickname, email) on user",
                                           "drop_constraint unnamed CHECK (id > 0) on user"});
    else
        expected.insert(expected.begin(), {"drop_constraint user_nickname_email_key on user",
                                           "drop_constraint user_id_check on user"});
    EXPECT_EQ(described(changes.upgrade), expected);
    EXPECT_EQ(changes.warnings, Lines{});
    // Both apply: SQLite rebuilds the table without the unnamed ones.
    write_rev("a1", "null", "", "", "adopted as it is");
    ASSERT_EQ(run_db({"stamp", "head"}).code, 0);
    models = next;
    auto r = run_db({"migrate", "-m", "other constraints"});
    ASSERT_EQ(r.code, 0) << r.err;
    r = run_db({"upgrade", "--yes"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    r = run_db({"check"});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_EQ(inspect(conn()).find("user")->unique_constraints.size(), 1u);
}

TEST_P(MigrateUnnamedConstraints, CheckReportsAnUnnamedConstraintTheModelsDoNotHave) {
    models.table("user").checks.clear();
    auto r = run_db({"check"});
    EXPECT_EQ(r.code, 1) << r.out << r.err;
    const std::string drop = is_sqlite() ? "drop_constraint unnamed CHECK (id > 0) on user" : "drop_constraint user_id_check on user";
    EXPECT_NE(r.out.find("  " + drop + "\n"), std::string::npos) << r.out;
}

TEST_P(MigrateUnnamedConstraints, CompareNamesReportsNameOnlyDifferences) {
    auto r = run_db({"check", "--compare-names"});
    EXPECT_EQ(r.code, 1) << r.out << r.err;
    const std::string old_fk = is_sqlite() ? "drop_constraint unnamed foreign key (user_id) -> user(id) on post"
                                           : "drop_constraint post_user_id_fkey on post";
    EXPECT_NE(r.out.find("  " + old_fk + "\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("  create_foreign_key fk_post_user_id_user on post\n"), std::string::npos) << r.out;
    // Without the flag the same database is clean; with it, migrate names them all.
    EXPECT_EQ(run_db({"check"}).code, 0);
    write_rev("a1", "null", "", "", "adopted as it is");
    ASSERT_EQ(run_db({"stamp", "head"}).code, 0);
    r = run_db({"migrate", "--compare-names", "-m", "names"});
    ASSERT_EQ(r.code, 0) << r.err;
    r = run_db({"upgrade", "--yes"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    r = run_db({"check", "--compare-names"});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    const MetaData db = inspect(conn());
    for (const auto& fk : db.find("post")->foreign_keys) EXPECT_EQ(fk.name.rfind("fk_post_", 0), 0u) << fk.name;
}

TEST_P(MigrateUnnamedConstraints, HandWrittenDropOfAnUnnamedConstraint) {
    write_rev("a1", "null", "", "", "adopted as it is");
    ASSERT_EQ(run_db({"stamp", "head"}).code, 0);
    write_rev("b2", "a1",
              "  - drop_constraint: {table: post, foreign_key: {columns: [user_id], ref_table: user, ref_columns: [id]}}\n"
              "  - drop_constraint: {table: user, unique: [nickname, email]}\n"
              "  - drop_constraint: {table: user, check: \"id > 0\"}\n",
              "  - create_check_constraint: {table: user, sqltext: \"id > 0\"}\n"
              "  - create_unique_constraint: {table: user, columns: [nickname, email]}\n"
              "  - create_foreign_key: {table: post, columns: [user_id], ref_table: user, ref_columns: [id]}\n");
    auto r = run_db({"upgrade", "--yes"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    MetaData db = inspect(conn());
    EXPECT_EQ(db.find("post")->foreign_keys.size(), 2u);
    EXPECT_TRUE(db.find("user")->unique_constraints.empty());
    EXPECT_TRUE(db.find("user")->checks.empty());
    r = run_db({"downgrade", "--yes"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    // Back as it was: unnamed (SQLite) or named by the server.
    EXPECT_EQ(described(compare_metadata(models, inspect(conn())).upgrade), Lines{});
    EXPECT_EQ(inspect(conn()).find("user")->checks.at(0).name, is_sqlite() ? "" : "user_id_check");
    // A name and a constraint at once, or neither, is refused at load with the file's line.
    write_rev("c3", "a1", "  - drop_constraint: {table: user}\n", "");
    r = run_db({"upgrade", "c3"});
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.err.find("expected exactly one of 'name', or for an unnamed constraint"), std::string::npos) << r.err;
}

TEST_P(MigrateUnnamedConstraints, ServerNamesCutAt63BytesAreServerMade) {
    const std::string table = "a_table_with_a_rather_long_name_for_adopting_it";
    const std::string column = "the_author_identifier_column_of_it";
    conn().execute("CREATE TABLE " + table + " (id " + (is_sqlite() ? "INTEGER" : "SERIAL") + " NOT NULL, " + column + " INTEGER REFERENCES \"user\"(id), "
                   "PRIMARY KEY (id), UNIQUE (" + column + "), CHECK (" + column + " > 0))");
    MetaData db = inspect(conn());
    const Table& t = *db.find(table);
    if (!is_sqlite()) {
        // PostgreSQL shortens the longer of table and column names to fit 63 bytes.
        EXPECT_EQ(t.foreign_keys.at(0).name, "a_table_with_a_rather_long_na_the_author_identifier_column_fkey");
    }
    models.table(table)
        .column("id", Integer(), primary_key())
        .column(column, Integer())
        .foreign_key("fk_long_author", {column}, "user", {"id"})
        .unique_constraint("uq_long_author", {column})
        .check("long_author", column + " > 0");
    EXPECT_EQ(described(compare_metadata(models, db).upgrade), Lines{});
}

TEST_P(MigrateUnnamedConstraints, ChecksTheServerRespellsAreTheSame) {
    // PostgreSQL reads these back as "(price > (0)::numeric)" and
    // "(length((status)::text) > 0)".
    conn().execute(std::string("CREATE TABLE item (id ") + (is_sqlite() ? "INTEGER" : "SERIAL") +
                   " NOT NULL, price NUMERIC(10, 2), status VARCHAR(10), "
                   "PRIMARY KEY (id), CHECK (price > 0), CHECK (length(status) > 0))");
    models.table("item")
        .column("id", Integer(), primary_key())
        .column("price", Numeric(10, 2))
        .column("status", String(10))
        .check("price", "price > 0")
        .check("status", "length(status) > 0");
    auto r = run_db({"check"});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "No changes detected\n") << r.err;
    // A different one is still a difference.
    models.table("item").checks[0].sqltext = "price >= 0";
    r = run_db({"check"});
    EXPECT_EQ(r.code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("create_check_constraint ck_item_price on item"), std::string::npos) << r.out;
}

STRATA_INSTANTIATE_BACKENDS(MigrateUnnamedConstraints);

}  // namespace
