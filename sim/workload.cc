#include "sim/workload.h"

#include <array>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "core/assert.h"

namespace treesim {

Workload::Workload(const OpMix& mix, Rng rng, std::uint32_t replica_index)
    : mix_(mix), rng_(rng), replica_index_(replica_index) {}

namespace {

// The nodes of `visible` (in its order) whose stored subtree holds a tombstoned node.
std::vector<NodeId> holders_of_deleted(const Snapshot& snapshot,
                                       const std::vector<NodeId>& visible) {
  std::map<NodeId, std::optional<NodeId>> parent_of;
  for (const SnapshotRow& row : snapshot.rows) parent_of[row.node] = row.parent;
  std::set<NodeId> holders;
  for (const SnapshotRow& row : snapshot.rows) {
    if (!row.tombstoned) continue;
    // Up the stored parents; bounded, since a broken replica may store a cycle.
    std::optional<NodeId> at = row.parent;
    for (std::size_t steps = 0; at && steps <= snapshot.rows.size(); ++steps) {
      if (!holders.insert(*at).second) break;  // its ancestors are marked already
      auto it = parent_of.find(*at);
      if (it == parent_of.end()) break;  // ROOT, TRASH
      at = it->second;
    }
  }
  std::vector<NodeId> out;
  for (NodeId node : visible) {
    if (holders.count(node) != 0) out.push_back(node);
  }
  return out;
}

}  // namespace

NodeId Workload::fresh_node() {
  // Ids are unique per replica (the high word names it), readable in traces as 0x<r>000...<n>.
  return NodeId{replica_index_ + 1u, ++nodes_created_};
}

LocalEdit Workload::next(const VisibleTree& tree, const Snapshot* rows) {
  TS_ASSERT(rows != nullptr || !needs_rows());
  std::vector<NodeId> visible = tree.preorder();
  visible.erase(visible.begin());  // ROOT
  std::vector<NodeId> busy;        // visible nodes with visible children
  for (NodeId node : visible) {
    auto it = tree.children.find(node);
    if (it != tree.children.end() && !it->second.empty()) busy.push_back(node);
  }

  auto random_placement = [&](NodeId parent) {
    auto it = tree.children.find(parent);
    const bool has_children = it != tree.children.end() && !it->second.empty();
    switch (rng_.uniform_below(has_children ? 3 : 2)) {
      case 0: return Placement::first();
      case 1: return Placement::last();
      default: return Placement::after(rng_.pick(it->second));
    }
  };
  auto random_parent = [&]() { return visible.empty() || rng_.chance(1, 3) ? kRoot : rng_.pick(visible); };

  // Visible nodes whose stored subtree holds a tombstoned node (only when that kind is on).
  const std::vector<NodeId> holders =
      rows == nullptr ? std::vector<NodeId>() : holders_of_deleted(*rows, visible);

  LocalEdit edit;
  // Kinds whose weight is 0 take no draw of their own, so a mix without the last kinds draws
  // exactly as before those kinds existed.
  const std::array<std::uint32_t, 7> weights = {
      mix_.insert, visible.empty() ? 0 : mix_.move, visible.empty() ? 0 : mix_.remove,
      visible.empty() ? 0 : mix_.payload, visible.empty() ? 0 : mix_.move_to_trash,
      busy.empty() ? 0 : mix_.move_into_subtree,
      holders.empty() ? 0 : mix_.remove_around_deleted};
  switch (rng_.weighted(weights)) {
    case 0: {
      edit.kind = LocalEdit::Kind::kInsert;
      edit.node = fresh_node();
      edit.parent = random_parent();
      edit.placement = random_placement(edit.parent);
      if (rng_.chance(1, 4)) edit.payload = std::string(1, static_cast<char>('a' + rng_.uniform_below(26)));
      break;
    }
    case 1: {
      edit.kind = LocalEdit::Kind::kMove;
      edit.node = rng_.pick(visible);
      edit.parent = random_parent();
      if (edit.parent == edit.node) edit.parent = kRoot;
      edit.placement = random_placement(edit.parent);
      break;
    }
    case 2: {
      edit.kind = LocalEdit::Kind::kRemove;
      edit.node = !busy.empty() && rng_.chance(1, 2) ? rng_.pick(busy) : rng_.pick(visible);
      break;
    }
    case 3: {
      edit.kind = LocalEdit::Kind::kSetPayload;
      edit.node = rng_.pick(visible);
      // A small alphabet makes equal values from different writers common.
      if (!rng_.chance(1, 6)) edit.payload = std::string(1, static_cast<char>('A' + rng_.uniform_below(4)));
      break;
    }
    case 4: {
      edit.kind = LocalEdit::Kind::kMove;
      edit.node = rng_.pick(visible);
      edit.parent = kTrash;
      break;
    }
    case 6: {
      edit.kind = LocalEdit::Kind::kRemove;
      edit.node = rng_.pick(holders);
      break;
    }
    default: {
      // Under one of its own visible descendants: a cycle here, and at every other replica
      // a cycle check against whatever shape (or placeholder) the subtree has there.
      edit.kind = LocalEdit::Kind::kMove;
      edit.node = rng_.pick(busy);
      std::vector<NodeId> descendants;
      std::vector<NodeId> stack = {edit.node};
      while (!stack.empty()) {
        const NodeId at = stack.back();
        stack.pop_back();
        auto it = tree.children.find(at);
        if (it == tree.children.end()) continue;
        for (NodeId child : it->second) {
          descendants.push_back(child);
          stack.push_back(child);
        }
      }
      edit.parent = rng_.pick(descendants);
      edit.placement = random_placement(edit.parent);
      break;
    }
  }
  return edit;
}

}  // namespace treesim
