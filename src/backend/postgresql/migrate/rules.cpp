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
