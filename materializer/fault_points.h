// Fault points (BUGGIFY-style): named sites inside the materializer where a test or the
// simulator may force a failure, to prove that every path rolls back (or, in deferred mode,
// keeps the ops and records the frontier) exactly as SEMANTICS.md §8 requires.
//
// Fault model: a fired fault point makes the call fail at that site as if the storage layer had
// returned an error there. The materializer claims to survive it because every site lies inside
// the call's transaction, before its commit. In production the pointer is null and the check is
// one branch.
#pragma once

#include <cstdint>

namespace treesim {

enum class FaultSite : std::uint8_t {
  kAfterStoreOps,        // append: the new ops are in the log, nothing applied yet
  kMidIncrementalApply,  // between two in-order ops
  kMidUndo,              // rewind: between two undone ops
  kMidRedo,              // catch-up: between two re-applied ops
  kBeforeHeadWrite,      // state applied and flushed, head not yet written
  kMidEnsure,            // ensure_materialized / deferred catch-up, before its commit
  kCount,
};

const char* fault_site_name(FaultSite site);  // "after-store-ops", ...

class FaultPoints {
 public:
  virtual ~FaultPoints() = default;
  // Whether the call passing `site` now should fail there.
  virtual bool should_fail(FaultSite site) = 0;
};

}  // namespace treesim
