// The tutorial's shell session ("Play time" in the database chapter), in C++.
#include "tutorial.hpp"

#include <strata/strata.hpp>

#include "models.hpp"

namespace microblog {

int run_tutorial(const Config& config, std::ostream& out) {
    strata::Registry registry;
    map_models(registry);
    auto db = strata::Database::open(config.database_url);
    strata::Session s(db, registry);
    auto step = [&](const char* code) { out << ">>> " << code << "\n"; };

    step("s.add(User{.nickname = \"john\", .email = \"john@email.com\"}); s.commit();");
    s.add(User{.nickname = "john", .email = "john@email.com"});
    s.commit();
    step("s.add(User{.nickname = \"susan\", .email = \"susan@email.com\"}); s.commit();");
    s.add(User{.nickname = "susan", .email = "susan@email.com"});
    s.commit();

    step("auto users = s.query<User>().all();  // users");
    auto users = s.query<User>().order_by(&User::id).all();
    out << users << "\n";
    step("for (auto& u : users) std::cout << u->id << \" \" << u->nickname;");
    for (auto& u : users) out << u->id << " " << u->nickname << "\n";

    step("auto u = s.get<User>(1);  // u");
    auto u = s.get<User>(users.front()->id);
    out << u << "\n";

    step("auto p = s.add(Post{.body = \"my first post!\", .timestamp = strata::now()}); p->author = u; s.commit();");
    auto p = s.add(Post{.body = "my first post!", .timestamp = strata::now()});
    p->author = u;
    s.commit();
    out << p << " at " << strata::format_datetime(p->timestamp) << " UTC\n";

    step("u->posts  // john's posts");
    out << s.get<User>(u->id)->posts << "\n";
    step("s.get<User>(2)->posts  // susan's posts");
    out << users.back()->posts << "\n";

    step("for (auto& p : s.query<Post>().all()) std::cout << p->id << \" \" << p->author->nickname << \" \" << p->body;");
    for (auto& post : s.query<Post>().all()) out << post->id << " " << post->author->nickname << " " << post->body << "\n";

    step("for (auto& u : s.query<User>().all()) s.remove(u);");
    for (auto& user : s.query<User>().all()) s.remove(user);
    step("for (auto& p : s.query<Post>().all()) s.remove(p);");
    for (auto& post : s.query<Post>().all()) s.remove(post);
    step("s.commit();");
    s.commit();
    step("s.query<User>().all()");
    out << s.query<User>().all() << "\n";
    step("s.query<Post>().all()");
    out << s.query<Post>().all() << "\n";
    return 0;
}

}  // namespace microblog
