#include "raw.hpp"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <endian.h>

#include <cstring>
#include <stdexcept>

#include "bench.hpp"
#include "strata/url.hpp"

namespace bench::raw {

namespace {

sqlite3* lite(void* p) { return static_cast<sqlite3*>(p); }
PGconn* pg(void* p) { return static_cast<PGconn*>(p); }

void check_lite(sqlite3* db, int rc, const char* what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
        throw std::runtime_error(std::string(what) + ": " + sqlite3_errmsg(db));
}

void check_pg(PGresult* res, PGconn* conn, const char* what) {
    auto st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_COPY_IN) {
        std::string msg = std::string(what) + ": " + PQerrorMessage(conn);
        PQclear(res);
        throw std::runtime_error(msg);
    }
}

// PostgreSQL's binary format: integers in network byte order.
std::int64_t int8_at(const char* p) {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return static_cast<std::int64_t>(be64toh(v));
}

// A one-dimensional int8[] without NULLs in binary: ndim, has-null flag,
// element type, then the dimension's length and lower bound, then each
// element as its length (8) and value.
std::vector<std::int64_t> int8_array_at(const char* p, int size) {
    auto i32 = [&](int at) {
        std::uint32_t v;
        std::memcpy(&v, p + at, sizeof v);
        return static_cast<std::int32_t>(be32toh(v));
    };
    if (size >= 12 && i32(0) == 0) return {};  // an empty array has no dimension
    if (size < 20 || i32(0) != 1 || i32(4) != 0 || i32(8) != 20) throw std::runtime_error("not a one-dimensional int8[]");
    const int n = i32(12);
    if (size != 20 + 12 * n) throw std::runtime_error("int8[] of the wrong size");
    std::vector<std::int64_t> out(static_cast<std::size_t>(n));
    for (int k = 0; k < n; ++k) out[static_cast<std::size_t>(k)] = int8_at(p + 20 + 12 * k + 4);
    return out;
}

// An integer column of either width: microblog's keys are INTEGER (int4),
// counts and sequence values bigint (int8). Reading an int4 as 8 bytes gives
// garbage keys (and lookups that find nothing), so any other width throws.
std::int64_t int_at(PGresult* r, int row, int col) {
    const char* p = PQgetvalue(r, row, col);
    switch (PQgetlength(r, row, col)) {
        case 4: {
            std::uint32_t v;
            std::memcpy(&v, p, sizeof v);
            return static_cast<std::int32_t>(be32toh(v));
        }
        case 8: return int8_at(p);
        default: throw std::runtime_error("column " + std::to_string(col) + " is not an int4 or int8");
    }
}

// W4's timestamps as SQLite holds them (SQLAlchemy's form, which strata
// writes too): "YYYY-MM-DD HH:MM:SS.ffffff", UTC. Written and read by hand,
// field by field, as a careful C programmer does on a hot path (gmtime_r and
// snprintf cost thousands of instructions a value); days <-> dates by Howard
// Hinnant's algorithms, for the years 1970 to 9999 that the bench writes.
constexpr std::int64_t kMicrosPerDay = 86'400'000'000;
constexpr std::size_t kTimestampSize = 26;

void put2(char* at, unsigned v) {
    at[0] = static_cast<char>('0' + v / 10);
    at[1] = static_cast<char>('0' + v % 10);
}

void format_timestamp(std::int64_t us, char (&out)[kTimestampSize]) {
    const std::int64_t day = us / kMicrosPerDay, micros = us % kMicrosPerDay;  // us >= 0
    const std::int64_t z = day + 719468, era = z / 146097, doe = z % 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    const auto d = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1), m = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
    const auto y = static_cast<unsigned>(yoe + era * 400 + (m <= 2));
    const auto secs = static_cast<unsigned>(micros / 1'000'000), frac = static_cast<unsigned>(micros % 1'000'000);
    put2(out, y / 100);
    put2(out + 2, y % 100);
    out[4] = '-';
    put2(out + 5, m);
    out[7] = '-';
    put2(out + 8, d);
    out[10] = ' ';
    put2(out + 11, secs / 3600);
    out[13] = ':';
    put2(out + 14, secs / 60 % 60);
    out[16] = ':';
    put2(out + 17, secs % 60);
    out[19] = '.';
    put2(out + 20, frac / 10000);
    put2(out + 22, frac / 100 % 100);
    put2(out + 24, frac % 100);
}

