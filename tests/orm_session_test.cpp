// Session: add / get / identity map / dirty tracking / flush / commit /
// rollback / expunge / refresh / detached objects / threads.
#include <algorithm>
#include <chrono>
#include <memory>
#include <set>
#include <thread>
#include <utility>

#include "orm_models.hpp"

namespace orm_test {
namespace {

using strata::testing::expect_throw;

class OrmSession : public OrmTest {
protected:
    void add_john_and_susan() {
        auto s = session();
        s.add(User{.nickname = "john", .email = "john@email.com"});
        s.add(User{.nickname = "susan", .email = "susan@email.com"});
        s.commit();
    }
    std::string nickname_in_db(std::int64_t id) {
        auto conn = db->connect();
        auto st = conn->prepare("SELECT nickname FROM \"user\" WHERE id = " + std::to_string(id));
        return st->step() ? std::string(st->get_text(0)) : "<none>";
    }
};

TEST_P(OrmSession, AddCommitWritesBackAutoincrementKeys) {
    auto s = session();
    auto john = s.add(User{.nickname = "john", .email = "john@email.com"});
    auto susan = s.add(User{.nickname = "susan", .email = "susan@email.com"});
    EXPECT_EQ(john->id, 0);
    s.commit();
    EXPECT_EQ(john->id, 1);
    EXPECT_EQ(susan->id, 2);
    EXPECT_EQ(count_rows("user"), 2);
    EXPECT_EQ(strata::repr(s.query<User>().order_by(&User::id).all()), "[<User john>, <User susan>]");
}

TEST_P(OrmSession, IdentityMapGivesTheSameObject) {
    add_john_and_susan();
    auto s = session();
    auto a = s.get<User>(1);
    auto b = s.get<User>(1);
    ASSERT_TRUE(a);
    EXPECT_EQ(a.get(), b.get());
    EXPECT_EQ(&*a, &*b);
    auto all = s.query<User>().order_by(&User::id).all();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].get(), a.get());
    take_log();
    auto c = s.get<User>(1);  // from the identity map: no statement
    EXPECT_EQ(c.get(), a.get());
    // Any integer type, or the key as a Value: the same object.
    EXPECT_EQ(s.get<User>(1u).get(), a.get());
    EXPECT_EQ(s.get<User>(std::int16_t{1}).get(), a.get());
    EXPECT_EQ(s.get<User>(std::size_t{1}).get(), a.get());
    EXPECT_EQ(s.get<User>(strata::Value(std::int64_t{1})).get(), a.get());
    EXPECT_TRUE(take_log().empty());
    EXPECT_FALSE(s.get<User>(42));
    EXPECT_FALSE(s.get<User>(strata::Value(std::int64_t{42})));
}

// A handle made after the session ended (here by following a relationship
// loaded while it was open) shares the objects' memory like the first ones:
// it keeps them alive once those are gone.
TEST_P(OrmSession, AHandleMadeAfterTheSessionEndedKeepsTheObjectsAlive) {
    add_john_and_susan();
    {
        auto s = session();
        auto post = s.add(Post{.body = "hello", .timestamp = strata::now()});
        post->author = s.get<User>(1);
        s.commit();
    }
    strata::Ptr<Post> post;
    {
        auto s = session();
        post = s.get<Post>(1);
        ASSERT_EQ(post->author->nickname, "john");  // loaded while the session is open
    }
    strata::Ptr<User> author = post->author.get();
    ASSERT_TRUE(author);
    post = strata::Ptr<Post>();  // the first handle goes: `author` alone holds the objects
    EXPECT_EQ(author->nickname, "john");  // (ASan: a freed object fails the test here)
    EXPECT_EQ(author->email, "john@email.com");
}

TEST_P(OrmSession, AddedObjectIsTheOneGetReturns) {
    auto s = session();
    auto john = s.add(User{.nickname = "john", .email = "john@email.com"});
    s.commit();
    EXPECT_EQ(s.get<User>(john->id).get(), john.get());
}

