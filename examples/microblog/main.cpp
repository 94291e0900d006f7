// microblog: the Flask mega-tutorial's database chapter, in C++ on strata.
#include <CLI/CLI.hpp>
#include <strata/strata.hpp>

#include <iostream>

#include "config.hpp"
#include "tables.hpp"

namespace {

int db_create(const microblog::Config& config, bool checkfirst) {
    strata::MetaData md;
    microblog::declare_tables(md);
    auto db = strata::Database::open(config.database_url);
    auto conn = db.connect();
    auto existing = strata::table_names(*conn);
    if (!existing.empty() && !checkfirst) {
        std::cerr << "error: the database at " << db.url().masked() << " already has tables (" << existing.front()
                  << (existing.size() > 1 ? ", …" : "") << "); use --checkfirst to create only the missing ones\n";
        return 1;
    }
    md.create_all(*conn, /*checkfirst=*/true);
    std::cout << "Created tables in " << db.url().masked() << ":";
    for (const auto* t : md.sorted_tables()) std::cout << " " << t->name();
    std::cout << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"microblog: the Flask mega-tutorial's database chapter, in C++ on strata"};
    app.require_subcommand(1);
    std::string basedir;
    app.add_option("--basedir", basedir, "folder holding app.db and migrations/ (default: the working folder)");

    auto* db = app.add_subcommand("db", "database commands");
    db->require_subcommand(1);
    bool checkfirst = false;
    auto* create = db->add_subcommand("create", "create every table from the models");
    create->add_flag("--checkfirst", checkfirst, "create only the tables that are missing");

    CLI11_PARSE(app, argc, argv);
    try {
        auto config = microblog::load_config(basedir);
        if (create->parsed()) return db_create(config, checkfirst);
    } catch (const strata::Error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
