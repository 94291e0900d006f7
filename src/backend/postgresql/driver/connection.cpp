// The PostgreSQL driver on libpq.
//
// Statements are prepared server-side once per connection (PQprepare with a
// generated name, then PQdescribePrepared for parameter and column types) and
// cached by the Connection base class. Parameters go in binary when their
// server type has a fixed binary form (integers, floats, booleans, bytea,
// timestamps, text) and as text otherwise (numeric, enums); results always
// come back in binary, so reading never depends on DateStyle, bytea_output or
// float formatting settings, and timestamps keep their microseconds exactly.
#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend/postgresql/driver/codec.hpp"
#include "backend/postgresql/driver/driver.hpp"
#include "driver/calendar.hpp"
#include "driver/drivers.hpp"
#include "driver/value_limits.hpp"
#include "strata/connection.hpp"
#include "strata/dialect.hpp"
#include "strata/error.hpp"
#include "strata/url.hpp"

namespace strata {
namespace {

using pg::Oid;
using pg::Wire;

// SQLSTATE program_limit_exceeded: a value or message larger than the server takes.
constexpr const char* kProgramLimitExceeded = "54000";

// PostgreSQL's own range (4714-11-24 BC, its Julian day 0, to 5874897-12-31
// for dates; timestamps from the same day to beyond DateTime's end), plus
// its infinities.
constexpr std::int64_t kFirstDay = calendar::days_from_civil(-4713, 11, 24);
const limits::TemporalRange kPostgresRange{
    "PostgreSQL",
    Date{std::chrono::days{kFirstDay}},
    Date{std::chrono::days{calendar::days_from_civil(5874897, 12, 31)}},
    DateTime{std::chrono::days{kFirstDay}},
    DateTime::max(),
    Time{std::chrono::hours{24}},
    true,
};

// Why PostgreSQL would store a value as another one or not take it (see
// value_limits.hpp), and the SQLSTATE to report; false when it takes it.
// Statements and COPY refuse the same values with the same codes.
struct Refusal {
    std::string why;
    const char* code = nullptr;
    explicit operator bool() const { return !why.empty(); }
};

Refusal oversized(const char* what, std::size_t size) {
    if (size <= pg::kMaxValueBytes) return {};
    return {limits::too_large(what, size, pg::kMaxValueBytes, "PostgreSQL"), kProgramLimitExceeded};
}

Refusal refusal(const Value& v) {
    if (auto why = limits::out_of_range(v, kPostgresRange); !why.empty()) return {std::move(why), limits::kDateTimeOverflow};
    return oversized(v.is<Blob>() ? "a blob" : "text", limits::bytes_of(v));
}

struct ResultDeleter {
    void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

// What a connection and its statements share: statements may outlive the
// PgConnection object by a moment (the base class destroys the cache last).
struct Session {
    PGconn* conn = nullptr;
    bool broken = false;
    std::uint64_t statement_counter = 0;   // names server-side statements
    // Bumped by statements that may change the schema (see note_ran):
    // prepared statements re-plan before their next run.
    std::uint64_t schema_generation = 0;
    // Types that are not built in (enums, domains), resolved through pg_type once.
    std::unordered_map<Oid, Wire> resolved;

    bool ddl_in_transaction = false;

    bool usable() const { return conn != nullptr && !broken && PQstatus(conn) == CONNECTION_OK; }

    // What a statement's running does to prepared statements' plans, from
    // its leading keyword: worked out once per statement (a prepared one
    // keeps its SQL), not on each run (660 instructions a get).
    enum class Effect : unsigned char { None, SchemaChange, Rollback };
    static Effect effect_of(std::string_view sql) {
        const std::string word = first_word(sql);
        if (word == "CREATE" || word == "ALTER" || word == "DROP" || word == "DO") return Effect::SchemaChange;
        if (word == "ROLLBACK") return Effect::Rollback;
        return Effect::None;
    }

    // Called after each successful statement: DDL, and a rollback that undid
    // DDL, change what prepared statements were planned for.
    void note_ran(Effect effect) {
        if (effect == Effect::SchemaChange) {
            ++schema_generation;
            ddl_in_transaction = true;
        } else if (effect == Effect::Rollback && ddl_in_transaction) {
            ++schema_generation;
        }
        if (ddl_in_transaction && PQtransactionStatus(conn) == PQTRANS_IDLE) ddl_in_transaction = false;
    }
    void note_ran(std::string_view sql) { note_ran(effect_of(sql)); }