TEST_P(OrmSession, UpdateNamesOnlyTheChangedColumns) {
    add_john_and_susan();
    auto s = session();
    auto john = s.get<User>(1);
    take_log();
    s.flush();
    EXPECT_TRUE(take_log().empty()) << "nothing changed, nothing written";
    john->email = "john@example.org";
    s.flush();
    auto log = take_log();
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0], is_sqlite() ? "UPDATE \"user\" SET \"email\" = ? WHERE \"id\" = ?"
                                   : "UPDATE \"user\" SET \"email\" = $1 WHERE \"id\" = $2");
    john->nickname = "johnny";
    john->about_me = "hello";
    s.commit();
    log = take_log();
    ASSERT_EQ(log.size(), 1u);
    EXPECT_NE(log[0].find("SET \"nickname\" = "), std::string::npos);
    EXPECT_NE(log[0].find("\"about_me\" = "), std::string::npos);
    EXPECT_EQ(log[0].find("\"email\""), std::string::npos);
    EXPECT_EQ(nickname_in_db(1), "johnny");
    EXPECT_EQ(nickname_in_db(2), "susan");
}

TEST_P(OrmSession, SettingAValueBackToTheLoadedOneWritesNothing) {
    add_john_and_susan();
    auto s = session();
    auto john = s.get<User>(1);
    john->nickname = "other";
    john->nickname = "john";
    take_log();
    s.flush();
    EXPECT_TRUE(take_log().empty());
}

TEST_P(OrmSession, RemoveDeletesTheRow) {
    add_john_and_susan();
    auto s = session();
    auto john = s.get<User>(1);
    s.remove(john);
    EXPECT_FALSE(s.get<User>(1)) << "a removed object is gone from get()";
    s.commit();
    EXPECT_EQ(count_rows("user"), 1);
    EXPECT_FALSE(s.get<User>(1));
    EXPECT_EQ(john->nickname, "john") << "the object itself stays readable";
}

TEST_P(OrmSession, RollbackDiscardsPendingAndExpiresTheRest) {
    add_john_and_susan();
    auto s = session();
    auto john = s.get<User>(1);
    john->nickname = "changed";
    auto bob = s.add(User{.nickname = "bob", .email = "bob@x"});
    s.flush();
    EXPECT_EQ(bob->id, 3);
    s.rollback();
    EXPECT_EQ(count_rows("user"), 2);
    EXPECT_EQ(bob->id, 0) << "the key of a rolled-back INSERT is taken back";
    take_log();
    EXPECT_EQ(john->nickname, "john") << "expired: reloaded from the database";
    EXPECT_EQ(take_log().size(), 1u);
    EXPECT_EQ(john->nickname, "john");
    EXPECT_EQ(take_log().size(), 0u) << "reloaded once";
    EXPECT_EQ(s.query<User>().count(), 2);
    s.commit();
    EXPECT_EQ(count_rows("user"), 2);
}

TEST_P(OrmSession, RollbackBringsBackARemovedObject) {
    add_john_and_susan();
    auto s = session();
    auto john = s.get<User>(1);
    s.remove(john);
    s.flush();
    EXPECT_FALSE(s.get<User>(1));
    s.rollback();
    EXPECT_EQ(s.get<User>(1).get(), john.get());
    EXPECT_EQ(count_rows("user"), 2);
}

TEST_P(OrmSession, SessionIsUsableAfterIntegrityErrorAndRollback) {
    add_john_and_susan();
    auto s = session();
    s.add(User{.nickname = "john", .email = "other@email.com"});  // duplicate nickname
    auto e = expect_throw<strata::IntegrityError>([&] { s.commit(); });
    EXPECT_NE(e.statement().find("INSERT INTO \"user\""), std::string::npos);
    EXPECT_EQ(count_rows("user"), 2) << "the database is unchanged";
    s.rollback();
    auto mary = s.add(User{.nickname = "mary", .email = "mary@email.com"});
    s.commit();
    EXPECT_GT(mary->id, 2) << "PostgreSQL's sequence has moved past the failed INSERT's key";
    EXPECT_EQ(count_rows("user"), 3);
    EXPECT_EQ(s.get<User>(mary->id).get(), mary.get());
}

