// The linter's PostgreSQL hazard table checked against what a real server
// does: each op runs inside a transaction that is rolled back, and the
// strongest lock this backend holds on every table (pg_locks) and whether
// the table got a new file (pg_class.relfilenode, i.e. was rewritten) must be
// what the linter says.
//
// A scan (SET NOT NULL, a CHECK or foreign key checked against the rows, an
// index build) leaves no trace in relfilenode or pg_locks: those verdicts
// follow the PostgreSQL manual (ALTER TABLE's notes on each form), not this test.
#include <algorithm>
#include <map>

#include "migrate/backend_rules.hpp"
#include "migrate/lint.hpp"
#include "migrate/revision_file.hpp"
#include "support.hpp"

namespace strata::testing {
namespace {

using namespace strata::migrate;

// Three tables with rows (a rewrite or scan has something to do): parent,
// child -> parent by fk_child_parent, and solo with an index, a unique
// constraint and a CHECK.
const char* kBaseSchema[] = {
    "CREATE TABLE parent (id integer PRIMARY KEY, name varchar(20) NOT NULL, amount numeric(10,2), note text)",
    "CREATE TABLE child (id integer PRIMARY KEY, parent_id integer, body varchar(100), t text, k integer, "
    "CONSTRAINT fk_child_parent FOREIGN KEY (parent_id) REFERENCES parent (id))",
    "CREATE TABLE solo (id integer PRIMARY KEY, a integer, b varchar(10), CONSTRAINT uq_solo_b UNIQUE (b), "
    "CONSTRAINT ck_solo_a CHECK (a >= 0))",
    "CREATE INDEX ix_solo_a ON solo (a)",
    "INSERT INTO parent SELECT g, 'p' || g, g, 'n' FROM generate_series(1, 50) g",
    "INSERT INTO child SELECT g, g, 'b', 't', g FROM generate_series(1, 50) g",
    "INSERT INTO solo SELECT g, g, 'b' || g FROM generate_series(1, 50) g",
};

struct LockCase {
    const char* name;
    const char* op;                        // one list item of a revision file, after "- "
    std::vector<const char*> setup = {};   // committed before the op is measured
};

// ≥ 25 ops, every op kind and the forms whose lock or rewrite differ.
const std::vector<LockCase> kCases = {
    {"create_table", "create_table: {table: fresh, columns: [{name: id, type: Integer, primary_key: true}]}"},
    {"create_table_fk",
     "create_table: {table: fresh, columns: [{name: id, type: Integer, primary_key: true}, {name: parent_id, type: Integer}], "
     "foreign_keys: [{name: fk_fresh_parent, columns: [parent_id], ref_table: parent, ref_columns: [id]}]}"},
    {"drop_table", "drop_table: solo"},
    {"drop_table_with_fk", "drop_table: child"},
    {"rename_table", "rename_table: {table: solo, new_name: alone}"},
    {"add_column_nullable", "add_column: {table: solo, column: {name: c, type: String(20)}}"},
    {"add_column_not_null_constant", "add_column: {table: solo, column: {name: c, type: Integer, nullable: false, server_default: '0'}}"},
    {"add_column_stable_default", "add_column: {table: solo, column: {name: c, type: DateTime, server_default: CURRENT_TIMESTAMP}}"},
    {"add_column_volatile_default", "add_column: {table: solo, column: {name: c, type: Float, server_default: random()}}"},
    {"add_column_computed", "add_column: {table: solo, column: {name: c, type: Integer, computed: a * 2}}"},
    {"add_column_enum_with_comment",
     "add_column: {table: solo, column: {name: mood, type: 'Enum(happy,sad)', comment: how it feels}}"},
    {"drop_column", "drop_column: {table: solo, column: b}"},
    {"drop_column_fk", "drop_column: {table: child, column: parent_id}"},
    {"alter_type_longer_varchar", "alter_column: {table: solo, column: b, type: String(50)}"},
    {"alter_type_varchar_to_text", "alter_column: {table: solo, column: b, type: Text}"},
    {"alter_type_shorter_varchar", "alter_column: {table: child, column: body, type: String(50)}"},
    {"alter_type_text_to_varchar", "alter_column: {table: child, column: t, type: String(10)}"},
    {"alter_type_int_to_bigint", "alter_column: {table: solo, column: a, type: BigInteger}"},
    {"alter_type_wider_numeric", "alter_column: {table: parent, column: amount, type: 'Numeric(12,2)'}"},
    {"alter_type_referenced_key", "alter_column: {table: parent, column: id, type: BigInteger}"},
    {"alter_type_referring_key", "alter_column: {table: child, column: parent_id, type: BigInteger}"},
    {"set_not_null", "alter_column: {table: solo, column: a, nullable: false}"},
    {"set_not_null_proven",
     "alter_column: {table: solo, column: a, nullable: false}",
     {"ALTER TABLE solo ADD CONSTRAINT ck_solo_a_nn CHECK (a IS NOT NULL)"}},
    {"drop_not_null", "alter_column: {table: parent, column: name, nullable: true}"},
    {"set_default", "alter_column: {table: solo, column: a, server_default: '1'}"},
    {"rename_column", "alter_column: {table: solo, column: b, new_name: bee}"},
    {"column_comment", "alter_column: {table: solo, column: b, comment: the b}"},
    {"table_comment", "alter_table: {table: solo, comment: alone}"},
    {"create_index", "create_index: {table: child, name: ix_child_k, columns: [k]}"},
    {"create_index_partial_expression",
     "create_index: {table: child, name: ix_child_lower_t, columns: [{expression: lower(t)}], unique: false, where: k > 0}"},
    {"drop_index", "drop_index: {table: solo, name: ix_solo_a}"},
    {"create_unique_constraint", "create_unique_constraint: {table: child, name: uq_child_k, columns: [k]}"},
    {"create_unique_constraint_using_index",
     "create_unique_constraint: {table: child, name: uq_child_k, using_index: ux_child_k}",
     {"CREATE UNIQUE INDEX ux_child_k ON child (k)"}},
    {"create_check_constraint", "create_check_constraint: {table: child, name: ck_child_k, sqltext: k > 0}"},
    {"create_check_constraint_not_valid",
     "create_check_constraint: {table: child, name: ck_child_k, sqltext: k > 0, not_valid: true}"},
    {"create_foreign_key",
     "create_foreign_key: {table: solo, name: fk_solo_a_parent, columns: [a], ref_table: parent, ref_columns: [id]}"},
    {"create_foreign_key_not_valid",
     "create_foreign_key: {table: solo, name: fk_solo_a_parent, columns: [a], ref_table: parent, ref_columns: [id], "
     "not_valid: true}"},
    {"validate_foreign_key",
     "validate_constraint: {table: solo, name: fk_solo_a_parent}",
     {"ALTER TABLE solo ADD CONSTRAINT fk_solo_a_parent FOREIGN KEY (a) REFERENCES parent (id) NOT VALID"}},
    {"validate_check",
     "validate_constraint: {table: child, name: ck_child_k}",
     {"ALTER TABLE child ADD CONSTRAINT ck_child_k CHECK (k > 0) NOT VALID"}},
    {"drop_unique_constraint", "drop_constraint: {table: solo, name: uq_solo_b}"},
    {"drop_check_constraint", "drop_constraint: {table: solo, name: ck_solo_a}"},
    {"drop_foreign_key", "drop_constraint: {table: child, name: fk_child_parent}"},
};

Operation parse_op(const std::string& item) {
    Revision rev = parse_revision("revision: r1\ndown_revision: null\nupgrade:\n  - " + item + "\ndowngrade: []\n",
                                  "lint_case.yaml");
    return rev.upgrade.at(0).op;
}

struct TableState {
    std::string name;
    std::string relfilenode;
};

// One database for all cases (a database per case would take most of the
// time): each case starts from a fresh schema.
class MigrateLintLocks : public PostgresTest {
protected:
    void SetUp() override {
        PostgresTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        conn_ = open_connection();
    }
    void TearDown() override {
        conn_.reset();
        PostgresTest::TearDown();
    }

