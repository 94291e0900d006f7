// Models shared by the ORM tests: the tutorial's User / Post, with followers
// (User follows User) and a Tag collection with every cascade.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "strata/strata.hpp"
#include "model_test.hpp"

namespace orm_test {

struct Post;
struct Comment;

struct User {
    std::int64_t id = 0;
    std::string nickname{};
    std::string email{};
    std::optional<std::string> about_me{};
    strata::HasMany<Post> posts{};
    strata::HasMany<User> followed{};   // many-to-many through "followers"
    strata::HasMany<User> followers{};  // its backref
};

struct Post {
    std::int64_t id = 0;
    std::string body{};
    strata::DateTime timestamp{};
    std::optional<std::int64_t> user_id{};
    strata::BelongsTo<User> author{};
    strata::HasMany<Comment> comments{};  // cascade all, delete-orphan
};

struct Comment {
    std::int64_t id = 0;
    std::string text{};
    std::optional<std::int64_t> post_id{};
    strata::BelongsTo<Post> post{};
};

inline void map_models(strata::Registry& r) {
    r.table("followers")
        .column("follower_id", strata::Integer(), strata::foreign_key("user.id"), strata::not_null())
        .column("followed_id", strata::Integer(), strata::foreign_key("user.id"), strata::not_null());
    r.model<User>("user")
        .column(&User::id, "id", strata::primary_key())
        .column(&User::nickname, "nickname", strata::String(64), strata::index(), strata::unique())
        .column(&User::email, "email", strata::String(120), strata::index(), strata::unique())
        .column(&User::about_me, "about_me", strata::String(140))
        .has_many(&User::posts, &Post::author)
        .many_to_many(&User::followed, "followers", "follower_id", "followed_id", &User::followers)
        .repr([](const User& u) { return "<User " + u.nickname + ">"; });
    r.model<Post>("post")
        .column(&Post::id, "id", strata::primary_key())
        .column(&Post::body, "body", strata::String(140))
        .column(&Post::timestamp, "timestamp", strata::index())
        .column(&Post::user_id, "user_id", strata::foreign_key("user.id"))
        .has_many(&Post::comments, &Comment::post, strata::cascade("all, delete-orphan"))
        .repr([](const Post& p) { return "<Post " + p.body + ">"; });
    r.model<Comment>("comment")
        .column(&Comment::id, "id", strata::primary_key())
        .column(&Comment::text, "text", strata::Text())
        .column(&Comment::post_id, "post_id", strata::foreign_key("post.id"));
}

// A database with the models' tables, a registry, and a statement log.
class OrmTest : public strata::testing::ModelTest {
protected:
    void map(strata::Registry& r) override { map_models(r); }

    strata::Session session(strata::SessionOptions options = {}) {
        strata::Session s(*db, registry, options);
        s.on_statement([this](const std::string& sql) { log.push_back(sql); });
        return s;
    }
    // Statements logged since the last call, then forgotten.
    std::vector<std::string> take_log() {
        auto out = std::move(log);
        log.clear();
        return out;
    }
    std::int64_t count_rows(const std::string& table) {
        auto conn = db->connect();
        auto st = conn->prepare("SELECT count(*) FROM " + conn->dialect().quote(table));
        st->step();
        return st->get_int64(0);
    }

    std::vector<std::string> log{};
};

// An OrmTest whose database holds seed()'s rows, committed before each test
// (their statements are not in the log).
class SeededOrmTest : public OrmTest {
protected:
    virtual void seed(strata::Session& s) = 0;

    void SetUp() override {
        OrmTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        auto s = session();
        seed(s);
        s.commit();
        take_log();
    }
};

}  // namespace orm_test
