// The session stays true across commits and other sessions: objects expire
// at commit (and reload on next access), an object whose row is gone raises
// ObjectDeletedError and is never written, rolled-back values are never
// written, and delete cascades act on the rows the database holds. Each case
// lost or corrupted data before; on every backend.
#include "orm_models.hpp"

namespace {

using namespace orm_test;

class SessionTruth : public OrmTest {
protected:
    // A user with two posts, the first with two comments.
    void add_user_with_posts() {
        auto s = session();
        auto u = s.add(User{.nickname = "u1", .email = "u1@x"});
        s.add(User{.nickname = "u2", .email = "u2@x"});
        auto p1 = s.add(Post{.body = "p1", .timestamp = strata::now()});
        auto p2 = s.add(Post{.body = "p2", .timestamp = strata::now()});
        p1->author = u;
        p2->author = u;
        auto c1 = s.add(Comment{.text = "c1"});
        auto c2 = s.add(Comment{.text = "c2"});
        c1->post = p1;
        c2->post = p1;
        s.commit();
    }
    std::string text_of(const std::string& sql) {
        auto conn = db->connect();
        auto st = conn->prepare(sql);
        return st->step() ? (st->is_null(0) ? "NULL" : std::string(st->get_text(0))) : "<no row>";
    }
    void raw(const std::string& sql) { db->connect()->execute(sql); }
};

// Finding 1: A commits; B changes the e-mail; A sets the value it loaded.
TEST_P(SessionTruth, AChangeAfterCommitIsComparedWithTheDatabaseNotTheStaleValue) {
    add_user_with_posts();
    auto a = session();
    auto u = a.get<User>(1);
    const std::string loaded = u->email;
    a.commit();
    {
        auto b = session();
        b.get<User>(1)->email = "b@x";
        b.commit();
    }
    u->email = loaded;  // "u1@x" again: a change against what the database holds
    a.commit();
    EXPECT_EQ(text_of("SELECT email FROM \"user\" WHERE id = 1"), "u1@x");
}

// With expire_on_commit off, the documented risk: the stale value is trusted.
TEST_P(SessionTruth, WithoutExpireOnCommitTheLoadedValueIsKept) {
    add_user_with_posts();
    auto a = session({.expire_on_commit = false});
    auto u = a.get<User>(1);
    a.commit();
    take_log();
    EXPECT_EQ(u->email, "u1@x");
    EXPECT_TRUE(take_log().empty()) << "nothing reloads";
}

TEST_P(SessionTruth, AfterCommitEachObjectReloadsOnceOnNextAccess) {
    add_user_with_posts();
    auto s = session();
    auto u = s.get<User>(1);
    auto p = s.get<Post>(1);
    s.commit();
    raw("UPDATE post SET body = 'edited' WHERE id = 1");
    take_log();
    EXPECT_EQ(p->body, "edited");
    EXPECT_EQ(p->body, "edited");
    EXPECT_EQ(u->nickname, "u1");
    EXPECT_EQ(take_log().size(), 2u) << "one SELECT per object";
}

// A reference taken before commit and written after it: the write is kept
// over the reload and reaches the database.
TEST_P(SessionTruth, AWriteThroughAReferenceTakenBeforeCommitIsNotLost) {
    add_user_with_posts();
    auto s = session();
    auto u = s.get<User>(1);
    User& held = *u;
    s.commit();
    held.about_me = "written while expired";
    s.commit();
    EXPECT_EQ(text_of("SELECT about_me FROM \"user\" WHERE id = 1"), "written while expired");
    EXPECT_EQ(u->about_me, "written while expired");
}

// Finding 2: a child moved to another parent is not deleted by the old
// parent's cascade (the loaded collection still lists it).
TEST_P(SessionTruth, CascadeDeleteSparesAChildMovedToAnotherParent) {
    add_user_with_posts();
    auto s = session({.expire_on_commit = false});
    auto p1 = s.get<Post>(1);
    auto c = p1->comments[0];
    c->post_id = 2;
    s.commit();
    s.remove(p1);
    s.commit();
    EXPECT_EQ(count_rows("comment"), 1);
    EXPECT_EQ(text_of("SELECT post_id FROM comment"), "2");
}

TEST_P(SessionTruth, CascadeDeleteSparesAChildAnotherSessionMoved) {
    add_user_with_posts();
    auto s = session({.expire_on_commit = false});
    auto p1 = s.get<Post>(1);
    ASSERT_EQ(p1->comments.size(), 2u);  // loaded: both
    raw("UPDATE comment SET post_id = 2 WHERE id = 1");
    s.remove(p1);
    s.commit();
    EXPECT_EQ(count_rows("comment"), 1);
    EXPECT_EQ(text_of("SELECT text FROM comment"), "c1");
}

TEST_P(SessionTruth, CascadeDeleteRemovesAChildAnotherSessionAdded) {
    add_user_with_posts();
    auto s = session({.expire_on_commit = false});
    auto p1 = s.get<Post>(1);
    ASSERT_EQ(p1->comments.size(), 2u);
    raw("INSERT INTO comment (id, text, post_id) VALUES (10, 'c3', 1)");
    s.remove(p1);
    s.commit();  // not an IntegrityError: the new child goes with its parent
    EXPECT_EQ(count_rows("comment"), 0);
    EXPECT_EQ(count_rows("post"), 1);
}

TEST_P(SessionTruth, OrphanedChildrenAreTheOnesTheDatabaseHolds) {
    add_user_with_posts();
    auto s = session({.expire_on_commit = false});
    auto u1 = s.get<User>(1);
    ASSERT_EQ(u1->posts.size(), 2u);
    raw("UPDATE post SET user_id = 2 WHERE id = 2");
    s.remove(u1);
    s.commit();
    EXPECT_EQ(text_of("SELECT user_id FROM post WHERE id = 1"), "NULL");
    EXPECT_EQ(text_of("SELECT user_id FROM post WHERE id = 2"), "2") << "post 2 now belongs to user 2";
}

// Finding 3: a rolled-back value is never written, not even into a row that
// later takes the same key.
TEST_P(SessionTruth, ARolledBackValueIsNeverResurrectedIntoAReusedKey) {
    add_user_with_posts();
    raw("DELETE FROM comment");
    raw("DELETE FROM post");
    auto a = session();
    auto u = a.get<User>(2);
    u->nickname = "ROLLED_BACK";
    a.rollback();
    raw("DELETE FROM \"user\" WHERE id = 2");
    EXPECT_THROW((void)u->nickname, strata::ObjectDeletedError);
    EXPECT_THROW((void)u->nickname, strata::ObjectDeletedError);
    raw("INSERT INTO \"user\" (id, nickname, email) VALUES (2, 'newcomer', 'n@x')");
    a.commit();
    EXPECT_EQ(text_of("SELECT nickname FROM \"user\" WHERE id = 2"), "newcomer");
    auto again = a.get<User>(2);
    EXPECT_NE(again.get(), u.get()) << "the new row is a new object";
    EXPECT_EQ(again->nickname, "newcomer");
}

TEST_P(SessionTruth, ARolledBackValueIsNotWrittenByTheNextCommit) {
    add_user_with_posts();
    auto a = session();
    auto u = a.get<User>(1);
    User& held = *u;
    held.nickname = "ROLLED_BACK";
    a.rollback();
    held.email = "after@x";  // written through the old reference while expired by rollback
    a.commit();
    EXPECT_EQ(text_of("SELECT nickname FROM \"user\" WHERE id = 1"), "u1");
    EXPECT_EQ(u->nickname, "u1") << "the reload overwrites the rolled-back value";
}

TEST_P(SessionTruth, AnObjectDeletedElsewhereRaisesOnEveryAccessAndIsNeverWritten) {
    add_user_with_posts();
    auto s = session();
    auto p = s.get<Post>(2);
    Post& held = *p;
    s.commit();
    raw("DELETE FROM post WHERE id = 2");
    held.body = "lost cause";
    EXPECT_THROW(s.commit(), strata::ObjectDeletedError) << "the flush reloads it to compare, and finds no row";
    EXPECT_THROW((void)p->body, strata::ObjectDeletedError);
    EXPECT_THROW(s.add(p), strata::ObjectDeletedError) << "it cannot be added back";
    EXPECT_NO_THROW(s.commit());
    EXPECT_EQ(count_rows("post"), 1);
}

STRATA_INSTANTIATE_BACKENDS(SessionTruth);

}  // namespace