// The n digits at s as a number, or -1 if one of them is not a digit.
int digits_at(const char* s, int n) {
    int v = 0;
    for (int i = 0; i < n; ++i) {
        const unsigned digit = static_cast<unsigned char>(s[i]) - '0';
        if (digit > 9) return -1;
        v = v * 10 + static_cast<int>(digit);
    }
    return v;
}

// format_timestamp's inverse; every digit, separator and field's range
// checked (a text of any other form is refused).
std::int64_t parse_timestamp(const char* s, std::size_t n) {
    if (!s || n != kTimestampSize || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' ||
        s[19] != '.')
        throw std::runtime_error("not a timestamp: " + std::string(s ? s : "", s ? n : 0));
    const int y = digits_at(s, 4), m = digits_at(s + 5, 2), d = digits_at(s + 8, 2), h = digits_at(s + 11, 2),
              mi = digits_at(s + 14, 2), sec = digits_at(s + 17, 2), frac = digits_at(s + 20, 6);
    static constexpr int kDaysIn[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > kDaysIn[m - 1] + (m == 2 && leap) || h < 0 || h > 23 || mi < 0 ||
        mi > 59 || sec < 0 || sec > 59 || frac < 0)
        throw std::runtime_error("not a timestamp: " + std::string(s, n));
    const int yy = y - (m <= 2), era = yy / 400, yoe = yy - era * 400;
    const int doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1, doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    const std::int64_t day = std::int64_t{era} * 146097 + doe - 719468;
    return day * kMicrosPerDay + ((std::int64_t{h} * 60 + mi) * 60 + sec) * 1'000'000 + frac;
}

// PostgreSQL's binary timestamp counts from 2000-01-01.
constexpr std::int64_t kPgEpochUs = 946'684'800'000'000;

// The user columns strata's side loads, in this order. SQLite: a row of them as a struct.
constexpr const char* kUserColumns = "SELECT id, nickname, email, about_me, last_seen FROM \"user\"";

std::string lite_text(sqlite3_stmt* st, int col) {
    return {reinterpret_cast<const char*>(sqlite3_column_text(st, col)), static_cast<std::size_t>(sqlite3_column_bytes(st, col))};
}
std::optional<std::string> lite_optional_text(sqlite3_stmt* st, int col) {
    if (sqlite3_column_type(st, col) == SQLITE_NULL) return std::nullopt;
    return lite_text(st, col);
}
User lite_user(sqlite3_stmt* st) {
    return {sqlite3_column_int64(st, 0), lite_text(st, 1), lite_text(st, 2), lite_optional_text(st, 3),
            lite_optional_text(st, 4)};
}

std::string text_at(PGresult* r, int row, int col) { return std::string(PQgetvalue(r, row, col), PQgetlength(r, row, col)); }

// PostgreSQL: the same user columns (kUserColumns) in binary. The bench's
// users have no about_me or last_seen (NULL); a last_seen would be kept as its 8 bytes.

std::optional<std::string> optional_text_at(PGresult* r, int row, int col) {
    if (PQgetisnull(r, row, col)) return std::nullopt;
    return text_at(r, row, col);
}
User pg_user(PGresult* r, int row) {
    return {int_at(r, row, 0), text_at(r, row, 1), text_at(r, row, 2), optional_text_at(r, row, 3),
            optional_text_at(r, row, 4)};
}

