// A test fixture on each backend with a registry of the test's own models and
// a database that has their tables (made by create_all before each test).
#pragma once

#include <optional>

#include "strata/strata.hpp"
#include "support.hpp"

namespace strata::testing {

class ModelTest : public BackendTest {
protected:
    // Maps the test's models into `r`.
    virtual void map(Registry& r) = 0;

    void SetUp() override {
        BackendTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        map(registry);
        db.emplace(open_db());
        registry.metadata().create_all(*db->connect());
    }
    void TearDown() override {
        db.reset();  // its pooled connections go before the test database does
        BackendTest::TearDown();
    }
    Session session() { return Session(*db, registry); }

    Registry registry{};
    std::optional<Database> db{};
};

}  // namespace strata::testing
