// The `backfill` op (a table's rows updated in primary-key batches, one
// transaction each, resumable) and the progress lines of long steps.
// The kill-and-resume test on 1,000,000 rows is tests/crash_test.cpp's
// CrashBackfill; the writer that must never wait longer than a batch is here.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

#include "migrate/progress.hpp"
#include "migrate_support.hpp"

using namespace strata;
using namespace strata::migrate;
using strata::testing::expect_throw;

namespace {

using Ids = std::vector<std::string>;
using Clock = std::chrono::steady_clock;

class MigrateBackfill : public strata::testing::MigrateTest {
protected:
    // r1: table t (id, counter, tag) with `rows` rows, counter 0.
    void make_table(int rows) {
        write_rev("r1", "null",
                  "  - create_table: {table: t, columns: [{name: id, type: Integer, primary_key: true},"
                  " {name: counter, type: Integer, nullable: false, server_default: '0'}, {name: tag, type: Integer}]}\n",
                  "  - drop_table: t\n");
        upgrade("r1");
        fill(rows);
    }
    void fill(int rows) {
        conn().execute("WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < " +
                       std::to_string(rows) + ") INSERT INTO t (id, counter, tag) SELECT x * 3, 0, 0 FROM seq");
    }
    void write_backfill(const std::string& fields, const std::string& downgrade = "") {
        write_rev("r2", "r1", "  - backfill: {table: t, set: {counter: counter + 1}" + fields + "}\n", downgrade);
    }
    std::int64_t count(const std::string& where) {
        auto stmt = conn().prepare("SELECT COUNT(*) FROM t WHERE " + where);
        return stmt->step() ? stmt->get_int64(0) : -1;
    }
    Ids step_records() {
        if (!has_table(conn(), "strata_version_steps")) return {};
        return rows("SELECT version_num, direction, steps_done, last_key FROM strata_version_steps");
    }
};

TEST_P(MigrateBackfill, UpdatesEveryRowOnceInBatchesOfPrimaryKeyRanges) {
    make_table(1000);   // keys 3, 6, …, 3000
    write_backfill(", where: 'id % 2 = 0', batch_size: 300");
    std::vector<std::string> notices;
    RunOptions options;
    options.notice = [&](const std::string& line) { notices.push_back(line); };
    std::vector<Progress> reports;
    options.progress = [&](const Progress& p) { reports.push_back(p); };
    upgrade("head", options);
    EXPECT_EQ(current(), Ids{"r2"});
    EXPECT_EQ(count("id % 2 = 0 AND counter = 1"), 500);
    EXPECT_EQ(count("id % 2 = 1 AND counter = 0"), 500) << "the where condition holds in every batch";
    EXPECT_EQ(step_records(), Ids{}) << "the record goes with r2's version";
    EXPECT_NE(std::find(notices.begin(), notices.end(), "Backfilled t: 500 rows updated"), notices.end());
    // The start, one report per batch of 300 rows walked (4 batches: 300, 600, 900, 1000), the end.
    ASSERT_EQ(reports.size(), 6u);
    EXPECT_EQ(reports[0].done, 0);
    EXPECT_EQ(reports[1].done, 300);
    EXPECT_EQ(reports[4].done, 1000);
    EXPECT_TRUE(reports[5].finished);
    for (const auto& r : reports) EXPECT_EQ(r.total, 1000);
    EXPECT_EQ(reports[0].task, "backfill t.counter");
}

// Keys at both ends of each integer type's range and around zero, in tables
// whose names need quoting: a run stopped in the middle resumes after the
// recorded key, and every row is updated exactly once.
TEST_P(MigrateBackfill, KeysOfEveryIntegerTypeNegativeAndHugeResumeExactly) {
    write_rev("r1", "null",
              "  - create_table: {table: Small, columns: [{name: Id, type: SmallInteger, primary_key: true},"
              " {name: counter, type: Integer, nullable: false}]}\n"
              "  - create_table: {table: Int, columns: [{name: Id, type: Integer, primary_key: true},"
              " {name: counter, type: Integer, nullable: false}]}\n"
              "  - create_table: {table: Big, columns: [{name: Id, type: BigInteger, primary_key: true},"
              " {name: counter, type: Integer, nullable: false}]}\n",
              "  - drop_table: Big\n  - drop_table: Int\n  - drop_table: Small\n");
    upgrade("r1");
    conn().execute("INSERT INTO \"Small\" (\"Id\", counter) VALUES (-32768, 0), (-2, 0), (0, 0), (5, 0), (32767, 0)");
    conn().execute("INSERT INTO \"Int\" (\"Id\", counter) VALUES (-2147483648, 0), (-1, 0), (0, 0), (1, 0), "
                   "(2147483647, 0)");
    conn().execute("INSERT INTO \"Big\" (\"Id\", counter) VALUES (-9223372036854775807 - 1, 0), (-1, 0), (0, 0), "
                   "(1, 0), (9223372036854775807, 0)");
    write_rev("r2", "r1",
              "  - backfill: {table: Small, set: {counter: counter + 1}, batch_size: 2}\n"
              "  - backfill: {table: Int, set: {counter: counter + 1}, batch_size: 2}\n"
              "  - backfill: {table: Big, set: {counter: counter + 1}, batch_size: 2}\n",
              "");
    // Three batches a table (2, 2 and 1 rows); the fifth UPDATE is Int's second.
    int batches = 0;
    RunOptions failing;
    failing.before_statement = [&] {
        if (++batches == 5) throw MigrationError("stopped by the test");
    };
    expect_throw<MigrationError>([&] { upgrade("head", failing); });
    EXPECT_EQ(step_records(), Ids{"r2|upgrade|1|-1"});
    // Stopped again in Big's last batch: its record is the key before the largest.
    batches = 0;
    failing.before_statement = [&] {
        if (++batches == 5) throw MigrationError("stopped by the test");
    };
    expect_throw<MigrationError>([&] { upgrade("head", failing); });
    EXPECT_EQ(step_records(), Ids{"r2|upgrade|2|1"});
    upgrade("head");
    EXPECT_EQ(current(), Ids{"r2"});
    for (const std::string table : {"Small", "Int", "Big"})
        EXPECT_EQ(rows("SELECT COUNT(*) FROM \"" + table + "\" WHERE counter = 1"), Ids{"5"}) << table;
}

// An empty table: nothing to update, a progress report of 0 rows, no record left.
TEST_P(MigrateBackfill, AnEmptyTableUpdatesNothing) {
    make_table(1);
    conn().execute("DELETE FROM t");
    write_backfill(", batch_size: 10");
    std::vector<Progress> reports;
    RunOptions options;
    options.progress = [&](const Progress& p) { reports.push_back(p); };
    upgrade("head", options);
    EXPECT_EQ(current(), Ids{"r2"});
    EXPECT_EQ(step_records(), Ids{});
    ASSERT_EQ(reports.size(), 2u);
    EXPECT_EQ(reports[1].done, 0);
    EXPECT_EQ(reports[1].total, 0);
    EXPECT_TRUE(reports[1].finished);
    EXPECT_EQ(format_progress(reports[1]).rfind("backfill t.counter: 0 rows", 0), 0u) << format_progress(reports[1]);
}

// Rows deleted and inserted while the batches run: the rows inserted after
// the last batch's key are updated once, and the last report counts the rows
// walked as the total (never "90%" on the line that says it is done).
TEST_P(MigrateBackfill, RowsDeletedAndInsertedDuringTheRunAreCountedInTheLastReport) {
    make_table(1000);   // keys 3, 6, …, 3000
    write_backfill(", batch_size: 300");
    int batches = 0;
    RunOptions options;
    options.before_statement = [&] {   // in the first batch's transaction, as a writer's would commit
        if (++batches != 1) return;
        conn().execute("DELETE FROM t WHERE id > 2700");
        conn().execute("INSERT INTO t (id, counter, tag) VALUES (5000, 0, 0), (5003, 0, 0)");
    };
    std::vector<Progress> reports;
    options.progress = [&](const Progress& p) { reports.push_back(p); };
    upgrade("head", options);
    EXPECT_EQ(count("counter = 1"), 902);
    EXPECT_EQ(count("counter <> 1"), 0);
    ASSERT_FALSE(reports.empty());
    const Progress& last = reports.back();
    EXPECT_TRUE(last.finished);
    EXPECT_EQ(last.done, 902);
    EXPECT_EQ(last.total, 902);
    EXPECT_NE(format_progress(last).find("902 / 902 rows (100%)"), std::string::npos) << format_progress(last);
}

// On a terminal the progress line is redrawn without a newline: a step that
// fails must not leave it open, or the error is printed on the end of it.
TEST_P(MigrateBackfill, AFailedStepEndsItsProgressLineBeforeTheError) {
    make_table(1000);   // keys 3, 6, …, 3000
    // Key 1500 (the second batch) divides by zero: an error on PostgreSQL, NULL into a NOT NULL column on SQLite.
    write_rev("r2", "r1", "  - backfill: {table: t, set: {counter: counter + 1 / (id - 1500)}, batch_size: 300}\n", "");
    std::ostringstream out, err;
    std::istringstream in;
    DbContext ctx{url(), repo(), [this] { return models; }, "test"};
    ASSERT_EQ(db_run(ctx, {"upgrade"}, DbStreams{out, err, in, false, true}), 1) << out.str() << err.str();
    const std::string text = err.str();
    ASSERT_EQ(text.rfind("\r\033[Kbackfill t.counter: ", 0), 0u) << text;
    const auto at = text.find("error: ");
    ASSERT_NE(at, std::string::npos) << text;
    EXPECT_EQ(text[at - 1], '\n') << text;
}

// A step table made before backfills (no last_key column) is read as it is
// and given the column when a run first writes a step record.
TEST_P(MigrateBackfill, AnOlderStepTableGainsTheLastKeyColumn) {
    make_table(100);
    conn().execute("CREATE TABLE strata_version_steps (version_num VARCHAR(32) NOT NULL PRIMARY KEY, "
                   "direction VARCHAR(9) NOT NULL, steps_done INTEGER NOT NULL)");
    conn().execute("INSERT INTO strata_version_steps VALUES ('r2', 'upgrade', 0)");  // r2 stopped before its step 1
    write_backfill(", batch_size: 30");
    std::vector<std::string> notices;
    RunOptions options;
    options.notice = [&](const std::string& line) { notices.push_back(line); };
    upgrade("head", options);
    EXPECT_EQ(current(), Ids{"r2"});
    EXPECT_EQ(count("counter = 1"), 100);
    EXPECT_NE(std::find(notices.begin(), notices.end(), "Resuming revision r2 after its step 0 (a run stopped there)"),
              notices.end());
    EXPECT_EQ(rows("SELECT COUNT(last_key) FROM strata_version_steps"), Ids{"0"}) << "the column is there, the record gone";
}

TEST_P(MigrateBackfill, AStoppedRunResumesAfterTheLastCommittedBatch) {
    make_table(1000);
    write_backfill(", batch_size: 100");
    // The fourth batch's UPDATE fails: three batches are committed.
    int batches = 0;
    RunOptions failing;
    failing.before_statement = [&] {
        if (++batches == 4) throw MigrationError("stopped by the test");
    };
    auto err = expect_throw<MigrationError>([&] { upgrade("head", failing); });
    EXPECT_NE(std::string(err.what()).find("revision r2 (upgrade) stopped after step 0 of 1; the next `db upgrade` "
                                           "resumes there"),
              std::string::npos)
        << err.what();
    EXPECT_EQ(current(), Ids{"r1"});
    EXPECT_EQ(step_records(), Ids{"r2|upgrade|0|900"}) << "keys 3 … 900 are the first 300 rows";
    EXPECT_EQ(count("counter = 1 AND id <= 900"), 300);
    EXPECT_EQ(count("counter = 0 AND id > 900"), 700);

    // Only finishing r2 is allowed, and the next run starts after key 900.
    auto refused = expect_throw<MigrationError>([&] { downgrade("base"); });
    EXPECT_NE(std::string(refused.what()).find("run `db upgrade r2` to finish it first"), std::string::npos);
    std::vector<std::string> notices;
    RunOptions options;
    options.notice = [&](const std::string& line) { notices.push_back(line); };
    upgrade("head", options);
    EXPECT_EQ(count("counter = 1"), 1000) << "every row updated exactly once";
    EXPECT_EQ(step_records(), Ids{});
    EXPECT_NE(std::find(notices.begin(), notices.end(),
                        "Backfilled t: 700 rows updated (after key 900, where a stopped run left off)"),
              notices.end());
}

TEST_P(MigrateBackfill, DowngradeRunsWhatTheFileSaysAndAutogenerateWritesNoInverse) {
    make_table(50);
    write_rev("r2", "r1",
              "  - add_column: {table: t, column: {name: slug, type: String(20)}}\n"
              "  - backfill: {table: t, set: {slug: \"'k' || CAST(id AS VARCHAR(10))\", tag: id}, batch_size: 7}\n",
              "  - backfill: {table: t, set: {tag: 0}, where: tag <> 0}\n"
              "  - drop_column: {table: t, column: slug}\n");
    upgrade();
    EXPECT_EQ(rows("SELECT slug, tag FROM t WHERE id = 30"), Ids{"k30|30"});
    downgrade("r1");
    EXPECT_EQ(columns_of("t"), (Ids{"id", "counter", "tag"}));
    EXPECT_EQ(count("tag = 0"), 50) << "the downgrade's own backfill ran";
    // A backfill undoes nothing by itself: its inverse is no op.
    MetaData md = inspect(conn());
    EXPECT_TRUE(inverse(Backfill{"t", {{"tag", "1"}}, {}}, md).empty());
}

TEST_P(MigrateBackfill, RevisionFilesRefuseWhatABackfillCannotDo) {
    auto refused = [&](const std::string& op, const std::string& expected) {
        write_rev("r1", "null", "  - " + op + "\n", "");
        auto err = expect_throw<MigrationError>([&] { ScriptDirectory s(repo()); });
        EXPECT_NE(std::string(err.what()).find(expected), std::string::npos) << err.what();
        EXPECT_NE(std::string(err.what()).find("r1_test.yaml:"), std::string::npos) << err.what();
    };
    refused("backfill: {table: t, set: {a: '1; DROP TABLE t'}}", "set a: '1; DROP TABLE t' is not one SQL expression");
    refused("backfill: {table: t, set: {a: 1}, where: 'true; DELETE FROM t'}", "where: 'true; DELETE FROM t' is not one");
    refused("backfill: {table: t, set: {}}", "expected a mapping of columns to SQL expressions");
    refused("backfill: {table: t, set: {a: 1}, batch_size: 0}", "batch_size: expected a whole number of rows from 1");
    refused("backfill: {table: t, set: {a: 1}, batch: 5}", "unknown field 'batch'");
}

TEST_P(MigrateBackfill, TablesWithoutOneIntegerKeyAreRefusedByName) {
    write_rev("r1", "null",
              "  - create_table: {table: pair, columns: [{name: a, type: Integer, primary_key: true},"
              " {name: b, type: Integer, primary_key: true}, {name: v, type: Integer}]}\n"
              "  - create_table: {table: word, columns: [{name: w, type: String(20), primary_key: true}, {name: v, type: Integer}]}\n",
              "");
    upgrade();
    auto fails = [&](const std::string& op, const std::string& expected) {
        write_rev("r2", "r1", "  - " + op + "\n", "");
        auto err = expect_throw<MigrationError>([&] { upgrade(); });
        EXPECT_NE(std::string(err.what()).find(expected), std::string::npos) << err.what();
        EXPECT_NE(std::string(err.what()).find("r2_test.yaml:6:5: revision r2 (test), upgrade op 1 `backfill "), std::string::npos) << err.what();
        EXPECT_NE(std::string(err.what()).find("Everything was rolled back"), std::string::npos) << err.what();
        EXPECT_EQ(current(), Ids{"r1"});
    };
    fails("backfill: {table: pair, set: {v: 1}}",
          "backfill: table 'pair' has a composite primary key (a, b); a backfill walks a table by a primary key of "
          "one integer column");
    fails("backfill: {table: word, set: {v: 1}}", "backfill: table 'word' has a primary key of type String(20)");
    fails("backfill: {table: pair, set: {a: 1}}", "table 'pair' has a composite primary key");
    fails("backfill: {table: word, set: {nope: 1}}", "has a primary key of type");
    fails("backfill: {table: missing, set: {v: 1}}", "backfill: table 'missing' does not exist");
}

TEST_P(MigrateBackfill, OfflineScriptsSayHowTheyBackfill) {
    make_table(1000);
    write_backfill(", batch_size: 64");
    ScriptDirectory s(repo());
    const OfflineScript script = offline_upgrade(s, conn().dialect(), "r1:r2");
    if (conn().dialect().name() == "postgresql") {
        EXPECT_NE(script.text.find("-- in batches of 64 rows, one transaction each (a DO block that commits"),
                  std::string::npos)
            << script.text;
        // The block itself, run as the script runs it (outside a transaction block), updates every row once.
        ASSERT_EQ(script.statements.size(), 1u);
        ASSERT_EQ(script.statements[0].rfind("DO $strata$", 0), 0u) << script.statements[0];
        conn().execute(script.statements[0]);
        EXPECT_EQ(count("counter = 1"), 1000);
    } else {
        EXPECT_NE(script.text.find("-- in one UPDATE: this backend's SQL has no loop to commit batches in (`db "
                                   "upgrade` updates 64 rows per transaction)\nUPDATE \"t\" SET \"counter\" = "
                                   "(counter + 1);\n"),
                  std::string::npos)
            << script.text;
    }
    // A step of its own, outside the revision's transaction.
    const auto at = script.text.find("\nCOMMIT;\n-- backfill t.counter\n");
    ASSERT_NE(at, std::string::npos) << script.text;
    EXPECT_NE(script.text.find(";\nBEGIN;\n", at), std::string::npos) << script.text;
}

// The offline script's loop names its own variables: a table whose columns
// have the names it would pick (and a `where` that uses them) runs as well.
TEST_P(MigrateBackfill, OfflineScriptsRunOnTablesWithColumnsNamedLikeTheLoopsVariables) {
    write_rev("r1", "null",
              "  - create_table: {table: t, columns: [{name: id, type: Integer, primary_key: true},"
              " {name: counter, type: Integer, nullable: false}, {name: strata_last, type: Integer},"
              " {name: strata_bound, type: Integer}, {name: strata_rows, type: Integer}]}\n",
              "  - drop_table: t\n");
    upgrade("r1");
    conn().execute("WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < 100) "
                   "INSERT INTO t (id, counter, strata_last, strata_bound, strata_rows) SELECT x, 0, 0, 0, x % 2 FROM seq");
    write_rev("r2", "r1",
              "  - backfill: {table: t, set: {counter: counter + strata_bound + 1}, where: 'strata_rows = 0',"
              " batch_size: 7}\n",
              "");
    ScriptDirectory s(repo());
    const OfflineScript script = offline_upgrade(s, conn().dialect(), "r1:r2");
    ASSERT_EQ(script.statements.size(), 1u) << script.text;
    conn().execute(script.statements[0]);
    EXPECT_EQ(count("counter = 1 AND strata_rows = 0"), 50) << script.statements[0];
    EXPECT_EQ(count("counter = 0 AND strata_rows = 1"), 50) << script.statements[0];
}

TEST_P(MigrateBackfill, LintSaysABatchIsAllOthersWaitFor) {
    make_table(10);
    write_backfill("");
    auto r = run_db({"lint"});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("  backfill t.counter ("), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("updates rows in batches of 10000, one transaction each: other writers wait for one batch "
                         "at most"),
              std::string::npos)
        << r.out;
    EXPECT_EQ(r.out.find("HAZARD"), std::string::npos) << r.out;
}