// A statement with binary results (what strata's driver asks for too), its
// parameters as text: PQexecParams, one round trip.
PGresult* exec_binary(PGconn* c, const char* sql, int n = 0, const char* const* values = nullptr) {
    PGresult* r = PQexecParams(c, sql, n, nullptr, values, nullptr, nullptr, 1);
    check_pg(r, c, sql);
    return r;
}

std::string conninfo(const strata::Url& u) {
    std::string out;
    auto add = [&](const char* k, const std::string& v) {
        if (v.empty()) return;
        out += std::string(k) + "='";
        for (char c : v) {
            if (c == '\'' || c == '\\') out += '\\';
            out += c;
        }
        out += "' ";
    };
    add("host", u.host);
    if (u.port) add("port", std::to_string(*u.port));
    add("user", u.username);
    add("password", u.password);
    add("dbname", u.database);
    for (const auto& [k, v] : u.query) add(k.c_str(), v);
    return out;
}

}  // namespace

Conn::Conn(const std::string& url_text) {
    auto url = strata::parse_url(url_text);
    if (url.backend == "sqlite") {
        sqlite3* db = nullptr;
        std::string path = url.is_sqlite_memory() ? ":memory:" : url.database;
        // The flags strata opens with: one thread uses a connection at a time,
        // so neither side pays SQLite's per-call connection mutex.
        const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
        if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) throw std::runtime_error("open " + path);
        sqlite_ = db;
        exec("PRAGMA foreign_keys = ON");
    } else {
        PGconn* c = PQconnectdb(conninfo(url).c_str());
        if (PQstatus(c) != CONNECTION_OK) {
            std::string msg = PQerrorMessage(c);
            PQfinish(c);
            throw std::runtime_error("connect: " + msg);
        }
        pg_ = c;
    }
}

Conn::~Conn() {
    if (sqlite_) {
        sqlite3_finalize(static_cast<sqlite3_stmt*>(get_stmt_));
        sqlite3_finalize(static_cast<sqlite3_stmt*>(posts_stmt_));
        sqlite3_close(lite(sqlite_));
    }
    if (pg_) PQfinish(pg(pg_));
}

void Conn::exec(const std::string& sql) {
    if (sqlite_) {
        check_lite(lite(sqlite_), sqlite3_exec(lite(sqlite_), sql.c_str(), nullptr, nullptr, nullptr), sql.c_str());
    } else {
        PGresult* r = PQexec(pg(pg_), sql.c_str());
        check_pg(r, pg(pg_), sql.c_str());
        PQclear(r);
    }
}

void Conn::insert_users(int n) {
    if (sqlite_) {
        sqlite3* db = lite(sqlite_);
        exec("BEGIN");
        sqlite3_stmt* st = nullptr;
        check_lite(db, sqlite3_prepare_v2(db, "INSERT INTO \"user\" (nickname, email) VALUES (?, ?)", -1, &st, nullptr),
                   "prepare");
        std::string nick, email;
        for (int i = 0; i < n; ++i) {
            nick = "user" + std::to_string(i);
            email = nick + "@example.com";
            sqlite3_bind_text(st, 1, nick.data(), static_cast<int>(nick.size()), SQLITE_STATIC);
            sqlite3_bind_text(st, 2, email.data(), static_cast<int>(email.size()), SQLITE_STATIC);
            check_lite(db, sqlite3_step(st), "insert");
            sqlite3_reset(st);
        }
        sqlite3_finalize(st);
        exec("COMMIT");
        return;
    }
    // PostgreSQL's fastest bulk path: COPY ... FROM STDIN in text format.
    PGconn* c = pg(pg_);
    exec("BEGIN");
    PGresult* r = PQexec(c, "COPY \"user\" (nickname, email) FROM STDIN");
    check_pg(r, c, "COPY");
    PQclear(r);
    std::string buf;
    buf.reserve(1 << 20);
    for (int i = 0; i < n; ++i) {
        std::string nick = "user" + std::to_string(i);
        buf += nick + "\t" + nick + "@example.com\n";
        if (buf.size() > (1 << 20) - 128) {
            PQputCopyData(c, buf.data(), static_cast<int>(buf.size()));
            buf.clear();
        }
    }
    PQputCopyData(c, buf.data(), static_cast<int>(buf.size()));
    PQputCopyEnd(c, nullptr);
    r = PQgetResult(c);
    check_pg(r, c, "COPY end");
    PQclear(r);
    exec("COMMIT");
}

