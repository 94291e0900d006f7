// src/migrate/api.cpp — migrations as a library: upgrade, downgrade, check and
// autogenerate return what happened (include/strata/migrate.hpp); the `db`
// command line (command.cpp) prints it.
#include <algorithm>

#include "migrate/api_internal.hpp"
#include "migrate/autogenerate.hpp"
#include "migrate/backend_rules.hpp"
#include "migrate/constraint_match.hpp"
#include "migrate/runner.hpp"
#include "schema/inspect_internal.hpp"
#include "strata/database.hpp"
#include "strata/error.hpp"
#include "strata/inspect.hpp"
#include "strata/migrate.hpp"

namespace strata::migrate {

namespace {

std::string label(const std::vector<std::string>& heads) { return heads.empty() ? "base" : join_ids(heads); }

MetaData target(const DbContext& ctx) {
    if (!ctx.target_metadata) throw ConfigError("this application gave the db command no models (target_metadata)");
    return ctx.target_metadata();
}

// The models' tables that strata.yaml's include / exclude patterns leave to autogenerate.
MetaData managed(MetaData models, const ScriptDirectory& s) {
    const InspectOptions rule = s.compare_options();
    std::vector<std::string> skipped;
    for (const auto& t : models.tables())
        if (!rule.reads_table(t->name())) skipped.push_back(t->name());
    for (const auto& name : skipped) models.remove(name);
    return models;
}

// The settings as given; comments compared where the database keeps them.
// New indexes concurrent where strata.yaml asks and the database can.
CompareOptions compare_options(const CompareSettings& settings, Connection& conn, const ScriptDirectory& s) {
    CompareOptions options;
    options.concurrent_indexes = s.concurrent_indexes(std::string(conn.dialect().name())) && conn.dialect().builds_indexes_concurrently();
    options.compare_names = settings.compare_names;
    options.compare_comments = conn.dialect().keeps_comments();
    // A backend without an ENUM type writes a CHECK for an Enum column.
    options.enum_as_check = !conn.dialect().has_enum_type();
    return options;
}

// The database must be at the repository's single head before a diff.
void require_at_head(const DbContext& ctx, const ScriptDirectory& s, Runner& runner) {
    auto heads = s.heads();
    if (heads.size() > 1)
        throw MigrationError("the repository has several heads (" + join_ids(heads) + "); merge them first with " +
                             command_hint(ctx, "merge -m MESSAGE heads"));
    auto current = runner.current_heads();
    if (current != heads)
        throw MigrationError("the database is at " + label(current) + ", not at the head " + label(heads) + "; run " +
                             command_hint(ctx, "upgrade") + " first (autogenerate would diff against an old schema)");
}

// A database may print a CHECK it did not get from strata its own way
// (PostgreSQL: "score >= 0" on a numeric column reads back
// "(score >= (0)::numeric)"). A model CHECK the server spells exactly as a
// database one is that one: the database's text becomes the model's, for
// the comparison.
void match_respelled_checks(Connection& conn, const MetaData& models, MetaData& database) {
    for (const auto& model : models.tables()) {
        Table* table = database.find(model->name());
        if (!table || table->checks.empty()) continue;
        for (const auto& mc : model->checks) {
            auto same = [&](const CheckConstraint& dc) { return same_effect(dc, mc); };
            if (std::any_of(table->checks.begin(), table->checks.end(), same)) continue;
            auto spelled = server_check_text(conn, table->name(), mc.sqltext);
            if (!spelled) continue;
            for (auto& dc : table->checks)
                if (same_effect(dc, CheckConstraint{"", *spelled})) {
                    dc.sqltext = mc.sqltext;
                    break;
                }
        }
    }
}

// A NOT NULL column without a server default cannot be added to a table
// that has rows: `db upgrade` would fail. Said now, with the ways out.
void refuse_unfillable_columns(Connection& conn, const MetaData& database, const Changes& changes) {
    for (const auto& step : changes.upgrade) {
        const auto* add = std::get_if<AddColumn>(&step.op);
        if (!add || add->column.nullable || add->column.server_default || !database.find(add->table)) continue;
        auto rows = conn.prepare("SELECT 1 FROM " + conn.dialect().quote(add->table) + " LIMIT 1");
        if (!rows->step()) continue;
        const std::string column = add->table + "." + add->column.name;
        throw MigrationError("add_column " + column + ": the column is NOT NULL without a server default and table " +
                             add->table + " has rows, so `db upgrade` could not add it. Give it a server default in "
                             "the models (server_default(\"...\")), or make it nullable, or write the revision by "
                             "hand: add it nullable, fill it with `execute`, then `alter_column` nullable: false");
    }
}

std::vector<std::string> described(const std::vector<Step>& steps) {
    std::vector<std::string> out;
    for (const auto& step : steps) out.push_back(describe(step));
    return out;
}

RunResult move(const DbContext& ctx, bool up, const std::string& target, const RunOptions& options) {
    LiveRepository live(ctx);
    std::optional<std::filesystem::path> copy;
    if (options.backup) {
        copy = rules_for(live.db.dialect()).backup(live.db);
        if (options.notice) options.notice("Backed up the database to " + copy->string());
    }
    RunResult result = up ? live.runner.upgrade(target, options) : live.runner.downgrade(target, options);
    result.backup = copy;
    return result;
}

}  // namespace

std::string command_hint(const DbContext& ctx, const std::string& command) {
    return "`" + ctx.program_name + " db " + command + "`";
}

LiveRepository::LiveRepository(const DbContext& ctx)
    : scripts(ctx.migrations_dir), db(Database::open(ctx.database_url)), conn(db.connect()), runner(*conn, scripts) {}

Revision new_revision(const ScriptDirectory& s, std::vector<std::string> parents, const std::string& message) {
    Revision rev;
    do rev.id = new_revision_id();
    while (s.find(rev.id));
    rev.down_revisions = std::move(parents);
    rev.message = message;
    rev.created = utc_timestamp();
    return rev;
}

std::filesystem::path add_revision(ScriptDirectory& s, Revision& rev) {
    std::filesystem::path path = write_revision_file(s.versions_dir(), rev);
    s.add(rev);
    return path;
}

RunResult upgrade(const DbContext& ctx, const std::string& target, const RunOptions& options) {
    return move(ctx, true, target, options);
}

RunResult downgrade(const DbContext& ctx, const std::string& target, const RunOptions& options) {
    return move(ctx, false, target, options);
}

CheckResult check(const DbContext& ctx, const CompareSettings& settings) {
    LiveRepository live(ctx);
    CheckResult result;
    result.current = live.runner.current_heads();
    result.heads = live.scripts.heads();
    const MetaData models = managed(target(ctx), live.scripts);
    MetaData database = inspect(*live.conn, live.scripts.compare_options());
    match_respelled_checks(*live.conn, models, database);
    Changes changes = compare_metadata(models, database, {}, compare_options(settings, *live.conn, live.scripts));
    result.differences = described(changes.upgrade);
    result.warnings = std::move(changes.warnings);
    return result;
}

AutogenerateResult autogenerate(const DbContext& ctx, const AutogenerateOptions& options) {
    LiveRepository live(ctx);
    ScriptDirectory& s = live.scripts;
    Connection& conn = *live.conn;
    require_at_head(ctx, s, live.runner);
    std::vector<Rename> renames;
    for (const auto& r : options.renames) renames.push_back(parse_rename(r));
    MetaData database = options.from_empty ? MetaData() : inspect(conn, s.compare_options());
    if (options.from_empty && !s.empty())
        throw MigrationError("--from-empty writes the first revision, and the repository has revisions already (head " +
                             label(s.heads()) + ")");
    // A first revision written against tables made outside migrations
    // (create_all) would not create them: a fresh database could never be
    // built from the repository.
    if (s.empty() && !database.tables().empty()) {
        std::vector<std::string> names;
        for (const auto* t : database.sorted_tables()) names.push_back(t->name());
        throw MigrationError("the repository has no revision yet and the database at " + live.db.url().masked() +
                             " already has tables (" + join_ids(names) +
                             "); write the first revision as if the database were empty with " +
                             command_hint(ctx, "migrate --from-empty -m \"initial\"") +
                             ", then mark this database as up to date with " + command_hint(ctx, "stamp head"));
    }
    const MetaData models = managed(target(ctx), s);
    if (!options.from_empty) match_respelled_checks(conn, models, database);
    Changes changes = compare_metadata(models, database, renames, compare_options(options.compare, conn, s));
    AutogenerateResult result;
    result.warnings = changes.warnings;   // even with no op (an unnamed constraint)
    if (changes.empty()) return result;
    refuse_unfillable_columns(conn, database, changes);
    result.changes = described(changes.upgrade);
    Revision rev = new_revision(s, s.heads(), options.message);
    rev.upgrade = std::move(changes.upgrade);
    rev.downgrade = std::move(changes.downgrade);
    result.file = add_revision(s, rev);
    result.revision = rev.id;
    return result;
}

}  // namespace strata::migrate
