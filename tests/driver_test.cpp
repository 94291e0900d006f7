// The driver layer on every backend: typed round trips at the limits, error
// mapping, transactions and savepoints, the statement cache, echo.
#include <gtest/gtest.h>

#include <climits>
#include <thread>

#include "driver/numbered_text.hpp"
#include "support.hpp"

using namespace strata;
using namespace std::chrono;
using strata::testing::expect_throw;

class DriverTest : public strata::testing::BackendTest {
protected:
    // A table with one column of every type; created through the dialect so
    // each backend gets its own spelling.
    void create_types_table(Connection& conn) {
        MetaData md;
        md.table("t")
            .column("id", Integer(), primary_key())
            .column("i", Integer())
            .column("big", BigInteger())
            .column("small", SmallInteger())
            .column("b", Boolean())
            .column("f", Float())
            .column("n", Numeric(12, 2))
            .column("s", String(20))
            .column("txt", Text())
            .column("dt", DateTimeType())
            .column("d", DateType())
            .column("tm", TimeType())
            .column("bin", LargeBinary())
            .column("e", Enum({"draft", "published"}));
        md.create_all(conn);
    }

    std::string insert_sql(Connection& conn, const std::vector<std::string>& cols) {
        const Dialect& d = conn.dialect();
        std::string sql = "INSERT INTO " + d.quote("t") + " (" + d.quoted_list(cols) + ") VALUES (";
        for (std::size_t i = 0; i < cols.size(); ++i) sql += (i ? ", " : "") + d.placeholder(static_cast<int>(i + 1));
        return sql + ")";
    }

    std::int64_t count_rows(Connection& conn, const std::string& table) {
        auto stmt = conn.prepare("SELECT COUNT(*) FROM " + conn.dialect().quote(table));
        EXPECT_TRUE(stmt->step());
        return stmt->get_int64(0);
    }
};

// COPY is PostgreSQL's bulk load: SQLite says so plainly and has no sequences.
TEST_P(DriverTest, CopyIsPostgresqlsAndSqliteSaysSo) {
    auto conn = open_connection();
    conn->execute("CREATE TABLE t (a TEXT)");
    const std::vector<std::string> columns{"a"};
    EXPECT_EQ(conn->supports_copy(), !is_sqlite());
    if (is_sqlite()) {
        auto e = expect_throw<ProgrammingError>([&] { conn->copy_from("t", columns); });
        EXPECT_NE(std::string(e.what()).find("COPY is PostgreSQL's"), std::string::npos) << e.what();
        EXPECT_TRUE(conn->draw_keys("t", "a", 2).empty());
        return;
    }
    auto copy = conn->copy_from("t", columns);
    copy->bind_view(1, "x");
    copy->end_row();
    EXPECT_EQ(copy->finish(), 1);
}

TEST_P(DriverTest, IntegersRoundTripAtTheLimits) {
    auto conn = open_connection();
    create_types_table(*conn);
    for (std::int64_t v : {INT64_MIN, INT64_MAX, std::int64_t{0}, std::int64_t{-1}}) {
        conn->execute("DELETE FROM " + conn->dialect().quote("t"));
        std::vector<Value> params{v, std::int64_t{INT32_MIN}, std::int64_t{-32768}};
        conn->execute(insert_sql(*conn, {"big", "i", "small"}), params);
        auto stmt = conn->prepare("SELECT big, i, small FROM " + conn->dialect().quote("t"));
        ASSERT_TRUE(stmt->step());
        EXPECT_EQ(stmt->get_int64(0), v);
        EXPECT_EQ(stmt->get_int64(1), INT32_MIN);
        EXPECT_EQ(stmt->get_int64(2), -32768);
        EXPECT_FALSE(stmt->step());
    }
}

