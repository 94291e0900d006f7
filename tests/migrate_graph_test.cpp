// The revision graph: branches, several heads refused by `upgrade head`,
// merges, relative and partial revision ids.
#include <gtest/gtest.h>

#include "migrate_support.hpp"

using namespace strata;
using namespace strata::migrate;
using strata::testing::expect_throw;

namespace {

using Ids = std::vector<std::string>;

class MigrateGraph : public strata::testing::MigrateTest {
protected:
    void SetUp() override {
        MigrateTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        write_rev("abc111", "null", "  - create_table: {table: t, columns: [{name: id, type: Integer, primary_key: true}]}\n",
                  "  - drop_table: t\n", "root");
        write_rev("abc222", "abc111", "  - add_column: {table: t, column: {name: x, type: Integer}}\n",
                  "  - drop_column: {table: t, column: x}\n", "left");
        write_rev("def333", "abc111", "  - add_column: {table: t, column: {name: y, type: Integer}}\n",
                  "  - drop_column: {table: t, column: y}\n", "right");
    }
};

TEST_P(MigrateGraph, SeveralHeadsAreReportedAndRefusedByUpgradeHead) {
    ScriptDirectory s(repo());
    EXPECT_EQ(s.heads(), (Ids{"abc222", "def333"}));
    auto heads = run_db({"heads"});
    EXPECT_NE(heads.out.find("abc111 -> abc222 (head), left"), std::string::npos) << heads.out;
    EXPECT_NE(heads.out.find("abc111 -> def333 (head), right"), std::string::npos) << heads.out;

    auto r = run_db({"upgrade", "head"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("several heads (abc222, def333); merge them with `db merge -m MESSAGE abc222 def333`"),
              std::string::npos)
        << r.err;
    EXPECT_TRUE(current().empty());
    EXPECT_FALSE(has_table(conn(), "t")) << "nothing may run when the target is refused";
    auto history = run_db({"history", "--verbose"});
    EXPECT_NE(history.out.find("<base> -> abc111 (branchpoint), root\n    created 2026-11-27T14:00:00Z, file "),
              std::string::npos)
        << history.out;
}

TEST_P(MigrateGraph, UpgradeHeadsThenMergeThenDowngrade) {
    upgrade("heads");
    EXPECT_EQ(current(), (Ids{"abc222", "def333"}));
    EXPECT_EQ(columns_of("t"), (Ids{"id", "x", "y"}));

    auto merged = run_db({"merge", "-m", "join branches", "heads"});
    ASSERT_EQ(merged.code, 0) << merged.err;
    ScriptDirectory s(repo());
    ASSERT_EQ(s.heads().size(), 1u);
    const std::string merge_id = s.heads()[0];
    EXPECT_EQ(s.get(merge_id).down_revisions, (Ids{"abc222", "def333"}));
    EXPECT_TRUE(s.get(merge_id).upgrade.empty());

    auto r = upgrade("head");
    EXPECT_EQ(r.revisions_run, 1u);
    EXPECT_EQ(current(), Ids{merge_id}) << "the merge replaces both heads in the version table";
    auto history = run_db({"history"});
    EXPECT_NE(history.out.find("abc222, def333 -> " + merge_id + " (head) (mergepoint), join branches"),
              std::string::npos)
        << history.out;

    downgrade("-1");
    EXPECT_EQ(current(), (Ids{"abc222", "def333"}));
    downgrade("abc222");
    EXPECT_EQ(current(), Ids{"abc222"});
    EXPECT_EQ(columns_of("t"), (Ids{"id", "x"}));
    downgrade("base");
    EXPECT_TRUE(current().empty());
    EXPECT_EQ(table_names(conn(), InspectOptions{{}}), Ids{"strata_version"}) << "downgrade base leaves only the version table";
}

TEST_P(MigrateGraph, RelativeAndPartialIds) {
    upgrade("+1");
    EXPECT_EQ(current(), Ids{"abc111"});
    std::string what = expect_throw<MigrationError>([&] { upgrade("+1"); }).what();
    EXPECT_NE(what.find("relative revision is ambiguous at abc111: it branches into abc222, def333"), std::string::npos)
        << what;
    what = expect_throw<MigrationError>([&] { upgrade("abc"); }).what();
    EXPECT_NE(what.find("revision prefix 'abc' is ambiguous: abc111, abc222"), std::string::npos) << what;
    upgrade("abc2");
    EXPECT_EQ(current(), Ids{"abc222"});
    what = expect_throw<MigrationError>([&] { upgrade("+99999999999"); }).what();
    EXPECT_NE(what.find("no revision '+99999999999'"), std::string::npos) << what;
    what = expect_throw<MigrationError>([&] { upgrade("+5"); }).what();
    EXPECT_NE(what.find("cannot go 5 revisions up from abc222: abc222 is a head"), std::string::npos) << what;
    what = expect_throw<MigrationError>([&] { upgrade("nope"); }).what();
    EXPECT_NE(what.find("no revision 'nope'"), std::string::npos) << what;
    downgrade("-1");
    EXPECT_EQ(current(), Ids{"abc111"});
    what = expect_throw<MigrationError>([&] { downgrade("-2"); }).what();
    EXPECT_NE(what.find("base reached"), std::string::npos) << what;
    EXPECT_EQ(current(), Ids{"abc111"});
    what = expect_throw<MigrationError>([&] { downgrade("def333"); }).what();
    EXPECT_NE(what.find("cannot downgrade to def333: it is not applied"), std::string::npos) << what;
}

TEST_P(MigrateGraph, StampSetsTheVersionWithoutRunning) {
    auto r = run_db({"stamp", "abc222"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(current(), Ids{"abc222"});
    EXPECT_FALSE(has_table(conn(), "t"));
    r = run_db({"current"});
    EXPECT_EQ(r.out, "abc222 (head)\n");
    r = run_db({"stamp", "base"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(current().empty());
}

TEST_P(MigrateGraph, ShowDescribesARevision) {
    auto r = run_db({"show", "abc1"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("Revision: abc111\nParent: <base>\nChildren: abc222, def333\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Upgrade:\n  create_table t\nDowngrade:\n  drop_table t\n"), std::string::npos) << r.out;
}

TEST_P(MigrateGraph, CommandsRefuseWhatTheyCannotDo) {
    auto r = run_db({"migrate", "-m", "x"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("the repository has several heads (abc222, def333); merge them first with `test db merge"),
              std::string::npos)
        << r.err;
    r = run_db({"merge", "-m", "x", "abc222"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("merge needs at least two different revisions, got abc222"), std::string::npos) << r.err;
    r = run_db({"stamp", "zzz"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("no revision 'zzz'"), std::string::npos) << r.err;
    r = run_db({"revision", "-m", "x"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("several heads"), std::string::npos) << r.err;
    EXPECT_EQ(ScriptDirectory(repo()).size(), 3u) << "no file was written";
    EXPECT_TRUE(current().empty());
    r = run_db({"frobnicate"});
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.err.find("frobnicate"), std::string::npos) << r.err;
}

TEST_P(MigrateGraph, DatabaseAtARevisionWhoseFileIsGone) {
    upgrade("abc222");
    std::filesystem::remove(repo() / "versions" / "abc222_test.yaml");
    std::string what = expect_throw<MigrationError>([&] { upgrade("heads"); }).what();
    EXPECT_NE(what.find("the database is at revision abc222, which is not in"), std::string::npos) << what;
    EXPECT_EQ(current(), Ids{"abc222"});
    EXPECT_EQ(columns_of("t"), (Ids{"id", "x"}));
}

STRATA_INSTANTIATE_BACKENDS(MigrateGraph);

}  // namespace
