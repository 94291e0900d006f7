// UUID and JSON columns (UuidType(), JsonType()) through strata::column_type<T>:
// a program's own UUID type stored as a 16-byte strata::Blob and its own JSON
// type stored as text, on every backend: a 16-byte BLOB and text on SQLite,
// native uuid and jsonb on PostgreSQL. Read, written, compared in where(),
// bulk-inserted (PostgreSQL's COPY), written by autogenerate and read back by
// inspect without a false difference.
#include <array>

#include "migrate/revision_file.hpp"
#include "migrate_support.hpp"
#include "model_test.hpp"
#include "strata/strata.hpp"

namespace uuid_json_test {

// The program's own types: strata knows nothing of them.
struct DeviceId {
    std::array<std::uint8_t, 16> bytes{};
    friend bool operator==(const DeviceId&, const DeviceId&) = default;
};

struct Settings {
    std::string json;
    friend bool operator==(const Settings&, const Settings&) = default;
};

DeviceId device_id(std::uint8_t seed) {
    DeviceId id;
    for (std::size_t i = 0; i < id.bytes.size(); ++i) id.bytes[i] = static_cast<std::uint8_t>(seed * 16 + i);
    return id;
}

}  // namespace uuid_json_test

template <>
struct strata::column_type<uuid_json_test::DeviceId> {
    using stored = strata::Blob;
    static SqlType sql_type() { return UuidType(); }
    static strata::Blob to_stored(const uuid_json_test::DeviceId& id) {
        return strata::Blob(std::vector<std::uint8_t>(id.bytes.begin(), id.bytes.end()));
    }
    static uuid_json_test::DeviceId from_stored(const strata::Blob& b) {
        uuid_json_test::DeviceId id;
        if (b.bytes.size() != id.bytes.size()) throw strata::Error("a device id is 16 bytes");
        std::copy(b.bytes.begin(), b.bytes.end(), id.bytes.begin());
        return id;
    }
};

template <>
struct strata::column_type<uuid_json_test::Settings> {
    using stored = std::string;
    static SqlType sql_type() { return JsonType(); }
    static std::string to_stored(const uuid_json_test::Settings& s) { return s.json; }
    static uuid_json_test::Settings from_stored(std::string text) { return {std::move(text)}; }
};

