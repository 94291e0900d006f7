// PostgreSQL's migration rules (the backend record's migrate part).
#pragma once

#include "migrate/backend_rules.hpp"

namespace strata::migrate {

const BackendRules& postgresql_rules();

}  // namespace strata::migrate
