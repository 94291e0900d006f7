// The workloads of issue 7, each as a (raw, strata) pair over the same schema.
#include <algorithm>
#include <memory>
#include <random>

#include "bench.hpp"
#include "raw.hpp"
#include "strata/strata.hpp"

namespace bench {

namespace {

struct Post;
struct User {
    std::int64_t id = 0;
    std::string nickname{};
    std::string email{};
    strata::HasMany<Post> posts{};
};
struct Post {
    std::int64_t id = 0;
    std::string body{};
    strata::DateTime timestamp{};
    std::optional<std::int64_t> user_id{};
    strata::BelongsTo<User> author{};
};

void map_models(strata::Registry& reg) {
        reg.model<User>("user")
            .column(&User::id, "id", strata::primary_key())
            .column(&User::nickname, "nickname", strata::String(64), strata::index(), strata::unique())
            .column(&User::email, "email", strata::String(120), strata::index(), strata::unique())
            .has_many(&User::posts, &Post::author);
        reg.model<Post>("post")
            .column(&Post::id, "id", strata::primary_key())
            .column(&Post::body, "body", strata::String(140))
            .column(&Post::timestamp, "timestamp", strata::index())
            .column(&Post::user_id, "user_id", strata::foreign_key("user.id"));
}

const strata::Registry& registry() {
    static strata::Registry r;
    static bool mapped = (map_models(r), true);
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
    std::size_t sink = 0;  // results are counted so the compiler cannot drop the work
};

// Data for read workloads, written through either side's connection (not timed).
struct Fill {
    int users = 0;
    int posts_each = 0;
};

void fill_raw(State& st, const Fill& f) {
    if (f.users == 0) return;
    if (f.posts_each) st.raw->insert_users_with_posts(f.users, f.posts_each);
    else st.raw->insert_users(f.users);
    st.ids = st.raw->user_ids();
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
    auto ts = strata::now();
    for (int u = 0; u < f.users; ++u) {
        std::string nick = "user" + std::to_string(u);
        user->bind(1, nick);
        user->bind(2, nick + "@example.com");
        user->execute();
        std::int64_t uid = u + 1;  // fresh table: keys are assigned 1, 2, 3, ...
        for (int p = 0; p < f.posts_each; ++p) {
            post->bind(1, "post " + std::to_string(p) + " of " + nick);
            post->bind(2, ts);
            post->bind(3, uid);
            post->execute();
        }
    }
    conn->commit();
    for (int u = 0; u < f.users; ++u) st.ids.push_back(u + 1);
}

std::vector<std::int64_t> random_ids(const std::vector<std::int64_t>& ids, int n) {
    std::mt19937_64 rng(42);
    std::vector<std::int64_t> out(n);
    for (auto& id : out) id = ids[rng() % ids.size()];
    return out;
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
                       return raw_side(b, Fill{z.users, 0}, [z](State& st) {
                           for (auto id : random_ids(st.ids, z.gets)) st.sink += st.raw->get_user(id).nickname.size();
                       });
                   },
                   [z](const Backend& b) {
                       return strata_side(b, Fill{z.users, 0}, [z](State& st) {
                           for (auto id : random_ids(st.ids, z.gets)) {
                               strata::Session s(*st.db, registry());
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
                           auto ts = strata::now();
                           for (int u = 0; u < z.w4_users; ++u) {
                               std::string nick = "user" + std::to_string(u);
                               auto user = s.add(User{.id = 0, .nickname = nick, .email = nick + "@example.com", .posts = {}});
                               for (int p = 0; p < z.w4_posts; ++p) {
                                   auto post = s.add(Post{.id = 0, .body = "post " + std::to_string(p) + " of " + nick,
                                                          .timestamp = ts, .user_id = {}, .author = {}});
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
    return out;
}

}  // namespace bench
