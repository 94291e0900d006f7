// src/migrate/backfill.hpp — the `backfill` op: a table's rows updated in
// batches of primary-key ranges, one transaction per batch.
//
// Keyset batches: each batch's upper key is the largest of the next
// batch_size keys after the last one done (an index range read, never
// OFFSET), and the UPDATE touches `key > last AND key <= bound`, so each
// row is in exactly one batch and a batch locks at most batch_size rows.
// The runner commits each batch with the step record holding its upper key
// (src/migrate/version_table.hpp): a run killed in the middle resumes after
// the last committed batch, and every row is updated exactly once.
//
// The key is the table's primary key, which must be one integer column
// (SmallInteger, Integer, BigInteger); other tables are refused by name.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "migrate/operations.hpp"
#include "strata/connection.hpp"

namespace strata::migrate {

// The key column a backfill walks the table by; MigrationError naming the
// table when it has no single integer primary key, or naming the column
// when a `set` column is missing, computed or the key itself.
const Column& backfill_key(const Backfill& op, const Table& table);

// The statements of a backfill for a dialect. `after` / `upto` are how the
// bounds are written: placeholders online, variables in an offline script.
struct BackfillSql {
    const Backfill& op;
    const Dialect& d;
    std::string key;   // the key column, quoted
    const Table& table;

    // SELECT MAX(key), COUNT(*) of the next batch_size keys (after `after`, if given).
    std::string next_bound(const std::string* after) const;
    // UPDATE … WHERE key <= upto (and key > after, if given) AND (where).
    std::string update(const std::string* after, const std::string& upto) const;
    // UPDATE of every row the op selects, in one statement.
    std::string update_all() const;
    std::string count_rows(const std::string* upto) const;   // rows of the table (with key <= upto)
};
BackfillSql backfill_sql(const Backfill& op, const Dialect& d, const Table& table);

// How the runner drives the batches: each batch runs between begin() and
// commit(last_key) (which writes the step record in the batch's transaction
// and commits; nullopt: the last, empty transaction, which changes nothing);
// progress(done, total) after each, counting rows walked.
struct BackfillDriver {
    std::function<void()> begin;
    std::function<void(std::optional<std::int64_t> last_key)> commit;
    std::function<void()> before_statement;
    std::function<void(std::int64_t done, std::int64_t total)> progress;
    std::chrono::milliseconds pause{0};   // after each batch (BackendRules::backfill_pause)
};

// Runs the batches after `resume_after` (the last key a stopped run
// committed; none: from the start). Returns the number of rows updated.
std::int64_t run_backfill(Connection& conn, const Backfill& op, const Table& table,
                          std::optional<std::int64_t> resume_after, const BackfillDriver& driver);

}  // namespace strata::migrate
