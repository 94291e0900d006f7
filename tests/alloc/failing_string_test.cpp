// Text read into an empty string member is built in place (its old room
// freed first, see column_traits<std::string>::rebuild): when that
// allocation fails, the member must still be a live string, empty as it
// was, and a member that held text keeps it. This file replaces the global
// operator new (failing_new_test.cpp replaces operator new[]).
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>
#include <string>
#include <string_view>

#include "strata/detail/column_traits.hpp"

namespace {

// How many operator new calls from now the one that fails is (0: none).
int fail_new_countdown = 0;

}  // namespace

void* operator new(std::size_t size) {
    if (fail_new_countdown > 0 && --fail_new_countdown == 0) throw std::bad_alloc();
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using Traits = strata::detail::column_traits<std::string>;
constexpr std::string_view kLong = "a text longer than any room the members below have";

// An empty member with room of its own on the heap (freed before the new
// room is asked for) and one with only its inline room: after the failed
// allocation each is an empty string with its inline room only (not the
// room it freed), that takes text again.
TEST(StringColumnFailedAllocation, AnEmptyMemberStaysALiveEmptyString) {
    for (std::size_t room : {std::size_t{0}, std::size_t{24}}) {
        std::string member;
        member.reserve(room);
        ASSERT_LT(member.capacity(), kLong.size());
        EXPECT_THROW((fail_new_countdown = 1, Traits::assign(member, kLong)), std::bad_alloc) << room;
        EXPECT_EQ(fail_new_countdown, 0) << "the read did not allocate";
        EXPECT_TRUE(member.empty()) << room;
        // Built again with its inline room: it no longer points at the room it freed.
        EXPECT_EQ(member.capacity(), std::string().capacity()) << room;
        Traits::assign(member, kLong);
        EXPECT_EQ(member, kLong) << room;
    }
}

TEST(StringColumnFailedAllocation, AMemberHoldingTextKeepsIt) {
    std::string member = "short";
    EXPECT_THROW((fail_new_countdown = 1, Traits::assign(member, kLong)), std::bad_alloc);
    EXPECT_EQ(fail_new_countdown, 0);
    EXPECT_EQ(member, "short");
}

}  // namespace
