// Typed selects (strata/select.hpp): projections into tuples and structs,
// aggregates and grouping, subqueries, unions, joins on conditions, outer
// joins, association tables without a model, self-joins with aliases; and
// the statements microblog's `stats` and `feed` are built on.
#include <tuple>

#include "orm_models.hpp"

namespace orm_test {
namespace {

using strata::col;
using strata::testing::expect_throw;
using std::int64_t;
using std::optional;
using std::string;
using std::tuple;

// john follows susan and mary; susan and mary follow john; david has no posts and follows nobody.
class OrmSelect : public SeededOrmTest {
protected:
    void seed(strata::Session& s) override {
        auto john = s.add(User{.nickname = "john", .email = "john@email.com"});
        auto susan = s.add(User{.nickname = "susan", .email = "susan@email.com", .about_me = "Hi"});
        auto mary = s.add(User{.nickname = "mary", .email = "mary@email.com"});
        s.add(User{.nickname = "david", .email = "david@email.com"});
        const strata::Ptr<User> authors[] = {john, john, john, susan, susan, mary};
        for (int i = 0; i < 6; ++i) {
            auto p = s.add(Post{.body = "post " + std::to_string(i), .timestamp = t0 + std::chrono::minutes(i)});
            p->author = authors[i];
        }
        john->followed.push_back(susan);
        john->followed.push_back(mary);
        susan->followed.push_back(john);
        mary->followed.push_back(john);
    }
    const strata::DateTime t0 = strata::DateTime{} + std::chrono::hours(24 * 365 * 50);
    strata::TableRef followers{"followers"};
    strata::Col<int64_t> follower_id = followers.col<int64_t>("follower_id");
    strata::Col<int64_t> followed_id = followers.col<int64_t>("followed_id");
};

TEST_P(OrmSelect, ColumnsComeBackAsTuplesOfTheMembersTypes) {
    auto s = session();
    auto rows = s.select(&User::nickname, &User::about_me, &User::id).order_by(&User::id).all();
    static_assert(std::is_same_v<decltype(rows), std::vector<tuple<string, optional<string>, int64_t>>>);
    ASSERT_EQ(rows.size(), 4u);
    EXPECT_EQ(rows[0], (tuple<string, optional<string>, int64_t>{"john", std::nullopt, 1}));
    EXPECT_EQ(rows[1], (tuple<string, optional<string>, int64_t>{"susan", "Hi", 2}));
    EXPECT_EQ(std::get<0>(rows[3]), "david");

    auto posts = s.select(&Post::timestamp, &Post::user_id).where(col(&Post::body) == "post 4").all();
    static_assert(std::is_same_v<decltype(posts), std::vector<tuple<strata::DateTime, optional<int64_t>>>>);
    ASSERT_EQ(posts.size(), 1u);
    EXPECT_EQ(posts[0], (tuple<strata::DateTime, optional<int64_t>>{t0 + std::chrono::minutes(4), 2}));
}

TEST_P(OrmSelect, ValuesAreBoundNotWrittenIntoTheSql) {
    auto s = session();
    EXPECT_EQ(s.select(&User::id).where(col(&User::nickname) == "susan' --").all().size(), 0u);
    auto log = take_log();
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0].find("susan"), std::string::npos) << log[0];
    EXPECT_NE(log[0].find("\"user\".\"nickname\""), std::string::npos) << log[0];
}

struct NameAndPosts {
    string nickname;
    int64_t posts = 0;
};

TEST_P(OrmSelect, RowsIntoAPlainStruct) {
    auto s = session();
    auto rows = s.select(&User::nickname, strata::count(&Post::id))
                    .join(&User::posts)
                    .group_by(&User::id, &User::nickname)
                    .order_by(&User::nickname)
                    .all_as<NameAndPosts>();
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].nickname, "john");
    EXPECT_EQ(rows[0].posts, 3);
    EXPECT_EQ(rows[1].nickname, "mary");
    EXPECT_EQ(rows[1].posts, 1);
    EXPECT_EQ(rows[2].nickname, "susan");
    EXPECT_EQ(rows[2].posts, 2);
}

TEST_P(OrmSelect, FirstOneScalarScalars) {
    auto s = session();
    auto first = s.select(&User::nickname).order_by(strata::desc(&User::id)).first();
    ASSERT_TRUE(first);
    EXPECT_EQ(std::get<0>(*first), "david");
    EXPECT_FALSE(s.select(&User::nickname).where(col(&User::id) == 99).first());
    EXPECT_EQ(std::get<0>(s.select(&User::email).where(col(&User::nickname) == "mary").one()), "mary@email.com");
    expect_throw<strata::NoResultFound>([&] { s.select(&User::email).where(col(&User::id) == 99).one(); });
    expect_throw<strata::MultipleResultsFound>([&] { s.select(&User::email).one(); });
    EXPECT_EQ(s.select(strata::count()).select_from<User>().scalar(), 4);
    EXPECT_EQ(s.select(&Post::body).where(col(&Post::user_id) == 2).order_by(&Post::id).scalars(),
              (std::vector<string>{"post 3", "post 4"}));
}

