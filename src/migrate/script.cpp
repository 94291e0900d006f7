// src/migrate/script.cpp — loading the repository, resolving ids, walking the graph, planning runs.
#include "migrate/script.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <utility>

#include "dialect/backend.hpp"
#include "strata/error.hpp"

namespace strata::migrate {

namespace fs = std::filesystem;

namespace {

constexpr std::pair<std::string_view, TransactionPer> kTransactionPer[] = {
    {"migration", TransactionPer::Migration}, {"revision", TransactionPer::Revision}, {"step", TransactionPer::Step}};

}  // namespace

std::optional<TransactionPer> parse_transaction_per(std::string_view text) {
    for (const auto& [name, mode] : kTransactionPer)
        if (name == text) return mode;
    return std::nullopt;
}

std::vector<std::string> transaction_per_names() {
    std::vector<std::string> names;
    for (const auto& entry : kTransactionPer) names.emplace_back(entry.first);
    return names;
}

std::string join_ids(const std::vector<std::string>& ids) {
    std::string out;
    for (const auto& id : ids) out += (out.empty() ? "" : ", ") + (id.empty() ? std::string("base") : id);
    return out;
}

ScriptDirectory::ScriptDirectory(fs::path dir) : dir_(std::move(dir)) {
    if (!fs::exists(dir_ / kConfigFile))
        throw MigrationError("no migration repository at " + dir_.string() + " (run `db init` to create one)");
    read_config();
    if (!fs::is_directory(versions_dir())) return;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(versions_dir()))
        if (entry.is_regular_file() && entry.path().extension() == ".yaml") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
        Revision rev = read_revision_file(file);
        if (auto* existing = find(rev.id))
            throw MigrationError(file.string() + ": revision id " + rev.id + " is also used by " +
                                 existing->path.string());
        std::string id = rev.id;
        revisions_.emplace(id, std::move(rev));
    }
    for (const auto& [id, rev] : revisions_)
        for (const auto& parent : rev.down_revisions) children_[parent].push_back(id);
    check_graph();
}

// strata.yaml: a mapping of known keys (or empty, for the defaults).
void ScriptDirectory::read_config() {
    const fs::path path = dir_ / kConfigFile;
    YAML::Node root = load_yaml(read_small_file(path), path);
    auto where = [&](const YAML::Node& n) {
        return path.string() + ":" + std::to_string(n.Mark().line + 1) + ":" + std::to_string(n.Mark().column + 1);
    };
    if (root.IsNull()) return;
    if (!root.IsMap()) throw MigrationError(where(root) + ": expected a mapping with version_table");
    for (auto it = root.begin(); it != root.end(); ++it) {
        const std::string key = it->first.IsScalar() ? it->first.Scalar() : "?";
        const YAML::Node value = it->second;   // a copy: the iterator's pair is a temporary
        if (key == "include_tables" || key == "exclude_tables") {
            auto& patterns = key == "include_tables" ? include_tables_ : exclude_tables_;
            if (!value.IsSequence()) throw MigrationError(where(value) + ": " + key + ": expected a list of table names or patterns");
            for (const auto& item : value) {
                if (!item.IsScalar() || item.Scalar().empty())
                    throw MigrationError(where(item) + ": " + key + ": expected a table name or pattern");
                patterns.push_back(item.Scalar());
            }
            continue;
        }
        if (key == "transaction_per") {
            auto mode = value.IsScalar() ? parse_transaction_per(value.Scalar()) : std::nullopt;
            if (!mode) throw MigrationError(where(value) + ": transaction_per: expected migration, revision or step");
            transaction_per_ = *mode;
            continue;
        }
        if (read_timeout(key, value, where(value))) continue;
        if (is_backend_name(key)) {
            read_backend_config(key, value, where);
            continue;
        }
        if (key != "version_table")
            throw MigrationError(where(it->first) + ": unknown key '" + key +
                                 "' (expected version_table, include_tables, exclude_tables, lock_timeout, statement_timeout, "
                                 "retries, transaction_per or "
                                 "a backend's section: " + backend_names(", ") + ")");
        if (!value.IsScalar() || value.Scalar().empty())
            throw MigrationError(where(value) + ": version_table: expected a table name");
        std::string problem = identifier_problem(value.Scalar());
        if (!problem.empty()) throw MigrationError(where(value) + ": version_table: " + problem);
        version_table_ = value.Scalar();
    }
}

