// Session: add / get / identity map / flush / commit / rollback / expunge / refresh.
#include "orm_models.hpp"

namespace orm_test {
namespace {

class OrmSession : public OrmTest {};

TEST_P(OrmSession, AddCommitWritesBackAutoincrementKeys) {
    auto s = session();
    auto john = s.add(User{.nickname = "john", .email = "john@email.com"});
    auto susan = s.add(User{.nickname = "susan", .email = "susan@email.com"});
    EXPECT_EQ(john->id, 0);
    s.commit();
    EXPECT_EQ(john->id, 1);
    EXPECT_EQ(susan->id, 2);
    EXPECT_EQ(count_rows("user"), 2);
    EXPECT_EQ(strata::repr(s.query<User>().order_by(&User::id).all()), "[<User john>, <User susan>]");
}

TEST_P(OrmSession, IdentityMapGivesTheSameObject) {
    {
        auto s = session();
        s.add(User{.nickname = "john", .email = "j@x"});
        s.commit();
    }
    auto s = session();
    auto a = s.get<User>(1);
    auto b = s.get<User>(1);
    ASSERT_TRUE(a);
    EXPECT_EQ(a.get(), b.get());
    auto all = s.query<User>().all();
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].get(), a.get());
    take_log();
    auto c = s.get<User>(1);  // from the identity map: no statement
    EXPECT_TRUE(take_log().empty());
    EXPECT_FALSE(s.get<User>(42));
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Backends, OrmSession,
                         ::testing::Values(strata::testing::Backend::SQLite, strata::testing::Backend::PostgreSQL),
                         strata::testing::backend_name);

}  // namespace orm_test
