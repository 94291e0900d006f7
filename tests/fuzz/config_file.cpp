// libFuzzer target: a migration repository's strata.yaml. Any text either
// loads or throws strata::Error naming the file (a MigrationError with its
// line): never another exception, never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "migrate/script.hpp"
#include "strata/error.hpp"

namespace {

// One repository for the whole run, removed at exit: the config is rewritten
// for each input (no versions/ folder, so only strata.yaml is read).
struct Repository {
    std::filesystem::path dir;
    Repository() {
        std::string pattern = (std::filesystem::temp_directory_path() / "strata-fuzz-config-XXXXXX").string();
        if (!mkdtemp(pattern.data())) std::abort();
        dir = pattern;
    }
    ~Repository() {
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }
};

const std::filesystem::path& repository() {
    static const Repository r;
    return r.dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto config = repository() / "strata.yaml";
    {
        std::ofstream out(config, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
        if (!out) std::abort();
    }
    try {
        strata::migrate::ScriptDirectory scripts(repository());
    } catch (const strata::Error& e) {
        if (std::string(e.what()).find(config.string()) == std::string::npos) __builtin_trap();  // names the file
    }
    return 0;
}
