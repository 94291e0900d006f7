// The libpq driver against a real server: exact type round trips, SQLSTATE
// mapping, URL forms, the statement cache, connection loss.
#include <climits>
#include <string>
#include <thread>
#include <vector>

#include "support.hpp"

namespace strata {
namespace {

using testing::expect_throw;
using testing::postgres_url;

class PgDriver : public testing::PostgresTest {};

std::int64_t count_rows(Connection& conn, const std::string& table) {
    auto stmt = conn.prepare("SELECT count(*) FROM " + conn.dialect().quote(table));
    EXPECT_TRUE(stmt->step());
    return stmt->get_int64(0);
}

// One column of one type written through a bound parameter and read back.
template <class Read>
void round_trip(Connection& conn, const std::string& type, const Value& value, Read read) {
    conn.execute("DROP TABLE IF EXISTS rt");
    conn.execute("CREATE TABLE rt (v " + type + ")");
    Value params[] = {value};
    ASSERT_EQ(conn.execute("INSERT INTO rt (v) VALUES ($1)", params), 1);
    auto stmt = conn.prepare("SELECT v FROM rt");
    ASSERT_TRUE(stmt->step());
    read(*stmt);
    EXPECT_FALSE(stmt->step());
}

// COPY ... FROM STDIN in text format: tabs, newlines, backslashes and a
// literal "\N" in text arrive as written, NULL as NULL, bytea with NULs.
TEST_F(PgDriver, CopyWritesRowsWithTextFormatEscapes) {
    auto conn = open_connection();
    conn->execute("CREATE TABLE \"copy me\" (id BIGINT, \"a b\" TEXT, data BYTEA)");
    const std::vector<std::string> columns{"id", "a b", "data"};
    const std::string tricky = "tab\there\nline\\slash\\N\rend";
    {
        auto copy = conn->copy_from("copy me", columns);
        EXPECT_EQ(copy->sql(), "COPY \"copy me\" (\"id\", \"a b\", \"data\") FROM STDIN");
        copy->bind(1, Value(std::int64_t{1}));
        copy->bind_view(2, tricky);
        copy->bind(3, Value(Blob(std::string_view("\0\\\xff", 3))));
        copy->end_row();
        copy->bind(1, Value(std::int64_t{2}));
        copy->bind(2, Value());
        copy->bind(3, Value(Blob{}));
        copy->end_row();
        EXPECT_EQ(copy->finish(), 2);
    }
    auto st = conn->prepare("SELECT \"a b\", data FROM \"copy me\" ORDER BY id");
    ASSERT_TRUE(st->step());
    EXPECT_EQ(st->get_text(0), tricky);
    EXPECT_EQ(st->get_value(1, TypeKind::LargeBinary), Value(Blob(std::string_view("\0\\\xff", 3))));
    ASSERT_TRUE(st->step());
    EXPECT_TRUE(st->is_null(0));
    EXPECT_EQ(st->get_value(1, TypeKind::LargeBinary), Value(Blob{}));
}

// The writer checks eight bytes at a time for anything to escape: each
// escaped character at each place of a text longer than two words arrives
// as written, next to bytes that need no escape (other control characters,
// UTF-8); a NUL anywhere is refused.
TEST_F(PgDriver, CopyEscapesTextAtEveryPlaceOfEachWord) {
    auto conn = open_connection();
    conn->execute("CREATE TABLE esc (id BIGINT, v TEXT)");
    const std::string base = "\x01\x1f abcdef 0123456789\x7f";  // 21 bytes
    std::vector<std::string> texts;
    for (char special : {'\\', '\n', '\r', '\t'})
        for (std::size_t at = 0; at <= base.size(); ++at) texts.push_back(base.substr(0, at) + special + base.substr(at));
    texts.push_back(base);
    texts.push_back("caf\xc3\xa9 \xe2\x82\xac 12345678\\ \xf0\x9f\x99\x82");
    texts.push_back(std::string(24, '\\'));
    {
        auto copy = conn->copy_from("esc", {"id", "v"});
        for (std::size_t i = 0; i < texts.size(); ++i) {
            copy->bind_int64(1, static_cast<std::int64_t>(i));
            copy->bind_view(2, texts[i]);
            copy->end_row();
        }
        EXPECT_EQ(copy->finish(), static_cast<std::int64_t>(texts.size()));
    }
    auto st = conn->prepare("SELECT v FROM esc ORDER BY id");
    for (const auto& text : texts) {
        ASSERT_TRUE(st->step());
        EXPECT_EQ(st->get_text(0), text);
    }
    EXPECT_FALSE(st->step());
    for (std::size_t at : {std::size_t{0}, std::size_t{7}, std::size_t{8}, std::size_t{16}, std::size_t{19}}) {
        auto copy = conn->copy_from("esc", {"id", "v"});
        copy->bind_null(1);
        const std::string with_nul = base.substr(0, at) + '\0' + base.substr(at);
        auto e = expect_throw<ProgrammingError>([&] { copy->bind_view(2, with_nul); });
        EXPECT_NE(std::string(e.what()).find("NUL"), std::string::npos) << e.what();
    }
    EXPECT_EQ(count_rows(*conn, "esc"), static_cast<std::int64_t>(texts.size()));
}

// copy_from learns the columns' types in the same message as the COPY: a
// Blob goes to a uuid column (or a domain over uuid) as a uuid's text, to
// bytea as bytea; a missing table or column fails there, and the connection
// goes on.
TEST_F(PgDriver, CopyLearnsItsColumnsTypesAndFailsCleanly) {
    auto conn = open_connection();
    conn->execute("CREATE DOMAIN device_id AS uuid");
    conn->execute("CREATE TABLE typed (u uuid, d device_id, b bytea)");
    const Blob id(std::string_view("\x12\x34\x56\x78\x9a\xbc\xde\xf0\x00\x11\x22\x33\x44\x55\x66\x77", 16));
    {
        auto copy = conn->copy_from("typed", {"u", "d", "b"});
        for (int f = 1; f <= 3; ++f) copy->bind(f, Value(id));
        copy->end_row();
        EXPECT_EQ(copy->finish(), 1);
    }
    auto st = conn->prepare("SELECT u::text, d::text, length(b) FROM typed");
    ASSERT_TRUE(st->step());
    EXPECT_EQ(st->get_text(0), "12345678-9abc-def0-0011-223344556677");
    EXPECT_EQ(st->get_text(1), "12345678-9abc-def0-0011-223344556677");
    EXPECT_EQ(st->get_int64(2), 16);
    st = StatementHandle();
    auto missing = expect_throw<OperationalError>([&] { conn->copy_from("no such table", {"a"}); });
    EXPECT_EQ(missing.code(), "42P01");
    EXPECT_NE(missing.statement().find("COPY \"no such table\""), std::string::npos) << missing.statement();
    expect_throw<OperationalError>([&] { conn->copy_from("typed", {"u", "nope"}); });
    EXPECT_EQ(count_rows(*conn, "typed"), 1);
    expect_throw<OperationalError>([&] { conn->draw_keys("no such table", "id", 2); });
    EXPECT_EQ(count_rows(*conn, "typed"), 1);
}

// prepare_generated() (the ORM's queries): SQL without parameters goes to
// the server with its first run. It reads as a prepared statement does, is
// described when asked about its columns first, and bad SQL is thrown by
// step(); prepare() of the same text still throws at once, never finding it
// in the cache. SQL with parameters is checked at once.
TEST_F(PgDriver, AGeneratedStatementIsCheckedByItsFirstRun) {
    auto conn = open_connection();
    conn->execute("CREATE TABLE g (id INTEGER, name TEXT)");
    conn->execute("INSERT INTO g VALUES (1, 'one'), (2, 'two')");
    {
        auto st = conn->prepare_generated("SELECT id, name FROM g ORDER BY id");
        EXPECT_FALSE(st->sql_checked());
        ASSERT_TRUE(st->step());
        EXPECT_TRUE(st->sql_checked());
        EXPECT_EQ(st->column_count(), 2);
        EXPECT_EQ(st->column_name(1), "name");
        EXPECT_EQ(st->get_int64(0), 1);
        EXPECT_EQ(st->get_text(1), "one");
        ASSERT_TRUE(st->step());
        EXPECT_EQ(st->get_int64(0), 2);
        EXPECT_FALSE(st->step());
        st->reset();
        ASSERT_TRUE(st->step()) << "run again, as prepared";
        EXPECT_EQ(st->get_text(1), "one");
    }
    {
        auto st = conn->prepare_generated("SELECT name FROM g WHERE id = 2");
        EXPECT_EQ(st->column_count(), 1);
        EXPECT_EQ(st->stored_kind(0), TypeKind::Text);
        expect_throw<ProgrammingError>([&] { (void)st->get_text(0); });  // no current row
        expect_throw<ProgrammingError>([&] { st->bind(1, Value(std::int64_t{2})); });  // no parameters
        ASSERT_TRUE(st->step());
        EXPECT_EQ(st->get_text(0), "two");
    }
    const std::string bad = "SELEC id FROM g";
    expect_throw<ProgrammingError>([&] { conn->prepare(bad); });
    const auto cached = conn->cached_statement_count();
    {
        auto st = conn->prepare_generated(bad);
        auto e = expect_throw<ProgrammingError>([&] { st->step(); });
        EXPECT_EQ(e.code(), "42601");
        EXPECT_EQ(e.statement(), bad);
        EXPECT_FALSE(st->sql_checked());
        expect_throw<ProgrammingError>([&] { st->step(); });  // tried again
    }
    { auto never_run = conn->prepare_generated(bad); }
    EXPECT_EQ(conn->cached_statement_count(), cached);
    expect_throw<ProgrammingError>([&] { conn->prepare(bad); });
    expect_throw<ProgrammingError>([&] { conn->prepare_generated("SELEC id FROM g WHERE id = $1"); });
    {  // a first run that fails on a row: described, the error thrown
        auto st = conn->prepare_generated("SELECT 1 / (id - 1) FROM g ORDER BY id");
        EXPECT_EQ(expect_throw<ProgrammingError>([&] { st->step(); }).code(), "22012");
        EXPECT_TRUE(st->sql_checked());
        EXPECT_EQ(st->column_count(), 1);
    }
    EXPECT_EQ(count_rows(*conn, "g"), 2);
}

TEST_F(PgDriver, CopyWritesIntegersAtTheirLimits) {
    auto conn = open_connection();
    conn->execute("CREATE TABLE limits (n BIGINT)");
    {
        auto copy = conn->copy_from("limits", {"n"});
        for (std::int64_t n : {INT64_MIN, std::int64_t{-1}, std::int64_t{0}, INT64_MAX}) {
            copy->bind(1, Value(n));
            copy->end_row();
        }
        EXPECT_EQ(copy->finish(), 4);
    }
    auto st = conn->prepare("SELECT n FROM limits ORDER BY n");
    for (std::int64_t n : {INT64_MIN, std::int64_t{-1}, std::int64_t{0}, INT64_MAX}) {
        ASSERT_TRUE(st->step());
        EXPECT_EQ(st->get_int64(0), n);
    }
    EXPECT_FALSE(st->step());
}

// A COPY that goes wrong on the client (a NUL byte in text, a field out of
// order, a short row) throws ProgrammingError; abandoning it leaves nothing
// written and the connection ready for the next statement.
TEST_F(PgDriver, AnAbandonedCopyWritesNothingAndTheConnectionGoesOn) {
    auto conn = open_connection();
    conn->execute("CREATE TABLE t (a TEXT, b TEXT)");
    const std::vector<std::string> columns{"a", "b"};
    {
        auto copy = conn->copy_from("t", columns);
        copy->bind_view(1, "fine");
        copy->bind_view(2, "fine");
        copy->end_row();
        auto e = expect_throw<ProgrammingError>([&] { copy->bind_view(1, std::string_view("nul\0here", 8)); });
        EXPECT_NE(std::string(e.what()).find("NUL"), std::string::npos) << e.what();
    }
    {
        auto copy = conn->copy_from("t", columns);
        expect_throw<ProgrammingError>([&] { copy->bind_view(2, "out of order"); });
    }
    {
        auto copy = conn->copy_from("t", columns);
        copy->bind_view(1, "one field");
        expect_throw<ProgrammingError>([&] { copy->end_row(); });
    }
    EXPECT_EQ(count_rows(*conn, "t"), 0);
    EXPECT_EQ(conn->draw_keys("t", "a", 3).size(), 0u) << "no sequence behind t.a";
}

// Keys come from the column's sequence, in order, and the server's own
// INSERTs go on after them.
TEST_F(PgDriver, DrawKeysTakesThemFromTheColumnsSequence) {
    auto conn = open_connection();
    conn->execute("CREATE TABLE \"Keyed\" (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v TEXT)");
    const auto keys = conn->draw_keys("Keyed", "id", 5);
    EXPECT_EQ(keys, (std::vector<std::int64_t>{1, 2, 3, 4, 5}));
    conn->execute("INSERT INTO \"Keyed\" (v) VALUES ('next')");
    auto st = conn->prepare("SELECT id FROM \"Keyed\"");
    ASSERT_TRUE(st->step());
    EXPECT_EQ(st->get_int64(0), 6);
}

TEST_F(PgDriver, IntegersRoundTripAtTheirLimits) {
    auto conn = open_connection();
    for (std::int64_t v : {INT64_MIN, INT64_MAX, std::int64_t{0}, std::int64_t{-1}}) {
        round_trip(*conn, "BIGINT", v, [&](Statement& s) { EXPECT_EQ(s.get_int64(0), v); });
    }
    for (std::int64_t v : {std::int64_t{INT32_MIN}, std::int64_t{INT32_MAX}}) {
        round_trip(*conn, "INTEGER", v, [&](Statement& s) { EXPECT_EQ(s.get_int64(0), v); });
    }
    for (std::int64_t v : {std::int64_t{-32768}, std::int64_t{32767}}) {
        round_trip(*conn, "SMALLINT", v, [&](Statement& s) { EXPECT_EQ(s.get_int64(0), v); });
    }
}

TEST_F(PgDriver, IntegerOutOfRangeForColumnIsRefusedAndNothingIsStored) {
    auto conn = open_connection();
    conn->execute("CREATE TABLE small (v SMALLINT)");
    Value params[] = {Value(std::int64_t{40000})};
    auto e = expect_throw<ProgrammingError>([&] { conn->execute("INSERT INTO small (v) VALUES ($1)", params); });
    EXPECT_EQ(e.code(), "22003");
    EXPECT_NE(std::string(e.what()).find("out of range"), std::string::npos) << e.what();
    EXPECT_EQ(count_rows(*conn, "small"), 0);
}

TEST_F(PgDriver, TextRoundTripsEmptyHugeAndUtf8) {
    auto conn = open_connection();
    const std::string huge(1 << 20, 'x');
    const std::string utf8 = "h\xc3\xa9llo w\xc3\xb6rld \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\x89";
    for (const std::string& v : {std::string(), huge, utf8}) {
        round_trip(*conn, "TEXT", v, [&](Statement& s) {
            EXPECT_FALSE(s.is_null(0));
            EXPECT_EQ(s.get_text(0), v);
        });
        round_trip(*conn, "VARCHAR", v, [&](Statement& s) { EXPECT_EQ(s.get_text(0), v); });
    }
}

TEST_F(PgDriver, TextWithNulByteIsRefusedByTheServer) {
    auto conn = open_connection();
    conn->execute("CREATE TABLE t (v TEXT)");
    Value params[] = {Value(std::string("a\0b", 3))};
    auto e = expect_throw<ProgrammingError>([&] { conn->execute("INSERT INTO t (v) VALUES ($1)", params); });
    EXPECT_EQ(e.code(), "22021");
    EXPECT_EQ(count_rows(*conn, "t"), 0);
}

TEST_F(PgDriver, ByteaRoundTripsNulBytesAndEmpty) {
    auto conn = open_connection();
    std::vector<std::uint8_t> all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<std::uint8_t>(i));
    all.push_back(0);
    for (const Blob& v : {Blob(all), Blob(std::string_view("\0\0x\0", 4)), Blob()}) {
        round_trip(*conn, "BYTEA", v, [&](Statement& s) {
            EXPECT_FALSE(s.is_null(0));
            auto b = s.get_blob(0);
            EXPECT_EQ(std::vector<std::uint8_t>(b.begin(), b.end()), v.bytes);
            EXPECT_EQ(s.get_value(0, TypeKind::LargeBinary), Value(v));
        });
    }
}

TEST_F(PgDriver, TimestampsKeepMicrosecondsBeforeAndAfter1970) {
    auto conn = open_connection();
    for (const char* text : {"2026-11-27 14:00:00.123456", "1969-12-31 23:59:59.999999", "1900-01-01 00:00:00.000001",
                             "1970-01-01 00:00:00.000000", "9999-12-31 23:59:59.999999"}) {
        const DateTime v = parse_datetime(text);
        round_trip(*conn, "TIMESTAMP WITHOUT TIME ZONE", v, [&](Statement& s) {
            EXPECT_EQ(s.get_datetime(0), v) << text;
            EXPECT_EQ(format_datetime(s.get_datetime(0)), text);
            EXPECT_EQ(s.get_text(0), text);
        });
    }
    // The server sees the same instant it would parse from the text.
    round_trip(*conn, "TIMESTAMP", parse_datetime("1969-07-20 20:17:40.000001"), [&](Statement&) {});
    auto stmt = conn->prepare("SELECT v = TIMESTAMP '1969-07-20 20:17:40.000001' FROM rt");
    ASSERT_TRUE(stmt->step());
    EXPECT_TRUE(stmt->get_bool(0));
}

TEST_F(PgDriver, DatesAndTimesRoundTrip) {
    auto conn = open_connection();
    for (const char* text : {"1969-12-31", "1800-02-28", "2000-01-01", "2024-02-29", "9999-12-31"}) {
        const Date v = parse_date(text);
        round_trip(*conn, "DATE", v, [&](Statement& s) { EXPECT_EQ(format_date(s.get_date(0)), text); });
    }
    for (const char* text : {"00:00:00.000000", "23:59:59.999999", "12:34:56.000001"}) {
        const Time v = parse_time(text);
        round_trip(*conn, "TIME WITHOUT TIME ZONE", v, [&](Statement& s) { EXPECT_EQ(s.get_time(0), v) << text; });
    }
}

TEST_F(PgDriver, NumericIsExact) {
    auto conn = open_connection();
    for (const char* text : {"12345678901234567890.0123456789", "-0.0000000001", "0.0000000000",
                             "-99999999999999999999.9999999999", "1.0000000000"}) {
        round_trip(*conn, "NUMERIC(30, 10)", Decimal{text}, [&](Statement& s) {
            EXPECT_EQ(s.get_decimal(0).text, text);
            EXPECT_EQ(s.get_text(0), text);
        });
    }
    for (const char* text : {"0", "10000", "-123456789012345678901234567890", "0.5", "100000000.00000001", "NaN"}) {
        round_trip(*conn, "NUMERIC", Decimal{text}, [&](Statement& s) { EXPECT_EQ(s.get_decimal(0).text, text); });
    }
    round_trip(*conn, "NUMERIC(10, 2)", Decimal{"12.5"}, [&](Statement& s) { EXPECT_EQ(s.get_decimal(0).text, "12.50"); });
}

TEST_F(PgDriver, FloatsAndBooleansRoundTrip) {
    auto conn = open_connection();
    for (double v : {0.1, -1e300, 5e-324, 1.0 / 3.0, 0.0}) {
        round_trip(*conn, "DOUBLE PRECISION", v, [&](Statement& s) { EXPECT_EQ(s.get_double(0), v); });
    }
    round_trip(*conn, "DOUBLE PRECISION", 1e300, [&](Statement& s) {
        auto e = expect_throw<ProgrammingError>([&] { (void)s.get_int64(0); });
        EXPECT_NE(std::string(e.what()).find("cannot be read as an integer"), std::string::npos) << e.what();
    });
    round_trip(*conn, "DOUBLE PRECISION", -2.75, [&](Statement& s) { EXPECT_EQ(s.get_int64(0), -2); });
    for (bool v : {true, false}) {
        round_trip(*conn, "BOOLEAN", v, [&](Statement& s) {
            EXPECT_EQ(s.get_bool(0), v);
            EXPECT_EQ(s.get_value(0, TypeKind::Boolean), Value(v));
        });
    }
}

TEST_F(PgDriver, NativeEnumRoundTripsAndRejectsUnknownLabels) {
    auto conn = open_connection();
    conn->execute("CREATE TYPE mood AS ENUM ('happy', 'sad', 'caf\xc3\xa9')");
    round_trip(*conn, "mood", Value("caf\xc3\xa9"), [&](Statement& s) {
        EXPECT_EQ(s.get_text(0), "caf\xc3\xa9");
        EXPECT_EQ(s.get_value(0, TypeKind::Enum), Value("caf\xc3\xa9"));
    });
    Value params[] = {Value("angry")};
    // IntegrityError, as the CHECK that stands for an Enum on SQLite gives.
    auto e = expect_throw<IntegrityError>([&] { conn->execute("INSERT INTO rt (v) VALUES ($1)", params); });
    EXPECT_EQ(e.code(), "22P02");
    EXPECT_NE(std::string(e.what()).find("angry"), std::string::npos) << e.what();
    EXPECT_EQ(count_rows(*conn, "rt"), 1);
}

TEST_F(PgDriver, NullsOfEveryTypeRoundTrip) {
    auto conn = open_connection();
    for (const char* type : {"BIGINT", "TEXT", "BYTEA", "TIMESTAMP", "DATE", "TIME", "NUMERIC", "BOOLEAN", "FLOAT8"}) {
        round_trip(*conn, type, Value(null), [&](Statement& s) {
            EXPECT_TRUE(s.is_null(0)) << type;
            EXPECT_EQ(s.get_value(0, TypeKind::Text), Value(null));
        });
    }
}

// ---- errors ----------------------------------------------------------------

class PgErrors : public testing::PostgresTest {
protected:
    void SetUp() override {
        PostgresTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        conn = open_connection();
        conn->execute(
            "CREATE TABLE parent (id INTEGER PRIMARY KEY, email VARCHAR(20) NOT NULL CONSTRAINT uq_parent_email UNIQUE, "
            "age INTEGER CONSTRAINT ck_parent_age CHECK (age >= 0))");
        conn->execute("CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER CONSTRAINT fk_child_parent "
                      "REFERENCES parent (id))");
        conn->execute("INSERT INTO parent VALUES (1, 'a@x', 30)");
    }

