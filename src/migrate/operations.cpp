// src/migrate/operations.cpp — rendering, applying and inverting migration ops.
#include "migrate/operations.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

#include "migrate/backend_rules.hpp"
#include "migrate/backfill.hpp"
#include "migrate/constraint_match.hpp"
#include "strata/error.hpp"

namespace strata::migrate {

namespace {

bool is_text(TypeKind k) { return k == TypeKind::String || k == TypeKind::Text; }

template <class... Fs>
struct overloaded : Fs... {
    using Fs::operator()...;
};
template <class... Fs>
overloaded(Fs...) -> overloaded<Fs...>;

bool contains(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

// `sql` with the identifier `from` (bare or double-quoted, outside string
// literals) renamed to "to" — quoted, as SQLite writes it after RENAME COLUMN.
std::string rename_identifier(const std::string& sql, const std::string& from, const std::string& to) {
    auto is_ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    const std::string quoted_to = "\"" + to + "\"";
    std::string out;
    for (std::size_t i = 0; i < sql.size();) {
        char c = sql[i];
        if (c == '\'' || c == '"') {
            std::size_t end = sql.find(c, i + 1);
            if (end == std::string::npos) end = sql.size() - 1;
            std::string token = sql.substr(i, end - i + 1);
            out += (c == '"' && token == "\"" + from + "\"") ? quoted_to : token;
            i = end + 1;
        } else if (is_ident(c)) {
            std::size_t end = i;
            while (end < sql.size() && is_ident(sql[end])) ++end;
            std::string word = sql.substr(i, end - i);
            out += word == from ? quoted_to : word;
            i = end;
        } else {
            out += c;
            ++i;
        }
    }
    return out;
}

[[noreturn]] void fail(const std::string& op, const std::string& what) {
    throw MigrationError(op + ": " + what);
}

Table& require_table(MetaData& schema, const std::string& name, const std::string& op) {
    Table* t = schema.find(name);
    if (!t) fail(op, "table '" + name + "' does not exist");
    return *t;
}

const Table& require_table(const MetaData& schema, const std::string& name, const std::string& op) {
    const Table* t = schema.find(name);
    if (!t) fail(op, "table '" + name + "' does not exist");
    return *t;
}

Column& require_column(Table& table, const std::string& name, const std::string& op) {
    Column* c = table.find_column(name);
    if (!c) fail(op, "table '" + table.name() + "' has no column '" + name + "'");
    return *c;
}

template <class T>
auto find_named(std::vector<T>& items, const std::string& name) {
    return std::find_if(items.begin(), items.end(), [&](const T& item) { return item.name == name; });
}

// The constraint a drop_constraint without a name means: one doing the
// same, unnamed if there is one (SQLite), else under the server's name.
template <class Items, class T>
auto find_unnamed(Items& items, const T& like) {
    auto it = std::find_if(items.begin(), items.end(), [&](const T& i) { return i.name.empty() && same_effect(i, like); });
    if (it != items.end()) return it;
    return std::find_if(items.begin(), items.end(), [&](const T& i) { return same_effect(i, like); });
}

template <class T>
bool has_named(const std::vector<T>& items, const std::string& name) {
    return std::any_of(items.begin(), items.end(), [&](const T& item) { return item.name == name; });
}

bool table_has_constraint(const Table& t, const std::string& name) {
    return has_named(t.indexes, name) || has_named(t.unique_constraints, name) || has_named(t.foreign_keys, name) ||
           has_named(t.checks, name);
}

// Index names share one namespace per schema on both backends.
bool schema_has_index(const MetaData& schema, const std::string& name) {
    for (const auto& t : schema.tables())
        if (has_named(t->indexes, name)) return true;
    return false;
}

void require_new_constraint(const Table& table, const std::string& name, const std::string& op) {
    // An unnamed one is allowed: the database names it (PostgreSQL) or not (SQLite).
    if (!name.empty() && table_has_constraint(table, name)) fail(op, "table '" + table.name() + "' already has '" + name + "'");
}

void rename_in(std::vector<std::string>& columns, const std::string& from, const std::string& to) {
    std::replace(columns.begin(), columns.end(), from, to);
}

// The index after a column rename: keys and SQL text follow the new name.
void rename_in(Index& ix, const std::string& from, const std::string& to) {
    for (std::size_t i = 0; i < ix.columns.size(); ++i) {
        if (!ix.is_expression(i) && ix.columns[i] == from) ix.columns[i] = to;
        else if (ix.is_expression(i) && mentions_identifier(ix.columns[i], from))
            ix.columns[i] = rename_identifier(ix.columns[i], from, to);
    }
    if (mentions_identifier(ix.where, from)) ix.where = rename_identifier(ix.where, from, to);
}

// Removes indexes and constraints that use a column (what DROP COLUMN does to
// them on PostgreSQL, and what a SQLite rebuild must leave out).
void drop_dependents(Table& t, const std::string& column) {
    auto uses = [&](const auto& item) { return contains(item.columns, column); };
    std::erase_if(t.indexes, [&](const Index& ix) { return index_uses(ix, column); });
    std::erase_if(t.unique_constraints, uses);
    std::erase_if(t.foreign_keys, uses);
    std::erase_if(t.checks, [&](const CheckConstraint& ck) { return mentions_identifier(ck.sqltext, column); });
}

// Only a foreign key or CHECK can be added not valid, so only those are validated.
void require_validatable(const Table& t, const std::string& name) {
    if (has_named(t.foreign_keys, name) || has_named(t.checks, name)) return;
    fail("validate_constraint", "table '" + t.name() + "' has no foreign key or CHECK constraint '" + name +
                                    "' (only those can be added not_valid and validated)");
}

// ---------------------------------------------------------------- apply

// Index names share one namespace per schema; an index of this table by name.
const Index* table_index(const Table& t, const std::string& name) {
    auto it = std::find_if(t.indexes.begin(), t.indexes.end(), [&](const Index& ix) { return ix.name == name; });
    return it == t.indexes.end() ? nullptr : &*it;
}

}  // namespace

UniqueConstraint unique_constraint_of(const CreateUniqueConstraint& op, const Table& table) {
    if (op.using_index.empty()) return op.constraint;
    const std::string what = "create_unique_constraint";
    const Index* ix = table_index(table, op.using_index);
    if (!ix) fail(what, "table '" + table.name() + "' has no index '" + op.using_index + "' (using_index)");
    if (!ix->unique) fail(what, "index '" + op.using_index + "' is not unique (create it with unique: true)");
    if (!ix->expressions.empty() || !ix->descending.empty() || !ix->where.empty())
        fail(what, "index '" + op.using_index + "' has an expression, a descending key or a where: a unique "
                   "constraint can take over only an index of plain ascending columns");
    if (!op.constraint.columns.empty() && op.constraint.columns != ix->columns)
        fail(what, "columns do not match those of index '" + op.using_index + "'");
    return {op.constraint.name.empty() ? op.using_index : op.constraint.name, ix->columns};
}

namespace {

struct Applier {
    MetaData& schema;

