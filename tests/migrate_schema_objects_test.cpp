// Every schema object a database made by hand can hold, through the whole
// autogenerate cycle on each backend: made by hand, then `db check` →
// `db migrate` → `db upgrade` → `db check` clean → `db migrate` prints
// `No changes detected`. What the models can declare (partial, expression and
// descending indexes, server defaults, serial / identity keys) round-trips;
// what they cannot (views, triggers, tables strata.yaml leaves out) is never
// reported as a difference.
#include <gtest/gtest.h>

#include <fstream>

#include "migrate/revision_file.hpp"
#include "migrate_support.hpp"
#include "schema/sql_tokens.hpp"

using namespace strata;
using namespace strata::migrate;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class MigrateSchemaObjects : public strata::testing::MigrateTest {
protected:
    void SetUp() override {
        MigrateTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        write_rev("a1", "null", "", "", "adopted as it is");
        auto r = run_db({"stamp", "head"});
        ASSERT_EQ(r.code, 0) << r.err;
    }

    // The cycle after the hand-made schema: returns the first `db check`'s
    // output; the rest must end with no difference left.
    std::string cycle() {
        auto first = run_db({"check"});
        auto r = run_db({"migrate", "-m", "to the models"});
        EXPECT_EQ(r.code, 0) << r.out << r.err;
        r = run_db({"upgrade", "--yes"});
        EXPECT_EQ(r.code, 0) << r.out << r.err;
        r = run_db({"check"});
        EXPECT_EQ(r.code, 0) << r.out << r.err;
        EXPECT_EQ(r.out, "No changes detected\n") << r.err;
        r = run_db({"migrate", "-m", "again"});
        EXPECT_EQ(r.code, 0) << r.out << r.err;
        EXPECT_EQ(r.out, "No changes detected\n") << r.err;
        return first.out + first.err;
    }

    // A clean first check: the hand-made object is the models' own.
    void expect_no_drift() {
        auto r = run_db({"check"});
        EXPECT_EQ(r.code, 0) << r.out << r.err;
        EXPECT_EQ(r.out, "No changes detected\n") << r.err;
    }

    const Index& index_of(const std::string& table, const std::string& name) {
        reflected_ = inspect(conn());
        const Table* t = reflected_.find(table);
        static const Index none{};
        if (!t) return none;
        for (const auto& ix : t->indexes)
            if (ix.name == name) return ix;
        ADD_FAILURE() << "no index " << name << " on " << table;
        return none;
    }

    void item_table() {
        conn().execute("CREATE TABLE item (id INTEGER NOT NULL, name VARCHAR(40), score INTEGER, PRIMARY KEY (id))");
    }
    Table& item_model() {
        return models.table("item")
            .column("id", Integer(), primary_key())
            .column("name", String(40))
            .column("score", Integer());
    }

private:
    MetaData reflected_;
};

TEST_P(MigrateSchemaObjects, PartialIndex) {
    item_table();
    conn().execute("CREATE INDEX ix_item_live ON item (name) WHERE score > 0");
    conn().execute("CREATE INDEX ix_item_hot ON item (score) WHERE score > 100");
    Table& item = item_model();
    item.index(Index{.name = "ix_item_live", .columns = {"name"}, .where = "score > 0"});
    item.index(Index{.name = "ix_item_hot", .columns = {"score"}, .where = "score > 100"});
    EXPECT_EQ(index_of("item", "ix_item_live").where, "score > 0");
    expect_no_drift();

    item.indexes.back().where = "score > 50";   // changed
    item.index(Index{.name = "ix_item_named", .columns = {"name"}, .unique = true, .where = "name <> ''"});  // new
    const std::string first = cycle();
    EXPECT_TRUE(contains(first, "drop_index ix_item_hot on item: WHERE score > 100 → WHERE score > 50")) << first;
    EXPECT_TRUE(contains(first, "create_index ix_item_named on item")) << first;
    EXPECT_FALSE(contains(first, "ix_item_live")) << first;
    EXPECT_EQ(index_of("item", "ix_item_hot").where, "score > 50");
    EXPECT_EQ(index_of("item", "ix_item_named").where, "name <> ''");
    // The partial unique index holds only where its predicate does.
    conn().execute("INSERT INTO item (id, name, score) VALUES (1, '', 1), (2, '', 2)");
    EXPECT_THROW(conn().execute("INSERT INTO item (id, name, score) VALUES (3, 'x', 1), (4, 'x', 2)"), IntegrityError);
}