TEST_P(OrmSelect, OuterJoinedSideReadsAsOptional) {
    auto s = session();
    auto rows = s.select(&User::nickname, &Post::body)
                    .outerjoin(&User::posts)
                    .where(col(&User::nickname) == "david" || col(&User::nickname) == "mary")
                    .order_by(&User::nickname)
                    .all();
    static_assert(std::is_same_v<decltype(rows), std::vector<tuple<string, optional<string>>>>);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0], (tuple<string, optional<string>>{"david", std::nullopt}));
    EXPECT_EQ(rows[1], (tuple<string, optional<string>>{"mary", "post 5"}));

    // Joined on a condition: the same.
    auto by_condition = s.select(&User::nickname, &Post::id)
                            .outerjoin<Post>(col(&Post::user_id) == col(&User::id))
                            .where(col(&User::nickname) == "david")
                            .all();
    static_assert(std::is_same_v<decltype(by_condition), std::vector<tuple<string, optional<int64_t>>>>);
    ASSERT_EQ(by_condition.size(), 1u);
    EXPECT_FALSE(std::get<1>(by_condition[0]));
}

TEST_P(OrmSelect, NullIntoANonOptionalItemIsAnErrorNamingTheColumn) {
    auto s = session();
    auto q = s.select(&User::nickname, follower_id)
                 .outerjoin(followers, followed_id == col(&User::id))
                 .where(col(&User::nickname) == "david");
    auto e = expect_throw<strata::Error>([&] { q.all(); });
    EXPECT_NE(std::string(e.what()).find("column 2 (follower_id) of the result is NULL"), std::string::npos) << e.what();
    auto rows = s.select(&User::nickname, strata::nullable(follower_id))
                    .outerjoin(followers, followed_id == col(&User::id))
                    .where(col(&User::nickname) == "david")
                    .all();
    static_assert(std::is_same_v<decltype(rows), std::vector<tuple<string, optional<int64_t>>>>);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_FALSE(std::get<1>(rows[0]));
}

TEST_P(OrmSelect, Aggregates) {
    auto s = session();
    auto [n, users, lo, hi, total, mean] =
        s.select(strata::count(), strata::count_distinct(&Post::user_id), strata::min(&Post::timestamp),
                 strata::max(&Post::body), strata::sum(&Post::id), strata::avg(&Post::id))
            .one();
    static_assert(std::is_same_v<decltype(n), int64_t>);
    static_assert(std::is_same_v<decltype(lo), optional<strata::DateTime>>);
    static_assert(std::is_same_v<decltype(total), optional<int64_t>>);
    static_assert(std::is_same_v<decltype(mean), optional<double>>);
    EXPECT_EQ(n, 6);
    EXPECT_EQ(users, 3);
    EXPECT_EQ(lo, t0);
    EXPECT_EQ(hi, "post 5");
    EXPECT_EQ(total, 21);
    EXPECT_DOUBLE_EQ(mean.value_or(0), 3.5);

    // Over no rows: count is 0, the others NULL.
    auto none = s.select(strata::count(&Post::id), strata::sum(&Post::id), strata::max(&Post::body))
                    .where(col(&Post::id) > 100)
                    .one();
    EXPECT_EQ(none, (tuple<int64_t, optional<int64_t>, optional<string>>{0, std::nullopt, std::nullopt}));
}

TEST_P(OrmSelect, GroupByHavingOrderByAggregateAndLabel) {
    auto s = session();
    auto rows = s.select(&User::nickname, strata::count(&Post::id))
                    .outerjoin(&User::posts)
                    .group_by(&User::id, &User::nickname)
                    .order_by(strata::desc(strata::count(&Post::id)))
                    .order_by(&User::nickname)
                    .all();
    EXPECT_EQ(rows, (std::vector<tuple<string, int64_t>>{{"john", 3}, {"susan", 2}, {"mary", 1}, {"david", 0}}));

    auto n = strata::label("n", strata::count(&Post::id));
    auto busy = s.select(&User::nickname, n)
                    .join(&User::posts)
                    .group_by(&User::nickname)
                    .having(strata::count(&Post::id) > 1)
                    .order_by(strata::asc(n))
                    .all();
    EXPECT_EQ(busy, (std::vector<tuple<string, int64_t>>{{"susan", 2}, {"john", 3}}));
    auto log = take_log();
    EXPECT_NE(log.back().find("count(\"post\".\"id\") AS \"n\""), std::string::npos) << log.back();
    EXPECT_NE(log.back().find("ORDER BY \"n\""), std::string::npos) << log.back();
}

