// Composite primary keys: declaring them, get() by a tuple, the identity map,
// flush (UPDATE / DELETE on every key column), relationships over a foreign
// key of two columns, an association object, bulk writes, refresh, merge.
#include <algorithm>
#include <tuple>

#include "support.hpp"

namespace composite_test {

struct Member;
struct Follow;
struct FollowNote;
struct FollowTag;

struct Member {
    std::int64_t id = 0;
    std::string name{};
    strata::HasMany<Follow> following{};  // Follow rows where this member follows
    strata::HasMany<Follow> followers{};  // Follow rows where this member is followed
};

// The association object: a many-to-many table with a column of its own.
struct Follow {
    std::int64_t follower_id = 0;
    std::int64_t followed_id = 0;
    std::string since{};
    strata::BelongsTo<Member> follower{};
    strata::BelongsTo<Member> followed{};
    strata::HasMany<FollowNote> notes{};
    strata::HasMany<FollowTag> tags{};
};

// A reference to a Follow: a foreign key of two columns, declared with belongs_to().
struct FollowNote {
    std::int64_t id = 0;
    std::optional<std::int64_t> follower_id{};
    std::optional<std::int64_t> followed_id{};
    std::string text{};
    strata::BelongsTo<Follow> follow{};
};

// The same found from the table's foreign key alone (has_many() without a
// belongs_to()), its columns listed in another order than the key's.
struct FollowTag {
    std::int64_t id = 0;
    std::int64_t b = 0;  // followed_id
    std::int64_t a = 0;  // follower_id
    std::string tag{};
    strata::BelongsTo<Follow> follow{};
};

// A key of text and an integer.
struct Setting {
    std::string scope{};
    std::int64_t version = 0;
    std::string value{};
};

}  // namespace composite_test

template <>
struct strata::primary_key_of<composite_test::Follow>
    : strata::key<&composite_test::Follow::follower_id, &composite_test::Follow::followed_id> {};
template <>
struct strata::primary_key_of<composite_test::Setting>
    : strata::key<&composite_test::Setting::scope, &composite_test::Setting::version> {};

namespace composite_test {
namespace {

using strata::col;
using strata::testing::expect_throw;

// member_cascade: of both of Member's collections of Follow objects.
void map_models(strata::Registry& r, const std::string& member_cascade = "save-update") {
    r.model<Member>("member")
        .column(&Member::id, "id", strata::primary_key())
        .column(&Member::name, "name", strata::String(40))
        .has_many(&Member::following, &Follow::follower, strata::cascade(member_cascade))
        .has_many(&Member::followers, &Follow::followed, strata::cascade(member_cascade));
    r.model<Follow>("follow")
        .column(&Follow::follower_id, "follower_id", strata::primary_key(), strata::foreign_key("member.id"))
        .column(&Follow::followed_id, "followed_id", strata::primary_key(), strata::foreign_key("member.id"))
        .column(&Follow::since, "since", strata::String(20))
        .belongs_to(&Follow::follower, &Follow::follower_id)
        .belongs_to(&Follow::followed, &Follow::followed_id)
        .has_many(&Follow::notes, &FollowNote::follow)
        .has_many(&Follow::tags, &FollowTag::follow);
    r.model<FollowNote>("follow_note")
        .column(&FollowNote::id, "id", strata::primary_key())
        .column(&FollowNote::follower_id, "follower_id")
        .column(&FollowNote::followed_id, "followed_id")
        .column(&FollowNote::text, "text", strata::String(80))
        .foreign_key({"follower_id", "followed_id"}, "follow", {"follower_id", "followed_id"})
        .belongs_to(&FollowNote::follow, std::tuple{&FollowNote::follower_id, &FollowNote::followed_id});
    r.model<FollowTag>("follow_tag")
        .column(&FollowTag::id, "id", strata::primary_key())
        .column(&FollowTag::b, "b")
        .column(&FollowTag::a, "a")
        .column(&FollowTag::tag, "tag", strata::String(20))
        .foreign_key({"b", "a"}, "follow", {"followed_id", "follower_id"}, "CASCADE");
    r.model<Setting>("setting")
        .column(&Setting::scope, "scope", strata::String(20), strata::primary_key())
        .column(&Setting::version, "version", strata::primary_key())
        .column(&Setting::value, "value", strata::String(40));
}

class OrmCompositeKey : public strata::testing::BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        map_models(registry);
        db.emplace(open_db());
        registry.metadata().create_all(*db);
        // ann(1) follows bob(2) and cy(3); bob follows ann.
        auto s = session();
        auto ann = s.add(Member{.name = "ann"});
        auto bob = s.add(Member{.name = "bob"});
        auto cy = s.add(Member{.name = "cy"});
        s.commit();
        s.add(Follow{.follower_id = ann->id, .followed_id = bob->id, .since = "2026-01-01"});
        s.add(Follow{.follower_id = ann->id, .followed_id = cy->id, .since = "2026-02-01"});
        s.add(Follow{.follower_id = bob->id, .followed_id = ann->id, .since = "2026-03-01"});
        s.commit();
        take_log();
    }
    void TearDown() override {
        db.reset();
        BackendTest::TearDown();
    }

