// The microblog executable, run as a user would, on a fresh SQLite file.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>

#include "shell_support.hpp"
#include "support.hpp"

using namespace strata;

namespace {

struct RunResult {
    int status;
    std::string output;  // stdout and stderr
};

RunResult run(const std::string& args, const std::string& env = "") {
    auto r = strata::testing::run_shell(env + " " + STRATA_MICROBLOG_BIN + " " + args + " 2>&1");
    return {r.status, r.output};
}

}  // namespace

TEST(Microblog, VersionNamesTheStrataItWasBuiltWith) {
    auto r = run("--version");
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(r.output, "microblog (strata " STRATA_VERSION_STRING ")\n");
}

TEST(Microblog, DbCreateMakesTheTutorialSchema) {
    strata::testing::TempDir dir;
    auto r = run("--basedir " + dir.path().string() + " db create", "env -u DATABASE_URL");
    ASSERT_EQ(r.status, 0) << r.output;
    ASSERT_TRUE(std::filesystem::exists(dir.path() / "app.db")) << r.output;
    auto conn = connect(dir.sqlite_url("app.db"));
    MetaData live = inspect(*conn);
    const Table* user = live.find("user");
    const Table* post = live.find("post");
    ASSERT_TRUE(user && post);
    EXPECT_TRUE(user->find_column("id")->primary_key);
    EXPECT_EQ(user->find_column("nickname")->type, String(64));
    EXPECT_EQ(user->find_column("email")->type, String(120));
    EXPECT_EQ(user->indexes, (std::vector<Index>{{"ix_user_email", {"email"}, true}, {"ix_user_nickname", {"nickname"}, true}}));
    EXPECT_EQ(post->find_column("body")->type, String(140));
    EXPECT_EQ(post->find_column("timestamp")->type, DateTimeType());
    EXPECT_EQ(post->indexes,
              (std::vector<Index>{{"ix_post_timestamp", {"timestamp"}, false}, {"ix_post_user_id", {"user_id"}, false}}));
    ASSERT_EQ(post->foreign_keys.size(), 1u);
    EXPECT_EQ(post->foreign_keys[0].columns, std::vector<std::string>{"user_id"});
    EXPECT_EQ(post->foreign_keys[0].ref_table, "user");
    // The later chapters: profile fields and the followers association table.
    EXPECT_EQ(user->find_column("about_me")->type, String(140));
    EXPECT_TRUE(user->find_column("about_me")->nullable);
    EXPECT_EQ(user->find_column("last_seen")->type, DateTimeType());
    EXPECT_TRUE(user->find_column("last_seen")->nullable);
    const Table* followers = live.find("followers");
    ASSERT_TRUE(followers);
    ASSERT_EQ(followers->foreign_keys.size(), 2u);
    for (const auto& fk : followers->foreign_keys) EXPECT_EQ(fk.ref_table, "user");
    EXPECT_EQ(followers->indexes, (std::vector<Index>{{"ix_followers_followed_id", {"followed_id"}, false}}));
    ASSERT_EQ(followers->unique_constraints.size(), 1u);
    EXPECT_EQ(followers->unique_constraints[0].columns, (std::vector<std::string>{"follower_id", "followed_id"}));
}

TEST(Microblog, DbCreateRefusesAnExistingDatabaseUnlessCheckfirst) {
    strata::testing::TempDir dir;
    std::string url = dir.sqlite_url("other.db");
    ASSERT_EQ(run("db create", "DATABASE_URL=" + url).status, 0);
    auto again = run("db create", "DATABASE_URL=" + url);
    EXPECT_NE(again.status, 0);
    EXPECT_NE(again.output.find("already has tables"), std::string::npos) << again.output;
    EXPECT_NE(again.output.find("--checkfirst"), std::string::npos) << again.output;
    EXPECT_EQ(run("db create --checkfirst", "DATABASE_URL=" + url).status, 0);
}

TEST(Microblog, BadDatabaseUrlIsReportedWithPasswordMasked) {
    auto r = run("db create", "DATABASE_URL='postgresql://bob:hunter2@host:notaport/db'");
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.output.find("postgresql://bob:***@host:notaport/db"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("hunter2"), std::string::npos) << r.output;
}

// The README walkthrough, on every backend: the same commands and files.
class MicroblogTest : public strata::testing::BackendTest {
protected:
    RunResult mb(const std::string& args) {
        return run("--basedir " + dir().path().string() + " " + args, "DATABASE_URL='" + url() + "'");
    }
};

TEST_P(MicroblogTest, MigrationWalkthrough) {
    ASSERT_EQ(mb("db init").status, 0);
    auto migrate = mb("db migrate -m initial");
    ASSERT_EQ(migrate.status, 0) << migrate.output;
    EXPECT_NE(migrate.output.find("Detected create_table user"), std::string::npos) << migrate.output;
    auto up = mb("db upgrade");
    ASSERT_EQ(up.status, 0) << up.output;
    auto current = mb("db current");
    EXPECT_NE(current.output.find("(head)"), std::string::npos) << current.output;
    auto check = mb("db check");
    EXPECT_EQ(check.status, 0) << check.output;
    auto down = mb("db downgrade --yes");
    ASSERT_EQ(down.status, 0) << down.output;
    {
        auto conn = connect(url());
        EXPECT_TRUE(table_names(*conn).empty()) << "downgrade to base leaves only the version table";
    }
    ASSERT_EQ(mb("db upgrade").status, 0);
    auto tutorial = mb("tutorial");
    ASSERT_EQ(tutorial.status, 0) << tutorial.output;
    for (auto line : {"[<User john>, <User susan>]\n", "1 john\n2 susan\n", "<User john>\n", "[<Post my first post!>]\n",
                      "[]\n"})
        EXPECT_NE(tutorial.output.find(line), std::string::npos) << "missing " << line << " in:\n" << tutorial.output;
    EXPECT_EQ(mb("db check").status, 0) << "the tutorial leaves the schema as the models say";
}

STRATA_INSTANTIATE_BACKENDS(MicroblogTest);

// Migration files autogenerated against SQLite apply unchanged on PostgreSQL.
class MicroblogPostgres : public strata::testing::PostgresTest {};

TEST_F(MicroblogPostgres, SqliteAutogeneratedMigrationsUpgradePostgres) {
    strata::testing::TempDir dir;
    std::string base = "--basedir " + dir.path().string() + " ";
    std::string on_sqlite = "DATABASE_URL='" + dir.sqlite_url("app.db") + "'";
    std::string on_pg = "DATABASE_URL='" + strata::testing::postgres_url() + "'";
    ASSERT_EQ(run(base + "db init", on_sqlite).status, 0);
    auto migrate = run(base + "db migrate -m initial", on_sqlite);
    ASSERT_EQ(migrate.status, 0) << migrate.output;
    auto up = run(base + "db upgrade", on_pg);
    ASSERT_EQ(up.status, 0) << up.output;
    auto check = run(base + "db check", on_pg);
    EXPECT_EQ(check.status, 0) << check.output;
    auto tutorial = run(base + "tutorial", on_pg);
    EXPECT_EQ(tutorial.status, 0) << tutorial.output;
    EXPECT_NE(tutorial.output.find("[<User john>, <User susan>]"), std::string::npos) << tutorial.output;
}

