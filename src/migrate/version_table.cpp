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

}  // namespace strata::migrate
