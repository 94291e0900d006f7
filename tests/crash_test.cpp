// Crash tests: a child process is killed with SIGKILL before its Nth
// statement (STRATA_FAILPOINT=kill-before-statement:N), for every N from 1
// to the number of statements the run sends (counted first with
// STRATA_FAILPOINT=count-statements). After each kill the database must be
// intact (SQLite: PRAGMA integrity_check), at the old or the new revision
// with that revision's schema, hold exactly the old or exactly the new rows
// (checksums), and the next plain run must complete.
//
// Walked: `db upgrade` of a revision that rebuilds a SQLite table of 100,000
// rows (and the same revision on PostgreSQL), `db upgrade --backup`, and a
// session commit of 1,000 inserts + 1,000 updates + 100 deletes across two
// tables (tests/crash/session_commit_child.cpp) on both backends.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <numeric>
#include <regex>
#include <set>
#include <sstream>
#include <string_view>
#include <thread>

#include "migrate/script.hpp"
#include "support.hpp"

extern char** environ;

using namespace strata;
namespace fs = std::filesystem;

namespace {

// How a child process ended, and what it wrote (stdout and stderr).
struct Child {
    int exit_code = -1;   // -1 when a signal ended it
    int signal = 0;
    std::string output;

    bool killed_by(int sig) const { return exit_code == -1 && signal == sig; }
    std::string describe() const {
        return (exit_code >= 0 ? "exit code " + std::to_string(exit_code) : "signal " + std::to_string(signal)) +
               ", output:\n" + output;
    }
};

struct RunSpec {
    std::vector<std::string> argv;
    std::vector<std::string> env;   // NAME=value added to this process's environment
    rlim_t file_size_limit = RLIM_INFINITY;
};

// Reads a whole file ("" when it does not exist).
std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// posix_spawn with stdin from /dev/null and stdout + stderr into `log`; the
// environment is this process's without the variables a run must not
// inherit, plus spec.env. A file size limit is applied to this process
// around the spawn (posix_spawn has no attribute for it; the tests run one
// child at a time).
pid_t spawn(const RunSpec& spec, const fs::path& log, Child& child) {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
        const std::string_view var(*e);
        if (var.starts_with("STRATA_FAILPOINT=") || var.starts_with("STRATA_ECHO=") || var.starts_with("DATABASE_URL="))
            continue;
        env.emplace_back(var);
    }
    env.insert(env.end(), spec.env.begin(), spec.env.end());
    std::vector<char*> envp, argv;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = spec.argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t defaults;   // SIGXFSZ must kill, even if this process ignores it
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGXFSZ);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);

    rlimit saved{};
    getrlimit(RLIMIT_FSIZE, &saved);
    rlimit limited = saved;
    limited.rlim_cur = spec.file_size_limit;
    setrlimit(RLIMIT_FSIZE, &limited);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
    setrlimit(RLIMIT_FSIZE, &saved);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);

    if (rc != 0) {
        child.output = "posix_spawn " + spec.argv[0] + ": " + std::strerror(rc);
        return 0;
    }
    return pid;
}

// Waits for a spawned child (none: `child` says why there is none).
Child wait_for(pid_t pid, const fs::path& log, Child child) {
    if (pid == 0) return child;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) child.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) child.signal = WTERMSIG(status);
    child.output = slurp(log);
    return child;
}

Child run(const RunSpec& spec, const fs::path& log) {
    Child child;
    const pid_t pid = spawn(spec, log, child);
    return wait_for(pid, log, child);
}

RunSpec with_failpoint(RunSpec spec, const std::string& failpoint) {
    spec.env.push_back("STRATA_FAILPOINT=" + failpoint);
    return spec;
}

// The number of statements a plain run sends (and checks that it completes).
int count_statements(const RunSpec& spec, const fs::path& log) {
    Child c = run(with_failpoint(spec, "count-statements"), log);
    EXPECT_EQ(c.exit_code, 0) << c.describe();
    std::smatch m;
    if (!std::regex_search(c.output, m, std::regex("count-statements: (\\d+) statements sent"))) {
        ADD_FAILURE() << "no statement count in: " << c.output;
        return 0;
    }
    return std::stoi(m[1]);
}