TEST_P(DriverTest, TextAndBlobsRoundTripExactly) {
    auto conn = open_connection();
    create_types_table(*conn);
    std::string mib(1 << 20, 'x');
    for (std::size_t i = 0; i < mib.size(); i += 997) mib[i] = static_cast<char>('a' + i % 26);
    std::string utf8 = "héllo wörld — 日本語 🎉";
    Blob blob(std::vector<std::uint8_t>{0, 1, 0, 255, 0, 127, 0});
    Blob empty_blob;
    conn->execute(insert_sql(*conn, {"s", "txt", "e", "bin"}),
                  std::vector<Value>{std::string(), mib, std::string("draft"), blob});
    conn->execute(insert_sql(*conn, {"s", "txt", "bin"}), std::vector<Value>{utf8.substr(0, 6), utf8, empty_blob});
    auto stmt = conn->prepare("SELECT s, txt, bin FROM " + conn->dialect().quote("t") + " ORDER BY id");
    ASSERT_TRUE(stmt->step());
    EXPECT_FALSE(stmt->is_null(0));
    EXPECT_EQ(stmt->get_text(0), "");
    EXPECT_EQ(stmt->get_text(1).size(), mib.size());
    EXPECT_EQ(stmt->get_text(1), mib);
    auto b = stmt->get_blob(2);
    EXPECT_EQ(std::vector<std::uint8_t>(b.begin(), b.end()), blob.bytes);
    ASSERT_TRUE(stmt->step());
    EXPECT_EQ(stmt->get_text(1), utf8);
    EXPECT_FALSE(stmt->is_null(2)) << "an empty blob is not NULL";
    EXPECT_EQ(stmt->get_blob(2).size(), 0u);
}

TEST_P(DriverTest, DatesTimesAndDecimalsRoundTrip) {
    auto conn = open_connection();
    create_types_table(*conn);
    DateTime dt = sys_days{year{2026} / 11 / 27} + hours{14} + minutes{3} + seconds{9} + microseconds{123456};
    DateTime old = sys_days{year{1901} / 1 / 2} + microseconds{1};
    Date d = sys_days{year{1969} / 7 / 20};
    Time tm{hours{23} + minutes{59} + seconds{59} + microseconds{999999}};
    conn->execute(insert_sql(*conn, {"dt", "d", "tm", "n", "b", "f"}),
                  std::vector<Value>{dt, d, tm, Decimal{"1234567890.12"}, true, 0.1});
    conn->execute(insert_sql(*conn, {"dt", "d", "n", "b", "f"}),
                  std::vector<Value>{old, Date{sys_days{year{1600} / 2 / 29}}, Decimal{"-0.5"}, false, -1e300});
    auto stmt = conn->prepare("SELECT dt, d, tm, n, b, f FROM " + conn->dialect().quote("t") + " ORDER BY id");
    ASSERT_TRUE(stmt->step());
    EXPECT_EQ(stmt->get_datetime(0), dt);
    EXPECT_EQ(stmt->get_date(1), d);
    EXPECT_EQ(stmt->get_time(2), tm);
    EXPECT_EQ(std::stod(stmt->get_decimal(3).text), 1234567890.12);
    EXPECT_TRUE(stmt->get_bool(4));
    EXPECT_EQ(stmt->get_double(5), 0.1);
    ASSERT_TRUE(stmt->step());
    EXPECT_EQ(stmt->get_datetime(0), old);
    EXPECT_EQ(stmt->get_date(1), sys_days{year{1600} / 2 / 29});
    EXPECT_TRUE(stmt->is_null(2));
    EXPECT_EQ(std::stod(stmt->get_decimal(3).text), -0.5);
    EXPECT_FALSE(stmt->get_bool(4));
    EXPECT_EQ(stmt->get_double(5), -1e300);
}

TEST_P(DriverTest, GetValueBuildsTypedValues) {
    auto conn = open_connection();
    create_types_table(*conn);
    DateTime dt = sys_days{year{2000} / 1 / 1} + microseconds{5};
    conn->execute(insert_sql(*conn, {"i", "s", "dt"}), std::vector<Value>{42, "x", dt});
    auto stmt = conn->prepare("SELECT i, s, dt, bin FROM " + conn->dialect().quote("t"));
    ASSERT_TRUE(stmt->step());
    EXPECT_EQ(stmt->get_value(0, TypeKind::Integer), Value(42));
    EXPECT_EQ(stmt->get_value(1, TypeKind::String), Value("x"));
    EXPECT_EQ(stmt->get_value(2, TypeKind::DateTime), Value(dt));
    EXPECT_TRUE(stmt->get_value(3, TypeKind::LargeBinary).is_null());
}

