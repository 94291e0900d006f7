// Small pieces of the migrate layer: what counts as data loss, file names,
// --rename arguments, inverses of hand-written ops.
#include <gtest/gtest.h>

#include "migrate/autogenerate.hpp"
#include "migrate/revision_file.hpp"
#include "support.hpp"

using namespace strata;
using namespace strata::migrate;
using strata::testing::expect_throw;

TEST(MigrateUnits, NarrowingTypeChanges) {
    EXPECT_TRUE(is_narrowing(String(100), String(10)));
    EXPECT_TRUE(is_narrowing(Text(), String(10)));
    EXPECT_TRUE(is_narrowing(BigInteger(), Integer()));
    EXPECT_TRUE(is_narrowing(Integer(), SmallInteger()));
    EXPECT_TRUE(is_narrowing(Float(), Integer()));
    EXPECT_TRUE(is_narrowing(String(20), Integer()));
    EXPECT_TRUE(is_narrowing(Numeric(10, 2), Numeric(8, 2)));
    EXPECT_TRUE(is_narrowing(Numeric(10, 2), Numeric(10, 1)));
    EXPECT_TRUE(is_narrowing(Enum({"a", "b"}), Enum({"a"})));
    EXPECT_TRUE(is_narrowing(Enum({"long-value"}), String(3)));

    EXPECT_FALSE(is_narrowing(String(10), String(100)));
    EXPECT_FALSE(is_narrowing(String(10), Text()));
    EXPECT_FALSE(is_narrowing(Integer(), BigInteger()));
    EXPECT_FALSE(is_narrowing(Integer(), Float()));
    EXPECT_FALSE(is_narrowing(Integer(), String(20)));
    EXPECT_FALSE(is_narrowing(Boolean(), Integer()));
    EXPECT_FALSE(is_narrowing(Enum({"a"}), Enum({"a", "b"})));
    EXPECT_FALSE(is_narrowing(Enum({"ab"}), String(2)));
    EXPECT_FALSE(is_narrowing(DateType(), DateTimeType()));
}

TEST(MigrateUnits, FileNamesAndIds) {
    EXPECT_EQ(slugify("Add about_me to User!"), "add_about_me_to_user");
    EXPECT_EQ(slugify("  --  "), "");
    EXPECT_EQ(slugify(std::string(100, 'x')).size(), 40u);
    std::string id = new_revision_id();
    EXPECT_EQ(id.size(), 12u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_NE(new_revision_id(), id);
    std::string ts = utc_timestamp();
    ASSERT_EQ(ts.size(), 20u);
    EXPECT_EQ(ts[10], 'T');
    EXPECT_EQ(ts.back(), 'Z');
}

TEST(MigrateUnits, RenameArguments) {
    Rename col = parse_rename("user.nick:nickname");
    EXPECT_EQ(col.table, "user");
    EXPECT_EQ(col.from, "nick");
    EXPECT_EQ(col.to, "nickname");
    Rename table = parse_rename("posts:articles");
    EXPECT_EQ(table.table, "");
    EXPECT_EQ(table.from, "posts");
    for (const char* bad : {"nocolon", ":x", "x:", ".a:b", "t.:b"}) {
        auto e = expect_throw<MigrationError>([&] { parse_rename(bad); });
        EXPECT_NE(std::string(e.what()).find("--rename '" + std::string(bad) + "'"), std::string::npos) << e.what();
    }
}

TEST(MigrateUnits, InverseOfDropColumnRestoresWhatWentWithIt) {
    MetaData md;
    md.table("t").column("id", Integer(), primary_key()).column("a", String(5), index()).column("b", Integer());
    md.table("t").unique_constraint("", {"a", "b"});
    auto ops = inverse(DropColumn{"t", "a"}, md);
    ASSERT_EQ(ops.size(), 3u);
    EXPECT_EQ(describe(ops[0]), "add_column t.a");
    EXPECT_EQ(describe(ops[1]), "create_index ix_t_a on t");
    EXPECT_EQ(describe(ops[2]), "create_unique_constraint uq_t_a_b on t");
    MetaData state = md;
    apply(DropColumn{"t", "a"}, state);
    for (const auto& op : ops) apply(op, state);
    EXPECT_TRUE(compare_schema(md, state).empty());
    auto e = expect_throw<MigrationError>([&] { inverse(Execute{"DELETE FROM t", {}}, md); });
    EXPECT_NE(std::string(e.what()).find("raw SQL has no automatic inverse"), std::string::npos);
}

TEST(MigrateUnits, ApplyRefusesOpsThatDoNotFit) {
    MetaData md;
    md.table("t").column("id", Integer(), primary_key()).column("b", Integer());
    auto what = [&](const Operation& op) {
        return std::string(expect_throw<MigrationError>([&] { apply(op, md); }).what());
    };
    EXPECT_EQ(what(DropTable{"nope"}), "drop_table: table 'nope' does not exist");
    EXPECT_EQ(what(CreateTable{Table("t")}), "create_table: table 't' already exists");
    EXPECT_EQ(what(DropColumn{"t", "x"}), "drop_column: table 't' has no column 'x'");
    EXPECT_EQ(what(CreateIndex{"t", Index{"ix", {"x"}, false}}), "create_index: table 't' has no column 'x'");
    EXPECT_EQ(what(DropConstraint{"t", "ck"}), "drop_constraint: table 't' has no constraint 'ck'");
    EXPECT_EQ(what(AlterColumn{"t", "id", {}, {}, {}, "b"}), "alter_column: table 't' already has a column 'b'");
    EXPECT_EQ(what(AddColumn{"t", *md.find("t")->find_column("b")}), "add_column: table 't' already has a column 'b'");
}