TEST_P(OrmSession, FailedFlushLeavesObjectsPendingToFixAndRetry) {
    add_john_and_susan();
    auto s = session();
    auto ok = s.add(User{.nickname = "amy", .email = "amy@x"});
    auto dup = s.add(User{.nickname = "john", .email = "dup@x"});
    expect_throw<strata::IntegrityError>([&] { s.flush(); });
    EXPECT_EQ(ok->id, 0) << "the key from the rolled-back INSERT is not kept";
    dup->nickname = "johnny";
    s.commit();
    EXPECT_EQ(count_rows("user"), 4);
    EXPECT_EQ(s.query<User>().filter_by(&User::nickname, "johnny").one().get(), dup.get());
}

TEST_P(OrmSession, DestroyingASessionRollsBackUncommittedWork) {
    {
        auto s = session();
        s.add(User{.nickname = "john", .email = "john@email.com"});
        s.flush();
    }
    EXPECT_EQ(count_rows("user"), 0);
}

TEST_P(OrmSession, ExpungedObjectIsForgotten) {
    add_john_and_susan();
    auto s = session();
    auto john = s.get<User>(1);
    s.expunge(john);
    john->nickname = "not written";
    s.commit();
    EXPECT_EQ(nickname_in_db(1), "john");
    auto again = s.get<User>(1);
    EXPECT_NE(again.get(), john.get());
    EXPECT_EQ(again->nickname, "john");
}

TEST_P(OrmSession, RefreshReloadsFromTheDatabase) {
    add_john_and_susan();
    auto s = session({.expire_on_commit = false});
    auto john = s.get<User>(1);
    s.commit();
    {
        auto conn = db->connect();
        conn->execute("UPDATE \"user\" SET nickname = 'jj' WHERE id = 1");
    }
    EXPECT_EQ(john->nickname, "john");
    s.refresh(john);
    EXPECT_EQ(john->nickname, "jj");
}

// A reload reads each text into the member it had: text longer than the
// member's room builds the member again (ColumnTraits' assign_longer), on a
// short member and on one whose text was already long; shorter text is
// copied into the room it has. Every value comes back exactly, and the
// saved values match them: the commit after writes nothing.
TEST_P(OrmSession, ReloadedTextLongerOrShorterThanItsMemberReadsBackExactly) {
    const std::string long_email = "a.rather.long.address.for.a.test@example.org";
    {
        auto s = session();
        s.add(User{.nickname = "ann", .email = long_email});
        s.commit();
    }
    auto s = session({.expire_on_commit = false});
    auto ann = s.get<User>(1);
    ASSERT_TRUE(ann);
    EXPECT_EQ(ann->email, long_email);
    const std::string longer_nickname = "a nickname past sixteen bytes";  // the column holds 64
    const std::string about(130, 'x');
    const std::string longest_nickname = longer_nickname + ", and longer again than that";
    auto write = [&](const std::string& set) {
        auto conn = db->connect();
        conn->execute("UPDATE \"user\" SET " + set + " WHERE id = 1");
    };
    write("nickname = '" + longer_nickname + "', email = 'a@b.c', about_me = '" + about + "'");
    s.refresh(ann);
    EXPECT_EQ(ann->nickname, longer_nickname);  // short member, long text
    EXPECT_EQ(ann->email, "a@b.c");             // long member, short text
    EXPECT_EQ(ann->about_me, about);            // NULL, then long text
    write("nickname = '" + longest_nickname + "', email = '" + long_email + "', about_me = NULL");
    s.refresh(ann);
    EXPECT_EQ(ann->nickname, longest_nickname);  // long member, longer text
    EXPECT_EQ(ann->email, long_email);
    EXPECT_EQ(ann->about_me, std::nullopt);
    take_log();
    s.commit();
    for (const std::string& sql : take_log()) EXPECT_EQ(sql.find("UPDATE"), std::string::npos) << sql;
    ann->nickname = "ann";  // and a change is still seen
    s.commit();
    EXPECT_EQ(nickname_in_db(1), "ann");
}

