// src/dialect/backend.hpp — one backend's parts, registered once.
//
// Each backend (src/backend/<name>/) registers one Backend in
// src/backend/registry.cpp; code outside a backend's folder never asks which
// backend it is: it asks the Backend (or the dialect, or the inspector, or the
// migration rules) what it can do. Each layer uses its own parts of the record
// only; the parts of later layers are named here by forward declaration and
// reached through their own headers (src/schema/inspector.hpp,
// src/migrate/backend_rules.hpp).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "strata/dialect.hpp"

namespace strata {

class Connection;
struct ConnectionOptions;
struct Url;
class Inspector;
namespace migrate {
class BackendRules;
}

struct Backend {
    // The URL scheme and the dialect's name: "sqlite".
    std::string_view name;
    // As people write it, for messages: "SQLite".
    std::string_view display_name;
    // Other URL schemes that mean this backend ("postgres").
    std::vector<std::string_view> aliases;

    // dialect layer
    const Dialect& (*dialect)();

    // driver layer
    // The URL names a file (scheme:///path, no host, user or port) rather
    // than a server (scheme://user:password@host:port/database).
    bool file_url = false;
    // The backend's own URL rules (query parameters it knows, their values):
    // what is wrong with the URL, or "" when nothing is. May normalise values.
    std::string (*check_url)(Url& url);
    // Whether every connection to this URL is a database of its own (SQLite in
    // memory): a pool then keeps one connection and shares it.
    bool (*connection_is_database)(const Url& url);
    std::unique_ptr<Connection> (*connect)(const Url& url, const ConnectionOptions& options);

    // schema layer: reading a live database's structure back.
    const Inspector& (*inspector)();

    // migrate layer: ALTER abilities, batch rules, lock, enum handling, hazards.
    const migrate::BackendRules& (*migration)();
};

// Every registered backend, in registration order. Defined by the
// registration, src/backend/registry.cpp (the top layer): one line per backend.
std::span<const Backend* const> registered_backends();

// By name or alias; nullptr when none has it.
const Backend* find_backend(std::string_view name);
// By name or alias; ConfigError naming the registered backends otherwise.
const Backend& backend_named(std::string_view name);
// The backend whose dialect this is.
const Backend& backend_of(const Dialect& dialect);
// "sqlite, postgresql" — the registered names, for messages.
std::string backend_names(std::string_view separator = ", ");

}  // namespace strata
