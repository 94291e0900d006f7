// The C++ blocks of docs/ other than the ORM guide (orm_docs_examples.cpp) and
// the complete programs (docs_programs/): compiled and run here, on every
// backend where a database is involved. docs_test.cpp checks that each block
// of docs/*.md still appears in one of these files.
#include <chrono>
#include <filesystem>
#include <sstream>
#include <string_view>

#include "support.hpp"

namespace docs_examples {
namespace {

TEST(DocsTypes, LiteralsOfEachType) {
    using namespace std::chrono;
    strata::DateTime at = sys_days{2025y / 3 / 2} + 14h + 30min + 5s + 250ms;   // 2025-03-02 14:30:05.250000 UTC
    strata::DateTime stamp = strata::now();                                      // now, UTC, whole microseconds
    strata::Date day = sys_days{2025y / 3 / 2};                                  // 2025-03-02
    strata::Time tea{16h + 30min};                                               // 16:30:00
    strata::Blob bytes{std::string_view("\x00\xff", 2)};                        // two bytes, a NUL first

    EXPECT_EQ(strata::format_datetime(at), "2025-03-02 14:30:05.250000");
    EXPECT_GT(stamp, at);
    EXPECT_EQ(strata::format_date(day), "2025-03-02");
    EXPECT_EQ(strata::format_time(tea), "16:30:00.000000");
    EXPECT_EQ(bytes.bytes, (std::vector<std::uint8_t>{0x00, 0xff}));
}

class DocsPostgresql : public strata::testing::BackendTest {};

TEST_P(DocsPostgresql, PoolOptions) {
    const std::string url = this->url();
    strata::DatabaseOptions options;
    options.pool.size = 5;                                   // connections kept open
    options.pool.max_overflow = 10;                          // extra ones under load, closed when returned
    options.pool.timeout = std::chrono::milliseconds(30000); // then OperationalError "pool ... exhausted"
    options.pool.pre_ping = true;                            // a round trip before each checkout
    auto db = strata::Database::open(url, options);
    auto conn = db.connect();                                // PooledConnection, returned on destruction
    conn->execute("CREATE TABLE t (x INTEGER)");
    EXPECT_TRUE(strata::has_table(*conn, "t"));
}

STRATA_INSTANTIATE_BACKENDS(DocsPostgresql);

class DocsMigrations : public strata::testing::BackendTest {};

// docs/migrations.md, "Every schema object": what the models declare is made and read back.
TEST_P(DocsMigrations, SchemaObjectsInTheModels) {
    strata::Registry registry;
    registry.table("user").column("id", strata::Integer(), strata::primary_key()).column("email", strata::String(120));
    registry.table("post")
        .column("id", strata::Integer(), strata::primary_key())
        .column("body", strata::String(140))
        .column("timestamp", strata::DateTimeType())
        .column("user_id", strata::Integer());
    registry.table("post")
        .index(strata::Index{.name = "ix_post_recent", .columns = {"user_id", "timestamp"},
                             .descending = {1}, .where = "user_id IS NOT NULL"})
        .column("words", strata::Integer(), strata::computed("length(body) / 5"), strata::comment("estimate"));
    registry.table("user")
        .index(strata::Index{.name = "ix_user_lower_email", .columns = {"lower(email)"}, .expressions = {0}});
    registry.table("user").comment = "People who post";

    auto db = open_db();
    auto conn = db.connect();
    registry.metadata().create_all(*conn);
    strata::MetaData back = strata::inspect(*conn);
    EXPECT_EQ(back.find("post")->indexes, registry.metadata().find("post")->indexes);
    EXPECT_EQ(back.find("user")->indexes, registry.metadata().find("user")->indexes);
    EXPECT_TRUE(back.find("post")->find_column("words")->computed.has_value());
    conn->execute("INSERT INTO post (id, body, user_id) VALUES (1, 'one two three four five', 1)");
    auto stmt = conn->prepare("SELECT words FROM post");
    ASSERT_TRUE(stmt->step());
    EXPECT_EQ(stmt->get_int64(0), 4);
}

STRATA_INSTANTIATE_BACKENDS(DocsMigrations);

// docs/migrations.md, "Migrations as a library": the API returns what `db` prints.
TEST_P(DocsMigrations, LibraryApi) {
    const std::string url = this->url();
    const std::filesystem::path basedir = dir().path();
    strata::Registry registry;
    registry.table("user").column("id", strata::Integer(), strata::primary_key());
    std::vector<std::string> log;
    std::ostringstream out;
    std::istringstream in;
    ASSERT_EQ(strata::db_run({url, basedir / "migrations", {}, "app"}, {"init"}, {out, out, in}), 0) << out.str();
    const strata::MetaData first = registry.metadata();
    const std::string initial =
        strata::migrate::autogenerate({url, basedir / "migrations", [&first] { return first; }, "app"}, {.message = "initial"})
            .revision;

    strata::MetaData models = registry.metadata();                   // what the program's models declare
    strata::DbContext ctx{.database_url = url, .migrations_dir = basedir / "migrations",
                          .target_metadata = [&models] { return models; }};
    strata::migrate::RunOptions options;
    options.notice = [&log](const std::string& line) { log.push_back(line); };   // "Running upgrade base -> …"
    options.confirm = [](const std::vector<strata::migrate::DataLoss>& losses) { return losses.empty(); };
    strata::migrate::RunResult up = strata::migrate::upgrade(ctx, "head", options);
    // up.from_heads, up.to_heads, up.revisions_run, up.statements (the ops' SQL)

    models.table("user").column("about_me", strata::String(140));     // the models grow (a new build)
    strata::migrate::CheckResult state = strata::migrate::check(ctx);
    // state.at_head(), state.differences == {"add_column user.about_me"}, state.up_to_date()
    strata::migrate::AutogenerateResult rev = strata::migrate::autogenerate(ctx, {.message = "add about_me"});
    // rev.revision, rev.file (versions/<id>_add_about_me.yaml), rev.changes; empty revision: no changes
    strata::migrate::upgrade(ctx);                                           // to head
    strata::migrate::downgrade(ctx, "-1");                                   // one revision down

    EXPECT_EQ(up.to_heads, std::vector<std::string>{initial});
    EXPECT_EQ(log, std::vector<std::string>{"Running upgrade base -> " + initial + ", initial"});
    EXPECT_TRUE(state.at_head());
    EXPECT_EQ(state.differences, std::vector<std::string>{"add_column user.about_me"});
    EXPECT_EQ(rev.changes, state.differences);
    EXPECT_TRUE(std::filesystem::exists(rev.file));
    EXPECT_EQ(strata::migrate::check(ctx).current, std::vector<std::string>{initial});
}

}  // namespace
}  // namespace docs_examples
