// What the simulation's executor (sim/simulation.cc) and its checkers
// (sim/simulation_checks.cc) share about a replica: its bookkeeping (Simulation::Replica) and
// the capture the rollback checker compares around a call (Before). Internal to Simulation;
// nothing outside those two files includes it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/snapshot.h"
#include "core/version_vector.h"
#include "model/model.h"
#include "sim/simulation.h"
#include "sim/system_under_test.h"

namespace treesim {

struct Simulation::Replica {
  Replica(std::uint32_t index_in, ReplicaId id_in, std::unique_ptr<SystemUnderTest> sut_in)
      : index(index_in), id(std::move(id_in)), sut(std::move(sut_in)) {}

  std::uint32_t index;
  ReplicaId id;
  std::unique_ptr<SystemUnderTest> sut;
  // The ops this replica acknowledged: what its log must hold. Forged ops never enter it.
  model::Model model;
  // Ops offered to this replica only in calls that failed: its log must not hold them.
  std::set<OpId> failed_only;
  // A call failed with an I/O error on a store whose failed commit may nevertheless be durable
  // (SQLite: a COMMIT whose last sync failed is "not known to be durable"). Until the next
  // restart the log reads as before the call; after it, the log may hold that call's ops.
  bool commit_unsure = false;
  bool down = false;
  // A storage fault or fault point was armed (and may not have fired yet): fault errors are
  // expected from this replica until the liveness phase clears them.
  bool fault_armed = false;
};

// What the rollback checker compares: the state around a call. The log ids, head and frontier
// cost O(replicas) and are always captured; the snapshot costs O(nodes) and is captured only on
// a step that will be checked (every step with --check-every 1, the default), and always after
// a failed call.
struct Before {
  VersionVector log;
  Head head;
  Frontier frontier;
  std::optional<Snapshot> snapshot;
};

inline Before capture(SystemUnderTest& sut, bool with_snapshot) {
  Before before{sut.version_vector(), sut.head(), sut.frontier(), std::nullopt};
  if (with_snapshot) before.snapshot = sut.materialized_snapshot();
  return before;
}

// The errors an armed storage fault or fault point may cause.
inline bool is_fault_code(StatusCode code) {
  return code == StatusCode::kIoError || code == StatusCode::kStorageFull ||
         code == StatusCode::kFaultInjected;
}

inline std::string head_to_display(const Head& head) {
  return "seq=" + std::to_string(head.seq) + (head.key ? " key=" + head.key->to_display() : "");
}

// The ids of `ops` as a version vector.
inline VersionVector ids_of(const std::vector<Op>& ops) {
  std::vector<std::pair<ReplicaId, CounterRange>> ranges;
  ranges.reserve(ops.size());
  for (const Op& op : ops) ranges.push_back({op.id.replica, {op.id.counter, op.id.counter}});
  return VersionVector::from_ranges(ranges);
}

}  // namespace treesim
