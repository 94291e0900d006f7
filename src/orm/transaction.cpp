// Database::run_transaction: a transaction that is run again when it loses a
// race with another one (ConcurrencyError), after a jittered backoff.
#include <algorithm>
#include <random>
#include <thread>

#include "strata/database.hpp"
#include "strata/error.hpp"
#include "strata/session.hpp"

namespace strata {

namespace {

// The wait before run `attempt + 1`: first_backoff doubled per retry, capped
// at max_backoff, then a random 50-100 % of it so that transactions that
// collided once do not collide again in step.
std::chrono::microseconds backoff(int attempt, const TransactionOptions& options) {
    thread_local std::minstd_rand random{std::random_device{}()};
    const auto cap = std::chrono::duration_cast<std::chrono::microseconds>(options.max_backoff);
    auto wait = std::chrono::duration_cast<std::chrono::microseconds>(options.first_backoff);
    for (int i = 1; i < attempt && wait < cap; ++i) wait *= 2;
    wait = std::min(wait, cap);
    std::uniform_int_distribution<std::int64_t> jitter(wait.count() / 2, wait.count());
    return std::chrono::microseconds(jitter(random));
}

}  // namespace

void Database::retry_transaction(const Registry* registry, const std::function<void(Session&)>& fn,
                                 const TransactionOptions& options) const {
    if (options.max_attempts < 1) throw ConfigError("run_transaction: max_attempts must be at least 1");
    for (int attempt = 1;; ++attempt) {
        try {
            // A fresh session per run: nothing of a failed run (objects,
            // identity map, pending changes) leaks into the next. Leaving
            // the scope rolls back whatever was not committed.
            Session s = registry ? Session(*this, *registry) : Session(*this);
            s.begin(options.isolation);
            fn(s);
            s.commit();
            return;
        } catch (const ConcurrencyError& e) {
            if (attempt >= options.max_attempts)
                throw ConcurrencyError(e.backend_message() + " (run_transaction gave up after " +
                                           std::to_string(attempt) + " attempts)",
                                       e.statement(), e.code());
        }
        std::this_thread::sleep_for(backoff(attempt, options));
    }
}

}  // namespace strata
