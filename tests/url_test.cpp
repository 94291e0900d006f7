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

// A URL that does not parse still never shows its password, whatever is wrong
// with it and wherever the password's odd characters put the parser.
TEST(Url, PasswordIsMaskedInEveryErrorForm) {
    for (const char* text : {"postgresql:bob:s3cr3tpw@host/db",            // no '://'
                             "bob:s3cr3tpw@host/db",                        // no scheme at all
                             "mysql://bob:s3cr3tpw@host/db",                // unknown backend
                             "postgresql://bob:s3cr3tpw@host:99x/db",       // bad port
                             "postgresql://bob:s3cr?tpw@host/db",           // '?' in the password
                             "postgresql://bob:s3cr3tpw@host/db?sslmode",   // bad query
                             "postgresql://bob:s3cr3tpw@host/d%00b",        // NUL in the name
                             "postgresql://:s3cr3tpw@host/db"}) {           // empty user name
        std::string what = expect_throw<ConfigError>([&] { parse_url(text); }).what();
        EXPECT_EQ(what.find("s3cr"), std::string::npos) << what;
        EXPECT_EQ(what.find("tpw"), std::string::npos) << what;
        EXPECT_NE(what.find("***"), std::string::npos) << what;
    }
    std::string what = expect_throw<ConfigError>([] { parse_url("postgresql://bob:s3cr?tpw@host/db"); }).what();
    EXPECT_EQ(what, "invalid database URL 'postgresql://bob:***@host/db': query parameter '***' is not key=value");
}

TEST(Url, PasswordMayHoldASlashOrAnAt) {
    auto u = parse_url("postgresql://bob:ab/cd@host:5433/db");
    EXPECT_EQ(u.password, "ab/cd");
    EXPECT_EQ(u.host, "host");
    EXPECT_EQ(u.database, "db");
    auto w = parse_url("postgresql://bob:p@ss/x@host/db");
    EXPECT_EQ(w.password, "p@ss/x");
    EXPECT_EQ(w.host, "host");
    EXPECT_EQ(w.masked(), "postgresql://bob:***@host/db");
    auto v = parse_url("postgresql://host:5433/db?application_name=a@b");
    EXPECT_EQ(v.host, "host");
    EXPECT_EQ(v.query.at("application_name"), "a@b");
}

TEST(Url, UnknownSqliteParametersAreErrors) {
    std::string what = expect_throw<ConfigError>([] { parse_url("sqlite:///app.db?mdoe=ro"); }).what();
    EXPECT_EQ(what, "invalid database URL 'sqlite:///app.db?mdoe=ro': unknown SQLite URL parameter 'mdoe' "
                    "(known: journal_mode, mode)");
    what = expect_throw<ConfigError>([] { parse_url("sqlite:///app.db?mode=readonly"); }).what();
    EXPECT_EQ(what, "invalid database URL 'sqlite:///app.db?mode=readonly': SQLite URL parameter mode=readonly "
                    "(expected mode=ro, rw or rwc)");
    EXPECT_EQ(parse_url("sqlite:///app.db?mode=ro&journal_mode=wal").query.size(), 2u);
}

TEST(Url, NulInAPathIsRefused) {
    std::string what = expect_throw<ConfigError>([] { parse_url("sqlite:///app.db%00.txt"); }).what();
    EXPECT_EQ(what, "invalid database URL 'sqlite:///app.db%00.txt': the database path holds a NUL byte (%00)");
}

// ?mode=rw opens an existing file only; it never creates one.
TEST(Url, SqliteModeRwDoesNotCreateTheFile) {
    strata::testing::TempDir dir;
    auto path = dir.path() / "absent.db";
    expect_throw<OperationalError>([&] { connect("sqlite:///" + path.string() + "?mode=rw"); });
    EXPECT_FALSE(std::filesystem::exists(path));
}
