// src/migrate/lock_wait.cpp — lock_timeout for migrations, and the session that watches their waits.
#include "migrate/lock_wait.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "migrate/interrupt.hpp"
#include "migrate/revision_file.hpp"
#include "strata/error.hpp"

namespace strata::migrate {

namespace {

// SQLSTATE lock_not_available: lock_timeout ran out (or NOWAIT found the lock taken).
constexpr const char* kLockNotAvailable = "55P03";

constexpr auto kPollEvery = std::chrono::milliseconds(100);
// A wait shorter than this is not worth a line: most end by themselves at once.
constexpr double kQuietWait_s = 0.1;

int server_version(Connection& conn) {
    auto stmt = conn.prepare("SELECT current_setting('server_version_num')::int");
    return stmt->step() ? static_cast<int>(stmt->get_int64(0)) : 0;
}

// pg_locks' "AccessExclusiveLock" as the SQL reference spells it: "ACCESS EXCLUSIVE".
std::string lock_mode_name(std::string_view mode) {
    if (mode.size() > 4 && mode.substr(mode.size() - 4) == "Lock") mode.remove_suffix(4);
    std::string out;
    for (char c : mode) {
        if (std::isupper(static_cast<unsigned char>(c)) && !out.empty()) out += ' ';
        out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return out;
}

// "AccessShareLock,RowShareLock" -> "ACCESS SHARE, ROW SHARE".
std::string lock_mode_names(std::string_view modes) {
    std::string out;
    while (!modes.empty()) {
        const auto comma = modes.find(',');
        out += (out.empty() ? "" : ", ") + lock_mode_name(modes.substr(0, comma));
        modes = comma == std::string_view::npos ? std::string_view{} : modes.substr(comma + 1);
    }
    return out;
}

std::string seconds(double s) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f s", s);
    return text;
}

// A query in a message: one line, at most 120 characters.
std::string short_query(std::string query) {
    std::replace_if(query.begin(), query.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; }, ' ');
    if (query.size() > 120) query = query.substr(0, 117) + "...";
    return escape_control(query);
}

}  // namespace

std::vector<std::string> wait_limits(const Timeouts& timeouts) {
    // Integers we formatted: SET takes no parameters.
    return {"SET LOCAL lock_timeout = " + std::to_string(timeouts.lock_timeout.count()),
            "SET LOCAL statement_timeout = " + std::to_string(timeouts.statement_timeout.count())};
}

void limit_waits(Connection& conn, const Timeouts& timeouts) {
    for (const auto& sql : wait_limits(timeouts)) conn.execute(sql);
    if (server_version(conn) >= 140000) conn.execute("SET LOCAL client_connection_check_interval = 1000");
}

bool caused_by_lock_timeout(const std::exception& e) {
    if (const auto* db = dynamic_cast<const DatabaseError*>(&e); db && db->code() == kLockNotAvailable) return true;
    try {
        std::rethrow_if_nested(e);
    } catch (const std::exception& inner) {
        return caused_by_lock_timeout(inner);
    } catch (...) {
    }
    return false;
}

std::string describe_holders(const std::vector<LockHolder>& holders) {
    std::string out;
    for (const auto& h : holders) {
        out += out.empty() ? "pid " : ", pid ";
        out += std::to_string(h.pid) + " (";
        if (!h.modes.empty()) out += h.modes + "; ";
        out += (h.state.empty() ? std::string("state unknown") : h.state) + " for " + seconds(h.age_s);
        if (!h.query.empty()) out += std::string(h.state == "active" ? "; running: " : "; its last query: ") + short_query(h.query);
        out += ")";
    }
    return out;
}

LockWatch::LockWatch(std::function<std::unique_ptr<Connection>()> open_observer, std::int64_t watched_pid,
                     const Timeouts& timeouts, std::function<void(const std::string&)> notice,
                     const CancelOnSignal* interrupt, std::function<void(const Progress&)> progress)
    : pid_(watched_pid), timeouts_(timeouts), notice_(std::move(notice)), interrupt_(interrupt),
      progress_(std::move(progress)) {
    thread_ = std::thread([this, open = std::move(open_observer)] { loop(open); });
}

LockWatch::~LockWatch() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

std::optional<LockWait> LockWatch::last_wait() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_;
}

void LockWatch::forget() {
    std::lock_guard<std::mutex> lock(mutex_);
    last_.reset();
}

void LockWatch::loop(const std::function<std::unique_ptr<Connection>()>& open_observer) {
    try {
        observer_ = open_observer();
        wait_start_ = server_version(*observer_) >= 140000 ? "COALESCE(w.waitstart, now())" : "a.query_start";
    } catch (const std::exception&) {   // no second session (max_connections, say): the run goes on unwatched
        observer_.reset();
    }
    std::unique_lock<std::mutex> lock(mutex_);
    while (!wake_.wait_for(lock, kPollEvery, [this] { return stop_; })) {
        lock.unlock();
        if (interrupt_ && interrupt_->received()) interrupt_->cancel_again();
        std::optional<LockWait> wait;
        try {
            if (observer_) wait = poll();
            if (observer_ && progress_) poll_index_build();
        } catch (const std::exception&) {   // the watch is a courtesy: a lost observer ends it, never the migration
            observer_.reset();
        }
        lock.lock();
        if (!wait) continue;
        last_ = wait;
        if (wait->key == reported_key_ || !notice_) continue;
        reported_key_ = wait->key;
        const std::string line = waiting_notice(*wait);
        lock.unlock();
        notice_(line);
        lock.lock();
    }
}

