// The examples of docs/orm.md, compiled and run on every backend.
// docs_test.cpp checks that every ```cpp block of the guide appears here
// verbatim (indentation aside), so the guide cannot drift from working code.
#include <algorithm>
#include <array>
#include <cassert>
#include <iostream>
#include <sstream>

#include "support.hpp"

// docs/orm.md, "Column types of your own": specialisations of strata::column_type live at namespace scope.
enum class Role { admin, member };        // stored as its name

template <>
struct strata::column_type<Role> : strata::enum_column<Role> {
    static constexpr std::pair<Role, std::string_view> names[] = {{Role::admin, "admin"},
                                                                  {Role::member, "member"}};
};

struct AccountId {                         // a strong id type
    std::int64_t value = 0;
    friend bool operator==(AccountId, AccountId) = default;
};

template <>
struct strata::column_type<AccountId> {
    using stored = std::int64_t;           // one of the built-in member types
    static strata::SqlType sql_type() { return strata::Integer(); }
    static std::int64_t to_stored(AccountId id) { return id.value; }
    static AccountId from_stored(std::int64_t v) { return {v}; }
};

struct Account {
    AccountId id{};
    std::string email{};
    Role role = Role::member;
    std::optional<strata::DateTime> last_seen{};
};

void map_accounts(strata::Registry& r) {
    r.model<Account>("account")
        .column(&Account::id, "id", strata::primary_key())    // Integer, assigned by the database
        .column(&Account::email, "email", strata::String(120))
        .column(&Account::role, "role")                       // Enum(admin,member)
        .column(&Account::last_seen, "last_seen", strata::onupdate(strata::now));
}

// docs/orm.md, "UUID and JSON columns".
struct DeviceId {                          // a UUID type of the program's own
    std::array<std::uint8_t, 16> bytes{};
    friend bool operator==(const DeviceId&, const DeviceId&) = default;
};

template <>
struct strata::column_type<DeviceId> {
    using stored = strata::Blob;           // its 16 bytes
    static strata::SqlType sql_type() { return strata::UuidType(); }
    static strata::Blob to_stored(const DeviceId& id) {
        return strata::Blob(std::vector<std::uint8_t>(id.bytes.begin(), id.bytes.end()));
    }
    static DeviceId from_stored(const strata::Blob& b) {
        if (b.bytes.size() != 16) throw strata::Error("a DeviceId is 16 bytes, not " + std::to_string(b.bytes.size()));
        DeviceId id;
        std::copy(b.bytes.begin(), b.bytes.end(), id.bytes.begin());
        return id;
    }
};

struct Device {
    std::int64_t id = 0;
    DeviceId uid{};
    std::string settings{};                // a JSON document, as its text
};

void map_devices(strata::Registry& r) {
    r.model<Device>("device")
        .column(&Device::id, "id", strata::primary_key())
        .column(&Device::uid, "uid", strata::unique())              // Uuid: a 16-byte BLOB / uuid
        .column(&Device::settings, "settings", strata::JsonType()); // Json: text / jsonb
}

// docs/orm.md, "Composite primary keys": strata::primary_key_of is specialised at namespace scope.
struct Follow;
struct FollowNote;

struct Reader {
    std::int64_t id = 0;
    std::string name{};
    strata::HasMany<Follow> following{};     // the Follow rows of whom this reader follows
    strata::HasMany<Follow> followers{};     // ...and of who follows this reader
};

struct Follow {                              // an association object: a link with a column of its own
    std::int64_t follower_id = 0;
    std::int64_t followed_id = 0;
    strata::DateTime since{};
    strata::BelongsTo<Reader> follower{};
    strata::BelongsTo<Reader> followed{};
    strata::HasMany<FollowNote> notes{};
};

struct FollowNote {                          // references a Follow by both of its key columns
    std::int64_t id = 0;
    std::optional<std::int64_t> follower_id{};
    std::optional<std::int64_t> followed_id{};
    std::string text{};
    strata::BelongsTo<Follow> follow{};
};

template <>
struct strata::primary_key_of<Follow> : strata::key<&Follow::follower_id, &Follow::followed_id> {};

