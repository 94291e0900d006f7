// src/migrate/command.cpp — the `db` command line (CLI11 stays in this file).
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "migrate/autogenerate.hpp"
#include "migrate/constraint_match.hpp"
#include "migrate/lint.hpp"
#include "migrate/reflect_models.hpp"
#include "migrate/offline.hpp"
#include "migrate/runner.hpp"
#include "migrate/script.hpp"
#include "schema/inspect_internal.hpp"
#include "strata/database.hpp"
#include "strata/dialect.hpp"
#include "strata/error.hpp"
#include "strata/inspect.hpp"
#include "strata/migrate.hpp"
#include "strata/url.hpp"

namespace strata {

namespace {

using namespace strata::migrate;
namespace fs = std::filesystem;

std::string label(const std::vector<std::string>& heads) { return heads.empty() ? "base" : join_ids(heads); }

struct MoveOptions {
    std::string revision;
    bool sql = false;
    std::string dialect;
    bool yes = false;
    bool backup = false;
    bool lint = false;
    bool strict = false;
};

// The repository, the database and a runner over both, for one command.
struct Live {
    ScriptDirectory scripts;
    Database db;
    PooledConnection conn;
    Runner runner;
    Live(const fs::path& dir, const std::string& url)
        : scripts(dir), db(Database::open(url)), conn(db.connect()), runner(*conn, scripts) {}
};

class Commands {
public:
    Commands(const DbContext& ctx, DbStreams io) : ctx_(ctx), io_(io) {}

    int run(const std::vector<std::string>& args) {
        CLI::App app{"Database migrations for " + ctx_.program_name, ctx_.program_name + " db"};
        app.require_subcommand(1);
        declare(app);
        auto named = [&](CLI::App* sub) { return sub->check_name(args[0]); };
        if (!args.empty() && !args[0].empty() && args[0][0] != '-' && app.get_subcommands(named).empty()) {
            std::string known;
            for (const auto* sub : app.get_subcommands([](CLI::App*) { return true; }))
                known += (known.empty() ? "" : ", ") + sub->get_name();
            io_.err << "error: unknown command '" << args[0] << "' (expected one of " << known << ")\n";
            return 1;
        }
        std::vector<std::string> reversed(args.rbegin(), args.rend());
        try {
            app.parse(reversed);
        } catch (const CLI::ParseError& e) {
            return app.exit(e, io_.out, io_.err);
        }
        try {
            return action_();
        } catch (const std::exception& e) {
            io_.err << "error: " << e.what() << "\n";
            return 1;
        }
    }

private:
    const DbContext& ctx_;
    DbStreams io_;
    std::function<int()> action_;
    MoveOptions move_;
    std::string message_;
    bool from_empty_ = false;
    CompareOptions compare_;
    std::vector<std::string> renames_, revisions_;
    bool verbose_ = false, checkfirst_ = false;
    std::string output_;
    ReflectOptions reflect_;

    void on(CLI::App* sub, std::function<int()> action) {
        sub->callback([this, action] { action_ = action; });
    }

    void add_compare_names(CLI::App* sub) {
        sub->add_flag("--compare-names", compare_.compare_names,
                      "also report a constraint that does what the models' does under another name (or none)");
    }

