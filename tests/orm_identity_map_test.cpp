// IntKeyMap, the identity map's table for integer keys, against std::unordered_map;
// the saved copies dirty tracking compares; ItemList, a collection's items,
// against std::vector.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "orm/identity_map.hpp"
#include "orm/orm_internal.hpp"
#include "strata/registry.hpp"

namespace {

using strata::detail::IntKeyMap;
using strata::detail::ItemList;
using strata::detail::RecordBase;

RecordBase* fake(std::int64_t n) { return reinterpret_cast<RecordBase*>(static_cast<std::uintptr_t>(n) * 16 + 16); }

TEST(IntKeyMap, FindsWhatWasSetAndForgetsWhatWasErased) {
    IntKeyMap map;
    EXPECT_EQ(map.find(1), nullptr);
    map.set(1, fake(1));
    map.set(-7, fake(2));
    map.set(0, fake(3));
    EXPECT_EQ(map.find(1), fake(1));
    EXPECT_EQ(map.find(-7), fake(2));
    EXPECT_EQ(map.find(0), fake(3));
    EXPECT_EQ(map.size(), 3u);
    map.set(1, fake(4));  // replaces
    EXPECT_EQ(map.find(1), fake(4));
    EXPECT_EQ(map.size(), 3u);
    map.erase(1, fake(1));  // maps to another record: kept
    EXPECT_EQ(map.find(1), fake(4));
    map.erase(1, fake(4));
    EXPECT_EQ(map.find(1), nullptr);
    EXPECT_EQ(map.size(), 2u);
    map.clear();
    EXPECT_EQ(map.find(-7), nullptr);
    EXPECT_EQ(map.size(), 0u);
}

// Random sets and erases (dense and sparse keys, so probe runs collide and
// wrap around the table) agree with std::unordered_map after every step.
TEST(IntKeyMap, AgreesWithUnorderedMapUnderRandomSetsAndErases) {
    for (std::int64_t range : {std::int64_t{40}, std::int64_t{5000}, std::int64_t{1'000'000'000'000}}) {
        std::mt19937_64 rng(static_cast<std::uint64_t>(range));
        IntKeyMap map;
        std::unordered_map<std::int64_t, RecordBase*> expected;
        for (int step = 0; step < 20000; ++step) {
            std::int64_t key = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(range)) - range / 2;
            if (rng() % 3 == 0) {
                auto it = expected.find(key);
                if (it != expected.end()) {
                    map.erase(key, it->second);
                    expected.erase(it);
                }
            } else {
                map.set(key, fake(step + 1));
                expected[key] = fake(step + 1);
            }
            ASSERT_EQ(map.size(), expected.size());
            ASSERT_EQ(map.find(key), expected.count(key) ? expected[key] : nullptr);
        }
        for (std::int64_t k = -range / 2; k < -range / 2 + 100; ++k)
            EXPECT_EQ(map.find(k), expected.count(k) ? expected[k] : nullptr);
        for (auto& [k, v] : expected) EXPECT_EQ(map.find(k), v);
    }
}

// The keys tables actually have: ascending runs (autoincrement) starting
// anywhere, strides (of 8, of the table size), and the extremes of int64.
// Each is found after the map grew through the inline slots to 2^18 slots,
// and no key sits far from its home slot (a placement that keeps windows of
// keys in order piled them onto each other: runs of thousands of slots, a
// 100,000-row flush took seconds).
TEST(IntKeyMap, AscendingStridedAndExtremeKeys) {
    const std::int64_t cases[][2] = {{1, 1},       {1'000'000, 1}, {std::int64_t{1} << 40, 1}, {0, 8},
                                     {0, 1 << 16}, {0, 1 << 18},   {7, 1000003}};
    for (const auto& start_stride : cases) {
        const std::int64_t start = start_stride[0], stride = start_stride[1];   // clang 14: no binding in a lambda
        IntKeyMap map;
        constexpr std::int64_t n = 200'000;
        auto key = [&](std::int64_t i) { return start + i * stride; };
        for (std::int64_t i = 1; i <= n; ++i) map.set(key(i), fake(i));
        map.set(INT64_MIN, fake(n + 1));
        map.set(INT64_MAX, fake(n + 2));
        ASSERT_EQ(map.size(), static_cast<std::size_t>(n + 2));
        for (std::int64_t i = 1; i <= n; ++i) ASSERT_EQ(map.find(key(i)), fake(i)) << "from " << start << " by " << stride;
        EXPECT_EQ(map.find(INT64_MIN), fake(n + 1));
        EXPECT_EQ(map.find(INT64_MAX), fake(n + 2));
        EXPECT_EQ(map.find(key(0)), nullptr);
        EXPECT_EQ(map.find(key(n + 1)), nullptr);
        EXPECT_LT(map.longest_probe(), 64u) << "from " << start << " by " << stride;
    }
}

}  // namespace