TEST_P(OrmSelect, Distinct) {
    auto s = session();
    auto authors = s.select(&Post::user_id).distinct().order_by(&Post::user_id).scalars();
    EXPECT_EQ(authors, (std::vector<optional<int64_t>>{1, 2, 3}));
}

TEST_P(OrmSelect, InSubquery) {
    auto s = session();
    // Posts of the users john follows.
    auto followed_by_john = strata::select(followed_id).where(follower_id == 1);
    auto bodies = s.select(&Post::body).where(col(&Post::user_id).in_(followed_by_john)).order_by(&Post::id).scalars();
    EXPECT_EQ(bodies, (std::vector<string>{"post 3", "post 4", "post 5"}));
    auto log = take_log();
    ASSERT_EQ(log.size(), 1u);
    EXPECT_NE(log[0].find(" IN (SELECT \"followers\".\"followed_id\" FROM \"followers\" WHERE"), std::string::npos)
        << log[0];
}

TEST_P(OrmSelect, CorrelatedExists) {
    auto s = session();
    auto has_posts = strata::exists(strata::select(&Post::id).where(col(&Post::user_id) == col(&User::id)));
    EXPECT_EQ(s.select(&User::nickname).where(has_posts).order_by(&User::id).scalars(),
              (std::vector<string>{"john", "susan", "mary"}));
    EXPECT_EQ(s.select(&User::nickname).where(!has_posts).scalars(), (std::vector<string>{"david"}));
}

TEST_P(OrmSelect, ScalarSubqueriesInTheProjection) {
    auto s = session();
    auto posts = strata::scalar(strata::select(strata::count(&Post::id)).where(col(&Post::user_id) == col(&User::id)));
    auto latest = strata::scalar(strata::select(strata::max(&Post::body)).where(col(&Post::user_id) == col(&User::id)));
    auto rows = s.select(&User::nickname, posts, latest).order_by(&User::id).all();
    static_assert(std::is_same_v<decltype(rows), std::vector<tuple<string, int64_t, optional<string>>>>);
    EXPECT_EQ(rows, (std::vector<tuple<string, int64_t, optional<string>>>{
                        {"john", 3, "post 2"}, {"susan", 2, "post 4"}, {"mary", 1, "post 5"}, {"david", 0, std::nullopt}}));
}

TEST_P(OrmSelect, UnionAndUnionAll) {
    auto s = session();
    auto name = strata::label("name", &User::nickname);
    auto names = s.select(name)
                     .where(col(&User::id) <= 2)
                     .union_(strata::select(&User::nickname).where(col(&User::id) >= 2))
                     .order_by(strata::desc(name))
                     .scalars();
    EXPECT_EQ(names, (std::vector<string>{"susan", "mary", "john", "david"}));
    auto all = s.select(name)
                   .where(col(&User::id) <= 2)
                   .union_all(strata::select(&User::nickname).where(col(&User::id) >= 2))
                   .order_by(name)
                   .scalars();
    EXPECT_EQ(all, (std::vector<string>{"david", "john", "mary", "susan", "susan"}));
    // Ordering belongs to the union, not to a part.
    auto part = strata::select(&User::nickname).order_by(&User::nickname);
    expect_throw<strata::Error>([&] { s.select(&User::nickname).union_(part); });
}

TEST_P(OrmSelect, SelfJoinThroughTheAssociationTableWithAliases) {
    auto s = session();
    strata::Alias<User> followed("followed");
    auto rows = s.select(&User::nickname, followed(&User::nickname))
                    .join(followers, follower_id == col(&User::id))
                    .join(followed, followed(&User::id) == followed_id)
                    .order_by(&User::nickname)
                    .order_by(followed(&User::nickname))
                    .all();
    EXPECT_EQ(rows, (std::vector<tuple<string, string>>{
                        {"john", "mary"}, {"john", "susan"}, {"mary", "john"}, {"susan", "john"}}));
    // FROM an alias, outer-joined alias: its columns read as std::optional.
    strata::Alias<User> follower("follower");
    auto whose = s.select(&User::nickname, follower(&User::nickname))
                     .outerjoin(followers, followed_id == col(&User::id))
                     .outerjoin(follower, follower(&User::id) == strata::nullable(follower_id))
                     .where(col(&User::nickname) == "david")
                     .all();
    static_assert(std::is_same_v<decltype(whose), std::vector<tuple<string, optional<string>>>>);
    EXPECT_EQ(whose, (std::vector<tuple<string, optional<string>>>{{"david", std::nullopt}}));
}

