// Workload: chooses each local edit from the replica's own visible tree, so edits are the kind
// that race interestingly: moves of subtrees into each other (concurrent ones form cycles that
// must be skipped), deletes of busy subtrees (which concurrent inserts and moves revive),
// payload races on the same nodes, moves to TRASH, and (OpMix::move_into_subtree) moves of a
// node under its own descendant, a cycle wherever the op lands,
// (OpMix::remove_around_deleted) removes of nodes whose subtree already holds a deleted node,
// and (OpMix::edit_inside_deleted) nested deletes followed by an edit deep inside them, which
// revives every level at once.
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
  // Draws every choice from `entropy` (sim/entropy.h).
  Workload(const OpMix& mix, ComponentEntropy entropy, std::uint32_t replica_index);
  // A generator of its own.
  Workload(const OpMix& mix, Rng rng, std::uint32_t replica_index)
      : Workload(mix, ComponentEntropy::owning(rng), replica_index) {}

  // The next edit given the replica's materialized visible tree. `rows`, the materialized
  // snapshot it derives from, is needed (and read) only when needs_rows().
  LocalEdit next(const VisibleTree& tree, const Snapshot* rows = nullptr);
  // Whether next() reads the snapshot rows (OpMix::remove_around_deleted and
  // OpMix::edit_inside_deleted look for tombstoned nodes, which the visible tree does not show).
  bool needs_rows() const {
    return mix_.remove_around_deleted != 0 || mix_.edit_inside_deleted != 0;
  }

 private:
  NodeId fresh_node();

  OpMix mix_;
  ComponentEntropy rng_;
  std::uint32_t replica_index_;
  std::uint64_t nodes_created_ = 0;
  // The last edit was a remove of OpMix::edit_inside_deleted's plan: the next one continues it.
  bool continue_inside_deleted_ = false;
};

}  // namespace treesim
