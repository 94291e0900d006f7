// A stream's last batch, once it may go, is destroyed object by object as the
// next batch's rows are read (each object's text freed just before a new
// object's is allocated): every object exactly once, also when a row of the
// next batch cannot be read; the objects the program holds or changed stay.
#include <algorithm>
#include <stdexcept>
#include <vector>

#include "model_test.hpp"
#include "orm/orm_internal.hpp"
#include "strata/strata.hpp"

namespace stream_release_test {

// A level the program accepts only when it is not negative.
struct Level {
    std::int64_t value = 0;
};

}  // namespace stream_release_test

template <>
struct strata::column_type<stream_release_test::Level> {
    using stored = std::int64_t;
    static SqlType sql_type() { return Integer(); }
    static std::int64_t to_stored(stream_release_test::Level l) { return l.value; }
    static stream_release_test::Level from_stored(std::int64_t v) {
        if (v < 0) throw std::invalid_argument("stream_release_test: a negative level");
        return {v};
    }
};

namespace stream_release_test {
namespace {

// Counts the objects alive (a member of each, not mapped), and the count
// each new one found.
struct Tracked {
    static inline int live = 0;
    static inline int least = 0;                 // the lowest `live` went (below 0: destroyed twice)
    static inline std::vector<int> at_building;  // `live` as each object was built
    Tracked() { built(); }
    Tracked(const Tracked&) { built(); }
    Tracked& operator=(const Tracked&) = default;
    ~Tracked() { least = std::min(least, --live); }
    static void built() { at_building.push_back(live++); }
};

struct Item {
    std::int64_t id = 0;
    std::string note;  // longer than a std::string holds inline
    Level level{};
    Tracked tracked{};
};

constexpr int kItems = 7;
constexpr std::size_t kBatch = 3;  // batches of ids 1-3, 4-6, 7

std::string note_of(std::int64_t id) { return "the note of item " + std::to_string(id) + ", longer than inline text"; }

void map_items(strata::Registry& r) {
    r.model<Item>("item")
        .column(&Item::id, "id", strata::primary_key())
        .column(&Item::note, "note", strata::String(120))
        .column(&Item::level, "level");
}

class StreamRelease : public strata::testing::ModelTest {
protected:
    void map(strata::Registry& r) override { map_items(r); }
    void SetUp() override {
        ModelTest::SetUp();
        if (!IsSkipped() && !HasFatalFailure()) add_items();
    }
    void add_items() {
        auto s = session();
        for (int i = 1; i <= kItems; ++i) s.add(Item{.note = note_of(i), .level = {i}});
        s.commit();
    }
    void raw(const std::string& sql) { db->connect()->execute(sql); }
    static void start_counting() {
        Tracked::least = Tracked::live;
        Tracked::at_building.clear();
    }
    // Every item streamed, each checked whole.
    void expect_every_item_reads_whole(strata::Session& s) {
        int n = 0;
        for (auto item : s.query<Item>().order_by(&Item::id).stream(kBatch)) {
            ++n;
            EXPECT_EQ(item->id, n);
            EXPECT_EQ(item->note, note_of(n));
            EXPECT_EQ(item->level.value, n);
        }
        EXPECT_EQ(n, kItems);
    }
};

TEST_P(StreamRelease, TheLastBatchGoesObjectByObjectAsTheNextIsRead) {
    ASSERT_EQ(Tracked::live, 0);
    auto s = session();
    start_counting();
    std::vector<int> live_at_row;
    int n = 0;
    for (auto item : s.query<Item>().order_by(&Item::id).stream(kBatch)) {
        ++n;
        EXPECT_EQ(item->note, note_of(n));
        live_at_row.push_back(Tracked::live);
    }
    EXPECT_EQ(n, kItems);
    EXPECT_EQ(live_at_row, (std::vector<int>{3, 3, 3, 3, 3, 3, 1})) << "one batch alive as the loop reads it";
    // The first batch's objects are built from none; each of the second's
    // after one of the first went (three alive each time), and so on.
    EXPECT_EQ(Tracked::at_building, (std::vector<int>{0, 1, 2, 2, 2, 2, 2}));
    EXPECT_EQ(Tracked::live, 0);
    EXPECT_EQ(Tracked::least, 0) << "no object destroyed twice";
    EXPECT_TRUE(strata::detail::Access::impl(s).extras_or_none().batches.empty());
    expect_every_item_reads_whole(s);  // the session reads on
}

// The same when the session holds an object of the model from before (each
// row looked up in the identity map): the held object is that object, the
// others are built as the last batch goes.
TEST_P(StreamRelease, TheLastBatchGoesObjectByObjectBesideAnObjectHeldFromBefore) {
    auto s = session();
    auto last = s.get<Item>(kItems);
    start_counting();
    int n = 0;
    for (auto item : s.query<Item>().order_by(&Item::id).stream(kBatch)) {
        ++n;
        EXPECT_EQ(item->note, note_of(n));
        EXPECT_EQ(item->level.value, n);
        if (n == kItems) {
            EXPECT_EQ(item, last);
        }
    }
    EXPECT_EQ(n, kItems);
    // Batches 1-3 and 4-6 built (the second as the first goes), 7 found.
    EXPECT_EQ(Tracked::at_building, (std::vector<int>{1, 2, 3, 3, 3, 3}));
    EXPECT_EQ(Tracked::live, 1) << "the object held from before";
    EXPECT_EQ(Tracked::least, 1) << "no object destroyed twice";
    EXPECT_EQ(last->note, note_of(kItems));
}

// A row of the next batch that cannot be read: its half-built object goes,
// the objects of the last batch not yet destroyed go with it (each once),
// and the session streams again once the row is mended. Row 4 is the next
// batch's first (one object of the last batch destroyed before it), row 6
// its last (all three).
TEST_P(StreamRelease, ARowThatCannotBeReadInTheNextBatchDestroysEveryObjectOnce) {
    for (const int refused : {4, 5, 6}) {
        raw("UPDATE item SET level = -1 WHERE id = " + std::to_string(refused));
        {
            auto s = session();
            start_counting();
            int n = 0;
            EXPECT_THROW(
                {
                    for (auto item : s.query<Item>().order_by(&Item::id).stream(kBatch)) {
                        ++n;
                        EXPECT_EQ(item->note, note_of(n));
                    }
                },
                std::invalid_argument)
                << refused;
            EXPECT_EQ(n, 3) << refused;
            EXPECT_EQ(Tracked::live, 0) << refused;
            EXPECT_EQ(Tracked::least, 0) << "no object destroyed twice; refused " << refused;
            raw("UPDATE item SET level = id WHERE id = " + std::to_string(refused));
            expect_every_item_reads_whole(s);
        }
        EXPECT_EQ(Tracked::live, 0) << refused;
        EXPECT_EQ(Tracked::least, 0) << refused;
    }
}

// An object the program still holds keeps its whole batch, and a changed
// one (no autoflush) keeps its batch until the commit writes it: neither
// batch is destroyed under it while the next ones are read.
TEST_P(StreamRelease, ObjectsHeldOrChangedKeepTheirBatch) {
    strata::Session s(*db, registry, strata::SessionOptions{.autoflush = false});
    start_counting();
    strata::Ptr<Item> held;
    for (auto item : s.query<Item>().order_by(&Item::id).stream(kBatch)) {
        if (item->id == 2) held = item;
        if (item->id == 5) item->note = "changed in the loop";
    }
    EXPECT_EQ(Tracked::live, 6) << "the first batch (held) and the second (changed); the third went";
    EXPECT_EQ(held->note, note_of(2));
    EXPECT_EQ(held->level.value, 2);
    s.commit();
    EXPECT_EQ(Tracked::live, 3) << "written, the second batch went";
    held = nullptr;
    EXPECT_EQ(Tracked::live, 0);
    EXPECT_EQ(Tracked::least, 0);
    auto check = session();
    EXPECT_EQ(check.get<Item>(5)->note, "changed in the loop");
    EXPECT_EQ(check.get<Item>(4)->note, note_of(4));
}

STRATA_INSTANTIATE_BACKENDS(StreamRelease);

}  // namespace
}  // namespace stream_release_test
