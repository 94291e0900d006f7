// src/migrate/backend_rules.hpp — a backend's migration rules (its part of the
// backend record, src/dialect/backend.hpp): what its ALTER TABLE can do (else
// the table is rebuilt in "batch" mode), how a column changes type (ENUM
// types), the migration lock and transaction, the checks it defers to the end
// of a revision, the frame of an offline script, backups, and what each op
// locks on a live database (its lint table).
//
// operations.cpp and runner.cpp ask rules_for(dialect); the rules of each
// backend live in src/backend/<name>/migrate/.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "migrate/backfill.hpp"
#include "migrate/operations.hpp"
#include "migrate/runner.hpp"
#include "strata/connection.hpp"
#include "strata/database.hpp"
#include "strata/dialect.hpp"

namespace strata::migrate {

struct BackendLint;  // migrate/lint.hpp

// A schema object strata does not model, as the database keeps it.
struct SchemaObject {
    std::string type;   // "view", "trigger"
    std::string name, sql;
};

// What a migration run changed on its connection (SQLite's foreign keys),
// put back when the guard goes, after the transaction ended either way.
class RunGuard {
public:
    virtual ~RunGuard() = default;
};

class BackendRules {
public:
    virtual ~BackendRules() = default;

    // The table an op rebuilds because the backend's ALTER TABLE cannot do it
    // (SQLite's "batch" mode); nullopt when the op runs as it is.
    virtual std::optional<std::string> batch_table(const Operation& /*op*/, const MetaData& /*before*/) const {
        return std::nullopt;
    }

    // The statements that change a column's type in place; `prefix` is
    // `ALTER TABLE "t" ALTER COLUMN "c" `. The default converts the rows with
    // USING (text to text needs none); PostgreSQL also swaps ENUM types.
    virtual std::vector<std::string> change_type(const Dialect& d, const AlterColumn& op, const Table& table,
                                                 const Column& column, const std::string& prefix) const;

    // Takes the migration lock and opens the run's transaction on `conn`
    // (waiting as options says); throws MigrationError naming who holds the
    // lock when it cannot be had. The guard puts back what the run changed on
    // the connection; a failure here leaves the connection as it was.
    virtual std::unique_ptr<RunGuard> begin_run(Connection& conn, const RunOptions& options) const = 0;

    // The objects strata does not model (views, triggers) that a rebuild of
    // `table` would drop or break, in the order they were made: the runner
    // drops them before the rebuild and makes them again after it.
    virtual std::vector<SchemaObject> rebuild_dependents(Connection& /*conn*/, const std::string& /*table*/) const {
        return {};
    }

    // After a revision's ops, before its version row: checks the backend left
    // for the end (SQLite's foreign keys, off while tables are rebuilt).
    virtual void check_revision(Connection& /*conn*/) const {}

    // What an offline script writes around its statements (after_begin
    // follows every BEGIN: the limits a live run sets on its transactions).
    struct OfflineFrame {
        std::string before_begin, after_begin, before_commit, after_commit;
    };
    virtual OfflineFrame offline_frame(const Timeouts& /*timeouts*/) const { return {}; }

    // A backfill in an offline script: the batched loop where the backend's
    // SQL can commit in one (PostgreSQL's DO block), else one UPDATE of
    // every row; `how` says which, for the script's comment.
    struct OfflineBackfill {
        std::string how;
        std::vector<std::string> statements;
    };
    virtual OfflineBackfill offline_backfill(const BackfillSql& sql) const;

    // Runs a table rebuild's copy (`statement`: INSERT INTO the new table …
    // SELECT … FROM `table`), reporting progress(rows copied, rows) as it
    // goes when it is long enough to be worth it; the default runs it at once.
    using RowProgress = std::function<void(std::int64_t done, std::int64_t total)>;
    virtual void copy_rows(Connection& conn, const Table& /*table*/, const std::string& statement,
                           const RowProgress& /*progress*/) const {
        conn.execute(statement);
    }

    // How long a backfill leaves the database alone between two batches, so
    // that the writers waiting for a batch get in before the next one.
    virtual std::chrono::milliseconds backfill_pause() const { return std::chrono::milliseconds(0); }

    // `db upgrade --backup`: a consistent copy of the database beside it;
    // returns where. MigrationError where the backend has none.
    virtual std::filesystem::path backup(const Database& db) const;

    // What each op does to a live database (its locks, scans and rewrites),
    // for `db lint`; nullptr where the backend has no such knowledge.
    virtual const BackendLint* lint() const { return nullptr; }

protected:
    // `prefix TYPE new [USING "c"[::text]::new]` — the one statement every backend shares.
    static std::string type_statement(const Dialect& d, const AlterColumn& op, const SqlType& from, const SqlType& to,
                                      const std::string& prefix);
};

// The rules of the dialect's backend.
const BackendRules& rules_for(const Dialect& dialect);

// An Enum's type name defaults to its column's name (as the dialects do).
Column with_enum_name(Column column);

}  // namespace strata::migrate
