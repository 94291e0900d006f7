// src/backend/postgresql/migrate/lint.cpp — PostgreSQL's hazard table: the lock each
// op takes on each table, and whether it scans or rewrites the table under it.
//
// Source: the PostgreSQL manual (ALTER TABLE: "unless otherwise noted, ACCESS
// EXCLUSIVE"; SHARE UPDATE EXCLUSIVE for VALIDATE CONSTRAINT and COMMENT;
// SHARE ROW EXCLUSIVE on both tables for ADD FOREIGN KEY; CREATE INDEX takes
// SHARE; ADD COLUMN with a volatile default and most type changes rewrite the
// table; SET NOT NULL scans it unless a valid CHECK proves the column is not
// null). Valid for PostgreSQL 12 and later (11 rewrote on SET NOT NULL's
// proof, 10 on any default). Every lock and rewrite verdict is checked
// against a live server by tests/migrate_lint_locks_test.cpp (pg_locks,
// pg_class.relfilenode); scans cannot be seen there and follow the manual.
//
// This file is the backend's own knowledge: it moves with the backend.
#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

#include "backend/postgresql/migrate/rules.hpp"
#include "migrate/lint.hpp"
#include "schema/sql_tokens.hpp"
#include "strata/dialect.hpp"

namespace strata::migrate {

namespace {

template <class... Fs>
struct overloaded : Fs... {
    using Fs::operator()...;
};
template <class... Fs>
overloaded(Fs...) -> overloaded<Fs...>;

constexpr LockMode kAccessExclusive = LockMode::AccessExclusive;

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// Functions a column default commonly calls that are not volatile (the
// server then stores the value once instead of rewriting every row).
bool known_not_volatile(const std::string& function) {
    static const std::set<std::string> names{
        "cast", "now", "transaction_timestamp", "statement_timestamp", "current_timestamp", "localtimestamp",
        "current_date", "current_time", "localtime", "current_user", "session_user", "current_schema",
        "lower", "upper", "length", "coalesce", "nullif", "greatest", "least", "abs", "round", "concat",
        "to_timestamp", "to_date", "make_date", "make_timestamp", "date_trunc", "array", "jsonb_build_object",
        "json_build_object", "jsonb_build_array", "json_build_array"};
    return names.count(lower(function)) > 0;
}

// The first function the expression calls that may be volatile (random(),
// clock_timestamp(), gen_random_uuid(), nextval(), or any function strata
// does not know), or "" when there is none.
std::string volatile_call(const std::string& expression) {
    auto tokens = sqltok::tokenize(expression);
    for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
        if (!tokens[i].is_name() || !tokens[i + 1].is('(')) continue;
        // A type with a modifier after a cast (::varchar(3), AS numeric(5, 2)) calls nothing.
        if (i > 0 && (tokens[i - 1].is(':') || tokens[i - 1].is_word("AS"))) continue;
        if (!known_not_volatile(tokens[i].text)) return tokens[i].text + "()";
    }
    return "";
}

bool is_text(const SqlType& t) {
    return (t.kind == TypeKind::String && !t.fixed_length) || t.kind == TypeKind::Text;
}

// Whether a type change keeps every stored value's bytes (the server only
// relabels the column): varchar made longer or unbounded, varchar to text,
// numeric made wider at the same scale or unconstrained.
bool binary_compatible(const SqlType& from, const SqlType& to) {
    if (is_text(from) && is_text(to)) {
        const int from_len = from.kind == TypeKind::Text ? 0 : from.length;
        const int to_len = to.kind == TypeKind::Text ? 0 : to.length;
        return to_len == 0 || (from_len != 0 && to_len >= from_len);
    }
    if (from.kind == TypeKind::Numeric && to.kind == TypeKind::Numeric)
        return to.precision == 0 || (from.precision != 0 && to.precision >= from.precision && to.scale == from.scale);
    return false;
}

const Table* find(const MetaData& schema, const std::string& name) { return schema.find(name); }

bool uses(const std::vector<std::string>& columns, const std::string& column) {
    return std::find(columns.begin(), columns.end(), column) != columns.end();
}

// A valid CHECK that says `column IS NOT NULL`: SET NOT NULL then skips its scan.
bool proven_not_null(const Table& t, const std::string& column, const LintState& state) {
    const std::string wanted = sqltok::canonical_expression(postgresql_dialect().quote(column) + " IS NOT NULL");
    return std::any_of(t.checks.begin(), t.checks.end(), [&](const CheckConstraint& ck) {
        return !state.not_valid.count({t.name(), ck.name}) && sqltok::canonical_expression(ck.sqltext) == wanted;
    });
}

struct Verdicts {
    const MetaData& before;
    const LintState& state;

