// The migrations library API (strata::migrate::upgrade, downgrade, check,
// autogenerate): what `db` prints, returned as results, on every backend.
#include <gtest/gtest.h>

#include "migrate_support.hpp"

using namespace strata;
using strata::testing::expect_throw;

namespace {

using Lines = std::vector<std::string>;

class MigrateApi : public strata::testing::MigrateTest {
protected:
    DbContext context() {
        return DbContext{url(), repo(), [this] { return models; }, "app"};
    }
    static MetaData users(bool with_about) {
        MetaData md;
        auto& t = md.table("user").column("id", Integer(), primary_key()).column("name", String(50), not_null());
        if (with_about) t.column("about", String(140));
        return md;
    }
};

TEST_P(MigrateApi, AutogenerateCheckUpgradeAndDowngradeReturnWhatHappened) {
    const DbContext ctx = context();
    models = users(false);
    auto first = migrate::autogenerate(ctx, {.message = "users"});
    ASSERT_FALSE(first.revision.empty());
    EXPECT_EQ(first.changes, Lines{"create_table user"});
    EXPECT_TRUE(std::filesystem::exists(first.file)) << first.file;
    EXPECT_EQ(first.file.parent_path(), repo() / "versions");

    Lines notices;
    migrate::RunOptions options;
    options.notice = [&](const std::string& line) { notices.push_back(line); };
    auto up = migrate::upgrade(ctx, "head", options);
    EXPECT_EQ(up.from_heads, Lines{});
    EXPECT_EQ(up.to_heads, Lines{first.revision});
    EXPECT_EQ(up.revisions_run, 1u);
    ASSERT_FALSE(up.statements.empty());
    EXPECT_NE(up.statements[0].find("CREATE TABLE \"user\""), std::string::npos) << up.statements[0];
    EXPECT_EQ(notices, Lines{"Running upgrade base -> " + first.revision + ", users"});
    EXPECT_FALSE(up.backup);
    EXPECT_EQ(current(), Lines{first.revision});

    // The models grow a column: check says so, autogenerate writes it, upgrade runs it.
    models = users(true);
    auto behind = migrate::check(ctx);
    EXPECT_TRUE(behind.at_head());
    EXPECT_EQ(behind.differences, Lines{"add_column user.about"});
    EXPECT_FALSE(behind.up_to_date());
    auto second = migrate::autogenerate(ctx, {.message = "about"});
    EXPECT_EQ(second.changes, Lines{"add_column user.about"});
    auto not_applied = migrate::check(ctx);
    EXPECT_FALSE(not_applied.at_head());
    EXPECT_EQ(not_applied.current, Lines{first.revision});
    EXPECT_EQ(not_applied.heads, Lines{second.revision});
    auto again = migrate::upgrade(ctx);
    EXPECT_EQ(again.from_heads, Lines{first.revision});
    EXPECT_EQ(again.to_heads, Lines{second.revision});
    EXPECT_EQ(columns_of("user"), (Lines{"id", "name", "about"}));
    auto clean = migrate::check(ctx);
    EXPECT_TRUE(clean.up_to_date()) << (clean.differences.empty() ? "" : clean.differences[0]);
    auto nothing = migrate::autogenerate(ctx, {.message = "nothing"});
    EXPECT_TRUE(nothing.revision.empty());
    EXPECT_TRUE(nothing.changes.empty());

    auto down = migrate::downgrade(ctx, "-1");
    EXPECT_EQ(down.from_heads, Lines{second.revision});
    EXPECT_EQ(down.to_heads, Lines{first.revision});
    EXPECT_EQ(down.revisions_run, 1u);
    EXPECT_EQ(columns_of("user"), (Lines{"id", "name"}));
    auto none = migrate::upgrade(ctx, first.revision);
    EXPECT_EQ(none.revisions_run, 0u);
    EXPECT_EQ(none.to_heads, Lines{first.revision});
}

TEST_P(MigrateApi, RefusedConfirmationChangesNothing) {
    const DbContext ctx = context();
    models = users(true);
    migrate::autogenerate(ctx, {.message = "users"});
    migrate::upgrade(ctx);
    conn().execute("INSERT INTO \"user\" (id, name, about) VALUES (1, 'ann', 'hello')");
    models = users(false);
    auto drop = migrate::autogenerate(ctx, {.message = "drop about"});
    EXPECT_EQ(drop.changes, Lines{"drop_column user.about"});
    std::vector<migrate::DataLoss> asked;
    migrate::RunOptions options;
    options.confirm = [&](const std::vector<migrate::DataLoss>& losses) {
        asked = losses;
        return false;
    };
    auto err = expect_throw<MigrationError>([&] { migrate::upgrade(ctx, "head", options); });
    EXPECT_NE(std::string(err.what()).find("aborted: nothing was changed"), std::string::npos) << err.what();
    ASSERT_EQ(asked.size(), 1u);
    EXPECT_EQ(asked[0].table, "user");
    EXPECT_EQ(asked[0].column, "about");
    EXPECT_EQ(asked[0].rows, 1);
    EXPECT_EQ(columns_of("user"), (Lines{"id", "name", "about"}));
}

TEST_P(MigrateApi, BackupIsReturnedOrRefusedBeforeAnythingRuns) {
    const DbContext ctx = context();
    models = users(false);
    auto rev = migrate::autogenerate(ctx, {.message = "users"});
    migrate::RunOptions options;
    options.backup = true;
    if (!is_sqlite()) {
        auto err = expect_throw<MigrationError>([&] { migrate::upgrade(ctx, "head", options); });
        EXPECT_NE(std::string(err.what()).find("--backup works on SQLite only"), std::string::npos) << err.what();
        EXPECT_EQ(current(), Lines{});
        return;
    }
    auto result = migrate::upgrade(ctx, "head", options);
    ASSERT_TRUE(result.backup);
    EXPECT_TRUE(std::filesystem::exists(*result.backup)) << result.backup->string();
    EXPECT_EQ(result.backup->parent_path(), dir().path());
    EXPECT_EQ(result.to_heads, Lines{rev.revision});
}

TEST_P(MigrateApi, AutogenerateRefusesADatabaseBehindTheHead) {
    const DbContext ctx = context();
    models = users(false);
    migrate::autogenerate(ctx, {.message = "users"});
    auto err = expect_throw<MigrationError>([&] { migrate::autogenerate(ctx, {.message = "more"}); });
    EXPECT_NE(std::string(err.what()).find("run `app db upgrade` first"), std::string::npos) << err.what();
}

STRATA_INSTANTIATE_BACKENDS(MigrateApi);

}  // namespace