    // The leading keyword, upper-cased: "  alter table …" -> "ALTER".
    static std::string first_word(std::string_view sql) {
        std::string word;
        for (char c : sql) {
            const auto u = static_cast<unsigned char>(c);
            if (std::isalpha(u)) word.push_back(static_cast<char>(std::toupper(u)));
            else if (!word.empty() || !(std::isspace(u) || c == '(')) break;
        }
        return word;
    }
};

std::string field(const PGresult* res, int code) {
    const char* v = res ? PQresultErrorField(res, code) : nullptr;
    return v ? v : "";
}

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

// SQLSTATE classes onto strata's hierarchy. As on SQLite (and in SQLAlchemy's
// SQLite dialect), a missing or already existing table or column is an
// OperationalError and a value outside an Enum an IntegrityError, so code
// that handles them works on both backends; the rest of class 42 (syntax,
// access) and 22 (bad values) is a ProgrammingError. A serialization failure
// or a deadlock is a ConcurrencyError: the transaction may succeed if run again.
[[noreturn]] void throw_sqlstate(const std::string& message, std::string_view sql, const std::string& sqlstate) {
    const std::string statement(sql);
    const std::string cls = sqlstate.substr(0, 2);
    if (cls == "23") throw IntegrityError(message, statement, sqlstate);
    if (sqlstate == "40001" || sqlstate == "40P01") throw ConcurrencyError(message, statement, sqlstate);
    // A value outside an ENUM breaks the column's rule as a CHECK does on SQLite.
    if (sqlstate == "22P02" && message.rfind("invalid input value for enum", 0) == 0)
        throw IntegrityError(message, statement, sqlstate);
    static const std::set<std::string> schema_state{"42P01", "42703", "42P07", "42701", "42710", "42P06"};
    if (schema_state.count(sqlstate)) throw OperationalError(message, statement, sqlstate);
    static const std::set<std::string> programming{"42", "22", "0A", "25", "26", "2B", "34", "3D", "3F"};
    if (programming.count(cls) || sqlstate == "55000") throw ProgrammingError(message, statement, sqlstate);
    throw OperationalError(message, statement, sqlstate);
}

// Throws the error a failed command left on the connection. A lost
// connection (no SQLSTATE, or a FATAL one that closed it) marks the session broken.
[[noreturn]] void throw_failure(Session& s, const PGresult* res, std::string_view sql) {
    std::string message = field(res, PG_DIAG_MESSAGE_PRIMARY);
    const std::string detail = field(res, PG_DIAG_MESSAGE_DETAIL);
    if (!detail.empty()) message += ". " + detail;
    std::string sqlstate = field(res, PG_DIAG_SQLSTATE);
    if (PQstatus(s.conn) == CONNECTION_BAD) s.broken = true;
    if (message.empty()) message = trimmed(PQerrorMessage(s.conn));
    if (message.empty()) message = "unknown libpq failure";
    if (s.broken) {
        if (sqlstate.empty() || sqlstate.rfind("08", 0) != 0) message = "connection lost: " + message;
        throw OperationalError(message, std::string(sql), sqlstate.empty() ? "08006" : sqlstate);
    }
    throw_sqlstate(message, sql, sqlstate);
}

// Fails before touching a connection that is already known to be gone.
void require_usable(Session& s, std::string_view sql) {
    if (s.usable()) return;
    s.broken = true;
    throw OperationalError("connection lost: the PostgreSQL connection is closed", std::string(sql), "08003");
}

Result checked(Session& s, PGresult* raw, std::string_view sql) {
    Result res(raw);
    const auto status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) return res;
    throw_failure(s, res.get(), sql);
}

// Enums and text-like types read as their text (their binary form is the
// text); a domain reads as its base type.
Wire resolve_wire(Session& s, Oid oid) {
    const Wire builtin = pg::wire_of(oid);
    if (builtin != Wire::Unsupported) return builtin;
    if (auto it = s.resolved.find(oid); it != s.resolved.end()) return it->second;
    const std::string text_oid = std::to_string(oid);
    const char* values[] = {text_oid.c_str()};
    static constexpr const char* kSql =
        "SELECT typtype, typcategory, typbasetype FROM pg_catalog.pg_type WHERE oid = $1::oid";
    Result res = checked(s, PQexecParams(s.conn, kSql, 1, nullptr, values, nullptr, nullptr, 0), kSql);
    Wire wire = Wire::Unsupported;
    if (PQntuples(res.get()) == 1) {
        const char typtype = PQgetvalue(res.get(), 0, 0)[0];
        const char category = PQgetvalue(res.get(), 0, 1)[0];
        if (typtype == 'e' || category == 'S') wire = Wire::Text;
        else if (typtype == 'd') wire = resolve_wire(s, static_cast<Oid>(std::stoul(PQgetvalue(res.get(), 0, 2))));
    }
    s.resolved.emplace(oid, wire);
    return wire;
}

// One parameter: the Value as bound, encoded for the server type at execution
// (so a statement re-prepared after DDL re-encodes for the new types).
struct Param {
    Oid oid = 0;
    Wire wire = Wire::Unsupported;
    Value value;
    int format = 0;        // 0 text, 1 binary
    std::string bytes;     // fixed-size encodings and formatted text; reused, no allocation once warm
};

// What the server said to a Parse, a Describe and (for a first run) a
// Bind/Execute of the same statement, in that order.
struct Prepared {
    Result parsed, described, ran;
};

// Parses and plans `sql` as the server-side statement `name`, describes it
// (parameter and column types) and, when `run`, runs it without parameters,
// binary results: all in libpq's pipeline mode with one Sync, one round trip
// where PQprepare, PQdescribePrepared and PQexecPrepared take one each. A
// failed command skips the ones after it (their results say so); the caller
// checks them in order, so the first error is the one thrown.
Prepared prepare_and_describe(Session& s, const std::string& name, const std::string& sql, bool run) {
    PGconn* c = s.conn;
    if (PQenterPipelineMode(c) != 1) {  // not idle (cannot happen between statements): one message at a time
        Prepared out{Result(PQprepare(c, name.c_str(), sql.c_str(), 0, nullptr)), nullptr, nullptr};
        if (PQresultStatus(out.parsed.get()) != PGRES_COMMAND_OK) return out;
        out.described.reset(PQdescribePrepared(c, name.c_str()));
        if (run && PQresultStatus(out.described.get()) == PGRES_COMMAND_OK)
            out.ran.reset(PQexecPrepared(c, name.c_str(), 0, nullptr, nullptr, nullptr, 1));
        return out;
    }
    const bool sent = PQsendPrepare(c, name.c_str(), sql.c_str(), 0, nullptr) == 1 &&
                      PQsendDescribePrepared(c, name.c_str()) == 1 &&
                      (!run || PQsendQueryPrepared(c, name.c_str(), 0, nullptr, nullptr, nullptr, 1) == 1) &&
                      PQpipelineSync(c) == 1;
    // Each command's result is followed by a null; the Sync's result ends the round trip.
    auto next = [&] {
        Result res(sent ? PQgetResult(c) : nullptr);
        if (res && PQresultStatus(res.get()) != PGRES_PIPELINE_SYNC)
            while (PGresult* rest = PQgetResult(c)) PQclear(rest);
        return res;
    };
    Prepared out;
    out.parsed = next();
    out.described = next();
    if (run) out.ran = next();
    Result synced = next();
    PQexitPipelineMode(c);
    return out;
}

bool is_stale_plan(const DatabaseError& e) {
    return e.code() == "0A000" && e.backend_message().find("cached plan must not change result type") != std::string::npos;
}

class PgStatement final : public Statement {
public:
    // `check_now` false (prepare_generated): SQL without a '$' has no
    // parameters, so nothing bound needs the server's types, and its Parse
    // and Describe can go with its first run (see first_run).
    PgStatement(std::shared_ptr<Session> session, const Connection& owner, std::string sql, bool check_now)
        : Statement(owner, std::move(sql)), session_(std::move(session)), effect_(Session::effect_of(sql_)) {
        if (check_now || sql_.find('$') != std::string::npos) prepare_on_server();
    }

    bool sql_checked() const override { return described_; }

    ~PgStatement() override { deallocate(); }

    int parameter_count() const override { return static_cast<int>(params_.size()); }

    void bind(int index, const Value& value) override {
        if (index < 1 || index > parameter_count()) {
            throw ProgrammingError("parameter index " + std::to_string(index) + " is out of range: the statement has " +
                                       std::to_string(parameter_count()) + " parameter(s)",
                                   sql_);
        }
        if (Refusal r = refusal(value)) refuse(index, r);
        if (result_) reset();
        params_[static_cast<std::size_t>(index - 1)].value = value;
        note_bind(index, value);
    }

    // Checked before Value(text) copies it.
    void bind_view(int index, std::string_view text) override {
        if (Refusal r = oversized("text", text.size())) refuse(index, r);
        bind(index, Value(text));
    }

    void clear_bindings() override {
        reset();
        for (auto& p : params_) p.value = Value();
    }

    bool step() override {
        if (!result_) {
            run();
            row_ = 0;
        } else if (row_ < rows_) {
            ++row_;
        }
        return row_ < rows_;
    }

    void reset() override {
        result_.reset();
        row_ = -1;
        rows_ = 0;
        note_reset();
    }

