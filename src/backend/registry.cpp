// The registered backends. A backend is a folder src/backend/<name>/ (one
// subfolder per layer it has code in, and backend.cpp, its Backend record)
// and one line here; see docs/architecture.md, "Backends".
#include "dialect/backend.hpp"

namespace strata {

const Backend& sqlite_backend();       // src/backend/sqlite/backend.cpp
const Backend& postgresql_backend();   // src/backend/postgresql/backend.cpp

std::span<const Backend* const> registered_backends() {
    static const Backend* const all[] = {&sqlite_backend(), &postgresql_backend()};
    return all;
}

}  // namespace strata
