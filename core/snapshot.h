// The canonical snapshot (SEMANTICS.md §6): what the checker compares between replicas and
// between the materializer and the model, byte for byte.
//
// One row per known node except ROOT and TRASH, sorted by node id. The visible tree (reachable
// from ROOT through visible children, ordered by (order_key, node id)) is derived from it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/node_id.h"
#include "core/op.h"
#include "core/version_vector.h"

namespace treesim {

struct SnapshotRow {
  NodeId node;
  // The stored parent: none for a detached placeholder, TRASH after a move to TRASH, else a node.
  // A tombstoned node keeps its stored parent here (queries report TRASH for it).
  std::optional<NodeId> parent;
  std::string order_key;
  bool tombstoned = false;
  VersionVector last_change;
  std::optional<VersionVector> deleted_at;
  std::optional<std::string> payload;
  // Canonical key (and so id) of the payload op that set `payload`; none if never written.
  std::optional<OpKey> writer;

  friend bool operator==(const SnapshotRow&, const SnapshotRow&) = default;
};

struct Snapshot {
  std::vector<SnapshotRow> rows;

  // The row of `node`, or nullptr.
  const SnapshotRow* find(NodeId node) const;
  // Rows strictly sorted by node id, no ROOT or TRASH row, every VV normalized.
  bool is_canonical() const;

  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

// The visible tree: for every visible node (ROOT included), its visible children in order.
struct VisibleTree {
  std::map<NodeId, std::vector<NodeId>> children;

  // Nodes reachable from ROOT, in depth-first pre-order (ROOT first).
  std::vector<NodeId> preorder() const;
  // An indented, one-node-per-line rendering for reports and the command line.
  std::string to_text(const Snapshot& snapshot) const;
};

// Derives the visible tree: children(p) are the rows whose stored parent is p and which are not
// tombstoned, ordered by (order_key bytes, node id); only nodes reachable from ROOT appear.
VisibleTree derive_visible_tree(const Snapshot& snapshot);

// The walk both derive_visible_tree() and a materializer's own index use: from ROOT,
// `append_visible_children(parent, list)` appends the visible children of `parent` in order.
// Each node has one stored parent, so a node is listed at most once: the walk terminates even
// if the stored parents contain a cycle (such nodes are unreachable from ROOT).
template <typename AppendVisibleChildren>
VisibleTree walk_visible_tree(AppendVisibleChildren&& append_visible_children) {
  VisibleTree tree;
  std::vector<NodeId> stack = {kRoot};
  while (!stack.empty()) {
    const NodeId parent = stack.back();
    stack.pop_back();
    std::vector<NodeId>& list = tree.children[parent];
    append_visible_children(parent, list);
    stack.insert(stack.end(), list.begin(), list.end());
  }
  return tree;
}

}  // namespace treesim
