// strata/connection.hpp — one connection to one database (the driver layer).
//
// A Connection prepares statements (cached per connection by SQL text),
// runs transactions and savepoints, and maps backend errors onto
// strata::Error. Statement::bind is 1-based like sqlite3_bind_*; columns are
// 0-based like sqlite3_column_*.
//
//   auto stmt = conn.prepare("SELECT id, name FROM \"user\" WHERE id = ?");
//   stmt->bind(1, 42);
//   while (stmt->step()) use(stmt->get_int64(0), stmt->get_text(1));
//
// A connection is used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "strata/export.hpp"
#include "strata/types.hpp"
#include "strata/value.hpp"

namespace strata {

class Dialect;
class Connection;
namespace detail {
struct NumberedText;
}

// Takes values by 1-based position: a statement's parameters, or the fields
// of a row sent with COPY. The ORM writes objects' columns through it.
class STRATA_API ValueSink {
public:
    virtual ~ValueSink() = default;
    virtual void bind(int index, const Value& value) = 0;
    // Text the caller keeps valid and unchanged until the statement is reset
    // or this parameter rebound: drivers that can bind it without a copy do.
    virtual void bind_view(int index, std::string_view text) { bind(index, Value(text)); }
    // An integer without building a Value (a key, bound once per get()).
    virtual void bind_int64(int index, std::int64_t v) { bind(index, Value(v)); }
    // NULL and a date-time the same way: a flush binds every column of every
    // new row, and drivers that can bind these directly do.
    virtual void bind_null(int index) { bind(index, Value()); }
    virtual void bind_datetime(int index, DateTime v) { bind(index, Value(v)); }
};

class STRATA_API Statement : public ValueSink {
public:
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    const std::string& sql() const { return sql_; }
    virtual int parameter_count() const = 0;

    // Parameters, 1-based. Binding resets a statement that was stepped.
    void bind(int index, const Value& value) override = 0;
    void bind_all(std::span<const Value> values);
    virtual void clear_bindings() = 0;

    // Runs or advances the statement: true while a row is available.
    virtual bool step() = 0;
    // Runs a statement that returns no rows; returns the number of rows changed.
    std::int64_t execute();
    // Makes the statement ready to be stepped again (bindings are kept).
    virtual void reset() = 0;
    // What a statement going back to its connection's cache goes through:
    // reset, and every parameter NULL to its next user unless bound again. A
    // driver may leave the clearing to that user's first run (SQLite: most
    // users bind every parameter, and clearing them cost as much as binding
    // one). Throws when the statement cannot be reset (it is then dropped).
    virtual void recycle() {
        reset();
        clear_bindings();
    }
    virtual std::int64_t rows_affected() const = 0;
    // True when the statement surely writes nothing (SQLite knows; other
    // backends say false): a session runs such raw SQL outside its transaction.
    virtual bool is_read_only() const { return false; }
    // False only for a statement of Connection::prepare_generated() that has
    // not run yet: the server has not seen its SQL (such a statement is not
    // kept in the cache, where prepare() could find it).
    virtual bool sql_checked() const { return true; }

    // Columns of the current row, 0-based.
    virtual int column_count() const = 0;
    virtual std::string column_name(int col) const = 0;
    virtual bool is_null(int col) const = 0;
    // NULL reads as 0, 0.0, false, empty text and a zero DateTime, Date or
    // Time (drivers keep to this: the ORM reads a non-optional member's
    // column without asking is_null).
    virtual std::int64_t get_int64(int col) const = 0;
    virtual double get_double(int col) const = 0;
    virtual bool get_bool(int col) const = 0;
    // Valid until the next step/reset.
    virtual std::string_view get_text(int col) const = 0;
    virtual std::span<const std::uint8_t> get_blob(int col) const = 0;
    virtual DateTime get_datetime(int col) const = 0;
    virtual Date get_date(int col) const = 0;
    virtual Time get_time(int col) const = 0;
    virtual Decimal get_decimal(int col) const = 0;
    // What the current row holds in a column that is not NULL: Integer,
    // Float, Numeric, Text, LargeBinary, Boolean, DateTime, Date or Time
    // (SQLite: its storage class, one of the first five but Numeric). What
    // typed raw SQL checks a requested C++ type against.
    virtual TypeKind stored_kind(int col) const = 0;
    // A column as a Value of the given type (allocates; for generic code).
    Value get_value(int col, TypeKind kind) const;

protected:
    Statement(const Connection& conn, std::string sql) : conn_(conn), sql_(std::move(sql)) {}
    // Drivers call these so STRATA_ECHO logs each execution with its parameters
    // (and STRATA_FAILPOINT counts it: docs/architecture.md, "Crash testing").
    void note_bind(int index, const Value& value);
    void note_execute();      // call at the first step() after a reset
    void note_reset() { executed_ = false; }
    bool executed_ = false;   // stepped since the last reset

