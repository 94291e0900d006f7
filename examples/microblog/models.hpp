// microblog's models: the tutorial's User and Post, declared once and used by
// the ORM, by `db create` (create_all) and by autogenerate.
//
// Members carry a default initializer ({}) so that designated initializers
// (User{.nickname = "john", .email = "..."}) may leave them out under -Wextra.
#pragma once

#include <strata/strata.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace microblog {

struct Post;

struct User {
    std::int64_t id = 0;
    std::string nickname{};
    std::string email{};
    strata::HasMany<Post> posts{};          // one-to-many, loaded lazily
};

struct Post {
    std::int64_t id = 0;
    std::string body{};
    strata::DateTime timestamp{};
    std::optional<std::int64_t> user_id{};  // foreign key -> user.id
    strata::BelongsTo<User> author{};       // the backref of User::posts
};

// Declared once; used by the ORM, by create_all and by autogenerate.
inline void map_models(strata::Registry& r) {
    r.model<User>("user")
        .column(&User::id, "id", strata::primary_key())
        .column(&User::nickname, "nickname", strata::String(64), strata::index(), strata::unique())
        .column(&User::email, "email", strata::String(120), strata::index(), strata::unique())
        .has_many(&User::posts, &Post::author)  // backref "author"
        .repr([](const User& u) { return "<User " + u.nickname + ">"; });
    r.model<Post>("post")
        .column(&Post::id, "id", strata::primary_key())
        .column(&Post::body, "body", strata::String(140))
        .column(&Post::timestamp, "timestamp", strata::index())
        .column(&Post::user_id, "user_id", strata::foreign_key("user.id"))
        .repr([](const Post& p) { return "<Post " + p.body + ">"; });
}

}  // namespace microblog
