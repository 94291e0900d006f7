// src/migrate/revision_file.cpp — parsing and writing revision files with yaml-cpp.
#include "migrate/revision_file.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <system_error>

#include "dialect/backend.hpp"
#include "schema/sql_tokens.hpp"
#include "strata/dialect.hpp"
#include "strata/error.hpp"

namespace strata::migrate {

namespace {

using Fields = std::vector<std::string>;

std::string join(const Fields& items, const std::string& sep = ", ") {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
    return out;
}

// Bytes of the UTF-8 sequence starting at text[i]; 0 when it is not valid
// (stray continuation byte, truncated, overlong, surrogate, past U+10FFFF).
std::size_t utf8_sequence(std::string_view text, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    if (lead < 0x80) return 1;
    std::size_t n = lead >= 0xF0 && lead <= 0xF4 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 && lead < 0xE0 ? 2 : 0;
    if (n == 0 || lead > 0xF4 || i + n > text.size()) return 0;
    for (std::size_t k = 1; k < n; ++k)
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
    const unsigned char second = byte(i + 1);
    if (lead == 0xE0 && second < 0xA0) return 0;   // overlong
    if (lead == 0xED && second > 0x9F) return 0;   // UTF-16 surrogate
    if (lead == 0xF0 && second < 0x90) return 0;   // overlong
    if (lead == 0xF4 && second > 0x8F) return 0;   // past U+10FFFF
    return n;
}

// Why a text of the file cannot be used (names and messages reach SQL and
// terminals), or "" when it can.
std::string text_problem(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        if (text[i] == '\0') return "a NUL byte at byte " + std::to_string(i + 1) + " of the text";
        std::size_t n = utf8_sequence(text, i);
        if (n == 0) return "invalid UTF-8 at byte " + std::to_string(i + 1) + " of the text";
        i += n;
    }
    return "";
}

std::string name_problem(const std::string& name) {
    const Dialect& strictest = strictest_identifier_dialect();
    const std::size_t limit = strictest.max_identifier_length();
    for (char c : name)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            return "the name '" + escape_control(name) + "' holds a control character";
    if (limit && name.size() > limit)
        return "the name '" + name + "' is " + std::to_string(name.size()) + " bytes; " +
               std::string(strictest.name()) + " keeps at most " + std::to_string(limit) +
               " bytes of a name (and cuts the rest silently)";
    return "";
}

std::string location(const std::filesystem::path& path, const YAML::Mark& m) {
    return path.string() + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

// No key twice in a mapping (yaml-cpp would keep the first silently), every
// text valid UTF-8 without NUL bytes, and no alias of a mapping or list (a
// few nested aliases make a tree of billions of nodes to walk). `seen` holds
// where the mappings and lists met so far start: an alias is the same node
// met again.
void check_tree(const YAML::Node& node, const std::filesystem::path& path, std::set<std::size_t>& seen) {
    auto fail = [&](const YAML::Node& at, const std::string& what) {
        throw MigrationError(location(path, at.Mark()) + ": " + what);
    };
    if ((node.IsSequence() || node.IsMap()) && !seen.insert(node.Mark().pos).second)
        fail(node, "an alias of a mapping or list (revision files take no YAML anchors and aliases)");
    if (node.IsScalar()) {
        std::string problem = text_problem(node.Scalar());
        if (!problem.empty()) fail(node, problem);
    } else if (node.IsSequence()) {
        for (const auto& item : node) check_tree(item, path, seen);
    } else if (node.IsMap()) {
        std::map<std::string, int> lines;
        for (auto it = node.begin(); it != node.end(); ++it) {
            check_tree(it->first, path, seen);
            if (it->first.IsScalar()) {
                auto [first, fresh] = lines.emplace(it->first.Scalar(), it->first.Mark().line + 1);
                if (!fresh)
                    fail(it->first, "duplicate key '" + it->first.Scalar() + "' (first at line " +
                                        std::to_string(first->second) + "; a key may appear once in a mapping)");
            }
            check_tree(it->second, path, seen);
        }
    }
}

}  // namespace

YAML::Node load_yaml(const std::string& text, const std::filesystem::path& path) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
        throw MigrationError(location(path, e.mark) + ": invalid YAML: " + e.msg);
    }
    std::set<std::size_t> seen;
    check_tree(root, path, seen);
    return root;
}

namespace {

// Reads one file's YAML tree into a Revision; every complaint carries file:line:column.
class Parser {
public:
    explicit Parser(std::filesystem::path path) : path_(std::move(path)) {}

    Revision parse(const std::string& text) {
        YAML::Node root = load_yaml(text, path_);
        if (!root.IsMap()) error(root, "expected a mapping with revision, down_revision, message, upgrade, downgrade");
        check_fields(root, "revision file", {"revision", "down_revision", "message", "created", "upgrade", "downgrade"});
        Revision rev;
        rev.path = path_;
        rev.id = revision_id(require(root, "revision", "revision file"));
        parse_down_revision(root, rev);
        if (root["message"]) rev.message = scalar(root["message"], "a message (text)");
        if (root["created"]) rev.created = scalar(root["created"], "a timestamp like 2026-11-27T14:00:00Z");
        rev.upgrade = steps(require(root, "upgrade", "revision file"), "upgrade");
        rev.downgrade = steps(require(root, "downgrade", "revision file"), "downgrade");
        return rev;
    }

private:
    std::filesystem::path path_;