// Dirty tracking's saved copies of text: a copy holds exactly its bytes
// (both sides of the 7-byte inline limit, of the 8-byte words the
// comparison loads and of the 32 bytes past which it calls memcmp), every
// one-byte change and every length change is seen, and reloading reuses a
// long copy's room.
namespace {

TEST(SavedBytes, HoldExactlyTheirBytesAcrossTheInlineLimit) {
    using strata::detail::same_bytes;
    using strata::detail::save_bytes;
    auto store = strata::detail::Store::make();
    std::string base;
    for (int i = 0; i < 80; ++i) base.push_back(static_cast<char>('a' + i % 26));
    for (std::size_t n = 0; n <= base.size(); ++n) {
        const std::string v = base.substr(0, n);
        const std::uint64_t saved = save_bytes(*store, 0, v.data(), v.size());
        EXPECT_TRUE(same_bytes(saved, std::string(v).data(), n)) << n;
        for (std::size_t other = 0; other <= base.size(); ++other) {
            if (other == n) continue;
            EXPECT_FALSE(same_bytes(saved, base.data(), other)) << n << " vs length " << other;
        }
        for (std::size_t i = 0; i < n; ++i) {
            for (int flip : {1, 0x80, 0xff}) {
                std::string changed = v;
                changed[i] = static_cast<char>(changed[i] ^ flip);
                EXPECT_FALSE(same_bytes(saved, changed.data(), n)) << "length " << n << " byte " << i;
            }
        }
    }
    const std::string nul("\0", 1);
    EXPECT_FALSE(same_bytes(save_bytes(*store, 0, "", 0), nul.data(), 1)) << "a NUL byte is not nothing";
    EXPECT_FALSE(same_bytes(save_bytes(*store, 0, nul.data(), 1), "", 0));
}

// A saved copy either takes the room left in the store's current block or
// takes nothing (Store::try_bump): copies follow each other, the largest
// that fits still fits, and a failed try moves nothing. A copy the block
// cannot hold goes to a new block, which the next copies then fill.
TEST(SavedBytes, ACopyTakesTheCurrentBlocksRoomOrNothing) {
    auto store = strata::detail::Store::make();
    std::vector<std::pair<std::byte*, std::size_t>> taken;
    constexpr std::size_t kCopy = 100;
    while (std::byte* at = store->saved_bytes_if_room(kCopy)) {
        if (!taken.empty()) {
            EXPECT_EQ(at, taken.back().first + kCopy) << "copies follow each other";
        }
        taken.emplace_back(at, kCopy);
        ASSERT_LT(taken.size(), 100u) << "a block of the store never fills";
    }
    ASSERT_FALSE(taken.empty());
    EXPECT_EQ(store->saved_bytes_if_room(kCopy), nullptr) << "the failed try took nothing";
    // The room left is under kCopy: the largest copy that fits goes right
    // after the last one, and then not one byte more fits.
    std::size_t rest = kCopy - 1;
    std::byte* at = nullptr;
    for (; rest > 0 && !(at = store->saved_bytes_if_room(rest)); --rest) {
    }
    if (rest > 0) {
        EXPECT_EQ(at, taken.back().first + kCopy) << "the failed tries took nothing";
        taken.emplace_back(at, rest);
    }
    EXPECT_EQ(store->saved_bytes_if_room(1), nullptr) << "the block is full";
    // The first block is the one inside the store (Store::inline_block_,
    // 512 bytes): filled to its last byte, not one short of it.
    std::size_t filled = 0;
    for (const auto& copy : taken) filled += copy.second;
    EXPECT_EQ(filled, 512u);
    // A new block for a copy that does not fit; the next copies follow it,
    // each 4-aligned (a copy starts with its 4-byte length).
    std::byte* fresh = store->saved_bytes(kCopy);
    ASSERT_NE(fresh, nullptr);
    taken.emplace_back(fresh, kCopy);
    std::byte* odd = store->saved_bytes_if_room(3);
    EXPECT_EQ(odd, fresh + kCopy);
    taken.emplace_back(odd, 3);
    std::byte* aligned = store->saved_bytes_if_room(8);
    EXPECT_EQ(aligned, fresh + kCopy + 4) << "rounded up to 4";
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(aligned) % alignof(std::uint32_t), 0u);
    taken.emplace_back(aligned, 8);
    // No two copies share a byte: each keeps its own pattern.
    for (std::size_t i = 0; i < taken.size(); ++i)
        std::fill_n(taken[i].first, taken[i].second, static_cast<std::byte>(i + 1));
    for (std::size_t i = 0; i < taken.size(); ++i)
        for (std::size_t b = 0; b < taken[i].second; ++b)
            ASSERT_EQ(taken[i].first[b], static_cast<std::byte>(i + 1)) << "copy " << i << " byte " << b;
}

