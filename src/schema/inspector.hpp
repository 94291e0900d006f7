// src/schema/inspector.hpp — a backend's reflection (its part of the backend
// record, src/dialect/backend.hpp): inspect() and friends ask the connection's
// backend for its inspector.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "strata/connection.hpp"
#include "strata/inspect.hpp"
#include "strata/schema.hpp"

namespace strata {

class Inspector {
public:
    virtual ~Inspector() = default;
    // Every user table with its columns, indexes and constraints (strata::inspect).
    virtual MetaData inspect(Connection& conn, const InspectOptions& options) const = 0;
    virtual std::vector<std::string> table_names(Connection& conn, const InspectOptions& options) const = 0;
    // How the database spells a CHECK's text on `table` when it reads it back
    // (PostgreSQL deparses it); nullopt when it keeps the text as written.
    virtual std::optional<std::string> server_check_text(Connection&, const std::string& /*table*/,
                                                         const std::string& /*sqltext*/) const {
        return std::nullopt;
    }
};

// The inspector of the connection's backend.
const Inspector& inspector_of(const Connection& conn);

}  // namespace strata