    strata::Session session() {
        strata::Session s(*db, registry);
        s.on_statement([this](const std::string& sql) { log.push_back(sql); });
        return s;
    }
    std::vector<std::string> take_log() { return std::exchange(log, {}); }
    // The first column of the first row of `sql`, as text ("<none>" without a row).
    std::string scalar(const std::string& sql) {
        auto conn = db->connect();
        auto st = conn->prepare(sql);
        if (!st->step()) return "<none>";
        return st->is_null(0) ? "NULL" : std::string(st->get_text(0));
    }

    strata::Registry registry{};
    std::optional<strata::Database> db{};
    std::vector<std::string> log{};
};

TEST_P(OrmCompositeKey, TheTableHasAPrimaryKeyOfBothColumns) {
    auto conn = db->connect();
    const auto live = strata::inspect(*conn);
    const strata::Table* follow = live.find("follow");
    ASSERT_NE(follow, nullptr);
    EXPECT_EQ(follow->primary_key_columns(), (std::vector<std::string>{"follower_id", "followed_id"}));
    // Both columns together are unique, each alone is not.
    auto s = session();
    s.add(Follow{.follower_id = 3, .followed_id = 1, .since = "x"});
    EXPECT_NO_THROW(s.commit());
    s.add(Follow{.follower_id = 3, .followed_id = 1, .since = "again"});
    expect_throw<strata::IntegrityError>([&] { s.flush(); });
}

TEST_P(OrmCompositeKey, GetByTupleLoadsOnceThroughTheIdentityMap) {
    auto s = session();
    auto f = s.get<Follow>(std::tuple{1, 2});
    ASSERT_TRUE(f);
    EXPECT_EQ(f->since, "2026-01-01");
    ASSERT_EQ(take_log().size(), 1u);
    EXPECT_EQ(s.get<Follow>(std::tuple{1, 2}), f) << "the same object";
    EXPECT_EQ(s.get<Follow>(std::tuple{std::int64_t{1}, 2L}), f);
    EXPECT_TRUE(take_log().empty()) << "from the identity map, without a statement";
    auto reverse = s.get<Follow>(std::tuple{2, 1});
    ASSERT_TRUE(reverse);
    EXPECT_NE(reverse, f) << "(2, 1) is another row than (1, 2)";
    EXPECT_EQ(reverse->since, "2026-03-01");
    EXPECT_FALSE(s.get<Follow>(std::tuple{3, 2})) << "no such row";
    // A query's rows are the objects get() gave.
    auto all = s.query<Follow>().where(col(&Follow::follower_id) == 1).all();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_TRUE(std::find(all.begin(), all.end(), f) != all.end());
}

