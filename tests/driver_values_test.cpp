// Values a backend would store as something else or not take at all: dates
// and times outside its range, PostgreSQL's infinities, text over its size
// limit. Each is stored exactly or refused before it is sent, with the same
// error on every path (one INSERT, a multi-row INSERT, COPY).
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/mman.h>

#include <typeinfo>

#include "driver/calendar.hpp"
#include "backend/postgresql/driver/codec.hpp"
#include "support.hpp"

using namespace strata;
using namespace std::chrono;
using strata::testing::expect_throw;

namespace {

Date ymd(std::int64_t y, unsigned m, unsigned d) { return Date{days{calendar::days_from_civil(y, m, d)}}; }
DateTime at(Date d, microseconds since_midnight = {}) { return DateTime{d.time_since_epoch()} + since_midnight; }
constexpr microseconds kLastMicro = days{1} - microseconds{1};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// size bytes of address space that costs no memory: never written, its pages
// are the kernel's zero page if read at all.
class Untouched {
public:
    explicit Untouched(std::size_t size) : size_(size) {
        data_ = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (data_ == MAP_FAILED) throw std::runtime_error("mmap failed");
    }
    ~Untouched() { ::munmap(data_, size_); }
    Untouched(const Untouched&) = delete;
    Untouched& operator=(const Untouched&) = delete;
    std::string_view view() const { return {static_cast<const char*>(data_), size_}; }

private:
    void* data_;
    std::size_t size_;
};

// SQLite's length limit as a connection applies it (SQLITE_MAX_LENGTH, as built).
std::size_t sqlite_length_limit() {
    sqlite3* db = nullptr;
    sqlite3_open(":memory:", &db);
    const auto limit = static_cast<std::size_t>(sqlite3_limit(db, SQLITE_LIMIT_LENGTH, -1));
    sqlite3_close(db);
    return limit;
}

}  // namespace

// The calendar arithmetic the range checks, messages and COPY rely on: exact
// against std::chrono where that reaches, defined (no overflow) at the ends.
TEST(Calendar, DayCountsAndDatesAgreeWithChronoAndTheExtremesFormat) {
    for (std::int64_t z = -13'000'000; z <= 13'000'000; z += 997) {  // years -33600 to 37600
        const calendar::CivilDate c = calendar::civil_from_days(z);
        ASSERT_EQ(calendar::days_from_civil(c.year, c.month, c.day), z);
        if (c.year > -32767 && c.year < 32767) {
            const year_month_day expected{sys_days{days{z}}};
            ASSERT_EQ(c.year, static_cast<int>(expected.year())) << z;
            ASSERT_EQ(c.month, static_cast<unsigned>(expected.month())) << z;
            ASSERT_EQ(c.day, static_cast<unsigned>(expected.day())) << z;
        }
    }
    EXPECT_EQ(format_datetime(DateTime::max()), "294247-01-10 04:00:54.775807");
    EXPECT_EQ(format_datetime(DateTime::min()), "-290308-12-21 19:59:05.224192");
    EXPECT_EQ(format_date(ymd(-43, 3, 15)), "-0043-03-15");
    EXPECT_EQ(format_date(Date::max()), "25252734927768524-07-27");  // formatted, not wrapped
    EXPECT_EQ(format_date(Date::min()), "-25252734927764585-06-07");
    // PostgreSQL's text input: eras instead of signs, more digits past 9999.
    EXPECT_EQ(pg::date_text(ymd(0, 1, 1)), "0001-01-01 BC");
    EXPECT_EQ(pg::timestamp_text(at(ymd(-43, 3, 15), hours{12})), "0044-03-15 12:00:00.000000 BC");
    EXPECT_EQ(pg::date_text(ymd(10000, 1, 1)), "10000-01-01");
    EXPECT_EQ(pg::timestamp_text(at(ymd(2026, 11, 27), hours{23} + minutes{4} + seconds{5} + microseconds{60789})),
              "2026-11-27 23:04:05.060789");
    EXPECT_EQ(pg::timestamp_text(at(ymd(-43, 3, 15), hours{0})), "0044-03-15 00:00:00.000000 BC");
    EXPECT_EQ(pg::timestamp_text(DateTime::max() - microseconds{1}), "294247-01-10 04:00:54.775806");
    EXPECT_EQ(pg::date_text(Date::max() - days{1}), "25252734927768524-07-26");
    EXPECT_EQ(pg::date_text(Date::max()), "infinity");
    EXPECT_EQ(pg::timestamp_text(DateTime::min()), "-infinity");
}

