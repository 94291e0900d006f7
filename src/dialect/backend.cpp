// Looking up the registered backends (the list itself: src/backend/registry.cpp).
#include "dialect/backend.hpp"

#include <algorithm>

#include "strata/error.hpp"

namespace strata {

const Backend* find_backend(std::string_view name) {
    for (const Backend* b : registered_backends())
        if (b->name == name || std::find(b->aliases.begin(), b->aliases.end(), name) != b->aliases.end()) return b;
    return nullptr;
}

const Backend& backend_named(std::string_view name) {
    if (const Backend* b = find_backend(name)) return *b;
    throw ConfigError("unknown backend '" + std::string(name) + "' (supported: " + backend_names() + ")");
}

const Backend& backend_of(const Dialect& dialect) {
    for (const Backend* b : registered_backends())
        if (&b->dialect() == &dialect) return *b;
    // Every dialect is made by a backend's registration; a stray one is a bug.
    throw ConfigError("the " + std::string(dialect.name()) + " dialect belongs to no registered backend");
}

std::string backend_names(std::string_view separator) {
    std::string out;
    for (const Backend* b : registered_backends()) out += (out.empty() ? "" : std::string(separator)) + std::string(b->name);
    return out;
}

}  // namespace strata
