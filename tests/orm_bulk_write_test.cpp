// Query<T>::update / remove: one statement each, the row count, and the
// session's objects kept true to what the statement wrote.
#include "orm_models.hpp"

namespace orm_test {
namespace {

using strata::col;
using strata::testing::expect_throw;

class OrmBulkWrite : public SeededOrmTest {
protected:
    void seed(strata::Session& s) override {
        auto john = s.add(User{.nickname = "john", .email = "john@email.com"});
        auto susan = s.add(User{.nickname = "susan", .email = "susan@email.com", .about_me = "Hi"});
        for (int i = 0; i < 5; ++i) {
            auto p = s.add(Post{.body = "post " + std::to_string(i)});
            p->author = i < 3 ? john : susan;
        }
    }
    std::string body_in_db(std::int64_t id) {
        auto conn = db->connect();
        auto st = conn->prepare("SELECT body FROM post WHERE id = " + conn->dialect().placeholder(1));
        st->bind(1, id);
        if (!st->step()) return "(gone)";
        return std::string(st->get_text(0));
    }
};

TEST_P(OrmBulkWrite, UpdateIsOneStatementAndReturnsTheRowCount) {
    auto s = session();
    auto n = s.query<Post>().where(col(&Post::user_id) == std::int64_t{1}).update({{&Post::body, "hidden"}});
    EXPECT_EQ(n, 3);
    auto log = take_log();
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0].rfind("UPDATE \"post\" SET \"body\" = ", 0), 0u) << log[0];
    s.commit();
    EXPECT_EQ(body_in_db(1), "hidden");
    EXPECT_EQ(body_in_db(3), "hidden");
    EXPECT_EQ(body_in_db(4), "post 3");
    EXPECT_EQ(s.query<Post>().update({{&Post::body, "all"}}), 5) << "no where(): every row";
}

// Objects already loaded take the new values, and those values are not
// changes: the next flush writes nothing for them.
TEST_P(OrmBulkWrite, LoadedObjectsTakeTheNewValues) {
    auto s = session(strata::SessionOptions{.expire_on_commit = false});
    auto posts = s.query<Post>().order_by(&Post::id).all();
    auto susan = s.get<User>(2);
    ASSERT_EQ(posts.size(), 5u);
    take_log();
    EXPECT_EQ(s.query<Post>().where(col(&Post::id) > std::int64_t{3}).update({{&Post::body, "late"}}), 2);
    EXPECT_EQ(s.query<User>().where(col(&User::nickname) == "susan").update({{&User::about_me, std::nullopt}}), 1);
    EXPECT_EQ(take_log().size(), 2u);
    EXPECT_EQ(posts[3]->body, "late");
    EXPECT_EQ(posts[4]->body, "late");
    EXPECT_EQ(posts[2]->body, "post 2") << "not reached by the WHERE";
    EXPECT_EQ(susan->about_me, std::nullopt);
    s.flush();
    EXPECT_TRUE(take_log().empty()) << "the new values are what the database holds: nothing to write";
    posts[4]->body = "post 4";  // back to the old value: a change now
    s.commit();
    EXPECT_EQ(body_in_db(5), "post 4");
}

// Pending changes are flushed before the statement (autoflush off or on):
// the WHERE sees them, and the columns the statement sets win over them.
TEST_P(OrmBulkWrite, PendingChangesAreFlushedFirst) {
    auto s = session(strata::SessionOptions{.autoflush = false});
    auto p1 = s.get<Post>(1);
    auto p5 = s.get<Post>(5);
    p1->body = "draft";          // reached by the WHERE only once flushed
    p5->body = "mine";           // not reached: kept
    auto added = s.add(Post{.body = "draft"});
    take_log();
    EXPECT_EQ(s.query<Post>().where(col(&Post::body) == "draft").update({{&Post::body, "published"}}), 2);
    EXPECT_EQ(p1->body, "published");
    EXPECT_EQ(added->body, "published");
    EXPECT_EQ(p5->body, "mine");
    s.commit();
    EXPECT_EQ(body_in_db(1), "published");
    EXPECT_EQ(body_in_db(5), "mine");
    EXPECT_EQ(body_in_db(added->id), "published");
}

// Expired objects (after commit) reload on next access, new values included.
TEST_P(OrmBulkWrite, ExpiredObjectsReloadTheNewValues) {
    auto s = session();
    auto p1 = s.get<Post>(1);
    s.commit();
    s.query<Post>().update({{&Post::body, "x"}});
    EXPECT_EQ(p1->body, "x");
}

// Changing a foreign key in bulk: the loaded relationships it moves reload.
TEST_P(OrmBulkWrite, UpdatingAForeignKeyReloadsTheRelationships) {
    auto s = session();
    auto john = s.get<User>(1);
    auto susan = s.get<User>(2);
    auto p1 = s.get<Post>(1);
    EXPECT_EQ(john->posts.size(), 3u);
    EXPECT_EQ(susan->posts.size(), 2u);
    EXPECT_EQ(p1->author, john);
    EXPECT_EQ(s.query<Post>().where(col(&Post::user_id) == std::int64_t{1}).update({{&Post::user_id, std::int64_t{2}}}), 3);
    EXPECT_EQ(john->posts.size(), 0u);
    EXPECT_EQ(susan->posts.size(), 5u);
    EXPECT_EQ(p1->author, susan);
}

