// microblog: the Flask mega-tutorial's database chapter, in C++ on strata.
#include <CLI/CLI.hpp>
#include <strata/migrate.hpp>
#include <strata/strata.hpp>
#include <unistd.h>

#include <iostream>

#include "config.hpp"
#include "models.hpp"
#include "tutorial.hpp"

int main(int argc, char** argv) {
    CLI::App app{"microblog: the Flask mega-tutorial's database chapter, in C++ on strata"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "microblog (strata " STRATA_VERSION_STRING ")");
    app.footer(
        "Environment:\n"
        "  DATABASE_URL   the database (default: sqlite:///<basedir>/app.db); e.g. postgresql://user:pass@host/db\n"
        "  STRATA_ECHO=1  log every SQL statement with its parameters to stderr\n"
        "Migrations live in <basedir>/migrations. See `microblog db --help`.");
    std::string basedir;
    app.add_option("--basedir", basedir, "folder holding app.db and migrations/ (default: the working folder)");

    // Everything after "db" goes to strata's db command line (`microblog db --help`).
    auto* db = app.add_subcommand("db", "database commands: init, create, migrate, upgrade, downgrade, ...");
    db->prefix_command();
    db->set_help_flag();   // `microblog db --help` is answered by the db command line

    auto* tutorial = app.add_subcommand("tutorial", "run the tutorial's shell session against the database");

    CLI11_PARSE(app, argc, argv);
    try {
        auto config = microblog::load_config(basedir);
        if (tutorial->parsed()) return microblog::run_tutorial(config, std::cout);
        if (db->parsed()) {
            // The models are the target of `db create`, `db migrate` and `db check`.
            strata::DbContext ctx{config.database_url, config.migrations_dir, [] {
                                      strata::Registry registry;
                                      microblog::map_models(registry);
                                      return registry.metadata();
                                  },
                                  "microblog"};
            return strata::db_run(ctx, db->remaining(),
                                  strata::DbStreams{std::cout, std::cerr, std::cin, ::isatty(STDIN_FILENO) != 0});
        }
    } catch (const strata::Error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
