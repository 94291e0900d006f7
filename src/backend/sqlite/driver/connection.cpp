// The SQLite driver on libsqlite3.
//
// Storage follows SQLAlchemy's SQLite conventions so files are shared with
// Python apps: DateTime/Date/Time as ISO text, Boolean as 0/1, Numeric as
// REAL (read back as text with the column's declared scale).
#include <sqlite3.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <unordered_map>

#include "backend/sqlite/driver/driver.hpp"
#include "driver/calendar.hpp"
#include "driver/drivers.hpp"
#include "driver/value_limits.hpp"
#include "strata/dialect.hpp"
#include "strata/error.hpp"

namespace strata {

namespace {

// Dates and times as SQLAlchemy reads them back (Python's datetime: years
// 1 to 9999) and as read_date parses them (four-digit years).
constexpr std::int64_t kFirstDay = calendar::days_from_civil(1, 1, 1);
constexpr std::int64_t kLastDay = calendar::days_from_civil(9999, 12, 31);
const limits::TemporalRange kRange{
    "SQLite",
    Date{std::chrono::days{kFirstDay}},
    Date{std::chrono::days{kLastDay}},
    DateTime{std::chrono::days{kFirstDay}},
    DateTime{std::chrono::days{kLastDay + 1}} - std::chrono::microseconds{1},
    Time{std::chrono::days{1} - std::chrono::microseconds{1}},
    false,
};

// SQLITE_MAX_LENGTH as this connection applies it (1,000,000,000 by default).
std::size_t length_limit(sqlite3* db) { return static_cast<std::size_t>(sqlite3_limit(db, SQLITE_LIMIT_LENGTH, -1)); }

// The scale s of a column declared NUMERIC(p, s) or DECIMAL(p, s) (0 for
// NUMERIC(p), as PostgreSQL); empty for any other declaration, or none (an
// expression rather than a column).
std::optional<int> declared_scale(const char* decltype_text) {
    if (!decltype_text) return std::nullopt;
    std::string_view decl(decltype_text);
    const auto open = decl.find('(');
    if (open == std::string_view::npos) return std::nullopt;
    std::string name(decl.substr(0, open));
    while (!name.empty() && name.back() == ' ') name.pop_back();
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (name != "NUMERIC" && name != "DECIMAL") return std::nullopt;
    const auto comma = decl.find(',', open);
    if (comma == std::string_view::npos) return 0;
    std::size_t pos = comma + 1;
    while (pos < decl.size() && decl[pos] == ' ') ++pos;
    int scale = 0;
    auto [end, ec] = std::from_chars(decl.data() + pos, decl.data() + decl.size(), scale);
    if (ec != std::errc() || scale < 0) return std::nullopt;
    (void)end;
    return scale;
}

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
        case SQLITE_BUSY_SNAPSHOT: return "SQLITE_BUSY_SNAPSHOT";
        case SQLITE_BUSY_RECOVERY: return "SQLITE_BUSY_RECOVERY";
        case SQLITE_LOCKED: return "SQLITE_LOCKED";
        case SQLITE_LOCKED_SHAREDCACHE: return "SQLITE_LOCKED_SHAREDCACHE";
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
        case SQLITE_LOCKED: return "SQLITE_LOCKED";
        case SQLITE_IOERR: return "SQLITE_IOERR";
        case SQLITE_CANTOPEN: return "SQLITE_CANTOPEN";
        default: return "SQLITE_ERROR";
    }
}

// SQLite says "database is locked" for every kind of busy. Inside a
// transaction say why and what to do: a COMMIT (rollback journal) waited
// the busy timeout for readers; any other statement could not take the write
// lock from another writer, and waiting cannot help (SQLite does not wait
// there: it would deadlock).
std::string explain_busy(sqlite3* db, int extended, std::string message, const std::string& sql) {
    if (extended == SQLITE_BUSY_SNAPSHOT)
        return message + " (another connection wrote after this transaction's first read; roll back and run the "
                         "transaction again)";
    if (!db || sqlite3_get_autocommit(db)) return message;
    if (sql == "COMMIT")
        return message + " (other connections are still reading: their open transactions hold SQLite's shared "
                         "lock; roll back, or commit again later)";
    return message + " (another connection is writing; this transaction cannot take the write lock: roll back and "
                     "run it again)";
}