// The SQL of each statement a plain run sends, from STRATA_ECHO's log (one
// line each, parameters cut off), checked against the failpoint's count.
std::vector<std::string> list_statements(const RunSpec& spec, const fs::path& log) {
    RunSpec echoed = spec;
    echoed.env.push_back("STRATA_ECHO=1");
    const int count = count_statements(echoed, log);
    std::vector<std::string> sqls;
    std::istringstream lines(slurp(log));
    for (std::string line; std::getline(lines, line);) {
        if (!line.starts_with("[strata] ")) continue;
        line.erase(0, 9);
        if (auto params = line.rfind("  ["); params != std::string::npos && line.ends_with("]")) line.erase(params);
        sqls.push_back(line);
    }
    EXPECT_EQ(static_cast<int>(sqls.size()), count) << "the failpoint counts what STRATA_ECHO logs";
    return sqls;
}

// The Ns a walk kills before: the first and the last statement of each
// distinct SQL text (each kind of INSERT, UPDATE, DELETE, BEGIN, RELEASE,
// COMMIT...), the first and last `edge` statements, and `spread` more evenly
// spaced; sorted, without repeats.
[[maybe_unused]] std::vector<int> sample_walk(const std::vector<std::string>& sqls, int edge, int spread) {
    std::set<int> ns;
    std::map<std::string, std::pair<int, int>> seen;   // SQL -> first, last N
    const int count = static_cast<int>(sqls.size());
    for (int n = 1; n <= count; ++n) {
        auto [it, fresh] = seen.try_emplace(sqls[static_cast<std::size_t>(n - 1)], n, n);
        it->second.second = n;
    }
    for (const auto& [sql, first_last] : seen) ns.insert({first_last.first, first_last.second});
    for (int k = 1; k <= std::min(edge, count); ++k) ns.insert({k, count + 1 - k});
    for (int k = 1; k <= spread; ++k) ns.insert(std::max(1, count * k / (spread + 1)));
    return {ns.begin(), ns.end()};
}

// The Ns before which a kill meets a different moment: the first and the last
// N of each distinct pair (SQL sent before, SQL about to be sent), so every
// kind of step from one statement to the next (BEGIN to the first INSERT, the
// last INSERT of a batch to the next batch, the last DELETE to COMMIT...) is
// killed at least twice, wherever it falls; with sample_walk's Ns.
std::vector<int> sample_transitions(const std::vector<std::string>& sqls, int edge, int spread) {
    std::vector<int> sampled = sample_walk(sqls, edge, spread);
    std::set<int> ns(sampled.begin(), sampled.end());
    std::map<std::pair<std::string_view, std::string_view>, std::pair<int, int>> seen;   // (before, next) -> first, last N
    for (std::size_t i = 0; i < sqls.size(); ++i) {
        const int n = static_cast<int>(i) + 1;
        const std::string_view before = i == 0 ? std::string_view{} : std::string_view{sqls[i - 1]};
        auto [it, fresh] = seen.try_emplace({before, sqls[i]}, n, n);
        it->second.second = n;
    }
    for (const auto& [pair, first_last] : seen) ns.insert({first_last.first, first_last.second});
    return {ns.begin(), ns.end()};
}

Child kill_before(const RunSpec& spec, int n, const fs::path& log) {
    return run(with_failpoint(spec, "kill-before-statement:" + std::to_string(n)), log);
}

// One text row of a query's columns joined by '|'.
std::string row_text(Connection& conn, const std::string& sql) {
    auto st = conn.prepare(sql);
    std::string out;
    if (!st->step()) return "<no row>";
    for (int i = 0; i < st->column_count(); ++i)
        out += (i ? "|" : "") + (st->is_null(i) ? std::string("NULL") : std::string(st->get_text(i)));
    return out;
}

// Every row counted, and summed with weights that tell a value in the wrong
// row or a changed text apart (CAST: PostgreSQL's SUM is numeric, read as text).
std::string checksum(Connection& conn, const std::string& table, const std::vector<std::string>& int_columns,
                     const std::vector<std::string>& text_columns) {
    std::string sql = "SELECT CAST(COUNT(*) AS TEXT), CAST(SUM(id) AS TEXT)";
    for (const auto& c : int_columns) sql += ", CAST(SUM(" + c + " * (id % 97 + 1)) AS TEXT)";
    for (const auto& c : text_columns)
        sql += ", CAST(SUM(LENGTH(" + c + ") * (id % 89 + 1)) AS TEXT), CAST(SUM(CASE WHEN " + c +
               " LIKE '%1%' THEN id ELSE 0 END) AS TEXT)";
    return row_text(conn, sql + " FROM " + conn.dialect().quote(table));
}

