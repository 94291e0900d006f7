// Reflection on PostgreSQL: what pg_catalog says, normalised to the shapes
// create_all takes; the pool's handling of connections the server dropped.
#include <string>

#include "support.hpp"

namespace strata {
namespace {

using testing::expect_throw;

std::string differences(const MetaData& expected, const MetaData& actual) {
    std::string out;
    for (const auto& d : compare_schema(expected, actual)) out += d.table + ": " + d.description + "\n";
    return out;
}

// Runs on both backends: server defaults of every kind survive create_all + inspect unchanged.
class DefaultsRoundTrip : public testing::BackendTest {};

TEST_P(DefaultsRoundTrip, ServerDefaultsInspectAsDeclared) {
    MetaData md;
    md.table("defaults")
        .column("id", Integer(), primary_key())
        .column("name", String(20), server_default("'anon'"))
        .column("quote", Text(), server_default("'it''s'"))
        .column("negative", Integer(), server_default("-1"))
        .column("zero", BigInteger(), server_default("0"))
        .column("price", Numeric(10, 2), server_default("1.50"))
        .column("ratio", Float(), server_default("0.5"))
        .column("flag", Boolean(), server_default("0"))
        .column("day", DateType(), server_default("'2020-01-01'"))
        .column("created", DateTimeType(), server_default("CURRENT_TIMESTAMP"))
        .column("level", Enum({"low", "high"}, "level_kind"), server_default("'low'"));
    auto conn = open_connection();
    md.create_all(*conn);
    const MetaData live = inspect(*conn);
    EXPECT_EQ(differences(md, live), "");
    // compare_schema leaves autoincrement out; migrations rebuild tables from it.
    for (const auto& c : md.find("defaults")->columns) {
        EXPECT_EQ(live.find("defaults")->find_column(c.name)->autoincrement, c.autoincrement) << c.name;
    }
    // The defaults work, not just reflect.
    conn->execute("INSERT INTO " + conn->dialect().quote("defaults") + " (id) VALUES (1)");
    auto stmt = conn->prepare("SELECT name, quote, negative, price, flag, day, level FROM " +
                              conn->dialect().quote("defaults"));
    ASSERT_TRUE(stmt->step());
    EXPECT_EQ(stmt->get_text(0), "anon");
    EXPECT_EQ(stmt->get_text(1), "it's");
    EXPECT_EQ(stmt->get_int64(2), -1);
    EXPECT_EQ(stmt->get_double(3), 1.5);  // SQLite stores NUMERIC as REAL: compare the value
    EXPECT_FALSE(stmt->get_bool(4));
    EXPECT_EQ(format_date(stmt->get_date(5)), "2020-01-01");
    EXPECT_EQ(stmt->get_text(6), "low");
}

STRATA_INSTANTIATE_BACKENDS(DefaultsRoundTrip);

class PgInspect : public testing::PostgresTest {};

// Catalog queries look at the schema the test works in only.
const std::string kCurrentSchema = "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())";

TEST_F(PgInspect, EnumIsANativeTypeWithItsValuesReflected) {
    MetaData md;
    md.table("post").column("id", Integer(), primary_key()).column("state", Enum({"draft", "it's", "caf\xc3\xa9"}));
    md.table("page").column("id", Integer(), primary_key()).column("kind", Enum({"a", "b"}, "page_kind"));
    auto conn = open_connection();
    md.create_all(*conn);
    {
        auto stmt = conn->prepare(
            "SELECT t.typname, string_agg(e.enumlabel, '|' ORDER BY e.enumsortorder) FROM pg_type t "
            "JOIN pg_enum e ON e.enumtypid = t.oid WHERE t.typnamespace = " + kCurrentSchema +
            " GROUP BY t.typname ORDER BY t.typname");
        ASSERT_TRUE(stmt->step());
        EXPECT_EQ(stmt->get_text(0), "page_kind");
        EXPECT_EQ(stmt->get_text(1), "a|b");
        ASSERT_TRUE(stmt->step());
        EXPECT_EQ(stmt->get_text(0), "state");
        EXPECT_EQ(stmt->get_text(1), "draft|it's|caf\xc3\xa9");
    }

    MetaData live = inspect(*conn);
    EXPECT_EQ(differences(md, live), "");
    EXPECT_EQ(live.find("post")->find_column("state")->type, Enum({"draft", "it's", "caf\xc3\xa9"}));
    EXPECT_EQ(live.find("page")->find_column("kind")->type, Enum({"a", "b"}, "page_kind"));
    EXPECT_TRUE(live.find("post")->checks.empty()) << "a native enum needs no CHECK";

    md.drop_all(*conn);
    auto left = conn->prepare("SELECT count(*) FROM pg_type WHERE typtype = 'e' AND typnamespace = " + kCurrentSchema);
    ASSERT_TRUE(left->step());
    EXPECT_EQ(left->get_int64(0), 0) << "drop_all drops the enum types too";
}

TEST_F(PgInspect, EnumSharedByTwoTablesIsCreatedOnceAndDroppedWithTheLast) {
    MetaData md;
    md.table("a").column("id", Integer(), primary_key()).column("mood", Enum({"up", "down"}, "mood"));
    md.table("b").column("id", Integer(), primary_key()).column("mood", Enum({"up", "down"}, "mood"));
    auto conn = open_connection();
    md.create_all(*conn);
    EXPECT_EQ(differences(md, inspect(*conn)), "");
    conn->execute("DROP TABLE a");
    // The type survives while b uses it; dropping b's DDL removes it.
    for (const auto& sql : conn->dialect().drop_table(*md.find("b"))) conn->execute(sql);
    auto left = conn->prepare("SELECT count(*) FROM pg_type WHERE typname = 'mood' AND typnamespace = " + kCurrentSchema);
    ASSERT_TRUE(left->step());
    EXPECT_EQ(left->get_int64(0), 0);
}

TEST_F(PgInspect, ReflectsSchemaMadeByHand) {
    auto conn = open_connection();
    conn->execute(
        "CREATE TABLE author (id BIGINT GENERATED ALWAYS AS IDENTITY CONSTRAINT author_pkey PRIMARY KEY, "
        "name VARCHAR NOT NULL, born TIMESTAMPTZ, score NUMERIC, tiny REAL, note CHAR(3), "
        "ident SERIAL, CONSTRAINT author_name_key UNIQUE (name, note), CONSTRAINT score_positive CHECK (score > 0))");
    conn->execute("CREATE TABLE book (id INTEGER PRIMARY KEY, author_id BIGINT, CONSTRAINT book_author_fk FOREIGN KEY "
                  "(author_id) REFERENCES author (id) ON DELETE RESTRICT ON UPDATE SET NULL)");
    conn->execute("CREATE INDEX book_multi ON book (author_id, id)");

    MetaData live = inspect(*conn);
    ASSERT_EQ(table_names(*conn), (std::vector<std::string>{"author", "book"}));
    const Table& author = *live.find("author");
    const Column& id = *author.find_column("id");
    EXPECT_EQ(id.type, BigInteger());
    EXPECT_TRUE(id.primary_key);
    EXPECT_TRUE(id.autoincrement);
    EXPECT_FALSE(id.nullable);
    EXPECT_EQ(author.primary_key_constraint, "author_pkey");
    EXPECT_EQ(author.find_column("name")->type, String());
    for (const char* plain : {"name", "born", "score", "tiny", "note"}) {
        EXPECT_FALSE(author.find_column(plain)->autoincrement) << plain;
        EXPECT_FALSE(author.find_column(plain)->primary_key) << plain;
    }
    EXPECT_FALSE(author.find_column("name")->nullable);
    EXPECT_TRUE(author.find_column("born")->nullable);
    EXPECT_EQ(author.find_column("born")->type, parse_type("DateTime(timezone)"));   // not strata's naive DateTime
    EXPECT_EQ(author.find_column("score")->type, Numeric());
    EXPECT_EQ(author.find_column("tiny")->type, Float());
    EXPECT_EQ(author.find_column("note")->type, parse_type("Char(3)"));   // blank-padded: not String(3)
    EXPECT_TRUE(author.find_column("ident")->autoincrement);
    EXPECT_FALSE(author.find_column("ident")->server_default.has_value()) << "serial's nextval() is autoincrement";
    ASSERT_EQ(author.unique_constraints.size(), 1u);
    EXPECT_EQ(author.unique_constraints[0], (UniqueConstraint{"author_name_key", {"name", "note"}}));
    ASSERT_EQ(author.checks.size(), 1u);
    EXPECT_EQ(author.checks[0], (CheckConstraint{"score_positive", "score > (0)::numeric"}));
    EXPECT_TRUE(author.indexes.empty()) << "indexes behind constraints are not reported as indexes";

    const Table& book = *live.find("book");
    ASSERT_EQ(book.foreign_keys.size(), 1u);
    EXPECT_EQ(book.foreign_keys[0],
              (ForeignKey{"book_author_fk", {"author_id"}, "author", {"id"}, "RESTRICT", "SET NULL"}));
    ASSERT_EQ(book.indexes.size(), 1u);
    EXPECT_EQ(book.indexes[0], (Index{"book_multi", {"author_id", "id"}, false}));
}

TEST_F(PgInspect, OnlyTheCurrentSchemaIsInspected) {
    auto conn = open_connection();
    conn->execute("CREATE TABLE mine (id INTEGER)");
    const std::string other = conn->dialect().quote("other");
    conn->execute("DROP SCHEMA IF EXISTS " + other + " CASCADE");
    conn->execute("CREATE SCHEMA " + other);
    conn->execute("CREATE TABLE " + other + ".theirs (id INTEGER)");
    EXPECT_EQ(table_names(*conn), std::vector<std::string>{"mine"});
    EXPECT_TRUE(has_table(*conn, "mine"));
    EXPECT_FALSE(has_table(*conn, "theirs"));
    conn->execute("DROP SCHEMA " + other + " CASCADE");
}

TEST_F(PgInspect, AlteredTableIsSeenByCachedStatements) {
    // Statements are prepared once per connection; DDL must not leave them stale.
    auto conn = open_connection();
    conn->execute("CREATE TABLE t (v INTEGER)");
    conn->execute("INSERT INTO t VALUES (1)");
    const std::string select = "SELECT * FROM t";
    {
        auto stmt = conn->prepare(select);
        ASSERT_TRUE(stmt->step());
        EXPECT_EQ(stmt->column_count(), 1);
    }
    conn->execute("ALTER TABLE t ADD COLUMN w TEXT DEFAULT 'x'");
    {
        auto stmt = conn->prepare(select);
        ASSERT_TRUE(stmt->step());
        ASSERT_EQ(stmt->column_count(), 2);
        EXPECT_EQ(stmt->get_text(1), "x");
    }
    // DDL undone by a rollback changes the shape back.
    conn->begin();
    conn->execute("ALTER TABLE t DROP COLUMN w");
    {
        auto stmt = conn->prepare(select);
        ASSERT_TRUE(stmt->step());
        EXPECT_EQ(stmt->column_count(), 1);
    }
    conn->rollback();
    {
        auto stmt = conn->prepare(select);
        ASSERT_TRUE(stmt->step());
        EXPECT_EQ(stmt->column_count(), 2);
    }
    // The same through another connection: the plan is refreshed outside a transaction.
    auto other = open_connection();
    other->execute("ALTER TABLE t ALTER COLUMN v TYPE TEXT");
    auto stmt = conn->prepare(select);
    ASSERT_TRUE(stmt->step());
    EXPECT_EQ(stmt->get_text(0), "1");
}

TEST_F(PgInspect, DdlRunThroughAPreparedStatementIsSeenByCachedStatements) {
    // A prepared statement works out once what its SQL does to other plans
    // (not on each run): DDL and a ROLLBACK run through prepare() must still
    // make the cached SELECT re-plan. Inside a transaction a stale plan is
    // an error (outside, the driver would re-plan after the server's refusal).
    auto conn = open_connection();
    conn->execute("CREATE TABLE t (v INTEGER)");
    conn->execute("INSERT INTO t VALUES (1)");
    const std::string select = "SELECT * FROM t";
    auto columns = [&] {
        auto stmt = conn->prepare(select);
        EXPECT_TRUE(stmt->step());
        return stmt->column_count();
    };
    EXPECT_EQ(columns(), 1);
    conn->prepare("BEGIN")->execute();
    conn->prepare("  alter TABLE t ADD COLUMN w TEXT DEFAULT 'x'")->execute();
    EXPECT_EQ(columns(), 2);
    conn->prepare("SAVEPOINT s")->execute();
    conn->prepare("ALTER TABLE t DROP COLUMN w")->execute();
    EXPECT_EQ(columns(), 1);
    conn->prepare("rollback TO SAVEPOINT s")->execute();
    EXPECT_EQ(columns(), 2);
    conn->prepare("COMMIT")->execute();
    EXPECT_EQ(columns(), 2);
}

// ---- the pool on PostgreSQL ----------------------------------------------------

std::int64_t backend_pid(Connection& conn) {
    auto stmt = conn.prepare("SELECT pg_backend_pid()");
    EXPECT_TRUE(stmt->step());
    return stmt->get_int64(0);
}

void terminate(std::int64_t pid) {
    auto admin = connect(testing::postgres_url());
    Value params[] = {pid};
    auto stmt = admin->prepare("SELECT pg_terminate_backend($1::int)");
    stmt->bind_all(params);
    ASSERT_TRUE(stmt->step());
    ASSERT_TRUE(stmt->get_bool(0));
}

class PgPool : public testing::PostgresTest {};

TEST_F(PgPool, PrePingReplacesAConnectionTheServerDropped) {
    DatabaseOptions options;
    options.pool.size = 1;
    options.pool.pre_ping = true;
    auto db = Database::open(testing::postgres_url(), options);
    std::int64_t first = 0;
    {
        auto conn = db.connect();
        first = backend_pid(*conn);
    }
    terminate(first);
    auto conn = db.connect();
    EXPECT_TRUE(conn->is_healthy());
    EXPECT_NE(backend_pid(*conn), first);
}

TEST_F(PgPool, BrokenConnectionIsDiscardedOnReturn) {
    DatabaseOptions options;
    options.pool.size = 1;
    auto db = Database::open(testing::postgres_url(), options);
    std::int64_t first = 0;
    {
        auto conn = db.connect();
        first = backend_pid(*conn);
        terminate(first);
        auto e = expect_throw<OperationalError>([&] { conn->execute("SELECT 1"); });
        EXPECT_FALSE(conn->is_healthy());
    }
    auto conn = db.connect();
    EXPECT_TRUE(conn->is_healthy());
    EXPECT_NE(backend_pid(*conn), first);
}

}  // namespace
}  // namespace strata