std::vector<User> Conn::load_users() {
    std::vector<User> out;
    if (sqlite_) {
        sqlite3* db = lite(sqlite_);
        sqlite3_stmt* st = nullptr;
        check_lite(db, sqlite3_prepare_v2(db, kUserColumns, -1, &st, nullptr), "prepare");
        while (sqlite3_step(st) == SQLITE_ROW) out.push_back(lite_user(st));
        sqlite3_finalize(st);
        return out;
    }
    PGresult* r = exec_binary(pg(pg_), kUserColumns);
    int n = PQntuples(r);
    out.reserve(n);
    for (int i = 0; i < n; ++i) out.push_back(pg_user(r, i));
    PQclear(r);
    return out;
}

std::size_t Conn::stream_users() {
    sqlite3* db = lite(sqlite_);
    sqlite3_stmt* st = nullptr;
    check_lite(db, sqlite3_prepare_v2(db, kUserColumns, -1, &st, nullptr), "prepare");
    std::size_t sink = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        User u = lite_user(st);
        sink += u.nickname.size();
    }
    sqlite3_finalize(st);
    return sink;
}

User Conn::get_user(std::int64_t id) {
    if (sqlite_) {
        sqlite3* db = lite(sqlite_);
        auto* st = static_cast<sqlite3_stmt*>(get_stmt_);
        if (!st) {
            const std::string sql = std::string(kUserColumns) + " WHERE id = ?";
            check_lite(db, sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), "prepare");
            get_stmt_ = st;
        }
        sqlite3_bind_int64(st, 1, id);
        User u{0, {}, {}};
        if (sqlite3_step(st) == SQLITE_ROW) u = lite_user(st);
        sqlite3_reset(st);
        return u;
    }
    PGconn* c = pg(pg_);
    prepare_pg("get_user", "SELECT id, nickname, email, about_me, last_seen FROM \"user\" WHERE id = $1", get_user_prepared_);
    // The key as a binary int4 (the column's type), the row back in binary: no text on either way.
    const std::uint32_t key = htobe32(static_cast<std::uint32_t>(id));
    const char* values[1] = {reinterpret_cast<const char*>(&key)};
    const int lengths[1] = {sizeof key}, formats[1] = {1};
    PGresult* r = PQexecPrepared(c, "get_user", 1, values, lengths, formats, 1);
    check_pg(r, c, "get");
    if (PQntuples(r) != 1) {
        PQclear(r);
        throw std::runtime_error("get_user: no user " + std::to_string(id));
    }
    User u = pg_user(r, 0);
    PQclear(r);
    return u;
}

// W3's and W4's statements, each prepared on the connection when first used
// (as strata's driver does): a run prepares only the statement it runs.
void Conn::prepare_pg(const char* name, const char* sql, bool& prepared) {
    if (prepared) return;
    PGconn* c = pg(pg_);
    const Oid int4[1] = {23};  // microblog's keys are INTEGER
    PGresult* r = PQprepare(c, name, sql, 1, int4);
    check_pg(r, c, "prepare");
    PQclear(r);
    prepared = true;
}

