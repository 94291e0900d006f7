// src/migrate/runner.cpp — online runs: the live hooks, the data-loss check, upgrade / downgrade / stamp.
#include "migrate/runner.hpp"

#include <algorithm>
#include <cctype>

#include "migrate/lock.hpp"
#include "migrate/version_table.hpp"
#include "migrate/walk.hpp"
#include "schema/sql_tokens.hpp"
#include "strata/dialect.hpp"
#include "strata/error.hpp"
#include "strata/inspect.hpp"

namespace strata::migrate {

namespace {

// Rebuilt tables and raw SQL run with SQLite's foreign keys off: check them
// after each revision, so the error names the revision that broke them.
void check_foreign_keys(Connection& conn) {
    auto stmt = conn.prepare("PRAGMA foreign_key_check");
    std::string problems;
    int count = 0;
    while (stmt->step()) {
        if (++count > 5) continue;
        problems += "\n  table " + std::string(stmt->get_text(0)) + " row " +
                    (stmt->is_null(1) ? std::string("?") : std::to_string(stmt->get_int64(1))) +
                    " references a missing row of " + std::string(stmt->get_text(2));
    }
    if (count > 0)
        throw MigrationError("foreign key check failed (" + std::to_string(count) +
                             " rows):" + problems);
}

// Text is never cut: a column made shorter than some of its values fails,
// naming the rows (by primary key when it has one column), on every backend
// (PostgreSQL would refuse them; SQLite would keep them over the length).
void require_fits(Connection& conn, const Table& table, const std::string& column, int length) {
    const Dialect& d = conn.dialect();
    auto pk = table.primary_key_columns();
    const std::string key = pk.size() == 1 ? pk[0] : column;
    auto stmt = conn.prepare("SELECT " + d.quote(key) + " FROM " + d.quote(table.name()) + " WHERE length(" +
                             d.quote(column) + ") > " + d.placeholder(1) + " ORDER BY 1");
    stmt->bind(1, Value(static_cast<std::int64_t>(length)));
    std::string named;
    std::int64_t count = 0;
    while (stmt->step())
        if (++count <= 5 && pk.size() == 1) named += (count > 1 ? ", " : "") + std::string(stmt->get_text(0));
    if (count == 0) return;
    throw MigrationError(std::to_string(count) + " rows of " + table.name() + " hold a value longer than " +
                         std::to_string(length) + " characters in " + column +
                         (named.empty() ? "" : " (" + key + " " + named + (count > 5 ? ", …" : "") + ")") +
                         "; shorten them first (a narrowing never cuts text)");
}

// Executes the walk on the live database.
struct LiveHooks : Hooks {
    Connection& conn;
    RunResult& result;
    const RunOptions& options;
    std::string table;   // the version table
    LiveHooks(Connection& c, RunResult& r, const RunOptions& o, std::string version_table)
        : conn(c), result(r), options(o), table(std::move(version_table)) {}

    void revision(const Revision& rev, bool upgrade) override {
        ++result.revisions_run;
        if (!options.notice) return;
        std::string parents = rev.down_revisions.empty() ? "" : join_ids(rev.down_revisions);
        options.notice(upgrade ? "Running upgrade " + (parents.empty() ? "base" : parents) + " -> " + rev.id + ", " + escape_control(rev.message)
                               : "Running downgrade " + rev.id + " -> " + (parents.empty() ? "base" : parents) +
                                     ", " + escape_control(rev.message));
    }
    void sql(const std::string& statement, bool script) override {
        if (script) conn.execute_script(statement);
        else conn.execute(statement);
        result.statements.push_back(statement);
    }
    void version(bool insert, const std::string& id) override {
        const Dialect& d = conn.dialect();
        std::vector<Value> params{Value(id)};
        conn.execute(insert ? insert_version_sql(d, table, d.placeholder(1)) : delete_version_sql(d, table, d.placeholder(1)),
                     params);
    }
    void opaque(MetaData& schema) override { schema = inspect(conn, InspectOptions{{table}}); }
    void op(const Revision&, const Step& step, const MetaData& before) override {
        if (int length = shortened_text_length(step.op, before)) {
            const auto& alter = std::get<AlterColumn>(step.op);
            require_fits(conn, *before.find(alter.table), alter.column, length);
        }
    }
    void finished(const Revision&) override {
        if (conn.dialect().name() == "sqlite") check_foreign_keys(conn);
    }