TEST_P(MigrateSchemaObjects, ExpressionIndex) {
    item_table();
    conn().execute("CREATE INDEX ix_item_lower_name ON item (lower(name))");
    conn().execute("CREATE INDEX ix_item_mixed ON item (score, (score * 2))");
    Table& item = item_model();
    item.index(Index{.name = "ix_item_lower_name", .columns = {"lower(name)"}, .expressions = {0}});
    item.index(Index{.name = "ix_item_mixed", .columns = {"score", "score * 2"}, .expressions = {1}});
    const Index& lower = index_of("item", "ix_item_lower_name");
    ASSERT_EQ(lower.columns.size(), 1u);
    EXPECT_NE(lower.columns[0], "") << "an expression key is read as its text";
    EXPECT_EQ(lower.expressions, std::vector<std::size_t>{0});
    expect_no_drift();

    item.indexes.erase(item.indexes.begin() + 1);   // ix_item_mixed is dropped
    item.index(Index{.name = "ix_item_name_len", .columns = {"length(name)", "id"}, .unique = true, .expressions = {0}});
    const std::string first = cycle();
    EXPECT_TRUE(contains(first, "drop_index ix_item_mixed on item")) << first;
    EXPECT_TRUE(contains(first, "create_index ix_item_name_len on item")) << first;
    const Index& len = index_of("item", "ix_item_name_len");
    EXPECT_EQ(len.columns, (std::vector<std::string>{"length(name)", "id"}));
    EXPECT_TRUE(len.unique);
    // The revision names the expression as it was declared, and it loads back.
    auto r = run_db({"downgrade", "a1", "--yes"});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_EQ(index_of("item", "ix_item_mixed").columns.size(), 2u);
}

TEST_P(MigrateSchemaObjects, DescendingIndex) {
    item_table();
    conn().execute("CREATE INDEX ix_item_score_name ON item (score DESC, name)");
    conn().execute("CREATE INDEX ix_item_name ON item (name)");
    Table& item = item_model();
    item.index(Index{.name = "ix_item_score_name", .columns = {"score", "name"}, .descending = {0}});
    item.index("ix_item_name", {"name"});
    EXPECT_EQ(index_of("item", "ix_item_score_name").descending, std::vector<std::size_t>{0});
    expect_no_drift();

    item.indexes.back().descending = {0};
    const std::string first = cycle();
    EXPECT_TRUE(contains(first, "drop_index ix_item_name on item: columns (name) → (name DESC)")) << first;
    EXPECT_EQ(index_of("item", "ix_item_name").descending, std::vector<std::size_t>{0});
}

