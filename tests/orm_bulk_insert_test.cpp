// Bulk insert: on PostgreSQL a flush sends the new rows of a table in
// multi-row INSERTs (one round trip per 1000 rows), keys written back in
// order, and 1000 rows or more by COPY with keys drawn from the sequence
// first; on SQLite one prepared INSERT per row. Self-references end a batch.
#include <algorithm>
#include <map>

#include "orm_models.hpp"

namespace orm_test {
namespace {

using strata::testing::expect_throw;

struct Node {
    std::int64_t id = 0;
    std::string name{};
    std::optional<std::int64_t> parent_id{};
    strata::BelongsTo<Node> parent{};
    strata::HasMany<Node> children{};
};

// Eleven columns: 1000 rows of it are 10,000 parameters.
struct Wide {
    std::int64_t id = 0;
    std::string c1{}, c2{}, c3{}, c4{}, c5{};
    std::int64_t n1 = 0, n2 = 0, n3 = 0, n4 = 0, n5 = 0;
};

class OrmBulkInsert : public OrmTest {
protected:
    void SetUp() override {
        registry.model<Node>("node")
            .column(&Node::id, "id", strata::primary_key())
            .column(&Node::name, "name", strata::String(40))
            .column(&Node::parent_id, "parent_id", strata::foreign_key("node.id"))
            .has_many(&Node::children, &Node::parent);
        registry.model<Wide>("wide")
            .column(&Wide::id, "id", strata::primary_key())
            .column(&Wide::c1, "c1").column(&Wide::c2, "c2").column(&Wide::c3, "c3")
            .column(&Wide::c4, "c4").column(&Wide::c5, "c5")
            .column(&Wide::n1, "n1").column(&Wide::n2, "n2").column(&Wide::n3, "n3")
            .column(&Wide::n4, "n4").column(&Wide::n5, "n5");
        OrmTest::SetUp();
    }

    std::size_t inserts_into(const std::string& table) { return logged("INSERT INTO " + quoted(table)); }
    // Statements logged since the last take_log() that start with prefix (forgets the log).
    std::size_t logged(const std::string& prefix) {
        std::size_t n = 0;
        for (const auto& sql : take_log()) n += sql.starts_with(prefix);
        return n;
    }
    std::string quoted(const std::string& table) { return db->dialect().quote(table); }

