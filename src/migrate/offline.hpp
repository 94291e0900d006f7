// src/migrate/offline.hpp — `db upgrade --sql` / `db downgrade --sql`: the
// statements of a run as text, the schema before the first op coming from
// replaying the revision files (no database needed).
#pragma once

#include <string>
#include <vector>

#include "migrate/script.hpp"
#include "migrate/timeouts.hpp"

namespace strata::migrate {

struct OfflineScript {
    std::string text;                       // the whole script, statements ending in ';'
    std::vector<std::string> statements;    // the ops' SQL only, as the online run executes them
};

// `range` is "FROM:TO" or "TO" (upgrade from base). Downgrade needs FROM:TO.
// Each transaction of the script keeps to `timeouts` where the backend has
// such limits (PostgreSQL: SET LOCAL lock_timeout, statement_timeout).
OfflineScript offline_upgrade(const ScriptDirectory& scripts, const Dialect& dialect, const std::string& range,
                              const Timeouts& timeouts = {});
OfflineScript offline_downgrade(const ScriptDirectory& scripts, const Dialect& dialect, const std::string& range,
                                const Timeouts& timeouts = {});

}  // namespace strata::migrate