TEST_P(OrmCompositeKey, GetByOneValueIsRefusedWithTheFix) {
    auto s = session();
    auto e = expect_throw<strata::Error>([&] { s.get<Follow>(1); });
    EXPECT_STREQ(e.what(), "strata: Follow has a composite primary key: get<Follow>(std::tuple{...}) takes one value per "
                           "key column");
}

TEST_P(OrmCompositeKey, TextAndIntegerKey) {
    {
        auto s = session();
        s.add(Setting{.scope = "site", .version = 1, .value = "old"});
        s.add(Setting{.scope = "site", .version = 2, .value = "new"});
        s.add(Setting{.scope = "site2", .version = 1, .value = "other"});
        s.commit();
    }
    auto s = session();
    auto v2 = s.get<Setting>(std::tuple{"site", 2});
    ASSERT_TRUE(v2);
    EXPECT_EQ(v2->value, "new");
    EXPECT_EQ(s.get<Setting>(std::tuple{std::string("site"), 2}), v2);
    EXPECT_EQ(s.get<Setting>(std::tuple{"site2", 1})->value, "other");
    v2->value = "newer";
    s.commit();
    EXPECT_EQ(scalar("SELECT value FROM setting WHERE scope = 'site' AND version = 2"), "newer");
    EXPECT_EQ(scalar("SELECT value FROM setting WHERE scope = 'site' AND version = 1"), "old");
}

TEST_P(OrmCompositeKey, UpdateAndDeleteNameEveryKeyColumn) {
    auto s = session();
    auto f = s.get<Follow>(std::tuple{1, 2});
    f->since = "2025-12-31";
    take_log();
    s.flush();
    auto flushed = take_log();
    const auto update = std::find_if(flushed.begin(), flushed.end(), [](const std::string& q) { return q.starts_with("UPDATE"); });
    ASSERT_NE(update, flushed.end());
    EXPECT_NE(update->find("WHERE \"follower_id\" = "), std::string::npos) << *update;
    EXPECT_NE(update->find(" AND \"followed_id\" = "), std::string::npos) << *update;
    s.remove(s.get<Follow>(std::tuple{2, 1}));
    s.commit();
    EXPECT_EQ(scalar("SELECT since FROM follow WHERE follower_id = 1 AND followed_id = 2"), "2025-12-31");
    EXPECT_EQ(scalar("SELECT since FROM follow WHERE follower_id = 1 AND followed_id = 3"), "2026-02-01");
    EXPECT_EQ(scalar("SELECT count(*) FROM follow WHERE follower_id = 2"), "0");
    EXPECT_EQ(scalar("SELECT count(*) FROM follow"), "2");
}

TEST_P(OrmCompositeKey, ChangingAKeyColumnIsRefused) {
    auto s = session();
    auto f = s.get<Follow>(std::tuple{1, 2});
    f->followed_id = 3;
    auto e = expect_throw<strata::Error>([&] { s.flush(); });
    EXPECT_STREQ(e.what(), "strata: the primary key of <Follow follower_id=1 followed_id=3> was changed; keys cannot be updated");
}

TEST_P(OrmCompositeKey, AssociationObjectLinksBothSides) {
    auto s = session();
    auto ann = s.get<Member>(1);
    ASSERT_EQ(ann->following.size(), 2u);
    std::vector<std::string> followed;
    for (auto& f : ann->following) followed.push_back(f->followed->name);
    std::sort(followed.begin(), followed.end());
    EXPECT_EQ(followed, (std::vector<std::string>{"bob", "cy"}));
    ASSERT_EQ(ann->followers.size(), 1u);
    EXPECT_EQ(ann->followers[0]->follower->name, "bob");
    EXPECT_EQ(ann->followers[0]->since, "2026-03-01");

    // A new member following ann, through the association object's references:
    // the member is inserted first (flush order by foreign keys), its key then
    // goes into the follow's key.
    auto dee = s.add(Member{.name = "dee"});
    auto follow = s.add(Follow{.since = "2026-04-01"});
    follow->follower = dee;
    follow->followed = ann;
    EXPECT_EQ(ann->followers.size(), 2u) << "the backref, in memory";
    s.commit();
    EXPECT_EQ(follow->follower_id, dee->id);
    EXPECT_EQ(follow->followed_id, 1);
    EXPECT_EQ(s.get<Follow>(std::tuple{dee->id, std::int64_t{1}}), follow);

    auto s2 = session();
    auto dee2 = s2.get<Member>(dee->id);
    ASSERT_EQ(dee2->following.size(), 1u);
    EXPECT_EQ(dee2->following[0]->followed->name, "ann");
}

