// The column plan (Mapper::plan): a row's columns are read, and a flush's and
// a stream's exact change check compare them, inline for every built-in member
// type and through the ColumnAccessor for a strata::column_type<T> one. A
// model mixing both kinds, with every built-in type plain and optional, is
// loaded on every path (all(), get(), an expired object reloaded), a new one
// is inserted and its saved values taken through the plan, and each of its
// columns changed alone -- including -0.0 for 0.0, NaN, empty text for NULL,
// an optional engaged or emptied -- is found, and only that column is
// written. On every backend.
#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <span>

#include "model_test.hpp"
#include "orm/orm_internal.hpp"

namespace column_plan_test {

enum class Mood { calm, busy };

struct Tag {
    std::string text;
    friend bool operator==(const Tag&, const Tag&) = default;
};

struct Ref {
    std::int64_t value = 0;
    friend bool operator==(Ref, Ref) = default;
};

}  // namespace column_plan_test

template <>
struct strata::column_type<column_plan_test::Mood> : strata::enum_column<column_plan_test::Mood> {
    static constexpr std::pair<column_plan_test::Mood, std::string_view> names[] = {
        {column_plan_test::Mood::calm, "calm"}, {column_plan_test::Mood::busy, "busy"}};
};

template <>
struct strata::column_type<column_plan_test::Tag> {
    using stored = std::string;
    static SqlType sql_type() { return Text(); }
    static std::string to_stored(const column_plan_test::Tag& t) { return t.text; }
    static column_plan_test::Tag from_stored(std::string text) { return {std::move(text)}; }
};

template <>
struct strata::column_type<column_plan_test::Ref> {
    using stored = std::int64_t;
    static SqlType sql_type() { return BigInteger(); }
    static std::int64_t to_stored(column_plan_test::Ref r) { return r.value; }
    static column_plan_test::Ref from_stored(std::int64_t v) { return {v}; }
};

namespace column_plan_test {
namespace {

using namespace std::chrono;
using strata::Blob;
using strata::Date;
using strata::DateTime;
using strata::Decimal;
using strata::Time;

// Built-in and custom columns interleaved, so that a plan entry of each kind
// follows one of the other.
struct Mixed {
    std::int64_t id = 0;
    Tag tag{};
    int medium = 0;
    Mood mood = Mood::calm;
    short small = 0;
    std::optional<Ref> ref{};
    unsigned int count = 0;
    long long big = 0;
    bool flag = false;
    float single = 0;
    double ratio = 0;
    std::string text{};
    std::optional<std::string> maybe_text{};
    std::optional<std::int64_t> maybe_number{};
    std::optional<double> maybe_ratio{};
    std::optional<bool> maybe_flag{};
    DateTime when{};
    std::optional<DateTime> maybe_when{};
    Date day{};
    Time at{};
    Blob data{};
    std::optional<Blob> maybe_data{};
    Decimal price{"0"};
    Ref other{};
    std::optional<Mood> maybe_mood{};
    bool operator==(const Mixed&) const = default;
};

// The UPDATEs of a statement log, taken out of it (the log is emptied).
std::vector<std::string> take_updates(std::vector<std::string>& log) {
    std::vector<std::string> out;
    for (auto& sql : log)
        if (sql.starts_with("UPDATE")) out.push_back(sql);
    log.clear();
    return out;
}

void map_mixed(strata::Registry& r) {
    r.model<Mixed>("mixed")
        .column(&Mixed::id, "id", strata::primary_key())
        .column(&Mixed::tag, "tag")
        .column(&Mixed::medium, "medium")
        .column(&Mixed::mood, "mood")
        .column(&Mixed::small, "small")
        .column(&Mixed::ref, "ref")
        .column(&Mixed::count, "count")
        .column(&Mixed::big, "big", strata::BigInteger())
        .column(&Mixed::flag, "flag")
        .column(&Mixed::single, "single")
        .column(&Mixed::ratio, "ratio")
        .column(&Mixed::text, "text", strata::Text())
        .column(&Mixed::maybe_text, "maybe_text", strata::Text())
        .column(&Mixed::maybe_number, "maybe_number", strata::BigInteger())
        .column(&Mixed::maybe_ratio, "maybe_ratio")
        .column(&Mixed::maybe_flag, "maybe_flag")
        .column(&Mixed::when, "when")
        .column(&Mixed::maybe_when, "maybe_when")
        .column(&Mixed::day, "day")
        .column(&Mixed::at, "at")
        .column(&Mixed::data, "data")
        .column(&Mixed::maybe_data, "maybe_data")
        .column(&Mixed::price, "price", strata::Numeric(12, 2))
        .column(&Mixed::other, "other")
        .column(&Mixed::maybe_mood, "maybe_mood", strata::Enum({"calm", "busy"}, "mood"));
}

// Row 1 holds a value in every column (text past the 7 bytes a saved word
// holds inline); row 2 the defaults, its optionals empty (NULL).
Mixed full_row() {
    return Mixed{.id = 1,
                 .tag = {"a tag longer than seven bytes"},
                 .medium = -123456,
                 .mood = Mood::busy,
                 .small = -12,
                 .ref = Ref{77},
                 .count = 4000000u,
                 .big = 9'000'000'000'000LL,
                 .flag = true,
                 .single = 1.5f,
                 .ratio = 0.0,
                 .text = "some text, longer than the inline word",
                 .maybe_text = "",
                 .maybe_number = 0,
                 .maybe_ratio = -2.25,
                 .maybe_flag = false,
                 .when = DateTime{sys_days{2024y / 2 / 29}} + hours(13) + microseconds(5),
                 .maybe_when = DateTime{sys_days{1999y / 12 / 31}},
                 .day = Date{sys_days{2001y / 9 / 9}},
                 .at = Time{hours(23) + minutes(59) + microseconds(1)},
                 .data = Blob{{0, 1, 2, 255}},
                 .maybe_data = Blob{},
                 .price = Decimal{"12.50"},
                 .other = Ref{-5},
                 .maybe_mood = Mood::calm};
}

class ColumnPlan : public strata::testing::ModelTest {
protected:
    void map(strata::Registry& r) override { map_mixed(r); }
    void SetUp() override {
        ModelTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        auto s = session();
        s.add(full_row());
        s.add(Mixed{.id = 2});
        s.commit();
    }
    // A session that logs its statements into `log`.
    strata::Session logged() {
        strata::Session s(*db, registry);
        s.on_statement([this](const std::string& sql) { log.push_back(sql); });
        return s;
    }
    std::vector<std::string> updates() { return take_updates(log); }
    // Row 1 as a new session reads it.
    Mixed stored() {
        auto s = session();
        return *s.get<Mixed>(1);
    }

