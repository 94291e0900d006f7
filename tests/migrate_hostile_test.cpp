// Hostile revision files and repositories: text that would become a second
// SQL statement, duplicate keys, bad UTF-8, over-long names, reserved ids,
// a bad strata.yaml. Each is refused with file:line and the database is left
// exactly as it was.
#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "migrate_support.hpp"
#include "shell_support.hpp"
#include "schema/sql_tokens.hpp"

using namespace strata;
using namespace strata::migrate;
using strata::testing::expect_throw;

namespace {

const std::string kFile = "versions/a1_x.yaml";

std::string parse_error(const std::string& text) {
    return expect_throw<MigrationError>([&] { parse_revision(text, kFile); }).what();
}

// A revision whose upgrade is the given list items.
std::string revision_with(const std::string& upgrade) {
    return "revision: a1\ndown_revision: null\nmessage: m\nupgrade:\n" + upgrade + "downgrade: []\n";
}

TEST(MigrateHostile, ServerDefaultWithASecondStatementIsRefused) {
    std::string what = parse_error(revision_with(
        "  - add_column: {table: post, column: {name: x, type: Integer, server_default: \"0; DROP TABLE post; --\"}}\n"));
    EXPECT_EQ(what, kFile + ":5:80: server_default: '0; DROP TABLE post; --' is not one SQL expression: it holds a ';' "
                            "(a second statement) (only the execute op runs SQL statements)");
}

TEST(MigrateHostile, CheckTextAndAlterDefaultAreOneExpression) {
    std::string what = parse_error(revision_with(
        "  - create_check_constraint: {table: post, name: ck_post_x, sqltext: \"x > 0) OR (1 = 1\"}\n"));
    EXPECT_EQ(what, kFile + ":5:70: sqltext: 'x > 0) OR (1 = 1' is not one SQL expression: it holds a ')' that closes "
                            "nothing (only the execute op runs SQL statements)");
    what = parse_error(revision_with("  - alter_column: {table: post, column: x, server_default: \"0, y INTEGER\"}\n"));
    EXPECT_NE(what.find(kFile + ":5:"), std::string::npos) << what;
    EXPECT_NE(what.find("it holds a ',' outside parentheses"), std::string::npos) << what;
    what = parse_error(revision_with("  - create_table: {table: t, columns: [{name: id, type: Integer}], "
                                     "check_constraints: [{name: ck_t, sqltext: \"id > 0 /* x */\"}]}\n"));
    EXPECT_NE(what.find("it holds a comment"), std::string::npos) << what;
}

TEST(MigrateHostile, ReferentialActionIsOneOfTheKnownOnes) {
    std::string what = parse_error(revision_with(
        "  - create_foreign_key: {table: post, name: fk_x, columns: [a], ref_table: u, ref_columns: [id], "
        "ondelete: \"CASCADE; DROP TABLE u\"}\n"));
    EXPECT_EQ(what, kFile + ":5:108: ondelete: 'CASCADE; DROP TABLE u' is not a referential action (expected one of "
                            "CASCADE, SET NULL, SET DEFAULT, RESTRICT, NO ACTION)");
}

// Read the way SQLite reads it and the way PostgreSQL does; anything the two
// could read differently is refused.
TEST(MigrateHostile, OneExpressionRules) {
    for (const char* ok : {"0", "'a;b -- c'", "now()", "CURRENT_TIMESTAMP", "lower(name) IN ('a', 'b')",
                           "status = ANY (ARRAY['a'::text, 'b'::text])", "'it''s'", "\"weird;name\" > 0",
                           "(price >= (0)::numeric)", "a IS DISTINCT FROM b", "a IS NOT DISTINCT FROM b",
                           "id IN (SELECT id FROM t WHERE x > 0 ORDER BY id LIMIT 3)", "EXTRACT(YEAR FROM ts) > 2000",
                           "\"order\" > 0", "[group] > 0", "'from where' = x", "orders > 0", "x_from > 0", "offset > 0",
                           "percentile_cont(0.5) WITHIN GROUP (ORDER BY x) > 1"})
        EXPECT_EQ(sqltok::expression_problem(ok), "") << ok;
    const std::pair<const char*, const char*> refused[] = {
        {"0; DROP TABLE post", "a ';' (a second statement)"},
        {"E'\\'';DROP TABLE x;--'", "a backslash before a quote in a string literal (write '' for a quote)"},
        {"$a$'$a$; DROP TABLE x; --'", "a '$'"},
        {"[a'] , x INTEGER, y [']", "a ',' outside parentheses (a second item)"},
        {"0 -- rest of the line", "a comment ('--' or '/*')"},
        {"'open", "a string literal is not closed"},
        {"(0", "a '(' or '[' that is not closed"},
        {"`x`", "a '`'"},
        {"  ", "no expression"},
        {"true ORDER BY id", "'ORDER' outside parentheses (a clause of a statement)"},
        {"x = 1 union select password from users", "'union' outside parentheses (a clause of a statement)"},
        {"1 FROM t", "'FROM' outside parentheses (a clause of a statement)"},
        {"x > 0 LIMIT 1", "'LIMIT' outside parentheses (a clause of a statement)"},
        {"(x) GROUP BY y HAVING 1", "'GROUP' outside parentheses (a clause of a statement)"},
        {"0 INTO t", "'INTO' outside parentheses (a clause of a statement)"},
    };
    for (const auto& [text, problem] : refused) EXPECT_EQ(sqltok::expression_problem(text), problem) << text;
}

TEST(MigrateHostile, DuplicateKeysAreRefusedAtTheSecondOne) {
    std::string what = parse_error("revision: a1\ndown_revision: null\nupgrade: []\ndowngrade: []\nupgrade:\n"
                                   "  - drop_table: t\n");
    EXPECT_EQ(what, kFile + ":5:1: duplicate key 'upgrade' (first at line 3; a key may appear once in a mapping)");
    what = parse_error(revision_with("  - add_column:\n      table: t\n      column: {name: x, type: Integer, "
                                     "type: Text}\n"));
    EXPECT_EQ(what, kFile + ":7:40: duplicate key 'type' (first at line 7; a key may appear once in a mapping)");
}

// Nested aliases would make a tree of billions of nodes out of a few lines.
TEST(MigrateHostile, AliasesOfMappingsAndListsAreRefused) {
    std::string bomb = "revision: a1\ndown_revision: null\nx0: &x0 [a, a, a, a, a, a, a, a, a, a]\n";
    for (int i = 1; i < 12; ++i) {   // each list holds the one before ten times: 10^12 nodes in all
        const std::string previous = "*x" + std::to_string(i - 1);
        bomb += "x" + std::to_string(i) + ": &x" + std::to_string(i) + " [" + previous;
        for (int k = 1; k < 10; ++k) bomb += ", " + previous;
        bomb += "]\n";
    }
    bomb += "upgrade: []\ndowngrade: []\n";
    auto start = std::chrono::steady_clock::now();
    std::string what = parse_error(bomb);
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 1.0);
    EXPECT_NE(what.find("an alias of a mapping or list (revision files take no YAML anchors and aliases)"),
              std::string::npos)
        << what;
}