TEST_P(DriverTest, IntegrityErrorsCarryStatementAndLeaveDataUnchanged) {
    auto conn = open_connection();
    MetaData md;
    md.table("parent").column("id", Integer(), primary_key()).column("name", String(10), not_null(), unique());
    md.table("child")
        .column("id", Integer(), primary_key())
        .column("parent_id", Integer(), foreign_key("parent.id"))
        .column("qty", Integer())
        .check("qty_positive", "qty > 0");
    md.create_all(*conn);
    const Dialect& d = conn->dialect();
    std::string ins_parent = "INSERT INTO " + d.quote("parent") + " (id, name) VALUES (" + d.placeholder(1) + ", " +
                             d.placeholder(2) + ")";
    std::string ins_child = "INSERT INTO " + d.quote("child") + " (id, parent_id, qty) VALUES (" + d.placeholder(1) +
                            ", " + d.placeholder(2) + ", " + d.placeholder(3) + ")";
    conn->execute(ins_parent, std::vector<Value>{1, "a"});

    auto unique = expect_throw<IntegrityError>([&] { conn->execute(ins_parent, std::vector<Value>{2, "a"}); });
    EXPECT_EQ(unique.statement(), ins_parent);
    EXPECT_NE(std::string(unique.what()).find(ins_parent), std::string::npos);
    auto notnull = expect_throw<IntegrityError>([&] { conn->execute(ins_parent, std::vector<Value>{3, null}); });
    EXPECT_FALSE(notnull.backend_message().empty());
    expect_throw<IntegrityError>([&] { conn->execute(ins_child, std::vector<Value>{1, 99, 1}); });  // no parent 99
    expect_throw<IntegrityError>([&] { conn->execute(ins_child, std::vector<Value>{1, 1, 0}); });   // check
    EXPECT_EQ(count_rows(*conn, "parent"), 1);
    EXPECT_EQ(count_rows(*conn, "child"), 0);
    // The connection stays usable.
    conn->execute(ins_child, std::vector<Value>{1, 1, 5});
    EXPECT_EQ(count_rows(*conn, "child"), 1);
}

TEST_P(DriverTest, OperationalAndProgrammingErrors) {
    auto conn = open_connection();
    auto missing = expect_throw<OperationalError>([&] { conn->prepare("SELECT * FROM no_such_table"); });
    EXPECT_NE(std::string(missing.what()).find("no_such_table"), std::string::npos) << missing.what();
    EXPECT_EQ(missing.statement(), "SELECT * FROM no_such_table");
    auto syntax = expect_throw<ProgrammingError>([&] { conn->prepare("SELEC 1"); });
    EXPECT_EQ(syntax.statement(), "SELEC 1");
    EXPECT_NE(std::string(syntax.what()).find("SELEC 1"), std::string::npos);
    auto stmt = conn->prepare("SELECT " + conn->dialect().placeholder(1));
    auto range = expect_throw<ProgrammingError>([&] { stmt->bind(3, 1); });
    (void)range;
}

TEST_P(DriverTest, TransactionsAndSavepoints) {
    auto conn = open_connection();
    MetaData md;
    md.table("t").column("id", Integer(), primary_key());
    md.create_all(*conn);
    std::string ins = "INSERT INTO " + conn->dialect().quote("t") + " (id) VALUES (" + conn->dialect().placeholder(1) + ")";
    conn->begin();
    conn->execute(ins, std::vector<Value>{1});
    conn->savepoint("sp1");
    conn->execute(ins, std::vector<Value>{2});
    conn->rollback_to_savepoint("sp1");
    conn->release_savepoint("sp1");
    conn->execute(ins, std::vector<Value>{3});
    conn->commit();
    EXPECT_EQ(count_rows(*conn, "t"), 2);

    conn->begin();
    conn->execute(ins, std::vector<Value>{4});
    conn->rollback();
    EXPECT_EQ(count_rows(*conn, "t"), 2);
    EXPECT_FALSE(conn->in_transaction());

    conn->begin();
    expect_throw<ProgrammingError>([&] { conn->begin(); });
    conn->rollback();
    expect_throw<ProgrammingError>([&] { conn->commit(); });
    expect_throw<ProgrammingError>([&] { conn->savepoint("x"); });
}

