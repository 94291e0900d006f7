// Autogenerate (`db migrate`) and `db check` / `db create`: every detectable
// change, made by editing the models or by altering the database by hand, is
// written as upgrade ops plus their exact inverse; the round trip is clean.
#include <gtest/gtest.h>

#include <fstream>

#include "migrate_support.hpp"

using namespace strata;
using namespace strata::migrate;
using strata::testing::differences;

namespace {

using Lines = std::vector<std::string>;

MetaData blog() {
    MetaData md;
    md.table("user")
        .column("id", Integer(), primary_key())
        .column("nickname", String(64), index(), unique())
        .column("email", String(120), index(), unique())
        .column("about", String(140));
    md.table("post")
        .column("id", Integer(), primary_key())
        .column("body", String(140))
        .column("timestamp", DateTimeType(), index())
        .column("status", Enum({"draft", "published"}))
        .column("user_id", Integer(), foreign_key("user.id"));
    return md;
}

Lines detected(const std::string& out) {
    Lines lines;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);)
        if (line.rfind("Detected ", 0) == 0) lines.push_back(line.substr(9));
    return lines;
}

std::size_t revision_count(const std::filesystem::path& repo) {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(repo / "versions")) n += e.path().extension() == ".yaml";
    return n;
}

class MigrateAutogenerate : public strata::testing::MigrateTest {
protected:
    void SetUp() override {
        MigrateTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        models = blog();
        auto r = run_db({"migrate", "-m", "initial"});
        ASSERT_EQ(r.code, 0) << r.err;
        r = run_db({"upgrade"});
        ASSERT_EQ(r.code, 0) << r.err;
        conn().execute("INSERT INTO \"user\" (id, nickname, email, about) VALUES (1, 'john', 'j@x', 'hi')");
        conn().execute("INSERT INTO post (id, body, status, user_id) VALUES (1, 'first', 'draft', 1)");
    }

    // Generates a revision for the models' change, checks what it detected,
    // upgrades (check is then clean), downgrades (the old schema is back) and
    // upgrades again.
    std::string evolve(const MetaData& next, const Lines& expected) {
        MetaData before = inspect(conn());
        models = next;
        auto r = run_db({"migrate", "-m", "change"});
        EXPECT_EQ(r.code, 0) << r.err;
        EXPECT_EQ(detected(r.out), expected) << r.out;
        auto up = run_db({"upgrade", "--yes"});
        EXPECT_EQ(up.code, 0) << up.err;
        auto check = run_db({"check"});
        EXPECT_EQ(check.code, 0) << check.out;
        EXPECT_EQ(check.out, "No changes detected\n");
        auto down = run_db({"downgrade", "--yes"});
        EXPECT_EQ(down.code, 0) << down.err;
        EXPECT_EQ(differences(before, inspect(conn())), "") << "the downgrade is not the exact inverse:\n" << [&] {
            ScriptDirectory s(repo());
            return format_revision(s.get(s.heads()[0]));
        }();
        up = run_db({"upgrade", "--yes"});
        EXPECT_EQ(up.code, 0) << up.err;
        EXPECT_EQ(differences(next, inspect(conn())), "");
        return r.out + r.err;
    }
};

