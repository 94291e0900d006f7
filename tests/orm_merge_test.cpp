// Session::merge: the state of a detached object copied onto the session's
// object for its key, and the messages that point to it.
#include "orm_models.hpp"

namespace orm_test {
namespace {

using strata::testing::expect_throw;

class OrmMerge : public SeededOrmTest {
protected:
    void seed(strata::Session& s) override {
        auto u = s.add(User{.nickname = "john", .email = "john@email.com"});
        u->posts.push_back(Post{.body = "hello"});
        s.add(User{.nickname = "susan", .email = "susan@email.com"});
    }
    std::string text_in_db(const std::string& sql) {
        auto conn = db->connect();
        auto st = conn->prepare(sql);
        return st->step() ? (st->is_null(0) ? "NULL" : std::string(st->get_text(0))) : "<none>";
    }
    // A user loaded in a session that is gone.
    strata::Ptr<User> detached_user(std::int64_t id) {
        auto s = session();
        return s.get<User>(id);
    }
};

TEST_P(OrmMerge, ADetachedChangeIsSavedThroughMerge) {
    auto u = detached_user(1);
    u->email = "j@new.org";
    auto s = session();
    auto e = expect_throw<strata::Error>([&] { s.add(u); });
    EXPECT_STREQ(e.what(),
                 "strata: <User john> is detached: the session it was in is gone (or expunged it); "
                 "session.merge(object) copies its state onto this session's object for its key and returns that "
                 "object");
    auto merged = s.merge(u);
    EXPECT_NE(merged, u) << "the session's own object, not the detached one";
    EXPECT_EQ(merged, s.get<User>(1));
    EXPECT_EQ(merged->email, "j@new.org");
    s.commit();
    EXPECT_EQ(text_in_db("SELECT email FROM \"user\" WHERE id = 1"), "j@new.org");
}

TEST_P(OrmMerge, OntoAnObjectTheSessionHolds) {
    auto u = detached_user(1);
    u->nickname = "johnny";
    auto s = session();
    auto mine = s.get<User>(1);
    mine->about_me = "kept? no: merge copies every column";
    auto merged = s.merge(u);
    EXPECT_EQ(merged, mine);
    EXPECT_EQ(mine->nickname, "johnny");
    EXPECT_EQ(mine->about_me, std::nullopt);
    s.commit();
    EXPECT_EQ(text_in_db("SELECT nickname FROM \"user\" WHERE id = 1"), "johnny");
}

TEST_P(OrmMerge, AnObjectWhoseRowIsGoneIsInsertedAgain) {
    auto p = [&] {
        auto s = session();
        return s.get<Post>(1);
    }();
    db->connect()->execute("DELETE FROM post");
    auto s = session();
    auto merged = s.merge(p);
    EXPECT_EQ(merged->id, 1);
    s.commit();
    EXPECT_EQ(text_in_db("SELECT body FROM post WHERE id = 1"), "hello");
}

TEST_P(OrmMerge, ANewObjectWhoseSessionEndedBeforeItsFlush) {
    strata::Ptr<User> amy;
    {
        auto s = session();
        amy = s.add(User{.nickname = "amy", .email = "amy@x"});
    }  // rolled back: amy was never written
    auto s = session();
    auto merged = s.merge(amy);
    s.commit();
    EXPECT_GT(merged->id, 0);
    EXPECT_EQ(amy->id, 0) << "the argument stays as it was";
    EXPECT_EQ(count_rows("user"), 3);
    EXPECT_EQ(text_in_db("SELECT email FROM \"user\" WHERE nickname = 'amy'"), "amy@x");
}

TEST_P(OrmMerge, AReferenceAssignedBeforeTheSessionEnded) {
    strata::Ptr<Post> p;
    {
        auto s = session();
        p = s.get<Post>(1);
        p->author = s.get<User>(2);  // never flushed
    }
    auto s = session();
    s.merge(p);
    s.commit();
    EXPECT_EQ(text_in_db("SELECT user_id FROM post WHERE id = 1"), "2");
}

TEST_P(OrmMerge, AnObjectOfAnotherOpenSession) {
    auto s1 = session();
    auto u = s1.get<User>(1);
    auto s2 = session();
    auto e = expect_throw<strata::Error>([&] { s2.add(u); });
    EXPECT_STREQ(e.what(),
                 "strata: <User john> belongs to another session, still open; expunge it there first; "
                 "session.merge(object) copies its state onto this session's object for its key and returns that "
                 "object");
    auto e2 = expect_throw<strata::Error>([&] { s2.remove(u); });
    EXPECT_STREQ(e2.what(), e.what());
    u->email = "from s1";
    s2.merge(u);
    s2.commit();
    EXPECT_EQ(text_in_db("SELECT email FROM \"user\" WHERE id = 1"), "from s1");
}

TEST_P(OrmMerge, AnObjectOfThisSessionIsItself) {
    auto s = session();
    auto u = s.get<User>(1);
    EXPECT_EQ(s.merge(u), u);
}

TEST_P(OrmMerge, AnObjectThisSessionDeleted) {
    auto u = detached_user(2);
    auto s = session();
    s.remove(s.get<User>(2));
    auto e = expect_throw<strata::Error>([&] { s.merge(u); });
    EXPECT_STREQ(e.what(), "strata: cannot merge <User susan>: this session deleted its row");
}

STRATA_INSTANTIATE_BACKENDS(OrmMerge);

}  // namespace
}  // namespace orm_test
