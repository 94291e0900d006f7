// strata/error.hpp — the exception hierarchy every layer throws.
//
//   Error                      base; what() is a complete, human-readable message
//   ├── ConfigError            a bad URL, a missing setting, an unknown backend
//   ├── DatabaseError          the backend refused something; carries the statement
//   │   ├── IntegrityError     unique / not-null / foreign-key / check violation
//   │   ├── OperationalError   locked, missing table, I/O, lost connection, timeout
//   │   │   └── ConcurrencyError   lost a race with another transaction: running it again may succeed
//   │   └── ProgrammingError   malformed SQL, wrong number of parameters
//   ├── MigrationError         a bad revision file or a failed migration step
//   ├── NoResultFound / MultipleResultsFound   Query::one()
//   └── DetachedInstanceError  lazy load on an object whose session is gone
#pragma once

#include <stdexcept>
#include <string>

#include "strata/export.hpp"

namespace strata {

class STRATA_API Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

class STRATA_API ConfigError : public Error {
public:
    using Error::Error;
};

// An error reported by the database backend. statement() is the SQL that
// failed (empty when the failure was not tied to one, e.g. connecting);
// backend_message() is the backend's own text, unchanged.
class STRATA_API DatabaseError : public Error {
public:
    DatabaseError(const std::string& backend_message, const std::string& statement,
                  const std::string& code = {});
    const std::string& statement() const noexcept { return statement_; }
    const std::string& backend_message() const noexcept { return backend_message_; }
    // The backend's error code: SQLSTATE on PostgreSQL, the extended result
    // code's name (e.g. "SQLITE_CONSTRAINT_UNIQUE") on SQLite.
    const std::string& code() const noexcept { return code_; }

private:
    std::string backend_message_;
    std::string statement_;
    std::string code_;
};

class STRATA_API IntegrityError : public DatabaseError {
public:
    using DatabaseError::DatabaseError;
};

class STRATA_API OperationalError : public DatabaseError {
public:
    using DatabaseError::DatabaseError;
};

// The transaction lost a race with another connection and was (or must be)
// rolled back; running it again from the start may succeed: a serialization
// failure (PostgreSQL 40001), a deadlock (40P01), or SQLite busy (the write
// lock held elsewhere past the busy timeout, or a read transaction that
// cannot become a write transaction because another connection wrote).
// Database::run_transaction retries exactly these.
class STRATA_API ConcurrencyError : public OperationalError {
public:
    using OperationalError::OperationalError;
};

class STRATA_API ProgrammingError : public DatabaseError {
public:
    using DatabaseError::DatabaseError;
};

class STRATA_API MigrationError : public Error {
public:
    using Error::Error;
};

class STRATA_API NoResultFound : public Error {
public:
    using Error::Error;
};

class STRATA_API MultipleResultsFound : public Error {
public:
    using Error::Error;
};

class STRATA_API DetachedInstanceError : public Error {
public:
    using Error::Error;
};

// The object's row is gone (deleted by another transaction, or its INSERT
// rolled back elsewhere): found when the object reloaded. Every later access
// raises it again, and the object is never written.
class STRATA_API ObjectDeletedError : public Error {
public:
    using Error::Error;
};

}  // namespace strata
