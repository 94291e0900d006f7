// `microblog db …`, run as a user would: the README's migration walkthrough.
#include <gtest/gtest.h>
#include "shell_support.hpp"
#include "support.hpp"

using namespace strata;

namespace {

using strata::testing::ShellRun;

ShellRun microblog(const strata::testing::TempDir& dir, const std::string& args) {
    return strata::testing::run_shell("env -u DATABASE_URL " + std::string(STRATA_MICROBLOG_BIN) + " --basedir " +
                                      dir.path().string() + " " + args + " 2>&1 </dev/null");
}

TEST(MigrateMicroblog, ReadmeWalkthrough) {
    strata::testing::TempDir dir;
    auto r = microblog(dir, "db init");
    ASSERT_EQ(r.status, 0) << r.output;
    r = microblog(dir, "db migrate -m initial");
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("Detected create_table user"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("Detected create_table post"), std::string::npos) << r.output;
    r = microblog(dir, "db upgrade");
    ASSERT_EQ(r.status, 0) << r.output;
    auto head = r.output.substr(r.output.find("The database is now at ") + 23, 12);

    r = microblog(dir, "db current");
    EXPECT_EQ(r.output, head + " (head)\n");
    r = microblog(dir, "db history");
    EXPECT_EQ(r.output, "<base> -> " + head + " (head), initial\n");
    r = microblog(dir, "db check");
    EXPECT_EQ(r.status, 0) << r.output;

    auto conn = connect(dir.sqlite_url("app.db"));
    conn->execute("INSERT INTO \"user\" (nickname, email) VALUES ('john', 'john@email.com')");
    r = microblog(dir, "db downgrade");
    EXPECT_EQ(r.status, 1) << "no terminal to confirm the data loss on";
    EXPECT_NE(r.output.find("1 rows in user will be deleted"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("pass --yes"), std::string::npos) << r.output;
    r = microblog(dir, "db downgrade -1 --yes");
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(table_names(*conn), std::vector<std::string>{});
    r = microblog(dir, "db current");
    EXPECT_EQ(r.output, "base (no revision applied)\n");
    r = microblog(dir, "db upgrade");
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(table_names(*conn), (std::vector<std::string>{"followers", "post", "user"}));

    r = microblog(dir, "db upgrade --sql base:head");
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("CREATE TABLE \"user\""), std::string::npos) << r.output;
    r = microblog(dir, "db --help");
    EXPECT_NE(r.output.find("autogenerate a revision"), std::string::npos) << r.output;
}

}  // namespace
