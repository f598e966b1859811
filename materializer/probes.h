// Code probes: a counter for every interesting path through the materializer.
//
// The simulator reports them after a sweep; a probe never hit in a sweep is missing coverage,
// not a pass (the idea of SQLite's testcase() and FoundationDB's code probes). Counting is a
// plain array increment, cheap enough to leave on in production.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace treesim {

enum class Probe : std::uint8_t {
  kInOrderApply,        // an op applied incrementally after the head
  kCatchUpRebuild,      // immediate or deferred catch-up by folding the whole log afresh
  kCatchUpPrefixReplay, // catch-up by folding in memory and patching changed rows
  kCatchUpRewind,       // catch-up by undoing the suffix and re-applying it
  kRewindFallback,      // rewind impossible (late op older than the undo window): prefix replay
  kUndoTrim,            // undo records trimmed to the retention window
  kCycleSkip,           // an insert or move skipped because it would create a cycle
  kSelfOrReservedSkip,  // an insert or move of ROOT/TRASH, or under itself, skipped
  kRevive,              // a tombstoned node became visible again
  kTombstone,           // a node became tombstoned
  kRollback,            // a failed call rolled back
  kDeferredPending,     // deferred mode: materialization failed, ops kept, frontier recorded
  kDeferredCatchUp,     // a pending frontier caught up (read, local op, ensure, append)
  kRecoveryOnReopen,    // open found a pending frontier or inconsistent head and caught up
  kEquivocationReject,  // an op reusing a stored id with different content was rejected
  kDuplicateDrop,       // an op already in the log (or twice in a batch) was ignored
  kInvalidReject,       // a batch was rejected because an op was invalid
  kLocalOp,             // a local op was minted and applied
  kFaultInjected,       // a fault point fired
  kCount,
};

inline constexpr std::size_t kProbeCount = static_cast<std::size_t>(Probe::kCount);

// "in-order-apply", "catch-up-rewind", ...: stable names for reports.
const char* probe_name(Probe probe);

class Probes {
 public:
  void hit(Probe probe, std::uint64_t times = 1) {
    counts_[static_cast<std::size_t>(probe)] += times;
  }
  std::uint64_t count(Probe probe) const { return counts_[static_cast<std::size_t>(probe)]; }
  void add(const Probes& other) {
    for (std::size_t i = 0; i < kProbeCount; ++i) counts_[i] += other.counts_[i];
  }

 private:
  std::array<std::uint64_t, kProbeCount> counts_{};
};

}  // namespace treesim