    std::int64_t rows_affected() const override {
        if (!result_) return 0;
        const char* n = PQcmdTuples(result_.get());
        std::int64_t v = 0;
        std::from_chars(n, n + std::strlen(n), v);
        return v;
    }

    int column_count() const override {
        describe_if_waiting();
        return static_cast<int>(columns_.size());
    }

    std::string column_name(int col) const override {
        check_column(col);
        return columns_[static_cast<std::size_t>(col)].name;
    }

    bool is_null(int col) const override {
        check_row(col);
        return PQgetisnull(result_.get(), row_, col) != 0;
    }

    TypeKind stored_kind(int col) const override {
        check_column(col);
        switch (wire(col)) {
            case Wire::Bool: return TypeKind::Boolean;
            case Wire::Int2:
            case Wire::Int4:
            case Wire::Int8: return TypeKind::Integer;
            case Wire::Float4:
            case Wire::Float8: return TypeKind::Float;
            case Wire::Numeric: return TypeKind::Numeric;
            case Wire::Bytea: return TypeKind::LargeBinary;
            case Wire::Timestamp: return TypeKind::DateTime;
            case Wire::Date: return TypeKind::Date;
            case Wire::Time: return TypeKind::Time;
            case Wire::Uuid: return TypeKind::Uuid;
            case Wire::Jsonb: return TypeKind::Json;
            default: return TypeKind::Text;  // text, enums, and types read as their text
        }
    }

    // The getters read the column's own wire kind inline (one per value of
    // each row) and leave conversions to functions of their own.
    std::int64_t get_int64(int col) const override {
        std::string_view v;
        if (!cell(col, v)) return 0;
        const Wire w = wire(col);
        if (w == Wire::Int4) [[likely]] return pg::read_i32(v.data());
        if (w == Wire::Int8) return pg::read_i64(v.data());
        return converted_int64(col, w, v);
    }

    double get_double(int col) const override {
        std::string_view v;
        if (!cell(col, v)) return 0.0;
        const char* p = v.data();
        switch (wire(col)) {
            case Wire::Float8: return pg::decode_float8(p);
            case Wire::Float4: return pg::decode_float4(p);
            case Wire::Int2:
            case Wire::Int4:
            case Wire::Int8:
            case Wire::Bool: return static_cast<double>(get_int64(col));
            case Wire::Numeric:
            case Wire::Text: return parse_double(col, get_text(col));
            default: throw unreadable(col, "a float");
        }
    }

    bool get_bool(int col) const override {
        std::string_view v;
        if (!cell(col, v)) return false;
        switch (wire(col)) {
            case Wire::Bool: return v[0] != 0;
            case Wire::Int2:
            case Wire::Int4:
            case Wire::Int8:
            case Wire::Numeric: return get_int64(col) != 0;
            case Wire::Text: {
                const auto t = get_text(col);
                return t == "t" || t == "true" || t == "1";
            }
            default: throw unreadable(col, "a boolean");
        }
    }

    std::string_view get_text(int col) const override {
        std::string_view v;
        if (!cell(col, v)) return {};
        const Wire w = wire(col);
        if (w == Wire::Text || w == Wire::Bytea) [[likely]] return v;
        return converted_text(col, w, v);
    }

    std::span<const std::uint8_t> get_blob(int col) const override {
        // A uuid's bytes are its binary form; anything else reads as its text.
        const auto text = wire(col) == Wire::Uuid && !is_null(col) ? raw(col) : get_text(col);
        return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
    }

    DateTime get_datetime(int col) const override {
        std::string_view v;
        if (!cell(col, v)) return {};
        const Wire w = wire(col);
        if (w == Wire::Timestamp) [[likely]] {
            const std::int64_t since_2000 = pg::read_i64(v.data());
            if (pg::ordinary_timestamp(since_2000)) [[likely]] return pg::timestamp_from(since_2000);
        }
        return converted_datetime(col, w, v);
    }

    Date get_date(int col) const override {
        std::string_view v;
        if (!cell(col, v)) return {};
        switch (wire(col)) {
            case Wire::Date: return pg::decode_date(v.data());
            case Wire::Timestamp: {
                const DateTime t = get_datetime(col);
                if (t == DateTime::max()) return Date::max();
                if (t == DateTime::min()) return Date::min();
                return std::chrono::floor<std::chrono::days>(t);
            }
            case Wire::Text: return parse_date(v);
            default: throw unreadable(col, "a date");
        }
    }

    Time get_time(int col) const override {
        std::string_view v;
        if (!cell(col, v)) return {};
        switch (wire(col)) {
            case Wire::Time: return pg::decode_time(v.data());
            case Wire::Text: return parse_time(v);
            default: throw unreadable(col, "a time");
        }
    }

    Decimal get_decimal(int col) const override {
        std::string_view v;
        if (!cell(col, v)) return {};
        if (wire(col) == Wire::Numeric) return Decimal{pg::decode_numeric(v.data(), static_cast<int>(v.size()))};
        if (wire(col) == Wire::Timestamp || wire(col) == Wire::Bytea) throw unreadable(col, "a numeric");
        return Decimal{std::string(get_text(col))};
    }

private:
    // What get_int64 reads from a column of another wire kind.
    [[gnu::noinline]] std::int64_t converted_int64(int col, Wire w, std::string_view v) const {
        const char* p = v.data();
        switch (w) {
            case Wire::Int2: return pg::read_i16(p);
            case Wire::Int4: return pg::read_i32(p);
            case Wire::Int8: return pg::read_i64(p);
            case Wire::Bool: return p[0] != 0 ? 1 : 0;
            case Wire::Float4:
            case Wire::Float8: {
                // Only doubles that fit: casting others is undefined behaviour.
                const double d = get_double(col);
                if (!(d >= -0x1p63 && d < 0x1p63)) throw unreadable(col, "an integer");
                return static_cast<std::int64_t>(d);
            }
            case Wire::Numeric:
            case Wire::Text: return parse_integer(col, get_text(col));
            default: throw unreadable(col, "an integer");
        }
    }

    // What get_text reads from a column that is not text or bytea: its text,
    // kept in the column's scratch string until the next read of it.
    [[gnu::noinline]] std::string_view converted_text(int col, Wire w, std::string_view v) const {
        std::string& out = scratch_[static_cast<std::size_t>(col)];
        switch (w) {
            case Wire::Text:
            case Wire::Bytea: return v;
            case Wire::Int2:
            case Wire::Int4:
            case Wire::Int8: out = std::to_string(get_int64(col)); break;
            case Wire::Bool: out = get_bool(col) ? "true" : "false"; break;
            case Wire::Float4:
            case Wire::Float8: out = pg::double_to_text(get_double(col)); break;
            case Wire::Numeric: out = pg::decode_numeric(v.data(), static_cast<int>(v.size())); break;
            case Wire::Timestamp: {
                const DateTime t = get_datetime(col);
                out = t == DateTime::max() || t == DateTime::min() ? pg::timestamp_text(t) : format_datetime(t);
                break;
            }
            case Wire::Date: {
                const Date d = get_date(col);
                out = d == Date::max() || d == Date::min() ? pg::date_text(d) : format_date(d);
                break;
            }
            case Wire::Time: out = format_time(get_time(col)); break;
            case Wire::Uuid: out = pg::uuid_text(v); break;
            case Wire::Jsonb: return jsonb_text(col, v);
            default: throw unreadable(col, "text");
        }
        return out;
    }

