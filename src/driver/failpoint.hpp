// STRATA_FAILPOINT: crash testing (docs/architecture.md, "Crash testing").
//
// Drivers call before_statement() just before they send a statement: the
// statements STRATA_ECHO logs, counted over every connection of the process.
// Unset, that is one predictable branch on a flag read once.
#pragma once

#include <atomic>
#include <string_view>

namespace strata::failpoint {

// Reads STRATA_FAILPOINT the first time (every later call returns at once);
// throws ConfigError, every time, when its value is not a known failpoint.
void arm_from_environment();

namespace detail {
inline std::atomic<bool> armed{false};
void count_statement(std::string_view sql);  // the armed path: counts, maybe kills
}  // namespace detail

inline void before_statement(std::string_view sql) {
    if (detail::armed.load(std::memory_order_relaxed)) [[unlikely]]
        detail::count_statement(sql);
}

}  // namespace strata::failpoint
