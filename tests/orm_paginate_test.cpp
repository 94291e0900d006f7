// Query<T>::paginate: Flask-SQLAlchemy's pages.
#include "orm_models.hpp"

namespace orm_test {
namespace {

using strata::col;
using strata::testing::expect_throw;

class OrmPaginate : public SeededOrmTest {
protected:
    void seed(strata::Session& s) override {
        auto john = s.add(User{.nickname = "john", .email = "john@email.com"});
        for (int i = 1; i <= 12; ++i) john->posts.push_back(Post{.body = "post " + std::to_string(i)});
    }
    static std::string bodies(const strata::Page<Post>& page) {
        std::string out;
        for (auto& p : page.items) out += (out.empty() ? "" : ",") + p->body.substr(5);
        return out;
    }
};

TEST_P(OrmPaginate, PagesOfAQuery) {
    auto s = session();
    auto q = s.query<Post>().where(col(&Post::body) != "none").order_by(&Post::id);
    auto first = q.paginate(1, 5);
    EXPECT_EQ(take_log().size(), 2u) << "the count and the page";
    EXPECT_EQ(bodies(first), "1,2,3,4,5");
    EXPECT_EQ(first.page, 1);
    EXPECT_EQ(first.per_page, 5);
    EXPECT_EQ(first.total, 12);
    EXPECT_EQ(first.pages, 3);
    EXPECT_FALSE(first.has_prev);
    EXPECT_TRUE(first.has_next);
    EXPECT_EQ(first.prev_num(), 0);
    EXPECT_EQ(first.next_num(), 2);

    auto second = q.paginate(2, 5);
    EXPECT_EQ(bodies(second), "6,7,8,9,10");
    EXPECT_TRUE(second.has_prev);
    EXPECT_TRUE(second.has_next);

    auto last = q.paginate(3, 5);
    EXPECT_EQ(bodies(last), "11,12");
    EXPECT_TRUE(last.has_prev);
    EXPECT_FALSE(last.has_next);
    EXPECT_EQ(last.next_num(), 0);

    auto whole = q.paginate(1, 12);
    EXPECT_EQ(whole.pages, 1);
    EXPECT_FALSE(whole.has_next);
    EXPECT_EQ(whole.items.size(), 12u);
}

TEST_P(OrmPaginate, AFilteredQueryCountsOnlyItsRows) {
    auto s = session();
    auto page = s.query<Post>().where(col(&Post::id) > std::int64_t{10}).order_by(strata::desc(&Post::id)).paginate(1, 5);
    EXPECT_EQ(page.total, 2);
    EXPECT_EQ(page.pages, 1);
    EXPECT_EQ(bodies(page), "12,11");
}

TEST_P(OrmPaginate, APageOutOfRangeIsEmpty) {
    auto s = session();
    auto q = s.query<Post>().order_by(&Post::id);
    for (std::int64_t n : {std::int64_t{4}, std::int64_t{100}, std::int64_t{0}, std::int64_t{-3},
                           std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min()}) {
        take_log();
        auto page = q.paginate(n, 5);
        EXPECT_TRUE(page.items.empty()) << n;
        EXPECT_EQ(page.total, 12) << n;
        EXPECT_EQ(page.pages, 3) << n;
        EXPECT_EQ(page.page, n);
        EXPECT_EQ(take_log().size(), 1u) << "only the count: no SELECT of a page that cannot hold rows";
    }
    EXPECT_TRUE(q.paginate(4, 5).has_prev) << "page 3 holds rows";
    EXPECT_FALSE(q.paginate(5, 5).has_prev);
    EXPECT_TRUE(q.paginate(0, 5).has_next) << "page 1 holds rows";
    auto none = s.query<Post>().where(col(&Post::body) == "nothing").paginate(1, 5);
    EXPECT_EQ(none.total, 0);
    EXPECT_EQ(none.pages, 0);
    EXPECT_FALSE(none.has_next);
    EXPECT_FALSE(none.has_prev);
}

TEST_P(OrmPaginate, ANonPositiveSizeIsAnError) {
    auto s = session();
    for (std::int64_t n : {std::int64_t{0}, std::int64_t{-1}}) {
        auto e = expect_throw<strata::ConfigError>([&] { s.query<Post>().paginate(1, n); });
        EXPECT_NE(std::string(e.what()).find("paginate() of Post needs per_page of at least 1, not " + std::to_string(n)),
                  std::string::npos)
            << e.what();
    }
    auto e = expect_throw<strata::ConfigError>([&] { s.query<Post>().limit(3).paginate(1, 2); });
    EXPECT_NE(std::string(e.what()).find("call it on a query without limit() / offset()"), std::string::npos) << e.what();
}

STRATA_INSTANTIATE_BACKENDS(OrmPaginate);

}  // namespace
}  // namespace orm_test
