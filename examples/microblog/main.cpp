// microblog: the Flask mega-tutorial's database chapters, in C++ on strata.
#include <CLI/CLI.hpp>
#include <strata/migrate.hpp>
#include <strata/strata.hpp>
#include <unistd.h>

#include <iostream>

#include "commands.hpp"
#include "config.hpp"
#include "models.hpp"
#include "tutorial.hpp"

int main(int argc, char** argv) {
    CLI::App app{"microblog: the Flask mega-tutorial's database chapters, in C++ on strata"};
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

    // The verbs for scripts: tab-separated output, exit 1 with "error: ..." when refused.
    std::string nickname, other, text;
    std::int64_t page = 1, per_page = 20;
    auto* user = app.add_subcommand("user", "manage users: user add NICK EMAIL");
    user->require_subcommand(1);
    auto* user_add = user->add_subcommand("add", "add a user; prints id<TAB>nickname<TAB>email");
    user_add->add_option("nickname", nickname, "at most 64 characters")->required();
    user_add->add_option("email", text, "at most 120 characters")->required();
    auto* post = app.add_subcommand("post", "post as NICK, timestamped now (UTC); prints the post as a feed line");
    post->add_option("nickname", nickname)->required();
    post->add_option("body", text, "at most 140 characters")->required();
    auto* follow = app.add_subcommand("follow", "A follows B (not oneself, not twice)");
    follow->add_option("follower", nickname)->required();
    follow->add_option("followed", other)->required();
    auto* unfollow = app.add_subcommand("unfollow", "A stops following B");
    unfollow->add_option("follower", nickname)->required();
    unfollow->add_option("followed", other)->required();
    auto* feed = app.add_subcommand(
        "feed", "the posts of whom NICK follows and NICK's own, newest first: id<TAB>nickname<TAB>timestamp<TAB>body "
                "lines, then \"page P of N, T posts\"");
    feed->add_option("nickname", nickname)->required();
    const CLI::Validator at_least_one(
        [](std::string& v) { return v.find_first_not_of("0123456789") == std::string::npos && v.find_first_not_of('0') != std::string::npos
                                        ? std::string()
                                        : "must be a whole number of at least 1, not " + v; },
        "N>=1");
    feed->add_option("--page", page, "page number, from 1 (default 1)")->check(at_least_one);
    feed->add_option("--per-page", per_page, "posts per page (default 20)")->check(at_least_one);
    auto* stats = app.add_subcommand("stats", "every user: nickname<TAB>posts<TAB>followers<TAB>following");

    CLI11_PARSE(app, argc, argv);
    try {
        auto config = microblog::load_config(basedir);
        if (tutorial->parsed()) return microblog::run_tutorial(config, std::cout);
        if (user_add->parsed()) microblog::add_user(config, nickname, text, std::cout);
        if (post->parsed()) microblog::add_post(config, nickname, text, std::cout);
        if (follow->parsed()) microblog::follow(config, nickname, other);
        if (unfollow->parsed()) microblog::unfollow(config, nickname, other);
        if (feed->parsed()) microblog::show_feed(config, nickname, page, per_page, std::cout);
        if (stats->parsed()) microblog::show_stats(config, std::cout);
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
    } catch (const microblog::CommandError& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    } catch (const strata::Error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