    std::string location(const YAML::Mark& m) const {
        return path_.string() + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
    }
    [[noreturn]] void error(const YAML::Node& at, const std::string& what) const {
        throw MigrationError(location(at.Mark()) + ": " + what);
    }

    YAML::Node require(const YAML::Node& map, const std::string& key, const std::string& context) const {
        YAML::Node value = map[key];
        if (!value.IsDefined()) error(map, context + ": missing field '" + key + "'");
        return value;
    }
    void check_fields(const YAML::Node& map, const std::string& context, const Fields& allowed) const {
        if (!map.IsMap()) error(map, context + ": expected a mapping with fields " + join(allowed));
        for (auto it = map.begin(); it != map.end(); ++it) {
            std::string key = it->first.IsScalar() ? it->first.Scalar() : "?";
            if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
                error(it->first, context + ": unknown field '" + key + "' (expected one of " + join(allowed) + ")");
        }
    }
    std::string scalar(const YAML::Node& node, const std::string& expected) const {
        if (!node.IsScalar()) error(node, "expected " + expected);
        return node.Scalar();
    }
    std::string name(const YAML::Node& map, const std::string& key, const std::string& context) const {
        std::string value = scalar(require(map, key, context), "a name for '" + key + "'");
        if (value.empty()) error(map[key], context + ": '" + key + "' must not be empty");
        identifier(map[key], value);
        return value;
    }
    // A name every backend keeps as written (PostgreSQL cuts longer ones silently).
    void identifier(const YAML::Node& node, const std::string& value) const {
        std::string problem = name_problem(value);
        if (!problem.empty()) error(node, problem);
    }
    // An optional true/false field (false when absent).
    bool flag(const YAML::Node& args, const std::string& key) const {
        return args[key] ? boolean(args[key], key) : false;
    }
    bool boolean(const YAML::Node& node, const std::string& key) const {
        bool value = false;
        if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value))
            error(node, "expected true or false for '" + key + "'");
        return value;
    }
    std::vector<std::string> names(const YAML::Node& node, const std::string& key) const {
        std::vector<std::string> out;
        if (node.IsScalar()) {
            identifier(node, node.Scalar());
            return {node.Scalar()};
        }
        if (!node.IsSequence() || node.size() == 0) error(node, "expected a list of column names for '" + key + "'");
        for (const auto& item : node) {
            out.push_back(scalar(item, "a column name in '" + key + "'"));
            identifier(item, out.back());
        }
        return out;
    }
    std::optional<std::string> optional_text(const YAML::Node& map, const std::string& key) const {
        YAML::Node value = map[key];
        if (!value.IsDefined() || value.IsNull()) return std::nullopt;
        return scalar(value, "text for '" + key + "'");
    }
    // An SQL expression: '' in YAML is an empty string, not the SQL literal ''.
    std::optional<std::string> server_default(const YAML::Node& map) const {
        auto text = optional_text(map, "server_default");
        if (text && text->empty())
            error(map["server_default"], "server_default: expected an SQL expression such as \"'text'\", \"''\" or 0 "
                                         "(null for none)");
        if (text) one_expression(map["server_default"], "server_default", *text);
        return text;
    }
    // Text pasted into SQL must be one expression, never a way to add a statement.
    void one_expression(const YAML::Node& node, const std::string& key, const std::string& text) const {
        std::string problem = sqltok::expression_problem(text);
        if (!problem.empty())
            error(node, key + ": '" + text + "' is not one SQL expression: it holds " + problem +
                            " (only the execute op runs SQL statements)");
    }
    // ON DELETE / ON UPDATE: one of SQL's referential actions, spelled in capitals.
    std::string referential_action(const YAML::Node& map, const std::string& key) const {
        auto text = optional_text(map, key);
        if (!text) return "";
        static const Fields actions{"CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION"};
        std::string upper = *text;
        for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        if (std::find(actions.begin(), actions.end(), upper) == actions.end())
            error(map[key],
                  key + ": '" + *text + "' is not a referential action (expected one of " + join(actions) + ")");
        return upper;
    }
    SqlType type(const YAML::Node& node) const {
        std::string text = scalar(node, "a type name (Integer, String(64), …)");
        try {
            return parse_type(text);
        } catch (const Error& e) {
            error(node, e.what());   // parse_type names the text and the known types
        }
    }

    std::string revision_id(const YAML::Node& node) const {
        std::string id = scalar(node, "a revision id (hex digits)");
        bool ok = !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
        });
        if (!ok) error(node, "invalid revision id '" + id + "' (expected letters, digits or '_')");
        if (id.size() > kMaxRevisionIdLength)
            error(node, "revision id '" + id + "' is " + std::to_string(id.size()) + " characters; the most is " +
                            std::to_string(kMaxRevisionIdLength) + " (the version table's column)");
        if (id == "head" || id == "heads" || id == "base")
            error(node, "revision id '" + id + "' is reserved (head, heads and base name positions, not revisions)");
        return id;
    }
    void parse_down_revision(const YAML::Node& root, Revision& rev) const {
        YAML::Node node = require(root, "down_revision", "revision file (null for the first revision)");
        rev.down_revision_line = node.Mark().line + 1;
        rev.down_revision_column = node.Mark().column + 1;
        if (node.IsNull()) return;
        if (node.IsScalar()) {
            rev.down_revisions.push_back(revision_id(node));
            return;
        }
        if (!node.IsSequence() || node.size() == 0)
            error(node, "expected null, a revision id, or a list of revision ids for down_revision");
        for (const auto& item : node) rev.down_revisions.push_back(revision_id(item));
    }

    std::vector<Step> steps(const YAML::Node& list, const std::string& section) const {
        std::vector<Step> out;
        if (list.IsNull()) return out;
        if (!list.IsSequence()) error(list, section + ": expected a list of operations");
        for (const auto& item : list) {
            if (!item.IsMap() || item.size() != 1)
                error(item, section + ": expected an operation, a one-key mapping like '- add_column: {…}' "
                                      "(one of " + join(op_names()) + ")");
            auto entry = item.begin();
            std::string op = entry->first.Scalar();
            Step step{operation(op, entry->first, entry->second), item.Mark().line + 1, item.Mark().column + 1, {}};
            out.push_back(std::move(step));
        }
        return out;
    }

    Operation operation(const std::string& op, const YAML::Node& key, const YAML::Node& args) const {
        if (op == "create_table") return create_table(args);
        if (op == "drop_table") return table_only<DropTable>(args, op);
        if (op == "rename_table") {
            check_fields(args, op, {"table", "new_name"});
            return RenameTable{name(args, "table", op), name(args, "new_name", op)};
        }
        if (op == "add_column") {
            check_fields(args, op, {"table", "column"});
            return AddColumn{name(args, "table", op), column(require(args, "column", op))};
        }
        if (op == "drop_column") {
            check_fields(args, op, {"table", "column"});
            return DropColumn{name(args, "table", op), name(args, "column", op)};
        }
        if (op == "alter_column") return alter_column(args);
        if (op == "alter_table") return alter_table(args);
        if (op == "create_index")
            return CreateIndex{table_of(args, op, {"table", "name", "columns", "unique", "where", "concurrently"}),
                               index(args), flag(args, "concurrently")};
        if (op == "drop_index") {
            check_fields(args, op, {"table", "name", "concurrently"});
            return DropIndex{name(args, "table", op), name(args, "name", op), flag(args, "concurrently")};
        }
        if (op == "create_unique_constraint") return create_unique_constraint(args);
        if (op == "create_check_constraint")
            return CreateCheckConstraint{table_of(args, op, {"table", "name", "sqltext", "not_valid"}), check(args, op),
                                         flag(args, "not_valid")};
        if (op == "create_foreign_key")
            return CreateForeignKey{table_of(args, op, {"table", "name", "columns", "ref_table", "ref_columns", "ondelete", "onupdate",
                                                     "deferrable", "initially_deferred", "not_valid"}),
                                    foreign_key(args, op), flag(args, "not_valid")};
        if (op == "validate_constraint") return named<ValidateConstraint>(args, op);
        if (op == "drop_constraint") return drop_constraint(args);
        if (op == "execute") return execute(args);
        if (op == "backfill") return backfill(args);
        error(key, "unknown operation '" + op + "' (expected one of " + join(op_names()) + ")");
    }

    std::string table_of(const YAML::Node& args, const std::string& op, const Fields& allowed) const {
        check_fields(args, op, allowed);
        return name(args, "table", op);
    }
    template <class Op>
    Op table_only(const YAML::Node& args, const std::string& op) const {
        if (args.IsScalar()) {   // "- drop_table: user"
            identifier(args, args.Scalar());
            return Op{args.Scalar()};
        }
        return Op{table_of(args, op, {"table"})};
    }
    template <class Op>
    Op named(const YAML::Node& args, const std::string& op) const {
        return Op{table_of(args, op, {"table", "name"}), name(args, "name", op)};
    }

    Column column(const YAML::Node& node) const {
        const std::string ctx = "column";
        check_fields(node, ctx,
                     {"name", "type", "nullable", "primary_key", "autoincrement", "server_default", "computed", "comment"});
        Column c;
        c.name = name(node, "name", ctx);
        c.type = type(require(node, "type", ctx + " '" + c.name + "'"));
        if (node["primary_key"]) c.primary_key = boolean(node["primary_key"], "primary_key");
        c.nullable = node["nullable"] ? boolean(node["nullable"], "nullable") : !c.primary_key;
        if (node["autoincrement"]) c.autoincrement = boolean(node["autoincrement"], "autoincrement");
        c.server_default = server_default(node);
        if (node["computed"]) {
            c.computed = scalar(node["computed"], "an SQL expression for 'computed'");
            one_expression(node["computed"], "computed", *c.computed);
        }
        c.comment = optional_text(node, "comment");
        return c;
    }

    Operation create_table(const YAML::Node& args) const {
        const std::string op = "create_table";
        check_fields(args, op,
                     {"table", "columns", "primary_key_name", "unique_constraints", "foreign_keys", "check_constraints", "comment"});
        Table t(name(args, "table", op));
        t.comment = optional_text(args, "comment");
        YAML::Node cols = require(args, "columns", op);
        if (!cols.IsSequence() || cols.size() == 0) error(cols, op + ": expected a list of columns");
        for (const auto& c : cols) t.columns.push_back(column(c));
        if (auto pk = optional_text(args, "primary_key_name")) {
            identifier(args["primary_key_name"], *pk);
            t.primary_key_constraint = *pk;
        }
        else t.primary_key_constraint = "pk_" + t.name();
        for (const auto& n : list(args, "unique_constraints")) t.unique_constraints.push_back(unique(n, "unique_constraints"));
        for (const auto& n : list(args, "foreign_keys")) t.foreign_keys.push_back(foreign_key(n, "foreign_keys"));
        for (const auto& n : list(args, "check_constraints")) t.checks.push_back(check(n, "check_constraints"));
        return CreateTable{std::move(t)};
    }
    std::vector<YAML::Node> list(const YAML::Node& map, const std::string& key) const {
        YAML::Node node = map[key];
        if (!node.IsDefined() || node.IsNull()) return {};
        if (!node.IsSequence()) error(node, "expected a list for '" + key + "'");
        return std::vector<YAML::Node>(node.begin(), node.end());
    }
    Index index(const YAML::Node& args) const {
        const std::string op = "create_index";
        Index ix;
        ix.name = name(args, "name", op);
        YAML::Node keys = require(args, "columns", op);
        if (keys.IsScalar()) keys = YAML::Node(std::vector<std::string>{keys.Scalar()});
        if (!keys.IsSequence() || keys.size() == 0) error(keys, op + ": expected a list of keys for 'columns'");
        for (const auto& key : keys) index_key(key, ix);
        if (args["unique"]) ix.unique = boolean(args["unique"], "unique");
        if (args["where"]) {
            ix.where = scalar(args["where"], "an SQL boolean expression for 'where'");
            one_expression(args["where"], "where", ix.where);
        }
        return ix;
    }
    // A constraint's name may be left out: the database names it, or not (SQLite).
    std::string constraint_name(const YAML::Node& args, const std::string& ctx) const {
        return args["name"] ? name(args, "name", ctx) : std::string();
    }
    // A key: a column name, {column: name, descending: true} or {expression: lower(email), descending: …}.
    void index_key(const YAML::Node& key, Index& ix) const {
        const std::size_t position = ix.columns.size();
        if (key.IsScalar()) {
            identifier(key, key.Scalar());
            ix.columns.push_back(key.Scalar());
            return;
        }
        const std::string ctx = "columns";
        check_fields(key, ctx, {"column", "expression", "descending"});
        if (key["column"].IsDefined() == key["expression"].IsDefined())
            error(key, ctx + ": expected either 'column' or 'expression' in a key");
        if (key["column"]) {
            ix.columns.push_back(name(key, "column", ctx));
        } else {
            std::string text = scalar(key["expression"], "an SQL expression for 'expression'");
            one_expression(key["expression"], "expression", text);
            ix.columns.push_back(text);
            ix.expressions.push_back(position);
        }
        if (key["descending"] && boolean(key["descending"], "descending")) ix.descending.push_back(position);
    }
    // An optional true / false field (false when absent).
    // columns, or using_index (an existing unique index taken over; columns then optional).
    Operation create_unique_constraint(const YAML::Node& args) const {
        const std::string op = "create_unique_constraint";
        CreateUniqueConstraint c{table_of(args, op, {"table", "name", "columns", "using_index"}), {}};
        if (!args["using_index"]) {
            c.constraint = unique(args, op);
            return c;
        }
        c.using_index = name(args, "using_index", op);
        c.constraint.name = constraint_name(args, op);
        if (args["columns"]) c.constraint.columns = names(args["columns"], "columns");
        return c;
    }
    UniqueConstraint unique(const YAML::Node& args, const std::string& ctx) const {
        if (ctx != "create_unique_constraint") check_fields(args, ctx, {"name", "columns"});
        return {constraint_name(args, ctx), names(require(args, "columns", ctx), "columns")};
    }
    // drop_constraint: by name, or an unnamed one by what it does
    // (unique: [columns], foreign_key: {columns, ref_table, …}, check: sqltext).
    Operation drop_constraint(const YAML::Node& args) const {
        const std::string op = "drop_constraint";
        check_fields(args, op, {"table", "name", "unique", "foreign_key", "check"});
        DropConstraint d{name(args, "table", op), {}};
        int given = 0;
        for (const char* key : {"name", "unique", "foreign_key", "check"}) given += args[key] ? 1 : 0;
        if (given != 1)
            error(args, op + ": expected exactly one of 'name', or for an unnamed constraint 'unique', 'foreign_key' or 'check'");
        if (args["name"]) d.name = name(args, "name", op);
        if (args["unique"]) d.unnamed = UniqueConstraint{"", names(args["unique"], "unique")};
        if (args["check"]) {
            std::string sqltext = scalar(args["check"], "an SQL boolean expression for 'check'");
            one_expression(args["check"], "check", sqltext);
            d.unnamed = CheckConstraint{"", sqltext};
        }
        if (args["foreign_key"]) {
            const YAML::Node fk = args["foreign_key"];
            if (!fk.IsMap()) error(fk, op + ": expected 'foreign_key' to be a map (columns, ref_table, ref_columns)");
            if (fk["name"]) error(fk["name"], op + ": an unnamed foreign key has no 'name'; drop a named one by 'name'");
            d.unnamed = foreign_key(fk, op + " foreign_key");
        }
        return d;
    }
    CheckConstraint check(const YAML::Node& args, const std::string& ctx) const {
        if (ctx != "create_check_constraint") check_fields(args, ctx, {"name", "sqltext"});
        YAML::Node node = require(args, "sqltext", ctx);
        std::string sqltext = scalar(node, "an SQL boolean expression for 'sqltext'");
        one_expression(node, "sqltext", sqltext);
        return {constraint_name(args, ctx), sqltext};
    }
    ForeignKey foreign_key(const YAML::Node& args, const std::string& ctx) const {
        if (ctx != "create_foreign_key")
            check_fields(args, ctx, {"name", "columns", "ref_table", "ref_columns", "ondelete", "onupdate", "deferrable",
                                     "initially_deferred"});
        ForeignKey fk;
        fk.name = constraint_name(args, ctx);
        fk.columns = names(require(args, "columns", ctx), "columns");
        fk.ref_table = name(args, "ref_table", ctx);
        fk.ref_columns = names(require(args, "ref_columns", ctx), "ref_columns");
        if (fk.ref_columns.size() != fk.columns.size())
            error(args["ref_columns"], ctx + ": expected as many ref_columns as columns");
        fk.ondelete = referential_action(args, "ondelete");
        fk.onupdate = referential_action(args, "onupdate");
        if (args["deferrable"]) fk.deferrable = boolean(args["deferrable"], "deferrable");
        if (args["initially_deferred"]) fk.initially_deferred = boolean(args["initially_deferred"], "initially_deferred");
        if (fk.initially_deferred && !fk.deferrable)
            error(args["initially_deferred"], ctx + ": initially_deferred needs deferrable: true");
        return fk;
    }
    Operation alter_column(const YAML::Node& args) const {
        const std::string op = "alter_column";
        check_fields(args, op, {"table", "column", "type", "nullable", "server_default", "new_name", "comment"});
        AlterColumn a;
        a.table = name(args, "table", op);
        a.column = name(args, "column", op);
        if (args["type"]) a.type = type(args["type"]);
        if (args["nullable"]) a.nullable = boolean(args["nullable"], "nullable");
        if (args["server_default"]) a.server_default = server_default(args);
        if (args["new_name"]) a.new_name = name(args, "new_name", op);
        if (args["comment"]) a.comment = optional_text(args, "comment");
        if (!a.type && !a.nullable && !a.server_default && !a.new_name && !a.comment)
            error(args, op + ": nothing to change (expected at least one of type, nullable, server_default, new_name, "
                             "comment)");
        return a;
    }
    Operation alter_table(const YAML::Node& args) const {
        const std::string op = "alter_table";
        AlterTable a{table_of(args, op, {"table", "comment"}), {}};
        if (!args["comment"]) error(args, op + ": nothing to change (expected comment)");
        a.comment = optional_text(args, "comment");
        return a;
    }
    Operation execute(const YAML::Node& args) const {
        const std::string op = "execute";
        if (args.IsScalar()) return Execute{args.Scalar(), {}};
        // `sql` for every backend, or one key per backend name.
        Fields fields{"sql", "transaction"}, dialects;
        for (const Backend* b : registered_backends()) dialects.emplace_back(b->name);
        fields.insert(fields.end(), dialects.begin(), dialects.end());
        check_fields(args, op, fields);
        Execute e;
        if (args["transaction"]) e.transaction = boolean(args["transaction"], "transaction");
        e.sql = optional_text(args, "sql");
        for (const auto& dialect : dialects)
            if (auto sql = optional_text(args, dialect)) e.per_dialect[dialect] = *sql;
        if (!e.sql && e.per_dialect.empty())
            error(args, op + ": missing field 'sql' (or '" + backend_names("' / '") + "')");
        return e;
    }
    // {table, set: {column: expression, …}, where: condition, batch_size: N}
    Operation backfill(const YAML::Node& args) const {
        const std::string op = "backfill";
        Backfill b{table_of(args, op, {"table", "set", "where", "batch_size"}), {}, {}};
        YAML::Node set = require(args, "set", op);
        if (!set.IsMap() || set.size() == 0)
            error(set, op + ": expected a mapping of columns to SQL expressions for 'set' ({column: expression})");
        for (auto it = set.begin(); it != set.end(); ++it) {
            const std::string column = scalar(it->first, "a column name in 'set'");
            identifier(it->first, column);
            const std::string expression = scalar(it->second, "an SQL expression for column '" + column + "'");
            if (expression.empty()) error(it->second, op + ": the expression for column '" + column + "' is empty");
            one_expression(it->second, "set " + column, expression);
            b.set.emplace_back(column, expression);
        }
        if (auto where = optional_text(args, "where")) {
            one_expression(args["where"], "where", *where);
            b.where = *where;
        }
        if (args["batch_size"]) {
            const YAML::Node n = args["batch_size"];
            std::int64_t size = 0;
            if (!n.IsScalar() || !YAML::convert<std::int64_t>::decode(n, size) || size < 1 || size > kMaxBatchSize)
                error(n, op + ": batch_size: expected a whole number of rows from 1 to " + std::to_string(kMaxBatchSize));
            b.batch_size = size;
        }
        return b;
    }
    static constexpr std::int64_t kMaxBatchSize = 10'000'000;
};