// An association object goes with either side when the side's collection
// cascades deletes; without that, removing a side would have to blank a key
// column, which is refused, naming the reference.
TEST_P(OrmCompositeKey, RemovingASideRemovesItsAssociationObjectsWithCascade) {
    {
        auto s = session();
        auto e = expect_throw<strata::Error>([&] {
            s.remove(s.get<Member>(1));  // loading its second collection autoflushes the first one's orphans
            s.commit();
        });
        EXPECT_NE(std::string(e.what()).find("its Follow's Member reference was changed or emptied, and its foreign key "
                                             "column "),
                  std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("is part of the primary key, which cannot be updated; remove the object "
                                             "instead (cascade(\"all, delete-orphan\") on the other side"),
                  std::string::npos)
            << e.what();
        s.rollback();
    }
    EXPECT_EQ(scalar("SELECT count(*) FROM follow"), "3");
    strata::Registry cascading;
    map_models(cascading, "all, delete-orphan");
    strata::Session s(*db, cascading);
    s.remove(s.get<Member>(1));
    s.commit();
    EXPECT_EQ(scalar("SELECT count(*) FROM follow"), "0") << "ann's follows in both directions";
    EXPECT_EQ(scalar("SELECT count(*) FROM member"), "2");
}

TEST_P(OrmCompositeKey, ReferenceOverATwoColumnForeignKey) {
    {
        auto s = session();
        auto f = s.get<Follow>(std::tuple{1, 3});
        f->notes.push_back(FollowNote{.text = "met at work"});
        f->notes.push_back(FollowNote{.text = "likes tea"});
        s.add(FollowNote{.follower_id = 2, .followed_id = 1, .text = "old friend"});
        s.commit();
    }
    EXPECT_EQ(scalar("SELECT follower_id || ',' || followed_id FROM follow_note WHERE text = 'likes tea'"), "1,3");
    auto s = session();
    auto note = s.query<FollowNote>().where(col(&FollowNote::text) == "old friend").one();
    ASSERT_TRUE(note->follow);
    EXPECT_EQ(note->follow->since, "2026-03-01");
    EXPECT_EQ(note->follow.get(), s.get<Follow>(std::tuple{2, 1}));
    auto f13 = s.get<Follow>(std::tuple{1, 3});
    ASSERT_EQ(f13->notes.size(), 2u);
    EXPECT_EQ(f13->notes[0]->text, "met at work");
    EXPECT_TRUE(s.get<Follow>(std::tuple{1, 2})->notes.empty());

    // Moving a note to another follow writes both foreign-key columns.
    note->follow = f13;
    s.commit();
    EXPECT_EQ(scalar("SELECT follower_id || ',' || followed_id FROM follow_note WHERE text = 'old friend'"), "1,3");
    // Unsetting the reference NULLs both.
    auto s2 = session();
    auto moved = s2.query<FollowNote>().where(col(&FollowNote::text) == "old friend").one();
    moved->follow = nullptr;
    s2.commit();
    EXPECT_EQ(scalar("SELECT count(*) FROM follow_note WHERE follower_id IS NULL AND followed_id IS NULL"), "1");
}

