// The runner: one transaction per run (a failing step rolls back every
// revision of the run), offline SQL equal to what the online run executes,
// data-loss confirmation, --backup, and two processes upgrading at once.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "migrate_support.hpp"

using namespace strata;
using namespace strata::migrate;
using strata::testing::expect_throw;

namespace {

using Ids = std::vector<std::string>;

class MigrateRunner : public strata::testing::MigrateTest {
protected:
    void write_history() {
        write_rev("aaa001", "null",
                  "  - create_table:\n      table: user\n      columns:\n"
                  "        - {name: id, type: Integer, primary_key: true, autoincrement: true}\n"
                  "        - {name: name, type: String(50), nullable: false}\n"
                  "        - {name: note, type: String(100)}\n"
                  "  - create_index: {table: user, name: ix_user_name, columns: [name], unique: true}\n"
                  "  - create_table:\n      table: post\n      columns:\n"
                  "        - {name: id, type: Integer, primary_key: true}\n"
                  "        - {name: user_id, type: Integer}\n"
                  "      foreign_keys: [{name: fk_post_user_id_user, columns: [user_id], ref_table: user, ref_columns: [id]}]\n",
                  "  - drop_table: post\n  - drop_index: {table: user, name: ix_user_name}\n  - drop_table: user\n",
                  "initial");
        write_rev("bbb002", "aaa001",
                  "  - alter_column: {table: user, column: note, type: Text, nullable: false, server_default: \"''\"}\n"
                  "  - create_check_constraint: {table: user, name: ck_user_name, sqltext: length(name) > 1}\n"
                  "  - add_column: {table: post, column: {name: body, type: String(140)}}\n",
                  "  - drop_column: {table: post, column: body}\n"
                  "  - drop_constraint: {table: user, name: ck_user_name}\n"
                  "  - alter_column: {table: user, column: note, type: String(100), nullable: true, server_default: null}\n",
                  "tighten");
    }
};

TEST_P(MigrateRunner, FailingStepRollsBackTheWholeRun) {
    write_rev("aaa001", "null", "  - create_table: {table: t1, columns: [{name: id, type: Integer, primary_key: true}]}\n",
              "  - drop_table: t1\n");
    auto bad = write_rev("bbb002", "aaa001",
                         "  - create_table: {table: t2, columns: [{name: id, type: Integer, primary_key: true}]}\n"
                         "  - execute: {sql: INSERT INTO nowhere VALUES (1)}\n",
                         "  - drop_table: t2\n");
    auto err = expect_throw<MigrationError>([&] { upgrade(); });
    std::string what = err.what();
    EXPECT_NE(what.find(bad.string() + ":7:5: revision bbb002 (test), upgrade op 2 `execute INSERT INTO nowhere VALUES (1)` failed:"),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("nowhere"), std::string::npos) << what;
    EXPECT_NE(what.find("Everything was rolled back: the database is still at base."), std::string::npos) << what;
    EXPECT_TRUE(current().empty());
    EXPECT_EQ(table_names(conn()), Ids{}) << "t1 from the first revision must be rolled back too";

    // From a revision in the middle: the database stays exactly there.
    upgrade("aaa001");
    conn().execute("INSERT INTO t1 (id) VALUES (7)");
    expect_throw<MigrationError>([&] { upgrade(); });
    EXPECT_EQ(current(), Ids{"aaa001"});
    EXPECT_EQ(table_names(conn()), Ids{"t1"});
    EXPECT_EQ(rows("SELECT id FROM t1"), Ids{"7"});
}

TEST_P(MigrateRunner, OpThatDoesNotFitTheSchemaNamesFileAndOp) {
    write_rev("aaa001", "null", "  - create_table: {table: t1, columns: [{name: id, type: Integer, primary_key: true}]}\n",
              "  - drop_table: t1\n");
    auto bad = write_rev("bbb002", "aaa001", "  - drop_column: {table: t1, column: nope}\n", "");
    std::string what = expect_throw<MigrationError>([&] { upgrade(); }).what();
    EXPECT_NE(what.find(bad.string() + ":6:5: revision bbb002 (test), upgrade op 1 `drop_column t1.nope` failed: "
                        "drop_column: table 't1' has no column 'nope'"),
              std::string::npos)
        << what;
    EXPECT_TRUE(current().empty());
    EXPECT_FALSE(has_table(conn(), "t1"));
    auto r = run_db({"upgrade"});   // the data-loss pass meets it first: same message
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("`drop_column t1.nope` failed: drop_column: table 't1' has no column 'nope'\n"
                         "Everything was rolled back: the database is still at base."),
              std::string::npos)
        << r.err;
    EXPECT_TRUE(current().empty());
}

