// Memory and database stay equal: many-to-many links (one row per link),
// Numeric scale on every backend, and a deleted object cannot be re-added.
#include "orm_models.hpp"

namespace orm_test {
namespace {

using strata::testing::expect_throw;

class SessionExtras : public OrmTest {
protected:
    std::int64_t links(std::int64_t follower, std::int64_t followed) {
        auto conn = db->connect();
        auto st = conn->prepare("SELECT count(*) FROM followers WHERE follower_id = " + std::to_string(follower) +
                                " AND followed_id = " + std::to_string(followed));
        st->step();
        return st->get_int64(0);
    }
    // Two committed users, john (1) and susan (2).
    void add_two_users() {
        auto s = session();
        s.add(User{.nickname = "john", .email = "j@x"});
        s.add(User{.nickname = "susan", .email = "s@x"});
        s.commit();
    }
};

TEST_P(SessionExtras, ManyToManyAppendingTwiceWritesOneRowAndRemoveDeletesIt) {
    add_two_users();
    auto s = session();
    auto john = s.get<User>(1);
    auto susan = s.get<User>(2);
    john->followed.push_back(susan);  // not loaded yet: append loads it
    john->followed.push_back(susan);
    EXPECT_EQ(john->followed.size(), 1u);
    s.commit();
    EXPECT_EQ(links(1, 2), 1);

    // Again from a fresh session, the collection unloaded: already linked.
    {
        auto s2 = session();
        auto j = s2.get<User>(1);
        j->followed.push_back(s2.get<User>(2));
        EXPECT_EQ(j->followed.size(), 1u);
        s2.commit();
        EXPECT_EQ(links(1, 2), 1);
    }
    // Both sides appended: still one link.
    susan->followers.push_back(john);
    s.commit();
    EXPECT_EQ(links(1, 2), 1);

    john->followed.remove(susan);
    EXPECT_FALSE(john->followed.contains(susan));
    EXPECT_FALSE(john->followed.remove(susan)) << "nothing left to remove";
    s.commit();
    EXPECT_EQ(links(1, 2), 0);
    auto s3 = session();
    EXPECT_EQ(s3.get<User>(1)->followed.size(), 0u);
}

TEST_P(SessionExtras, ManyToManyDuplicateRowsFromElsewhereLoadAsOneLinkAndGoTogether) {
    add_two_users();
    {
        auto conn = db->connect();
        conn->execute("INSERT INTO followers (follower_id, followed_id) VALUES (1, 2), (1, 2)");
    }
    auto s = session();
    auto john = s.get<User>(1);
    EXPECT_EQ(strata::repr(john->followed), "[<User susan>]");
    auto loaded = s.query<User>().options(strata::selectin(&User::followers)).where(strata::col(&User::id) == 2).one();
    EXPECT_EQ(strata::repr(loaded->followers), "[<User john>]");
    john->followed.remove(s.get<User>(2));
    s.commit();
    EXPECT_EQ(links(1, 2), 0) << "memory holds no link, and neither does the database";
    EXPECT_EQ(john->followed.size(), 0u);
}

TEST_P(SessionExtras, ReAddingAnObjectWhoseDeletionWasCommittedIsRefused) {
    add_two_users();
    auto s = session();
    auto john = s.get<User>(1);
    s.remove(john);
    auto marked = expect_throw<strata::Error>([&] { s.add(john); });
    EXPECT_NE(std::string(marked.what()).find("is deleted at the next flush"), std::string::npos) << marked.what();
    s.flush();
    auto flushed = expect_throw<strata::Error>([&] { s.add(john); });
    EXPECT_NE(std::string(flushed.what()).find("deleted in the open transaction"), std::string::npos) << flushed.what();
    s.commit();
    auto committed = expect_throw<strata::Error>([&] { s.add(john); });
    EXPECT_EQ(std::string(committed.what()),
              "strata: cannot add <User john> back to the session: its row was deleted and the deletion "
              "committed; add a new object with its values instead");
    s.commit();  // nothing was written: the row stays deleted
    EXPECT_EQ(count_rows("user"), 1);
    EXPECT_FALSE(session().get<User>(1));
}

TEST_P(SessionExtras, ARolledBackDeletionCanStillBeUsed) {
    add_two_users();
    auto s = session();
    auto john = s.get<User>(1);
    s.remove(john);
    s.flush();
    s.rollback();
    s.add(john);  // persistent again: nothing to refuse
    john->email = "john@x";
    s.commit();
    EXPECT_EQ(session().get<User>(1)->email, "john@x");
}

struct Price {
    std::int64_t id = 0;
    strata::Decimal amount{};
    std::optional<strata::Decimal> maybe{};
    strata::Decimal whole{};
};

class NumericScale : public strata::testing::BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        r.model<Price>("price")
            .column(&Price::id, "id", strata::primary_key())
            .column(&Price::amount, "amount", strata::Numeric(10, 2))
            .column(&Price::maybe, "maybe", strata::Numeric(12, 4))
            .column(&Price::whole, "whole", strata::Numeric(8, 0));
        db.emplace(open_db());
        r.metadata().create_all(*db->connect());
    }
    void TearDown() override {
        db.reset();
        BackendTest::TearDown();
    }
    strata::Registry r;
    std::optional<strata::Database> db;
};

