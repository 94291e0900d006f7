// The SQLite driver on libsqlite3.
//
// Storage follows SQLAlchemy's SQLite conventions so files are shared with
// Python apps: DateTime/Date/Time as ISO text, Boolean as 0/1, Numeric as
// REAL (read back as text with the column's scale by the caller).
#include <sqlite3.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <unordered_map>

#include "driver/drivers.hpp"
#include "strata/dialect.hpp"
#include "strata/error.hpp"

namespace strata {

namespace {

const char* code_name(int extended) {
    const char* s = sqlite3_errstr(extended);
    (void)s;
    switch (extended) {
        case SQLITE_CONSTRAINT_UNIQUE: return "SQLITE_CONSTRAINT_UNIQUE";
        case SQLITE_CONSTRAINT_PRIMARYKEY: return "SQLITE_CONSTRAINT_PRIMARYKEY";
        case SQLITE_CONSTRAINT_NOTNULL: return "SQLITE_CONSTRAINT_NOTNULL";
        case SQLITE_CONSTRAINT_FOREIGNKEY: return "SQLITE_CONSTRAINT_FOREIGNKEY";
        case SQLITE_CONSTRAINT_CHECK: return "SQLITE_CONSTRAINT_CHECK";
        case SQLITE_BUSY: return "SQLITE_BUSY";
        case SQLITE_LOCKED: return "SQLITE_LOCKED";
        case SQLITE_ERROR: return "SQLITE_ERROR";
        case SQLITE_CANTOPEN: return "SQLITE_CANTOPEN";
        case SQLITE_READONLY: return "SQLITE_READONLY";
        case SQLITE_IOERR: return "SQLITE_IOERR";
        case SQLITE_RANGE: return "SQLITE_RANGE";
        case SQLITE_TOOBIG: return "SQLITE_TOOBIG";
        case SQLITE_MISMATCH: return "SQLITE_MISMATCH";
        default: break;
    }
    switch (extended & 0xff) {
        case SQLITE_CONSTRAINT: return "SQLITE_CONSTRAINT";
        case SQLITE_NOTADB: return "SQLITE_NOTADB";
        case SQLITE_CORRUPT: return "SQLITE_CORRUPT";
        case SQLITE_FULL: return "SQLITE_FULL";
        case SQLITE_BUSY: return "SQLITE_BUSY";
        case SQLITE_IOERR: return "SQLITE_IOERR";
        case SQLITE_CANTOPEN: return "SQLITE_CANTOPEN";
        default: return "SQLITE_ERROR";
    }
}

// Maps a failed call onto the hierarchy. "no such table" and other schema
// errors are OperationalError, as in SQLAlchemy; syntax errors and misuse are
// ProgrammingError.
[[noreturn]] void throw_sqlite(sqlite3* db, int rc, const std::string& sql) {
    int extended = db ? sqlite3_extended_errcode(db) : rc;
    if ((extended & 0xff) != (rc & 0xff)) extended = rc;
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    std::string code = code_name(extended);
    switch (rc & 0xff) {
        case SQLITE_CONSTRAINT: throw IntegrityError(message, sql, code);
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
        case SQLITE_IOERR:
        case SQLITE_CANTOPEN:
        case SQLITE_READONLY:
        case SQLITE_FULL:
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
        case SQLITE_PERM:
        case SQLITE_NOMEM:
        case SQLITE_INTERRUPT:
        case SQLITE_ABORT: throw OperationalError(message, sql, code);
        case SQLITE_RANGE:
        case SQLITE_MISUSE:
        case SQLITE_MISMATCH:
        case SQLITE_TOOBIG: throw ProgrammingError(message, sql, code);
        default: break;
    }
    if (message.starts_with("no such table") || message.starts_with("no such column") ||
        message.find("already exists") != std::string::npos)
        throw OperationalError(message, sql, code);
    throw ProgrammingError(message, sql, code);
}

class SqliteConnection;

class SqliteStatement final : public Statement {
public:
    SqliteStatement(const Connection& conn, sqlite3* db, sqlite3_stmt* stmt, std::string sql)
        : Statement(conn, std::move(sql)), db_(db), stmt_(stmt) {}
    ~SqliteStatement() override { sqlite3_finalize(stmt_); }

