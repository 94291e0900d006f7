// src/migrate/lint.cpp — walks a plan op by op and asks the backend's lint
// table (BackendRules::lint()) about each; on a backend that rebuilds tables, names the rebuilds.
#include "migrate/lint.hpp"

#include <algorithm>
#include <map>

#include "migrate/backend_rules.hpp"
#include "strata/dialect.hpp"
#include "strata/error.hpp"

namespace strata::migrate {

namespace {

std::string location(const Revision& rev, const Step& step) {
    return rev.path.string() + ":" + std::to_string(step.line) + ":" + std::to_string(step.column);
}

// The table an op works on ("" for raw SQL).
std::string subject_table(const Operation& op) {
    return std::visit([](const auto& o) -> std::string {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, CreateTable>) return o.table.name();
        else if constexpr (std::is_same_v<T, Execute>) return "";
        else return o.table;
    }, op);
}

// A lock that keeps other sessions from writing (or reading) the table.
bool blocks_writes(LockMode mode) { return mode >= LockMode::Share; }

// Tables made (or renamed) by this run: nobody else can be using them, and
// the rows they hold now are not the rows a rebuild will copy.
class RunTables {
public:
    void note(const Operation& op) {
        if (auto* c = std::get_if<CreateTable>(&op)) made_.insert(c->table.name());
        if (auto* r = std::get_if<RenameTable>(&op)) {
            renamed_.insert(r->new_name);
            if (made_.count(r->table)) made_.insert(r->new_name);
        }
    }
    bool made(const std::string& table) const { return made_.count(table) > 0; }
    bool renamed(const std::string& table) const { return renamed_.count(table) > 0; }

private:
    std::set<std::string> made_, renamed_;
};

// What validity the walk knows after an op: not_valid constraints until validated.
void track_validity(const Operation& op, LintState& state) {
    if (auto* ck = std::get_if<CreateCheckConstraint>(&op); ck && ck->not_valid)
        state.not_valid.emplace(ck->table, ck->constraint.name);
    if (auto* fk = std::get_if<CreateForeignKey>(&op); fk && fk->not_valid)
        state.not_valid.emplace(fk->table, fk->constraint.name);
    if (auto* v = std::get_if<ValidateConstraint>(&op)) state.not_valid.erase({v->table, v->name});
    if (auto* d = std::get_if<DropConstraint>(&op)) state.not_valid.erase({d->table, d->name});
}

std::int64_t count_rows(Connection& conn, const std::string& table) {
    auto stmt = conn.prepare("SELECT COUNT(*) FROM " + conn.dialect().quote(table));
    return stmt->step() ? stmt->get_int64(0) : 0;
}

std::string plural(std::size_t n, const std::string& word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

std::string batches_note(const Backfill& op) {
    return "updates rows in batches of " + std::to_string(op.batch_size) +
           ", one transaction each: other writers wait for one batch at most";
}

std::string lock_name(LockMode mode) {
    switch (mode) {
        case LockMode::None: return "";
        case LockMode::AccessShare: return "ACCESS SHARE";
        case LockMode::RowShare: return "ROW SHARE";
        case LockMode::RowExclusive: return "ROW EXCLUSIVE";
        case LockMode::ShareUpdateExclusive: return "SHARE UPDATE EXCLUSIVE";
        case LockMode::Share: return "SHARE";
        case LockMode::ShareRowExclusive: return "SHARE ROW EXCLUSIVE";
        case LockMode::Exclusive: return "EXCLUSIVE";
        case LockMode::AccessExclusive: return "ACCESS EXCLUSIVE";
    }
    return "";
}

std::string lock_blocks(LockMode mode) {
    if (mode == LockMode::AccessExclusive) return "reads and writes";
    if (blocks_writes(mode)) return "writes";
    if (mode == LockMode::ShareUpdateExclusive) return "other schema changes and VACUUM";
    return "nothing but schema changes";
}

LockMode lock_from_pg_locks(std::string_view mode) {
    static const std::map<std::string_view, LockMode> modes{
        {"AccessShareLock", LockMode::AccessShare},
        {"RowShareLock", LockMode::RowShare},
        {"RowExclusiveLock", LockMode::RowExclusive},
        {"ShareUpdateExclusiveLock", LockMode::ShareUpdateExclusive},
        {"ShareLock", LockMode::Share},
        {"ShareRowExclusiveLock", LockMode::ShareRowExclusive},
        {"ExclusiveLock", LockMode::Exclusive},
        {"AccessExclusiveLock", LockMode::AccessExclusive}};
    auto it = modes.find(mode);
    return it == modes.end() ? LockMode::None : it->second;
}

std::size_t LintReport::hazards() const {
    return static_cast<std::size_t>(std::count_if(ops.begin(), ops.end(), [](const OpLint& o) { return o.hazard; }));
}

LintReport lint_plan(const Plan& plan, const Dialect& dialect, const MetaData& before, Connection* conn) {
    const BackendLint* knowledge = rules_for(dialect).lint();
    LintReport report{std::string(dialect.name()), knowledge != nullptr, {}};
    LintState state = knowledge && conn ? knowledge->live_state(*conn) : LintState{};
    MetaData schema = before;
    RunTables run;
    for (const Revision* rev : plan.revisions) {
        std::optional<std::string> last_rebuild;
        for (const Step& step : plan.upgrade ? rev->upgrade : rev->downgrade) {
            OpLint lint{rev, &step, location(*rev, step), {}, false, run.made(subject_table(step.op)), {}, -1, false};
            if (knowledge) {
                lint.verdict = knowledge->verdict(step.op, schema, state);
                // A table made by this run is seen by no one else until it commits.
                std::erase_if(lint.verdict.tables, [&](const TableEffect& e) { return run.made(e.table); });
                lint.hazard = std::any_of(lint.verdict.tables.begin(), lint.verdict.tables.end(),
                                          [](const TableEffect& e) { return e.work != TableWork::None && blocks_writes(e.lock); });
            }
            lint.rebuilds = batch_table(step.op, dialect, schema);
            if (lint.rebuilds) {
                lint.same_rebuild = last_rebuild == lint.rebuilds;
                const std::string& t = *lint.rebuilds;
                if (conn && !run.made(t) && !run.renamed(t) && before.find(t)) lint.rows = count_rows(*conn, t);
            }
            last_rebuild = lint.rebuilds;
            try {
                migrate::apply(step.op, schema);
            } catch (const Error& e) {
                throw MigrationError(lint.location + ": revision " + rev->id + ", " + describe(step.op) + ": " + e.what());
            }
            track_validity(step.op, state);
            run.note(step.op);
            report.ops.push_back(std::move(lint));
        }
    }
    return report;
}

namespace {

std::string effects(const OpVerdict& v) {
    std::string out;
    for (const auto& e : v.tables) {
        out += (out.empty() ? "" : "; ") + lock_name(e.lock) + " on " + e.table;
        if (e.work == TableWork::Scan) out += ", scans it";
        if (e.work == TableWork::Rewrite) out += ", rewrites it";
    }
    return out;
}

void format_lock_op(const OpLint& o, std::string& out) {
    const OpVerdict& v = o.verdict;
    if (v.unknown) {
        out += "    raw SQL: its locks cannot be known; read it\n";
        return;
    }
    if (o.new_table) out += "    on a table this run makes: no one else can be using it\n";
    else if (v.tables.empty()) out += "    no lock on an existing table\n";
    else out += "    " + effects(v) + "\n";
    if (o.hazard) {
        std::string waiting;   // every table whose writers (or readers) the op holds up
        for (const auto& e : v.tables)
            if (blocks_writes(e.lock)) waiting += (waiting.empty() ? "" : ", ") + lock_blocks(e.lock) + " on " + e.table;
        out += "    HAZARD: " + v.why + "; " + waiting + " wait until it ends\n";
        if (!v.alternative.empty()) out += "    instead: " + v.alternative + "\n";
    } else if (!v.note.empty() && !o.new_table) {
        out += "    note: " + v.note + "\n";
    }
}

void format_rebuild_op(const OpLint& o, std::string& out) {
    if (!o.rebuilds) return;
    if (o.same_rebuild) {
        out += "    part of the rebuild of " + *o.rebuilds + " above (its rows are copied once)\n";
        return;
    }
    out += "    rebuilds " + *o.rebuilds + ": ";
    if (o.rows >= 0) out += "copies " + plural(static_cast<std::size_t>(o.rows), "row") + "\n";
    else out += "copies the rows this run gives it\n";
}

}  // namespace

std::string format_lint(const LintReport& report) {
    std::string out;
    if (report.ops.empty()) return "Nothing to lint: no revision to run\n";
    if (!report.knows_locks)
        out += "On " + report.backend + " the run holds the database's write lock from start to commit; "
               "the ops that rebuild a table copy all its rows under it.\n";
    const Revision* shown = nullptr;
    std::size_t rebuilds = 0;
    for (const auto& o : report.ops) {
        if (o.revision != shown) {
            shown = o.revision;
            out += "Revision " + shown->id + " (" + escape_control(shown->message) + ")\n";
        }
        out += "  " + escape_control(describe(o.step->op)) + " (" + o.location + ")\n";
        if (report.knows_locks) format_lock_op(o, out);
        else if (o.rebuilds) {
            format_rebuild_op(o, out);
            if (!o.same_rebuild) ++rebuilds;
        } else if (std::holds_alternative<Execute>(o.step->op)) {
            out += "    raw SQL: what it does cannot be known; read it\n";
        } else if (const auto* fill = std::get_if<Backfill>(&o.step->op)) {
            out += "    " + batches_note(*fill) + "\n";
        }
    }
    if (report.knows_locks) {
        const std::size_t n = report.hazards();
        out += n == 0 ? "No hazards\n" : plural(n, "hazard") + " (an op that holds a lock blocking other sessions "
                                                                 "while it reads or writes a whole table)\n";
    } else {
        out += rebuilds == 0 ? "No table rebuilds\n" : plural(rebuilds, "table rebuild") + "\n";
    }
    return out;
}

}  // namespace strata::migrate