    void declare(CLI::App& app) {
        on(app.add_subcommand("init", "create the migration repository (migrations/ with versions/)"), [this] { return init(); });
        auto* create = app.add_subcommand("create", "create every table from the models and stamp head");
        create->add_flag("--checkfirst", checkfirst_, "allow a database that has tables; create only missing ones");
        on(create, [this] { return create_all(); });
        auto* migrate = app.add_subcommand("migrate", "autogenerate a revision: models vs the live database");
        migrate->add_option("-m,--message", message_, "what the revision does")->required();
        migrate->add_option("--rename", renames_, "table.old:new (column) or old:new (table): write a rename, not drop + add");
        migrate->add_flag("--from-empty", from_empty_,
                          "write the first revision as if the database were empty (its tables exist already: "
                          "then stamp head)");
        add_compare_names(migrate);
        on(migrate, [this] { return autogenerate(); });
        auto* revision = app.add_subcommand("revision", "create an empty revision to write by hand");
        revision->add_option("-m,--message", message_, "what the revision does")->required();
        on(revision, [this] { return empty_revision(); });
        declare_move(app, "upgrade", "run revisions up to REV (head, an id, +N)", "head", true);
        declare_move(app, "downgrade", "revert revisions down to REV (-N, an id, base)", "-1", false);
        auto* lint = app.add_subcommand("lint", "runs nothing; for each op an upgrade to REV would run: on PostgreSQL "
                                                "the lock it takes, whether it scans or rewrites a table, and the safe "
                                                "way when it is a hazard; on SQLite the table rebuilds and rows copied");
        lint->add_option("revision", move_.revision, "target (default head)");
        lint->add_flag("--strict", move_.strict, "exit 1 when any op is a hazard (for CI)");
        on(lint, [this] {
            if (move_.revision.empty()) move_.revision = "head";
            return lint_pending();
        });
        auto* current = app.add_subcommand("current", "the database's revision");
        current->add_flag("-v,--verbose", verbose_);
        on(current, [this] { return current_revision(); });
        auto* history = app.add_subcommand("history", "every revision, newest first");
        history->add_flag("-v,--verbose", verbose_);
        on(history, [this] { return show_history(); });
        auto* heads = app.add_subcommand("heads", "the revisions nothing builds on yet");
        heads->add_flag("-v,--verbose", verbose_);
        on(heads, [this] { return show_heads(); });
        auto* show = app.add_subcommand("show", "one revision's details");
        show->add_option("revision", move_.revision, "revision id, prefix, head")->required();
        on(show, [this] { return show_revision(); });
        auto* stamp = app.add_subcommand("stamp", "set the database's revision without running anything");
        stamp->add_option("revision", move_.revision, "revision id, head, heads or base")->required();
        on(stamp, [this] { return stamp_revision(); });
        auto* check_command = app.add_subcommand("check", "exit 1 when the models and the database differ");
        add_compare_names(check_command);
        on(check_command, [this] { return check(); });
        auto* merge = app.add_subcommand("merge", "a revision that joins several heads");
        merge->add_option("-m,--message", message_, "what the merge is")->required();
        merge->add_option("revisions", revisions_, "the heads to merge (or: heads)")->required();
        on(merge, [this] { return merge_heads(); });
        auto* reflect = app.add_subcommand("reflect", "write a C++ header of models for the database's tables");
        reflect->add_option("-o,--output", output_, "the header to write (default: standard output)");
        reflect->add_option("--namespace", reflect_.name_space, "put the models in this namespace (a or a::b)");
        reflect->add_option("--tables", reflect_.tables, "only these tables (comma-separated)")->delimiter(',');
        on(reflect, [this] { return reflect_database(); });
    }

    void declare_move(CLI::App& app, const char* name, const char* help, const char* default_rev, bool up) {
        auto* sub = app.add_subcommand(name, help);
        sub->add_option("revision", move_.revision, std::string("target (default ") + default_rev + "); with --sql, [FROM:]TO");
        sub->add_flag("--sql", move_.sql, "print the SQL script instead of running it (offline)");
        sub->add_option("--dialect", move_.dialect, "with --sql: sqlite or postgresql (default: the database URL's)");
        sub->add_flag("-y,--yes", move_.yes, "do not ask before steps that destroy data; with --lint, run despite hazards");
        sub->add_flag("--lint", move_.lint,
                      "print what `db lint` prints first, and refuse to run when an op is a hazard (unless --yes)");
        sub->add_flag("--backup", move_.backup, "SQLite: copy the database file aside first");
        on(sub, [this, up, default_rev] {
            if (move_.revision.empty()) move_.revision = default_rev;
            return move(up);
        });
    }

    // ------------------------------------------------------------ helpers

    std::string hint(const std::string& command) const { return "`" + ctx_.program_name + " db " + command + "`"; }

    ScriptDirectory scripts() const { return ScriptDirectory(ctx_.migrations_dir); }

    Database open() const { return Database::open(ctx_.database_url); }
    std::unique_ptr<Live> live() const { return std::make_unique<Live>(ctx_.migrations_dir, ctx_.database_url); }

    MetaData target() const {
        if (!ctx_.target_metadata) throw ConfigError("this application gave the db command no models (target_metadata)");
        return ctx_.target_metadata();
    }

