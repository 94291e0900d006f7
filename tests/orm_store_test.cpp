// Store, the memory a session's objects live in: what it keeps for later
// sessions when it ends (see MemoryCache in src/orm/store.cpp).
#include <gtest/gtest.h>

#include <memory>

#include "orm/orm_internal.hpp"
#include "strata/session.hpp"

namespace {

using strata::detail::Record;
using strata::detail::RecordBase;
using strata::detail::Store;

constexpr std::size_t kListBytes = sizeof(RecordBase*);

// n heap records (adopted, not built in the store's blocks: the store takes
// no block, so only its lists reach the cache).
void fill(Store& store, int n) {
    for (int i = 0; i < n; ++i) store.adopt(std::make_unique<Record<int>>(i));
}

// An ended store's list of 64 KiB or more is kept, and taken again by a
// store whose list grows to its size: freed right after the records it
// listed, it would make malloc merge every small chunk those records freed.
// A list outgrown while the store lives is freed (kept, it would add to the
// store's peak memory).
TEST(StoreMemory, KeepsTheLargeRecordListOfAnEndedStore) {
    strata::release_session_memory();
    {
        auto store = Store::make();
        fill(*store, 9000);  // its list grows 4,096 -> 8,192 (64 KiB) -> 16,384 entries (128 KiB)
        ASSERT_EQ(store->records().size(), 9000u);
        EXPECT_EQ(static_cast<const Record<int>*>(store->records()[8999])->value, 8999);
        EXPECT_EQ(strata::release_session_memory(), 0u) << "the outgrown 8,192-entry list is freed, not kept";
    }
    auto store = Store::make();
    fill(*store, 9000);
    EXPECT_EQ(static_cast<const Record<int>*>(store->records()[8191])->value, 8191);
    EXPECT_EQ(strata::release_session_memory(), 0u) << "this store took the kept 16,384-entry list";
    store.reset();
    EXPECT_EQ(strata::release_session_memory(), 16384 * kListBytes);
    EXPECT_EQ(strata::release_session_memory(), 0u);
}

// A small list is freed, not kept: a session per request keeps nothing.
TEST(StoreMemory, FreesSmallRecordLists) {
    strata::release_session_memory();
    {
        auto store = Store::make();
        fill(*store, 4000);  // 4,096 entries: 32 KiB
    }
    EXPECT_EQ(strata::release_session_memory(), 0u);
}

}  // namespace