class DriverValues : public strata::testing::BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        conn = open_connection();
        MetaData md;
        md.table("v").column("d", DateType()).column("dt", DateTimeType()).column("tm", TimeType()).column("txt", Text());
        md.create_all(*conn);
    }

    std::string insert(const std::string& column) {
        const Dialect& d = conn->dialect();
        return "INSERT INTO " + d.quote("v") + " (" + d.quote(column) + ") VALUES (" + d.placeholder(1) + ")";
    }
    std::string select(const std::string& column) {
        return "SELECT " + conn->dialect().quote(column) + " FROM " + conn->dialect().quote("v");
    }
    std::int64_t rows() {
        auto st = conn->prepare("SELECT count(*) FROM " + conn->dialect().quote("v"));
        st->step();
        return st->get_int64(0);
    }

    // Stores v in column and reads it back as the same type.
    Value round_trip(const std::string& column, const Value& v, TypeKind kind) {
        conn->execute("DELETE FROM " + conn->dialect().quote("v"));
        Value params[] = {v};
        conn->execute(insert(column), params);
        auto st = conn->prepare(select(column));
        EXPECT_TRUE(st->step());
        return st->get_value(0, kind);
    }

    void expect_refused(const std::string& column, const Value& v) {
        SCOPED_TRACE(v.to_display());
        Value params[] = {v};
        auto e = expect_throw<ProgrammingError>([&] { conn->execute(insert(column), params); });
        EXPECT_EQ(e.code(), "22008");
        EXPECT_TRUE(contains(e.what(), "parameter 1: ")) << e.what();
        EXPECT_TRUE(contains(e.what(), is_sqlite() ? "SQLite stores" : "PostgreSQL stores")) << e.what();
        EXPECT_EQ(rows(), 0);
    }

    std::unique_ptr<Connection> conn;
};

TEST_P(DriverValues, DatesAndTimesAtTheEndsOfTheBackendsRangeRoundTrip) {
    std::vector<Date> dates{ymd(1, 1, 1), ymd(9999, 12, 31), ymd(1969, 12, 31)};
    std::vector<DateTime> stamps{at(ymd(1, 1, 1)), at(ymd(9999, 12, 31), kLastMicro)};
    std::vector<Time> times{Time{microseconds{0}}, Time{kLastMicro}};
    if (!is_sqlite()) {
        // Its own range, year 0 (1 BC) and BC dates, and its infinities.
        for (Date d : {ymd(-4713, 11, 24), ymd(0, 2, 29), ymd(-43, 3, 15), ymd(5874897, 12, 31), Date::min(), Date::max()})
            dates.push_back(d);
        for (DateTime t : {at(ymd(-4713, 11, 24)), at(ymd(0, 1, 1), hours{12}), DateTime::max() - microseconds{1},
                           DateTime::min(), DateTime::max()})
            stamps.push_back(t);
        times.push_back(Time{hours{24}});
    }
    for (Date d : dates) EXPECT_EQ(round_trip("d", d, TypeKind::Date), Value(d)) << format_date(d);
    for (DateTime t : stamps) EXPECT_EQ(round_trip("dt", t, TypeKind::DateTime), Value(t)) << format_datetime(t);
    for (Time t : times) EXPECT_EQ(round_trip("tm", t, TypeKind::Time), Value(t)) << format_time(t);
}

TEST_P(DriverValues, DatesAndTimesOutsideTheBackendsRangeAreRefusedAndNothingIsStored) {
    const Date huge{days{std::int64_t{1} << 40}};  // wrapped to another date when cut to 32 bits
    if (is_sqlite()) {
        for (Date d : {ymd(0, 12, 31), ymd(10000, 1, 1), ymd(-43, 3, 15), Date::min(), Date::max(), huge})
            expect_refused("d", d);
        for (DateTime t : {at(ymd(0, 12, 31), kLastMicro), at(ymd(10000, 1, 1)), DateTime::min(), DateTime::max()})
            expect_refused("dt", t);
        expect_refused("tm", Time{hours{24}});
    } else {
        for (Date d : {ymd(-4713, 11, 23), ymd(5874898, 1, 1), Date::min() + days{1}, Date::max() - days{1}, huge})
            expect_refused("d", d);
        for (DateTime t : {at(ymd(-4713, 11, 23), kLastMicro), DateTime::min() + microseconds{1}})
            expect_refused("dt", t);
        expect_refused("tm", Time{hours{24} + microseconds{1}});
    }
    expect_refused("tm", Time{microseconds{-1}});
}

