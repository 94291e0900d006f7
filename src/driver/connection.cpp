// The backend-independent half of a connection: the statement cache,
// transactions and savepoints in SQL, and statement logging (STRATA_ECHO).
#include "strata/connection.hpp"

#include <atomic>
#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_map>
#include <utility>

#include "dialect/backend.hpp"
#include "driver/drivers.hpp"
#include "driver/failpoint.hpp"
#include "driver/numbered_text.hpp"
#include "strata/dialect.hpp"
#include "strata/error.hpp"

namespace strata {

// Free prepared statements by SQL text. A statement in use is owned by its
// StatementHandle, so nested use of the same SQL (a lazy load inside a loop
// over the same query) prepares a second copy instead of clobbering the first.
// Entries are never erased (clearing empties them), so a handle can keep a
// pointer to its statement's entry and give it back without a second lookup.
struct Connection::Cache {
    struct TextHash {  // lookups by string_view, without copying the SQL
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    using Slot = std::vector<std::unique_ptr<Statement>>;
    std::unordered_map<std::string, Slot, TextHash, std::equal_to<>> free;
    std::size_t checked_out = 0;

    // The entry of the last SQL asked for, by the address of its text: the
    // ORM asks with the same strings (a mapper's SELECT) again and again, and
    // comparing them is cheaper than hashing them.
    const char* last_data = nullptr;
    std::pair<const std::string, Slot>* last = nullptr;
    // The number of `last`'s text (NumberedText::new_text_id), 0 when it was
    // not asked for by one: set only once `last` is known to hold that text.
    std::uint64_t last_id = 0;

