// strata/export.hpp — STRATA_API marks what libstrata.so exports: the public API.
//
// The library is compiled with -fvisibility=hidden (CMakeLists.txt), so a class or function that a
// program calls from the installed headers carries STRATA_API on its declaration: a class with
// members defined in src/ (its vtable and typeinfo too, so exceptions and dynamic_cast cross the
// library boundary), or a free function defined in src/. Inline functions and templates need none:
// the program compiles its own copy. Anything in src/ stays hidden.
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define STRATA_API __attribute__((visibility("default")))
#else
#define STRATA_API
#endif

// Not API: on the few functions every loaded row runs (strata's own code).
// GCC puts them together (.text.hot), on as few instruction-cache lines and
// sets as they need wherever the rest of the code lands: a row's path shares
// a 32 KiB cache with the database's code, and scattered, a change elsewhere
// in the library moved its misses by a quarter.
#if defined(__GNUC__) && !defined(__clang__)
#define STRATA_DETAIL_HOT_PATH [[gnu::hot]]
#else
#define STRATA_DETAIL_HOT_PATH
#endif
