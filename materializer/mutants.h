// Mutants: planted bugs that prove the harness catches real classes of bugs (issue 9).
//
// Each mutant is a small, realistic deviation at one place in materializer/ (a frontier that
// forgets an earlier one, a catch-up error path that keeps its writes, an undo that restores a
// position from the wrong op, ...). They are compiled in only when the build defines
// TREECRDT_MUTANTS (CMake option TREECRDT_MUTANTS: on in the dev preset, refused in Release);
// without it mutant_active() is a constant false, every planted branch folds away and the
// catalog is empty, so a release build has no trace of them.
//
// At most one mutant is active at a time, process-wide: `treesim run/sweep/replay --mutant NAME`
// and `treesim mutants` select it before a simulation starts (the simulator is single threaded,
// and sweep workers fork after the selection). Every planted branch reads
// `if (mutant_active(Mutant::kX))`, so with no mutant active (kNone, the default) the production
// paths run exactly as written.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace treesim {

enum class Mutant : std::uint8_t {
  kNone = 0,
  kFrontierNotMin,               // 1
  kNoRollbackOnCatchUpError,     // 2
  kHeadBeforeCatchUp,            // 3
  kRewindToOpPredecessor,        // 4
  kPatchMissesIntermediateParents,  // 5
  kPayloadAddsDot,               // 6
  kVvIgnoresGaps,                // 7
  kOrderCounterBeforeReplica,    // 8
  kMoveNoOldParentDot,           // 9
  kDuplicateReapplied,           // 10
  kStaleTombstoneCache,          // 11
  kAckBeforeSync,                // 12
  kCounterReuseAfterReopen,      // 13
  kEquivocationOverwrites,       // 14
  kCycleWalkStopsAtPlaceholder,  // 15
  kRewindRestoresSkippedMove,    // 16
  kCatchUpDropsSilentDelete,     // 17
  kCount,
};

struct MutantInfo {
  Mutant mutant;
  const char* name;         // "frontier-not-min": what --mutant takes
  const char* description;  // one sentence: what deviates, and where
};

#ifdef TREECRDT_MUTANTS
inline constexpr bool kMutantsCompiled = true;
#else
inline constexpr bool kMutantsCompiled = false;
#endif

// Every mutant of this build in issue order; empty when built without TREECRDT_MUTANTS.
std::span<const MutantInfo> mutant_catalog();
// The mutant called `name` in this build's catalog; none if unknown (or built without).
std::optional<Mutant> mutant_from_name(std::string_view name);
// The catalog name, "none" for kNone.
const char* mutant_name(Mutant mutant);

// Selects the process-wide active mutant (kNone: none). Precondition (asserted): the build has
// mutants, unless `mutant` is kNone.
void set_active_mutant(Mutant mutant);
Mutant active_mutant();

#ifdef TREECRDT_MUTANTS
namespace internal {
extern Mutant active_mutant_value;
}  // namespace internal
// Whether the planted bug `mutant` is to be taken at this site.
inline bool mutant_active(Mutant mutant) { return internal::active_mutant_value == mutant; }
#else
constexpr bool mutant_active(Mutant) { return false; }
#endif

// Activates a mutant for a scope (tests): restores the previous selection on exit.
class ScopedMutant {
 public:
  explicit ScopedMutant(Mutant mutant) : previous_(active_mutant()) { set_active_mutant(mutant); }
  ~ScopedMutant() { set_active_mutant(previous_); }
  ScopedMutant(const ScopedMutant&) = delete;
  ScopedMutant& operator=(const ScopedMutant&) = delete;

 private:
  Mutant previous_;
};

}  // namespace treesim