void Conn::insert_users_with_posts(int users, int posts_each) {
    exec("BEGIN");
    if (sqlite_) {
        sqlite3* db = lite(sqlite_);
        sqlite3_stmt *ins_user = nullptr, *ins_post = nullptr;
        sqlite3_prepare_v2(db, "INSERT INTO \"user\" (nickname, email) VALUES (?, ?)", -1, &ins_user, nullptr);
        sqlite3_prepare_v2(db, "INSERT INTO post (body, timestamp, user_id) VALUES (?, ?, ?)", -1, &ins_post, nullptr);
        for (int u = 0; u < users; ++u) {
            std::string nick = "user" + std::to_string(u), email = nick + "@example.com";
            sqlite3_bind_text(ins_user, 1, nick.data(), static_cast<int>(nick.size()), SQLITE_STATIC);
            sqlite3_bind_text(ins_user, 2, email.data(), static_cast<int>(email.size()), SQLITE_STATIC);
            check_lite(db, sqlite3_step(ins_user), "insert user");
            sqlite3_reset(ins_user);
            std::int64_t uid = sqlite3_last_insert_rowid(db);
            // The body and the time's text live until the row is written: bound without a copy.
            for (int p = 0; p < posts_each; ++p) {
                std::string body = "post " + std::to_string(p) + " of " + nick;
                char stamp[kTimestampSize];
                format_timestamp(post_time_us(std::int64_t{u} * posts_each + p), stamp);
                sqlite3_bind_text(ins_post, 1, body.data(), static_cast<int>(body.size()), SQLITE_STATIC);
                sqlite3_bind_text(ins_post, 2, stamp, sizeof stamp, SQLITE_STATIC);
                sqlite3_bind_int64(ins_post, 3, uid);
                check_lite(db, sqlite3_step(ins_post), "insert post");
                sqlite3_reset(ins_post);
            }
        }
        sqlite3_finalize(ins_user);
        sqlite3_finalize(ins_post);
    } else {
        // PostgreSQL's bulk path, as strata's flush takes it: the users' keys
        // drawn from their sequence in one query, then each table by COPY.
        // The sequence is looked up once (OFFSET 0 keeps the planner from
        // pulling the subquery into the per-key loop: a lookup per key cost
        // about 2 us each) and the keys come back as one int8[] value.
        PGconn* c = pg(pg_);
        const std::string n = std::to_string(users);
        const char* count[1] = {n.c_str()};
        PGresult* r = exec_binary(c,
                                  "SELECT ARRAY(SELECT nextval(q.seq) FROM generate_series(1, $1::int)) FROM "
                                  "(SELECT pg_get_serial_sequence('\"user\"', 'id')::regclass AS seq OFFSET 0) AS q",
                                  1, count);
        const std::vector<std::int64_t> keys = int8_array_at(PQgetvalue(r, 0, 0), PQgetlength(r, 0, 0));
        PQclear(r);
        if (keys.size() != static_cast<std::size_t>(users)) throw std::runtime_error("drew " + std::to_string(keys.size()) + " keys");
        std::string buf;
        buf.reserve(1 << 20);
        auto copy = [&](const char* sql, auto&& rows) {
            PGresult* res = PQexec(c, sql);
            check_pg(res, c, sql);
            PQclear(res);
            rows([&] {
                if (buf.size() > (1 << 20) - 256) {
                    PQputCopyData(c, buf.data(), static_cast<int>(buf.size()));
                    buf.clear();
                }
            });
            PQputCopyData(c, buf.data(), static_cast<int>(buf.size()));
            buf.clear();
            PQputCopyEnd(c, nullptr);
            res = PQgetResult(c);
            check_pg(res, c, "COPY end");
            PQclear(res);
        };
        copy("COPY \"user\" (id, nickname, email) FROM STDIN", [&](auto flush) {
            for (int u = 0; u < users; ++u) {
                const std::string nick = "user" + std::to_string(u);
                buf += std::to_string(keys[u]) + "\t" + nick + "\t" + nick + "@example.com\n";
                flush();
            }
        });
        copy("COPY post (body, timestamp, user_id) FROM STDIN", [&](auto flush) {
            for (int u = 0; u < users; ++u) {
                const std::string nick = "user" + std::to_string(u), uid = std::to_string(keys[u]);
                for (int p = 0; p < posts_each; ++p) {
                    char stamp[kTimestampSize];
                    format_timestamp(post_time_us(std::int64_t{u} * posts_each + p), stamp);
                    buf += "post " + std::to_string(p) + " of " + nick + "\t";
                    buf.append(stamp, sizeof stamp);
                    buf += "\t" + uid + "\n";
                    flush();
                }
            }
        });
    }
    exec("COMMIT");
}

