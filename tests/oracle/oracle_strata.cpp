// The strata side of the SQLAlchemy oracle (run_oracle.py): each scenario of
// oracle_sqlalchemy.py, as a function of the same name, run on a copy of
// schema.sql's database. A scenario prints what it observes as key=value
// lines; run_oracle.py compares them with SQLAlchemy's.
//
//   oracle_strata --list              the scenario names, one a line
//   oracle_strata DB_FILE SCENARIO    run one scenario on DB_FILE
//
// To add a scenario: write it here with SCENARIO(name) and in
// oracle_sqlalchemy.py with @scenario, printing the same keys.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "strata/strata.hpp"

namespace {

using strata::col;
using strata::Ptr;

struct Post;
struct Note;
struct Tag;

struct User {
    std::int64_t id = 0;
    std::string name{};
    std::optional<std::string> email{};
    std::optional<std::int64_t> score{};
    strata::HasMany<Post> posts{};  // cascade all, delete-orphan
    strata::HasMany<Note> notes{};  // save-update only: deleting the user NULLs their key
};

struct Post {
    std::int64_t id = 0;
    std::string title{};
    std::optional<std::int64_t> user_id{};
    strata::BelongsTo<User> author{};
    strata::HasMany<Tag> tags{};  // many-to-many through post_tag
};

struct Note {
    std::int64_t id = 0;
    std::string text{};
    std::optional<std::int64_t> user_id{};
    strata::BelongsTo<User> owner{};
};

struct Tag {
    std::int64_t id = 0;
    std::string label{};
    strata::HasMany<Post> posts{};
};

struct Thing {
    std::int64_t id = 0;
    std::optional<strata::Decimal> amount{};
    std::optional<double> ratio{};
    std::optional<bool> flag{};
    std::optional<std::string> label{};
    std::optional<strata::Date> day{};
    std::optional<strata::DateTime> at{};
    std::optional<strata::Blob> data{};
    std::optional<std::int64_t> big{};
};

// The tables of schema.sql (the registry does not create them).
void map_models(strata::Registry& r) {
    r.table("post_tag")
        .column("post_id", strata::Integer(), strata::foreign_key("post.id"), strata::not_null())
        .column("tag_id", strata::Integer(), strata::foreign_key("tag.id"), strata::not_null());
    r.model<User>("user")
        .column(&User::id, "id", strata::primary_key())
        .column(&User::name, "name", strata::String(64), strata::unique())
        .column(&User::email, "email", strata::String(120))
        .column(&User::score, "score")
        .has_many(&User::posts, &Post::author, strata::cascade("all, delete-orphan"))
        .has_many(&User::notes, &Note::owner);
    r.model<Post>("post")
        .column(&Post::id, "id", strata::primary_key())
        .column(&Post::title, "title", strata::String(100))
        .column(&Post::user_id, "user_id", strata::foreign_key("user.id"))
        .many_to_many(&Post::tags, "post_tag", "post_id", "tag_id", &Tag::posts);
    r.model<Note>("note")
        .column(&Note::id, "id", strata::primary_key())
        .column(&Note::text, "text", strata::String(100))
        .column(&Note::user_id, "user_id", strata::foreign_key("user.id"));
    r.model<Tag>("tag").column(&Tag::id, "id", strata::primary_key()).column(&Tag::label, "label", strata::String(40));
    r.model<Thing>("thing")
        .column(&Thing::id, "id", strata::primary_key())
        .column(&Thing::amount, "amount", strata::Numeric(10, 2))
        .column(&Thing::ratio, "ratio")
        .column(&Thing::flag, "flag")
        .column(&Thing::label, "label", strata::String(40))
        .column(&Thing::day, "day")
        .column(&Thing::at, "at")
        .column(&Thing::data, "data")
        .column(&Thing::big, "big", strata::BigInteger());
}

// --- the text both sides print for a value (oracle_sqlalchemy.py's fmt()) ----------

std::string fmt(const std::string& v) { return v; }
std::string fmt(const char* v) { return v; }
std::string fmt(bool v) { return v ? "true" : "false"; }
std::string fmt(std::int64_t v) { return std::to_string(v); }
std::string fmt(double v) {
    char buf[64];
    for (int prec = 1; prec <= 17; ++prec) {  // the shortest %g that reads back to the same double
        std::snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (std::strtod(buf, nullptr) == v) break;
    }
    return buf;
}
std::string fmt(const strata::Decimal& v) { return v.text; }
std::string fmt(strata::Date v) { return strata::format_date(v); }
std::string fmt(strata::DateTime v) { return strata::format_datetime(v); }
std::string fmt(const strata::Blob& v) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (auto b : v.bytes) {
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}
template <class T>
std::string fmt(const std::optional<T>& v) {
    return v ? fmt(*v) : "None";
}
template <class T>
std::string fmt(const Ptr<T>& p) {
    return p ? fmt(p->id) : "None";
}

std::string error_kind(const std::exception& e) {
    if (dynamic_cast<const strata::IntegrityError*>(&e)) return "error:integrity";
    if (dynamic_cast<const strata::ObjectDeletedError*>(&e)) return "error:deleted";
    if (dynamic_cast<const strata::NoResultFound*>(&e)) return "error:no_result";
    if (dynamic_cast<const strata::MultipleResultsFound*>(&e)) return "error:multiple";
    if (dynamic_cast<const strata::DetachedInstanceError*>(&e)) return "error:detached";
    return "error";
}

template <class Range, class F>
std::string join(const Range& items, F field) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += ",";
        out += field(item);
    }
    return out;
}
template <class Range>
std::string names(const Range& users) {
    return join(users, [](const Ptr<User>& u) { return u->name; });
}
template <class Range>
std::string titles(const Range& posts) {
    return join(posts, [](const Ptr<Post>& p) { return p->title; });
}
template <class Range>
std::string labels(const Range& tags) {
    return join(tags, [](const Ptr<Tag>& t) { return t->label; });
}

