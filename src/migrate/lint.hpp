// src/migrate/lint.hpp — what each op of a plan does to a live database's tables.
//
// For every op of every revision a run would execute: the lock it takes on
// each table, whether it scans or rewrites that table while holding it, and,
// when that makes the op a hazard (a lock that blocks other sessions held for
// as long as the table takes to read or write), the safe way to do the same.
//
// The knowledge is per backend, a table in its own folder that its rules hand
// out (BackendRules::lint(); src/backend/postgresql/migrate/lint.cpp): a backend without one is linted for what every
// backend that rebuilds tables does (SQLite: which ops copy a table, and how
// many rows). `db lint` prints the result; `db upgrade --lint` refuses to run
// a plan with hazards unless told to.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "migrate/operations.hpp"
#include "migrate/script.hpp"
#include "strata/connection.hpp"

namespace strata::migrate {

// PostgreSQL's table lock modes, weakest first (each conflicts with more).
enum class LockMode {
    None,
    AccessShare,
    RowShare,
    RowExclusive,
    ShareUpdateExclusive,
    Share,
    ShareRowExclusive,
    Exclusive,
    AccessExclusive,
};
// "ACCESS EXCLUSIVE"; "" for None.
std::string lock_name(LockMode mode);
// What other sessions cannot do while the lock is held: "reads and writes", "writes", "other schema changes".
std::string lock_blocks(LockMode mode);
// From pg_locks.mode ("AccessExclusiveLock"); None when unknown.
LockMode lock_from_pg_locks(std::string_view mode);

// What an op does to a table's rows while it holds its lock.
enum class TableWork {
    None,      // the catalog only: over in a moment, whatever the table's size
    Scan,      // reads every row (to check a constraint, to build an index)
    Rewrite,   // writes every row to a new file (and rebuilds its indexes)
};

struct TableEffect {
    std::string table;
    LockMode lock = LockMode::None;
    TableWork work = TableWork::None;
};

// One op's verdict, from a backend's hazard table.
struct OpVerdict {
    std::vector<TableEffect> tables;   // every existing table the op locks
    std::string why;                   // what makes the work long (a volatile default, a type change, …)
    std::string alternative;           // the safe way to get the same result, when there is one
    std::string note;                  // said even when harmless (drop_index: concurrently avoids the lock)
    bool unknown = false;              // raw SQL: what it locks cannot be known
};

// What the walk knows besides the schema: constraints added not valid and
// not validated yet (table, name), which prove nothing to the server.
struct LintState {
    std::set<std::pair<std::string, std::string>> not_valid;
};

// A backend's hazard knowledge: the verdict for one op given the schema just
// before it, and what the live database adds to the walk's state.
struct BackendLint {
    OpVerdict (*verdict)(const Operation& op, const MetaData& before, const LintState& state);
    // The constraints not validated yet (PostgreSQL: pg_constraint.convalidated).
    LintState (*live_state)(Connection& conn);
};

struct OpLint {
    const Revision* revision = nullptr;
    const Step* step = nullptr;
    std::string location;     // file:line:column of the op
    OpVerdict verdict;
    bool hazard = false;      // a blocking lock held while the table is scanned or rewritten
    bool new_table = false;   // the op's table is made by this run: no one else can be using it
    // A backend that rebuilds tables (SQLite): the table this op copies, and
    // how many rows it holds now (-1: made or renamed by this run).
    std::optional<std::string> rebuilds;
    std::int64_t rows = -1;
    bool same_rebuild = false;   // rebuilt together with the op before it (rows copied once)
};

struct LintReport {
    std::string backend;
    bool knows_locks = false;  // the backend has a lint table (else: rebuilds only)
    std::vector<OpLint> ops;
    std::size_t hazards() const;
};

// Lints every op of the plan against the schema the database has before it
// (`conn`, when given, counts the rows of rebuilt tables and reads which
// constraints are not validated yet).
LintReport lint_plan(const Plan& plan, const Dialect& dialect, const MetaData& before, Connection* conn);

// What a backfill holds up, said on every backend: one batch at a time.
std::string batches_note(const Backfill& op);

// The report as `db lint` prints it.
std::string format_lint(const LintReport& report);

}  // namespace strata::migrate
