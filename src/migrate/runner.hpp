// src/migrate/runner.hpp — running revisions against a database.
//
// One transaction for a whole upgrade or downgrade, taken under a lock
// (migrate/lock.hpp), the version table strata_version updated per revision,
// PRAGMA foreign_key_check after each revision on SQLite. The schema before
// the first op comes from inspect(). The plan comes from migrate/script.hpp,
// the walk over it from migrate/walk.hpp; offline output is migrate/offline.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "migrate/script.hpp"
#include "strata/connection.hpp"

namespace strata::migrate {

// A destructive op about to run, and how many rows hold data it will lose
// (-1 when the table does not exist yet, so the count is unknown); or raw
// SQL (an `execute` op), which cannot be checked and is always asked about.
struct DataLoss {
    std::string revision;
    std::string location;      // file:line of the op
    std::string op;            // describe()
    std::string table;
    std::string column;        // empty for drop_table
    std::int64_t rows = -1;
    bool raw_sql = false;      // an `execute` op: what it does is unknown
    int longer_than = 0;       // shorter text: rows counts the values longer than this
};

struct RunOptions {
    std::function<void(const std::string&)> notice;                 // progress and lock messages
    std::function<bool(const std::vector<DataLoss>&)> confirm;      // false aborts before any change
    // Sees the plan and the schema before it, under the migration lock, before
    // anything runs (`db upgrade --lint`); false aborts before any change.
    std::function<bool(const Plan&, const MetaData&)> review;
    std::chrono::milliseconds lock_timeout{60000};
};

struct RunResult {
    std::vector<std::string> from_heads;
    std::vector<std::string> to_heads;
    std::vector<std::string> statements;    // the ops' SQL, in order (not the version table's)
    std::size_t revisions_run = 0;
};

class Runner {
public:
    Runner(Connection& conn, const ScriptDirectory& scripts) : conn_(conn), scripts_(scripts) {}

    // The database's heads from the version table (empty: none yet / no table).
    std::vector<std::string> current_heads();
    RunResult upgrade(const std::string& target, const RunOptions& options = {});
    RunResult downgrade(const std::string& target, const RunOptions& options = {});
    // Sets the version table to the target without running anything.
    void stamp(const std::string& target, const RunOptions& options = {});

private:
    RunResult run(bool upgrade, const std::string& target, const RunOptions& options);
    // The destructive ops of a plan with the rows they would empty (only those with data).
    std::vector<DataLoss> data_losses(const Plan& plan, const MetaData& schema);
    Connection& conn_;
    const ScriptDirectory& scripts_;
};

}  // namespace strata::migrate
