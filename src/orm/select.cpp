// Typed SELECTs of columns and expressions (strata/select.hpp): running them
// through a session, and the mapped classes their statements name.
#include "orm/orm_internal.hpp"
#include "strata/select.hpp"

namespace strata::detail {

namespace {

// Mapped classes and relationships as the sql layer needs them.
class RegistryModels final : public sql::ModelResolver {
public:
    explicit RegistryModels(const RegistryImpl& registry) : registry_(registry) {}
    std::string table(const std::type_info& model) const override { return registry_.mapper_for(model).table; }
    std::vector<sql::Join> relationship_joins(const MemberKey& relationship, bool left_outer) const override {
        const RelationshipMapping& rel = registry_.relationship(relationship);
        sql::Select steps;
        join_relationship(steps, rel, rel.target->table, left_outer);
        return std::move(steps.joins);
    }

private:
    const RegistryImpl& registry_;
};

}  // namespace

StatementHandle run_select(const std::shared_ptr<Store>& store, const sql::Select& statement) {
    if (!store)
        throw Error("strata: a statement made by strata::select() is a subquery; run a select made by Session::select()");
    SessionImpl& s = session_of(store.get());
    s.autoflush_now();
    const RegistryModels models(s.registry);
    const sql::Compiled c = statement.compile(s.dialect(), s.resolver(), &models);
    auto st = s.prepare_read(c.sql);
    st->bind_all(c.params);
    s.note(c.sql);
    return st;
}

void throw_null_column(const Statement& st, int col, const char* cpp_type) {
    throw Error("strata: column " + std::to_string(col + 1) + " (" + st.column_name(col) +
                ") of the result is NULL, but it is selected as " + cpp_type +
                "; select it as std::optional (a nullable column, an outerjoin() side, strata::nullable(...)): " +
                st.sql());
}

void throw_one_rows(std::size_t n) {
    if (n == 0) throw NoResultFound("strata: one() found no row (exactly one expected)");
    throw MultipleResultsFound("strata: one() found several rows (exactly one expected)");
}

}  // namespace strata::detail