    std::vector<std::string> log{};
};

TEST_P(ColumnPlan, EveryPathLoadsEveryColumn) {
    auto s = session();
    auto all = s.query<Mixed>().order_by(&Mixed::id).all();  // the path of rows all new
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(*all[0], full_row());
    EXPECT_EQ(*all[1], Mixed{.id = 2});
    EXPECT_EQ(*session().get<Mixed>(1), full_row());  // a row by key
    // An expired object reloaded over its saved words: the long texts' saved
    // copies are reused, and nothing read counts as a change.
    s.rollback();
    EXPECT_EQ(*all[0], full_row());
    EXPECT_EQ(*all[1], Mixed{.id = 2});
    log.clear();
    auto again = logged();
    for (auto& m : again.query<Mixed>().all()) (void)m->id;
    again.commit();
    EXPECT_TRUE(updates().empty());
}

// Built-in member types are read and compared inline; a column_type<T> one
// (and only such a one) through its accessor.
TEST_P(ColumnPlan, BuiltInColumnsArePlannedInlineCustomOnesGoThroughTheirAccessor) {
    auto s = session();
    const auto& m = strata::detail::Access::impl(s).registry.mapper_for(typeid(Mixed));
    ASSERT_EQ(m.plan.size(), m.columns.size());
    using strata::detail::ColumnKind;
    for (std::size_t i = 0; i < m.plan.size(); ++i) {
        const std::string& name = m.columns[i].name;
        const bool custom = name == "tag" || name == "mood" || name == "ref" || name == "other" || name == "maybe_mood";
        EXPECT_EQ(m.plan[i].kind == ColumnKind::Accessor, custom) << name;
        EXPECT_EQ(m.plan[i].access, m.columns[i].access.get()) << name;
    }
    EXPECT_EQ(m.plan[0].kind, strata::detail::column_kind_of<std::int64_t>());
    EXPECT_EQ(m.plan[static_cast<std::size_t>(m.column_index("maybe_text"))].kind, ColumnKind::OptionalText);
}

struct Change {
    const char* column;
    void (*apply)(Mixed&);
    bool read_back = true;  // false: the backend may not keep the exact value (-0.0, NaN)
};

// Each column changed alone, from row 1's value (or row 2's where noted by
// the name) to one as close to it as a change gets.
const Change kChanges[] = {
    {"tag", [](Mixed& m) { m.tag.text.back() ^= 1; }},
    {"medium", [](Mixed& m) { m.medium ^= 1; }},
    {"mood", [](Mixed& m) { m.mood = Mood::calm; }},
    {"small", [](Mixed& m) { m.small = static_cast<short>(m.small ^ 0x100); }},
    {"ref", [](Mixed& m) { m.ref.reset(); }},
    {"count", [](Mixed& m) { m.count += 1; }},
    {"big", [](Mixed& m) { m.big ^= 1LL << 40; }},
    {"flag", [](Mixed& m) { m.flag = false; }},
    {"single", [](Mixed& m) { m.single = std::nextafter(m.single, 2.0f); }},
    {"ratio", [](Mixed& m) { m.ratio = -0.0; }, false},  // from 0.0: equal as numbers, not the same value
    {"maybe_ratio", [](Mixed& m) { m.maybe_ratio = std::numeric_limits<double>::quiet_NaN(); }, false},  // SQLite: NULL
    {"text", [](Mixed& m) { m.text.clear(); }},
    {"maybe_text", [](Mixed& m) { m.maybe_text.reset(); }},  // "" to NULL
    {"maybe_number", [](Mixed& m) { m.maybe_number.reset(); }},  // 0 to NULL
    {"maybe_ratio", [](Mixed& m) { m.maybe_ratio = std::nextafter(-2.25, 0.0); }},
    {"maybe_flag", [](Mixed& m) { m.maybe_flag.reset(); }},  // false to NULL
    {"when", [](Mixed& m) { m.when += microseconds(1); }},
    {"maybe_when", [](Mixed& m) { m.maybe_when.reset(); }},
    {"day", [](Mixed& m) { m.day -= days(1); }},
    {"at", [](Mixed& m) { m.at.since_midnight -= microseconds(1); }},
    {"data", [](Mixed& m) { m.data.bytes.back() = 254; }},
    {"maybe_data", [](Mixed& m) { m.maybe_data.reset(); }},  // empty bytes to NULL
    {"price", [](Mixed& m) { m.price = Decimal{"12.51"}; }},
    {"other", [](Mixed& m) { m.other.value = 5; }},
    {"maybe_mood", [](Mixed& m) { m.maybe_mood = Mood::busy; }},
};

// And from row 2 (defaults, NULLs) to a value.
const Change kChangesFromEmpty[] = {
    {"ref", [](Mixed& m) { m.ref = Ref{0}; }},
    {"maybe_text", [](Mixed& m) { m.maybe_text = ""; }},  // NULL to ""
    {"maybe_number", [](Mixed& m) { m.maybe_number = 0; }},
    {"maybe_ratio", [](Mixed& m) { m.maybe_ratio = 0.0; }},
    {"maybe_flag", [](Mixed& m) { m.maybe_flag = false; }},
    {"maybe_when", [](Mixed& m) { m.maybe_when = DateTime{}; }},
    {"maybe_data", [](Mixed& m) { m.maybe_data = Blob{}; }},
    {"maybe_mood", [](Mixed& m) { m.maybe_mood = Mood::calm; }},
    {"text", [](Mixed& m) { m.text = "x"; }},
    {"tag", [](Mixed& m) { m.tag.text = "t"; }},
};

void expect_one_update_of(const std::vector<std::string>& updates, const std::string& column) {
    ASSERT_EQ(updates.size(), 1u) << column;
    const std::string& sql = updates[0];
    const auto where = sql.find(" WHERE ");
    EXPECT_TRUE(sql.starts_with("UPDATE \"mixed\" SET \"" + column + "\" = ")) << sql;
    EXPECT_EQ(sql.substr(0, where).find(", "), std::string::npos) << "only " << column << ": " << sql;
}

TEST_P(ColumnPlan, EachColumnChangedAloneIsWrittenAlone) {
    for (std::int64_t id : {std::int64_t{1}, std::int64_t{2}}) {
        for (const Change& change : id == 1 ? std::span<const Change>(kChanges) : std::span<const Change>(kChangesFromEmpty)) {
            // The change is written, and only its column.
            Mixed before, expected;
            {
                auto s = logged();
                auto m = s.get<Mixed>(id);
                before = *m;
                change.apply(*m);
                expected = *m;
                log.clear();
                s.commit();
                expect_one_update_of(updates(), change.column);
            }
            if (change.read_back) {
                auto s = session();
                EXPECT_EQ(*s.get<Mixed>(id), expected) << change.column;
            }
            // Put back as it was loaded: that column written again, or
            // nothing where the backend kept a value equal to the loaded one.
            {
                auto s = logged();
                auto m = s.get<Mixed>(id);
                *m = before;
                log.clear();
                s.commit();
                const auto written = updates();
                if (!written.empty()) expect_one_update_of(written, change.column);
            }
        }
    }
    EXPECT_EQ(stored(), full_row());
}

// A new object's saved values are taken as its INSERT is bound (SQLite, and
// PostgreSQL's single row) or once it is written (PostgreSQL's multi-row
// INSERT), through the plan: they are what was written (the next flush
// writes nothing), and each column changed afterwards -- from a full row and
// from the defaults -- is found and written alone.
TEST_P(ColumnPlan, ANewObjectsSavedValuesFindEachLaterChange) {
    std::int64_t id = 100;
    for (const bool from_full : {true, false}) {
        for (const Change& change : from_full ? std::span<const Change>(kChanges) : std::span<const Change>(kChangesFromEmpty)) {
            auto s = logged();
            Mixed row = from_full ? full_row() : Mixed{};
            row.id = ++id;
            auto m = s.add(std::move(row));
            s.flush();
            log.clear();
            s.flush();
            EXPECT_TRUE(updates().empty()) << change.column;
            change.apply(*m);
            const Mixed expected = *m;
            s.flush();
            expect_one_update_of(updates(), change.column);
            s.commit();
            if (change.read_back) {
                EXPECT_EQ(*session().get<Mixed>(expected.id), expected) << change.column;
            }
        }
    }
}

// A flush that fails after some of its new rows were written drops their
// saved values with the rows: such an object is pending again -- expunged
// and added back, it is still new, not taken for a row -- and the next flush
// inserts it with what it holds then, its saved values what that flush wrote.
TEST_P(ColumnPlan, AFailedFlushDropsTheSavedValuesOfItsNewRows) {
    auto s = logged();
    Mixed first = full_row();
    first.id = 50;
    auto a = s.add(std::move(first));
    auto b = s.add(Mixed{.id = 1});  // row 1 exists: its INSERT fails, after a's (SQLite: row by row)
    EXPECT_THROW(s.flush(), strata::IntegrityError);
    s.expunge(a);
    s.add(a);
    a->text = "changed while pending";
    b->id = 51;
    log.clear();
    s.flush();
    EXPECT_TRUE(updates().empty());
    a->medium = 7;
    s.flush();
    expect_one_update_of(updates(), "medium");
    s.commit();
    auto check = session();
    auto stored_a = check.get<Mixed>(50);
    ASSERT_TRUE(stored_a);
    EXPECT_EQ(stored_a->text, "changed while pending");
    EXPECT_EQ(stored_a->medium, 7);
    EXPECT_TRUE(check.get<Mixed>(51));
}

// Several new rows in one flush (PostgreSQL: one multi-row INSERT), each
// changed afterwards in another column: each is found and written alone.
TEST_P(ColumnPlan, NewRowsOfOneFlushEachFindTheirLaterChange) {
    auto s = logged();
    std::vector<strata::Ptr<Mixed>> rows;
    for (int i = 0; i < 3; ++i)
        rows.push_back(s.add(Mixed{.id = 10 + i, .text = "row " + std::to_string(i) + " of three, long"}));
    s.flush();
    log.clear();
    s.flush();
    EXPECT_TRUE(updates().empty());
    rows[0]->text += "!";
    rows[1]->maybe_when = DateTime{sys_days{2020y / 1 / 1}};
    rows[2]->ratio = -0.0;
    s.flush();
    const auto written = updates();
    ASSERT_EQ(written.size(), 3u);
    std::vector<std::string> columns;
    for (const auto& sql : written) columns.push_back(sql.substr(0, sql.find(" = ")));
    std::sort(columns.begin(), columns.end());
    EXPECT_EQ(columns, (std::vector<std::string>{"UPDATE \"mixed\" SET \"maybe_when\"", "UPDATE \"mixed\" SET \"ratio\"",
                                                 "UPDATE \"mixed\" SET \"text\""}));
    s.commit();
    auto check = session();
    EXPECT_EQ(check.get<Mixed>(10)->text, "row 0 of three, long!");
    EXPECT_EQ(check.get<Mixed>(11)->maybe_when, DateTime{sys_days{2020y / 1 / 1}});
}

// A double's saved value is its bits: NaN over the same NaN and -0.0 over
// -0.0 are no change, 0.0 over -0.0 is one. Other values assigned again,
// equal to what was loaded, are no change either: nothing is written.
TEST_P(ColumnPlan, ADoubleIsComparedBitForBitAndEqualValuesAreNoChange) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    auto s = logged();
    auto m = s.get<Mixed>(1);
    for (double value : {nan, nan, -0.0, -0.0, 0.0, 0.0}) {
        const bool changed = std::bit_cast<std::uint64_t>(value) != std::bit_cast<std::uint64_t>(*m->maybe_ratio);
        m->maybe_ratio = value;  // nullable: SQLite binds NaN as NULL
        log.clear();
        s.flush();  // the saved value is now the one written
        EXPECT_EQ(updates().size(), changed ? 1u : 0u) << value;
    }
    const Mixed copy = *m;
    *m = copy;
    m->text = std::string(copy.text);
    m->tag = Tag{std::string(copy.tag.text)};
    m->data = Blob{copy.data.bytes};
    log.clear();
    s.commit();
    EXPECT_TRUE(updates().empty());
}

// A stream's batch goes once the loop is past it unless one of its objects
// changed: a change to a built-in column and one to a custom column keep
// their batches until the commit writes them.
TEST_P(ColumnPlan, AStreamKeepsTheBatchesWithAChangedObject) {
    {
        auto s = session();
        for (std::int64_t id = 3; id <= 8; ++id) s.add(Mixed{.id = id, .text = "row " + std::to_string(id)});
        s.commit();
    }
    strata::Session s(*db, registry, strata::SessionOptions{.autoflush = false});
    for (auto m : s.query<Mixed>().order_by(&Mixed::id).stream(2)) {
        if (m->id == 4) m->medium = 44;          // batch 2 (ids 3 and 4)
        if (m->id == 7) m->tag = Tag{"custom"};  // batch 4 (ids 7 and 8)
    }
    EXPECT_EQ(strata::detail::Access::impl(s).extras_or_none().retained.size(), 2u);
    s.commit();
    auto check = session();
    EXPECT_EQ(check.get<Mixed>(4)->medium, 44);
    EXPECT_EQ(check.get<Mixed>(7)->tag, Tag{"custom"});
    EXPECT_EQ(check.get<Mixed>(3)->medium, 0);
}

// The check before a stream's batch goes (inline for the model, see
// first_record_to_check) finds each column changed alone, of every kind:
// the batch holding the changed object is kept, and the commit writes the
// change and only it.
TEST_P(ColumnPlan, EachColumnChangedAloneKeepsItsStreamBatch) {
    for (std::int64_t id : {std::int64_t{1}, std::int64_t{2}}) {
        for (const Change& change : id == 1 ? std::span<const Change>(kChanges) : std::span<const Change>(kChangesFromEmpty)) {
            Mixed before;
            {
                strata::Session s(*db, registry, strata::SessionOptions{.autoflush = false});
                s.on_statement([this](const std::string& sql) { log.push_back(sql); });
                for (auto m : s.query<Mixed>().order_by(&Mixed::id).stream(1)) {
                    if (m->id != id) continue;
                    before = *m;
                    change.apply(*m);
                }
                EXPECT_EQ(strata::detail::Access::impl(s).extras_or_none().retained.size(), 1u) << change.column;
                log.clear();
                s.commit();
                expect_one_update_of(updates(), change.column);
            }
            auto s = session();
            *s.get<Mixed>(id) = before;  // put back as it was loaded
            s.commit();
        }
    }
    EXPECT_EQ(stored(), full_row());
}

// Text changed in place, one byte at a time: each byte of texts of every
// length up to 40 (inline in the saved word, compared 8 bytes at a time,
// and by memcmp past 32), one object per batch. A change the check missed
// would go with its batch, never written.
TEST_P(ColumnPlan, EveryByteOfATextChangedInPlaceInAStreamIsWritten) {
    std::map<std::int64_t, std::pair<std::size_t, std::size_t>> flips;  // id -> (length, byte)
    {
        auto s = session();
        std::int64_t id = 10;
        for (std::size_t length = 1; length <= 40; ++length) {
            for (std::size_t byte = 0; byte < length; ++byte) {
                std::string text;
                for (std::size_t i = 0; i < length; ++i) text.push_back(static_cast<char>('a' + (i * 7 + length) % 26));
                s.add(Mixed{.id = id, .text = text});
                flips[id++] = {length, byte};
            }
        }
        s.commit();
    }
    std::map<std::int64_t, std::string> expected;
    {
        auto s = session();
        for (auto m : s.query<Mixed>().where(strata::col(&Mixed::id) >= 10).order_by(&Mixed::id).stream(1)) {
            m->text[flips.at(m->id).second] ^= 1;
            expected[m->id] = m->text;
        }
        s.commit();
    }
    ASSERT_EQ(expected.size(), flips.size());
    auto s = session();
    for (auto m : s.query<Mixed>().where(strata::col(&Mixed::id) >= 10).all())
        EXPECT_EQ(m->text, expected.at(m->id)) << "length " << flips.at(m->id).first << ", byte " << flips.at(m->id).second;
}

STRATA_INSTANTIATE_BACKENDS(ColumnPlan);

// A new object's row is read through its model's row program (RowPlan::
// steps): the key's column first, wherever the table has it, assigned from
// the key the load read already; then every other column in a loop over
// the steps. An int key between text and NULL columns, and a column_type
// key after the rest, are loaded on every path: all() (rows all new), get(),
// a stream, and a row whose object the session holds already.
struct Middle {
    std::string name{};
    std::optional<std::string> note{};
    int id = 0;
    std::optional<DateTime> seen{};
    Tag tag{};
    bool operator==(const Middle&) const = default;
};

struct RefKeyed {
    std::string name{};
    std::optional<std::int64_t> count{};
    Ref id{};
    bool operator==(const RefKeyed&) const = default;
};

Middle full_middle() {
    return {.name = "a name past the inline word",
            .note = "a note",
            .id = 7,
            .seen = DateTime{sys_days{2020y / 1 / 2}},
            .tag = {"a tag past the inline word"}};
}
Middle empty_middle() { return {.id = 8}; }  // empty text, NULLs
RefKeyed full_ref() { return {.name = "a name past the inline word", .count = -3, .id = Ref{41}}; }
RefKeyed empty_ref() { return {.id = Ref{42}}; }

class RowProgram : public strata::testing::ModelTest {
protected:
    void map(strata::Registry& r) override {
        r.model<Middle>("middle")
            .column(&Middle::name, "name", strata::Text())
            .column(&Middle::note, "note", strata::Text())
            .column(&Middle::id, "id", strata::primary_key())
            .column(&Middle::seen, "seen")
            .column(&Middle::tag, "tag");
        r.model<RefKeyed>("ref_keyed")
            .column(&RefKeyed::name, "name", strata::Text())
            .column(&RefKeyed::count, "count", strata::BigInteger())
            .column(&RefKeyed::id, "id", strata::primary_key());
    }
    void SetUp() override {
        ModelTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        auto s = session();
        s.add(full_middle());
        s.add(empty_middle());
        s.add(full_ref());
        s.add(empty_ref());
        s.commit();
    }
    // The UPDATEs a session ran, through its statement log.
    std::vector<std::string> log{};
    std::vector<std::string> updates() { return take_updates(log); }
};

TEST_P(RowProgram, AKeyAnywhereInTheRowIsAssignedAndEveryOtherColumnRead) {
    strata::Session s(*db, registry);
    s.on_statement([this](const std::string& sql) { log.push_back(sql); });
    auto middles = s.query<Middle>().order_by(&Middle::id).all();
    ASSERT_EQ(middles.size(), 2u);
    EXPECT_EQ(*middles[0], full_middle());
    EXPECT_EQ(*middles[1], empty_middle());
    auto refs = s.query<RefKeyed>().order_by(&RefKeyed::id).all();
    ASSERT_EQ(refs.size(), 2u);
    EXPECT_EQ(*refs[0], full_ref());
    EXPECT_EQ(*refs[1], empty_ref());
    // The rows again, their objects in the session already: the same objects.
    auto again = s.query<Middle>().order_by(&Middle::id).all();
    ASSERT_EQ(again.size(), 2u);
    EXPECT_EQ(&*again[0], &*middles[0]);
    {
        auto t = session();
        EXPECT_EQ(*t.get<Middle>(7), full_middle());
        EXPECT_EQ(*t.get<Middle>(8), empty_middle());
    }
    {
        auto t = session();
        std::vector<Middle> streamed;
        for (auto m : t.query<Middle>().order_by(&Middle::id).stream(1)) streamed.push_back(*m);
        EXPECT_EQ(streamed, (std::vector<Middle>{full_middle(), empty_middle()}));
        std::vector<RefKeyed> streamed_refs;
        for (auto r : t.query<RefKeyed>().order_by(&RefKeyed::id).stream(1)) streamed_refs.push_back(*r);
        EXPECT_EQ(streamed_refs, (std::vector<RefKeyed>{full_ref(), empty_ref()}));
    }
    // Every column's saved value is what was read: nothing to write. Then
    // one column changed on each side of the key is written alone.
    s.commit();
    EXPECT_TRUE(updates().empty());
    auto m = s.query<Middle>().order_by(&Middle::id).all();
    m[1]->seen = DateTime{sys_days{2021y / 3 / 4}};
    m[0]->name = "a name past the inline word";  // the same text: no change
    auto r = s.query<RefKeyed>().order_by(&RefKeyed::id).all();
    r[0]->count.reset();
    s.commit();
    const auto written = updates();
    ASSERT_EQ(written.size(), 2u);
    for (const auto& sql : written) EXPECT_EQ(sql.find("name"), std::string::npos) << sql;
    EXPECT_NE(written[0].find("seen"), std::string::npos) << written[0];
    EXPECT_NE(written[1].find("count"), std::string::npos) << written[1];
    auto t = session();
    EXPECT_EQ(t.get<Middle>(8)->seen, DateTime{sys_days{2021y / 3 / 4}});
    auto rs = t.query<RefKeyed>().order_by(&RefKeyed::id).all();
    EXPECT_EQ(rs[0]->count, std::nullopt);
}

STRATA_INSTANTIATE_BACKENDS(RowProgram);

// A loaded object is default-initialised (not zeroed first) only when that
// leaves no byte it can show unset (RowPlan::default_init): a model whose
// every member is initialised is; one with a member it neither maps nor
// initialises is value-initialised, so that member reads 0 -- even in memory
// that held earlier objects with it set (a stream's batches reuse the same
// blocks).
struct Item;

struct Initialised {
    std::int64_t id = 0;
    std::string name{};
    std::optional<std::string> note{};
    std::optional<std::int64_t> rank{};  // its padding inside the member
    std::int64_t count = 0;
    strata::HasMany<Item> items{};
};

struct Item {
    std::int64_t id = 0;
    std::optional<std::int64_t> owner_id{};
    strata::BelongsTo<Initialised> owner{};
};

// Padding between members (after `flag`) is inside no member: it cannot be
// told from a member left unset, so the model keeps value-initialisation.
struct Padded {
    std::int64_t id = 0;
    bool flag = false;
    std::int64_t count = 0;
};

struct Uninitialised {
    std::int64_t id = 0;
    std::string name{};
    int scratch;  // not mapped, not initialised: 0 after value-initialisation
};

class LoadedObjectInit : public strata::testing::ModelTest {
protected:
    void map(strata::Registry& r) override {
        r.model<Initialised>("initialised")
            .column(&Initialised::id, "id", strata::primary_key())
            .column(&Initialised::name, "name", strata::Text())
            .column(&Initialised::note, "note", strata::Text())
            .column(&Initialised::rank, "rank", strata::BigInteger())
            .column(&Initialised::count, "count", strata::BigInteger())
            .has_many(&Initialised::items, &Item::owner);
        r.model<Item>("item")
            .column(&Item::id, "id", strata::primary_key())
            .column(&Item::owner_id, "owner_id", strata::foreign_key("initialised.id"));
        r.model<Padded>("padded")
            .column(&Padded::id, "id", strata::primary_key())
            .column(&Padded::flag, "flag")
            .column(&Padded::count, "count", strata::BigInteger());
        r.model<Uninitialised>("uninitialised")
            .column(&Uninitialised::id, "id", strata::primary_key())
            .column(&Uninitialised::name, "name", strata::Text());
    }
    const strata::detail::Mapper& mapper_of(strata::Session& s, const std::type_info& type) {
        return strata::detail::Access::impl(s).registry.mapper_for(type);
    }
};

TEST_P(LoadedObjectInit, OnlyAModelWithEveryByteSetIsDefaultInitialised) {
    auto s = session();
    EXPECT_TRUE(mapper_of(s, typeid(Initialised)).row_plan.default_init);
    EXPECT_TRUE(mapper_of(s, typeid(Item)).row_plan.default_init);
    EXPECT_FALSE(mapper_of(s, typeid(Padded)).row_plan.default_init);
    EXPECT_FALSE(mapper_of(s, typeid(Uninitialised)).row_plan.default_init);
}

TEST_P(LoadedObjectInit, AnUnmappedUninitialisedMemberReadsZeroInReusedMemory) {
    constexpr std::int64_t kRows = 3000;
    {
        auto s = session();
        for (std::int64_t id = 1; id <= kRows; ++id)
            s.add(Uninitialised{.id = id, .name = "a name past the inline word " + std::to_string(id), .scratch = 0});
        s.commit();
    }
    for (int round = 0; round < 2; ++round) {
        auto s = session();
        std::int64_t seen = 0, nonzero = 0;
        for (auto u : s.query<Uninitialised>().order_by(&Uninitialised::id).stream(100)) {
            ++seen;
            nonzero += u->scratch != 0;
            u->scratch = 0x5a5a5a5a;  // left in the memory the next batches reuse
        }
        EXPECT_EQ(seen, kRows);
        EXPECT_EQ(nonzero, 0);
        nonzero = 0;
        for (auto u : s.query<Uninitialised>().all()) nonzero += u->scratch != 0;
        EXPECT_EQ(nonzero, 0);
    }
}

// A default-initialised model loads every column, relationship and NULL
// as a zeroed one did: all(), get() and a stream, and nothing to write.
TEST_P(LoadedObjectInit, ADefaultInitialisedModelLoadsAsBefore) {
    {
        auto s = session();
        s.add(Initialised{.id = 1, .name = "a name past the inline word", .note = std::nullopt, .rank = 3, .count = 7});
        s.add(Initialised{.id = 2, .name = "", .note = "", .rank = std::nullopt, .count = 0});
        s.add(Item{.id = 1, .owner_id = 1});
        s.add(Item{.id = 2, .owner_id = std::nullopt});
        s.commit();
    }
    std::vector<std::string> log;
    strata::Session s(*db, registry);
    s.on_statement([&](const std::string& sql) { log.push_back(sql); });
    auto all = s.query<Initialised>().order_by(&Initialised::id).all();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0]->name, "a name past the inline word");
    EXPECT_EQ(all[0]->note, std::nullopt);
    EXPECT_EQ(all[0]->rank, std::optional<std::int64_t>(3));
    EXPECT_EQ(all[0]->count, 7);
    EXPECT_EQ(all[1]->name, "");
    EXPECT_EQ(all[1]->note, std::optional<std::string>(""));
    EXPECT_EQ(all[1]->rank, std::nullopt);
    EXPECT_EQ(all[0]->items.size(), 1u);
    EXPECT_EQ(all[1]->items.size(), 0u);
    auto items = s.query<Item>().order_by(&Item::id).all();
    ASSERT_EQ(items.size(), 2u);
    EXPECT_TRUE(items[0]->owner == all[0]);
    EXPECT_FALSE(items[1]->owner);
    EXPECT_EQ(items[1]->owner_id, std::nullopt);
    std::int64_t streamed = 0;
    {
        auto t = session();
        for (auto i : t.query<Initialised>().order_by(&Initialised::id).stream(1)) {
            ++streamed;
            EXPECT_EQ(i->items.size(), i->id == 1 ? 1u : 0u);
        }
    }
    EXPECT_EQ(streamed, 2);
    s.commit();
    EXPECT_TRUE(take_updates(log).empty());
}

STRATA_INSTANTIATE_BACKENDS(LoadedObjectInit);

}  // namespace
}  // namespace column_plan_test