    // What get_datetime reads from anything but a finite timestamp in range.
    [[gnu::noinline]] DateTime converted_datetime(int col, Wire w, std::string_view v) const {
        switch (w) {
            case Wire::Timestamp:
                try {
                    return pg::decode_timestamp(v.data());
                } catch (const Error& e) {
                    throw unrepresentable(col, e.what());
                }
            case Wire::Date: return date_as_datetime(col, get_date(col));
            case Wire::Text: return parse_datetime(v);
            default: throw unreadable(col, "a datetime");
        }
    }

    [[noreturn]] void refuse(int index, const Refusal& r) const {
        throw ProgrammingError("parameter " + std::to_string(index) + ": " + r.why, sql_, r.code);
    }

    // The Bind message these parameters make, against the server's limit
    // (past it the server closes the connection).
    void check_message_size() const {
        std::size_t bytes = 1 + name_.size() + 1 + 2 + 2 * values_.size() + 2 + 2 + 2;
        for (std::size_t i = 0; i < values_.size(); ++i) bytes += 4 + (values_[i] ? static_cast<std::size_t>(lengths_[i]) : 0);
        if (bytes > pg::kMaxMessageBytes)
            throw ProgrammingError("the parameters of this statement make a message of " + std::to_string(bytes) +
                                       " bytes, more than PostgreSQL takes in one (" +
                                       std::to_string(pg::kMaxMessageBytes) + " bytes)",
                                   sql_, kProgramLimitExceeded);
    }

    struct ColumnInfo {
        std::string name;
        Wire wire;
        Oid type;
    };

    // Parses and plans the SQL under a fresh name; learns parameter and column types.
    void prepare_on_server() {
        require_usable(*session_, sql_);
        Prepared p = prepare_and_describe(*session_, new_name(), sql_, false);
        learn(p);
    }

    // The first run of a statement of prepare_generated() that has no
    // parameters: Parse, Describe and Bind/Execute in one round trip.
    void first_run() {
        Prepared p = prepare_and_describe(*session_, new_name(), sql_, true);
        learn(p);
        result_ = checked(*session_, p.ran.release(), sql_);
    }

    const std::string& new_name() {
        name_ = "strata_" + std::to_string(++session_->statement_counter);
        generation_ = session_->schema_generation;
        return name_;
    }

    // The statement's parameter and column types from a Parse and Describe;
    // their error if either failed (no statement left on the server then).
    void learn(Prepared& p) {
        try {
            checked(*session_, p.parsed.release(), sql_);
        } catch (...) {
            name_.clear();  // nothing to DEALLOCATE
            throw;
        }
        Result description = checked(*session_, p.described.release(), sql_);
        described_ = true;
        params_.resize(static_cast<std::size_t>(PQnparams(description.get())));
        for (std::size_t i = 0; i < params_.size(); ++i) {
            params_[i].oid = PQparamtype(description.get(), static_cast<int>(i));
            params_[i].wire = pg::wire_of(params_[i].oid);
        }
        columns_.clear();
        for (int c = 0; c < PQnfields(description.get()); ++c) {
            const Oid type = PQftype(description.get(), c);
            columns_.push_back({PQfname(description.get(), c), resolve_wire(*session_, type), type});
        }
        scratch_.resize(columns_.size());
        values_.resize(params_.size());
        lengths_.resize(params_.size());
        formats_.resize(params_.size());
    }

    // Frees the server-side statement unless the connection is gone anyway.
    void deallocate() {
        if (!session_->usable() || name_.empty()) return;
        const std::string sql = "DEALLOCATE \"" + name_ + "\"";
        PQclear(PQexec(session_->conn, sql.c_str()));
    }

    void reprepare() {
        deallocate();
        prepare_on_server();
    }

    // Once per execution, kept out of step(), which runs once per row.
    [[gnu::noinline]] void run() {
        require_usable(*session_, sql_);
        if (!described_) {
            note_execute();
            first_run();
            rows_ = PQntuples(result_.get());
            session_->note_ran(effect_);
            return;
        }
        // DDL on this connection may have changed the types this plan was
        // made for; a Parse that failed then is tried again.
        if (generation_ != session_->schema_generation || name_.empty()) reprepare();
        note_execute();
        try {
            result_ = exec_prepared();
        } catch (const ProgrammingError& e) {
            // Another connection changed the table: outside a transaction the
            // statement can simply be planned again (inside, the transaction is lost).
            if (!is_stale_plan(e) || PQtransactionStatus(session_->conn) != PQTRANS_IDLE) throw;
            reprepare();
            result_ = exec_prepared();
        }
        rows_ = PQntuples(result_.get());
        session_->note_ran(effect_);
    }

    Result exec_prepared() {
        for (std::size_t i = 0; i < params_.size(); ++i) encode(params_[i], static_cast<int>(i));
        check_message_size();
        return checked(*session_,
                       PQexecPrepared(session_->conn, name_.c_str(), parameter_count(), values_.data(),
                                      lengths_.data(), formats_.data(), 1),
                       sql_);
    }

    // One value in the server type's wire form (see the file comment).
    // Text and bytes are sent from the bound Value itself, without a copy.
    void encode(Param& p, int i) {
        const auto slot = static_cast<std::size_t>(i);
        p.bytes.clear();
        p.format = 1;
        values_[slot] = nullptr;
        if (p.value.is_null()) return;
        std::visit([&](const auto& v) { encode_one(p, v, i + 1); }, p.value.storage());
        if (!values_[slot]) values_[slot] = p.bytes.c_str();
        if (values_[slot] == p.bytes.c_str()) lengths_[slot] = static_cast<int>(p.bytes.size());
        formats_[slot] = p.format;
    }

    void send_view(Param& p, const char* data, std::size_t size) {
        const auto slot = static_cast<std::size_t>(&p - params_.data());
        values_[slot] = data;
        lengths_[slot] = static_cast<int>(size);
    }

    static void as_text(Param& p, std::string text) {
        p.bytes = std::move(text);
        p.format = 0;
    }

    void encode_one(Param&, Null, int) {}

    void encode_one(Param& p, bool v, int) {
        if (p.wire == Wire::Bool) p.bytes.push_back(v ? 1 : 0);
        else if (p.wire == Wire::Int2 || p.wire == Wire::Int4 || p.wire == Wire::Int8) as_text(p, v ? "1" : "0");
        else as_text(p, v ? "true" : "false");
    }