    void operator()(const CreateTable& op) {
        if (schema.find(op.table.name())) fail("create_table", "table '" + op.table.name() + "' already exists");
        schema.table(op.table.name()) = op.table;
    }
    void operator()(const DropTable& op) {
        require_table(schema, op.table, "drop_table");
        schema.remove(op.table);
    }
    void operator()(const RenameTable& op) {
        Table& old = require_table(schema, op.table, "rename_table");
        if (schema.find(op.new_name)) fail("rename_table", "table '" + op.new_name + "' already exists");
        Table renamed = copy_table(old, op.new_name);
        schema.remove(op.table);
        schema.table(op.new_name) = renamed;
        for (const auto& t : schema.tables())
            for (auto& fk : t->foreign_keys)
                if (fk.ref_table == op.table) fk.ref_table = op.new_name;
    }
    void operator()(const AddColumn& op) {
        Table& t = require_table(schema, op.table, "add_column");
        if (t.find_column(op.column.name))
            fail("add_column", "table '" + op.table + "' already has a column '" + op.column.name + "'");
        t.columns.push_back(op.column);
    }
    void operator()(const DropColumn& op) {
        Table& t = require_table(schema, op.table, "drop_column");
        require_column(t, op.column, "drop_column");
        std::erase_if(t.columns, [&](const Column& c) { return c.name == op.column; });
        drop_dependents(t, op.column);
    }
    void operator()(const AlterColumn& op) {
        Table& t = require_table(schema, op.table, "alter_column");
        Column& c = require_column(t, op.column, "alter_column");
        if (op.type) c.type = *op.type;
        if (op.nullable) c.nullable = *op.nullable;
        if (op.server_default) c.server_default = *op.server_default;
        if (op.comment) c.comment = *op.comment;
        if (op.new_name && *op.new_name != op.column) rename_column(t, op.column, *op.new_name);
    }
    void operator()(const AlterTable& op) {
        Table& t = require_table(schema, op.table, "alter_table");
        if (op.comment) t.comment = *op.comment;
    }
    void rename_column(Table& t, const std::string& from, const std::string& to) {
        if (t.find_column(to)) fail("alter_column", "table '" + t.name() + "' already has a column '" + to + "'");
        t.find_column(from)->name = to;
        for (auto& ix : t.indexes) rename_in(ix, from, to);
        for (auto& uq : t.unique_constraints) rename_in(uq.columns, from, to);
        for (auto& fk : t.foreign_keys) rename_in(fk.columns, from, to);
        for (auto& ck : t.checks)
            if (mentions_identifier(ck.sqltext, from)) ck.sqltext = rename_identifier(ck.sqltext, from, to);
        for (const auto& other : schema.tables())
            for (auto& fk : other->foreign_keys)
                if (fk.ref_table == t.name()) rename_in(fk.ref_columns, from, to);
    }
    void require_columns(Table& t, const std::vector<std::string>& columns, const std::string& op) {
        if (columns.empty()) fail(op, "no columns given");
        for (const auto& c : columns) require_column(t, c, op);
    }
    void operator()(const CreateIndex& op) {
        Table& t = require_table(schema, op.table, "create_index");
        if (op.index.columns.empty()) fail("create_index", "no columns given");
        for (std::size_t i = 0; i < op.index.columns.size(); ++i)
            if (!op.index.is_expression(i)) require_column(t, op.index.columns[i], "create_index");
        if (op.index.name.empty()) fail("create_index", "an index needs a name");
        if (schema_has_index(schema, op.index.name)) fail("create_index", "index '" + op.index.name + "' already exists");
        t.indexes.push_back(op.index);
    }
    void operator()(const DropIndex& op) {
        Table& t = require_table(schema, op.table, "drop_index");
        auto it = find_named(t.indexes, op.name);
        if (it == t.indexes.end()) fail("drop_index", "table '" + op.table + "' has no index '" + op.name + "'");
        t.indexes.erase(it);
    }
    void operator()(const CreateUniqueConstraint& op) {
        Table& t = require_table(schema, op.table, "create_unique_constraint");
        UniqueConstraint uq = unique_constraint_of(op, t);
        require_columns(t, uq.columns, "create_unique_constraint");
        if (uq.name != op.using_index) require_new_constraint(t, uq.name, "create_unique_constraint");
        if (!op.using_index.empty()) t.indexes.erase(find_named(t.indexes, op.using_index));   // the constraint's now
        t.unique_constraints.push_back(std::move(uq));
    }
    void operator()(const ValidateConstraint& op) {
        require_validatable(require_table(schema, op.table, "validate_constraint"), op.name);
    }
    void operator()(const CreateCheckConstraint& op) {
        Table& t = require_table(schema, op.table, "create_check_constraint");
        require_new_constraint(t, op.constraint.name, "create_check_constraint");
        t.checks.push_back(op.constraint);
    }
    void operator()(const CreateForeignKey& op) {
        Table& t = require_table(schema, op.table, "create_foreign_key");
        require_columns(t, op.constraint.columns, "create_foreign_key");
        require_new_constraint(t, op.constraint.name, "create_foreign_key");
        if (op.constraint.ref_columns.size() != op.constraint.columns.size())
            fail("create_foreign_key", "columns and ref_columns differ in length");
        t.foreign_keys.push_back(op.constraint);
    }
    void operator()(const DropConstraint& op) {
        Table& t = require_table(schema, op.table, "drop_constraint");
        if (!op.name.empty()) {
            if (erase_named(t.unique_constraints, op.name) || erase_named(t.foreign_keys, op.name) ||
                erase_named(t.checks, op.name))
                return;
            fail("drop_constraint", "table '" + op.table + "' has no constraint '" + op.name + "'");
        }
        std::visit(overloaded{[&](std::monostate) { fail("drop_constraint", "neither a name nor the constraint to drop"); },
                              [&](const UniqueConstraint& uq) { erase_unnamed(t.unique_constraints, uq, op.table); },
                              [&](const ForeignKey& fk) { erase_unnamed(t.foreign_keys, fk, op.table); },
                              [&](const CheckConstraint& ck) { erase_unnamed(t.checks, ck, op.table); }},
                   op.unnamed);
    }
    template <class T>
    static void erase_unnamed(std::vector<T>& items, const T& like, const std::string& table) {
        auto it = find_unnamed(items, like);
        if (it == items.end())
            fail("drop_constraint", "table '" + table + "' has no unnamed constraint " + describe_constraint(like));
        items.erase(it);
    }
    template <class T>
    static bool erase_named(std::vector<T>& items, const std::string& name) {
        auto it = find_named(items, name);
        if (it == items.end()) return false;
        items.erase(it);
        return true;
    }
    void operator()(const Execute&) {}   // opaque to the schema
    void operator()(const Backfill& op) { backfill_key(op, require_table(schema, op.table, "backfill")); }
};

// ---------------------------------------------------------------- render

std::string alter_table(const Dialect& d, const std::string& table) { return "ALTER TABLE " + d.quote(table) + " "; }

void append(std::vector<std::string>& out, const std::vector<std::string>& more) {
    out.insert(out.end(), more.begin(), more.end());
}

// SQLite's way to change what ALTER TABLE cannot: build the new table under a
// temporary name, copy the rows, drop the old table, rename, recreate indexes.
// `sources` maps each copied column of `after` to its column in `before`.
// Foreign key enforcement is off for the run (set by the runner, outside the
// transaction) and PRAGMA foreign_key_check runs after each revision.
std::string rebuild_table_name(const std::string& table) { return "_strata_tmp_" + table; }

std::vector<std::string> batch_rebuild(const Dialect& d, const Table& before, const Table& after,
                                       const std::map<std::string, std::string>& sources) {
    const std::string tmp = rebuild_table_name(after.name());
    std::vector<std::string> out;
    std::vector<std::string> create = d.create_table(after);
    if (create.empty()) throw MigrationError("batch rebuild of '" + after.name() + "': dialect rendered no CREATE TABLE");
    const std::string quoted = d.quote(after.name());
    std::size_t at = create[0].find(quoted);
    if (at == std::string::npos) throw MigrationError("batch rebuild of '" + after.name() + "': unexpected CREATE TABLE");
    create[0].replace(at, quoted.size(), d.quote(tmp));
    append(out, create);

    std::vector<std::string> targets, from;
    for (const auto& c : after.columns) {
        auto source = sources.find(c.name);
        if (source == sources.end() || c.computed) continue;   // a new or computed column: the database fills it
        targets.push_back(c.name);
        from.push_back(source->second);
    }
    if (!targets.empty())
        out.push_back("INSERT INTO " + d.quote(tmp) + " (" + d.quoted_list(targets) + ") SELECT " +
                      d.quoted_list(from) + " FROM " + d.quote(before.name()));
    out.push_back("DROP TABLE " + d.quote(before.name()));
    out.push_back(alter_table(d, tmp) + "RENAME TO " + quoted);
    append(out, d.create_indexes(after));
    return out;
}

// Where each column's rows come from, followed through the ops of a rebuild:
// an added column has no source (a dropped-then-added one neither), a renamed
// one keeps its origin.
void track_sources(const Operation& op, std::map<std::string, std::optional<std::string>>& sources) {
    if (auto* add = std::get_if<AddColumn>(&op)) sources[add->column.name] = std::nullopt;
    if (auto* drop = std::get_if<DropColumn>(&op)) sources.erase(drop->column);
    if (auto* alter = std::get_if<AlterColumn>(&op); alter && alter->new_name && *alter->new_name != alter->column) {
        auto origin = sources[alter->column];
        sources.erase(alter->column);
        sources[*alter->new_name] = origin;
    }
}

Table after_op(const Operation& op, const MetaData& before, const std::string& table) {
    MetaData copy = before;
    migrate::apply(op, copy);
    return copy_table(require_table(std::as_const(copy), table, op_name(op)), table);
}

struct Renderer {
    const Dialect& d;
    const MetaData& before;

