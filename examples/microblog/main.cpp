// microblog: the Flask mega-tutorial's database chapter, in C++ on strata.
#include <CLI/CLI.hpp>
#include <strata/migrate.hpp>
#include <strata/strata.hpp>
#include <unistd.h>

#include <iostream>

#include "config.hpp"
#include "tables.hpp"

int main(int argc, char** argv) {
    CLI::App app{"microblog: the Flask mega-tutorial's database chapter, in C++ on strata"};
    app.require_subcommand(1);
    std::string basedir;
    app.add_option("--basedir", basedir, "folder holding app.db and migrations/ (default: the working folder)");

    // Everything after "db" goes to strata's db command line (`microblog db --help`).
    auto* db = app.add_subcommand("db", "database commands: init, create, migrate, upgrade, downgrade, ...");
    db->prefix_command();
    db->set_help_flag();   // `microblog db --help` is answered by the db command line

    CLI11_PARSE(app, argc, argv);
    try {
        auto config = microblog::load_config(basedir);
        if (db->parsed()) {
            strata::DbContext ctx{config.database_url, config.migrations_dir, [] {
                                      strata::MetaData md;
                                      microblog::declare_tables(md);
                                      return md;
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