    void encode_one(Param& p, std::int64_t v, int) {
        switch (p.wire) {
            case Wire::Int8: pg::append_i64(p.bytes, v); return;
            case Wire::Int4:
                if (v >= INT32_MIN && v <= INT32_MAX) return pg::append_i32(p.bytes, static_cast<std::int32_t>(v));
                break;  // out of range: the server says so
            case Wire::Bool: p.bytes.push_back(v != 0 ? 1 : 0); return;
            case Wire::Float8: pg::encode_float8(p.bytes, static_cast<double>(v)); return;
            default: break;
        }
        as_text(p, std::to_string(v));
    }

    void encode_one(Param& p, double v, int) {
        if (p.wire == Wire::Float8) pg::encode_float8(p.bytes, v);
        else as_text(p, pg::double_to_text(v));
    }

    void encode_one(Param& p, const std::string& v, int index) {
        if (p.wire != Wire::Text && p.wire != Wire::Bytea) {
            // Text format ends at the first NUL: refuse rather than truncate.
            if (v.find('\0') != std::string::npos) {
                throw ProgrammingError("parameter " + std::to_string(index) + ": text contains a NUL byte", sql_);
            }
            p.format = 0;
        }
        send_view(p, v.c_str(), v.size());
    }

    void encode_one(Param& p, const Blob& v, int index) {
        if (p.wire == Wire::Uuid && v.bytes.size() != 16)  // else the server's "incorrect binary data format"
            throw ProgrammingError("parameter " + std::to_string(index) + ": a uuid is 16 bytes, not " +
                                       std::to_string(v.bytes.size()),
                                   sql_);
        static const char empty = 0;
        send_view(p, v.bytes.empty() ? &empty : reinterpret_cast<const char*>(v.bytes.data()), v.bytes.size());
    }

    void encode_one(Param& p, DateTime v, int) {
        if (p.wire == Wire::Timestamp) pg::encode_timestamp(p.bytes, v);
        else as_text(p, pg::timestamp_text(v));
    }

    void encode_one(Param& p, Date v, int) {
        if (p.wire == Wire::Date) pg::encode_date(p.bytes, v);
        else as_text(p, pg::date_text(v));
    }

    void encode_one(Param& p, Time v, int) {
        if (p.wire == Wire::Time) pg::encode_time(p.bytes, v);
        else as_text(p, format_time(v));
    }

    void encode_one(Param& p, const Decimal& v, int) {
        p.format = 0;
        send_view(p, v.text.c_str(), v.text.size());
    }

    // Every read checks its column and row; the checks are two comparisons
    // inline (they run for each value of each row), the errors built apart.
    void check_column(int col) const {
        if (static_cast<std::size_t>(col) >= columns_.size()) [[unlikely]]
            column_out_of_range(col);
    }

    // A statement of prepare_generated() asked about its columns before its
    // first run: described now (the description is the server's, so reading
    // it is a const operation of the statement's).
    void describe_if_waiting() const {
        if (!described_) [[unlikely]]
            const_cast<PgStatement*>(this)->prepare_on_server();
    }

    // rows_ is 0 without a result, and row_ -1 before the first step().
    void check_row(int col) const {
        check_column(col);
        if (static_cast<unsigned>(row_) >= static_cast<unsigned>(rows_)) [[unlikely]]
            no_current_row();
    }

    [[gnu::cold, gnu::noinline]] void column_out_of_range(int col) const {
        describe_if_waiting();
        if (static_cast<std::size_t>(col) < columns_.size()) return;
        throw ProgrammingError("column index " + std::to_string(col) + " is out of range: the result has " +
                                   std::to_string(column_count()) + " column(s)",
                               sql_);
    }

    [[noreturn, gnu::cold, gnu::noinline]] void no_current_row() const {
        throw ProgrammingError("no current row: step() did not return true", sql_);
    }

    // The current row's value of a column in `out`; false for NULL. A NULL
    // has length 0, so a value that is not empty costs no PQgetisnull.
    bool cell(int col, std::string_view& out) const {
        check_row(col);
        const int n = PQgetlength(result_.get(), row_, col);
        if (n == 0 && PQgetisnull(result_.get(), row_, col)) return false;
        out = {PQgetvalue(result_.get(), row_, col), static_cast<std::size_t>(n)};
        return true;
    }

    Wire wire(int col) const { return columns_[static_cast<std::size_t>(col)].wire; }
    std::string_view raw(int col) const {
        return {PQgetvalue(result_.get(), row_, col), static_cast<std::size_t>(PQgetlength(result_.get(), row_, col))};
    }

    // A value the server holds that strata's type cannot (a timestamp past
    // DateTime::max()): code 22008, as the server's own range errors.
    ProgrammingError unrepresentable(int col, const std::string& why) const {
        const auto& c = columns_[static_cast<std::size_t>(col)];
        return ProgrammingError("column " + std::to_string(col) + " (\"" + c.name + "\"): " + why, sql_,
                                limits::kDateTimeOverflow);
    }

    // Infinities stay infinities; a date too far for DateTime is an error.
    DateTime date_as_datetime(int col, Date d) const {
        if (d == Date::max()) return DateTime::max();
        if (d == Date::min()) return DateTime::min();
        std::int64_t micros = 0;
        if (__builtin_mul_overflow(d.time_since_epoch().count(), calendar::kMicrosPerDay, &micros))
            throw unrepresentable(col, "the date " + format_date(d) + " is outside what strata::DateTime holds");
        return DateTime{std::chrono::microseconds{micros}};
    }

    // jsonb's binary form: a version byte, then the document as text.
    std::string_view jsonb_text(int col, std::string_view bytes) const {
        if (bytes.empty() || bytes[0] != 1) throw unreadable(col, "text (an unknown jsonb version)");
        return bytes.substr(1);
    }

    ProgrammingError unreadable(int col, const char* wanted) const {
        const auto& c = columns_[static_cast<std::size_t>(col)];
        const std::string type = c.wire == Wire::Unsupported
                                     ? "type OID " + std::to_string(c.type) + " (cast it in SQL)"
                                     : pg::wire_name(c.wire);
        return ProgrammingError("column " + std::to_string(col) + " (\"" + c.name + "\") is " + type +
                                    " and cannot be read as " + wanted,
                                sql_);
    }

    std::int64_t parse_integer(int col, std::string_view text) const {
        std::int64_t v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        // "12.000" (an integral numeric) is fine; "12.5" is not.
        const auto rest = text.substr(static_cast<std::size_t>(end - text.data()));
        const bool integral = rest.empty() || (rest[0] == '.' && rest.find_first_not_of('0', 1) == std::string_view::npos);
        if (ec != std::errc{} || !integral) throw unreadable(col, "an integer");
        return v;
    }

    double parse_double(int col, std::string_view text) const {
        double v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc{} || end != text.data() + text.size()) throw unreadable(col, "a float");
        return v;
    }

