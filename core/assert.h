// Assertions for programmer errors. They stay on in every build of this project (dev, test,
// release, sim, fuzz): a broken invariant in a simulation harness must stop the run with a
// location, never continue with corrupt state. TS_DEBUG_ASSERT is for checks too costly for
// hot paths of optimized builds; it is on unless NDEBUG is defined.
#pragma once

namespace treesim::internal {
[[noreturn]] void assertion_failed(const char* expression, const char* file, int line);
}  // namespace treesim::internal

#define TS_ASSERT(condition)                                                     \
  do {                                                                           \
    if (!(condition)) [[unlikely]]                                               \
      ::treesim::internal::assertion_failed(#condition, __FILE__, __LINE__);     \
  } while (false)

#ifdef NDEBUG
#define TS_DEBUG_ASSERT(condition) \
  do {                             \
  } while (false && (condition))
#else
#define TS_DEBUG_ASSERT(condition) TS_ASSERT(condition)
#endif

#define TS_UNREACHABLE() ::treesim::internal::assertion_failed("unreachable", __FILE__, __LINE__)
