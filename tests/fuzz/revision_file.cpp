// libFuzzer target: loading a revision file from bytes. Any text either loads or throws
// strata::Error (a MigrationError naming file:line); a revision that loads is written
// back by format_revision as text that loads to the same revision.
#include <cstddef>
#include <cstdint>
#include <string>

#include "migrate/revision_file.hpp"
#include "strata/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    strata::migrate::Revision revision;
    try {
        revision = strata::migrate::parse_revision(text, "fuzz.yaml");
    } catch (const strata::Error&) {
        return 0;  // refused with a message
    }
    const std::string written = strata::migrate::format_revision(revision);
    const std::string rewritten = strata::migrate::format_revision(strata::migrate::parse_revision(written, "fuzz.yaml"));
    if (rewritten != written) __builtin_trap();
    return 0;
}