TEST_P(OrmSession, DetachedObjectKeepsLoadedDataAndRefusesLazyLoads) {
    add_john_and_susan();
    strata::Ptr<User> john, susan;
    {
        auto s = session();
        john = s.get<User>(1);
        susan = s.get<User>(2);
        EXPECT_EQ(susan->posts.size(), 0u);  // loaded while the session is open
    }
    EXPECT_EQ(john->nickname, "john");
    EXPECT_EQ(susan->posts.size(), 0u);
    auto e = expect_throw<strata::DetachedInstanceError>([&] { (void)john->posts.size(); });
    EXPECT_NE(std::string(e.what()).find("<User john>"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("detached"), std::string::npos) << e.what();
}

TEST_P(OrmSession, CloseDetachesEverythingAndTheSessionGoesOn) {
    add_john_and_susan();
    auto s = session();
    auto john = s.get<User>(1);
    auto amy = s.add(User{.nickname = "amy", .email = "amy@x"});
    s.close();
    EXPECT_EQ(count_rows("user"), 2) << "close() rolls back";
    expect_throw<strata::DetachedInstanceError>([&] { (void)john->posts.size(); });
    auto again = s.get<User>(1);
    EXPECT_NE(again.get(), john.get()) << "a new identity map";
    EXPECT_EQ(again->nickname, "john");
}

TEST_P(OrmSession, CloseWithNoHandleLeftFreesTheObjectsAndTheSessionGoesOn) {
    add_john_and_susan();
    auto s = session();
    EXPECT_EQ(s.query<User>().all().size(), 2u);  // its handles are gone at once
    s.add(User{.nickname = "amy", .email = "amy@x"});
    s.close();  // (ASan: any later use of the freed objects fails the test)
    EXPECT_EQ(count_rows("user"), 2) << "close() rolls back";
    auto all = s.query<User>().order_by(&User::id).all();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[1]->nickname, "susan");
    all[1]->nickname = "sue";
    s.commit();
    EXPECT_EQ(nickname_in_db(2), "sue");
    s.close();  // `all` holds this store: its objects stay, detached (and expired by the rollback)
    expect_throw<strata::DetachedInstanceError>([&] { (void)all[0]->nickname; });
    EXPECT_EQ(s.get<User>(2)->nickname, "sue");
}

TEST_P(OrmSession, UnmappedTypeIsAConfigError) {
    struct Unmapped {
        std::int64_t id = 0;
    };
    auto s = session();
    auto e = expect_throw<strata::ConfigError>([&] { s.query<Unmapped>().all(); });
    EXPECT_NE(std::string(e.what()).find("Unmapped is not mapped"), std::string::npos) << e.what();
}

TEST_P(OrmSession, MemoryOfEndedSessionsIsReusedAndCanBeFreed) {
    constexpr int kUsers = 2000;  // their records fill several full-size (64 KiB) blocks
    {
        auto s = session();
        for (int i = 0; i < kUsers; ++i)
            s.add(User{.nickname = "u" + std::to_string(i), .email = "u" + std::to_string(i) + "@x.org"});
        s.commit();
    }
    strata::release_session_memory();
    std::vector<strata::Ptr<User>> kept;
    {
        auto s = session();
        kept = s.query<User>().order_by(&User::id).all();
        ASSERT_EQ(kept.size(), static_cast<std::size_t>(kUsers));
    }
    EXPECT_EQ(strata::release_session_memory(), 0u) << "the objects are still held: their memory is still theirs";
    EXPECT_EQ(kept.back()->nickname, "u1999");
    kept.clear();  // the last handle goes: the blocks are kept for the next session
    {
        auto s = session();
        auto again = s.query<User>().order_by(&User::id).all();
        ASSERT_EQ(again.size(), static_cast<std::size_t>(kUsers));
        for (int i = 0; i < kUsers; ++i) ASSERT_EQ(again[i]->email, "u" + std::to_string(i) + "@x.org");
        EXPECT_EQ(strata::release_session_memory(), 0u) << "this session took the kept blocks";
    }
    EXPECT_GE(strata::release_session_memory(), 4u * 64 * 1024);
    EXPECT_EQ(strata::release_session_memory(), 0u);
}

