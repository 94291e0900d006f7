// microblog's configuration, after the tutorial's config.py:
//   basedir                     the working folder, or --basedir
//   DATABASE_URL                from the environment, else sqlite:///<basedir>/app.db
//   migrations                  <basedir>/migrations
#pragma once

#include <filesystem>
#include <string>

namespace microblog {

struct Config {
    std::filesystem::path basedir;
    std::string database_url;
    std::filesystem::path migrations_dir;
};

Config load_config(const std::filesystem::path& basedir);

}  // namespace microblog