std::vector<std::int64_t> Conn::user_ids() {
    std::vector<std::int64_t> out;
    for (const auto& u : load_users()) out.push_back(u.id);
    return out;
}

namespace {
std::vector<Post> read_posts_lite(sqlite3_stmt* st) {
    std::vector<Post> out;
    while (sqlite3_step(st) == SQLITE_ROW)
        out.push_back({sqlite3_column_int64(st, 0), reinterpret_cast<const char*>(sqlite3_column_text(st, 1)),
                       parse_timestamp(reinterpret_cast<const char*>(sqlite3_column_text(st, 2)),
                                       static_cast<std::size_t>(sqlite3_column_bytes(st, 2))),
                       sqlite3_column_int64(st, 3)});
    return out;
}
// Binary rows: the timestamp as PostgreSQL sends it (microseconds since 2000-01-01), moved to 1970's epoch.
std::vector<Post> read_posts_pg(PGresult* r) {
    std::vector<Post> out;
    const int n = PQntuples(r);
    out.reserve(n);
    for (int i = 0; i < n; ++i)
        out.push_back({int_at(r, i, 0), text_at(r, i, 1), int8_at(PQgetvalue(r, i, 2)) + kPgEpochUs, int_at(r, i, 3)});
    return out;
}
}  // namespace

std::vector<Post> Conn::posts_of(std::int64_t user_id) {
    if (sqlite_) {
        sqlite3* db = lite(sqlite_);
        auto* st = static_cast<sqlite3_stmt*>(posts_stmt_);
        if (!st) {
            sqlite3_prepare_v2(db, "SELECT id, body, timestamp, user_id FROM post WHERE user_id = ?", -1, &st, nullptr);
            posts_stmt_ = st;
        }
        sqlite3_bind_int64(st, 1, user_id);
        auto out = read_posts_lite(st);
        sqlite3_reset(st);
        return out;
    }
    prepare_pg("posts_of", "SELECT id, body, timestamp, user_id FROM post WHERE user_id = $1", posts_of_prepared_);
    const std::uint32_t key = htobe32(static_cast<std::uint32_t>(user_id));
    const char* values[1] = {reinterpret_cast<const char*>(&key)};
    const int lengths[1] = {sizeof key}, formats[1] = {1};
    PGresult* r = PQexecPrepared(pg(pg_), "posts_of", 1, values, lengths, formats, 1);
    check_pg(r, pg(pg_), "posts_of");
    auto out = read_posts_pg(r);
    PQclear(r);
    return out;
}

std::vector<Post> Conn::posts_of_all(const std::vector<std::int64_t>& ids) {
    if (pg_) {  // the keys as one array parameter: one statement, however many
        std::string array = "{";
        for (std::size_t i = 0; i < ids.size(); ++i) array += (i ? "," : "") + std::to_string(ids[i]);
        array += "}";
        const char* values[1] = {array.c_str()};
        PGresult* r =
            exec_binary(pg(pg_), "SELECT id, body, timestamp, user_id FROM post WHERE user_id = ANY($1::int[])", 1, values);
        auto out = read_posts_pg(r);
        PQclear(r);
        return out;
    }
    std::string list;
    for (std::size_t i = 0; i < ids.size(); ++i) list += (i ? "," : "") + std::to_string(ids[i]);
    std::string sql = "SELECT id, body, timestamp, user_id FROM post WHERE user_id IN (" + list + ")";
    if (sqlite_) {
        sqlite3_stmt* st = nullptr;
        sqlite3_prepare_v2(lite(sqlite_), sql.c_str(), -1, &st, nullptr);
        auto out = read_posts_lite(st);
        sqlite3_finalize(st);
        return out;
    }
    throw std::logic_error("posts_of_all: no connection");
}