    int parameter_count() const override { return sqlite3_bind_parameter_count(stmt_); }

    void bind(int index, const Value& value) override {
        if (executed_) reset();
        note_bind(index, value);
        int rc = std::visit([&](const auto& v) { return bind_one(index, v); }, value.storage());
        if (rc != SQLITE_OK) {
            if (rc == SQLITE_RANGE)
                throw ProgrammingError("parameter index " + std::to_string(index) + " is out of range (statement has " +
                                           std::to_string(parameter_count()) + " parameters)",
                                       sql_, "SQLITE_RANGE");
            throw_sqlite(db_, rc, sql_);
        }
    }

    void bind_view(int index, std::string_view text) override {
        if (executed_) reset();
        if (conn_.echo()) note_bind(index, Value(text));
        // SQLITE_STATIC: no copy; the caller keeps the text alive (see Statement::bind_view).
        int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
        if (rc != SQLITE_OK) bind(index, Value(text));  // the same checks and messages as bind()
    }

    void bind_int64(int index, std::int64_t v) override {
        if (executed_) reset();
        if (conn_.echo()) note_bind(index, Value(v));
        if (sqlite3_bind_int64(stmt_, index, v) != SQLITE_OK) bind(index, Value(v));  // the same checks and messages
    }

    void clear_bindings() override { sqlite3_clear_bindings(stmt_); }

    bool step() override {
        if (!executed_) note_execute();
        int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) {
            changes_ = sqlite3_changes64(db_);
            return false;
        }
        // sqlite3_reset returns the same error; reset so the statement is reusable.
        sqlite3_reset(stmt_);
        executed_ = false;
        throw_sqlite(db_, rc, sql_);
    }

    void reset() override {
        sqlite3_reset(stmt_);
        note_reset();
    }
    std::int64_t rows_affected() const override { return changes_; }

