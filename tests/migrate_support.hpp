// Support for the migration tests: a repository in the test's temp folder,
// revision files written from YAML snippets, and the db command line run
// in-process with captured output.
#pragma once

#include <fstream>
#include <sstream>

#include "migrate/autogenerate.hpp"
#include "migrate/lock.hpp"
#include "migrate/offline.hpp"
#include "migrate/runner.hpp"
#include "migrate/script.hpp"
#include "migrate/walk.hpp"
#include "strata/migrate.hpp"
#include "support.hpp"

namespace strata::testing {

class MigrateTest : public BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        migrate::ScriptDirectory::init(repo());
        db_.emplace(open_db());
    }
    void TearDown() override {
        conn_ = PooledConnection();
        db_.reset();
    }

    std::filesystem::path repo() const { return dir().path() / "migrations"; }
    Database& db() { return *db_; }
    Connection& conn() {
        if (!conn_.get()) conn_ = db_->connect();
        return *conn_;
    }

    // Writes versions/<id>_test.yaml. `down` is YAML ("null", "a1", "[a1, b2]");
    // `upgrade` / `downgrade` are list items, each line starting "  - ".
    std::filesystem::path write_rev(const std::string& id, const std::string& down, const std::string& upgrade,
                                    const std::string& downgrade, const std::string& message = "test") {
        std::filesystem::create_directories(repo() / "versions");
        auto path = repo() / "versions" / (id + "_test.yaml");
        std::ofstream(path) << "revision: " << id << "\ndown_revision: " << down << "\nmessage: " << message
                            << "\ncreated: 2026-11-27T14:00:00Z\nupgrade:\n"
                            << (upgrade.empty() ? "  []\n" : upgrade) << "downgrade:\n"
                            << (downgrade.empty() ? "  []\n" : downgrade);
        return path;
    }

    migrate::RunResult upgrade(const std::string& target = "head", migrate::RunOptions options = {}) {
        migrate::ScriptDirectory s(repo());
        return migrate::Runner(conn(), s).upgrade(target, options);
    }
    migrate::RunResult downgrade(const std::string& target = "-1", migrate::RunOptions options = {}) {
        migrate::ScriptDirectory s(repo());
        return migrate::Runner(conn(), s).downgrade(target, options);
    }
    std::vector<std::string> current() {
        migrate::ScriptDirectory s(repo());
        return migrate::Runner(conn(), s).current_heads();
    }

    // Every row of a query, columns joined by '|' (NULL as "NULL").
    std::vector<std::string> rows(const std::string& sql) {
        std::vector<std::string> out;
        auto stmt = conn().prepare(sql);
        while (stmt->step()) {
            std::string row;
            for (int i = 0; i < stmt->column_count(); ++i)
                row += (i ? "|" : "") + (stmt->is_null(i) ? std::string("NULL") : std::string(stmt->get_text(i)));
            out.push_back(row);
        }
        return out;
    }
    std::vector<std::string> columns_of(const std::string& table) {
        std::vector<std::string> out;
        MetaData md = inspect(conn());
        if (const Table* t = md.find(table))
            for (const auto& c : t->columns) out.push_back(c.name);
        return out;
    }

    // Runs `db ARGS…` in-process against this test's database and repository.
    struct DbOutcome {
        int code;
        std::string out;
        std::string err;
    };
    DbOutcome run_db(const std::vector<std::string>& args, bool interactive = false, const std::string& input = "") {
        std::ostringstream out, err;
        std::istringstream in(input);
        DbContext ctx{url(), repo(), [this] { return models; }, "test"};
        int code = db_run(ctx, args, DbStreams{out, err, in, interactive});
        return {code, out.str(), err.str()};
    }

    MetaData models;   // what `db migrate` / `db check` / `db create` build toward

private:
    std::optional<Database> db_;
    PooledConnection conn_;
};

// Each op as `db check` lists it: "drop_constraint fk_post_user_id_user on post".
inline std::vector<std::string> described(const std::vector<migrate::Step>& steps) {
    std::vector<std::string> out;
    for (const auto& s : steps) out.push_back(migrate::describe(s.op));
    return out;
}

inline std::string differences(const MetaData& expected, const MetaData& actual) {
    std::string out;
    for (const auto& d : compare_schema(expected, actual)) out += d.table + ": " + d.description + "\n";
    return out;
}

}  // namespace strata::testing
