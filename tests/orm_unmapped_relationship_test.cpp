// A HasMany / BelongsTo member the registry never maps is a ConfigError at
// first use, naming the model and the member's type: unmapped, it would take
// objects and store nothing (issue 15).
#include <cstdint>
#include <optional>
#include <string>

#include "support.hpp"

namespace unmapped_test {

struct Task;
struct Tag;

struct Project {
    std::int64_t id = 0;
    std::string name{};
    strata::HasMany<Task> tasks{};
    strata::HasMany<Tag> tags{};  // many-to-many through project_tag
};

struct Task {
    std::int64_t id = 0;
    std::string title{};
    std::optional<std::int64_t> project_id{};
    strata::BelongsTo<Project> project{};
};

struct Tag {
    std::int64_t id = 0;
    std::string label{};
    strata::HasMany<Project> projects{};  // the backref of Project::tags
};

namespace {

using strata::testing::expect_throw;

void map_tables(strata::Registry& r) {
    r.table("project_tag")
        .column("project_id", strata::Integer(), strata::foreign_key("project.id"), strata::not_null())
        .column("tag_id", strata::Integer(), strata::foreign_key("tag.id"), strata::not_null());
}

// Each model with its columns; the tests add the relationships.
strata::ModelBuilder<Project> project_model(strata::Registry& r) {
    return std::move(r.model<Project>("project")
                         .column(&Project::id, "id", strata::primary_key())
                         .column(&Project::name, "name", strata::String(64)));
}
strata::ModelBuilder<Task> task_model(strata::Registry& r) {
    return std::move(r.model<Task>("task")
                         .column(&Task::id, "id", strata::primary_key())
                         .column(&Task::title, "title", strata::String(64))
                         .column(&Task::project_id, "project_id", strata::foreign_key("project.id")));
}
void map_tag(strata::Registry& r) {
    r.model<Tag>("tag").column(&Tag::id, "id", strata::primary_key()).column(&Tag::label, "label", strata::String(64));
}

// Everything mapped: what the forgetful registries below leave out.
void map_all(strata::Registry& r) {
    map_tables(r);
    project_model(r)
        .has_many(&Project::tasks, &Task::project)
        .many_to_many(&Project::tags, "project_tag", "project_id", "tag_id", &Tag::projects);
    task_model(r);
    map_tag(r);
}

class UnmappedRelationship : public strata::testing::BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        db.emplace(open_db());
        map_all(complete);
        complete.metadata().create_all(*db->connect());
    }
    void TearDown() override {
        db.reset();
        BackendTest::TearDown();
    }
    std::int64_t count_rows(const std::string& table) {
        auto conn = db->connect();
        auto st = conn->prepare("SELECT count(*) FROM " + conn->dialect().quote(table));
        st->step();
        return st->get_int64(0);
    }
    // Using `forgetful` is a ConfigError with this message, and writes nothing.
    void expect_refused(strata::Registry& forgetful, const std::string& message) {
        auto e = expect_throw<strata::ConfigError>([&] { strata::Session s(*db, forgetful); });
        EXPECT_EQ(e.what(), message);
        auto again = expect_throw<strata::ConfigError>([&] { (void)forgetful.metadata(); });
        EXPECT_EQ(again.what(), message) << "the registry stays refused";
        EXPECT_EQ(count_rows("project"), 0);
        EXPECT_EQ(count_rows("task"), 0);
    }

    strata::Registry complete{};
    std::optional<strata::Database> db{};
};

TEST_P(UnmappedRelationship, TheCompleteMappingStoresTheObjects) {
    strata::Session s(*db, complete);
    auto p = s.add(Project{.name = "home"});
    p->tasks.push_back(Task{.title = "dishes"});
    auto t = s.add(Tag{.label = "chores"});
    p->tags.push_back(t);
    s.commit();
    EXPECT_EQ(count_rows("task"), 1);
    EXPECT_EQ(count_rows("project_tag"), 1);
    strata::Session s2(*db, complete);
    EXPECT_EQ(s2.get<Tag>(t->id)->projects.size(), 1u);
}

TEST_P(UnmappedRelationship, AHasManyNeverMapped) {
    strata::Registry r;
    map_tables(r);
    project_model(r).many_to_many(&Project::tags, "project_tag", "project_id", "tag_id", &Tag::projects);
    task_model(r).belongs_to(&Task::project, &Task::project_id);
    map_tag(r);
    expect_refused(r, "strata: Project has a strata::HasMany<unmapped_test::Task> member that "
                      "is not mapped (its 1st relationship member, at byte offset " +
                          std::to_string(strata::member_key(&Project::tasks).offset) +
                          "): declare it with has_many(&Project::member, &Other::backref) or many_to_many(...), or "
                          "name it as the backref of the other side's many_to_many()");
}

TEST_P(UnmappedRelationship, AManyToManyBackrefForgotten) {
    strata::Registry r;
    map_tables(r);
    project_model(r)
        .has_many(&Project::tasks, &Task::project)
        .many_to_many(&Project::tags, "project_tag", "project_id", "tag_id");  // no &Tag::projects
    task_model(r);
    map_tag(r);
    expect_refused(r, "strata: Tag has a strata::HasMany<unmapped_test::Project> member that "
                      "is not mapped (its 1st relationship member, at byte offset " +
                          std::to_string(strata::member_key(&Tag::projects).offset) +
                          "): declare it with has_many(&Tag::member, &Other::backref) or many_to_many(...), or name "
                          "it as the backref of the other side's many_to_many()");
}

TEST_P(UnmappedRelationship, AHasManyForgottenLeavesItsBackrefUnmapped) {
    strata::Registry r;
    map_tables(r);
    task_model(r);
    project_model(r).many_to_many(&Project::tags, "project_tag", "project_id", "tag_id", &Tag::projects);
    map_tag(r);
    // Task comes first in the registry: its reference is the one named.
    expect_refused(r, "strata: Task has a strata::BelongsTo<unmapped_test::Project> member "
                      "that is not mapped (its 1st relationship member, at byte offset " +
                          std::to_string(strata::member_key(&Task::project).offset) +
                          "): declare it with belongs_to(&Task::member, &Task::key_member), or name it as the backref "
                          "of the other side's has_many()");
}

STRATA_INSTANTIATE_BACKENDS(UnmappedRelationship);

}  // namespace
}  // namespace unmapped_test
