// src/migrate/command.cpp — the `db` command line (CLI11 stays in this file).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <fstream>
#include <iostream>

#include "dialect/backend.hpp"
#include "migrate/api_internal.hpp"
#include "migrate/lint.hpp"
#include "migrate/reflect_models.hpp"
#include "migrate/offline.hpp"
#include "migrate/progress.hpp"
#include "migrate/runner.hpp"
#include "migrate/script.hpp"
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
    std::string transaction_per;   // empty: strata.yaml's
    // Over strata.yaml's: durations as given (checked when used), retries.
    std::string lock_timeout, statement_timeout;
    std::optional<int> retries;
    bool lint = false;
    bool strict = false;
    bool no_progress = false;
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
    CompareSettings compare_;
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
        add_timeout_flags(stamp);
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

    void add_timeout_flags(CLI::App* sub) {
        sub->add_option("--lock-timeout", move_.lock_timeout,
                        "PostgreSQL: give up a lock wait after this long, e.g. 2s (default: strata.yaml's, else 5s)");
        sub->add_option("--statement-timeout", move_.statement_timeout,
                        "PostgreSQL: stop any statement after this long, e.g. 10m (default: strata.yaml's, else none)");
        sub->add_option("--retries", move_.retries, "PostgreSQL: run again this often after a lock timeout (default 3)")
            ->check(CLI::Range(0, 999));
    }

    void declare_move(CLI::App& app, const char* name, const char* help, const char* default_rev, bool up) {
        auto* sub = app.add_subcommand(name, help);
        sub->add_option("revision", move_.revision, std::string("target (default ") + default_rev + "); with --sql, [FROM:]TO");
        sub->add_flag("--sql", move_.sql, "print the SQL script instead of running it (offline)");
        sub->add_option("--dialect", move_.dialect, "with --sql: " + backend_names(" or ") + " (default: the database URL's)");
        sub->add_flag("-y,--yes", move_.yes, "do not ask before steps that destroy data; with --lint, run despite hazards");

        sub->add_flag("--lint", move_.lint,
                      "print what `db lint` prints first, and refuse to run when an op is a hazard (unless --yes)");
        sub->add_flag("--backup", move_.backup, "SQLite: copy the database file aside first");
        sub->add_flag("--no-progress", move_.no_progress,
                      "print no progress of long steps on stderr (SQLite then copies a rebuilt table in one statement)");
        sub->add_option("--transaction-per", move_.transaction_per,
                        "migration, revision or step: what one transaction holds (default: strata.yaml's)")
            ->check(CLI::IsMember(transaction_per_names()));
        add_timeout_flags(sub);
        on(sub, [this, up, default_rev] {
            if (move_.revision.empty()) move_.revision = default_rev;
            return move(up);
        });
    }

    // ------------------------------------------------------------ helpers

    // What a run that changes the database is given: notices to stdout,
    // strata.yaml's timeouts under the flags', a signal cancels it.
    RunOptions run_options(const ScriptDirectory& s) const {
        RunOptions options;
        std::shared_ptr<ProgressPrinter> printer;
        if (!move_.no_progress) {
            printer = std::make_shared<ProgressPrinter>(io_.err, io_.terminal);
            options.progress = [printer](const Progress& p) { (*printer)(p); };
        }
        options.notice = [this, printer](const std::string& line) {
            if (printer) printer->end_line();   // stdout and stderr are often the same terminal
            io_.out << line << std::endl;
        };
        options.timeouts = s.timeouts();
        if (!move_.lock_timeout.empty()) options.timeouts.lock_timeout = flag_duration("--lock-timeout", move_.lock_timeout);
        if (!move_.statement_timeout.empty())
            options.timeouts.statement_timeout = flag_duration("--statement-timeout", move_.statement_timeout);
        if (options.timeouts.lock_timeout.count() == 0)
            throw ConfigError("--lock-timeout 0 would let a migration wait forever for a lock, queueing every query of "
                              "the table behind it");
        if (move_.retries) options.timeouts.retries = *move_.retries;
        options.cancel_on_signal = true;
        return options;
    }
    static std::chrono::milliseconds flag_duration(const char* flag, const std::string& text) {
        std::chrono::milliseconds d{};
        if (std::string problem = parse_duration(text, d); !problem.empty()) throw ConfigError(std::string(flag) + ": " + problem);
        return d;
    }

    std::string hint(const std::string& command) const { return command_hint(ctx_, command); }

    ScriptDirectory scripts() const { return ScriptDirectory(ctx_.migrations_dir); }

    Database open() const { return Database::open(ctx_.database_url); }
    std::unique_ptr<LiveRepository> live() const { return std::make_unique<LiveRepository>(ctx_); }

    fs::path write(ScriptDirectory& s, Revision& rev) const {
        fs::path path = add_revision(s, rev);
        io_.out << "Generating " << path.string() << " ... done\n";
        return path;
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
        if (!ctx_.target_metadata) throw ConfigError("this application gave the db command no models (target_metadata)");
        MetaData md = ctx_.target_metadata();
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
        Runner(*conn, *s).stamp("heads", run_options(*s));
        io_.out << "Stamped " << label(s->heads()) << "\n";
        return 0;
    }

    int autogenerate() {
        AutogenerateOptions options{message_, renames_, from_empty_, compare_};
        AutogenerateResult result = migrate::autogenerate(ctx_, options);
        for (const auto& w : result.warnings) io_.err << w << "\n";
        if (result.revision.empty()) {
            io_.out << "No changes detected\n";
            return 0;
        }
        for (const auto& change : result.changes) io_.out << "Detected " << change << "\n";
        io_.out << "Generating " << result.file.string() << " ... done\n";
        return 0;
    }

    int empty_revision() {
        ScriptDirectory s = scripts();
        auto heads = s.heads();
        if (heads.size() > 1)
            throw MigrationError("the repository has several heads (" + join_ids(heads) + "); merge them first");
        Revision rev = new_revision(s, heads, message_);
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
        Revision rev = new_revision(s, parents, message_);
        write(s, rev);
        return 0;
    }

    int move(bool up) {
        if (move_.sql && move_.lint) throw MigrationError("--lint reads the database, so it cannot go with --sql");
        if (move_.sql) return offline(scripts(), up);
        RunOptions options = run_options(scripts());
        options.confirm = [this](const std::vector<DataLoss>& losses) { return confirm(losses); };
        options.backup = move_.backup;
        if (!move_.transaction_per.empty()) options.transaction_per = parse_transaction_per(move_.transaction_per);
        if (move_.lint)
            options.review = [this](Connection& conn, const Plan& plan, const MetaData& schema) {
                return review(conn, plan, schema);
            };
        RunResult result = up ? upgrade(ctx_, move_.revision, options) : downgrade(ctx_, move_.revision, options);
        if (result.revisions_run == 0) io_.out << "Nothing to do: the database is at " << label(result.from_heads) << "\n";
        else io_.out << "The database is now at " << label(result.to_heads) << "\n";
        return 0;
    }

    int offline(const ScriptDirectory& s, bool up) {
        std::string dialect = move_.dialect.empty() ? parse_url(ctx_.database_url).backend : move_.dialect;
        const Dialect& d = dialect_named(dialect);
        const Timeouts limits = run_options(s).timeouts;
        OfflineScript script =
            up ? offline_upgrade(s, d, move_.revision, limits) : offline_downgrade(s, d, move_.revision, limits);
        io_.out << script.text;
        return 0;
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
        session->runner.stamp(move_.revision, run_options(session->scripts));
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
        CheckResult result = migrate::check(ctx_, compare_);
        int status = 0;
        if (!result.at_head()) {
            io_.out << "The database is at " << label(result.current) << " but the head is " << label(result.heads)
                    << "; run " << hint("upgrade") << "\n";
            status = 1;
        }
        // A warning is a difference no op can express (an unnamed SQLite constraint to drop).
        for (const auto& w : result.warnings) io_.err << w << "\n";
        if (result.differences.empty()) {
            io_.out << "No changes detected\n";
            return result.warnings.empty() ? status : 1;
        }
        io_.out << "The models and the database differ:\n";
        for (const auto& difference : result.differences) io_.out << "  " << difference << "\n";
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
    return db_run(context, args, DbStreams{std::cout, std::cerr, std::cin, ::isatty(STDIN_FILENO) != 0,
                                                   ::isatty(STDERR_FILENO) != 0});
}

}  // namespace strata
