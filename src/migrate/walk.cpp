// src/migrate/walk.cpp — rendering a plan's ops against the evolving schema, reported through Hooks.
#include "migrate/walk.hpp"

#include <algorithm>
#include <exception>

#include "strata/dialect.hpp"
#include "strata/error.hpp"

namespace strata::migrate {

std::string location(const Revision& rev, const Step& step) {
    return rev.path.string() + ":" + std::to_string(step.line) + ":" + std::to_string(step.column);
}

namespace {

// Consecutive ops that SQLite rebuilds the same table for are rendered as one
// rebuild (one copy of the rows); returns the end of the group starting at k.
std::size_t batch_group_end(const std::vector<Step>& steps, std::size_t k, const Dialect& dialect,
                            const MetaData& schema) {
    auto table = batch_table(steps[k].op, dialect, schema);
    if (!table) return k + 1;
    MetaData scratch = schema;
    std::size_t end = k;
    while (end < steps.size() && batch_table(steps[end].op, dialect, scratch) == table) {
        try {
            migrate::apply(steps[end].op, scratch);
        } catch (const Error&) {
            break;   // reported when that op runs on its own
        }
        ++end;
    }
    return std::max(end, k + 1);
}

// The step a stopped run resumes at ran outside a transaction and may have
// finished before the run stopped (killed before recording it): an index
// that is there (inspect() reports only valid ones), or gone, is done.
// (An `execute` cannot be told: it runs again.)
bool finished_outside(const Operation& op, const Dialect& dialect, const MetaData& schema) {
    if (!runs_outside_transaction(op, dialect)) return false;
    auto has_index = [&](const std::string& table, const std::string& name) {
        const Table* t = schema.find(table);
        return t && std::any_of(t->indexes.begin(), t->indexes.end(), [&](const Index& ix) { return ix.name == name; });
    };
    if (auto* ci = std::get_if<CreateIndex>(&op)) return has_index(ci->table, ci->index.name);
    if (auto* di = std::get_if<DropIndex>(&op)) return !has_index(di->table, di->name);
    return false;
}

// "op 2 `add_column user.x`", or "ops 2-3 (one rebuild of user: `…`, `…`)".
std::string describe_steps(const std::vector<Step>& steps, std::size_t k, std::size_t end) {
    if (end == k + 1) return "op " + std::to_string(k + 1) + " `" + describe(steps[k].op) + "`";
    std::string ops;
    for (std::size_t i = k; i < end; ++i) ops += (i == k ? "`" : ", `") + describe(steps[i].op) + "`";
    return "ops " + std::to_string(k + 1) + "-" + std::to_string(end) + " (one table rebuild: " + ops + ")";
}

// Steps [k, end): one op, or a group rebuilt at once.
void run_steps(const Revision& rev, const std::vector<Step>& steps, std::size_t k, std::size_t end,
               const Dialect& dialect, MetaData& schema, Hooks& hooks) {
    const std::optional<std::string> rebuilt = batch_table(steps[k].op, dialect, schema);
    if (const auto* fill = std::get_if<Backfill>(&steps[k].op)) {   // its batches are the hooks' to run
        hooks.op(rev, steps[k], schema);
        hooks.backfill(rev, steps[k], *fill, schema);
        return;
    }
    std::vector<std::string> statements;
    const MetaData before = rebuilt || end > k + 1 ? schema : MetaData();
    if (end == k + 1) {
        hooks.op(rev, steps[k], schema);
        statements = render(steps[k].op, dialect, schema);
    } else {
        std::vector<const Operation*> ops;
        for (std::size_t i = k; i < end; ++i) {
            hooks.op(rev, steps[i], schema);
            migrate::apply(steps[i].op, schema);
            ops.push_back(&steps[i].op);
        }
        statements = render_batch(ops, dialect, before);
    }
    if (rebuilt) hooks.rebuild_begins(*rebuilt);
    const bool script = end == k + 1 && std::holds_alternative<Execute>(steps[k].op);
    const std::string copy = rebuilt ? rebuild_copy_prefix(dialect, *rebuilt) : "";
    for (const auto& sql : statements) {
        if (rebuilt && sql.starts_with(copy)) hooks.copy_rows(*before.find(*rebuilt), sql);
        else hooks.sql(sql, script);
    }
    if (rebuilt) hooks.rebuild_ends(*rebuilt);
    if (end == k + 1) {
        migrate::apply(steps[k].op, schema);
        if (std::holds_alternative<Execute>(steps[k].op)) hooks.opaque(schema);
    }
}

}  // namespace

// Renders every op of the plan against the evolving schema and reports it.
void walk(const Plan& plan, const ScriptDirectory& scripts, const Dialect& dialect, MetaData& schema, Hooks& hooks) {
    std::set<std::string> applied = scripts.ancestors(plan.start_heads);
    std::vector<std::string> heads = plan.start_heads;
    for (const Revision* rev : plan.revisions) {
        hooks.revision(*rev, plan.upgrade);
        const auto& steps = plan.upgrade ? rev->upgrade : rev->downgrade;
        const std::size_t first = rev->id == plan.resume_revision ? std::min(plan.resume_step, steps.size()) : 0;
        for (std::size_t k = first, end = 0; k < steps.size(); k = end) {
            end = batch_group_end(steps, k, dialect, schema);
            if (k == first && first > 0 && finished_outside(steps[k].op, dialect, schema)) {
                hooks.steps_done(*rev, end, steps.size());
                continue;
            }
            try {
                // A table a backfill cannot walk is refused before what ran so far commits.
                if (std::holds_alternative<Backfill>(steps[k].op)) migrate::apply(steps[k].op, schema);
                hooks.step_begins(*rev, k, end == k + 1 && runs_outside_transaction(steps[k].op, dialect));
                run_steps(*rev, steps, k, end, dialect, schema, hooks);
                hooks.steps_done(*rev, end, steps.size());
            } catch (const Error& e) {   // nested: the retry looks for a lock timeout inside
                std::throw_with_nested(MigrationError(location(*rev, steps[k]) + ": revision " + rev->id + " (" +
                                                      escape_control(rev->message) + "), " +
                                                      (plan.upgrade ? "upgrade " : "downgrade ") +
                                                      describe_steps(steps, k, end) + " failed: " + e.what()));
            }
        }
        try {
            hooks.finished(*rev);
        } catch (const Error& e) {
            std::throw_with_nested(MigrationError(rev->path.string() + ": revision " + rev->id + " (" +
                                                  escape_control(rev->message) + "): " + e.what()));
        }
        if (plan.upgrade) applied.insert(rev->id);
        else applied.erase(rev->id);
        std::vector<std::string> next = heads_of(scripts, applied);
        for (const auto& id : heads)
            if (std::find(next.begin(), next.end(), id) == next.end()) hooks.version(false, id);
        for (const auto& id : next)
            if (std::find(heads.begin(), heads.end(), id) == heads.end()) hooks.version(true, id);
        heads = next;
        hooks.revision_done(*rev);
    }
}

MetaData schema_at(const ScriptDirectory& scripts, const std::vector<std::string>& heads, const Dialect& dialect) {
    MetaData schema;
    Plan plan{{}, {}, true};
    std::set<std::string> wanted = scripts.ancestors(heads);
    for (const auto& id : scripts.topological_order())
        if (wanted.count(id)) plan.revisions.push_back(&scripts.get(id));
    Hooks quiet;
    walk(plan, scripts, dialect, schema, quiet);
    return schema;
}

}  // namespace strata::migrate