std::string version_of(Connection& conn) {
    if (!has_table(conn, migrate::kVersionTable)) return "<no version table>";
    auto st = conn.prepare("SELECT version_num FROM " + std::string(migrate::kVersionTable) + " ORDER BY version_num");
    std::string versions;   // every row: a run that left two would show as "a1,a2"
    while (st->step()) versions += (versions.empty() ? "" : ",") + std::string(st->get_text(0));
    return versions;
}

std::string schema_differences(const MetaData& expected, Connection& conn) {
    std::string out;
    for (const auto& d : compare_schema(expected, inspect(conn))) out += d.table + ": " + d.description + "\n";
    return out;
}

// What a database holds at one point: its revision, schema and rows.
struct State {
    std::string version;
    MetaData schema;
    std::string rows;
};

// Checks a database against the old and the new state; returns which it is.
// SQLite: opening it rolls back what a killed run left in its journal.
enum class Which { Old, New, Neither };
Which check_state(Connection& conn, const State& old_state, const State& new_state,
                  const std::function<std::string(Connection&)>& rows, bool check_integrity = true) {
    if (check_integrity && conn.dialect().name() == "sqlite") {
        EXPECT_EQ(row_text(conn, "PRAGMA integrity_check"), "ok");
    }
    const std::string version = version_of(conn);
    const State* expected = version == old_state.version ? &old_state : version == new_state.version ? &new_state : nullptr;
    if (!expected) {
        ADD_FAILURE() << "the version table holds " << version << ", neither " << old_state.version << " nor "
                      << new_state.version;
        return Which::Neither;
    }
    const std::string differences = schema_differences(expected->schema, conn);
    EXPECT_EQ(differences, "") << "at " << version;
    const std::string actual_rows = rows(conn);
    EXPECT_EQ(actual_rows, expected->rows) << "at " << version;
    if (!differences.empty() || actual_rows != expected->rows) return Which::Neither;
    return expected == &old_state ? Which::Old : Which::New;
}

State state_of(Connection& conn, const std::function<std::string(Connection&)>& rows) {
    return State{version_of(conn), inspect(conn), rows(conn)};
}

// ------------------------------------------------- db upgrade (a, b, d)

constexpr int kItemRows = 100000;

// a1 creates the table; a2 widens a column, which SQLite does by rebuilding
// the table (copy the rows into a new one, drop the old, rename).
void write_repository(const fs::path& repo) {
    migrate::ScriptDirectory::init(repo);
    std::ofstream(repo / "versions" / "a1_items.yaml") << R"(revision: a1
down_revision: null
message: items
created: 2026-11-30T00:00:00Z
upgrade:
  - create_table:
      table: item
      columns:
        - {name: id, type: Integer, primary_key: true}
        - {name: n, type: Integer, nullable: false}
        - {name: label, type: String(40)}
  - create_index: {table: item, name: ix_item_n, columns: [n]}
downgrade:
  - drop_table: item
)";
    std::ofstream(repo / "versions" / "a2_wider_label.yaml") << R"(revision: a2
down_revision: a1
message: wider label
created: 2026-11-30T00:00:01Z
upgrade:
  - alter_column: {table: item, column: label, type: Text}
downgrade:
  - alter_column: {table: item, column: label, type: String(40)}
)";
}

std::string item_rows(Connection& conn) { return checksum(conn, "item", {"n"}, {"label"}); }

class CrashUpgrade : public strata::testing::BackendTest {
protected:
    fs::path basedir() const { return dir().path() / "app"; }
    fs::path log() const { return dir().path() / "child.log"; }
    fs::path db_file() const { return basedir() / "app.db"; }

    RunSpec microblog(std::vector<std::string> args) const {
        RunSpec spec{{STRATA_MICROBLOG_BIN, "--basedir", basedir().string(), "db"}, {}};
        spec.argv.insert(spec.argv.end(), args.begin(), args.end());
        if (!is_sqlite()) spec.env.push_back("DATABASE_URL=" + url());
        return spec;
    }
    std::string app_url() const { return is_sqlite() ? "sqlite:///" + db_file().string() : url(); }

    void run_ok(const RunSpec& spec) {
        Child c = run(spec, log());
        ASSERT_EQ(c.exit_code, 0) << c.describe();
    }

    // The database at a1 with 100,000 rows (old_), then at a2 (new_), and
    // back at a1; on SQLite a copy of the a1 file restores it quickly.
    void prepare() {
        fs::create_directories(basedir());
        write_repository(basedir() / "migrations");
        ASSERT_NO_FATAL_FAILURE(run_ok(microblog({"upgrade", "a1"})));
        {
            auto conn = connect(app_url());
            conn->execute("WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < " +
                          std::to_string(kItemRows) +
                          ") INSERT INTO item (id, n, label) SELECT x, (x * 7919) % 1000, 'item ' || CAST(x AS TEXT) "
                          "FROM seq");
            old_ = state_of(*conn, item_rows);
        }
        if (is_sqlite()) fs::copy_file(db_file(), old_file());
    }

