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

Lines described(const std::vector<Step>& steps) {
    Lines out;
    for (const auto& s : steps) out.push_back(describe(s.op));
    return out;
}

class MigrateUnnamedConstraints : public strata::testing::MigrateTest {
protected:
    void SetUp() override {
        MigrateTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        // Table-level unnamed PRIMARY KEY, UNIQUE, CHECK and FOREIGN KEY (SQLAlchemy's
        // spelling), and an inline REFERENCES.
        conn().execute(
            "CREATE TABLE \"user\" (id INTEGER NOT NULL, nickname VARCHAR(64), email VARCHAR(120), "
            "PRIMARY KEY (id), UNIQUE (nickname, email), CHECK (id > 0))");
        conn().execute(
            "CREATE TABLE post (id INTEGER NOT NULL, user_id INTEGER, "
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
    if (is_sqlite()) {
        // SQLite cannot name the old one: no empty-name op, a warning instead.
        EXPECT_EQ(described(changes.upgrade), Lines{"create_foreign_key fk_post_user_id_user on post"});
        ASSERT_EQ(changes.warnings.size(), 1u);
        EXPECT_NE(changes.warnings[0].find("the unnamed foreign key (user_id) -> user(id) is not in the models"),
                  std::string::npos)
            << changes.warnings[0];
    } else {
        EXPECT_EQ(described(changes.upgrade),
                  (Lines{"drop_constraint post_user_id_fkey on post", "create_foreign_key fk_post_user_id_user on post"}));
    }
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
}

TEST_P(MigrateUnnamedConstraints, DifferentReferredColumnIsStillADifference) {
    MetaData next = same_models();
    next.table("post").foreign_keys[0].ref_columns = {"email"};
    Changes changes = compare_metadata(next, inspect(conn()));
    Lines expected{"create_foreign_key fk_post_user_id_user on post"};
    if (!is_sqlite()) expected.insert(expected.begin(), "drop_constraint post_user_id_fkey on post");
    EXPECT_EQ(described(changes.upgrade), expected);
    for (const auto& s : changes.upgrade)
        if (auto* drop = std::get_if<DropConstraint>(&s.op)) {
            EXPECT_FALSE(drop->name.empty());
        }
}

TEST_P(MigrateUnnamedConstraints, DifferentUniqueAndCheckAreStillDifferences) {
    MetaData next = same_models();
    next.table("user").unique_constraints[0].columns = {"email"};
    next.table("user").checks[0].sqltext = "id > 1";
    Changes changes = compare_metadata(next, inspect(conn()));
    Lines expected{"create_unique_constraint uq_user_nickname_email on user",
                   "create_check_constraint ck_user_positive on user"};
    if (!is_sqlite())
        expected.insert(expected.begin(), {"drop_constraint user_nickname_email_key on user",
                                           "drop_constraint user_id_check on user"});
    EXPECT_EQ(described(changes.upgrade), expected);
    EXPECT_EQ(changes.warnings.size(), is_sqlite() ? 2u : 0u);
}

TEST_P(MigrateUnnamedConstraints, CheckReportsAnUnnamedConstraintTheModelsDoNotHave) {
    models.table("user").checks.clear();
    auto r = run_db({"check"});
    EXPECT_EQ(r.code, 1) << r.out << r.err;
    if (is_sqlite()) {
        EXPECT_NE(r.err.find("WARNING: table user: the unnamed check constraint CHECK (id > 0) is not in the models"),
                  std::string::npos)
            << r.err;
    } else {
        EXPECT_NE(r.out.find("  drop_constraint user_id_check on user\n"), std::string::npos) << r.out;
    }
}

STRATA_INSTANTIATE_BACKENDS(MigrateUnnamedConstraints);

}  // namespace
