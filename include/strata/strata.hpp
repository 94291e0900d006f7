// strata/strata.hpp — the whole public API in one include.
#pragma once

#include "strata/connection.hpp"
#include "strata/database.hpp"
#include "strata/dialect.hpp"
#include "strata/error.hpp"
#include "strata/inspect.hpp"
#include "strata/schema.hpp"
#include "strata/types.hpp"
#include "strata/url.hpp"
#include "strata/value.hpp"