    // The models' tables that strata.yaml's include / exclude patterns leave to autogenerate.
    static MetaData managed(MetaData models, const ScriptDirectory& s) {
        const InspectOptions rule = s.compare_options();
        std::vector<std::string> skipped;
        for (const auto& t : models.tables())
            if (!rule.reads_table(t->name())) skipped.push_back(t->name());
        for (const auto& name : skipped) models.remove(name);
        return models;
    }
    // --compare-names as given; comments compared where the database keeps them.
    CompareOptions compare_options(Connection& conn) const {
        CompareOptions options = compare_;
        options.compare_comments = conn.dialect().keeps_comments();
        return options;
    }

    // The database must be at the repository's single head before a diff.
    void require_at_head(const ScriptDirectory& s, Runner& runner) const {
        auto heads = s.heads();
        if (heads.size() > 1)
            throw MigrationError("the repository has several heads (" + join_ids(heads) + "); merge them first with " +
                                 hint("merge -m MESSAGE heads"));
        auto current = runner.current_heads();
        if (current != heads)
            throw MigrationError("the database is at " + label(current) + ", not at the head " + label(heads) +
                                 "; run " + hint("upgrade") + " first (autogenerate would diff against an old schema)");
    }

    fs::path write(ScriptDirectory& s, Revision& rev) const {
        fs::path path = write_revision_file(s.versions_dir(), rev);
        s.add(rev);
        io_.out << "Generating " << path.string() << " ... done\n";
        return path;
    }

    Revision new_revision(const ScriptDirectory& s, std::vector<std::string> parents) const {
        Revision rev;
        do rev.id = new_revision_id();
        while (s.find(rev.id));
        rev.down_revisions = std::move(parents);
        rev.message = message_;
        rev.created = utc_timestamp();
        return rev;
    }

    // ------------------------------------------------------------ commands

    int init() {
        ScriptDirectory::init(ctx_.migrations_dir);
        io_.out << "Created migration repository " << ctx_.migrations_dir.string() << "\n"
                << "Next: " << hint("migrate -m \"initial\"") << " then " << hint("upgrade") << "\n";
        return 0;
    }

    int create_all() {
        // The repository is read first: a malformed file stops us before any table is made.
        std::optional<ScriptDirectory> s;
        if (fs::exists(ctx_.migrations_dir / kConfigFile)) s.emplace(ctx_.migrations_dir);
        MetaData md = target();
        auto db = open();
        auto conn = db.connect();
        auto existing = table_names(*conn, s ? s->inspect_options() : InspectOptions{});
        if (!existing.empty() && !checkfirst_)
            throw MigrationError("the database at " + db.url().masked() + " already has tables (" +
                                 join_ids(existing) + "); use --checkfirst to create only the missing ones");
        md.create_all(*conn, /*checkfirst=*/true);
        io_.out << "Created tables in " << db.url().masked() << ":";
        for (const auto* t : md.sorted_tables()) io_.out << " " << t->name();
        io_.out << "\n";
        if (!s) {
            io_.out << "Not stamped: no migration repository (run " << hint("init") << ")\n";
            return 0;
        }
        Runner(*conn, *s).stamp("heads");
        io_.out << "Stamped " << label(s->heads()) << "\n";
        return 0;
    }

    int autogenerate() {
        auto session = live();
        ScriptDirectory& s = session->scripts;
        Connection& conn = *session->conn;
        require_at_head(s, session->runner);
        std::vector<Rename> renames;
        for (const auto& r : renames_) renames.push_back(parse_rename(r));
        MetaData database = from_empty_ ? MetaData() : inspect(conn, s.compare_options());
        if (from_empty_ && !s.empty())
            throw MigrationError("--from-empty writes the first revision, and the repository has revisions already (head " +
                                 label(s.heads()) + ")");
        // A first revision written against tables made outside migrations
        // (create_all) would not create them: a fresh database could never be
        // built from the repository.
        if (s.empty() && !database.tables().empty()) {
            std::vector<std::string> names;
            for (const auto* t : database.sorted_tables()) names.push_back(t->name());
            throw MigrationError("the repository has no revision yet and the database at " +
                                 session->db.url().masked() + " already has tables (" + join_ids(names) +
                                 "); write the first revision as if the database were empty with " +
                                 hint("migrate --from-empty -m \"initial\"") + ", then mark this database as up to "
                                 "date with " + hint("stamp head"));
        }
        const MetaData models = managed(target(), s);
        if (!from_empty_) match_respelled_checks(conn, models, database);
        Changes changes = compare_metadata(models, database, renames, compare_options(conn));
        for (const auto& w : changes.warnings) io_.err << w << "\n";  // even with no op (an unnamed constraint)
        if (changes.empty()) {
            io_.out << "No changes detected\n";
            return 0;
        }
        refuse_unfillable_columns(conn, database, changes);
        for (const auto& step : changes.upgrade) io_.out << "Detected " << describe(step) << "\n";
        Revision rev = new_revision(s, s.heads());
        rev.upgrade = std::move(changes.upgrade);
        rev.downgrade = std::move(changes.downgrade);
        write(s, rev);
        return 0;
    }