// A session's memory (with its first store) is kept per thread for the
// thread's next session, unless handles still hold its objects; a thread
// that ends frees what it kept (a leak here fails the ASan build).
TEST_P(OrmSession, SessionMemoryIsReusedByTheThreadsNextSession) {
    add_john_and_susan();
    const void* first = nullptr;
    {
        auto s = session();
        first = &strata::detail::Access::impl(s);
        EXPECT_EQ(s.get<User>(1)->nickname, "john");
    }
    strata::Ptr<User> held;
    {
        auto s = session();
        EXPECT_EQ(&strata::detail::Access::impl(s), first) << "the ended session's memory is reused";
        held = s.get<User>(2);
    }
    {
        auto s = session();
        EXPECT_NE(&strata::detail::Access::impl(s), first) << "`held` keeps the last session's memory";
        EXPECT_EQ(s.get<User>(1)->nickname, "john");
    }
    EXPECT_EQ(held->nickname, "susan");
    std::thread([&] {
        auto s = session();
        EXPECT_EQ(s.get<User>(2)->nickname, "susan");
    }).join();
}

TEST_P(OrmSession, EightThreadsEachWithTheirOwnSession) {
    constexpr int kThreads = 8, kPerThread = 25;
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            try {
                strata::Session s(*db, registry);
                for (int i = 0; i < kPerThread; ++i) {
                    std::string name = "t" + std::to_string(t) + "_" + std::to_string(i);
                    s.add(User{.nickname = name, .email = name + "@x"});
                    if (i % 5 == 4) s.commit();
                }
                s.commit();
            } catch (const std::exception& e) {
                ADD_FAILURE() << e.what();
                ++failures;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures, 0);
    auto s = session();
    auto users = s.query<User>().all();
    std::set<std::string> names;
    std::set<std::int64_t> ids;
    for (auto& u : users) {
        names.insert(u->nickname);
        ids.insert(u->id);
    }
    EXPECT_EQ(users.size(), static_cast<std::size_t>(kThreads * kPerThread));
    EXPECT_EQ(names.size(), users.size()) << "no duplicated rows";
    EXPECT_EQ(ids.size(), users.size());
}

// A session reads in autocommit mode until its first write: a session that
// has only read holds no lock, so on SQLite two sessions open in one thread
// do not wait for each other (they did when every session began with
// BEGIN IMMEDIATE: the writer waited out the busy timeout, then failed).
TEST_P(OrmSession, AReadingSessionNeitherBlocksNorWaitsForAWriter) {
    add_john_and_susan();
    auto reader = session();
    auto john = reader.get<User>(1);
    {
        auto writer = session();
        writer.add(User{.nickname = "amy", .email = "amy@x"});
        writer.flush();
        EXPECT_EQ(reader.query<User>().count(), 2) << "the writer's row is not committed yet";
        writer.commit();
    }
    EXPECT_EQ(reader.query<User>().count(), 3) << "a read sees the latest committed data";
    john->nickname = "johnny";
    reader.commit();
    EXPECT_EQ(nickname_in_db(1), "johnny");
}

// Flushed but never committed: ending the session rolls it all back (the
// pool does, as the connection goes back), and the connection is reused.
TEST_P(OrmSession, ASessionThatEndsWithoutCommitLeavesTheDatabaseAsItWas) {
    add_john_and_susan();
    {
        auto s = session();
        s.get<User>(1)->nickname = "jj";
        s.add(User{.nickname = "amy", .email = "amy@x"});
        s.flush();
        EXPECT_TRUE(s.connection().in_transaction());
    }
    EXPECT_EQ(nickname_in_db(1), "john");
    EXPECT_EQ(count_rows("user"), 2);
    auto s = session();
    EXPECT_EQ(s.get<User>(1)->nickname, "john");
    EXPECT_EQ(s.query<User>().count(), 2);
}