TEST_P(MigrateSchemaObjects, ServerDefaultsInEachBackendsSpelling) {
    // Each backend's own spelling of the same defaults, as a DBA writes them.
    const std::string now = is_sqlite() ? "(datetime('now'))" : "now()";
    const std::string no = is_sqlite() ? "0" : "false";
    conn().execute("CREATE TABLE stamp (id INTEGER NOT NULL PRIMARY KEY, created TIMESTAMP DEFAULT CURRENT_TIMESTAMP, "
                   "seen TIMESTAMP DEFAULT " + now + ", day DATE DEFAULT CURRENT_DATE, n INTEGER DEFAULT 0, "
                   "m INTEGER DEFAULT -1, ratio FLOAT DEFAULT 1.5, label VARCHAR(10) DEFAULT 'x', "
                   "flag BOOLEAN DEFAULT " + no + ")");
    conn().execute("CREATE TABLE counter (id INTEGER NOT NULL PRIMARY KEY, level INTEGER DEFAULT 1, note VARCHAR(10))");
    models.table("stamp")
        .column("id", Integer(), primary_key())
        .column("created", DateTimeType(), server_default("CURRENT_TIMESTAMP"))
        .column("seen", DateTimeType(), server_default("CURRENT_TIMESTAMP"))
        .column("day", DateType(), server_default("CURRENT_DATE"))
        .column("n", Integer(), server_default("0"))
        .column("m", Integer(), server_default("-1"))
        .column("ratio", Float(), server_default("1.5"))
        .column("label", String(10), server_default("'x'"))
        .column("flag", Boolean(), server_default("0"));
    Table& counter = models.table("counter")
                         .column("id", Integer(), primary_key())
                         .column("level", Integer(), server_default("1"))
                         .column("note", String(10));
    expect_no_drift();

    counter.find_column("level")->server_default = "2";
    counter.find_column("note")->server_default = "'-'";
    counter.column("added", DateTimeType(), server_default("CURRENT_TIMESTAMP"));
    const std::string first = cycle();
    EXPECT_TRUE(contains(first, "alter_column counter.level: server_default 1 → 2")) << first;
    EXPECT_TRUE(contains(first, "alter_column counter.note: server_default NULL → '-'")) << first;
    EXPECT_TRUE(contains(first, "add_column counter.added")) << first;
    EXPECT_FALSE(contains(first, "stamp")) << first;
    conn().execute("INSERT INTO counter (id) VALUES (1)");
    EXPECT_EQ(rows("SELECT level, note, added IS NOT NULL FROM counter"),
              std::vector<std::string>{is_sqlite() ? "2|-|1" : "2|-|true"});
}

TEST_P(MigrateSchemaObjects, SerialIdentityAndRowidKeys) {
    // Every way each backend makes a key it assigns itself.
    if (is_sqlite()) {
        conn().execute("CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)");
        conn().execute("CREATE TABLE b (id INTEGER PRIMARY KEY, v TEXT)");
        conn().execute("CREATE TABLE c (id INTEGER NOT NULL, v TEXT, PRIMARY KEY (id))");
    } else {
        conn().execute("CREATE TABLE a (id SERIAL PRIMARY KEY, v TEXT)");
        conn().execute("CREATE TABLE b (id INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v TEXT)");
        conn().execute("CREATE TABLE c (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v TEXT)");
    }
    for (const char* name : {"a", "b", "c"})
        models.table(name).column("id", is_sqlite() || name[0] != 'c' ? SqlType(Integer()) : SqlType(BigInteger()),
                                   primary_key())
            .column("v", Text());
    expect_no_drift();
    models.table("d").column("id", Integer(), primary_key()).column("v", Text());
    const std::string first = cycle();
    EXPECT_TRUE(contains(first, "create_table d")) << first;
    for (const char* name : {"a", "b", "c", "d"}) {
        conn().execute(std::string("INSERT INTO ") + name + " (v) VALUES ('x')");
        EXPECT_EQ(rows(std::string("SELECT id FROM ") + name), std::vector<std::string>{"1"}) << name;
    }
}

TEST_P(MigrateSchemaObjects, ComputedColumns) {
    conn().execute("CREATE TABLE line (id INTEGER NOT NULL PRIMARY KEY, qty INTEGER, price INTEGER, "
                   "total INTEGER GENERATED ALWAYS AS (qty * price) STORED, shown VARCHAR(20))");
    conn().execute("INSERT INTO line (id, qty, price, shown) VALUES (1, 2, 3, 'a')");
    Table& line = models.table("line")
                      .column("id", Integer(), primary_key())
                      .column("qty", Integer())
                      .column("price", Integer())
                      .column("total", Integer(), computed("qty * price"))
                      .column("shown", String(20));
    const MetaData reflected = inspect(conn());
    const Column* total = reflected.find("line")->find_column("total");
    ASSERT_TRUE(total && total->computed);
    EXPECT_FALSE(total->server_default);
    expect_no_drift();

    line.find_column("total")->computed = "qty * price + 1";
    line.column("twice", Integer(), computed("qty * 2"));
    const std::string first = cycle();
    EXPECT_TRUE(contains(first, "drop_column line.total: computed ")) << first;
    EXPECT_TRUE(contains(first, " → computed qty * price + 1")) << first;
    EXPECT_TRUE(contains(first, "add_column line.twice")) << first;
    EXPECT_EQ(rows("SELECT total, twice, shown FROM line"), std::vector<std::string>{"7|4|a"});
}

