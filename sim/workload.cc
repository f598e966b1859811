#include "sim/workload.h"

#include <array>
#include <vector>

namespace treesim {

Workload::Workload(const OpMix& mix, Rng rng, std::uint32_t replica_index)
    : mix_(mix), rng_(rng), replica_index_(replica_index) {}

NodeId Workload::fresh_node() {
  // Ids are unique per replica (the high word names it), readable in traces as 0x<r>000...<n>.
  return NodeId{replica_index_ + 1u, ++nodes_created_};
}

LocalEdit Workload::next(const VisibleTree& tree) {
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

  LocalEdit edit;
  const std::array<std::uint32_t, 5> weights = {
      mix_.insert, visible.empty() ? 0 : mix_.move, visible.empty() ? 0 : mix_.remove,
      visible.empty() ? 0 : mix_.payload, visible.empty() ? 0 : mix_.move_to_trash};
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
    default: {
      edit.kind = LocalEdit::Kind::kMove;
      edit.node = rng_.pick(visible);
      edit.parent = kTrash;
      break;
    }
  }
  return edit;
}

}  // namespace treesim
