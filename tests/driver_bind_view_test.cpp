// Statement::bind_view: text bound without a copy reads back as bind() would,
// and a statement stepped again after a rebind uses the new text.
#include <gtest/gtest.h>

#include "support.hpp"

namespace strata::testing {
namespace {

class BindView : public BackendTest {};

TEST_P(BindView, BindsTextLikeBindAndRebindsPerExecution) {
    auto conn = open_connection();
    conn->execute("CREATE TABLE t (n INTEGER, s VARCHAR(20))");
    const Dialect& d = conn->dialect();
    auto insert = conn->prepare("INSERT INTO t (n, s) VALUES (" + d.placeholder(1) + ", " + d.placeholder(2) + ")");
    std::string text;
    for (int i = 0; i < 3; ++i) {
        text = "row " + std::to_string(i) + (i == 2 ? std::string() : " text");
        insert->bind(1, i);
        insert->bind_view(2, text);
        EXPECT_EQ(insert->execute(), 1);
    }
    insert->bind(1, 3);
    insert->bind_view(2, "");  // empty text is text, not NULL
    insert->execute();
    auto select = conn->prepare("SELECT s FROM t ORDER BY n");
    std::vector<std::string> got;
    while (select->step()) {
        EXPECT_FALSE(select->is_null(0));
        got.emplace_back(select->get_text(0));
    }
    EXPECT_EQ(got, (std::vector<std::string>{"row 0 text", "row 1 text", "row 2", ""}));
}

TEST_P(BindView, OutOfRangeIndexIsAProgrammingError) {
    auto conn = open_connection();
    auto st = conn->prepare("SELECT " + conn->dialect().placeholder(1));
    auto e = expect_throw<ProgrammingError>([&] { st->bind_view(2, "x"); });
    EXPECT_NE(std::string(e.what()).find("out of range"), std::string::npos) << e.what();
}

STRATA_INSTANTIATE_BACKENDS(BindView);

}  // namespace
}  // namespace strata::testing