TEST_P(OrmSelect, AStatementForASubqueryDoesNotRunByItself) {
    auto e = expect_throw<strata::Error>([&] { strata::select(&User::nickname).all(); });
    EXPECT_NE(std::string(e.what()).find("Session::select"), std::string::npos) << e.what();
}

// microblog's `stats`: posts, followers and following of every user, one statement.
TEST_P(OrmSelect, StatsInOneStatement) {
    auto s = session();
    strata::TableRef f1("followers", "f1"), f2("followers", "f2");
    auto posts = strata::scalar(strata::select(strata::count()).select_from<Post>().where(col(&Post::user_id) == col(&User::id)));
    auto followers_n = strata::scalar(strata::select(strata::count())
                                          .select_from(f1)
                                          .where(f1.col<int64_t>("followed_id") == col(&User::id)));
    auto following_n = strata::scalar(strata::select(strata::count())
                                          .select_from(f2)
                                          .where(f2.col<int64_t>("follower_id") == col(&User::id)));
    auto n_posts = strata::label("posts", posts);
    auto rows = s.select(&User::nickname, n_posts, followers_n, following_n)
                    .order_by(strata::desc(n_posts))
                    .order_by(&User::nickname)
                    .all();
    static_assert(std::is_same_v<decltype(rows), std::vector<tuple<string, int64_t, int64_t, int64_t>>>);
    EXPECT_EQ(rows, (std::vector<tuple<string, int64_t, int64_t, int64_t>>{
                        {"john", 3, 2, 2}, {"susan", 2, 1, 1}, {"mary", 1, 1, 1}, {"david", 0, 0, 0}}));
    EXPECT_EQ(take_log().size(), 1u);
}

// microblog's `feed`: posts of the users NICK follows plus NICK's own, newest first, one statement.
TEST_P(OrmSelect, FeedInOneStatement) {
    auto s = session();
    const int64_t susan = 2;
    auto followed_by_susan = strata::select(followed_id).where(follower_id == susan);
    auto feed = s.select(&Post::id, &User::nickname, &Post::timestamp, &Post::body)
                    .join(&Post::author)
                    .where(col(&Post::user_id).in_(followed_by_susan) || col(&Post::user_id) == susan)
                    .order_by(strata::desc(&Post::timestamp))
                    .order_by(strata::desc(&Post::id))
                    .limit(3)
                    .all();
    ASSERT_EQ(feed.size(), 3u);
    EXPECT_EQ(std::get<3>(feed[0]), "post 4");
    EXPECT_EQ(std::get<1>(feed[0]), "susan");
    EXPECT_EQ(std::get<3>(feed[1]), "post 3");
    EXPECT_EQ(std::get<3>(feed[2]), "post 2");
    EXPECT_EQ(std::get<1>(feed[2]), "john");
    EXPECT_EQ(std::get<2>(feed[2]), t0 + std::chrono::minutes(2));
    auto total = s.select(strata::count(&Post::id))
                     .where(col(&Post::user_id).in_(followed_by_susan) || col(&Post::user_id) == susan)
                     .scalar();
    EXPECT_EQ(total, 5);
    EXPECT_EQ(take_log().size(), 2u);

    // The tutorial's form: the association table joined, plus own posts by a union.
    auto own = strata::select(&Post::id).where(col(&Post::user_id) == susan);
    auto ids = s.select(strata::label("id", &Post::id))
                   .join(followers, followed_id == col(&Post::user_id))
                   .where(follower_id == susan)
                   .union_(own)
                   .order_by(strata::desc(strata::label("id", &Post::id)))
                   .scalars();
    EXPECT_EQ(ids, (std::vector<int64_t>{5, 4, 3, 2, 1}));
}

TEST_P(OrmSelect, AnUnmappedModelIsAConfigError) {
    struct Stranger {
        int64_t id = 0;
    };
    auto s = session();
    auto e = expect_throw<strata::ConfigError>(
        [&] { s.select(&User::id).join<Stranger>(col(&Stranger::id) == col(&User::id)).all(); });
    EXPECT_NE(std::string(e.what()).find("is not mapped"), std::string::npos) << e.what();
}

STRATA_INSTANTIATE_BACKENDS(OrmSelect);

}  // namespace
}  // namespace orm_test