TEST_P(OrmCompositeKey, EagerLoadingOverACompositeForeignKey) {
    {
        auto s = session();
        s.get<Follow>(std::tuple{1, 3})->notes.push_back(FollowNote{.text = "a"});
        s.get<Follow>(std::tuple{2, 1})->notes.push_back(FollowNote{.text = "b"});
        s.get<Follow>(std::tuple{2, 1})->notes.push_back(FollowNote{.text = "c"});
        s.commit();
    }
    for (bool joined : {false, true}) {
        auto s = session();
        auto q = s.query<Follow>().order_by(&Follow::follower_id).order_by(&Follow::followed_id);
        auto follows = joined ? q.options(strata::joined(&Follow::notes)).all() : q.options(strata::selectin(&Follow::notes)).all();
        take_log();
        ASSERT_EQ(follows.size(), 3u);
        EXPECT_EQ(follows[0]->notes.size(), 0u);
        EXPECT_EQ(follows[1]->notes.size(), 1u);
        EXPECT_EQ(follows[2]->notes.size(), 2u);
        EXPECT_TRUE(take_log().empty()) << "loaded with the query";

        auto s2 = session();
        auto nq = s2.query<FollowNote>().order_by(&FollowNote::text);
        auto notes = joined ? nq.options(strata::joined(&FollowNote::follow)).all()
                            : nq.options(strata::selectin(&FollowNote::follow)).all();
        take_log();
        ASSERT_EQ(notes.size(), 3u);
        EXPECT_EQ(notes[0]->follow->since, "2026-02-01");
        EXPECT_EQ(notes[2]->follow->since, "2026-03-01");
        EXPECT_EQ(notes[1]->follow.get(), notes[2]->follow.get());
        EXPECT_TRUE(take_log().empty()) << "loaded with the query";
    }
}

// A target with a composite key keeps its lazy load's ORDER BY: its items
// come in key order where the table holds them in another (on PostgreSQL an
// updated row moves to the end of its table).
TEST_P(OrmCompositeKey, LazyCollectionOfACompositeKeyIsOrderedByTheKey) {
    auto conn = db->connect();
    conn->execute("UPDATE follow SET since = '2026-01-02' WHERE follower_id = 1 AND followed_id = 2");
    auto s = session();
    auto ann = s.get<Member>(1);
    take_log();
    ASSERT_EQ(ann->following.size(), 2u);
    EXPECT_EQ(ann->following[0]->followed_id, 2);
    EXPECT_EQ(ann->following[1]->followed_id, 3);
    auto log = take_log();
    ASSERT_EQ(log.size(), 1u);
    EXPECT_NE(log[0].find("ORDER BY \"follow\".\"follower_id\", \"follow\".\"followed_id\""), std::string::npos) << log[0];
}

TEST_P(OrmCompositeKey, CollectionFromTheTablesForeignKeyAlone) {
    auto s = session();
    auto f = s.get<Follow>(std::tuple{1, 2});
    f->tags.push_back(FollowTag{.tag = "work"});
    s.commit();
    EXPECT_EQ(scalar("SELECT a || ',' || b FROM follow_tag"), "1,2") << "a holds follower_id, b followed_id";
    auto s2 = session();
    auto tag = s2.query<FollowTag>().one();
    EXPECT_EQ(tag->follow.get(), s2.get<Follow>(std::tuple{1, 2}));
    EXPECT_EQ(s2.get<Follow>(std::tuple{1, 2})->tags.size(), 1u);
    EXPECT_TRUE(s2.get<Follow>(std::tuple{2, 1})->tags.empty());
}

TEST_P(OrmCompositeKey, NewRowsOfEveryLevelInOneFlush) {
    auto s = session();
    // Added children first: the flush still writes member, then follow, then note.
    auto note = s.add(FollowNote{.text = "first"});
    auto follow = s.add(Follow{.since = "2026-05-01"});
    auto eve = s.add(Member{.name = "eve"});
    auto fay = s.add(Member{.name = "fay"});
    note->follow = follow;
    follow->follower = eve;
    follow->followed = fay;
    s.commit();
    EXPECT_EQ(note->follower_id, eve->id);
    EXPECT_EQ(note->followed_id, fay->id);
    EXPECT_EQ(scalar("SELECT text FROM follow_note WHERE follower_id = " + std::to_string(eve->id) +
                     " AND followed_id = " + std::to_string(fay->id)),
              "first");
    // Deleting: the note first, then the follow (children first).
    s.remove(note);
    s.remove(follow);
    s.commit();
    EXPECT_EQ(scalar("SELECT count(*) FROM follow WHERE follower_id = " + std::to_string(eve->id)), "0");
}

