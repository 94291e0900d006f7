// src/migrate/runner.hpp — running revisions against a database.
//
// One transaction for a whole upgrade or downgrade, taken under the backend's
// lock (migrate/lock.hpp), the version table strata_version updated per
// revision, the backend's deferred checks after each revision
// (BackendRules::check_revision: SQLite's foreign keys). The schema before
// the first op comes from inspect(). The plan comes from migrate/script.hpp,
// the walk over it from migrate/walk.hpp; offline output is migrate/offline.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "migrate/script.hpp"
#include "migrate/timeouts.hpp"
#include "strata/connection.hpp"
#include "strata/error.hpp"
#include "strata/migrate.hpp"

namespace strata::migrate {

// A run that failed after some of its transactions committed (transaction_per
// revision or step, a backfill's batches): the failing one was rolled back,
// the ones before it stay.
class PartlyCommitted : public MigrationError {
public:
    using MigrationError::MigrationError;
};

// What a failed run left, as its error and the retry's notice say it.
inline constexpr const char* kAllRolledBack = "Everything was rolled back";
inline constexpr const char* kLastRolledBack =
    "The failing transaction was rolled back; the ones before it stay committed";

// DataLoss, RunOptions and RunResult are the library API's (include/strata/migrate.hpp).

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
    RunResult run(bool upgrade, const std::string& target, const RunOptions& options);   // tries run_once
    RunResult run_once(bool upgrade, const std::string& target, const RunOptions& options);
    void stamp_once(const std::string& target, const RunOptions& options);
    // The destructive ops of a plan with the rows they would empty (only those with data).
    std::vector<DataLoss> data_losses(const Plan& plan, const MetaData& schema);
    Connection& conn_;
    const ScriptDirectory& scripts_;
};

}  // namespace strata::migrate
