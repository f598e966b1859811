// UndoRecord: everything one applied op changed, so that rewind can take it back exactly
// (SEMANTICS.md §8, strategy `rewind`).
//
// Written for every op the materializer applies (skipped ops included: their record is empty
// apart from the nodes they made known), trimmed to a retention window. Undoing the records of
// a suffix newest-first restores the state before that suffix bit for bit, which is what makes
// a late op cost proportional to the suffix instead of to the whole log.
//
// Each field records a difference that can be reversed without knowing any other op:
// - the op's dot is unique to the op, so erasing it from exactly the nodes that received it
//   restores their last_change;
// - a delete merges dot ∪ known_state into deleted_at; the record keeps only the counters that
//   were new, so subtracting them restores deleted_at (and `deleted_at_was_absent` its absence);
// - position, payload register and tombstone flags are restored from their previous values.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/node_id.h"
#include "core/op.h"
#include "core/version_vector.h"

namespace treesim {

struct UndoRecord {
  OpKey key;
  NodeId node;  // the op's node

  // Nodes this op made known (its first reference to them); undo erases them entirely.
  std::vector<NodeId> created_nodes;

  // The structural part (Insert, Move) applied: the node's position before it.
  bool structural_applied = false;
  std::optional<NodeId> previous_parent;
  std::string previous_order_key;

  // Nodes whose last_change received dot(op), in the order they received it.
  std::vector<NodeId> dotted_nodes;

  // Delete / Tombstone: the counters that were new to deleted_at.
  std::optional<VersionVector> deleted_at_added;
  bool deleted_at_was_absent = false;

  // The payload rule applied: the register before it (absent = the node had none).
  bool payload_applied = false;
  bool previous_payload_present = false;
  std::optional<std::string> previous_value;
  OpKey previous_writer;

  // Tombstone flags this op changed, with their previous values, in the order they changed.
  std::vector<std::pair<NodeId, bool>> previous_tombstoned;

  friend bool operator==(const UndoRecord&, const UndoRecord&) = default;
};

}  // namespace treesim
