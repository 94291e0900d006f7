// src/migrate/runner.cpp — plans, the migration transaction and lock, online and offline runs.
#include "migrate/runner.hpp"

#include <algorithm>
#include <cctype>

#include "schema/sql_tokens.hpp"
#include "strata/dialect.hpp"
#include "strata/error.hpp"
#include "strata/inspect.hpp"

namespace strata::migrate {

namespace {

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

std::string location(const Revision& rev, const Step& step) {
    return rev.path.string() + ":" + std::to_string(step.line) + ":" + std::to_string(step.column);
}

// Everything a walk over a plan reports; each use overrides what it needs.
struct Hooks {
    virtual ~Hooks() = default;
    virtual void revision(const Revision&, bool /*upgrade*/) {}
    virtual void op(const Revision&, const Step&, const MetaData& /*before*/) {}
    // One statement, or (script) the text of an `execute` op, which may hold several.
    virtual void sql(const std::string& /*statement*/, bool /*script*/) {}
    virtual void version(bool /*insert*/, const std::string& /*id*/) {}
    virtual void opaque(MetaData&) {}   // after raw SQL: the schema may have changed
    // Around the statements of a SQLite table rebuild (one op or a group).
    virtual void rebuild_begins(const std::string& /*table*/) {}
    virtual void rebuild_ends(const std::string& /*table*/) {}
    virtual void finished(const Revision&) {}   // after a revision's ops, before its version update
};

// Consecutive ops that SQLite rebuilds the same table for are rendered as one
// rebuild (one copy of the rows); returns the end of the group starting at k.
std::size_t batch_group_end(const std::vector<Step>& steps, std::size_t k, const Dialect& dialect,
                            const MetaData& schema) {
    auto table = batch_table(steps[k].op, dialect, schema);
    if (!table) return k + 1;
    MetaData scratch = schema;
    std::size_t end = k;
    while (end < steps.size() && batch_table(steps[end].op, dialect, scratch) == table) {
        try {
            migrate::apply(steps[end].op, scratch);
        } catch (const Error&) {
            break;   // reported when that op runs on its own
        }
        ++end;
    }
    return std::max(end, k + 1);
}

// "op 2 `add_column user.x`", or "ops 2-3 (one rebuild of user: `…`, `…`)".
std::string describe_steps(const std::vector<Step>& steps, std::size_t k, std::size_t end) {
    if (end == k + 1) return "op " + std::to_string(k + 1) + " `" + describe(steps[k].op) + "`";
    std::string ops;
    for (std::size_t i = k; i < end; ++i) ops += (i == k ? "`" : ", `") + describe(steps[i].op) + "`";
    return "ops " + std::to_string(k + 1) + "-" + std::to_string(end) + " (one table rebuild: " + ops + ")";
}

// Steps [k, end): one op, or a group rebuilt at once.
void run_steps(const Revision& rev, const std::vector<Step>& steps, std::size_t k, std::size_t end,
               const Dialect& dialect, MetaData& schema, Hooks& hooks) {
    const std::optional<std::string> rebuilt = batch_table(steps[k].op, dialect, schema);
    std::vector<std::string> statements;
    if (end == k + 1) {
        hooks.op(rev, steps[k], schema);
        statements = render(steps[k].op, dialect, schema);
    } else {
        const MetaData before = schema;
        std::vector<const Operation*> ops;
        for (std::size_t i = k; i < end; ++i) {
            hooks.op(rev, steps[i], schema);
            migrate::apply(steps[i].op, schema);
            ops.push_back(&steps[i].op);
        }
        statements = render_batch(ops, dialect, before);
    }
    if (rebuilt) hooks.rebuild_begins(*rebuilt);
    const bool script = end == k + 1 && std::holds_alternative<Execute>(steps[k].op);
    for (const auto& sql : statements) hooks.sql(sql, script);
    if (rebuilt) hooks.rebuild_ends(*rebuilt);
    if (end == k + 1) {
        migrate::apply(steps[k].op, schema);
        if (std::holds_alternative<Execute>(steps[k].op)) hooks.opaque(schema);
    }
}

// Renders every op of the plan against the evolving schema and reports it.
void walk(const Plan& plan, const ScriptDirectory& scripts, const Dialect& dialect, MetaData& schema, Hooks& hooks) {
    std::set<std::string> applied = scripts.ancestors(plan.start_heads);
    std::vector<std::string> heads = plan.start_heads;
    for (const Revision* rev : plan.revisions) {
        hooks.revision(*rev, plan.upgrade);
        const auto& steps = plan.upgrade ? rev->upgrade : rev->downgrade;
        for (std::size_t k = 0, end = 0; k < steps.size(); k = end) {
            end = batch_group_end(steps, k, dialect, schema);
            try {
                run_steps(*rev, steps, k, end, dialect, schema, hooks);
            } catch (const Error& e) {
                throw MigrationError(location(*rev, steps[k]) + ": revision " + rev->id + " (" +
                                     escape_control(rev->message) + "), " +
                                     (plan.upgrade ? "upgrade " : "downgrade ") + describe_steps(steps, k, end) +
                                     " failed: " + e.what());
            }
        }
        try {
            hooks.finished(*rev);
        } catch (const Error& e) {
            throw MigrationError(rev->path.string() + ": revision " + rev->id + " (" + escape_control(rev->message) +
                                 "): " + e.what());
        }
        if (plan.upgrade) applied.insert(rev->id);
        else applied.erase(rev->id);
        std::vector<std::string> next = heads_of(scripts, applied);
        for (const auto& id : heads)
            if (std::find(next.begin(), next.end(), id) == next.end()) hooks.version(false, id);
        for (const auto& id : next)
            if (std::find(heads.begin(), heads.end(), id) == heads.end()) hooks.version(true, id);
        heads = next;
    }
}

std::string delete_version_sql(const Dialect& d, const std::string& table, const std::string& value) {
    return "DELETE FROM " + d.quote(table) + " WHERE " + d.quote("version_num") + " = " + value;
}
std::string insert_version_sql(const Dialect& d, const std::string& table, const std::string& value) {
    return "INSERT INTO " + d.quote(table) + " (" + d.quote("version_num") + ") VALUES (" + value + ")";
}

// Runs one statement that may return rows (PRAGMAs, SELECT of a lock) and ignores them.
void run_query(Connection& conn, const std::string& sql) {
    auto stmt = conn.prepare(sql);
    while (stmt->step()) {
    }
}

// The first column of the first row as an integer (0 without a row).
std::int64_t query_int(Connection& conn, const std::string& sql) {
    auto stmt = conn.prepare(sql);
    return stmt->step() ? stmt->get_int64(0) : 0;
}

// The migration transaction: lock, BEGIN, and on SQLite foreign keys off for
// the run (rebuilt tables would otherwise cascade); LiveHooks checks them
// after each revision.
class MigrationTransaction {
public:
    MigrationTransaction(Connection& conn, const RunOptions& options) : conn_(conn) {
        sqlite_ = conn.dialect().name() == "sqlite";
        try {
            if (sqlite_) {
                foreign_keys_were_on_ = query_int(conn, "PRAGMA foreign_keys") != 0;
                run_query(conn, "PRAGMA foreign_keys = OFF");
                lock_sqlite(options);
            } else {
                conn.begin();
                open_ = true;
                lock_postgresql(options);
            }
        } catch (...) {   // no destructor runs for a half-built object: undo here
            close();
            throw;
        }
    }
    MigrationTransaction(const MigrationTransaction&) = delete;
    MigrationTransaction& operator=(const MigrationTransaction&) = delete;
    ~MigrationTransaction() { close(); }

