// Workload: chooses each local edit from the replica's own visible tree, so edits are the kind
// that race interestingly: moves of subtrees into each other (concurrent ones form cycles that
// must be skipped), deletes of busy subtrees (which concurrent inserts and moves revive),
// payload races on the same nodes, and moves to TRASH.
#pragma once

#include <cstdint>
#include <optional>

#include "core/snapshot.h"
#include "sim/entropy.h"
#include "sim/options.h"
#include "sim/system_under_test.h"

namespace treesim {

class Workload {
 public:
  Workload(const OpMix& mix, Rng rng, std::uint32_t replica_index);

  // The next edit given the replica's materialized visible tree.
  LocalEdit next(const VisibleTree& tree);

 private:
  NodeId fresh_node();

  OpMix mix_;
  Rng rng_;
  std::uint32_t replica_index_;
  std::uint64_t nodes_created_ = 0;
};

}  // namespace treesim