    int column_count() const override { return sqlite3_column_count(stmt_); }
    std::string column_name(int col) const override { return sqlite3_column_name(stmt_, col); }
    bool is_null(int col) const override { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
    std::int64_t get_int64(int col) const override { return sqlite3_column_int64(stmt_, col); }
    double get_double(int col) const override { return sqlite3_column_double(stmt_, col); }
    bool get_bool(int col) const override { return sqlite3_column_int64(stmt_, col) != 0; }
    // Text and size through the column's value: sqlite3_column_text and
    // sqlite3_column_bytes each look the column up again (a third of the cost
    // of reading a short string). The value is "unprotected", which only
    // matters when two threads share the connection, and ours never do
    // (SQLITE_OPEN_NOMUTEX, one thread at a time: see SqliteConnection).
    std::string_view get_text(int col) const override {
        sqlite3_value* v = sqlite3_column_value(stmt_, col);
        auto p = reinterpret_cast<const char*>(sqlite3_value_text(v));
        return p ? std::string_view(p, sqlite3_value_bytes(v)) : std::string_view();
    }
    std::span<const std::uint8_t> get_blob(int col) const override {
        sqlite3_value* v = sqlite3_column_value(stmt_, col);
        auto p = static_cast<const std::uint8_t*>(sqlite3_value_blob(v));
        return p ? std::span<const std::uint8_t>(p, sqlite3_value_bytes(v)) : std::span<const std::uint8_t>();
    }
    DateTime get_datetime(int col) const override { return parse_datetime(get_text(col)); }
    Date get_date(int col) const override { return parse_date(get_text(col)); }
    Time get_time(int col) const override { return parse_time(get_text(col)); }
    Decimal get_decimal(int col) const override {
        // Stored with NUMERIC affinity: an INTEGER, a REAL or (when it did
        // not convert) TEXT. Shortest text that reads back to the same double.
        switch (sqlite3_column_type(stmt_, col)) {
            case SQLITE_INTEGER: return Decimal{std::to_string(sqlite3_column_int64(stmt_, col))};
            case SQLITE_FLOAT: {
                char buf[64];
                double d = sqlite3_column_double(stmt_, col);
                for (int prec = 1; prec <= 17; ++prec) {
                    std::snprintf(buf, sizeof buf, "%.*g", prec, d);
                    if (std::strtod(buf, nullptr) == d) break;
                }
                return Decimal{buf};
            }
            default: return Decimal{std::string(get_text(col))};
        }
    }

private:
    int bind_one(int i, Null) { return sqlite3_bind_null(stmt_, i); }
    int bind_one(int i, bool v) { return sqlite3_bind_int(stmt_, i, v ? 1 : 0); }
    int bind_one(int i, std::int64_t v) { return sqlite3_bind_int64(stmt_, i, v); }
    int bind_one(int i, double v) { return sqlite3_bind_double(stmt_, i, v); }
    int bind_one(int i, const std::string& v) {
        return sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    }
    int bind_one(int i, const Blob& v) {
        // A zero-length blob is a blob, not NULL: pass a non-null pointer.
        static const std::uint8_t empty = 0;
        return sqlite3_bind_blob64(stmt_, i, v.bytes.empty() ? &empty : v.bytes.data(), v.bytes.size(), SQLITE_TRANSIENT);
    }
    int bind_one(int i, DateTime v) { return bind_one(i, format_datetime(v)); }
    int bind_one(int i, Date v) { return bind_one(i, format_date(v)); }
    int bind_one(int i, Time v) { return bind_one(i, format_time(v)); }
    int bind_one(int i, const Decimal& v) { return bind_one(i, v.text); }

    sqlite3* db_;
    sqlite3_stmt* stmt_;
    std::int64_t changes_ = 0;
};

class SqliteConnection final : public Connection {
public:
    SqliteConnection(const Url& url, const ConnectionOptions& options) : Connection(options) {
        std::string path = url.is_sqlite_memory() ? ":memory:" : url.database;
        int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
        // ?mode=ro|rw|rwc as in SQLite's URI filenames (parse_url refuses other values).
        auto mode = url.query.find("mode");
        if (mode != url.query.end() && mode->second == "ro") flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX;
        if (mode != url.query.end() && mode->second == "rw") flags &= ~SQLITE_OPEN_CREATE;
        int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
        if (rc != SQLITE_OK) {
            std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
            sqlite3_close(db_);
            db_ = nullptr;
            auto parent = std::filesystem::path(path).parent_path();
            if (!parent.empty() && !std::filesystem::exists(parent))
                message += " (folder '" + parent.string() + "' does not exist)";
            throw OperationalError("cannot open SQLite database '" + path + "' from URL '" + url.masked() + "': " + message,
                                   "", code_name(rc));
        }
        sqlite3_extended_result_codes(db_, 1);
        sqlite3_busy_timeout(db_, options.busy_timeout_ms);
        require_database(url, path);
        // Foreign keys are off by default in SQLite; strata always enforces them.
        execute("PRAGMA foreign_keys = ON");
    }

    ~SqliteConnection() override {
        clear_statement_cache();
        for (auto& [sql, stmt] : control_) sqlite3_finalize(stmt);
        sqlite3_close_v2(db_);
    }

    const Dialect& dialect() const override { return sqlite_dialect(); }

    void execute(std::string_view sql) override {
        log_statement(sql);
        if (is_transaction_control(sql)) return run_control(sql);
        sqlite3_stmt* raw = nullptr;
        const char* tail = nullptr;
        int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &raw, &tail);
        if (rc != SQLITE_OK) throw_sqlite(db_, rc, std::string(sql));
        std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw, sqlite3_finalize);
        if (!only_comments(tail, sql.data() + sql.size())) throw ProgrammingError(kOneStatementOnly, std::string(sql));
        if (!stmt) return;   // nothing but whitespace and comments
        while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
        }
        if (rc != SQLITE_DONE) throw_sqlite(db_, rc, std::string(sql));
    }
    using Connection::execute;

    void execute_script(std::string_view sql) override {
        log_statement(sql);
        std::string text(sql);
        char* err = nullptr;
        int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
        if (err) sqlite3_free(err);
        if (rc != SQLITE_OK) throw_sqlite(db_, rc, text);
    }

    void begin() override {
        // IMMEDIATE takes the write lock up front: two writers then queue on
        // the busy timeout instead of failing later with SQLITE_BUSY on upgrade.
        if (in_transaction_) throw ProgrammingError("a transaction is already open on this connection", "BEGIN");
        execute("BEGIN IMMEDIATE");
        in_transaction_ = true;
    }

    void rollback() override {
        if (!in_transaction_) return;
        in_transaction_ = false;
        // Some errors (SQLITE_FULL, IOERR, …) already rolled the transaction back.
        if (!sqlite3_get_autocommit(db_)) execute("ROLLBACK");
    }

    std::int64_t last_insert_id() override { return sqlite3_last_insert_rowid(db_); }

    sqlite3* handle() const { return db_; }

