// The strata side of the Alembic oracle (run_alembic_oracle.py): runs
// `db check` and `db migrate` against a database made by hand, with the models
// of oracle_alembic.py (the same tables, written here with strata), and prints
// each difference the generated revision holds as one normalised line:
//
//   add_table T | remove_table T
//   add_column T.c | remove_column T.c
//   modify_type T.c | modify_nullable T.c | modify_default T.c | modify_comment T.c
//   add_index T(a,b) [unique] | remove_index T(a,b)
//   add_unique T(a,b) | remove_unique T(a,b)
//   add_fk T(a)->R(b) | remove_fk T(a)->R(b)
//   add_check T | remove_check T | modify_table_comment T
//
// oracle_alembic.py prints Alembic's compare_metadata() the same way. Lines
// starting with '!' are strata's own: `!check=N` (db check's exit status),
// `!warning ...` (what db migrate printed on stderr), `!error ...` (the
// command failed). The revision's ops are read back from the file db migrate
// wrote, so this is exactly what a user gets.
//
//   oracle_schema URL REPOSITORY_DIR   (made on the first call, shared by later ones)
#include <algorithm>
#include <filesystem>
#include <functional>
#include <optional>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "migrate/operations.hpp"
#include "migrate/revision_file.hpp"
#include "strata/strata.hpp"

namespace fs = std::filesystem;
using namespace strata;
using namespace strata::migrate;

namespace {

// The models: oracle_alembic.py's MetaData, table for table.
MetaData models() {
    MetaData md;
    auto& user = md.table("user");
    user.column("id", Integer(), primary_key());
    user.column("name", String(64), not_null());
    user.unique_constraint("", {"name"});
    user.column("email", String(120), index(), unique());
    user.column("score", Integer(), not_null(), server_default("0"));
    user.column("active", Boolean(), not_null());
    user.column("bio", Text());
    user.column("created_at", DateTimeType(), server_default("CURRENT_TIMESTAMP"));
    user.column("status", Enum({"active", "banned"}, "user_status"), not_null());
    auto& post = md.table("post");
    post.column("id", Integer(), primary_key());
    post.column("title", String(100), not_null(), index());
    post.column("body", Text());
    post.column("rating", Numeric(10, 2));
    post.column("user_id", Integer(), not_null(), foreign_key("user.id"));
    post.column("published", DateType());
    auto& tag = md.table("tag");
    tag.column("id", Integer(), primary_key());
    tag.column("label", String(40), not_null());
    tag.column("post_id", Integer(), foreign_key("post.id", "CASCADE"));
    tag.index("", {"post_id", "label"}, true);
    return md;
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
    return out;
}

// An index to drop is printed without `unique`, as Alembic's side has to.
std::string index_key(const std::string& table, const Index& index, bool with_unique = true) {
    return table + "(" + joined(index.columns) + ")" + (index.unique && with_unique ? " unique" : "");
}
std::string fk_key(const std::string& table, const ForeignKey& fk) {
    return table + "(" + joined(fk.columns) + ")->" + fk.ref_table + "(" + joined(fk.ref_columns) + ")";
}

// The lines for one op; `database` gives the schema the op applies to (a
// name to drop is looked up there), read only when an op needs it.
struct Lines {
    const std::function<const MetaData&()>& database;
    std::vector<std::string>& out;

