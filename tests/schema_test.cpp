// The schema layer on every backend: DDL with quoted names, naming
// convention, create_all/drop_all order and idempotence, and the inspect
// round trip that migrations rely on.
#include <gtest/gtest.h>

#include <limits>

#include "backend/sqlite/schema/inspect.hpp"
#include "support.hpp"

using namespace strata;
using strata::testing::expect_throw;

namespace {

// Every type and every kind of constraint, in tables with awkward names.
MetaData full_schema() {
    MetaData md;
    md.table("user")
        .column("id", Integer(), primary_key())
        .column("nickname", String(64), not_null(), index(), unique())
        .column("email", String(120), index(), unique())
        .column("karma", BigInteger(), server_default("0"), not_null())
        .column("rank", SmallInteger())
        .column("active", Boolean(), server_default("1"))
        .column("ratio", Float())
        .column("balance", Numeric(12, 2))
        .column("bio", Text())
        .column("born", DateType())
        .column("wakes", TimeType())
        .column("seen", DateTimeType(), index())
        .column("avatar", LargeBinary())
        .column("status", Enum({"draft", "published", "it's"}))
        .check("karma_nonneg", "karma >= 0");
    md.table("order")
        .column("id", Integer(), primary_key())
        .column("user_id", Integer(), not_null(), foreign_key("user.id", "CASCADE"))
        .column("line no", Integer(), not_null())
        .column("label", String(30), unique());
    md.table("order").index("", {"user_id", "line no"}, true);
    md.table("tag map")
        .column("order_id", Integer(), primary_key(), foreign_key("order.id", "cascade", "cascade"))
        .column("tag", String(20), primary_key())
        .column("parent_order", Integer(), foreign_key("order.id", "SET NULL"));
    return md;
}

std::string differences(const MetaData& expected, const MetaData& actual) {
    std::string out;
    for (const auto& d : compare_schema(expected, actual)) out += d.table + ": " + d.description + "\n";
    return out;
}

}  // namespace

TEST(Schema, NamingConventionNamesEveryConstraint) {
    MetaData md = full_schema();
    const Table& user = *md.find("user");
    EXPECT_EQ(user.primary_key_constraint, "pk_user");
    ASSERT_EQ(user.indexes.size(), 3u);
    EXPECT_EQ(user.indexes[0], (Index{"ix_user_nickname", {"nickname"}, true}));
    EXPECT_EQ(user.indexes[2], (Index{"ix_user_seen", {"seen"}, false}));
    EXPECT_EQ(user.checks[0].name, "ck_user_karma_nonneg");
    const Table& order = *md.find("order");
    EXPECT_EQ(order.foreign_keys[0].name, "fk_order_user_id_user");
    EXPECT_EQ(order.foreign_keys[0].ondelete, "CASCADE");
    EXPECT_EQ(order.unique_constraints[0].name, "uq_order_label");
    EXPECT_EQ(order.indexes[0].name, "ix_order_user_id_line no");
    EXPECT_TRUE(user.find_column("id")->autoincrement);
    EXPECT_FALSE(md.find("tag map")->find_column("order_id")->autoincrement) << "composite keys are not autoincrement";
}