    template <class E>
    E expect_sql_error(const std::string& sql, std::vector<Value> params, const std::string& sqlstate,
                       const std::string& message_part) {
        auto e = expect_throw<E>([&] { conn->execute(sql, params); });
        EXPECT_EQ(e.code(), sqlstate);
        EXPECT_EQ(e.statement(), sql);
        EXPECT_NE(e.backend_message().find(message_part), std::string::npos) << e.backend_message();
        EXPECT_NE(std::string(e.what()).find(sql), std::string::npos) << e.what();
        return e;
    }

    void expect_unchanged() {
        EXPECT_EQ(count_rows(*conn, "parent"), 1);
        EXPECT_EQ(count_rows(*conn, "child"), 0);
    }

    std::unique_ptr<Connection> conn;
};

TEST_F(PgErrors, UniqueViolationIsIntegrityError) {
    auto e = expect_sql_error<IntegrityError>("INSERT INTO parent (id, email) VALUES ($1, $2)", {2, "a@x"}, "23505",
                                              "uq_parent_email");
    EXPECT_NE(e.backend_message().find("Key (email)=(a@x) already exists"), std::string::npos) << e.backend_message();
    expect_unchanged();
}

TEST_F(PgErrors, NotNullForeignKeyAndCheckViolationsAreIntegrityErrors) {
    expect_sql_error<IntegrityError>("INSERT INTO parent (id, email) VALUES ($1, $2)", {2, null}, "23502", "email");
    expect_sql_error<IntegrityError>("INSERT INTO child (id, parent_id) VALUES ($1, $2)", {1, 99}, "23503",
                                     "fk_child_parent");
    expect_sql_error<IntegrityError>("INSERT INTO parent (id, email, age) VALUES ($1, $2, $3)", {2, "b@x", -1},
                                     "23514", "ck_parent_age");
    expect_unchanged();
}

TEST_F(PgErrors, BadSqlIsProgrammingErrorMissingTableOperationalError) {
    auto e = expect_throw<ProgrammingError>([&] { conn->prepare("SELEC 1"); });
    EXPECT_EQ(e.code(), "42601");
    EXPECT_EQ(e.statement(), "SELEC 1");
    // A missing table is an OperationalError, as on SQLite.
    auto missing = expect_throw<OperationalError>([&] { conn->execute("DELETE FROM nowhere"); });
    EXPECT_EQ(missing.code(), "42P01");
    EXPECT_NE(missing.backend_message().find("\"nowhere\" does not exist"), std::string::npos);
    EXPECT_EQ(missing.statement(), "DELETE FROM nowhere");
    expect_unchanged();
}

TEST_F(PgErrors, DeadlockShutdownAndConnectionClassesAreOperationalErrors) {
    // The mapping by SQLSTATE, raised server-side with the real codes.
    for (const char* code : {"40P01", "57P01", "08006", "53300"}) {
        const std::string sql = std::string("DO $$ BEGIN RAISE EXCEPTION 'raised %', '") + code +
                                "' USING ERRCODE = '" + code + "'; END $$";
        auto e = expect_throw<OperationalError>([&] { conn->execute(sql); });
        EXPECT_EQ(e.code(), code);
        EXPECT_EQ(e.backend_message(), std::string("raised ") + code);
    }
    EXPECT_TRUE(conn->is_healthy());
}

TEST_F(PgErrors, RealDeadlockIsOperationalErrorAndTheOtherSideCommits) {
    conn->execute("INSERT INTO parent VALUES (2, 'b@x', 1)");
    auto other = open_connection();
    for (Connection* c : {conn.get(), other.get()}) {
        c->execute("SET deadlock_timeout = '50ms'");
        c->begin();
    }
    conn->execute("UPDATE parent SET age = 10 WHERE id = 1");
    other->execute("UPDATE parent SET age = 20 WHERE id = 2");
    // Each now waits for the row the other holds; the server breaks the cycle.
    std::string first_error, second_error;
    auto run = [](Connection& c, const char* sql, std::string& error) {
        try {
            c.execute(sql);
        } catch (const OperationalError& e) {
            error = e.code();
            c.rollback();
        }
    };
    std::thread t([&] { run(*other, "UPDATE parent SET age = 21 WHERE id = 1", second_error); });
    run(*conn, "UPDATE parent SET age = 11 WHERE id = 2", first_error);
    if (first_error.empty()) conn->commit();
    t.join();
    if (second_error.empty()) other->commit();
    EXPECT_EQ(first_error + second_error, "40P01") << "exactly one side is chosen as the deadlock victim";
    auto stmt = conn->prepare("SELECT age FROM parent ORDER BY id");
    ASSERT_TRUE(stmt->step());
    const std::int64_t a = stmt->get_int64(0);
    ASSERT_TRUE(stmt->step());
    const std::int64_t b = stmt->get_int64(0);
    // The survivor's two updates are both there, the victim's none.
    EXPECT_TRUE((a == 10 && b == 11) || (a == 21 && b == 20)) << a << ", " << b;
}

TEST_F(PgErrors, StatementAndLockTimeoutsAreOperationalErrors) {
    conn->execute("SET statement_timeout = '50ms'");
    auto slow = expect_throw<OperationalError>([&] { conn->execute("SELECT pg_sleep(5)"); });
    EXPECT_EQ(slow.code(), "57014");
    EXPECT_NE(slow.backend_message().find("statement timeout"), std::string::npos) << slow.backend_message();
    EXPECT_TRUE(conn->is_healthy()) << "a cancelled statement leaves the connection usable";
    conn->execute("SET statement_timeout = 0");

    auto holder = open_connection();
    holder->begin();
    holder->execute("LOCK TABLE parent IN ACCESS EXCLUSIVE MODE");
    conn->execute("SET lock_timeout = '50ms'");
    auto locked = expect_throw<OperationalError>([&] { count_rows(*conn, "parent"); });
    EXPECT_EQ(locked.code(), "55P03");
    holder->rollback();
    expect_unchanged();
}

TEST_F(PgErrors, FailedStatementInTransactionRollsBackCleanly) {
    conn->begin();
    Value ok[] = {2, "b@x"};
    conn->execute("INSERT INTO parent (id, email) VALUES ($1, $2)", ok);
    Value dup[] = {3, "a@x"};
    expect_throw<IntegrityError>([&] { conn->execute("INSERT INTO parent (id, email) VALUES ($1, $2)", dup); });
    // PostgreSQL refuses everything until the rollback.
    auto aborted = expect_throw<ProgrammingError>([&] { count_rows(*conn, "parent"); });
    EXPECT_EQ(aborted.code(), "25P02");
    conn->rollback();
    expect_unchanged();
}

TEST_F(PgErrors, BindOutOfRangeAndNoRowAreProgrammingErrors) {
    auto stmt = conn->prepare("SELECT id FROM parent WHERE id = $1");
    EXPECT_EQ(stmt->parameter_count(), 1);
    EXPECT_EQ(stmt->column_count(), 1);
    EXPECT_EQ(stmt->column_name(0), "id");
    auto e = expect_throw<ProgrammingError>([&] { stmt->bind(2, 1); });
    EXPECT_NE(std::string(e.what()).find("parameter index 2 is out of range"), std::string::npos) << e.what();
    stmt->bind(1, 1);
    ASSERT_TRUE(stmt->step());
    auto wrong = expect_throw<ProgrammingError>([&] { (void)stmt->get_datetime(0); });
    EXPECT_NE(std::string(wrong.what()).find("column 0 (\"id\") is integer"), std::string::npos) << wrong.what();
    EXPECT_FALSE(stmt->step());
    expect_throw<ProgrammingError>([&] { (void)stmt->get_int64(0); });
}

// ---- URLs and connecting ---------------------------------------------------

TEST_F(PgDriver, QueryParametersReachTheServer) {
    auto conn = connect(postgres_url() + (postgres_url().find('?') == std::string::npos ? "?" : "&") +
                        "application_name=strata_probe&connect_timeout=5&sslmode=disable");
    auto stmt = conn->prepare("SELECT current_setting('application_name'), current_database()");
    ASSERT_TRUE(stmt->step());
    EXPECT_EQ(stmt->get_text(0), "strata_probe");
    EXPECT_EQ(stmt->get_text(1), parse_url(postgres_url()).database);
}

TEST_F(PgDriver, ServerOptionsAndSslModeFromTheUrl) {
    const std::string sep = postgres_url().find('?') == std::string::npos ? "?" : "&";
    // options= passes server settings (here search_path) as libpq does.
    auto conn = connect(postgres_url() + sep + "options=-csearch_path%3Dstrata_elsewhere");
    auto stmt = conn->prepare("SELECT current_setting('search_path')");
    ASSERT_TRUE(stmt->step());
    EXPECT_EQ(stmt->get_text(0), "strata_elsewhere");
    // The test server has no SSL: requiring it fails to connect, naming the reason.
    auto e = expect_throw<OperationalError>([&] { connect(postgres_url() + sep + "sslmode=require"); });
    EXPECT_NE(std::string(e.what()).find("SSL"), std::string::npos) << e.what();
}

TEST_F(PgDriver, SessionsRunInUtcUnlessTheUrlSaysOtherwise) {
    const std::string db = parse_url(postgres_url()).database;
    open_connection()->execute("ALTER DATABASE " + postgresql_dialect().quote(db) + " SET timezone = 'America/New_York'");
    auto conn = open_connection();
    auto stmt = conn->prepare("SELECT current_setting('TimeZone'), now()::timestamp = (now() AT TIME ZONE 'UTC')");
    ASSERT_TRUE(stmt->step());
    EXPECT_EQ(stmt->get_text(0), "UTC");
    EXPECT_TRUE(stmt->get_bool(1)) << "CURRENT_TIMESTAMP defaults store UTC, like strata::now()";

    const std::string sep = postgres_url().find('?') == std::string::npos ? "?" : "&";
    auto paris = connect(postgres_url() + sep + "options=-c%20TimeZone%3DEurope/Paris");
    auto tz = paris->prepare("SELECT current_setting('TimeZone')");
    ASSERT_TRUE(tz->step());
    EXPECT_EQ(tz->get_text(0), "Europe/Paris");
}

TEST_F(PgDriver, UnixSocketUrl) {
    auto tcp = open_connection();
    auto stmt = tcp->prepare("SELECT current_setting('unix_socket_directories'), current_setting('port'), current_user");
    ASSERT_TRUE(stmt->step());
    std::string dir(stmt->get_text(0));
    dir = dir.substr(0, dir.find(','));
    const std::string url = "postgresql:///" + parse_url(postgres_url()).database + "?host=" + dir + "&port=" + std::string(stmt->get_text(1)) +
                            "&user=" + std::string(stmt->get_text(2));
    auto conn = connect(url);
    auto probe = conn->prepare("SELECT inet_server_addr() IS NULL");  // NULL over a unix socket
    ASSERT_TRUE(probe->step());
    EXPECT_TRUE(probe->get_bool(0));
}

TEST_F(PgDriver, UnknownUrlParameterIsConfigErrorWithPasswordMasked) {
    auto e = expect_throw<ConfigError>([] { connect("postgresql://bob:s3cret@127.0.0.1:1/db?bogus_option=1"); });
    const std::string msg = e.what();
    EXPECT_NE(msg.find("postgresql://bob:***@127.0.0.1:1/db?bogus_option=1"), std::string::npos) << msg;
    EXPECT_NE(msg.find("unknown connection parameter 'bogus_option'"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("s3cret"), std::string::npos) << msg;
}

TEST_F(PgDriver, UnreachableServerIsOperationalErrorWithPasswordMasked) {
    auto e = expect_throw<OperationalError>([] { connect("postgresql://bob:s3cret@127.0.0.1:1/db?connect_timeout=3"); });
    const std::string msg = e.what();
    EXPECT_NE(msg.find("cannot connect to postgresql://bob:***@127.0.0.1:1/db"), std::string::npos) << msg;
    EXPECT_NE(msg.find("127.0.0.1"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("s3cret"), std::string::npos) << msg;
    EXPECT_EQ(e.code(), "08001");

    auto bad_host = expect_throw<OperationalError>(
        [] { connect("postgresql://bob:s3cret@no-such-host.invalid/db?connect_timeout=3"); });
    EXPECT_NE(std::string(bad_host.what()).find("no-such-host.invalid"), std::string::npos) << bad_host.what();
    EXPECT_EQ(std::string(bad_host.what()).find("s3cret"), std::string::npos);
}

TEST_F(PgDriver, MissingDatabaseIsOperationalError) {
    Url url = parse_url(testing::postgres_server_url());
    url.database = "strata_no_such_db";
    auto e = expect_throw<OperationalError>([&] { connect(url.masked()); });
    EXPECT_NE(std::string(e.what()).find("\"strata_no_such_db\" does not exist"), std::string::npos) << e.what();
}

// ---- statements, transactions, connection state ------------------------------

std::int64_t server_prepared_count(Connection& conn) {
    auto stmt = conn.prepare("SELECT count(*) FROM pg_prepared_statements");
    EXPECT_TRUE(stmt->step());
    return stmt->get_int64(0);
}

TEST_F(PgDriver, PreparedStatementsAreCachedAndReused) {
    auto conn = open_connection();
    conn->execute("CREATE TABLE t (id INTEGER)");
    const std::string insert = "INSERT INTO t (id) VALUES ($1)";
    const auto before = conn->prepare_count();
    for (int i = 0; i < 50; ++i) {
        Value params[] = {i};
        conn->execute(insert, params);
    }
    EXPECT_EQ(conn->prepare_count(), before + 1);
    EXPECT_EQ(count_rows(*conn, "t"), 50);
    // insert + count + this query: each once on the server.
    EXPECT_EQ(server_prepared_count(*conn), 3);
    {
        auto a = conn->prepare(insert);
        auto b = conn->prepare(insert);  // nested use of the same SQL gets its own statement
        EXPECT_EQ(conn->prepare_count(), before + 4);
    }
}

TEST_F(PgDriver, ReturningGivesIdentityKeysAndLastInsertIdMatches) {
    auto conn = open_connection();
    conn->execute("CREATE TABLE t (id INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name TEXT)");
    auto insert = conn->prepare("INSERT INTO t (name) VALUES ($1) RETURNING id");
    std::vector<std::int64_t> ids;
    for (const char* name : {"a", "b", "c"}) {
        insert->bind(1, name);
        ASSERT_TRUE(insert->step());
        ids.push_back(insert->get_int64(0));
        EXPECT_FALSE(insert->step());
    }
    EXPECT_EQ(ids, (std::vector<std::int64_t>{1, 2, 3}));
    EXPECT_EQ(conn->last_insert_id(), 3);
    EXPECT_EQ(conn->execute("UPDATE t SET name = 'z' WHERE id >= $1", std::vector<Value>{2}), 2);
}

TEST_F(PgDriver, LastInsertIdWithoutInsertIsProgrammingError) {
    auto conn = open_connection();
    auto e = expect_throw<ProgrammingError>([&] { conn->last_insert_id(); });
    EXPECT_EQ(e.code(), "55000");
}

TEST_F(PgDriver, TransactionsAndSavepoints) {
    auto conn = open_connection();
    conn->execute("CREATE TABLE t (id INTEGER)");
    conn->begin();
    conn->execute("INSERT INTO t VALUES (1)");
    conn->savepoint("sp");
    conn->execute("INSERT INTO t VALUES (2)");
    conn->rollback_to_savepoint("sp");
    conn->commit();
    EXPECT_EQ(count_rows(*conn, "t"), 1);
    conn->begin();
    conn->execute("INSERT INTO t VALUES (3)");
    conn->rollback();
    EXPECT_EQ(count_rows(*conn, "t"), 1);
}

TEST_F(PgDriver, TerminatedBackendMakesConnectionUnhealthy) {
    auto victim = open_connection();
    auto admin = open_connection();
    EXPECT_TRUE(victim->ping());
    EXPECT_TRUE(victim->is_healthy());
    auto pid_stmt = victim->prepare("SELECT pg_backend_pid()");
    ASSERT_TRUE(pid_stmt->step());
    const std::int64_t pid = pid_stmt->get_int64(0);
    pid_stmt->reset();

    Value params[] = {pid};
    auto kill = admin->prepare("SELECT pg_terminate_backend($1::int)");
    kill->bind_all(params);
    ASSERT_TRUE(kill->step());
    ASSERT_TRUE(kill->get_bool(0));

    EXPECT_FALSE(victim->ping());
    EXPECT_FALSE(victim->is_healthy());
    auto e = expect_throw<OperationalError>([&] { victim->execute("SELECT 1"); });
    EXPECT_NE(std::string(e.what()).find("connection lost"), std::string::npos) << e.what();
    expect_throw<OperationalError>([&] { pid_stmt->step(); });
    expect_throw<OperationalError>([&] { victim->prepare("SELECT 2"); });
    EXPECT_TRUE(admin->ping());
}

TEST_F(PgDriver, LossDuringAStatementIsOperationalError) {
    auto victim = open_connection();
    auto admin = open_connection();
    auto pid_stmt = victim->prepare("SELECT pg_backend_pid()");
    ASSERT_TRUE(pid_stmt->step());
    Value params[] = {pid_stmt->get_int64(0)};
    admin->execute("SELECT pg_terminate_backend($1::int)", params);
    // No ping first: the loss is found by the statement itself.
    auto e = expect_throw<OperationalError>([&] { victim->execute("SELECT 1"); });
    EXPECT_FALSE(e.code().empty());
    EXPECT_FALSE(victim->is_healthy());
}

TEST_F(PgDriver, PingWorksInsideAFailedTransaction) {
    auto conn = open_connection();
    conn->begin();
    expect_throw<ProgrammingError>([&] { conn->execute("SELEC 1"); });
    EXPECT_TRUE(conn->ping());
    EXPECT_TRUE(conn->is_healthy());
    conn->rollback();
}

}  // namespace
}  // namespace strata
