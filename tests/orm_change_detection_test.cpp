// Change detection is exact: every value a program assigns reaches the
// database, whatever it collides with in a hash. The pair that a 64-bit
// fingerprint once judged equal; a property test of 1,000,000 random
// assignments over every column type (text of every length 0-300, values one
// bit apart, values that differ only past byte 32); the same through
// BelongsTo and foreign-key columns; writes to loaded objects the program had
// not reached before. On every backend.
#include <chrono>
#include <cstring>
#include <random>

#include "support.hpp"

namespace {

using namespace std::chrono;

struct Acct {
    std::int64_t id = 0;
    std::string email{};
};

void map_acct(strata::Registry& r) {
    r.model<Acct>("acct").column(&Acct::id, "id", strata::primary_key()).column(&Acct::email, "email", strata::String(64));
}

// One column of every type the ORM maps.
struct Every {
    std::int64_t id = 0;
    std::int64_t big = 0;
    int medium = 0;
    short small = 0;
    bool flag = false;
    double ratio = 0;
    std::string text{};
    std::optional<std::string> maybe_text{};
    strata::Blob data{};
    strata::DateTime when{};
    strata::Date day{};
    strata::Time at{};
    std::optional<std::int64_t> maybe_number{};
    bool operator==(const Every&) const = default;
};

void map_every(strata::Registry& r) {
    r.model<Every>("every")
        .column(&Every::id, "id", strata::primary_key())
        .column(&Every::big, "big", strata::BigInteger())
        .column(&Every::medium, "medium")
        .column(&Every::small, "small")
        .column(&Every::flag, "flag")
        .column(&Every::ratio, "ratio")
        .column(&Every::text, "text", strata::Text())
        .column(&Every::maybe_text, "maybe_text", strata::Text())
        .column(&Every::data, "data")
        .column(&Every::when, "when")
        .column(&Every::day, "day")
        .column(&Every::at, "at")
        .column(&Every::maybe_number, "maybe_number", strata::BigInteger());
}

struct Owner;
struct Owned {
    std::int64_t id = 0;
    std::optional<std::int64_t> owner_id{};
    strata::BelongsTo<Owner> owner{};
};
struct Owner {
    std::int64_t id = 0;
    std::string name{};
    strata::HasMany<Owned> items{};
};

void map_owners(strata::Registry& r) {
    r.model<Owner>("owner")
        .column(&Owner::id, "id", strata::primary_key())
        .column(&Owner::name, "name", strata::String(32))
        .has_many(&Owner::items, &Owned::owner);
    r.model<Owned>("owned")
        .column(&Owned::id, "id", strata::primary_key())
        .column(&Owned::owner_id, "owner_id", strata::foreign_key("owner.id"));
}

// Random values, and values that differ from a given one as little as possible.
class Values {
public:
    explicit Values(std::uint64_t seed) : rng_(seed) {}

    std::uint64_t bits() { return rng_(); }
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(rng_() % n); }
    bool chance(int percent) { return below(100) < static_cast<std::size_t>(percent); }

    // Printable ASCII (valid UTF-8 on every backend); flipping bit 0 keeps it so.
    std::string text(std::size_t length) {
        std::string s(length, ' ');
        for (auto& c : s) c = static_cast<char>(0x20 + below(0x5f));
        return s;
    }
    // A new text value: fresh, or the old one with one bit flipped, possibly
    // only past byte 32, or longer/shorter by a byte.
    std::string next_text(const std::string& old) {
        switch (below(5)) {
            case 0: return text(below(301));
            case 1: return flip_text(old, 0);
            case 2: return old.size() > 33 ? flip_text(old, 33) : text(33 + below(268));
            case 3: return old.size() < 300 ? old + static_cast<char>(0x20 + below(0x5f)) : old.substr(1);
            default: return old;  // unchanged: nothing to write
        }
    }
    strata::Blob next_blob(const strata::Blob& old) {
        if (old.bytes.empty() || chance(30)) {
            strata::Blob b;
            b.bytes.resize(below(301));
            for (auto& x : b.bytes) x = static_cast<std::uint8_t>(bits());
            return b;
        }
        strata::Blob b = old;
        b.bytes[below(b.bytes.size())] ^= static_cast<std::uint8_t>(1u << below(8));
        return b;
    }
    template <class I>
    I next_integer(I old) {
        if (chance(50)) return static_cast<I>(old ^ (I{1} << below(sizeof(I) * 8 - 1)));
        return static_cast<I>(bits());
    }
    double next_double(double old) {
        auto b = std::bit_cast<std::uint64_t>(old);
        b ^= std::uint64_t{1} << below(52);  // a mantissa bit: stays finite
        if (chance(30)) b = std::bit_cast<std::uint64_t>(static_cast<double>(static_cast<std::int32_t>(bits())) / 7.0);
        return std::bit_cast<double>(b);
    }

private:
    std::string flip_text(std::string s, std::size_t from) {
        if (s.size() <= from) return text(from + 1 + below(10));
        s[from + below(s.size() - from)] ^= 1;
        return s;
    }
    std::mt19937_64 rng_;
};