// What pg_stat_progress_create_index says of the watched backend's index
// build: each phase a task of its own ("index ix_post_title on post:
// building index: scanning table", in blocks; loading tuples, in tuples).
// Whether it finished is the run's to say (statement_succeeded).
void LockWatch::poll_index_build() {
    std::uint64_t ended_before;
    {
        std::lock_guard<std::mutex> lock(build_mutex_);
        ended_before = builds_ended_;
    }
    auto stmt = observer_->prepare(
        "SELECT COALESCE(i.relname, ''), COALESCE(t.relname, ''), p.phase, p.blocks_done, p.blocks_total, "
        "p.tuples_done, p.tuples_total FROM pg_stat_progress_create_index p "
        "LEFT JOIN pg_class i ON i.oid = p.index_relid LEFT JOIN pg_class t ON t.oid = p.relid WHERE p.pid = $1");
    stmt->bind(1, Value(pid_));
    if (!stmt->step()) return;
    const std::string index(stmt->get_text(0)), table(stmt->get_text(1)), phase(stmt->get_text(2));
    // A plain build's index is not committed yet: other sessions cannot see its name.
    Progress p{(index.empty() ? std::string("CREATE INDEX") : "index " + index) + " on " + table + ": " + phase,
               "blocks", stmt->get_int64(3), stmt->get_int64(4), {}, false};
    const auto now = std::chrono::steady_clock::now();
    if (stmt->get_int64(6) > 0) p.unit = "tuples", p.done = stmt->get_int64(5), p.total = stmt->get_int64(6);
    std::lock_guard<std::mutex> lock(build_mutex_);
    if (builds_ended_ != ended_before) return;   // what it read is over
    if (!building_ || building_->task != p.task) phase_start_ = now;
    p.elapsed = now - phase_start_;
    building_ = p;
    progress_(p);
}

void LockWatch::statement_succeeded() {
    std::lock_guard<std::mutex> lock(build_mutex_);
    ++builds_ended_;
    if (!building_) return;
    building_->done = building_->total;
    building_->elapsed = std::chrono::steady_clock::now() - phase_start_;
    building_->finished = true;
    progress_(*building_);
    building_.reset();
}

void LockWatch::statement_failed() {
    std::lock_guard<std::mutex> lock(build_mutex_);
    ++builds_ended_;
    building_.reset();
}

// The lock the watched backend waits for (not the advisory lock between
// migrations: the runner says that one itself), with who holds it.
std::optional<LockWait> LockWatch::poll() {
    auto stmt = observer_->prepare(
        "SELECT w.mode, COALESCE(w.relation::regclass::text, w.locktype), "
        "to_char(" + wait_start_ + " + $2::bigint * interval '1 millisecond', 'HH24:MI:SS'), "
        "EXTRACT(EPOCH FROM now() - " + wait_start_ + ")::float8, " + wait_start_ + "::text, "
        "b.pid, COALESCE(b.state, ''), COALESCE(b.query, ''), "
        "COALESCE(EXTRACT(EPOCH FROM now() - COALESCE(b.xact_start, b.query_start))::float8, 0), "
        "COALESCE((SELECT string_agg(DISTINCT h.mode, ',') FROM pg_locks h "
        "          WHERE h.pid = b.pid AND h.granted AND h.relation = w.relation), '') "
        "FROM pg_locks w JOIN pg_stat_activity a ON a.pid = w.pid "
        "LEFT JOIN LATERAL (SELECT DISTINCT unnest(pg_blocking_pids(w.pid)) AS pid) bp ON true "
        "LEFT JOIN pg_stat_activity b ON b.pid = bp.pid "
        "WHERE w.pid = $1 AND NOT w.granted AND w.locktype <> 'advisory' ORDER BY b.pid");
    stmt->bind(1, Value(pid_));
    stmt->bind(2, Value(static_cast<std::int64_t>(timeouts_.lock_timeout.count())));
    std::optional<LockWait> wait;
    while (stmt->step()) {
        if (!wait) {
            if (stmt->get_double(3) < kQuietWait_s) return std::nullopt;
            wait = LockWait{lock_mode_name(stmt->get_text(0)), std::string(stmt->get_text(1)),
                            std::string(stmt->get_text(2)), std::string(stmt->get_text(4)), {}};
        }
        if (stmt->is_null(5) || wait->holders.size() >= 3) continue;
        wait->holders.push_back({stmt->get_int64(5), lock_mode_names(stmt->get_text(9)), std::string(stmt->get_text(6)),
                                 std::string(stmt->get_text(7)), stmt->get_double(8)});
    }
    return wait;
}

std::string LockWatch::waiting_notice(const LockWait& wait) const {
    std::string line = "Waiting to lock " + wait.object + " in " + wait.mode + " mode until " + wait.until +
                       " UTC (lock_timeout " + format_duration(timeouts_.lock_timeout) + ")";
    if (!wait.holders.empty()) line += "; held by " + describe_holders(wait.holders);
    return line;
}

}  // namespace strata::migrate