// ---------------------------------------------------------------- writing

void emit_names(YAML::Emitter& out, const std::vector<std::string>& names) {
    out << YAML::Flow << YAML::BeginSeq;
    for (const auto& n : names) out << n;
    out << YAML::EndSeq;
}

void emit_column(YAML::Emitter& out, const Column& c) {
    out << YAML::Flow << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << c.name;
    out << YAML::Key << "type" << YAML::Value << c.type.to_string();
    out << YAML::Key << "nullable" << YAML::Value << c.nullable;
    if (c.primary_key) out << YAML::Key << "primary_key" << YAML::Value << true;
    // Only an integer primary key can be assigned by the database.
    if (c.autoincrement && c.primary_key && c.type.is_integer())
        out << YAML::Key << "autoincrement" << YAML::Value << true;
    if (c.server_default) out << YAML::Key << "server_default" << YAML::Value << *c.server_default;
    if (c.computed) out << YAML::Key << "computed" << YAML::Value << *c.computed;
    if (c.comment) out << YAML::Key << "comment" << YAML::Value << *c.comment;
    out << YAML::EndMap;
}

void emit_fk_fields(YAML::Emitter& out, const ForeignKey& fk) {
    if (!fk.name.empty()) out << YAML::Key << "name" << YAML::Value << fk.name;
    out << YAML::Key << "columns" << YAML::Value;
    emit_names(out, fk.columns);
    out << YAML::Key << "ref_table" << YAML::Value << fk.ref_table;
    out << YAML::Key << "ref_columns" << YAML::Value;
    emit_names(out, fk.ref_columns);
    if (!fk.ondelete.empty()) out << YAML::Key << "ondelete" << YAML::Value << fk.ondelete;
    if (!fk.onupdate.empty()) out << YAML::Key << "onupdate" << YAML::Value << fk.onupdate;
    if (fk.deferrable) out << YAML::Key << "deferrable" << YAML::Value << true;
    if (fk.initially_deferred) out << YAML::Key << "initially_deferred" << YAML::Value << true;
}