// A join or a limit: the rows the query selects, by key.
TEST_P(OrmBulkWrite, UpdateThroughAJoinOrALimit) {
    auto s = session();
    auto n = s.query<Post>().join(&Post::author).where(col(&User::nickname) == "susan").update({{&Post::body, "s"}});
    EXPECT_EQ(n, 2);
    EXPECT_EQ(s.query<Post>().order_by(strata::desc(&Post::id)).limit(1).update({{&Post::body, "last"}}), 1);
    s.commit();
    EXPECT_EQ(body_in_db(3), "post 2");
    EXPECT_EQ(body_in_db(4), "s");
    EXPECT_EQ(body_in_db(5), "last");
}

TEST_P(OrmBulkWrite, UpdateRefusesThePrimaryKeyAndChangesNothing) {
    auto s = session();
    auto e = expect_throw<strata::ConfigError>([&] { s.query<Post>().update({{&Post::id, std::int64_t{9}}}); });
    EXPECT_NE(std::string(e.what()).find("cannot change the primary key post.id"), std::string::npos) << e.what();
    EXPECT_TRUE(take_log().empty());
}

TEST_P(OrmBulkWrite, UpdateRolledBackRestoresTheObjects) {
    auto s = session();
    auto p1 = s.get<Post>(1);
    s.query<Post>().update({{&Post::body, "gone soon"}});
    EXPECT_EQ(p1->body, "gone soon");
    s.rollback();
    EXPECT_EQ(p1->body, "post 0");
    EXPECT_EQ(body_in_db(1), "post 0");
}

TEST_P(OrmBulkWrite, RemoveIsOneStatementAndDeletesTheSessionsObjects) {
    auto s = session();
    auto john = s.get<User>(1);
    auto p1 = s.get<Post>(1);
    auto p5 = s.get<Post>(5);
    EXPECT_EQ(john->posts.size(), 3u);
    take_log();
    EXPECT_EQ(s.query<Post>().where(col(&Post::id) < std::int64_t{3}).remove(), 2);
    auto log = take_log();
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0].rfind("DELETE FROM \"post\"", 0), 0u) << log[0];
    EXPECT_FALSE(s.get<Post>(1)) << "no longer in the identity map, nor in the database";
    EXPECT_EQ(john->posts.size(), 1u) << "the collection reloaded";
    EXPECT_TRUE(p5);
    EXPECT_EQ(p5->body, "post 4");
    auto e = expect_throw<strata::Error>([&] { s.add(p1); });
    EXPECT_NE(std::string(e.what()).find("deleted in the open transaction"), std::string::npos) << e.what();
    s.commit();
    EXPECT_EQ(count_rows("post"), 3);
}

TEST_P(OrmBulkWrite, RemoveRolledBackBringsTheObjectsBack) {
    auto s = session();
    auto p1 = s.get<Post>(1);
    EXPECT_EQ(s.query<Post>().remove(), 5);
    EXPECT_FALSE(s.get<Post>(1));
    s.rollback();
    EXPECT_EQ(s.get<Post>(1), p1);
    EXPECT_EQ(p1->body, "post 0");
    EXPECT_EQ(count_rows("post"), 5);
}

// A pending removal is flushed first; an object changed but then deleted in
// bulk is deleted (its change is written first, then the row goes).
TEST_P(OrmBulkWrite, RemoveFlushesPendingChangesFirst) {
    auto s = session(strata::SessionOptions{.autoflush = false});
    auto p1 = s.get<Post>(1);
    p1->body = "doomed";
    s.remove(s.get<Post>(2));
    s.add(Post{.body = "doomed"});
    EXPECT_EQ(s.query<Post>().where(col(&Post::body) == "doomed").remove(), 2);
    s.commit();
    EXPECT_EQ(count_rows("post"), 3) << "5, less the one removed, plus the one added, less the two deleted in bulk";
    EXPECT_EQ(body_in_db(1), "(gone)");
    EXPECT_EQ(body_in_db(2), "(gone)");
}

STRATA_INSTANTIATE_BACKENDS(OrmBulkWrite);

// A foreign key with ON DELETE CASCADE: the children the database deletes
// along are found gone when next used.
class OrmBulkCascade : public strata::testing::BackendTest {};

struct Owner {
    std::int64_t id = 0;
    std::string name{};
};
struct Pet {
    std::int64_t id = 0;
    std::string name{};
    std::int64_t owner_id = 0;
};

TEST_P(OrmBulkCascade, ChildrenDeletedByTheDatabaseAreGoneFromTheSession) {
    strata::Registry r;
    r.model<Owner>("owner").column(&Owner::id, "id", strata::primary_key()).column(&Owner::name, "name");
    r.model<Pet>("pet")
        .column(&Pet::id, "id", strata::primary_key())
        .column(&Pet::name, "name")
        .column(&Pet::owner_id, "owner_id", strata::foreign_key("owner.id", "CASCADE"));
    auto db = open_db();
    r.metadata().create_all(db);
    strata::Session s(db, r, strata::SessionOptions{.expire_on_commit = false});
    auto ann = s.add(Owner{.name = "ann"});
    s.add(Owner{.name = "bob"});
    s.flush();
    auto rex = s.add(Pet{.name = "rex", .owner_id = ann->id});
    auto tom = s.add(Pet{.name = "tom", .owner_id = ann->id + 1});
    s.commit();
    EXPECT_EQ(s.query<Owner>().where(col(&Owner::name) == "ann").remove(), 1);
    expect_throw<strata::ObjectDeletedError>([&] { (void)rex->name; });
    EXPECT_EQ(tom->name, "tom");
    EXPECT_EQ(s.query<Pet>().count(), 1);
}

STRATA_INSTANTIATE_BACKENDS(OrmBulkCascade);

}  // namespace
}  // namespace orm_test
