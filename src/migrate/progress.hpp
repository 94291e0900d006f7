// src/migrate/progress.hpp — how `db` prints RunOptions::progress: on a
// terminal one line redrawn in place (done / total, rate, time left), else
// one line each time a step passes another tenth of its total (logs and CI
// output stay short), and a last line when it ends.
#pragma once

#include <chrono>
#include <ostream>
#include <string>

#include "strata/migrate.hpp"

namespace strata::migrate {

// "backfill post.slug: 300000 / 1000000 rows (30%), 150000 rows/s, 5 s left"
std::string format_progress(const Progress& p);

class ProgressPrinter {
public:
    ProgressPrinter(std::ostream& out, bool terminal) : out_(out), terminal_(terminal) {}
    // Ends a line a step left open on a terminal (it failed): what is printed
    // next (the error) starts on a line of its own.
    ~ProgressPrinter();
    ProgressPrinter(const ProgressPrinter&) = delete;
    ProgressPrinter& operator=(const ProgressPrinter&) = delete;
    void operator()(const Progress& p);
    // Ends the line a step has open on a terminal, before other output (a
    // notice on stdout) would be printed on the end of it; the next redraw
    // starts a new line.
    void end_line();

private:
    std::ostream& out_;
    bool terminal_;
    std::string task_;   // the step reported last
    int tenths_ = -1;    // how many tenths of it were printed (not on a terminal)
    std::chrono::steady_clock::time_point drawn_{};   // the last redraw (on a terminal)
    bool open_ = false;   // a line is drawn on the terminal and not ended yet
};

}  // namespace strata::migrate
