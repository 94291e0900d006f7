// src/migrate/revision_file.hpp — one revision file (YAML) read and written.
//
// The format is in docs/migrations.md. Every error names the file, line and
// column (from yaml-cpp's Mark) and what was expected there.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "migrate/operations.hpp"

namespace strata::migrate {

// The version table's column holds this many characters.
inline constexpr std::size_t kMaxRevisionIdLength = 32;

struct Revision {
    std::string id;
    std::vector<std::string> down_revisions;   // empty for a first revision; several for a merge
    std::string message;
    std::string created;                        // ISO 8601 UTC, informational
    std::vector<Step> upgrade;
    std::vector<Step> downgrade;

    std::filesystem::path path;                 // where it was read from / written to
    int down_revision_line = 0;                 // where down_revision is, for graph errors
    int down_revision_column = 0;

    bool is_merge() const { return down_revisions.size() > 1; }
    // "path:line:col" of the down_revision field.
    std::string down_revision_location() const;
};

// Parses YAML text (errors as path:line:col) and checks it as every strata
// file must be: no duplicate keys, text valid UTF-8 without NUL bytes.
YAML::Node load_yaml(const std::string& text, const std::filesystem::path& path);
// Why a name cannot be used as an identifier on every backend (a control
// character, longer than PostgreSQL's 63 bytes), or "" when it can.
std::string identifier_problem(const std::string& name);

// The largest revision or config file read. yaml-cpp's tree takes up to ~80
// times the text's size and ~0.6 s per MiB of short ops (measured, release
// build): 1 MiB bounds that, and a migration has no business being larger.
inline constexpr std::uintmax_t kMaxFileBytes = 1u << 20;
// A whole file, refused (MigrationError) past kMaxFileBytes.
std::string read_small_file(const std::filesystem::path& path);

// Reads and validates one file (YAML syntax, fields, op names, types).
Revision read_revision_file(const std::filesystem::path& path);
// Same, from text; `path` is only used in messages.
Revision parse_revision(const std::string& text, const std::filesystem::path& path);

// The YAML text of a revision (comments of steps written above them).
std::string format_revision(const Revision& revision);
// Writes `<id>_<slug>.yaml` into versions_dir and returns its path.
std::filesystem::path write_revision_file(const std::filesystem::path& versions_dir, Revision& revision);

// Text for a terminal: control characters (newline, escape, …) written as
// \n, \x1b, … so a message cannot move the cursor or fake output lines.
std::string escape_control(std::string_view text);

// Writes a whole file or nothing: a temporary file in the same folder,
// fsync, rename over `path`. MigrationError (and no file left behind) when
// the disk is full or the write is refused.
void write_file_atomically(const std::filesystem::path& path, const std::string& text);

// "Add about_me!" -> "add_about_me" (file name part).
std::string slugify(const std::string& message);
// 12 random hex digits.
std::string new_revision_id();
// Current UTC time as 2026-11-27T14:00:00Z.
std::string utc_timestamp();

}  // namespace strata::migrate
