// strata_bench: every workload through the raw C API and through strata, in
// the same run, alternating, median of 5 or more repetitions. Output:
//   # header lines
//   workload backend raw_s strata_s ratio
// With --runs N, every workload N times over (a run is one pass over all of
// them, in a forked process), each measurement's line then that of its median run.
#include <malloc.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "bench.hpp"
#include "strata/strata.hpp"

namespace bench {

namespace {

std::filesystem::path temp_root;

// A workload whose runs are short is repeated until each side has run
// kShortRunSeconds in all (at most kMostRepetitions times, and no more once
// kMostSeconds have passed): on a shared machine a burst of noise then moves
// a few of its runs, not its median.
constexpr double kShortRunSeconds = 2;
constexpr int kMostRepetitions = 31;
constexpr double kMostSeconds = 20;  // per workload and backend, setup included (PostgreSQL's fresh database is slow)

// Each side's timed part in a function of its own, never inlined nor folded, so that
// callgrind counts one side at a time:
//   valgrind --tool=callgrind --toggle-collect='*run_strata*' strata_bench --once --only W4-lazy
// (GCC folds identical functions itself, -fipa-icf; clang leaves that to the linker.)
#if defined(__clang__)
#define STRATA_BENCH_SIDE [[gnu::noinline]]
#else
#define STRATA_BENCH_SIDE [[gnu::noinline, gnu::no_icf]]
#endif
// The empty asm after the call keeps it from being a tail call, so that
// each side's frame stays on the stack under its work for a sampling
// profiler (perf; scripts/perf_sides.py groups the samples by side).
STRATA_BENCH_SIDE void run_raw(const Side& side) {
    side.run();
    __asm__ volatile("" ::: "memory");
}
STRATA_BENCH_SIDE void run_strata(const Side& side) {
    side.run();
    __asm__ volatile("" ::: "memory");
}

// What the timed part cost the process besides wall time: CPU seconds in
// user and kernel mode, and page faults (STRATA_BENCH_TIMES prints them).
struct Usage {
    double user_s = 0, system_s = 0;
    long minor_faults = 0;
};

Usage usage_now() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto seconds = [](const timeval& t) { return double(t.tv_sec) + t.tv_usec / 1e6; };
    return {seconds(ru.ru_utime), seconds(ru.ru_stime), ru.ru_minflt};
}

struct Timing {
    double wall_s = 0;
    Usage used;  // during the timed part
};

Timing time_side(const Side& side, bool strata) {
    side.prepare();
    const Usage u0 = usage_now();
    auto t0 = std::chrono::steady_clock::now();
    if (strata) run_strata(side);
    else run_raw(side);
    auto t1 = std::chrono::steady_clock::now();
    const Usage u1 = usage_now();
    side.cleanup();
    return {std::chrono::duration<double>(t1 - t0).count(),
            {u1.user_s - u0.user_s, u1.system_s - u0.system_s, u1.minor_faults - u0.minor_faults}};
}

// --only takes a comma-separated list of workload-name prefixes.
bool selected(const std::string& name, const std::string& only) {
    if (only.empty()) return true;
    std::size_t start = 0;
    while (start <= only.size()) {
        std::size_t comma = only.find(',', start);
        if (comma == std::string::npos) comma = only.size();
        if (comma > start && name.starts_with(std::string_view(only).substr(start, comma - start))) return true;
        start = comma + 1;
    }
    return false;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// A field of /proc/self/status in KiB ("VmRSS", "VmHWM").
long status_kib(const std::string& field) {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.starts_with(field + ":")) return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
    return -1;
}

// Runs `child` in a forked process and returns the bytes it returns, or
// nullopt when it fails (it throws, dies, or exits with an error). The child
// starts with this process's heap and caches, and leaves them as they were.
std::optional<std::string> run_in_child(const std::function<std::string()>& child) {
    int pipefd[2];
    if (pipe(pipefd) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    std::fflush(stdout);  // else the child's exit would print what is buffered again
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        close(pipefd[0]);
        int code = 0;
        try {
            const std::string text = child();
            for (std::size_t at = 0; at < text.size();) {
                const ssize_t n = write(pipefd[1], text.data() + at, text.size() - at);
                if (n <= 0) throw std::runtime_error("write to the parent failed");
                at += static_cast<std::size_t>(n);
            }
        } catch (const std::exception& e) {
            std::fprintf(stderr, "strata_bench: %s\n", e.what());
            code = 1;
        }
        std::fflush(stdout);
        _exit(code);
    }
    close(pipefd[1]);  // so that reading ends if the child dies
    std::string text;
    char buffer[4096];
    for (ssize_t n; (n = read(pipefd[0], buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<std::size_t>(n));
    close(pipefd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
    return text;
}

// Peak memory the run() of a side adds, measured in a child process so each
// side starts from the same heap. After prepare(), free heap memory goes back
// to the system (otherwise run() reuses pages prepare() left resident and
// looks free) and the kernel's peak-RSS mark is reset; the result is the new
// peak minus the RSS before run(), or -1 when the child failed.
long peak_kib(const Side& side) try {
    const std::optional<std::string> delta = run_in_child([&] {
        side.prepare();
        malloc_trim(0);
        std::ofstream("/proc/self/clear_refs") << "5";  // resets VmHWM (Linux 4.0+)
        const long before = status_kib("VmRSS");
        side.run();
        return std::to_string(status_kib("VmHWM") - before);
    });
    return delta ? std::stol(*delta) : -1;
} catch (const std::exception& e) {
    std::fprintf(stderr, "strata_bench: peak memory: %s\n", e.what());
    return -1;
}

}  // namespace

const std::filesystem::path& temp_folder() { return temp_root; }

std::string fresh_url(const Backend& b) {
    static int counter = 0;
    if (b.name == "sqlite-memory") return "sqlite://";
    // The pid keeps names unique across the forked children of peak_kib().
    if (b.name == "sqlite-file")
        return "sqlite:///" + (temp_root / ("run" + std::to_string(getpid()) + "-" + std::to_string(counter++) + ".db")).string();
    // Never touch the user's own database: each run gets a fresh database
    // named strata_bench on the same server.
    auto admin = strata::connect(b.url);
    admin->execute("DROP DATABASE IF EXISTS strata_bench WITH (FORCE)");
    admin->execute("CREATE DATABASE strata_bench");
    auto query = b.url.find('?');
    std::string base = b.url.substr(0, query);
    auto slash = base.find('/', base.find("://") + 3);
    return (slash == std::string::npos ? base : base.substr(0, slash)) + "/strata_bench" +
           (query == std::string::npos ? "" : b.url.substr(query));
}

// One measurement of a run: the medians of its repetitions.
struct Measured {
    std::string workload, backend;
    double raw_s = 0, strata_s = 0;
    double ratio() const { return strata_s / raw_s; }
};

void print_measured(const Measured& m) {
    std::printf("%s %s %.6f %.6f %.3f\n", m.workload.c_str(), m.backend.c_str(), m.raw_s, m.strata_s, m.ratio());
    std::fflush(stdout);
}

// Workload w on backend b: at least sizes.repetitions repetitions, raw and
// strata alternating; more for a short workload (kShortRunSeconds), unless
// `fixed` (--quick, --smoke, --once).
Measured measure(const Workload& w, const Backend& b, const Sizes& sizes, bool fixed) {
    Side raw = w.raw(b), strata = w.strata(b);
    std::vector<double> raw_t, strata_t;
    std::vector<Usage> raw_u, strata_u;
    double measured = 0;  // seconds, both sides
    const auto started = std::chrono::steady_clock::now();
    auto more = [&](int r) {  // after the first sizes.repetitions
        const std::chrono::duration<double> spent = std::chrono::steady_clock::now() - started;
        return !fixed && measured < 2 * kShortRunSeconds && r < kMostRepetitions && spent.count() < kMostSeconds;
    };
    for (int r = 0; r < sizes.repetitions || more(r); ++r) {
        const Timing raw_run = time_side(raw, false), strata_run = time_side(strata, true);
        raw_t.push_back(raw_run.wall_s);
        raw_u.push_back(raw_run.used);
        strata_t.push_back(strata_run.wall_s);
        strata_u.push_back(strata_run.used);
        measured += raw_t.back() + strata_t.back();
    }
    if (std::getenv("STRATA_BENCH_TIMES")) {  // every repetition, to stderr: for looking at the spread
        for (std::size_t i = 0; i < raw_t.size(); ++i)
            std::fprintf(stderr, "# %s %s rep %zu: wall %.6f %.6f  user %.3f %.3f  sys %.3f %.3f  minor-faults %ld %ld\n",
                         w.name.c_str(), b.name.c_str(), i, raw_t[i], strata_t[i], raw_u[i].user_s, strata_u[i].user_s,
                         raw_u[i].system_s, strata_u[i].system_s, raw_u[i].minor_faults, strata_u[i].minor_faults);
    }
    return {w.name, b.name, median(raw_t), median(strata_t)};
}

// One pass of --runs N > 1 in a child process: each pass starts from the
// same heap and caches, as a separate invocation would (passes in one
// process measured strata's later passes slower: the heap the earlier ones
// left). The child prints its lines itself; its measurements come back
// through a pipe, each double in hex, exactly.
std::vector<Measured> measure_in_child(const std::function<std::vector<Measured>()>& pass) {
    const std::optional<std::string> text = run_in_child([&] {
        std::string lines;
        char number[64];
        for (const Measured& m : pass()) {
            std::snprintf(number, sizeof number, " %a %a\n", m.raw_s, m.strata_s);
            lines += m.workload + " " + m.backend + number;
        }
        return lines;
    });
    if (!text) throw std::runtime_error("a run's process failed (see above)");
    std::vector<Measured> out;
    std::istringstream lines(*text);
    for (std::string workload, backend, raw, strata; lines >> workload >> backend >> raw >> strata;)
        out.push_back({workload, backend, std::strtod(raw.c_str(), nullptr), std::strtod(strata.c_str(), nullptr)});
    return out;
}

// --runs N: N as a whole number from 1 to 99, else 0 (the caller's error).
int parse_runs(const std::string& text) {
    if (text.empty() || text.size() > 2 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return 0;
    return std::stoi(text);
}

// Measurement m's runs, lowest ratio first.
std::vector<const Measured*> ranked_runs(const std::vector<std::vector<Measured>>& runs, std::size_t m) {
    std::vector<const Measured*> of;
    for (const auto& run : runs) of.push_back(&run[m]);
    std::sort(of.begin(), of.end(), [](const Measured* a, const Measured* b) { return a->ratio() < b->ratio(); });
    return of;
}

// After more than one run: a '# runs' line per measurement with every run's
// ratio and their range, then each measurement's line from its median run
// (by ratio; the lower middle one for an even number of runs), so that its
// seconds and its ratio come from one run.
void print_median_runs(const std::vector<std::vector<Measured>>& runs) {
    const std::size_t count = runs.front().size();
    std::vector<const Measured*> medians;
    for (std::size_t m = 0; m < count; ++m) {
        const std::vector<const Measured*> ranked = ranked_runs(runs, m);
        std::printf("# runs %s %s ratios:", runs.front()[m].workload.c_str(), runs.front()[m].backend.c_str());
        for (const auto& run : runs) std::printf(" %.3f", run[m].ratio());
        std::printf(" (%.3f-%.3f)\n", ranked.front()->ratio(), ranked.back()->ratio());
        medians.push_back(ranked[(ranked.size() - 1) / 2]);
    }
    std::cout << "# workload backend raw_s strata_s ratio (each measurement's median run)\n";
    for (const Measured* m : medians) print_measured(*m);
}

}  // namespace bench

int main(int argc, char** argv) {
    using namespace bench;
    // glibc moves its mmap and trim thresholds after each large free, so a
    // workload's heap would depend on which workloads ran before it in this
    // process (W2 after W1 page-faulted 6 MB a run back in, alone it did not).
    // Fixed thresholds give every workload the steady state of a long-lived
    // process: memory freed stays in the heap for the next run, on both sides.
    // Peak memory is measured apart (peak_kib trims before each side runs).
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    bool quick = false, once = false, smoke = false;
    int runs = 1;
    std::string only, backend_only;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--quick") quick = true;
        else if (a == "--once") once = true;
        else if (a == "--smoke") quick = smoke = true;
        else if (a == "--only" && i + 1 < argc) only = argv[++i];
        else if (a == "--backend" && i + 1 < argc) backend_only = argv[++i];
        else if (a == "--runs" && i + 1 < argc) {
            runs = parse_runs(argv[++i]);
            if (runs == 0) {
                std::cerr << "--runs '" << argv[i] << "': expected a whole number from 1 to 99\n";
                return 2;
            }
        } else if (a == "--help" || a == "-h") {
            std::cout << "usage: strata_bench [--quick | --smoke] [--once] [--runs N] [--only PREFIX[,PREFIX...]] [--backend NAME]\n"
                         "  --quick   a tenth of the rows, 5 repetitions (under a minute)\n"
                         "  --smoke   a hundredth of the rows, one repetition: checks that every workload runs\n"
                         "            and prints its lines (the test suite's run); its timings mean little\n"
                         "  --once    one repetition, no peak-memory lines: for profiling (callgrind counts\n"
                         "            one side with --toggle-collect='*run_strata*' or '*run_raw*')\n"
                         "            (full size: 5 repetitions, or up to 31 for a workload that runs\n"
                         "            under 0.4 s: until each side has run 2 s, within 20 s)\n"
                         "  --runs N  every workload N times over (a run is one pass over all of them, in a\n"
                         "            process of its own): a '# runs' line per measurement with each run's\n"
                         "            ratio and their range, then each measurement's line from its median run\n"
                         "  --backend sqlite-file, sqlite-memory or postgresql: that backend only\n"
                         "  DATABASE_URL=postgresql://... adds the PostgreSQL rows; they run in a database\n"
                         "  named strata_bench on that server, dropped and recreated for every run\n";
            return 0;
        } else {
            std::cerr << "unknown argument '" << a << "' (see --help)\n";
            return 2;
        }
    }
    Sizes sizes;
    if (quick) sizes.scale_down(smoke ? 100 : 10);
    if (once || smoke) sizes.repetitions = 1;
    temp_root = std::filesystem::temp_directory_path() / ("strata-bench-" + std::to_string(getpid()));
    std::filesystem::create_directories(temp_root);

    std::vector<Backend> backends{{"sqlite-file", ""}, {"sqlite-memory", ""}};
    const char* pg = std::getenv("DATABASE_URL");
    if (pg && std::string(pg).starts_with("postgresql")) backends.push_back({"postgresql", pg});
    if (!backend_only.empty()) {
        std::erase_if(backends, [&](const Backend& b) { return b.name != backend_only; });
        if (backends.empty()) {
            std::cerr << "no backend '" << backend_only << "' (postgresql needs DATABASE_URL)\n";
            return 2;
        }
    }

    if (runs > 1) std::cout << "# strata_bench --runs " << runs << ": " << runs << " runs, each in a process of its own\n";
    if (quick)
        std::cout << "# strata_bench " << (smoke ? "--smoke" : "--quick") << ": median of " << sizes.repetitions << " repetitions, raw and strata alternating\n";
    else
        std::cout << "# strata_bench: median of " << sizes.repetitions << " to " << kMostRepetitions
                  << " repetitions (more while a side has run under " << kShortRunSeconds << " s in all, within "
                  << kMostSeconds << " s), raw and strata alternating\n";
    std::cout << "# users=" << sizes.users << " gets=" << sizes.gets << " w4=" << sizes.w4_users << "x" << sizes.w4_posts
              << " w5_rows=" << sizes.w5_rows << " w6=" << sizes.w6_users << "x" << sizes.w6_posts << "+"
              << sizes.w6_users * sizes.w6_follows << "follows" << " w7_rows=" << sizes.w7_rows << "/" << sizes.w7_batch << " cores=" << std::thread::hardware_concurrency() << "\n";
    auto all = workloads(sizes);
    // Peak memory first, as header lines, so measurement lines stay uniform.
    for (const auto& w : all) {
        if (once || !w.measure_memory || !selected(w.name, only)) continue;
        for (const auto& b : backends) {
            if (w.sqlite_only && b.is_postgres()) continue;
            long raw_kib = peak_kib(w.raw(b)), strata_kib = peak_kib(w.strata(b));
            std::printf("# peak-memory %s %s raw_MiB=%.1f strata_MiB=%.1f ratio=%.2f\n", w.name.c_str(), b.name.c_str(),
                        raw_kib / 1024.0, strata_kib / 1024.0, raw_kib > 0 ? double(strata_kib) / raw_kib : 0.0);
        }
    }
    // A run is one pass over every workload: N runs spread a drift of the
    // machine's speed over each workload's runs, as N invocations would.
    auto pass = [&](int run) {
        std::vector<Measured> measured;
        for (const auto& w : all) {
            if (!selected(w.name, only)) continue;
            for (const auto& b : backends) {
                if ((w.sqlite_only || w.sqlite_file_only) && b.is_postgres()) continue;
                if (w.sqlite_file_only && b.name != "sqlite-file") continue;
                const Measured& m = measured.emplace_back(measure(w, b, sizes, quick || once));
                if (runs > 1) std::printf("# run %d/%d: ", run, runs);
                print_measured(m);
            }
        }
        return measured;
    };
    std::vector<std::vector<Measured>> measured_runs;
    if (runs == 1) {
        std::cout << "# workload backend raw_s strata_s ratio\n" << std::flush;
        measured_runs.push_back(pass(1));
    }
    for (int run = 1; runs > 1 && run <= runs; ++run) {
        try {
            measured_runs.push_back(measure_in_child([&] { return pass(run); }));
        } catch (const std::exception& e) {
            std::cerr << "strata_bench: run " << run << " of " << runs << ": " << e.what() << "\n";
            std::filesystem::remove_all(temp_root);
            return 1;
        }
    }
    if (runs > 1) print_median_runs(measured_runs);
    std::filesystem::remove_all(temp_root);
    return 0;
}