TEST_P(MigrateAutogenerate, InitialRevisionRoundTrip) {
    EXPECT_EQ(differences(models, inspect(conn())), "");
    auto check = run_db({"check"});
    EXPECT_EQ(check.code, 0);
    EXPECT_EQ(check.out, "No changes detected\n");
    auto r = run_db({"downgrade", "base", "--yes"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(table_names(conn(), InspectOptions{{}}), Lines{"strata_version"});
    r = run_db({"upgrade"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(differences(models, inspect(conn())), "");
}

TEST_P(MigrateAutogenerate, NoChangesWritesNoFile) {
    auto r = run_db({"migrate", "-m", "nothing"});
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(r.out, "No changes detected\n");
    EXPECT_EQ(revision_count(repo()), 1u);
}

TEST_P(MigrateAutogenerate, TableAdded) {
    MetaData next = blog();
    next.table("tag").column("id", Integer(), primary_key()).column("label", String(20), unique(), not_null());
    evolve(next, {"create_table tag"});
}

TEST_P(MigrateAutogenerate, TableRemoved) {
    MetaData next = blog();
    next.remove("post");
    evolve(next, {"drop_table post"});
}

TEST_P(MigrateAutogenerate, ColumnAddedAndRemoved) {
    MetaData next = blog();
    next.table("user").column("last_seen", DateTimeType());
    std::erase_if(next.table("post").columns, [](const Column& c) { return c.name == "body"; });
    evolve(next, {"add_column user.last_seen", "drop_column post.body"});
}

TEST_P(MigrateAutogenerate, TypeChange) {
    MetaData next = blog();
    next.table("user").find_column("about")->type = Text();
    evolve(next, {"alter_column user.about: type String(140) → Text"});
    ScriptDirectory s(repo());
    const auto& alter = std::get<AlterColumn>(s.get(s.heads()[0]).upgrade.at(0).op);
    EXPECT_EQ(alter.type, Text());
    EXPECT_FALSE(alter.nullable.has_value()) << "only what changed is written";
    EXPECT_EQ(rows("SELECT about FROM \"user\""), Lines{"hi"});
}

TEST_P(MigrateAutogenerate, NullabilityAndServerDefault) {
    MetaData next = blog();
    next.table("post").find_column("body")->nullable = false;
    next.table("user").find_column("about")->server_default = "'-'";
    evolve(next, {"alter_column user.about: server_default NULL → '-'", "alter_column post.body: nullable → NOT NULL"});
}

// `db check` and `db migrate` say what differs, before → after, and the
// revision carries the same words as comments (which do not stop it loading).
TEST_P(MigrateAutogenerate, SaysWhatDiffers) {
    MetaData next = blog();
    next.table("user").find_column("email")->nullable = false;
    next.table("user").find_column("about")->server_default = "'-'";
    for (auto& ix : next.table("user").indexes)
        if (ix.name == "ix_user_email") ix.unique = false;
    next.table("post").find_column("body")->type = String(200);
    for (auto& ix : next.table("post").indexes)
        if (ix.name == "ix_post_timestamp") ix.columns.push_back("user_id");
    const Lines expected{
        "drop_index ix_user_email on user: unique index ix_user_email → plain index",
        "alter_column user.email: nullable → NOT NULL",
        "alter_column user.about: server_default NULL → '-'",
        "create_index ix_user_email on user",
        "drop_index ix_post_timestamp on post: columns (timestamp) → (timestamp, user_id)",
        "alter_column post.body: type String(140) → String(200)",
        "create_index ix_post_timestamp on post",
    };
    models = next;
    auto check = run_db({"check"});
    EXPECT_EQ(check.code, 1) << check.err;
    Lines listed;
    std::istringstream in(check.out);
    for (std::string line; std::getline(in, line);)
        if (line.rfind("  ", 0) == 0) listed.push_back(line.substr(2));
    EXPECT_EQ(listed, expected) << check.out;

    evolve(next, expected);   // the revision loads, upgrades, downgrades and upgrades again
    ScriptDirectory s(repo());
    const Revision& rev = s.get(s.heads()[0]);
    std::ifstream file(rev.path);
    const std::string text{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
    for (const auto& line : expected) {
        if (line.find(": ") == std::string::npos) continue;   // nothing differs in detail: no comment
        EXPECT_NE(text.find("# " + line + "\n"), std::string::npos) << text;
    }
    EXPECT_EQ(rev.upgrade.size(), expected.size());
}

TEST_P(MigrateAutogenerate, EnumValuesChanged) {
    MetaData next = blog();
    next.table("post").find_column("status")->type = Enum({"draft", "published", "archived"});
    evolve(next, {"alter_column post.status: type Enum(draft,published) → Enum(draft,published,archived)"});
    conn().execute("UPDATE post SET status = 'archived'");
}

TEST_P(MigrateAutogenerate, IndexesAddedAndRemoved) {
    MetaData next = blog();
    next.table("post").indexes.clear();
    next.table("post").index("", {"body", "user_id"});
    evolve(next, {"drop_index ix_post_timestamp on post", "create_index ix_post_body_user_id on post"});
}

TEST_P(MigrateAutogenerate, UniqueAndCheckConstraints) {
    MetaData next = blog();
    next.table("user").unique_constraint("", {"nickname", "about"}).check("nick_len", "length(nickname) > 1");
    evolve(next, {"create_unique_constraint uq_user_nickname_about on user",
                  "create_check_constraint ck_user_nick_len on user"});
    MetaData back = next;
    back.table("user").unique_constraints.clear();
    back.table("user").checks.clear();
    evolve(back, {"drop_constraint uq_user_nickname_about on user", "drop_constraint ck_user_nick_len on user"});
}

TEST_P(MigrateAutogenerate, ForeignKeysAddedAndRemoved) {
    MetaData next = blog();
    next.table("post").column("editor_id", Integer(), foreign_key("user.id", "SET NULL"));
    next.table("post").foreign_keys.erase(next.table("post").foreign_keys.begin());
    evolve(next, {"drop_constraint fk_post_user_id_user on post", "add_column post.editor_id",
                  "create_foreign_key fk_post_editor_id_user on post"});
}

// A table whose primary key is two columns, and one referencing it by a
// foreign key of two columns: created, then changed (on SQLite by the batch
// rebuild) with both keys and the rows kept.
TEST_P(MigrateAutogenerate, CompositePrimaryKeyCreatedAndKeptByARebuild) {
    MetaData next = blog();
    next.table("follow")
        .column("follower_id", Integer(), primary_key(), foreign_key("user.id"))
        .column("followed_id", Integer(), primary_key(), foreign_key("user.id"))
        .column("since", String(20));
    next.table("follow_note")
        .column("id", Integer(), primary_key())
        .column("follower_id", Integer())
        .column("followed_id", Integer())
        .column("text", String(80))
        .foreign_key("", {"follower_id", "followed_id"}, "follow", {"follower_id", "followed_id"});
    evolve(next, {"create_table follow", "create_table follow_note"});
    const std::vector<std::string> both{"follower_id", "followed_id"};
    EXPECT_EQ(inspect(conn()).find("follow")->primary_key_columns(), both);
    ASSERT_EQ(inspect(conn()).find("follow_note")->foreign_keys.size(), 1u);
    EXPECT_EQ(inspect(conn()).find("follow_note")->foreign_keys[0].columns, both);
    conn().execute("INSERT INTO \"user\" (id, nickname, email) VALUES (2, 'susan', 's@x')");
    conn().execute("INSERT INTO follow (follower_id, followed_id, since) VALUES (1, 2, 'then'), (2, 1, 'now')");
    conn().execute("INSERT INTO follow_note (id, follower_id, followed_id, text) VALUES (1, 2, 1, 'hi')");

    MetaData changed = next;
    changed.table("follow").find_column("since")->type = Text();
    std::erase_if(changed.table("follow_note").columns, [](const Column& c) { return c.name == "text"; });
    evolve(changed, {"alter_column follow.since: type String(20) → Text", "drop_column follow_note.text"});
    const MetaData live = inspect(conn());
    EXPECT_EQ(live.find("follow")->primary_key_columns(), both);
    ASSERT_EQ(live.find("follow_note")->foreign_keys.size(), 1u);
    EXPECT_EQ(live.find("follow_note")->foreign_keys[0].columns, both);
    EXPECT_EQ(live.find("follow_note")->foreign_keys[0].ref_columns, both);
    auto st = conn().prepare("SELECT count(*) FROM follow");
    ASSERT_TRUE(st->step());
    EXPECT_EQ(st->get_int64(0), 2) << "rows kept";
    EXPECT_THROW(conn().execute("INSERT INTO follow (follower_id, followed_id) VALUES (1, 2)"), IntegrityError)
        << "the key of both columns is still unique";
}

TEST_P(MigrateAutogenerate, ChangesMadeByHandInTheDatabase) {
    conn().execute("ALTER TABLE \"user\" ADD COLUMN extra TEXT");
    conn().execute("CREATE INDEX ix_hand ON post (body)");
    conn().execute("CREATE TABLE stray (id INTEGER PRIMARY KEY)");
    evolve(blog(), {"drop_column user.extra", "drop_index ix_hand on post", "drop_table stray"});
}

TEST_P(MigrateAutogenerate, RenameIsNeverGuessed) {
    MetaData next = blog();
    next.table("user").find_column("about")->name = "bio";
    auto r = run_db({"migrate", "-m", "bio"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(detected(r.out), (Lines{}));   // the models did not change yet: nothing
    models = next;
    r = run_db({"migrate", "-m", "bio"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(detected(r.out), (Lines{"add_column user.bio", "drop_column user.about"}));
    EXPECT_NE(r.err.find("WARNING: table user: column 'about' is dropped and 'bio' (same type String(140)) is added; "
                         "the data of 'about' is lost. If this is a rename, run `db migrate` again with "
                         "--rename user.about:bio"),
              std::string::npos)
        << r.err;
    ScriptDirectory s(repo());
    std::ifstream file(s.get(s.heads()[0]).path);
    std::string text(std::istreambuf_iterator<char>(file), {});
    EXPECT_NE(text.find("# WARNING: table user: column 'about' is dropped"), std::string::npos) << text;
}

TEST_P(MigrateAutogenerate, RenameFlagsWriteRenames) {
    MetaData next = blog();
    next.table("user").find_column("about")->name = "bio";
    models = next;
    auto r = run_db({"migrate", "-m", "bio", "--rename", "user.about:bio"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(detected(r.out), Lines{"alter_column user.about -> bio"});
    EXPECT_EQ(r.err, "");
    ASSERT_EQ(run_db({"upgrade"}).code, 0);
    EXPECT_EQ(rows("SELECT bio FROM \"user\""), Lines{"hi"}) << "a rename keeps the data";

    r = run_db({"migrate", "-m", "x", "--rename", "user.nope:bio"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("--rename user.nope:bio: the database has no column user.nope"), std::string::npos) << r.err;
    r = run_db({"migrate", "-m", "x", "--rename", "garbage"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("expected table.old_column:new_column or old_table:new_table"), std::string::npos) << r.err;
}

TEST_P(MigrateAutogenerate, TableRenameFlag) {
    const MetaData base = blog();
    MetaData next;
    next.table("user") = *base.find("user");
    Table& article = next.table("article");
    for (const auto& c : base.find("post")->columns) article.add_column(c);
    article.index("", {"timestamp"});
    article.foreign_key("", {"user_id"}, "user", {"id"});
    article.primary_key_name("pk_post");
    models = next;
    auto r = run_db({"migrate", "-m", "article", "--rename", "post:article"});
    ASSERT_EQ(r.code, 0) << r.err;
    ASSERT_FALSE(detected(r.out).empty());
    EXPECT_EQ(detected(r.out)[0], "rename_table post -> article");
    ASSERT_EQ(run_db({"upgrade"}).code, 0);
    EXPECT_EQ(rows("SELECT body FROM article"), Lines{"first"});
    EXPECT_EQ(run_db({"check"}).code, 0);
}

TEST_P(MigrateAutogenerate, RefusesWhenTheDatabaseIsNotAtHead) {
    MetaData next = blog();
    next.table("user").column("x", Integer());
    models = next;
    ASSERT_EQ(run_db({"migrate", "-m", "x"}).code, 0);
    auto r = run_db({"migrate", "-m", "again"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("not at the head"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("run `test db upgrade` first"), std::string::npos) << r.err;
    EXPECT_EQ(revision_count(repo()), 2u);
}

TEST_P(MigrateAutogenerate, CheckListsDifferencesAndFails) {
    MetaData next = blog();
    next.table("user").column("x", Integer());
    models = next;
    auto r = run_db({"check"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.out.find("The models and the database differ:\n  add_column user.x\n"), std::string::npos) << r.out;
    ASSERT_EQ(run_db({"migrate", "-m", "x"}).code, 0);
    r = run_db({"check"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.out.find("but the head is"), std::string::npos) << r.out;
}

TEST(MigrateCompare, RespelledChecksAndDefaultsAreNotChanges) {
    MetaData model = blog(), db = blog();
    model.table("user").check("note", "about <> 'x \"y\"'");
    db.table("user").check("note", "( \"about\"  <>  'x \"y\"' )");
    model.table("user").find_column("about")->server_default = "'-'";
    db.table("user").find_column("about")->server_default = "('-')";
    EXPECT_TRUE(compare_metadata(model, db).empty());
    db.table("user").checks[0].sqltext = "about <> 'x \"z\"'";
    auto changes = compare_metadata(model, db);
    ASSERT_EQ(changes.upgrade.size(), 2u) << "a changed CHECK is dropped and created again";
    EXPECT_EQ(describe(changes.upgrade[0].op), "drop_constraint ck_user_note on user");
    EXPECT_EQ(describe(changes.upgrade[1].op), "create_check_constraint ck_user_note on user");
}

TEST(MigrateCompare, DowngradeIsTheExactInverse) {
    MetaData before = blog(), after = blog();
    after.remove("post");
    after.table("user").find_column("about")->type = Text();
    after.table("user").column("karma", Integer(), not_null(), server_default("0"));
    after.table("tag").column("id", Integer(), primary_key());
    Changes changes = compare_metadata(after, before);
    MetaData state = before;
    for (const auto& step : changes.upgrade) migrate::apply(step.op, state);
    EXPECT_EQ(differences(after, state), "");
    for (const auto& step : changes.downgrade) migrate::apply(step.op, state);
    EXPECT_EQ(differences(before, state), "");
}

class MigrateCreate : public strata::testing::MigrateTest {};

TEST_P(MigrateCreate, CreateBuildsTheModelsAndStampsHead) {
    models = blog();
    auto r = run_db({"migrate", "-m", "initial"});   // on an empty database
    ASSERT_EQ(r.code, 0) << r.err;
    r = run_db({"create"});
    ASSERT_EQ(r.code, 0) << r.err;
    ScriptDirectory s(repo());
    EXPECT_EQ(current(), s.heads());
    EXPECT_EQ(differences(models, inspect(conn())), "");
    EXPECT_EQ(run_db({"check"}).code, 0);
    r = run_db({"create"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("already has tables"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--checkfirst"), std::string::npos) << r.err;
    EXPECT_EQ(run_db({"create", "--checkfirst"}).code, 0);
}

TEST_P(MigrateCreate, CreateWithABrokenRepositoryCreatesNothing) {
    models = blog();
    write_rev("a1", "null", "  - bogus: {}\n", "");
    auto r = run_db({"create"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("unknown operation 'bogus'"), std::string::npos) << r.err;
    EXPECT_TRUE(table_names(conn(), InspectOptions{{}}).empty());
}

TEST_P(MigrateCreate, CreateWithoutARepositoryDoesNotStamp) {
    models = blog();
    std::filesystem::remove_all(repo());
    auto r = run_db({"create"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("Created tables in "), std::string::npos);
    EXPECT_NE(r.out.find("Not stamped: no migration repository (run `test db init`)"), std::string::npos) << r.out;
    EXPECT_EQ(differences(models, inspect(conn())), "");
}

// The app ran create_all before `db init`: the first revision must still
// create every table, or a fresh database can never be built from the repository.
TEST_P(MigrateCreate, FirstRevisionOnADatabaseThatHasTheTables) {
    models = blog();
    models.create_all(conn());
    auto r = run_db({"migrate", "-m", "initial"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "error: the repository has no revision yet and the database at " + db().url().masked() +
                         " already has tables (user, post); write the first revision as if the database were empty "
                         "with `test db migrate --from-empty -m \"initial\"`, then mark this database as up to date "
                         "with `test db stamp head`\n");
    EXPECT_FALSE(std::filesystem::exists(repo() / "versions") && revision_count(repo()) != 0) << "nothing written";

    r = run_db({"migrate", "--from-empty", "-m", "initial"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(detected(r.out).size(), 2u + 3u) << r.out;  // two tables, three indexes
    EXPECT_EQ(revision_count(repo()), 1u);
    EXPECT_EQ(differences(models, inspect(conn())), "") << "--from-empty writes a file and leaves the database";
    r = run_db({"stamp", "head"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(run_db({"check"}).out, "No changes detected\n");

    // The repository builds a fresh database: down to base (no table left) and up again.
    ASSERT_EQ(run_db({"downgrade", "base", "--yes"}).code, 0);
    EXPECT_EQ(table_names(conn(), InspectOptions{{}}), Lines{"strata_version"});
    r = run_db({"upgrade"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(differences(models, inspect(conn())), "");

    r = run_db({"migrate", "--from-empty", "-m", "again"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("--from-empty writes the first revision, and the repository has revisions already"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(revision_count(repo()), 1u);
}

STRATA_INSTANTIATE_BACKENDS(MigrateAutogenerate);
STRATA_INSTANTIATE_BACKENDS(MigrateCreate);

}  // namespace