class Ctx {
public:
    Ctx(const std::string& path, const strata::Registry& r) : db_(strata::Database::open("sqlite:///" + path)), r_(r) {}

    strata::Session session() { return strata::Session(db_, r_); }

    template <class V>
    void out(const std::string& key, const V& value) {
        std::cout << key << "=" << fmt(value) << "\n";
    }
    // Prints key=ok, or key=error:<kind> when fn throws.
    void attempt(const std::string& key, const std::function<void()>& fn) {
        try {
            fn();
            out(key, "ok");
        } catch (const std::exception& e) {
            out(key, error_kind(e));
        }
    }
    // Prints one value read with SQL on a connection of its own: the database's truth.
    void db(const std::string& key, const std::string& sql) {
        auto conn = db_.connect();
        auto st = conn->prepare(sql);
        st->step();
        out(key, st->is_null(0) ? std::string("None") : std::string(st->get_text(0)));
    }

private:
    strata::Database db_;
    const strata::Registry& r_;
};

using Scenario = void (*)(Ctx&);

std::map<std::string, Scenario>& scenarios() {
    static std::map<std::string, Scenario> all;
    return all;
}

struct Registration {
    Registration(const char* name, Scenario fn) { scenarios()[name] = fn; }
};

#define SCENARIO(name)                                  \
    void name(Ctx& c);                                  \
    const Registration name##_registration{#name, name}; \
    void name(Ctx& c)

// --- identity map ---------------------------------------------------------------

SCENARIO(identity_get_twice) {
    auto s = c.session();
    auto a = s.get<User>(1);
    c.out("same", a.get() == s.get<User>(1).get());
    c.out("query_same", a.get() == s.query<User>().where(col(&User::name) == "alice").one().get());
}

SCENARIO(identity_get_missing) {
    auto s = c.session();
    c.out("missing", s.get<User>(99));
}