// Not on a terminal, `db upgrade` prints a line at the start and at each
// further tenth, and one when the step ends.
TEST_P(MigrateBackfill, DbPrintsOneProgressLinePerTenth) {
    make_table(1000);
    write_backfill(", batch_size: 100");   // a tenth per batch (SQLite pauses after each: few batches)
    auto r = run_db({"upgrade"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    std::vector<std::string> lines;
    std::istringstream err(r.err);
    for (std::string line; std::getline(err, line);) lines.push_back(line);
    ASSERT_EQ(lines.size(), 11u) << r.err;
    for (int tenth = 0; tenth < 10; ++tenth) {
        const std::string n = std::to_string(tenth * 100);
        EXPECT_TRUE(std::regex_match(lines[static_cast<std::size_t>(tenth)],
                                     std::regex("backfill t\\.counter: " + n + " / 1000 rows \\(" +
                                                std::to_string(tenth * 10) + "%\\)(, \\d+ rows/s, .* left)?")))
            << lines[static_cast<std::size_t>(tenth)];
    }
    EXPECT_TRUE(std::regex_match(lines[10], std::regex("backfill t\\.counter: 1000 / 1000 rows \\(100%\\), \\d+ "
                                                       "rows/s, done in .*")))
        << lines[10];
    EXPECT_NE(r.out.find("Backfilled t: 1000 rows updated"), std::string::npos) << r.out;
}

TEST_P(MigrateBackfill, DbNoProgressPrintsNothingOnStderr) {
    make_table(1000);
    write_backfill(", batch_size: 100");
    auto r = run_db({"upgrade", "--no-progress"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_NE(r.out.find("Backfilled t: 1000 rows updated"), std::string::npos) << r.out;
    EXPECT_EQ(count("counter = 1"), 1000);
}

// While the backfill runs on a large table, another session updates rows
// all over it: on PostgreSQL a row the batch holds makes it wait for that
// batch's commit; on SQLite every write waits for the batch's transaction
// (the connection's busy timeout). It never waits much longer than the
// longest batch.
TEST_P(MigrateBackfill, AConcurrentWriterWaitsForOneBatchAtMost) {
    constexpr int kRows = 1000000;
    make_table(kRows);
    write_backfill(", batch_size: 10000");
    std::atomic<bool> done{false};
    std::vector<Clock::duration> batch_times;
    Clock::time_point last_report;
    RunOptions options;
    options.progress = [&](const Progress& p) {
        const auto now = Clock::now();
        if (p.done > 0 && !p.finished) batch_times.push_back(now - last_report);
        last_report = now;
    };
    std::int64_t writes = 0;
    Clock::duration longest_write{};
    std::string writer_error;
    std::thread writer([&] {
        try {
            auto other = open_connection();
            std::mt19937 random(42);
            while (!done) {
                const int id = static_cast<int>(random() % kRows + 1) * 3;
                const auto start = Clock::now();
                other->execute("UPDATE t SET tag = tag + 1 WHERE id = " + std::to_string(id));
                longest_write = std::max(longest_write, Clock::now() - start);
                ++writes;
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
            }
        } catch (const std::exception& e) {
            writer_error = e.what();
        }
    });
    const auto start = Clock::now();
    try {
        upgrade("head", options);
    } catch (...) {
        done = true;
        writer.join();
        throw;
    }
    const auto total = Clock::now() - start;
    done = true;
    writer.join();
    ASSERT_EQ(writer_error, "");
    EXPECT_EQ(count("counter = 1"), kRows);
    ASSERT_EQ(batch_times.size(), static_cast<std::size_t>(kRows / 10000));
    const auto longest_batch = *std::max_element(batch_times.begin(), batch_times.end());
    using std::chrono::milliseconds;
    const auto ms = [](Clock::duration d) { return std::chrono::duration_cast<milliseconds>(d).count(); };
    RecordProperty("backfill_ms", static_cast<int>(ms(total)));
    RecordProperty("longest_batch_ms", static_cast<int>(ms(longest_batch)));
    RecordProperty("longest_write_ms", static_cast<int>(ms(longest_write)));
    RecordProperty("writes", static_cast<int>(writes));
    EXPECT_GT(writes, 20) << "the writer got through during the backfill";
    // One batch plus the scheduling of a busy machine.
    EXPECT_LT(longest_write, longest_batch * 2 + milliseconds(250))
        << "longest write " << ms(longest_write) << " ms, longest batch " << ms(longest_batch) << " ms, backfill "
        << ms(total) << " ms";
    EXPECT_LT(longest_write * 4, total) << "a writer never waits for the whole backfill";
}

// The long step of each backend reports its progress to `db`: SQLite's
// table rebuild copies in chunks (a twentieth each, when over 100,000 rows);
// PostgreSQL's index build is read from pg_stat_progress_create_index by a
// second session while it runs (an index on a slow function makes it last).
TEST_P(MigrateBackfill, LongStepsReportProgress) {
    std::vector<std::string> lines;
    auto upgrade_lines = [&] {
        auto r = run_db({"upgrade"});
        ASSERT_EQ(r.code, 0) << r.out << r.err;
        std::istringstream err(r.err);
        for (std::string line; std::getline(err, line);) lines.push_back(line);
    };
    if (is_sqlite()) {
        make_table(250000);
        write_rev("r2", "r1", "  - alter_column: {table: t, column: tag, nullable: false}\n", "");
        ASSERT_NO_FATAL_FAILURE(upgrade_lines());
        ASSERT_EQ(lines.size(), 11u) << ::testing::PrintToString(lines);
        for (int tenth = 0; tenth < 10; ++tenth)
            EXPECT_EQ(lines[static_cast<std::size_t>(tenth)].rfind(
                          "rebuild of t: " + std::to_string(tenth * 25000) + " / 250000 rows (" +
                              std::to_string(tenth * 10) + "%)",
                          0),
                      0u)
                << lines[static_cast<std::size_t>(tenth)];
        EXPECT_TRUE(std::regex_match(lines[10], std::regex("rebuild of t: 250000 / 250000 rows \\(100%\\), \\d+ rows/s, "
                                                           "done in .*")))
            << lines[10];
        EXPECT_EQ(count("tag = 0"), 250000) << "every row copied once";

        // The chunks split the rowid span, whatever its ends.
        conn().execute("INSERT INTO t (id, counter, tag) VALUES (-9223372036854775807 - 1, 0, 0), "
                       "(9223372036854775807, 0, 0)");
        write_rev("r3", "r2", "  - alter_column: {table: t, column: tag, nullable: true}\n", "");
        lines.clear();
        ASSERT_NO_FATAL_FAILURE(upgrade_lines());
        ASSERT_FALSE(lines.empty());
        EXPECT_EQ(lines.back().rfind("rebuild of t: 250002 / 250002 rows (100%)", 0), 0u) << lines.back();
        EXPECT_EQ(count("tag = 0"), 250002) << "every row copied once";
        return;
    }
    make_table(1000);   // 6 blocks, about 1.5 s
    conn().execute("CREATE FUNCTION slow(x integer) RETURNS integer IMMUTABLE LANGUAGE plpgsql AS "
                   "$$ BEGIN PERFORM pg_sleep(0.001); RETURN x; END $$");
    write_rev("r2", "r1", "  - create_index: {table: t, name: ix_t_slow, columns: [{expression: slow(tag)}]}\n", "");
    ASSERT_NO_FATAL_FAILURE(upgrade_lines());
    // The index is not committed while it is built: the second session sees the table only.
    const std::regex scanning("CREATE INDEX on t: building index: scanning table: \\d+ / \\d+ blocks \\(\\d+%\\).*");
    EXPECT_GE(std::count_if(lines.begin(), lines.end(), [&](const std::string& l) { return std::regex_match(l, scanning); }),
              3)
        << ::testing::PrintToString(lines);
    ASSERT_FALSE(lines.empty());
    EXPECT_NE(lines.back().find(", done in "), std::string::npos) << lines.back();
    EXPECT_EQ(lines.back().rfind("CREATE INDEX on t: ", 0), 0u) << lines.back();
}

// A long step that fails part-way is never reported done: its last progress
// line is where it stopped, then the error. (PostgreSQL's index build leaves
// pg_stat_progress_create_index when it fails just as when it finishes: only
// the statement's return says which.)
TEST_P(MigrateBackfill, AFailedLongStepIsNotReportedDone) {
    if (is_sqlite()) {
        make_table(120000);
        conn().execute("UPDATE t SET tag = NULL WHERE id = 360000");   // the last row: the last chunk fails
        write_rev("r2", "r1", "  - alter_column: {table: t, column: tag, nullable: false}\n", "");
    } else {
        make_table(1000);   // about 1 s of building
        conn().execute("CREATE FUNCTION slow(x integer) RETURNS integer IMMUTABLE LANGUAGE plpgsql AS "
                       "$$ BEGIN PERFORM pg_sleep(0.001); IF x = 3000 THEN RAISE EXCEPTION 'no key for %', x; END IF; "
                       "RETURN x; END $$");
        write_rev("r2", "r1", "  - create_index: {table: t, name: ix_t_slow, columns: [{expression: slow(id)}]}\n", "");
    }
    auto r = run_db({"upgrade"});
    ASSERT_EQ(r.code, 1) << r.out << r.err;
    const std::string progress = is_sqlite() ? "rebuild of t: " : "CREATE INDEX on t: building index: scanning table: ";
    EXPECT_NE(r.err.find(progress), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("done in"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("(100%)"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(is_sqlite() ? "NOT NULL" : "no key for 3000"), std::string::npos) << r.err;
    EXPECT_EQ(current(), Ids{"r1"});
}

STRATA_INSTANTIATE_BACKENDS(MigrateBackfill);

TEST(MigrateProgress, TerminalRedrawsOneLine) {
    std::ostringstream out;
    ProgressPrinter print(out, true);
    print({"rebuild of t", "rows", 0, 100, {}, false});
    print({"rebuild of t", "rows", 50, 100, std::chrono::seconds(1), false});   // within 100 ms of the last redraw
    print({"rebuild of t", "rows", 100, 100, std::chrono::seconds(2), true});
    EXPECT_EQ(out.str(), "\r\033[Krebuild of t: 0 / 100 rows (0%)\r\033[Krebuild of t: 100 / 100 rows (100%), 50 "
                         "rows/s, done in 2 s\n");
    EXPECT_EQ(format_progress({"backfill t.x", "rows", 250, 1000, std::chrono::seconds(5), false}),
              "backfill t.x: 250 / 1000 rows (25%), 50 rows/s, 15 s left");
}

}  // namespace
