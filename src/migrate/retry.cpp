// src/migrate/retry.cpp — tries of a migration run and the waits between them.
#include "migrate/retry.hpp"

#include <algorithm>
#include <random>
#include <thread>

#include "strata/error.hpp"

namespace strata::migrate {

namespace {

constexpr auto kLongestRetryDelay = std::chrono::milliseconds(60'000);

std::int64_t backend_pid(Connection& conn) {
    auto stmt = conn.prepare("SELECT pg_backend_pid()");
    return stmt->step() ? stmt->get_int64(0) : 0;
}

}  // namespace

LiveRun::LiveRun(Connection& conn, const RunOptions& options) : options_(options), caller_notice_(options.notice) {
    if (caller_notice_) options_.notice = [this](const std::string& line) { say(line); };
    if (options.progress)   // also called from the watch's thread (an index build's progress)
        options_.progress = [this, report = options.progress](const Progress& p) {
            std::lock_guard<std::mutex> lock(notice_mutex_);
            report(p);
        };
    if (options.cancel_on_signal) interrupt_ = std::make_unique<CancelOnSignal>(conn);
    if (auto open_observer = conn.side_session_opener())
        watch_ = std::make_unique<LockWatch>(std::move(open_observer), backend_pid(conn), options.timeouts,
                                             options_.notice, interrupt_.get(), options_.progress);
    if (interrupt_ || watch_)
        options_.before_statement = [this, previous = options.before_statement] {
            if (watch_) watch_->statement_succeeded();   // the one before, if it built an index
            if (int signal = interrupt_ ? interrupt_->received() : 0)
                throw MigrationError(std::string("interrupted by ") + signal_name(signal));
            if (previous) previous();
        };
}

LiveRun::~LiveRun() = default;

void LiveRun::say(const std::string& line) {
    std::lock_guard<std::mutex> lock(notice_mutex_);
    caller_notice_(line);
}

RunResult LiveRun::run(const std::function<RunResult(const RunOptions&)>& once) {
    const int tries = 1 + std::max(0, options_.timeouts.retries);
    RunOptions options = options_;
    if (options_.confirm)
        options.confirm = [this](const std::vector<DataLoss>& losses) {
            if (confirmed_) return true;   // asked on an earlier try
            confirmed_ = options_.confirm(losses);
            return confirmed_;
        };
    for (int attempt = 1;; ++attempt) {
        if (watch_) watch_->forget();
        try {
            RunResult result = once(options);
            if (watch_) watch_->statement_succeeded();
            return result;
        } catch (const Error& e) {
            if (watch_) watch_->statement_failed();
            if (int signal = interrupt_ ? interrupt_->received() : 0) fail_interrupted(e, signal);
            if (!caused_by_lock_timeout(e)) throw;
            if (attempt == tries)
                throw MigrationError(std::string(e.what()) + "\nGave up after " + std::to_string(tries) +
                                     (tries == 1 ? " try" : " tries") + ": " + lock_timeout_report() +
                                     ". End or finish that transaction, or run again later (--lock-timeout, "
                                     "--retries).");
            const auto delay = next_delay(attempt);
            const bool kept = dynamic_cast<const PartlyCommitted*>(&e) != nullptr;
            if (options_.notice)
                options_.notice("Lock timeout: " + lock_timeout_report() +
                                ". " + (kept ? kLastRolledBack : kAllRolledBack) +
                                "; trying again in " +
                                format_duration(delay) + " (try " + std::to_string(attempt + 1) + " of " +
                                std::to_string(tries) + ")...");
            if (!sleep_unless_interrupted(delay)) fail_interrupted(e, interrupt_->received());
        }
    }
}

void LiveRun::fail_interrupted(const Error& e, int signal) {
    interrupt_->handled();
    throw MigrationError(std::string("interrupted by ") + signal_name(signal) +
                         " (the running statement was cancelled): " + e.what());
}

std::string LiveRun::lock_timeout_report() const {
    const std::string within = " within " + format_duration(options_.timeouts.lock_timeout) + " (lock_timeout)";
    const std::optional<LockWait> wait = watch_ ? watch_->last_wait() : std::nullopt;
    if (!wait) return "a lock was not granted" + within;
    std::string report = "could not lock " + wait->object + " in " + wait->mode + " mode" + within;
    if (!wait->holders.empty()) report += "; it was held by " + describe_holders(wait->holders);
    return report;
}

bool LiveRun::sleep_unless_interrupted(std::chrono::milliseconds d) const {
    const auto end = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < end) {
        if (interrupt_ && interrupt_->received()) return false;
        std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(end - std::chrono::steady_clock::now(),
                                                                       std::chrono::milliseconds(20)));
    }
    return !(interrupt_ && interrupt_->received());
}

// retry_delay doubled per retry, times a random factor in [0.5, 1.5): runs
// that collided once do not collide again in step.
std::chrono::milliseconds LiveRun::next_delay(int retry) {
    static thread_local std::mt19937 random{std::random_device{}()};
    const double base = static_cast<double>(options_.timeouts.retry_delay.count()) * static_cast<double>(1 << std::min(retry - 1, 16));
    const double jittered = base * std::uniform_real_distribution<double>(0.5, 1.5)(random);
    return std::min(kLongestRetryDelay, std::chrono::milliseconds(static_cast<std::int64_t>(jittered)));
}

}  // namespace strata::migrate
