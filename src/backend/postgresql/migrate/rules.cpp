// PostgreSQL's migration rules: ALTER TABLE does everything in place (no
// batch rebuilds); an ENUM column changes type through a new ENUM type; the
// migration lock is a transaction-scoped advisory lock.
#include "backend/postgresql/migrate/rules.hpp"

#include "migrate/lock.hpp"
#include "migrate/lock_wait.hpp"
#include "strata/error.hpp"

namespace strata::migrate {

namespace {

void append(std::vector<std::string>& out, const std::vector<std::string>& more) {
    out.insert(out.end(), more.begin(), more.end());
}

class PostgresqlRules final : public BackendRules {
public:
    // USING converts existing rows; an ENUM type of the same name is swapped
    // for a new one (PostgreSQL cannot remove a value from an ENUM), and a
    // default typed by the old ENUM is set aside while the type changes.
    std::vector<std::string> change_type(const Dialect& d, const AlterColumn& op, const Table& t, const Column& c,
                                         const std::string& prefix) const override {
        Column from = with_enum_name(c), to = from;
        to.type = *op.type;
        to = with_enum_name(to);
        const bool enums = from.type.kind == TypeKind::Enum || to.type.kind == TypeKind::Enum;
        const bool swap = from.type.kind == TypeKind::Enum && to.type.kind == TypeKind::Enum &&
                          from.type.enum_name == to.type.enum_name;
        const std::string old_type = from.type.enum_name + "_old";
        std::vector<std::string> out;
        const bool park_default = enums && c.server_default;
        if (park_default) out.push_back(prefix + "DROP DEFAULT");
        if (swap) out.push_back("ALTER TYPE " + d.quote(from.type.enum_name) + " RENAME TO " + d.quote(old_type));
        append(out, d.create_types(single_column_table(t, to)));
        out.push_back(type_statement(d, op, from.type, to.type, prefix));
        if (swap) out.push_back("DROP TYPE " + d.quote(old_type));
        else if (from.type.kind == TypeKind::Enum) append(out, d.drop_types(single_column_table(t, from)));
        if (park_default && !op.server_default) out.push_back(prefix + "SET DEFAULT " + *c.server_default);
        return out;
    }

    // BEGIN, the advisory lock (released with the transaction), then the
    // limits every statement of the run keeps to (lock_wait.hpp).
    std::unique_ptr<RunGuard> begin_run(Connection& conn, const RunOptions& options) const override {
        conn.begin();
        try {
            lock(conn, options);
            limit_waits(conn, options.timeouts);
        } catch (...) {
            conn.rollback();
            throw;
        }
        return std::make_unique<RunGuard>();
    }

    // The batches as a DO block that commits after each (PostgreSQL 11 and
    // later, run outside a transaction block, as the script's COMMIT before it makes it).
    // The block's variables are named apart from the table's columns, and a
    // name the user's `set` / `where` text uses means the column
    // (variable_conflict use_column): neither is ever ambiguous.
    OfflineBackfill offline_backfill(const BackfillSql& sql) const override {
        auto variable = [&](std::string name) {
            while (sql.table.find_column(name)) name += "_";
            return name;
        };
        const std::string last = variable("strata_last"), bound = variable("strata_bound"), rows = variable("strata_rows");
        std::string tag = "$strata$";
        auto holds = [&](const std::string& t) {
            std::string all = sql.update_all();
            return all.find(t) != std::string::npos;
        };
        while (holds(tag)) tag.insert(tag.size() - 1, "_");
        const std::string block =
            "DO " + tag + "\n#variable_conflict use_column\nDECLARE\n    " + last + " bigint;\n    " + bound +
            " bigint;\n    " + rows + " bigint;\nBEGIN\n    " + sql.next_bound(nullptr) + " INTO " + bound + ", " + rows +
            ";\n    IF " + bound +
            " IS NULL THEN RETURN; END IF;\n    " + sql.update(nullptr, bound) + ";\n    COMMIT;\n    LOOP\n        " + last +
            " := " + bound + ";\n        " + sql.next_bound(&last) + " INTO " + bound + ", " + rows + ";\n        EXIT WHEN " +
            bound + " IS NULL;\n        " + sql.update(&last, bound) + ";\n        COMMIT;\n    END LOOP;\nEND\n" + tag;
        return {"in batches of " + std::to_string(sql.op.batch_size) +
                    " rows, one transaction each (a DO block that commits: PostgreSQL 11 or later)",
                {block}};
    }

    // The script's transactions keep to the same limits as a live run's
    // (client_connection_check_interval aside: it depends on the server's version).
    OfflineFrame offline_frame(const Timeouts& timeouts) const override {
        OfflineFrame frame;
        for (const auto& sql : wait_limits(timeouts)) frame.after_begin += sql + ";\n";
        return frame;
    }

    const BackendLint* lint() const override { return &postgresql_lint; }

    std::filesystem::path backup(const Database&) const override {
        throw MigrationError("--backup works on SQLite only (use pg_dump for PostgreSQL)");
    }

private:
    static void lock(Connection& conn, const RunOptions& options) {
        auto got = conn.prepare("SELECT pg_try_advisory_xact_lock(" + std::to_string(kPostgresLockKey) + ")");
        if (got->step() && got->get_bool(0)) return;
        if (options.notice) options.notice("Another migration is running on this database; waiting for its lock...");
        conn.execute("SET LOCAL lock_timeout = '" + std::to_string(options.migration_lock_wait.count()) + "ms'");
        try {
            run_query(conn, "SELECT pg_advisory_xact_lock(" + std::to_string(kPostgresLockKey) + ")");
        } catch (const DatabaseError& e) {
            throw MigrationError(std::string("could not take the migration lock: another migration is still running: ") +
                                 e.what());
        }
    }
};

}  // namespace

const BackendRules& postgresql_rules() {
    static const PostgresqlRules instance;
    return instance;
}

}  // namespace strata::migrate
