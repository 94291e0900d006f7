// Every mapped C++ type round-trips through the ORM, and a change to any of
// them is seen by dirty tracking; a text primary key works like an integer one.
#include "support.hpp"

namespace {

struct Sample {
    std::string code{};                       // text primary key
    bool flag = false;
    short small = 0;
    double ratio = 0;
    strata::Date day{};
    strata::Time at{};
    strata::DateTime when{};
    strata::Blob data{};
    strata::Decimal price{};
    std::optional<std::int64_t> maybe{};
    std::string kind{};
};

void map_sample(strata::Registry& r) {
    r.model<Sample>("sample")
        .column(&Sample::code, "code", strata::String(16), strata::primary_key())
        .column(&Sample::flag, "flag")
        .column(&Sample::small, "small")
        .column(&Sample::ratio, "ratio")
        .column(&Sample::day, "day")
        .column(&Sample::at, "at")
        .column(&Sample::when, "when")
        .column(&Sample::data, "data")
        .column(&Sample::price, "price", strata::Numeric(10, 2))
        .column(&Sample::maybe, "maybe", strata::BigInteger())
        .column(&Sample::kind, "kind", strata::Enum({"a", "b"}, "sample_kind"));
}

class OrmTypes : public strata::testing::BackendTest {
protected:
    void TearDown() override {
        db_.reset();
        BackendTest::TearDown();
    }
    // A database with r's tables.
    void open_with(const strata::Registry& r) {
        db_.emplace(open_db());
        r.metadata().create_all(*db_->connect());
    }
    std::optional<strata::Database> db_;
};

TEST_P(OrmTypes, EveryTypeRoundTripsAndEveryChangeIsWritten) {
    using namespace std::chrono;
    strata::Registry r;
    map_sample(r);
    open_with(r);
    const Sample original{.code = "k1",
                          .flag = true,
                          .small = -7,
                          .ratio = 0.25,
                          .day = strata::Date{sys_days{1969y / July / 20}},
                          .at = strata::Time{hours(23) + minutes(59) + microseconds(123456)},
                          .when = strata::DateTime{sys_days{2026y / November / 27}} + microseconds(1),
                          .data = strata::Blob(std::string_view("\0\x01\xff", 3)),
                          .price = strata::Decimal{"12.25"},
                          .maybe = std::nullopt,
                          .kind = "b"};
    {
        strata::Session s(*db_, r);
        Sample copy = original;
        s.add(std::move(copy));
        s.commit();
    }
    strata::Session s(*db_, r);
    auto got = s.get<Sample>("k1");
    ASSERT_TRUE(got);
    EXPECT_EQ(s.get<Sample>(std::string("k1")).get(), got.get());
    EXPECT_EQ(got->flag, original.flag);
    EXPECT_EQ(got->small, original.small);
    EXPECT_EQ(got->ratio, original.ratio);
    EXPECT_EQ(got->day, original.day);
    EXPECT_EQ(got->at, original.at);
    EXPECT_EQ(got->when, original.when);
    EXPECT_EQ(got->data, original.data);
    EXPECT_EQ(got->price, original.price);
    EXPECT_EQ(got->maybe, original.maybe);
    EXPECT_EQ(got->kind, original.kind);

    std::vector<std::string> log;
    s.on_statement([&](const std::string& sql) { log.push_back(sql); });
    auto change_and_count = [&](auto change) {
        log.clear();
        change(*got);
        s.flush();
        return log.size();
    };
    EXPECT_EQ(change_and_count([](Sample&) {}), 0u);
    EXPECT_EQ(change_and_count([](Sample& x) { x.flag = false; }), 1u);
    EXPECT_EQ(change_and_count([](Sample& x) { x.small = 8; }), 1u);
    EXPECT_EQ(change_and_count([](Sample& x) { x.ratio = 0.5; }), 1u);
    EXPECT_EQ(change_and_count([](Sample& x) { x.day += days(1); }), 1u);
    EXPECT_EQ(change_and_count([](Sample& x) { x.at.since_midnight += microseconds(1); }), 1u);
    EXPECT_EQ(change_and_count([](Sample& x) { x.when += microseconds(1); }), 1u);
    EXPECT_EQ(change_and_count([](Sample& x) { x.data.bytes.push_back(0); }), 1u);
    EXPECT_EQ(change_and_count([](Sample& x) { x.price = strata::Decimal{"13.75"}; }), 1u);
    EXPECT_EQ(change_and_count([](Sample& x) { x.maybe = 0; }), 1u) << "NULL to 0 is a change";
    EXPECT_EQ(change_and_count([](Sample& x) { x.kind = "a"; }), 1u);
    s.commit();
    s.refresh(got);
    EXPECT_FALSE(got->flag);
    EXPECT_EQ(got->maybe, 0);
    EXPECT_EQ(got->data.bytes.size(), 4u);
    EXPECT_EQ(got->price, strata::Decimal{"13.75"});
}

struct Loose {
    std::int64_t id = 0;
    std::string note{};
    std::int64_t count = 0;
    double ratio = 0;
    strata::DateTime when{};
};

// NULL in a column mapped to a non-optional member loads as the member's
// default, and loading it is not a change: a flush writes nothing back.
TEST_P(OrmTypes, NullInANonOptionalMemberLoadsAsTheDefaultAndIsNotWrittenBack) {
    strata::Registry r;
    r.model<Loose>("loose")
        .column(&Loose::id, "id", strata::primary_key())
        .column(&Loose::note, "note", strata::nullable())
        .column(&Loose::count, "count", strata::nullable())
        .column(&Loose::ratio, "ratio", strata::nullable())
        .column(&Loose::when, "when", strata::nullable());
    open_with(r);
    db_->connect()->execute("INSERT INTO loose (id) VALUES (1)");
    strata::Session s(*db_, r);
    std::vector<std::string> log;
    s.on_statement([&](const std::string& sql) { log.push_back(sql); });
    auto row = s.get<Loose>(1);
    ASSERT_TRUE(row);
    EXPECT_EQ(row->note, "");
    EXPECT_EQ(row->count, 0);
    EXPECT_EQ(row->ratio, 0.0);
    EXPECT_EQ(row->when, strata::DateTime{});
    log.clear();
    s.flush();
    EXPECT_TRUE(log.empty()) << log.front();
    row->note = "set";
    s.commit();
    ASSERT_EQ(log.size(), 1u);
    EXPECT_NE(log[0].find("note"), std::string::npos) << log[0];
    EXPECT_EQ(log[0].find("count"), std::string::npos) << "only the changed column: " << log[0];
}

struct Counts {
    std::int64_t id = 0;
    std::optional<std::int64_t> big{};
    std::optional<int> small{};
    std::optional<double> ratio{};
    std::optional<bool> flag{};
};

// An optional number tells NULL from 0 as it loads (a number's getter reads
// NULL as 0, so the loader asks only a 0 whether it is NULL), and a change
// from one to the other is written.
TEST_P(OrmTypes, AnOptionalNumberTellsNullFromZero) {
    strata::Registry r;
    r.model<Counts>("counts")
        .column(&Counts::id, "id", strata::primary_key())
        .column(&Counts::big, "big")
        .column(&Counts::small, "small")
        .column(&Counts::ratio, "ratio")
        .column(&Counts::flag, "flag");
    open_with(r);
    {
        strata::Session s(*db_, r);
        s.add(Counts{.id = 1, .big = 0, .small = 0, .ratio = 0.0, .flag = false});
        s.add(Counts{.id = 2});
        s.add(Counts{.id = 3, .big = -5, .small = 7, .ratio = 0.5, .flag = true});
        s.commit();
    }
    auto expect_row = [&](strata::Session& s, std::int64_t id, std::optional<std::int64_t> big, std::optional<int> small,
                          std::optional<double> ratio, std::optional<bool> flag) {
        auto row = s.get<Counts>(id);
        ASSERT_TRUE(row) << id;
        EXPECT_EQ(row->big, big) << id;
        EXPECT_EQ(row->small, small) << id;
        EXPECT_EQ(row->ratio, ratio) << id;
        EXPECT_EQ(row->flag, flag) << id;
    };
    {
        strata::Session s(*db_, r);
        auto all = s.query<Counts>().order_by(&Counts::id).all();  // the loop of a query, then get's
        ASSERT_EQ(all.size(), 3u);
        expect_row(s, 1, 0, 0, 0.0, false);
        expect_row(s, 2, std::nullopt, std::nullopt, std::nullopt, std::nullopt);
        expect_row(s, 3, -5, 7, 0.5, true);
        std::vector<std::string> log;
        s.on_statement([&](const std::string& sql) { log.push_back(sql); });
        s.flush();
        EXPECT_TRUE(log.empty()) << "loading is not a change: " << log.front();
        auto zero = s.get<Counts>(1), null = s.get<Counts>(2);
        *zero = Counts{.id = 1};
        *null = Counts{.id = 2, .big = 0, .small = 0, .ratio = 0.0, .flag = false};
        s.commit();
        EXPECT_EQ(log.size(), 2u) << "one UPDATE each";
    }
    strata::Session s(*db_, r);
    expect_row(s, 1, std::nullopt, std::nullopt, std::nullopt, std::nullopt);
    expect_row(s, 2, 0, 0, 0.0, false);
}

// 1200 new rows of one table are a bulk load on PostgreSQL (COPY, whose text
// format escapes tabs, newlines and backslashes and spells NULL \N): every
// value comes back exactly, as from one INSERT per row on SQLite.
TEST_P(OrmTypes, EveryTypeRoundTripsThroughABulkLoad) {
    using namespace std::chrono;
    strata::Registry r;
    map_sample(r);
    open_with(r);
    auto make = [](int i) {
        const std::string bytes = std::string("\0\\N\t", 4) + std::to_string(i);
        return Sample{.code = "c\t" + std::to_string(i) + "\\N\n\r",
                      .flag = i % 2 == 0,
                      .small = static_cast<short>(i - 600),
                      .ratio = i / 3.0,
                      .day = strata::Date{sys_days{1600y / February / 29}} + days(i * 97),
                      .at = strata::Time{microseconds(i * 71'999'999LL % 86'400'000'000LL)},
                      .when = strata::DateTime{sys_days{1969y / December / 31}} + microseconds(i * 1'000'003LL),
                      .data = strata::Blob(std::string_view(bytes)),
                      .price = strata::Decimal{std::to_string(i) + ".25"},
                      .maybe = i % 3 == 0 ? std::nullopt : std::optional<std::int64_t>(INT64_MAX - i),
                      .kind = i % 2 ? "a" : "b"};
    };
    constexpr int kRows = 1200;
    {
        strata::Session s(*db_, r);
        for (int i = 0; i < kRows; ++i) s.add(make(i));
        std::vector<std::string> log;
        s.on_statement([&](const std::string& sql) { log.push_back(sql); });
        s.commit();
        ASSERT_FALSE(log.empty());
        EXPECT_EQ(log.front().starts_with("COPY "), !is_sqlite()) << log.front();
    }
    strata::Session s(*db_, r);
    EXPECT_EQ(s.query<Sample>().count(), kRows);
    for (int i = 0; i < kRows; ++i) {
        const Sample want = make(i);
        auto got = s.get<Sample>(want.code);
        ASSERT_TRUE(got) << i;
        EXPECT_EQ(got->flag, want.flag) << i;
        EXPECT_EQ(got->small, want.small) << i;
        EXPECT_EQ(got->ratio, want.ratio) << i;
        EXPECT_EQ(got->day, want.day) << i;
        EXPECT_EQ(got->at, want.at) << i;
        EXPECT_EQ(got->when, want.when) << i;
        EXPECT_EQ(got->data, want.data) << i;
        EXPECT_EQ(got->price, want.price) << i;
        EXPECT_EQ(got->maybe, want.maybe) << i;
        EXPECT_EQ(got->kind, want.kind) << i;
    }
}

// Date-times are bound without a Value (SQLite: text made on the stack;
// PostgreSQL's COPY: written straight into its buffer): the first and last
// instants both backends store, and a leap day, come back to the microsecond
// from a bulk load and from a single INSERT.
TEST_P(OrmTypes, DateTimesAtTheEndsOfTheRangeRoundTrip) {
    using namespace std::chrono;
    strata::Registry r;
    map_sample(r);
    open_with(r);
    const std::vector<strata::DateTime> instants = {
        strata::DateTime{sys_days{year{1} / January / 1}},
        strata::DateTime{sys_days{year{1} / January / 1}} + microseconds(1),
        strata::DateTime{sys_days{2024y / February / 29}} + hours(23) + minutes(59) + seconds(59) + microseconds(999'999),
        strata::DateTime{sys_days{year{9999} / December / 31}} + days(1) - microseconds(1),
    };
    auto when = [&](int i) { return instants[static_cast<std::size_t>(i) % instants.size()]; };
    for (const int rows : {1200, 1}) {  // a bulk load on PostgreSQL (COPY), then a single INSERT
        const std::string prefix = "r" + std::to_string(rows) + "-";
        {
            strata::Session s(*db_, r);
            for (int i = 0; i < rows; ++i)
                s.add(Sample{.code = prefix + std::to_string(i), .when = when(i), .price = strata::Decimal{"1.00"}, .kind = "a"});
            s.commit();
        }
        strata::Session s(*db_, r);
        for (int i = 0; i < rows; ++i) {
            auto got = s.get<Sample>(prefix + std::to_string(i));
            ASSERT_TRUE(got) << i;
            EXPECT_EQ(got->when, when(i)) << rows << " rows, row " << i;
        }
    }
}

STRATA_INSTANTIATE_BACKENDS(OrmTypes);

}  // namespace
