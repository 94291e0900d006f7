// The microblog executable, run as a user would, on a fresh SQLite file.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>

#include "support.hpp"

using namespace strata;

namespace {

struct Run {
    int status;
    std::string output;  // stdout and stderr
};

Run run(const std::string& args, const std::string& env = "") {
    std::string cmd = env + " " + STRATA_MICROBLOG_BIN + " " + args + " 2>&1";
    Run r{0, {}};
    FILE* p = popen(cmd.c_str(), "r");
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), buf.size(), p)) r.output += buf.data();
    int status = pclose(p);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

}  // namespace

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
    EXPECT_EQ(post->indexes, (std::vector<Index>{{"ix_post_timestamp", {"timestamp"}, false}}));
    ASSERT_EQ(post->foreign_keys.size(), 1u);
    EXPECT_EQ(post->foreign_keys[0].columns, std::vector<std::string>{"user_id"});
    EXPECT_EQ(post->foreign_keys[0].ref_table, "user");
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