    fs::path old_file() const { return dir().path() / "old.db"; }

    void restore_old() {
        if (is_sqlite()) {
            for (const char* suffix : {"-journal", "-wal", "-shm"}) fs::remove(db_file().string() + suffix);
            for (const auto& e : fs::directory_iterator(basedir()))   // --backup's copies of the last run
                if (e.path().extension() == ".bak") fs::remove(e.path());
            fs::copy_file(old_file(), db_file(), fs::copy_options::overwrite_existing);
        } else {
            run_ok(microblog({"downgrade", "a1", "--yes"}));
        }
    }

    Which check(const std::string& context, bool check_integrity = true) {
        SCOPED_TRACE(context);
        auto conn = connect(app_url());
        return check_state(*conn, old_, new_, item_rows, check_integrity);
    }

    // Walks every N over `upgrade_args`; after each kill checks the state and
    // runs `upgrade_args` again without the failpoint. `after_kill` adds checks.
    void walk(const std::vector<std::string>& upgrade_args, const std::function<void(int)>& after_kill = {}) {
        const RunSpec upgrade = microblog(upgrade_args);
        const int statements = count_statements(upgrade, log());
        {
            auto conn = connect(app_url());
            new_ = state_of(*conn, item_rows);
        }
        ASSERT_EQ(new_.version, "a2");
        ASSERT_EQ(old_.version, "a1");
        ASSERT_GT(statements, 5);
        int left_old = 0, left_new = 0;
        for (int n = 1; n <= statements; ++n) {
            const std::string at = "killed before statement " + std::to_string(n) + " of " + std::to_string(statements);
            ASSERT_NO_FATAL_FAILURE(restore_old());
            Child c = kill_before(upgrade, n, log());
            ASSERT_TRUE(c.killed_by(SIGKILL)) << at << ": " << c.describe();
            const Which left = check(at);
            ASSERT_NE(left, Which::Neither) << at;
            (left == Which::Old ? left_old : left_new)++;
            if (after_kill) {
                ASSERT_NO_FATAL_FAILURE(after_kill(n)) << at;
            }
            Child next = run(upgrade, log());
            ASSERT_EQ(next.exit_code, 0) << "the run after a kill before statement " << n << ": " << next.describe();
            ASSERT_EQ(check("the run after a kill before statement " + std::to_string(n), false), Which::New);
        }
        EXPECT_GT(left_old, 0);
        EXPECT_GT(left_new, 0) << "a kill after COMMIT leaves the new revision";
        RecordProperty("statements", statements);
    }

    State old_, new_;
};

TEST_P(CrashUpgrade, KilledUpgradeLeavesOldOrNewRevision) {
    ASSERT_NO_FATAL_FAILURE(prepare());
    walk({"upgrade"});
}

STRATA_INSTANTIATE_BACKENDS(CrashUpgrade);

// A revision with a step outside its transaction (a concurrent index build on
// PostgreSQL, `execute` with transaction: false everywhere), killed before
// each statement in turn: the next run resumes where the step record says,
// runs every op in a transaction exactly once (log's primary key refuses a
// second insert; the step outside one may run again, so it is written to
// allow that) and leaves the index valid.
class CrashSteps : public CrashUpgrade {
protected:
    void write_steps_repository() {
        const fs::path repo = basedir() / "migrations";
        migrate::ScriptDirectory::init(repo);
        std::ofstream(repo / "versions" / "s1_tables.yaml") << R"(revision: s1
down_revision: null
message: tables
created: 2026-11-30T00:00:00Z
upgrade:
  - create_table: {table: t, columns: [{name: id, type: Integer, primary_key: true}, {name: v, type: Integer}]}
  - create_table: {table: log, columns: [{name: id, type: Integer, primary_key: true}]}
downgrade:
  - drop_table: log
  - drop_table: t
)";
        std::ofstream(repo / "versions" / "s2_index.yaml") << R"(revision: s2
down_revision: s1
message: index
created: 2026-11-30T00:00:01Z
upgrade:
  - execute: {sql: INSERT INTO log (id) VALUES (1)}
  - create_index: {table: t, name: ix_t_v, columns: [v], concurrently: true}
  - execute: {sql: INSERT INTO log (id) SELECT 2 WHERE NOT EXISTS (SELECT 1 FROM log WHERE id = 2), transaction: false}
  - execute: {sql: INSERT INTO log (id) VALUES (3)}
downgrade:
  - execute: {sql: DELETE FROM log}
  - drop_index: {table: t, name: ix_t_v, concurrently: true}
)";
    }
    void expect_finished(const std::string& at) {
        SCOPED_TRACE(at);
        auto conn = connect(app_url());
        EXPECT_EQ(version_of(*conn), "s2");
        EXPECT_EQ(checksum(*conn, "log", {"id"}, {}), checksum_of_log);
        MetaData md = inspect(*conn);
        ASSERT_NE(md.find("t"), nullptr);
        ASSERT_EQ(md.find("t")->indexes.size(), 1u) << "ix_t_v, valid";
        auto records = conn->prepare("SELECT COUNT(*) FROM strata_version_steps");
        ASSERT_TRUE(records->step());
        EXPECT_EQ(records->get_int64(0), 0);
    }
    std::string checksum_of_log;
};

