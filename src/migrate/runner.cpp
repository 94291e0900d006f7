// src/migrate/runner.cpp — online runs: the live hooks, the data-loss check, upgrade / downgrade / stamp.
#include "migrate/runner.hpp"

#include <algorithm>
#include <cctype>
#include <exception>
#include <functional>
#include <optional>

#include "migrate/backend_rules.hpp"
#include "migrate/backfill.hpp"
#include "migrate/lock.hpp"
#include "migrate/retry.hpp"
#include "migrate/version_table.hpp"
#include "migrate/walk.hpp"
#include "strata/dialect.hpp"
#include "strata/error.hpp"
#include "strata/inspect.hpp"

namespace strata::migrate {

namespace {

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
    const ScriptDirectory& scripts;
    std::string table;   // the version table
    TransactionPer per;
    bool upgrade;
    // Commits what ran so far (the lock goes with it); opens the next
    // transaction under the lock, checking that nothing moved in between.
    std::function<void()> commit_transaction, open_transaction;
    bool outside = false;   // the step running now runs outside a transaction
    LiveHooks(Connection& c, RunResult& r, const RunOptions& o, const ScriptDirectory& s, TransactionPer p, bool up,
              std::function<void()> commit, std::function<void()> open)
        : conn(c), result(r), options(o), scripts(s), table(s.version_table()), per(p), upgrade(up),
          commit_transaction(std::move(commit)), open_transaction(std::move(open)) {}

    // A step outside the transaction: what ran before it is committed with a
    // record that the revision stopped before it, so a run killed during it
    // starts again at it.
    void step_begins(const Revision& rev, std::size_t k, bool outside_transaction) override {
        step = k;
        outside = outside_transaction;
        if (!outside) return;
        ensure_step_table(conn, scripts.step_table());
        has_records = true;
        write_step_record(conn, scripts.step_table(), {rev.id, upgrade, k});
        commit_transaction();
    }
    void steps_done(const Revision& rev, std::size_t done, std::size_t total) override {
        if (outside) {
            outside = false;
            open_transaction();
            if (done < total) write_step_record(conn, scripts.step_table(), {rev.id, upgrade, done});
        }
        if (per != TransactionPer::Step || done == total) return;   // the last step commits with the version
        write_step_record(conn, scripts.step_table(), {rev.id, upgrade, done});
        commit_transaction();
        open_transaction();
    }
    // A concurrent build that failed (or was killed) leaves its index
    // INVALID: unused by queries, but its name taken. Drop it before the retry.
    void drop_invalid_index(const Operation& op, const MetaData& before) {
        const auto* create = std::get_if<CreateIndex>(&op);
        const std::string query = conn.dialect().invalid_index_sql();
        if (!create || query.empty()) return;
        bool invalid = false;
        {
            auto stmt = conn.prepare(query);
            stmt->bind(1, Value(create->index.name));
            invalid = stmt->step();
        }
        if (!invalid) return;
        if (options.notice)
            options.notice("Dropping index " + create->index.name +
                           ", left INVALID by a concurrent build that did not finish, before building it again");
        for (const auto& sql : render(DropIndex{create->table, create->index.name, true}, conn.dialect(), before))
            conn.execute(sql);
    }
    bool has_records = false;   // a step table that may hold a record: cleared after each revision
    std::size_t step = 0;       // the step running now
    std::optional<StepRecord> resume;   // where a stopped run left off (read before this run began)

    // One transaction per batch, each committed with the step record that
    // names its last key; a run that stopped in the middle goes on after it.
    void backfill(const Revision& rev, const Step&, const Backfill& op, const MetaData& before) override {
        std::optional<std::int64_t> after;
        if (resume && resume->revision == rev.id && resume->upgrade == upgrade && resume->steps_done == step)
            after = resume->last_key;
        resume.reset();
        const auto start = std::chrono::steady_clock::now();
        const std::string task = describe(op);
        BackfillDriver driver;
        driver.begin = open_transaction;
        driver.commit = [&](std::optional<std::int64_t> key) {
            if (key) write_step_record(conn, scripts.step_table(), {rev.id, upgrade, step, key});
            commit_transaction();
        };
        driver.before_statement = options.before_statement;
        driver.pause = rules_for(conn.dialect()).backfill_pause();
        std::int64_t done = 0, total = 0;
        auto report = [&](bool finished) {
            if (options.progress)
                options.progress({task, "rows", done, total, std::chrono::steady_clock::now() - start, finished});
        };
        if (options.progress)
            driver.progress = [&](std::int64_t d, std::int64_t t) {
                done = d, total = t;
                report(false);
            };
        const std::int64_t updated = run_backfill(conn, op, *before.find(op.table), after, driver);
        total = done;   // every row there is was walked: rows deleted since the count are not in the total
        report(true);
        if (options.notice)
            options.notice("Backfilled " + op.table + ": " + std::to_string(updated) + " rows updated" +
                           (after ? " (after key " + std::to_string(*after) + ", where a stopped run left off)" : ""));
    }
    void revision_done(const Revision&) override {
        if (has_records) clear_step_records(conn, scripts.step_table());   // with the version update
        if (per == TransactionPer::Migration) return;
        commit_transaction();
        open_transaction();
    }