protected:
    std::unique_ptr<Statement> prepare_new(std::string_view sql) override {
        sqlite3_stmt* stmt = nullptr;
        const char* tail = nullptr;
        int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
        if (rc != SQLITE_OK) throw_sqlite(db_, rc, std::string(sql));
        if (!stmt) throw ProgrammingError("the statement is empty", std::string(sql));
        if (!only_comments(tail, sql.data() + sql.size())) {
            sqlite3_finalize(stmt);
            throw ProgrammingError(kOneStatementOnly, std::string(sql));
        }
        return std::make_unique<SqliteStatement>(*this, db_, stmt, std::string(sql));
    }

private:
    // sqlite3_open_v2 reads nothing: a file of random bytes or a truncated one
    // only fails at its first use, in whatever that is (a lock, a query).
    // Reading the header here makes every command say what is wrong.
    void require_database(const Url& url, const std::string& path) {
        sqlite3_stmt* stmt = nullptr;
        int rc = sqlite3_prepare_v2(db_, "PRAGMA schema_version", -1, &stmt, nullptr);
        if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
        sqlite3_finalize(stmt);
        if (rc == SQLITE_ROW || rc == SQLITE_DONE) return;
        int code = sqlite3_extended_errcode(db_);
        std::string message = sqlite3_errmsg(db_);
        if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED) return;   // someone is writing: a database
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw OperationalError("cannot open SQLite database '" + path + "' from URL '" + url.masked() + "': " + message +
                                   ((code & 0xff) == SQLITE_NOTADB || (code & 0xff) == SQLITE_CORRUPT
                                        ? " (the file exists but is not a SQLite database, or is damaged)"
                                        : ""),
                               "", code_name(code));
    }

    // Whether what follows a prepared statement is empty to SQLite: only
    // whitespace, comments and ';' (asked of SQLite's own parser, which
    // prepares nothing from such text).
    bool only_comments(const char* begin, const char* end) const {
        while (begin && begin < end) {
            sqlite3_stmt* next = nullptr;
            const char* tail = nullptr;
            if (sqlite3_prepare_v2(db_, begin, static_cast<int>(end - begin), &next, &tail) != SQLITE_OK) return false;
            if (next) {
                sqlite3_finalize(next);
                return false;
            }
            if (tail == begin) return true;
            begin = tail;
        }
        return true;
    }

    // BEGIN / COMMIT / ROLLBACK / SAVEPOINT run once or twice per session:
    // parsing them each time cost more than the SELECT of a get() by key.
    static bool is_transaction_control(std::string_view sql) {
        for (std::string_view word : {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"})
            if (sql.starts_with(word)) return sql.find(';') == std::string_view::npos;
        return false;
    }

    void run_control(std::string_view sql) {
        auto it = control_.find(sql);
        if (it == control_.end()) {
            sqlite3_stmt* stmt = nullptr;
            int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
            if (rc != SQLITE_OK) throw_sqlite(db_, rc, std::string(sql));
            it = control_.emplace(std::string(sql), stmt).first;
        }
        int rc = sqlite3_step(it->second);
        if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
            sqlite3_reset(it->second);
            return;
        }
        try {
            throw_sqlite(db_, rc, std::string(sql));
        } catch (...) {
            sqlite3_reset(it->second);
            throw;
        }
    }

    struct TextHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };

    sqlite3* db_ = nullptr;
    std::unordered_map<std::string, sqlite3_stmt*, TextHash, std::equal_to<>> control_;
};

}  // namespace

std::unique_ptr<Connection> connect_sqlite(const Url& url, const ConnectionOptions& options) {
    return std::make_unique<SqliteConnection>(url, options);
}

}  // namespace strata