    // Dropping the old table drops its triggers, and renaming the new one into
    // its place fails while a view, or a trigger on another table, refers to
    // the old one ("error in view v: no such table: main.post"). strata's
    // schema has none of them to render: they are read before the rebuild
    // (dropped, where the rebuild would not), and created again after it, in
    // the order they were written.
    struct SchemaObject {
        std::string type, name, sql;
    };
    std::vector<SchemaObject> kept;
    void rebuild_begins(const std::string& table) override {
        kept = dependents(table);
        for (const auto& o : kept) conn.execute("DROP " + upper(o.type) + " IF EXISTS " + conn.dialect().quote(o.name));
    }
    void rebuild_ends(const std::string& table) override {
        for (const auto& o : kept) {
            try {
                conn.execute(o.sql);
            } catch (const DatabaseError& e) {
                throw MigrationError(o.type + " '" + o.name + "' (on or referring to table '" + table +
                                     "') could not be created again after the table rebuild: " + e.what() +
                                     " (drop it before this op and create it again after it with `execute`)");
            }
            result.statements.push_back(o.sql);
        }
        kept.clear();
    }

    // The table's triggers, and the views and triggers that name it or such a
    // view, in creation order.
    std::vector<SchemaObject> dependents(const std::string& table) {
        struct Row {
            SchemaObject object;
            std::string on;   // tbl_name: the trigger's table, a view's own name
            bool taken = false;
        };
        std::vector<Row> rows;
        auto st = conn.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('view', 'trigger') "
                               "AND sql IS NOT NULL ORDER BY rowid");
        while (st->step())
            rows.push_back({{std::string(st->get_text(0)), std::string(st->get_text(1)), std::string(st->get_text(3))},
                            std::string(st->get_text(2))});
        std::vector<std::string> names{table};
        for (bool grew = true; grew;) {
            grew = false;
            for (auto& r : rows) {
                if (r.taken || !(names_any(names, r.on) || mentions(r.object.sql, names))) continue;
                r.taken = grew = true;
                if (r.object.type == "view") names.push_back(r.object.name);
            }
        }
        std::vector<SchemaObject> out;
        for (auto& r : rows)
            if (r.taken) out.push_back(std::move(r.object));
        return out;
    }
    static bool names_any(const std::vector<std::string>& names, const std::string& name) {
        return std::any_of(names.begin(), names.end(), [&](const std::string& n) { return same_name(n, name); });
    }
    static bool mentions(const std::string& sql, const std::vector<std::string>& names) {
        auto toks = sqltok::tokenize(sql);
        return std::any_of(toks.begin(), toks.end(), [&](const sqltok::Token& t) { return t.is_name() && names_any(names, t.text); });
    }
    // SQLite compares names without regard to ASCII case.
    static bool same_name(const std::string& a, const std::string& b) { return upper(a) == upper(b); }
    static std::string upper(std::string s) {
        for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return s;
    }
};

// Collects the destructive ops of a plan (rendering nothing), and the raw
// SQL that runs on this dialect, which no one can check.
struct LossHooks : Hooks {
    std::string_view dialect;
    explicit LossHooks(std::string_view d) : dialect(d) {}
    std::vector<DataLoss> losses;
    void op(const Revision& rev, const Step& step, const MetaData& before) override {
        if (auto* raw = std::get_if<Execute>(&step.op)) {
            if (raw->for_dialect(dialect)) losses.push_back({rev.id, location(rev, step), describe(step.op), {}, {}, -1, true});
            return;
        }
        if (!is_destructive(step.op, before)) return;
        DataLoss loss{rev.id, location(rev, step), describe(step.op), {}, {}, -1};
        if (auto* dt = std::get_if<DropTable>(&step.op)) loss.table = dt->table;
        if (auto* dc = std::get_if<DropColumn>(&step.op)) loss.table = dc->table, loss.column = dc->column;
        if (auto* ac = std::get_if<AlterColumn>(&step.op)) {
            loss.table = ac->table, loss.column = ac->column;
            loss.longer_than = shortened_text_length(step.op, before);   // only the values that do not fit are at stake
        }
        losses.push_back(std::move(loss));
    }
};

// Rows that hold data each loss would destroy, counted before anything runs.
void count_losses(Connection& conn, const MetaData& start, std::vector<DataLoss>& losses) {
    const Dialect& d = conn.dialect();
    for (auto& loss : losses) {
        if (loss.raw_sql) continue;
        const Table* t = start.find(loss.table);
        if (!t || (!loss.column.empty() && !t->find_column(loss.column))) continue;
        std::string sql = "SELECT COUNT(*) FROM " + d.quote(loss.table);
        if (loss.longer_than > 0) sql += " WHERE length(" + d.quote(loss.column) + ") > " + d.placeholder(1);
        else if (!loss.column.empty()) sql += " WHERE " + d.quote(loss.column) + " IS NOT NULL";
        auto stmt = conn.prepare(sql);
        if (loss.longer_than > 0) stmt->bind(1, Value(static_cast<std::int64_t>(loss.longer_than)));
        loss.rows = stmt->step() ? stmt->get_int64(0) : 0;
    }
}

MigrationError rolled_back(const Error& e, const std::vector<std::string>& start) {
    return MigrationError(std::string(e.what()) + "\nEverything was rolled back: the database is still at " +
                          revision_label(start) + ".");
}

}  // namespace

