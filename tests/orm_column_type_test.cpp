// Custom column types through strata::column_type<T>: an enum class stored as
// its name, a strong id type as an autoincrement key and as a foreign key, and
// a strong string type, on every backend; read, written, compared in where(),
// change-tracked exactly, and seen by autogenerate as the right column type.
#include "migrate/revision_file.hpp"
#include "migrate_support.hpp"
#include "model_test.hpp"
#include "strata/strata.hpp"

namespace column_type_test {

enum class Role { admin, member, guest };

struct AccountId {
    std::int64_t value = 0;
    friend bool operator==(AccountId, AccountId) = default;
};

struct Email {
    std::string text;
    friend bool operator==(const Email&, const Email&) = default;
};

}  // namespace column_type_test

template <>
struct strata::column_type<column_type_test::Role> : strata::enum_column<column_type_test::Role> {
    static constexpr std::pair<column_type_test::Role, std::string_view> names[] = {
        {column_type_test::Role::admin, "admin"},
        {column_type_test::Role::member, "member"},
        {column_type_test::Role::guest, "guest"}};
};

template <>
struct strata::column_type<column_type_test::AccountId> {
    using stored = std::int64_t;
    static SqlType sql_type() { return Integer(); }
    static std::int64_t to_stored(column_type_test::AccountId id) { return id.value; }
    static column_type_test::AccountId from_stored(std::int64_t v) { return {v}; }
};

template <>
struct strata::column_type<column_type_test::Email> {
    using stored = std::string;
    static SqlType sql_type() { return String(120); }
    static std::string to_stored(const column_type_test::Email& e) { return e.text; }
    static column_type_test::Email from_stored(std::string text) { return {std::move(text)}; }
};

