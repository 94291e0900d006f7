// A generated column (computed()) on a mapped member: the ORM's INSERT and
// UPDATE leave it out (the database refuses a value for it), the flush reads
// the computed value back into the member, and a program that changes the
// member itself is told so, with the database left as it was.
#include "model_test.hpp"
#include "strata/strata.hpp"

namespace orm_computed_test {
namespace {

struct Line {
    std::int64_t id = 0;
    std::int64_t qty = 0;
    std::int64_t price = 0;
    std::int64_t total = 0;              // qty * price, computed by the database
    std::optional<std::string> label{};  // upper(name), NULL without a name
    std::optional<std::string> name{};
};

class OrmComputed : public strata::testing::ModelTest {
protected:
    void map(strata::Registry& r) override {
        r.model<Line>("line")
            .column(&Line::id, "id", strata::primary_key())
            .column(&Line::qty, "qty")
            .column(&Line::price, "price")
            .column(&Line::total, "total", strata::computed("qty * price"))
            .column(&Line::label, "label", strata::String(40), strata::computed("upper(name)"))
            .column(&Line::name, "name", strata::String(40));
    }
    // The rows as stored: "id|qty|price|total|label".
    std::vector<std::string> rows() {
        auto conn = db->connect();
        auto st = conn->prepare("SELECT id, qty, price, total, label FROM line ORDER BY id");
        std::vector<std::string> out;
        while (st->step())
            out.push_back(std::to_string(st->get_int64(0)) + "|" + std::to_string(st->get_int64(1)) + "|" +
                          std::to_string(st->get_int64(2)) + "|" + std::to_string(st->get_int64(3)) + "|" +
                          (st->is_null(4) ? "NULL" : std::string(st->get_text(4))));
        return out;
    }
};

TEST_P(OrmComputed, InsertLeavesItOutAndReadsItBack) {
    auto s = session();
    auto line = s.add(Line{.qty = 2, .price = 3, .total = 999, .name = "pen"});
    s.commit();
    EXPECT_EQ(rows(), std::vector<std::string>{"1|2|3|6|PEN"});
    EXPECT_EQ(line->total, 6);
    EXPECT_EQ(line->label, "PEN");
}

TEST_P(OrmComputed, UpdateOfAnInputReadsItAgain) {
    auto s = session();
    auto line = s.add(Line{.qty = 2, .price = 3});
    s.commit();
    EXPECT_EQ(line->label, std::nullopt);
    line->qty = 5;
    line->name = "ink";
    s.flush();
    EXPECT_EQ(line->total, 15);
    EXPECT_EQ(line->label, "INK");
    s.commit();
    EXPECT_EQ(rows(), std::vector<std::string>{"1|5|3|15|INK"});
    auto other = session();
    EXPECT_EQ(other.get<Line>(1)->total, 15);
}

TEST_P(OrmComputed, ManyNewRowsAtOnce) {
    // 1200 rows: PostgreSQL sends them by COPY, a few by multi-row INSERT; SQLite one INSERT each.
    auto s = session();
    std::vector<strata::Ptr<Line>> lines;
    for (std::int64_t i = 1; i <= 1200; ++i) lines.push_back(s.add(Line{.qty = i, .price = 2}));
    s.commit();
    auto few = session();
    std::vector<strata::Ptr<Line>> more;
    for (std::int64_t i = 1; i <= 3; ++i) more.push_back(few.add(Line{.qty = i, .price = 10}));
    few.commit();
    for (std::int64_t i = 0; i < 1200; ++i) ASSERT_EQ(lines[static_cast<std::size_t>(i)]->total, 2 * (i + 1)) << i;
    for (std::int64_t i = 0; i < 3; ++i) EXPECT_EQ(more[static_cast<std::size_t>(i)]->total, 10 * (i + 1));
    EXPECT_EQ(rows().size(), 1203u);
    EXPECT_EQ(rows().back(), "1203|3|10|30|NULL");
}

TEST_P(OrmComputed, ChangingItIsRefusedAndNothingIsWritten) {
    auto s = session();
    auto line = s.add(Line{.qty = 2, .price = 3});
    s.commit();
    line->qty = 4;
    line->total = 1;
    const std::string what = strata::testing::expect_throw<strata::Error>([&] { s.commit(); }).what();
    EXPECT_NE(what.find("column line.total of <Line id=1> was changed, but the database computes it "
                        "(GENERATED ALWAYS AS (qty * price))"),
              std::string::npos)
        << what;
    s.rollback();
    EXPECT_EQ(rows(), std::vector<std::string>{"1|2|3|6|NULL"});
}

TEST_P(OrmComputed, QueriesReadIt) {
    auto s = session();
    s.add(Line{.qty = 3, .price = 7});
    s.add(Line{.qty = 1, .price = 1});
    s.commit();
    auto other = session();
    auto big = other.query<Line>().where(strata::col(&Line::total) > 5).all();
    ASSERT_EQ(big.size(), 1u);
    EXPECT_EQ(big[0]->total, 21);
}

STRATA_INSTANTIATE_BACKENDS(OrmComputed);

}  // namespace
}  // namespace orm_computed_test