// An empty name (a constraint the database left unnamed) is left out.
void emit_named_columns(YAML::Emitter& out, const std::string& name, const std::vector<std::string>& columns) {
    if (!name.empty()) out << YAML::Key << "name" << YAML::Value << name;
    out << YAML::Key << "columns" << YAML::Value;
    emit_names(out, columns);
}

struct OpEmitter {
    YAML::Emitter& out;

    void table(const std::string& t) { out << YAML::Key << "table" << YAML::Value << t; }

    void operator()(const CreateTable& op) {
        const Table& t = op.table;
        table(t.name());
        out << YAML::Key << "columns" << YAML::Value << YAML::BeginSeq;
        for (const auto& c : t.columns) emit_column(out, c);
        out << YAML::EndSeq;
        if (!t.primary_key_columns().empty())
            out << YAML::Key << "primary_key_name" << YAML::Value << t.primary_key_constraint;
        if (!t.unique_constraints.empty()) {
            out << YAML::Key << "unique_constraints" << YAML::Value << YAML::BeginSeq;
            for (const auto& uq : t.unique_constraints) {
                out << YAML::Flow << YAML::BeginMap;
                emit_named_columns(out, uq.name, uq.columns);
                out << YAML::EndMap;
            }
            out << YAML::EndSeq;
        }
        if (!t.foreign_keys.empty()) {
            out << YAML::Key << "foreign_keys" << YAML::Value << YAML::BeginSeq;
            for (const auto& fk : t.foreign_keys) {
                out << YAML::Flow << YAML::BeginMap;
                emit_fk_fields(out, fk);
                out << YAML::EndMap;
            }
            out << YAML::EndSeq;
        }
        if (!t.checks.empty()) {
            out << YAML::Key << "check_constraints" << YAML::Value << YAML::BeginSeq;
            for (const auto& ck : t.checks)
            {
                out << YAML::BeginMap;
                if (!ck.name.empty()) out << YAML::Key << "name" << YAML::Value << ck.name;
                out << YAML::Key << "sqltext" << YAML::Value << ck.sqltext << YAML::EndMap;
            }
            out << YAML::EndSeq;
        }
        if (t.comment) out << YAML::Key << "comment" << YAML::Value << *t.comment;
    }
    void operator()(const DropTable& op) { table(op.table); }
    void operator()(const RenameTable& op) {
        table(op.table);
        out << YAML::Key << "new_name" << YAML::Value << op.new_name;
    }
    void operator()(const AddColumn& op) {
        table(op.table);
        out << YAML::Key << "column" << YAML::Value;
        emit_column(out, op.column);
    }
    void operator()(const DropColumn& op) {
        table(op.table);
        out << YAML::Key << "column" << YAML::Value << op.column;
    }
    void operator()(const AlterColumn& op) {
        table(op.table);
        out << YAML::Key << "column" << YAML::Value << op.column;
        if (op.type) out << YAML::Key << "type" << YAML::Value << op.type->to_string();
        if (op.nullable) out << YAML::Key << "nullable" << YAML::Value << *op.nullable;
        if (op.server_default) {
            out << YAML::Key << "server_default" << YAML::Value;
            if (*op.server_default) out << **op.server_default;
            else out << YAML::Null;
        }
        if (op.new_name) out << YAML::Key << "new_name" << YAML::Value << *op.new_name;
        if (op.comment) emit_optional("comment", *op.comment);
    }
    void operator()(const AlterTable& op) {
        table(op.table);
        if (op.comment) emit_optional("comment", *op.comment);
    }
    void emit_optional(const char* key, const std::optional<std::string>& text) {
        out << YAML::Key << key << YAML::Value;
        if (text) out << *text;
        else out << YAML::Null;
    }
    void operator()(const CreateIndex& op) {
        table(op.table);
        const Index& ix = op.index;
        out << YAML::Key << "name" << YAML::Value << ix.name << YAML::Key << "columns" << YAML::Value;
        out << YAML::Flow << YAML::BeginSeq;
        for (std::size_t i = 0; i < ix.columns.size(); ++i) {
            if (!ix.is_expression(i) && !ix.is_descending(i)) {
                out << ix.columns[i];
                continue;
            }
            out << YAML::BeginMap << YAML::Key << (ix.is_expression(i) ? "expression" : "column") << YAML::Value
                << ix.columns[i];
            if (ix.is_descending(i)) out << YAML::Key << "descending" << YAML::Value << true;
            out << YAML::EndMap;
        }
        out << YAML::EndSeq;
        if (ix.unique) out << YAML::Key << "unique" << YAML::Value << true;
        if (!ix.where.empty()) out << YAML::Key << "where" << YAML::Value << ix.where;
        if (op.concurrently) out << YAML::Key << "concurrently" << YAML::Value << true;
    }
    void operator()(const DropIndex& op) {
        table(op.table);
        out << YAML::Key << "name" << YAML::Value << op.name;
        if (op.concurrently) out << YAML::Key << "concurrently" << YAML::Value << true;
    }
    void operator()(const CreateUniqueConstraint& op) {
        table(op.table);
        if (op.using_index.empty()) {
            emit_named_columns(out, op.constraint.name, op.constraint.columns);
            return;
        }
        if (!op.constraint.name.empty()) out << YAML::Key << "name" << YAML::Value << op.constraint.name;
        if (!op.constraint.columns.empty()) {
            out << YAML::Key << "columns" << YAML::Value;
            emit_names(out, op.constraint.columns);
        }
        out << YAML::Key << "using_index" << YAML::Value << op.using_index;
    }
    void not_valid(bool on) {
        if (on) out << YAML::Key << "not_valid" << YAML::Value << true;
    }
    void operator()(const CreateCheckConstraint& op) {
        table(op.table);
        if (!op.constraint.name.empty()) out << YAML::Key << "name" << YAML::Value << op.constraint.name;
        out << YAML::Key << "sqltext" << YAML::Value << op.constraint.sqltext;
        not_valid(op.not_valid);
    }
    void operator()(const CreateForeignKey& op) {
        table(op.table);
        emit_fk_fields(out, op.constraint);
        not_valid(op.not_valid);
    }
    void operator()(const ValidateConstraint& op) {
        table(op.table);
        out << YAML::Key << "name" << YAML::Value << op.name;
    }
    void operator()(const DropConstraint& op) {
        table(op.table);
        if (!op.name.empty()) {
            out << YAML::Key << "name" << YAML::Value << op.name;
            return;
        }
        if (auto* uq = std::get_if<UniqueConstraint>(&op.unnamed)) {
            out << YAML::Key << "unique" << YAML::Value;
            emit_names(out, uq->columns);
        } else if (auto* fk = std::get_if<ForeignKey>(&op.unnamed)) {
            out << YAML::Key << "foreign_key" << YAML::Value << YAML::Flow << YAML::BeginMap;
            emit_fk_fields(out, *fk);
            out << YAML::EndMap;
        } else if (auto* ck = std::get_if<CheckConstraint>(&op.unnamed)) {
            out << YAML::Key << "check" << YAML::Value << ck->sqltext;
        }
    }
    void operator()(const Backfill& op) {
        table(op.table);
        out << YAML::Key << "set" << YAML::Value << YAML::BeginMap;
        for (const auto& [column, expression] : op.set) out << YAML::Key << column << YAML::Value << expression;
        out << YAML::EndMap;
        if (!op.where.empty()) out << YAML::Key << "where" << YAML::Value << op.where;
        if (op.batch_size != Backfill{}.batch_size) out << YAML::Key << "batch_size" << YAML::Value << op.batch_size;
    }
    void operator()(const Execute& op) {
        if (op.sql) out << YAML::Key << "sql" << YAML::Value << *op.sql;
        for (const auto& [dialect, sql] : op.per_dialect) out << YAML::Key << dialect << YAML::Value << sql;
        if (!op.transaction) out << YAML::Key << "transaction" << YAML::Value << false;
    }
};

