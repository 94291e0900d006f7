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

// A list of 64 KiB or more is kept when the store no longer needs it (when
// the list grows, and when the store ends), and taken again by a store whose
// list grows to that size: freeing it right after the records it listed
// would make malloc merge every small chunk those records freed.
TEST(StoreMemory, KeepsLargeRecordListsForLaterStores) {
    strata::release_session_memory();
    {
        auto store = Store::make();
        fill(*store, 9000);  // its list grows 4,096 -> 8,192 (64 KiB, kept) -> 16,384 entries
        ASSERT_EQ(store->records().size(), 9000u);
        EXPECT_EQ(static_cast<const Record<int>*>(store->records()[8999])->value, 8999);
    }
    // Both lists are kept: this store takes them as its list grows to them,
    // and gives back the 8,192-entry one when it outgrows it.
    auto store = Store::make();
    fill(*store, 9000);
    EXPECT_EQ(static_cast<const Record<int>*>(store->records()[8191])->value, 8191);
    EXPECT_EQ(strata::release_session_memory(), 8192 * kListBytes)
        << "the kept 16,384-entry list is in use: only the smaller one is kept";
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