SCENARIO(identity_after_expunge) {
    auto s = c.session();
    auto a = s.get<User>(1);
    s.expunge(a);
    auto b = s.get<User>(1);
    c.out("same", a.get() == b.get());
    c.out("name", b->name);
}

SCENARIO(identity_query_keeps_loaded_values) {
    auto a = c.session();
    auto u = a.get<User>(1);
    auto b = c.session();
    b.get<User>(1)->score = 99;
    b.commit();
    c.out("query_score", a.query<User>().where(col(&User::id) == 1).one()->score);
    c.out("same", u.get() == a.query<User>().where(col(&User::id) == 1).one().get());
}

// --- autoflush --------------------------------------------------------------------

SCENARIO(identity_expunge_add_back) {
    auto s = c.session();
    auto u = s.get<User>(1);
    s.expunge(u);
    s.add(u);
    c.out("same", u.get() == s.get<User>(1).get());
    u->name = "back";
    s.commit();
    c.db("name", "SELECT name FROM \"user\" WHERE id = 1");
}

SCENARIO(autoflush_query_sees_pending) {
    auto s = c.session();
    s.add(User{.name = "dave"});
    c.out("count", s.query<User>().count());
    c.out("found", s.query<User>().where(col(&User::name) == "dave").one()->name);
}

SCENARIO(autoflush_query_sees_change) {
    auto s = c.session();
    s.get<User>(1)->name = "alicia";
    c.out("count", s.query<User>().where(col(&User::name) == "alicia").count());
}

SCENARIO(autoflush_off) {
    auto s = c.session();
    s.set_autoflush(false);
    s.add(User{.name = "dave"});
    c.out("count_before", s.query<User>().count());
    s.flush();
    c.out("count_after", s.query<User>().count());
}

SCENARIO(autoflush_lazy_load_sees_new_child) {
    auto s = c.session();
    auto u = s.get<User>(2);
    auto p = s.add(Post{.title = "new"});
    p->user_id = 2;
    c.out("titles", titles(u->posts));
}

// --- rollback ---------------------------------------------------------------------

SCENARIO(autoflush_delete_then_count) {
    auto s = c.session();
    s.remove(s.get<User>(3));
    c.out("count", s.query<User>().count());
    c.out("get", s.get<User>(3));
}

SCENARIO(rollback_new_object_key) {
    auto s = c.session();
    auto u = s.add(User{.name = "dave"});
    s.flush();
    c.out("id_flushed", u->id);
    s.rollback();
    c.out("id_after_rollback", u->id);
    c.db("rows", "SELECT count(*) FROM \"user\"");
}

SCENARIO(rollback_restores_flushed_change) {
    auto s = c.session();
    auto u = s.get<User>(1);
    u->name = "changed";
    s.flush();
    s.rollback();
    c.out("name", u->name);
}

SCENARIO(rollback_restores_unflushed_change) {
    auto s = c.session();
    auto u = s.get<User>(1);
    u->email = "changed@x";
    s.rollback();
    c.out("email", u->email);
}

SCENARIO(rollback_restores_deleted) {
    auto s = c.session();
    auto u = s.get<User>(3);
    s.remove(u);
    s.flush();
    c.out("get_while_deleted", s.get<User>(3));
    s.rollback();
    c.out("same", s.get<User>(3).get() == u.get());
    c.out("name", u->name);
}

SCENARIO(rollback_then_add_again) {
    auto s = c.session();
    auto u = s.add(User{.name = "dave"});
    s.flush();
    s.rollback();
    s.add(u);
    s.commit();
    c.out("name", u->name);
    c.db("rows", "SELECT count(*) FROM \"user\"");
}

SCENARIO(rollback_discards_collection_change) {
    auto s = c.session();
    auto u = s.get<User>(1);
    u->posts.push_back(Post{.title = "extra"});
    s.flush();
    s.rollback();
    c.out("titles", titles(u->posts));
}

SCENARIO(rollback_after_integrity_error) {
    auto s = c.session();
    s.add(User{.name = "alice"});
    c.attempt("flush", [&] { s.flush(); });
    s.rollback();
    c.out("count", s.query<User>().count());
}