struct Line {
    std::int64_t id = 0;
    std::int64_t qty = 0;
};

// A mapped model with a generated column declared on its table: the ORM
// writes the members, the database computes the rest.
TEST_P(MigrateSchemaObjects, ComputedColumnBesideAMappedModel) {
    Registry registry;
    registry.model<Line>("line").column(&Line::id, "id", primary_key()).column(&Line::qty, "qty");
    registry.table("line").column("twice", Integer(), computed("qty * 2"));
    models = registry.metadata();
    auto r = run_db({"migrate", "-m", "line"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    r = run_db({"upgrade", "--yes"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    Session s(db(), registry);
    s.add(Line{.qty = 21});
    s.commit();
    EXPECT_EQ(rows("SELECT twice FROM line"), std::vector<std::string>{"42"});
    EXPECT_EQ(run_db({"migrate", "-m", "again"}).out, "No changes detected\n");
}

// PostgreSQL keeps comments and they round-trip; SQLite keeps none, so
// there they are written nowhere and never compared.
TEST_P(MigrateSchemaObjects, TableAndColumnComments) {
    conn().execute("CREATE TABLE note (id INTEGER NOT NULL PRIMARY KEY, body TEXT, kind TEXT)");
    if (!is_sqlite()) {
        conn().execute("COMMENT ON TABLE note IS 'Notes'");
        conn().execute("COMMENT ON COLUMN note.body IS 'The text'");
        conn().execute("COMMENT ON COLUMN note.kind IS 'It''s gone'");
    }
    Table& note = models.table("note")
                      .column("id", Integer(), primary_key())
                      .column("body", Text(), comment("The text"))
                      .column("kind", Text(), comment("It's gone"));
    note.comment = "Notes";
    expect_no_drift();

    note.comment = "All notes";
    note.find_column("body")->comment = "Body text";
    note.find_column("kind")->comment.reset();
    note.column("tag", String(20), comment("a tag"));
    const std::string first = cycle();
    EXPECT_TRUE(contains(first, "add_column note.tag")) << first;
    if (is_sqlite()) {
        EXPECT_FALSE(contains(first, "comment")) << first;
        return;
    }
    EXPECT_TRUE(contains(first, "alter_table note: comment 'Notes' → 'All notes'")) << first;
    EXPECT_TRUE(contains(first, "alter_column note.body: comment 'The text' → 'Body text'")) << first;
    EXPECT_TRUE(contains(first, "alter_column note.kind: comment 'It's gone' → NULL")) << first;
    EXPECT_EQ(rows("SELECT obj_description('note'::regclass, 'pg_class'), col_description('note'::regclass, 2), "
                   "col_description('note'::regclass, 3) IS NULL, col_description('note'::regclass, 4)"),
              std::vector<std::string>{"All notes|Body text|true|a tag"});
    auto r = run_db({"downgrade", "a1", "--yes"});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_EQ(rows("SELECT obj_description('note'::regclass, 'pg_class'), col_description('note'::regclass, 3)"),
              std::vector<std::string>{"Notes|It's gone"});
}

TEST_P(MigrateSchemaObjects, ViewsAreNeverADifference) {
    item_table();
    conn().execute("CREATE VIEW item_names AS SELECT id, name FROM item");
    item_model();
    expect_no_drift();
    models.table("tag").column("id", Integer(), primary_key()).column("label", String(20));
    const std::string first = cycle();
    EXPECT_FALSE(contains(first, "item_names")) << first;
    EXPECT_EQ(rows("SELECT count(*) FROM item_names"), std::vector<std::string>{"0"});
}

TEST_P(MigrateSchemaObjects, TriggersAreNeverADifference) {
    item_table();
    conn().execute("CREATE TABLE audit (item_id INTEGER)");
    if (is_sqlite()) {
        conn().execute("CREATE TRIGGER item_audit AFTER INSERT ON item BEGIN INSERT INTO audit VALUES (new.id); END");
    } else {
        conn().execute("CREATE FUNCTION item_audit() RETURNS trigger LANGUAGE plpgsql AS "
                       "$$ BEGIN INSERT INTO audit VALUES (NEW.id); RETURN NEW; END $$");
        conn().execute("CREATE TRIGGER item_audit AFTER INSERT ON item FOR EACH ROW EXECUTE FUNCTION item_audit()");
    }
    item_model();
    models.table("audit").column("item_id", Integer());
    expect_no_drift();
    models.table("item").column("note", String(20));
    const std::string first = cycle();
    EXPECT_FALSE(contains(first, "item_audit")) << first;
    conn().execute("INSERT INTO item (id, name) VALUES (7, 'x')");
    EXPECT_EQ(rows("SELECT item_id FROM audit"), std::vector<std::string>{"7"});
}

// A table the models do not know is reported, and dropping it needs the
// destructive guard's yes; strata.yaml's exclude_tables / include_tables
// leave tables out of the comparison on both sides.
TEST_P(MigrateSchemaObjects, UnknownTablesReportedUnlessExcluded) {
    item_table();
    conn().execute("CREATE TABLE legacy_orders (id INTEGER PRIMARY KEY, total INTEGER)");
    conn().execute("CREATE TABLE legacy_users (id INTEGER PRIMARY KEY)");
    conn().execute("CREATE TABLE scratch (id INTEGER PRIMARY KEY)");
    conn().execute("INSERT INTO scratch (id) VALUES (1)");
    item_model();
    auto r = run_db({"check"});
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.out, "drop_table legacy_orders")) << r.out;
    EXPECT_TRUE(contains(r.out, "drop_table scratch")) << r.out;

    std::ofstream(repo() / "strata.yaml") << "version_table: strata_version\nexclude_tables: [legacy_*]\n";
    r = run_db({"check"});
    EXPECT_FALSE(contains(r.out, "legacy_")) << r.out;
    EXPECT_TRUE(contains(r.out, "drop_table scratch")) << r.out;
    // A models' table under an excluded name is left alone too.
    models.table("legacy_archive").column("id", Integer(), primary_key());

    r = run_db({"migrate", "-m", "drop scratch"});
    ASSERT_EQ(r.code, 0) << r.err;
    r = run_db({"upgrade"});   // no terminal, no --yes: refused, nothing dropped
    EXPECT_NE(r.code, 0);
    EXPECT_TRUE(contains(r.out + r.err, "drop_table scratch")) << r.out << r.err;
    EXPECT_EQ(rows("SELECT count(*) FROM scratch"), std::vector<std::string>{"1"});
    r = run_db({"upgrade", "--yes"});
    ASSERT_EQ(r.code, 0) << r.err;
    r = run_db({"check"});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "No changes detected\n");
    EXPECT_EQ(run_db({"migrate", "-m", "again"}).out, "No changes detected\n");
    EXPECT_EQ(rows("SELECT count(*) FROM legacy_orders"), std::vector<std::string>{"0"});

    // include_tables: only the named tables are compared.
    std::ofstream(repo() / "strata.yaml") << "include_tables: [item]\n";
    conn().execute("CREATE TABLE other (id INTEGER PRIMARY KEY)");
    models.table("unmanaged").column("id", Integer(), primary_key());
    r = run_db({"check"});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "No changes detected\n");
}