bool ScriptDirectory::is_backend_name(const std::string& key) {
    for (const Backend* b : registered_backends())
        if (key == b->name) return true;
    return false;
}

// A backend's section, e.g. postgresql: {concurrent_indexes: true}. The flag
// is kept per section and asked for by the connection's backend; one whose
// dialect cannot build indexes concurrently ignores it (documented).
void ScriptDirectory::read_backend_config(const std::string& backend, const YAML::Node& value,
                                          const std::function<std::string(const YAML::Node&)>& where) {
    if (!value.IsMap()) throw MigrationError(where(value) + ": " + backend + ": expected a mapping with concurrent_indexes");
    for (auto it = value.begin(); it != value.end(); ++it) {
        const std::string key = it->first.IsScalar() ? it->first.Scalar() : "?";
        if (key != "concurrent_indexes")
            throw MigrationError(where(it->first) + ": " + backend + ": unknown key '" + key + "' (expected concurrent_indexes)");
        const YAML::Node flag = it->second;
        bool on = false;
        if (!flag.IsScalar() || !YAML::convert<bool>::decode(flag, on))
            throw MigrationError(where(flag) + ": " + backend + ": concurrent_indexes: expected true or false");
        if (on) concurrent_index_backends_.insert(backend);
        else concurrent_index_backends_.erase(backend);
    }
}

bool ScriptDirectory::read_timeout(const std::string& key, const YAML::Node& value, const std::string& where) {
    if (key == "retries") {
        const std::string text = value.IsScalar() ? value.Scalar() : "";
        const bool digits = !text.empty() && text.size() <= 3 &&
                            std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (!digits) throw MigrationError(where + ": retries: expected a number of retries from 0 to 999, got '" + text + "'");
        timeouts_.retries = std::stoi(text);
        return true;
    }
    if (key != "lock_timeout" && key != "statement_timeout") return false;
    std::chrono::milliseconds d{};
    std::string problem = value.IsScalar() ? parse_duration(value.Scalar(), d) : "expected a duration such as 5s";
    if (problem.empty() && key == "lock_timeout" && d.count() == 0)
        problem = "0 would let a migration wait forever for a lock, queueing every query of the table behind it";
    if (!problem.empty()) throw MigrationError(where + ": " + key + ": " + problem);
    (key == "lock_timeout" ? timeouts_.lock_timeout : timeouts_.statement_timeout) = d;
    return true;
}

void ScriptDirectory::init(const fs::path& dir) {
    if (fs::exists(dir) && !fs::is_empty(dir))
        throw MigrationError("migration repository " + dir.string() + " already exists; not overwriting it");
    fs::create_directories(dir / "versions");
    write_file_atomically(dir / kConfigFile,
                          "# strata migration repository, created by `db init`.\n"
                          "# Revision files live in versions/ as <revision>_<slug>.yaml; the format is\n"
                          "# described in docs/migrations.md. The database records its revision in\n"
                          "# the table below. include_tables / exclude_tables (lists of names or\n"
                          "# patterns such as legacy_*) choose the tables autogenerate manages.\n"
                          "version_table: " + std::string(kVersionTable) + "\n");
}

void ScriptDirectory::add(Revision revision) {
    std::string id = revision.id;
    for (const auto& parent : revision.down_revisions) children_[parent].push_back(id);
    revisions_.emplace(id, std::move(revision));
    check_graph();
}

void ScriptDirectory::check_graph() const {
    for (const auto& [id, rev] : revisions_)
        for (const auto& parent : rev.down_revisions)
            if (!find(parent))
                throw MigrationError(rev.down_revision_location() + ": down_revision '" + parent +
                                     "' does not exist (expected the id of a revision in " +
                                     versions_dir().string() + ", or null)");
    // Depth-first search; a grey node met again closes a cycle.
    enum class Mark { White, Grey, Black };
    std::map<std::string, Mark> marks;
    std::vector<std::string> path;
    std::function<void(const std::string&)> visit = [&](const std::string& id) {
        marks[id] = Mark::Grey;
        path.push_back(id);
        for (const auto& parent : get(id).down_revisions) {
            if (marks[parent] == Mark::Grey) {
                auto start = std::find(path.begin(), path.end(), parent);
                std::string cycle;
                for (auto it = start; it != path.end(); ++it) cycle += *it + " -> ";
                throw MigrationError(get(id).down_revision_location() + ": revision cycle " + cycle + parent +
                                     " (expected down_revision to point at an older revision)");
            }
            if (marks[parent] == Mark::White) visit(parent);
        }
        path.pop_back();
        marks[id] = Mark::Black;
    };
    for (const auto& [id, rev] : revisions_)
        if (marks[id] == Mark::White) visit(id);
}