    // A database may print a CHECK it did not get from strata its own way
    // (PostgreSQL: "score >= 0" on a numeric column reads back
    // "(score >= (0)::numeric)"). A model CHECK the server spells exactly as a
    // database one is that one: the database's text becomes the model's, for
    // the comparison.
    static void match_respelled_checks(Connection& conn, const MetaData& models, MetaData& database) {
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
    static void refuse_unfillable_columns(Connection& conn, const MetaData& database, const Changes& changes) {
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

    int empty_revision() {
        ScriptDirectory s = scripts();
        auto heads = s.heads();
        if (heads.size() > 1)
            throw MigrationError("the repository has several heads (" + join_ids(heads) + "); merge them first");
        Revision rev = new_revision(s, heads);
        write(s, rev);
        return 0;
    }

    int merge_heads() {
        ScriptDirectory s = scripts();
        std::vector<std::string> parents;
        for (const auto& r : revisions_) {
            std::vector<std::string> ids = r == "heads" ? s.heads() : std::vector<std::string>{s.resolve(r)};
            for (const auto& id : ids)
                if (!id.empty() && std::find(parents.begin(), parents.end(), id) == parents.end()) parents.push_back(id);
        }
        if (parents.size() < 2)
            throw MigrationError("merge needs at least two different revisions, got " + label(parents));
        Revision rev = new_revision(s, parents);
        write(s, rev);
        return 0;
    }

    int move(bool up) {
        if (move_.sql && move_.lint) throw MigrationError("--lint reads the database, so it cannot go with --sql");
        if (move_.sql) return offline(scripts(), up);
        auto session = live();
        if (move_.backup) backup(session->db);
        Runner& runner = session->runner;
        RunOptions options;
        options.notice = [this](const std::string& line) { io_.out << line << "\n"; };
        options.confirm = [this](const std::vector<DataLoss>& losses) { return confirm(losses); };
        Connection& conn = *session->conn;
        if (move_.lint)
            options.review = [this, &conn](const Plan& plan, const MetaData& schema) { return review(conn, plan, schema); };
        RunResult result = up ? runner.upgrade(move_.revision, options) : runner.downgrade(move_.revision, options);
        if (result.revisions_run == 0) io_.out << "Nothing to do: the database is at " << label(result.from_heads) << "\n";
        else io_.out << "The database is now at " << label(result.to_heads) << "\n";
        return 0;
    }

    int offline(const ScriptDirectory& s, bool up) {
        std::string dialect = move_.dialect.empty() ? parse_url(ctx_.database_url).backend : move_.dialect;
        const Dialect& d = dialect_named(dialect);
        OfflineScript script = up ? offline_upgrade(s, d, move_.revision) : offline_downgrade(s, d, move_.revision);
        io_.out << script.text;
        return 0;
    }

    // VACUUM INTO a temporary name, then fsync and rename: a crash or a full
    // disk mid-copy leaves no file named like a backup (only a stale
    // *.incomplete, removed by the next --backup that picks the same name).
    void backup(const Database& db) {
        const Url& url = db.url();
        if (url.backend != "sqlite") throw MigrationError("--backup works on SQLite only (use pg_dump for PostgreSQL)");
        if (url.is_sqlite_memory()) throw MigrationError("--backup: an in-memory database has no file to copy");
        const fs::path target = unused_backup_name(url.database);
        const fs::path partial = target.string() + ".incomplete";
        fs::remove(partial);
        try {
            auto conn = db.connect();
            // VACUUM INTO writes a consistent copy even while others use the file.
            auto stmt = conn->prepare("VACUUM INTO " + conn->dialect().placeholder(1));
            stmt->bind(1, Value(partial.string()));
            stmt->execute();
            sync_to_disk(partial);
            fs::rename(partial, target);
            sync_to_disk(target.parent_path().empty() ? fs::path(".") : target.parent_path());
        } catch (...) {
            std::error_code ignored;
            fs::remove(partial, ignored);
            throw;
        }
        io_.out << "Backed up the database to " << target.string() << "\n";
    }

    // <file>.<UTC timestamp>.bak, or <file>.<UTC timestamp>-2.bak, -3... when
    // a backup was already taken in the same second.
    static fs::path unused_backup_name(const std::string& database) {
        std::string stamp = utc_timestamp();
        std::erase_if(stamp, [](char c) { return c == ':' || c == '-'; });
        fs::path target = database + "." + stamp + ".bak";
        for (int n = 2; fs::exists(target); ++n) target = database + "." + stamp + "-" + std::to_string(n) + ".bak";
        return target;
    }

    // fsync a file or a folder (the folder makes a rename durable).
    static void sync_to_disk(const fs::path& path) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        const bool ok = fd >= 0 && ::fsync(fd) == 0;
        const int saved = errno;
        if (fd >= 0) ::close(fd);
        if (!ok) throw MigrationError("--backup: cannot sync '" + path.string() + "' to disk: " + std::strerror(saved));
    }

    // `db lint`: the plan from the database's revision to the target, linted, not run.
    int lint_pending() {
        auto session = live();
        Connection& conn = *session->conn;
        Plan plan = plan_upgrade(session->scripts, session->runner.current_heads(), move_.revision);
        LintReport report = lint_plan(plan, conn.dialect(), inspect(conn, session->scripts.inspect_options()), &conn);
        io_.out << format_lint(report);
        return move_.strict && report.hazards() > 0 ? 1 : 0;
    }

    // `db upgrade --lint`: the plan about to run, linted under the migration lock.
    bool review(Connection& conn, const Plan& plan, const MetaData& schema) {
        LintReport report = lint_plan(plan, conn.dialect(), schema, &conn);
        io_.out << format_lint(report);
        if (report.hazards() == 0) return true;
        if (move_.yes) {
            io_.out << "Running despite the hazards (--yes)\n";
            return true;
        }
        io_.err << "Refusing to run an op that is a hazard; do it the safe way, or pass --yes to run it as it is\n";
        return false;
    }

    bool confirm(const std::vector<DataLoss>& losses) {
        io_.out << "This migration destroys data or runs SQL that cannot be checked:\n";
        for (const auto& l : losses) {
            io_.out << "  " << escape_control(l.op) << " (revision " << l.revision << ", " << l.location << "): ";
            if (l.raw_sql) io_.out << "raw SQL, cannot be checked\n";
            else if (l.longer_than > 0)
                io_.out << l.rows << " rows of " << l.table << " hold a value longer than " << l.longer_than
                        << " characters in " << l.column << " (the change fails on them; nothing is cut)\n";
            else if (l.column.empty()) io_.out << l.rows << " rows in " << l.table << " will be deleted\n";
            else io_.out << l.rows << " rows of " << l.table << " hold a value in " << l.column << "\n";
        }
        if (move_.yes) return true;
        if (!io_.interactive) {
            io_.err << "Refusing to go on without a terminal to ask; pass --yes to proceed\n";
            return false;
        }
        io_.out << "Continue? [y/N] " << std::flush;
        std::string answer;
        std::getline(io_.in, answer);
        return answer == "y" || answer == "Y" || answer == "yes";
    }

    int current_revision() {
        auto session = live();
        const ScriptDirectory& s = session->scripts;
        auto heads = s.heads();
        auto current = session->runner.current_heads();
        if (current.empty()) io_.out << "base (no revision applied)\n";
        for (const auto& id : current) {
            bool is_head = std::find(heads.begin(), heads.end(), id) != heads.end();
            io_.out << id << (is_head ? " (head)" : "");
            if (verbose_) {
                if (auto* rev = s.find(id))
                    io_.out << " " << escape_control(rev->message) << " [" << rev->path.string() << "]";
            }
            io_.out << "\n";
        }
        return 0;
    }

    void print_line(const ScriptDirectory& s, const Revision& rev) const {
        auto heads = s.heads();
        bool is_head = std::find(heads.begin(), heads.end(), rev.id) != heads.end();
        auto kids = s.children(rev.id);
        io_.out << (rev.down_revisions.empty() ? "<base>" : join_ids(rev.down_revisions)) << " -> " << rev.id;
        if (is_head) io_.out << " (head)";
        if (kids.size() > 1) io_.out << " (branchpoint)";
        if (rev.is_merge()) io_.out << " (mergepoint)";
        io_.out << ", " << escape_control(rev.message) << "\n";
        if (verbose_) io_.out << "    " << (rev.created.empty() ? "" : "created " + escape_control(rev.created) + ", ") << "file "
                              << rev.path.string() << "\n";
    }

    int show_history() {
        ScriptDirectory s = scripts();
        auto order = s.topological_order();
        for (auto it = order.rbegin(); it != order.rend(); ++it) print_line(s, s.get(*it));
        return 0;
    }

    int show_heads() {
        ScriptDirectory s = scripts();
        for (const auto& id : s.heads()) print_line(s, s.get(id));
        return 0;
    }

    int show_revision() {
        ScriptDirectory s = scripts();
        std::string id = s.resolve(move_.revision);
        if (id.empty()) throw MigrationError("base is not a revision");
        const Revision& rev = s.get(id);
        io_.out << "Revision: " << rev.id << "\n"
                << "Parent: " << (rev.down_revisions.empty() ? "<base>" : join_ids(rev.down_revisions)) << "\n"
                << "Children: " << (s.children(id).empty() ? "(none)" : join_ids(s.children(id))) << "\n"
                << "Path: " << rev.path.string() << "\n"
                << "Created: " << escape_control(rev.created) << "\n\n    " << escape_control(rev.message)
                << "\n\nUpgrade:\n";
        for (const auto& step : rev.upgrade) io_.out << "  " << escape_control(describe(step.op)) << "\n";
        io_.out << "Downgrade:\n";
        for (const auto& step : rev.downgrade) io_.out << "  " << escape_control(describe(step.op)) << "\n";
        return 0;
    }

    int stamp_revision() {
        auto session = live();
        session->runner.stamp(move_.revision);
        io_.out << "Stamped " << label(session->runner.current_heads()) << "\n";
        return 0;
    }

    // Reads the schema only: no repository is needed (its include/exclude
    // lists apply when there is one).
    int reflect_database() {
        InspectOptions options;
        if (fs::exists(ctx_.migrations_dir / kConfigFile)) options = scripts().inspect_options();
        auto db = open();
        auto conn = db.connect();
        const std::string header = migrate::reflect_models(inspect(*conn, options), reflect_);
        if (output_.empty()) {
            io_.out << header;
            return 0;
        }
        write_file_atomically(output_, header);
        io_.out << "Wrote models for " << db.url().masked() << " to " << output_ << "\n";
        return 0;
    }

    // A temporary file renamed over the target: a failed write leaves the old header.
    static void write_file_atomically(const fs::path& path, const std::string& text) {
        const fs::path partial = path.string() + ".incomplete";
        {
            std::ofstream out(partial, std::ios::binary | std::ios::trunc);
            out << text;
            out.close();
            if (!out) {
                std::error_code ignored;
                fs::remove(partial, ignored);
                throw MigrationError("db reflect: cannot write '" + path.string() + "'");
            }
        }
        fs::rename(partial, path);
    }

    int check() {
        auto session = live();
        const ScriptDirectory& s = session->scripts;
        auto current = session->runner.current_heads();
        int status = 0;
        if (current != s.heads()) {
            io_.out << "The database is at " << label(current) << " but the head is " << label(s.heads()) << "; run "
                    << hint("upgrade") << "\n";
            status = 1;
        }
        const MetaData models = managed(target(), s);
        MetaData database = inspect(*session->conn, s.compare_options());
        match_respelled_checks(*session->conn, models, database);
        Changes changes = compare_metadata(models, database, {}, compare_options(*session->conn));
        // A warning is a difference no op can express (an unnamed SQLite constraint to drop).
        for (const auto& w : changes.warnings) io_.err << w << "\n";
        if (changes.empty()) {
            io_.out << "No changes detected\n";
            return changes.warnings.empty() ? status : 1;
        }
        io_.out << "The models and the database differ:\n";
        for (const auto& step : changes.upgrade) io_.out << "  " << describe(step) << "\n";
        io_.out << "Run " << hint("migrate -m MESSAGE") << " to write a revision for them\n";
        return 1;
    }
};

}  // namespace

int db_run(const DbContext& context, const std::vector<std::string>& args, DbStreams streams) {
    return Commands(context, streams).run(args);
}

int db_main(const DbContext& context, int argc, char** argv) {
    std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    return db_run(context, args, DbStreams{std::cout, std::cerr, std::cin, ::isatty(STDIN_FILENO) != 0});
}

}  // namespace strata