TEST_P(OrmCompositeKey, BulkUpdateAndRemoveKeepLoadedObjectsTrue) {
    auto s = session();
    auto f12 = s.get<Follow>(std::tuple{1, 2});
    auto f13 = s.get<Follow>(std::tuple{1, 3});
    auto f21 = s.get<Follow>(std::tuple{2, 1});
    EXPECT_EQ(s.query<Follow>().where(col(&Follow::follower_id) == 1).update({{&Follow::since, std::string("2027")}}), 2);
    EXPECT_EQ(f12->since, "2027");
    EXPECT_EQ(f13->since, "2027");
    EXPECT_EQ(f21->since, "2026-03-01");
    // Through a join: the rows are named by the key's row value.
    EXPECT_EQ(s.query<Follow>().join(&Follow::followed).where(col(&Member::name) == "cy").remove(), 1);
    expect_throw<strata::Error>([&] { s.add(f13); });
    EXPECT_FALSE(s.get<Follow>(std::tuple{1, 3}));
    s.commit();
    EXPECT_EQ(scalar("SELECT count(*) FROM follow"), "2");
    EXPECT_EQ(scalar("SELECT since FROM follow WHERE follower_id = 1"), "2027");
    auto e = expect_throw<strata::ConfigError>(
        [&] { s.query<Follow>().update({{&Follow::followed_id, std::int64_t{9}}}); });
    EXPECT_STREQ(e.what(), "strata: update() cannot change the primary key follow.followed_id");
}

TEST_P(OrmCompositeKey, RefreshAndExpireReloadByTheWholeKey) {
    auto s = session();
    auto f = s.get<Follow>(std::tuple{1, 2});
    s.execute("UPDATE follow SET since = 'changed' WHERE follower_id = 1 AND followed_id = 2");
    EXPECT_EQ(f->since, "2026-01-01") << "loaded state until refreshed";
    s.refresh(f);
    EXPECT_EQ(f->since, "changed");
    s.commit();  // expires
    s.execute("UPDATE follow SET since = 'again' WHERE follower_id = 1 AND followed_id = 2");
    s.commit();
    EXPECT_EQ(f->since, "again");
    EXPECT_EQ(s.get<Follow>(std::tuple{1, 3})->since, "2026-02-01");
    s.execute("DELETE FROM follow WHERE follower_id = 1 AND followed_id = 2");
    s.commit();
    expect_throw<strata::ObjectDeletedError>([&] { (void)f->since; });
}

TEST_P(OrmCompositeKey, MergeFindsTheObjectByItsWholeKey) {
    strata::Ptr<Follow> detached;
    {
        auto s = session();
        detached = s.get<Follow>(std::tuple{1, 3});
    }
    detached->since = "merged";
    auto s = session();
    auto mine = s.get<Follow>(std::tuple{1, 2});
    auto merged = s.merge(detached);
    EXPECT_NE(merged, mine);
    EXPECT_EQ(merged, s.get<Follow>(std::tuple{1, 3}));
    EXPECT_EQ(merged->since, "merged");
    EXPECT_EQ(mine->since, "2026-01-01");
    // A key no row has: a new object, inserted.
    strata::Ptr<Follow> fresh;
    {
        auto other = session();
        fresh = other.add(Follow{.follower_id = 3, .followed_id = 2, .since = "new"});
        other.expunge(fresh);
    }
    auto inserted = s.merge(fresh);
    s.commit();
    EXPECT_EQ(inserted->follower_id, 3);
    EXPECT_EQ(scalar("SELECT since FROM follow WHERE follower_id = 1 AND followed_id = 3"), "merged");
    EXPECT_EQ(scalar("SELECT since FROM follow WHERE follower_id = 3 AND followed_id = 2"), "new");
    EXPECT_EQ(scalar("SELECT since FROM follow WHERE follower_id = 1 AND followed_id = 2"), "2026-01-01");
}

