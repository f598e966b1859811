#include "model/model.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "core/assert.h"

namespace treesim::model {
namespace {

Status equivocation_error(const OpId& id) {
  return Status::equivocation("op " + id.to_display() +
                              ": id already stored with different content");
}

}  // namespace

Status Model::add(const Op& op, AddOutcome* outcome) {
  TS_RETURN_IF_ERROR(validate_op(op));
  auto it = ops_.find(op.id);
  if (it != ops_.end()) {
    if (!(it->second == op)) return equivocation_error(op.id);
    if (outcome != nullptr) *outcome = AddOutcome::kDuplicate;
    return Status::ok();
  }
  const Op& stored = ops_.emplace(op.id, op).first->second;
  if (cache_ && (!cache_max_key_ || *cache_max_key_ < stored.key())) {
    unfolded_.push_back(&stored);
  } else {
    cache_.reset();
    unfolded_.clear();
  }
  if (outcome != nullptr) *outcome = AddOutcome::kAdded;
  return Status::ok();
}

Status Model::add_all(const std::vector<Op>& batch) {
  for (const Op& op : batch) TS_RETURN_IF_ERROR(validate_op(op));
  // Each id must have one content across the stored ops and the batch.
  std::map<OpId, const Op*> batch_ops;
  for (const Op& op : batch) {
    auto stored = ops_.find(op.id);
    if (stored != ops_.end() && !(stored->second == op)) return equivocation_error(op.id);
    auto [earlier, inserted] = batch_ops.emplace(op.id, &op);
    if (!inserted && !(*earlier->second == op)) return equivocation_error(op.id);
  }
  for (const Op& op : batch) {
    const Status status = add(op);
    TS_ASSERT(status.is_ok());  // checked above
  }
  return Status::ok();
}

std::vector<Op> Model::sorted_ops() const {
  std::vector<Op> ops;
  ops.reserve(ops_.size());
  for (const auto& [id, op] : ops_) ops.push_back(op);
  std::sort(ops.begin(), ops.end(), canonical_less);
  for (std::size_t i = 1; i < ops.size(); ++i) TS_ASSERT(ops[i - 1].key() < ops[i].key());
  return ops;
}

const Model::Folded& Model::folded() const {
  if (cache_ && unfolded_.empty()) return *cache_;
  if (!cache_) {
    // Fold everything afresh: every stored op is unfolded.
    cache_.emplace();
    cache_max_key_.reset();
    unfolded_.clear();
    unfolded_.reserve(ops_.size());
    for (const auto& [id, op] : ops_) unfolded_.push_back(&op);
  }
  // Every unfolded op sorts after the cache's last op: fold them on, in canonical order.
  std::sort(unfolded_.begin(), unfolded_.end(),
            [](const Op* a, const Op* b) { return canonical_less(*a, *b); });
  for (const Op* op : unfolded_) {
    TS_ASSERT(!cache_max_key_ || *cache_max_key_ < op->key());
    cache_->tree.apply(*op);
    cache_max_key_ = op->key();
  }
  unfolded_.clear();
  Folded& folded = *cache_;
  folded.tree.check_invariants();
  folded.stored_children.clear();
  for (const auto& [node, state] : folded.tree.nodes()) {
    if (state.parent && !state.parent->is_trash()) {
      // Nodes are visited by id, so each children list comes out sorted by id.
      folded.stored_children[*state.parent].push_back(node);
    }
  }
  return folded;
}

SeenCounters Model::subtree_counters(const Folded& folded, NodeId node) const {
  SeenCounters svv;
  if (folded.tree.find(node) == nullptr) return svv;
  std::set<NodeId> visited;
  std::vector<NodeId> stack = {node};
  while (!stack.empty()) {
    const NodeId current = stack.back();
    stack.pop_back();
    // Stored state is acyclic and each node has one parent, so no node is reached twice.
    TS_ASSERT(visited.insert(current).second);
    svv.merge(folded.tree.find(current)->last_change);
    if (const PayloadState* payload = folded.tree.find_payload(current)) {
      svv.observe(payload->writer.id());
    }
    auto children = folded.stored_children.find(current);
    if (children == folded.stored_children.end()) continue;
    for (NodeId child : children->second) stack.push_back(child);
  }
  return svv;
}

bool Model::tombstoned_in(const Folded& folded, NodeId node) const {
  const NodeState* state = folded.tree.find(node);
  if (state == nullptr || !state->deleted_at) return false;
  return state->deleted_at->is_aware_of(subtree_counters(folded, node));
}

Snapshot Model::snapshot() const {
  const Folded& state = folded();
  Snapshot snapshot;
  for (const auto& [node, node_state] : state.tree.nodes()) {
    if (node.is_reserved()) continue;
    SnapshotRow row;
    row.node = node;
    row.parent = node_state.parent;
    row.order_key = node_state.order_key;
    row.tombstoned = tombstoned_in(state, node);
    row.last_change = node_state.last_change.to_version_vector();
    if (node_state.deleted_at) row.deleted_at = node_state.deleted_at->to_version_vector();
    if (const PayloadState* payload = state.tree.find_payload(node)) {
      row.payload = payload->value;
      row.writer = payload->writer;
    }
    snapshot.rows.push_back(std::move(row));
  }
  TS_ASSERT(snapshot.is_canonical());
  return snapshot;
}

VisibleTree Model::visible_tree() const { return derive_visible_tree(snapshot()); }

std::vector<NodeId> Model::children(NodeId parent) const {
  const Folded& state = folded();
  if (parent.is_trash()) return {};
  auto it = state.stored_children.find(parent);
  if (it == state.stored_children.end()) return {};
  std::vector<NodeId> visible;
  for (NodeId child : it->second) {
    if (!tombstoned_in(state, child)) visible.push_back(child);
  }
  std::sort(visible.begin(), visible.end(), [&](NodeId a, NodeId b) {
    return std::tie(state.tree.find(a)->order_key, a) < std::tie(state.tree.find(b)->order_key, b);
  });
  return visible;
}

std::optional<NodeId> Model::parent(NodeId node) const {
  const Folded& state = folded();
  const NodeState* node_state = state.tree.find(node);
  if (node_state == nullptr || !node_state->parent) return std::nullopt;
  if (node_state->parent->is_trash()) return std::nullopt;
  if (tombstoned_in(state, node)) return kTrash;
  return node_state->parent;
}

std::optional<std::string> Model::payload(NodeId node) const {
  const PayloadState* payload = folded().tree.find_payload(node);
  if (payload == nullptr) return std::nullopt;
  return payload->value;
}

bool Model::is_tombstoned(NodeId node) const { return tombstoned_in(folded(), node); }

bool Model::is_known(NodeId node) const { return folded().tree.find(node) != nullptr; }

VersionVector Model::subtree_version_vector(NodeId node) const {
  return subtree_counters(folded(), node).to_version_vector();
}

void Model::check_invariants() const {
  const Folded& state = folded();
  state.tree.check_invariants();
  TS_ASSERT(!tombstoned_in(state, kRoot));
  const Snapshot snap = snapshot();
  for (const SnapshotRow& row : snap.rows) {
    // parent() is the stored parent, TRASH for a tombstone, none when detached or trashed.
    const std::optional<NodeId> reported = parent(row.node);
    if (!row.parent || row.parent->is_trash()) {
      TS_ASSERT(!reported.has_value());
    } else if (row.tombstoned) {
      TS_ASSERT(reported == kTrash);
    } else {
      TS_ASSERT(reported == row.parent);
    }
  }
  // The visible tree's lists are exactly what children() returns for each visible node.
  const VisibleTree tree = derive_visible_tree(snap);
  for (const auto& [node, list] : tree.children) TS_ASSERT(children(node) == list);
}

}  // namespace treesim::model