namespace column_type_test {
namespace {

using strata::testing::expect_throw;

struct Account {
    AccountId id{};
    Email email{};
    Role role = Role::member;
    std::optional<Role> previous_role{};
    std::optional<AccountId> invited_by{};
};

void map_accounts(strata::Registry& r) {
    r.model<Account>("account")
        .column(&Account::id, "id", strata::primary_key())
        .column(&Account::email, "email", strata::unique())
        .column(&Account::role, "role")
        .column(&Account::previous_role, "previous_role", strata::Enum({"admin", "member", "guest"}, "role"))
        .column(&Account::invited_by, "invited_by", strata::foreign_key("account.id"));
}

class ColumnType : public strata::testing::ModelTest {
protected:
    void map(strata::Registry& r) override { map_accounts(r); }
    // One column of the account row, as text, read without the ORM.
    std::string stored(const std::string& column, std::int64_t id) {
        auto conn = db->connect();
        auto st = conn->prepare("SELECT " + column + " FROM account WHERE id = " + std::to_string(id));
        EXPECT_TRUE(st->step());
        return st->is_null(0) ? "NULL" : std::string(st->get_text(0));
    }
};

TEST_P(ColumnType, ValuesRoundTripThroughTheirStoredForm) {
    {
        auto s = session();
        auto ann = s.add(Account{.email = {"ann@x.org"}, .role = Role::admin});
        s.commit();
        EXPECT_EQ(ann->id, AccountId{1}) << "a strong id key is assigned by the database, as an integer one";
        s.add(Account{.email = {"bob@x.org"}, .role = Role::guest, .previous_role = Role::admin, .invited_by = ann->id});
        s.commit();
    }
    EXPECT_EQ(stored("role", 1), "admin") << "an enum is stored as its name";
    EXPECT_EQ(stored("previous_role", 1), "NULL");
    EXPECT_EQ(stored("previous_role", 2), "admin");
    EXPECT_EQ(stored("invited_by", 2), "1");
    EXPECT_EQ(stored("email", 2), "bob@x.org");

    auto s = session();
    auto bob = s.get<Account>(2);
    ASSERT_TRUE(bob);
    EXPECT_EQ(bob->email, Email{"bob@x.org"});
    EXPECT_EQ(bob->role, Role::guest);
    EXPECT_EQ(bob->previous_role, Role::admin);
    EXPECT_EQ(bob->invited_by, AccountId{1});
    EXPECT_EQ(s.get<Account>(1)->previous_role, std::nullopt);
}

TEST_P(ColumnType, WhereComparesWithTheStoredForm) {
    auto s = session();
    s.add(Account{.email = {"ann@x.org"}, .role = Role::admin});
    s.add(Account{.email = {"bob@x.org"}, .role = Role::guest});
    s.add(Account{.email = {"cy@x.org"}, .role = Role::member});
    s.commit();
    EXPECT_EQ(s.query<Account>().where(strata::col(&Account::role) == Role::guest).one()->email, Email{"bob@x.org"});
    EXPECT_EQ(s.query<Account>().where(strata::col(&Account::role).in_({Role::admin, Role::member})).count(), 2);
    EXPECT_EQ(s.query<Account>().where(strata::col(&Account::email) == Email{"cy@x.org"}).one()->id, AccountId{3});
    EXPECT_EQ(s.query<Account>().where(strata::col(&Account::id) > AccountId{1}).count(), 2);
}

// Change detection compares the stored forms exactly: a member set to what
// it holds writes nothing, a changed one writes that column only.
TEST_P(ColumnType, ChangesAreDetectedThroughTheStoredForm) {
    {
        auto s = session();
        s.add(Account{.email = {"ann@x.org"}, .role = Role::admin});
        s.commit();
    }
    auto s = session();
    std::vector<std::string> log;
    s.on_statement([&](const std::string& sql) { log.push_back(sql); });
    auto ann = s.get<Account>(1);
    log.clear();
    ann->role = Role::admin;
    ann->email = Email{"ann@x.org"};
    ann->previous_role = std::nullopt;
    s.flush();
    EXPECT_TRUE(log.empty()) << log.front();

    ann->role = Role::guest;
    ann->previous_role = Role::admin;
    s.flush();
    ASSERT_EQ(log.size(), 1u);
    EXPECT_NE(log[0].find("\"role\" = "), std::string::npos) << log[0];
    EXPECT_NE(log[0].find("\"previous_role\" = "), std::string::npos) << log[0];
    EXPECT_EQ(log[0].find("email"), std::string::npos) << log[0];
    s.commit();
    EXPECT_EQ(stored("role", 1), "guest");
    EXPECT_EQ(stored("previous_role", 1), "admin");

    // Longer than a saved word holds inline: compared as a saved copy.
    ann->email = Email{"ann.longer-address@example.org"};
    s.commit();
    ASSERT_EQ(ann->email, Email{"ann.longer-address@example.org"});  // reloaded after the commit
    log.clear();
    ann->email = Email{"ann.longer-address@example.org"};
    s.flush();
    EXPECT_TRUE(log.empty()) << log.front();
    ann->email = Email{"ann.longer-address@example.com"};
    s.flush();
    EXPECT_EQ(log.size(), 1u) << "one byte differs";
    s.commit();
    EXPECT_EQ(stored("email", 1), "ann.longer-address@example.com");
}

// An enum value without a name cannot be stored: a clear error naming the
// enum type, and the database as it was.
TEST_P(ColumnType, EnumValueWithoutANameIsRefused) {
    auto s = session();
    s.add(Account{.email = {"ann@x.org"}, .role = static_cast<Role>(7)});
    auto e = expect_throw<strata::Error>([&] { s.commit(); });
    EXPECT_NE(std::string(e.what()).find("column_type_test::Role value 7 has no name"), std::string::npos) << e.what();
    s.rollback();
    auto conn = db->connect();
    auto st = conn->prepare("SELECT count(*) FROM account");
    st->step();
    EXPECT_EQ(st->get_int64(0), 0);
}

// The column types a program's types map to are what autogenerate writes and
// then finds in the database: no change after the upgrade.
class ColumnTypeMigrations : public strata::testing::MigrateTest {};

TEST_P(ColumnTypeMigrations, AutogenerateSeesTheMappedColumnTypes) {
    strata::Registry registry;
    map_accounts(registry);
    models = registry.metadata();
    auto r = run_db({"migrate", "-m", "accounts"});
    ASSERT_EQ(r.code, 0) << r.err;
    strata::migrate::ScriptDirectory scripts(repo());
    const std::string revision = strata::migrate::format_revision(scripts.get(scripts.heads()[0]));
    for (const char* type : {"type: Integer", "type: String(120)", "type: \"Enum(admin,member,guest)\""})
        EXPECT_NE(revision.find(type), std::string::npos) << type << " in\n" << revision;
    ASSERT_EQ(run_db({"upgrade"}).code, 0);

    auto check = run_db({"check"});
    EXPECT_EQ(check.code, 0) << check.out << check.err;
    EXPECT_EQ(check.out, "No changes detected\n");
    const strata::MetaData live = strata::inspect(conn());
    const strata::Table* account = live.find("account");
    ASSERT_NE(account, nullptr);
    EXPECT_EQ(account->find_column("role")->type.kind, strata::TypeKind::Enum);
    EXPECT_EQ(account->find_column("role")->type.enum_values, (std::vector<std::string>{"admin", "member", "guest"}));
    EXPECT_TRUE(account->find_column("id")->type.is_integer());
    EXPECT_EQ(account->find_column("email")->type, strata::String(120));
}

STRATA_INSTANTIATE_BACKENDS(ColumnType);
STRATA_INSTANTIATE_BACKENDS(ColumnTypeMigrations);

}  // namespace
}  // namespace column_type_test
