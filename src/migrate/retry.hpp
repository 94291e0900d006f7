// src/migrate/retry.hpp — one migration run on a live database: tries, waits between them, signals.
//
// A try that fails on a lock timeout has rolled back everything; it is run
// again from the start (a fresh transaction, the plan made again) after a
// jittered, doubling wait, up to Timeouts::retries more times, each wait
// printed with who held the lock. Any other error, and a SIGINT / SIGTERM
// (with RunOptions::cancel_on_signal), ends the run at once.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "migrate/interrupt.hpp"
#include "migrate/lock_wait.hpp"
#include "migrate/runner.hpp"
#include "strata/error.hpp"

namespace strata::migrate {

class LiveRun {
public:
    LiveRun(Connection& conn, const RunOptions& options);
    ~LiveRun();
    LiveRun(const LiveRun&) = delete;
    LiveRun& operator=(const LiveRun&) = delete;

    // Runs `once` until it succeeds or may not be tried again. The options it
    // gets print through one lock (the watch prints from its own thread),
    // check for a signal before each statement, and ask `confirm` only on
    // the first try that reaches it.
    RunResult run(const std::function<RunResult(const RunOptions&)>& once);

private:
    void say(const std::string& line);
    [[noreturn]] void fail_interrupted(const Error& e, int signal);
    // The lock, the holders and the wait before the next try.
    std::string lock_timeout_report() const;
    bool sleep_unless_interrupted(std::chrono::milliseconds d) const;   // false when a signal came
    std::chrono::milliseconds next_delay(int retry);

    RunOptions options_;   // the caller's, with the wrappers above
    std::function<void(const std::string&)> caller_notice_;
    std::mutex notice_mutex_;
    bool confirmed_ = false;
    std::unique_ptr<CancelOnSignal> interrupt_;
    std::unique_ptr<LockWatch> watch_;
};

}  // namespace strata::migrate
