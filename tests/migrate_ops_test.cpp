// Every migration op, up and down, on every backend: the schema after the
// upgrade is what replaying the revision files says it is, the downgrade
// restores the schema exactly, and rows survive (SQLite batch rebuilds included).
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "migrate_support.hpp"

using namespace strata;
using namespace strata::migrate;
using strata::testing::differences;
using strata::testing::expect_throw;

namespace {

const char* kBaseUp = R"(  - create_table:
      table: user
      columns:
        - {name: id, type: Integer, primary_key: true, autoincrement: true}
        - {name: name, type: String(50), nullable: false}
        - {name: note, type: String(100)}
  - create_index: {table: user, name: ix_user_name, columns: [name]}
  - create_table:
      table: post
      columns:
        - {name: id, type: Integer, primary_key: true, autoincrement: true}
        - {name: body, type: Text}
        - {name: user_id, type: Integer}
      foreign_keys:
        - {name: fk_post_user_id_user, columns: [user_id], ref_table: user, ref_columns: [id], ondelete: CASCADE}
)";
const char* kBaseDown = R"(  - drop_table: post
  - drop_index: {table: user, name: ix_user_name}
  - drop_table: user
)";

class MigrateOps : public strata::testing::MigrateTest {
protected:
    void SetUp() override {
        MigrateTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        write_rev("base01", "null", kBaseUp, kBaseDown, "base");
        upgrade();
        conn().execute("INSERT INTO \"user\" (id, name, note) VALUES (1, 'ann', 'a'), (2, 'bob', NULL)");
        conn().execute("INSERT INTO post (id, body, user_id) VALUES (1, 'hello', 1), (2, 'world', 2), (3, 'again', 1)");
    }

    std::vector<std::string> users(const std::string& table = "user") {
        return rows("SELECT id, name FROM \"" + table + "\" ORDER BY id");
    }
    std::vector<std::string> posts() { return rows("SELECT id, body, user_id FROM post ORDER BY id"); }

    // Upgrades to a revision holding `up`, runs `check`, downgrades, and
    // verifies the schema and the kept rows are back as they were.
    void round_trip(const std::string& up, const std::string& down, const std::function<void()>& check,
                    bool posts_kept = true, const std::string& user_table_after = "user") {
        MetaData before = inspect(conn());
        auto user_rows = users();
        auto post_rows = posts();
        write_rev("op0001", "base01", up, down);
        upgrade();
        ScriptDirectory s(repo());
        EXPECT_EQ(differences(schema_at(s, {"op0001"}, conn().dialect()), inspect(conn())), "")
            << "the database after the upgrade differs from the replayed revision files";
        check();
        EXPECT_EQ(users(user_table_after), user_rows) << "user rows changed by the upgrade";
        downgrade("base01");
        EXPECT_EQ(current(), std::vector<std::string>{"base01"});
        EXPECT_EQ(differences(before, inspect(conn())), "") << "downgrade did not restore the schema";
        EXPECT_EQ(users(), user_rows);
        if (posts_kept) {
            EXPECT_EQ(posts(), post_rows);
        }
    }
};

TEST_P(MigrateOps, AddNullableColumn) {
    round_trip("  - add_column: {table: user, column: {name: about, type: String(140)}}\n",
               "  - drop_column: {table: user, column: about}\n",
               [&] { EXPECT_EQ(rows("SELECT count(*) FROM \"user\" WHERE about IS NULL"), std::vector<std::string>{"2"}); });
}

TEST_P(MigrateOps, AddNotNullColumnWithServerDefault) {
    round_trip("  - add_column: {table: user, column: {name: score, type: Integer, nullable: false, server_default: '0'}}\n",
               "  - drop_column: {table: user, column: score}\n",
               [&] { EXPECT_EQ(rows("SELECT score FROM \"user\" ORDER BY id"), (std::vector<std::string>{"0", "0"})); });
}

