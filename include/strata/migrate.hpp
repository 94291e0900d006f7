// strata/migrate.hpp — the `db` command line an application embeds.
//
//   int main(int argc, char** argv) {
//       if (argc > 1 && std::string_view(argv[1]) == "db") {
//           strata::DbContext ctx{database_url, basedir / "migrations",
//                                 [&registry] { return registry.metadata(); }, "microblog"};
//           return strata::db_main(ctx, argc - 1, argv + 1);   // argv[0] is "db"
//       }
//   }
//
// (A complete program: docs/migrations.md, "Embedding the command line".)
//
// Commands: init, create, migrate, revision, upgrade, downgrade, current,
// history, heads, show, stamp, check, merge (`db --help`). The revision file
// format is in docs/migrations.md.
#pragma once

#include <filesystem>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "strata/export.hpp"
#include "strata/schema.hpp"

namespace strata {

struct DbContext {
    std::string database_url;
    std::filesystem::path migrations_dir;
    std::function<MetaData()> target_metadata;   // the models: what create and migrate build toward
    std::string program_name = "app";            // used in help and hints ("microblog db upgrade")
};

// argv[0] is the command's own name ("db"), the rest its arguments.
// Returns the process exit code (0 success, 1 error or differences found).
STRATA_API int db_main(const DbContext& context, int argc, char** argv);

// Where a db command reads and writes; db_main uses the process's streams and
// treats stdin as interactive when it is a terminal.
struct DbStreams {
    std::ostream& out;
    std::ostream& err;
    std::istream& in;
    bool interactive = false;   // may ask questions (data loss confirmations)
};

// The arguments after "db", e.g. {"upgrade", "head"}.
STRATA_API int db_run(const DbContext& context, const std::vector<std::string>& args, DbStreams streams);

}  // namespace strata
