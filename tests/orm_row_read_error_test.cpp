// A row whose column cannot be read into its member (a custom column type
// that refuses the stored value): the query throws, the object half-read from
// that row is destroyed again (no leak of what its other members hold, no
// object left in the session), and the session goes on reading.
#include <stdexcept>

#include "model_test.hpp"
#include "strata/strata.hpp"

namespace row_read_error_test {

// Text the program accepts only when it is not "refused".
struct Code {
    std::string text;
};

}  // namespace row_read_error_test

template <>
struct strata::column_type<row_read_error_test::Code> {
    using stored = std::string;
    static SqlType sql_type() { return String(40); }
    static std::string to_stored(const row_read_error_test::Code& c) { return c.text; }
    static row_read_error_test::Code from_stored(std::string text) {
        if (text == "refused") throw std::invalid_argument("row_read_error_test: a refused code");
        return {std::move(text)};
    }
};

namespace row_read_error_test {
namespace {

struct Ticket {
    std::int64_t id = 0;
    std::string note;  // read before `code`: longer than a std::string holds inline
    Code code{};
};

class RowReadError : public strata::testing::ModelTest {
protected:
    void map(strata::Registry& r) override {
        r.model<Ticket>("ticket")
            .column(&Ticket::id, "id", strata::primary_key())
            .column(&Ticket::note, "note", strata::String(80))
            .column(&Ticket::code, "code");
    }
    void raw(const std::string& sql) { db->connect()->execute(sql); }
};

TEST_P(RowReadError, AColumnThatCannotBeReadLeavesNoObjectBehind) {
    {
        auto s = session();
        s.add(Ticket{.note = "a note longer than a string holds inline", .code = {"first"}});
        s.add(Ticket{.note = "another note, longer than that as well", .code = {"second"}});
        s.commit();
    }
    raw("UPDATE ticket SET code = 'refused' WHERE id = 2");

    auto s = session();
    EXPECT_THROW((void)s.query<Ticket>().all(), std::invalid_argument);
    EXPECT_THROW((void)s.get<Ticket>(2), std::invalid_argument);
    // The first row's object was built before the refused one: it stays,
    // and is the one a later load finds.
    auto first = s.get<Ticket>(1);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->code.text, "first");

    raw("UPDATE ticket SET code = 'mended' WHERE id = 2");
    auto all = s.query<Ticket>().order_by(&Ticket::id).all();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0], first) << "one object per row";
    EXPECT_EQ(all[1]->note, "another note, longer than that as well");
    EXPECT_EQ(all[1]->code.text, "mended");
    all[1]->note = "changed";
    s.commit();  // only the object read whole is written: the half-read one is gone
    auto check = session();
    EXPECT_EQ(check.get<Ticket>(2)->note, "changed");
    EXPECT_EQ(check.get<Ticket>(1)->code.text, "first");
}

STRATA_INSTANTIATE_BACKENDS(RowReadError);

}  // namespace
}  // namespace row_read_error_test
