// The workloads of issue 7, each as a (raw, strata) pair over the same schema.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>

#include "bench.hpp"
#include "examples/microblog/models.hpp"
#include "raw.hpp"
#include "strata/migrate.hpp"
#include "strata/strata.hpp"

namespace bench {

namespace {

// The reference app's own models: the benchmark measures what microblog runs.
using microblog::Post;
using microblog::User;

// W6's association table, declared here unless the models declare it.
void map_followers(strata::Registry& r) {
    strata::Table& followers = r.table("followers");
    if (followers.find_column("follower_id")) return;
    followers.column("follower_id", strata::Integer(), strata::foreign_key("user.id"), strata::index())
        .column("followed_id", strata::Integer(), strata::foreign_key("user.id"), strata::index());
}

strata::DateTime post_time(std::int64_t k) { return strata::DateTime{std::chrono::microseconds{post_time_us(k)}}; }

const strata::Registry& registry() {
    static strata::Registry r;
    static bool mapped = (microblog::map_models(r), map_followers(r), true);
    (void)mapped;
    return r;
}

// State shared by a side's prepare / run / cleanup. prepare() opens the
// connection the run uses and fills it (for in-memory SQLite the data must
// live on that very connection).
struct State {
    std::string url;
    std::optional<strata::Database> db;   // strata side
    std::unique_ptr<raw::Conn> raw;       // raw side
    std::vector<std::int64_t> ids;
    std::vector<std::int64_t> picks;  // W3's keys, drawn before the timed part
    std::size_t sink = 0;  // results are counted so the compiler cannot drop the work
};

// Data for read workloads, written through either side's connection (not timed).
struct Fill {
    int users = 0;
    int posts_each = 0;
    int follows_each = 0;  // W6: user u follows the users u+1+97k (k < follows_each), modulo users
    int picks = 0;         // W3: keys drawn at random (State::picks)
};

// W6's follows (the same SQL on both sides, not timed; post.user_id is indexed by the models).
std::vector<std::string> w6_fill_sql(const Fill& f) {
    if (f.follows_each == 0) return {};
    return {"INSERT INTO followers (follower_id, followed_id) SELECT u.id, ((u.id - 1 + 97 * k.k + 1) % " +
                std::to_string(f.users) + ") + 1 FROM \"user\" u CROSS JOIN (" + [&] {
                    std::string ks;
                    for (int k = 0; k < f.follows_each; ++k) ks += (k ? " UNION ALL SELECT " : "SELECT ") + std::to_string(k) + (k ? "" : " AS k");
                    return ks;
                }() + ") k"};
}

// Drawn in prepare(), not in the timed run: the vector's allocation there
// could meet the heap as the fill left it (a malloc_consolidate of
// everything the fill freed, on one side only).
std::vector<std::int64_t> random_ids(const std::vector<std::int64_t>& ids, int n) {
    std::mt19937_64 rng(42);
    std::vector<std::int64_t> out(n);
    for (auto& id : out) id = ids[rng() % ids.size()];
    return out;
}

void fill_raw(State& st, const Fill& f) {
    if (f.users == 0) return;
    if (f.posts_each) st.raw->insert_users_with_posts(f.users, f.posts_each);
    else st.raw->insert_users(f.users);
    for (const auto& sql : w6_fill_sql(f)) st.raw->exec(sql);
    // PostgreSQL: the rows' visibility settled and statistics taken, so
    // that the first reads do not pay for how the rows were written (COPY
    // here, INSERTs on strata's side).
    if (st.raw->postgres()) st.raw->exec("VACUUM ANALYZE");
    st.ids = st.raw->user_ids();
    st.picks = random_ids(st.ids, f.picks);
}

void fill_strata(State& st, const Fill& f) {
    if (f.users == 0) return;
    auto conn = st.db->connect();
    const strata::Dialect& d = conn->dialect();
    conn->begin();
    auto user = conn->prepare("INSERT INTO " + d.quote("user") + " (nickname, email) VALUES (" + d.placeholder(1) + ", " +
                              d.placeholder(2) + ")");
    auto post = conn->prepare("INSERT INTO post (body, timestamp, user_id) VALUES (" + d.placeholder(1) + ", " +
                              d.placeholder(2) + ", " + d.placeholder(3) + ")");
    for (int u = 0, k = 0; u < f.users; ++u) {
        std::string nick = "user" + std::to_string(u);
        user->bind(1, nick);
        user->bind(2, nick + "@example.com");
        user->execute();
        std::int64_t uid = u + 1;  // fresh table: keys are assigned 1, 2, 3, ...
        for (int p = 0; p < f.posts_each; ++p) {
            post->bind(1, "post " + std::to_string(p) + " of " + nick);
            post->bind(2, post_time(k++));
            post->bind(3, uid);
            post->execute();
        }
    }
    for (const auto& sql : w6_fill_sql(f)) conn->execute(sql);
    conn->commit();
    if (st.url.starts_with("postgresql")) conn->execute("VACUUM ANALYZE");  // as fill_raw
    for (int u = 0; u < f.users; ++u) st.ids.push_back(u + 1);
    st.picks = random_ids(st.ids, f.picks);
}

Side raw_side(const Backend& b, Fill fill, std::function<void(State&)> run) {
    auto st = std::make_shared<State>();
    return {[=] {
                *st = State{};
                st->url = fresh_url(b);
                st->raw = std::make_unique<raw::Conn>(st->url);
                const strata::Dialect& d = strata::dialect_named(b.is_postgres() ? "postgresql" : "sqlite");
                for (const auto* t : registry().metadata().sorted_tables()) {
                    for (const auto& sql : d.create_table(*t)) st->raw->exec(sql);
                    for (const auto& sql : d.create_indexes(*t)) st->raw->exec(sql);
                }
                fill_raw(*st, fill);
            },
            [=] { run(*st); }, [=] { st->raw.reset(); }};
}

Side strata_side(const Backend& b, Fill fill, std::function<void(State&)> run) {
    auto st = std::make_shared<State>();
    return {[=] {
                *st = State{};
                st->url = fresh_url(b);
                st->db.emplace(strata::Database::open(st->url));
                auto conn = st->db->connect();
                registry().metadata().create_all(*conn);
                conn = strata::PooledConnection();
                fill_strata(*st, fill);
            },
            [=] { run(*st); }, [=] { st->db.reset(); }};
}

const Fill nothing{};

// W5's migration repository: `db init`, then one hand-written revision that
// makes user.email nullable (on SQLite: a rebuild of the whole table).
strata::DbContext w5_context(const std::string& url) {
    static const std::filesystem::path dir = [] {
        // One per process: each pass of --runs N is a process of its own, with its own `dir`.
        auto d = temp_folder() / ("w5-migrations-" + std::to_string(getpid()));
        strata::DbContext init{"sqlite://", d, [] { return registry().metadata(); }, "strata_bench"};
        std::ostringstream out, err;
        std::istringstream in;
        if (strata::db_run(init, {"init"}, {out, err, in, false}) != 0) throw std::runtime_error("db init: " + err.str());
        std::ofstream(d / "versions" / "5e1f0c2d3b4a_email_nullable.yaml") << R"(revision: 5e1f0c2d3b4a
down_revision: null
message: email may be null
created: 2026-11-27T14:00:00Z
upgrade:
  - alter_column: {table: user, column: email, nullable: true}
downgrade:
  - alter_column: {table: user, column: email, nullable: false}
)";
        return d;
    }();
    return {url, dir, [] { return registry().metadata(); }, "strata_bench"};
}

// W6 through the select API: the statement raw::Conn::stats writes by hand.
std::vector<raw::Stat> w6_stats(strata::Session& s) {
    using strata::col;
    strata::TableRef f1("followers", "f1"), f2("followers", "f2");
    auto posts = strata::label(
        "posts", strata::scalar(strata::select(strata::count()).select_from<Post>().where(col(&Post::user_id) == col(&User::id))));
    auto followers = strata::scalar(
        strata::select(strata::count()).select_from(f1).where(f1.col<std::int64_t>("followed_id") == col(&User::id)));
    auto following = strata::scalar(
        strata::select(strata::count()).select_from(f2).where(f2.col<std::int64_t>("follower_id") == col(&User::id)));
    return s.select(&User::nickname, posts, followers, following)
        .order_by(strata::desc(posts))
        .order_by(&User::nickname)
        .all_as<raw::Stat>();
}

}  // namespace

