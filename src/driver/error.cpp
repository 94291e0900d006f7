#include "strata/error.hpp"

namespace strata {

namespace {
std::string compose(const std::string& message, const std::string& statement) {
    if (statement.empty()) return message;
    return message + "\n  [SQL: " + statement + "]";
}
}  // namespace

DatabaseError::DatabaseError(const std::string& backend_message, const std::string& statement, const std::string& code)
    : Error(compose(backend_message, statement)),
      backend_message_(backend_message),
      statement_(statement),
      code_(code) {}

}  // namespace strata
