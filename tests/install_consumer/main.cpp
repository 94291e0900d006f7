#include <strata/strata.hpp>

#include <iostream>

int main() {
    auto db = strata::Database::open("sqlite://");
    auto conn = db.connect();
    strata::MetaData md;
    md.table("t").column("id", strata::Integer(), strata::primary_key());
    md.create_all(*conn);
    std::cout << strata::table_names(*conn).at(0) << "\n";
}
