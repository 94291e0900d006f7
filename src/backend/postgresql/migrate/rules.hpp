// PostgreSQL's migration rules (the backend record's migrate part).
#pragma once

#include "migrate/backend_rules.hpp"

namespace strata::migrate {

const BackendRules& postgresql_rules();

// The lock and rewrite of each op on a live server, for `db lint` (lint.cpp).
extern const BackendLint postgresql_lint;

}  // namespace strata::migrate
