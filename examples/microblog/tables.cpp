#include "tables.hpp"

namespace microblog {

void declare_tables(strata::MetaData& md) {
    using namespace strata;
    md.table("user")
        .column("id", Integer(), primary_key())
        .column("nickname", String(64), index(), unique())
        .column("email", String(120), index(), unique());
    md.table("post")
        .column("id", Integer(), primary_key())
        .column("body", String(140))
        .column("timestamp", DateTimeType(), index())
        .column("user_id", Integer(), foreign_key("user.id"));
}

}  // namespace microblog
