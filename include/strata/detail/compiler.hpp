// strata/detail/compiler.hpp — hints to the compiler on strata's own hot code: not API.
//
// Each is a no-op where the compiler has no such hint. (STRATA_DETAIL_HOT_PATH
// is in export.hpp: the driver layer uses it too.)
#pragma once

#if defined(__GNUC__)
// On the functions a row's column loop calls for each column: inlined there
// (the loop would otherwise save and reload its state around each call).
#define STRATA_DETAIL_INLINE [[gnu::always_inline]] inline
// On the rare paths of a hot function: kept out of its way.
#define STRATA_DETAIL_COLD [[gnu::noinline, gnu::cold]]
// On a loop compiled for one model: everything it calls inlined into it.
#define STRATA_DETAIL_FLATTEN [[gnu::flatten]]
// Starts fetching the memory at an address (read); only a hint.
#define STRATA_DETAIL_PREFETCH(...) __builtin_prefetch(__VA_ARGS__)
#define STRATA_DETAIL_UNREACHABLE() __builtin_unreachable()
#else
#define STRATA_DETAIL_INLINE inline
#define STRATA_DETAIL_COLD
#define STRATA_DETAIL_FLATTEN
#define STRATA_DETAIL_PREFETCH(...) ((void)(__VA_ARGS__))
#if defined(_MSC_VER)
#define STRATA_DETAIL_UNREACHABLE() __assume(0)
#else
#define STRATA_DETAIL_UNREACHABLE() ((void)0)
#endif
#endif