TEST_P(MigrateRunner, LockTimeoutFailsClearlyAndChangesNothing) {
    write_rev("aaa001", "null", "  - create_table: {table: t1, columns: [{name: id, type: Integer, primary_key: true}]}\n",
              "  - drop_table: t1\n");
    auto holder = open_connection();
    if (is_sqlite()) holder->execute("BEGIN IMMEDIATE");
    else holder->prepare("SELECT pg_advisory_lock(" + std::to_string(kPostgresLockKey) + ")")->step();
    std::vector<std::string> notices;
    RunOptions options;
    options.migration_lock_wait = std::chrono::milliseconds(300);
    options.notice = [&](const std::string& line) { notices.push_back(line); };
    std::string what = expect_throw<MigrationError>([&] { upgrade("head", options); }).what();
    EXPECT_NE(what.find("could not take the migration lock: another migration is still running"), std::string::npos)
        << what;
    ASSERT_EQ(notices.size(), 1u);
    EXPECT_NE(notices[0].find("Another migration is running on this database; waiting"), std::string::npos);
    if (is_sqlite()) holder->execute("ROLLBACK");
    else holder->prepare("SELECT pg_advisory_unlock(" + std::to_string(kPostgresLockKey) + ")")->step();
    EXPECT_TRUE(current().empty());
    EXPECT_FALSE(has_table(conn(), "t1"));
    if (is_sqlite()) {
        EXPECT_EQ(rows("PRAGMA foreign_keys"), Ids{"1"}) << "foreign keys are back on after the failure";
    }
    upgrade();
    EXPECT_EQ(current(), Ids{"aaa001"}) << "the lock is free again";
}

// A reader's open transaction holds SQLite's shared lock (rollback-journal
// mode), which the run's COMMIT would have to wait out. The run waits for it
// up front, before the table rebuild -- up to the connection's busy timeout,
// which it leaves as configured -- and, the reader still there, fails saying
// so with nothing changed. A reader that finishes within the wait lets the
// run go on. PostgreSQL's readers (of other tables) do not stand in its way.
TEST_P(MigrateRunner, AReaderMakesTheUpgradeWaitBeforeAnyWork) {
    write_rev("aaa001", "null",
              "  - create_table: {table: t1, columns: [{name: id, type: Integer, primary_key: true},"
              " {name: name, type: String(20)}]}\n",
              "  - drop_table: t1\n");
    write_rev("bbb002", "aaa001", "  - alter_column: {table: t1, column: name, type: String(40)}\n",
              "  - alter_column: {table: t1, column: name, type: String(20)}\n");
    upgrade("aaa001");
    conn().execute("INSERT INTO t1 (id, name) VALUES (1, 'x')");
    auto reader = open_connection();
    auto start_reading = [&] {
        reader->begin_deferred();
        auto st = reader->prepare("SELECT count(*) FROM " + reader->dialect().quote(kVersionTable));
        ASSERT_TRUE(st->step());
    };
    start_reading();
    std::vector<std::string> notices;
    RunOptions options;
    options.notice = [&](const std::string& line) { notices.push_back(line); };
    auto waits = [&] { return std::count_if(notices.begin(), notices.end(), [](auto& n) { return n.find("waiting") != std::string::npos; }); };
    if (!is_sqlite()) {
        upgrade("head", options);
        EXPECT_EQ(current(), Ids{"bbb002"});
        EXPECT_EQ(waits(), 0) << "no wait";
        return;
    }
    // The wait for readers is the connection's busy timeout, from its options.
    DatabaseOptions short_wait;
    short_wait.connection.busy_timeout_ms = 300;
    Database impatient = open_db(short_wait);
    auto impatient_conn = impatient.connect();
    ScriptDirectory scripts(repo());
    auto started = std::chrono::steady_clock::now();
    std::string what =
        expect_throw<MigrationError>([&] { Runner(*impatient_conn, scripts).upgrade("head", options); }).what();
    auto waited = std::chrono::steady_clock::now() - started;
    EXPECT_NE(what.find("could not take the migration lock: another connection is reading the database, holding "
                        "SQLite's shared lock in an open transaction (waited 300 ms)"),
              std::string::npos)
        << what;
    EXPECT_GE(waited, std::chrono::milliseconds(250));
    EXPECT_LT(waited, std::chrono::seconds(5)) << "the busy timeout, not the 60 s lock timeout";
    ASSERT_EQ(waits(), 1) << "notices: " << ::testing::PrintToString(notices);
    EXPECT_EQ(notices[0], "Another connection is reading the database; waiting up to 300 ms (the busy timeout) for it "
                          "to finish...") << "before anything else";
    EXPECT_EQ(current(), Ids{"aaa001"});
    auto timeout = impatient_conn->prepare("PRAGMA busy_timeout");
    ASSERT_TRUE(timeout->step());
    EXPECT_EQ(timeout->get_int64(0), 300) << "the configured busy timeout is kept";
    timeout = {};

    std::thread finish([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        reader->rollback();
    });
    upgrade("head", options);
    finish.join();
    EXPECT_EQ(current(), Ids{"bbb002"});
    EXPECT_EQ(rows("SELECT name FROM t1"), Ids{"x"});
    EXPECT_EQ(rows("PRAGMA busy_timeout"), Ids{"5000"});
}

