// strata/repr.hpp — printing mapped objects through their model's repr.
//
//   std::cout << s.query<User>().all();    // [<User john>, <User susan>]
//   strata::repr(u)                        // "<User john>"; default "<User id=1>"
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "strata/export.hpp"
#include "strata/ptr.hpp"
#include "strata/relationship.hpp"

namespace strata {

namespace detail {
STRATA_API std::string repr_record(const RecordBase* record);
}

template <class T>
std::string repr(const Ptr<T>& object) {
    return detail::repr_record(detail::Access::record(object).get());
}

template <class T>
std::string repr(const std::vector<Ptr<T>>& objects) {
    std::string out = "[";
    for (std::size_t i = 0; i < objects.size(); ++i) {
        if (i) out += ", ";
        out += repr(objects[i]);
    }
    return out + "]";
}

template <class T>
std::string repr(const HasMany<T>& collection) {
    return repr(collection.to_vector());
}

template <class T>
std::string repr(const BelongsTo<T>& reference) {
    return repr(reference.get());
}

template <class T>
std::ostream& operator<<(std::ostream& os, const BelongsTo<T>& reference) {
    return os << repr(reference);
}

template <class T>
std::ostream& operator<<(std::ostream& os, const Ptr<T>& object) {
    return os << repr(object);
}

template <class T>
std::ostream& operator<<(std::ostream& os, const std::vector<Ptr<T>>& objects) {
    return os << repr(objects);
}

template <class T>
std::ostream& operator<<(std::ostream& os, const HasMany<T>& collection) {
    return os << repr(collection);
}

}  // namespace strata