void emit_steps(YAML::Emitter& out, const std::vector<Step>& steps) {
    if (steps.empty()) {
        out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        return;
    }
    out << YAML::BeginSeq;
    for (const auto& step : steps) {
        // One Comment: yaml-cpp puts two in a row on the same line.
        std::string comment = step.comment;
        if (!step.detail.empty()) comment += (comment.empty() ? "" : "\n") + describe(step);
        if (!comment.empty()) out << YAML::Comment(comment);
        out << YAML::BeginMap << YAML::Key << op_name(step.op) << YAML::Value << YAML::BeginMap;
        std::visit(OpEmitter{out}, step.op);
        out << YAML::EndMap << YAML::EndMap;
    }
    out << YAML::EndSeq;
}

}  // namespace

std::string identifier_problem(const std::string& name) { return name_problem(name); }

std::string Revision::down_revision_location() const {
    return path.string() + ":" + std::to_string(down_revision_line) + ":" + std::to_string(down_revision_column);
}

Revision parse_revision(const std::string& text, const std::filesystem::path& path) {
    return Parser(path).parse(text);
}

std::string read_small_file(const std::filesystem::path& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) throw MigrationError(path.string() + ": cannot read: " + ec.message());
    if (size > kMaxFileBytes)
        throw MigrationError(path.string() + ": the file is " + std::to_string(size) + " bytes; a migration file may be at "
                             "most " + std::to_string(kMaxFileBytes) + " bytes (1 MiB) (load bulk data another way)");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw MigrationError(path.string() + ": cannot read");
    std::string text(size, '\0');
    in.read(text.data(), static_cast<std::streamsize>(size));
    text.resize(static_cast<std::size_t>(in.gcount()));
    return text;
}

