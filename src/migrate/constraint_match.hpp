// src/migrate/constraint_match.hpp — constraints compared by what they do.
//
// A database made by another tool names constraints its own way or not at
// all (SQLite keeps no name for an unnamed one; PostgreSQL makes one up,
// post_user_id_fkey). Autogenerate matches such a constraint to the models'
// by its effect, and drop_constraint can name an unnamed one by it.
#pragma once

#include <string>

#include "strata/schema.hpp"

namespace strata::migrate {

// Same columns (and referred table, columns, actions, deferral; or the same
// CHECK text up to spacing, one layer of parentheses and identifier quotes).
bool same_effect(const UniqueConstraint& a, const UniqueConstraint& b);
bool same_effect(const ForeignKey& a, const ForeignKey& b);
bool same_effect(const CheckConstraint& a, const CheckConstraint& b);

// "foreign key (user_id) -> user(id)", "unique (a, b)", "CHECK (x > 0)": a constraint for the user.
std::string describe_constraint(const UniqueConstraint& uq);
std::string describe_constraint(const ForeignKey& fk);
std::string describe_constraint(const CheckConstraint& ck);

}  // namespace strata::migrate
