// Reading a row's dates and times: NULL reads as the zero value through every
// getter (the ORM reads a non-optional member's column without asking
// is_null), while text that is no date -- the empty text included -- is
// still refused. On every backend; through the driver and through the ORM.
#include <chrono>
#include <optional>

#include "model_test.hpp"

namespace driver_read_test {
namespace {

using namespace std::chrono;
using strata::Date;
using strata::DateTime;
using strata::Time;
using strata::testing::expect_throw;

class DriverRead : public strata::testing::BackendTest {};

TEST_P(DriverRead, DatesAndTimesReadNullAsTheZeroValue) {
    auto conn = open_connection();
    auto st = conn->prepare("SELECT CAST(NULL AS TIMESTAMP), CAST(NULL AS DATE), CAST(NULL AS TIME)");
    ASSERT_TRUE(st->step());
    for (int col = 0; col < 3; ++col) EXPECT_TRUE(st->is_null(col)) << col;
    EXPECT_EQ(st->get_datetime(0), DateTime{});
    EXPECT_EQ(st->get_date(1), Date{});
    EXPECT_EQ(st->get_time(2), Time{});
}

// Only NULL reads as zero: an empty text is no date, time or date-time.
TEST_P(DriverRead, AnEmptyTextIsNoDateOrTime) {
    auto conn = open_connection();
    auto st = conn->prepare("SELECT CAST('' AS VARCHAR(10))");
    ASSERT_TRUE(st->step());
    ASSERT_FALSE(st->is_null(0));
    auto e = expect_throw<strata::Error>([&] { st->get_datetime(0); });
    EXPECT_NE(std::string(e.what()).find("datetime"), std::string::npos) << e.what();
    expect_throw<strata::Error>([&] { st->get_date(0); });
    expect_throw<strata::Error>([&] { st->get_time(0); });
}

struct Stamped {
    std::int64_t id = 0;
    DateTime when{};
    Date day{};
    Time at{};
    std::optional<DateTime> seen{};
};

class DriverReadObjects : public strata::testing::ModelTest {
protected:
    void map(strata::Registry& r) override {
        r.model<Stamped>("stamped")
            .column(&Stamped::id, "id", strata::primary_key())
            .column(&Stamped::when, "when", strata::nullable())
            .column(&Stamped::day, "day", strata::nullable())
            .column(&Stamped::at, "at", strata::nullable())
            .column(&Stamped::seen, "seen");
    }
};

// NULL in a non-optional date or time member loads as its zero value and is
// no change; an optional one loads empty. Set afterwards, only that column
// is written.
TEST_P(DriverReadObjects, NullDatesAndTimesLoadAsTheZeroValueAndAreNotWrittenBack) {
    db->connect()->execute("INSERT INTO stamped (id) VALUES (1)");
    strata::Session s = session();
    std::vector<std::string> log;
    s.on_statement([&](const std::string& sql) { log.push_back(sql); });
    auto row = s.get<Stamped>(1);
    ASSERT_TRUE(row);
    EXPECT_EQ(row->when, DateTime{});
    EXPECT_EQ(row->day, Date{});
    EXPECT_EQ(row->at, Time{});
    EXPECT_FALSE(row->seen.has_value());
    log.clear();
    s.flush();
    EXPECT_TRUE(log.empty()) << log.front();
    row->day = Date{sys_days{2026y / November / 30}};
    s.commit();
    ASSERT_EQ(log.size(), 1u);
    EXPECT_NE(log[0].find("day"), std::string::npos) << log[0];
    EXPECT_EQ(log[0].find("when"), std::string::npos) << "only the changed column: " << log[0];
    strata::Session again = session();
    auto back = again.get<Stamped>(1);
    EXPECT_EQ(back->day, Date{sys_days{2026y / November / 30}});
    EXPECT_EQ(back->when, DateTime{});
}

}  // namespace

STRATA_INSTANTIATE_BACKENDS(DriverRead);
STRATA_INSTANTIATE_BACKENDS(DriverReadObjects);

}  // namespace driver_read_test
