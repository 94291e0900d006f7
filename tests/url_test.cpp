#include <gtest/gtest.h>

#include "support.hpp"

using namespace strata;
using strata::testing::expect_throw;

TEST(Url, SqliteForms) {
    EXPECT_TRUE(parse_url("sqlite://").is_sqlite_memory());
    EXPECT_TRUE(parse_url("sqlite:///:memory:").is_sqlite_memory());
    auto rel = parse_url("sqlite:///relative/path.db");
    EXPECT_EQ(rel.backend, "sqlite");
    EXPECT_EQ(rel.database, "relative/path.db");
    auto abs = parse_url("sqlite:////absolute/path.db");
    EXPECT_EQ(abs.database, "/absolute/path.db");
    EXPECT_FALSE(abs.is_sqlite_memory());
}

TEST(Url, PostgresqlFull) {
    auto u = parse_url("postgresql://scott:ti%40ger@db.example.com:5433/app?sslmode=require&application_name=mb");
    EXPECT_EQ(u.backend, "postgresql");
    EXPECT_EQ(u.username, "scott");
    EXPECT_EQ(u.password, "ti@ger");
    EXPECT_EQ(u.host, "db.example.com");
    EXPECT_EQ(u.port, 5433);
    EXPECT_EQ(u.database, "app");
    EXPECT_EQ(u.query.at("sslmode"), "require");
    EXPECT_EQ(u.query.at("application_name"), "mb");
    EXPECT_EQ(u.masked(), "postgresql://scott:***@db.example.com:5433/app?application_name=mb&sslmode=require");
}

TEST(Url, PostgresqlUnixSocketAndIpv6) {
    auto u = parse_url("postgresql:///app?host=/run/postgresql");
    EXPECT_EQ(u.host, "");
    EXPECT_EQ(u.database, "app");
    EXPECT_EQ(u.query.at("host"), "/run/postgresql");
    auto v6 = parse_url("postgresql://u@[::1]:5432/db");
    EXPECT_EQ(v6.host, "::1");
    EXPECT_EQ(v6.port, 5432);
}

TEST(Url, ErrorsNameTheUrlWithPasswordMasked) {
    auto e = expect_throw<ConfigError>([] { parse_url("postgresql://bob:secret@host:99999/db"); });
    std::string msg = e.what();
    EXPECT_NE(msg.find("postgresql://bob:***@host:99999/db"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("secret"), std::string::npos) << msg;
    EXPECT_NE(msg.find("port '99999'"), std::string::npos) << msg;

    auto e2 = expect_throw<ConfigError>([] { parse_url("mysql://u:pw@h/db"); });
    EXPECT_NE(std::string(e2.what()).find("unknown backend 'mysql'"), std::string::npos) << e2.what();
    EXPECT_EQ(std::string(e2.what()).find("pw@"), std::string::npos) << e2.what();

    auto e3 = expect_throw<ConfigError>([] { parse_url("app.db"); });
    EXPECT_NE(std::string(e3.what()).find("'app.db'"), std::string::npos);
    EXPECT_NE(std::string(e3.what()).find("missing '://'"), std::string::npos);

    auto e4 = expect_throw<ConfigError>([] { parse_url("sqlite://host/app.db"); });
    EXPECT_NE(std::string(e4.what()).find("has no host"), std::string::npos) << e4.what();

    auto e5 = expect_throw<ConfigError>([] { parse_url("postgresql://u:pw@h/db?sslmode"); });
    EXPECT_NE(std::string(e5.what()).find("'sslmode' is not key=value"), std::string::npos) << e5.what();

    expect_throw<ConfigError>([] { parse_url(""); });
    expect_throw<ConfigError>([] { Database::open("nope://x"); });
}