    std::shared_ptr<Session> session_;
    Session::Effect effect_;  // of running sql_ (Session::note_ran)
    std::string name_;  // empty while no server-side statement exists
    bool described_ = false;  // parameter and column types known (the SQL was parsed)
    std::uint64_t generation_ = 0;
    std::vector<Param> params_;
    std::vector<ColumnInfo> columns_;
    std::vector<const char*> values_;
    std::vector<int> lengths_, formats_;
    Result result_;
    int row_ = -1;
    int rows_ = 0;
    mutable std::vector<std::string> scratch_;
};

// libpq keywords the URL may carry in its query string (sslmode, application_name, …).
bool is_libpq_keyword(const std::string& key) {
    static const std::set<std::string> keywords = [] {
        std::set<std::string> out;
        PQconninfoOption* options = PQconndefaults();
        for (auto* o = options; o && o->keyword; ++o) out.insert(o->keyword);
        PQconninfoFree(options);
        return out;
    }();
    return keywords.count(key) != 0;
}

// libpq keywords for a URL. Sessions run in UTC (strata::DateTime is UTC, so
// CURRENT_TIMESTAMP and now()::timestamp agree with it) and UTF-8, with the
// connection options' timeouts; the URL's own options= come after and win.
std::vector<std::pair<std::string, std::string>> connection_keywords(const Url& url, const ConnectionOptions& settings) {
    std::vector<std::pair<std::string, std::string>> params;
    if (!url.host.empty()) params.emplace_back("host", url.host);
    if (url.port) params.emplace_back("port", std::to_string(*url.port));
    if (!url.username.empty()) params.emplace_back("user", url.username);
    if (!url.password.empty()) params.emplace_back("password", url.password);
    if (!url.database.empty()) params.emplace_back("dbname", url.database);
    params.emplace_back("client_encoding", "UTF8");
    params.emplace_back("fallback_application_name", "strata");
    std::string options = "-c TimeZone=UTC";
    if (settings.lock_timeout_ms > 0) options += " -c lock_timeout=" + std::to_string(settings.lock_timeout_ms);
    if (settings.statement_timeout_ms > 0)
        options += " -c statement_timeout=" + std::to_string(settings.statement_timeout_ms);
    for (const auto& [key, value] : url.query) {
        if (!is_libpq_keyword(key)) {
            throw ConfigError("database URL " + url.masked() + ": unknown connection parameter '" + key + "'");
        }
        if (key == "options") options += " " + value;
        else params.emplace_back(key, value);
    }
    params.emplace_back("options", options);
    return params;
}

// COPY ... FROM STDIN in text format: tab-separated fields, \N for NULL,
// backslash escapes in text, a row per line. Rows collect in a buffer sent
// to libpq in 64 KiB pieces.
class PgCopyWriter final : public CopyWriter {
public:
    // `probe` selects the COPY's columns and returns no rows: its row
    // description tells which columns are uuids, whose text input takes a
    // Blob's 16 bytes as 8-4-4-4-12 hex digits (not bytea's \x form). It goes
    // in one simple-query message with the COPY: one round trip, where
    // preparing the probe first took one more.
    PgCopyWriter(std::shared_ptr<Session> session, const std::string& probe, std::string sql, int columns)
        : session_(std::move(session)), sql_(std::move(sql)), columns_(columns) {
        require_usable(*session_, sql_);
        PGconn* c = session_->conn;
        if (PQsendQuery(c, (probe + "; " + sql_).c_str()) != 1) throw_failure(*session_, nullptr, sql_);
        Result described(PQgetResult(c));
        if (PQresultStatus(described.get()) != PGRES_TUPLES_OK) fail_to_start(std::move(described));
        // A domain's column is described as its base type.
        for (int f = 0; f < PQnfields(described.get()); ++f) uuid_fields_.push_back(PQftype(described.get(), f) == pg::kUuid);
        Result started(PQgetResult(c));
        if (PQresultStatus(started.get()) != PGRES_COPY_IN) fail_to_start(std::move(started));
        buffer_.reserve(kChunk + 4096);
    }

    ~PgCopyWriter() override {
        if (finished_ || !session_->usable()) return;
        // Abandoned (an exception while building rows): the server discards
        // what it got, and the connection is ready for the next command.
        PQputCopyEnd(session_->conn, "strata: COPY abandoned");
        while (PGresult* r = PQgetResult(session_->conn)) PQclear(r);
    }

    // The same values as a parameter of an INSERT are refused, with the same codes.
    void bind(int index, const Value& value) override {
        if (value.is<std::int64_t>() || value.is_null()) {  // keys, foreign keys, NULLs: never refused
            separate(index);
            if (value.is_null()) return append(Null{});
            return append(value.as<std::int64_t>());
        }
        if (Refusal r = refusal(value)) refuse(index, r);
        separate(index);
        if (value.is<Blob>() && static_cast<std::size_t>(index) <= uuid_fields_.size() &&
            uuid_fields_[static_cast<std::size_t>(index) - 1])
            return append_uuid(index, value.as<Blob>());
        std::visit([&](const auto& v) { append(v); }, value.storage());
    }

    void bind_view(int index, std::string_view text) override {
        if (Refusal r = oversized("text", text.size())) refuse(index, r);
        separate(index);
        append_escaped(text);
    }

    // Keys, foreign keys and NULLs without a Value (a flush binds every column of every row).
    void bind_int64(int index, std::int64_t v) override {
        separate(index);
        append(v);
    }

    void bind_null(int index) override {
        separate(index);
        append(Null{});
    }

    // A timestamp of the years 1 to 9999 written straight into the buffer, the
    // text pg::timestamp_text gives it (no Value, no string of its own: W4's
    // posts spent 850 instructions each here); other years through bind().
    void bind_datetime(int index, DateTime v) override {
        static constexpr DateTime kFirstAD{std::chrono::days{calendar::days_from_civil(1, 1, 1)}};
        char text[calendar::kDateTimeTextSize];
        if (v < kFirstAD || !format_datetime_text(v, text)) return bind(index, Value(v));
        separate(index);
        buffer_.append(text, sizeof text);
    }

    const std::string& sql() const override { return sql_; }

    void end_row() override {
        if (fields_ != columns_)
            throw ProgrammingError("COPY row " + std::to_string(rows_ + 1) + " has " + std::to_string(fields_) +
                                       " fields for " + std::to_string(columns_) + " columns",
                                   sql_);
        if (buffer_.size() - row_start_ > pg::kMaxMessageBytes)
            throw ProgrammingError("COPY row " + std::to_string(rows_ + 1) + " is " +
                                       std::to_string(buffer_.size() - row_start_) +
                                       " bytes of text, more than PostgreSQL takes in one line (" +
                                       std::to_string(pg::kMaxMessageBytes) + " bytes)",
                                   sql_, kProgramLimitExceeded);
        buffer_ += '\n';
        fields_ = 0;
        ++rows_;
        if (buffer_.size() >= kChunk) send();
        row_start_ = buffer_.size();
    }