TEST_P(MigrateRunner, OfflineSqlIsWhatTheOnlineRunExecutes) {
    write_history();
    ScriptDirectory s(repo());
    const Dialect& d = conn().dialect();
    OfflineScript up = offline_upgrade(s, d, "head");
    OfflineScript down = offline_downgrade(s, d, "head:base");
    EXPECT_TRUE(table_names(conn(), InspectOptions{{}}).empty()) << "--sql must not touch the database";

    RunResult ran_up = upgrade();
    EXPECT_EQ(ran_up.statements, up.statements);
    RunResult ran_down = downgrade("base");
    EXPECT_EQ(ran_down.statements, down.statements);
    if (is_sqlite()) {
        bool rebuilds = false;
        for (const auto& sql : up.statements) rebuilds |= sql.find("_strata_tmp_user") != std::string::npos;
        EXPECT_TRUE(rebuilds) << "SQLite alters `user` by a batch rebuild, rendered offline without a database";
    }
    EXPECT_NE(up.text.find("BEGIN;"), std::string::npos);
    EXPECT_NE(up.text.find("INSERT INTO \"strata_version\" (\"version_num\") VALUES ('aaa001');"), std::string::npos)
        << up.text;
    EXPECT_NE(up.text.find("DELETE FROM \"strata_version\" WHERE \"version_num\" = 'aaa001';"), std::string::npos);
    EXPECT_NE(up.text.find("COMMIT;"), std::string::npos);

    auto cli = run_db({"upgrade", "--sql", "aaa001:head"});
    ASSERT_EQ(cli.code, 0) << cli.err;
    EXPECT_NE(cli.out.find("-- Running upgrade bbb002: tighten"), std::string::npos) << cli.out;
    EXPECT_EQ(cli.out.find("CREATE TABLE \"post\""), std::string::npos) << "starts after aaa001";
}

// The offline script's transactions keep to the limits a live run sets on
// PostgreSQL (--lock-timeout, --statement-timeout), and the script runs.
TEST_P(MigrateRunner, OfflineScriptKeepsTheLimitsOfALiveRun) {
    write_history();
    auto cli = run_db({"upgrade", "--sql", "--lock-timeout", "2s", "--statement-timeout", "10m", "head"});
    ASSERT_EQ(cli.code, 0) << cli.err;
    const std::string limits = "BEGIN;\nSET LOCAL lock_timeout = 2000;\nSET LOCAL statement_timeout = 600000;\n";
    if (is_sqlite()) EXPECT_EQ(cli.out.find("SET LOCAL"), std::string::npos) << cli.out;
    else EXPECT_NE(cli.out.find(limits), std::string::npos) << cli.out;

    // Run as a client would: statement by statement, comments left out.
    std::string statement;
    std::istringstream lines(cli.out);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("--", 0) == 0) continue;
        statement += line + "\n";
        if (line.empty() || line.back() != ';') continue;
        statement.resize(statement.size() - 2);  // ";\n"
        auto stmt = conn().prepare(statement);
        while (stmt->step()) {
        }
        statement.clear();
    }
    EXPECT_EQ(current(), Ids{"bbb002"});
}