TEST_P(CrashSteps, KilledBetweenStepsResumesAtTheStepThatDidNotFinish) {
    fs::create_directories(basedir());
    write_steps_repository();
    ASSERT_NO_FATAL_FAILURE(run_ok(microblog({"upgrade", "s1"})));
    const RunSpec upgrade = microblog({"upgrade", "--yes"});
    const std::vector<std::string> sqls = list_statements(upgrade, log());
    const int statements = static_cast<int>(sqls.size());
    {
        auto conn = connect(app_url());
        checksum_of_log = checksum(*conn, "log", {"id"}, {});
    }
    ASSERT_NO_FATAL_FAILURE(expect_finished("a plain run"));
    // The first and last statement of each kind (each BEGIN, COMMIT, step
    // record write, op) and the first and last two: every gap between steps.
    int resumed = 0;
    for (int n : sample_walk(sqls, 2, 0)) {
        const std::string at = "killed before statement " + std::to_string(n) + " of " + std::to_string(statements);
        ASSERT_NO_FATAL_FAILURE(run_ok(microblog({"downgrade", "s1", "--yes"})));
        Child c = kill_before(upgrade, n, log());
        ASSERT_TRUE(c.killed_by(SIGKILL)) << at << ": " << c.describe();
        Child next = run(upgrade, log());
        ASSERT_EQ(next.exit_code, 0) << "the run after a kill before statement " << n << ": " << next.describe();
        resumed += next.output.find("Resuming revision s2 after its step") != std::string::npos;
        ASSERT_NO_FATAL_FAILURE(expect_finished(at));
    }
    EXPECT_GT(resumed, 0) << "some kills fall between two committed steps";
    RecordProperty("statements", statements);
}

STRATA_INSTANTIATE_BACKENDS(CrashSteps);

// A backfill of 1,000,000 rows (counter = counter + 1), killed in the middle
// of its batches: the step record names the last committed batch's key,
// every row up to it was updated once and none after it, and the next run
// goes on from there: every counter ends at exactly 1. STRATA_BACKFILL_ROWS
// sets another row count.
class CrashBackfill : public CrashUpgrade {
protected:
    static int rows_wanted() {
        const char* rows = std::getenv("STRATA_BACKFILL_ROWS");
        return rows ? std::atoi(rows) : 1000000;
    }
    void write_backfill_repository() {
        const fs::path repo = basedir() / "migrations";
        migrate::ScriptDirectory::init(repo);
        std::ofstream(repo / "versions" / "b1_table.yaml") << R"(revision: b1
down_revision: null
message: table
created: 2026-11-30T00:00:00Z
upgrade:
  - create_table: {table: t, columns: [{name: id, type: Integer, primary_key: true}, {name: counter, type: Integer, nullable: false}]}
downgrade:
  - drop_table: t
)";
        std::ofstream(repo / "versions" / "b2_backfill.yaml") << R"(revision: b2
down_revision: b1
message: backfill
created: 2026-11-30T00:00:01Z
upgrade:
  - backfill: {table: t, set: {counter: counter + 1}, batch_size: 50000}
downgrade: []
)";
    }
    std::int64_t number(const std::string& sql) {
        auto conn = connect(app_url());
        auto st = conn->prepare(sql);
        return st->step() && !st->is_null(0) ? st->get_int64(0) : -1;
    }
};

