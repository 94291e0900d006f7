// src/migrate/version_table.cpp — the version table: its definition, reading and writing its rows.
#include "migrate/version_table.hpp"

#include "strata/dialect.hpp"
#include "strata/inspect.hpp"

namespace strata::migrate {

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

std::string delete_version_sql(const Dialect& d, const std::string& table, const std::string& value) {
    return "DELETE FROM " + d.quote(table) + " WHERE " + d.quote("version_num") + " = " + value;
}
std::string insert_version_sql(const Dialect& d, const std::string& table, const std::string& value) {
    return "INSERT INTO " + d.quote(table) + " (" + d.quote("version_num") + ") VALUES (" + value + ")";
}

void ensure_version_table(Connection& conn, const std::string& table) {
    if (has_table(conn, table)) return;
    for (const auto& sql : conn.dialect().create_table(version_table(table))) conn.execute(sql);
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

// ---------------------------------------------------------------- step records

namespace {

Column step_column(const std::string& name, SqlType type) {
    Column c;
    c.name = name;
    c.type = std::move(type);
    c.nullable = false;
    return c;
}

}  // namespace

Table step_table(const std::string& name) {
    Table t(name);
    Column id = step_column("version_num", String(static_cast<int>(kMaxRevisionIdLength)));
    id.primary_key = true;
    t.columns.push_back(id);
    t.columns.push_back(step_column("direction", String(9)));   // upgrade | downgrade
    t.columns.push_back(step_column("steps_done", Integer()));
    Column key = step_column("last_key", BigInteger());   // a backfill's last committed batch
    key.nullable = true;
    t.columns.push_back(key);
    t.primary_key_constraint = name + "_pkc";
    return t;
}

namespace {

// A step table made before backfills had no last_key column.
bool has_last_key(Connection& conn, const std::string& table) {
    auto stmt = conn.prepare("SELECT * FROM " + conn.dialect().quote(table) + " WHERE 1 = 0");
    stmt->step();
    for (int i = 0; i < stmt->column_count(); ++i)
        if (stmt->column_name(i) == "last_key") return true;
    return false;
}

}  // namespace

void ensure_step_table(Connection& conn, const std::string& table) {
    const Dialect& d = conn.dialect();
    if (!has_table(conn, table)) {
        for (const auto& sql : d.create_table(step_table(table))) conn.execute(sql);
    } else if (!has_last_key(conn, table)) {
        const Table t = step_table(table);
        conn.execute("ALTER TABLE " + d.quote(table) + " ADD COLUMN " + d.column_definition(t, *t.find_column("last_key")));
    }
}

std::optional<StepRecord> read_step_record(Connection& conn, const std::string& table) {
    if (!has_table(conn, table)) return std::nullopt;
    const Dialect& d = conn.dialect();
    const std::string last_key = has_last_key(conn, table) ? d.quote("last_key") : "NULL";
    auto stmt = conn.prepare("SELECT " + d.quote("version_num") + ", " + d.quote("direction") + ", " +
                             d.quote("steps_done") + ", " + last_key + " FROM " + d.quote(table) + " ORDER BY 1");
    if (!stmt->step()) return std::nullopt;
    return StepRecord{std::string(stmt->get_text(0)), stmt->get_text(1) == "upgrade",
                      static_cast<std::size_t>(stmt->get_int64(2)),
                      stmt->is_null(3) ? std::nullopt : std::optional<std::int64_t>(stmt->get_int64(3))};
}

void write_step_record(Connection& conn, const std::string& table, const StepRecord& record) {
    const Dialect& d = conn.dialect();
    conn.execute("DELETE FROM " + d.quote(table));
    std::vector<Value> params{Value(record.revision), Value(std::string(record.upgrade ? "upgrade" : "downgrade")),
                              Value(static_cast<std::int64_t>(record.steps_done)),
                              record.last_key ? Value(*record.last_key) : Value()};
    conn.execute("INSERT INTO " + d.quote(table) + " (" + d.quote("version_num") + ", " + d.quote("direction") + ", " +
                     d.quote("steps_done") + ", " + d.quote("last_key") + ") VALUES (" + d.placeholder(1) + ", " +
                     d.placeholder(2) + ", " + d.placeholder(3) + ", " + d.placeholder(4) + ")",
                 params);
}

void clear_step_records(Connection& conn, const std::string& table) {
    if (has_table(conn, table)) conn.execute("DELETE FROM " + conn.dialect().quote(table));
}

}  // namespace strata::migrate