TEST(Schema, SortedTablesPutReferencedTablesFirst) {
    MetaData md;
    md.table("c").column("id", Integer(), primary_key()).column("b_id", Integer(), foreign_key("b.id"));
    md.table("b").column("id", Integer(), primary_key()).column("a_id", Integer(), foreign_key("a.id"));
    md.table("a").column("id", Integer(), primary_key()).column("self", Integer(), foreign_key("a.id"));
    std::vector<std::string> names;
    for (auto* t : md.sorted_tables()) names.push_back(t->name());
    EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(Schema, DeclarationErrorsNameTheTableAndColumn) {
    MetaData md;
    auto& t = md.table("t");
    t.column("id", Integer(), primary_key());
    auto dup = expect_throw<Error>([&] { t.column("id", Integer()); });
    EXPECT_STREQ(dup.what(), "table t: column 'id' is declared twice");
    auto fk = expect_throw<Error>([&] { t.column("x", Integer(), foreign_key("nodot")); });
    EXPECT_NE(std::string(fk.what()).find("foreign_key target 'nodot' must be 'table.column'"), std::string::npos);
    auto ix = expect_throw<Error>([&] { t.index("", {"nope"}); });
    EXPECT_NE(std::string(ix.what()).find("unknown column 'nope'"), std::string::npos);
}

TEST(Schema, SqliteDdlQuotesEveryIdentifier) {
    MetaData md = full_schema();
    auto sql = sqlite_dialect().create_table(*md.find("tag map"));
    ASSERT_EQ(sql.size(), 1u);
    EXPECT_NE(sql[0].find("CREATE TABLE \"tag map\""), std::string::npos) << sql[0];
    EXPECT_NE(sql[0].find("CONSTRAINT \"pk_tag map\" PRIMARY KEY (\"order_id\", \"tag\")"), std::string::npos) << sql[0];
    EXPECT_NE(sql[0].find("REFERENCES \"order\" (\"id\") ON DELETE CASCADE ON UPDATE CASCADE"), std::string::npos);
    EXPECT_EQ(sqlite_dialect().quote("we\"ird"), "\"we\"\"ird\"");
}

class SchemaTest : public strata::testing::BackendTest {};

TEST_P(SchemaTest, CreateAllThenInspectComparesEqual) {
    auto conn = open_connection();
    MetaData md = full_schema();
    md.create_all(*conn);
    MetaData live = inspect(*conn);
    EXPECT_EQ(differences(md, live), "");
    // Structures, not just the diff: spot-check what came back.
    const Table* user = live.find("user");
    ASSERT_NE(user, nullptr);
    EXPECT_EQ(user->find_column("status")->type.enum_values, (std::vector<std::string>{"draft", "published", "it's"}));
    EXPECT_EQ(user->find_column("balance")->type, Numeric(12, 2));
    EXPECT_TRUE(user->find_column("id")->autoincrement);
    EXPECT_EQ(live.find("order")->foreign_keys.at(0).ondelete, "CASCADE");
    EXPECT_EQ(table_names(*conn), (std::vector<std::string>{"order", "tag map", "user"}));
}

TEST_P(SchemaTest, CompareReportsEveryKindOfDifference) {
    auto conn = open_connection();
    MetaData md = full_schema();
    md.create_all(*conn);
    MetaData changed = full_schema();
    Table& user = *changed.find("user");
    user.column("about_me", String(140));
    user.find_column("bio")->type = String(500);
    user.find_column("rank")->nullable = false;
    user.find_column("karma")->server_default = "1";
    user.find_column("status")->type.enum_values.push_back("archived");
    user.indexes.pop_back();
    user.checks.clear();
    changed.find("order")->foreign_keys[0].ondelete = "";
    changed.remove("tag map");
    changed.table("new_table").column("id", Integer(), primary_key());
    auto diffs = differences(changed, inspect(*conn));
    for (auto expected : {"user: column about_me: missing in database", "user: column bio: type Text in database, String(500) expected",
                          "user: column rank: nullable in database, NOT NULL expected",
                          "user: column karma: server default 0 in database, 1 expected",
                          "user: column status: type Enum(draft,published,'it''s') in database",
                          "user: index ix_user_seen ((seen)): in database, not expected",
                          "user: check constraint ck_user_karma_nonneg (karma >= 0): in database, not expected",
                          "order: foreign key fk_order_user_id_user: (user_id) -> user(id) ON DELETE CASCADE in database",
                          "tag map: table in database, not expected", "new_table: table missing in database"})
        EXPECT_NE(diffs.find(expected), std::string::npos) << "missing: " << expected << "\nin:\n" << diffs;
}

TEST_P(SchemaTest, CreateAllIsIdempotentAndDropAllRemovesEverything) {
    auto conn = open_connection();
    MetaData md = full_schema();
    md.create_all(*conn);
    md.create_all(*conn);  // checkfirst: nothing to do, no error
    auto again = expect_throw<OperationalError>([&] { md.create_all(*conn, /*checkfirst=*/false); });
    EXPECT_NE(std::string(again.what()).find("already exists"), std::string::npos) << again.what();
    EXPECT_EQ(table_names(*conn).size(), 3u) << "a failed create_all leaves the database as it was";
    md.drop_all(*conn);
    EXPECT_TRUE(table_names(*conn).empty());
    md.drop_all(*conn);  // checkfirst: nothing to drop, no error
}

TEST_P(SchemaTest, FailedCreateAllRollsBackWhole) {
    auto conn = open_connection();
    MetaData md;
    md.table("a").column("id", Integer(), primary_key());
    md.table("b").column("id", Integer(), primary_key()).check("bad", "no_such_column > 0");
    expect_throw<DatabaseError>([&] { md.create_all(*conn); });
    EXPECT_TRUE(table_names(*conn).empty()) << "table a must not survive the failed create_all";
}

TEST_P(SchemaTest, ReservedAndSpacedNamesWork) {
    auto conn = open_connection();
    MetaData md = full_schema();
    md.create_all(*conn);
    const Dialect& d = conn->dialect();
    conn->execute("INSERT INTO " + d.quote("user") + " (" + d.quoted_list({"nickname", "karma"}) + ") VALUES (" +
                      d.placeholder(1) + ", " + d.placeholder(2) + ")",
                  std::vector<Value>{"john", 0});
    conn->execute("INSERT INTO " + d.quote("order") + " (" + d.quoted_list({"user_id", "line no"}) + ") VALUES (" +
                      d.placeholder(1) + ", " + d.placeholder(2) + ")",
                  std::vector<Value>{1, 1});
    auto stmt = conn->prepare("SELECT " + d.quote("line no") + " FROM " + d.quote("order"));
    ASSERT_TRUE(stmt->step());
    EXPECT_EQ(stmt->get_int64(0), 1);
    // ON DELETE CASCADE from the foreign key option.
    conn->execute("DELETE FROM " + d.quote("user"));
    auto count = conn->prepare("SELECT COUNT(*) FROM " + d.quote("order"));
    ASSERT_TRUE(count->step());
    EXPECT_EQ(count->get_int64(0), 0);
}

STRATA_INSTANTIATE_BACKENDS(SchemaTest);

TEST(SqliteInspect, ReadsSchemasWrittenByOtherTools) {
    // As SQLAlchemy / a hand-written script would create them: unnamed
    // constraints, inline REFERENCES, other type spellings.
    strata::testing::TempDir dir;
    auto conn = connect(dir.sqlite_url());
    conn->execute_script(
        "CREATE TABLE author (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50) UNIQUE, score DECIMAL(5,1), "
        "created TIMESTAMP DEFAULT CURRENT_TIMESTAMP);"
        "CREATE TABLE book (id INTEGER PRIMARY KEY, author_id INT REFERENCES author(id) ON DELETE SET NULL, "
        "title TEXT NOT NULL CHECK (length(title) > 0));"
        "CREATE INDEX book_title ON book (title)");
    MetaData md = inspect(*conn);
    const Table* author = md.find("author");
    ASSERT_NE(author, nullptr);
    EXPECT_EQ(author->find_column("score")->type, Numeric(5, 1));
    EXPECT_EQ(author->find_column("created")->type, DateTimeType());
    EXPECT_EQ(author->find_column("created")->server_default, "CURRENT_TIMESTAMP");
    ASSERT_EQ(author->unique_constraints.size(), 1u);
    EXPECT_EQ(author->unique_constraints[0].columns, std::vector<std::string>{"name"});
    const Table* book = md.find("book");
    ASSERT_EQ(book->foreign_keys.size(), 1u);
    EXPECT_EQ(book->foreign_keys[0].ref_table, "author");
    EXPECT_EQ(book->foreign_keys[0].ondelete, "SET NULL");
    ASSERT_EQ(book->indexes.size(), 1u);
    EXPECT_EQ(book->indexes[0].name, "book_title");
    ASSERT_EQ(book->checks.size(), 1u);
    EXPECT_EQ(book->checks[0].sqltext, "length(title) > 0");
    EXPECT_TRUE(book->find_column("id")->autoincrement);
}

TEST(SqliteInspect, DeclaredLengthBeyondIntReadsAsIntMax) {
    // SQLite keeps any declared length; reading it once overflowed an int (found by tests/fuzz/sqlite_ddl).
    strata::testing::TempDir dir;
    auto conn = connect(dir.sqlite_url());
    conn->execute("CREATE TABLE huge (id INTEGER PRIMARY KEY, name VARCHAR(99999999999), price NUMERIC(12, 99999999999))");
    MetaData md = inspect(*conn);
    EXPECT_EQ(md.find("huge")->find_column("name")->type, String(std::numeric_limits<int>::max()));
    EXPECT_EQ(md.find("huge")->find_column("price")->type, Numeric(12, std::numeric_limits<int>::max()));
}

TEST(SqliteInspect, VersionTableIsExcluded) {
    strata::testing::TempDir dir;
    auto conn = connect(dir.sqlite_url());
    conn->execute("CREATE TABLE strata_version (version_num VARCHAR(32) NOT NULL)");
    EXPECT_TRUE(inspect(*conn).tables().empty());
    EXPECT_TRUE(has_table(*conn, "strata_version"));
}