Revision read_revision_file(const std::filesystem::path& path) {
    return parse_revision(read_small_file(path), path);
}

std::string format_revision(const Revision& rev) {
    YAML::Emitter out;
    out.SetNullFormat(YAML::LowerNull);   // `down_revision: null`, as people write it
    out << YAML::BeginMap;
    out << YAML::Key << "revision" << YAML::Value << rev.id;
    out << YAML::Key << "down_revision" << YAML::Value;
    if (rev.down_revisions.empty()) out << YAML::Null;
    else if (rev.down_revisions.size() == 1) out << rev.down_revisions[0];
    else emit_names(out, rev.down_revisions);
    out << YAML::Key << "message" << YAML::Value << rev.message;
    out << YAML::Key << "created" << YAML::Value << rev.created;
    out << YAML::Key << "upgrade" << YAML::Value;
    emit_steps(out, rev.upgrade);
    out << YAML::Key << "downgrade" << YAML::Value;
    emit_steps(out, rev.downgrade);
    out << YAML::EndMap;
    if (!out.good()) throw MigrationError("cannot write revision " + rev.id + ": " + out.GetLastError());
    return std::string(out.c_str()) + "\n";
}

std::filesystem::path write_revision_file(const std::filesystem::path& versions_dir, Revision& rev) {
    std::filesystem::create_directories(versions_dir);
    std::string slug = slugify(rev.message);
    rev.path = versions_dir / (rev.id + (slug.empty() ? "" : "_" + slug) + ".yaml");
    write_file_atomically(rev.path, format_revision(rev));
    return rev.path;
}