// --- commit and expiry ------------------------------------------------------------

SCENARIO(rollback_restores_removed_child) {
    auto s = c.session();
    auto u = s.get<User>(1);
    u->posts.remove(u->posts[0]);
    s.flush();
    c.out("titles_flushed", titles(u->posts));
    s.rollback();
    c.out("titles", titles(u->posts));
    c.db("posts", "SELECT count(*) FROM post");
}

SCENARIO(commit_sees_other_session_change) {
    auto a = c.session();
    auto u = a.get<User>(1);
    a.commit();
    auto b = c.session();
    b.get<User>(1)->email = "b@changed";
    b.commit();
    c.out("email", u->email);
}

SCENARIO(commit_stale_value_write_is_kept) {
    auto a = c.session();
    auto u = a.get<User>(1);
    auto loaded = u->email;
    a.commit();
    auto b = c.session();
    b.get<User>(1)->email = "b@changed";
    b.commit();
    u->email = loaded;
    a.commit();
    c.db("email", "SELECT email FROM \"user\" WHERE id = 1");
}

SCENARIO(commit_sees_other_session_child) {
    auto a = c.session();
    auto u = a.get<User>(2);
    c.out("before", titles(u->posts));
    a.commit();
    auto b = c.session();
    b.add(Post{.title = "more", .user_id = 2});
    b.commit();
    c.out("after", titles(u->posts));
}

SCENARIO(commit_reloads_reference_after_fk_change) {
    auto s = c.session();
    auto p = s.get<Post>(3);
    c.out("before", p->author->name);
    p->user_id = 3;
    s.commit();
    c.out("after", p->author->name);
}

SCENARIO(refresh_reads_other_session_change) {
    auto a = c.session();
    auto u = a.get<User>(1);
    auto b = c.session();
    b.get<User>(1)->score = 42;
    b.commit();
    a.refresh(u);
    c.out("score", u->score);
}

SCENARIO(refresh_discards_change) {
    auto s = c.session();
    auto u = s.get<User>(1);
    u->name = "changed";
    s.refresh(u);
    c.out("name", u->name);
    s.commit();
    c.db("db_name", "SELECT name FROM \"user\" WHERE id = 1");
}

SCENARIO(commit_new_object_gets_key) {
    auto s = c.session();
    auto u = s.add(User{.name = "dave", .email = "d@x"});
    c.out("id_before", u->id == 0 ? std::string("None") : fmt(u->id));
    s.commit();
    c.out("id_after", u->id);
    c.out("email", u->email);
}

// --- deleted objects ----------------------------------------------------------------

SCENARIO(deleted_get_returns_none) {
    auto s = c.session();
    s.remove(s.get<User>(3));
    s.flush();
    c.out("get", s.get<User>(3));
    c.out("count", s.query<User>().count());
}

SCENARIO(deleted_readd_after_commit) {
    auto s = c.session();
    auto u = s.get<User>(3);
    s.remove(u);
    s.commit();
    c.attempt("add", [&] { s.add(u); });
    c.db("rows", "SELECT count(*) FROM \"user\"");
}

SCENARIO(deleted_readd_after_flush) {
    auto s = c.session();
    auto u = s.get<User>(3);
    s.remove(u);
    s.flush();
    c.attempt("add", [&] { s.add(u); });
    s.commit();
    c.db("rows", "SELECT count(*) FROM \"user\"");
}

SCENARIO(deleted_readd_before_flush) {
    auto s = c.session();
    auto u = s.get<User>(3);
    s.remove(u);
    c.attempt("add", [&] { s.add(u); });
    s.commit();
    c.db("rows", "SELECT count(*) FROM \"user\"");
}

SCENARIO(deleted_by_other_session) {
    auto a = c.session();
    auto u = a.get<User>(3);
    a.commit();
    auto b = c.session();
    b.remove(b.get<User>(3));
    b.commit();
    c.attempt("read", [&] { (void)u->name; });
}

