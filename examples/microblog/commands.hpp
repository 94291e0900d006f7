// microblog's command-line verbs for scripts: user add, post, follow,
// unfollow, feed, stats. Each prints tab-separated lines (README.md, "The
// commands") and runs at most two SQL statements, whatever the data.
#pragma once

#include <cstdint>
#include <ostream>
#include <stdexcept>
#include <string>

#include "config.hpp"

namespace microblog {

// A command refused: an unknown user, a second follow, a body too long, ...
// main() prints "error: <what>" and exits 1.
class CommandError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Prints "id<TAB>nickname<TAB>email" of the new user.
void add_user(const Config& config, const std::string& nickname, const std::string& email, std::ostream& out);
// Prints the new post as a feed line: "id<TAB>nickname<TAB>timestamp<TAB>body".
void add_post(const Config& config, const std::string& nickname, const std::string& body, std::ostream& out);
// Refuses following oneself and following twice; prints nothing.
void follow(const Config& config, const std::string& follower, const std::string& followed);
// Refuses when `follower` does not follow `followed`; prints nothing.
void unfollow(const Config& config, const std::string& follower, const std::string& followed);
// The posts of the users `nickname` follows and its own, newest first, one
// feed line each, then "page P of N, T posts".
void show_feed(const Config& config, const std::string& nickname, std::int64_t page, std::int64_t per_page,
               std::ostream& out);
// Every user: "nickname<TAB>posts<TAB>followers<TAB>following", by posts
// descending, then nickname.
void show_stats(const Config& config, std::ostream& out);

}  // namespace microblog