    void fresh_schema(const LockCase& c) {
        conn_->execute("DROP SCHEMA public CASCADE");
        conn_->execute("CREATE SCHEMA public");
        for (const char* sql : kBaseSchema) conn_->execute(sql);
        for (const char* sql : c.setup) conn_->execute(sql);
    }
    // oid -> name and file of every table of the schema.
    std::map<std::string, TableState> tables() {
        std::map<std::string, TableState> out;
        auto stmt = conn_->prepare("SELECT oid::text, relname, relfilenode::text FROM pg_class "
                                   "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace");
        while (stmt->step())
            out[std::string(stmt->get_text(0))] = {std::string(stmt->get_text(1)), std::string(stmt->get_text(2))};
        return out;
    }
    // The strongest lock this backend holds on each relation, by oid.
    std::map<std::string, LockMode> held_locks() {
        std::map<std::string, LockMode> out;
        auto stmt = conn_->prepare("SELECT relation::text, mode FROM pg_locks WHERE pid = pg_backend_pid() AND "
                                   "locktype = 'relation' AND granted");
        while (stmt->step()) {
            LockMode mode = lock_from_pg_locks(stmt->get_text(1));
            auto& strongest = out[std::string(stmt->get_text(0))];
            strongest = std::max(strongest, mode);
        }
        return out;
    }