TEST_P(MigrateOps, AddEnumColumn) {
    round_trip("  - add_column: {table: user, column: {name: mood, type: 'Enum(happy,sad)', server_default: \"'happy'\"}}\n",
               "  - drop_column: {table: user, column: mood}\n", [&] {
                   EXPECT_EQ(rows("SELECT mood FROM \"user\" ORDER BY id"), (std::vector<std::string>{"happy", "happy"}));
                   // SQLite: a CHECK (IntegrityError); PostgreSQL: the ENUM type refuses the value.
                   expect_throw<DatabaseError>([&] { conn().execute("UPDATE \"user\" SET mood = 'angry'"); });
               });
}

TEST_P(MigrateOps, DropPlainColumn) {
    round_trip("  - drop_column: {table: user, column: note}\n",
               "  - add_column: {table: user, column: {name: note, type: String(100)}}\n",
               [&] { EXPECT_EQ(columns_of("user"), (std::vector<std::string>{"id", "name"})); });
}

TEST_P(MigrateOps, DropColumnWithForeignKey) {
    round_trip("  - drop_column: {table: post, column: user_id}\n",
               "  - add_column: {table: post, column: {name: user_id, type: Integer}}\n"
               "  - create_foreign_key: {table: post, name: fk_post_user_id_user, columns: [user_id], ref_table: user,"
               " ref_columns: [id], ondelete: CASCADE}\n",
               [&] {
                   EXPECT_EQ(columns_of("post"), (std::vector<std::string>{"id", "body"}));
                   EXPECT_EQ(rows("SELECT id, body FROM post ORDER BY id"),
                             (std::vector<std::string>{"1|hello", "2|world", "3|again"}));
               },
               /*posts_kept=*/false);
}

TEST_P(MigrateOps, DropIndexedColumn) {
    round_trip("  - drop_index: {table: user, name: ix_user_name}\n  - drop_column: {table: user, column: note}\n",
               "  - add_column: {table: user, column: {name: note, type: String(100)}}\n"
               "  - create_index: {table: user, name: ix_user_name, columns: [name]}\n",
               [&] { EXPECT_TRUE(inspect(conn()).find("user")->indexes.empty()); });
}

TEST_P(MigrateOps, AlterColumnType) {
    round_trip("  - alter_column: {table: user, column: note, type: Text}\n",
               "  - alter_column: {table: user, column: note, type: String(100)}\n", [&] {
                   EXPECT_EQ(inspect(conn()).find("user")->find_column("note")->type, Text());
                   EXPECT_EQ(rows("SELECT note FROM \"user\" ORDER BY id"), (std::vector<std::string>{"a", "NULL"}));
               });
}

TEST_P(MigrateOps, AlterColumnNullability) {
    round_trip("  - alter_column: {table: user, column: name, nullable: true}\n",
               "  - alter_column: {table: user, column: name, nullable: false}\n", [&] {
                   EXPECT_TRUE(inspect(conn()).find("user")->find_column("name")->nullable);
                   conn().execute("INSERT INTO \"user\" (id, name) VALUES (3, NULL)");
                   conn().execute("DELETE FROM \"user\" WHERE id = 3");
               });
}

TEST_P(MigrateOps, AlterColumnServerDefault) {
    round_trip("  - alter_column: {table: user, column: note, server_default: \"'n/a'\"}\n",
               "  - alter_column: {table: user, column: note, server_default: null}\n", [&] {
                   conn().execute("INSERT INTO \"user\" (id, name) VALUES (3, 'cat')");
                   EXPECT_EQ(rows("SELECT note FROM \"user\" WHERE id = 3"), std::vector<std::string>{"n/a"});
                   conn().execute("DELETE FROM \"user\" WHERE id = 3");
               });
}

TEST_P(MigrateOps, AlterColumnRename) {
    round_trip("  - alter_column: {table: user, column: note, new_name: remark}\n",
               "  - alter_column: {table: user, column: remark, new_name: note}\n", [&] {
                   EXPECT_EQ(rows("SELECT remark FROM \"user\" ORDER BY id"), (std::vector<std::string>{"a", "NULL"}));
               });
}

