// src/migrate/walk.hpp — one walk over a plan, shared by the online run, the
// offline script, the data-loss check and schema_at: every op rendered against
// the schema as it evolves, each event reported to Hooks.
#pragma once

#include <string>

#include "migrate/operations.hpp"
#include "migrate/script.hpp"

namespace strata::migrate {

// "versions/0001_x.yaml:12:5": where an op is written.
std::string location(const Revision& rev, const Step& step);

// Everything a walk over a plan reports; each use overrides what it needs.
struct Hooks {
    virtual ~Hooks() = default;
    virtual void revision(const Revision&, bool /*upgrade*/) {}
    virtual void op(const Revision&, const Step&, const MetaData& /*before*/) {}
    // One statement, or (script) the text of an `execute` op, which may hold several.
    virtual void sql(const std::string& /*statement*/, bool /*script*/) {}
    virtual void version(bool /*insert*/, const std::string& /*id*/) {}
    virtual void opaque(MetaData&) {}   // after raw SQL: the schema may have changed
    // Around the statements of a SQLite table rebuild (one op or a group).
    virtual void rebuild_begins(const std::string& /*table*/) {}
    virtual void rebuild_ends(const std::string& /*table*/) {}
    // The statement of a rebuild that copies the rows of `table` (as it was before it).
    virtual void copy_rows(const Table& /*table*/, const std::string& statement) { sql(statement, false); }
    virtual void finished(const Revision&) {}   // after a revision's ops, before its version update
    // Before step k of a revision; outside: it runs outside the revision's
    // transaction (runs_outside_transaction).
    virtual void step_begins(const Revision&, std::size_t /*k*/, bool /*outside*/) {}
    // After steps [0, done) of a revision's `total` ran (each op, or a rebuild group).
    virtual void steps_done(const Revision&, std::size_t /*done*/, std::size_t /*total*/) {}
    // A backfill op, instead of sql(): the batches (backfill.hpp). The schema
    // does not change.
    virtual void backfill(const Revision&, const Step&, const Backfill&, const MetaData& /*before*/) {}
    // After a revision's version update.
    virtual void revision_done(const Revision&) {}
};

// Renders every op of the plan against the evolving schema and reports it;
// a failing op becomes a MigrationError naming its file:line and revision.
void walk(const Plan& plan, const ScriptDirectory& scripts, const Dialect& dialect, MetaData& schema, Hooks& hooks);

// The schema the revision files describe at these heads, replayed from base
// as the dialect runs them (a revision's ops may differ per backend).
MetaData schema_at(const ScriptDirectory& scripts, const std::vector<std::string>& heads, const Dialect& dialect);

}  // namespace strata::migrate
