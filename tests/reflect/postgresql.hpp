// Models reflected from a database by `db reflect`: 5 mapped structs, 1 plain table.
// SQL names are kept in the mapping; the C++ names are made from them
// (docs/migrations.md, "Adopting an existing database"). Edit freely.
#pragma once

#include <strata/strata.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace reflected_postgresql {

struct User;
struct UserProfile;
struct Post;
struct Comment;
struct EveryType;

struct User {
    std::int64_t id{};
    std::optional<std::string> nickname{};
    std::optional<std::string> email{};
    strata::HasMany<UserProfile> User_Profiles{};
    strata::HasMany<Post> posts{};
    strata::HasMany<User> followers{};
    strata::HasMany<User> followed{};
};

struct UserProfile {
    std::int64_t id{};
    std::optional<std::string> class_{};
    std::optional<std::int64_t> _1st{};
    std::optional<std::string> my_col{};
    std::optional<std::string> we_ird{};
    std::optional<std::string> back_slash{};
    std::optional<std::string> tri{};
    std::optional<std::string> new_line{};
    std::optional<std::int64_t> user_id{};
    std::optional<std::int64_t> unix_{};
    strata::BelongsTo<User> user{};
};

struct Post {
    std::int64_t id{};
    std::optional<std::string> body{};
    std::optional<strata::DateTime> timestamp{};
    std::optional<std::int64_t> user_id{};
    strata::BelongsTo<User> user{};
    strata::HasMany<Comment> comments{};
};

struct Comment {
    std::int64_t id{};
    std::string body{};
    std::optional<std::int64_t> parent_id{};
    std::int64_t post_id{};
    strata::BelongsTo<Comment> parent{};
    strata::BelongsTo<Post> post{};
    strata::HasMany<Comment> comments{};
};

struct EveryType {
    std::int64_t id{};
    std::int64_t i{};
    std::optional<std::int64_t> bi{};
    std::optional<std::int16_t> si{};
    bool flag{};
    std::optional<double> ratio{};
    std::optional<strata::Decimal> price{};
    std::string code{};
    std::optional<std::string> notes{};
    std::optional<strata::DateTime> created{};
    std::optional<strata::Date> day{};
    std::optional<strata::Time> at{};
    std::optional<strata::Blob> data{};
    std::optional<std::string> mood{};
};

inline void map_models(strata::Registry& r) {
    r.model<User>("user")
        .column(&User::id, "id", strata::Integer(), strata::primary_key())
        .column(&User::nickname, "nickname", strata::String(64))
        .column(&User::email, "email", strata::String(120))
        .has_many(&User::User_Profiles, &UserProfile::user)
        .has_many(&User::posts, &Post::user)
        .many_to_many(&User::followers, "followers", "followed_id", "follower_id", &User::followed);
    r.model<UserProfile>("User Profile")
        .column(&UserProfile::id, "ID", strata::Integer(), strata::primary_key())
        .column(&UserProfile::class_, "class", strata::String(10))
        .column(&UserProfile::_1st, "1st", strata::Integer())
        .column(&UserProfile::my_col, "my col", strata::Text())
        .column(&UserProfile::we_ird, "we\"ird", strata::Text())
        .column(&UserProfile::back_slash, "back\\slash", strata::Text())
        .column(&UserProfile::tri, "?\?=tri", strata::Text())
        .column(&UserProfile::new_line, "new\012line */", strata::Text())
        .column(&UserProfile::user_id, "user_id", strata::Integer())
        .column(&UserProfile::unix_, "unix", strata::Integer())
        .belongs_to(&UserProfile::user, &UserProfile::user_id);
    r.model<Post>("post")
        .column(&Post::id, "id", strata::Integer(), strata::primary_key())
        .column(&Post::body, "body", strata::String(140))
        .column(&Post::timestamp, "timestamp", strata::DateTimeType())
        .column(&Post::user_id, "user_id", strata::Integer())
        .belongs_to(&Post::user, &Post::user_id)
        .has_many(&Post::comments, &Comment::post);
    r.model<Comment>("comment")
        .column(&Comment::id, "id", strata::Integer(), strata::primary_key())
        .column(&Comment::body, "body", strata::Text())
        .column(&Comment::parent_id, "parent_id", strata::Integer())
        .column(&Comment::post_id, "post_id", strata::Integer())
        .belongs_to(&Comment::parent, &Comment::parent_id)
        .belongs_to(&Comment::post, &Comment::post_id)
        .has_many(&Comment::comments, &Comment::parent);
    r.model<EveryType>("every_type")
        .column(&EveryType::id, "id", strata::Integer(), strata::primary_key())
        .column(&EveryType::i, "i", strata::Integer(), strata::server_default("0"))
        .column(&EveryType::bi, "bi", strata::BigInteger())
        .column(&EveryType::si, "si", strata::SmallInteger())
        .column(&EveryType::flag, "flag", strata::Boolean(), strata::server_default("0"))
        .column(&EveryType::ratio, "ratio", strata::Float())
        .column(&EveryType::price, "price", strata::Numeric(10, 2))
        .column(&EveryType::code, "code", strata::String(8), strata::server_default("'none'"))
        .column(&EveryType::notes, "notes", strata::Text())
        .column(&EveryType::created, "created", strata::DateTimeType())
        .column(&EveryType::day, "day", strata::DateType())
        .column(&EveryType::at, "at", strata::TimeType())
        .column(&EveryType::data, "data", strata::LargeBinary())
        .column(&EveryType::mood, "mood", strata::Enum({"happy", "sad"}));
    // An association table (many_to_many above).
    r.table("followers")
        .column("follower_id", strata::Integer())
        .column("followed_id", strata::Integer())
        .foreign_key("followers_followed_id_fkey", {"followed_id"}, "user", {"id"})
        .foreign_key("followers_follower_id_fkey", {"follower_id"}, "user", {"id"});
    r.table("user")
        .index("ix_user_email", {"email"}, true)
        .index("ix_user_nickname", {"nickname"}, true)
        .primary_key_name("user_pkey");
    r.table("User Profile")
        .index("ix \"q\" \\", {"my col"})
        .foreign_key("odd \"fk\" \\", {"user_id"}, "user", {"id"})
        .primary_key_name("User Profile_pkey");
    r.table("User Profile").checks.push_back({"we*/ck", "(\"1st\" >= 0) AND (\"my col\" <> 'it''s \"x\" \\'::text)"});
    r.table("post")
        .index("ix_post_timestamp", {"timestamp"})
        .foreign_key("post_user_id_fkey", {"user_id"}, "user", {"id"})
        .primary_key_name("post_pkey");
    r.table("comment")
        .foreign_key("comment_parent_id_fkey", {"parent_id"}, "comment", {"id"})
        .foreign_key("fk_comment_post_id_post", {"post_id"}, "post", {"id"}, "CASCADE")
        .primary_key_name("comment_pkey");
    r.table("comment").checks.push_back({"comment_body_check", "length(body) > 0"});
    r.table("every_type")
        .unique_constraint("uq_every_type_i_bi", {"i", "bi"})
        .primary_key_name("every_type_pkey");
    r.table("every_type").checks.push_back({"positive_ratio", "ratio > (0)::double precision"});
}

}  // namespace reflected_postgresql
