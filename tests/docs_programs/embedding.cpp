// docs/migrations.md, "Embedding the command line": built by tests/CMakeLists.txt and run by
// tests/docs_test.cpp (the block must stay identical to this file).
#include <strata/strata.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>

struct User {
    std::int64_t id = 0;
    std::string nickname{};
};

void map_models(strata::Registry& r) {
    r.model<User>("user")
        .column(&User::id, "id", strata::primary_key())
        .column(&User::nickname, "nickname", strata::String(64), strata::unique());
}

int main(int argc, char** argv) {
    // The tutorial's config.py: DATABASE_URL, else app.db next to the program's data.
    const std::filesystem::path basedir = std::filesystem::current_path();
    const char* env_url = std::getenv("DATABASE_URL");
    const std::string database_url = env_url ? env_url : "sqlite:///" + (basedir / "app.db").string();
    strata::Registry registry;
    map_models(registry);

    if (argc > 1 && std::string_view(argv[1]) == "db") {
        strata::DbContext ctx{
            .database_url = database_url,
            .migrations_dir = basedir / "migrations",
            .target_metadata = [&registry] { return registry.metadata(); },   // the models
            .program_name = "myapp",
        };
        return strata::db_main(ctx, argc - 1, argv + 1);                     // argv[0] is "db"
    }

    // The application itself. No create_all: the schema is the migrations'.
    auto db = strata::Database::open(database_url);
    strata::Session s(db, registry);
    s.add(User{.nickname = argc > 1 ? argv[1] : "john"});
    s.commit();
    std::cout << s.query<User>().count() << " users\n";
    return 0;
}
