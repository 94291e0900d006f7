// Query<T>::stream: rows read in batches as the loop goes; the objects of a
// batch leave the session once nothing holds them, and what the session must
// not lose (changes, objects others point at) stays.
#include "orm/orm_internal.hpp"
#include "orm_models.hpp"

namespace orm_test {
namespace {

using strata::col;
using strata::testing::expect_throw;

class OrmStream : public SeededOrmTest {
protected:
    static constexpr int kUsers = 25;
    void seed(strata::Session& s) override {
        for (int i = 1; i <= kUsers; ++i) {
            auto u = s.add(User{.nickname = "u" + std::to_string(i), .email = std::to_string(i) + "@x"});
            if (i <= 2) u->posts.push_back(Post{.body = "by u" + std::to_string(i)});
        }
    }
    static std::size_t users_in_identity_map(strata::Session& s) {
        const auto& m = strata::detail::Access::impl(s).registry.mapper_for(typeid(User));
        return strata::detail::Access::impl(s).identity[m.index].by_int.size();
    }
    std::string about_in_db(std::int64_t id) {
        strata::Session check(*db, registry);
        auto rows = check.execute<std::tuple<std::optional<std::string>>>("SELECT about_me FROM \"user\" WHERE id = ?", id);
        return std::get<0>(rows.at(0)).value_or("(null)");
    }
};

TEST_P(OrmStream, EveryRowInOrderInOneStatement) {
    auto s = session();
    std::string seen;
    std::size_t most_held = 0;
    for (strata::Ptr<User> u : s.query<User>().where(col(&User::id) > std::int64_t{3}).order_by(&User::id).stream(10)) {
        seen += u->nickname + " ";
        most_held = std::max(most_held, users_in_identity_map(s));
    }
    std::string expected;
    for (int i = 4; i <= kUsers; ++i) expected += "u" + std::to_string(i) + " ";
    EXPECT_EQ(seen, expected);
    EXPECT_EQ(take_log().size(), 1u);
    EXPECT_LE(most_held, 10u) << "one batch at a time in the identity map";
    EXPECT_EQ(users_in_identity_map(s), 0u) << "every batch left once the loop moved on";
    EXPECT_TRUE(strata::detail::Access::impl(s).extras_or_none().batches.empty());
}

TEST_P(OrmStream, ObjectsStillHeldStayInTheSession) {
    auto s = session();
    strata::Ptr<User> kept;
    for (auto u : s.query<User>().order_by(&User::id).stream(4))
        if (u->id == 6) kept = u;
    EXPECT_EQ(users_in_identity_map(s), 4u) << "only the batch holding the kept object (ids 5 to 8)";
    EXPECT_EQ(kept->nickname, "u6");
    kept = nullptr;
    EXPECT_EQ(users_in_identity_map(s), 0u);
    EXPECT_TRUE(strata::detail::Access::impl(s).extras_or_none().batches.empty());
}

// A batch leaves the identity map in one sweep when it is all the map holds
// of its model, else key by key: either way exactly its objects go.
TEST_P(OrmStream, ALeavingBatchTakesExactlyItsObjectsFromTheIdentityMap) {
    auto s = session();
    for (auto u : s.query<User>().order_by(&User::id).stream(4)) EXPECT_LE(users_in_identity_map(s), 4u) << u->id;
    EXPECT_EQ(users_in_identity_map(s), 0u);

    auto last = s.get<User>(kUsers);  // in the map before the stream: every batch shares the map with it
    int n = 0;
    for (auto u : s.query<User>().where(col(&User::id) < std::int64_t{kUsers}).order_by(&User::id).stream(4)) {
        ++n;
        EXPECT_LE(users_in_identity_map(s), 5u) << u->id;
    }
    EXPECT_EQ(n, kUsers - 1);
    EXPECT_EQ(users_in_identity_map(s), 1u) << "only the object held from before";
    take_log();
    EXPECT_EQ(s.get<User>(kUsers), last);
    EXPECT_TRUE(take_log().empty()) << "still in the identity map";
    EXPECT_EQ(s.get<User>(5)->nickname, "u5");
    EXPECT_EQ(take_log().size(), 1u) << "a streamed object that left is loaded again";
}

// Found through the session (get, a query, a relationship), a streamed
// object may be pointed at from elsewhere: its batch stays with the session.
TEST_P(OrmStream, ObjectsFoundThroughTheSessionStay) {
    auto s = session();
    strata::Ptr<User> kept;
    for (auto u : s.query<User>().order_by(&User::id).stream(4))
        if (u->id == 6) kept = u;
    take_log();
    EXPECT_EQ(s.get<User>(6), kept) << "the same object, from the identity map";
    EXPECT_TRUE(take_log().empty());
    kept = nullptr;
    EXPECT_EQ(users_in_identity_map(s), 4u);
    EXPECT_EQ(s.get<User>(6)->nickname, "u6");
    EXPECT_TRUE(take_log().empty());
}

TEST_P(OrmStream, AnObjectAlreadyInTheSessionIsThatObject) {
    auto s = session();
    auto third = s.get<User>(3);
    third->about_me = "changed, not flushed";
    int n = 0;
    for (auto u : s.query<User>().order_by(&User::id).stream(2)) {
        ++n;
        if (u->id == 3) {
            EXPECT_EQ(u, third);
            EXPECT_EQ(u->about_me, "changed, not flushed");
        }
    }
    EXPECT_EQ(n, kUsers);
    s.commit();
    EXPECT_EQ(about_in_db(3), "changed, not flushed");
}

// Changes to streamed objects the loop dropped are written, with autoflush
// (at the next batch) or without (at the commit).
TEST_P(OrmStream, ChangesToDroppedObjectsAreWritten) {
    for (bool autoflush : {true, false}) {
        auto s = session(strata::SessionOptions{.autoflush = autoflush});
        for (auto u : s.query<User>().order_by(&User::id).stream(5)) u->about_me = "seen " + std::to_string(autoflush);
        if (autoflush) {
            EXPECT_LE(strata::detail::Access::impl(s).extras_or_none().retained.size(), 1u) << "flushed batch by batch";
        } else {
            EXPECT_EQ(strata::detail::Access::impl(s).extras_or_none().retained.size(), 5u) << "kept until the flush";
        }
        s.commit();
        EXPECT_TRUE(strata::detail::Access::impl(s).extras_or_none().retained.empty());
        EXPECT_EQ(users_in_identity_map(s), 0u);
        for (std::int64_t id : {std::int64_t{1}, std::int64_t{13}, std::int64_t{kUsers}})
            EXPECT_EQ(about_in_db(id), "seen " + std::to_string(autoflush)) << id;
    }
}

TEST_P(OrmStream, RemovedObjectsAreDeleted) {
    auto s = session();
    for (auto u : s.query<User>().where(col(&User::id) > std::int64_t{20}).stream(2)) s.remove(u);
    s.commit();
    EXPECT_EQ(count_rows("user"), 20);
    EXPECT_TRUE(strata::detail::Access::impl(s).extras_or_none().batches.empty());
}

// An object another object points at (a post's author) stays with the
// session though the loop dropped it: the pointer never dangles.
TEST_P(OrmStream, AnObjectPointedAtStays) {
    auto s = session();
    auto post = s.query<Post>().filter_by(&Post::body, "by u2").one();
    for (auto u : s.query<User>().order_by(&User::id).stream(3))
        if (u->id == 2) {
            EXPECT_EQ(post->author->nickname, "u2");  // the author found in the batch
        }
    EXPECT_EQ(strata::detail::Access::impl(s).extras_or_none().batches.size(), 1u) << "the first batch, pinned";
    EXPECT_EQ(post->author->nickname, "u2");
    auto u2 = s.get<User>(2);
    EXPECT_EQ(post->author, u2);
    EXPECT_TRUE(u2->posts.contains(post));
}

// When the session ends, each store goes with its own last handle: an
// object keeps what it loaded from its own store, and a relationship into
// another store is unloaded (a detached object cannot load it: an error, not
// a dangling pointer).
TEST_P(OrmStream, AfterTheSessionNoPointerCrossesStores) {
    strata::Ptr<Post> post;
    strata::Ptr<User> streamed;
    {
        auto s = session();
        post = s.query<Post>().filter_by(&Post::body, "by u2").one();
        for (auto u : s.query<User>().order_by(&User::id).stream(3)) {
            if (u->id == 2) {
                EXPECT_EQ(post->author->nickname, "u2");  // the post (first store) points into the batch
                EXPECT_EQ(u->posts.size(), 1u);            // the batch points into the first store
                streamed = u;
            }
        }
    }
    EXPECT_EQ(streamed->nickname, "u2");
    expect_throw<strata::DetachedInstanceError>([&] { (void)post->author->nickname; });
    expect_throw<strata::DetachedInstanceError>([&] { (void)streamed->posts.size(); });
    streamed = nullptr;  // the batch goes; the post stays readable
    EXPECT_EQ(post->body, "by u2");
}

TEST_P(OrmStream, CommitInsideTheLoopAndReadOn) {
    auto s = session();
    int n = 0;
    for (auto u : s.query<User>().order_by(&User::id).stream(4)) {
        u->about_me = "batch";
        if (++n % 4 == 0) s.commit();
    }
    s.commit();
    EXPECT_EQ(n, kUsers);
    EXPECT_EQ(about_in_db(kUsers), "batch");
}

TEST_P(OrmStream, LeavingTheLoopEndsTheStream) {
    auto s = session();
    for (auto u : s.query<User>().order_by(&User::id).stream(4))
        if (u->id == 6) break;
    EXPECT_TRUE(strata::detail::Access::impl(s).extras_or_none().streams.empty());
    EXPECT_TRUE(strata::detail::Access::impl(s).extras_or_none().batches.empty());
    EXPECT_EQ(users_in_identity_map(s), 0u);
    s.get<User>(1)->about_me = "after";
    s.commit();
    EXPECT_EQ(about_in_db(1), "after");
}

TEST_P(OrmStream, ClosingTheSessionEndsTheStream) {
    auto s = session();
    auto stream = s.query<User>().order_by(&User::id).stream(5);
    auto it = stream.begin();
    auto first = *it;
    EXPECT_EQ(first->nickname, "u1");
    s.close();
    auto e = expect_throw<strata::DetachedInstanceError>([&] {
        for (int i = 0; i < 5; ++i) ++it;
    });
    EXPECT_NE(std::string(e.what()).find("the stream of User cannot read on: its session was closed"), std::string::npos)
        << e.what();
}

// A batch's list of objects is taken from its own memory, up to a few
// thousand objects; a larger batch grows it on the heap. Either way every
// row comes once, in order, and the batch leaves whole.
TEST_P(OrmStream, ABatchLargerThanTheListItReservesKeepsEveryObject) {
    constexpr int kMore = 4200;  // past the 4,096 objects a batch's list reserves
    {
        auto s = session();
        for (int i = 1; i <= kMore; ++i)
            s.add(User{.nickname = "more" + std::to_string(i), .email = "more" + std::to_string(i) + "@x"});
        s.commit();
    }
    auto s = session();
    strata::Ptr<User> first, last;
    std::int64_t previous = 0;
    std::size_t n = 0, most_held = 0;
    constexpr std::size_t kBatch = 4100;
    for (auto u : s.query<User>().order_by(&User::id).stream(kBatch)) {
        EXPECT_GT(u->id, previous);
        previous = u->id;
        if (n == 0) first = u;
        last = u;
        ++n;
        most_held = std::max(most_held, users_in_identity_map(s));
    }
    EXPECT_EQ(n, std::size_t{kUsers + kMore});
    EXPECT_EQ(most_held, std::size_t{kUsers + kMore}) << "the first batch, held by `first`, and the second";
    EXPECT_EQ(first->nickname, "u1");
    first = nullptr;
    EXPECT_EQ(users_in_identity_map(s), kUsers + kMore - kBatch) << "the first batch went whole";
    EXPECT_EQ(last->nickname, "more" + std::to_string(kMore));
    last = nullptr;
    EXPECT_EQ(users_in_identity_map(s), 0u);
    EXPECT_TRUE(strata::detail::Access::impl(s).extras_or_none().batches.empty());
}

// The check before a batch goes takes the batch's objects by chunks of 16,
// column by column: a change to any object of a larger batch keeps the
// batch (the first object, either side of a chunk's end, the last), also
// after an object in the same chunk that the check leaves to the
// per-object look (an expunged one), and the commit writes it; a batch
// with no change goes.
TEST_P(OrmStream, AChangeAnywhereInALargeBatchKeepsIt) {
    for (const std::int64_t changed : {0, 1, 16, 17, kUsers}) {  // 0: none
        auto s = session(strata::SessionOptions{.autoflush = false});
        for (auto u : s.query<User>().order_by(&User::id).stream(kUsers)) {
            if (u->id == 5) s.expunge(u);
            if (u->id == changed) u->about_me = "changed " + std::to_string(changed);
        }
        auto& impl = strata::detail::Access::impl(s);
        EXPECT_EQ(impl.extras_or_none().retained.size(), changed ? 1u : 0u) << changed;
        EXPECT_EQ(impl.extras_or_none().batches.size(), changed ? 1u : 0u) << changed;
        s.commit();
        if (changed) {
            EXPECT_EQ(about_in_db(changed), "changed " + std::to_string(changed));
        }
    }
    EXPECT_EQ(about_in_db(2), "(null)");
}

// A streamed object's collections are empty and unloaded until used, as a
// loaded object's are: they load, take new and existing objects, and keep
// both sides of each relationship in step.
TEST_P(OrmStream, AStreamedObjectsCollectionsLoadAndChange) {
    auto s = session();
    auto u5 = s.get<User>(5);
    for (auto u : s.query<User>().where(col(&User::id) <= std::int64_t{4}).order_by(&User::id).stream(3)) {
        if (u->id == 2) {
            EXPECT_EQ(u->posts.size(), 1u) << "loaded on first use";
            EXPECT_EQ(u->posts[0]->body, "by u2");
            EXPECT_EQ(u->posts[0]->author, u);
        }
        if (u->id == 3) {
            EXPECT_TRUE(u->posts.empty());
            u->posts.push_back(Post{.body = "new by u3"});
            EXPECT_EQ(u->posts.back()->author, u);
            u->followed.push_back(u5);
            EXPECT_TRUE(u5->followers.contains(u));
        }
        if (u->id == 4) {
            auto post = s.add(Post{.body = "moved to u4"});
            post->author = u;
            EXPECT_TRUE(u->posts.contains(post));
        }
    }
    s.commit();
    auto check = session();
    auto u3 = check.get<User>(3);
    ASSERT_EQ(u3->posts.size(), 1u);
    EXPECT_EQ(u3->posts[0]->body, "new by u3");
    ASSERT_EQ(u3->followed.size(), 1u);
    EXPECT_EQ(u3->followed[0]->id, 5);
    ASSERT_EQ(check.get<User>(4)->posts.size(), 1u);
    EXPECT_EQ(check.get<User>(4)->posts[0]->body, "moved to u4");
    EXPECT_EQ(check.get<User>(5)->followers.size(), 1u);
}

TEST_P(OrmStream, RefusesWhatItCannotDo) {
    auto s = session();
    expect_throw<strata::ConfigError>([&] { s.query<User>().stream(0); });
    auto e = expect_throw<strata::ConfigError>([&] { s.query<User>().options(strata::selectin(&User::posts)).stream(); });
    EXPECT_NE(std::string(e.what()).find("stream() of User does not eager-load"), std::string::npos) << e.what();
    expect_throw<strata::ConfigError>([&] { s.query<Post>().join(&Post::author).stream(); });
}

// The check before a batch goes tests an object's relationship members as
// fixed runs of offsets (up to four of each kind, the run padded with the
// first): for every count of collections and references, a change held by
// any one member alone is seen, through the runs when they cover the
// members and through the loop otherwise, and an object with none is not.
TEST(StreamCheck, EveryRelationshipMemberIsTestedWhateverTheirCount) {
    using strata::detail::CollectionBase;
    using strata::detail::ReferenceBase;
    constexpr std::size_t kMost = 6;
    for (std::size_t collections = 0; collections <= kMost; ++collections) {
        for (std::size_t references = 0; references <= kMost; ++references) {
            struct Object {
                CollectionBase collection[kMost];
                ReferenceBase reference[kMost];
            } object;
            strata::detail::RelationshipOffsets offsets;
            const auto* at = reinterpret_cast<const std::byte*>(&object);
            // Added out of order, as a model's relationships may lie in its class.
            for (std::size_t i = collections; i-- > 0;)
                offsets.add(reinterpret_cast<const std::byte*>(&object.collection[i]) - at, false);
            for (std::size_t i = references; i-- > 0;)
                offsets.add(reinterpret_cast<const std::byte*>(&object.reference[i]) - at, true);
            const bool covered = collections <= 4 && references <= 4;
            ASSERT_EQ(offsets.covered(), covered) << collections << " " << references;
            auto may_hold = [&] {
                const bool by_loop = strata::detail::may_hold_unwritten_change(&object, offsets.collections, offsets.references);
                if (!covered) return by_loop;
                const bool by_runs =
                    strata::detail::may_hold_unwritten_change(&object, offsets.collection_run, offsets.reference_run);
                EXPECT_EQ(by_runs, by_loop) << collections << " " << references;
                return by_runs;
            };
            EXPECT_FALSE(may_hold()) << collections << " " << references;
            for (std::size_t i = 0; i < collections; ++i) {
                object.collection[i].changes();  // allocated: a change may be held
                EXPECT_TRUE(may_hold()) << "collection " << i << " of " << collections << ", " << references;
                object.collection[i].changes_.reset();
            }
            for (std::size_t i = 0; i < references; ++i) {
                object.reference[i].dirty_ = true;
                EXPECT_TRUE(may_hold()) << "reference " << i << " of " << references << ", " << collections;
                object.reference[i].dirty_ = false;
            }
            // A member outside the model's (not in its offsets) is never read.
            if (collections < kMost) {
                object.collection[kMost - 1].changes();
                EXPECT_FALSE(may_hold()) << collections << " " << references;
                object.collection[kMost - 1].changes_.reset();
            }
        }
    }
}

STRATA_INSTANTIATE_BACKENDS(OrmStream);

}  // namespace
}  // namespace orm_test
