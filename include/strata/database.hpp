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

#include "strata/connection.hpp"
#include "strata/url.hpp"

namespace strata {

class Dialect;
class Session;

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

// A connection checked out of the pool; goes back on destruction (rolled back
// if a transaction was left open).
class PooledConnection {
public:
    PooledConnection() = default;
    PooledConnection(PooledConnection&&) noexcept = default;
    PooledConnection& operator=(PooledConnection&&) noexcept;
    ~PooledConnection();
    Connection* operator->() const { return conn_.get(); }
    Connection& operator*() const { return *conn_; }
    Connection* get() const { return conn_.get(); }

private:
    friend class Database;
    struct Pool;
    PooledConnection(std::shared_ptr<Pool> pool, std::unique_ptr<Connection> conn);
    void release();
    std::shared_ptr<Pool> pool_;
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
    const Url& url() const;
    const Dialect& dialect() const;
    const DatabaseOptions& options() const;

    // Connections currently open (idle + checked out); for tests and docs.
    int open_connections() const;

private:
    std::shared_ptr<PooledConnection::Pool> pool_;
};

}  // namespace strata
