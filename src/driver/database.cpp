// Database: URL + dialect + a thread-safe pool of connections.
//
// Where each connection is a database of its own (SQLite in memory: the
// backend's connection_is_database), the pool holds a single
// connection that checkouts wait for (SQLAlchemy's StaticPool/SingletonThreadPool
// trade-off, made safe: never two threads on it at once).
#include "strata/database.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "dialect/backend.hpp"
#include "strata/dialect.hpp"
#include "strata/error.hpp"

namespace strata {

struct PooledConnection::Pool {
    Url url;
    std::string url_text;
    DatabaseOptions options;
    const Backend* backend = nullptr;
    const Dialect* dialect = nullptr;

    std::mutex mutex;
    std::condition_variable available;
    std::vector<std::unique_ptr<Connection>> idle;  // a stack: the most recently returned on top
    std::atomic<int> open{0};  // idle + parked + checked out; changed under the mutex

    // The connection returned last, parked outside the mutex: a program that
    // takes and returns one connection at a time (a session per request)
    // takes no lock. Any thread may take it. checkin() parks only when no
    // checkout is waiting, and a checkout about to wait looks here first
    // (both sides announce themselves before looking: see checkin()).
    std::atomic<Connection*> parked{nullptr};
    std::atomic<int> waiting{0};

    ~Pool() { delete parked.load(); }

    int capacity() const {
        if (backend->connection_is_database(url)) return 1;
        return options.pool.size + options.pool.max_overflow;
    }

    std::unique_ptr<Connection> open_new() {
        return backend->connect(url, options.connection);
    }

    bool usable(Connection& conn) const { return conn.is_healthy() && (!options.pool.pre_ping || conn.ping()); }

    std::unique_ptr<Connection> checkout() {
        if (std::unique_ptr<Connection> conn{parked.exchange(nullptr)}) {
            if (usable(*conn)) return conn;
            std::vector<std::unique_ptr<Connection>> dropped;  // closed after the lock is released
            std::lock_guard lock(mutex);
            --open;  // broken: dropped, never handed out again
            dropped = take_idle();
        }
        return checkout_from_idle();
    }

    // A connection found broken (the server restarted or dropped it): the
    // idle ones were most likely opened to the same server process and would
    // each fail their next request once, so they are closed now, as
    // SQLAlchemy's pool does on a disconnect. Connections checked out at
    // the time are left to their holders. Called under the mutex; the caller
    // closes the connections it gets after releasing it.
    std::vector<std::unique_ptr<Connection>> take_idle() {
        if (Connection* p = parked.exchange(nullptr)) idle.emplace_back(p);
        open -= static_cast<int>(idle.size());
        available.notify_all();  // waiting checkouts may now open new ones
        return std::exchange(idle, {});
    }

    // The rest of checkout(), apart so that the lock-free case above stays
    // small enough to inline where a session takes its connection.
    [[gnu::noinline]] std::unique_ptr<Connection> checkout_from_idle() {
        std::vector<std::unique_ptr<Connection>> dropped;  // closed after the lock is released
        std::unique_lock lock(mutex);
        std::optional<std::chrono::steady_clock::time_point> deadline;  // read the clock only if we must wait
        for (;;) {
            if (Connection* p = parked.exchange(nullptr)) idle.emplace_back(p);
            // Most recently used first: its statement cache and pages are warm,
            // and connections not needed for a while stay idle at the front.
            while (!idle.empty()) {
                auto conn = std::move(idle.back());
                idle.pop_back();
                if (!usable(*conn)) {
                    --open;  // broken: dropped, never handed out again
                    dropped = take_idle();
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
            ++waiting;
            const bool parked_meanwhile = parked.load() != nullptr;  // parked before it saw us waiting
            const bool timed_out = !parked_meanwhile && available.wait_until(lock, *deadline) == std::cv_status::timeout;
            --waiting;
            if (timed_out && idle.empty() && parked.load() == nullptr && open >= capacity())
                throw OperationalError("connection pool for '" + url.masked() + "' exhausted: " + std::to_string(open) +
                                           " connections in use, none returned within " +
                                           std::to_string(options.pool.timeout.count()) + " ms",
                                       "");
        }
    }

    // Takes `conn` (its caller's is empty after). The common case (a
    // healthy connection parked for the next checkout) is small enough to
    // inline into PooledConnection::release; the rest is out of line.
    void checkin(std::unique_ptr<Connection>& conn) {
        bool keep = conn->is_healthy();
        if (keep && conn->in_transaction()) keep = rolled_back(*conn);
        // Park it if nobody waits. A checkout that starts waiting meanwhile
        // counts itself in `waiting` before it looks at `parked` (both
        // sequentially consistent): either it sees the connection, or we see
        // it waiting and wake it (under the mutex, so not before it waits).
        if (keep && waiting.load() == 0 && open <= options.pool.size) {
            Connection* expected = nullptr;
            if (parked.compare_exchange_strong(expected, conn.get())) {
                conn.release();
                if (waiting.load() != 0) wake_one();
                return;
            }
        }
        checkin_to_idle(conn, keep);
    }

    // An open transaction rolled back before the connection goes back; false if that fails.
    [[gnu::noinline]] static bool rolled_back(Connection& conn) {
        try {
            conn.rollback();
        } catch (...) {
            return false;
        }
        return true;
    }

    [[gnu::noinline]] void wake_one() {
        std::lock_guard lock(mutex);
        available.notify_one();
    }

    // The rest of checkin(): into the idle list, or closed (overflow or broken).
    [[gnu::noinline]] void checkin_to_idle(std::unique_ptr<Connection>& conn, bool keep) {
        std::unique_ptr<Connection> to_close;
        std::vector<std::unique_ptr<Connection>> dropped;
        {
            std::lock_guard lock(mutex);
            if (keep && open <= options.pool.size) {
                idle.push_back(std::move(conn));
            } else {
                if (!conn->is_healthy()) dropped = take_idle();  // disconnected: the idle ones go too
                to_close = std::move(conn);  // overflow or broken: closed outside the lock
                --open;
            }
        }
        available.notify_one();
    }
};

PooledConnection::PooledConnection(PooledConnection&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), owner_(std::move(other.owner_)), conn_(std::move(other.conn_)) {}

void PooledConnection::release() {
    if (pool_) pool_->checkin(conn_);
    conn_.reset();
    pool_ = nullptr;
    owner_.reset();
}

Database Database::open(const std::string& url, DatabaseOptions options) {
    Database db;
    db.pool_ = std::make_shared<PooledConnection::Pool>();
    db.pool_->url = parse_url(url);
    db.pool_->url_text = url;
    db.pool_->options = options;
    db.pool_->backend = &backend_named(db.pool_->url.backend);
    db.pool_->dialect = &db.pool_->backend->dialect();
    if (db.pool_->options.pool.size < 1) throw ConfigError("pool size must be at least 1");
    // Open one connection now so a bad path or an unreachable server fails here.
    auto first = db.connect();
    return db;
}

PooledConnection Database::connect() const {
    return PooledConnection(pool_.get(), pool_, pool_->checkout());
}

void Database::connect_borrowed(PooledConnection& into) const {
    into.conn_ = pool_->checkout();  // first: if it throws, `into` is left as it was (empty)
    into.pool_ = pool_.get();
}

const Url& Database::url() const { return pool_->url; }
const Dialect& Database::dialect() const { return *pool_->dialect; }
const DatabaseOptions& Database::options() const { return pool_->options; }

int Database::open_connections() const {
    return pool_->open;
}

}  // namespace strata
