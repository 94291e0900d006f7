// Database: URL + dialect + a thread-safe pool of connections.
//
// SQLite in memory is one database per connection, so its pool holds a single
// connection that checkouts wait for (SQLAlchemy's StaticPool/SingletonThreadPool
// trade-off, made safe: never two threads on it at once).
#include "strata/database.hpp"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <vector>

#include "driver/drivers.hpp"
#include "strata/dialect.hpp"
#include "strata/error.hpp"

namespace strata {

struct PooledConnection::Pool {
    Url url;
    std::string url_text;
    DatabaseOptions options;
    const Dialect* dialect = nullptr;

    std::mutex mutex;
    std::condition_variable available;
    std::vector<std::unique_ptr<Connection>> idle;  // a stack: the most recently returned on top
    int open = 0;  // idle + checked out

    int capacity() const {
        if (url.is_sqlite_memory()) return 1;
        return options.pool.size + options.pool.max_overflow;
    }

    std::unique_ptr<Connection> open_new() {
        return url.backend == "sqlite" ? connect_sqlite(url, options.connection) : connect_postgresql(url, options.connection);
    }

    std::unique_ptr<Connection> checkout() {
        std::unique_lock lock(mutex);
        std::optional<std::chrono::steady_clock::time_point> deadline;  // read the clock only if we must wait
        for (;;) {
            // Most recently used first: its statement cache and pages are warm,
            // and connections not needed for a while stay idle at the front.
            while (!idle.empty()) {
                auto conn = std::move(idle.back());
                idle.pop_back();
                if (!conn->is_healthy() || (options.pool.pre_ping && !conn->ping())) {
                    --open;  // broken: dropped, never handed out again
                    continue;
                }
                return conn;
            }
            if (open < capacity()) {
                ++open;
                lock.unlock();
                try {
                    return open_new();
                } catch (...) {
                    lock.lock();
                    --open;
                    available.notify_one();
                    throw;
                }
            }
            if (!deadline) deadline = std::chrono::steady_clock::now() + options.pool.timeout;
            if (available.wait_until(lock, *deadline) == std::cv_status::timeout && idle.empty() && open >= capacity())
                throw OperationalError("connection pool for '" + url.masked() + "' exhausted: " + std::to_string(open) +
                                           " connections in use, none returned within " +
                                           std::to_string(options.pool.timeout.count()) + " ms",
                                       "");
        }
    }

    void checkin(std::unique_ptr<Connection> conn) {
        bool keep = conn->is_healthy();
        if (keep && conn->in_transaction()) {
            try {
                conn->rollback();
            } catch (...) {
                keep = false;
            }
        }
        std::unique_ptr<Connection> to_close;
        {
            std::lock_guard lock(mutex);
            if (keep && open <= options.pool.size) {
                idle.push_back(std::move(conn));
            } else {
                to_close = std::move(conn);  // overflow or broken: closed outside the lock
                --open;
            }
        }
        available.notify_one();
    }
};

PooledConnection::PooledConnection(std::shared_ptr<Pool> pool, std::unique_ptr<Connection> conn)
    : pool_(std::move(pool)), conn_(std::move(conn)) {}

PooledConnection& PooledConnection::operator=(PooledConnection&& other) noexcept {
    if (this != &other) {
        release();
        pool_ = std::move(other.pool_);
        conn_ = std::move(other.conn_);
    }
    return *this;
}

PooledConnection::~PooledConnection() { release(); }

void PooledConnection::release() {
    if (pool_ && conn_) pool_->checkin(std::move(conn_));
    conn_.reset();
    pool_.reset();
}

Database Database::open(const std::string& url, DatabaseOptions options) {
    Database db;
    db.pool_ = std::make_shared<PooledConnection::Pool>();
    db.pool_->url = parse_url(url);
    db.pool_->url_text = url;
    db.pool_->options = options;
    db.pool_->dialect = &dialect_named(db.pool_->url.backend);
    if (db.pool_->options.pool.size < 1) throw ConfigError("pool size must be at least 1");
    // Open one connection now so a bad path or an unreachable server fails here.
    auto first = db.connect();
    return db;
}

PooledConnection Database::connect() const {
    return PooledConnection(pool_, pool_->checkout());
}

const Url& Database::url() const { return pool_->url; }
const Dialect& Database::dialect() const { return *pool_->dialect; }
const DatabaseOptions& Database::options() const { return pool_->options; }

int Database::open_connections() const {
    std::lock_guard lock(pool_->mutex);
    return pool_->open;
}

}  // namespace strata