TEST_P(DriverTest, StatementCacheReusesPreparedStatements) {
    auto conn = open_connection();
    std::string sql = "SELECT " + conn->dialect().placeholder(1);
    auto before = conn->prepare_count();
    for (int i = 0; i < 100; ++i) {
        auto stmt = conn->prepare(sql);
        stmt->bind(1, i);
        ASSERT_TRUE(stmt->step());
        EXPECT_EQ(stmt->get_int64(0), i);
    }
    EXPECT_EQ(conn->prepare_count() - before, 1u);
    // Nested use of the same SQL gets a second statement, not the busy one.
    auto outer = conn->prepare(sql);
    outer->bind(1, 7);
    ASSERT_TRUE(outer->step());
    {
        auto inner = conn->prepare(sql);
        inner->bind(1, 8);
        ASSERT_TRUE(inner->step());
        EXPECT_EQ(inner->get_int64(0), 8);
    }
    EXPECT_EQ(outer->get_int64(0), 7);
    EXPECT_EQ(conn->prepare_count() - before, 2u);
}

// A statement from the cache starts with every parameter NULL, whatever its
// last user bound (text bound without a copy included, its text gone since),
// and keeps its own bindings across a reset.
TEST_P(DriverTest, StatementFromTheCacheHoldsNoParameterOfItsLastUser) {
    auto conn = open_connection();
    const Dialect& d = conn->dialect();
    const std::string sql = "SELECT " + d.placeholder(1) + ", " + d.placeholder(2) + ", " + d.placeholder(3);
    auto row = [](Statement& st) {
        EXPECT_TRUE(st.step());
        return std::tuple{st.is_null(0) ? std::string("NULL") : std::string(st.get_text(0)),
                          st.is_null(1) ? std::string("NULL") : std::string(st.get_text(1)),
                          st.is_null(2) ? std::string("NULL") : std::string(st.get_text(2))};
    };
    using Row = std::tuple<std::string, std::string, std::string>;
    {
        auto text = std::make_unique<std::string>("a text long enough to live on the heap");
        auto st = conn->prepare(sql);
        st->bind_view(1, *text);
        st->bind(2, Value("two"));
        st->bind_null(3);
        EXPECT_EQ(row(*st), (Row{*text, "two", "NULL"}));
        st->reset();
        EXPECT_EQ(row(*st), (Row{*text, "two", "NULL"})) << "a reset keeps the bindings";
        st->reset();
        text.reset();  // the statement goes back to the cache after the text is gone
    }
    const std::size_t prepared = conn->prepare_count();
    {
        auto st = conn->prepare(sql);
        st->bind(2, Value("again"));
        EXPECT_EQ(row(*st), (Row{"NULL", "again", "NULL"}));
        st->reset();
        EXPECT_EQ(row(*st), (Row{"NULL", "again", "NULL"}));
    }
    {
        auto st = conn->prepare(sql);
        st->bind_view(3, "three");
        EXPECT_EQ(row(*st), (Row{"NULL", "NULL", "three"}));
    }
    {
        auto st = conn->prepare(sql);
        EXPECT_EQ(row(*st), (Row{"NULL", "NULL", "NULL"}));
        st->bind(1, Value("one"));  // bound after a run: the statement resets
        EXPECT_EQ(row(*st), (Row{"one", "NULL", "NULL"}));
    }
    EXPECT_EQ(conn->prepare_count(), prepared) << "each came from the cache";
}

