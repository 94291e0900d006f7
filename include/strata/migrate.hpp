// strata/migrate.hpp — migrations from a program: the library API
// (strata::migrate::upgrade, downgrade, check, autogenerate: results, not
// printing) and the `db` command line an application embeds, a thin layer
// over it.
//
//   strata::DbContext ctx{database_url, basedir / "migrations", [&registry] { return registry.metadata(); }};
//   auto result = strata::migrate::upgrade(ctx, "head");   // result.to_heads, result.revisions_run
//
//   int main(int argc, char** argv) {
//       if (argc > 1 && std::string_view(argv[1]) == "db") {
//           strata::DbContext ctx{database_url, basedir / "migrations",
//                                 [&registry] { return registry.metadata(); }, "microblog"};
//           return strata::db_main(ctx, argc - 1, argv + 1);   // argv[0] is "db"
//       }
//   }
//
// (A complete program: docs/migrations.md, "Embedding the command line".)
//
// Commands: init, create, migrate, revision, upgrade, downgrade, current,
// history, heads, show, stamp, check, merge (`db --help`). The revision file
// format is in docs/migrations.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "strata/export.hpp"
#include "strata/schema.hpp"

namespace strata {

class Connection;

struct DbContext {
    std::string database_url;
    std::filesystem::path migrations_dir;
    std::function<MetaData()> target_metadata;   // the models: what create and migrate build toward
    std::string program_name = "app";            // used in help and hints ("microblog db upgrade")
};

namespace migrate {

struct Plan;   // the revisions a run walks, in order (internal: src/migrate/script.hpp)

// A destructive op about to run, and how many rows hold data it will lose
// (-1 when the table does not exist yet, so the count is unknown); or raw
// SQL (an `execute` op), which cannot be checked and is always asked about.
struct DataLoss {
    std::string revision;
    std::string location;      // file:line of the op
    std::string op;            // "drop_column user.about_me"
    std::string table;
    std::string column;        // empty for drop_table
    std::int64_t rows = -1;
    bool raw_sql = false;      // an `execute` op: what it does is unknown
    int longer_than = 0;       // shorter text: rows counts the values longer than this
};

// How long a migration may wait on a live database: from strata.yaml
// (lock_timeout, statement_timeout, retries) under the `db` flags.
struct Timeouts {
    // PostgreSQL's lock_timeout for every statement of a migration
    // transaction: a lock not granted within it fails the statement (55P03),
    // so the queue of readers that forms behind a waiting ALTER lasts at most this long.
    std::chrono::milliseconds lock_timeout{5000};
    // PostgreSQL's statement_timeout for the same statements; 0: none.
    std::chrono::milliseconds statement_timeout{0};
    // After a lock timeout the run rolls back and starts again, this many times at most.
    int retries = 3;
    // The wait before the first retry, doubled for each further one, each
    // drawn at random from half to one and a half times that.
    std::chrono::milliseconds retry_delay{1000};
};

// How much of a run one transaction holds (strata.yaml's transaction_per):
// the whole run, each revision (committed and recorded one by one: engines
// whose DDL is not transactional, or commits it), or each step (the step
// record in <version_table>_steps says where a stopped revision resumes).
enum class TransactionPer { Migration, Revision, Step };

// How far a long step has got (RunOptions::progress): a backfill's rows, a
// SQLite table rebuild's copied rows, a PostgreSQL index build's blocks.
struct Progress {
    std::string task;            // "backfill post.slug", "rebuild of post", "index ix_post_title on post"
    std::string unit = "rows";   // what done and total count
    std::int64_t done = 0;
    std::int64_t total = 0;      // 0: not known (yet)
    std::chrono::steady_clock::duration elapsed{};   // since the step began
    bool finished = false;       // the step's last report
};

struct RunOptions {
    std::function<void(const std::string&)> notice;                 // progress and lock messages, one line each
    // Reports of the long steps as they go (after each batch or chunk, and
    // a last one with finished set); unset: none. `db` prints them on stderr.
    std::function<void(const Progress&)> progress;
    // Asked, before anything changes, about the ops that lose data; false
    // aborts (MigrationError, nothing changed). Unset: nobody is asked.
    std::function<bool(const std::vector<DataLoss>&)> confirm;
    // Sees the plan and the schema before it, under the migration lock, before
    // anything runs (`db upgrade --lint`); false aborts before any change.
    std::function<bool(Connection&, const Plan&, const MetaData&)> review;
    // How long a run waits for another run's migration lock (it holds no
    // table lock meanwhile). The connection's own timeouts are the database
    // URL's / ConnectionOptions'; `timeouts` are the migration transaction's.
    std::chrono::milliseconds migration_lock_wait{60000};
    Timeouts timeouts;               // PostgreSQL: lock_timeout, statement_timeout, retries
    bool cancel_on_signal = false;   // SIGINT / SIGTERM cancel the running statement
    std::function<void()> before_statement;   // called before each statement of the ops; may throw to stop
    // Copy the database aside first (SQLite: VACUUM INTO <file>.<time>.bak);
    // MigrationError on a backend without backups, before anything runs.
    bool backup = false;
    // Overrides strata.yaml's transaction_per (--transaction-per).
    std::optional<TransactionPer> transaction_per = {};
};

struct RunResult {
    std::vector<std::string> from_heads;     // the database's revisions before (empty: base)
    std::vector<std::string> to_heads;       // and after
    std::vector<std::string> statements;     // the ops' SQL, in order (not the version table's)
    std::size_t revisions_run = 0;
    std::optional<std::filesystem::path> backup;   // where RunOptions::backup copied the database
};

// Runs the revisions up to `target` (head, heads, an id or its prefix, +N)
// in one transaction under the migration lock; MigrationError naming the
// revision, file:line and op at fault, with everything rolled back.
STRATA_API RunResult upgrade(const DbContext& context, const std::string& target = "head", const RunOptions& options = {});
// Reverts revisions down to `target` (-N, an id, base).
STRATA_API RunResult downgrade(const DbContext& context, const std::string& target = "-1",
                               const RunOptions& options = {});

struct CompareSettings {
    // Also report a constraint that does what the models' does under another
    // name (or none): by default it matches the models' by what it does.
    bool compare_names = false;
};

// What `db check` reports: where the database is, and how the models differ from it.
struct CheckResult {
    std::vector<std::string> current;       // the database's revisions (empty: base)
    std::vector<std::string> heads;         // the repository's heads
    std::vector<std::string> differences;   // one op each, as `db check` lists them: "add_column user.about_me"
    std::vector<std::string> warnings;      // differences no op can express (an unnamed SQLite constraint)
    bool at_head() const { return current == heads; }
    bool up_to_date() const { return at_head() && differences.empty() && warnings.empty(); }
};
STRATA_API CheckResult check(const DbContext& context, const CompareSettings& settings = {});

struct AutogenerateOptions {
    std::string message = {};             // what the revision does
    std::vector<std::string> renames = {};   // "table.old:new" (column) or "old:new" (table): a rename, not drop + add
    bool from_empty = false;              // the first revision, as if the database were empty
    CompareSettings compare = {};
};

struct AutogenerateResult {
    std::vector<std::string> changes;     // the ops written, as `db migrate` prints them (Detected …)
    std::vector<std::string> warnings;    // said even when nothing is written
    std::string revision;                 // the new revision's id; empty when there was nothing to write
    std::filesystem::path file;           // and its file
};
// Compares the models (context.target_metadata) with the database, which
// must be at the repository's single head, and writes a revision file with
// the ops that close the gap (none when there are no changes).
STRATA_API AutogenerateResult autogenerate(const DbContext& context, const AutogenerateOptions& options);

}  // namespace migrate

// argv[0] is the command's own name ("db"), the rest its arguments.
// Returns the process exit code (0 success, 1 error or differences found).
STRATA_API int db_main(const DbContext& context, int argc, char** argv);

// Where a db command reads and writes; db_main uses the process's streams and
// treats stdin as interactive when it is a terminal.
struct DbStreams {
    std::ostream& out;
    std::ostream& err;
    std::istream& in;
    bool interactive = false;   // may ask questions (data loss confirmations)
    bool terminal = false;      // err is a terminal: progress is one line redrawn, not a line per 10 %
};

// The arguments after "db", e.g. {"upgrade", "head"}.
STRATA_API int db_run(const DbContext& context, const std::vector<std::string>& args, DbStreams streams);

}  // namespace strata