void assign_random(Values& v, Every& e) {
    const auto epoch_days = sys_days{1970y / 1 / 1};
    e.big = v.next_integer(e.big);
    e.medium = v.next_integer(e.medium);
    e.small = v.next_integer(e.small);
    e.flag = v.chance(50);
    e.ratio = v.next_double(e.ratio);
    e.text = v.next_text(e.text);
    if (v.chance(20)) {
        e.maybe_text.reset();
    } else {
        e.maybe_text = v.next_text(e.maybe_text.value_or(""));
    }
    e.data = v.next_blob(e.data);
    // Within 1900-2100 on every backend, one microsecond apart at times.
    const auto span = duration_cast<microseconds>(days(365 * 200)).count();
    e.when = v.chance(50) ? e.when + microseconds(1)
                          : strata::DateTime{sys_days{1900y / 1 / 1}} + microseconds(static_cast<std::int64_t>(v.below(span)));
    e.day = v.chance(50) ? e.day + days(1) : strata::Date{epoch_days + days(static_cast<int>(v.below(365 * 100)))};
    e.at = strata::Time{microseconds(static_cast<std::int64_t>(v.below(86'400'000'000ULL)))};
    e.maybe_number = v.chance(20) ? std::nullopt : std::optional<std::int64_t>(v.next_integer(e.maybe_number.value_or(0)));
}

class OrmChangeDetection : public strata::testing::BackendTest {
protected:
    // The database with r's acct table (mapped here) and accounts 1..n, each "a<id>@example.com".
    strata::Database acct_db(strata::Registry& r, int n) const {
        map_acct(r);
        auto db = open_db();
        r.metadata().create_all(db);
        strata::Session s(db, r);
        for (int i = 1; i <= n; ++i) s.add(Acct{.id = i, .email = "a" + std::to_string(i) + "@example.com"});
        s.commit();
        return db;
    }
};

// The pair from the bug report: these two 16-byte values shared a fingerprint.
TEST_P(OrmChangeDetection, TheColliding16BytePairIsWritten) {
    strata::Registry r;
    map_acct(r);
    auto db = open_db();
    r.metadata().create_all(db);
    {
        strata::Session s(db, r);
        s.add(Acct{.id = 1, .email = "alice@example.co"});
        s.commit();
    }
    {
        strata::Session s(db, r);
        auto x = s.get<Acct>(1);
        x->email = "E_WJ]a]`]CNw9G%r";
        s.commit();
    }
    strata::Session fresh(db, r);
    EXPECT_EQ(fresh.get<Acct>(1)->email, "E_WJ]a]`]CNw9G%r");
}

// Texts that differ in one bit (first, middle and last byte), at every
// length 0-300 (both sides of the inline limit): a row per length.
TEST_P(OrmChangeDetection, EveryOneBitTextChangeAtEveryLengthIsWritten) {
    strata::Registry r;
    map_every(r);
    auto db = open_db();
    r.metadata().create_all(db);
    Values v(7);
    strata::Session s(db, r);
    std::vector<strata::Ptr<Every>> rows;
    for (std::size_t length = 0; length <= 300; ++length)
        rows.push_back(s.add(Every{.id = static_cast<std::int64_t>(length) + 1, .text = v.text(length)}));
    s.commit();
    for (int where = 0; where < 3; ++where) {
        for (auto& row : rows) {
            const std::size_t length = row->text.size();
            if (length == 0) continue;
            row->text[where == 0 ? 0 : where == 1 ? length / 2 : length - 1] ^= 1;
        }
        s.commit();
        strata::Session other(db, r);
        for (auto& row : rows)
            ASSERT_EQ(other.get<Every>(row->id)->text, row->text) << "length " << row->text.size() << ", change " << where;
    }
}

// 1,000,000 random assignments (1,000 rows x 10 changing columns x 100
// rounds), a commit after each round; after every round a fresh session
// reads back exactly what the program holds.
TEST_P(OrmChangeDetection, AMillionRandomAssignmentsAllReachTheDatabase) {
    strata::Registry r;
    map_every(r);
    auto db = open_db();
    r.metadata().create_all(db);
    constexpr int kRows = 1000, kRounds = 100;
    Values v(20261130);
    strata::Session s(db, r);
    std::vector<strata::Ptr<Every>> rows;
    for (int i = 1; i <= kRows; ++i) rows.push_back(s.add(Every{.id = i}));
    s.commit();
    for (int round = 0; round < kRounds; ++round) {
        for (auto& row : rows) assign_random(v, *row);
        s.commit();
        std::vector<Every> expected;
        for (auto& row : rows) expected.push_back(*row);
        strata::Session check(db, r);
        auto got = check.query<Every>().order_by(strata::asc(&Every::id)).all();
        ASSERT_EQ(got.size(), expected.size());
        for (std::size_t i = 0; i < got.size(); ++i)
            ASSERT_EQ(*got[i], expected[i]) << "round " << round << ", row " << expected[i].id;
    }
}

// Foreign keys changed through BelongsTo and by assigning the key column.
TEST_P(OrmChangeDetection, ForeignKeysChangedThroughReferencesAndColumnsAreWritten) {
    strata::Registry r;
    map_owners(r);
    auto db = open_db();
    r.metadata().create_all(db);
    Values v(99);
    strata::Session s(db, r);
    std::vector<strata::Ptr<Owner>> owners;
    for (int i = 0; i < 20; ++i) owners.push_back(s.add(Owner{.name = "owner " + std::to_string(i)}));
    std::vector<strata::Ptr<Owned>> items;
    for (int i = 0; i < 200; ++i) items.push_back(s.add(Owned{}));
    s.commit();
    for (int round = 0; round < 50; ++round) {
        for (auto& item : items) {
            if (v.chance(50)) {
                item->owner = owners[v.below(owners.size())];
            } else if (v.chance(20)) {
                item->owner = nullptr;
            } else {
                item->owner_id = owners[v.below(owners.size())]->id;
            }
        }
        s.commit();
        strata::Session check(db, r);
        for (auto& item : items) {
            auto got = check.get<Owned>(item->id);
            ASSERT_TRUE(got);
            ASSERT_EQ(got->owner_id, item->owner_id) << "round " << round << ", item " << item->id;
        }
    }
}

// --- every route to a loaded object ---------------------------------------
// A write to a loaded object reaches the database whichever way it came:
// through get()'s pointer or a kept reference, set by strata itself (a
// backref's foreign key, merge(), a bulk update()), or among objects of a
// stream the program never looked at. The routes a change detection that
// skipped objects it deems unreached would have to cover.


std::string email_in_database(const strata::Database& db, const strata::Registry& r, std::int64_t id) {
    strata::Session s(db, r);
    return s.get<Acct>(id)->email;
}

// get(): the raw pointer is a reference handed out; a write through it is kept.
TEST_P(OrmChangeDetection, AWriteThroughGetOfALoadedObjectIsWritten) {
    strata::Registry r;
    auto db = acct_db(r, 3);
    {
        strata::Session s(db, r);
        auto rows = s.query<Acct>().order_by(&Acct::id).all();
        Acct* second = rows[1].get();
        s.flush();  // an autoflush-free point: the object was not compared yet
        second->email = "through-get@example.com";
        s.commit();
    }
    EXPECT_EQ(email_in_database(db, r, 2), "through-get@example.com");
    EXPECT_EQ(email_in_database(db, r, 1), "a1@example.com");
}

// A reference taken with * and kept: written through after a flush, it reaches
// the database.
TEST_P(OrmChangeDetection, AWriteThroughAKeptReferenceIsWritten) {
    strata::Registry r;
    auto db = acct_db(r, 2);
    {
        strata::Session s(db, r);
        auto rows = s.query<Acct>().order_by(&Acct::id).all();
        Acct& first = *rows[0];
        s.flush();
        first.email = "kept@example.com";
        s.commit();
    }
    EXPECT_EQ(email_in_database(db, r, 1), "kept@example.com");
}

// A backref moves objects the program never reached: their foreign key,
// set by the flush, is written.
TEST_P(OrmChangeDetection, ObjectsMovedOnlyByABackrefAreWritten) {
    strata::Registry r;
    map_owners(r);
    auto db = open_db();
    r.metadata().create_all(db);
    {
        strata::Session s(db, r);
        s.add(Owner{.id = 1, .name = "first"});
        s.add(Owner{.id = 2, .name = "second"});
        for (int i = 1; i <= 5; ++i) s.add(Owned{.id = i, .owner_id = 1});
        s.commit();
    }
    {
        strata::Session s(db, r);
        auto items = s.query<Owned>().order_by(&Owned::id).all();  // loaded, never reached
        auto second = s.get<Owner>(2);
        for (auto& item : items) second->items.push_back(item);
        s.commit();
    }
    strata::Session check(db, r);
    for (auto& item : check.query<Owned>().all()) EXPECT_EQ(item->owner_id, std::optional<std::int64_t>(2)) << item->id;
}

// merge() copies a detached object's state onto a loaded object the program
// never reached: the copy is written.
TEST_P(OrmChangeDetection, AMergeOntoAnObjectNotYetReachedIsWritten) {
    strata::Registry r;
    auto db = acct_db(r, 2);
    strata::Ptr<Acct> detached;
    {
        strata::Session old(db, r);
        detached = old.get<Acct>(2);
        detached->email = "merged@example.com";
    }
    {
        strata::Session s(db, r);
        auto rows = s.query<Acct>().all();  // account 2 among them, never reached
        s.merge(detached);
        s.commit();
    }
    EXPECT_EQ(email_in_database(db, r, 2), "merged@example.com");
}

// A bulk update() sets its values on the session's objects, reached or not;
// a later change of one of them is still written.
TEST_P(OrmChangeDetection, ABulkUpdateOfObjectsNotYetReachedKeepsThemExact) {
    strata::Registry r;
    auto db = acct_db(r, 3);
    {
        strata::Session s(db, r);
        auto rows = s.query<Acct>().order_by(&Acct::id).all();
        EXPECT_EQ(s.query<Acct>().where(strata::col(&Acct::id) >= std::int64_t{2}).update({{&Acct::email, "bulk"}}), 2);
        EXPECT_EQ(rows[1]->email, "bulk");
        rows[2]->email = "after";
        s.commit();
    }
    EXPECT_EQ(email_in_database(db, r, 1), "a1@example.com");
    EXPECT_EQ(email_in_database(db, r, 2), "bulk");
    EXPECT_EQ(email_in_database(db, r, 3), "after");
}

// A stream whose batches hold reached-and-changed objects among objects the
// program never reached: each change is written; a batch with one goes
// only once it is flushed.
TEST_P(OrmChangeDetection, ChangesAmongUnreachedObjectsOfAStreamAreWritten) {
    constexpr int kRows = 200;
    strata::Registry r;
    auto db = acct_db(r, kRows);
    {
        strata::Session s(db, r, {.autoflush = false});
        int i = 0;
        for (strata::Ptr<Acct> a : s.query<Acct>().order_by(&Acct::id).stream(16)) {
            if (++i % 7 == 0) a->email = "changed " + std::to_string(i);  // the others are never reached
        }
        s.commit();
    }
    strata::Session check(db, r);
    for (auto& a : check.query<Acct>().all()) {
        const auto id = static_cast<int>(a->id);
        EXPECT_EQ(a->email, id % 7 == 0 ? "changed " + std::to_string(id) : "a" + std::to_string(id) + "@example.com");
    }
}

STRATA_INSTANTIATE_BACKENDS(OrmChangeDetection);

}  // namespace