SCENARIO(deleted_rolled_back_value_not_resurrected) {
    auto a = c.session();
    auto u = a.get<User>(3);
    u->name = "ROLLED_BACK";
    a.rollback();
    auto b = c.session();
    b.remove(b.get<User>(3));
    b.commit();
    c.attempt("read", [&] { (void)u->name; });
    auto b2 = c.session();
    b2.add(User{.name = "newcomer"});  // SQLite gives it id 3 again
    b2.commit();
    c.attempt("commit", [&] { a.commit(); });
    c.db("name_of_3", "SELECT name FROM \"user\" WHERE id = 3");
}

// --- cascades -----------------------------------------------------------------------

SCENARIO(cascade_delete_children) {
    auto s = c.session();
    s.remove(s.get<User>(1));
    s.commit();
    c.db("posts", "SELECT count(*) FROM post");
    c.db("note_owner", "SELECT user_id FROM note WHERE id = 1");
}

SCENARIO(cascade_delete_orphan) {
    auto s = c.session();
    auto u = s.get<User>(1);
    u->posts.remove(u->posts[0]);
    s.commit();
    c.db("posts", "SELECT group_concat(title) FROM (SELECT title FROM post ORDER BY id)");
}

SCENARIO(cascade_save_update) {
    auto s = c.session();
    auto u = s.add(User{.name = "dave"});
    u->posts.push_back(Post{.title = "first"});
    u->posts.push_back(Post{.title = "second"});
    s.commit();
    c.db("posts_of_dave", "SELECT count(*) FROM post WHERE user_id = 4");
}

SCENARIO(cascade_delete_nulls_plain_children) {
    auto s = c.session();
    s.remove(s.get<User>(1));
    s.flush();
    c.out("ownerless_notes", s.query<Note>().where(col(&Note::user_id).is_null()).count());
    c.out("notes", s.query<Note>().count());
}

SCENARIO(cascade_reassign_is_not_orphan) {
    auto s = c.session();
    auto p = s.get<Post>(1);
    p->author = s.get<User>(2);
    s.commit();
    c.db("owner", "SELECT user_id FROM post WHERE id = 1");
    c.db("posts", "SELECT count(*) FROM post");
}

SCENARIO(cascade_child_moved_by_key) {
    auto s = c.session();
    auto u1 = s.get<User>(1);
    auto p = u1->posts[0];
    p->user_id = 2;
    s.commit();
    s.remove(u1);
    s.commit();
    c.db("moved_post_owner", "SELECT user_id FROM post WHERE id = 1");
    c.db("posts", "SELECT count(*) FROM post");
}

SCENARIO(cascade_child_moved_by_other_session) {
    auto a = c.session();
    auto u1 = a.get<User>(1);
    c.out("before", titles(u1->posts));
    a.commit();
    auto b = c.session();
    b.get<Post>(1)->user_id = 2;
    b.commit();
    a.remove(u1);
    a.commit();
    c.db("moved_post_owner", "SELECT user_id FROM post WHERE id = 1");
}

SCENARIO(cascade_child_added_by_other_session) {
    auto a = c.session();
    auto u2 = a.get<User>(2);
    c.out("before", titles(u2->posts));
    a.commit();
    auto b = c.session();
    b.add(Post{.title = "late", .user_id = 2});
    b.commit();
    a.remove(u2);
    c.attempt("commit", [&] { a.commit(); });
    c.db("posts_of_bob", "SELECT count(*) FROM post WHERE user_id = 2");
}

// --- backrefs -----------------------------------------------------------------------

SCENARIO(backref_set_reference_moves_child) {
    auto s = c.session();
    auto u1 = s.get<User>(1);
    auto u2 = s.get<User>(2);
    c.out("u1_before", titles(u1->posts));
    c.out("u2_before", titles(u2->posts));
    u1->posts[0]->author = u2;
    c.out("u1_after", titles(u1->posts));
    c.out("u2_after", titles(u2->posts));
}

