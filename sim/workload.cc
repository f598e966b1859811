#include "sim/workload.h"

#include <array>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "core/assert.h"

namespace treesim {

Workload::Workload(const OpMix& mix, ComponentEntropy entropy, std::uint32_t replica_index)
    : mix_(mix), rng_(std::move(entropy)), replica_index_(replica_index) {}

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

// The nodes a delete hides, in id order: those with a tombstoned node among themselves and
// their stored ancestors. `nested` holds the ones with two or more: an edit there revives
// several levels at once.
struct Hidden {
  std::vector<NodeId> all;
  std::vector<NodeId> nested;
  // The stored children of each node of `all` that has any, in id order.
  std::map<NodeId, std::vector<NodeId>> children;
};

Hidden hidden_by_deletes(const Snapshot& snapshot) {
  std::map<NodeId, const SnapshotRow*> row_of;
  for (const SnapshotRow& row : snapshot.rows) row_of[row.node] = &row;
  Hidden out;
  for (const SnapshotRow& row : snapshot.rows) {
    std::size_t tombstones = 0;
    // Up the stored parents; bounded, since a broken replica may store a cycle.
    const SnapshotRow* at = &row;
    for (std::size_t steps = 0; at && steps <= snapshot.rows.size(); ++steps) {
      if (at->tombstoned) ++tombstones;
      if (!at->parent) break;
      auto it = row_of.find(*at->parent);
      at = it == row_of.end() ? nullptr : it->second;  // ROOT, TRASH
    }
    if (tombstones >= 1) out.all.push_back(row.node);
    if (tombstones >= 2) out.nested.push_back(row.node);
  }
  const std::set<NodeId> hidden(out.all.begin(), out.all.end());
  for (const SnapshotRow& row : snapshot.rows) {
    if (row.parent && hidden.count(*row.parent) != 0) out.children[*row.parent].push_back(row.node);
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

  // Visible nodes whose stored subtree holds a tombstoned node (only when a kind that reads
  // rows is on).
  const std::vector<NodeId> holders =
      rows == nullptr ? std::vector<NodeId>() : holders_of_deleted(*rows, visible);
  // Nodes a delete hides, and visible nodes under a visible parent (the first of nested
  // deletes), for edits inside deleted subtrees (only when that kind is on).
  const bool inside_deleted = rows != nullptr && mix_.edit_inside_deleted != 0;
  const Hidden hidden = inside_deleted ? hidden_by_deletes(*rows) : Hidden();
  std::vector<NodeId> deep;
  if (inside_deleted) {
    for (NodeId parent : busy) {
      const std::vector<NodeId>& children = tree.children.at(parent);
      deep.insert(deep.end(), children.begin(), children.end());
    }
  }

  LocalEdit edit;
  // An edit that puts a new dot on the chain of `target`, a hidden node: an insert under it, a
  // payload write on it, a visible node moved into it, or one of its stored children moved
  // back out (a file restored out of a deleted folder: the target, as the old parent, gets the
  // dot). Every delete is unaware of it, so the target and its tombstoned ancestors revive.
  auto edit_inside = [&](NodeId target) {
    enum Way { kInsertUnder, kWritePayload, kMoveIn, kMoveChildOut };
    std::vector<Way> ways = {kInsertUnder, kWritePayload};
    if (!visible.empty()) ways.push_back(kMoveIn);
    const auto children = hidden.children.find(target);
    if (children != hidden.children.end()) ways.push_back(kMoveChildOut);
    switch (rng_.pick(ways)) {
      case kInsertUnder:
        edit.kind = LocalEdit::Kind::kInsert;
        edit.node = fresh_node();
        edit.parent = target;
        edit.placement = random_placement(target);
        break;
      case kWritePayload:
        edit.kind = LocalEdit::Kind::kSetPayload;
        edit.node = target;
        edit.payload = std::string(1, static_cast<char>('A' + rng_.uniform_below(4)));
        break;
      case kMoveIn:
        // A visible ancestor of the target makes it a cycle, skipped.
        edit.kind = LocalEdit::Kind::kMove;
        edit.node = rng_.pick(visible);
        edit.parent = target;
        edit.placement = random_placement(target);
        break;
      case kMoveChildOut:
        edit.kind = LocalEdit::Kind::kMove;
        edit.node = rng_.pick(children->second);
        edit.parent = random_parent();
        edit.placement = random_placement(edit.parent);
        break;
    }
  };
  // Kinds whose weight is 0 take no draw of their own, so a mix without the last kinds draws
  // exactly as before those kinds existed.
  const std::array<std::uint32_t, 8> weights = {
      mix_.insert, visible.empty() ? 0 : mix_.move, visible.empty() ? 0 : mix_.remove,
      visible.empty() ? 0 : mix_.payload, visible.empty() ? 0 : mix_.move_to_trash,
      busy.empty() ? 0 : mix_.move_into_subtree,
      holders.empty() ? 0 : mix_.remove_around_deleted,
      hidden.all.empty() && deep.empty() ? 0 : mix_.edit_inside_deleted};
  // A started plan of nested deletes goes on at the replica's next edit, before concurrent
  // edits can revive what it nested; the weighted draw is skipped, so a mix without the kind
  // draws as before.
  const bool go_on = continue_inside_deleted_ && weights[7] != 0;
  continue_inside_deleted_ = false;
  switch (go_on ? 7 : rng_.weighted(weights)) {
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
    case 7: {
      // One stage of "delete a node, delete a folder around it, edit inside", chosen by what the
      // replica's state already holds, so that consecutive draws nest deletes and then revive
      // several levels at once (OpMix::edit_inside_deleted). Concurrent edits revive nested
      // deletes quickly; each stage starts from whatever is left.
      if (!hidden.nested.empty()) {
        // Under two or more tombstones: a single revive is common enough without this kind,
        // the levels above it are what a refresh of the ancestors' flags must not miss.
        edit_inside(rng_.pick(hidden.nested));
      } else if (!holders.empty()) {
        edit.kind = LocalEdit::Kind::kRemove;
        edit.node = rng_.pick(holders);
        continue_inside_deleted_ = true;
      } else if (!deep.empty() && (hidden.all.empty() || rng_.chance(1, 2))) {
        edit.kind = LocalEdit::Kind::kRemove;
        edit.node = rng_.pick(deep);
        continue_inside_deleted_ = true;
      } else {
        edit_inside(rng_.pick(hidden.all));
      }
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