TEST_P(MigrateSchemaObjects, ConfigPatternsAreChecked) {
    std::ofstream(repo() / "strata.yaml") << "exclude_tables: legacy_*\n";
    auto r = run_db({"check"});
    EXPECT_NE(r.code, 0);
    EXPECT_TRUE(contains(r.err, "strata.yaml:1:17: exclude_tables: expected a list of table names or patterns")) << r.err;
}

STRATA_INSTANTIATE_BACKENDS(MigrateSchemaObjects);

// The revision file spells every new field, and reads back what it wrote.
TEST(SchemaObjectsFile, IndexKeysComputedColumnsAndCommentsRoundTrip) {
    Revision rev;
    rev.id = "b2";
    rev.down_revisions = {"a1"};
    Table t("line");
    t.column("id", Integer(), primary_key());
    t.column("total", Integer(), computed("qty * price"), comment("what it costs"));
    t.comment = "Order lines";
    const Index ix{.name = "ix_line_recent", .columns = {"id", "lower(note)", "total"}, .unique = true,
                   .expressions = {1}, .descending = {1, 2}, .where = "total > 0"};
    rev.upgrade = {
        {CreateTable{t}, 0, 0, {}},
        {CreateIndex{"line", ix}, 0, 0, {}},
        {AlterColumn{"line", "total", {}, {}, {}, {}, std::optional<std::string>{}}, 0, 0, {}},
        {AlterTable{"line", std::optional<std::string>{"Lines"}}, 0, 0, {}},
    };
    const std::string text = format_revision(rev);
    EXPECT_NE(text.find("columns: [id, {expression: lower(note), descending: true}, {column: total, descending: true}]"),
              std::string::npos) << text;
    Revision back = parse_revision(text, "b2.yaml");
    EXPECT_EQ(format_revision(back), text);
    const Table& ct = std::get<CreateTable>(back.upgrade[0].op).table;
    EXPECT_EQ(ct.find_column("total")->computed, "qty * price");
    EXPECT_EQ(ct.find_column("total")->comment, "what it costs");
    EXPECT_EQ(ct.comment, "Order lines");
    EXPECT_EQ(std::get<CreateIndex>(back.upgrade[1].op).index, ix);
    const auto& alter = std::get<AlterColumn>(back.upgrade[2].op);
    ASSERT_TRUE(alter.comment.has_value());
    EXPECT_FALSE(alter.comment->has_value()) << "comment: null drops the comment";
    EXPECT_EQ(std::get<AlterTable>(back.upgrade[3].op).comment, std::optional<std::string>{"Lines"});
}