TEST(MigrateHostile, InvalidUtf8AndNulAreRefused) {
    std::string what = parse_error("revision: a1\ndown_revision: null\nmessage: \"caf\xe9 ok\"\nupgrade: []\ndowngrade: []\n");
    EXPECT_EQ(what, kFile + ":3:10: invalid UTF-8 at byte 4 of the text");
    what = parse_error(revision_with("  - drop_table: \"us\\0er\"\n"));
    EXPECT_EQ(what, kFile + ":5:17: a NUL byte at byte 3 of the text");
    what = parse_error(revision_with("  - drop_table: \"us\\ter\"\n"));
    EXPECT_EQ(what, kFile + ":5:17: the name 'us\\ter' holds a control character");
}

TEST(MigrateHostile, NamesLongerThanABackendKeepsAreRefused) {
    const std::string name63(63, 'n'), name64(64, 'n');
    EXPECT_NO_THROW(parse_revision(revision_with("  - drop_table: " + name63 + "\n"), kFile));
    std::string what = parse_error(revision_with("  - add_column: {table: t, column: {name: " + name64 +
                                                 ", type: Integer}}\n"));
    EXPECT_EQ(what, kFile + ":5:43: the name '" + name64 +
                        "' is 64 bytes; postgresql keeps at most 63 bytes of a name (and cuts the rest silently)");
}

