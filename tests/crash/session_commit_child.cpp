// The child process of tests/crash_test.cpp's session walk: one session
// commit of 1,000 inserts, 1,000 updates and 100 deletes across two tables,
// killed by STRATA_FAILPOINT before one of its statements.
//
//   crash_session_child URL create   tables and the old rows (1,000 accounts, 1,000 entries)
//   crash_session_child URL commit   the change: the old rows become the new ones
//
// Every value is a function of the row's id, so the test can tell the old
// rows from the new ones by a checksum. New rows get their ids from the
// program (a killed run may have drawn from a PostgreSQL sequence, which no
// rollback gives back, so database-assigned ids would differ between runs).
#include <cstdint>
#include <iostream>
#include <string>

#include "strata/strata.hpp"

namespace {

struct Entry;

struct Account {
    std::int64_t id = 0;
    std::string name{};
    std::int64_t balance = 0;
    strata::HasMany<Entry> entries{};
};

struct Entry {
    std::int64_t id = 0;
    std::int64_t amount = 0;
    std::string memo{};
    std::optional<std::int64_t> account_id{};
    strata::BelongsTo<Account> account{};
};

void map_models(strata::Registry& r) {
    r.model<Account>("account")
        .column(&Account::id, "id", strata::primary_key())
        .column(&Account::name, "name", strata::String(40))
        .column(&Account::balance, "balance")
        .has_many(&Account::entries, &Entry::account);
    r.model<Entry>("entry")
        .column(&Entry::id, "id", strata::primary_key())
        .column(&Entry::amount, "amount")
        .column(&Entry::memo, "memo", strata::String(60))
        .column(&Entry::account_id, "account_id", strata::foreign_key("account.id"), strata::index());
}

constexpr std::int64_t kOldRows = 1000;      // per table
constexpr std::int64_t kNewRows = 500;       // inserted per table
constexpr std::int64_t kUpdatedRows = 500;   // updated per table
constexpr std::int64_t kDeletedRows = 50;    // deleted per table (entry i belongs to account i)

void create(strata::Session& s) {
    for (std::int64_t i = 1; i <= kOldRows; ++i) {
        s.add(Account{.id = i, .name = "account " + std::to_string(i), .balance = i * 10});
        s.add(Entry{.id = i, .amount = i, .memo = "opening " + std::to_string(i), .account_id = i});
    }
    s.commit();
}

void change(strata::Session& s) {
    auto accounts = s.query<Account>().order_by(strata::asc(&Account::id)).all();
    auto entries = s.query<Entry>().order_by(strata::asc(&Entry::id)).all();
    for (std::int64_t i = kOldRows + 1; i <= kOldRows + kNewRows; ++i) {
        s.add(Account{.id = i, .name = "new account " + std::to_string(i), .balance = i});
        s.add(Entry{.id = i, .amount = -i, .memo = "new " + std::to_string(i), .account_id = i});
    }
    for (std::int64_t i = 0; i < kUpdatedRows; ++i) {
        accounts[static_cast<std::size_t>(i)]->balance += 7;
        entries[static_cast<std::size_t>(i)]->memo += " (revised)";
    }
    for (std::int64_t i = kOldRows - kDeletedRows; i < kOldRows; ++i) {
        s.remove(entries[static_cast<std::size_t>(i)]);
        s.remove(accounts[static_cast<std::size_t>(i)]);
    }
    s.commit();
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc == 3 ? argv[2] : "";
    if (mode != "create" && mode != "commit") {
        std::cerr << "usage: crash_session_child URL create|commit\n";
        return 2;
    }
    try {
        strata::Registry registry;
        map_models(registry);
        auto db = strata::Database::open(argv[1]);
        if (mode == "create") registry.metadata().create_all(db);
        auto s = db.session();
        mode == "create" ? create(s) : change(s);
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
