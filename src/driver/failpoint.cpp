// STRATA_FAILPOINT, read once per process:
//   kill-before-statement:N   SIGKILL just before the Nth statement (N >= 1)
//   count-statements          at exit, write how many statements were sent to stderr
#include "driver/failpoint.hpp"

#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "strata/error.hpp"

namespace strata::failpoint {

namespace {

constexpr std::string_view kKillPrefix = "kill-before-statement:";
constexpr std::string_view kCount = "count-statements";

std::atomic<std::uint64_t> sent{0};
std::uint64_t kill_at = 0;   // 0: count only

// write(2): unbuffered, allocation-free, fine just before a SIGKILL.
void say(const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
        if (n <= 0) return;
        done += static_cast<std::size_t>(n);
    }
}

void report_count() {
    say("strata: STRATA_FAILPOINT=count-statements: " + std::to_string(sent.load()) + " statements sent\n");
}

// The error for a bad spec, or "" once armed (or when unset).
std::string arm(const char* value) {
    if (!value || !*value) return "";
    const std::string_view spec(value);
    if (spec == kCount) {
        std::atexit(report_count);
    } else if (spec.starts_with(kKillPrefix)) {
        const std::string_view n = spec.substr(kKillPrefix.size());
        auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), kill_at);
        if (ec != std::errc() || end != n.data() + n.size() || n.empty() || kill_at == 0)
            return "STRATA_FAILPOINT='" + std::string(spec) + "': N must be a whole number from 1 up";
    } else {
        return "STRATA_FAILPOINT='" + std::string(spec) + "' is not a failpoint (expected kill-before-statement:N or " +
               std::string(kCount) + ")";
    }
    detail::armed.store(true, std::memory_order_relaxed);
    return "";
}

}  // namespace

void arm_from_environment() {
    static const std::string error = arm(std::getenv("STRATA_FAILPOINT"));
    if (!error.empty()) throw ConfigError(error);
}

void detail::count_statement(std::string_view sql) {
    const std::uint64_t n = sent.fetch_add(1, std::memory_order_relaxed) + 1;
    if (n != kill_at) return;
    say("strata: STRATA_FAILPOINT: killing the process before statement " + std::to_string(n) + ": " +
        std::string(sql.substr(0, 200)) + "\n");
    ::kill(::getpid(), SIGKILL);
}

}  // namespace strata::failpoint