SCENARIO(backref_append_sets_reference) {
    auto s = c.session();
    auto p = s.get<Post>(3);
    auto u = s.get<User>(3);
    u->posts.push_back(p);
    c.out("author", p->author->name);
    s.commit();
    c.db("owner", "SELECT user_id FROM post WHERE id = 3");
}

SCENARIO(backref_remove_clears_reference) {
    auto s = c.session();
    auto u = s.get<User>(1);
    auto n = u->notes[0];
    u->notes.remove(n);
    c.out("owner", n->owner.get());
    s.commit();
    c.db("owner_db", "SELECT user_id FROM note WHERE id = 1");
}

SCENARIO(backref_into_unloaded_collection) {
    auto s = c.session();
    auto p = s.add(Post{.title = "fresh"});
    auto u = s.get<User>(3);
    p->author = u;
    c.out("titles", titles(u->posts));
    s.commit();
    c.db("rows", "SELECT count(*) FROM post WHERE user_id = 3");
}

SCENARIO(backref_new_child_pending) {
    auto s = c.session();
    auto u = s.get<User>(3);
    u->posts.push_back(Post{.title = "kid"});
    auto p = u->posts[0];
    s.commit();
    c.out("author", p->author->name);
}

// --- two sessions -------------------------------------------------------------------

SCENARIO(two_sessions_insert_visible) {
    auto a = c.session();
    a.add(User{.name = "dave"});
    a.commit();
    auto b = c.session();
    c.out("count", b.query<User>().count());
}

SCENARIO(two_sessions_delete_then_get) {
    auto b = c.session();
    b.remove(b.get<User>(3));
    b.commit();
    auto a = c.session();
    c.out("get", a.get<User>(3));
}

SCENARIO(two_sessions_independent_objects) {
    auto a = c.session();
    auto b = c.session();
    c.out("same", a.get<User>(1).get() == b.get<User>(1).get());
}

// --- many-to-many -------------------------------------------------------------------

SCENARIO(two_sessions_uncommitted_invisible) {
    auto a = c.session();
    a.get<User>(1)->score = 77;
    a.flush();
    auto b = c.session();
    auto u = b.get<User>(1);
    c.out("other_sees", u->score);
    a.commit();
    c.out("other_still_sees", b.get<User>(1)->score);
    c.out("same", u.get() == b.get<User>(1).get());
    c.out("fresh_session_sees", c.session().get<User>(1)->score);
}

SCENARIO(m2m_append_and_backref) {
    auto s = c.session();
    auto p = s.get<Post>(1);
    auto red = s.get<Tag>(1);
    auto blue = s.get<Tag>(2);
    p->tags.push_back(red);
    p->tags.push_back(blue);
    c.out("tags", labels(p->tags));
    c.out("red_posts", titles(red->posts));
    s.commit();
    c.db("rows", "SELECT count(*) FROM post_tag");
}

SCENARIO(m2m_remove) {
    auto s = c.session();
    auto p = s.get<Post>(3);
    p->tags.remove(p->tags[0]);
    s.commit();
    c.db("rows", "SELECT count(*) FROM post_tag");
    c.out("blue_posts", titles(s.get<Tag>(2)->posts));
}

SCENARIO(m2m_duplicate_append) {
    auto s = c.session();
    auto p = s.get<Post>(1);
    auto red = s.get<Tag>(1);
    p->tags.push_back(red);
    p->tags.push_back(red);
    s.commit();
    c.db("rows", "SELECT count(*) FROM post_tag WHERE post_id = 1");
    p->tags.remove(red);
    c.attempt("remove_commit", [&] { s.commit(); });
    s.rollback();
    c.db("rows_after", "SELECT count(*) FROM post_tag WHERE post_id = 1");
}

SCENARIO(m2m_append_already_linked_unloaded) {
    auto s = c.session();
    auto p = s.get<Post>(3);
    p->tags.push_back(s.get<Tag>(2));
    s.commit();
    c.db("rows", "SELECT count(*) FROM post_tag WHERE post_id = 3");
}

