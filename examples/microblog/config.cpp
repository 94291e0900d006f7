#include "config.hpp"

#include <cstdlib>

namespace microblog {

Config load_config(const std::filesystem::path& basedir_arg) {
    Config c;
    c.basedir = std::filesystem::absolute(basedir_arg.empty() ? std::filesystem::current_path() : basedir_arg);
    const char* env = std::getenv("DATABASE_URL");
    // An absolute path after "sqlite:///" gives the four-slash absolute form.
    c.database_url = env && *env ? env : "sqlite:///" + (c.basedir / "app.db").string();
    c.migrations_dir = c.basedir / "migrations";
    return c;
}

}  // namespace microblog
