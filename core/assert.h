// Assertions for programmer errors. They stay on in every build of this project (dev, test,
// release, sim, fuzz): a broken invariant in a simulation harness must stop the run with a
// location, never continue with corrupt state. TS_DEBUG_ASSERT is for checks too costly for
// hot paths of optimized builds; it is on unless NDEBUG is defined.
#pragma once

namespace treesim::internal {
[[noreturn]] void assertion_failed(const char* expression, const char* file, int line);
// The same check as TS_ASSERT's, out of line (coverage builds, below).
void check_assertion(bool holds, const char* expression, const char* file, int line);
}  // namespace treesim::internal

#ifdef TREESIM_COVERAGE_BUILD
// Coverage builds (TREESIM_COVERAGE): the failing side of an assertion is not behaviour a run
// can cover, and as a branch at every call site it counted against branch coverage in every
// passing run (half the branches of begin(), commit(), ...). The check happens in one function
// instead; branches inside the condition itself (&&, ||, ?:) still count.
#define TS_ASSERT(condition)                                                               \
  ::treesim::internal::check_assertion(static_cast<bool>(condition), #condition, __FILE__, \
                                       __LINE__)
#else
#define TS_ASSERT(condition)                                                     \
  do {                                                                           \
    if (!(condition)) [[unlikely]]                                               \
      ::treesim::internal::assertion_failed(#condition, __FILE__, __LINE__);     \
  } while (false)
#endif

#ifdef NDEBUG
#define TS_DEBUG_ASSERT(condition) \
  do {                             \
  } while (false && (condition))
#else
#define TS_DEBUG_ASSERT(condition) TS_ASSERT(condition)
#endif

#define TS_UNREACHABLE() ::treesim::internal::assertion_failed("unreachable", __FILE__, __LINE__)
