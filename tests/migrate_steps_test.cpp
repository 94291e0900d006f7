// transaction_per (migration | revision | step): what one transaction of a
// run holds, what a failure in the middle of the second revision of three
// leaves committed, and how the next run resumes from the step record.
// Steps outside a transaction: concurrent index builds and drops (PostgreSQL;
// SQLite ignores the flag), `execute` with transaction: false, the INVALID
// index a failed concurrent build leaves, and autogenerate's concurrent_indexes.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "migrate_support.hpp"

using namespace strata;
using namespace strata::migrate;
using strata::testing::expect_throw;

namespace {

using Ids = std::vector<std::string>;

class MigrateSteps : public strata::testing::MigrateTest {
protected:
    // Three revisions; op 2 of r2 fails while `blocker` holds id 1 (the test
    // puts it there, and takes it away to let the next run through).
    void write_history() {
        write_rev("r1", "null", "  - create_table: {table: t1, columns: [{name: id, type: Integer, primary_key: true}]}\n",
                  "  - drop_table: t1\n");
        write_rev("r2", "r1",
                  "  - add_column: {table: t1, column: {name: b, type: Integer}}\n"
                  "  - execute: {sql: INSERT INTO blocker (id) VALUES (1)}\n"
                  "  - add_column: {table: t1, column: {name: c, type: Integer}}\n",
                  "  - drop_column: {table: t1, column: c}\n  - drop_column: {table: t1, column: b}\n");
        write_rev("r3", "r2", "  - create_table: {table: t3, columns: [{name: id, type: Integer, primary_key: true}]}\n",
                  "  - drop_table: t3\n");
        conn().execute("CREATE TABLE blocker (id INTEGER PRIMARY KEY)");
        conn().execute("INSERT INTO blocker (id) VALUES (1)");
    }
    void set_config(const std::string& yaml) { std::ofstream(repo() / kConfigFile) << yaml; }
    Ids step_records() {
        if (!has_table(conn(), "strata_version_steps")) return {};
        return rows("SELECT version_num, direction, steps_done FROM strata_version_steps");
    }
    // After the failure is fixed, the next run finishes everything.
    void finish(const std::function<void()>& run) {
        conn().execute("DELETE FROM blocker");
        run();
        EXPECT_EQ(current(), Ids{"r3"});
        EXPECT_EQ(columns_of("t1"), (Ids{"id", "b", "c"}));
        EXPECT_EQ(rows("SELECT id FROM blocker"), Ids{"1"}) << "r2's execute ran exactly once";
        EXPECT_EQ(columns_of("t3"), Ids{"id"});
    }
};

TEST_P(MigrateSteps, PerMigrationRollsBackEveryRevision) {
    write_history();
    auto err = expect_throw<MigrationError>([&] { upgrade(); });
    EXPECT_NE(std::string(err.what()).find("revision r2 (test), upgrade op 2 `execute"), std::string::npos) << err.what();
    EXPECT_NE(std::string(err.what()).find("Everything was rolled back: the database is still at base."),
              std::string::npos)
        << err.what();
    EXPECT_EQ(current(), Ids{});
    EXPECT_EQ(table_names(conn()), Ids{"blocker"}) << "the version table too was rolled back";
    finish([&] { upgrade(); });
}

TEST_P(MigrateSteps, PerRevisionKeepsTheRevisionsBeforeTheFailure) {
    write_history();
    auto failed = run_db({"upgrade", "--yes", "--transaction-per", "revision"});
    EXPECT_EQ(failed.code, 1) << failed.out << failed.err;
    EXPECT_NE(failed.err.find("The failing transaction was rolled back; the ones before it stay committed: the "
                              "database is at r1."),
              std::string::npos)
        << failed.err;
    EXPECT_EQ(current(), Ids{"r1"}) << "r1 was committed on its own";
    EXPECT_EQ(columns_of("t1"), Ids{"id"}) << "r2's first op rolled back with r2";
    EXPECT_FALSE(has_table(conn(), "strata_version_steps")) << "revision mode keeps no step records";
    finish([&] {
        auto ok = run_db({"upgrade", "--yes", "--transaction-per", "revision"});
        EXPECT_EQ(ok.code, 0) << ok.out << ok.err;
    });
}

TEST_P(MigrateSteps, PerStepKeepsTheStepsBeforeTheFailureAndResumesThere) {
    write_history();
    set_config("transaction_per: step\n");
    auto err = expect_throw<MigrationError>([&] { upgrade(); });
    EXPECT_NE(std::string(err.what()).find("the database is at r1, and revision r2 (upgrade) stopped after step 1 of "
                                           "3; the next `db upgrade` resumes there."),
              std::string::npos)
        << err.what();
    EXPECT_EQ(current(), Ids{"r1"});
    EXPECT_EQ(columns_of("t1"), (Ids{"id", "b"})) << "r2's first op was committed on its own";
    EXPECT_EQ(step_records(), Ids{"r2|upgrade|1"});

    // Only finishing r2 is allowed: a downgrade would undo steps that never ran.
    auto refused = expect_throw<MigrationError>([&] { downgrade("base"); });
    EXPECT_NE(std::string(refused.what()).find("revision r2's upgrade stopped after step 1 (recorded in "
                                               "strata_version_steps); run `db upgrade r2` to finish it first"),
              std::string::npos)
        << refused.what();

    // The next run, whatever its own mode, starts at op 2 of r2 (op 1 again
    // would fail: column b exists) and clears the record with r2's version.
    finish([&] {
        set_config("transaction_per: migration\n");
        std::vector<std::string> notices;
        RunOptions options;
        options.notice = [&](const std::string& line) { notices.push_back(line); };
        upgrade("head", options);
        ASSERT_FALSE(notices.empty());
        EXPECT_EQ(notices[0], "Resuming revision r2 after its step 1 (a run stopped there)");
    });
    EXPECT_EQ(step_records(), Ids{});
}

TEST_P(MigrateSteps, PerStepDowngradeCommitsEachStep) {
    write_history();
    conn().execute("DELETE FROM blocker");
    upgrade();
    RunOptions options;
    options.transaction_per = TransactionPer::Step;
    downgrade("base", options);
    EXPECT_EQ(current(), Ids{});
    EXPECT_EQ(table_names(conn()), Ids{"blocker"});
    EXPECT_TRUE(has_table(conn(), "strata_version_steps"));
    EXPECT_EQ(step_records(), Ids{});
}

TEST_P(MigrateSteps, ConfigRefusesAnUnknownMode) {
    set_config("transaction_per: statement\n");
    auto err = expect_throw<MigrationError>([&] { ScriptDirectory s(repo()); });
    EXPECT_EQ(std::string(err.what()),
              (repo() / kConfigFile).string() + ":1:18: transaction_per: expected migration, revision or step");
    set_config("transaction_per: [step]\n");
    err = expect_throw<MigrationError>([&] { ScriptDirectory s(repo()); });
    EXPECT_EQ(std::string(err.what()),
              (repo() / kConfigFile).string() + ":1:18: transaction_per: expected migration, revision or step");
}

STRATA_INSTANTIATE_BACKENDS(MigrateSteps);

// ---------------------------------------------------------------- steps outside a transaction

class MigrateOutside : public MigrateSteps {
protected:
    bool concurrent() { return conn().dialect().builds_indexes_concurrently(); }
    void write_table() {
        write_rev("r1", "null",
                  "  - create_table: {table: t, columns: [{name: id, type: Integer, primary_key: true}, {name: v, type: Integer}]}\n",
                  "  - drop_table: t\n");
        upgrade();
        for (int i = 1; i <= 50; ++i)
            conn().execute("INSERT INTO t (id, v) VALUES (" + std::to_string(i) + ", " + std::to_string(i % 10) + ")");
    }
    std::size_t count_of(const std::vector<std::string>& statements, const std::string& text) {
        return static_cast<std::size_t>(std::count_if(statements.begin(), statements.end(), [&](const std::string& s) {
            return s.find(text) != std::string::npos;
        }));
    }
    bool invalid_index(const std::string& name) {
        auto stmt = conn().prepare(conn().dialect().invalid_index_sql());
        stmt->bind(1, Value(name));
        return stmt->step();
    }
};

TEST_P(MigrateOutside, ConcurrentIndexesAndVacuumRunOutsideTheRevisionsTransaction) {
    write_table();
    // VACUUM and CREATE INDEX CONCURRENTLY fail inside a transaction block on
    // PostgreSQL, VACUUM inside one on SQLite: that they pass shows where they ran.
    write_rev("r2", "r1",
              "  - create_index: {table: t, name: ix_t_v, columns: [v], concurrently: true}\n"
              "  - execute: {sql: VACUUM, postgresql: VACUUM t, transaction: false}\n"
              "  - add_column: {table: t, column: {name: w, type: Integer}}\n",
              "  - drop_column: {table: t, column: w}\n"
              "  - drop_index: {table: t, name: ix_t_v, concurrently: true}\n");
    RunResult up = upgrade();
    EXPECT_EQ(current(), Ids{"r2"});
    EXPECT_EQ(count_of(up.statements, "CREATE INDEX CONCURRENTLY"), concurrent() ? 1u : 0u);
    EXPECT_EQ(count_of(up.statements, "CREATE INDEX"), 1u);
    EXPECT_EQ(step_records(), Ids{}) << "the record is cleared with r2's version";
    MetaData md = inspect(conn());
    ASSERT_NE(md.find("t"), nullptr);
    EXPECT_EQ(md.find("t")->indexes.size(), 1u);

    RunResult down = downgrade("r1");
    EXPECT_EQ(count_of(down.statements, "DROP INDEX CONCURRENTLY"), concurrent() ? 1u : 0u);
    EXPECT_TRUE(inspect(conn()).find("t")->indexes.empty());

    // Offline, the step gets no transaction either.
    ScriptDirectory s(repo());
    const std::string text = offline_upgrade(s, conn().dialect(), "r1:r2").text;
    EXPECT_TRUE(std::regex_search(text, std::regex("\nCOMMIT;\n-- execute [^\n]*\nVACUUM[^\n]*;\nBEGIN;\n"))) << text;
}

TEST_P(MigrateOutside, AFailedConcurrentBuildIsDroppedAndBuiltAgainByTheNextRun) {
    write_table();   // v holds duplicates: a unique index cannot be built
    write_rev("r2", "r1",
              "  - add_column: {table: t, column: {name: w, type: Integer}}\n"
              "  - create_index: {table: t, name: ix_t_v, columns: [v], unique: true, concurrently: true}\n"
              "  - add_column: {table: t, column: {name: x, type: Integer}}\n",
              "  - drop_column: {table: t, column: x}\n  - drop_index: {table: t, name: ix_t_v}\n"
              "  - drop_column: {table: t, column: w}\n");
    auto err = expect_throw<MigrationError>([&] { upgrade(); });
    if (concurrent()) {
        // What came before the build was committed; the build failed on its own.
        EXPECT_NE(std::string(err.what()).find("revision r2 (upgrade) stopped after step 1 of 3"), std::string::npos)
            << err.what();
        EXPECT_EQ(columns_of("t"), (Ids{"id", "v", "w"}));
        EXPECT_EQ(step_records(), Ids{"r2|upgrade|1"});
        EXPECT_TRUE(invalid_index("ix_t_v")) << "PostgreSQL leaves the failed concurrent build behind, INVALID";
        EXPECT_TRUE(inspect(conn()).find("t")->indexes.empty()) << "an INVALID index is not reported";
    } else {
        EXPECT_NE(std::string(err.what()).find("Everything was rolled back"), std::string::npos) << err.what();
        EXPECT_EQ(columns_of("t"), (Ids{"id", "v"}));
    }
    EXPECT_EQ(current(), Ids{"r1"});

    conn().execute("UPDATE t SET v = id");
    std::vector<std::string> notices;
    RunOptions options;
    options.notice = [&](const std::string& line) { notices.push_back(line); };
    upgrade("head", options);
    EXPECT_EQ(current(), Ids{"r2"});
    EXPECT_EQ(columns_of("t"), (Ids{"id", "v", "w", "x"}));
    const bool dropped = std::count(notices.begin(), notices.end(),
                                    "Dropping index ix_t_v, left INVALID by a concurrent build that did not finish, "
                                    "before building it again") == 1;
    EXPECT_EQ(dropped, concurrent());
    if (concurrent()) {
        EXPECT_FALSE(invalid_index("ix_t_v"));
    }
    const MetaData md = inspect(conn());
    ASSERT_EQ(md.find("t")->indexes.size(), 1u);
    EXPECT_TRUE(md.find("t")->indexes[0].unique);
    EXPECT_EQ(step_records(), Ids{});
}

TEST_P(MigrateOutside, AutogenerateWritesConcurrentlyWhenTheRepositorySaysSo) {
    set_config("postgresql: {concurrent_indexes: true}\n");
    write_table();
    models.table("t").column("id", Integer(), primary_key()).column("v", Integer(), index());
    models.table("u").column("id", Integer(), primary_key()).column("v", Integer(), index());
    auto r = run_db({"migrate", "-m", "index v"});
    ASSERT_EQ(r.code, 0) << r.err;
    std::string text;
    for (const auto& e : std::filesystem::directory_iterator(repo() / "versions"))
        if (e.path().filename().string().find("index_v") != std::string::npos) {
            std::ifstream in(e.path());
            text.assign(std::istreambuf_iterator<char>(in), {});
        }
    // Only the index of the existing table t: u is new and empty.
    const std::regex flagged("concurrently: true");
    EXPECT_EQ(std::distance(std::sregex_iterator(text.begin(), text.end(), flagged), std::sregex_iterator()),
              concurrent() ? 1 : 0)
        << text;
    auto up = run_db({"upgrade"});
    EXPECT_EQ(up.code, 0) << up.err;
    EXPECT_EQ(run_db({"check"}).out, "No changes detected\n");
}

TEST_P(MigrateOutside, RevisionFilesCheckTheNewFields) {
    write_rev("r1", "null", "  - execute: {sql: VACUUM, transaction: maybe}\n", "");
    auto err = expect_throw<MigrationError>([&] { ScriptDirectory s(repo()); });
    EXPECT_NE(std::string(err.what()).find("transaction"), std::string::npos) << err.what();
}

STRATA_INSTANTIATE_BACKENDS(MigrateOutside);

}  // namespace
