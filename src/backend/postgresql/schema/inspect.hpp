// PostgreSQL's reflection: its inspector (the backend record's schema part).
#pragma once

#include "schema/inspector.hpp"

namespace strata {

const Inspector& postgresql_inspector();

}  // namespace strata
