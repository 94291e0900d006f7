// Code that must stay sound when an allocation fails: a binary of its own,
// because it replaces the global operator new[] to make one allocation fail
// on demand. (A request too large to allocate cannot stand in for it: under
// AddressSanitizer such a request aborts the process instead of throwing.)
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <new>

#include "orm/identity_map.hpp"

namespace {

// How many operator new[] calls from now the one that fails is (0: none).
int fail_countdown = 0;

}  // namespace

void* operator new[](std::size_t size) {
    if (fail_countdown > 0 && --fail_countdown == 0) throw std::bad_alloc();
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

using strata::detail::IntKeyMap;
using strata::detail::RecordBase;

RecordBase* fake(std::int64_t n) { return reinterpret_cast<RecordBase*>(static_cast<std::uintptr_t>(n) * 16 + 16); }

// A growth whose allocation fails leaves the map as it was: every key still
// found in the array it had (under ASan a freed one is a use-after-free), and
// the map still grows later. Both from the inline slots and from a heap array.
TEST(IntKeyMapFailedGrowth, LeavesTheMapAsItWas) {
    for (std::int64_t held : {std::int64_t{3}, std::int64_t{100}}) {
        IntKeyMap map;
        for (std::int64_t i = 1; i <= held; ++i) map.set(i, fake(i));
        fail_countdown = 1;
        EXPECT_THROW(map.reserve(static_cast<std::size_t>(held) * 10), std::bad_alloc);
        EXPECT_EQ(fail_countdown, 0) << "the growth did not allocate";
        ASSERT_EQ(map.size(), static_cast<std::size_t>(held));
        for (std::int64_t i = 1; i <= held; ++i) ASSERT_EQ(map.find(i), fake(i)) << i << " of " << held;
        EXPECT_EQ(map.find(held + 1), nullptr);
        // The same through set(), which grows as it enters a key.
        fail_countdown = 1;
        std::int64_t next = held + 1;
        while (fail_countdown != 0) {
            try {
                map.set(next, fake(next));
                ++next;
            } catch (const std::bad_alloc&) {
            }
        }
        ASSERT_EQ(map.find(next), nullptr);  // the failed set() entered nothing
        for (std::int64_t i = 1; i < next; ++i) ASSERT_EQ(map.find(i), fake(i));
        for (std::int64_t i = next; i <= 10 * held; ++i) map.set(i, fake(i));
        ASSERT_EQ(map.size(), static_cast<std::size_t>(10 * held));
        for (std::int64_t i = 1; i <= 10 * held; ++i) ASSERT_EQ(map.find(i), fake(i));
    }
}

}  // namespace
