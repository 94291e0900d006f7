// The verbs for scripts. Each command opens one session, runs one or two
// statements (tests/microblog_commands_test.cpp counts them) and commits.
#include "commands.hpp"

#include <strata/strata.hpp>

#include <memory>
#include <string_view>
#include <utility>

#include "models.hpp"

namespace microblog {

namespace {

using strata::col;

// The registry, database and session a command works with.
struct Context {
    explicit Context(const Config& config)
        : registry(make_registry()), db(strata::Database::open(config.database_url)), session(db, *registry) {}
    static std::unique_ptr<strata::Registry> make_registry() {
        auto r = std::make_unique<strata::Registry>();
        map_models(*r);
        return r;
    }
    std::unique_ptr<strata::Registry> registry;  // the session refers to it: it must not move
    strata::Database db;
    strata::Session session;
};

[[noreturn]] void unknown_user(const std::string& nickname) {
    throw CommandError("no user named '" + nickname + "'");
}

// Input is checked before it reaches the database: PostgreSQL's VARCHAR(n)
// counts characters and refuses longer text, SQLite would keep it, and a tab
// or line break would split the lines scripts read.
void check_text(std::string_view what, const std::string& value, std::size_t max_chars) {
    if (value.empty()) throw CommandError(std::string(what) + " is empty");
    std::size_t chars = 0;
    for (unsigned char c : value) {
        if (c < 0x20 || c == 0x7f) throw CommandError(std::string(what) + " holds a control character (tab, line break, ...)");
        if ((c & 0xc0) != 0x80) ++chars;  // not a UTF-8 continuation byte: a new character
    }
    if (chars > max_chars)
        throw CommandError(std::string(what) + " is " + std::to_string(chars) + " characters long; at most " +
                           std::to_string(max_chars) + " are kept");
}

// One field of an output line. A value written by another program may hold a
// tab or a line break: those and the backslash print escaped (\t \n \r \\, as
// PostgreSQL's COPY text format does) so that every line stays one record.
std::string field(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        switch (c) {
            case '\t': out += "\\t"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\\': out += "\\\\"; break;
            default: out += c;
        }
    }
    return out;
}

std::string post_line(std::int64_t id, std::string_view nickname, strata::DateTime timestamp, std::string_view body) {
    return std::to_string(id) + "\t" + field(nickname) + "\t" + strata::format_datetime(timestamp) + "\t" + field(body) +
           "\n";
}

// Both users in one SELECT; an unknown one is an error naming it.
std::pair<strata::Ptr<User>, strata::Ptr<User>> find_pair(strata::Session& s, const std::string& first,
                                                           const std::string& second) {
    std::pair<strata::Ptr<User>, strata::Ptr<User>> found;
    for (auto& u : s.query<User>().where(col(&User::nickname).in_({first, second})).all()) {
        if (u->nickname == first) found.first = u;
        if (u->nickname == second) found.second = u;
    }
    if (!found.first) unknown_user(first);
    if (!found.second) unknown_user(second);
    return found;
}

}  // namespace

void add_user(const Config& config, const std::string& nickname, const std::string& email, std::ostream& out) {
    check_text("the nickname", nickname, 64);
    check_text("the email", email, 120);
    std::string line;
    try {
        Context c(config);
        auto user = c.session.add(User{.nickname = nickname, .email = email});
        c.session.flush();  // INSERT: user->id is set
        line = std::to_string(user->id) + "\t" + field(nickname) + "\t" + field(email) + "\n";
        c.session.commit();
    } catch (const strata::IntegrityError&) {
        // The unique indexes refused it (also when another writer got there first): say which.
        Context c(config);
        if (c.session.query<User>().filter_by(&User::nickname, nickname).exists())
            throw CommandError("the nickname '" + nickname + "' is taken");
        if (c.session.query<User>().filter_by(&User::email, email).exists())
            throw CommandError("the email '" + email + "' is taken");
        throw;
    }
    out << line;
}

void add_post(const Config& config, const std::string& nickname, const std::string& body, std::ostream& out) {
    check_text("the body", body, 140);
    Context c(config);
    auto& s = c.session;
    auto author = s.query<User>().filter_by(&User::nickname, nickname).first();
    if (!author) unknown_user(nickname);
    auto post = s.add(Post{.body = body, .timestamp = strata::now(), .user_id = author->id});
    s.flush();  // INSERT: post->id is set
    std::string line = post_line(post->id, author->nickname, post->timestamp, post->body);
    s.commit();
    out << line;
}