void map_follows(strata::Registry& r) {
    r.model<Reader>("reader")
        .column(&Reader::id, "id", strata::primary_key())
        .column(&Reader::name, "name", strata::String(40))
        .has_many(&Reader::following, &Follow::follower)
        .has_many(&Reader::followers, &Follow::followed);
    r.model<Follow>("follow")
        .column(&Follow::follower_id, "follower_id", strata::primary_key(), strata::foreign_key("reader.id"))
        .column(&Follow::followed_id, "followed_id", strata::primary_key(), strata::foreign_key("reader.id"))
        .column(&Follow::since, "since")
        .belongs_to(&Follow::follower, &Follow::follower_id)
        .belongs_to(&Follow::followed, &Follow::followed_id)
        .has_many(&Follow::notes, &FollowNote::follow);
    r.model<FollowNote>("follow_note")
        .column(&FollowNote::id, "id", strata::primary_key())
        .column(&FollowNote::follower_id, "follower_id")
        .column(&FollowNote::followed_id, "followed_id")
        .column(&FollowNote::text, "text", strata::Text())
        .foreign_key({"follower_id", "followed_id"}, "follow", {"follower_id", "followed_id"})
        .belongs_to(&FollowNote::follow, std::tuple{&FollowNote::follower_id, &FollowNote::followed_id});
}