std::vector<Workload> workloads(const Sizes& z) {
    std::vector<Workload> out;

    out.push_back({"W1-insert-users",
                   [z](const Backend& b) { return raw_side(b, nothing, [z](State& st) { st.raw->insert_users(z.users); }); },
                   [z](const Backend& b) {
                       return strata_side(b, nothing, [z](State& st) {
                           strata::Session s(*st.db, registry());
                           for (int i = 0; i < z.users; ++i) {
                               std::string nick = "user" + std::to_string(i);
                               s.add(User{.id = 0, .nickname = nick, .email = nick + "@example.com", .posts = {}});
                           }
                           s.commit();
                       });
                   }});

    out.push_back({"W2-load-users",
                   [z](const Backend& b) {
                       return raw_side(b, Fill{z.users, 0},
                                       [](State& st) { st.sink += st.raw->load_users().size(); });
                   },
                   [z](const Backend& b) {
                       return strata_side(b, Fill{z.users, 0}, [](State& st) {
                           strata::Session s(*st.db, registry());
                           st.sink += s.query<User>().all().size();
                       });
                   },
                   false, true});

    out.push_back({"W3-get-by-id",
                   [z](const Backend& b) {
                       return raw_side(b, Fill{.users = z.users, .picks = z.gets}, [](State& st) {
                           for (auto id : st.picks) st.sink += st.raw->get_user(id).nickname.size();
                       });
                   },
                   [z](const Backend& b) {
                       return strata_side(b, Fill{.users = z.users, .picks = z.gets}, [](State& st) {
                           const strata::Registry& models = registry();  // an app holds its registry: no lookup per request
                           for (auto id : st.picks) {
                               strata::Session s(*st.db, models);
                               st.sink += s.get<User>(id)->nickname.size();
                           }
                       });
                   }});

    out.push_back({"W4-insert-related",
                   [z](const Backend& b) {
                       return raw_side(b, nothing, [z](State& st) { st.raw->insert_users_with_posts(z.w4_users, z.w4_posts); });
                   },
                   [z](const Backend& b) {
                       return strata_side(b, nothing, [z](State& st) {
                           strata::Session s(*st.db, registry());
                           for (int u = 0, k = 0; u < z.w4_users; ++u) {
                               std::string nick = "user" + std::to_string(u);
                               auto user = s.add(User{.id = 0, .nickname = nick, .email = nick + "@example.com", .posts = {}});
                               for (int p = 0; p < z.w4_posts; ++p) {
                                   auto post = s.add(Post{.id = 0, .body = "post " + std::to_string(p) + " of " + nick,
                                                          .timestamp = post_time(k++), .user_id = {}, .author = {}});
                                   post->author = user;
                               }
                           }
                           s.commit();
                       });
                   }});

    const Fill with_posts{z.w4_users, z.w4_posts};
    out.push_back({"W4-lazy-N+1",
                   [=](const Backend& b) {
                       return raw_side(b, with_posts, [](State& st) {
                           for (const auto& u : st.raw->load_users()) st.sink += st.raw->posts_of(u.id).size();
                       });
                   },
                   [=](const Backend& b) {
                       return strata_side(b, with_posts, [](State& st) {
                           strata::Session s(*st.db, registry());
                           for (auto& u : s.query<User>().all()) st.sink += u->posts.size();
                       });
                   }});
    out.push_back({"W4-selectin",
                   [=](const Backend& b) {
                       return raw_side(b, with_posts, [](State& st) {
                           auto users = st.raw->load_users();
                           std::vector<std::int64_t> ids;
                           for (const auto& u : users) ids.push_back(u.id);
                           st.sink += users.size() + st.raw->posts_of_all(ids).size();
                       });
                   },
                   [=](const Backend& b) {
                       return strata_side(b, with_posts, [](State& st) {
                           strata::Session s(*st.db, registry());
                           for (auto& u : s.query<User>().options(strata::selectin(&User::posts)).all())
                               st.sink += u->posts.size();
                       });
                   }});

    // microblog's `stats`: every user's nickname, posts, followers and
    // followed, in one SELECT of three correlated counts, ordered by posts.
    out.push_back({"W6-stats",
                   [z](const Backend& b) {
                       return raw_side(b, Fill{z.w6_users, z.w6_posts, z.w6_follows},
                                       [](State& st) { st.sink += st.raw->stats().size(); });
                   },
                   [z](const Backend& b) {
                       return strata_side(b, Fill{z.w6_users, z.w6_posts, z.w6_follows}, [](State& st) {
                           strata::Session s(*st.db, registry());
                           st.sink += w6_stats(s).size();
                       });
                   }});

    out.push_back({"W5-migrate-rebuild",
                   [z](const Backend& b) {
                       return raw_side(b, Fill{z.w5_rows, 0}, [](State& st) { st.raw->make_email_nullable(); });
                   },
                   [z](const Backend& b) {
                       return strata_side(b, Fill{z.w5_rows, 0}, [](State& st) {
                           st.db.reset();  // `db upgrade` opens the database itself, as the command line does
                           std::ostringstream out, err;
                           std::istringstream in;
                           if (strata::db_run(w5_context(st.url), {"upgrade", "head"}, {out, err, in, false}) != 0)
                               throw std::runtime_error("db upgrade: " + err.str());
                       });
                   },
                   true, false, true});

    // Every user through a stream, batch by batch, none kept: time and peak
    // memory against stepping through the rows with sqlite3 directly.
    out.push_back({"W7-stream-users",
                   [z](const Backend& b) {
                       return raw_side(b, Fill{z.w7_rows, 0}, [](State& st) { st.sink += st.raw->stream_users(); });
                   },
                   [z](const Backend& b) {
                       return strata_side(b, Fill{z.w7_rows, 0}, [z](State& st) {
                           strata::Session s(*st.db, registry());
                           for (strata::Ptr<User> u : s.query<User>().stream(z.w7_batch)) st.sink += u->nickname.size();
                       });
                   },
                   true, true});
    return out;
}

}  // namespace bench
