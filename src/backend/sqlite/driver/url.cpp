// What a SQLite URL may say beyond its path: ?mode= and ?journal_mode=.
#include <cctype>
#include <set>

#include "backend/sqlite/driver/driver.hpp"

namespace strata {

bool Url::is_sqlite_memory() const { return backend == "sqlite" && sqlite_connection_is_database(*this); }

namespace {

// Query parameters the SQLite driver reads; any other is a typo to report.
const std::set<std::string> kParameters{"journal_mode", "mode"};
const std::set<std::string> kModes{"ro", "rw", "rwc"};

// ?journal_mode= takes SQLite's own names (any case), kept in lower case.
std::string check_journal_mode(Url& url) {
    auto it = url.query.find("journal_mode");
    if (it == url.query.end()) return {};
    std::string mode = it->second;
    for (char& c : mode) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const char* known : {"delete", "truncate", "persist", "memory", "wal", "off"})
        if (mode == known) {
            it->second = mode;
            return {};
        }
    return "journal_mode '" + it->second + "' is not one of delete, truncate, persist, memory, wal, off";
}

}  // namespace

std::string check_sqlite_url(Url& url) {
    for (const auto& [key, value] : url.query) {
        if (!kParameters.count(key)) {
            std::string known;
            for (const auto& k : kParameters) known += (known.empty() ? "" : ", ") + k;
            return "unknown SQLite URL parameter '" + key + "' (known: " + known + ")";
        }
        if (key == "mode" && !kModes.count(value)) return "SQLite URL parameter mode=" + value + " (expected mode=ro, rw or rwc)";
    }
    return check_journal_mode(url);
}

bool sqlite_connection_is_database(const Url& url) { return url.database.empty() || url.database == ":memory:"; }

}  // namespace strata