namespace docs_example {

struct Post;

struct User {
    std::int64_t id = 0;
    std::string nickname{};
    std::string email{};
    std::optional<std::string> about_me{};   // std::optional: a nullable column
    strata::HasMany<Post> posts{};            // one-to-many, loaded lazily
    strata::HasMany<User> followed{};         // many-to-many: whom this user follows
    strata::HasMany<User> followers{};        // ...and who follows this user
};

struct Post {
    std::int64_t id = 0;
    std::string body{};
    strata::DateTime timestamp{};
    std::optional<std::int64_t> user_id{};    // foreign key -> user.id
    strata::BelongsTo<User> author{};         // the backref of User::posts
};

void map_models(strata::Registry& r) {
    r.table("followers")   // a plain association table
        .column("follower_id", strata::Integer(), strata::foreign_key("user.id"))
        .column("followed_id", strata::Integer(), strata::foreign_key("user.id"));
    r.model<User>("user")
        .column(&User::id, "id", strata::primary_key())
        .column(&User::nickname, "nickname", strata::String(64), strata::index(), strata::unique())
        .column(&User::email, "email", strata::String(120), strata::index(), strata::unique())
        .column(&User::about_me, "about_me", strata::String(140))
        .has_many(&User::posts, &Post::author, strata::cascade("all, delete-orphan"))
        .many_to_many(&User::followed, "followers", "follower_id", "followed_id", &User::followers)
        .repr([](const User& u) { return "<User " + u.nickname + ">"; });
    r.model<Post>("post")
        .column(&Post::id, "id", strata::primary_key())
        .column(&Post::body, "body", strata::String(140))
        .column(&Post::timestamp, "timestamp", strata::index())
        .column(&Post::user_id, "user_id", strata::foreign_key("user.id"));
}

using strata::testing::Backend;

class OrmDocs : public strata::testing::BackendTest {
protected:
    void TearDown() override {
        db_.reset();
        BackendTest::TearDown();
    }
    strata::Database& db() { return db_ ? *db_ : db_.emplace(open_db()); }
    // The models' tables, and one user, john, committed.
    void create_tables_with_john(strata::Registry& registry, const std::string& email) {
        map_models(registry);
        registry.metadata().create_all(*db().connect());
        strata::Session s(db(), registry);
        s.add(User{.nickname = "john", .email = email});
        s.commit();
    }
    std::optional<strata::Database> db_;
};

TEST_P(OrmDocs, Overview) {
    std::ostringstream out;
    auto url = this->url();

    strata::Registry registry;
    map_models(registry);
    auto db = strata::Database::open(url);
    registry.metadata().create_all(db);              // CREATE TABLE / CREATE INDEX

    strata::Session s(db);                           // the most recent Registry
    auto john = s.add(User{.nickname = "john", .email = "john@email.com"});
    auto susan = s.add(User{.nickname = "susan", .email = "susan@email.com"});
    s.commit();                                      // john->id == 1, susan->id == 2

    auto p = s.add(Post{.body = "my first post!", .timestamp = strata::now()});
    p->author = john;                                // john->posts now holds p
    s.commit();                                      // p->user_id == john->id

    out << s.query<User>().all() << "\n";            // [<User john>, <User susan>]
    out << john->posts << "\n";                      // [<Post id=1>]

    EXPECT_EQ(out.str(), "[<User john>, <User susan>]\n[<Post id=1>]\n");
    EXPECT_EQ(john->id, 1);
    EXPECT_EQ(susan->id, 2);
    EXPECT_EQ(p->user_id, john->id);
}

TEST_P(OrmDocs, Sessions) {
    strata::Registry registry;
    create_tables_with_john(registry, "john@email.com");
    strata::Session s(db(), registry);

    auto a = s.get<User>(1);
    auto b = s.query<User>().filter_by(&User::nickname, "john").one();
    assert(a.get() == b.get());          // one object per row per session
    EXPECT_EQ(a.get(), b.get());

    std::vector<std::string> log;
    s.on_statement([&](const std::string& sql) { log.push_back(sql); });
    a->email = "john@example.org";
    s.flush();                           // UPDATE "user" SET "email" = ? WHERE "id" = ?
    EXPECT_EQ(log.size(), 1u);
    EXPECT_NE(log.at(0).find("SET \"email\" = "), std::string::npos);
    EXPECT_EQ(log.at(0).find("nickname"), std::string::npos);

    a->nickname = "johnny";
    s.rollback();                        // the UPDATE of email is undone too
    assert(a->nickname == "john");       // expired objects reload on next access
    EXPECT_EQ(a->nickname, "john");
    EXPECT_EQ(a->email, "john@email.com");

    s.add(User{.nickname = "john", .email = "other@email.com"});
    try {
        s.commit();                      // the unique index on nickname refuses it
    } catch (const strata::IntegrityError& e) {
        s.rollback();                    // the session is usable again
    }
    EXPECT_EQ(s.query<User>().count(), 1);
}

TEST_P(OrmDocs, SessionLifecycle) {
    strata::Registry registry;
    create_tables_with_john(registry, "john@email.com");
    strata::Session s(db(), registry);
    std::vector<std::string> log;
    s.on_statement([&](const std::string& sql) { log.push_back(sql); });

    auto u = s.get<User>(1);
    s.commit();                          // u expires
    strata::Session other(db(), registry);
    other.get<User>(1)->email = "j@elsewhere.org";
    other.commit();                      // another session changes the row
    u->email = "john@example.com";       // reloads u first (one SELECT), then changes it
    s.commit();                          // UPDATE "user" SET "email" = ?, compared with the reloaded value
    ASSERT_EQ(log.size(), 3u);           // the get, the reload, the UPDATE
    EXPECT_EQ(log[1].rfind("SELECT", 0), 0u);
    EXPECT_NE(log[2].find("SET \"email\" = "), std::string::npos);
    EXPECT_EQ(s.get<User>(1)->email, "john@example.com");
}

TEST_P(OrmDocs, Queries) {
    strata::Registry registry;
    map_models(registry);
    registry.metadata().create_all(*db().connect());
    strata::Session s(db(), registry);
    auto u = s.add(User{.nickname = "john", .email = "john@email.com"});
    auto susan = s.add(User{.nickname = "susan", .email = "susan@email.com", .about_me = "hi"});
    for (int i = 0; i < 12; ++i) u->posts.push_back(Post{.body = "post " + std::to_string(i), .timestamp = strata::now()});
    s.commit();

    using strata::col;
    auto recent = s.query<Post>()
                      .where(col(&Post::user_id) == u->id)
                      .order_by(strata::desc(&Post::timestamp))
                      .limit(10)
                      .all();
    auto page2 = s.query<Post>().order_by(&Post::id).limit(5).offset(5).all();
    auto quiet = s.query<User>().where(col(&User::about_me).is_null() || col(&User::about_me) == "").all();
    auto johns = s.query<Post>().join(&Post::author).where(col(&User::nickname) == "john").count();
    auto named = s.query<User>().where(col(&User::nickname).in_({"john", "susan"})).first();
    bool any = s.query<Post>().where(col(&Post::body).like("%first%")).exists();

    EXPECT_EQ(recent.size(), 10u);
    EXPECT_EQ(page2.front()->body, "post 5");
    EXPECT_EQ(strata::repr(quiet), "[<User john>]");
    EXPECT_EQ(johns, 12);
    EXPECT_TRUE(named);
    EXPECT_FALSE(any);

    auto by_about = s.query<User>().order_by(strata::asc(&User::about_me).nulls_last()).all();
    auto flagged = s.query<User>().order_by(strata::desc(col(&User::about_me).is_null())).all();
    EXPECT_EQ(strata::repr(by_about), "[<User susan>, <User john>]");
    EXPECT_EQ(strata::repr(flagged), "[<User john>, <User susan>]");

}

// A row of raw SQL read into a plain struct (docs/orm.md, "Raw SQL").
struct Profile {
    std::int64_t id;
    std::optional<std::string> about_me;
};

TEST_P(OrmDocs, RawSql) {
    strata::Registry registry;
    create_tables_with_john(registry, "john@email.com");
    strata::Session s(db(), registry);
    s.add(User{.nickname = "susan", .email = "susan@email.com", .about_me = "hi"});
    s.commit();
    std::ostringstream out;

    auto names = s.execute<std::tuple<std::string>>("SELECT nickname FROM \"user\" WHERE id > ?", 1);
    auto users = s.raw<User>("SELECT * FROM \"user\" WHERE email LIKE ?", {"%@email.com"});
    EXPECT_EQ(std::get<0>(names.at(0)), "susan");
    EXPECT_EQ(users.size(), 2u);

    for (const auto& [id, about] : s.execute<Profile>("SELECT id, about_me FROM \"user\" ORDER BY id"))
        out << id << ": " << about.value_or("(none)") << "\n";          // 1: (none), 2: hi
    auto [posts, last] = s.execute<std::tuple<std::int64_t, std::optional<std::int64_t>>>(
        "SELECT count(*), max(id) FROM post").at(0);                   // 0, std::nullopt
    std::int64_t changed = s.execute("UPDATE \"user\" SET about_me = ? WHERE about_me IS NULL", "new here");  // 1

    EXPECT_EQ(out.str(), "1: (none)\n2: hi\n");
    EXPECT_EQ(posts, 0);
    EXPECT_EQ(last, std::nullopt);
    EXPECT_EQ(changed, 1);
    try {
        s.execute<std::tuple<std::int64_t>>("SELECT nickname FROM \"user\"");
        ADD_FAILURE() << "a text column read as an integer";
    } catch (const strata::Error& e) {
        // strata: execute<R>: column 1 ("nickname") holds text, which cannot be read as the requested type an integer
        EXPECT_NE(std::string(e.what()).find("column 1 (\"nickname\") holds text"), std::string::npos) << e.what();
    }
}

TEST_P(OrmDocs, SelectingColumns) {
    strata::Registry registry;
    map_models(registry);
    registry.metadata().create_all(*db().connect());
    strata::Session s(db(), registry);
    auto john = s.add(User{.nickname = "john", .email = "john@email.com"});
    auto susan = s.add(User{.nickname = "susan", .email = "susan@email.com", .about_me = "hi"});
    s.add(User{.nickname = "mary", .email = "mary@email.com"});
    const auto t0 = strata::now();
    for (int i = 0; i < 3; ++i)
        (i < 2 ? john : susan)->posts.push_back(Post{.body = "post " + std::to_string(i), .timestamp = t0 + std::chrono::seconds(i)});
    john->followed.push_back(susan);
    susan->followed.push_back(john);
    s.commit();

    using strata::col;
    std::vector<std::tuple<std::string, std::optional<std::string>>> about =
        s.select(&User::nickname, &User::about_me).order_by(&User::nickname).all();

    auto [nickname, email] = s.select(&User::nickname, &User::email).where(col(&User::id) == 1).one();
    std::vector<std::string> bodies = s.select(&Post::body).order_by(&Post::id).scalars();

    struct Line {
        std::string nickname;
        std::optional<std::string> body;
    };
    std::vector<Line> lines = s.select(&User::nickname, &Post::body)
                                  .outerjoin(&User::posts)   // Post's columns read as std::optional
                                  .order_by(&User::nickname)
                                  .all_as<Line>();

    EXPECT_EQ(about.at(0), (std::tuple<std::string, std::optional<std::string>>{"john", std::nullopt}));
    EXPECT_EQ(about.at(2), (std::tuple<std::string, std::optional<std::string>>{"susan", "hi"}));
    EXPECT_EQ(nickname, "john");
    EXPECT_EQ(email, "john@email.com");
    EXPECT_EQ(bodies, (std::vector<std::string>{"post 0", "post 1", "post 2"}));
    ASSERT_EQ(lines.size(), 4u);
    EXPECT_EQ(lines.at(2).nickname, "mary");
    EXPECT_FALSE(lines.at(2).body);

    auto posts = strata::label("posts", strata::count(&Post::id));
    std::vector<std::tuple<std::string, std::int64_t>> per_user =
        s.select(&User::nickname, posts)
            .outerjoin(&User::posts)
            .group_by(&User::id, &User::nickname)
            .having(strata::count(&Post::id) < 100)
            .order_by(strata::desc(posts))           // ORDER BY "posts" DESC
            .order_by(&User::nickname)
            .all();

    auto [n, authors, first, last] = s.select(strata::count(), strata::count_distinct(&Post::user_id),
                                              strata::min(&Post::timestamp), strata::max(&Post::timestamp))
                                         .one();
    std::optional<std::int64_t> id_sum = s.select(strata::sum(&Post::id)).scalar();
    std::optional<double> id_mean = s.select(strata::avg(&Post::id)).scalar();
    auto writers = s.select(&Post::user_id).distinct().scalars();

    EXPECT_EQ(per_user, (std::vector<std::tuple<std::string, std::int64_t>>{{"john", 2}, {"susan", 1}, {"mary", 0}}));
    EXPECT_EQ(n, 3);
    EXPECT_EQ(authors, 2);
    EXPECT_EQ(first, t0);
    EXPECT_EQ(last, t0 + std::chrono::seconds(2));
    EXPECT_EQ(id_sum, 6);
    EXPECT_EQ(id_mean, 2.0);
    EXPECT_EQ(writers.size(), 2u);

    strata::TableRef followers("followers");
    auto follower_id = followers.col<std::int64_t>("follower_id");
    auto followed_id = followers.col<std::int64_t>("followed_id");

    // IN (subquery): the feed of john (id 1), the posts of whom he follows plus his own.
    auto followed_by_john = strata::select(followed_id).where(follower_id == 1);
    auto feed = s.select(&Post::id, &User::nickname, &Post::body)
                    .join(&Post::author)
                    .where(col(&Post::user_id).in_(followed_by_john) || col(&Post::user_id) == 1)
                    .order_by(strata::desc(&Post::timestamp))
                    .order_by(strata::desc(&Post::id))
                    .all();

    // Correlated EXISTS, and scalar subqueries as columns: one statement for every user's numbers.
    auto has_posts = strata::exists(strata::select(&Post::id).where(col(&Post::user_id) == col(&User::id)));
    auto silent = s.select(&User::nickname).where(!has_posts).scalars();
    strata::TableRef f1("followers", "f1");
    auto post_count = strata::scalar(
        strata::select(strata::count()).select_from<Post>().where(col(&Post::user_id) == col(&User::id)));
    auto follower_count = strata::scalar(
        strata::select(strata::count()).select_from(f1).where(f1.col<std::int64_t>("followed_id") == col(&User::id)));
    std::vector<std::tuple<std::string, std::int64_t, std::int64_t>> stats =
        s.select(&User::nickname, post_count, follower_count).order_by(&User::nickname).all();

    // A self-join through the association table: who follows whom.
    strata::Alias<User> followed("followed");
    auto follows = s.select(&User::nickname, followed(&User::nickname))
                       .join(followers, follower_id == col(&User::id))
                       .join(followed, followed(&User::id) == followed_id)
                       .all();

    // UNION / UNION ALL of selects of the same types, ordered by a label.
    auto name = strata::label("name", &User::nickname);
    auto names = s.select(name)
                     .where(col(&User::id) == 1)
                     .union_(strata::select(&User::nickname).where(has_posts))
                     .order_by(name)
                     .scalars();

    ASSERT_EQ(feed.size(), 3u);
    EXPECT_EQ(feed.at(0), (std::tuple<std::int64_t, std::string, std::string>{3, "susan", "post 2"}));
    EXPECT_EQ(silent, (std::vector<std::string>{"mary"}));
    EXPECT_EQ(stats, (std::vector<std::tuple<std::string, std::int64_t, std::int64_t>>{
                         {"john", 2, 1}, {"mary", 0, 0}, {"susan", 1, 1}}));
    EXPECT_EQ(follows.size(), 2u);
    EXPECT_EQ(names, (std::vector<std::string>{"john", "susan"}));
}

TEST_P(OrmDocs, BulkUpdateAndDelete) {
    strata::Registry registry;
    create_tables_with_john(registry, "john@email.com");
    strata::Session s(db(), registry);
    auto u = s.query<User>().one();
    for (int i = 0; i < 3; ++i) u->posts.push_back(Post{.body = "post " + std::to_string(i), .timestamp = strata::now()});
    s.commit();
    std::vector<std::string> log;
    s.on_statement([&](const std::string& sql) { log.push_back(sql); });

    using strata::col;
    auto first = u->posts[0];
    first->body = "edited";                  // not flushed yet: the UPDATE flushes it first
    std::int64_t hidden = s.query<Post>()
                              .where(col(&Post::user_id) == u->id)
                              .update({{&Post::body, "[hidden]"}});   // UPDATE "post" SET "body" = ? WHERE ...
    assert(first->body == "[hidden]");       // the session's objects hold the new value
    std::int64_t removed = s.query<Post>().where(col(&Post::body) == "[hidden]").remove();  // DELETE FROM "post" ...
    s.commit();

    EXPECT_EQ(hidden, 3);
    EXPECT_EQ(removed, 3);
    EXPECT_EQ(s.query<Post>().count(), 0);
    EXPECT_EQ(u->posts.size(), 0u);
}

TEST_P(OrmDocs, Streaming) {
    strata::Registry registry;
    create_tables_with_john(registry, "john@email.com");
    strata::Session s(db(), registry);
    for (int i = 0; i < 30; ++i) s.add(User{.nickname = "user" + std::to_string(i), .email = std::to_string(i) + "@x"});
    s.commit();
    std::size_t exported = 0;
    auto export_row = [&](const User& u) { exported += !u.nickname.empty(); };

    for (strata::Ptr<User> u : s.query<User>().order_by(&User::id).stream(10)) {
        export_row(*u);                  // 10 objects in memory at a time
        u->about_me = "exported";        // changes are kept, and written by the next flush
    }
    s.commit();

    EXPECT_EQ(exported, 31u);
    EXPECT_EQ(s.query<User>().where(strata::col(&User::about_me) == "exported").count(), 31);
}

TEST_P(OrmDocs, Pagination) {
    strata::Registry registry;
    create_tables_with_john(registry, "john@email.com");
    strata::Session s(db(), registry);
    auto u = s.query<User>().one();
    for (int i = 1; i <= 12; ++i) u->posts.push_back(Post{.body = "post " + std::to_string(i), .timestamp = strata::now()});
    s.commit();

    strata::Page<Post> page = s.query<Post>().order_by(strata::desc(&Post::id)).paginate(2, 5);
    // page.items: posts 7 to 3; page.total == 12, page.pages == 3
    // page.has_prev, page.has_next; page.prev_num() == 1, page.next_num() == 3
    auto past = s.query<Post>().order_by(&Post::id).paginate(9, 5);   // no items: not an error

    EXPECT_EQ(page.items.size(), 5u);
    EXPECT_EQ(page.items.front()->body, "post 7");
    EXPECT_EQ(page.total, 12);
    EXPECT_EQ(page.pages, 3);
    EXPECT_TRUE(page.has_prev && page.has_next);
    EXPECT_EQ(page.prev_num(), 1);
    EXPECT_EQ(page.next_num(), 3);
    EXPECT_TRUE(past.items.empty());
    EXPECT_THROW(s.query<Post>().paginate(1, 0), strata::ConfigError);
}

TEST_P(OrmDocs, Relationships) {
    strata::Registry registry;
    map_models(registry);
    registry.metadata().create_all(*db().connect());
    {
        strata::Session s(db(), registry);
        auto john = s.add(User{.nickname = "john", .email = "j@x"});
        auto susan = s.add(User{.nickname = "susan", .email = "s@x"});
        for (int i = 0; i < 3; ++i) john->posts.push_back(Post{.body = "j" + std::to_string(i)});
        susan->posts.push_back(Post{.body = "s0"});
        s.commit();
    }
    strata::Session s(db(), registry);
    std::vector<std::string> log;
    s.on_statement([&](const std::string& sql) { log.push_back(sql); });

    auto users = s.query<User>().all();                 // 1 statement
    for (auto& u : users) (void)u->posts.size();        // + 1 per user (lazy: N+1)
    EXPECT_EQ(log.size(), 3u);
    s.expunge(users[0]);
    s.expunge(users[1]);

    log.clear();
    auto eager = s.query<User>().options(strata::selectin(&User::posts)).all();    // 2 statements
    EXPECT_EQ(log.size(), 2u);
    log.clear();
    auto joined = s.query<Post>().options(strata::joined(&Post::author)).all();    // 1 statement
    EXPECT_EQ(log.size(), 1u);

    auto john = s.query<User>().filter_by(&User::nickname, "john").one();
    auto latest = john->posts.query().order_by(strata::desc(&Post::id)).limit(2).all();
    EXPECT_EQ(strata::repr(latest), "[<Post id=3>, <Post id=2>]");

    auto post = john->posts[0];
    auto susan = s.query<User>().filter_by(&User::nickname, "susan").one();
    post->author = susan;                // moves it: john->posts, susan->posts follow
    assert(!john->posts.contains(post) && susan->posts.contains(post));
    EXPECT_FALSE(john->posts.contains(post));
    EXPECT_TRUE(susan->posts.contains(post));

    susan->posts.remove(post);           // delete-orphan: the post is deleted at flush
    john->followed.push_back(susan);     // INSERT INTO followers at flush
    assert(susan->followers.contains(john));
    s.commit();
    EXPECT_EQ(s.query<Post>().count(), 3);

    s.remove(john);                      // cascade delete: his posts go too
    s.commit();
    EXPECT_EQ(s.query<Post>().count(), 1);
    EXPECT_EQ(strata::repr(susan->followers), "[]");
}

TEST_P(OrmDocs, Transactions) {
    strata::Registry registry;
    create_tables_with_john(registry, "j@x");
    auto& db = this->db();

    auto s = db.session();
    s.begin();                                   // one snapshot for the reads; no write lock yet
    auto u = s.get<User>(1);
    u->email = u->nickname + "@example.com";     // based on what we just read
    s.commit();                                  // the write lock, at the flush

    strata::Session check(db, registry);
    EXPECT_EQ(check.get<User>(1)->email, "john@example.com");
}

TEST_P(OrmDocs, RetryingTransactions) {
    strata::Registry registry;
    create_tables_with_john(registry, "j@x");
    auto& db = this->db();

    db.run_transaction([](strata::Session& s) {
        auto u = s.get<User>(1);
        u->email = u->nickname + "@example.com"; // based on what it read
    });                                          // committed; run again if it lost a race

    auto users = db.run_transaction(registry, [](strata::Session& s) { return s.query<User>().count(); });

    EXPECT_EQ(users, 1);
    strata::Session check(db, registry);
    EXPECT_EQ(check.get<User>(1)->email, "john@example.com");
}

TEST_P(OrmDocs, DetachedObjects) {
    strata::Registry registry;
    create_tables_with_john(registry, "j@x");
    strata::Ptr<User> john;
    {
        strata::Session s(db(), registry);
        john = s.query<User>().options(strata::selectin(&User::posts)).first();
    }                                          // the session is gone; john lives on
    std::cout << john->nickname << " has " << john->posts.size() << " posts\n";   // loaded: fine
    try {
        john->followed.size();                 // never loaded
    } catch (const strata::DetachedInstanceError& e) {
        std::cout << e.what() << "\n";
    }
    EXPECT_THROW(john->followed.size(), strata::DetachedInstanceError);

    john->email = "john@new.org";              // a change made while detached
    strata::Session s(db(), registry);
    auto mine = s.merge(john);                 // this session's john, with the change copied onto it
    s.commit();                                // UPDATE "user" SET "email" = ...
    EXPECT_EQ(mine->email, "john@new.org");
    EXPECT_EQ(strata::Session(db(), registry).get<User>(1)->email, "john@new.org");
}

TEST_P(OrmDocs, ColumnTypesAndOnupdate) {
    strata::Registry registry;
    map_accounts(registry);
    registry.metadata().create_all(*db().connect());
    strata::Session s(db(), registry);
    auto ann = s.add(Account{.email = "ann@x.org", .role = Role::admin});
    s.commit();                              // ann->id == AccountId{1}; ann->last_seen is empty
    auto admins = s.query<Account>().where(strata::col(&Account::role) == Role::admin).count();
    ann->email = "ann@example.org";
    s.commit();                              // UPDATE ... SET "email" = ?, "last_seen" = ?

    EXPECT_EQ(ann->id, AccountId{1});
    EXPECT_EQ(admins, 1);
    ASSERT_TRUE(ann->last_seen);
    EXPECT_GE(*ann->last_seen, strata::now() - std::chrono::minutes(1));
    auto rows = s.execute<std::tuple<std::string>>("SELECT role FROM account");
    EXPECT_EQ(std::get<0>(rows.at(0)), "admin");
}

TEST_P(OrmDocs, UuidAndJsonColumns) {
    strata::Registry registry;
    map_devices(registry);
    registry.metadata().create_all(*db().connect());
    strata::Session s(db(), registry);
    auto phone = s.add(Device{.uid = DeviceId{{0x12, 0x34, 0x56, 0x78}}, .settings = R"({"theme": "dark"})"});
    s.commit();
    auto found = s.query<Device>().where(strata::col(&Device::uid) == phone->uid).one();

    EXPECT_EQ(found->uid, (DeviceId{{0x12, 0x34, 0x56, 0x78}}));
    EXPECT_EQ(found->settings, R"({"theme": "dark"})");
    auto stored = s.execute<std::tuple<std::string>>(is_sqlite() ? "SELECT typeof(uid) FROM device"
                                                                  : "SELECT uid::text FROM device");
    EXPECT_EQ(std::get<0>(stored.at(0)), is_sqlite() ? "blob" : "12345678-0000-0000-0000-000000000000");
}

TEST_P(OrmDocs, CompositePrimaryKeys) {
    strata::Registry registry;
    map_follows(registry);
    registry.metadata().create_all(db());
    EXPECT_EQ(registry.metadata().find("follow_note")->foreign_keys.at(0).name,
              "fk_follow_note_follower_id_followed_id_follow");
    strata::Session s(db(), registry);

    auto ann = s.add(Reader{.name = "ann"});
    auto bob = s.add(Reader{.name = "bob"});
    auto f = s.add(Follow{.since = strata::now()});
    f->follower = ann;                   // the key comes from the references at flush
    f->followed = bob;
    s.commit();                          // INSERT reader, reader, then follow
    auto same = s.get<Follow>(std::tuple{ann->id, bob->id});   // the identity map: f itself
    assert(same == f && bob->followers.size() == 1);
    f->notes.push_back(FollowNote{.text = "met at work"});      // both key columns set at flush
    s.commit();

    EXPECT_EQ(same, f);
    EXPECT_EQ(bob->followers.size(), 1u);
    strata::Session s2(db(), registry);
    auto note = s2.query<FollowNote>().one();
    EXPECT_EQ(note->follower_id, ann->id);
    EXPECT_EQ(note->followed_id, bob->id);
    EXPECT_EQ(note->follow->follower->name, "ann");
    EXPECT_EQ(s2.get<Follow>(std::tuple{bob->id, ann->id}), nullptr) << "bob does not follow ann";
}

STRATA_INSTANTIATE_BACKENDS(OrmDocs);

}  // namespace docs_example
