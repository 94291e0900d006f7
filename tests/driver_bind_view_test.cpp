// Statement::bind_view and bind_int64, the ways to bind without a Value:
// they read back as bind() would, a statement stepped again after a rebind
// uses the new value, and a bad index fails as bind() does.
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

TEST_P(BindView, BindInt64IsBindForEveryIntegerAndRebindsPerExecution) {
    auto conn = open_connection();
    conn->execute("CREATE TABLE t (n BIGINT)");
    auto insert = conn->prepare("INSERT INTO t (n) VALUES (" + conn->dialect().placeholder(1) + ")");
    const std::vector<std::int64_t> values{INT64_MIN, -1, 0, 1, INT64_MAX};
    for (auto v : values) {
        insert->bind_int64(1, v);
        EXPECT_EQ(insert->execute(), 1);
    }
    auto select = conn->prepare("SELECT n FROM t WHERE n = " + conn->dialect().placeholder(1));
    for (auto v : values) {
        select->bind_int64(1, v);  // rebinding resets the statement stepped before
        ASSERT_TRUE(select->step()) << v;
        EXPECT_EQ(select->get_int64(0), v);
        EXPECT_FALSE(select->step());
    }
}

TEST_P(BindView, BindInt64OutOfRangeIndexIsAProgrammingError) {
    auto conn = open_connection();
    auto st = conn->prepare("SELECT " + conn->dialect().placeholder(1));
    auto e = expect_throw<ProgrammingError>([&] { st->bind_int64(2, 7); });
    EXPECT_NE(std::string(e.what()).find("out of range"), std::string::npos) << e.what();
}

STRATA_INSTANTIATE_BACKENDS(BindView);

}  // namespace
}  // namespace strata::testing
