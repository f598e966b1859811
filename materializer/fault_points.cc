#include "materializer/fault_points.h"

namespace treesim {

const char* fault_site_name(FaultSite site) {
  switch (site) {
    case FaultSite::kAfterStoreOps: return "after-store-ops";
    case FaultSite::kMidIncrementalApply: return "mid-incremental-apply";
    case FaultSite::kMidUndo: return "mid-undo";
    case FaultSite::kMidRedo: return "mid-redo";
    case FaultSite::kBeforeHeadWrite: return "before-head-write";
    case FaultSite::kMidEnsure: return "mid-ensure";
    case FaultSite::kCount: break;
  }
  return "unknown";
}

}  // namespace treesim