    // nickname -> id as stored, read without the ORM.
    std::map<std::string, std::int64_t> user_ids_in_db() {
        auto conn = db->connect();
        auto st = conn->prepare("SELECT nickname, id FROM \"user\"");
        std::map<std::string, std::int64_t> out;
        while (st->step()) out[std::string(st->get_text(0))] = st->get_int64(1);
        return out;
    }
};

TEST_P(OrmBulkInsert, ManyNewRowsOfOneTableGoInOneCopyWithTheirKeysWrittenBack) {
    auto s = session();
    std::vector<strata::Ptr<User>> users;
    for (int i = 0; i < 2500; ++i)
        users.push_back(s.add(User{.nickname = "u" + std::to_string(i), .email = "u" + std::to_string(i) + "@x.org"}));
    take_log();
    s.commit();
    // PostgreSQL: one COPY; SQLite: one prepared INSERT per row (no round trips to save).
    const auto log = take_log();
    EXPECT_EQ(std::count_if(log.begin(), log.end(), [&](auto& q) { return q.starts_with("INSERT INTO " + quoted("user")); }),
              is_sqlite() ? 2500 : 0);
    EXPECT_EQ(std::count_if(log.begin(), log.end(), [&](auto& q) { return q.starts_with("COPY " + quoted("user")); }),
              is_sqlite() ? 0 : 1);
    auto stored = user_ids_in_db();
    ASSERT_EQ(stored.size(), 2500u);
    std::set<std::int64_t> distinct;
    for (auto& u : users) {
        EXPECT_EQ(stored.at(u->nickname), u->id) << u->nickname;
        distinct.insert(u->id);
    }
    EXPECT_EQ(distinct.size(), 2500u);
    // The identity map knows every new row by its key.
    for (auto& u : users) EXPECT_EQ(s.get<User>(u->id), u);
}

// A wide model's batch stays under libpq's limit on a statement's parameter
// description (10,000 parameters in one INSERT lost the connection).
TEST_P(OrmBulkInsert, AWideModelsRowsAllArriveWithTheirKeys) {
    auto s = session();
    std::vector<strata::Ptr<Wide>> rows;
    for (std::int64_t i = 0; i < 999; ++i) {  // one row short of a COPY
        const std::string t = "r" + std::to_string(i);
        rows.push_back(s.add(Wide{.c1 = t, .c2 = t, .c3 = t, .c4 = t, .c5 = t, .n1 = i, .n2 = i, .n3 = i, .n4 = i, .n5 = i}));
    }
    take_log();
    s.commit();
    EXPECT_EQ(inserts_into("wide"), is_sqlite() ? 999u : 2u) << "PostgreSQL: 636 rows (6996 parameters) per INSERT";
    EXPECT_EQ(count_rows("wide"), 999);
    auto conn = db->connect();
    auto st = conn->prepare("SELECT c5, n5 FROM wide WHERE id = " + conn->dialect().placeholder(1));
    for (auto& r : rows) {
        st->bind(1, r->id);
        ASSERT_TRUE(st->step()) << r->id;
        EXPECT_EQ(st->get_text(0), r->c5);
        EXPECT_EQ(st->get_int64(1), r->n5);
        st->reset();
    }
}

// A COPY that fails (here a duplicate nickname in row 1201) changes nothing:
// the objects are pending again without the keys drawn for them, and once
// fixed they commit.
TEST_P(OrmBulkInsert, AFailedCopyLeavesTheDatabaseUnchangedAndTheObjectsPending) {
    {
        auto s = session();
        s.add(User{.nickname = "taken", .email = "taken@x.org"});
        s.commit();
    }
    auto s = session();
    std::vector<strata::Ptr<User>> users;
    for (int i = 0; i < 1500; ++i) {
        const std::string nick = i == 1200 ? "taken" : "u" + std::to_string(i);
        users.push_back(s.add(User{.nickname = nick, .email = "u" + std::to_string(i) + "@x.org"}));
    }
    auto e = expect_throw<strata::IntegrityError>([&] { s.flush(); });
    EXPECT_NE(std::string(e.what()).find("nickname"), std::string::npos) << e.what();
    EXPECT_EQ(count_rows("user"), 1);
    for (auto& u : users) ASSERT_EQ(u->id, 0) << u->nickname << ": the key drawn for it is gone";
    users[1200]->nickname = "u1200";
    s.commit();
    EXPECT_EQ(count_rows("user"), 1501);
    auto stored = user_ids_in_db();
    for (auto& u : users) EXPECT_EQ(stored.at(u->nickname), u->id) << u->nickname;
}

// Rows that may point at each other (a self-referencing table) are never
// sent by COPY: a child needs its parent's key, drawn in the same batch.
TEST_P(OrmBulkInsert, ASelfReferencingTableIsNotCopied) {
    auto s = session();
    auto root = s.add(Node{.name = "root"});
    for (int i = 0; i < 1200; ++i) {
        auto child = s.add(Node{.name = "n" + std::to_string(i)});
        child->parent = root;
    }
    take_log();
    s.commit();
    EXPECT_EQ(logged("COPY "), 0u);
    EXPECT_EQ(count_rows("node"), 1201);
    auto conn = db->connect();
    auto st = conn->prepare("SELECT count(*) FROM node WHERE parent_id = " + std::to_string(root->id));
    ASSERT_TRUE(st->step());
    EXPECT_EQ(st->get_int64(0), 1200);
}

TEST_P(OrmBulkInsert, ChildrenOfNewParentsGetTheParentsKeys) {
    auto s = session();
    std::vector<strata::Ptr<Post>> posts;
    for (int u = 0; u < 30; ++u) {
        auto user = s.add(User{.nickname = "n" + std::to_string(u), .email = std::to_string(u) + "@x.org"});
        for (int p = 0; p < 3; ++p) {
            auto post = s.add(Post{.body = "p" + std::to_string(p) + " of n" + std::to_string(u)});
            post->author = user;
            posts.push_back(post);
        }
    }
    s.commit();
    s.close();
    auto conn = db->connect();
    auto st = conn->prepare("SELECT post.body, \"user\".nickname FROM post JOIN \"user\" ON \"user\".id = post.user_id");
    int joined = 0;
    while (st->step()) {
        std::string body(st->get_text(0)), nickname(st->get_text(1));
        EXPECT_TRUE(body.ends_with(" of " + nickname)) << body << " joined to " << nickname;
        ++joined;
    }
    EXPECT_EQ(joined, 90);
}

TEST_P(OrmBulkInsert, BatchStatementsPerTable) {
    auto s = session();
    for (int u = 0; u < 5; ++u) {
        auto user = s.add(User{.nickname = "n" + std::to_string(u), .email = std::to_string(u) + "@x.org"});
        for (int p = 0; p < 4; ++p) s.add(Post{.body = "b"})->author = user;
    }
    take_log();
    s.flush();
    std::size_t users = 0, posts = 0;
    for (const auto& sql : take_log()) {
        users += sql.starts_with("INSERT INTO " + quoted("user"));
        posts += sql.starts_with("INSERT INTO " + quoted("post"));
    }
    EXPECT_EQ(users, is_sqlite() ? 5u : 1u);
    EXPECT_EQ(posts, is_sqlite() ? 20u : 1u);
}

TEST_P(OrmBulkInsert, ASelfReferenceEndsTheBatchSoTheParentHasItsKey) {
    auto s = session();
    // Two independent roots, then a chain root -> a -> b, then two more leaves of the root.
    auto r1 = s.add(Node{.name = "r1"});
    auto r2 = s.add(Node{.name = "r2"});
    auto a = s.add(Node{.name = "a"});
    a->parent = r1;
    auto b = s.add(Node{.name = "b"});
    b->parent = a;
    auto c = s.add(Node{.name = "c"});
    c->parent = r2;
    take_log();
    s.commit();
    // PostgreSQL: [r1 r2] | [a] (needs r1) | [b c] (b needs a; c's parent r2 was sent already).
    EXPECT_EQ(inserts_into("node"), is_sqlite() ? 5u : 3u);
    s.close();
    auto conn = db->connect();
    auto st = conn->prepare("SELECT child.name, parent.name FROM node child JOIN node parent ON parent.id = child.parent_id "
                            "ORDER BY child.name");
    std::vector<std::string> pairs;
    while (st->step()) pairs.push_back(std::string(st->get_text(0)) + "<-" + std::string(st->get_text(1)));
    EXPECT_EQ(pairs, (std::vector<std::string>{"a<-r1", "b<-a", "c<-r2"}));
}

TEST_P(OrmBulkInsert, ExplicitKeysAndDatabaseKeysGoInSeparateBatches) {
    auto s = session();
    auto x = s.add(User{.id = 100, .nickname = "x", .email = "x@x.org"});
    auto y = s.add(User{.id = 101, .nickname = "y", .email = "y@x.org"});
    auto z = s.add(User{.nickname = "z", .email = "z@x.org"});
    auto w = s.add(User{.nickname = "w", .email = "w@x.org"});
    take_log();
    s.commit();
    EXPECT_EQ(inserts_into("user"), is_sqlite() ? 4u : 2u);
    auto stored = user_ids_in_db();
    EXPECT_EQ(stored.at("x"), 100);
    EXPECT_EQ(stored.at("y"), 101);
    EXPECT_EQ(stored.at("z"), z->id);
    EXPECT_EQ(stored.at("w"), w->id);
    EXPECT_NE(z->id, w->id);
}

TEST_P(OrmBulkInsert, AFailedBatchLeavesTheDatabaseUnchangedAndTheObjectsPending) {
    auto s = session();
    std::vector<strata::Ptr<User>> users;
    for (int i = 0; i < 10; ++i)
        users.push_back(s.add(User{.nickname = "u" + std::to_string(i), .email = "u" + std::to_string(i) + "@x.org"}));
    users.push_back(s.add(User{.nickname = "u3", .email = "dup@x.org"}));  // nickname is unique
    auto e = expect_throw<strata::IntegrityError>([&] { s.flush(); });
    EXPECT_NE(std::string(e.what()).find(is_sqlite() ? "UNIQUE constraint failed: user.nickname" : "ix_user_nickname"),
              std::string::npos)
        << e.what();
    for (auto& u : users) EXPECT_EQ(u->id, 0) << u->nickname;  // no key from the failed INSERT
    s.rollback();
    EXPECT_EQ(count_rows("user"), 0);
    // The session is usable again: new rows insert.
    auto s2 = session();
    for (int i = 0; i < 10; ++i) s2.add(User{.nickname = "v" + std::to_string(i), .email = std::to_string(i) + "@v.org"});
    s2.commit();
    EXPECT_EQ(count_rows("user"), 10);
}

// Rows of one flush through one statement: each keeps its own NULLs, texts
// and time stamps, whatever the row before it bound (SQLite leaves a NULL
// that is already bound and reuses a time stamp's text; the same values go
// in multi-row INSERTs on PostgreSQL), and is persistent with the saved
// values of what it wrote.
TEST_P(OrmBulkInsert, EachRowOfAFlushStoresItsOwnNullsTextsAndTimes) {
    using namespace std::chrono;
    const strata::DateTime t1 = time_point_cast<microseconds>(sys_days{2026y / 11 / 27} + 12h);
    const strata::DateTime t2 = t1 + 1s + 1us;
    const std::vector<std::optional<std::string>> about{std::nullopt, "a", std::nullopt, std::nullopt, "b", "c", std::nullopt};
    const std::vector<strata::DateTime> stamps{t1, t1, t2, t1, t2, t2, t1};
    auto s = session();
    std::vector<strata::Ptr<User>> users;
    for (std::size_t i = 0; i < about.size(); ++i) {
        const std::string n = "n" + std::to_string(i);
        users.push_back(s.add(User{.nickname = n, .email = n + "@x.org", .about_me = about[i]}));
        auto post = s.add(Post{.body = "p" + std::to_string(i), .timestamp = stamps[i]});
        post->author = users.back();
    }
    s.flush();
    take_log();
    s.flush();  // the saved values taken at the INSERT are what it wrote: nothing to update
    EXPECT_TRUE(take_log().empty());
    s.commit();
    auto conn = db->connect();
    const strata::Dialect& d = conn->dialect();
    auto st = conn->prepare("SELECT u.about_me, p." + d.quote("timestamp") + " FROM " + d.quote("user") +
                            " u JOIN post p ON p.user_id = u.id WHERE u.id = " + d.placeholder(1));
    for (std::size_t i = 0; i < users.size(); ++i) {
        SCOPED_TRACE(i);
        st->bind(1, users[i]->id);
        ASSERT_TRUE(st->step());
        EXPECT_EQ(st->is_null(0) ? std::nullopt : std::optional<std::string>(st->get_text(0)), about[i]);
        EXPECT_EQ(st->get_datetime(1), stamps[i]);
        st->reset();
        EXPECT_EQ(users[i]->about_me, about[i]);  // expired by the commit: reloaded as written
        EXPECT_EQ(users[i]->posts.size(), 1u);
    }
}

STRATA_INSTANTIATE_BACKENDS(OrmBulkInsert);

}  // namespace
}  // namespace orm_test