TEST_P(CrashBackfill, KilledInTheMiddleResumesAndUpdatesEveryRowOnce) {
    const int rows = rows_wanted();
    const auto started = std::chrono::steady_clock::now();
    fs::create_directories(basedir());
    write_backfill_repository();
    ASSERT_NO_FATAL_FAILURE(run_ok(microblog({"upgrade", "b1"})));
    {
        auto conn = connect(app_url());
        conn->execute("WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < " +
                      std::to_string(rows) + ") INSERT INTO t (id, counter) SELECT x, 0 FROM seq");
    }
    // Killed (SIGKILL) once the step record says half the rows are done:
    // in the middle of a batch, or of the pause after one.
    const RunSpec upgrade = microblog({"upgrade"});
    Child c;
    const pid_t pid = spawn(upgrade, log(), c);
    ASSERT_NE(pid, 0) << c.output;
    for (auto conn = connect(app_url());;) {
        if (has_table(*conn, "strata_version_steps")) {
            auto st = conn->prepare("SELECT last_key FROM strata_version_steps");
            if (st->step() && !st->is_null(0) && st->get_int64(0) >= rows / 2) break;
        }
        int status = 0;
        ASSERT_EQ(waitpid(pid, &status, WNOHANG), 0) << "the run ended before half the rows were done";
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ::kill(pid, SIGKILL);
    c = wait_for(pid, log(), c);
    ASSERT_TRUE(c.killed_by(SIGKILL)) << c.describe();
    const std::int64_t last = number("SELECT last_key FROM strata_version_steps");
    ASSERT_GE(last, rows / 2) << "the record names the last committed batch";
    ASSERT_LT(last, rows);
    EXPECT_EQ(number("SELECT COUNT(*) FROM t WHERE counter = 1"), last) << "the rows up to its key, once";
    EXPECT_EQ(number("SELECT COUNT(*) FROM t WHERE counter <> 1 AND id <= " + std::to_string(last)), 0);
    EXPECT_EQ(number("SELECT COUNT(*) FROM t WHERE counter <> 0 AND id > " + std::to_string(last)), 0);
    EXPECT_EQ(number("SELECT COUNT(*) FROM strata_version"), 1) << "still at b1";

    Child next = run(upgrade, log());
    ASSERT_EQ(next.exit_code, 0) << next.describe();
    EXPECT_NE(next.output.find("Backfilled t: " + std::to_string(rows - last) + " rows updated (after key " +
                               std::to_string(last) + ", where a stopped run left off)"),
              std::string::npos)
        << next.output;
    EXPECT_EQ(number("SELECT COUNT(*) FROM t WHERE counter = 1"), rows) << "every row updated exactly once";
    EXPECT_EQ(number("SELECT COUNT(*) FROM t WHERE counter <> 1"), 0);
    EXPECT_EQ(number("SELECT COUNT(*) FROM strata_version_steps"), 0);
    RecordProperty("seconds", static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(
                                                   std::chrono::steady_clock::now() - started).count()));
}

STRATA_INSTANTIATE_BACKENDS(CrashBackfill);

// `db upgrade --backup`: the backup is VACUUM INTO a temporary name, renamed
// when complete; any file named like a backup is a whole copy of the old state.
class CrashBackup : public CrashUpgrade {
protected:
    std::vector<fs::path> files_ending(const std::string& suffix) const {
        std::vector<fs::path> out;
        for (const auto& e : fs::directory_iterator(basedir()))
            if (e.path().string().ends_with(suffix)) out.push_back(e.path());
        return out;
    }
    void check_backups() {
        EXPECT_EQ(files_ending(".incomplete").size(), 0u) << "a kill before a statement is never mid-copy";
        for (const auto& bak : files_ending(".bak")) {
            SCOPED_TRACE("backup " + bak.string());
            auto conn = connect("sqlite:///" + bak.string());
            EXPECT_EQ(check_state(*conn, old_, new_, item_rows), Which::Old);
        }
    }
    void remove_backups() {
        for (const auto& f : files_ending(".bak")) fs::remove(f);
        for (const auto& f : files_ending(".incomplete")) fs::remove(f);
    }
};

