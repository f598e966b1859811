#include "model/tree_state.h"

#include "core/assert.h"

namespace treesim::model {

TreeState::TreeState() { nodes_[kRoot] = NodeState{}; }

const NodeState* TreeState::find(NodeId node) const {
  auto it = nodes_.find(node);
  return it == nodes_.end() ? nullptr : &it->second;
}

const PayloadState* TreeState::find_payload(NodeId node) const {
  auto it = payloads_.find(node);
  return it == payloads_.end() ? nullptr : &it->second;
}

void TreeState::apply(const Op& op) {
  switch (op.kind) {
    case OpKind::kInsert:
      apply_insert(op);
      return;
    case OpKind::kMove:
      apply_move(op);
      return;
    case OpKind::kDelete:
    case OpKind::kTombstone:
      apply_delete(op);
      return;
    case OpKind::kPayload:
      make_known(op.node);
      apply_payload_rule(op.node, op.payload, op.key());
      return;
  }
  TS_UNREACHABLE();
}

void TreeState::apply_insert(const Op& op) {
  make_known(op.node);
  make_known(op.parent);
  // 1. The structural part is skipped for a reserved node, a self-parent or a cycle.
  const bool structural_skipped =
      op.node.is_reserved() || op.parent == op.node || reaches_by_walking_up(op.parent, op.node);
  if (!structural_skipped) {
    // 2. Attach under the parent; the old parent (if any) gets no dot.
    NodeState& state = nodes_.at(op.node);
    state.parent = op.parent;
    state.order_key = op.order_key;
    add_dot(op.node, op.id);
    // TRASH keeps no state: a dot on it could never be observed, since TRASH is in no subtree.
    if (!op.parent.is_trash()) add_dot(op.parent, op.id);
  }
  // 3. The payload part is independent of the structural part; absent means "leave untouched".
  if (op.payload) apply_payload_rule(op.node, op.payload, op.key());
}

void TreeState::apply_move(const Op& op) {
  make_known(op.node);
  make_known(op.parent);
  const NodeId new_parent = op.parent;
  // 1. Skipped entirely for a reserved node, or when attaching (not trashing) would loop.
  if (op.node.is_reserved()) return;
  if (!new_parent.is_trash() &&
      (new_parent == op.node || reaches_by_walking_up(new_parent, op.node))) {
    return;
  }
  // 2. Detach, attach, and dot the node, the old parent and the new parent (never TRASH).
  NodeState& state = nodes_.at(op.node);
  const std::optional<NodeId> old_parent = state.parent;
  state.parent = new_parent;
  state.order_key = op.order_key;
  add_dot(op.node, op.id);
  if (old_parent && !old_parent->is_trash()) add_dot(*old_parent, op.id);
  if (!new_parent.is_trash()) add_dot(new_parent, op.id);
}

void TreeState::apply_delete(const Op& op) {
  make_known(op.node);
  if (op.node.is_reserved()) return;
  SeenCounters deleted = SeenCounters::dot(op.id);
  if (op.known_state) deleted.merge(SeenCounters::from_version_vector(*op.known_state));
  NodeState& state = nodes_.at(op.node);
  if (state.deleted_at) {
    state.deleted_at->merge(deleted);
  } else {
    state.deleted_at = std::move(deleted);
  }
}

void TreeState::apply_payload_rule(NodeId node, const std::optional<std::string>& value,
                                   const OpKey& key) {
  auto it = payloads_.find(node);
  if (it != payloads_.end() && it->second.writer >= key) return;
  payloads_[node] = PayloadState{value, key};
}

void TreeState::make_known(NodeId node) {
  if (node.is_reserved()) return;
  // try_emplace leaves an existing node untouched.
  nodes_.try_emplace(node);
}

bool TreeState::reaches_by_walking_up(NodeId start, NodeId node) const {
  NodeId current = start;
  // The stored state is acyclic, so the walk visits each node at most once; the bound turns a
  // broken invariant into an assertion instead of an endless loop.
  for (std::size_t steps = 0; steps <= nodes_.size(); ++steps) {
    if (current == node) return true;
    if (current.is_root() || current.is_trash()) return false;
    const NodeState* state = find(current);
    TS_ASSERT(state != nullptr);
    if (!state->parent) return false;
    current = *state->parent;
  }
  TS_UNREACHABLE();  // a cycle in stored parents
}

void TreeState::add_dot(NodeId node, const OpId& id) {
  TS_ASSERT(!node.is_trash());
  nodes_.at(node).last_change.observe(id);
}

void TreeState::check_invariants() const {
  const NodeState* root = find(kRoot);
  TS_ASSERT(root != nullptr);
  TS_ASSERT(!root->parent.has_value());
  TS_ASSERT(root->deleted_at == std::nullopt);
  TS_ASSERT(find(kTrash) == nullptr);
  for (const auto& [node, state] : nodes_) {
    if (state.parent) {
      const NodeId parent = *state.parent;
      TS_ASSERT(parent != node);
      TS_ASSERT(parent.is_trash() || find(parent) != nullptr);
    }
    // Walking up from every node ends at ROOT, TRASH or a detached node within n steps.
    NodeId current = node;
    std::size_t steps = 0;
    while (true) {
      if (current.is_root() || current.is_trash()) break;
      const NodeState* current_state = find(current);
      if (!current_state->parent) break;
      current = *current_state->parent;
      ++steps;
      TS_ASSERT(steps <= nodes_.size());
    }
  }
}

}  // namespace treesim::model
