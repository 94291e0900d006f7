// Session::execute: typed raw SQL, rows as std::tuple or a plain struct,
// values bound and checked against the requested types.
#include "orm_models.hpp"

namespace orm_test {
namespace {

using strata::testing::expect_throw;

class OrmRawSql : public SeededOrmTest {
protected:
    void seed(strata::Session& s) override {
        auto john = s.add(User{.nickname = "john", .email = "john@email.com"});
        s.add(User{.nickname = "susan", .email = "susan@email.com", .about_me = "Hi"});
        john->posts.push_back(Post{.body = "first", .timestamp = when});
    }
    const strata::DateTime when = strata::DateTime{} + std::chrono::microseconds(1'700'000'000'123'456);
};

struct Profile {
    std::int64_t id;
    std::string nickname;
    std::optional<std::string> about_me;
};

TEST_P(OrmRawSql, RowsAsTuples) {
    auto s = session();
    auto rows = s.execute<std::tuple<std::int64_t, std::string, std::optional<std::string>>>(
        "SELECT id, nickname, about_me FROM \"user\" WHERE id >= ? AND nickname <> ? ORDER BY id", 1, "nobody");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0], std::make_tuple(std::int64_t{1}, std::string("john"), std::optional<std::string>()));
    EXPECT_EQ(rows[1], std::make_tuple(std::int64_t{2}, std::string("susan"), std::optional<std::string>("Hi")));
    auto log = take_log();
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0].find("nobody"), std::string::npos) << "values are bound, never pasted: " << log[0];
}

TEST_P(OrmRawSql, RowsAsAPlainStruct) {
    auto s = session();
    auto rows = s.execute<Profile>("SELECT id, nickname, about_me FROM \"user\" ORDER BY id DESC");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].nickname, "susan");
    EXPECT_EQ(rows[0].about_me, "Hi");
    EXPECT_EQ(rows[1].id, 1);
    EXPECT_EQ(rows[1].about_me, std::nullopt);
}

// Every column type, including expressions (count, sum) whose type each backend decides.
TEST_P(OrmRawSql, TypesOfEveryKind) {
    auto s = session();
    auto [ts, body, n, flag, ratio] = s.execute<std::tuple<strata::DateTime, std::string, std::int64_t, bool, double>>(
                                          "SELECT timestamp, body, (SELECT count(*) FROM post), 1 = 1, 0.5 FROM post "
                                          "WHERE body = ?",
                                          "first")
                                          .at(0);
    EXPECT_EQ(ts, when);
    EXPECT_EQ(body, "first");
    EXPECT_EQ(n, 1);
    EXPECT_TRUE(flag);
    EXPECT_EQ(ratio, 0.5);
    auto total = s.execute<std::tuple<std::int64_t>>("SELECT sum(id) FROM \"user\"");
    EXPECT_EQ(std::get<0>(total.at(0)), 3);
    auto none = s.execute<std::tuple<std::optional<std::int64_t>>>("SELECT max(id) FROM \"user\" WHERE id > ?", 10);
    EXPECT_EQ(std::get<0>(none.at(0)), std::nullopt);
}

TEST_P(OrmRawSql, AMismatchNamesTheColumn) {
    auto s = session();
    auto e = expect_throw<strata::Error>(
        [&] { s.execute<std::tuple<std::int64_t, std::int64_t>>("SELECT id, nickname FROM \"user\""); });
    EXPECT_NE(std::string(e.what()).find("column 2 (\"nickname\") holds text, which cannot be read as the requested "
                                         "type an integer"),
              std::string::npos)
        << e.what();
    e = expect_throw<strata::Error>([&] { s.execute<Profile>("SELECT id, about_me, nickname FROM \"user\" ORDER BY id"); });
    EXPECT_NE(std::string(e.what()).find("column 2 (\"about_me\") is NULL, but the requested type std::string is not "
                                         "std::optional"),
              std::string::npos)
        << e.what();
    e = expect_throw<strata::Error>([&] { s.execute<Profile>("SELECT id, nickname FROM \"user\""); });
    EXPECT_NE(std::string(e.what()).find("the SQL returns 2 columns (id, nickname) but the requested row type has 3"),
              std::string::npos)
        << e.what();
    e = expect_throw<strata::Error>([&] { s.execute<std::tuple<strata::Blob>>("SELECT 1.5 AS ratio"); });
    EXPECT_NE(std::string(e.what()).find("column 1 (\"ratio\") holds "), std::string::npos) << e.what();
}

TEST_P(OrmRawSql, ExecuteReturnsTheRowsChangedInTheSessionsTransaction) {
    auto s = session();
    auto susan = s.get<User>(2);
    EXPECT_EQ(s.execute("UPDATE \"user\" SET about_me = ? WHERE about_me IS NULL", "new"), 1);
    EXPECT_TRUE(s.connection().in_transaction());
    EXPECT_EQ(s.execute("DELETE FROM post WHERE id > ?", 100), 0);
    EXPECT_EQ(s.execute("INSERT INTO \"user\" (nickname, email, about_me) VALUES (?, ?, ?)", "ann", "a@x",
                        std::optional<std::string>()),
              1);
    s.rollback();
    auto rows = s.execute<std::tuple<std::int64_t>>("SELECT count(*) FROM \"user\" WHERE about_me IS NULL");
    EXPECT_EQ(std::get<0>(rows.at(0)), 1) << "rolled back with the session";
}

// Changes the session has not written yet are flushed before the SQL runs.
TEST_P(OrmRawSql, PendingChangesAreFlushedFirst) {
    auto s = session();
    s.get<User>(1)->about_me = "flushed";
    auto rows = s.execute<std::tuple<std::string>>("SELECT about_me FROM \"user\" WHERE id = ?", 1);
    EXPECT_EQ(std::get<0>(rows.at(0)), "flushed");
}

STRATA_INSTANTIATE_BACKENDS(OrmRawSql);

}  // namespace
}  // namespace orm_test