TEST_P(CrashBackup, KilledBackupLeavesNoPartialBackup) {
    if (!is_sqlite()) {
        // --backup is SQLite's (VACUUM INTO); PostgreSQL refuses it and changes nothing.
        fs::create_directories(basedir());
        write_repository(basedir() / "migrations");
        ASSERT_NO_FATAL_FAILURE(run_ok(microblog({"upgrade", "a1"})));
        Child c = run(microblog({"upgrade", "--backup"}), log());
        EXPECT_EQ(c.exit_code, 1) << c.describe();
        EXPECT_NE(c.output.find("--backup works on SQLite only"), std::string::npos) << c.output;
        auto conn = connect(app_url());
        EXPECT_EQ(version_of(*conn), "a1");
        return;
    }
    ASSERT_NO_FATAL_FAILURE(prepare());
    walk({"upgrade", "--backup"}, [&](int) { check_backups(); });
    remove_backups();

    // A crash in the middle of the copy (the file size limit kills the child
    // with SIGXFSZ while VACUUM INTO writes): nothing named like a backup; the
    // next run makes its own (the stale temporary file is safe to delete).
    ASSERT_NO_FATAL_FAILURE(restore_old());
    RunSpec limited = microblog({"upgrade", "--backup"});
    limited.file_size_limit = fs::file_size(old_file()) / 2;
    Child c = run(limited, log());
    ASSERT_TRUE(c.killed_by(SIGXFSZ)) << c.describe();
    EXPECT_EQ(files_ending(".bak").size(), 0u);
    EXPECT_EQ(files_ending(".incomplete").size(), 1u) << "the copy was cut short under its temporary name";
    EXPECT_EQ(check("after SIGXFSZ"), Which::Old);
    Child next = run(microblog({"upgrade", "--backup"}), log());
    ASSERT_EQ(next.exit_code, 0) << next.describe();
    EXPECT_EQ(check("the run after SIGXFSZ"), Which::New);
    ASSERT_EQ(files_ending(".bak").size(), 1u);
    auto backup = connect("sqlite:///" + files_ending(".bak")[0].string());
    EXPECT_EQ(check_state(*backup, old_, new_, item_rows), Which::Old);
}

STRATA_INSTANTIATE_BACKENDS(CrashBackup);

// ------------------------------------------------------ session commit (c)

std::string session_rows(Connection& conn) {
    return checksum(conn, "account", {"balance"}, {"name"}) + " / " +
           checksum(conn, "entry", {"amount", "account_id"}, {"memo"});
}

class CrashSession : public strata::testing::BackendTest {
protected:
    fs::path log() const { return dir().path() / "child.log"; }
    RunSpec child(const std::string& mode) const { return RunSpec{{STRATA_CRASH_SESSION_CHILD, url(), mode}, {}}; }

    // Back to the old rows, from copies kept in the same database.
    void restore_old(Connection& conn) {
        conn.begin();
        conn.execute("DELETE FROM entry");   // entry.account_id is indexed: the foreign key checks stay cheap
        conn.execute("DELETE FROM account");
        conn.execute("INSERT INTO account SELECT * FROM account_old");
        conn.execute("INSERT INTO entry SELECT * FROM entry_old");
        conn.commit();
    }

    void walk_commit(int shard, int shards);
};

