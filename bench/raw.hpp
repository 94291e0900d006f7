// The raw C API side of each workload: what a careful C programmer writes
// with sqlite3 or libpq directly, no abstraction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bench::raw {

// Every column of microblog's user (what strata's side loads), the
// optional ones as the text stored (SQLite) or empty when NULL.
struct User {
    std::int64_t id;
    std::string nickname;
    std::string email;
    std::optional<std::string> about_me{};
    std::optional<std::string> last_seen{};
};

struct Post {
    std::int64_t id;
    std::string body;
    std::int64_t timestamp_us;  // microseconds since 1970-01-01 UTC (SQLite: parsed from the text stored)
    std::int64_t user_id;
};

// W6: one line of microblog's `stats`.
struct Stat {
    std::string nickname;
    std::int64_t posts;
    std::int64_t followers;
    std::int64_t following;
};

// A raw connection to either backend, opened from a strata URL.
class Conn {
public:
    explicit Conn(const std::string& url);
    ~Conn();
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;
    bool postgres() const { return pg_ != nullptr; }
    void exec(const std::string& sql);

    // PostgreSQL: prepared statements (W3, W4 lazy) and binary results throughout, as strata's driver.
    // W1: n users in one transaction (SQLite: one prepared INSERT; PostgreSQL: COPY).
    void insert_users(int n);
    // W2: every user into a vector of structs.
    std::vector<User> load_users();
    // W3: one user by id per call, through one prepared statement.
    User get_user(std::int64_t id);
    // W4: users with posts (PostgreSQL: keys from the sequence, then COPY); posts of one user;
    // posts of many users in one query (PostgreSQL: = ANY of one array parameter).
    void insert_users_with_posts(int users, int posts_each);
    std::vector<Post> posts_of(std::int64_t user_id);
    std::vector<Post> posts_of_all(const std::vector<std::int64_t>& user_ids);
    std::vector<std::int64_t> user_ids();
    // W6: every user's nickname, posts, followers, following; by posts, then nickname.
    std::vector<Stat> stats();
    // W7 (SQLite): every user stepped through, one struct at a time, none
    // kept; returns the sum of the nicknames' lengths.
    std::size_t stream_users();
    // W5: user.email made nullable by SQLite's table rebuild, by hand, in one transaction.
    void make_email_nullable();

private:
    void* sqlite_ = nullptr;   // sqlite3*
    void* pg_ = nullptr;       // PGconn*
    void* get_stmt_ = nullptr; // sqlite3_stmt* for get_user / posts_of
    void* posts_stmt_ = nullptr;
    bool get_user_prepared_ = false;
    bool posts_of_prepared_ = false;
    void prepare_pg(const char* name, const char* sql, bool& prepared);
};

}  // namespace bench::raw