std::vector<std::string> Runner::current_heads() { return read_heads(conn_, scripts_.version_table()); }

RunResult Runner::upgrade(const std::string& target, const RunOptions& options) { return run(true, target, options); }

RunResult Runner::downgrade(const std::string& target, const RunOptions& options) {
    return run(false, target, options);
}

std::vector<DataLoss> Runner::data_losses(const Plan& plan, const MetaData& schema) {
    MetaData scratch = schema;
    LossHooks hooks(conn_.dialect().name());
    walk(plan, scripts_, conn_.dialect(), scratch, hooks);
    count_losses(conn_, schema, hooks.losses);
    // Empty tables and columns lose nothing; rows made in this very run are not asked about.
    std::erase_if(hooks.losses, [](const DataLoss& l) { return !l.raw_sql && l.rows <= 0; });
    return std::move(hooks.losses);
}

RunResult Runner::run(bool upgrade, const std::string& target, const RunOptions& options) {
    MigrationTransaction tx(conn_, options);
    ensure_version_table(conn_, scripts_.version_table());
    RunResult result;
    result.from_heads = current_heads();
    Plan plan = upgrade ? plan_upgrade(scripts_, result.from_heads, target)
                        : plan_downgrade(scripts_, result.from_heads, target);
    if (plan.revisions.empty()) {
        tx.commit();
        result.to_heads = result.from_heads;
        return result;
    }
    MetaData schema = inspect(conn_, scripts_.inspect_options());
    if (options.review && !options.review(plan, schema))
        throw MigrationError("aborted: nothing was changed, the database is still at " +
                             revision_label(result.from_heads));
    std::vector<DataLoss> losses;
    try {
        if (options.confirm) losses = data_losses(plan, schema);
    } catch (const Error& e) {
        throw rolled_back(e, result.from_heads);
    }
    if (!losses.empty() && !options.confirm(losses))
        throw MigrationError("aborted: nothing was changed, the database is still at " +
                             revision_label(result.from_heads));
    try {
        LiveHooks hooks(conn_, result, options, scripts_.version_table());
        walk(plan, scripts_, conn_.dialect(), schema, hooks);
        tx.commit();
    } catch (const Error& e) {
        tx.rollback();
        throw rolled_back(e, result.from_heads);
    }
    result.to_heads = current_heads();
    return result;
}

void Runner::stamp(const std::string& target, const RunOptions& options) {
    MigrationTransaction tx(conn_, options);
    ensure_version_table(conn_, scripts_.version_table());
    std::vector<std::string> heads = heads_from_text(scripts_, target);
    const Dialect& d = conn_.dialect();
    conn_.execute("DELETE FROM " + d.quote(scripts_.version_table()));
    for (const auto& id : heads) {
        std::vector<Value> params{Value(id)};
        conn_.execute(insert_version_sql(d, scripts_.version_table(), d.placeholder(1)), params);
    }
    tx.commit();
}

}  // namespace strata::migrate