// The association row is written with one statement of its own rather than
// through User::followed: appending to a many-to-many collection that is not
// loaded loads it first (it is a set), which would read every user A follows.
// "WHERE NOT EXISTS" makes a second follow write nothing; the unique
// constraint refuses one that races with another writer.
void follow(const Config& config, const std::string& follower, const std::string& followed) {
    Context c(config);
    auto& s = c.session;
    auto [a, b] = find_pair(s, follower, followed);
    if (a->id == b->id) throw CommandError("'" + follower + "' cannot follow themselves");
    const std::int64_t a_id = a->id, b_id = b->id;
    std::int64_t added = 0;
    try {
        added = s.execute(
            "INSERT INTO \"followers\" (\"follower_id\", \"followed_id\") SELECT ?, ? WHERE NOT EXISTS "
            "(SELECT 1 FROM \"followers\" WHERE \"follower_id\" = ? AND \"followed_id\" = ?)",
            a_id, b_id, a_id, b_id);
        s.commit();
    } catch (const strata::IntegrityError&) {
        // Another writer added the same row first (the unique constraint), or
        // removed one of the users (the foreign keys): only the first is "already".
        Context again(config);
        auto link = again.session.execute<std::tuple<std::int64_t>>(
            "SELECT count(*) FROM \"followers\" WHERE \"follower_id\" = ? AND \"followed_id\" = ?", a_id, b_id);
        if (std::get<0>(link.at(0)) == 0) throw;
    }
    if (added == 0) throw CommandError("'" + follower + "' already follows '" + followed + "'");
}

void unfollow(const Config& config, const std::string& follower, const std::string& followed) {
    Context c(config);
    auto& s = c.session;
    auto [a, b] = find_pair(s, follower, followed);
    std::int64_t removed =
        s.execute("DELETE FROM \"followers\" WHERE \"follower_id\" = ? AND \"followed_id\" = ?", a->id, b->id);
    s.commit();
    if (removed == 0) throw CommandError("'" + follower + "' does not follow '" + followed + "'");
}

// The tutorial's followed_posts(), paginated: the count, then the page with
// each post's author joined in. No statement looks the user up first: the
// subqueries find its id, so a feed with posts proves it exists, and only an
// empty one asks.
void show_feed(const Config& config, const std::string& nickname, std::int64_t page, std::int64_t per_page,
               std::ostream& out) {
    Context c(config);
    auto& s = c.session;
    strata::TableRef followers("followers");
    auto user_id = strata::select(&User::id).where(col(&User::nickname) == nickname);
    auto followed_ids = strata::select(followers.col<std::int64_t>("followed_id"))
                            .select_from(followers)
                            .where(followers.col<std::int64_t>("follower_id").in_(user_id));
    auto feed = s.query<Post>()
                    .where(col(&Post::user_id).in_(followed_ids) || col(&Post::user_id).in_(user_id))
                    .options(strata::joined(&Post::author))
                    .order_by(strata::desc(&Post::timestamp))
                    .order_by(strata::desc(&Post::id))
                    .paginate(page, per_page);
    if (feed.total == 0 && !s.query<User>().filter_by(&User::nickname, nickname).exists()) unknown_user(nickname);
    for (const auto& post : feed.items) out << post_line(post->id, post->author->nickname, post->timestamp, post->body);
    out << "page " << feed.page << " of " << feed.pages << ", " << feed.total << " posts\n";
}

// One statement: each user's three counts are correlated subqueries, each an
// index lookup (ix_post_user_id, ix_followers_followed_id, and the unique
// constraint's index on follower_id).
void show_stats(const Config& config, std::ostream& out) {
    Context c(config);
    strata::TableRef by_followed("followers", "followers_of"), by_follower("followers", "following_of");
    auto posts = strata::label(
        "posts", strata::scalar(strata::select(strata::count()).select_from<Post>().where(col(&Post::user_id) == col(&User::id))));
    auto followers = strata::scalar(strata::select(strata::count())
                                        .select_from(by_followed)
                                        .where(by_followed.col<std::int64_t>("followed_id") == col(&User::id)));
    auto following = strata::scalar(strata::select(strata::count())
                                        .select_from(by_follower)
                                        .where(by_follower.col<std::int64_t>("follower_id") == col(&User::id)));
    auto rows = c.session.select(&User::nickname, posts, followers, following)
                    .order_by(strata::desc(posts))
                    .order_by(&User::nickname)
                    .all();
    for (const auto& [nickname, n_posts, n_followers, n_following] : rows)
        out << field(nickname) << "\t" << n_posts << "\t" << n_followers << "\t" << n_following << "\n";
}

}  // namespace microblog