    Slot& slot(std::string_view sql) {
        if (last && sql.data() == last_data && sql == last->first) return last->second;
        return find(sql);
    }
    Slot& slot(std::string_view sql, std::uint64_t text_id) {
        if (text_id != 0 && text_id == last_id) {
            assert(sql == last->first && "a text id names one text (NumberedText::new_text_id)");
            return last->second;
        }
        Slot& s = slot(sql);  // `last` is now sql's entry
        last_id = text_id;
        return s;
    }
    [[gnu::noinline]] Slot& find(std::string_view sql) {
        auto it = free.find(sql);
        if (it == free.end()) it = free.emplace(std::string(sql), Slot{}).first;
        last_data = sql.data();
        last = &*it;
        last_id = 0;
        return it->second;
    }
};

std::uint64_t detail::NumberedText::new_text_id() {
    static std::atomic<std::uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
}

bool echo_from_environment() {
    const char* v = std::getenv("STRATA_ECHO");
    return v && *v && std::string_view(v) != "0";
}

Connection::Connection(ConnectionOptions options) : options_(options), cache_(std::make_unique<Cache>()) {
    for (const auto& [name, ms] : {std::pair<const char*, int>{"busy_timeout_ms", options.busy_timeout_ms},
                                   {"lock_timeout_ms", options.lock_timeout_ms},
                                   {"statement_timeout_ms", options.statement_timeout_ms}})
        if (ms < 0)
            throw ConfigError("ConnectionOptions::" + std::string(name) + " is " + std::to_string(ms) +
                              "; expected 0 or more milliseconds");
    failpoint::arm_from_environment();
    if (echo_from_environment() && !options_.side_session) options_.echo = true;
}

Connection::~Connection() = default;

StatementHandle Connection::prepare(std::string_view sql) { return check_out(sql, false); }

StatementHandle Connection::prepare_generated(std::string_view sql) { return check_out(sql, true); }

StatementHandle Connection::check_out(std::string_view sql, bool generated, std::uint64_t text_id) {
    Cache::Slot& slot = text_id ? cache_->slot(sql, text_id) : cache_->slot(sql);
    if (slot.empty()) return check_out_new(&slot, sql, generated);
    ++cache_->checked_out;
    StatementHandle handle(this, std::move(slot.back()), &slot);
    slot.pop_back();
    return handle;
}

// Out of line: the cache's hit above stays small enough to need no stack frame of its own.
[[gnu::noinline]] StatementHandle Connection::check_out_new(void* cache_slot, std::string_view sql, bool generated) {
    auto stmt = generated ? prepare_new_generated(sql) : prepare_new(sql);
    ++prepare_count_;
    ++cache_->checked_out;
    return StatementHandle(this, std::move(stmt), cache_slot);
}

// Inline into StatementHandle::release, its only caller: one call fewer per statement run.
#if defined(__GNUC__)
[[gnu::always_inline]]
#endif
inline void Connection::give_back(std::unique_ptr<Statement>& stmt, void* cache_slot) {
    --cache_->checked_out;
    try {
        stmt->recycle();
    } catch (...) {
        return;  // a statement that cannot be reset is not worth keeping
    }
    if (!stmt->sql_checked()) return;  // prepare() must not find SQL no server has seen
    auto& slot = cache_slot ? *static_cast<Cache::Slot*>(cache_slot) : cache_->slot(stmt->sql());
    if (slot.size() < 4) slot.push_back(std::move(stmt));
}

std::unique_ptr<CopyWriter> Connection::copy_from(std::string_view table, const std::vector<std::string>&) {
    throw ProgrammingError("COPY is PostgreSQL's; this connection (" + std::string(dialect().name()) + ") cannot bulk-load " +
                               std::string(table),
                           "");
}

std::vector<std::int64_t> Connection::draw_keys(std::string_view, std::string_view, std::size_t) { return {}; }

void Connection::clear_statement_cache() {
    for (auto& [sql, stmts] : cache_->free) stmts.clear();
}

std::size_t Connection::cached_statement_count() const {
    std::size_t n = cache_->checked_out;
    for (const auto& [sql, stmts] : cache_->free) n += stmts.size();
    return n;
}

std::int64_t Connection::execute(std::string_view sql, std::span<const Value> params) {
    auto stmt = prepare(sql);
    stmt->bind_all(params);
    return stmt->execute();
}

void Connection::begin() {
    if (in_transaction_) throw ProgrammingError("a transaction is already open on this connection", "BEGIN");
    execute("BEGIN");
    in_transaction_ = true;
}

void Connection::begin_deferred(Isolation isolation) {
    if (in_transaction_) throw ProgrammingError("a transaction is already open on this connection", "BEGIN");
    switch (isolation) {
        case Isolation::ServerDefault: execute("BEGIN"); break;
        case Isolation::ReadCommitted: execute("BEGIN ISOLATION LEVEL READ COMMITTED"); break;
        case Isolation::RepeatableRead: execute("BEGIN ISOLATION LEVEL REPEATABLE READ"); break;
        case Isolation::Serializable: execute("BEGIN ISOLATION LEVEL SERIALIZABLE"); break;
    }
    in_transaction_ = true;
}

void Connection::commit() {
    if (!in_transaction_) throw ProgrammingError("no transaction is open on this connection", "COMMIT");
    execute("COMMIT");
    in_transaction_ = false;
}

void Connection::rollback() {
    if (!in_transaction_) return;  // rolling back nothing is harmless (and common in error paths)
    in_transaction_ = false;
    execute("ROLLBACK");
}

void Connection::savepoint(std::string_view name) {
    if (!in_transaction_) throw ProgrammingError("savepoints need an open transaction", "SAVEPOINT");
    execute("SAVEPOINT " + dialect().quote(name));
}

void Connection::release_savepoint(std::string_view name) { execute("RELEASE SAVEPOINT " + dialect().quote(name)); }

void Connection::rollback_to_savepoint(std::string_view name) {
    execute("ROLLBACK TO SAVEPOINT " + dialect().quote(name));
}

bool Connection::ping() {
    try {
        execute("SELECT 1");
        return true;
    } catch (const Error&) {
        return false;
    }
}

namespace {
void write_echo(std::string_view sql, std::span<const Value> params) {
    std::string line = "[strata] ";
    line += sql;
    if (!params.empty()) {
        line += "  [";
        for (std::size_t i = 0; i < params.size(); ++i) line += (i ? ", " : "") + params[i].to_display();
        line += "]";
    }
    line += "\n";
    std::fputs(line.c_str(), stderr);
}
}  // namespace

void Connection::log_statement(std::string_view sql, std::span<const Value> params) const {
    if (!options_.side_session) failpoint::before_statement(sql);
    if (options_.echo) write_echo(sql, params);
}

// --- Statement ------------------------------------------------------------

void Statement::bind_all(std::span<const Value> values) {
    for (std::size_t i = 0; i < values.size(); ++i) bind(static_cast<int>(i + 1), values[i]);
}

std::int64_t Statement::execute() {
    while (step()) {
    }
    return rows_affected();
}

void Statement::note_bind(int index, const Value& value) {
    if (!conn_.echo()) return;
    if (echo_params_.size() < static_cast<std::size_t>(index)) echo_params_.resize(index);
    echo_params_[index - 1] = value;
}

void Statement::note_execute() {
    executed_ = true;
    if (!conn_.is_side_session()) failpoint::before_statement(sql_);
    if (conn_.echo()) write_echo(sql_, echo_params_);
}

Value Statement::get_value(int col, TypeKind kind) const {
    if (is_null(col)) return null;
    switch (kind) {
        case TypeKind::Integer:
        case TypeKind::BigInteger:
        case TypeKind::SmallInteger: return get_int64(col);
        case TypeKind::Boolean: return get_bool(col);
        case TypeKind::Float: return get_double(col);
        case TypeKind::Numeric: return get_decimal(col);
        case TypeKind::String:
        case TypeKind::Text:
        case TypeKind::Json:
        case TypeKind::Enum: return std::string(get_text(col));
        case TypeKind::DateTime: return get_datetime(col);
        case TypeKind::Date: return get_date(col);
        case TypeKind::Time: return get_time(col);
        case TypeKind::Uuid:
        case TypeKind::LargeBinary: {
            auto b = get_blob(col);
            return Blob(std::vector<std::uint8_t>(b.begin(), b.end()));
        }
    }
    return null;
}

// --- StatementHandle --------------------------------------------------------

StatementHandle& StatementHandle::operator=(StatementHandle&& other) noexcept {
    if (this != &other) {
        if (stmt_) release();
        owner_ = other.owner_;
        stmt_ = std::move(other.stmt_);
        cache_slot_ = other.cache_slot_;
    }
    return *this;
}

void StatementHandle::release() {
    if (owner_) owner_->give_back(stmt_, cache_slot_);
    stmt_.reset();
}

// --- connect ------------------------------------------------------------

std::unique_ptr<Connection> connect(const std::string& url_text, ConnectionOptions options) {
    Url url = parse_url(url_text);
    return backend_named(url.backend).connect(url, options);
}

}  // namespace strata