// A text asked for by its number (NumberedText::new_text_id, the ORM's) gets its own
// statement, whatever was asked for in between: another numbered text, a text
// without a number, or a text at the address the first one had once it is gone.
TEST_P(DriverTest, NumberedTextGetsItsOwnStatement) {
    using strata::detail::NumberedText;
    auto conn = open_connection();
    const std::string one = "SELECT 1", two = "SELECT 2";
    const std::uint64_t one_id = NumberedText::new_text_id(), two_id = NumberedText::new_text_id();
    EXPECT_NE(one_id, two_id);
    auto first = [](StatementHandle st) {
        EXPECT_TRUE(st->step());
        return st->get_int64(0);
    };
    EXPECT_EQ(first(NumberedText::prepare_generated(*conn, one, one_id)), 1);
    EXPECT_EQ(first(NumberedText::prepare_generated(*conn, one, one_id)), 1);
    EXPECT_EQ(first(NumberedText::prepare_generated(*conn, two, two_id)), 2);
    EXPECT_EQ(first(NumberedText::prepare_generated(*conn, one, one_id)), 1);
    EXPECT_EQ(first(conn->prepare_generated(two)), 2);  // no number: by its text
    EXPECT_EQ(first(NumberedText::prepare_generated(*conn, one, one_id)), 1);
    {
        auto reused = std::make_unique<std::string>("SELECT 3");
        const std::uint64_t reused_id = NumberedText::new_text_id();
        EXPECT_EQ(first(NumberedText::prepare_generated(*conn, *reused, reused_id)), 3);
        reused.reset();
        auto other = std::make_unique<std::string>("SELECT 4");  // may land where "SELECT 3" was
        EXPECT_EQ(first(NumberedText::prepare_generated(*conn, *other, NumberedText::new_text_id())), 4);
        EXPECT_EQ(first(conn->prepare_generated(*other)), 4);
    }
    const std::size_t prepared = conn->prepare_count();
    EXPECT_EQ(first(NumberedText::prepare_generated(*conn, one, one_id)), 1);
    EXPECT_EQ(first(NumberedText::prepare_generated(*conn, two, two_id)), 2);
    EXPECT_EQ(conn->prepare_count(), prepared) << "each came from the cache";
}

TEST_P(DriverTest, EchoLogsStatementsWithParameters) {
    ConnectionOptions options;
    options.echo = true;
    auto conn = open_connection(options);
    ::testing::internal::CaptureStderr();
    auto stmt = conn->prepare("SELECT " + conn->dialect().placeholder(1) + ", " + conn->dialect().placeholder(2));
    stmt->bind(1, 42);
    stmt->bind(2, "it's");
    stmt->step();
    std::string log = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(log.find("[strata] SELECT"), std::string::npos) << log;
    EXPECT_NE(log.find("[42, 'it's']"), std::string::npos) << log;
}

STRATA_INSTANTIATE_BACKENDS(DriverTest);

TEST(SqliteDriver, BadPathNamesTheFileAndFolder) {
    auto e = expect_throw<OperationalError>([] { connect("sqlite:////nonexistent-dir/sub/app.db"); });
    std::string msg = e.what();
    EXPECT_NE(msg.find("/nonexistent-dir/sub/app.db"), std::string::npos) << msg;
    EXPECT_NE(msg.find("does not exist"), std::string::npos) << msg;
}

TEST(SqliteDriver, ForeignKeysAreEnforcedAndBusyTimeoutWaits) {
    strata::testing::TempDir dir;
    auto a = connect(dir.sqlite_url());
    auto check = a->prepare("PRAGMA foreign_keys");
    ASSERT_TRUE(check->step());
    EXPECT_EQ(check->get_int64(0), 1);
    a->execute("CREATE TABLE t (x INTEGER)");

    ConnectionOptions quick;
    quick.busy_timeout_ms = 50;
    auto b = connect(dir.sqlite_url(), quick);
    a->begin();
    a->execute("INSERT INTO t VALUES (1)");
    auto locked = expect_throw<OperationalError>([&] { b->begin(); });
    EXPECT_NE(std::string(locked.what()).find("locked"), std::string::npos) << locked.what();
    a->commit();

    // With a longer timeout, the second writer waits for the first to finish.
    ConnectionOptions patient;
    patient.busy_timeout_ms = 5000;
    auto c = connect(dir.sqlite_url(), patient);
    a->begin();
    std::thread finisher([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        a->commit();
    });
    c->begin();
    c->execute("INSERT INTO t VALUES (2)");
    c->commit();
    finisher.join();
}

TEST(SqliteDriver, MemoryUrlsOpen) {
    for (auto url : {"sqlite://", "sqlite:///:memory:"}) {
        auto conn = connect(url);
        conn->execute("CREATE TABLE t (x INTEGER)");
    }
}

TEST(SqliteDriver, RelativePathIsRelativeToWorkingFolder) {
    strata::testing::TempDir dir;
    auto old = std::filesystem::current_path();
    std::filesystem::current_path(dir.path());
    {
        auto conn = connect("sqlite:///rel.db");
        conn->execute("CREATE TABLE t (x INTEGER)");
    }
    std::filesystem::current_path(old);
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "rel.db"));
}