    void revision(const Revision& rev, bool upgrade) override {
        ++result.revisions_run;
        if (!options.notice) return;
        std::string parents = rev.down_revisions.empty() ? "" : join_ids(rev.down_revisions);
        options.notice(upgrade ? "Running upgrade " + (parents.empty() ? "base" : parents) + " -> " + rev.id + ", " + escape_control(rev.message)
                               : "Running downgrade " + rev.id + " -> " + (parents.empty() ? "base" : parents) +
                                     ", " + escape_control(rev.message));
    }
    void sql(const std::string& statement, bool script) override {
        if (options.before_statement) options.before_statement();
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
    void opaque(MetaData& schema) override { schema = inspect(conn, scripts.inspect_options()); }
    void op(const Revision&, const Step& step, const MetaData& before) override {
        if (outside) drop_invalid_index(step.op, before);
        if (int length = shortened_text_length(step.op, before)) {
            const auto& alter = std::get<AlterColumn>(step.op);
            require_fits(conn, *before.find(alter.table), alter.column, length);
        }
    }
    void finished(const Revision&) override { rules_for(conn.dialect()).check_revision(conn); }

    // Dropping the old table drops its triggers, and renaming the new one into
    // its place fails while a view, or a trigger on another table, refers to
    // the old one ("error in view v: no such table: main.post"). strata's
    // schema has none of them to render: they are read before the rebuild
    // (dropped, where the rebuild would not), and created again after it, in
    // the order they were written.
    std::vector<SchemaObject> kept;
    void rebuild_begins(const std::string& table) override {
        kept = rules_for(conn.dialect()).rebuild_dependents(conn, table);
        for (const auto& o : kept) conn.execute("DROP " + o.type + " IF EXISTS " + conn.dialect().quote(o.name));
    }
    void copy_rows(const Table& old, const std::string& statement) override {
        if (options.before_statement) options.before_statement();
        const auto start = std::chrono::steady_clock::now();
        const std::string task = "rebuild of " + old.name();
        std::optional<Progress> last;
        BackendRules::RowProgress progress;
        if (options.progress)
            progress = [&](std::int64_t done, std::int64_t total) {
                last = Progress{task, "rows", done, total, std::chrono::steady_clock::now() - start, false};
                options.progress(*last);
            };
        rules_for(conn.dialect()).copy_rows(conn, old, statement, progress);
        if (last) {
            last->elapsed = std::chrono::steady_clock::now() - start;
            last->finished = true;
            options.progress(*last);
        }
        result.statements.push_back(statement);
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
    return MigrationError(std::string(e.what()) + "\n" + kAllRolledBack + ": the database is still at " +
                          revision_label(start) + ".");
}

// A failure after some transactions of the run committed (transaction_per:
// revision or step): what stays, read back from the database.
PartlyCommitted stopped(const Error& e, const std::vector<std::string>& heads, const std::optional<StepRecord>& record,
                        const ScriptDirectory& scripts) {
    std::string text = std::string(e.what()) + "\n" + kLastRolledBack + ": the database is at " + revision_label(heads);
    if (record) {
        const Revision* rev = scripts.find(record->revision);
        const std::size_t total = !rev ? 0 : record->upgrade ? rev->upgrade.size() : rev->downgrade.size();
        text += ", and revision " + record->revision + " (" + (record->upgrade ? "upgrade" : "downgrade") +
                ") stopped after step " + std::to_string(record->steps_done) + " of " + std::to_string(total) +
                "; the next `db " + (record->upgrade ? "upgrade" : "downgrade") + "` resumes there";
    }
    return PartlyCommitted(text + ".");
}

// A revision a stopped run left half-done is finished first, in the same
// direction, from the step where it stopped; anything else is refused.
void resume_from(Plan& plan, const std::optional<StepRecord>& record, const std::string& step_table) {
    if (!record) return;
    const bool planned = std::any_of(plan.revisions.begin(), plan.revisions.end(),
                                     [&](const Revision* r) { return r->id == record->revision; });
    const char* direction = record->upgrade ? "upgrade" : "downgrade";
    if (record->upgrade != plan.upgrade || !planned)
        throw MigrationError("revision " + record->revision + "'s " + direction + " stopped after step " +
                             std::to_string(record->steps_done) + " (recorded in " + step_table + "); run `db " +
                             direction + " " + record->revision + "` to finish it first");
    plan.resume_revision = record->revision;
    plan.resume_step = record->steps_done;
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
    return LiveRun(conn_, options).run([&](const RunOptions& o) { return run_once(upgrade, target, o); });
}

RunResult Runner::run_once(bool upgrade, const std::string& target, const RunOptions& options) {
    const TransactionPer per = options.transaction_per.value_or(scripts_.transaction_per());
    std::optional<MigrationTransaction> tx;
    tx.emplace(conn_, options);
    ensure_version_table(conn_, scripts_.version_table());
    if (per == TransactionPer::Step) ensure_step_table(conn_, scripts_.step_table());
    RunResult result;
    result.from_heads = current_heads();
    Plan plan = upgrade ? plan_upgrade(scripts_, result.from_heads, target)
                        : plan_downgrade(scripts_, result.from_heads, target);
    const std::optional<StepRecord> record = read_step_record(conn_, scripts_.step_table());
    resume_from(plan, record, scripts_.step_table());
    if (plan.revisions.empty()) {
        tx->commit();
        result.to_heads = result.from_heads;
        return result;
    }
    MetaData schema = inspect(conn_, scripts_.inspect_options());
    if (options.review && !options.review(conn_, plan, schema))
        throw MigrationError("aborted: nothing was changed, the database is still at " +
                             revision_label(result.from_heads));
    std::vector<DataLoss> losses;
    try {
        if (options.confirm) losses = data_losses(plan, schema);
    } catch (const Error& e) {
        std::throw_with_nested(rolled_back(e, result.from_heads));
    }
    if (!losses.empty() && !options.confirm(losses))
        throw MigrationError("aborted: nothing was changed, the database is still at " +
                             revision_label(result.from_heads));
    if (record && options.notice)
        options.notice("Resuming revision " + record->revision + " after its step " +
                       std::to_string(record->steps_done) + " (a run stopped there)");
    // Between two transactions no lock is held: what this run committed
    // must still be what the next one finds, or another run got in.
    bool committed = false;
    std::vector<std::string> committed_heads;
    std::optional<StepRecord> committed_record;
    auto commit_transaction = [&] {
        committed_heads = current_heads();
        committed_record = read_step_record(conn_, scripts_.step_table());
        tx->commit();
        committed = true;
        tx.reset();
    };
    auto open_transaction = [&] {
        tx.emplace(conn_, options);
        if (current_heads() != committed_heads || read_step_record(conn_, scripts_.step_table()) != committed_record)
            throw MigrationError("another migration changed the database between two transactions of this run "
                                 "(it was at " + revision_label(committed_heads) + ", now " +
                                 revision_label(current_heads()) + "); this run stops here");
    };
    try {
        LiveHooks hooks(conn_, result, options, scripts_, per, upgrade, commit_transaction, open_transaction);
        hooks.has_records = per == TransactionPer::Step || record;
        hooks.resume = record;
        walk(plan, scripts_, conn_.dialect(), schema, hooks);
        tx->commit();
    } catch (const Error& e) {
        if (tx) tx->rollback();
        // nested: the retry looks for a lock timeout inside
        if (!committed) std::throw_with_nested(rolled_back(e, result.from_heads));
        std::throw_with_nested(stopped(e, current_heads(), read_step_record(conn_, scripts_.step_table()), scripts_));
    }
    result.to_heads = current_heads();
    return result;
}

void Runner::stamp(const std::string& target, const RunOptions& options) {
    LiveRun(conn_, options).run([&](const RunOptions& o) {
        stamp_once(target, o);
        return RunResult{};
    });
}

void Runner::stamp_once(const std::string& target, const RunOptions& options) {
    MigrationTransaction tx(conn_, options);
    ensure_version_table(conn_, scripts_.version_table());
    std::vector<std::string> heads = heads_from_text(scripts_, target);
    const Dialect& d = conn_.dialect();
    conn_.execute("DELETE FROM " + d.quote(scripts_.version_table()));
    for (const auto& id : heads) {
        std::vector<Value> params{Value(id)};
        conn_.execute(insert_version_sql(d, scripts_.version_table(), d.placeholder(1)), params);
    }
    clear_step_records(conn_, scripts_.step_table());   // a half-done revision is no longer pending
    tx.commit();
}

}  // namespace strata::migrate