// A session takes its connection at its first statement, straight into the
// member it keeps it in (Database::connect_borrowed): when the pool has none
// to give (its only one held elsewhere), the get throws and the session holds
// no connection; once one is free, the same session takes it and reads, and
// gives it back as it ends.
TEST_P(OrmSession, ASessionWhoseCheckoutFailedTakesAConnectionLater) {
    strata::DatabaseOptions options;
    options.pool.size = 1;
    options.pool.max_overflow = 0;
    options.pool.timeout = std::chrono::milliseconds(50);
    auto small = open_db(options);
    registry.metadata().create_all(small);
    {
        strata::Session s(small, registry);
        s.add(User{.nickname = "john", .email = "john@email.com"});
        s.commit();
    }
    {
        strata::Session s(small, registry);
        {
            auto held = small.connect();  // the pool's only connection
            expect_throw<strata::OperationalError>([&] { s.get<User>(1); });
        }
        auto john = s.get<User>(1);
        ASSERT_TRUE(john);
        EXPECT_EQ(john->nickname, "john");
    }
    EXPECT_EQ(small.open_connections(), 1);
    auto conn = small.connect();  // back in the pool: a checkout does not wait for it
    EXPECT_TRUE(conn.get());
}

// The first write opens the transaction: a raw write through execute() is
// part of it, and rollback() undoes it with the flushed changes.
TEST_P(OrmSession, ExecuteOpensTheTransactionThatRollbackUndoes) {
    add_john_and_susan();
    auto s = session();
    EXPECT_EQ(s.get<User>(1)->nickname, "john");
    EXPECT_EQ(s.execute("UPDATE \"user\" SET nickname = ? WHERE id = ?", "jj", 1), 1);
    EXPECT_TRUE(s.connection().in_transaction());
    EXPECT_EQ(nickname_in_db(1), "john") << "not committed";
    s.rollback();
    EXPECT_EQ(nickname_in_db(1), "john");
    EXPECT_EQ(s.get<User>(1)->nickname, "john");
}

// begin() opens the transaction before the first read, without a write
// lock. On SQLite (rollback journal) the read's shared lock stays until the
// session ends, so another writer cannot commit (here: its 50 ms busy
// timeout runs out, and its statement is rolled back) until the session
// does. PostgreSQL's readers lock nothing.
TEST_P(OrmSession, BeginOpensTheTransactionForTheReadsThatFollow) {
    add_john_and_susan();
    strata::DatabaseOptions impatient;
    impatient.connection.busy_timeout_ms = 50;
    auto other = open_db(impatient);
    auto other_write = [&] {
        auto conn = other.connect();
        conn->execute("UPDATE \"user\" SET email = 'new@x' WHERE id = 2");
    };
    auto s = session();
    s.begin();
    auto john = s.get<User>(1);
    if (is_sqlite()) {
        auto e = expect_throw<strata::OperationalError>(other_write);
        EXPECT_NE(std::string(e.what()).find("locked"), std::string::npos) << e.what();
    } else {
        other_write();
    }
    john->nickname = "johnny";
    s.commit();
    EXPECT_EQ(nickname_in_db(1), "johnny");
    other_write();  // the lock is gone with the commit
}

// DESIGN.md's shape: db.session() uses the registry created last.
TEST_P(OrmSession, DatabaseSessionUsesTheRegistry) {
    std::int64_t id = 0;
    {
        auto s = db->session();
        auto u = s.add(User{.id = 0, .nickname = "ann", .email = "ann@x.org"});
        s.commit();
        id = u->id;
    }
    auto s = db->session();
    auto again = s.get<User>(id);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->nickname, "ann");
}

STRATA_INSTANTIATE_BACKENDS(OrmSession);

// Counts the objects alive that hold one: an unmapped member of the models
// below, so a test sees every object its session destroys.
struct Live {
    static inline int count = 0;
    Live() { ++count; }
    Live(const Live&) { ++count; }
    Live(Live&&) noexcept { ++count; }
    Live& operator=(const Live&) = default;
    Live& operator=(Live&&) noexcept = default;
    ~Live() { --count; }
};

// Six models of one shape: more than a store keeps a destroy loop for
// (Store::kModels, 4), so the last ones go through the virtual destructor.
template <int N>
struct Thing {
    std::int64_t id = 0;
    std::string name{};
    std::optional<std::string> note{};
    Live live{};
};

template <int N>
void map_thing(strata::Registry& r) {
    r.model<Thing<N>>("thing" + std::to_string(N))
        .column(&Thing<N>::id, "id", strata::primary_key())
        .column(&Thing<N>::name, "name", strata::Text())
        .column(&Thing<N>::note, "note", strata::Text());
}

