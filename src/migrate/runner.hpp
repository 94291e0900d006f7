// src/migrate/runner.hpp — running revisions against a database, or printing them.
//
// Online: one transaction for a whole upgrade or downgrade, taken under the
// backend's migration lock (BackendRules::begin_run), the version table
// strata_version updated per revision, the backend's deferred checks after
// each revision. The schema before the first op comes from inspect().
//
// Offline: the same statements as text, the schema before the first op
// coming from replaying the revision files (no database needed).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "migrate/script.hpp"
#include "strata/connection.hpp"
#include "strata/migrate.hpp"

namespace strata::migrate {

// Key of the PostgreSQL advisory lock that serialises migration runs ("strata" in ASCII).
inline constexpr std::int64_t kPostgresLockKey = 126943972389985;

// Revisions from one state (heads) to another, in the order they run.
struct Plan {
    std::vector<std::string> start_heads;
    std::vector<const Revision*> revisions;
    bool upgrade = true;
};

Plan plan_upgrade(const ScriptDirectory& scripts, const std::vector<std::string>& current, const std::string& target);
Plan plan_downgrade(const ScriptDirectory& scripts, const std::vector<std::string>& current, const std::string& target);

// The schema the revision files describe at these heads (replayed from base).
MetaData schema_at(const ScriptDirectory& scripts, const std::vector<std::string>& heads);

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

struct OfflineScript {
    std::string text;                       // the whole script, statements ending in ';'
    std::vector<std::string> statements;    // the ops' SQL only, as the online run executes them
};

// `range` is "FROM:TO" or "TO" (upgrade from base). Downgrade needs FROM:TO.
OfflineScript offline_upgrade(const ScriptDirectory& scripts, const Dialect& dialect, const std::string& range);
OfflineScript offline_downgrade(const ScriptDirectory& scripts, const Dialect& dialect, const std::string& range);

// The version table's definition (its name from migrations/strata.yaml).
Table version_table(const std::string& name = kVersionTable);

}  // namespace strata::migrate
