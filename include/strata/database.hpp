// strata/database.hpp — a database: URL, dialect and a pool of connections.
//
//   auto db = strata::Database::open("sqlite:///app.db");
//   auto conn = db.connect();          // a pooled connection, returned on destruction
//   conn->execute("...");
//
// Database is a cheap handle (copies share the pool) and is safe to share
// across threads; each checked-out connection belongs to one thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "strata/connection.hpp"
#include "strata/url.hpp"

namespace strata {

class Dialect;
class Session;
struct SessionOptions;

struct PoolOptions {
    int size = 5;                                   // connections kept open
    int max_overflow = 10;                          // extra connections opened under load, closed on return
    std::chrono::milliseconds timeout{30000};       // checkout waits this long, then OperationalError
    bool pre_ping = false;                          // check a connection with a round trip before handing it out
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
class PooledConnection {
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

class Database {
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

    // Connections currently open (idle + checked out); for tests and docs.
    int open_connections() const;

private:
    friend class detail::SessionImpl;
    // A connection that does not keep the pool alive, for a holder that
    // keeps this Database (a session): a checkout then costs no atomic
    // reference count.
    PooledConnection connect_borrowed() const;

    std::shared_ptr<PooledConnection::Pool> pool_;
};

}  // namespace strata
