// SQLite's migration rules: ALTER TABLE does little (add, rename and some
// drops of columns), so most changes rebuild the table ("batch" mode);
// foreign keys are off for the run and checked after each revision; the
// migration lock is SQLite's own (BEGIN EXCLUSIVE); --backup is VACUUM INTO.
#include "backend/sqlite/migrate/rules.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "migrate/lock.hpp"
#include "migrate/script.hpp"
#include "schema/sql_tokens.hpp"
#include "strata/error.hpp"
#include "strata/url.hpp"

namespace strata::migrate {

namespace {

namespace fs = std::filesystem;

bool contains(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

// SQLite's ADD COLUMN takes only columns that need nothing of the table:
// no key, a NULL or constant default, no CHECK (an Enum brings one).
bool sqlite_can_add(const Column& c) {
    if (c.primary_key || c.type.kind == TypeKind::Enum || c.computed) return false;   // a STORED column cannot be added
    if (c.server_default) {
        const std::string& dflt = *c.server_default;
        if (dflt.find('(') != std::string::npos || dflt.rfind("CURRENT_", 0) == 0) return false;
    }
    return c.nullable || c.server_default.has_value();
}

// SQLite's DROP COLUMN refuses columns used by keys, indexes or checks.
bool sqlite_can_drop(const MetaData& schema, const Table& t, const Column& c) {
    auto uses = [&](const auto& items) {
        return std::any_of(items.begin(), items.end(), [&](const auto& i) { return contains(i.columns, c.name); });
    };
    const bool indexed =
        std::any_of(t.indexes.begin(), t.indexes.end(), [&](const Index& ix) { return index_uses(ix, c.name); });
    if (c.primary_key || c.type.kind == TypeKind::Enum || c.computed || indexed || uses(t.unique_constraints) ||
        uses(t.foreign_keys))
        return false;
    for (const auto& other : t.columns)
        if (other.computed && mentions_identifier(*other.computed, c.name)) return false;
    for (const auto& ck : t.checks)
        if (mentions_identifier(ck.sqltext, c.name)) return false;
    for (const auto& other : schema.tables())
        for (const auto& fk : other->foreign_keys)
            if (fk.ref_table == t.name() && contains(fk.ref_columns, c.name)) return false;
    return true;
}

// The table an op rebuilds: what SQLite's ALTER TABLE cannot do.
struct BatchTable {
    const MetaData& before;

    std::optional<std::string> operator()(const AddColumn& op) const {
        return sqlite_can_add(op.column) ? std::nullopt : std::optional<std::string>(op.table);
    }
    std::optional<std::string> operator()(const DropColumn& op) const {
        const Table* t = before.find(op.table);
        const Column* c = t ? t->find_column(op.column) : nullptr;
        if (!c || sqlite_can_drop(before, *t, *c)) return std::nullopt;
        return op.table;
    }
    std::optional<std::string> operator()(const AlterColumn& op) const {
        if (op.type || op.nullable || op.server_default) return op.table;
        return std::nullopt;   // a rename alone is native
    }
    std::optional<std::string> operator()(const CreateUniqueConstraint& op) const { return op.table; }
    std::optional<std::string> operator()(const CreateCheckConstraint& op) const { return op.table; }
    std::optional<std::string> operator()(const CreateForeignKey& op) const { return op.table; }
    std::optional<std::string> operator()(const DropConstraint& op) const { return op.table; }
    template <class Other>
    std::optional<std::string> operator()(const Other&) const {
        return std::nullopt;
    }
};

// Foreign keys are off while a run rebuilds tables (else dropping the old
// table would cascade); the guard turns them back on.
class ForeignKeysOff final : public RunGuard {
public:
    explicit ForeignKeysOff(Connection& conn) : conn_(conn) {
        were_on_ = query_int(conn, "PRAGMA foreign_keys") != 0;
        run_query(conn, "PRAGMA foreign_keys = OFF");
    }
    ~ForeignKeysOff() override {
        try {
            if (were_on_) run_query(conn_, "PRAGMA foreign_keys = ON");
        } catch (...) {   // must not throw; a broken connection is discarded by its pool
        }
    }

private:
    Connection& conn_;
    bool were_on_ = true;
};

// Takes the migration's transaction: BEGIN EXCLUSIVE, waiting as below.
class Lock {
public:
    explicit Lock(Connection& conn) : conn_(conn) {}

    // BEGIN EXCLUSIVE takes SQLite's write lock before anything is read, so
    // two runs never interleave, and in rollback-journal mode it also waits
    // for readers to finish: a reader's shared lock would otherwise let the
    // whole run (a table rebuild, say) happen first and fail only at COMMIT.
    // (In WAL mode readers do not stand in a commit's way; EXCLUSIVE is then
    // IMMEDIATE.) The connection's own busy timeout (ConnectionOptions) is
    // how long readers are waited for, and is set back afterwards.
    void lock_sqlite(const RunOptions& options) {
        const std::int64_t busy_timeout = conn_.options().busy_timeout_ms;
        run_query(conn_, "PRAGMA busy_timeout = 0");
        try {
            take_sqlite_lock(options, busy_timeout);
        } catch (...) {
            run_query(conn_, "PRAGMA busy_timeout = " + std::to_string(busy_timeout));
            throw;
        }
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
                           std::to_string(options.migration_lock_wait.count() / 1000) + " s for its lock...");
        wait_for_sqlite_lock(options.migration_lock_wait.count(), "another migration is still running on this database (waited " +
                                                               std::to_string(options.migration_lock_wait.count()) + " ms)");
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

private:
    Connection& conn_;
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

// SQLite compares names without regard to ASCII case.
std::string upper(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}
bool same_name(const std::string& a, const std::string& b) { return upper(a) == upper(b); }
bool names_any(const std::vector<std::string>& names, const std::string& name) {
    return std::any_of(names.begin(), names.end(), [&](const std::string& n) { return same_name(n, name); });
}
bool mentions(const std::string& sql, const std::vector<std::string>& names) {
    auto toks = sqltok::tokenize(sql);
    return std::any_of(toks.begin(), toks.end(), [&](const sqltok::Token& t) { return t.is_name() && names_any(names, t.text); });
}

    // The table's triggers, and the views and triggers that name it or such a
    // view, in creation order.
std::vector<SchemaObject> dependents(Connection& conn, const std::string& table) {
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

// <file>.<UTC timestamp>.bak, or <file>.<UTC timestamp>-2.bak, -3... when
// a backup was already taken in the same second.
fs::path unused_backup_name(const std::string& database) {
    std::string stamp = utc_timestamp();
    std::erase_if(stamp, [](char c) { return c == ':' || c == '-'; });
    fs::path target = database + "." + stamp + ".bak";
    for (int n = 2; fs::exists(target); ++n) target = database + "." + stamp + "-" + std::to_string(n) + ".bak";
    return target;
}

// fsync a file or a folder (the folder makes a rename durable).
void sync_to_disk(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    const bool ok = fd >= 0 && ::fsync(fd) == 0;
    const int saved = errno;
    if (fd >= 0) ::close(fd);
    if (!ok) throw MigrationError("--backup: cannot sync '" + path.string() + "' to disk: " + std::strerror(saved));
}

class SqliteRules final : public BackendRules {
public:
    std::optional<std::string> batch_table(const Operation& op, const MetaData& before) const override {
        return std::visit(BatchTable{before}, op);
    }

    std::unique_ptr<RunGuard> begin_run(Connection& conn, const RunOptions& options) const override {
        auto guard = std::make_unique<ForeignKeysOff>(conn);
        Lock(conn).lock_sqlite(options);
        return guard;
    }

    // Dropping the old table drops its triggers, and renaming the new one into
    // its place fails while a view, or a trigger on another table, refers to
    // the old one ("error in view v: no such table: main.post").
    std::vector<SchemaObject> rebuild_dependents(Connection& conn, const std::string& table) const override {
        return dependents(conn, table);
    }

    void check_revision(Connection& conn) const override { check_foreign_keys(conn); }

    // In chunks of rowid ranges, all in the run's transaction: the same rows
    // as one statement, with progress between chunks. The ranges split the
    // span from the lowest to the highest rowid in twenty (two lookups in the
    // rowid b-tree, not a walk of it: a sparse range copies fewer rows, and
    // the count says so). A copy of up to kQuickCopy rows is one statement
    // (and says nothing), and so is a table whose rowid cannot be named
    // (WITHOUT ROWID, or a column called _rowid_).
    void copy_rows(Connection& conn, const Table& table, const std::string& statement,
                   const RowProgress& progress) const override {
        const std::string quoted = conn.dialect().quote(table.name());
        const std::int64_t total = progress ? query_int(conn, "SELECT COUNT(*) FROM " + quoted) : 0;
        if (total <= kQuickCopy || !has_rowid(conn, table)) {
            conn.execute(statement);
            return;
        }
        std::int64_t lo = 0, hi = 0;
        {
            // Two subqueries: SQLite answers a lone min() or max() from one end
            // of the b-tree, but both in one SELECT scan the whole table.
            auto ends = conn.prepare("SELECT (SELECT MIN(_rowid_) FROM " + quoted + "), (SELECT MAX(_rowid_) FROM " +
                                     quoted + ")");
            ends->step();
            lo = ends->get_int64(0), hi = ends->get_int64(1);
        }
        // Offsets from lo in unsigned arithmetic: the span of any two int64 fits.
        const std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
        const std::uint64_t step = span / 20 + 1;
        progress(0, total);
        std::int64_t done = 0;
        std::optional<std::int64_t> last;
        for (std::uint64_t reach = std::min(step - 1, span);; reach = span - reach <= step ? span : reach + step) {
            const auto bound = static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + reach);
            std::vector<Value> params;
            if (last) params.emplace_back(*last);
            params.emplace_back(bound);
            done += conn.execute(statement + " WHERE " + (last ? "_rowid_ > ? AND " : "") + "_rowid_ <= ?", params);
            progress(done, std::max(total, done));
            if (reach == span) break;
            last = bound;
        }
    }

    // A writer waiting for a batch is not queued: its busy handler retries,
    // sleeping up to 100 ms between tries (SQLite's default handler, which
    // busy_timeout installs). A pause just longer than that lets every
    // waiting writer in before the next batch takes the lock.
    std::chrono::milliseconds backfill_pause() const override { return std::chrono::milliseconds(110); }

    OfflineFrame offline_frame(const Timeouts&) const override {
        return {"PRAGMA foreign_keys = OFF;\n", "", "\nPRAGMA foreign_key_check;\n", "PRAGMA foreign_keys = ON;\n"};
    }

    // VACUUM INTO a temporary name, then fsync and rename: a crash or a full
    // disk mid-copy leaves no file named like a backup (only a stale
    // *.incomplete, removed by the next --backup that picks the same name).
    fs::path backup(const Database& db) const override {
        const Url& url = db.url();
        if (url.is_sqlite_memory()) throw MigrationError("--backup: an in-memory database has no file to copy");
        const fs::path target = unused_backup_name(url.database);
        const fs::path partial = target.string() + ".incomplete";
        fs::remove(partial);
        try {
            auto conn = db.connect();
            // VACUUM INTO writes a consistent copy even while others use the file.
            auto stmt = conn->prepare("VACUUM INTO " + conn->dialect().placeholder(1));
            stmt->bind(1, Value(partial.string()));
            stmt->execute();
            sync_to_disk(partial);
            fs::rename(partial, target);
            sync_to_disk(target.parent_path().empty() ? fs::path(".") : target.parent_path());
        } catch (...) {
            std::error_code ignored;
            fs::remove(partial, ignored);
            throw;
        }
        return target;
    }

private:
    static constexpr std::int64_t kQuickCopy = 100000;
    static bool has_rowid(Connection& conn, const Table& table) {
        for (const auto& c : table.columns) {
            std::string name = c.name;
            for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            if (name == "_rowid_") return false;
        }
        try {
            conn.prepare("SELECT _rowid_ FROM " + conn.dialect().quote(table.name()) + " LIMIT 0");
            return true;
        } catch (const DatabaseError&) {   // WITHOUT ROWID
            return false;
        }
    }
};

}  // namespace

const BackendRules& sqlite_rules() {
    static const SqliteRules instance;
    return instance;
}

}  // namespace strata::migrate