    const Connection& conn_;
    std::string sql_;

private:
    std::vector<Value> echo_params_;  // filled only while echo is on
};

// A statement checked out of a connection's cache; returns it on destruction
// (reset, bindings cleared). Move-only.
class STRATA_API StatementHandle {
public:
    StatementHandle() = default;
    StatementHandle(Connection* owner, std::unique_ptr<Statement> stmt, void* cache_slot = nullptr)
        : owner_(owner), stmt_(std::move(stmt)), cache_slot_(cache_slot) {}
    StatementHandle(StatementHandle&&) noexcept = default;
    StatementHandle& operator=(StatementHandle&& other) noexcept;
    ~StatementHandle() {
        if (stmt_) release();
    }

    Statement* operator->() const { return stmt_.get(); }
    Statement& operator*() const { return *stmt_; }
    explicit operator bool() const { return stmt_ != nullptr; }

private:
    void release();  // gives stmt_ back (there is one)
    Connection* owner_ = nullptr;
    std::unique_ptr<Statement> stmt_;
    void* cache_slot_ = nullptr;  // where the statement goes back to (the connection's cache entry)
};

// A transaction's isolation level. SQLite's transactions are always
// serializable (one writer at a time; see Connection::begin_deferred), so
// only PostgreSQL looks at it.
enum class Isolation {
    ServerDefault,   // the server's setting (PostgreSQL: READ COMMITTED unless configured otherwise)
    ReadCommitted,
    RepeatableRead,
    Serializable,
};

// A connection's settings, timeouts included: code that waits on the
// database (the migration runner, say) takes them from here, never from a
// constant of its own.
struct ConnectionOptions {
    bool echo = false;                 // log statements and parameters to stderr (or STRATA_ECHO=1)
    int busy_timeout_ms = 5000;        // SQLite: wait this long on a locked database
    // PostgreSQL: the session's lock_timeout and statement_timeout, set when
    // the connection opens; 0 keeps the server's setting (a URL's
    // options=-c lock_timeout=… wins over both). SQLite waits for locks up to
    // busy_timeout_ms and has no statement timeout.
    int lock_timeout_ms = 0;
    int statement_timeout_ms = 0;
    // A session that only watches others (a migration's lock watch): never
    // echoed, and not counted by STRATA_FAILPOINT, so crash tests see the
    // same statements on every run.
    bool side_session = false;
};

// Rows sent with COPY ... FROM STDIN, PostgreSQL's bulk load: each row's
// fields through bind() / bind_view() in the columns' order, then end_row().
// finish() sends the end and reports the server's verdict (a duplicate key
// throws IntegrityError there); a writer dropped unfinished aborts the COPY.
// Until then the connection runs nothing else.
class STRATA_API CopyWriter : public ValueSink {
public:
    virtual const std::string& sql() const = 0;  // the COPY statement, for logs
    virtual void end_row() = 0;
    virtual std::int64_t finish() = 0;  // rows written
};

// Asks the server to stop the statement a connection is running. cancel()
// may be called from another thread or from a signal handler (it is
// async-signal-safe); a request that arrives between statements does nothing.
class STRATA_API StatementCanceller {
public:
    virtual ~StatementCanceller() = default;
    // True when the request reached the server (the statement may have ended already).
    virtual bool cancel() noexcept = 0;
};

class STRATA_API Connection {
public:
    virtual ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    virtual const Dialect& dialect() const = 0;

    // A prepared statement for this SQL text, from the cache when one is free.
    // Placeholders are the dialect's ("?" on SQLite, "$1" on PostgreSQL).
    StatementHandle prepare(std::string_view sql);
    // prepare() for SQL the library wrote itself (the ORM's queries): the
    // backend may check the SQL with the statement's first run instead, and
    // an error in it is then thrown by step(). PostgreSQL sends a statement
    // without parameters to the server with its first run: one round trip,
    // where prepare() and the run take two.
    StatementHandle prepare_generated(std::string_view sql);
    // Runs one SQL statement with no parameters; rows it returns are ignored.
    // Text holding a second statement is a ProgrammingError (nothing runs), so
    // text that reaches SQL from a file or a user can never smuggle one in.
    virtual void execute(std::string_view sql) = 0;
    // Runs text that may hold several statements, in order. Only for SQL a
    // person wrote as a script on purpose (a migration's `execute` op).
    virtual void execute_script(std::string_view sql) = 0;
    // Convenience: prepare, bind, run; returns rows changed.
    std::int64_t execute(std::string_view sql, std::span<const Value> params);