TEST(SchemaObjectsFile, BadIndexKeysAreNamed) {
    auto error_of = [](const std::string& columns) {
        const std::string text = "revision: b2\ndown_revision: null\nupgrade:\n  - create_index: {table: t, name: ix, columns: " +
                                 columns + "}\ndowngrade: []\n";
        try {
            parse_revision(text, "b2.yaml");
        } catch (const MigrationError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_TRUE(contains(error_of("[{column: a, expression: b}]"), "expected either 'column' or 'expression'"))
        << error_of("[{column: a, expression: b}]");
    EXPECT_TRUE(contains(error_of("[{expression: \"a); DROP TABLE t; --\"}]"), "is not one SQL expression"));
    EXPECT_TRUE(contains(error_of("[{column: a, desc: true}]"), "unknown field 'desc'"));
}

TEST(SchemaObjectsModels, IndexDeclarationsAreChecked) {
    Table t("t");
    t.column("a", Integer());
    EXPECT_THROW(t.index(Index{.name = "", .columns = {"lower(a)"}, .expressions = {0}}), Error) << "needs a name";
    EXPECT_THROW(t.index(Index{.name = "ix", .columns = {"b"}}), Error) << "unknown column";
    EXPECT_THROW(t.index(Index{.name = "ix", .columns = {"a"}, .descending = {1}}), Error) << "no key 1";
    EXPECT_THROW(t.index(Index{.name = "ix", .columns = {"a"}, .where = "a > 0; DROP TABLE t"}), Error);
    t.index(Index{.name = "", .columns = {"a"}, .descending = {0}});
    EXPECT_EQ(t.indexes.back().name, "ix_t_a");
}

// What the comparison treats as the same expression.
TEST(SchemaObjectsCompare, CanonicalExpressions) {
    using sqltok::canonical_expression;
    EXPECT_EQ(canonical_expression("lower((email)::text)"), canonical_expression("LOWER(email)"));
    EXPECT_EQ(canonical_expression("((name)::text <> ''::text)"), canonical_expression("name <> ''"));
    EXPECT_EQ(canonical_expression("'x'::character varying"), canonical_expression("'x'"));
    EXPECT_EQ(canonical_expression("(created_at)::timestamp without time zone"), canonical_expression("created_at"));
    EXPECT_EQ(canonical_expression("\"score\"   >   0"), canonical_expression("(score > 0)"));
    EXPECT_NE(canonical_expression("'X'"), canonical_expression("'x'")) << "literals keep their case";
    EXPECT_NE(canonical_expression("score > 1"), canonical_expression("score > 10"));
    EXPECT_NE(canonical_expression("f(a, b)"), canonical_expression("f(b, a)"));
}

}  // namespace