TEST_P(NumericScale, ReadsKeepTheDeclaredScale) {
    {
        strata::Session s(*db, r);
        s.add(Price{.amount = {"-12.50"}, .maybe = strata::Decimal{"3.1"}, .whole = {"42"}});
        s.add(Price{.amount = {"12"}, .maybe = std::nullopt, .whole = {"-7"}});
        s.add(Price{.amount = {"0.1"}, .maybe = strata::Decimal{"0.0001"}, .whole = {"0"}});
        s.commit();
    }
    strata::Session s(*db, r);
    auto rows = s.query<Price>().order_by(&Price::id).all();
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0]->amount.text, "-12.50");
    EXPECT_EQ(rows[0]->maybe->text, "3.1000");
    EXPECT_EQ(rows[0]->whole.text, "42");
    EXPECT_EQ(rows[1]->amount.text, "12.00") << "SQLite stores 12.00 as the INTEGER 12";
    EXPECT_FALSE(rows[1]->maybe);
    EXPECT_EQ(rows[1]->whole.text, "-7");
    EXPECT_EQ(rows[2]->amount.text, "0.10");
    EXPECT_EQ(rows[2]->maybe->text, "0.0001");
    EXPECT_EQ(rows[2]->whole.text, "0");
    EXPECT_EQ(rows[0]->amount, strata::Decimal{"-12.50"});
    EXPECT_EQ(rows[0]->amount, strata::Decimal{"-12.5"}) << "compared by value";

    // The driver reads the same text.
    auto conn = db->connect();
    auto st = conn->prepare("SELECT amount FROM price ORDER BY id");
    ASSERT_TRUE(st->step());
    EXPECT_EQ(st->get_decimal(0).text, "-12.50");

    // Loading is not a change: nothing is written back.
    std::vector<std::string> log;
    s.on_statement([&](const std::string& sql) { log.push_back(sql); });
    s.flush();
    EXPECT_TRUE(log.empty());
}

TEST(DecimalEquality, ComparesByValue) {
    using strata::Decimal;
    EXPECT_EQ(Decimal{"1.50"}, Decimal{"1.5"});
    EXPECT_EQ(Decimal{"-12.50"}, Decimal{"-12.5"});
    EXPECT_EQ(Decimal{"0012"}, Decimal{"12.000"});
    EXPECT_EQ(Decimal{"-0"}, Decimal{"0.00"});
    EXPECT_EQ(Decimal{"+3"}, Decimal{"3"});
    EXPECT_EQ(Decimal{"1E+2"}, Decimal{"100"});
    EXPECT_EQ(Decimal{"1e-05"}, Decimal{"0.00001"});
    EXPECT_EQ(Decimal{".5"}, Decimal{"0.5"});
    EXPECT_NE(Decimal{"1.5"}, Decimal{"-1.5"});
    EXPECT_NE(Decimal{"1.5"}, Decimal{"1.05"});
    EXPECT_NE(Decimal{"10"}, Decimal{"1"});
    EXPECT_NE(Decimal{"0.1"}, Decimal{"0.01"});
    EXPECT_EQ(Decimal{"NaN"}, Decimal{"NaN"}) << "not a number: compared as text";
    EXPECT_NE(Decimal{"NaN"}, Decimal{"0"});
    EXPECT_NE(Decimal{"abc"}, Decimal{""});
    EXPECT_NE(Decimal{"1e-9223372036854775808"}, Decimal{"1e9223372036854775807"}) << "huge exponents: compared as text";
    EXPECT_EQ(strata::Value(Decimal{"2.0"}), strata::Value(Decimal{"2"}));
}

STRATA_INSTANTIATE_BACKENDS(SessionExtras);
STRATA_INSTANTIATE_BACKENDS(NumericScale);

}  // namespace
}  // namespace orm_test