namespace {

// While it lives, a write past the file size limit (ulimit -f) fails with
// EFBIG instead of killing the process with SIGXFSZ, so the partial file can
// be removed and the error reported.
class FileSizeSignalIgnored {
public:
    FileSizeSignalIgnored() {
        struct sigaction ignore {};
        ignore.sa_handler = SIG_IGN;
        sigemptyset(&ignore.sa_mask);
        sigaction(SIGXFSZ, &ignore, &saved_);
    }
    ~FileSizeSignalIgnored() { sigaction(SIGXFSZ, &saved_, nullptr); }
    FileSizeSignalIgnored(const FileSizeSignalIgnored&) = delete;
    FileSizeSignalIgnored& operator=(const FileSizeSignalIgnored&) = delete;

private:
    struct sigaction saved_ {};
};

void write_all(int fd, const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw std::system_error(n < 0 ? errno : EIO, std::generic_category());
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) throw std::system_error(errno, std::generic_category());
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, const std::string& text) {
    const std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
    std::string temp = (dir / ("." + path.filename().string() + ".XXXXXX")).string();
    FileSizeSignalIgnored guard;
    int fd = ::mkstemp(temp.data());
    if (fd < 0) throw MigrationError(path.string() + ": cannot write: " + std::strerror(errno));
    try {
        write_all(fd, text);
        if (::close(fd) != 0) {
            fd = -1;
            throw std::system_error(errno, std::generic_category());
        }
        fd = -1;
        if (::rename(temp.c_str(), path.c_str()) != 0) throw std::system_error(errno, std::generic_category());
    } catch (const std::system_error& e) {
        if (fd >= 0) ::close(fd);
        ::unlink(temp.c_str());
        throw MigrationError(path.string() + ": cannot write: " + e.code().message() + " (nothing was written)");
    }
    // The new name is durable once the folder is synced too.
    int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (dir_fd >= 0) {
        ::fsync(dir_fd);
        ::close(dir_fd);
    }
}