SCENARIO(m2m_delete_owner_removes_rows) {
    auto s = c.session();
    s.remove(s.get<Tag>(2));
    s.commit();
    c.db("rows", "SELECT count(*) FROM post_tag");
    c.db("posts", "SELECT count(*) FROM post");
}

SCENARIO(m2m_clear) {
    auto s = c.session();
    auto p = s.get<Post>(3);
    p->tags.push_back(s.get<Tag>(1));
    s.commit();
    p->tags.clear();
    s.commit();
    c.db("rows", "SELECT count(*) FROM post_tag");
}

// --- edge values --------------------------------------------------------------------

SCENARIO(edge_numeric_scale) {
    auto s = c.session();
    s.add(Thing{.id = 1, .amount = strata::Decimal{"-12.50"}});
    s.add(Thing{.id = 2, .amount = strata::Decimal{"12"}});
    s.add(Thing{.id = 3, .amount = strata::Decimal{"0.1"}});
    s.commit();
    auto s2 = c.session();
    for (int i = 1; i <= 3; ++i) c.out("amount_" + std::to_string(i), s2.get<Thing>(i)->amount);
}

SCENARIO(edge_integers) {
    auto s = c.session();
    s.add(Thing{.id = 1, .big = INT64_MAX});
    s.add(Thing{.id = 2, .big = INT64_MIN});
    s.add(Thing{.id = 3, .big = 0});
    s.commit();
    auto s2 = c.session();
    for (int i = 1; i <= 3; ++i) c.out("big_" + std::to_string(i), s2.get<Thing>(i)->big);
}

SCENARIO(edge_strings) {
    auto s = c.session();
    s.add(Thing{.id = 1, .label = ""});
    s.add(Thing{.id = 2, .label = "h\u00e9llo \u4e16\u754c"});
    s.add(Thing{.id = 3, .label = std::nullopt});
    s.commit();
    auto s2 = c.session();
    for (int i = 1; i <= 3; ++i) c.out("label_" + std::to_string(i), s2.get<Thing>(i)->label);
    c.db("empty_is_not_null", "SELECT count(*) FROM thing WHERE label IS NULL");
}

SCENARIO(edge_floats) {
    auto s = c.session();
    const double values[] = {0.1, -1e300, 1e16, 2.5e-7};
    for (int i = 1; i <= 4; ++i) s.add(Thing{.id = i, .ratio = values[i - 1]});
    s.commit();
    auto s2 = c.session();
    for (int i = 1; i <= 4; ++i) c.out("ratio_" + std::to_string(i), s2.get<Thing>(i)->ratio);
}

SCENARIO(edge_booleans) {
    auto s = c.session();
    s.add(Thing{.id = 1, .flag = true});
    s.add(Thing{.id = 2, .flag = false});
    s.add(Thing{.id = 3, .flag = std::nullopt});
    s.commit();
    auto s2 = c.session();
    for (int i = 1; i <= 3; ++i) c.out("flag_" + std::to_string(i), s2.get<Thing>(i)->flag);
    c.db("stored", "SELECT group_concat(coalesce(flag, 'null')) FROM (SELECT flag FROM thing ORDER BY id)");
}

SCENARIO(edge_dates) {
    using namespace std::chrono;
    auto s = c.session();
    s.add(Thing{.id = 1,
                .day = strata::Date{sys_days{1969y / July / 20}},
                .at = strata::DateTime{sys_days{2026y / November / 27}} + hours(14) + minutes(3) + seconds(9) +
                      microseconds(123456)});
    s.add(Thing{.id = 2,
                .day = strata::Date{sys_days{1600y / February / 29}},
                .at = strata::DateTime{sys_days{1901y / January / 2}} + microseconds(1)});
    s.commit();
    auto s2 = c.session();
    for (int i = 1; i <= 2; ++i) {
        auto t = s2.get<Thing>(i);
        c.out("day_" + std::to_string(i), t->day);
        c.out("at_" + std::to_string(i), t->at);
    }
    c.db("stored_at", "SELECT at FROM thing WHERE id = 1");
}

