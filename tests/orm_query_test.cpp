// Query<T>: filters, every operator, ordering, paging, one/first/count/exists,
// joins along relationships, raw SQL.
#include "orm_models.hpp"

namespace orm_test {
namespace {

using strata::col;
using strata::testing::expect_throw;

class OrmQuery : public SeededOrmTest {
protected:
    void seed(strata::Session& s) override {
        auto john = s.add(User{.nickname = "john", .email = "john@email.com"});
        auto susan = s.add(User{.nickname = "susan", .email = "susan@email.com", .about_me = "Hi"});
        s.add(User{.nickname = "Mary", .email = "mary@email.com"});
        const auto t0 = strata::DateTime{} + std::chrono::hours(24 * 365 * 50);
        for (int i = 0; i < 5; ++i) {
            auto p = s.add(Post{.body = "post " + std::to_string(i), .timestamp = t0 + std::chrono::minutes(i)});
            p->author = i < 3 ? john : susan;
        }
    }
    template <class T>
    static std::string names(const std::vector<strata::Ptr<T>>& v) {
        return strata::repr(v);
    }
};

TEST_P(OrmQuery, WhereOrderByLimitOffset) {
    auto s = session();
    auto john = s.query<User>().filter_by(&User::nickname, "john").one();
    auto recent = s.query<Post>()
                      .where(col(&Post::user_id) == john->id)
                      .order_by(strata::desc(&Post::timestamp))
                      .limit(2)
                      .all();
    EXPECT_EQ(names(recent), "[<Post post 2>, <Post post 1>]");
    EXPECT_EQ(names(s.query<Post>().order_by(&Post::id).offset(3).all()), "[<Post post 3>, <Post post 4>]");
    EXPECT_EQ(names(s.query<Post>().order_by(&Post::id).limit(1).offset(1).all()), "[<Post post 1>]");
}

TEST_P(OrmQuery, ComparisonOperators) {
    auto s = session();
    auto q = [&](const strata::Expr& e) { return names(s.query<Post>().where(e).order_by(&Post::id).all()); };
    EXPECT_EQ(q(col(&Post::id) == 2), "[<Post post 1>]");
    EXPECT_EQ(q(col(&Post::id) != 1 && col(&Post::id) < 4), "[<Post post 1>, <Post post 2>]");
    EXPECT_EQ(q(col(&Post::id) <= 1), "[<Post post 0>]");
    EXPECT_EQ(q(col(&Post::id) > 4), "[<Post post 4>]");
    EXPECT_EQ(q(col(&Post::id) >= 5), "[<Post post 4>]");
    EXPECT_EQ(q(col(&Post::id) == 1 || col(&Post::id) == 5), "[<Post post 0>, <Post post 4>]");
    EXPECT_EQ(q(!(col(&Post::id) > 1)), "[<Post post 0>]");
    EXPECT_EQ(q(col(&Post::id).in_({2, 4})), "[<Post post 1>, <Post post 3>]");
    EXPECT_EQ(q(col(&Post::id).in_(std::vector<int>{})), "[]");
    EXPECT_EQ(q(col(&Post::id).between(2, 3)), "[<Post post 1>, <Post post 2>]");
    EXPECT_EQ(q(col(&Post::body).like("post 3%")), "[<Post post 3>]");
}

// A dialect that binds integer lists as one array (PostgreSQL: `= ANY($1)`)
// writes one statement for every length of list; the rows are those of IN.
TEST_P(OrmQuery, InListsOfEveryLengthFindTheSameRowsAsIn) {
    auto s = session();
    auto q = [&](const strata::Expr& e) { return names(s.query<Post>().where(e).order_by(&Post::id).all()); };
    take_log();
    EXPECT_EQ(q(col(&Post::id).in_({2})), "[<Post post 1>]");
    EXPECT_EQ(q(col(&Post::id).in_({5, -1, 2, 2})), "[<Post post 1>, <Post post 4>]");
    EXPECT_EQ(q(col(&Post::user_id).in_({1})), "[<Post post 0>, <Post post 1>, <Post post 2>]");
    const auto log = take_log();
    ASSERT_EQ(log.size(), 3u);
    const bool as_array = db->dialect().binds_integer_list_as_array();
    EXPECT_EQ(log[0] == log[1], as_array) << log[0] << "\n" << log[1];
    EXPECT_EQ(log[0].find("= ANY(") != std::string::npos, as_array) << log[0];
    // Text and lists holding a NULL keep IN: the same rows either way.
    EXPECT_EQ(names(s.query<User>().where(col(&User::nickname).in_({"Mary", "john"})).order_by(&User::id).all()),
              "[<User john>, <User Mary>]");
    EXPECT_EQ(names(s.query<Post>()
                        .where(strata::detail::make_in(col(&Post::user_id), {strata::Value(std::int64_t{2}), strata::Value()}))
                        .order_by(&Post::id)
                        .all()),
              "[<Post post 3>, <Post post 4>]");
    EXPECT_EQ(take_log().back().find("= ANY("), std::string::npos);
}

TEST_P(OrmQuery, NullsLikeAndIlike) {
    auto s = session();
    EXPECT_EQ(names(s.query<User>().where(col(&User::about_me).is_not_null()).all()), "[<User susan>]");
    EXPECT_EQ(names(s.query<User>().where(col(&User::about_me).is_null()).order_by(&User::id).all()),
              "[<User john>, <User Mary>]");
    EXPECT_EQ(names(s.query<User>().where(col(&User::nickname).like("mar%")).all()), is_sqlite() ? "[<User Mary>]" : "[]")
        << "LIKE is case-insensitive for ASCII on SQLite only";
    EXPECT_EQ(names(s.query<User>().where(col(&User::nickname).ilike("mar%")).all()), "[<User Mary>]");
    EXPECT_EQ(names(s.query<User>().where(col(&User::email).ilike("%SUSAN%")).all()), "[<User susan>]");
}

// Without NULLS FIRST / LAST the backends disagree (SQLite sorts NULL lowest,
// PostgreSQL highest); with it they agree.
TEST_P(OrmQuery, OrderingWithNulls) {
    auto s = session();
    auto by = [&](const strata::Order& o) { return names(s.query<User>().order_by(o).order_by(&User::id).all()); };
    EXPECT_EQ(by(strata::asc(&User::about_me).nulls_first()), "[<User john>, <User Mary>, <User susan>]");
    EXPECT_EQ(by(strata::asc(&User::about_me).nulls_last()), "[<User susan>, <User john>, <User Mary>]");
    EXPECT_EQ(by(strata::desc(&User::about_me).nulls_first()), "[<User john>, <User Mary>, <User susan>]");
    EXPECT_EQ(by(strata::desc(&User::about_me).nulls_last()), "[<User susan>, <User john>, <User Mary>]");
    EXPECT_EQ(by(strata::desc(col(&User::about_me)).nulls_last()), "[<User susan>, <User john>, <User Mary>]");
    take_log();
    s.query<User>().order_by(strata::desc(&User::about_me).nulls_last()).all();
    auto log = take_log();
    ASSERT_FALSE(log.empty());
    EXPECT_NE(log.back().find("ORDER BY \"user\".\"about_me\" DESC NULLS LAST"), std::string::npos) << log.back();
}

// order_by takes any expression, not only a column.
TEST_P(OrmQuery, OrderByAnExpression) {
    auto s = session();
    auto has_no_about = col(&User::about_me).is_null();
    EXPECT_EQ(names(s.query<User>().order_by(has_no_about).order_by(&User::id).all()),
              "[<User susan>, <User john>, <User Mary>]");
    EXPECT_EQ(names(s.query<User>().order_by(strata::desc(col(&User::id) > 1)).order_by(strata::desc(&User::id)).all()),
              "[<User Mary>, <User susan>, <User john>]");
    EXPECT_EQ(names(s.query<Post>().order_by(strata::desc(col(&Post::user_id))).order_by(&Post::id).limit(2).all()),
              "[<Post post 3>, <Post post 4>]");
}

TEST_P(OrmQuery, FirstOneCountExists) {
    auto s = session();
    EXPECT_EQ(strata::repr(s.query<User>().order_by(strata::desc(&User::id)).first()), "<User Mary>");
    EXPECT_FALSE(s.query<User>().filter_by(&User::nickname, "nobody").first());
    EXPECT_EQ(s.query<Post>().count(), 5);
    EXPECT_EQ(s.query<Post>().where(col(&Post::user_id) == 1).count(), 3);
    EXPECT_EQ(s.query<Post>().order_by(&Post::id).limit(2).count(), 2);
    EXPECT_TRUE(s.query<User>().filter_by(&User::nickname, "susan").exists());
    EXPECT_FALSE(s.query<User>().filter_by(&User::nickname, "nobody").exists());
}

TEST_P(OrmQuery, OneNeedsExactlyOneRow) {
    auto s = session();
    auto none = expect_throw<strata::NoResultFound>([&] { s.query<User>().filter_by(&User::nickname, "x").one(); });
    EXPECT_STREQ(none.what(), "strata: one() found no User row (exactly one expected)");
    auto many = expect_throw<strata::MultipleResultsFound>([&] { s.query<Post>().one(); });
    EXPECT_STREQ(many.what(), "strata: one() found several Post rows (exactly one expected)");
}

TEST_P(OrmQuery, JoinAlongARelationship) {
    auto s = session();
    auto johns = s.query<Post>()
                     .join(&Post::author)
                     .where(col(&User::nickname) == "john")
                     .order_by(&Post::id)
                     .all();
    EXPECT_EQ(names(johns), "[<Post post 0>, <Post post 1>, <Post post 2>]");
    auto writers = s.query<User>().join(&User::posts).where(col(&Post::body) == "post 4").all();
    EXPECT_EQ(names(writers), "[<User susan>]");
    EXPECT_EQ(s.query<User>().join(&User::posts).order_by(&User::id).all().size(), 2u) << "each user once";
}

TEST_P(OrmQuery, QueriesSeeUnflushedChanges) {
    auto s = session();
    s.add(User{.nickname = "zed", .email = "zed@x"});
    EXPECT_EQ(s.query<User>().count(), 4) << "autoflush";
    s.set_autoflush(false);
    s.add(User{.nickname = "zoe", .email = "zoe@x"});
    EXPECT_EQ(s.query<User>().count(), 4);
    s.flush();
    EXPECT_EQ(s.query<User>().count(), 5);
}

TEST_P(OrmQuery, RawSqlWithBoundParameters) {
    auto s = session();
    auto rows = s.execute<std::tuple<std::string, std::string>>(
        "SELECT nickname, email FROM \"user\" WHERE id > ? AND nickname <> ? ORDER BY id", 1, "x");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(std::get<0>(rows[0]), "susan");
    EXPECT_EQ(std::get<1>(rows[1]), "mary@email.com");
    auto users = s.raw<User>("SELECT * FROM \"user\" WHERE nickname = ?", {"susan"});
    ASSERT_EQ(users.size(), 1u);
    EXPECT_EQ(users[0].get(), s.get<User>(2).get()) << "rows go through the identity map";
    EXPECT_EQ(users[0]->about_me, "Hi");
    auto e = expect_throw<strata::Error>([&] { s.raw<User>("SELECT id FROM \"user\""); });
    EXPECT_NE(std::string(e.what()).find("must select its columns in order (id, nickname, email, about_me)"),
              std::string::npos)
        << e.what();
}

TEST_P(OrmQuery, QueryOfAClosedSessionFails) {
    std::optional<strata::Query<User>> q;
    {
        auto s = session();
        q.emplace(s.query<User>());
    }
    expect_throw<strata::DetachedInstanceError>([&] { q->all(); });
}

struct Reading {
    std::int64_t id = 0;
    std::string label{};
};

// A "primary key" the table does not enforce: a key found twice is one
// object, the first row's, whether the session held objects of the model
// before the query (rows looked up as they come) or none (objects built
// first, entered into the identity map after).
TEST_P(OrmQuery, AKeyFoundTwiceGivesOneObjectTheFirstRows) {
    strata::Registry r;
    r.model<Reading>("reading").column(&Reading::id, "id", strata::primary_key()).column(&Reading::label, "label");
    {
        auto conn = db->connect();
        conn->execute("CREATE TABLE reading (id BIGINT, label VARCHAR(10))");
        conn->execute("INSERT INTO reading (id, label) VALUES (1, 'a'), (1, 'b'), (2, 'c'), (3, 'd')");
    }
    auto check = [](const std::vector<strata::Ptr<Reading>>& all) {
        ASSERT_EQ(all.size(), 4u);
        EXPECT_EQ(all[0].get(), all[1].get());
        EXPECT_EQ(all[1]->label, "a");
        EXPECT_NE(all[1].get(), all[2].get());
        EXPECT_EQ(all[3]->label, "d");
    };
    {
        strata::Session s(*db, r);  // holds no Reading: the objects first, the identity map after
        auto all = s.query<Reading>().order_by(&Reading::label).all();
        check(all);
        EXPECT_EQ(s.get<Reading>(1).get(), all[0].get());
        EXPECT_EQ(s.get<Reading>(3).get(), all[3].get());
    }
    {
        strata::Session s(*db, r);
        auto three = s.get<Reading>(3);  // holds one: each row looked up as it comes
        auto all = s.query<Reading>().order_by(&Reading::label).all();
        check(all);
        EXPECT_EQ(all[3].get(), three.get());
    }
}

STRATA_INSTANTIATE_BACKENDS(OrmQuery);

}  // namespace
}  // namespace orm_test
