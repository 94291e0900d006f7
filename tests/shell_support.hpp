// Runs a shell command in the tests (the microblog binary, as a user would).
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace strata::testing {

struct ShellRun {
    int status;            // exit code, -1 when killed by a signal
    std::string output;    // whatever the command wrote to its stdout
};

// Runs `command` with /bin/sh; add " 2>&1" to capture stderr too.
inline ShellRun run_shell(const std::string& command) {
    ShellRun r{0, {}};
    FILE* p = popen(command.c_str(), "r");
    if (!p) return {-1, "popen failed: " + command};
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), buf.size(), p)) r.output += buf.data();
    int status = pclose(p);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

}  // namespace strata::testing