const Revision* ScriptDirectory::find(const std::string& id) const {
    auto it = revisions_.find(id);
    return it == revisions_.end() ? nullptr : &it->second;
}

const Revision& ScriptDirectory::get(const std::string& id) const {
    if (auto* rev = find(id)) return *rev;
    throw MigrationError("no revision '" + id + "' in " + versions_dir().string());
}

std::vector<std::string> ScriptDirectory::children(const std::string& id) const {
    auto it = children_.find(id);
    if (it == children_.end()) return {};
    std::vector<std::string> out = it->second;
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::string> ScriptDirectory::heads() const {
    std::vector<std::string> out;
    for (const auto& [id, rev] : revisions_)
        if (!children_.count(id)) out.push_back(id);
    return out;
}

std::string ScriptDirectory::resolve(const std::string& text) const {
    if (text == "base") return "";
    if (text == "head") {
        auto hs = heads();
        if (hs.empty()) return "";
        if (hs.size() > 1) {
            std::string spaced;
            for (const auto& id : hs) spaced += " " + id;
            throw MigrationError("the repository has several heads (" + join_ids(hs) +
                                 "); merge them with `db merge -m MESSAGE" + spaced + "` or name one revision");
        }
        return hs[0];
    }
    if (find(text)) return text;
    std::vector<std::string> matches;
    for (const auto& [id, rev] : revisions_)
        if (id.rfind(text, 0) == 0) matches.push_back(id);
    if (matches.empty() || text.empty())
        throw MigrationError("no revision '" + text + "' (expected head, base, a revision id or a unique prefix)");
    if (matches.size() > 1)
        throw MigrationError("revision prefix '" + text + "' is ambiguous: " + join_ids(matches));
    return matches[0];
}

std::set<std::string> ScriptDirectory::ancestors(const std::vector<std::string>& ids) const {
    std::set<std::string> seen;
    std::vector<std::string> todo;
    for (const auto& id : ids)
        if (!id.empty()) todo.push_back(id);
    while (!todo.empty()) {
        std::string id = todo.back();
        todo.pop_back();
        if (!seen.insert(id).second) continue;
        for (const auto& parent : get(id).down_revisions) todo.push_back(parent);
    }
    return seen;
}

std::vector<std::string> ScriptDirectory::topological_order() const {
    std::map<std::string, std::size_t> waiting;
    std::set<std::string> ready;
    for (const auto& [id, rev] : revisions_) {
        waiting[id] = rev.down_revisions.size();
        if (rev.down_revisions.empty()) ready.insert(id);
    }
    std::vector<std::string> out;
    while (!ready.empty()) {
        std::string id = *ready.begin();
        ready.erase(ready.begin());
        out.push_back(id);
        for (const auto& child : children(id))
            if (--waiting[child] == 0) ready.insert(child);
    }
    return out;
}

std::string ScriptDirectory::above(const std::vector<std::string>& from, int n) const {
    if (from.size() > 1)
        throw MigrationError("the database is at several heads (" + join_ids(from) +
                             "); a relative revision needs one (name a revision instead)");
    std::string at = from.empty() ? "" : from[0];
    for (int step = 0; step < n; ++step) {
        std::vector<std::string> next;
        if (at.empty()) {
            for (const auto& [id, rev] : revisions_)
                if (rev.down_revisions.empty()) next.push_back(id);
        } else {
            next = children(at);
        }
        const std::string here = at.empty() ? std::string("base") : at;
        if (next.empty())
            throw MigrationError("cannot go " + std::to_string(n) + " revisions up from " + join_ids(from.empty() ? std::vector<std::string>{""} : from) +
                                 ": " + here + " is a head");
        if (next.size() > 1)
            throw MigrationError("relative revision is ambiguous at " + here + ": it branches into " + join_ids(next) +
                                 " (name a revision instead)");
        at = next[0];
    }
    return at;
}


// ---------------------------------------------------------------- plans

std::string revision_label(const std::vector<std::string>& heads) {
    return heads.empty() ? std::string("base") : join_ids(heads);
}

std::vector<std::string> heads_of(const ScriptDirectory& scripts, const std::set<std::string>& applied) {
    std::vector<std::string> out;
    for (const auto& id : applied) {
        auto kids = scripts.children(id);
        if (std::none_of(kids.begin(), kids.end(), [&](const std::string& k) { return applied.count(k) > 0; }))
            out.push_back(id);
    }
    return out;
}

std::vector<std::string> heads_from_text(const ScriptDirectory& scripts, const std::string& text) {
    if (text == "heads") return scripts.heads();
    std::string id = scripts.resolve(text);
    return id.empty() ? std::vector<std::string>{} : std::vector<std::string>{id};
}

namespace {

void require_known(const ScriptDirectory& scripts, const std::vector<std::string>& current) {
    for (const auto& id : current)
        if (!scripts.find(id))
            throw MigrationError("the database is at revision " + id + ", which is not in " +
                                 scripts.versions_dir().string() + " (was its file deleted?)");
}

// "+N" / "-N" with a sane N (longer numbers are not relative ids; stoi would throw).
bool is_relative(const std::string& text, char sign) {
    return text.size() > 1 && text.size() <= 7 && text[0] == sign &&
           std::all_of(text.begin() + 1, text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

Plan plan_upgrade(const ScriptDirectory& scripts, const std::vector<std::string>& current, const std::string& target) {
    require_known(scripts, current);
    std::vector<std::string> targets;
    if (is_relative(target, '+')) targets = {scripts.above(current, std::stoi(target.substr(1)))};
    else targets = heads_from_text(scripts, target);
    std::set<std::string> applied = scripts.ancestors(current);
    std::set<std::string> wanted = scripts.ancestors(targets);
    Plan plan{current, {}, true};
    for (const auto& id : scripts.topological_order())
        if (wanted.count(id) && !applied.count(id)) plan.revisions.push_back(&scripts.get(id));
    return plan;
}

// "-N": the N revisions below the single current head, one chain (a merge
// may be the last one undone: its parents become the heads).
Plan relative_downgrade(const ScriptDirectory& scripts, const std::vector<std::string>& current, int n) {
    if (current.size() > 1)
        throw MigrationError("the database is at several heads (" + join_ids(current) +
                             "); a relative revision needs one (name a revision instead)");
    Plan plan{current, {}, false};
    std::string at = current.empty() ? "" : current[0];
    for (int step = 1; step <= n; ++step) {
        if (at.empty())
            throw MigrationError("cannot go " + std::to_string(n) + " revisions down from " + revision_label(current) +
                                 ": base reached after " + std::to_string(step - 1));
        const Revision& rev = scripts.get(at);
        plan.revisions.push_back(&rev);
        if (step == n) break;
        if (rev.is_merge())
            throw MigrationError("relative revision is ambiguous at " + at + ": it merges " +
                                 join_ids(rev.down_revisions) + " (name a revision instead)");
        at = rev.down_revisions.empty() ? "" : rev.down_revisions[0];
    }
    return plan;
}

Plan plan_downgrade(const ScriptDirectory& scripts, const std::vector<std::string>& current, const std::string& target) {
    require_known(scripts, current);
    if (is_relative(target, '-')) return relative_downgrade(scripts, current, std::stoi(target.substr(1)));
    std::string to = scripts.resolve(target);
    std::set<std::string> applied = scripts.ancestors(current);
    if (!to.empty() && !applied.count(to))
        throw MigrationError("cannot downgrade to " + to + ": it is not applied (the database is at " +
                             revision_label(current) + "); use `db upgrade " + to + "` instead");
    std::set<std::string> keep = scripts.ancestors({to});
    Plan plan{current, {}, false};
    auto order = scripts.topological_order();
    for (auto it = order.rbegin(); it != order.rend(); ++it)
        if (applied.count(*it) && !keep.count(*it)) plan.revisions.push_back(&scripts.get(*it));
    return plan;
}

}  // namespace strata::migrate