// SQLite rebuilds a table to change a column: dropping the old table drops
// its triggers, and strata's schema does not model them. The online run
// reads them before and creates them again after; the offline script says
// it cannot see them. (PostgreSQL alters in place: nothing to keep.)
class MigrateRunnerRebuild : public MigrateRunner {};  // SQLite only: PostgreSQL alters in place

TEST_P(MigrateRunnerRebuild, ARebuiltTableKeepsItsTriggers) {
    write_rev("aaa001", "null",
              "  - create_table:\n      table: user\n      columns:\n"
              "        - {name: id, type: Integer, primary_key: true}\n"
              "        - {name: name, type: String(50)}\n"
              "  - create_table:\n      table: audit\n      columns:\n"
              "        - {name: id, type: Integer, primary_key: true}\n"
              "        - {name: what, type: String(100)}\n",
              "  - drop_table: audit\n  - drop_table: user\n", "initial");
    write_rev("bbb002", "aaa001", "  - alter_column: {table: user, column: name, nullable: false}\n",
              "  - alter_column: {table: user, column: name, nullable: true}\n", "name required");
    upgrade("aaa001");
    conn().execute("CREATE TRIGGER user_added AFTER INSERT ON \"user\" BEGIN "
                   "INSERT INTO audit (what) VALUES ('added ' || NEW.name); END");
    conn().execute("INSERT INTO \"user\" (id, name) VALUES (1, 'amy')");

    RunResult up = upgrade();
    bool rebuilt = false;
    for (const auto& sql : up.statements) rebuilt |= sql.find("_strata_tmp_user") != std::string::npos;
    ASSERT_TRUE(rebuilt) << "the nullability change rebuilds `user`";
    EXPECT_EQ(rows("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'user'"), Ids{"user_added"});
    conn().execute("INSERT INTO \"user\" (id, name) VALUES (2, 'bob')");
    EXPECT_EQ(rows("SELECT what FROM audit ORDER BY id"), (Ids{"added amy", "added bob"})) << "it still fires";

    downgrade("aaa001");  // a rebuild back: the trigger stays too
    conn().execute("INSERT INTO \"user\" (id, name) VALUES (3, 'cat')");
    EXPECT_EQ(rows("SELECT what FROM audit ORDER BY id"), (Ids{"added amy", "added bob", "added cat"}));

    ScriptDirectory scripts(repo());
    OfflineScript offline = offline_upgrade(scripts, conn().dialect(), "aaa001:head");
    EXPECT_NE(offline.text.find("-- (a rebuild of user: `db upgrade` creates its triggers again; this script cannot see them)"),
              std::string::npos)
        << offline.text;
}

TEST(MigrateOffline, RendersForTheOtherDialectWithoutADatabase) {
    strata::testing::TempDir dir;
    ScriptDirectory::init(dir.path() / "m");
    std::ofstream(dir.path() / "m" / "versions" / "a1_x.yaml")
        << "revision: a1\ndown_revision: null\nmessage: x\nupgrade:\n"
           "  - create_table: {table: t, columns: [{name: id, type: Integer, primary_key: true}, {name: v, type: String(5)}]}\n"
           "  - alter_column: {table: t, column: v, type: Text, nullable: false}\n"
           "downgrade:\n  - drop_table: t\n";
    ScriptDirectory s(dir.path() / "m");
    std::string lite = offline_upgrade(s, dialect_named("sqlite"), "head").text;
    EXPECT_NE(lite.find("INSERT INTO \"_strata_tmp_t\" (\"id\", \"v\") SELECT \"id\", \"v\" FROM \"t\";"), std::string::npos)
        << lite;
    EXPECT_NE(lite.find("ALTER TABLE \"_strata_tmp_t\" RENAME TO \"t\";"), std::string::npos) << lite;
    EXPECT_NE(lite.find("PRAGMA foreign_keys = OFF;"), std::string::npos) << lite;
    auto err = expect_throw<MigrationError>([&] { offline_downgrade(s, dialect_named("sqlite"), "base"); });
    EXPECT_NE(std::string(err.what()).find("downgrade --sql needs FROM:TO"), std::string::npos);

    std::string pg = offline_upgrade(s, dialect_named("postgresql"), "head").text;
    EXPECT_NE(pg.find("ALTER TABLE \"t\" ALTER COLUMN \"v\" TYPE TEXT;"), std::string::npos) << pg;
    EXPECT_NE(pg.find("ALTER TABLE \"t\" ALTER COLUMN \"v\" SET NOT NULL;"), std::string::npos) << pg;
}