    static OpVerdict on(const std::string& table, LockMode lock, TableWork work = TableWork::None) {
        return OpVerdict{{{table, lock, work}}, {}, {}, {}, false};
    }
    // A row of the table that reads every row of `table` under `lock`, with why and the safe way.
    static OpVerdict reads_all(const std::string& table, LockMode lock, std::string why, std::string alternative) {
        return OpVerdict{{{table, lock, TableWork::Scan}}, std::move(why), std::move(alternative), {}, false};
    }
    // Another table the op locks too (a foreign key's other end), when it exists.
    void also(OpVerdict& v, const std::string& table, LockMode lock, TableWork work = TableWork::None) const {
        if (!find(before, table)) return;
        for (auto& e : v.tables)
            if (e.table == table) {
                e.lock = std::max(e.lock, lock);
                e.work = std::max(e.work, work);
                return;
            }
        v.tables.push_back({table, lock, work});
    }

    // A new table locks only the tables its foreign keys refer to (their triggers are added).
    OpVerdict operator()(const CreateTable& op) const {
        OpVerdict v;
        for (const auto& fk : op.table.foreign_keys)
            if (fk.ref_table != op.table.name()) also(v, fk.ref_table, LockMode::ShareRowExclusive);
        return v;
    }
    // Dropping a table drops its foreign keys' triggers on the tables they refer to.
    OpVerdict operator()(const DropTable& op) const {
        OpVerdict v = on(op.table, kAccessExclusive);
        if (const Table* t = find(before, op.table))
            for (const auto& fk : t->foreign_keys) also(v, fk.ref_table, kAccessExclusive);
        return v;
    }
    OpVerdict operator()(const RenameTable& op) const { return on(op.table, kAccessExclusive); }
    OpVerdict operator()(const AddColumn& op) const {
        const Column& c = op.column;
        OpVerdict v = on(op.table, kAccessExclusive);
        std::string volatile_default = c.server_default ? volatile_call(*c.server_default) : "";
        if (c.computed) v.why = "a generated column's value is computed and stored for every row";
        else if (c.autoincrement && c.type.is_integer()) v.why = "an identity column numbers every row";
        else if (!volatile_default.empty())
            v.why = "the server default calls " + volatile_default +
                    ", which may be volatile (strata cannot tell), so every row gets its own value";
        if (!v.why.empty()) {
            v.tables[0].work = TableWork::Rewrite;
            v.alternative = "add the column without a server default (or with a constant one), fill it in batches "
                            "(execute UPDATE … WHERE id BETWEEN …), then set the default with alter_column";
        } else if (!c.nullable && !c.server_default) {
            v.tables[0].work = TableWork::Scan;   // every row checked for the NULL it would hold
            v.why = "a NOT NULL column without a default is checked against every row (and fails on any)";
            v.alternative = "give it a constant server_default, or add it nullable and fill it";
        }
        if (c.primary_key) {
            v.tables[0].work = std::max(v.tables[0].work, TableWork::Scan);
            if (v.why.empty()) v.why = "the primary key's index is built from every row";
        }
        return v;
    }
    OpVerdict operator()(const DropColumn& op) const {
        OpVerdict v = on(op.table, kAccessExclusive);
        if (const Table* t = find(before, op.table))
            for (const auto& fk : t->foreign_keys)
                if (uses(fk.columns, op.column)) also(v, fk.ref_table, kAccessExclusive);
        return v;
    }
    OpVerdict operator()(const AlterColumn& op) const {
        const Table* t = find(before, op.table);
        const Column* c = t ? t->find_column(op.column) : nullptr;
        const bool catalog = op.type || op.nullable || op.server_default || op.new_name;
        // A comment alone: COMMENT ON COLUMN takes SHARE UPDATE EXCLUSIVE.
        OpVerdict v = on(op.table, catalog ? kAccessExclusive : LockMode::ShareUpdateExclusive);
        if (!c) return v;
        if (op.type && !(*op.type == c->type) && !binary_compatible(c->type, *op.type)) {
            v.tables[0].work = TableWork::Rewrite;
            v.why = "changing the type from " + c->type.to_string() + " to " + op.type->to_string() +
                    " rewrites every row and rebuilds the table's indexes";
            v.alternative = "add a new column of the new type, fill it in batches, move readers and writers to it, "
                            "then drop the old one";
            type_change_of_key(v, *t, op.column);
        } else if (op.nullable && !*op.nullable && c->nullable && !proven_not_null(*t, op.column, state)) {
            v.tables[0].work = TableWork::Scan;
            v.why = "SET NOT NULL reads every row to check it";
            v.alternative = "create_check_constraint {sqltext: " + op.column + " IS NOT NULL, not_valid: true}, "
                            "validate_constraint, then alter_column nullable: false (the server uses the valid "
                            "CHECK and skips the scan), then drop the CHECK";
        }
        return v;
    }
    // A key column's new type: its foreign keys are made again on both ends
    // (and checked again: a scan of the referring table).
    void type_change_of_key(OpVerdict& v, const Table& t, const std::string& column) const {
        for (const auto& fk : t.foreign_keys)
            if (uses(fk.columns, column)) also(v, fk.ref_table, kAccessExclusive);
        for (const auto& other : before.tables())
            for (const auto& fk : other->foreign_keys)
                if (fk.ref_table == t.name() && uses(fk.ref_columns, column) && other->name() != t.name())
                    also(v, other->name(), kAccessExclusive, TableWork::Scan);
    }
    OpVerdict operator()(const AlterTable& op) const { return on(op.table, LockMode::ShareUpdateExclusive); }
    OpVerdict operator()(const CreateIndex& op) const {
        if (op.concurrently)   // outside the transaction; waits out running writers, blocks no one
            return reads_all(op.table, LockMode::ShareUpdateExclusive,
                             "CREATE INDEX CONCURRENTLY reads every row, blocking neither reads nor writes", "");
        return reads_all(op.table, LockMode::Share, "CREATE INDEX reads every row to build the index",
                         "create_index with concurrently: true (SHARE UPDATE EXCLUSIVE: reads and writes go on)");
    }
    OpVerdict operator()(const DropIndex& op) const {
        if (op.concurrently) return on(op.table, LockMode::ShareUpdateExclusive);
        OpVerdict v = on(op.table, kAccessExclusive);
        v.note = "drop_index with concurrently: true waits for no one's queries to be blocked";
        return v;
    }
    OpVerdict operator()(const CreateUniqueConstraint& op) const {
        if (!op.using_index.empty()) return on(op.table, kAccessExclusive);   // takes over a built index: the catalog only
        return reads_all(op.table, kAccessExclusive, "the constraint's unique index is built from every row",
                         "create_index {unique: true, concurrently: true}, then create_unique_constraint "
                         "{using_index: <that index>}");
    }
    OpVerdict operator()(const CreateCheckConstraint& op) const {
        if (op.not_valid) return on(op.table, kAccessExclusive);
        return reads_all(op.table, kAccessExclusive, "every row is checked",
                         "create_check_constraint with not_valid: true, then validate_constraint (SHARE UPDATE "
                         "EXCLUSIVE: reads and writes go on)");
    }
    OpVerdict operator()(const CreateForeignKey& op) const {
        OpVerdict v = on(op.table, LockMode::ShareRowExclusive, op.not_valid ? TableWork::None : TableWork::Scan);
        also(v, op.constraint.ref_table, LockMode::ShareRowExclusive);
        if (op.not_valid) return v;
        v.why = "every row is checked against " + op.constraint.ref_table;
        v.alternative = "create_foreign_key with not_valid: true, then validate_constraint (SHARE UPDATE "
                        "EXCLUSIVE: reads and writes go on)";
        return v;
    }
    // Reads every row, under a lock that lets reads and writes go on.
    OpVerdict operator()(const ValidateConstraint& op) const {
        OpVerdict v = on(op.table, LockMode::ShareUpdateExclusive, TableWork::Scan);
        if (const Table* t = find(before, op.table))
            for (const auto& fk : t->foreign_keys)
                if (fk.name == op.name) also(v, fk.ref_table, LockMode::RowShare);
        return v;
    }
    // A foreign key's triggers on the referred table go with it.
    OpVerdict operator()(const DropConstraint& op) const {
        OpVerdict v = on(op.table, kAccessExclusive);
        const Table* t = find(before, op.table);
        if (!t) return v;
        for (const auto& fk : t->foreign_keys) {
            const auto* unnamed = std::get_if<ForeignKey>(&op.unnamed);
            if (op.name.empty() ? (unnamed && fk.columns == unnamed->columns && fk.ref_table == unnamed->ref_table)
                                : fk.name == op.name)
                also(v, fk.ref_table, kAccessExclusive);
        }
        return v;
    }
    OpVerdict operator()(const Execute&) const {
        OpVerdict v;
        v.unknown = true;
        return v;
    }
    // UPDATEs in batches, each its own transaction: row locks on one batch's
    // rows at a time, no table rewrite.
    OpVerdict operator()(const Backfill& op) const {
        OpVerdict v = on(op.table, LockMode::RowExclusive);
        v.note = batches_note(op);
        return v;
    }
};

OpVerdict verdict(const Operation& op, const MetaData& before, const LintState& state) {
    return std::visit(Verdicts{before, state}, op);
}

LintState live_state(Connection& conn) {
    LintState state;
    auto rows = conn.prepare(
        "SELECT c.relname, k.conname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
        "WHERE NOT k.convalidated AND c.relnamespace = current_schema()::regnamespace");
    while (rows->step()) state.not_valid.emplace(std::string(rows->get_text(0)), std::string(rows->get_text(1)));
    return state;
}

}  // namespace

const BackendLint postgresql_lint{verdict, live_state};

}  // namespace strata::migrate