// Kills before every statement N of the commit with N % shards == shard (a
// sanitizer build: only the sampled Ns of that shard, see kSessionShards).
void CrashSession::walk_commit(int shard, int shards) {
    Child created = run(child("create"), log());
    ASSERT_EQ(created.exit_code, 0) << created.describe();
    auto conn = open_connection();
    conn->execute("CREATE TABLE account_old AS SELECT * FROM account");
    conn->execute("CREATE TABLE entry_old AS SELECT * FROM entry");
    State old_state{"<no version table>", inspect(*conn), session_rows(*conn)};

    const RunSpec commit = child("commit");
    const std::vector<std::string> sqls = list_statements(commit, log());
    const int statements = static_cast<int>(sqls.size());
    State new_state{"<no version table>", old_state.schema, session_rows(*conn)};
    ASSERT_NE(new_state.rows, old_state.rows);
    ASSERT_GT(statements, 1000);
    // Both states have the same (absent) version: tell them apart by rows.
    auto which = [&](const std::string& context, bool after_kill) {
        SCOPED_TRACE(context);
        const std::string rows = session_rows(*conn);
        if (after_kill) {
            const bool sqlite = conn->dialect().name() == "sqlite";
            EXPECT_EQ(sqlite ? row_text(*conn, "PRAGMA integrity_check") : "ok", "ok");
            EXPECT_EQ(schema_differences(old_state.schema, *conn), "");
        }
        return rows == old_state.rows ? Which::Old : rows == new_state.rows ? Which::New : Which::Neither;
    };

    // Every N is killed before and checked (the sanitizer build: the sampled Ns only); the next
    // plain run, which costs a whole commit, follows the kills at the sampled Ns: the first and last
    // of each distinct step from one statement to the next, and the edges.
    const std::vector<int> sampled = sample_transitions(sqls, 3, 6);
#ifdef STRATA_CRASH_WALK_SAMPLED
    const std::vector<int>& all = sampled;
#else
    std::vector<int> all(static_cast<std::size_t>(statements));
    std::iota(all.begin(), all.end(), 1);
#endif
    const std::set<int> rerun_after(sampled.begin(), sampled.end());
    std::vector<int> ns;
    std::copy_if(all.begin(), all.end(), std::back_inserter(ns), [&](int n) { return n % shards == shard; });
    RecordProperty("statements", statements);
    RecordProperty("killed_before", static_cast<int>(ns.size()));
    ASSERT_FALSE(ns.empty());
    if (statements % shards == shard) {
        ASSERT_EQ(ns.back(), statements);
    }
    bool holds_old_rows = false;   // listing the statements ran the commit
    for (int n : ns) {
        const std::string at = "killed before statement " + std::to_string(n) + " of " + std::to_string(statements) +
                               " (" + sqls[static_cast<std::size_t>(n - 1)] + ")";
        if (!holds_old_rows) {
            ASSERT_NO_FATAL_FAILURE(restore_old(*conn));
        }
        Child c = kill_before(commit, n, log());
        ASSERT_TRUE(c.killed_by(SIGKILL)) << at << ": " << c.describe();
        const Which left = which(at, true);
        ASSERT_NE(left, Which::Neither) << at << ": rows " << session_rows(*conn);
        holds_old_rows = left == Which::Old;
        if (!holds_old_rows || !rerun_after.contains(n)) continue;   // committed, or not a sampled N
        Child next = run(commit, log());
        ASSERT_EQ(next.exit_code, 0) << "the run after a kill " << at << ": " << next.describe();
        ASSERT_EQ(which("the run after a kill " + at, false), Which::New);
        holds_old_rows = false;
    }
}

// The walk is split into kSessionShards tests that ctest runs side by side
// (this binary has a ctest test per test: tests/CMakeLists.txt): the commit
// sends one statement per UPDATE and DELETE (and per INSERT on SQLite),
// 1,200-2,300 in all, and every N costs a run of N statements plus the check,
// about three minutes in all on two cores. Under the sanitizers
// (STRATA_CRASH_WALK_SAMPLED) each shard kills only before the sampled Ns
// (sample_transitions): the first and the last N of each distinct pair of
// consecutive statements (BEGIN to the first INSERT / COPY, one batch to the
// next, the last DELETE to RELEASE and COMMIT...), the first and last 3, and 6
// more spread evenly; the other builds walk every N.
constexpr int kSessionShards = 8;
#define STRATA_CRASH_SESSION_SHARD(k) \
    TEST_P(CrashSession, KilledCommitLeavesOldOrNewRows_##k) { walk_commit(k, kSessionShards); }
STRATA_CRASH_SESSION_SHARD(0)
STRATA_CRASH_SESSION_SHARD(1)
STRATA_CRASH_SESSION_SHARD(2)
STRATA_CRASH_SESSION_SHARD(3)
STRATA_CRASH_SESSION_SHARD(4)
STRATA_CRASH_SESSION_SHARD(5)
STRATA_CRASH_SESSION_SHARD(6)
STRATA_CRASH_SESSION_SHARD(7)
static_assert(kSessionShards == 8, "one STRATA_CRASH_SESSION_SHARD line per shard");

// A misspelt failpoint must not run a crash test that crashes nothing: the
// first connection refuses it, before any statement.
TEST_P(CrashSession, UnknownFailpointIsAConfigError) {
    for (const auto& [spec, message] : std::vector<std::pair<std::string, std::string>>{
             {"kill-before-statment:3", "STRATA_FAILPOINT='kill-before-statment:3' is not a failpoint (expected "
                                        "kill-before-statement:N or count-statements)"},
             {"kill-before-statement:0", "STRATA_FAILPOINT='kill-before-statement:0': N must be a whole number from 1 up"},
             {"kill-before-statement:3x", "STRATA_FAILPOINT='kill-before-statement:3x': N must be a whole number from 1 up"}}) {
        Child c = run(with_failpoint(child("create"), spec), log());
        EXPECT_EQ(c.exit_code, 1) << c.describe();
        EXPECT_EQ(c.output, "error: " + message + "\n");
    }
    auto conn = open_connection();
    EXPECT_FALSE(has_table(*conn, "account")) << "nothing ran";
}

STRATA_INSTANTIATE_BACKENDS(CrashSession);

}  // namespace
