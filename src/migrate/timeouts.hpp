// src/migrate/timeouts.hpp — how long a migration may wait on a live database.
//
// From migrations/strata.yaml (lock_timeout, statement_timeout, retries) and
// the `db upgrade` / `downgrade` / `stamp` flags, which win. Durations are
// written with a unit: 500ms, 2s, 10m (or 10min), 1h.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace strata::migrate {

struct Timeouts {
    // PostgreSQL's lock_timeout for every statement of a migration
    // transaction: a lock not granted within it fails the statement (55P03),
    // so the queue of readers that forms behind a waiting ALTER lasts at most this long.
    std::chrono::milliseconds lock_timeout{5000};
    // PostgreSQL's statement_timeout for the same statements; 0: none.
    std::chrono::milliseconds statement_timeout{0};
    // After a lock timeout the run rolls back and starts again, this many times at most.
    int retries = 3;
    // The wait before the first retry, doubled for each further one, each
    // drawn at random from half to one and a half times that.
    std::chrono::milliseconds retry_delay{1000};
};

// "500ms", "2s", "1.5s", "10m", "10min", "1h" into `out`; returns what is
// wrong with the text (empty when it is fine). At most PostgreSQL's limit
// for a timeout (2147483647 ms).
std::string parse_duration(std::string_view text, std::chrono::milliseconds& out);

// "300 ms", "5 s", "1.5 s", "10 min" for messages.
std::string format_duration(std::chrono::milliseconds d);

}  // namespace strata::migrate