    const Table& table(const std::string& name, const Operation& op) const {
        return require_table(before, name, op_name(op));
    }

    std::vector<std::string> operator()(const CreateTable& op) const {
        std::vector<std::string> out = d.create_types(op.table);
        append(out, d.create_table(op.table));
        return out;
    }
    std::vector<std::string> operator()(const DropTable& op) const {
        const Table& t = table(op.table, op);
        std::vector<std::string> out = d.drop_table(t);
        append(out, d.drop_types(t));
        return out;
    }
    std::vector<std::string> operator()(const RenameTable& op) const {
        table(op.table, op);
        return {alter_table(d, op.table) + "RENAME TO " + d.quote(op.new_name)};
    }
    std::vector<std::string> operator()(const AddColumn& op) const {
        const Table& t = table(op.table, op);
        std::vector<std::string> out = d.create_types(single_column_table(t, op.column));
        out.push_back(alter_table(d, op.table) + "ADD COLUMN " + d.column_definition(t, op.column));
        if (op.column.comment) append(out, d.comment_on(op.table, op.column.name, op.column.comment));
        return out;
    }
    std::vector<std::string> operator()(const DropColumn& op) const {
        const Table& t = table(op.table, op);
        const Column* c = t.find_column(op.column);
        if (!c) fail("drop_column", "table '" + op.table + "' has no column '" + op.column + "'");
        std::vector<std::string> out{alter_table(d, op.table) + "DROP COLUMN " + d.quote(op.column)};
        append(out, d.drop_types(single_column_table(t, *c)));
        return out;
    }
    std::vector<std::string> operator()(const AlterColumn& op) const {
        const Table& t = table(op.table, op);
        const Column* c = t.find_column(op.column);
        if (!c) fail("alter_column", "table '" + op.table + "' has no column '" + op.column + "'");
        bool rename = op.new_name && *op.new_name != op.column;
        return alter_in_place(op, t, *c, rename);
    }
    std::vector<std::string> alter_in_place(const AlterColumn& op, const Table& t, const Column& c, bool rename) const {
        std::vector<std::string> out;
        const std::string prefix = alter_table(d, op.table) + "ALTER COLUMN " + d.quote(op.column) + " ";
        if (op.type && !same_type(*op.type, c.type)) append(out, rules_for(d).change_type(d, op, t, c, prefix));
        if (op.nullable && *op.nullable != c.nullable) out.push_back(prefix + (*op.nullable ? "DROP" : "SET") + " NOT NULL");
        if (op.server_default && (*op.server_default != c.server_default || (op.type && c.server_default)))
            out.push_back(prefix + (*op.server_default ? "SET DEFAULT " + **op.server_default : "DROP DEFAULT"));
        if (rename) {
            out.push_back(alter_table(d, op.table) + "RENAME COLUMN " + d.quote(op.column) + " TO " + d.quote(*op.new_name));
            for (const auto& ck : t.checks)
                if (mentions_identifier(ck.sqltext, op.column))
                    append(out, check_comment(op.table, {ck.name, rename_identifier(ck.sqltext, op.column, *op.new_name)}));
            for (Index ix : t.indexes) {   // a copy, renamed: its comment follows the column
                if (!index_uses(ix, op.column)) continue;
                rename_in(ix, op.column, *op.new_name);
                append(out, d.index_comment(ix));
            }
        }
        if (op.comment) append(out, d.comment_on(op.table, rename ? *op.new_name : op.column, *op.comment));
        return out;
    }
    std::vector<std::string> operator()(const AlterTable& op) const {
        table(op.table, op);
        if (!op.comment) return {};
        return d.comment_on(op.table, "", *op.comment);
    }
    std::vector<std::string> operator()(const CreateIndex& op) const {
        table(op.table, op);
        std::vector<std::string> out{concurrent(d.create_index(op.table, op.index), op.concurrently)};
        append(out, d.index_comment(op.index));
        return out;
    }
    std::vector<std::string> operator()(const DropIndex& op) const {
        table(op.table, op);
        return {concurrent(d.drop_index(op.table, op.name), op.concurrently)};
    }
    // "CREATE [UNIQUE] INDEX …" / "DROP INDEX …" made concurrent where the
    // dialect builds indexes concurrently (the keyword follows INDEX).
    std::string concurrent(std::string sql, bool concurrently) const {
        if (!concurrently || !d.builds_indexes_concurrently()) return sql;
        const auto at = sql.find("INDEX ");
        if (at == std::string::npos) throw MigrationError("cannot make '" + sql + "' concurrent");
        return sql.insert(at + 6, "CONCURRENTLY ");
    }
    std::vector<std::string> add_constraint(const Operation& op, const std::string& table_name,
                                            const std::string& clause) const {
        table(table_name, op);
        return {alter_table(d, table_name) + "ADD " + clause};
    }
    // Only a backend with a native ADD CONSTRAINT gets here (SQLite rebuilds
    // the table), and there NOT VALID and USING INDEX are PostgreSQL's.
    std::vector<std::string> operator()(const CreateUniqueConstraint& op) const {
        if (op.using_index.empty()) return add_constraint(op, op.table, d.unique_clause(op.constraint));
        const std::string& name = op.constraint.name;
        unique_constraint_of(op, table(op.table, op));   // the index fits
        return add_constraint(op, op.table, (name.empty() ? "" : "CONSTRAINT " + d.quote(name) + " ") +
                                                "UNIQUE USING INDEX " + d.quote(op.using_index));
    }
    static std::string not_valid(bool on) { return on ? " NOT VALID" : ""; }
    std::vector<std::string> operator()(const CreateCheckConstraint& op) const {
        auto out = add_constraint(op, op.table, d.check_clause(op.constraint) + not_valid(op.not_valid));
        append(out, check_comment(op.table, op.constraint));
        return out;
    }
    // A backend that adds constraints by rebuilding the table has checked
    // every row then: there is nothing left to validate.
    std::vector<std::string> operator()(const ValidateConstraint& op) const {
        require_validatable(table(op.table, op), op.name);
        if (d.needs_batch_alter()) return {};
        return {alter_table(d, op.table) + "VALIDATE CONSTRAINT " + d.quote(op.name)};
    }
    // As the PostgreSQL dialect's create_table does: a CHECK's declared text
    // kept as the constraint's comment, so inspect() reads back what was written.
    std::vector<std::string> check_comment(const std::string& table, const CheckConstraint& ck) const {
        return d.check_comment(table, ck);
    }
    std::vector<std::string> operator()(const CreateForeignKey& op) const {
        return add_constraint(op, op.table, d.foreign_key_clause(op.constraint) + not_valid(op.not_valid));
    }
    std::vector<std::string> operator()(const DropConstraint& op) const {
        const Table& t = table(op.table, op);
        return {alter_table(d, op.table) + "DROP CONSTRAINT " + d.quote(op.name.empty() ? unnamed_name(t, op) : op.name)};
    }
    // A backend with ALTER TABLE … DROP CONSTRAINT names every constraint
    // (PostgreSQL: post_user_id_fkey): the schema read from it has that name.
    static std::string unnamed_name(const Table& t, const DropConstraint& op) {
        auto name_of = [&](const auto& items, const auto& like) {
            auto it = find_unnamed(items, like);
            if (it == items.end() || it->name.empty())
                fail("drop_constraint", "table '" + t.name() + "': this database names its constraints; drop " +
                                            describe_constraint(like) + " by its name");
            return it->name;
        };
        return std::visit(overloaded{[&](std::monostate) -> std::string { fail("drop_constraint", "no constraint"); },
                                     [&](const UniqueConstraint& c) { return name_of(t.unique_constraints, c); },
                                     [&](const ForeignKey& c) { return name_of(t.foreign_keys, c); },
                                     [&](const CheckConstraint& c) { return name_of(t.checks, c); }},
                          op.unnamed);
    }
    std::vector<std::string> operator()(const Execute& op) const {
        auto sql = op.for_dialect(d.name());
        if (!sql) return {};
        return {*sql};
    }
    // As an offline script writes it; `db upgrade` runs the batches itself (backfill.hpp).
    std::vector<std::string> operator()(const Backfill& op) const {
        return rules_for(d).offline_backfill(backfill_sql(op, d, table(op.table, op))).statements;
    }
};

// ---------------------------------------------------------------- inverse

template <class T>
const T* named_in(const std::vector<T>& items, const std::string& name) {
    auto it = std::find_if(items.begin(), items.end(), [&](const T& i) { return i.name == name; });
    return it == items.end() ? nullptr : &*it;
}

// Create ops for what `before` has and `after` lost (dropped along with a column).
std::vector<Operation> recreate_lost(const Table& before, const Table& after) {
    std::vector<Operation> out;
    for (const auto& ix : before.indexes)
        if (!named_in(after.indexes, ix.name)) out.push_back(CreateIndex{before.name(), ix});
    for (const auto& uq : before.unique_constraints)
        if (!named_in(after.unique_constraints, uq.name)) out.push_back(CreateUniqueConstraint{before.name(), uq});
    for (const auto& ck : before.checks)
        if (!named_in(after.checks, ck.name)) out.push_back(CreateCheckConstraint{before.name(), ck});
    for (const auto& fk : before.foreign_keys)
        if (!named_in(after.foreign_keys, fk.name)) out.push_back(CreateForeignKey{before.name(), fk});
    return out;
}

struct Inverter {
    const MetaData& before;