TEST_P(DriverValues, TextOverTheSizeLimitIsRefusedNamingTheLimitAndTheConnectionStaysUsable) {
    const std::size_t limit = is_sqlite() ? sqlite_length_limit() : pg::kMaxValueBytes;
    const Untouched big(limit + 1);
    auto st = conn->prepare(insert("txt"));
    auto e = expect_throw<ProgrammingError>([&] { st->bind_view(1, big.view()); });
    EXPECT_EQ(e.code(), is_sqlite() ? "SQLITE_TOOBIG" : "54000");
    EXPECT_TRUE(contains(e.what(), "parameter 1: text of " + std::to_string(limit + 1) + " bytes")) << e.what();
    EXPECT_TRUE(contains(e.what(), "(" + std::to_string(limit) + " bytes)")) << e.what();
    if (!is_sqlite()) {  // the bulk path refuses it alike
        auto copy = conn->copy_from("v", {"txt"});
        auto c = expect_throw<ProgrammingError>([&] { copy->bind_view(1, big.view()); });
        EXPECT_EQ(c.code(), "54000");
        EXPECT_TRUE(contains(c.what(), "COPY row 1, field 1: text of " + std::to_string(limit + 1) + " bytes")) << c.what();
    }
    // Still connected: the same statement takes a normal value.
    st->bind_view(1, "small");
    st->execute();
    EXPECT_EQ(rows(), 1);
}

// bind_datetime on one prepared statement row after row: each row keeps its
// own values, whether a parameter gets the value it had (SQLite rewrites the
// text its slot holds), another, NULL or a Value in between, after
// clear_bindings, and after the statement went back to the cache and came out again.
TEST_P(DriverValues, DateTimeParametersReboundRowAfterRowStoreEachRowsValues) {
    MetaData md;
    md.table("stamps").column("n", Integer()).column("a", DateTimeType()).column("b", DateTimeType());
    md.create_all(*conn);
    const Dialect& d = conn->dialect();
    const std::string sql = "INSERT INTO " + d.quote("stamps") + " (n, a, b) VALUES (" + d.placeholder(1) + ", " +
                            d.placeholder(2) + ", " + d.placeholder(3) + ")";
    const DateTime t1 = at(ymd(2026, 11, 27), hours{12});
    const DateTime t2 = at(ymd(1999, 12, 31), kLastMicro);
    const DateTime t3 = at(ymd(2000, 2, 29), minutes{1});
    using Row = std::tuple<std::int64_t, std::optional<DateTime>, std::optional<DateTime>>;
    std::vector<Row> expected;
    {
        auto st = conn->prepare(sql);
        auto row = [&](std::int64_t n, std::optional<DateTime> a, std::optional<DateTime> b, auto&& bind_rest) {
            st->bind_int64(1, n);
            bind_rest();
            st->execute();
            expected.emplace_back(n, a, b);
        };
        row(1, t1, t2, [&] {
            st->bind_datetime(2, t1);
            st->bind_datetime(3, t2);
        });
        row(2, t1, t1, [&] {
            st->bind_datetime(2, t1);
            st->bind_datetime(3, t1);
        });
        row(3, t2, t1, [&] {
            st->bind_datetime(2, t2);
            st->bind_datetime(3, t1);
        });
        row(4, std::nullopt, t1, [&] { st->bind_null(2); });  // b still bound to t1
        row(5, t2, t3, [&] {
            st->bind_datetime(2, t2);
            st->bind(3, Value(t3));
        });
        row(6, t2, t1, [&] { st->bind_datetime(3, t1); });  // a still bound to t2
        st->clear_bindings();
        row(7, std::nullopt, std::nullopt, [] {});
        row(8, t3, t1, [&] {
            st->bind_datetime(2, t3);
            st->bind_datetime(3, t1);
        });
    }
    {
        auto st = conn->prepare(sql);  // the same statement, from the cache: its bindings cleared
        st->bind_int64(1, 9);
        st->bind_datetime(3, t3);
        st->execute();
        expected.emplace_back(9, std::nullopt, t3);
    }
    auto st = conn->prepare("SELECT n, a, b FROM " + d.quote("stamps") + " ORDER BY n");
    std::vector<Row> stored;
    auto stamp = [&](int col) -> std::optional<DateTime> {
        if (st->is_null(col)) return std::nullopt;
        return st->get_datetime(col);
    };
    while (st->step()) stored.emplace_back(st->get_int64(0), stamp(1), stamp(2));
    EXPECT_EQ(stored, expected);
}