    // Runs the case's op in a transaction that is rolled back and compares
    // what the server did with what the linter says.
    void check(const LockCase& c) {
        fresh_schema(c);
        const Operation op = parse_op(c.op);
        const MetaData before = inspect(*conn_);
        const BackendLint* pg = rules_for(postgresql_dialect()).lint();
        ASSERT_NE(pg, nullptr);
        const OpVerdict verdict = pg->verdict(op, before, pg->live_state(*conn_));
        std::map<std::string, TableEffect> said;
        for (const auto& e : verdict.tables) said[e.table] = e;

        const auto files_before = tables();
        ASSERT_EQ(files_before.size(), 3u) << "parent, child and solo";
        conn_->begin();
        for (const auto& sql : render(op, postgresql_dialect(), before)) conn_->execute(sql);
        const auto locks = held_locks();
        const auto files_after = tables();
        conn_->rollback();

        for (const auto& [oid, table] : files_before) {
            const TableEffect expected = said.count(table.name) ? said[table.name] : TableEffect{table.name};
            const auto held = locks.count(oid) ? locks.at(oid) : LockMode::None;
            EXPECT_EQ(lock_name(held), lock_name(expected.lock)) << c.name << ": lock on " << table.name;
            if (!files_after.count(oid)) continue;   // dropped by the op: no file left to compare
            const bool rewritten = files_after.at(oid).relfilenode != table.relfilenode;
            EXPECT_EQ(rewritten, expected.work == TableWork::Rewrite) << c.name << ": rewrite of " << table.name;
        }
        for (const auto& entry : said) {
            const std::string& name = entry.first;   // a plain name: clang 14 lambdas cannot capture a binding
            const bool exists = std::any_of(files_before.begin(), files_before.end(),
                                            [&](const auto& t) { return t.second.name == name; });
            EXPECT_TRUE(exists) << c.name << ": the linter names a table that does not exist: " << name;
        }
    }

    std::unique_ptr<Connection> conn_;
};

TEST_F(MigrateLintLocks, EveryOpLocksAndRewritesAsTheLinterSays) {
    EXPECT_GE(kCases.size(), 25u);   // the count the issue asks for, so a trimmed list cannot pass silently
    for (const auto& c : kCases) {
        SCOPED_TRACE(c.name);
        check(c);
    }
}

}  // namespace
}  // namespace strata::testing