    std::int64_t finish() override {
        send();
        finished_ = true;
        if (PQputCopyEnd(session_->conn, nullptr) != 1) throw_failure(*session_, nullptr, sql_);
        Result res(PQgetResult(session_->conn));
        while (PGresult* extra = PQgetResult(session_->conn)) PQclear(extra);
        if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) throw_failure(*session_, res.get(), sql_);
        return rows_;
    }

private:
    static constexpr std::size_t kChunk = 64 * 1024;

    // The probe or the COPY failed: the server skipped the rest of the
    // message; its results are read to the end, so the connection is ready.
    [[noreturn]] void fail_to_start(Result failed) {
        finished_ = true;  // nothing to abandon
        while (PGresult* rest = PQgetResult(session_->conn)) PQclear(rest);
        throw_failure(*session_, failed.get(), sql_);
    }

    // Runs for every field of every row: the error is built apart, so this inlines.
    void separate(int index) {
        if (index != fields_ + 1) [[unlikely]]
            out_of_order(index);
        if (fields_++) buffer_ += '\t';
    }

    [[noreturn, gnu::cold, gnu::noinline]] void out_of_order(int index) const {
        throw ProgrammingError("COPY field " + std::to_string(index) + " written out of order", sql_);
    }

    [[noreturn]] void refuse(int index, const Refusal& r) const {
        throw ProgrammingError("COPY row " + std::to_string(rows_ + 1) + ", field " + std::to_string(index) + ": " + r.why,
                               sql_, r.code);
    }

    // In pieces of at most kChunk: a CopyData message over the server's
    // message limit would close the connection (rows may span messages).
    void send() {
        for (std::size_t at = 0; at < buffer_.size(); at += kChunk) {
            const std::size_t n = std::min(kChunk, buffer_.size() - at);
            if (PQputCopyData(session_->conn, buffer_.data() + at, static_cast<int>(n)) != 1)
                throw_failure(*session_, nullptr, sql_);
        }
        buffer_.clear();
    }

    // Whether one of the eight bytes of w may need an escape: a byte below
    // 0x20 (a superset of \n, \r, \t and NUL) or a backslash. Both tests are
    // exact for "some byte is" (the carries they make only reach bytes above one that is).
    static bool may_need_escape(std::uint64_t w) {
        constexpr std::uint64_t kOnes = 0x0101010101010101, kHighs = 0x8080808080808080;
        const std::uint64_t below_space = (w - kOnes * 0x20) & ~w & kHighs;
        const std::uint64_t x = w ^ (kOnes * '\\');
        const std::uint64_t backslash = (x - kOnes) & ~x & kHighs;
        return (below_space | backslash) != 0;
    }

    // Text with COPY's escapes; a NUL byte cannot travel in text format.
    // Eight bytes at a time are checked for anything to escape, and only a
    // word that may hold one is looked at byte by byte; the runs between
    // characters to escape are appended whole.
    void append_escaped(std::string_view text) {
        static constexpr auto kEscaped = [] {
            std::array<bool, 256> escaped{};
            for (unsigned char c : {'\\', '\n', '\r', '\t', '\0'}) escaped[c] = true;
            return escaped;
        }();
        std::size_t run = 0;  // where the run not yet appended starts
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (i % 8 == 0 && text.size() - i >= 8) {
                std::uint64_t w;
                std::memcpy(&w, text.data() + i, sizeof w);
                if (!may_need_escape(w)) {
                    i += 7;
                    continue;
                }
            }
            const char c = text[i];
            if (!kEscaped[static_cast<unsigned char>(c)]) continue;
            buffer_.append(text.data() + run, i - run);
            run = i + 1;
            switch (c) {
                case '\\': buffer_ += "\\\\"; break;
                case '\n': buffer_ += "\\n"; break;
                case '\r': buffer_ += "\\r"; break;
                case '\t': buffer_ += "\\t"; break;
                default:
                    throw ProgrammingError("COPY row " + std::to_string(rows_ + 1) + ", field " +
                                               std::to_string(fields_) + ": text contains a NUL byte",
                                           sql_);
            }
        }
        buffer_.append(text.data() + run, text.size() - run);
    }

    void append(Null) { buffer_ += "\\N"; }
    void append(bool v) { buffer_ += v ? 't' : 'f'; }
    void append(std::int64_t v) {
        char digits[20];
        const auto end = std::to_chars(digits, digits + sizeof digits, v).ptr;
        buffer_.append(digits, static_cast<std::size_t>(end - digits));
    }
    void append(double v) { buffer_ += pg::double_to_text(v); }
    void append(const std::string& v) { append_escaped(v); }
    void append(const Blob& v) {  // bytea hex input, its backslash escaped for COPY
        static constexpr char kHex[] = "0123456789abcdef";
        buffer_ += "\\\\x";
        for (std::uint8_t b : v.bytes) {
            buffer_ += kHex[b >> 4];
            buffer_ += kHex[b & 15];
        }
    }
    void append_uuid(int index, const Blob& v) {
        if (v.bytes.size() != 16)  // the same refusal as a parameter's
            throw ProgrammingError("COPY row " + std::to_string(rows_ + 1) + ", field " + std::to_string(index) +
                                       ": a uuid is 16 bytes, not " + std::to_string(v.bytes.size()),
                                   sql_);
        buffer_ += pg::uuid_text({reinterpret_cast<const char*>(v.bytes.data()), v.bytes.size()});
    }
    void append(DateTime v) { buffer_ += pg::timestamp_text(v); }
    void append(Date v) { buffer_ += pg::date_text(v); }
    void append(Time v) { buffer_ += format_time(v); }
    void append(const Decimal& v) { buffer_ += v.text; }

    std::shared_ptr<Session> session_;
    std::string sql_;
    int columns_;
    std::vector<bool> uuid_fields_;
    int fields_ = 0;
    std::int64_t rows_ = 0;
    std::size_t row_start_ = 0;  // where the row being written starts in buffer_
    bool finished_ = false;
    std::string buffer_;
};

// PQcancel is documented as safe to call from a signal handler; the PGcancel
// object holds what it needs (address, backend key) and outlives no one.
class PgCanceller final : public StatementCanceller {
public:
    explicit PgCanceller(PGcancel* handle) : handle_(handle) {}
    ~PgCanceller() override { PQfreeCancel(handle_); }
    PgCanceller(const PgCanceller&) = delete;
    PgCanceller& operator=(const PgCanceller&) = delete;
    bool cancel() noexcept override {
        char why[256];
        return PQcancel(handle_, why, sizeof why) == 1;
    }

private:
    PGcancel* handle_;
};