STRATA_INSTANTIATE_BACKENDS(DriverValues);

// PostgreSQL's infinities are DateTime / Date min() and max(); a timestamp
// DateTime cannot hold is an error naming the column, never another value.
class PgDriverValues : public strata::testing::PostgresTest {};

TEST_F(PgDriverValues, InfinitiesReadAsMinAndMaxAndWriteBackAsInfinities) {
    auto conn = open_connection();
    auto st = conn->prepare(
        "SELECT 'infinity'::timestamp, '-infinity'::timestamp, 'infinity'::date, '-infinity'::date, "
        "'infinity'::date::timestamp");
    ASSERT_TRUE(st->step());
    EXPECT_EQ(st->get_datetime(0), DateTime::max());
    EXPECT_EQ(st->get_datetime(1), DateTime::min());
    EXPECT_EQ(st->get_date(2), Date::max());
    EXPECT_EQ(st->get_date(3), Date::min());
    EXPECT_EQ(st->get_datetime(2), DateTime::max());
    EXPECT_EQ(st->get_date(0), Date::max());
    EXPECT_EQ(st->get_text(0), "infinity");
    EXPECT_EQ(st->get_text(3), "-infinity");

    auto check = conn->prepare("SELECT $1::timestamp = 'infinity', $2::timestamp = '-infinity', "
                               "$3::date = 'infinity', $4::date = '-infinity', $5::date::text");
    check->bind(1, DateTime::max());
    check->bind(2, DateTime::min());
    check->bind(3, Date::max());
    check->bind(4, Date::min());
    check->bind(5, ymd(-43, 3, 15));
    ASSERT_TRUE(check->step());
    for (int c = 0; c < 4; ++c) EXPECT_TRUE(check->get_bool(c)) << c;
    EXPECT_EQ(check->get_text(4), "0044-03-15 BC");
}

TEST_F(PgDriverValues, ValuesBeyondWhatDateTimeHoldsAreAnErrorNamingTheColumn) {
    auto conn = open_connection();
    auto st = conn->prepare("SELECT '294276-12-31 23:59:59'::timestamp AS late, '5874897-12-31'::date AS far");
    ASSERT_TRUE(st->step());
    auto late = expect_throw<ProgrammingError>([&] { st->get_datetime(0); });
    EXPECT_EQ(late.code(), "22008");
    EXPECT_TRUE(contains(late.what(), "(\"late\")")) << late.what();
    EXPECT_TRUE(contains(late.what(), "later than strata::DateTime holds")) << late.what();
    EXPECT_EQ(st->get_date(1), ymd(5874897, 12, 31));
    auto far = expect_throw<ProgrammingError>([&] { st->get_datetime(1); });
    EXPECT_TRUE(contains(far.what(), "(\"far\")")) << far.what();
}

// Through the ORM: one new row is one INSERT, a few are a multi-row INSERT
// on PostgreSQL, a thousand are a COPY. Every value is stored or refused
// alike on each path, and a refusal names the column.
namespace {

struct Event {
    std::int64_t id = 0;
    std::string tag{};
    Date day{};
    DateTime moment{};
};

}  // namespace

