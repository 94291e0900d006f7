// src/migrate/timeouts.hpp — how long a migration may wait on a live database.
//
// From migrations/strata.yaml (lock_timeout, statement_timeout, retries) and
// the `db upgrade` / `downgrade` / `stamp` flags, which win. Durations are
// written with a unit: 500ms, 2s, 10m (or 10min), 1h.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "strata/migrate.hpp"

namespace strata::migrate {

// struct Timeouts is the library API's (include/strata/migrate.hpp).

// "500ms", "2s", "1.5s", "10m", "10min", "1h" into `out`; returns what is
// wrong with the text (empty when it is fine). At most PostgreSQL's limit
// for a timeout (2147483647 ms).
std::string parse_duration(std::string_view text, std::chrono::milliseconds& out);

// "300 ms", "5 s", "1.5 s", "10 min" for messages.
std::string format_duration(std::chrono::milliseconds d);

}  // namespace strata::migrate
