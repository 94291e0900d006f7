// src/migrate/backfill.cpp — the `backfill` op's statements and its batch loop.
#include "migrate/backfill.hpp"

#include <thread>

#include "strata/dialect.hpp"
#include "strata/error.hpp"

namespace strata::migrate {

const Column& backfill_key(const Backfill& op, const Table& table) {
    const auto pk = table.primary_key_columns();
    const Column* key = pk.size() == 1 ? table.find_column(pk[0]) : nullptr;
    if (!key || !key->type.is_integer()) {
        std::string has = pk.empty()       ? "has no primary key"
                          : pk.size() > 1 ? "has a composite primary key (" + [&] {
                                std::string cols;
                                for (const auto& c : pk) cols += (cols.empty() ? "" : ", ") + c;
                                return cols;
                            }() + ")"
                                          : "has a primary key of type " + key->type.to_string();
        throw MigrationError("backfill: table '" + table.name() + "' " + has +
                             "; a backfill walks a table by a primary key of one integer column (update other "
                             "tables with execute)");
    }
    for (const auto& [name, expression] : op.set) {
        const Column* c = table.find_column(name);
        if (!c) throw MigrationError("backfill: table '" + table.name() + "' has no column '" + name + "'");
        if (c == key)
            throw MigrationError("backfill: column '" + name + "' is the primary key of table '" + table.name() +
                                 "', which the batches are walked by; it cannot be set");
        if (c->computed)
            throw MigrationError("backfill: column '" + name + "' of table '" + table.name() +
                                 "' is computed by the database; it cannot be set");
    }
    return *key;
}

BackfillSql backfill_sql(const Backfill& op, const Dialect& d, const Table& table) {
    return BackfillSql{op, d, d.quote(backfill_key(op, table).name), table};
}

std::string BackfillSql::next_bound(const std::string* after) const {
    return "SELECT MAX(" + key + "), COUNT(*) FROM (SELECT " + key + " FROM " + d.quote(op.table) +
           (after ? " WHERE " + key + " > " + *after : "") + " ORDER BY " + key + " LIMIT " +
           std::to_string(op.batch_size) + ") AS " + d.quote("batch");
}

namespace {

std::string set_clause(const Backfill& op, const Dialect& d) {
    std::string out;
    for (const auto& [column, expression] : op.set) out += (out.empty() ? "" : ", ") + d.quote(column) + " = (" + expression + ")";
    return out;
}

}  // namespace

std::string BackfillSql::update(const std::string* after, const std::string& upto) const {
    std::string where = (after ? key + " > " + *after + " AND " : "") + key + " <= " + upto;
    if (!op.where.empty()) where += " AND (" + op.where + ")";
    return "UPDATE " + d.quote(op.table) + " SET " + set_clause(op, d) + " WHERE " + where;
}

std::string BackfillSql::update_all() const {
    return "UPDATE " + d.quote(op.table) + " SET " + set_clause(op, d) + (op.where.empty() ? "" : " WHERE " + op.where);
}

std::string BackfillSql::count_rows(const std::string* upto) const {
    return "SELECT COUNT(*) FROM " + d.quote(op.table) + (upto ? " WHERE " + key + " <= " + *upto : "");
}

namespace {

std::int64_t count(Connection& conn, const std::string& sql, const std::vector<Value>& params) {
    auto stmt = conn.prepare(sql);
    for (std::size_t i = 0; i < params.size(); ++i) stmt->bind(static_cast<int>(i + 1), params[i]);
    return stmt->step() ? stmt->get_int64(0) : 0;
}

}  // namespace

std::int64_t run_backfill(Connection& conn, const Backfill& op, const Table& table,
                          std::optional<std::int64_t> resume_after, const BackfillDriver& driver) {
    const BackfillSql sql = backfill_sql(op, conn.dialect(), table);
    const std::string p1 = conn.dialect().placeholder(1), p2 = conn.dialect().placeholder(2);
    // Counted outside the batches' transactions, and only for someone who
    // asks: a snapshot for progress, a scan of the table.
    const bool counting = static_cast<bool>(driver.progress);
    std::int64_t total = counting ? count(conn, sql.count_rows(nullptr), {}) : 0;
    std::int64_t done = counting && resume_after ? count(conn, sql.count_rows(&p1), {Value(*resume_after)}) : 0;
    std::int64_t updated = 0;
    if (driver.progress) driver.progress(done, total);
    for (std::optional<std::int64_t> last = resume_after;;) {
        driver.begin();
        std::optional<std::int64_t> bound;
        std::int64_t walked = 0;
        {
            auto next = conn.prepare(sql.next_bound(last ? &p1 : nullptr));
            if (last) next->bind(1, Value(*last));
            if (next->step() && !next->is_null(0)) bound = next->get_int64(0), walked = next->get_int64(1);
        }
        if (!bound) {
            driver.commit(std::nullopt);   // nothing left: the record stays as it is
            break;
        }
        if (driver.before_statement) driver.before_statement();
        std::vector<Value> params;
        if (last) params.emplace_back(*last);
        params.emplace_back(*bound);
        updated += conn.execute(sql.update(last ? &p1 : nullptr, last ? p2 : p1), params);
        driver.commit(*bound);
        last = bound;
        done += walked;
        total = std::max(total, done);   // rows inserted since the count
        if (driver.progress) driver.progress(done, total);
        if (driver.pause.count() > 0) std::this_thread::sleep_for(driver.pause);
    }
    return updated;
}

}  // namespace strata::migrate
