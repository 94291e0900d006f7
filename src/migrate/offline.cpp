// src/migrate/offline.cpp — `db upgrade --sql`: a plan's statements as a script, no database needed.
#include "migrate/offline.hpp"

#include "migrate/backend_rules.hpp"
#include "migrate/version_table.hpp"
#include "migrate/walk.hpp"
#include "strata/dialect.hpp"
#include "strata/error.hpp"

namespace strata::migrate {

namespace {

struct OfflineHooks : Hooks {
    const Dialect& d;
    OfflineScript& script;
    std::string table;        // the version table
    std::string after_begin;  // the frame's limits, after every BEGIN
    OfflineHooks(const Dialect& dialect, OfflineScript& s, std::string version_table, std::string limits)
        : d(dialect), script(s), table(std::move(version_table)), after_begin(std::move(limits)) {}

    void revision(const Revision& rev, bool upgrade) override {
        script.text += "\n-- " + std::string(upgrade ? "Running upgrade " : "Running downgrade ") + rev.id + ": " +
                       escape_control(rev.message) + " (" + escape_control(rev.path.filename().string()) + ")\n";
    }
    void op(const Revision&, const Step& step, const MetaData&) override {
        script.text += "-- " + escape_control(describe(step.op)) + "\n";
    }
    void rebuild_begins(const std::string& table) override {
        script.text += "-- (a rebuild of " + table +
                       ": `db upgrade` creates its triggers again; this script cannot see them)\n";
    }
    // A step outside the revision's transaction (CREATE INDEX CONCURRENTLY…)
    // gets a transaction of its own: none.
    bool outside = false;
    void step_begins(const Revision&, std::size_t, bool outside_transaction) override {
        outside = outside_transaction;
        if (outside) script.text += "COMMIT;\n";
    }
    void steps_done(const Revision&, std::size_t, std::size_t) override {
        if (outside) script.text += "BEGIN;\n" + after_begin;
        outside = false;
    }
    // The batched loop where the backend's SQL has one, else one UPDATE; the comment says which.
    void backfill(const Revision&, const Step&, const Backfill& op, const MetaData& before) override {
        const auto offline = rules_for(d).offline_backfill(backfill_sql(op, d, *before.find(op.table)));
        script.text += "-- " + offline.how + "\n";
        for (const auto& statement : offline.statements) sql(statement, false);
    }
    void sql(const std::string& statement, bool) override {
        script.text += statement + ";\n";
        script.statements.push_back(statement);
    }
    void version(bool insert, const std::string& id) override {
        std::string value = d.literal(Value(id));
        script.text += (insert ? insert_version_sql(d, table, value) : delete_version_sql(d, table, value)) + ";\n";
    }
};

OfflineScript offline(const ScriptDirectory& scripts, const Dialect& d, const std::string& range, bool upgrade,
                      const Timeouts& timeouts) {
    auto colon = range.find(':');
    if (colon == std::string::npos && !upgrade)
        throw MigrationError("downgrade --sql needs FROM:TO (e.g. head:base), got '" + range + "'");
    std::string from = colon == std::string::npos ? "base" : range.substr(0, colon);
    std::string to = colon == std::string::npos ? range : range.substr(colon + 1);
    std::vector<std::string> start = heads_from_text(scripts, from);
    Plan plan = upgrade ? plan_upgrade(scripts, start, to) : plan_downgrade(scripts, start, to);

    OfflineScript script;
    const BackendRules::OfflineFrame frame = rules_for(d).offline_frame(timeouts);
    script.text = "-- strata offline " + std::string(upgrade ? "upgrade " : "downgrade ") + revision_label(start) +
                  " -> " + to + " (" + std::string(d.name()) + ")\n";
    script.text += frame.before_begin;
    script.text += "BEGIN;\n" + frame.after_begin;
    if (start.empty() && upgrade)
        for (const auto& sql : d.create_table(version_table(scripts.version_table()))) script.text += sql + ";\n";
    MetaData schema = schema_at(scripts, start, d);
    OfflineHooks hooks(d, script, scripts.version_table(), frame.after_begin);
    walk(plan, scripts, d, schema, hooks);
    script.text += frame.before_commit;
    script.text += "COMMIT;\n";
    script.text += frame.after_commit;
    return script;
}

}  // namespace

OfflineScript offline_upgrade(const ScriptDirectory& scripts, const Dialect& dialect, const std::string& range,
                              const Timeouts& timeouts) {
    return offline(scripts, dialect, range, true, timeouts);
}

OfflineScript offline_downgrade(const ScriptDirectory& scripts, const Dialect& dialect, const std::string& range,
                                const Timeouts& timeouts) {
    return offline(scripts, dialect, range, false, timeouts);
}

}  // namespace strata::migrate
