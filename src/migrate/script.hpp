// src/migrate/script.hpp — the migration repository and its revision graph.
//
// migrations/strata.yaml (config) and migrations/versions/*.yaml (revisions).
// Revisions form a DAG by down_revision: a branch is two revisions with the
// same parent, a merge is a revision with several parents. Loading checks
// every down_revision exists and there is no cycle.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "migrate/revision_file.hpp"
#include "migrate/timeouts.hpp"
#include "strata/inspect.hpp"

namespace strata::migrate {

inline constexpr const char* kConfigFile = "strata.yaml";
inline constexpr const char* kVersionTable = "strata_version";

// "migration" | "revision" | "step"; nullopt for any other text.
std::optional<TransactionPer> parse_transaction_per(std::string_view text);
// Those names, in that order (for the command line's check).
std::vector<std::string> transaction_per_names();

class ScriptDirectory {
public:
    // Loads and validates every revision; MigrationError when the repository
    // is missing or a file is malformed.
    explicit ScriptDirectory(std::filesystem::path dir);
    // Creates the repository (config and versions/); refuses an existing one.
    static void init(const std::filesystem::path& dir);

    const std::filesystem::path& dir() const { return dir_; }
    // strata.yaml's version_table (default strata_version).
    const std::string& version_table() const { return version_table_; }
    // The companion of the version table: where a revision stopped between steps.
    std::string step_table() const { return version_table_ + "_steps"; }
    // strata.yaml's transaction_per (default migration).
    TransactionPer transaction_per() const { return transaction_per_; }
    // strata.yaml's postgresql: {concurrent_indexes: true}: autogenerate
    // builds new indexes of existing tables concurrently.
    bool concurrent_indexes(const std::string& backend) const { return concurrent_index_backends_.count(backend) != 0; }
    // What inspect() leaves out for this repository (its version and step tables).
    InspectOptions inspect_options() const { return InspectOptions{{version_table_, step_table()}}; }
    // What autogenerate and `db check` compare: inspect_options() narrowed by
    // strata.yaml's include_tables / exclude_tables patterns.
    InspectOptions compare_options() const {
        return InspectOptions{{version_table_, step_table()}, include_tables_, exclude_tables_};
    }
    // strata.yaml's lock_timeout, statement_timeout and retries (defaults for the rest).
    const Timeouts& timeouts() const { return timeouts_; }
    std::filesystem::path versions_dir() const { return dir_ / "versions"; }
    bool empty() const { return revisions_.empty(); }
    std::size_t size() const { return revisions_.size(); }

    const Revision& get(const std::string& id) const;
    const Revision* find(const std::string& id) const;
    std::vector<std::string> heads() const;               // revisions no one builds on, sorted
    std::vector<std::string> children(const std::string& id) const;

    // A user's revision argument: "head" (only when there is one), "base" (""),
    // a full id or a unique prefix of one.
    std::string resolve(const std::string& text) const;
    // The given revisions and all they build on.
    std::set<std::string> ancestors(const std::vector<std::string>& ids) const;
    // Every revision, parents before children (ties by id, so it is stable).
    std::vector<std::string> topological_order() const;
    // The revision N steps above `from` ("" = base), for "+N"; MigrationError
    // when the path forks or runs out.
    std::string above(const std::vector<std::string>& from, int n) const;

    // Adds a revision written just now (keeps the graph checks).
    void add(Revision revision);

private:
    void check_graph() const;
    void read_config();
    static bool is_backend_name(const std::string& key);
    void read_backend_config(const std::string& backend, const YAML::Node& value,
                             const std::function<std::string(const YAML::Node&)>& where);
    // A timeouts key of strata.yaml; false when `key` is not one.
    bool read_timeout(const std::string& key, const YAML::Node& value, const std::string& where);
    std::filesystem::path dir_;
    std::string version_table_ = kVersionTable;
    TransactionPer transaction_per_ = TransactionPer::Migration;
    std::set<std::string> concurrent_index_backends_;   // the sections that set concurrent_indexes
    std::vector<std::string> include_tables_;
    std::vector<std::string> exclude_tables_;
    Timeouts timeouts_;
    std::map<std::string, Revision> revisions_;
    std::map<std::string, std::vector<std::string>> children_;
};

// "a1b2c3, d4e5f6" for messages.
std::string join_ids(const std::vector<std::string>& ids);

// ---------------------------------------------------------------- plans

// Revisions from one state (heads) to another, in the order they run.
struct Plan {
    std::vector<std::string> start_heads;
    std::vector<const Revision*> revisions;
    bool upgrade = true;
    // A revision a stopped run left half-done (its step record): its first
    // resume_step steps are already in the database and are not run again.
    std::string resume_revision = {};
    std::size_t resume_step = 0;
};

// target: "head", "heads", "+N", a revision id or prefix.
Plan plan_upgrade(const ScriptDirectory& scripts, const std::vector<std::string>& current, const std::string& target);
// target: "base", "-N", a revision id or prefix (it must be applied).
Plan plan_downgrade(const ScriptDirectory& scripts, const std::vector<std::string>& current, const std::string& target);

// "base" for no heads, else join_ids().
std::string revision_label(const std::vector<std::string>& heads);
// The heads of a set of applied revisions: those none of whose children is applied.
std::vector<std::string> heads_of(const ScriptDirectory& scripts, const std::set<std::string>& applied);
// "heads", or one revision the user named ("base": none).
std::vector<std::string> heads_from_text(const ScriptDirectory& scripts, const std::string& text);

}  // namespace strata::migrate