namespace uuid_json_test {
namespace {

struct Device {
    std::int64_t id = 0;
    DeviceId device{};
    std::optional<DeviceId> parent{};
    Settings settings{};
    std::optional<std::string> notes{};  // a plain std::string member declared JsonType()
};

void map_devices(strata::Registry& r) {
    r.model<Device>("device")
        .column(&Device::id, "id", strata::primary_key())
        .column(&Device::device, "device", strata::unique())
        .column(&Device::parent, "parent")
        .column(&Device::settings, "settings")
        .column(&Device::notes, "notes", strata::JsonType());
}

class UuidJson : public strata::testing::ModelTest {
protected:
    void map(strata::Registry& r) override { map_devices(r); }

};

TEST_P(UuidJson, ValuesRoundTripInTheBackendsOwnTypes) {
    // A JSON document that is a bare number past int64: kept as written (a
    // column of NUMERIC affinity on SQLite would turn it into a REAL).
    const std::string big = "12345678901234567890";
    {
        auto s = session();
        s.add(Device{.device = device_id(1), .settings = {R"({"theme": "dark", "size": 3})"}});
        s.add(Device{.device = device_id(2), .parent = device_id(1), .settings = {big}, .notes = R"(["a", "b"])"});
        s.commit();
    }
    auto s = session();
    auto second = s.query<Device>().where(strata::col(&Device::device) == device_id(2)).one();
    EXPECT_EQ(second->id, 2);
    EXPECT_EQ(second->parent, device_id(1));
    EXPECT_EQ(second->settings, Settings{big});
    EXPECT_EQ(s.query<Device>().where(strata::col(&Device::parent) == device_id(1)).count(), 1);
    auto first = s.get<Device>(1);
    EXPECT_FALSE(first->parent.has_value());
    EXPECT_FALSE(first->notes.has_value());
    EXPECT_EQ(first->device, device_id(1));
    // jsonb keeps the document's meaning, not its spelling: keys sorted by length, one space after ':' and ','.
    EXPECT_EQ(first->settings.json, is_sqlite() ? R"({"theme": "dark", "size": 3})" : R"({"size": 3, "theme": "dark"})");

    // What the database holds, seen without the ORM.
    if (is_sqlite()) {
        auto rows = s.execute<std::tuple<std::string, std::int64_t, std::string, std::string>>(
            "SELECT typeof(device), length(device), typeof(settings), settings FROM device WHERE id = 2");
        EXPECT_EQ(rows.at(0), std::make_tuple(std::string("blob"), std::int64_t{16}, std::string("text"), big));
    } else {
        auto rows = s.execute<std::tuple<std::string, std::string, std::string, std::string>>(
            "SELECT pg_typeof(device)::text, device::text, pg_typeof(settings)::text, settings->>'theme' "
            "FROM device WHERE id = 1");
        EXPECT_EQ(rows.at(0), std::make_tuple(std::string("uuid"), std::string("10111213-1415-1617-1819-1a1b1c1d1e1f"),
                                              std::string("jsonb"), std::string("dark")));
    }
}

TEST_P(UuidJson, ChangesAreWrittenAndBulkInsertsKeepEveryValue) {
    {
        auto s = session();
        bool copied = false;
        s.on_statement([&](const std::string& sql) { copied = copied || sql.starts_with("COPY "); });
        // 1000 new rows of a table: PostgreSQL's flush writes them with COPY.
        for (int i = 0; i < 1000; ++i) {
            DeviceId id = device_id(3);
            id.bytes[14] = static_cast<std::uint8_t>(i / 256);
            id.bytes[15] = static_cast<std::uint8_t>(i % 256);
            s.add(Device{.device = id, .parent = device_id(3), .settings = {"{\"n\": " + std::to_string(i) + "}"}});
        }
        s.commit();
        EXPECT_EQ(copied, !is_sqlite()) << "PostgreSQL's flush of 1000 new rows is a COPY";
    }
    auto s = session();
    EXPECT_EQ(s.query<Device>().where(strata::col(&Device::parent) == device_id(3)).count(), 1000);
    DeviceId last = device_id(3);
    last.bytes[14] = 999 / 256;
    last.bytes[15] = 999 % 256;
    auto d = s.query<Device>().where(strata::col(&Device::device) == last).one();
    EXPECT_EQ(d->settings, Settings{"{\"n\": 999}"});
    d->settings = Settings{"{\"n\": -1}"};
    d->parent.reset();
    s.commit();
    auto again = session();
    auto reread = again.get<Device>(d->id);
    EXPECT_EQ(reread->settings, Settings{"{\"n\": -1}"});
    EXPECT_FALSE(reread->parent.has_value());
}

// A Blob that is not 16 bytes cannot be a PostgreSQL uuid: refused naming the
// parameter, before the server sees it.
TEST_P(UuidJson, UuidOfAnotherSizeIsRefusedOnPostgres) {
    auto s = session();
    const std::vector<strata::Value> params{strata::Value(strata::Blob(std::vector<std::uint8_t>{1, 2, 3}))};
    if (is_sqlite()) {
        EXPECT_EQ(s.execute("INSERT INTO device (device, settings) VALUES (?, '{}')", params[0].as<strata::Blob>()), 1)
            << "SQLite keeps the bytes it is given";
        return;
    }
    auto e = strata::testing::expect_throw<strata::ProgrammingError>(
        [&] { s.execute("INSERT INTO device (device, settings) VALUES (?, '{}')", params[0].as<strata::Blob>()); });
    EXPECT_NE(std::string(e.what()).find("parameter 1: a uuid is 16 bytes, not 3"), std::string::npos) << e.what();
}

// Autogenerate writes Uuid and Json, upgrade creates uuid / jsonb (UUID and
// JSON TEXT on SQLite), and inspect reads them back as the same types.
class UuidJsonMigrations : public strata::testing::MigrateTest {};

TEST_P(UuidJsonMigrations, AutogenerateFindsNoDifferenceAfterUpgrade) {
    strata::Registry registry;
    map_devices(registry);
    models = registry.metadata();
    auto r = run_db({"migrate", "-m", "devices"});
    ASSERT_EQ(r.code, 0) << r.err;
    strata::migrate::ScriptDirectory scripts(repo());
    const std::string revision = strata::migrate::format_revision(scripts.get(scripts.heads()[0]));
    for (const char* type : {"{name: device, type: Uuid, nullable: false}", "{name: settings, type: Json, nullable: false}",
                             "{name: notes, type: Json, nullable: true}"})
        EXPECT_NE(revision.find(type), std::string::npos) << type << " in\n" << revision;
    ASSERT_EQ(run_db({"upgrade"}).code, 0);

    auto check = run_db({"check"});
    EXPECT_EQ(check.code, 0) << check.out << check.err;
    EXPECT_EQ(check.out, "No changes detected\n");
    const strata::MetaData live = strata::inspect(conn());
    const strata::Table* device = live.find("device");
    ASSERT_NE(device, nullptr);
    EXPECT_EQ(device->find_column("device")->type, strata::UuidType());
    EXPECT_EQ(device->find_column("settings")->type, strata::JsonType());
    auto declared = conn().prepare(is_sqlite() ? "SELECT type FROM pragma_table_info('device') WHERE name = 'settings'"
                                               : "SELECT data_type FROM information_schema.columns "
                                                 "WHERE table_name = 'device' AND column_name = 'settings'");
    ASSERT_TRUE(declared->step());
    EXPECT_EQ(declared->get_text(0), is_sqlite() ? "JSON TEXT" : "jsonb");

    EXPECT_EQ(strata::parse_type("Uuid"), strata::UuidType());
    EXPECT_EQ(strata::parse_type("Json"), strata::JsonType());
    EXPECT_EQ(strata::UuidType().to_string(), "Uuid");
    EXPECT_EQ(strata::JsonType().to_string(), "Json");
}

// A column changed from text to Uuid / Json by a revision written by hand:
// PostgreSQL converts the rows (USING col::UUID), SQLite rebuilds the table.
TEST_P(UuidJsonMigrations, AlterColumnFromTextKeepsTheValues) {
    write_rev("a1", "null",
              "  - create_table:\n"
              "      table: thing\n"
              "      columns:\n"
              "        - {name: id, type: Integer, primary_key: true}\n"
              "        - {name: doc, type: Text, nullable: true}\n",
              "  - drop_table: {table: thing}\n");
    write_rev("b2", "a1", "  - alter_column: {table: thing, column: doc, type: Json}\n",
              "  - alter_column: {table: thing, column: doc, type: Text}\n");
    upgrade("a1");
    conn().execute("INSERT INTO thing (id, doc) VALUES (1, '{\"a\": [1, 2]}')");
    upgrade();
    EXPECT_EQ(strata::inspect(conn()).find("thing")->find_column("doc")->type, strata::JsonType());
    auto st = conn().prepare("SELECT doc FROM thing");
    ASSERT_TRUE(st->step());
    EXPECT_EQ(st->get_text(0), "{\"a\": [1, 2]}");
}

STRATA_INSTANTIATE_BACKENDS(UuidJson);
STRATA_INSTANTIATE_BACKENDS(UuidJsonMigrations);

}  // namespace
}  // namespace uuid_json_test
