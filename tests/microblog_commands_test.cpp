// microblog's verbs for scripts (user add, post, follow, unfollow, feed,
// stats), run as a user would: the built binary against a SQLite file and a
// PostgreSQL database, whose schema comes from the committed migration
// repository examples/microblog/migrations/.
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "examples/microblog/models.hpp"
#include "shell_support.hpp"
#include "support.hpp"

using namespace strata;

namespace {

// The committed repository's first revision: the tutorial's chapter 4 (user, post).
constexpr const char* kChapter4 = "795293bf24fe";

std::string shell_quote(const std::string& arg) {
    std::string out = "'";
    for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

class MicroblogCommands : public strata::testing::BackendTest {
protected:
    MicroblogCommands() { microblog::map_models(registry_); }
    // Runs microblog on this test's database with the committed migrations;
    // `streams` picks what is captured ("2>&1", "2>/dev/null", ...).
    strata::testing::ShellRun mb(const std::string& args, const std::string& streams = "2>&1",
                                 const std::string& env = "") {
        return strata::testing::run_shell("DATABASE_URL=" + shell_quote(url()) + " " + env + " " + STRATA_MICROBLOG_BIN +
                                          " --basedir " + STRATA_SOURCE_DIR "/examples/microblog " + args + " " +
                                          streams + " </dev/null");
    }
    // stdout of a command that must succeed.
    std::string ok(const std::string& args) {
        auto r = mb(args, "2>/dev/null");
        EXPECT_EQ(r.status, 0) << "microblog " << args << " failed; again with stderr:\n" << mb(args).output;
        return r.output;
    }
    // The message of a command that must be refused with exit status 1.
    std::string refused(const std::string& args) {
        auto r = mb(args);
        EXPECT_EQ(r.status, 1) << "microblog " << args << ":\n" << r.output;
        return r.output;
    }
    // The statements a command sends (STRATA_ECHO), leaving out transaction
    // control and connection set-up: what "one or two statements" counts.
    std::vector<std::string> statements(const std::string& args) {
        auto r = mb(args, "2>&1 >/dev/null", "STRATA_ECHO=1");
        EXPECT_EQ(r.status, 0) << r.output;
        std::vector<std::string> out;
        std::istringstream lines(r.output);
        static const std::regex control("^(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA|SET)\\b");
        for (std::string line; std::getline(lines, line);) {
            if (!line.starts_with("[strata] ")) continue;
            line.erase(0, 9);
            if (!std::regex_search(line, control)) out.push_back(line);
        }
        return out;
    }
    void upgrade(const std::string& target = "head") {
        auto r = mb("db upgrade " + target);
        ASSERT_EQ(r.status, 0) << r.output;
    }
    std::int64_t count_rows(const std::string& table) {
        auto db = open_db();
        Session s(db, registry_);
        return std::get<0>(s.execute<std::tuple<std::int64_t>>("SELECT count(*) FROM \"" + table + "\"").at(0));
    }
    // Posts written straight to the database, at a chosen time.
    void add_post(std::int64_t user_id, const std::string& body, DateTime at) {
        auto db = open_db();
        Session s(db, registry_);
        s.add(microblog::Post{.body = body, .timestamp = at, .user_id = user_id});
        s.commit();
    }

    Registry registry_;  // microblog's models, for checking what the commands wrote
};

TEST_P(MicroblogCommands, PrintTheFormsScriptsRead) {
    upgrade();
    EXPECT_EQ(ok("user add john john@email.com"), "1\tjohn\tjohn@email.com\n");
    EXPECT_EQ(ok("user add susan susan@email.com"), "2\tsusan\tsusan@email.com\n");
    EXPECT_EQ(ok("user add ann ann@email.com"), "3\tann\tann@email.com\n");

    // `post` prints the post as a feed line, its timestamp now (UTC) to the microsecond.
    const DateTime before = now();
    std::string first = ok("post john " + shell_quote("my first post!"));
    std::smatch m;
    ASSERT_TRUE(std::regex_match(first, m, std::regex("1\tjohn\t(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{6})\t"
                                                      "my first post!\n")))
        << first;
    EXPECT_GE(parse_datetime(m[1].str()), before);
    EXPECT_LE(parse_datetime(m[1].str()), now());
    std::string second = ok("post susan " + shell_quote("hello from susan"));
    std::string third = ok("post ann " + shell_quote("ann's, not in john's feed"));
    EXPECT_TRUE(second.starts_with("2\tsusan\t")) << second;

    ok("follow john susan");
    EXPECT_EQ(ok("feed john"), second + first + "page 1 of 1, 2 posts\n") << "susan's post, then john's own";
    EXPECT_EQ(ok("feed susan"), second + "page 1 of 1, 1 posts\n") << "following is one way";
    EXPECT_EQ(ok("stats"), "ann\t1\t0\t0\njohn\t1\t0\t1\nsusan\t1\t1\t0\n") << "ties on posts: by nickname";

    ok("follow ann john");
    ok("follow susan john");
    ok("post john again");
    EXPECT_EQ(ok("stats"), "john\t2\t2\t1\nann\t1\t0\t1\nsusan\t1\t1\t1\n");
    ok("unfollow john susan");
    EXPECT_EQ(ok("feed john").substr(0, 2), "4\t");
    EXPECT_TRUE(ok("feed john").ends_with(first + "page 1 of 1, 2 posts\n")) << "susan's post left john's feed";
    EXPECT_EQ(ok("stats"), "john\t2\t2\t0\nann\t1\t0\t1\nsusan\t1\t0\t1\n");
}

TEST_P(MicroblogCommands, FeedIsNewestFirstThenHigherIdAndPaginates) {
    upgrade();
    ok("user add john john@email.com");
    ok("user add susan susan@email.com");
    ok("user add ann ann@email.com");
    ok("follow john susan");
    const DateTime t = parse_datetime("2026-11-27 14:00:00.000001");
    add_post(1, "oldest", t - std::chrono::hours(24));
    add_post(2, "tie, lower id", t);
    add_post(1, "tie, higher id", t);
    add_post(3, "ann's: john does not follow her", t + std::chrono::hours(1));
    add_post(2, "newest", t + std::chrono::microseconds(1));
    const std::string at = "2026-11-27 14:00:00.000001";
    const std::string page1 = "5\tsusan\t2026-11-27 14:00:00.000002\tnewest\n"
                              "3\tjohn\t" + at + "\ttie, higher id\n";
    const std::string page2 = "2\tsusan\t" + at + "\ttie, lower id\n"
                              "1\tjohn\t2026-11-26 14:00:00.000001\toldest\n";
    EXPECT_EQ(ok("feed john --per-page 2"), page1 + "page 1 of 2, 4 posts\n");
    EXPECT_EQ(ok("feed john --page 2 --per-page 2"), page2 + "page 2 of 2, 4 posts\n");
    EXPECT_EQ(ok("feed john --per-page 2 --page 3"), "page 3 of 2, 4 posts\n") << "past the last page: no posts";
    EXPECT_EQ(ok("feed john --per-page 3 --page 2"), "1\tjohn\t2026-11-26 14:00:00.000001\toldest\npage 2 of 2, 4 posts\n");
    EXPECT_EQ(ok("feed john"), page1 + page2 + "page 1 of 1, 4 posts\n") << "page 1 of 20 by default";
    EXPECT_EQ(ok("feed ann"), "4\tann\t2026-11-27 15:00:00.000001\tann's: john does not follow her\npage 1 of 1, 1 posts\n");

    for (const char* bad : {"--page 0", "--per-page 0", "--per-page -3", "--page x"}) {
        auto r = mb(std::string("feed john ") + bad);
        EXPECT_NE(r.status, 0) << bad;
        EXPECT_NE(r.output.find("must be a whole number of at least 1"), std::string::npos) << r.output;
    }
}

TEST_P(MicroblogCommands, RefusalsSayWhyAndChangeNothing) {
    upgrade();
    ok("user add john john@email.com");
    ok("user add susan susan@email.com");
    ok("post john hello");
    ok("follow john susan");

    EXPECT_EQ(refused("post ghost hello"), "error: no user named 'ghost'\n");
    EXPECT_EQ(refused("follow john ghost"), "error: no user named 'ghost'\n");
    EXPECT_EQ(refused("follow ghost john"), "error: no user named 'ghost'\n");
    EXPECT_EQ(refused("unfollow ghost john"), "error: no user named 'ghost'\n");
    EXPECT_EQ(refused("feed ghost"), "error: no user named 'ghost'\n");
    EXPECT_EQ(refused("follow john john"), "error: 'john' cannot follow themselves\n");
    EXPECT_EQ(refused("follow john susan"), "error: 'john' already follows 'susan'\n");
    EXPECT_EQ(refused("unfollow susan john"), "error: 'susan' does not follow 'john'\n");
    EXPECT_EQ(refused("user add john other@email.com"), "error: the nickname 'john' is taken\n");
    EXPECT_EQ(refused("user add johnny john@email.com"), "error: the email 'john@email.com' is taken\n");
    EXPECT_EQ(refused("post john " + shell_quote(std::string(141, 'x'))),
              "error: the body is 141 characters long; at most 140 are kept\n");
    EXPECT_EQ(refused("post john " + shell_quote("two\tfields")),
              "error: the body holds a control character (tab, line break, ...)\n");
    EXPECT_EQ(refused("user add " + shell_quote(std::string(65, 'n')) + " n@email.com"),
              "error: the nickname is 65 characters long; at most 64 are kept\n");
    // 140 characters of two bytes each are 140, not 280.
    std::string accents;
    for (int i = 0; i < 140; ++i) accents += "\xc3\xa9";
    EXPECT_TRUE(ok("post susan " + shell_quote(accents)).ends_with("\t" + accents + "\n"));

    EXPECT_EQ(count_rows("user"), 2);
    EXPECT_EQ(count_rows("post"), 2);
    EXPECT_EQ(count_rows("followers"), 1);
    EXPECT_EQ(ok("stats"), "john\t1\t0\t1\nsusan\t1\t1\t0\n");
}

// Each command is one or two statements whatever the data: no statement per
// user, post or follow (N+1). The data: 6 users, each following the others
// and with 3 posts.
TEST_P(MicroblogCommands, EachCommandIsOneOrTwoStatements) {
    upgrade();
    const std::vector<std::string> names{"ann", "bob", "cid", "dan", "eve", "fay"};
    for (const auto& n : names) ok("user add " + n + " " + n + "@email.com");
    for (const auto& a : names)
        for (const auto& b : names)
            if (a != b && !(a == "ann" && b == "bob")) ok("follow " + a + " " + b);
    for (int i = 0; i < 3; ++i)
        for (std::size_t u = 0; u < names.size(); ++u) add_post(static_cast<std::int64_t>(u) + 1, "p", now());

    auto expect = [&](const std::string& args, std::vector<std::string> starts) {
        auto sqls = statements(args);
        ASSERT_EQ(sqls.size(), starts.size()) << "microblog " << args << " sent:\n" << ::testing::PrintToString(sqls);
        for (std::size_t i = 0; i < starts.size(); ++i)
            EXPECT_TRUE(sqls[i].starts_with(starts[i])) << args << ": statement " << i << " is " << sqls[i];
    };
    expect("user add gil gil@email.com", {"INSERT INTO \"user\""});
    expect("post ann " + shell_quote("one more"), {"SELECT", "INSERT INTO \"post\""});
    expect("follow ann bob", {"SELECT", "INSERT INTO \"followers\""});
    expect("unfollow ann bob", {"SELECT", "DELETE FROM \"followers\""});
    expect("feed ann --per-page 5", {"SELECT count(*)", "SELECT"});        // the count, the page with its authors
    expect("feed ann --per-page 5 --page 9", {"SELECT count(*)"});           // past the end: the count only
    expect("feed gil", {"SELECT count(*)", "SELECT 1 FROM \"user\""});     // an empty feed: does gil exist?
    expect("stats", {"SELECT"});
    // ann's feed: her 4 posts and those of the 4 users she follows (not bob).
    auto feed = ok("feed ann --per-page 5");
    EXPECT_EQ(feed.substr(feed.rfind("page")), "page 1 of 4, 16 posts\n") << feed;
}

// The committed repository's second revision upgrades a database holding
// chapter-4 data, keeping every row; the downgrade keeps users and posts.
TEST_P(MicroblogCommands, SecondRevisionKeepsChapter4Data) {
    upgrade(kChapter4);
    {
        auto db = open_db();
        Session s(db, registry_);
        s.execute("INSERT INTO \"user\" (nickname, email) VALUES (?, ?), (?, ?)", "john", "john@email.com", "susan",
                  "susan@email.com");
        s.execute("INSERT INTO post (body, timestamp, user_id) VALUES (?, ?, ?), (?, ?, ?)", "chapter 4", 
                  parse_datetime("2026-11-01 10:00:00"), 1, "still here", parse_datetime("2026-11-02 10:00:00"), 2);
        s.commit();
    }
    auto check = mb("db check");
    EXPECT_EQ(check.status, 1) << "the models are ahead of chapter 4:\n" << check.output;
    upgrade();
    EXPECT_EQ(mb("db check").status, 0) << mb("db check").output;
    EXPECT_EQ(count_rows("user"), 2);
    EXPECT_EQ(count_rows("post"), 2);
    {
        auto db = open_db();
        Session s(db, registry_);
        auto john = s.query<microblog::User>().filter_by(&microblog::User::nickname, "john").one();
        EXPECT_EQ(john->email, "john@email.com");
        EXPECT_FALSE(john->about_me.has_value());
        EXPECT_FALSE(john->last_seen.has_value());
        EXPECT_EQ(john->posts.size(), 1u);
        EXPECT_EQ(john->followed.query().count(), 0);
    }
    ok("follow john susan");
    EXPECT_EQ(ok("feed john"), "2\tsusan\t2026-11-02 10:00:00.000000\tstill here\n"
                               "1\tjohn\t2026-11-01 10:00:00.000000\tchapter 4\n"
                               "page 1 of 1, 2 posts\n");

    auto down = mb("db downgrade " + std::string(kChapter4) + " --yes");
    ASSERT_EQ(down.status, 0) << down.output;
    EXPECT_EQ(count_rows("user"), 2);
    EXPECT_EQ(count_rows("post"), 2);
    auto conn = open_connection();
    EXPECT_EQ(table_names(*conn), (std::vector<std::string>{"post", "user"}));
}

// The relationship the tutorial declares lazy='dynamic': followed.query() and
// followers.query() are queries over the association table, the backref kept
// in step with what `follow` wrote.
TEST_P(MicroblogCommands, FollowedAndFollowersAreQueries) {
    upgrade();
    ok("user add john john@email.com");
    ok("user add susan susan@email.com");
    ok("user add ann ann@email.com");
    ok("follow john susan");
    ok("follow ann susan");
    auto db = open_db();
    Session s(db, registry_);
    using microblog::User;
    auto susan = s.query<User>().filter_by(&User::nickname, "susan").one();
    auto john = s.query<User>().filter_by(&User::nickname, "john").one();
    std::vector<std::string> log;
    s.on_statement([&](const std::string& sql) { log.push_back(sql); });
    EXPECT_EQ(susan->followers.query().count(), 2);
    auto first = susan->followers.query().order_by(&User::nickname).first();
    EXPECT_EQ(first->nickname, "ann");
    EXPECT_TRUE(john->followed.query().where(col(&User::id) == susan->id).exists());
    EXPECT_EQ(log.size(), 3u) << "one statement each";
    EXPECT_FALSE(susan->followers.is_loaded()) << "a query loads no collection";
}

STRATA_INSTANTIATE_BACKENDS(MicroblogCommands);

}  // namespace