TEST_P(MigrateOps, RenameColumnUsedByACheckAndAnIndex) {
    round_trip("  - create_check_constraint: {table: user, name: ck_user_note, sqltext: note <> 'root'}\n"
               "  - create_index: {table: user, name: ix_user_note, columns: [note]}\n"
               "  - alter_column: {table: user, column: note, new_name: remark}\n",
               "  - alter_column: {table: user, column: remark, new_name: note}\n"
               "  - drop_index: {table: user, name: ix_user_note}\n"
               "  - drop_constraint: {table: user, name: ck_user_note}\n",
               [&] {
                   EXPECT_EQ(rows("SELECT remark FROM \"user\" ORDER BY id"), (std::vector<std::string>{"a", "NULL"}));
                   MetaData md = inspect(conn());
                   const auto& indexes = md.find("user")->indexes;
                   auto ix = std::find_if(indexes.begin(), indexes.end(),
                                          [](const Index& i) { return i.name == "ix_user_note"; });
                   ASSERT_NE(ix, indexes.end());
                   EXPECT_EQ(ix->columns, std::vector<std::string>{"remark"});
                   expect_throw<IntegrityError>(
                       [&] { conn().execute("INSERT INTO \"user\" (id, name, remark) VALUES (3, 'x', 'root')"); });
               });
}

TEST_P(MigrateOps, AlterColumnRenameOfEnum) {
    round_trip("  - add_column: {table: user, column: {name: mood, type: 'Enum(happy,sad)'}}\n"
               "  - alter_column: {table: user, column: mood, new_name: feeling}\n",
               "  - alter_column: {table: user, column: feeling, new_name: mood}\n"
               "  - drop_column: {table: user, column: mood}\n",
               [&] {
                   conn().execute("UPDATE \"user\" SET feeling = 'sad'");
                   expect_throw<DatabaseError>([&] { conn().execute("UPDATE \"user\" SET feeling = 'angry'"); });
               });
}

TEST_P(MigrateOps, AlterReferencedColumnKeepsChildRows) {
    // Rebuilding `user` on SQLite drops and recreates it: the ON DELETE CASCADE
    // of post must not fire, and the foreign key must still hold afterwards.
    round_trip("  - alter_column: {table: user, column: name, type: String(80)}\n",
               "  - alter_column: {table: user, column: name, type: String(50)}\n", [&] {
                   EXPECT_EQ(posts(), (std::vector<std::string>{"1|hello|1", "2|world|2", "3|again|1"}));
                   expect_throw<IntegrityError>(
                       [&] { conn().execute("INSERT INTO post (id, body, user_id) VALUES (9, 'x', 99)"); });
               });
}

TEST_P(MigrateOps, RenameTableFollowsForeignKeys) {
    round_trip("  - rename_table: {table: user, new_name: member}\n",
               "  - rename_table: {table: member, new_name: user}\n", [&] {
                   MetaData md = inspect(conn());
                   ASSERT_TRUE(md.find("member"));
                   EXPECT_FALSE(md.find("user"));
                   EXPECT_EQ(md.find("post")->foreign_keys.at(0).ref_table, "member");
               },
               /*posts_kept=*/true, /*user_table_after=*/"member");
}

TEST_P(MigrateOps, CreateAndDropIndex) {
    round_trip("  - drop_index: {table: user, name: ix_user_name}\n"
               "  - create_index: {table: user, name: ix_user_name_note, columns: [name, note], unique: true}\n",
               "  - drop_index: {table: user, name: ix_user_name_note}\n"
               "  - create_index: {table: user, name: ix_user_name, columns: [name]}\n",
               [&] {
                   MetaData md = inspect(conn());
                   const auto& ix = md.find("user")->indexes;
                   ASSERT_EQ(ix.size(), 1u);
                   EXPECT_EQ(ix[0], (Index{"ix_user_name_note", {"name", "note"}, true}));
               });
}

TEST_P(MigrateOps, CreateUniqueConstraintIsEnforced) {
    round_trip("  - create_unique_constraint: {table: user, name: uq_user_name, columns: [name]}\n",
               "  - drop_constraint: {table: user, name: uq_user_name}\n", [&] {
                   expect_throw<IntegrityError>([&] { conn().execute("INSERT INTO \"user\" (id, name) VALUES (3, 'ann')"); });
               });
}