TEST_P(MigrateRunner, DestructiveStepNeedsConfirmation) {
    write_history();
    upgrade("aaa001");
    conn().execute("INSERT INTO \"user\" (name, note) VALUES ('ann', 'a'), ('bob', 'b'), ('cy', NULL)");
    write_rev("ccc003", "aaa001", "  - drop_column: {table: user, column: note}\n",
              "  - add_column: {table: user, column: {name: note, type: String(100)}}\n", "drop note");
    std::filesystem::remove(repo() / "versions" / "bbb002_test.yaml");

    auto r = run_db({"upgrade"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.out.find("drop_column user.note (revision ccc003, "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("2 rows of user hold a value in note"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("pass --yes to proceed"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("aborted: nothing was changed, the database is still at aaa001"), std::string::npos) << r.err;
    EXPECT_EQ(current(), Ids{"aaa001"});
    EXPECT_EQ(columns_of("user"), (Ids{"id", "name", "note"}));

    r = run_db({"upgrade"}, /*interactive=*/true, "n\n");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.out.find("Continue? [y/N]"), std::string::npos) << r.out;
    EXPECT_EQ(columns_of("user"), (Ids{"id", "name", "note"}));

    r = run_db({"upgrade"}, /*interactive=*/true, "y\n");
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(columns_of("user"), (Ids{"id", "name"}));

    r = run_db({"downgrade", "--yes", "base"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("drop_table user"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("3 rows in user will be deleted"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("drop_table post"), std::string::npos) << "an empty table loses nothing: not listed\n" << r.out;
    EXPECT_TRUE(current().empty());
}

TEST_P(MigrateRunner, NarrowingTypeChangeNeedsConfirmation) {
    write_history();
    upgrade("aaa001");
    conn().execute("INSERT INTO \"user\" (name) VALUES ('ann'), ('bob-the-eleventh')");
    std::filesystem::remove(repo() / "versions" / "bbb002_test.yaml");
    write_rev("ccc003", "aaa001",
              "  - alter_column: {table: user, column: name, type: String(10)}\n"
              "  - alter_column: {table: user, column: note, type: Text}\n",
              "  - alter_column: {table: user, column: note, type: String(100)}\n"
              "  - alter_column: {table: user, column: name, type: String(50)}\n");
    auto r = run_db({"upgrade"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.out.find("alter_column user.name (revision ccc003"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("1 rows of user hold a value longer than 10 characters in name"), std::string::npos)
        << "only the value that does not fit counts\n" << r.out;
    EXPECT_EQ(r.out.find("user.note"), std::string::npos) << "String(100) -> Text widens: not listed\n" << r.out;
    EXPECT_EQ(current(), Ids{"aaa001"});
    EXPECT_EQ(run_db({"upgrade", "--yes"}).code, 1) << "a narrowing never cuts text, even when told to go on";
    conn().execute("UPDATE \"user\" SET name = 'bob' WHERE name = 'bob-the-eleventh'");
    EXPECT_EQ(run_db({"upgrade"}).code, 0) << "every value fits: nothing to ask";
    EXPECT_EQ(current(), Ids{"ccc003"});
}

TEST_P(MigrateRunner, BackupCopiesTheSqliteFileFirst) {
    write_history();
    upgrade("aaa001");
    auto r = run_db({"upgrade", "--backup"});
    if (!is_sqlite()) {
        EXPECT_EQ(r.code, 1);
        EXPECT_NE(r.err.find("--backup works on SQLite only"), std::string::npos) << r.err;
        EXPECT_EQ(current(), Ids{"aaa001"});
        return;
    }
    ASSERT_EQ(r.code, 0) << r.err;
    auto at = r.out.find("Backed up the database to ");
    ASSERT_NE(at, std::string::npos) << r.out;
    std::string path = r.out.substr(at + 26, r.out.find('\n', at) - at - 26);
    ASSERT_TRUE(std::filesystem::exists(path)) << path;
    EXPECT_EQ(std::filesystem::path(path).parent_path(), dir().path());
    auto copy = connect("sqlite:///" + path);
    auto stmt = copy->prepare("SELECT version_num FROM strata_version");
    ASSERT_TRUE(stmt->step());
    EXPECT_EQ(stmt->get_text(0), "aaa001") << "the backup is the database before the upgrade";
    EXPECT_EQ(current(), Ids{"bbb002"});
}

// Runs `db upgrade` in a child process; returns its pid. Output goes to `log`.
pid_t spawn_upgrade(const DbContext& ctx, const std::filesystem::path& log) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    std::ofstream out(log);
    std::istringstream in;
    int code = 1;
    try {
        code = db_run(ctx, {"upgrade", "--yes"}, DbStreams{out, out, in, false});
    } catch (...) {
    }
    out.flush();
    _exit(code);
}

// The first run's middle step holds the migration lock while the second
// run starts: on SQLite a query that counts to 2,000,000 (about a second
// under the sanitizers on a quiet machine), short enough that the second,
// waiting at most its busy timeout (5 s), outlasts it on a loaded one too.
TEST_P(MigrateRunner, TwoProcessesUpgradingAtOnceDoNotInterleave) {
    write_rev("aaa001", "null",
              "  - create_table: {table: t, columns: [{name: id, type: Integer, primary_key: true}]}\n"
              "  - execute:\n"
              "      sqlite: WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) SELECT count(*) FROM c\n"
              "      postgresql: SELECT pg_sleep(1.5)\n"
              "  - execute: {sql: INSERT INTO t (id) VALUES (1)}\n",
              "  - drop_table: t\n");
    DbContext ctx{url(), repo(), [] { return MetaData(); }, "test"};
    auto log1 = dir().path() / "one.log", log2 = dir().path() / "two.log";
    pid_t first = spawn_upgrade(ctx, log1);
    pid_t second = spawn_upgrade(ctx, log2);
    int status1 = 0, status2 = 0;
    waitpid(first, &status1, 0);
    waitpid(second, &status2, 0);
    auto slurp = [](const std::filesystem::path& p) {
        std::ifstream in(p);
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    std::string out1 = slurp(log1), out2 = slurp(log2);
    EXPECT_TRUE(WIFEXITED(status1) && WEXITSTATUS(status1) == 0) << out1;
    EXPECT_TRUE(WIFEXITED(status2) && WEXITSTATUS(status2) == 0) << out2;
    std::string both = out1 + out2;
    auto count = [&](const std::string& needle) {
        std::size_t n = 0;
        for (auto at = both.find(needle); at != std::string::npos; at = both.find(needle, at + 1)) ++n;
        return n;
    };
    EXPECT_EQ(count("Running upgrade base -> aaa001"), 1u) << both;
    EXPECT_EQ(count("Nothing to do: the database is at aaa001"), 1u) << both;
    EXPECT_EQ(count("waiting up to") + count("waiting for its lock"), 1u) << "the second run waits, saying so:\n" << both;
    EXPECT_EQ(current(), Ids{"aaa001"});
    EXPECT_EQ(rows("SELECT id FROM t"), Ids{"1"});
}

TEST_P(MigrateRunner, DowngradeBaseLeavesOnlyTheVersionTable) {
    write_history();
    upgrade();
    EXPECT_EQ(current(), Ids{"bbb002"});
    auto r = run_db({"downgrade", "base", "--yes"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("Running downgrade bbb002 -> aaa001, tighten"), std::string::npos) << r.out;
    EXPECT_EQ(table_names(conn(), InspectOptions{{}}), Ids{"strata_version"});
    EXPECT_EQ(rows("SELECT count(*) FROM strata_version"), Ids{"0"});
}

STRATA_INSTANTIATE_BACKENDS(MigrateRunner);
INSTANTIATE_TEST_SUITE_P(Backends, MigrateRunnerRebuild, ::testing::Values(strata::testing::Backend::SQLite),
                         strata::testing::backend_name);

}  // namespace