TEST(MigrateHostile, RevisionIdsAreShortAndNotReserved) {
    const std::string id32(32, 'a'), id33(33, 'a');
    EXPECT_NO_THROW(parse_revision("revision: " + id32 + "\ndown_revision: null\nupgrade: []\ndowngrade: []\n", kFile));
    std::string what = parse_error("revision: " + id33 + "\ndown_revision: null\nupgrade: []\ndowngrade: []\n");
    EXPECT_EQ(what, kFile + ":1:11: revision id '" + id33 + "' is 33 characters; the most is 32 (the version table's column)");
    for (const char* reserved : {"head", "heads", "base"}) {
        what = parse_error("revision: a1\ndown_revision: " + std::string(reserved) + "\nupgrade: []\ndowngrade: []\n");
        EXPECT_EQ(what, kFile + ":2:16: revision id '" + std::string(reserved) +
                            "' is reserved (head, heads and base name positions, not revisions)");
    }
}

// Names the naming convention makes are shortened to fit every backend, the
// same way every time.
TEST(MigrateHostile, ConventionNamesAreShortenedDeterministically) {
    const std::string table(50, 't');
    Table a(table), b(table);
    a.column("id", Integer(), primary_key());
    a.column("a_rather_long_column_name", String(10), index());
    b.column("a_rather_long_column_name", String(10), index());
    const std::string& name = a.indexes.at(0).name;
    EXPECT_EQ(name.size(), 63u);
    EXPECT_EQ(name.substr(0, 55), ("ix_" + table + "_a_rather_long_column_name").substr(0, 54) + "_")
        << "the start of the name, then '_' and 8 hex digits of its hash";
    EXPECT_EQ(name, b.indexes.at(0).name);
    Table c(table);
    c.column("a_rather_long_column_nam2", String(10), index());
    EXPECT_NE(c.indexes.at(0).name, name) << "two long names must not become one";
}

class MigrateHostileDb : public strata::testing::MigrateTest {
protected:
    void make_post_table() {
        write_rev("a1", "null",
                  "  - create_table: {table: post, columns: [{name: id, type: Integer, primary_key: true}]}\n",
                  "  - drop_table: post\n");
        ASSERT_EQ(run_db({"upgrade"}).code, 0);
        conn().execute("INSERT INTO post (id) VALUES (1)");
    }
    std::vector<std::string> tables() { return table_names(conn(), InspectOptions{{}}); }
};