TEST_P(MigrateOps, CreateCheckConstraintIsEnforced) {
    round_trip("  - create_check_constraint: {table: user, name: ck_user_name_len, sqltext: length(name) > 0}\n",
               "  - drop_constraint: {table: user, name: ck_user_name_len}\n", [&] {
                   expect_throw<IntegrityError>([&] { conn().execute("INSERT INTO \"user\" (id, name) VALUES (3, '')"); });
               });
}

TEST_P(MigrateOps, ReplaceForeignKey) {
    round_trip("  - drop_constraint: {table: post, name: fk_post_user_id_user}\n"
               "  - create_foreign_key: {table: post, name: fk_post_author, columns: [user_id], ref_table: user,"
               " ref_columns: [id], ondelete: SET NULL}\n",
               "  - drop_constraint: {table: post, name: fk_post_author}\n"
               "  - create_foreign_key: {table: post, name: fk_post_user_id_user, columns: [user_id], ref_table: user,"
               " ref_columns: [id], ondelete: CASCADE}\n",
               [&] {
                   auto fks = inspect(conn()).find("post")->foreign_keys;
                   ASSERT_EQ(fks.size(), 1u);
                   EXPECT_EQ(fks[0].name, "fk_post_author");
                   EXPECT_EQ(fks[0].ondelete, "SET NULL");
                   expect_throw<IntegrityError>(
                       [&] { conn().execute("INSERT INTO post (id, body, user_id) VALUES (9, 'x', 99)"); });
               });
}

TEST_P(MigrateOps, CreateAndDropTable) {
    round_trip("  - create_table:\n      table: tag\n      columns:\n"
               "        - {name: id, type: Integer, primary_key: true}\n"
               "        - {name: label, type: 'Enum(red,green)', nullable: false}\n"
               "      unique_constraints: [{name: uq_tag_label, columns: [label]}]\n"
               "      check_constraints: [{name: ck_tag_id, sqltext: id > 0}]\n"
               "  - drop_table: post\n",
               "  - create_table:\n      table: post\n      columns:\n"
               "        - {name: id, type: Integer, primary_key: true, autoincrement: true}\n"
               "        - {name: body, type: Text}\n"
               "        - {name: user_id, type: Integer}\n"
               "      foreign_keys:\n"
               "        - {name: fk_post_user_id_user, columns: [user_id], ref_table: user, ref_columns: [id],"
               " ondelete: CASCADE}\n"
               "  - drop_table: tag\n",
               [&] {
                   MetaData md = inspect(conn());
                   EXPECT_FALSE(md.find("post"));
                   ASSERT_TRUE(md.find("tag"));
                   conn().execute("INSERT INTO tag (id, label) VALUES (1, 'red')");
               },
               /*posts_kept=*/false);
}

TEST_P(MigrateOps, ExecutePerDialect) {
    round_trip("  - execute:\n      sql: UPDATE \"user\" SET note = 'any'\n"
               "      sqlite: UPDATE \"user\" SET note = 'sqlite' WHERE id = 2\n"
               "      postgresql: UPDATE \"user\" SET note = 'postgresql' WHERE id = 2\n",
               "  - execute: {sql: UPDATE \"user\" SET note = NULL WHERE id = 2}\n", [&] {
                   EXPECT_EQ(rows("SELECT note FROM \"user\" WHERE id = 2"),
                             std::vector<std::string>{is_sqlite() ? "sqlite" : "postgresql"});
               });
}