SCENARIO(edge_blobs) {
    auto s = c.session();
    s.add(Thing{.id = 1, .data = strata::Blob{}});
    s.add(Thing{.id = 2, .data = strata::Blob(std::string_view("\0\x01\xff", 3))});
    s.commit();
    auto s2 = c.session();
    c.out("data_1", s2.get<Thing>(1)->data);
    c.out("data_2", s2.get<Thing>(2)->data);
    c.db("nulls", "SELECT count(*) FROM thing WHERE data IS NULL");
}

// --- queries: NULL ordering and filters --------------------------------------------

SCENARIO(order_nulls_ascending) {
    auto s = c.session();
    c.out("names", names(s.query<User>().order_by(&User::score).order_by(&User::id).all()));
}

SCENARIO(order_nulls_descending) {
    auto s = c.session();
    c.out("names", names(s.query<User>().order_by(strata::desc(&User::score)).order_by(&User::id).all()));
}

SCENARIO(filter_is_null) {
    auto s = c.session();
    c.out("null", names(s.query<User>().where(col(&User::score).is_null()).all()));
    c.out("not_null", names(s.query<User>().where(col(&User::score).is_not_null()).order_by(&User::id).all()));
}

SCENARIO(filter_not_equal_skips_null) {
    auto s = c.session();
    c.out("names", names(s.query<User>().where(col(&User::score) != 5).order_by(&User::id).all()));
}

SCENARIO(filter_in_like_between) {
    auto s = c.session();
    c.out("in", names(s.query<User>().where(col(&User::name).in_({"bob", "carol", "zed"})).order_by(&User::id).all()));
    c.out("like", names(s.query<User>().where(col(&User::email).like("%@x")).order_by(&User::id).all()));
    c.out("ilike", names(s.query<User>().where(col(&User::name).ilike("AL%")).all()));
    c.out("between", names(s.query<User>().where(col(&User::score).between(5, 10)).order_by(&User::id).all()));
}

SCENARIO(filter_limit_offset) {
    auto s = c.session();
    c.out("page", names(s.query<User>().order_by(&User::id).limit(2).offset(1).all()));
    c.out("past_end", names(s.query<User>().order_by(&User::id).limit(2).offset(5).all()));
}

SCENARIO(filter_count_exists_first) {
    auto s = c.session();
    c.out("count", s.query<User>().where(col(&User::score) > 1).count());
    c.out("exists", s.query<User>().where(col(&User::name) == "zed").exists());
    c.out("first", s.query<User>().order_by(strata::desc(&User::name)).first()->name);
}

SCENARIO(filter_one_errors) {
    auto s = c.session();
    c.attempt("none", [&] { (void)s.query<User>().where(col(&User::name) == "zed").one(); });
    c.attempt("many", [&] { (void)s.query<User>().one(); });
}

SCENARIO(filter_join_relationship) {
    auto s = c.session();
    c.out("posts_by_alice",
          titles(s.query<Post>().join(&Post::author).where(col(&User::name) == "alice").order_by(&Post::id).all()));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 2 && std::string(argv[1]) == "--list") {
        for (const auto& [name, fn] : scenarios()) std::cout << name << "\n";
        return 0;
    }
    if (argc != 3) {
        std::cerr << "usage: oracle_strata --list | oracle_strata DB_FILE SCENARIO\n";
        return 2;
    }
    auto it = scenarios().find(argv[2]);
    if (it == scenarios().end()) {
        std::cerr << "oracle_strata: no scenario named " << argv[2] << "\n";
        return 2;
    }
    strata::Registry registry;
    map_models(registry);
    Ctx ctx(argv[1], registry);
    try {
        it->second(ctx);
    } catch (const std::exception& e) {  // an escaped error is an observation too
        ctx.out("uncaught", error_kind(e));
        std::cerr << "uncaught: " << e.what() << "\n";
    }
    std::cout.flush();
    return 0;
}
