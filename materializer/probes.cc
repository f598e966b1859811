#include "materializer/probes.h"

namespace treesim {

const char* probe_name(Probe probe) {
  switch (probe) {
    case Probe::kInOrderApply: return "in-order-apply";
    case Probe::kCatchUpRebuild: return "catch-up-rebuild";
    case Probe::kCatchUpPrefixReplay: return "catch-up-prefix-replay";
    case Probe::kCatchUpRewind: return "catch-up-rewind";
    case Probe::kRewindFallback: return "rewind-fallback";
    case Probe::kUndoTrim: return "undo-trim";
    case Probe::kCycleSkip: return "cycle-skip";
    case Probe::kSelfOrReservedSkip: return "self-or-reserved-skip";
    case Probe::kRevive: return "revive";
    case Probe::kTombstone: return "tombstone";
    case Probe::kRollback: return "rollback";
    case Probe::kDeferredPending: return "deferred-pending";
    case Probe::kDeferredCatchUp: return "deferred-catch-up";
    case Probe::kRecoveryOnReopen: return "recovery-on-reopen";
    case Probe::kEquivocationReject: return "equivocation-reject";
    case Probe::kDuplicateDrop: return "duplicate-drop";
    case Probe::kInvalidReject: return "invalid-reject";
    case Probe::kLocalOp: return "local-op";
    case Probe::kFaultInjected: return "fault-injected";
    case Probe::kCount: break;
  }
  return "unknown";
}

}  // namespace treesim