    const Table& table(const std::string& name, const char* op) const { return require_table(before, name, op); }

    std::vector<Operation> operator()(const CreateTable& op) const { return {DropTable{op.table.name()}}; }
    std::vector<Operation> operator()(const DropTable& op) const {
        const Table& t = table(op.table, "drop_table");
        std::vector<Operation> out{CreateTable{copy_table(t, t.name())}};
        std::get<CreateTable>(out[0]).table.indexes.clear();
        for (const auto& ix : t.indexes) out.push_back(CreateIndex{t.name(), ix});
        return out;
    }
    std::vector<Operation> operator()(const RenameTable& op) const { return {RenameTable{op.new_name, op.table}}; }
    std::vector<Operation> operator()(const AddColumn& op) const { return {DropColumn{op.table, op.column.name}}; }
    std::vector<Operation> operator()(const DropColumn& op) const {
        const Table& t = table(op.table, "drop_column");
        const Column* c = t.find_column(op.column);
        if (!c) fail("drop_column", "table '" + op.table + "' has no column '" + op.column + "'");
        std::vector<Operation> out{AddColumn{op.table, *c}};
        append_ops(out, recreate_lost(t, after_op(op, before, op.table)));
        return out;
    }
    static void append_ops(std::vector<Operation>& out, std::vector<Operation> more) {
        for (auto& m : more) out.push_back(std::move(m));
    }
    std::vector<Operation> operator()(const AlterColumn& op) const {
        const Table& t = table(op.table, "alter_column");
        const Column* c = t.find_column(op.column);
        if (!c) fail("alter_column", "table '" + op.table + "' has no column '" + op.column + "'");
        AlterColumn back{op.table, op.new_name.value_or(op.column), {}, {}, {}, {}};
        if (op.type) back.type = c->type;
        if (op.nullable) back.nullable = c->nullable;
        if (op.server_default) back.server_default = c->server_default;
        if (op.new_name) back.new_name = op.column;
        if (op.comment) back.comment = c->comment;
        return {back};
    }
    std::vector<Operation> operator()(const AlterTable& op) const {
        AlterTable back{op.table, {}};
        if (op.comment) back.comment = table(op.table, "alter_table").comment;
        return {back};
    }
    std::vector<Operation> operator()(const CreateIndex& op) const { return {DropIndex{op.table, op.index.name}}; }
    std::vector<Operation> operator()(const DropIndex& op) const {
        const Index* ix = named_in(table(op.table, "drop_index").indexes, op.name);
        if (!ix) fail("drop_index", "table '" + op.table + "' has no index '" + op.name + "'");
        return {CreateIndex{op.table, *ix}};
    }
    // An unnamed constraint is dropped by what it does.
    template <class T>
    static std::vector<Operation> drop(const std::string& table, const T& c) {
        if (c.name.empty()) return {DropConstraint{table, "", c}};
        return {DropConstraint{table, c.name}};
    }
    // A constraint that took over an index gives it back (the drop takes the index along).
    std::vector<Operation> operator()(const CreateUniqueConstraint& op) const {
        if (op.using_index.empty()) return drop(op.table, op.constraint);
        const Table& t = table(op.table, "create_unique_constraint");
        std::vector<Operation> out = drop(op.table, unique_constraint_of(op, t));
        out.push_back(CreateIndex{op.table, *table_index(t, op.using_index)});
        return out;
    }
    std::vector<Operation> operator()(const ValidateConstraint&) const { return {}; }   // nothing to undo
    std::vector<Operation> operator()(const CreateCheckConstraint& op) const { return drop(op.table, op.constraint); }
    std::vector<Operation> operator()(const CreateForeignKey& op) const { return drop(op.table, op.constraint); }
    std::vector<Operation> operator()(const DropConstraint& op) const {
        const Table& t = table(op.table, "drop_constraint");
        if (op.name.empty()) {   // created again as it was, unnamed
            auto again = [&](const auto& items, const auto& like, auto make) -> std::vector<Operation> {
                auto it = find_unnamed(items, like);
                if (it == items.end())
                    fail("drop_constraint", "table '" + op.table + "' has no unnamed constraint " + describe_constraint(like));
                return {make(*it)};
            };
            return std::visit(
                overloaded{
                    [&](std::monostate) -> std::vector<Operation> { fail("drop_constraint", "no constraint"); },
                    [&](const UniqueConstraint& c) {
                        return again(t.unique_constraints, c, [&](const UniqueConstraint& x) -> Operation { return CreateUniqueConstraint{op.table, x}; });
                    },
                    [&](const ForeignKey& c) {
                        return again(t.foreign_keys, c, [&](const ForeignKey& x) -> Operation { return CreateForeignKey{op.table, x}; });
                    },
                    [&](const CheckConstraint& c) {
                        return again(t.checks, c, [&](const CheckConstraint& x) -> Operation { return CreateCheckConstraint{op.table, x}; });
                    }},
                op.unnamed);
        }
        if (auto* uq = named_in(t.unique_constraints, op.name)) return {CreateUniqueConstraint{op.table, *uq}};
        if (auto* ck = named_in(t.checks, op.name)) return {CreateCheckConstraint{op.table, *ck}};
        if (auto* fk = named_in(t.foreign_keys, op.name)) return {CreateForeignKey{op.table, *fk}};
        fail("drop_constraint", "table '" + op.table + "' has no constraint '" + op.name + "'");
    }
    std::vector<Operation> operator()(const Execute&) const {
        throw MigrationError("execute: raw SQL has no automatic inverse; write the downgrade by hand");
    }
    // The rows keep their values: the downgrade of the op that made the
    // column (drop_column) takes them away, or a backfill written by hand.
    std::vector<Operation> operator()(const Backfill&) const { return {}; }
};

int integer_rank(TypeKind k) {
    switch (k) {
        case TypeKind::SmallInteger: return 1;
        case TypeKind::Integer: return 2;
        case TypeKind::BigInteger: return 3;
        default: return 0;
    }
}

// Whether every value of `from` fits in a text column of `to`'s length.
bool fits_in_text(const SqlType& from, const SqlType& to) {
    if (to.kind == TypeKind::Text || to.length == 0) return true;
    if (from.kind == TypeKind::String) return from.length != 0 && from.length <= to.length;
    if (from.kind == TypeKind::Enum) {
        return std::all_of(from.enum_values.begin(), from.enum_values.end(),
                           [&](const std::string& v) { return static_cast<int>(v.size()) <= to.length; });
    }
    if (from.is_integer()) return to.length >= 20;
    return false;
}

}  // namespace

// True when `sql` mentions `name` as a whole identifier (bare or quoted).
bool mentions_identifier(const std::string& sql, const std::string& name) {
    auto is_ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    for (std::size_t pos = sql.find(name); pos != std::string::npos; pos = sql.find(name, pos + 1)) {
        bool starts = pos == 0 || !is_ident(sql[pos - 1]);
        std::size_t end = pos + name.size();
        bool ends = end == sql.size() || !is_ident(sql[end]);
        if (starts && ends) return true;
    }
    return false;
}

// Whether an index uses a column: as a key, or in an expression key or its predicate.
bool index_uses(const Index& ix, const std::string& column) {
    for (std::size_t i = 0; i < ix.columns.size(); ++i)
        if (ix.is_expression(i) ? mentions_identifier(ix.columns[i], column) : ix.columns[i] == column) return true;
    return mentions_identifier(ix.where, column);
}

// A table holding one column: for the type DDL (PostgreSQL ENUM) of that column alone.
Table single_column_table(const Table& table, const Column& column) {
    Table t = copy_table(table, table.name());
    t.columns = {column};
    t.indexes.clear();
    t.unique_constraints.clear();
    t.foreign_keys.clear();
    t.checks.clear();
    return t;
}

std::optional<std::string> Execute::for_dialect(std::string_view dialect) const {
    auto it = per_dialect.find(std::string(dialect));
    if (it != per_dialect.end()) return it->second;
    return sql;
}

const std::vector<std::string>& op_names() {
    static const std::vector<std::string> names{
        "create_table", "drop_table", "rename_table", "add_column", "drop_column",
        "alter_column", "create_index", "drop_index", "create_unique_constraint",
        "create_check_constraint", "drop_constraint", "create_foreign_key", "validate_constraint", "alter_table",
        "execute", "backfill"};
    return names;
}

std::string op_name(const Operation& op) {
    return std::visit(overloaded{
                          [](const CreateTable&) -> std::string { return "create_table"; },
                          [](const DropTable&) -> std::string { return "drop_table"; },
                          [](const RenameTable&) -> std::string { return "rename_table"; },
                          [](const AddColumn&) -> std::string { return "add_column"; },
                          [](const DropColumn&) -> std::string { return "drop_column"; },
                          [](const AlterColumn&) -> std::string { return "alter_column"; },
                          [](const CreateIndex&) -> std::string { return "create_index"; },
                          [](const DropIndex&) -> std::string { return "drop_index"; },
                          [](const CreateUniqueConstraint&) -> std::string { return "create_unique_constraint"; },
                          [](const CreateCheckConstraint&) -> std::string { return "create_check_constraint"; },
                          [](const CreateForeignKey&) -> std::string { return "create_foreign_key"; },
                          [](const ValidateConstraint&) -> std::string { return "validate_constraint"; },
                          [](const DropConstraint&) -> std::string { return "drop_constraint"; },
                          [](const Execute&) -> std::string { return "execute"; },
                          [](const AlterTable&) -> std::string { return "alter_table"; },
                          [](const Backfill&) -> std::string { return "backfill"; },
                      },
                      op);
}

// "fk_post_user_id_user on post", or for an unnamed one what it does.
template <class T>
std::string constraint_subject(const T& c, const std::string& table) {
    return (c.name.empty() ? "unnamed " + describe_constraint(c) : c.name) + " on " + table;
}

std::string describe(const Operation& op) {
    std::string subject = std::visit(
        overloaded{
            [](const CreateTable& o) { return o.table.name(); },
            [](const DropTable& o) { return o.table; },
            [](const RenameTable& o) { return o.table + " -> " + o.new_name; },
            [](const AddColumn& o) { return o.table + "." + o.column.name; },
            [](const DropColumn& o) { return o.table + "." + o.column; },
            [](const AlterColumn& o) {
                return o.table + "." + o.column + (o.new_name ? " -> " + *o.new_name : std::string());
            },
            [](const CreateIndex& o) { return o.index.name + " on " + o.table; },
            [](const DropIndex& o) { return o.name + " on " + o.table; },
            [](const CreateUniqueConstraint& o) {
                if (o.using_index.empty()) return constraint_subject(o.constraint, o.table);
                return (o.constraint.name.empty() ? o.using_index : o.constraint.name) + " on " + o.table +
                       " using index " + o.using_index;
            },
            [](const CreateCheckConstraint& o) {
                return constraint_subject(o.constraint, o.table) + (o.not_valid ? " (not valid)" : "");
            },
            [](const CreateForeignKey& o) {
                return constraint_subject(o.constraint, o.table) + (o.not_valid ? " (not valid)" : "");
            },
            [](const ValidateConstraint& o) { return o.name + " on " + o.table; },
            [](const DropConstraint& o) {
                if (!o.name.empty()) return o.name + " on " + o.table;
                return std::visit(overloaded{[](std::monostate) { return std::string("?"); },
                                             [&](const auto& c) { return constraint_subject(c, o.table); }},
                                  o.unnamed);
            },
            [](const AlterTable& o) { return o.table; },
            [](const Execute& o) {
                std::string sql = o.sql ? *o.sql : (o.per_dialect.empty() ? "" : o.per_dialect.begin()->second);
                return sql.size() > 60 ? sql.substr(0, 57) + "..." : sql;
            },
            [](const Backfill& o) {
                std::string columns;
                for (const auto& [column, expression] : o.set) columns += (columns.empty() ? "" : ", ") + column;
                return o.table + "." + (o.set.size() == 1 ? columns : "(" + columns + ")");
            },
        },
        op);
    return op_name(op) + " " + subject;
}

std::string describe(const Step& step) {
    return describe(step.op) + (step.detail.empty() ? "" : ": " + step.detail);
}

std::optional<std::string> batch_table(const Operation& op, const Dialect& dialect, const MetaData& before) {
    auto table = rules_for(dialect).batch_table(op, before);
    if (table && !before.find(*table)) return std::nullopt;   // render() reports the missing table
    return table;
}

std::vector<std::string> render_batch(const std::vector<const Operation*>& ops, const Dialect& dialect,
                                      const MetaData& before) {
    if (ops.empty()) return {};
    const std::string table = batch_table(*ops[0], dialect, before).value_or("");
    const Table& old = require_table(before, table, op_name(*ops[0]));
    std::map<std::string, std::optional<std::string>> sources;
    for (const auto& c : old.columns) sources[c.name] = c.name;
    MetaData after = before;
    for (const Operation* op : ops) {
        if (batch_table(*op, dialect, after) != table)
            throw MigrationError(describe(*op) + ": not a rebuild of table '" + table + "'");
        migrate::apply(*op, after);
        track_sources(*op, sources);
    }
    std::map<std::string, std::string> copied;
    for (const auto& [column, origin] : sources)
        if (origin) copied[column] = *origin;
    return batch_rebuild(dialect, old, copy_table(*after.find(table), table), copied);
}

std::vector<std::string> render(const Operation& op, const Dialect& dialect, const MetaData& before) {
    if (batch_table(op, dialect, before)) return render_batch({&op}, dialect, before);
    return std::visit(Renderer{dialect, before}, op);
}

void apply(const Operation& op, MetaData& schema) { std::visit(Applier{schema}, op); }

std::vector<Operation> inverse(const Operation& op, const MetaData& before) {
    return std::visit(Inverter{before}, op);
}

bool same_type(const SqlType& a, const SqlType& b) {
    return a.kind == b.kind && a.length == b.length && a.precision == b.precision && a.scale == b.scale &&
           a.fixed_length == b.fixed_length && a.timezone == b.timezone && a.enum_values == b.enum_values &&
           (a.enum_name.empty() || b.enum_name.empty() || a.enum_name == b.enum_name);
}

bool is_narrowing(const SqlType& from, const SqlType& to) {
    if (same_type(from, to)) return false;
    if (from.is_integer() && to.is_integer()) return integer_rank(to.kind) < integer_rank(from.kind);
    if (is_text(to.kind)) return !fits_in_text(from, to);
    if (from.is_integer() && (to.kind == TypeKind::Float || to.kind == TypeKind::Numeric)) return false;
    if (from.kind == TypeKind::Boolean && to.is_integer()) return false;
    if (from.kind == TypeKind::Numeric && to.kind == TypeKind::Numeric)
        return (to.precision != 0 && (from.precision == 0 || to.precision < from.precision)) || to.scale < from.scale;
    if (from.kind == TypeKind::Enum && to.kind == TypeKind::Enum) {
        return !std::all_of(from.enum_values.begin(), from.enum_values.end(),
                            [&](const std::string& v) { return contains(to.enum_values, v); });
    }
    if (from.kind == TypeKind::Date && to.kind == TypeKind::DateTime) return false;
    return true;
}

std::string rebuild_copy_prefix(const Dialect& dialect, const std::string& table) {
    return "INSERT INTO " + dialect.quote(rebuild_table_name(table)) + " ";
}

bool runs_outside_transaction(const Operation& op, const Dialect& dialect) {
    if (auto* ci = std::get_if<CreateIndex>(&op)) return ci->concurrently && dialect.builds_indexes_concurrently();
    if (auto* di = std::get_if<DropIndex>(&op)) return di->concurrently && dialect.builds_indexes_concurrently();
    if (auto* ex = std::get_if<Execute>(&op)) return !ex->transaction && ex->for_dialect(dialect.name());
    return std::holds_alternative<Backfill>(op);
}

bool is_destructive(const Operation& op, const MetaData& before) {
    if (std::holds_alternative<DropTable>(op) || std::holds_alternative<DropColumn>(op)) return true;
    if (auto* alter = std::get_if<AlterColumn>(&op); alter && alter->type) {
        const Table* t = before.find(alter->table);
        const Column* c = t ? t->find_column(alter->column) : nullptr;
        return c && is_narrowing(c->type, *alter->type);
    }
    return false;
}

int shortened_text_length(const Operation& op, const MetaData& before) {
    const auto* alter = std::get_if<AlterColumn>(&op);
    if (!alter || !alter->type || !is_destructive(op, before)) return 0;
    const Column* c = before.find(alter->table)->find_column(alter->column);
    return is_text(c->type.kind) && is_text(alter->type->kind) ? alter->type->length : 0;
}

Table copy_table(const Table& table, const std::string& new_name) {
    Table t(new_name, table.naming());
    t.columns = table.columns;
    t.primary_key_constraint = table.primary_key_constraint;
    t.indexes = table.indexes;
    t.unique_constraints = table.unique_constraints;
    t.foreign_keys = table.foreign_keys;
    t.checks = table.checks;
    t.comment = table.comment;
    return t;
}

}  // namespace strata::migrate