class PgConnection final : public Connection {
public:
    PgConnection(const Url& url, const ConnectionOptions& options)
        : Connection(options), session_(std::make_shared<Session>()), url_(url) {
        const auto params = connection_keywords(url, options);
        std::vector<const char*> keys, values;
        for (const auto& [k, v] : params) {
            keys.push_back(k.c_str());
            values.push_back(v.c_str());
        }
        keys.push_back(nullptr);
        values.push_back(nullptr);
        session_->conn = PQconnectdbParams(keys.data(), values.data(), 0);
        if (!session_->conn) throw OperationalError("cannot connect to " + url.masked() + ": out of memory", "", "08001");
        if (PQstatus(session_->conn) != CONNECTION_OK) {
            // libpq never repeats the password (it is passed as a keyword, not in a conninfo string).
            const std::string why = trimmed(PQerrorMessage(session_->conn));
            PQfinish(session_->conn);
            session_->conn = nullptr;
            throw OperationalError("cannot connect to " + url.masked() + ": " + why, "", "08001");
        }
        PQsetNoticeProcessor(session_->conn, &PgConnection::on_notice, this);
    }

    ~PgConnection() override {
        PQfinish(session_->conn);
        session_->conn = nullptr;  // statements destroyed after this skip DEALLOCATE
    }

    const Dialect& dialect() const override { return postgresql_dialect(); }

    using Connection::execute;
    // The extended protocol (PQexecParams) takes one statement: the server
    // refuses a second one before running anything.
    void execute(std::string_view sql) override {
        const std::string text(sql);
        require_usable(*session_, text);
        log_statement(text);
        Result res(PQexecParams(session_->conn, text.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0));
        if (holds_several_statements(res.get())) throw ProgrammingError(kOneStatementOnly, text, "42601");
        checked(*session_, res.release(), text);
        session_->note_ran(text);
    }

    void execute_script(std::string_view sql) override {
        const std::string text(sql);
        require_usable(*session_, text);
        log_statement(text);
        checked(*session_, PQexec(session_->conn, text.c_str()), text);
        session_->note_ran(text);
    }

    // The value the last INSERT drew from a sequence or IDENTITY column in
    // this session. The ORM uses INSERT … RETURNING instead (one round trip).
    std::int64_t last_insert_id() override {
        static constexpr const char* kSql = "SELECT lastval()";
        require_usable(*session_, kSql);
        Result res = checked(*session_, PQexec(session_->conn, kSql), kSql);
        return std::stoll(PQgetvalue(res.get(), 0, 0));
    }

    bool is_healthy() override { return session_->usable(); }

    std::unique_ptr<StatementCanceller> canceller() override {
        PGcancel* handle = session_->conn ? PQgetCancel(session_->conn) : nullptr;
        return handle ? std::make_unique<PgCanceller>(handle) : nullptr;
    }
    std::function<std::unique_ptr<Connection>()> side_session_opener() const override {
        ConnectionOptions side = options_;
        side.side_session = true;
        side.echo = false;
        return [url = url_, side]() -> std::unique_ptr<Connection> { return std::make_unique<PgConnection>(url, side); };
    }

    bool supports_copy() const override { return true; }
    std::unique_ptr<CopyWriter> copy_from(std::string_view table, const std::vector<std::string>& columns) override {
        const Dialect& d = dialect();
        // The columns' types come from a SELECT of them that returns no rows,
        // sent with the COPY (see PgCopyWriter).
        std::string probe = "SELECT " + d.quoted_list(columns) + " FROM " + d.quote(table) + " WHERE false";
        std::string sql = "COPY " + d.quote(table) + " (" + d.quoted_list(columns) + ") FROM STDIN";
        log_statement(sql);
        return std::make_unique<PgCopyWriter>(session_, probe, std::move(sql), static_cast<int>(columns.size()));
    }

    // nextval() once per key, in one statement; the sequence's name comes
    // from the catalog (it takes the table as a quoted name, the column as is).
    // The keys come back as one bigint[] value: 12 bytes a key, where a row
    // per key cost libpq a row to build and strata a step to read.
    // Finding the sequence and drawing from it is one statement (one round
    // trip; a flush by COPY runs it once per table): NULL when the column has
    // none. The keys come in the order generate_series gives its rows.
    // OFFSET 0 keeps the planner from pulling the subquery up, which made it
    // look the sequence up again for every key (100,000 keys: 200 ms, not 25).
    std::vector<std::int64_t> draw_keys(std::string_view table, std::string_view column, std::size_t n) override {
        static constexpr const char* kDraw =
            "SELECT CASE WHEN q.seq IS NOT NULL THEN ARRAY(SELECT nextval(q.seq) FROM generate_series(1, $3::int8)) END "
            "FROM (SELECT pg_get_serial_sequence($1, $2)::regclass AS seq OFFSET 0) AS q";
        const std::string quoted = dialect().quote(std::string(table)), name(column), count = std::to_string(n);
        const char* values[] = {quoted.c_str(), name.c_str(), count.c_str()};
        require_usable(*session_, kDraw);
        log_statement(kDraw);
        Result res = checked(*session_, PQexecParams(session_->conn, kDraw, 3, nullptr, values, nullptr, nullptr, 1), kDraw);
        if (PQntuples(res.get()) != 1 || PQgetisnull(res.get(), 0, 0)) return {};
        return pg::decode_int8_array({PQgetvalue(res.get(), 0, 0), static_cast<std::size_t>(PQgetlength(res.get(), 0, 0))});
    }

    // An empty query is a full round trip that works even inside a failed
    // transaction; a lost connection makes the connection unhealthy for good.
    bool ping() override {
        if (!session_->usable()) return false;
        PQclear(PQexec(session_->conn, ""));
        if (PQstatus(session_->conn) != CONNECTION_OK) session_->broken = true;
        return session_->usable();
    }

protected:
    std::unique_ptr<Statement> prepare_new(std::string_view sql) override {
        return std::make_unique<PgStatement>(session_, *this, std::string(sql), true);
    }
    std::unique_ptr<Statement> prepare_new_generated(std::string_view sql) override {
        return std::make_unique<PgStatement>(session_, *this, std::string(sql), false);
    }

private:
    static bool holds_several_statements(const PGresult* res) {
        if (!res || PQresultStatus(res) != PGRES_FATAL_ERROR) return false;
        const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        const char* message = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        return state && std::string_view(state) == "42601" && message &&
               std::string_view(message).find("multiple commands") != std::string_view::npos;
    }

    // Server NOTICEs ("table does not exist, skipping") go to the echo log, not to stderr unasked.
    static void on_notice(void* self, const char* message) {
        const auto* conn = static_cast<const PgConnection*>(self);
        if (conn->echo()) std::fprintf(stderr, "[strata] %s", message);
    }

    std::shared_ptr<Session> session_;
    Url url_;   // for side_session_opener()
};

}  // namespace

std::unique_ptr<Connection> connect_postgresql(const Url& url, const ConnectionOptions& options) {
    return std::make_unique<PgConnection>(url, options);
}

}  // namespace strata