TEST_P(MigrateOps, ConsecutiveRebuildsOfOneTableCopyRowsOnce) {
    const std::string up = "  - alter_column: {table: user, column: note, type: Text, new_name: remark}\n"
                           "  - create_check_constraint: {table: user, name: ck_user_remark, sqltext: remark <> 'x'}\n"
                           "  - add_column: {table: user, column: {name: mood, type: 'Enum(happy,sad)', server_default: \"'happy'\"}}\n";
    const std::string down = "  - drop_column: {table: user, column: mood}\n"
                             "  - drop_constraint: {table: user, name: ck_user_remark}\n"
                             "  - alter_column: {table: user, column: remark, type: String(100), new_name: note}\n";
    round_trip(up, down, [&] {
        EXPECT_EQ(rows("SELECT remark, mood FROM \"user\" ORDER BY id"), (std::vector<std::string>{"a|happy", "NULL|happy"}));
        expect_throw<IntegrityError>([&] { conn().execute("UPDATE \"user\" SET remark = 'x'"); });
    });
    ScriptDirectory s(repo());
    for (const auto& script : {offline_upgrade(s, sqlite_dialect(), "base01:op0001").text,
                               offline_downgrade(s, sqlite_dialect(), "op0001:base01").text}) {
        std::size_t rebuilds = 0;
        for (auto at = script.find("CREATE TABLE \"_strata_tmp_user\""); at != std::string::npos;
             at = script.find("CREATE TABLE \"_strata_tmp_user\"", at + 1))
            ++rebuilds;
        EXPECT_EQ(rebuilds, 1u) << script;
    }
}

TEST_P(MigrateOps, FailingRebuildGroupNamesItsOps) {
    write_rev("op0001", "base01",
              "  - alter_column: {table: user, column: note, type: Text}\n"
              "  - alter_column: {table: user, column: note, nullable: false}\n",
              "");
    std::string what = expect_throw<MigrationError>([&] { upgrade(); }).what();
    const std::string ops = is_sqlite() ? "upgrade ops 1-2 (one table rebuild: `alter_column user.note`, `alter_column user.note`)"
                                        : "upgrade op 2 `alter_column user.note`";
    EXPECT_NE(what.find(ops + " failed: "), std::string::npos) << what;
    EXPECT_EQ(current(), std::vector<std::string>{"base01"});
    EXPECT_EQ(rows("SELECT note FROM \"user\" ORDER BY id"), (std::vector<std::string>{"a", "NULL"}));
}

TEST(MigrateBatch, DroppedThenAddedColumnIsNotCopied) {
    MetaData md;
    md.table("t").column("id", Integer(), primary_key()).column("note", String(5), index());
    Column note;
    note.name = "note";
    note.type = Enum({"x", "y"});
    Operation drop = DropColumn{"t", "note"}, add = AddColumn{"t", note};
    MetaData after_drop = md;
    migrate::apply(drop, after_drop);
    ASSERT_EQ(batch_table(drop, sqlite_dialect(), md), "t");
    ASSERT_EQ(batch_table(add, sqlite_dialect(), after_drop), "t");
    auto sql = render_batch({&drop, &add}, sqlite_dialect(), md);
    EXPECT_NE(std::find(sql.begin(), sql.end(), "INSERT INTO \"_strata_tmp_t\" (\"id\") SELECT \"id\" FROM \"t\""), sql.end())
        << "the new note holds none of the old note's values";
    EXPECT_FALSE(batch_table(drop, dialect_named("postgresql"), md).has_value()) << "PostgreSQL alters in place";
}

TEST_P(MigrateOps, ForeignKeyViolationRollsBack) {
    // A new foreign key that existing rows break: refused, nothing applied.
    conn().execute("INSERT INTO \"user\" (id, name) VALUES (5, 'eve')");
    write_rev("op0001", "base01",
              "  - add_column: {table: user, column: {name: boss, type: Integer}}\n"
              "  - execute: {sql: UPDATE \"user\" SET boss = 77 WHERE id = 5}\n"
              "  - create_foreign_key: {table: user, name: fk_user_boss_user, columns: [boss], ref_table: user,"
              " ref_columns: [id]}\n",
              "  - drop_column: {table: user, column: boss}\n");
    MetaData before = inspect(conn());
    auto err = expect_throw<MigrationError>([&] { upgrade(); });
    std::string what = err.what();
    EXPECT_NE(what.find("op0001_test.yaml"), std::string::npos) << what;
    EXPECT_NE(what.find("still at base01"), std::string::npos) << what;
    EXPECT_EQ(current(), std::vector<std::string>{"base01"});
    EXPECT_EQ(differences(before, inspect(conn())), "");
}

STRATA_INSTANTIATE_BACKENDS(MigrateOps);

}  // namespace
