// ORM error paths: each error's type and message, and the database unchanged.
#include "orm_models.hpp"

namespace orm_test {
namespace {

using strata::testing::expect_throw;

class OrmErrors : public SeededOrmTest {
protected:
    void seed(strata::Session& s) override {
        auto u = s.add(User{.nickname = "john", .email = "john@email.com"});
        u->posts.push_back(Post{.body = "hello"});
    }
    void raw(const std::string& sql) { db->connect()->execute(sql); }
    std::string email_in_db() {
        auto conn = db->connect();
        auto st = conn->prepare("SELECT email FROM \"user\" WHERE id = 1");
        return st->step() ? std::string(st->get_text(0)) : "<none>";
    }
};

// Expired by commit, the object reloads when it is changed: the row is gone.
TEST_P(OrmErrors, ChangeOfARowDeletedElsewhere) {
    auto s = session();
    auto u = s.get<User>(1);
    auto p = u->posts[0];
    s.commit();
    raw("DELETE FROM post");
    auto e = expect_throw<strata::ObjectDeletedError>([&] { p->body = "changed"; });
    EXPECT_STREQ(e.what(),
                 "strata: <Post hello> was deleted: its row in table post is gone (deleted, or its insert rolled back, by "
                 "another transaction); the session no longer tracks it");
    s.commit();
    EXPECT_EQ(count_rows("post"), 0);
    EXPECT_THROW((void)p->body, strata::ObjectDeletedError) << "on every access";
}

// Without expire on commit the change reaches the UPDATE, which finds no row.
TEST_P(OrmErrors, UpdateOfARowDeletedElsewhere) {
    auto s = session({.expire_on_commit = false});
    auto u = s.get<User>(1);
    auto p = u->posts[0];
    s.commit();
    raw("DELETE FROM post");
    p->body = "changed";
    auto e = expect_throw<strata::Error>([&] { s.commit(); });
    EXPECT_STREQ(e.what(),
                 "strata: UPDATE of <Post changed> in table post matched no row (was it deleted by another transaction?)");
    EXPECT_EQ(count_rows("post"), 0);
}

// The ORM's queries may reach the server only with their first run
// (PostgreSQL: one round trip): a query of a table that is gone throws
// OperationalError each time it is tried, and the session goes on.
TEST_P(OrmErrors, QueryOfATableThatIsGone) {
    raw("DROP TABLE comment");
    auto s = session();
    for (int attempt = 1; attempt <= 2; ++attempt)
        EXPECT_THROW((void)s.query<Comment>().all(), strata::OperationalError) << "attempt " << attempt;
    EXPECT_EQ(s.query<Post>().all().size(), 1u);
}

TEST_P(OrmErrors, ChangingAPrimaryKey) {
    auto s = session();
    auto u = s.get<User>(1);
    u->id = 7;
    u->email = "new@x";
    auto e = expect_throw<strata::Error>([&] { s.flush(); });
    EXPECT_STREQ(e.what(), "strata: the primary key of <User john> was changed; keys cannot be updated");
    s.rollback();
    EXPECT_EQ(email_in_db(), "john@email.com");
}

TEST_P(OrmErrors, RefreshOfADeletedRow) {
    auto s = session();
    auto p = s.get<Post>(1);
    s.commit();
    raw("DELETE FROM post");
    auto e = expect_throw<strata::ObjectDeletedError>([&] { s.refresh(p); });
    EXPECT_STREQ(e.what(),
                 "strata: <Post hello> was deleted: its row in table post is gone (deleted, or its insert rolled back, by "
                 "another transaction); the session no longer tracks it");
}

TEST_P(OrmErrors, ExpiredObjectWhoseRowIsGone) {
    auto s = session();
    auto p = s.get<Post>(1);
    s.rollback();  // expires p
    raw("DELETE FROM post");
    EXPECT_THROW((void)p->body, strata::ObjectDeletedError);
    EXPECT_THROW((void)p->body, strata::ObjectDeletedError) << "on every access, not only the first";
    EXPECT_FALSE(s.get<Post>(1)) << "it left the identity map";
}

TEST_P(OrmErrors, RemovingAnObjectNotInTheSession) {
    auto s = session();
    auto u = s.get<User>(1);
    s.expunge(u);
    auto e = expect_throw<strata::Error>([&] { s.remove(u); });
    EXPECT_STREQ(e.what(), "strata: cannot remove <User john>: it is not in this session");
    s.commit();
    EXPECT_EQ(count_rows("user"), 1);
}

TEST_P(OrmErrors, AddingAnObjectOfAnotherSession) {
    strata::Ptr<User> u;
    {
        auto s1 = session();
        u = s1.get<User>(1);
    }
    auto s2 = session();
    auto e = expect_throw<strata::Error>([&] { s2.add(u); });
    EXPECT_NE(std::string(e.what()).find("strata: <User john> is detached"), std::string::npos) << e.what();
    s2.commit();
    EXPECT_EQ(count_rows("user"), 1);
}

TEST_P(OrmErrors, EmptyHandleAndIndexOutOfRange) {
    auto s = session();
    strata::Ptr<User> nobody;
    auto e1 = expect_throw<strata::Error>([&] { (void)nobody->id; });
    EXPECT_NE(std::string(e1.what()).find("strata: dereferencing an empty strata::Ptr<"), std::string::npos);
    auto u = s.get<User>(1);
    auto e2 = expect_throw<strata::Error>([&] { (void)u->posts[3]; });
    EXPECT_STREQ(e2.what(), "strata: index 3 out of range of a collection of 1");
}

TEST_P(OrmErrors, EagerOptionOfAnotherModel) {
    auto s = session();
    auto e = expect_throw<strata::ConfigError>([&] { s.query<User>().options(strata::joined(&Post::author)).all(); });
    EXPECT_STREQ(e.what(), "strata: joined() names a relationship of Post, not of User");
    auto e2 = expect_throw<strata::ConfigError>([&] { s.query<User>().options(strata::selectin(&Post::author)).all(); });
    EXPECT_STREQ(e2.what(), "strata: an eager-load option names a relationship of Post, not of User");
}

TEST_P(OrmErrors, QueryOnTheCollectionOfANewObject) {
    User loose;
    auto e = expect_throw<strata::Error>([&] { loose.posts.query(); });
    EXPECT_STREQ(e.what(), "strata: query() on a collection of an object that is not in a session");
}

TEST_P(OrmErrors, FailedFlushWritesNothingOfThatFlush) {
    auto s = session();
    s.add(User{.nickname = "amy", .email = "amy@x"});
    s.add(Post{.body = "x"});
    s.add(User{.nickname = "bob", .email = "john@email.com"});  // collides with john's email
    auto e = expect_throw<strata::IntegrityError>([&] { s.flush(); });
    EXPECT_NE(e.statement().find("INSERT INTO \"user\""), std::string::npos) << e.statement();
    s.set_autoflush(false);  // bob is still pending: a query would flush him again
    EXPECT_EQ(s.query<User>().filter_by(&User::nickname, "amy").count(), 0) << "amy's INSERT was undone";
    s.rollback();
    EXPECT_EQ(count_rows("user"), 1);
    EXPECT_EQ(count_rows("post"), 1);
}

// The first flush opened the transaction; the second runs inside it, in a
// savepoint, and its failure leaves the first one's rows in place.
TEST_P(OrmErrors, AFailedFlushKeepsTheTransactionsEarlierFlushes) {
    auto s = session();
    s.add(User{.nickname = "amy", .email = "amy@x"});
    s.flush();
    auto bob = s.add(User{.nickname = "bob", .email = "john@email.com"});  // collides with john's email
    expect_throw<strata::IntegrityError>([&] { s.flush(); });
    s.set_autoflush(false);  // bob is still pending
    EXPECT_EQ(s.query<User>().filter_by(&User::nickname, "amy").count(), 1) << "the first flush's INSERT stays";
    EXPECT_EQ(s.query<User>().filter_by(&User::nickname, "bob").count(), 0);
    bob->email = "bob@x";
    s.commit();
    EXPECT_EQ(count_rows("user"), 3);
}

// A failed flush that opened the transaction rolled it back: the next flush
// opens a new one and commits.
TEST_P(OrmErrors, AFlushAfterAFailedFirstFlushCommits) {
    auto s = session();
    auto bob = s.add(User{.nickname = "bob", .email = "john@email.com"});
    expect_throw<strata::IntegrityError>([&] { s.flush(); });
    bob->email = "bob@x";
    s.flush();
    s.commit();
    EXPECT_EQ(count_rows("user"), 2);
}

STRATA_INSTANTIATE_BACKENDS(OrmErrors);

}  // namespace
}  // namespace orm_test