class OrmValues : public strata::testing::BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        registry.model<Event>("event")
            .column(&Event::id, "id", primary_key())
            .column(&Event::tag, "tag", String(10))
            .column(&Event::day, "day")
            .column(&Event::moment, "moment");
        db.emplace(open_db());
        registry.metadata().create_all(*db->connect());
    }
    void TearDown() override {
        db.reset();
        BackendTest::TearDown();
    }

    // What flushing `rows` new events, one of them holding the value under
    // test, did: the value as stored, or the error's class and code.
    struct Outcome {
        std::string stored_or_error;
        friend bool operator==(const Outcome&, const Outcome&) = default;
    };

    Outcome flush(std::size_t rows, const Event& probe, const std::string& column) {
        db->connect()->execute("DELETE FROM " + db->dialect().quote("event"));
        Session s(*db, registry);
        bool copied = false;
        s.on_statement([&](const std::string& sql) { copied = copied || sql.starts_with("COPY "); });
        // The path under test is the one taken: COPY for a thousand rows on PostgreSQL only.
        auto expect_path = [&] { EXPECT_EQ(copied, !is_sqlite() && rows >= 1000) << rows << " rows"; };
        for (std::size_t i = 0; i < rows; ++i)
            s.add(i == rows / 2 ? probe : Event{.tag = "filler", .day = ymd(2000, 1, 1), .moment = at(ymd(2000, 1, 1))});
        try {
            s.commit();
        } catch (const DatabaseError& e) {
            EXPECT_TRUE(contains(e.what(), "column event." + column + ": ")) << rows << " rows: " << e.what();
            expect_path();
            s.rollback();
            EXPECT_EQ(count(), 0) << "a refused flush stored rows";
            return {std::string(typeid(e).name()) + " " + e.code()};
        }
        expect_path();
        auto conn = db->connect();
        auto st = conn->prepare("SELECT day, moment FROM " + db->dialect().quote("event") + " WHERE tag = 'probe'");
        EXPECT_TRUE(st->step());
        EXPECT_EQ(count(), static_cast<std::int64_t>(rows));
        return {format_date(st->get_date(0)) + " / " + format_datetime(st->get_datetime(1))};
    }

    std::int64_t count() {
        auto st = db->connect()->prepare("SELECT count(*) FROM " + db->dialect().quote("event"));
        st->step();
        return st->get_int64(0);
    }

    Registry registry;
    std::optional<Database> db;
};

TEST_P(OrmValues, OneInsertAMultiRowInsertAndCopyStoreOrRefuseEachValueAlike) {
    const Date ok_day = ymd(2000, 1, 1);
    const DateTime ok_moment = at(ok_day);
    struct Case {
        Date day;
        DateTime moment;
        const char* column;  // the one holding the value under test
        bool stored_on_postgresql, stored_on_sqlite;
    };
    const Case cases[] = {
        {ymd(2024, 2, 29), at(ymd(2024, 2, 29), hours{13} + microseconds{1}), "day", true, true},
        {ymd(1, 1, 1), at(ymd(9999, 12, 31), kLastMicro), "day", true, true},
        {ymd(0, 1, 1), ok_moment, "day", true, false},        // year 0: 1 BC
        {ymd(-43, 3, 15), ok_moment, "day", true, false},      // BC
        {ok_day, at(ymd(-43, 3, 15), hours{12}), "moment", true, false},
        {ymd(10000, 1, 1), ok_moment, "day", true, false},
        {Date::max(), ok_moment, "day", true, false},          // PostgreSQL: infinity
        {Date::min(), ok_moment, "day", true, false},
        {ok_day, DateTime::max(), "moment", true, false},
        {ok_day, DateTime::min(), "moment", true, false},
        {ymd(-4713, 11, 23), ok_moment, "day", false, false},
        {Date{days{std::int64_t{1} << 40}}, ok_moment, "day", false, false},
        {ok_day, DateTime::min() + microseconds{1}, "moment", false, false},
    };
    for (const Case& c : cases) {
        const Event probe{.tag = "probe", .day = c.day, .moment = c.moment};
        SCOPED_TRACE(format_date(c.day) + " / " + format_datetime(c.moment));
        const Outcome one = flush(1, probe, c.column);
        EXPECT_EQ(flush(3, probe, c.column), one);
        EXPECT_EQ(flush(1000, probe, c.column), one);
        const bool stored = is_sqlite() ? c.stored_on_sqlite : c.stored_on_postgresql;
        if (stored) {
            EXPECT_EQ(one.stored_or_error, format_date(c.day) + " / " + format_datetime(c.moment));
        } else {
            EXPECT_EQ(one.stored_or_error, std::string(typeid(ProgrammingError).name()) + " 22008");
        }
    }
}

STRATA_INSTANTIATE_BACKENDS(OrmValues);
