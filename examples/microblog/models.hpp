// microblog's models: the tutorial's User and Post with the profile fields and
// the followers association table of its later chapters, declared once and
// used by the ORM, by `db create` (create_all) and by autogenerate. The
// committed migrations/ folder holds the same schema as revisions.
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
    std::optional<std::string> about_me{};
    std::optional<strata::DateTime> last_seen{};
    strata::HasMany<Post> posts{};          // one-to-many, loaded lazily
    // Self-referential many-to-many through `followers`. The tutorial's
    // lazy='dynamic' is followed.query(): a query over the collection's rows
    // that loads none of them until run.
    strata::HasMany<User> followed{};       // whom this user follows
    strata::HasMany<User> followers{};      // who follows this user (backref)
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
    // The tutorial's association table. The unique constraint makes a second
    // follow of the same user fail in the database too (two `follow` commands
    // at once), and its index serves "whom does X follow"; the other index
    // serves "who follows X" (feed, stats).
    r.table("followers")
        .column("follower_id", strata::Integer(), strata::foreign_key("user.id"))
        .column("followed_id", strata::Integer(), strata::foreign_key("user.id"), strata::index())
        .unique_constraint("", {"follower_id", "followed_id"});
    r.model<User>("user")
        .column(&User::id, "id", strata::primary_key())
        .column(&User::nickname, "nickname", strata::String(64), strata::index(), strata::unique())
        .column(&User::email, "email", strata::String(120), strata::index(), strata::unique())
        .column(&User::about_me, "about_me", strata::String(140))
        .column(&User::last_seen, "last_seen")
        .has_many(&User::posts, &Post::author)  // backref "author"
        .many_to_many(&User::followed, "followers", "follower_id", "followed_id", &User::followers)
        .repr([](const User& u) { return "<User " + u.nickname + ">"; });
    r.model<Post>("post")
        .column(&Post::id, "id", strata::primary_key())
        .column(&Post::body, "body", strata::String(140))
        .column(&Post::timestamp, "timestamp", strata::index())
        // Indexed: the feed and the statistics look posts up by author.
        .column(&Post::user_id, "user_id", strata::foreign_key("user.id"), strata::index())
        .repr([](const Post& p) { return "<Post " + p.body + ">"; });
}

}  // namespace microblog
