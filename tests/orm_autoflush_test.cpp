// Autoflush: a query or lazy load sees every change the program made in its
// session, whichever way it reached the object. An autoflush compares only
// the records a Ptr was made for or whose references strata changed
// (RecordBase::touched); these tests make changes through each of those ways,
// including references kept across earlier autoflushes, and objects strata
// loaded itself and changed through a relationship. On every backend.
#include <algorithm>

#include "orm_models.hpp"

namespace {

using namespace orm_test;
using strata::col;

class Autoflush : public SeededOrmTest {
protected:
    // u1 with posts p1, p2 (p1 with comments c1, c2), and u2 without posts.
    void seed(strata::Session& s) override {
        auto u = s.add(User{.nickname = "u1", .email = "u1@x"});
        s.add(User{.nickname = "u2", .email = "u2@x"});
        for (const char* body : {"p1", "p2"}) {
            auto p = s.add(Post{.body = body, .timestamp = strata::now()});
            p->author = u;
        }
    }
    static std::int64_t users_named(strata::Session& s, const std::string& nickname) {
        return s.query<User>().where(col(&User::nickname) == nickname).count();
    }
};

TEST_P(Autoflush, SeesAChangeThroughAQueryResult) {
    auto s = session();
    auto users = s.query<User>().order_by(&User::id).all();
    users[1]->nickname = "renamed";
    EXPECT_EQ(users_named(s, "renamed"), 1);
}

// A query's and raw SQL's handles are made without reading their records:
// the rows are marked as they are loaded, also when some of the model's
// objects are already in the session (each row then goes through the
// identity map, not the path for rows that are all new).
TEST_P(Autoflush, SeesAChangeThroughAQueryResultWhenTheModelAlreadyHasObjects) {
    auto s = session();
    auto first = s.get<User>(1);
    auto users = s.query<User>().order_by(&User::id).all();
    ASSERT_EQ(users.size(), 2u);
    EXPECT_EQ(users[0], first);
    users[1]->nickname = "renamed";
    EXPECT_EQ(users_named(s, "renamed"), 1);
}

TEST_P(Autoflush, SeesAChangeThroughRawSqlsObjects) {
    auto s = session();
    auto users = s.raw<User>("SELECT * FROM \"user\" ORDER BY id");
    ASSERT_EQ(users.size(), 2u);
    users[1]->nickname = "renamed";
    EXPECT_EQ(users_named(s, "renamed"), 1);
}

// The object was reached (and compared unchanged) before an earlier
// autoflush, then written through a reference kept from then.
TEST_P(Autoflush, SeesAChangeThroughAReferenceKeptAcrossAnEarlierAutoflush) {
    auto s = session();
    User& kept = *s.get<User>(2);
    User* raw = s.get<User>(1).get();
    EXPECT_EQ(users_named(s, "renamed"), 0);  // an autoflush with nothing to write
    kept.nickname = "renamed";
    EXPECT_EQ(users_named(s, "renamed"), 1);
    raw->nickname = "renamed too";
    EXPECT_EQ(users_named(s, "renamed too"), 1);
}

// The posts are loaded by the lazy load itself; the loop's handles are the
// only way the program reaches them.
TEST_P(Autoflush, SeesAChangeThroughACollectionsItems) {
    auto s = session();
    auto u = s.get<User>(1);
    for (auto& p : u->posts) p->body += " (edited)";
    EXPECT_EQ(s.query<Post>().where(col(&Post::body).like("% (edited)")).count(), 2);
    u->posts[0]->body = "first";
    EXPECT_EQ(s.query<Post>().where(col(&Post::body) == "first").count(), 1);
}

TEST_P(Autoflush, SeesAChangeThroughAManyToOneReference) {
    auto s = session();
    auto p = s.query<Post>().order_by(&Post::id).first();
    ASSERT_TRUE(p);
    p->author->email = "new@x";
    EXPECT_EQ(s.query<User>().where(col(&User::email) == "new@x").count(), 1);
}

// Clearing a collection changes the foreign key of objects the program never
// held a handle on: strata touched them.
TEST_P(Autoflush, SeesForeignKeysStrataChangedOnObjectsTheProgramNeverHeld) {
    auto s = session();
    auto u = s.get<User>(1);
    ASSERT_EQ(u->posts.size(), 2u);
    u->posts.clear();
    EXPECT_EQ(s.query<Post>().where(col(&Post::user_id).is_null()).count(), 2);
}

// Removing a parent orphans its children (no delete cascade on user.posts):
// their keys are set to NULL on objects loaded by the removal itself.
TEST_P(Autoflush, SeesOrphanedChildrenOfARemovedParent) {
    auto s = session();
    s.remove(s.get<User>(1));
    EXPECT_EQ(s.query<Post>().where(col(&Post::user_id).is_null()).count(), 2);
    EXPECT_EQ(s.query<User>().count(), 1);
}

// Moving an item between two collections reassigns the item's reference.
TEST_P(Autoflush, SeesAnItemMovedToAnotherCollection) {
    auto s = session();
    auto u1 = s.get<User>(1);
    auto u2 = s.get<User>(2);
    u2->posts.push_back(u1->posts[0]);
    EXPECT_EQ(s.query<Post>().where(col(&Post::user_id) == u2->id).count(), 1);
}

// Objects loaded by lazy loads and never handed out are not changed by
// anything; the session's flush at commit compares every object anyway.
TEST_P(Autoflush, ManyLazyLoadsThenACommitWriteExactlyTheChanges) {
    auto s = session();
    for (auto& u : s.query<User>().order_by(&User::id).all()) (void)u->posts.size();
    auto u = s.get<User>(1);
    u->posts[1]->body = "changed";
    take_log();
    s.commit();
    std::vector<std::string> updates;
    for (auto& sql : take_log())
        if (sql.starts_with("UPDATE")) updates.push_back(sql);
    ASSERT_EQ(updates.size(), 1u);
    EXPECT_NE(updates[0].find("post"), std::string::npos) << updates[0];
    auto check = session();
    EXPECT_EQ(check.query<Post>().where(col(&Post::body) == "changed").count(), 1);
}

// A one-to-many lazy load reads the target's table only, and compares that
// model's touched objects only: here a post whose foreign key was written
// directly, through a reference kept across an earlier lazy load.
TEST_P(Autoflush, ALazyLoadSeesAForeignKeyWrittenDirectly) {
    auto s = session();
    auto u1 = s.get<User>(1);
    auto u2 = s.get<User>(2);
    Post& kept = *u1->posts[0];  // the first lazy load (an autoflush with nothing to write)
    kept.user_id = u2->id;
    ASSERT_EQ(u2->posts.size(), 1u);
    EXPECT_EQ(u2->posts[0]->body, kept.body);
    EXPECT_EQ(s.query<Post>().where(col(&Post::user_id) == u2->id).count(), 1);
}

// A lazy load of posts, or a get of a user by key, leaves a change to
// another table's row for the next statement that reads that table (it
// cannot change what they find); a new object is written before either.
TEST_P(Autoflush, ALazyLoadOrGetLeavesOtherTablesChangesToTheStatementsReadingThem) {
    auto s = session();
    auto u1 = s.get<User>(1);
    auto u2 = s.get<User>(2);
    u1->nickname = "renamed";
    take_log();
    ASSERT_EQ(u1->posts.size(), 2u);
    for (auto& sql : take_log()) {
        EXPECT_FALSE(sql.starts_with("UPDATE")) << sql;
    }
    u1->posts[0]->body = "edited";
    EXPECT_FALSE(s.get<User>(3));  // no such row: a SELECT of user, after the users' changes
    for (auto& sql : take_log()) {
        if (sql.starts_with("UPDATE")) {
            EXPECT_EQ(sql.find("post"), std::string::npos) << sql;
        }
    }
    EXPECT_EQ(users_named(s, "renamed"), 1);
    EXPECT_EQ(s.query<Post>().where(col(&Post::body) == "edited").count(), 1);
    auto added = s.add(Post{.body = "new", .timestamp = strata::now()});
    added->author = u2;
    ASSERT_EQ(u2->posts.size(), 1u);
    EXPECT_EQ(u2->posts[0]->body, "new");
}

// get() marks the object it hands out as touched, in its model
// (Session::get_handle): a change through it is written before a later get
// of that model reads the table, here a get of a key no row has.
TEST_P(Autoflush, AChangeThroughAGetsObjectIsWrittenBeforeTheNextGetReads) {
    auto s = session();
    auto u1 = s.get<User>(1);
    u1->nickname = "renamed";
    take_log();
    EXPECT_FALSE(s.get<User>(99));
    const auto log = take_log();
    const auto update = std::find_if(log.begin(), log.end(), [](const std::string& sql) { return sql.starts_with("UPDATE"); });
    const auto select = std::find_if(log.begin(), log.end(), [](const std::string& sql) { return sql.starts_with("SELECT"); });
    ASSERT_NE(update, log.end()) << "the change was not written before the get";
    ASSERT_NE(select, log.end());
    EXPECT_LT(update - log.begin(), select - log.begin());
    s.rollback();
    EXPECT_EQ(users_named(s, "renamed"), 0);  // it was written in the session's transaction only
}

STRATA_INSTANTIATE_BACKENDS(Autoflush);

}  // namespace
