// docs/getting-started.md's program: built by tests/CMakeLists.txt (the block must stay identical).
#include <strata/strata.hpp>

int main() {
    auto db = strata::Database::open("sqlite:///app.db");
    strata::MetaData md;
    md.table("user")
        .column("id", strata::Integer(), strata::primary_key())
        .column("nickname", strata::String(64), strata::index(), strata::unique());
    auto conn = db.connect();
    md.create_all(*conn);                       // idempotent: existing tables are kept

    auto insert = conn->prepare("INSERT INTO \"user\" (nickname) VALUES (?)");
    insert->bind(1, "john");
    insert->execute();
}
