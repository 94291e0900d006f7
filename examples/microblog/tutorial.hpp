// `microblog tutorial`: the tutorial's shell session, step by step.
#pragma once

#include <ostream>

#include "config.hpp"

namespace microblog {

// Runs the session against the configured database (whose tables exist:
// `microblog db create`), printing each step and what it shows. Returns 0.
int run_tutorial(const Config& config, std::ostream& out);

}  // namespace microblog
