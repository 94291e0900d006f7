// Benchmark harness: pairs of (raw C API, strata) runs of one workload.
#pragma once

#include <chrono>
#include <filesystem>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace bench {

struct Sizes {
    int users = 100000;       // W1, W2
    int gets = 10000;         // W3
    int w4_users = 1000;      // W4
    int w4_posts = 10;
    int w5_rows = 1000000;    // W5
    int w6_users = 10000;     // W6: 10 posts each, 5 follows each (50,000)
    int w6_posts = 10;
    int w6_follows = 5;
    int w7_rows = 1000000;    // W7
    int w7_batch = 1000;
    int repetitions = 5;

    // Fewer rows for --quick (10) and --smoke (100); the shapes (posts per
    // user, follows, the batch size) stay.
    void scale_down(int by) {
        for (int* n : {&users, &gets, &w4_users, &w5_rows, &w6_users, &w7_rows}) *n /= by;
    }
};

// Where a workload runs: a SQLite file in a fresh temp folder, SQLite in
// memory, or the PostgreSQL server DATABASE_URL names.
struct Backend {
    std::string name;         // "sqlite-file", "sqlite-memory", "postgresql"
    std::string url;          // strata URL (for SQLite files: a fresh path per run)
    bool is_postgres() const { return name == "postgresql"; }
};

// One side of a measurement: prepare() is not timed, run() is.
struct Side {
    std::function<void()> prepare;
    std::function<void()> run;
    std::function<void()> cleanup;
};

struct Workload {
    std::string name;
    std::function<Side(const Backend&)> raw;
    std::function<Side(const Backend&)> strata;
    bool sqlite_only = false;
    bool measure_memory = false;
    bool sqlite_file_only = false;   // W5: `db upgrade` opens the database by URL itself

};

std::vector<Workload> workloads(const Sizes& sizes);

// W4's post times, the same on both sides: post k (counted over all the
// users' posts in the order they are written) is stamped post_time_us(k),
// microseconds since 1970-01-01 UTC. Every post has a time of its own (as
// in a real feed: a cache of the last time bound or read pays nothing),
// and seconds, minutes, days and fractions all move from post to post.
inline constexpr std::int64_t kFirstPostUs = 1'795'780'800'000'000;  // 2026-11-27 12:00:00 UTC
inline constexpr std::int64_t kPostEveryUs = 61'000'007;             // a minute, a second and 7 us
constexpr std::int64_t post_time_us(std::int64_t k) { return kFirstPostUs + k * kPostEveryUs; }

// A fresh database per run: a new SQLite file, or the PostgreSQL database emptied.
std::string fresh_url(const Backend& backend);

// The benchmark's temporary folder (removed at exit).
const std::filesystem::path& temp_folder();

}  // namespace bench
