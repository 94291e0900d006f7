// `microblog db create` then `microblog tutorial` on a fresh SQLite file: the
// tutorial's shell session prints what the Flask tutorial showed.
#include <array>
#include <cstdio>

#include "support.hpp"

namespace {

std::string run(const std::string& command) {
    std::string out;
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (!pipe) return "popen failed";
    std::array<char, 4096> buf{};
    while (auto n = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
    int status = pclose(pipe);
    if (status != 0) out += "\n[exit status " + std::to_string(status) + "]";
    return out;
}

TEST(MicroblogTutorial, PrintsEachStepOfTheShellSession) {
    std::string bin = STRATA_MICROBLOG_BIN;
    if (bin.empty()) GTEST_SKIP() << "microblog is not built";
    strata::testing::TempDir dir;
    std::string env = "DATABASE_URL=" + dir.sqlite_url("app.db") + " ";
    std::string created = run(env + bin + " db create");
    ASSERT_EQ(created.find("[exit status"), std::string::npos) << created;
    for (int round = 0; round < 2; ++round) {  // the session ends by deleting everything: it can run again
        std::string out = run(env + bin + " tutorial");
        ASSERT_EQ(out.find("[exit status"), std::string::npos) << out;
        auto expect_after = [&](const std::string& step, const std::string& shown) {
            auto at = out.find(step);
            ASSERT_NE(at, std::string::npos) << "missing step " << step << " in\n" << out;
            EXPECT_EQ(out.compare(out.find('\n', at) + 1, shown.size(), shown), 0)
                << "after " << step << " expected " << shown << " in\n" << out;
        };
        // SQLite gives the next rowid after the largest left: 1 and 2 again once all rows are gone.
        expect_after("auto users = s.query<User>().all();", "[<User john>, <User susan>]\n");
        expect_after("for (auto& u : users)", "1 john\n2 susan\n");
        expect_after("auto u = s.get<User>(1);", "<User john>\n");
        expect_after("p->author = u; s.commit();", "<Post my first post!> at 20");
        expect_after("u->posts  // john's posts", "[<Post my first post!>]\n");
        expect_after("s.get<User>(2)->posts  // susan's posts", "[]\n");
        expect_after(">>> s.query<User>().all()", "[]\n");
        expect_after(">>> s.query<Post>().all()", "[]\n");
    }
}

}  // namespace