TEST_P(MigrateHostileDb, InjectedServerDefaultNeverRuns) {
    make_post_table();
    auto path = write_rev("b2", "a1",
                          "  - add_column: {table: post, column: {name: x, type: Integer, "
                          "server_default: \"0; DROP TABLE post; --\"}}\n",
                          "");
    auto r = run_db({"upgrade", "--yes"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find(path.string() + ":6:"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("is not one SQL expression"), std::string::npos) << r.err;
    EXPECT_EQ(rows("SELECT id FROM post"), std::vector<std::string>{"1"}) << "the database did not change";
    EXPECT_EQ(rows("SELECT version_num FROM strata_version"), std::vector<std::string>{"a1"});
}

TEST_P(MigrateHostileDb, ExecuteTakesOneStatementPerCall) {
    std::string what = expect_throw<ProgrammingError>([&] {
        conn().execute("CREATE TABLE a (x INTEGER); CREATE TABLE b (x INTEGER)");
    }).what();
    EXPECT_NE(what.find("the SQL text holds more than one statement; statements run one at a time (only a "
                        "migration's `execute` op may hold several)"),
              std::string::npos)
        << what;
    EXPECT_TRUE(tables().empty()) << "not even the first statement runs";
    conn().execute("CREATE TABLE a (x INTEGER); -- a comment after it is fine\n");
    EXPECT_EQ(tables(), std::vector<std::string>{"a"});
    expect_throw<ProgrammingError>([&] { conn().prepare("SELECT 1; SELECT 2"); });
    conn().execute_script("CREATE TABLE b (x INTEGER); CREATE TABLE c (x INTEGER)");
    EXPECT_EQ(tables().size(), 3u);
}

TEST_P(MigrateHostileDb, RawSqlIsAskedAboutWithoutATerminal) {
    make_post_table();
    auto path = write_rev("b2", "a1", "  - execute: {sql: \"INSERT INTO post (id) VALUES (2); INSERT INTO post (id) VALUES (3)\"}\n",
                          "");
    auto r = run_db({"upgrade"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.out.find("  execute INSERT INTO post (id) VALUES (2); INSERT INTO post (id) V... (revision b2, " +
                         path.string() + ":6:5): raw SQL, cannot be checked\n"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.err.find("Refusing to go on without a terminal to ask; pass --yes to proceed"), std::string::npos) << r.err;
    EXPECT_EQ(rows("SELECT id FROM post"), std::vector<std::string>{"1"}) << "the database did not change";
    EXPECT_EQ(current(), std::vector<std::string>{"a1"});

    r = run_db({"upgrade", "--yes"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(rows("SELECT id FROM post ORDER BY id"), (std::vector<std::string>{"1", "2", "3"}))
        << "execute may hold several statements";
}

TEST_P(MigrateHostileDb, ConventionNamesFitTheBackend) {
    MetaData md;
    Table& t = md.table(std::string(60, 'p'));
    t.column("id", Integer(), primary_key());
    t.column("author_email_address", String(10), index(), unique());
    md.create_all(conn());
    EXPECT_EQ(strata::testing::differences(md, inspect(conn())), "") << "the database keeps the names as made";
}

// A name the models give that the backend would cut is refused when the SQL
// is made, with the limit named; a backend without a limit takes it.
TEST_P(MigrateHostileDb, NamesTheBackendWouldCutAreRefusedAtRunTime) {
    MetaData md;
    const std::string name(64, 'q');
    md.table(name).column("id", Integer(), primary_key());
    if (is_sqlite()) {
        md.create_all(conn());
        EXPECT_EQ(tables(), std::vector<std::string>{name});
        return;
    }
    std::string what = expect_throw<ProgrammingError>([&] { md.create_all(conn(), /*checkfirst=*/false); }).what();
    EXPECT_NE(what.find("the name '" + name + "' is 64 bytes; postgresql keeps at most 63 bytes of a name (and cuts the "
                        "rest silently)"),
              std::string::npos)
        << what;
    EXPECT_TRUE(tables().empty()) << "the database did not change";
}

TEST_P(MigrateHostileDb, ConfigVersionTableIsUsed) {
    std::ofstream(repo() / kConfigFile) << "# mine\nversion_table: alembic_like_version\n";
    write_rev("a1", "null",
              "  - create_table: {table: t, columns: [{name: id, type: Integer, primary_key: true, autoincrement: true}]}\n",
              "  - drop_table: t\n");
    ASSERT_EQ(run_db({"upgrade"}).code, 0);
    EXPECT_EQ(rows("SELECT version_num FROM alembic_like_version"), std::vector<std::string>{"a1"});
    EXPECT_FALSE(has_table(conn(), kVersionTable));
    auto r = run_db({"current"});
    EXPECT_EQ(r.out, "a1 (head)\n") << r.err;
    models.table("t").column("id", Integer(), primary_key());
    r = run_db({"check"});
    EXPECT_EQ(r.code, 0) << r.out << "the configured version table is not one of the models' tables";
}

TEST_P(MigrateHostileDb, ConfigUnknownKeyIsRefused) {
    std::ofstream(repo() / kConfigFile) << "version_table: v\nversoin_table: w\n";
    auto r = run_db({"upgrade"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "error: " + (repo() / kConfigFile).string() +
                         ":2:1: unknown key 'versoin_table' (expected version_table, include_tables, exclude_tables, "
                         "lock_timeout, statement_timeout, retries, transaction_per or a backend's section: "
                         "sqlite, postgresql)\n");
    std::ofstream(repo() / kConfigFile) << "version_table: v\nversion_table: w\n";
    r = run_db({"upgrade"});
    EXPECT_EQ(r.err, "error: " + (repo() / kConfigFile).string() +
                         ":2:1: duplicate key 'version_table' (first at line 1; a key may appear once in a mapping)\n");
    EXPECT_TRUE(tables().empty()) << "the database did not change";
}

STRATA_INSTANTIATE_BACKENDS(MigrateHostileDb);

}  // namespace

namespace {

TEST(MigrateHostile, ControlCharactersInMessagesAreEscapedOnOutput) {
    EXPECT_EQ(escape_control("a\x1b[2J\nINFO fake\tend\x7f"), "a\\x1b[2J\\nINFO fake\\tend\\x7f");
}

TEST(MigrateHostile, FilesPastTheSizeLimitAreRefused) {
    strata::testing::TempDir dir;
    auto path = dir.path() / "big.yaml";
    std::ofstream(path) << "revision: a1\n";
    std::filesystem::resize_file(path, 50u << 20);
    std::string what = expect_throw<MigrationError>([&] { read_revision_file(path); }).what();
    EXPECT_EQ(what, path.string() + ": the file is 52428800 bytes; a migration file may be at most 1048576 bytes "
                                    "(1 MiB) (load bulk data another way)");
}

// A big file is a long `execute` (seed data): at the limit it loads at once.
TEST(MigrateHostile, AFileAtTheSizeLimitLoads) {
    std::string head = "revision: a1\ndown_revision: null\nupgrade:\n  - execute: {sql: \"INSERT INTO t VALUES ";
    std::string tail = "(0)\"}\ndowngrade: []\n";
    std::string text = head;
    while (text.size() + tail.size() + 8 < kMaxFileBytes) text += "(0), ";
    text += tail;
    strata::testing::TempDir dir;
    auto path = dir.path() / "big.yaml";
    std::ofstream(path) << text;
    ASSERT_LE(std::filesystem::file_size(path), kMaxFileBytes);
    auto start = std::chrono::steady_clock::now();
    Revision rev = read_revision_file(path);
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_EQ(rev.upgrade.size(), 1u);
    EXPECT_LT(seconds, 5.0);
}

}  // namespace

namespace {

strata::testing::ShellRun microblog(const strata::testing::TempDir& dir, const std::string& args,
                                    const std::string& limits = "") {
    return strata::testing::run_shell("(" + limits + " env -u DATABASE_URL " + std::string(STRATA_MICROBLOG_BIN) +
                                      " --basedir " + dir.path().string() + " " + args + ") 2>&1 </dev/null");
}

std::vector<std::string> files_in(const std::filesystem::path& folder) {
    std::vector<std::string> out;
    for (const auto& entry : std::filesystem::directory_iterator(folder)) out.push_back(entry.path().filename().string());
    return out;
}

// A disk that takes no more bytes (ulimit -f 0): the command fails and
// leaves no empty or partial revision file behind.
TEST(MigrateHostileFiles, ARevisionThatCannotBeWrittenLeavesNoFile) {
    strata::testing::TempDir dir;
    ASSERT_EQ(microblog(dir, "db init").status, 0);
    for (const char* command : {"db revision -m manual", "db migrate -m initial"}) {
        auto r = microblog(dir, command, "ulimit -f 0;");
        EXPECT_EQ(r.status, 1) << command << ": " << r.output;
        EXPECT_NE(r.output.find("cannot write: File too large (nothing was written)"), std::string::npos) << r.output;
        EXPECT_EQ(files_in(dir.path() / "migrations" / "versions"), std::vector<std::string>{}) << command;
    }
    auto r = microblog(dir, "db revision -m manual");
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(files_in(dir.path() / "migrations" / "versions").size(), 1u);
}

// A message cannot move the cursor, fake a line of output or, in an offline
// script, become a line of SQL.
TEST(MigrateHostileFiles, ControlCharactersInAMessageAreEscaped) {
    strata::testing::TempDir dir;
    ASSERT_EQ(microblog(dir, "db init").status, 0);
    std::ofstream(dir.path() / "migrations" / "versions" / "a1_x.yaml")
        << "revision: a1\ndown_revision: null\nmessage: \"x\\e[2J\\nDROP TABLE post;\"\nupgrade: []\ndowngrade: []\n";
    auto r = microblog(dir, "db history");
    EXPECT_EQ(r.output, "<base> -> a1 (head), x\\x1b[2J\\nDROP TABLE post;\n");
    r = microblog(dir, "db upgrade --sql head");
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(r.output.find("\nDROP TABLE post;"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("x\\x1b[2J\\nDROP TABLE post;"), std::string::npos) << r.output;
}

}  // namespace

namespace {

// Random bytes or a truncated file: every command says the file is not a
// database, none talks about a migration lock.
TEST(MigrateHostileFiles, AFileThatIsNotADatabaseSaysSo) {
    strata::testing::TempDir dir;
    ASSERT_EQ(microblog(dir, "db init").status, 0);
    std::string noise(4096, '\0');
    std::mt19937 gen(13);
    for (auto& c : noise) c = static_cast<char>(gen());
    for (const std::string& bytes : {noise, std::string("SQLite format 3\0abc", 19)}) {
        std::ofstream(dir.path() / "app.db", std::ios::binary) << bytes;
        for (const char* command : {"db current", "db upgrade", "db downgrade base", "db stamp head", "db check",
                                    "db migrate -m x", "db create", "db upgrade --backup"}) {
            auto r = microblog(dir, command);
            EXPECT_EQ(r.status, 1) << command;
            EXPECT_EQ(r.output, "error: cannot open SQLite database '" + (dir.path() / "app.db").string() +
                                    "' from URL 'sqlite:///" + (dir.path() / "app.db").string() +
                                    "': file is not a database (the file exists but is not a SQLite database, or is "
                                    "damaged)\n")
                << command;
        }
    }
}

// A statement of a SQLite table rebuild fails on a full disk (a file size
// limit, with SIGXFSZ ignored as a full disk does not send it): the real
// error, then "Everything was rolled back", never "cannot rollback".
TEST(MigrateHostileFiles, AFailedRebuildShowsTheRealErrorThenRollsBack) {
    strata::testing::TempDir dir;
    ASSERT_EQ(microblog(dir, "db init").status, 0);
    ASSERT_EQ(microblog(dir, "db migrate -m initial").status, 0);
    ASSERT_EQ(microblog(dir, "db upgrade").status, 0);
    auto conn = connect(dir.sqlite_url("app.db"));
    conn->execute("INSERT INTO \"user\" (nickname, email) VALUES ('a', 'a@x')");
    auto insert = conn->prepare("INSERT INTO post (body, timestamp, user_id) VALUES (?, '2026-01-01 00:00:00', 1)");
    conn->execute("BEGIN");
    for (int i = 0; i < 3000; ++i) {
        insert->bind(1, Value(std::string(130, 'x')));
        insert->execute();
    }
    conn->execute("COMMIT");
    migrate::ScriptDirectory s(dir.path() / "migrations");
    const std::string head = s.heads().at(0);
    std::ofstream(dir.path() / "migrations" / "versions" / "zz1_rebuild.yaml")
        << "revision: zz1\ndown_revision: " << head
        << "\nmessage: rebuild post\nupgrade:\n  - alter_column: {table: post, column: body, type: String(200)}\n"
           "downgrade: []\n";
    const auto kib = std::filesystem::file_size(dir.path() / "app.db") / 1024 + 1;
    auto r = strata::testing::run_shell("bash -c \"trap '' XFSZ; ulimit -f " + std::to_string(kib) +
                                        "; env -u DATABASE_URL " + STRATA_MICROBLOG_BIN + " --basedir " +
                                        dir.path().string() + " db upgrade --yes\" 2>&1 </dev/null");
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find("error: disk I/O error"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("Everything was rolled back: the database is still at " + head + "."), std::string::npos)
        << r.output;
    EXPECT_EQ(r.output.find("cannot rollback"), std::string::npos) << r.output;
    auto count = conn->prepare("SELECT COUNT(*) FROM post");
    ASSERT_TRUE(count->step());
    EXPECT_EQ(count->get_int64(0), 3000) << "the database did not change";
}

}  // namespace

namespace {

class MigrateNarrowing : public strata::testing::MigrateTest {
protected:
    void SetUp() override {
        MigrateTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        write_rev("a1", "null",
                  "  - create_table: {table: post, columns: [{name: id, type: Integer, primary_key: true}, "
                  "{name: body, type: String(200)}]}\n",
                  "  - drop_table: post\n");
        path_ = write_rev("b2", "a1", "  - alter_column: {table: post, column: body, type: String(120)}\n",
                          "  - alter_column: {table: post, column: body, type: String(200)}\n");
        ASSERT_EQ(run_db({"upgrade", "a1"}).code, 0);
        auto insert = conn().prepare("INSERT INTO post (id, body) VALUES (" + conn().dialect().placeholder(1) + ", " +
                                     conn().dialect().placeholder(2) + ")");
        for (int id = 1; id <= 4; ++id) {
            insert->bind(1, Value(std::int64_t{id}));
            insert->bind(2, Value(std::string(id == 3 ? 121 : 120, 'a' + static_cast<char>(id))));
            insert->execute();
        }
    }
    std::filesystem::path path_;
};

// String(200) -> String(120): only the row longer than 120 is counted, and
// the change fails naming it rather than cutting it (PostgreSQL is not asked
// to cast, which would cut silently).
TEST_P(MigrateNarrowing, OnlyValuesThatDoNotFitCountAndNoneIsCut) {
    auto r = run_db({"upgrade"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.out.find("  alter_column post.body (revision b2, " + path_.string() +
                         ":6:5): 1 rows of post hold a value longer than 120 characters in body (the change fails on "
                         "them; nothing is cut)\n"),
              std::string::npos)
        << r.out;
    r = run_db({"upgrade", "--yes"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("1 rows of post hold a value longer than 120 characters in body (id 3); shorten them first "
                         "(a narrowing never cuts text)"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("Everything was rolled back"), std::string::npos) << r.err;
    EXPECT_EQ(rows("SELECT length(body) FROM post WHERE id = 3"), std::vector<std::string>{"121"});
    EXPECT_EQ(current(), std::vector<std::string>{"a1"});

    conn().execute("UPDATE post SET body = 'short' WHERE id = 3");
    r = run_db({"upgrade"});
    EXPECT_EQ(r.code, 0) << r.out << r.err << "no value is at stake: nothing to ask";
    EXPECT_EQ(rows("SELECT length(body) FROM post ORDER BY id"), (std::vector<std::string>{"120", "120", "5", "120"}));
    EXPECT_EQ(inspect(conn()).find("post")->find_column("body")->type, String(120));
}

STRATA_INSTANTIATE_BACKENDS(MigrateNarrowing);

}  // namespace