    // Transactions. begin() when one is open throws ProgrammingError.
    // begin() is for a transaction that is about to write: SQLite takes the
    // write lock now (BEGIN IMMEDIATE), waiting up to the busy timeout.
    virtual void begin();
    // A transaction that takes no lock until its statements need one: on
    // SQLite (BEGIN DEFERRED) reads share the database with other readers,
    // and the first write takes the write lock -- waiting up to the busy
    // timeout if nothing was read yet, else failing at once with
    // ConcurrencyError when another connection writes or wrote meanwhile
    // (SQLite cannot wait there without risking a deadlock). PostgreSQL:
    // BEGIN with the isolation level given.
    virtual void begin_deferred(Isolation isolation = Isolation::ServerDefault);
    // A transaction that shuts out every other writer and, on SQLite in
    // rollback-journal mode, every reader too (BEGIN EXCLUSIVE), waiting up
    // to the busy timeout; elsewhere the same as begin(). What a migration
    // takes before it does any work.
    virtual void begin_exclusive() { begin(); }
    virtual void commit();
    virtual void rollback();
    bool in_transaction() const { return in_transaction_; }
    // Savepoints nest inside a transaction.
    void savepoint(std::string_view name);
    void release_savepoint(std::string_view name);
    void rollback_to_savepoint(std::string_view name);

    // The key assigned by the last INSERT on this connection (SQLite rowid).
    virtual std::int64_t last_insert_id() = 0;

    // Bulk load into table (columns): PostgreSQL only (supports_copy()); the
    // names are quoted by the dialect here. ProgrammingError elsewhere.
    virtual bool supports_copy() const { return false; }
    virtual std::unique_ptr<CopyWriter> copy_from(std::string_view table, const std::vector<std::string>& columns);
    // n new keys from the sequence behind table.column (PostgreSQL's serial
    // and IDENTITY columns), in the order the sequence gives them; empty if
    // the column has no sequence or the backend has none (SQLite).
    virtual std::vector<std::int64_t> draw_keys(std::string_view table, std::string_view column, std::size_t n);

    // Cancels this connection's running statement from elsewhere (PostgreSQL:
    // libpq's cancel request); nullptr when the backend has none. Valid while
    // the connection is open.
    virtual std::unique_ptr<StatementCanceller> canceller() { return nullptr; }
    // Opens side sessions (ConnectionOptions::side_session) on the same
    // database, to watch this connection from; callable from any thread, even
    // after this connection is gone. Empty when the backend has no use for one.
    virtual std::function<std::unique_ptr<Connection>()> side_session_opener() const { return {}; }
    bool is_side_session() const { return options_.side_session; }

    // False once the connection is known to be broken (pool discards it).
    virtual bool is_healthy() { return true; }
    // Round trip to check the connection is alive (pool pre-ping).
    virtual bool ping();

    const ConnectionOptions& options() const { return options_; }
    bool echo() const { return options_.echo; }
    void set_echo(bool on) { options_.echo = on; }
    // Drivers call this just before sending a statement that is not a prepared
    // Statement's run: writes it to stderr when echo is on, counts it for STRATA_FAILPOINT.
    void log_statement(std::string_view sql, std::span<const Value> params = {}) const;

    // Statements in the cache (free and checked out); for tests and tuning.
    std::size_t cached_statement_count() const;
    // Statements prepared by the backend since open (cache misses).
    std::size_t prepare_count() const { return prepare_count_; }

protected:
    explicit Connection(ConnectionOptions options);
    // Backend prepare: parse the SQL into a new statement.
    virtual std::unique_ptr<Statement> prepare_new(std::string_view sql) = 0;
    // Backend prepare_generated() (see there); prepare_new() unless the backend can wait.
    virtual std::unique_ptr<Statement> prepare_new_generated(std::string_view sql) { return prepare_new(sql); }
    // Drops the free cached statements; backends call it before closing their handle.
    void clear_statement_cache();
    bool in_transaction_ = false;
    ConnectionOptions options_;

private:
    friend class StatementHandle;
    friend struct detail::NumberedText;  // prepare_generated by a text's number (src/driver/numbered_text.hpp)
    // Takes `stmt` back into the cache if it keeps it (else leaves it to its caller to destroy).
    void give_back(std::unique_ptr<Statement>& stmt, void* cache_slot);
    StatementHandle check_out(std::string_view sql, bool generated, std::uint64_t text_id = 0);
    StatementHandle check_out_new(void* cache_slot, std::string_view sql, bool generated);  // a cache miss
    struct Cache;
    std::unique_ptr<Cache> cache_;
    std::size_t prepare_count_ = 0;
};

// Opens a connection from a URL ("sqlite:///app.db", "postgresql://…").
STRATA_API std::unique_ptr<Connection> connect(const std::string& url, ConnectionOptions options = {});

}  // namespace strata