// Maps a failed call onto the hierarchy. "no such table" and other schema
// errors are OperationalError, as in SQLAlchemy; syntax errors and misuse are
// ProgrammingError. Busy is a ConcurrencyError (worth running the transaction
// again); SQLITE_LOCKED is one only from a shared cache: otherwise it is a
// conflict within this connection (dropping a table a statement still
// reads), which a retry would only repeat.
[[noreturn]] void throw_sqlite(sqlite3* db, int rc, const std::string& sql) {
    int extended = db ? sqlite3_extended_errcode(db) : rc;
    if ((extended & 0xff) != (rc & 0xff)) extended = rc;
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    std::string code = code_name(extended);
    if ((rc & 0xff) == SQLITE_TOOBIG && db)
        message += " (SQLite takes at most " + std::to_string(length_limit(db)) + " bytes in a value or a row)";
    if ((rc & 0xff) == SQLITE_BUSY || extended == SQLITE_LOCKED_SHAREDCACHE)
        throw ConcurrencyError(explain_busy(db, extended, message, sql), sql, code);
    switch (rc & 0xff) {
        case SQLITE_CONSTRAINT: throw IntegrityError(message, sql, code);
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

#if defined(__GNUC__)
#define STRATA_SQLITE_COLD [[gnu::cold, gnu::noinline]]
#else
#define STRATA_SQLITE_COLD
#endif

class SqliteStatement final : public Statement {
public:
    SqliteStatement(const Connection& conn, sqlite3* db, sqlite3_stmt* stmt, std::string sql)
        : Statement(conn, std::move(sql)), db_(db), stmt_(stmt),
          parameters_(sqlite3_bind_parameter_count(stmt)), all_params_(count_mask(parameters_)), null_params_(all_params_) {}
    ~SqliteStatement() override { sqlite3_finalize(stmt_); }

    int parameter_count() const override { return parameters_; }

    void bind(int index, const Value& value) override {
        if (executed_) reset();
        not_null(index);
        note_bind(index, value);
        if (auto why = limits::out_of_range(value, kRange); !why.empty())
            throw ProgrammingError("parameter " + std::to_string(index) + ": " + why, sql_, limits::kDateTimeOverflow);
        int rc = std::visit([&](const auto& v) { return bind_one(index, v); }, value.storage());
        if (rc != SQLITE_OK) {
            if (rc == SQLITE_TOOBIG) throw too_big(index, value.is<Blob>() ? "a blob" : "text", limits::bytes_of(value));
            if (rc == SQLITE_RANGE)
                throw ProgrammingError("parameter index " + std::to_string(index) + " is out of range (statement has " +
                                           std::to_string(parameter_count()) + " parameters)",
                                       sql_, "SQLITE_RANGE");
            throw_sqlite(db_, rc, sql_);
        }
        bound(index);
    }

    void bind_view(int index, std::string_view text) override {
        if (executed_) reset();
        not_null(index);
        if (conn_.echo()) echo_bind(index, text);
        // SQLITE_STATIC: no copy; the caller keeps the text alive (see Statement::bind_view).
        int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
        if (rc == SQLITE_TOOBIG) throw too_big(index, "text", text.size());  // before a copy of it (in Value)
        if (rc != SQLITE_OK) return bind_value(index, text);  // the same checks and messages as bind()
        bound(index);
    }

    void bind_int64(int index, std::int64_t v) override {
        if (executed_) reset();
        not_null(index);
        if (conn_.echo()) echo_bind(index, v);
        if (sqlite3_bind_int64(stmt_, index, v) != SQLITE_OK) return bind_value(index, v);  // the same checks and messages
        bound(index);
    }

    // A parameter that holds NULL already (bindings outlive reset) is left
    // as it is: a flush binds every column of every new row, most often the
    // same NULLs row after row.
    void bind_null(int index) override {
        if (executed_) reset();
        if (conn_.echo()) echo_bind(index, Null{});
        if (holds_null(index)) return;
        if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) return bind_value(index, Null{});  // the same checks and messages
        null_params_ |= param_bit(index);
        bound(index);
    }

    // As SQLAlchemy stores it, "YYYY-MM-DD HH:MM:SS.ffffff", written into
    // the parameter's slot of this statement and bound without a copy
    // (SQLITE_STATIC: the slot lives as long as the statement, and is only
    // rewritten after a reset, when SQLite no longer reads it). Out of
    // range, or failing, it takes bind()'s path for the same checks and messages.
    void bind_datetime(int index, DateTime v) override {
        if (v < kRange.first_datetime || v > kRange.last_datetime || index < 1 || index > parameter_count())
            return bind(index, Value(v));
        if (executed_) reset();
        not_null(index);
        if (conn_.echo()) note_bind(index, Value(v));
        if (!datetime_slots_) datetime_slots_ = std::make_unique<DateTimeSlot[]>(static_cast<std::size_t>(parameter_count()));
        char(&text)[calendar::kDateTimeTextSize] = datetime_slots_[static_cast<std::size_t>(index - 1)].text;
        if (!format_datetime_text(v, text)) return bind(index, Value(v));
        if (sqlite3_bind_text64(stmt_, index, text, sizeof text, SQLITE_STATIC, SQLITE_UTF8) != SQLITE_OK)
            return bind(index, Value(v));
        bound(index);
    }

    void clear_bindings() override {
        sqlite3_clear_bindings(stmt_);
        null_params_ = all_params_;
        stale_params_ = 0;
    }

    // Back to the connection's cache: the parameters that hold a value keep
    // it until the next user's first run, which makes NULL those it has not
    // bound again (clear_stale): a get() binds its one parameter, and
    // sqlite3_clear_bindings cost as much as that bind. Nothing reads a
    // binding before a run (a text bound without a copy may be gone by then,
    // and is never read). Beyond the first 64 parameters (the masks' reach)
    // they are cleared now.
    void recycle() override {
        reset();
        if (parameters_ > 64) return clear_bindings();
        stale_params_ = all_params_ & ~null_params_;
    }

    STRATA_DETAIL_HOT_PATH bool step() override {
        if (!executed_) {
            if (stale_params_) clear_stale();  // before the run counts as begun: a throw leaves them to the next step
            note_execute();
        }
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
    bool is_read_only() const override { return sqlite3_stmt_readonly(stmt_) != 0; }

    int column_count() const override { return sqlite3_column_count(stmt_); }
    std::string column_name(int col) const override { return sqlite3_column_name(stmt_, col); }
    STRATA_DETAIL_HOT_PATH bool is_null(int col) const override { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
    TypeKind stored_kind(int col) const override {
        switch (sqlite3_column_type(stmt_, col)) {
            case SQLITE_INTEGER: return TypeKind::Integer;
            case SQLITE_FLOAT: return TypeKind::Float;
            case SQLITE_BLOB: return TypeKind::LargeBinary;
            default: return TypeKind::Text;
        }
    }
    STRATA_DETAIL_HOT_PATH std::int64_t get_int64(int col) const override { return sqlite3_column_int64(stmt_, col); }
    double get_double(int col) const override { return sqlite3_column_double(stmt_, col); }
    bool get_bool(int col) const override { return sqlite3_column_int64(stmt_, col) != 0; }
    // Text and size through the column's value: sqlite3_column_text and
    // sqlite3_column_bytes each look the column up again (a third of the cost
    // of reading a short string). The value is "unprotected", which only
    // matters when two threads share the connection, and ours never do
    // (SQLITE_OPEN_NOMUTEX, one thread at a time: see SqliteConnection).
    STRATA_DETAIL_HOT_PATH std::string_view get_text(int col) const override { return value_text(sqlite3_column_value(stmt_, col)); }
    std::span<const std::uint8_t> get_blob(int col) const override {
        sqlite3_value* v = sqlite3_column_value(stmt_, col);
        auto p = static_cast<const std::uint8_t*>(sqlite3_value_blob(v));
        return p ? std::span<const std::uint8_t>(p, sqlite3_value_bytes(v)) : std::span<const std::uint8_t>();
    }
    // Dates and times read NULL as the zero value, as every getter does (an
    // empty text is no date: parse_* refuses it). A date-time's text is
    // asked for first: only a NULL (or a text SQLite could not make) has
    // none, so the type is asked for only then (10 instructions a value).
    STRATA_DETAIL_HOT_PATH DateTime get_datetime(int col) const override {
        sqlite3_value* v = sqlite3_column_value(stmt_, col);
        if (auto p = reinterpret_cast<const char*>(sqlite3_value_text(v))) [[likely]]
            return parse_datetime(std::string_view(p, static_cast<std::size_t>(sqlite3_value_bytes(v))));
        return sqlite3_value_type(v) == SQLITE_NULL ? DateTime{} : parse_datetime({});
    }
    Date get_date(int col) const override {
        sqlite3_value* v = sqlite3_column_value(stmt_, col);
        return sqlite3_value_type(v) == SQLITE_NULL ? Date{} : parse_date(value_text(v));
    }
    Time get_time(int col) const override {
        sqlite3_value* v = sqlite3_column_value(stmt_, col);
        return sqlite3_value_type(v) == SQLITE_NULL ? Time{} : parse_time(value_text(v));
    }
    Decimal get_decimal(int col) const override {
        // Stored with NUMERIC affinity: an INTEGER, a REAL or (when it did
        // not convert) TEXT. A column declared NUMERIC(p, s) reads with s
        // decimals, as SQLAlchemy formats it ("%.2f": -12.5 -> "-12.50") and
        // as PostgreSQL returns it; otherwise the shortest text that reads
        // back to the same double.
        const std::optional<int> scale = declared_scale(sqlite3_column_decltype(stmt_, col));
        switch (sqlite3_column_type(stmt_, col)) {
            case SQLITE_INTEGER: {
                std::string text = std::to_string(sqlite3_column_int64(stmt_, col));
                if (scale && *scale > 0) text += "." + std::string(static_cast<std::size_t>(*scale), '0');
                return Decimal{std::move(text)};
            }
            case SQLITE_FLOAT: {
                char buf[400];
                double d = sqlite3_column_double(stmt_, col);
                if (scale) {
                    std::snprintf(buf, sizeof buf, "%.*f", std::min(*scale, 60), d);
                    return Decimal{buf};
                }
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
    static std::string_view value_text(sqlite3_value* v) {
        auto p = reinterpret_cast<const char*>(sqlite3_value_text(v));
        return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_value_bytes(v))) : std::string_view();
    }

    // The typed binds' rare paths, out of line so that the common one (a
    // flush binds every column of every new row) stays a few instructions:
    // the parameter noted for echo, and a failed bind retried through bind()
    // for its checks and messages.
    template <class V>
    STRATA_SQLITE_COLD void echo_bind(int index, const V& v) {
        note_bind(index, Value(v));
    }
    template <class V>
    STRATA_SQLITE_COLD void bind_value(int index, const V& v) {
        bind(index, Value(v));
    }

    ProgrammingError too_big(int index, const char* what, std::size_t size) const {
        return ProgrammingError(
            "parameter " + std::to_string(index) + ": " + limits::too_large(what, size, length_limit(db_), "SQLite"), sql_,
            "SQLITE_TOOBIG");
    }

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

    // A date-time parameter's text (bind_datetime), one slot per parameter,
    // made on the first such bind and never moved (SQLite holds pointers into it).
    struct DateTimeSlot {
        char text[calendar::kDateTimeTextSize];
    };

    // The parameters known to hold NULL (bit i-1: parameter i, the first 64):
    // every one when prepared or cleared, one after bind_null. Any other
    // bind forgets the bit before it binds, so that a bind that fails
    // leaves it unknown, never wrongly NULL.
    static std::uint64_t param_bit(int index) {
        return index >= 1 && index <= 64 ? std::uint64_t{1} << (index - 1) : 0;
    }
    static std::uint64_t count_mask(int n) { return n >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1; }
    bool holds_null(int index) const { return (null_params_ & param_bit(index)) != 0; }
    void not_null(int index) { null_params_ &= ~param_bit(index); }
    // Parameter `index` bound by this statement's user: not stale (see recycle).
    void bound(int index) { stale_params_ &= ~param_bit(index); }
    // The parameters left from the cache's last user, made NULL before a run (see recycle).
    STRATA_SQLITE_COLD void clear_stale() {
        for (std::uint64_t stale = stale_params_; stale; stale &= stale - 1) {
            const int index = std::countr_zero(stale) + 1;
            if (int rc = sqlite3_bind_null(stmt_, index); rc != SQLITE_OK) throw_sqlite(db_, rc, sql_);
            null_params_ |= param_bit(index);
            stale_params_ &= ~param_bit(index);
        }
    }

    sqlite3* db_;
    sqlite3_stmt* stmt_;
    std::int64_t changes_ = 0;
    std::unique_ptr<DateTimeSlot[]> datetime_slots_;
    const int parameters_;            // sqlite3_bind_parameter_count, fixed once prepared
    const std::uint64_t all_params_;  // a bit for each parameter (the first 64)
    std::uint64_t null_params_;
    // Parameters that hold a value from the cache's last user, not yet bound
    // by this one (bit i-1: parameter i): NULL at the next run (recycle).
    std::uint64_t stale_params_ = 0;
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
        require_database(url, path);  // before the busy timeout: a locked file is a database, no need to wait
        sqlite3_busy_timeout(db_, options.busy_timeout_ms);
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

    void begin_exclusive() override {
        if (in_transaction_) throw ProgrammingError("a transaction is already open on this connection", "BEGIN");
        execute("BEGIN EXCLUSIVE");
        in_transaction_ = true;
    }

    // Every SQLite transaction is serializable: the isolation asked for is met.
    void begin_deferred(Isolation) override {
        if (in_transaction_) throw ProgrammingError("a transaction is already open on this connection", "BEGIN");
        execute("BEGIN DEFERRED");
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

    // ?journal_mode=wal: without it the file keeps its own mode. The value
    // was checked against SQLite's names by parse_url. SQLite answers with
    // the mode now in force, which differs when it cannot switch (an
    // in-memory database, a read-only file not already in that mode).
    void set_journal_mode(const Url& url, const std::string& mode) {
        const std::string why = "cannot set journal_mode=" + mode + " on '" + url.masked() + "': ";
        auto stmt = prepare("PRAGMA journal_mode = " + mode);
        std::string now;
        try {
            if (stmt->step()) now = stmt->get_text(0);
        } catch (const DatabaseError& e) {  // a read-only file, say
            throw OperationalError(why + e.backend_message(), e.statement(), e.code());
        }
        if (now != mode) throw OperationalError(why + "SQLite keeps '" + now + "'", stmt->sql());
    }

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
    auto conn = std::make_unique<SqliteConnection>(url, options);
    // After construction, so that a failure closes the handle.
    if (auto it = url.query.find("journal_mode"); it != url.query.end()) conn->set_journal_mode(url, it->second);
    return conn;
}

}  // namespace strata