    void commit() {
        conn_.commit();
        open_ = false;
    }
    // Through the connection, which knows when SQLite has already rolled the
    // transaction back itself (disk full, I/O error): a ROLLBACK then would
    // fail with "no transaction is active" and hide the real error.
    void rollback() {
        if (open_) conn_.rollback();
        open_ = false;
    }

private:
    // Rolls back what is open and gives the connection its foreign keys back.
    void close() noexcept {
        try {
            rollback();
            if (sqlite_ && foreign_keys_were_on_) run_query(conn_, "PRAGMA foreign_keys = ON");
        } catch (...) {   // must not throw; a broken connection is discarded by its pool
        }
    }

    // BEGIN EXCLUSIVE takes SQLite's write lock before anything is read, so
    // two runs never interleave, and in rollback-journal mode it also waits
    // for readers to finish: a reader's shared lock would otherwise let the
    // whole run (a table rebuild, say) happen first and fail only at COMMIT.
    // (In WAL mode readers do not stand in a commit's way; EXCLUSIVE is then
    // IMMEDIATE.) The connection's own busy timeout is restored afterwards.
    void lock_sqlite(const RunOptions& options) {
        const std::int64_t busy_timeout = query_int(conn_, "PRAGMA busy_timeout");
        run_query(conn_, "PRAGMA busy_timeout = 0");
        try {
            take_sqlite_lock(options, busy_timeout);
        } catch (...) {
            run_query(conn_, "PRAGMA busy_timeout = " + std::to_string(busy_timeout));
            throw;
        }
        open_ = true;
        run_query(conn_, "PRAGMA busy_timeout = " + std::to_string(busy_timeout));
    }
    // Busy with no wait: either another writer (a migration, most likely)
    // holds the write lock, or -- when the write lock alone can be had --
    // readers hold the shared lock. Each gets its own wait and message.
    void take_sqlite_lock(const RunOptions& options, std::int64_t busy_timeout) {
        if (try_lock(true)) return;
        if (try_lock(false)) {
            // Most readers are one statement of another program, gone in a
            // moment: wait for those without a word.
            const std::int64_t quiet = std::min<std::int64_t>(busy_timeout, 100);
            run_query(conn_, "PRAGMA busy_timeout = " + std::to_string(quiet));
            if (try_lock(true)) return;
            if (options.notice)
                options.notice("Another connection is reading the database; waiting up to " +
                               std::to_string(busy_timeout) + " ms (the busy timeout) for it to finish...");
            wait_for_sqlite_lock(busy_timeout - quiet, "another connection is reading the database, holding SQLite's "
                                                       "shared lock in an open transaction (waited " +
                                                           std::to_string(busy_timeout) + " ms)");
            return;
        }
        if (options.notice)
            options.notice("Another migration is running on this database; waiting up to " +
                           std::to_string(options.lock_timeout.count() / 1000) + " s for its lock...");
        wait_for_sqlite_lock(options.lock_timeout.count(), "another migration is still running on this database (waited " +
                                                               std::to_string(options.lock_timeout.count()) + " ms)");
    }
    // readers_too: the migration's own transaction (BEGIN EXCLUSIVE). Else
    // only a probe of the write lock (BEGIN IMMEDIATE, rolled back at once):
    // free, while the exclusive lock is not, means readers hold the database.
    bool try_lock(bool readers_too) {
        try {
            if (readers_too) {
                conn_.begin_exclusive();
            } else {
                conn_.execute("BEGIN IMMEDIATE");
                conn_.execute("ROLLBACK");
            }
            return true;
        } catch (const ConcurrencyError&) {
            return false;
        }
    }
    // Waits up to wait_ms for the lock; `why` says who holds it and how long we waited in all.
    void wait_for_sqlite_lock(std::int64_t wait_ms, const std::string& why) {
        run_query(conn_, "PRAGMA busy_timeout = " + std::to_string(wait_ms));
        try {
            conn_.begin_exclusive();
        } catch (const ConcurrencyError& e) {
            throw MigrationError("could not take the migration lock: " + why + ": " + e.what());
        }
    }
    void lock_postgresql(const RunOptions& options) {
        auto got = conn_.prepare("SELECT pg_try_advisory_xact_lock(" + std::to_string(kPostgresLockKey) + ")");
        if (got->step() && got->get_bool(0)) return;
        if (options.notice) options.notice("Another migration is running on this database; waiting for its lock...");
        conn_.execute("SET LOCAL lock_timeout = '" + std::to_string(options.lock_timeout.count()) + "ms'");
        try {
            run_query(conn_, "SELECT pg_advisory_xact_lock(" + std::to_string(kPostgresLockKey) + ")");
        } catch (const DatabaseError& e) {
            throw MigrationError(std::string("could not take the migration lock: another migration is still running: ") +
                                 e.what());
        }
    }
    Connection& conn_;
    bool sqlite_ = false;
    bool open_ = false;
    bool foreign_keys_were_on_ = true;
};

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

void ensure_version_table(Connection& conn, const std::string& table) {
    if (has_table(conn, table)) return;
    for (const auto& sql : conn.dialect().create_table(version_table(table))) conn.execute(sql);
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

std::vector<std::string> read_heads(Connection& conn, const std::string& table) {
    std::vector<std::string> out;
    if (!has_table(conn, table)) return out;
    const Dialect& d = conn.dialect();
    auto stmt = conn.prepare("SELECT " + d.quote("version_num") + " FROM " + d.quote(table) + " ORDER BY " +
                             d.quote("version_num"));
    while (stmt->step()) out.emplace_back(stmt->get_text(0));
    return out;
}

// ---------------------------------------------------------------- offline

struct OfflineHooks : Hooks {
    const Dialect& d;
    OfflineScript& script;
    std::string table;   // the version table
    OfflineHooks(const Dialect& dialect, OfflineScript& s, std::string version_table)
        : d(dialect), script(s), table(std::move(version_table)) {}

    void revision(const Revision& rev, bool upgrade) override {
        script.text += "\n-- " + std::string(upgrade ? "Running upgrade " : "Running downgrade ") + rev.id + ": " +
                       escape_control(rev.message) + " (" + escape_control(rev.path.filename().string()) + ")\n";
    }
    void op(const Revision&, const Step& step, const MetaData&) override {
        script.text += "-- " + escape_control(describe(step.op)) + "\n";
    }
    void rebuild_begins(const std::string& table) override {
        script.text += "-- (a rebuild of " + table +
                       ": `db upgrade` creates its triggers again; this script cannot see them)\n";
    }
    void sql(const std::string& statement, bool) override {
        script.text += statement + ";\n";
        script.statements.push_back(statement);
    }
    void version(bool insert, const std::string& id) override {
        std::string value = d.literal(Value(id));
        script.text += (insert ? insert_version_sql(d, table, value) : delete_version_sql(d, table, value)) + ";\n";
    }
};

std::vector<std::string> heads_from_text(const ScriptDirectory& scripts, const std::string& text) {
    if (text == "heads") return scripts.heads();
    std::string id = scripts.resolve(text);
    return id.empty() ? std::vector<std::string>{} : std::vector<std::string>{id};
}

OfflineScript offline(const ScriptDirectory& scripts, const Dialect& d, const std::string& range, bool upgrade) {
    auto colon = range.find(':');
    if (colon == std::string::npos && !upgrade)
        throw MigrationError("downgrade --sql needs FROM:TO (e.g. head:base), got '" + range + "'");
    std::string from = colon == std::string::npos ? "base" : range.substr(0, colon);
    std::string to = colon == std::string::npos ? range : range.substr(colon + 1);
    std::vector<std::string> start = heads_from_text(scripts, from);
    Plan plan = upgrade ? plan_upgrade(scripts, start, to) : plan_downgrade(scripts, start, to);

    OfflineScript script;
    const bool sqlite = d.name() == "sqlite";
    script.text = "-- strata offline " + std::string(upgrade ? "upgrade " : "downgrade ") + revision_label(start) +
                  " -> " + to + " (" + std::string(d.name()) + ")\n";
    if (sqlite) script.text += "PRAGMA foreign_keys = OFF;\n";
    script.text += "BEGIN;\n";
    if (start.empty() && upgrade)
        for (const auto& sql : d.create_table(version_table(scripts.version_table()))) script.text += sql + ";\n";
    MetaData schema = schema_at(scripts, start);
    OfflineHooks hooks(d, script, scripts.version_table());
    walk(plan, scripts, d, schema, hooks);
    if (sqlite) script.text += "\nPRAGMA foreign_key_check;\n";
    script.text += "COMMIT;\n";
    if (sqlite) script.text += "PRAGMA foreign_keys = ON;\n";
    return script;
}

}  // namespace

Table version_table(const std::string& name) {
    Table t(name);
    Column c;
    c.name = "version_num";
    c.type = String(static_cast<int>(kMaxRevisionIdLength));
    c.nullable = false;
    c.primary_key = true;
    t.columns.push_back(c);
    t.primary_key_constraint = name + "_pkc";
    return t;
}

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

MetaData schema_at(const ScriptDirectory& scripts, const std::vector<std::string>& heads) {
    MetaData schema;
    Plan plan{{}, {}, true};
    std::set<std::string> wanted = scripts.ancestors(heads);
    for (const auto& id : scripts.topological_order())
        if (wanted.count(id)) plan.revisions.push_back(&scripts.get(id));
    Hooks quiet;
    walk(plan, scripts, sqlite_dialect(), schema, quiet);
    return schema;
}

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

OfflineScript offline_upgrade(const ScriptDirectory& scripts, const Dialect& dialect, const std::string& range) {
    return offline(scripts, dialect, range, true);
}

OfflineScript offline_downgrade(const ScriptDirectory& scripts, const Dialect& dialect, const std::string& range) {
    return offline(scripts, dialect, range, false);
}

}  // namespace strata::migrate