TEST_P(OrmCompositeKey, QueryCountAndPaginate) {
    auto s = session();
    EXPECT_EQ(s.query<Follow>().count(), 3);
    EXPECT_EQ(s.query<Follow>().join(&Follow::follower).where(col(&Member::name) == "ann").count(), 2);
    auto page = s.query<Follow>().order_by(&Follow::followed_id).paginate(2, 2);
    EXPECT_EQ(page.total, 3);
    ASSERT_EQ(page.items.size(), 1u);
    EXPECT_EQ(page.items[0]->followed_id, 3);
}

STRATA_INSTANTIATE_BACKENDS(OrmCompositeKey);

// --- declaration errors ------------------------------------------------------------

struct Pair {
    std::int64_t a = 0;
    std::int64_t b = 0;
};
struct PairChild {
    std::int64_t id = 0;
    std::int64_t pair_a = 0;
    strata::BelongsTo<Pair> pair{};
};
struct Tagged {
    std::int64_t id = 0;
    strata::HasMany<Pair> pairs{};
};

}  // namespace
}  // namespace composite_test

template <>
struct strata::primary_key_of<composite_test::Pair> : strata::key<&composite_test::Pair::b, &composite_test::Pair::a> {};

namespace composite_test {
namespace {

void map_pair(strata::Registry& r) {
    r.model<Pair>("pair")
        .column(&Pair::a, "a", strata::primary_key())
        .column(&Pair::b, "b", strata::primary_key());
}

TEST(OrmCompositeKeyDeclaration, KeyOfOtherOrderThanTheColumnsIsAConfigError) {
    strata::Registry r;
    map_pair(r);
    auto e = expect_throw<strata::ConfigError>([&] { (void)r.metadata(); });
    EXPECT_STREQ(e.what(), "strata: Pair: strata::primary_key_of<Pair> names (b, a) but the primary key of table pair "
                           "is (a, b): the same columns, in the order they are declared");
}

TEST(OrmCompositeKeyDeclaration, ReferenceWithTooFewKeyMembersIsAConfigError) {
    strata::Registry r;
    r.model<Pair>("pair")
        .column(&Pair::b, "b", strata::primary_key())
        .column(&Pair::a, "a", strata::primary_key());
    r.model<PairChild>("pair_child")
        .column(&PairChild::id, "id", strata::primary_key())
        .column(&PairChild::pair_a, "pair_a")
        .belongs_to(&PairChild::pair, &PairChild::pair_a);
    auto e = expect_throw<strata::ConfigError>([&] { (void)r.metadata(); });
    EXPECT_STREQ(e.what(), "strata: PairChild's Pair reference: its foreign key has 1 member(s) but the primary key of "
                           "Pair has 2 column(s); belongs_to() takes one member per key column, in order: "
                           "belongs_to(&PairChild::ref, std::tuple{&PairChild::a, &PairChild::b})");
}

TEST(OrmCompositeKeyDeclaration, ManyToManyToACompositeKeyIsAConfigError) {
    strata::Registry r;
    r.model<Pair>("pair")
        .column(&Pair::b, "b", strata::primary_key())
        .column(&Pair::a, "a", strata::primary_key());
    r.table("tagged_pair").column("tagged_id", strata::Integer()).column("pair_id", strata::Integer());
    r.model<Tagged>("tagged")
        .column(&Tagged::id, "id", strata::primary_key())
        .many_to_many(&Tagged::pairs, "tagged_pair", "tagged_id", "pair_id");
    auto e = expect_throw<strata::ConfigError>([&] { (void)r.metadata(); });
    EXPECT_STREQ(e.what(), "strata: Tagged's Pair many-to-many collection: many_to_many() links models with one-column "
                           "keys; Pair has a composite key: map the association table as a model of its own (an "
                           "association object) with belongs_to() to each side");
}

}  // namespace
}  // namespace composite_test