std::vector<Stat> Conn::stats() {
    // The statement strata's select API writes for W6, word for word.
    static const char* sql =
        "SELECT \"user\".\"nickname\","
        " (SELECT count(*) FROM \"post\" WHERE (\"post\".\"user_id\" = \"user\".\"id\")) AS \"posts\","
        " (SELECT count(*) FROM \"followers\" AS \"f1\" WHERE (\"f1\".\"followed_id\" = \"user\".\"id\")),"
        " (SELECT count(*) FROM \"followers\" AS \"f2\" WHERE (\"f2\".\"follower_id\" = \"user\".\"id\"))"
        " FROM \"user\" ORDER BY \"posts\" DESC, \"user\".\"nickname\"";
    std::vector<Stat> out;
    if (sqlite_) {
        sqlite3* db = lite(sqlite_);
        sqlite3_stmt* st = nullptr;
        check_lite(db, sqlite3_prepare_v2(db, sql, -1, &st, nullptr), "prepare");
        while (sqlite3_step(st) == SQLITE_ROW)
            out.push_back({std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), sqlite3_column_bytes(st, 0)),
                           sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3)});
        sqlite3_finalize(st);
        return out;
    }
    PGresult* r = exec_binary(pg(pg_), sql);
    int n = PQntuples(r);
    out.reserve(n);
    for (int i = 0; i < n; ++i)
        out.push_back({text_at(r, i, 0), int8_at(PQgetvalue(r, i, 1)), int8_at(PQgetvalue(r, i, 2)), int8_at(PQgetvalue(r, i, 3))});
    PQclear(r);
    return out;
}

void Conn::make_email_nullable() {
    // SQLite's 12-step ALTER: foreign keys off outside the transaction, copy
    // into a new table, swap, recreate the indexes, check the foreign keys.
    // The statements `db upgrade --sql` prints for it: every user column.
    exec("PRAGMA foreign_keys = OFF");
    exec("BEGIN IMMEDIATE");
    exec(R"(CREATE TABLE "_new_user" (
	"id" INTEGER NOT NULL,
	"nickname" VARCHAR(64) NOT NULL,
	"email" VARCHAR(120),
	"about_me" VARCHAR(140),
	"last_seen" DATETIME,
	CONSTRAINT "pk_user" PRIMARY KEY ("id")
))");
    exec(R"(INSERT INTO "_new_user" ("id", "nickname", "email", "about_me", "last_seen")
            SELECT "id", "nickname", "email", "about_me", "last_seen" FROM "user")");
    exec(R"(DROP TABLE "user")");
    exec(R"(ALTER TABLE "_new_user" RENAME TO "user")");
    exec(R"(CREATE UNIQUE INDEX "ix_user_nickname" ON "user" ("nickname"))");
    exec(R"(CREATE UNIQUE INDEX "ix_user_email" ON "user" ("email"))");
    sqlite3_stmt* check = nullptr;
    check_lite(lite(sqlite_), sqlite3_prepare_v2(lite(sqlite_), "PRAGMA foreign_key_check", -1, &check, nullptr), "prepare");
    const bool broken = sqlite3_step(check) == SQLITE_ROW;
    sqlite3_finalize(check);
    if (broken) throw std::runtime_error("foreign key check failed");
    exec("COMMIT");
    exec("PRAGMA foreign_keys = ON");
}

}  // namespace bench::raw
