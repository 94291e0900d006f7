// Databases strata did not create, as other tools and people make them
// (issue 16.6): each case is a difference `db check` must report, or an
// operation autogenerate must order or spell so that `db migrate` →
// `db upgrade` → `db check` ends clean. Tables are made by hand in each
// backend's own DDL.
#include <gtest/gtest.h>

#include "migrate_support.hpp"
#include "strata/strata.hpp"

using namespace strata;
using namespace strata::migrate;

namespace {

using Lines = std::vector<std::string>;
using strata::testing::described;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class MigrateAdoption : public strata::testing::MigrateTest {
protected:
    // The database as it is becomes the repository's first revision.
    void adopt() {
        write_rev("a1", "null", "", "", "adopted as it is");
        auto r = run_db({"stamp", "head"});
        ASSERT_EQ(r.code, 0) << r.err;
    }

    // db migrate → db upgrade → db check clean → db migrate says nothing.
    void migrate_until_clean() {
        auto r = run_db({"migrate", "-m", "to the models"});
        ASSERT_EQ(r.code, 0) << r.out << r.err;
        r = run_db({"upgrade", "--yes"});
        ASSERT_EQ(r.code, 0) << r.out << r.err;
        r = run_db({"check"});
        EXPECT_EQ(r.code, 0) << r.out << r.err;
        r = run_db({"migrate", "-m", "again"});
        EXPECT_EQ(r.out, "No changes detected\n") << r.err;
    }

    static MetaData user_and_post() {
        MetaData md;
        md.table("user").column("id", Integer(), primary_key()).column("nickname", String(64));
        md.table("post")
            .column("id", Integer(), primary_key())
            .column("body", String(140))
            .column("timestamp", DateTimeType(), index())
            .column("user_id", Integer(), foreign_key("user.id"));
        return md;
    }

    // A key the database assigns, as SQLAlchemy declares it on each backend.
    std::string id_type() const { return is_sqlite() ? "INTEGER" : "SERIAL"; }

    void create_user_and_post(const std::string& timestamp_type = "", const std::string& fk_clause = "") {
        conn().execute("CREATE TABLE \"user\" (id " + id_type() + " NOT NULL, nickname VARCHAR(64), PRIMARY KEY (id))");
        const std::string ts = timestamp_type.empty() ? (is_sqlite() ? "DATETIME" : "TIMESTAMP WITHOUT TIME ZONE")
                                                      : timestamp_type;
        conn().execute("CREATE TABLE post (id " + id_type() + " NOT NULL, body VARCHAR(140), \"timestamp\" " + ts +
                       ", user_id INTEGER, PRIMARY KEY (id), " +
                       (fk_clause.empty() ? "CONSTRAINT fk_post_user_id_user FOREIGN KEY (user_id) REFERENCES \"user\" (id)"
                                          : fk_clause) +
                       ")");
        conn().execute("CREATE INDEX ix_post_timestamp ON post (\"timestamp\")");
    }
};

TEST_P(MigrateAdoption, TimestampWithTimeZoneIsNotANaiveDateTime) {
    create_user_and_post("TIMESTAMP WITH TIME ZONE");
    const Column ts = *inspect(conn()).find("post")->find_column("timestamp");
    models = user_and_post();
    if (is_sqlite()) {
        // The same text on SQLite, whatever the declaration says: no difference.
        EXPECT_EQ(ts.type.to_string(), "DateTime");
        EXPECT_EQ(described(compare_metadata(models, inspect(conn())).upgrade), Lines{});
        return;
    }
    EXPECT_EQ(ts.type.to_string(), "DateTime(timezone)");
    Changes changes = compare_metadata(models, inspect(conn()));
    ASSERT_EQ(described(changes.upgrade), Lines{"alter_column post.timestamp"});
    EXPECT_EQ(changes.upgrade[0].detail, "type DateTime(timezone) → DateTime");
    adopt();
    migrate_until_clean();
    EXPECT_EQ(inspect(conn()).find("post")->find_column("timestamp")->type.to_string(), "DateTime");
    // The downgrade writes the type back.
    auto r = run_db({"downgrade", "--yes"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_EQ(inspect(conn()).find("post")->find_column("timestamp")->type.to_string(), "DateTime(timezone)");
}

TEST_P(MigrateAdoption, CharIsNotString) {
    conn().execute("CREATE TABLE \"user\" (id " + id_type() + " NOT NULL, nickname CHAR(64), PRIMARY KEY (id))");
    conn().execute("INSERT INTO \"user\" (id, nickname) VALUES (1, 'john')");
    models = MetaData();
    models.table("user").column("id", Integer(), primary_key()).column("nickname", String(64));
    Changes changes = compare_metadata(models, inspect(conn()));
    ASSERT_EQ(described(changes.upgrade), Lines{"alter_column user.nickname"});
    EXPECT_EQ(changes.upgrade[0].detail, "type Char(64) → String(64)");
    adopt();
    migrate_until_clean();
    // PostgreSQL pads CHAR(64) with blanks; VARCHAR(64) keeps what was written.
    EXPECT_EQ(rows("SELECT nickname FROM \"user\""), Lines{"john"});
}

TEST_P(MigrateAdoption, DeferrableForeignKeyIsReadAndCompared) {
    create_user_and_post("", "CONSTRAINT fk_post_user_id_user FOREIGN KEY (user_id) REFERENCES \"user\" (id) "
                             "DEFERRABLE INITIALLY DEFERRED");
    const ForeignKey fk = inspect(conn()).find("post")->foreign_keys.at(0);
    EXPECT_TRUE(fk.deferrable);
    EXPECT_TRUE(fk.initially_deferred);
    models = user_and_post();
    EXPECT_EQ(described(compare_metadata(models, inspect(conn())).upgrade),
              (Lines{"drop_constraint fk_post_user_id_user on post", "create_foreign_key fk_post_user_id_user on post"}));
    // The models may say it too; then there is nothing to do.
    MetaData deferred = user_and_post();
    deferred.table("post").foreign_keys[0].deferrable = true;
    deferred.table("post").foreign_keys[0].initially_deferred = true;
    EXPECT_EQ(described(compare_metadata(deferred, inspect(conn())).upgrade), Lines{});
    adopt();
    migrate_until_clean();
    EXPECT_FALSE(inspect(conn()).find("post")->foreign_keys.at(0).deferrable);
    // The revision's downgrade writes DEFERRABLE INITIALLY DEFERRED back.
    auto r = run_db({"downgrade", "--yes"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    const ForeignKey back = inspect(conn()).find("post")->foreign_keys.at(0);
    EXPECT_TRUE(back.deferrable && back.initially_deferred);
}

TEST_P(MigrateAdoption, InlineDeferrableReferencesOnSqliteAndPostgresql) {
    conn().execute("CREATE TABLE \"user\" (id " + id_type() + " NOT NULL, PRIMARY KEY (id))");
    conn().execute("CREATE TABLE post (id " + id_type() + " NOT NULL, "
                   "user_id INTEGER REFERENCES \"user\" (id) DEFERRABLE INITIALLY DEFERRED, "
                   "editor_id INTEGER REFERENCES \"user\" (id) DEFERRABLE INITIALLY IMMEDIATE, "
                   "reviewer_id INTEGER REFERENCES \"user\" (id) NOT DEFERRABLE, PRIMARY KEY (id))");
    const MetaData db = inspect(conn());
    ASSERT_EQ(db.find("post")->foreign_keys.size(), 3u);
    for (const auto& fk : db.find("post")->foreign_keys) {
        EXPECT_EQ(fk.deferrable, fk.columns[0] != "reviewer_id") << fk.columns[0];
        EXPECT_EQ(fk.initially_deferred, fk.columns[0] == "user_id") << fk.columns[0];
    }
}

TEST_P(MigrateAdoption, IndexNameHeldByATableToBeDroppedIsFreedFirst) {
    conn().execute("CREATE TABLE \"user\" (id " + id_type() + " NOT NULL, nickname VARCHAR(64), PRIMARY KEY (id))");
    conn().execute("CREATE TABLE posts (id " + id_type() + " NOT NULL, \"timestamp\" " +
                   std::string(is_sqlite() ? "DATETIME" : "TIMESTAMP WITHOUT TIME ZONE") + ", PRIMARY KEY (id))");
    conn().execute("CREATE INDEX ix_post_timestamp ON posts (\"timestamp\")");
    models = user_and_post();
    Changes changes = compare_metadata(models, inspect(conn()));
    EXPECT_EQ(described(changes.upgrade),
              (Lines{"drop_index ix_post_timestamp on posts", "create_table post", "create_index ix_post_timestamp on post",
                     "drop_table posts"}));
    auto r = run_db({"check"});
    EXPECT_EQ(r.code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "  drop_index ix_post_timestamp on posts\n")) << r.out << r.err;
    adopt();
    migrate_until_clean();
    r = run_db({"downgrade", "--yes"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_EQ(inspect(conn()).find("posts")->indexes.at(0).name, "ix_post_timestamp");
}

TEST_P(MigrateAdoption, ViewsAndTriggersReferringToAChangedTable) {
    create_user_and_post();
    conn().execute("INSERT INTO \"user\" (id, nickname) VALUES (1, 'john')");
    conn().execute("INSERT INTO post (id, body, user_id) VALUES (1, 'hi', 1)");
    conn().execute("CREATE VIEW post_authors AS SELECT post.id, post.body, \"user\".nickname FROM post "
                   "JOIN \"user\" ON \"user\".id = post.user_id");
    conn().execute("CREATE VIEW long_posts AS SELECT id FROM post_authors WHERE length(body) > 100");
    if (is_sqlite())
        conn().execute("CREATE TRIGGER user_gone AFTER DELETE ON \"user\" BEGIN "
                       "DELETE FROM post WHERE user_id = old.id; END");
    models = user_and_post();
    models.table("post").find_column("body")->type = Text();
    adopt();
    auto r = run_db({"migrate", "-m", "body is text"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    r = run_db({"upgrade", "--yes"});
    if (!is_sqlite()) {
        // PostgreSQL refuses to change a type a view uses: the error names the view.
        EXPECT_NE(r.code, 0);
        EXPECT_TRUE(contains(r.err, "post_authors")) << r.err;
        return;
    }
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_EQ(inspect(conn()).find("post")->find_column("body")->type, Text());
    EXPECT_EQ(rows("SELECT nickname FROM post_authors"), Lines{"john"});
    EXPECT_EQ(rows("SELECT count(*) FROM long_posts"), Lines{"0"});
    conn().execute("DELETE FROM \"user\" WHERE id = 1");
    EXPECT_EQ(rows("SELECT count(*) FROM post"), Lines{"0"});  // the trigger on user still runs
    r = run_db({"check"});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
}

TEST_P(MigrateAdoption, ExpressionServerDefaultIsWrittenBackAsAnExpression) {
    // SQLite wants an expression default in parentheses and reads it back without them.
    const std::string expr = is_sqlite() ? "datetime('now')" : "now()";
    conn().execute("CREATE TABLE note (id " + id_type() + " NOT NULL, created " +
                   std::string(is_sqlite() ? "DATETIME DEFAULT (datetime('now'))" : "TIMESTAMP WITHOUT TIME ZONE DEFAULT now()") +
                   ", PRIMARY KEY (id))");
    models = MetaData();
    models.table("note").column("id", Integer(), primary_key()).column("created", DateTimeType(), server_default(expr));
    EXPECT_EQ(described(compare_metadata(models, inspect(conn())).upgrade), Lines{});
    adopt();
    models = MetaData();
    models.table("note").column("id", Integer(), primary_key()).column("created", DateTimeType());
    migrate_until_clean();
    auto r = run_db({"downgrade", "--yes"});   // writes the expression default back
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_EQ(inspect(conn()).find("note")->find_column("created")->server_default, expr);
    conn().execute("INSERT INTO note (id) VALUES (1)");
    EXPECT_EQ(rows("SELECT count(*) FROM note WHERE created IS NOT NULL"), Lines{"1"});
    // A hand-written revision spells it the same way.
    write_rev("c3", "a1", "  - create_table:\n      table: stamped\n      columns:\n"
                          "        - {name: id, type: Integer, primary_key: true}\n"
                          "        - {name: at, type: DateTime, server_default: \"" + expr + "\"}\n",
              "  - drop_table: stamped\n");
    r = run_db({"upgrade", "c3"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    conn().execute("INSERT INTO stamped (id) VALUES (1)");
    EXPECT_EQ(rows("SELECT count(*) FROM stamped WHERE at IS NOT NULL"), Lines{"1"});
}

TEST_P(MigrateAdoption, ExpressionIndexIsReadBackAndCreatedAgain) {
    create_user_and_post();
    conn().execute("CREATE INDEX ix_user_lower_nickname ON \"user\" (lower(nickname), id DESC)");
    const Index ix = inspect(conn()).find("user")->indexes.at(0);
    ASSERT_EQ(ix.columns.size(), 2u);
    // The expression as each server prints it, never ""; the column DESC.
    EXPECT_EQ(ix.columns[0], is_sqlite() ? "lower(nickname)" : "lower(nickname::text)");
    EXPECT_EQ(ix.columns[1], "id");
    EXPECT_EQ(ix.expressions, std::vector<std::size_t>{0});
    EXPECT_EQ(ix.descending, std::vector<std::size_t>{1});
    models = user_and_post();
    adopt();
    migrate_until_clean();   // drops it
    EXPECT_TRUE(inspect(conn()).find("user")->indexes.empty());
    auto r = run_db({"downgrade", "--yes"});   // creates it again from what was read
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_EQ(inspect(conn()).find("user")->indexes.at(0), ix);
    conn().execute("INSERT INTO \"user\" (id, nickname) VALUES (1, 'John')");
    EXPECT_EQ(rows("SELECT id FROM \"user\" WHERE lower(nickname) = 'john'"), Lines{"1"});
}

TEST_P(MigrateAdoption, MissingPrimaryKeyIsWarned) {
    conn().execute("CREATE TABLE note (id INTEGER NOT NULL, body TEXT)");
    models = MetaData();
    models.table("note").column("id", Integer(), primary_key()).column("body", Text());
    auto r = run_db({"check"});
    EXPECT_EQ(r.code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "table note: column id: primary key membership changed")) << r.out << r.err;
}

TEST_P(MigrateAdoption, KeyWithoutIdentityIsReported) {
    // PostgreSQL: no IDENTITY, no serial. SQLite: INT PRIMARY KEY is no rowid alias.
    conn().execute(std::string("CREATE TABLE note (id ") + (is_sqlite() ? "INT" : "INTEGER") +
                   " NOT NULL PRIMARY KEY, body TEXT)");
    models = MetaData();
    models.table("note").column("id", Integer(), primary_key()).column("body", Text());
    auto r = run_db({"check"});
    EXPECT_EQ(r.code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "table note: column id is assigned by the database in the models")) << r.err;
    // What strata makes itself is clean.
    conn().execute("DROP TABLE note");
    models.create_all(conn());
    r = run_db({"check"});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
}

TEST_P(MigrateAdoption, NotNullColumnWithoutDefaultOnATableWithRowsIsRefusedAtMigrate) {
    conn().execute("CREATE TABLE note (id " + id_type() + " NOT NULL, PRIMARY KEY (id))");
    adopt();
    models = MetaData();
    models.table("note").column("id", Integer(), primary_key()).column("rank", Integer(), not_null());
    // Empty: the column can be added.
    Changes changes = compare_metadata(models, inspect(conn()));
    ASSERT_EQ(described(changes.upgrade), Lines{"add_column note.rank"});
    conn().execute("INSERT INTO note (id) VALUES (1)");
    auto r = run_db({"migrate", "-m", "rank"});
    EXPECT_NE(r.code, 0);
    EXPECT_TRUE(contains(r.err, "add_column note.rank: the column is NOT NULL without a server default and table note has rows"))
        << r.err;
    EXPECT_TRUE(contains(r.err, "server_default")) << r.err;
    EXPECT_EQ(ScriptDirectory(repo()).heads(), Lines{"a1"});  // no revision written
    // With a server default it goes through.
    models = MetaData();
    models.table("note").column("id", Integer(), primary_key()).column("rank", Integer(), not_null(), server_default("0"));
    migrate_until_clean();
    EXPECT_EQ(rows("SELECT rank FROM note"), Lines{"0"});
}

// ---- A Flask app's database (issue 16.5): the microblog tutorial's tables as
// SQLAlchemy 1.4 writes them without a naming convention (DDL copied from
// CreateTable(...).compile(dialect=...)): unnamed primary and foreign keys,
// VARCHAR(n), DATETIME text with microseconds on SQLite, a BOOLEAN with
// its CHECK (create_constraint=True) and one without, nullable columns.

struct FlaskUser {
    std::int64_t id = 0;
    std::optional<std::string> username, email, password_hash, about_me;
    std::optional<strata::DateTime> last_seen;
    std::optional<bool> active;
};
struct FlaskPost {
    std::int64_t id = 0;
    std::optional<std::string> body;
    std::optional<strata::DateTime> timestamp;
    std::optional<std::int64_t> user_id;
    std::optional<bool> pinned;
};

void map_flask_models(Registry& r) {
    r.model<FlaskUser>("user")
        .column(&FlaskUser::id, "id", primary_key())
        .column(&FlaskUser::username, "username", String(64), index(), unique())
        .column(&FlaskUser::email, "email", String(120), index(), unique())
        .column(&FlaskUser::password_hash, "password_hash", String(128))
        .column(&FlaskUser::about_me, "about_me", String(140))
        .column(&FlaskUser::last_seen, "last_seen")
        .column(&FlaskUser::active, "active");
    r.model<FlaskPost>("post")
        .column(&FlaskPost::id, "id", primary_key())
        .column(&FlaskPost::body, "body", String(140))
        .column(&FlaskPost::timestamp, "timestamp", index())
        .column(&FlaskPost::user_id, "user_id", foreign_key("user.id"), index())
        .column(&FlaskPost::pinned, "pinned");
}

const char* const flask_sqlite_ddl[] = {
    "CREATE TABLE user (\n\tid INTEGER NOT NULL, \n\tusername VARCHAR(64), \n\temail VARCHAR(120), \n\t"
    "password_hash VARCHAR(128), \n\tabout_me VARCHAR(140), \n\tlast_seen DATETIME, \n\tactive BOOLEAN, \n\t"
    "PRIMARY KEY (id), \n\tCHECK (active IN (0, 1))\n)",
    "CREATE UNIQUE INDEX ix_user_email ON user (email)",
    "CREATE UNIQUE INDEX ix_user_username ON user (username)",
    "CREATE TABLE post (\n\tid INTEGER NOT NULL, \n\tbody VARCHAR(140), \n\ttimestamp DATETIME, \n\t"
    "user_id INTEGER, \n\tpinned BOOLEAN, \n\tPRIMARY KEY (id), \n\tFOREIGN KEY(user_id) REFERENCES user (id)\n)",
    "CREATE INDEX ix_post_timestamp ON post (timestamp)",
    "CREATE INDEX ix_post_user_id ON post (user_id)",
    // What SQLAlchemy's SQLite DateTime writes: always six fraction digits.
    "INSERT INTO user VALUES (1, 'john', 'john@example.com', 'pbkdf2:sha256:260000$salt$hash', 'I ♥ Flask', "
    "'2026-11-30 03:25:52.123456', 1)",
    "INSERT INTO user VALUES (2, 'susan', 'susan@example.com', NULL, NULL, '2026-11-30 03:25:52.000000', 0)",
    "INSERT INTO user VALUES (3, 'ghost', NULL, NULL, '', NULL, NULL)",
    "INSERT INTO post VALUES (1, 'my first post!', '2026-11-30 03:25:53.000001', 1, 1)",
    "INSERT INTO post VALUES (2, 'no author', '1999-12-31 23:59:59.999999', NULL, NULL)",
};

const char* const flask_postgresql_ddl[] = {
    "CREATE TABLE \"user\" (\n\tid SERIAL NOT NULL, \n\tusername VARCHAR(64), \n\temail VARCHAR(120), \n\t"
    "password_hash VARCHAR(128), \n\tabout_me VARCHAR(140), \n\tlast_seen TIMESTAMP WITHOUT TIME ZONE, \n\t"
    "active BOOLEAN, \n\tPRIMARY KEY (id)\n)",
    "CREATE UNIQUE INDEX ix_user_email ON \"user\" (email)",
    "CREATE UNIQUE INDEX ix_user_username ON \"user\" (username)",
    "CREATE TABLE post (\n\tid SERIAL NOT NULL, \n\tbody VARCHAR(140), \n\ttimestamp TIMESTAMP WITHOUT TIME ZONE, "
    "\n\tuser_id INTEGER, \n\tpinned BOOLEAN, \n\tPRIMARY KEY (id), \n\tFOREIGN KEY(user_id) REFERENCES \"user\" (id)\n)",
    "CREATE INDEX ix_post_timestamp ON post (timestamp)",
    "CREATE INDEX ix_post_user_id ON post (user_id)",
    "INSERT INTO \"user\" VALUES (1, 'john', 'john@example.com', 'pbkdf2:sha256:260000$salt$hash', 'I ♥ Flask', "
    "'2026-11-30 03:25:52.123456', true)",
    "INSERT INTO \"user\" VALUES (2, 'susan', 'susan@example.com', NULL, NULL, '2026-11-30 03:25:52', false)",
    "INSERT INTO \"user\" VALUES (3, 'ghost', NULL, NULL, '', NULL, NULL)",
    "SELECT setval('user_id_seq', 3)",
    "INSERT INTO post VALUES (1, 'my first post!', '2026-11-30 03:25:53.000001', 1, true)",
    "INSERT INTO post VALUES (2, 'no author', '1999-12-31 23:59:59.999999', NULL, NULL)",
    "SELECT setval('post_id_seq', 2)",
};

class MigrateFlaskAdoption : public MigrateAdoption {
protected:
    void SetUp() override {
        MigrateAdoption::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        if (is_sqlite())
            for (const char* sql : flask_sqlite_ddl) conn().execute(sql);
        else
            for (const char* sql : flask_postgresql_ddl) conn().execute(sql);
        map_flask_models(registry);
        models = registry.metadata();
    }

    // Every stored value exactly: SQLite's quote() keeps the storage class
    // and the bytes; PostgreSQL's text output of each column.
    Lines dump() {
        const std::string user_cols = "id, username, email, password_hash, about_me, last_seen, active";
        const std::string post_cols = "id, body, \"timestamp\", user_id, pinned";
        auto as_text = [&](const std::string& cols) {
            std::string out;
            std::size_t start = 0;
            while (start < cols.size()) {
                std::size_t comma = cols.find(", ", start);
                std::string col = cols.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
                out += (out.empty() ? "" : ", ") + (is_sqlite() ? "quote(" + col + ")" : col + "::text");
                start = comma == std::string::npos ? cols.size() : comma + 2;
            }
            return out;
        };
        Lines out = rows("SELECT " + as_text(user_cols) + " FROM \"user\" ORDER BY id");
        for (auto& r : rows("SELECT " + as_text(post_cols) + " FROM post ORDER BY id")) out.push_back(std::move(r));
        return out;
    }

    Registry registry;
};

TEST_P(MigrateFlaskAdoption, ReadAsItIsAndOnlyTheBooleanCheckDiffers) {
    const Lines before = dump();
    ASSERT_EQ(before.size(), 5u);
    // The first revision describes the models; the database is stamped at it.
    auto r = run_db({"migrate", "--from-empty", "-m", "initial"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    r = run_db({"stamp", "head"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    r = run_db({"check"});
    if (is_sqlite()) {
        // SQLAlchemy's CHECK (active IN (0, 1)) is not in the models (strata
        // writes no CHECK for a Boolean): the one difference.
        EXPECT_EQ(r.code, 1) << r.out << r.err;
        EXPECT_EQ(r.out.substr(0, r.out.find("Run ")), "The models and the database differ:\n"
                                                         "  drop_constraint unnamed CHECK (active IN (0, 1)) on user\n")
            << r.err;
        // Declared in the models, it is the same constraint: nothing differs.
        MetaData with_check = models;
        with_check.table("user").check("active", "active IN (0, 1)");
        EXPECT_EQ(described(compare_metadata(with_check, inspect(conn())).upgrade), Lines{});
        migrate_until_clean();   // a table rebuild without it
    } else {
        EXPECT_EQ(r.code, 0) << r.out << r.err;
        EXPECT_EQ(r.out, "No changes detected\n");
    }
    EXPECT_EQ(dump(), before);
}

TEST_P(MigrateFlaskAdoption, TheOrmReadsAndWritesItsValues) {
    using namespace std::chrono;
    const Lines before = dump();
    {
        Session s(db(), registry);
        auto john = s.get<FlaskUser>(1);
        ASSERT_TRUE(john);
        EXPECT_EQ(john->last_seen, parse_datetime("2026-11-30 03:25:52.123456"));
        EXPECT_EQ(john->active, true);
        EXPECT_EQ(john->about_me, "I ♥ Flask");
        auto ghost = s.get<FlaskUser>(3);
        EXPECT_EQ(ghost->email, std::nullopt);
        EXPECT_EQ(ghost->about_me, "");
        EXPECT_EQ(ghost->active, std::nullopt);
        auto orphan = s.get<FlaskPost>(2);
        EXPECT_EQ(orphan->timestamp, parse_datetime("1999-12-31 23:59:59.999999"));
        EXPECT_EQ(orphan->user_id, std::nullopt);
        // A change to one column writes that column only.
        john->about_me = "moved to strata";
        s.add(FlaskPost{.body = "from strata", .timestamp = parse_datetime("2026-11-30 04:00:00.5"), .user_id = 1, .pinned = std::nullopt});
        s.commit();
    }
    Lines after = dump();
    ASSERT_EQ(after.size(), 6u);
    Lines expected = before;
    const std::string old_about = is_sqlite() ? "'I ♥ Flask'" : "I ♥ Flask";
    const std::string new_about = is_sqlite() ? "'moved to strata'" : "moved to strata";
    expected[0].replace(expected[0].find(old_about), old_about.size(), new_about);
    after.erase(after.begin() + 5);   // the new post
    EXPECT_EQ(after, expected);
    // What strata writes reads as SQLAlchemy's own: six fraction digits, 0/1.
    if (is_sqlite()) {
        EXPECT_EQ(rows("SELECT \"timestamp\", typeof(pinned) FROM post WHERE id = 3"),
                  Lines{"2026-11-30 04:00:00.500000|null"});
    } else {
        EXPECT_EQ(rows("SELECT id FROM post WHERE body = 'from strata'"), Lines{"3"});
    }
}

STRATA_INSTANTIATE_BACKENDS(MigrateAdoption);
STRATA_INSTANTIATE_BACKENDS(MigrateFlaskAdoption);

}  // namespace
