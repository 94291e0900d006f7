// The program every consumer build of tests/install_test.sh compiles: find_package, pkg-config,
// FetchContent and add_subdirectory, against libstrata.a and libstrata.so. It crosses the library
// boundary the ways an application does (a mapped model with relationships, a session, an exception
// thrown in the library and caught here by type) and prints "t 1" when all went as expected.
#include <strata/strata.hpp>

#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

struct Book;

struct Author {
    std::int64_t id = 0;
    std::string name{};
    strata::HasMany<Book> books{};
};

struct Book {
    std::int64_t id = 0;
    std::optional<std::int64_t> author_id{};
    strata::BelongsTo<Author> author{};
};

int main() {
#ifdef STRATA_FOUND_VERSION  // the version the build system found (strataConfigVersion.cmake, strata.pc)
    if (std::string_view(STRATA_FOUND_VERSION) != STRATA_VERSION_STRING) {
        std::cerr << "found strata " << STRATA_FOUND_VERSION << " but its headers say " << STRATA_VERSION_STRING << "\n";
        return 1;
    }
#endif
    strata::Registry registry;
    registry.model<Author>("author")
        .column(&Author::id, "id", strata::primary_key())
        .column(&Author::name, "name", strata::String(64))
        .has_many(&Author::books, &Book::author);
    registry.model<Book>("book")
        .column(&Book::id, "id", strata::primary_key())
        .column(&Book::author_id, "author_id", strata::foreign_key("author.id"));

    auto db = strata::Database::open("sqlite://");
    registry.metadata().create_all(db);
    strata::Session s(db, registry);
    auto author = s.add(Author{.name = "t"});
    author->books.push_back(Book{});
    s.commit();
    try {
        s.execute("SELECT * FROM missing");
    } catch (const strata::OperationalError&) {  // thrown in the library, caught here by type
        std::cout << s.query<Author>().one()->name << " " << author->books.size() << "\n";
        return 0;
    }
    return 1;
}
