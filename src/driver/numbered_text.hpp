// Statements by a numbered text: not a public header.
//
// The ORM asks for some SQL texts (a mapper's SELECT by key) again and again,
// each one a string that never changes while it lives. Named by a number from
// new_text_id(), such a text is found in the connection's statement cache by
// that number when it was the last one asked for, without comparing its
// bytes. The caller keeps the contract that one number names one text (a
// Debug build checks it: Connection::Cache::slot).
#pragma once

#include <cstdint>
#include <string_view>

#include "strata/connection.hpp"

namespace strata::detail {

struct NumberedText {
    // A number for one text: never given twice in the process, so a number
    // can never name another text (not even one at the same address after
    // the first is gone).
    static std::uint64_t new_text_id();
    // Connection::prepare_generated for `sql`, which `text_id` names. Inline:
    // every get() and lazy load asks, and the call added nothing.
    static StatementHandle prepare_generated(Connection& conn, std::string_view sql, std::uint64_t text_id) {
        return conn.check_out(sql, true, text_id);
    }
};

}  // namespace strata::detail
