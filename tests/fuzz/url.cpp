// libFuzzer target: parse_url on arbitrary text. Any text either parses or throws
// strata::Error; a parsed URL can be printed masked.
#include <cstddef>
#include <cstdint>
#include <string>

#include "strata/error.hpp"
#include "strata/url.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        const strata::Url url = strata::parse_url(text);
        (void)url.masked();
    } catch (const strata::Error&) {
        // refused with a message: the expected outcome for most inputs
    }
    (void)strata::url_unquote(text);
    return 0;
}
