// Relationships: backrefs both ways, lazy / selectin / joined loading with
// statement counts, dynamic queries, cascades, many-to-many.
#include <algorithm>
#include <cstdint>
#include <set>

#include "orm_models.hpp"

namespace orm_test {
namespace {

using strata::col;
using strata::testing::expect_throw;

class OrmRelationship : public OrmTest {
protected:
    // n users, each with 2 posts.
    void add_users_with_posts(int n) {
        auto s = session();
        for (int i = 0; i < n; ++i) {
            auto u = s.add(User{.nickname = "u" + std::to_string(i), .email = "u" + std::to_string(i) + "@x"});
            u->posts.push_back(Post{.body = "a" + std::to_string(i), .timestamp = strata::now()});
            u->posts.push_back(Post{.body = "b" + std::to_string(i), .timestamp = strata::now()});
        }
        s.commit();
    }
    // 3 users with 2 posts each, user 1 following users 3 then 2: rows
    // returned out of key order (on PostgreSQL an updated row moves to the
    // end of its table; the links were written in reverse key order, which
    // SQLite returns as written).
    void add_rows_out_of_key_order() {
        add_users_with_posts(3);
        {
            auto s = session();
            auto users = s.query<User>().order_by(&User::id).all();
            users[0]->followed.push_back(users[2]);
            users[0]->followed.push_back(users[1]);
            s.commit();
        }
        db->connect()->execute("UPDATE post SET body = body || '.' WHERE id IN (1, 3, 5)");
    }
    template <class Items>
    static std::vector<std::int64_t> ids(const Items& items) {
        std::vector<std::int64_t> out;
        for (auto& item : items) out.push_back(item->id);
        return out;
    }
    std::optional<std::int64_t> user_id_in_db(std::int64_t post_id) {
        auto conn = db->connect();
        auto st = conn->prepare("SELECT user_id FROM post WHERE id = " + std::to_string(post_id));
        if (!st->step() || st->is_null(0)) return std::nullopt;
        return st->get_int64(0);
    }
};

TEST_P(OrmRelationship, SettingTheAuthorPutsThePostInTheUsersPosts) {
    auto s = session();
    auto u = s.add(User{.nickname = "john", .email = "john@email.com"});
    s.commit();
    auto p = s.add(Post{.body = "my first post!", .timestamp = strata::now()});
    p->author = u;
    EXPECT_FALSE(p->user_id) << "the key is written at flush";
    EXPECT_TRUE(u->posts.contains(p)) << "u expired at commit: its posts load, after an autoflush";
    EXPECT_EQ(u->posts.size(), 1u);
    EXPECT_EQ(p->user_id, u->id);
    s.commit();
    EXPECT_EQ(p->user_id, u->id);
    EXPECT_EQ(user_id_in_db(p->id), u->id);
    EXPECT_EQ(strata::repr(u->posts), "[<Post my first post!>]");
}

TEST_P(OrmRelationship, AppendingToPostsSetsTheAuthor) {
    auto s = session();
    auto john = s.add(User{.nickname = "john", .email = "j@x"});
    auto susan = s.add(User{.nickname = "susan", .email = "s@x"});
    auto p = s.add(Post{.body = "hello"});
    john->posts.push_back(p);
    EXPECT_TRUE(p->author == john);
    susan->posts.push_back(p);  // moves it
    EXPECT_TRUE(p->author == susan);
    EXPECT_FALSE(john->posts.contains(p));
    s.commit();
    EXPECT_EQ(user_id_in_db(p->id), susan->id);
}

TEST_P(OrmRelationship, TakingAPostOutOfPostsNullsItsKey) {
    add_users_with_posts(1);
    auto s = session();
    auto u = s.get<User>(1);
    auto p = u->posts[0];
    EXPECT_TRUE(p->author == u);
    EXPECT_TRUE(u->posts.remove(p));
    EXPECT_FALSE(p->author);
    s.commit();
    EXPECT_EQ(user_id_in_db(p->id), std::nullopt);
    EXPECT_EQ(count_rows("post"), 2) << "no delete-orphan on User.posts: the post stays";
}

TEST_P(OrmRelationship, BackrefAppendWhileUnloadedShowsOnLoad) {
    add_users_with_posts(1);
    auto s = session();
    auto u = s.get<User>(1);
    auto p = s.add(Post{.body = "new"});
    p->author = u;  // u->posts is not loaded yet
    EXPECT_EQ(u->posts.size(), 3u);
    EXPECT_TRUE(u->posts.contains(p));
}

TEST_P(OrmRelationship, OneFlushInsertsANewAuthorBeforeItsPost) {
    auto s = session();
    auto p = s.add(Post{.body = "first"});  // added before its author
    auto u = s.add(User{.nickname = "new", .email = "new@x"});
    p->author = u;
    s.commit();
    EXPECT_EQ(p->user_id, u->id);
    EXPECT_EQ(user_id_in_db(p->id), u->id);
}

TEST_P(OrmRelationship, LazyLoadingIsOneStatementPerCollection) {
    add_users_with_posts(5);
    auto s = session();
    auto users = s.query<User>().all();
    take_log();
    std::size_t posts = 0;
    for (auto& u : users) posts += u->posts.size();
    EXPECT_EQ(posts, 10u);
    EXPECT_EQ(take_log().size(), 5u) << "N+1: one SELECT per user";
    for (auto& u : users) posts += u->posts.size();
    EXPECT_EQ(take_log().size(), 0u) << "loaded once";
}

// A lazy load guesses that the next key is 8 more (IntKeyMap::prefetch_next_run):
// keys at the ends of the range (the guess wraps), descending ones and ones
// 8 apart load as any others, in key order, one object per key.
TEST_P(OrmRelationship, LazyLoadsOfKeysAtTheEndsOfTheRangeOrStridedGiveEveryRowInKeyOrder) {
    // The ends of the key column's range: SQLite's INTEGER holds 64 bits
    // (where the identity map's look-ahead, key + 8, wraps), PostgreSQL's 32.
    const bool narrow = db->dialect().name() == "postgresql";
    const std::int64_t top = narrow ? INT32_MAX : INT64_MAX, bottom = narrow ? INT32_MIN : INT64_MIN + 1;
    std::vector<std::int64_t> keys;
    for (std::int64_t i = 0; i < 12; ++i) keys.push_back(top - i);
    for (std::int64_t i = 0; i < 12; ++i) keys.push_back(bottom + i);
    for (std::int64_t i = 0; i < 12; ++i) keys.push_back(1000 - 8 * i);
    {
        auto s = session();
        auto u = s.add(User{.nickname = "ends", .email = "ends@example.com"});
        for (std::int64_t k : keys) {
            auto p = s.add(Post{.id = k, .body = "post " + std::to_string(k), .timestamp = strata::now()});
            p->author = u;
        }
        s.commit();
    }
    std::sort(keys.begin(), keys.end());
    for (int pass = 0; pass < 2; ++pass) {
        auto s = session();
        if (pass == 1) s.get<Post>(keys[5]);  // one of them known already: the rest are new
        auto u = s.query<User>().one();
        ASSERT_EQ(u->posts.size(), keys.size());
        for (std::size_t i = 0; i < keys.size(); ++i) {
            ASSERT_EQ(u->posts[i]->id, keys[i]);
            ASSERT_EQ(u->posts[i]->body, "post " + std::to_string(keys[i]));
            ASSERT_EQ(s.get<Post>(keys[i]).get(), u->posts[i].get()) << "one object per key";
        }
    }
}

// A loaded collection's items sit in its session's Store (ItemList::use_room):
// growing past them moves them to the heap; lazy and selectin alike.
TEST_P(OrmRelationship, ALoadedCollectionGrowsPastTheItemsItWasLoadedWith) {
    add_users_with_posts(2);
    auto s = session();
    auto users = s.query<User>().order_by(&User::id).options(strata::selectin(&User::posts)).all();
    auto lazy = s.get<User>(1);  // in the identity map already: loaded by selectin above
    ASSERT_EQ(users[0]->posts.size(), 2u);
    ASSERT_EQ(users[1]->posts.size(), 2u);
    for (int i = 0; i < 5; ++i) {
        users[0]->posts.push_back(Post{.body = "more" + std::to_string(i), .timestamp = strata::now()});
        users[1]->posts.push_back(Post{.body = "more" + std::to_string(i), .timestamp = strata::now()});
    }
    s.commit();
    EXPECT_EQ(count_rows("post"), 14);
    for (auto& u : users) {
        ASSERT_EQ(u->posts.size(), 7u) << "reloaded after the commit, 7 where 2 were";
        EXPECT_EQ(u->posts[0]->body, "a" + std::to_string(u->id - 1));
        EXPECT_EQ(u->posts[1]->body, "b" + std::to_string(u->id - 1));
        for (std::size_t i = 2; i < 7; ++i) EXPECT_EQ(u->posts[i]->body, "more" + std::to_string(i - 2));
        for (auto& p : u->posts) EXPECT_EQ(p->author, u);
    }
    EXPECT_EQ(lazy->posts.size(), 7u);
}

// A collection loaded again (expired at commit) takes the rows as they are
// now, more or fewer than its last load held.
TEST_P(OrmRelationship, AReloadedCollectionHoldsTheRowsThereAreNow) {
    add_users_with_posts(1);
    auto s = session();
    auto u = s.get<User>(1);
    ASSERT_EQ(ids(u->posts), (std::vector<std::int64_t>{1, 2}));
    s.commit();  // expires u: its posts load again on next use
    {
        auto other = session();
        auto same = other.get<User>(1);
        for (int i = 0; i < 3; ++i) same->posts.push_back(Post{.body = "c" + std::to_string(i), .timestamp = strata::now()});
        other.commit();
    }
    EXPECT_EQ(ids(u->posts), (std::vector<std::int64_t>{1, 2, 3, 4, 5}));
    s.commit();
    db->connect()->execute("DELETE FROM post WHERE id <> 4");
    EXPECT_EQ(ids(u->posts), (std::vector<std::int64_t>{4}));
    s.commit();
    db->connect()->execute("DELETE FROM post");
    EXPECT_TRUE(u->posts.empty());
    u->posts.push_back(Post{.body = "after", .timestamp = strata::now()});
    s.commit();
    ASSERT_EQ(u->posts.size(), 1u);
    EXPECT_EQ(u->posts[0]->body, "after");
}

// The Store a loaded collection's items sit in lives while a handle to its
// objects does: the session's end does not take it.
TEST_P(OrmRelationship, LoadedCollectionsStayReadableAfterTheirSessionEnds) {
    add_users_with_posts(3);
    std::vector<strata::Ptr<User>> users;
    {
        auto s = session();
        users = s.query<User>().order_by(&User::id).options(strata::selectin(&User::posts)).all();
        auto lazy = s.get<User>(3);
        s.refresh(lazy);  // unloads its posts
        EXPECT_EQ(lazy->posts.size(), 2u);  // loaded lazily again
    }
    for (auto& u : users) {
        ASSERT_EQ(u->posts.size(), 2u);
        EXPECT_EQ(u->posts[0]->body, "a" + std::to_string(u->id - 1));
        EXPECT_EQ(u->posts[1]->body, "b" + std::to_string(u->id - 1));
    }
}

// Moving a loaded collection out of a session's object leaves the other
// object items of its own, not the session's Store's: the Store may end first.
TEST_P(OrmRelationship, MovingALoadedCollectionOutCopiesItsItemsOutOfTheSession) {
    add_users_with_posts(2);
    std::optional<User> moved;
    User assigned;
    {
        auto s = session();
        auto users = s.query<User>().order_by(&User::id).all();
        const auto& loaded = strata::detail::Access::base<strata::detail::CollectionBase>(users[0]->posts);
        ASSERT_EQ(users[0]->posts.size(), 2u);
        ASSERT_EQ(users[1]->posts.size(), 2u);
        auto* const in_store = loaded.items_.begin();
        moved.emplace(std::move(*users[0]));
        assigned = std::move(*users[1]);
        const auto& taken = strata::detail::Access::base<strata::detail::CollectionBase>(moved->posts);
        EXPECT_NE(taken.items_.begin(), in_store) << "a copy, not the session's block";
        EXPECT_EQ(taken.items_.size(), 2u);
    }  // the session and its Store end here
    const auto& taken = strata::detail::Access::base<strata::detail::CollectionBase>(moved->posts);
    EXPECT_EQ(taken.items_.size(), 2u);
    EXPECT_EQ(strata::detail::Access::base<strata::detail::CollectionBase>(assigned.posts).items_.size(), 2u);
    moved.reset();  // frees its own block
}

TEST_P(OrmRelationship, SelectinLoadsTheWholeResultInOneMoreStatement) {
    add_users_with_posts(5);
    auto s = session();
    take_log();
    auto users = s.query<User>().options(strata::selectin(&User::posts)).all();
    EXPECT_EQ(take_log().size(), 2u);
    std::size_t posts = 0;
    for (auto& u : users) {
        posts += u->posts.size();
        for (auto& p : u->posts) EXPECT_TRUE(p->author == u);
    }
    EXPECT_EQ(posts, 10u);
    EXPECT_EQ(take_log().size(), 0u);
}

// Where the dialect binds integer lists as one array, selectin's statement is
// the same for any number of owners: prepared once per connection.
TEST_P(OrmRelationship, SelectinOfAnyNumberOfOwnersIsOneStatementWhereListsAreArrays) {
    add_users_with_posts(5);
    std::vector<std::string> loads;
    for (std::int64_t owners : {2, 5}) {
        auto s = session();
        take_log();
        auto users = s.query<User>().options(strata::selectin(&User::posts)).where(strata::col(&User::id) <= owners).all();
        auto log = take_log();
        ASSERT_EQ(log.size(), 2u);
        loads.push_back(log[1]);
        std::size_t posts = 0;
        for (auto& u : users) posts += u->posts.size();
        EXPECT_EQ(posts, static_cast<std::size_t>(2 * owners));
    }
    EXPECT_EQ(loads[0] == loads[1], db->dialect().binds_integer_list_as_array()) << loads[0] << "\n" << loads[1];
}

// selectin sorts each collection by the target's key in memory (no ORDER
// BY, which would sort every row of the statement): the same order as a
// lazy load's, even where the database returns the rows in another.
TEST_P(OrmRelationship, SelectinCollectionsAreInKeyOrderAsLazyOnes) {
    add_rows_out_of_key_order();
    auto lazy = session();
    auto eager = session();
    auto users = eager.query<User>()
                     .options(strata::selectin(&User::posts))
                     .options(strata::selectin(&User::followed))
                     .order_by(&User::id)
                     .all();
    ASSERT_EQ(users.size(), 3u);
    for (auto& u : users) {
        auto same = lazy.get<User>(u->id);
        EXPECT_EQ(ids(u->posts), ids(same->posts)) << u->nickname;
        EXPECT_EQ(ids(u->followed), ids(same->followed)) << u->nickname;
    }
    EXPECT_EQ(ids(users[0]->posts), (std::vector<std::int64_t>{1, 2}));
    EXPECT_EQ(ids(users[0]->followed), (std::vector<std::int64_t>{2, 3}));
}

// A selectin load into a session holding no post builds every post first and
// enters them into the identity map together (load_new_rows); one into a
// session holding some (here post 3, changed in memory and not flushed)
// reads row by row, and the object already there wins over its row. Either
// way each post is then the session's one object for its key, and a change
// to it is written. The rows come out of key order (add_rows_out_of_key_order).
TEST_P(OrmRelationship, SelectinPostsAreTheSessionsObjectsWhetherItHeldNoneOrSome) {
    add_rows_out_of_key_order();
    for (bool holds_one : {false, true}) {
        SCOPED_TRACE(holds_one ? "the session holds post 3" : "the session holds no post");
        auto s = session(strata::SessionOptions{.autoflush = false});
        strata::Ptr<Post> held;
        if (holds_one) {
            held = s.get<Post>(3);
            held->body = "changed in memory";
        }
        auto users = s.query<User>().options(strata::selectin(&User::posts)).order_by(&User::id).all();
        ASSERT_EQ(users.size(), 3u);
        take_log();
        for (std::size_t i = 0; i < users.size(); ++i) {
            const auto first = static_cast<std::int64_t>(2 * i + 1);
            ASSERT_EQ(ids(users[i]->posts), (std::vector<std::int64_t>{first, first + 1}));
            for (auto& p : users[i]->posts) {
                EXPECT_TRUE(s.get<Post>(p->id) == p) << p->id;
                EXPECT_TRUE(p->author == users[i]) << p->id;
            }
        }
        EXPECT_EQ(take_log().size(), 0u) << "every post found in the identity map";
        if (holds_one) {
            EXPECT_TRUE(users[1]->posts[0] == held);
            EXPECT_EQ(held->body, "changed in memory") << "the object in the session wins over its row";
        }
        const std::string edit = holds_one ? "edited again" : "edited";
        users[2]->posts[1]->body = edit;
        s.commit();
        auto check = session();
        EXPECT_EQ(check.get<Post>(6)->body, edit);
        EXPECT_EQ(check.get<Post>(3)->body, holds_one ? "changed in memory" : "a1.");
    }
}

// selectin groups the rows by owner whatever order the owners and the rows
// come in: owners by descending key, a post moved to another user (its row
// now after the other user's), a user with no posts (loaded, empty), and a
// user of the session whose posts are not asked for (left unloaded).
TEST_P(OrmRelationship, SelectinGivesEachOwnerItsOwnItemsWhateverTheOrder) {
    add_rows_out_of_key_order();
    {
        auto s = session();
        s.add(User{.nickname = "none", .email = "none@x"});
        s.get<Post>(2)->author = s.get<User>(3);  // user 1: post 1; user 3: posts 2, 5, 6
        s.commit();
    }
    auto s = session();
    auto left_out = s.get<User>(2);
    take_log();
    auto users = s.query<User>().options(strata::selectin(&User::posts)).where(col(&User::id) != 2).order_by(strata::desc(&User::id)).all();
    ASSERT_EQ(users.size(), 3u);
    EXPECT_EQ(take_log().size(), 2u);
    EXPECT_EQ(users[0]->nickname, "none");
    EXPECT_TRUE(users[0]->posts.empty());
    EXPECT_EQ(ids(users[1]->posts), (std::vector<std::int64_t>{2, 5, 6}));
    EXPECT_EQ(ids(users[2]->posts), (std::vector<std::int64_t>{1}));
    for (auto& u : users)
        for (auto& p : u->posts) EXPECT_TRUE(p->author == u) << p->id;
    EXPECT_EQ(take_log().size(), 0u) << "every owner asked for loaded";
    EXPECT_EQ(ids(left_out->posts), (std::vector<std::int64_t>{3, 4}));
    EXPECT_EQ(take_log().size(), 1u) << "the owner not asked for loads lazily";
}

// A lazy load of a target with an integer key sends no ORDER BY (on
// PostgreSQL that is a sort node per load) and sorts the items by key in
// memory: a collection is in key order where the database returns its rows
// in another.
TEST_P(OrmRelationship, LazyCollectionsAreInKeyOrderWithoutOrderBy) {
    add_rows_out_of_key_order();
    auto s = session();
    auto users = s.query<User>().order_by(&User::id).all();
    take_log();
    EXPECT_EQ(ids(users[0]->posts), (std::vector<std::int64_t>{1, 2}));
    EXPECT_EQ(ids(users[1]->posts), (std::vector<std::int64_t>{3, 4}));
    EXPECT_EQ(ids(users[2]->posts), (std::vector<std::int64_t>{5, 6}));
    EXPECT_EQ(ids(users[0]->followed), (std::vector<std::int64_t>{2, 3}));
    auto log = take_log();
    ASSERT_EQ(log.size(), 4u);
    for (const auto& sql : log) EXPECT_EQ(sql.find("ORDER BY"), std::string::npos) << sql;
}

// A lazy load reads its rows in one loop (load_keyed_rows) that notes
// whether their keys come in ascending order as it goes. User 1 follows
// users 2, 5, 4 and 3, linked in that order (SQLite returns the links as
// written): ascending at first, then not, twice -- a check of each key
// against the first one (or a previous key not kept up to date) calls them
// sorted. User 4 is in the session with a change not flushed: the loop
// hands out the session's object (its change kept) between new ones, each
// of them then the session's one object for its key.
TEST_P(OrmRelationship, ALazyLoadSortsRowsOutOfOrderAfterAscendingOnesAndKeepsTheSessionsObjects) {
    add_users_with_posts(5);
    {
        auto s = session();
        auto users = s.query<User>().order_by(&User::id).all();
        for (std::size_t i : std::initializer_list<std::size_t>{1, 4, 3, 2}) users[0]->followed.push_back(users[i]);
        s.commit();
    }
    auto s = session(strata::SessionOptions{.autoflush = false});
    auto held = s.get<User>(4);
    held->nickname = "changed in memory";
    auto first = s.get<User>(1);
    take_log();
    EXPECT_EQ(ids(first->followed), (std::vector<std::int64_t>{2, 3, 4, 5}));
    EXPECT_EQ(take_log().size(), 1u);
    EXPECT_TRUE(first->followed[2] == held);
    EXPECT_EQ(held->nickname, "changed in memory") << "the object in the session wins over its row";
    for (auto& u : first->followed) EXPECT_TRUE(s.get<User>(u->id) == u) << u->id;
    EXPECT_EQ(first->followed[0]->nickname, "u1");
    EXPECT_EQ(first->followed[3]->nickname, "u4");
    EXPECT_EQ(take_log().size(), 0u) << "every followed user found in the identity map";
}

// Each relationship's lazy SELECT is found in the statement cache by its
// own number (NumberedText): loads of three relationships taking turns on one
// connection each run their own statement -- a number shared by two texts
// would hand one relationship's rows to another -- and prepare nothing new
// once each has run.
TEST_P(OrmRelationship, LazyLoadsOfSeveralRelationshipsTakingTurnsEachRunTheirOwnStatement) {
    add_rows_out_of_key_order();
    auto s = session();
    auto users = s.query<User>().order_by(&User::id).all();
    EXPECT_EQ(ids(users[0]->posts), (std::vector<std::int64_t>{1, 2}));
    EXPECT_EQ(ids(users[0]->followed), (std::vector<std::int64_t>{2, 3}));
    EXPECT_TRUE(users[0]->followers.empty());
    const std::size_t prepared = s.connection().prepare_count();
    for (std::size_t i = 1; i < users.size(); ++i) {
        const auto first = static_cast<std::int64_t>(2 * i + 1);
        EXPECT_EQ(ids(users[i]->posts), (std::vector<std::int64_t>{first, first + 1}));
        EXPECT_TRUE(users[i]->followed.empty());
        EXPECT_EQ(ids(users[i]->followers), (std::vector<std::int64_t>{1}));
    }
    EXPECT_EQ(s.connection().prepare_count(), prepared) << "each relationship's statement came from the cache";
}

TEST_P(OrmRelationship, JoinedLoadsInTheSameStatement) {
    add_users_with_posts(5);
    auto s = session();
    s.add(User{.nickname = "nobody", .email = "nobody@x"});  // a user without posts
    s.commit();
    take_log();
    auto users = s.query<User>().options(strata::joined(&User::posts)).order_by(&User::id).all();
    auto log = take_log();
    ASSERT_EQ(log.size(), 1u);
    EXPECT_NE(log[0].find("LEFT OUTER JOIN"), std::string::npos) << log[0];
    ASSERT_EQ(users.size(), 6u);
    std::size_t posts = 0;
    for (auto& u : users) posts += u->posts.size();
    EXPECT_EQ(posts, 10u);
    EXPECT_EQ(users[5]->posts.size(), 0u);
    EXPECT_EQ(take_log().size(), 0u);
}

TEST_P(OrmRelationship, JoinedWithLimitLimitsTheParents) {
    add_users_with_posts(5);
    auto s = session();
    take_log();
    auto users = s.query<User>().options(strata::joined(&User::posts)).order_by(&User::id).limit(2).all();
    EXPECT_EQ(take_log().size(), 1u);
    ASSERT_EQ(users.size(), 2u);
    EXPECT_EQ(users[0]->posts.size() + users[1]->posts.size(), 4u);
}

TEST_P(OrmRelationship, EagerLoadingOfTheAuthor) {
    add_users_with_posts(3);
    take_log();
    {
        auto s = session();
        auto posts = s.query<Post>().options(strata::selectin(&Post::author)).all();
        EXPECT_EQ(take_log().size(), 2u);
        for (auto& p : posts) EXPECT_EQ(p->author->id, *p->user_id);
        EXPECT_EQ(take_log().size(), 0u);
    }
    {
        auto s = session();
        auto posts = s.query<Post>().options(strata::joined(&Post::author)).all();
        EXPECT_EQ(take_log().size(), 1u);
        for (auto& p : posts) EXPECT_EQ(p->author->id, *p->user_id);
        EXPECT_EQ(take_log().size(), 0u);
    }
}

TEST_P(OrmRelationship, LazyLoadOfTheAuthorUsesTheIdentityMap) {
    add_users_with_posts(1);
    auto s = session();
    auto u = s.get<User>(1);
    auto p = s.query<Post>().first();
    take_log();
    EXPECT_EQ(p->author.get().get(), u.get());
    EXPECT_EQ(take_log().size(), 0u);
}

TEST_P(OrmRelationship, DynamicQueryOverACollection) {
    add_users_with_posts(2);
    auto s = session();
    auto u = s.get<User>(2);
    take_log();
    auto latest = u->posts.query().order_by(strata::desc(&Post::id)).limit(1).all();
    ASSERT_EQ(latest.size(), 1u);
    EXPECT_EQ(latest[0]->body, "b1");
    EXPECT_EQ(u->posts.query().count(), 2);
    EXPECT_EQ(take_log().size(), 2u);
    EXPECT_FALSE(u->posts.is_loaded()) << "the query does not load the collection";
}

TEST_P(OrmRelationship, DynamicQueryOfANewOwnerFlushesItFirst) {
    auto s = session();
    auto u = s.add(User{.nickname = "new", .email = "new@x"});
    u->posts.push_back(Post{.body = "p"});
    EXPECT_EQ(u->posts.query().count(), 1);
    EXPECT_NE(u->id, 0);
}

TEST_P(OrmRelationship, SaveUpdateCascadeAddsNewPostsWithTheirUser) {
    auto s = session();
    User user{.nickname = "john", .email = "j@x"};
    user.posts.push_back(Post{.body = "one"});
    user.posts.push_back(Post{.body = "two"});
    auto u = s.add(std::move(user));
    EXPECT_EQ(u->posts.size(), 2u);
    s.commit();
    EXPECT_EQ(count_rows("post"), 2);
    for (auto& p : u->posts) {
        EXPECT_EQ(p->user_id, u->id);
        EXPECT_TRUE(p->author == u);
    }
}

TEST_P(OrmRelationship, DeletingAUserWithoutDeleteCascadeNullsItsPosts) {
    add_users_with_posts(1);
    auto s = session();
    s.remove(s.get<User>(1));
    s.commit();
    EXPECT_EQ(count_rows("user"), 0);
    EXPECT_EQ(count_rows("post"), 2);
    EXPECT_EQ(user_id_in_db(1), std::nullopt);
}

TEST_P(OrmRelationship, DeleteCascadeRemovesChildren) {
    add_users_with_posts(1);
    {
        auto s = session();
        auto p = s.get<Post>(1);
        p->comments.push_back(Comment{.text = "c1"});
        p->comments.push_back(Comment{.text = "c2"});
        s.commit();
    }
    EXPECT_EQ(count_rows("comment"), 2);
    auto s = session();
    s.remove(s.get<Post>(1));
    s.commit();
    EXPECT_EQ(count_rows("comment"), 0);
    EXPECT_EQ(count_rows("post"), 1);
}

TEST_P(OrmRelationship, DeleteOrphanRemovesAChildTakenOut) {
    add_users_with_posts(1);
    auto s = session();
    auto p = s.get<Post>(1);
    p->comments.push_back(Comment{.text = "keep"});
    p->comments.push_back(Comment{.text = "drop"});
    s.commit();
    auto drop = p->comments[1];
    p->comments.remove(drop);
    s.commit();
    EXPECT_EQ(count_rows("comment"), 1);
    EXPECT_EQ(strata::repr(p->comments), "[<Comment id=1>]");
}

TEST_P(OrmRelationship, ManyToManyAddAndRemove) {
    auto s = session();
    auto john = s.add(User{.nickname = "john", .email = "j@x"});
    auto susan = s.add(User{.nickname = "susan", .email = "s@x"});
    auto mary = s.add(User{.nickname = "mary", .email = "m@x"});
    john->followed.push_back(susan);
    john->followed.push_back(mary);
    EXPECT_TRUE(susan->followers.contains(john)) << "backref in memory";
    s.commit();
    EXPECT_EQ(count_rows("followers"), 2);
    {
        auto s2 = session();
        auto j = s2.get<User>(john->id);
        EXPECT_EQ(strata::repr(j->followed), "[<User susan>, <User mary>]");
        EXPECT_EQ(strata::repr(s2.get<User>(susan->id)->followers), "[<User john>]");
        EXPECT_EQ(j->followed.query().where(col(&User::nickname) == "mary").count(), 1);
        auto loaded = s2.query<User>().options(strata::selectin(&User::followed)).order_by(&User::id).all();
        EXPECT_EQ(loaded[0]->followed.size(), 2u);
    }
    john->followed.remove(susan);
    EXPECT_FALSE(susan->followers.contains(john));
    s.commit();
    EXPECT_EQ(count_rows("followers"), 1);
    s.remove(mary);  // its association rows go with it
    s.commit();
    EXPECT_EQ(count_rows("followers"), 0);
    EXPECT_EQ(count_rows("user"), 2);
}

TEST_P(OrmRelationship, ObjectsOfAnotherSessionAreRefused) {
    add_users_with_posts(1);
    auto s1 = session();
    auto s2 = session();
    auto u = s1.get<User>(1);
    s1.commit();  // SQLite: one writer at a time, and a session's transaction is a write transaction
    auto p = s2.get<Post>(1);
    auto e = expect_throw<strata::Error>([&] { p->author = u; });
    EXPECT_NE(std::string(e.what()).find("belongs to another session"), std::string::npos) << e.what();
}

TEST_P(OrmRelationship, RemovingWhileIteratingIsSafe) {
    add_users_with_posts(1);
    auto s = session();
    auto u = s.get<User>(1);
    int seen = 0;
    for (auto& p : u->posts) {
        s.remove(p);  // takes p out of u->posts
        ++seen;
    }
    EXPECT_EQ(seen, 1) << "the second post moved into the first position";
    for (auto& p : u->posts.to_vector()) s.remove(p);
    s.commit();
    EXPECT_EQ(count_rows("post"), 0);
}

TEST_P(OrmRelationship, DefaultReprAndStreaming) {
    add_users_with_posts(1);
    auto s = session();
    auto p = s.get<Post>(1);
    p->comments.push_back(Comment{.text = "x"});
    s.commit();
    std::ostringstream out;
    out << p->comments << " " << s.get<User>(1) << " " << s.query<User>().all() << " " << p->author;
    EXPECT_EQ(out.str(), "[<Comment id=1>] <User u0> [<User u0>] <User u0>");
}

// A loaded object's relationship members are bound through a fixed run of
// four (RowPlan::slot_run, an OffsetRun) when the model has two to four: the
// run holds each member once with its own index, and the rest of it is the
// last member again with its index (binding it twice writes the same
// values); with one the member is bound once, and with none or more than
// four binding loops over the slots.
TEST(RowPlanSlots, TheRunHoldsEveryMemberWithItsIndexAndPadsWithTheLast) {
    using strata::detail::OffsetRun;
    for (std::size_t count = 0; count <= 6; ++count) {
        OffsetRun run;
        std::vector<std::ptrdiff_t> offsets;
        for (std::size_t i = 0; i < count; ++i) {
            offsets.push_back(static_cast<std::ptrdiff_t>(100 - 16 * i));
            run.add(offsets.back());
        }
        EXPECT_EQ(run.count, count);
        EXPECT_EQ(run.covers(), count <= OffsetRun::kRun) << count;
        if (count == 0 || !run.covers()) continue;
        std::set<std::pair<std::ptrdiff_t, std::uint32_t>> in_run, expected;
        for (std::size_t i = 0; i < OffsetRun::kRun; ++i) {
            in_run.insert({run.at[i], run.index[i]});
            if (i >= count) {
                EXPECT_EQ(run.at[i], offsets.back()) << count << " " << i;
                EXPECT_EQ(run.index[i], count - 1) << count << " " << i;
            }
        }
        for (std::size_t i = 0; i < count; ++i) expected.insert({offsets[i], static_cast<std::uint32_t>(i)});
        EXPECT_EQ(in_run, expected) << count;
    }
}

STRATA_INSTANTIATE_BACKENDS(OrmRelationship);

}  // namespace
}  // namespace orm_test
