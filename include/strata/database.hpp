// strata/database.hpp — a database: URL, dialect and a pool of connections.
//
//   auto db = strata::Database::open("sqlite:///app.db");
//   auto conn = db.connect();          // a pooled connection, returned on destruction
//   conn->execute("...");
//
// Database is a cheap handle (copies share the pool) and is safe to share
// across threads; each checked-out connection belongs to one thread.
//
//   db.run_transaction([&](strata::Session& s) {   // retried on conflicts
//       auto a = s.get<Account>(1);
//       a->balance += 10;
//   });                                           // committed here
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "strata/export.hpp"
#include "strata/connection.hpp"
#include "strata/url.hpp"

namespace strata {

class Dialect;
class Registry;
class Session;
struct SessionOptions;

struct PoolOptions {
    int size = 5;                                   // connections kept open
    int max_overflow = 10;                          // extra connections opened under load, closed on return
    std::chrono::milliseconds timeout{30000};       // checkout waits this long, then OperationalError
    bool pre_ping = false;                          // check a connection with a round trip before handing it out
};

// How Database::run_transaction runs and retries (docs/orm.md, "Retrying
// transactions").
struct TransactionOptions {
    // Serializable by default, so the function runs as if alone on every
    // backend (SQLite's transactions always are).
    Isolation isolation = Isolation::Serializable;
    int max_attempts = 10;                             // runs of fn in all, then the last ConcurrencyError
    std::chrono::milliseconds first_backoff{5};        // the wait before the 2nd run; doubles per retry...
    std::chrono::milliseconds max_backoff{1000};       // ...up to this; each wait is jittered to 50-100 %
};

struct DatabaseOptions {
    ConnectionOptions connection;
    PoolOptions pool;
};

class Database;
namespace detail {
class SessionImpl;
}

// A connection checked out of the pool; goes back on destruction (rolled back
// if a transaction was left open).
class STRATA_API PooledConnection {
public:
    PooledConnection() = default;
    PooledConnection(PooledConnection&& other) noexcept;
    PooledConnection& operator=(PooledConnection&& other) noexcept {
        if (this != &other) {
            if (conn_) release();
            pool_ = std::exchange(other.pool_, nullptr);
            owner_ = std::move(other.owner_);
            conn_ = std::move(other.conn_);
        }
        return *this;
    }
    ~PooledConnection() {
        if (conn_) release();
    }
    Connection* operator->() const { return conn_.get(); }
    Connection& operator*() const { return *conn_; }
    Connection* get() const { return conn_.get(); }

private:
    friend class Database;
    struct Pool;
    PooledConnection(Pool* pool, std::shared_ptr<Pool> owner, std::unique_ptr<Connection> conn)
        : pool_(pool), owner_(std::move(owner)), conn_(std::move(conn)) {}
    void release();  // gives conn_ back (there is one)
    Pool* pool_ = nullptr;          // where the connection goes back
    std::shared_ptr<Pool> owner_;   // keeps the pool alive; empty if borrowed (Database::connect_borrowed)
    std::unique_ptr<Connection> conn_;
};

class STRATA_API Database {
public:
    // Parses the URL (ConfigError if bad) and prepares the pool; the first
    // connection is opened eagerly so a bad path or server fails here.
    static Database open(const std::string& url, DatabaseOptions options = {});

    PooledConnection connect() const;
    // An ORM session on this database (strata/session.hpp), with the most
    // recently created Registry; Session(db, registry) names one explicitly.
    Session session() const;
    Session session(const SessionOptions& options) const;
    const Url& url() const;
    const Dialect& dialect() const;
    const DatabaseOptions& options() const;

    // Runs fn(Session&) in a new session's transaction and commits, then
    // returns what fn returned. When the transaction loses a race -- a
    // ConcurrencyError: serialization failure, deadlock, SQLite busy --
    // it is rolled back and fn runs again in a fresh session, after a
    // jittered backoff, up to options.max_attempts runs in all. Any other
    // error (IntegrityError included) is rolled back and thrown at once.
    // fn may run several times: apart from its database work it must be
    // idempotent, and objects from a failed run are not to be kept.
    template <class F>
    auto run_transaction(F&& fn, const TransactionOptions& options = {}) const {
        return run_transaction_with(nullptr, std::forward<F>(fn), options);
    }
    // The same with a session on the given Registry (not the latest one).
    template <class F>
    auto run_transaction(const Registry& registry, F&& fn, const TransactionOptions& options = {}) const {
        return run_transaction_with(&registry, std::forward<F>(fn), options);
    }

    // Connections currently open (idle + checked out); for tests and docs.
    int open_connections() const;

private:
    template <class F>
    auto run_transaction_with(const Registry* registry, F&& fn, const TransactionOptions& options) const {
        using Result = std::remove_cvref_t<std::invoke_result_t<F&, Session&>>;
        if constexpr (std::is_void_v<Result>) {
            retry_transaction(registry, [&](Session& s) { fn(s); }, options);
        } else {
            std::optional<Result> result;
            retry_transaction(registry, [&](Session& s) { result.emplace(fn(s)); }, options);
            return std::move(*result);
        }
    }
    // The loop behind run_transaction (src/orm/transaction.cpp).
    void retry_transaction(const Registry* registry, const std::function<void(Session&)>& fn,
                           const TransactionOptions& options) const;

    friend class detail::SessionImpl;
    // A connection that does not keep the pool alive, for a holder that
    // keeps this Database (a session): a checkout then costs no atomic
    // reference count. Checked out into `into`, which holds none: no
    // PooledConnection built and moved (a session per get pays it each
    // time). If the checkout throws, `into` stays empty.
    void connect_borrowed(PooledConnection& into) const;

    std::shared_ptr<PooledConnection::Pool> pool_;
};

}  // namespace strata
