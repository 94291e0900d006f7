// src/migrate/version_table.hpp — the version table (strata_version by default):
// one row per head the database is at.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "migrate/script.hpp"
#include "strata/connection.hpp"

namespace strata::migrate {

// The version table's definition (its name from migrations/strata.yaml).
Table version_table(const std::string& name = kVersionTable);

// DELETE / INSERT of one version_num; `value` is a placeholder or (offline) a literal.
std::string delete_version_sql(const Dialect& d, const std::string& table, const std::string& value);
std::string insert_version_sql(const Dialect& d, const std::string& table, const std::string& value);

// Creates the version table when it is missing.
void ensure_version_table(Connection& conn, const std::string& table);
// The heads recorded in the version table, sorted (empty: none yet / no table).
std::vector<std::string> read_heads(Connection& conn, const std::string& table);

// ---------------------------------------------------------------- step records

// Where a revision stopped between two steps (transaction_per: step, or a
// step that runs outside a transaction): its first steps_done steps are in
// the database, its version is not. One row at most: runs are serial and a
// revision's record is deleted with its version update.
struct StepRecord {
    std::string revision;
    bool upgrade = true;
    std::size_t steps_done = 0;
    // The step after them is a backfill that committed its batches up to this key.
    std::optional<std::int64_t> last_key = std::nullopt;
    bool operator==(const StepRecord&) const = default;
};

// The step table's definition (<version_table>_steps).
Table step_table(const std::string& name);
// Creates the step table when it is missing.
void ensure_step_table(Connection& conn, const std::string& table);
// The record, when there is one (none, too, when the table does not exist).
std::optional<StepRecord> read_step_record(Connection& conn, const std::string& table);
// Replaces the record with this one.
void write_step_record(Connection& conn, const std::string& table, const StepRecord& record);
// Deletes every record (a finished revision, `db stamp`); no-op without the table.
void clear_step_records(Connection& conn, const std::string& table);

}  // namespace strata::migrate