// A session's end (and a stream batch's) destroys a model's records in one
// loop compiled for the model (Store::destroy_records): every object of
// every model, in whatever order they joined, is destroyed once.
class OrmRecordEnd : public strata::testing::ModelTest {
protected:
    void map(strata::Registry& r) override { map_all(r); }
    static void map_all(strata::Registry& r) {
        [&]<int... N>(std::integer_sequence<int, N...>) { (map_thing<N>(r), ...); }(std::make_integer_sequence<int, 6>{});
    }
    template <int N>
    void insert_things(int count) {
        auto s = session();
        for (int i = 0; i < count; ++i)
            s.add(Thing<N>{.name = "a name longer than fifteen bytes " + std::to_string(i),
                           .note = i % 2 ? std::optional<std::string>{} : std::optional<std::string>{"short"}});
        s.commit();
    }
    void SetUp() override {
        ModelTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        [&]<int... N>(std::integer_sequence<int, N...>) { (insert_things<N>(3), ...); }(std::make_integer_sequence<int, 6>{});
        base = Live::count;
    }
    int base = 0;
};

TEST_P(OrmRecordEnd, EveryObjectOfInterleavedModelsIsDestroyedWithTheSession) {
    {
        auto s = session();
        // Gets of one row of each model in turn: the store's list changes model at every record.
        for (std::int64_t id = 1; id <= 3; ++id) {
            auto get = [&]<int N>() { EXPECT_TRUE(s.get<Thing<N>>(id)) << N << " " << id; };
            [&]<int... N>(std::integer_sequence<int, N...>) {
                (get.template operator()<N>(), ...);
            }(std::make_integer_sequence<int, 6>{});
        }
        // Added objects (built by Session::add) between loaded ones.
        auto added = s.add(Thing<2>{.name = "added after the loads, long enough"});
        s.add(Thing<5>{.name = "another"});
        s.commit();
        EXPECT_EQ(s.query<Thing<0>>().all().size(), 3u);  // already loaded: no new objects
        EXPECT_EQ(added->name, "added after the loads, long enough");
        EXPECT_EQ(Live::count - base, 6 * 3 + 2);
    }
    EXPECT_EQ(Live::count, base);
}

TEST_P(OrmRecordEnd, AStreamsBatchesOfOneModelAreDestroyedAsTheyGo) {
    {
        auto s = session();
        auto kept = s.get<Thing<1>>(1);  // the session's own store: another model's
        int seen = 0;
        for (strata::Ptr<Thing<0>> t : s.query<Thing<0>>().order_by(&Thing<0>::id).stream(2)) {
            ++seen;
            EXPECT_LE(Live::count - base, 1 + 2 + 2);  // the kept one, this batch, at most the last one
            EXPECT_EQ(t->note.has_value(), t->id % 2 == 1);
        }
        EXPECT_EQ(seen, 3);
        EXPECT_EQ(Live::count - base, 1);
    }
    EXPECT_EQ(Live::count, base);
}

// A handle may outlive the session and the registry: the store's end then
// destroys its objects without reading the registry's mappers (a read of one
// after the registry has gone is a use after free, which the sanitizer build
// reports).
TEST_P(OrmRecordEnd, AnObjectKeptPastItsRegistryIsDestroyedWithoutIt) {
    strata::Ptr<Thing<3>> kept;
    {
        auto other = std::make_unique<strata::Registry>();
        map_all(*other);
        strata::Session s(*db, *other);
        kept = s.get<Thing<3>>(2);
        ASSERT_TRUE(kept);
        EXPECT_EQ(s.query<Thing<4>>().all().size(), 3u);
    }
    EXPECT_EQ(Live::count - base, 1 + 3);  // the store lives on with the handle
    EXPECT_EQ(kept->name, "a name longer than fifteen bytes 1");
    kept = {};
    EXPECT_EQ(Live::count, base);
}

STRATA_INSTANTIATE_BACKENDS(OrmRecordEnd);

}  // namespace
}  // namespace orm_test