std::string escape_control(std::string_view text) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    out.reserve(text.size());
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        if (c == '\n') out += "\\n";
        else if (c == '\t') out += "\\t";
        else if (c == '\r') out += "\\r";
        else if (c < 0x20 || c == 0x7f) out += std::string("\\x") + hex[c >> 4] + hex[c & 0xf];
        else out += ch;
    }
    return out;
}

std::string slugify(const std::string& message) {
    std::string slug;
    for (char ch : message) {
        auto c = static_cast<unsigned char>(ch);
        if (std::isalnum(c)) slug += static_cast<char>(std::tolower(c));
        else if (!slug.empty() && slug.back() != '_') slug += '_';
        if (slug.size() >= 40) break;
    }
    while (!slug.empty() && slug.back() == '_') slug.pop_back();
    return slug;
}

std::string new_revision_id() {
    static thread_local std::mt19937_64 gen{std::random_device{}()};
    static const char* digits = "0123456789abcdef";
    std::string id;
    std::uint64_t bits = gen();
    for (int i = 0; i < 12; ++i, bits >>= 4) id += digits[bits & 0xf];
    return id;
}

std::string utc_timestamp() {
    auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    auto day = std::chrono::floor<std::chrono::days>(now);
    std::chrono::year_month_day ymd{day};
    std::chrono::hh_mm_ss hms{now - day};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    return buf;
}

}  // namespace strata::migrate
