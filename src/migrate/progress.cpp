// src/migrate/progress.cpp — progress lines for a terminal and for logs.
#include "migrate/progress.hpp"

#include "migrate/timeouts.hpp"

#include <algorithm>
#include <cmath>

namespace strata::migrate {

namespace {

int percent(const Progress& p) {
    if (p.total <= 0) return p.finished ? 100 : 0;
    return static_cast<int>(std::min<std::int64_t>(100, p.done * 100 / p.total));
}

// Whole seconds from 10 s up, tenths below (never "0 ms left" while rows are left).
std::chrono::milliseconds round_left(double seconds) {
    const auto unit = seconds >= 10 ? 1000.0 : 100.0;
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::max(1.0, std::round(seconds * 1000 / unit)) * unit));
}

}  // namespace

std::string format_progress(const Progress& p) {
    using namespace std::chrono;
    std::string line = p.task + ": " + std::to_string(p.done);
    if (p.total > 0) line += " / " + std::to_string(p.total);
    line += " " + p.unit;
    if (p.total > 0) line += " (" + std::to_string(percent(p)) + "%)";
    const double elapsed = duration<double>(p.elapsed).count();
    if (elapsed > 0 && p.done > 0) {
        const double rate = static_cast<double>(p.done) / elapsed;
        line += ", " + std::to_string(static_cast<std::int64_t>(rate)) + " " + p.unit + "/s";
        if (p.finished) line += ", done in " + format_duration(duration_cast<milliseconds>(p.elapsed));
        else if (p.total > p.done)
            line += ", " + format_duration(round_left(static_cast<double>(p.total - p.done) / rate)) + " left";
    }
    return line;
}

ProgressPrinter::~ProgressPrinter() { end_line(); }

void ProgressPrinter::end_line() {
    if (open_) out_ << "\n" << std::flush;
    open_ = false;
}

void ProgressPrinter::operator()(const Progress& p) {
    if (p.task != task_) task_ = p.task, tenths_ = -1;
    if (terminal_) {
        const auto now = std::chrono::steady_clock::now();
        if (!p.finished && now - drawn_ < std::chrono::milliseconds(100)) return;
        drawn_ = now;
        out_ << "\r\033[K" << format_progress(p) << (p.finished ? "\n" : "") << std::flush;
        open_ = !p.finished;
        if (p.finished) task_.clear();
        return;
    }
    if (p.finished) {
        out_ << format_progress(p) << std::endl;
        task_.clear();
        return;
    }
    const int tenths = percent(p) / 10;   // 0% (the start) to 90%; 100% is the finished line
    if (tenths <= tenths_ || tenths >= 10) return;
    tenths_ = tenths;
    out_ << format_progress(p) << std::endl;
}

}  // namespace strata::migrate
