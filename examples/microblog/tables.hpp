// The tutorial's schema: user and post. (The ORM turns these into models.)
#pragma once

#include <strata/schema.hpp>

namespace microblog {

void declare_tables(strata::MetaData& md);

}  // namespace microblog
