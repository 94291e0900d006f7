// src/migrate/api_internal.hpp — what the library API (api.cpp) and the `db`
// command line (command.cpp) share.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "migrate/runner.hpp"
#include "migrate/script.hpp"
#include "strata/database.hpp"
#include "strata/migrate.hpp"

namespace strata::migrate {

// The repository, the database and a runner over both, for one call.
struct LiveRepository {
    ScriptDirectory scripts;
    Database db;
    PooledConnection conn;
    Runner runner;
    explicit LiveRepository(const DbContext& context);
};

// "`microblog db upgrade`": the command to suggest in a message.
std::string command_hint(const DbContext& context, const std::string& command);

// A new revision on `parents` with a fresh id; add_revision writes its file
// into the repository and returns the path.
Revision new_revision(const ScriptDirectory& scripts, std::vector<std::string> parents, const std::string& message);
std::filesystem::path add_revision(ScriptDirectory& scripts, Revision& revision);

}  // namespace strata::migrate