TEST(SavedBytes, ReloadingReusesTheRoomOfALongCopy) {
    using strata::detail::same_bytes;
    using strata::detail::save_bytes;
    auto store = strata::detail::Store::make();
    const std::string first(20, 'x'), shorter(17, 'y'), longer(40, 'z');
    const std::uint64_t a = save_bytes(*store, 0, first.data(), first.size());
    const std::uint64_t b = save_bytes(*store, a, shorter.data(), shorter.size());
    EXPECT_EQ(a, b) << "17 bytes fit in the room of 20";
    EXPECT_TRUE(same_bytes(b, shorter.data(), shorter.size()));
    const std::uint64_t c = save_bytes(*store, b, longer.data(), longer.size());
    EXPECT_NE(b, c);
    EXPECT_TRUE(same_bytes(c, longer.data(), longer.size()));
    EXPECT_EQ(save_bytes(*store, c, "abc", 3) & 1, 1u) << "short text is inline again";
}

TEST(ItemList, AgreesWithAVectorThroughGrowthErasesCopiesAndMoves) {
    ItemList list;
    std::vector<RecordBase*> expected;
    EXPECT_TRUE(list.empty());
    EXPECT_EQ(list.begin(), list.end());
    for (int i = 0; i < 100; ++i) {
        list.push_back(fake(i));
        expected.push_back(fake(i));
    }
    for (int i : {0, 50, 97}) {  // the first, one in the middle, the last
        auto it = std::find(list.begin(), list.end(), fake(i));
        ASSERT_NE(it, list.end());
        list.erase(it);
        expected.erase(std::find(expected.begin(), expected.end(), fake(i)));
    }
    ASSERT_EQ(list.size(), expected.size());
    EXPECT_TRUE(std::equal(list.begin(), list.end(), expected.begin()));
    EXPECT_EQ(list.at(10), expected.at(10));
    EXPECT_THROW((void)list.at(list.size()), std::out_of_range);

    ItemList copy = list;  // a copy of its own
    copy.push_back(fake(1000));
    EXPECT_EQ(copy.size(), list.size() + 1);
    ItemList moved = std::move(copy);
    EXPECT_TRUE(copy.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty, by design
    EXPECT_EQ(moved[moved.size() - 1], fake(1000));
    ItemList from_vector(expected);
    EXPECT_TRUE(std::equal(from_vector.begin(), from_vector.end(), expected.begin(), expected.end()));
    list.clear();
    EXPECT_TRUE(list.empty());
    list.push_back(fake(7));
    EXPECT_EQ(list[0], fake(7));
}

}  // namespace