    const Table& table(const std::string& name) const {
        const Table* t = database().find(name);
        if (!t) throw std::runtime_error("the revision names table " + name + ", which the database does not have");
        return *t;
    }
    void operator()(const CreateTable& o) const { out.push_back("add_table " + o.table.name()); }
    void operator()(const DropTable& o) const { out.push_back("remove_table " + o.table); }
    void operator()(const RenameTable& o) const { out.push_back("rename_table " + o.table); }
    void operator()(const AddColumn& o) const { out.push_back("add_column " + o.table + "." + o.column.name); }
    void operator()(const DropColumn& o) const { out.push_back("remove_column " + o.table + "." + o.column); }
    void operator()(const AlterColumn& o) const {
        const std::string c = o.table + "." + o.column;
        if (o.type) out.push_back("modify_type " + c);
        if (o.nullable) out.push_back("modify_nullable " + c);
        if (o.server_default) out.push_back("modify_default " + c);
        if (o.comment) out.push_back("modify_comment " + c);
        if (o.new_name) out.push_back("rename_column " + c);
    }
    void operator()(const AlterTable& o) const {
        if (o.comment) out.push_back("modify_table_comment " + o.table);
    }
    void operator()(const CreateIndex& o) const { out.push_back("add_index " + index_key(o.table, o.index)); }
    // Autogenerate never writes it (a step of the safe way to add a constraint, written by hand).
    void operator()(const ValidateConstraint& o) const { out.push_back("validate_constraint " + o.table); }
    void operator()(const DropIndex& o) const {
        for (const auto& i : table(o.table).indexes)
            if (i.name == o.name) return out.push_back("remove_index " + index_key(o.table, i, false));
        throw std::runtime_error("drop_index names " + o.name + ", which " + o.table + " does not have");
    }
    void operator()(const CreateUniqueConstraint& o) const {
        out.push_back("add_unique " + o.table + "(" + joined(o.constraint.columns) + ")");
    }
    void operator()(const CreateCheckConstraint& o) const { out.push_back("add_check " + o.table); }
    void operator()(const CreateForeignKey& o) const { out.push_back("add_fk " + fk_key(o.table, o.constraint)); }
    void operator()(const DropConstraint& o) const {
        if (o.name.empty()) return std::visit(*this, o.unnamed);
        const Table& t = table(o.table);
        for (const auto& u : t.unique_constraints)
            if (u.name == o.name) return (*this)(u);
        for (const auto& fk : t.foreign_keys)
            if (fk.name == o.name) return (*this)(fk);
        for (const auto& ck : t.checks)
            if (ck.name == o.name) return (*this)(ck);
        out.push_back("remove_constraint " + o.table + "." + o.name);
    }
    // The constraint a drop_constraint removes (named after its table in `context`).
    void operator()(std::monostate) const { out.push_back("remove_constraint ?"); }
    void operator()(const UniqueConstraint& u) const { out.push_back("remove_unique " + context + "(" + joined(u.columns) + ")"); }
    void operator()(const ForeignKey& fk) const { out.push_back("remove_fk " + fk_key(context, fk)); }
    void operator()(const CheckConstraint&) const { out.push_back("remove_check " + context); }
    void operator()(const Execute&) const { out.push_back("execute"); }
    void operator()(const Backfill& o) const { out.push_back("backfill " + o.table); }   // never autogenerated

    std::string context;
};

std::vector<std::string> lines_of(const std::vector<Step>& steps, const std::function<const MetaData&()>& database) {
    std::vector<std::string> out;
    for (const auto& step : steps) {
        Lines lines{database, out, {}};
        if (const auto* drop = std::get_if<DropConstraint>(&step.op)) lines.context = drop->table;
        std::visit(lines, step.op);
    }
    return out;
}

struct Result {
    int status;
    std::string out;
    std::string err;
};

Result db(const DbContext& ctx, const std::vector<std::string>& args) {
    std::ostringstream out, err;
    std::istringstream in;
    int status = db_run(ctx, args, DbStreams{out, err, in, false});
    return {status, out.str(), err.str()};
}

void print_lines(const std::string& prefix, const std::string& text) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);)
        if (!line.empty()) std::cout << prefix << line << "\n";
}

// `repo` is shared by the run's databases: made once (an empty first
// revision), each database stamped there (the state `db migrate` compares
// from on a database made elsewhere), and the revision db migrate writes is
// removed once read.
int run(const std::string& url, const fs::path& repo) {
    const DbContext ctx{url, repo, models, "oracle"};
    std::vector<std::vector<std::string>> setup{{"stamp", "head"}};
    if (!fs::exists(repo)) setup.insert(setup.begin(), {{"init"}, {"revision", "-m", "base"}});
    for (const auto& args : setup) {
        Result r = db(ctx, args);
        if (r.status != 0) {
            std::cerr << "db " << args[0] << " failed:\n" << r.out << r.err;
            return 2;
        }
    }
    std::set<fs::path> before(fs::directory_iterator(repo / "versions"), fs::directory_iterator());

    Result check = db(ctx, {"check"});
    std::cout << "!check=" << check.status << "\n";
    Result migrate = db(ctx, {"migrate", "-m", "drift"});
    print_lines("!warning ", migrate.err);
    if (migrate.status != 0) {
        print_lines("!error ", migrate.out);
        return 0;
    }
    std::optional<MetaData> inspected;
    const std::function<const MetaData&()> database = [&]() -> const MetaData& {
        if (!inspected) {
            Database db = Database::open(url);
            auto conn = db.connect();
            inspected = inspect(*conn, InspectOptions{{"strata_version"}});
        }
        return *inspected;
    };
    for (const auto& entry : fs::directory_iterator(repo / "versions")) {
        if (before.count(entry.path())) continue;
        for (const auto& line : lines_of(read_revision_file(entry.path()).upgrade, database)) std::cout << line << "\n";
        fs::remove(entry.path());
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: oracle_schema URL REPOSITORY_DIR\n";
        return 2;
    }
    try {
        return run(argv[1], argv[2]);
    } catch (const std::exception& e) {
        std::cout << "!error " << e.what() << "\n";
        return 0;
    }
}
