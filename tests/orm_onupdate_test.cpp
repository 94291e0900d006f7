// onupdate: a column's value written by each ORM UPDATE of its row (a value,
// or a function called once per UPDATE), unless the program set the column
// itself; never by an INSERT, nor by a flush that writes nothing.
#include "support.hpp"
#include "strata/strata.hpp"

namespace onupdate_test {
namespace {

struct Profile {
    std::int64_t id = 0;
    std::string name{};
    std::optional<strata::DateTime> last_seen{};
    std::string status = "new";
};

class OnUpdate : public strata::testing::BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        registry.model<Profile>("profile")
            .column(&Profile::id, "id", strata::primary_key())
            .column(&Profile::name, "name", strata::String(40), strata::unique())
            .column(&Profile::last_seen, "last_seen", strata::onupdate([this] { return clock(); }))
            .column(&Profile::status, "status", strata::String(20), strata::onupdate("edited"));
        db.emplace(open_db());
        registry.metadata().create_all(*db->connect());
    }
    void TearDown() override {
        db.reset();
        BackendTest::TearDown();
    }
    // A clock that says how often it was read: 2026-01-01 plus one second per call.
    strata::DateTime clock() {
        ++clock_reads;
        return strata::parse_datetime("2026-01-01 00:00:00") + std::chrono::seconds(clock_reads);
    }
    strata::Session session() { return strata::Session(*db, registry); }
    // The row as stored: "name|last_seen|status".
    std::string row(std::int64_t id) {
        auto conn = db->connect();
        auto st = conn->prepare("SELECT name, last_seen, status FROM profile WHERE id = " + std::to_string(id));
        EXPECT_TRUE(st->step());
        std::string last_seen = st->is_null(1) ? "NULL" : strata::format_datetime(st->get_datetime(1));
        return std::string(st->get_text(0)) + "|" + last_seen + "|" + std::string(st->get_text(2));
    }

    strata::Registry registry;
    std::optional<strata::Database> db;
    int clock_reads = 0;
};

TEST_P(OnUpdate, AnInsertDoesNotUseIt) {
    auto s = session();
    s.add(Profile{.name = "ann"});
    s.commit();
    EXPECT_EQ(row(1), "ann|NULL|new");
    EXPECT_EQ(clock_reads, 0);
}

TEST_P(OnUpdate, EachUpdateWritesItInTheSameStatement) {
    auto s = session();
    auto ann = s.add(Profile{.name = "ann"});
    s.commit();
    std::vector<std::string> log;
    s.on_statement([&](const std::string& sql) {
        if (sql.rfind("UPDATE", 0) == 0) log.push_back(sql);
    });

    ann->name = "anne";
    s.flush();
    ASSERT_EQ(log.size(), 1u) << "one UPDATE, with the onupdate columns in it";
    EXPECT_NE(log[0].find("\"last_seen\" = "), std::string::npos) << log[0];
    EXPECT_NE(log[0].find("\"status\" = "), std::string::npos) << log[0];
    EXPECT_EQ(clock_reads, 1);
    EXPECT_EQ(ann->last_seen, strata::parse_datetime("2026-01-01 00:00:01")) << "the object has the value written";
    EXPECT_EQ(ann->status, "edited");
    s.commit();
    EXPECT_EQ(row(1), "anne|2026-01-01 00:00:01.000000|edited");

    // Nothing changed: no UPDATE, and the function is not called.
    s.flush();
    s.commit();
    EXPECT_EQ(log.size(), 1u);
    EXPECT_EQ(clock_reads, 1);

    ann->name = "ann";
    s.commit();
    EXPECT_EQ(clock_reads, 2) << "once per UPDATE";
    EXPECT_EQ(row(1), "ann|2026-01-01 00:00:02.000000|edited");
}

// A value the program set in the same flush is the one written (SQLAlchemy's rule).
TEST_P(OnUpdate, AValueTheProgramSetWins) {
    auto s = session();
    auto ann = s.add(Profile{.name = "ann"});
    s.commit();
    ann->name = "anne";
    ann->status = "renamed";
    ann->last_seen = strata::parse_datetime("2030-05-06 07:08:09");
    s.commit();
    EXPECT_EQ(row(1), "anne|2030-05-06 07:08:09.000000|renamed");
    EXPECT_EQ(clock_reads, 0);
}

// A flush that fails leaves the objects as they were, onupdate columns too;
// the next flush evaluates onupdate again.
TEST_P(OnUpdate, AFailedFlushLeavesTheValueAsItWas) {
    auto s = session();
    auto ann = s.add(Profile{.name = "ann"});
    s.add(Profile{.name = "bob"});
    s.commit();
    ann->name = "bob";
    (void)strata::testing::expect_throw<strata::IntegrityError>([&] { s.flush(); });
    EXPECT_EQ(ann->last_seen, std::nullopt);
    EXPECT_EQ(ann->status, "new");
    ann->name = "anne";
    s.commit();
    EXPECT_EQ(clock_reads, 2);
    EXPECT_EQ(row(1), "anne|2026-01-01 00:00:02.000000|edited");
}

STRATA_INSTANTIATE_BACKENDS(OnUpdate);

}  // namespace
}  // namespace onupdate_test
