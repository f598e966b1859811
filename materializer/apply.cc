#include "materializer/apply.h"

#include <vector>

#include "materializer/mutants.h"

namespace treesim {
namespace {

Status cycle_error(const char* walk, NodeId from, std::size_t limit) {
  return Status::internal(std::string(walk) + " from " + from.to_display() + " exceeded " +
                          std::to_string(limit) + " steps: the stored tree has a cycle");
}

// Calls `visit` on `start` and each of its ancestors (nodes only: the walk stops before TRASH
// and after ROOT or a detached node).
template <typename Visit>
Status for_each_ancestor_or_self(const Tree& tree, NodeId start, Visit visit) {
  Status failure;
  const Tree::WalkEnd end = tree.walk_up(start, [&](NodeId at, const Tree::Node& node) {
    failure = visit(at, node);
    return failure.is_ok();
  });
  if (end == Tree::WalkEnd::kCycle) return cycle_error("ancestor walk", start, tree.node_count());
  return failure;
}

// Calls `visit` on every node of the stored subtree of `root` (itself included) until it
// returns false. Returns whether the walk completed.
template <typename Visit>
Result<bool> for_each_in_subtree(const Tree& tree, NodeId root, Visit visit) {
  std::vector<NodeId> stack = {root};
  std::size_t visited = 0;
  while (!stack.empty()) {
    const NodeId at = stack.back();
    stack.pop_back();
    if (++visited > tree.node_count()) return cycle_error("subtree walk", root, tree.node_count());
    if (!visit(at)) return false;
    if (const Tree::ChildSet* children = tree.children(at)) {
      for (const Tree::ChildEntry& child : *children) stack.push_back(child.node);
    }
  }
  return true;
}

bool writer_dot_in(const Tree& tree, const Tree::Payload& payload,
                   const CompactVersionVector& vv) {
  const auto replica = tree.replicas().find(payload.writer.replica);
  return replica && vv.contains(*replica, payload.writer.counter);
}

// The applier of one op: the tree, the op's dot, and the record being written.
class Step {
 public:
  Step(Tree& tree, const Op& op, Probes* probes) : tree_(tree), op_(op), probes_(probes) {
    record_.key = op.key();
    record_.node = op.node;
    replica_ = tree_.replicas().intern(op.id.replica);
  }

  Result<UndoRecord> run() {
    switch (op_.kind) {
      case OpKind::kInsert:
        TS_RETURN_IF_ERROR(insert());
        break;
      case OpKind::kMove:
        TS_RETURN_IF_ERROR(move());
        break;
      case OpKind::kDelete:
      case OpKind::kTombstone:
        TS_RETURN_IF_ERROR(remove());
        break;
      case OpKind::kPayload:
        make_known(op_.node);
        TS_RETURN_IF_ERROR(payload_rule());
        if (mutant_active(Mutant::kPayloadAddsDot) && !op_.node.is_reserved()) {
          // Planted bug (payload-adds-dot): the payload op's dot joins last_change too.
          add_dot(op_.node);
        }
        break;
    }
    return std::move(record_);
  }

 private:
  void make_known(NodeId node) {
    if (tree_.create(node)) record_.created_nodes.push_back(node);
  }

  void add_dot(NodeId node) {
    const bool added = tree_.edit(node).last_change.observe(replica_, op_.id.counter);
    TS_ASSERT(added);  // an op's dot is unique to it
    record_.dotted_nodes.push_back(node);
  }

  void hit(Probe probe) {
    if (probes_) probes_->hit(probe);
  }

  void set_tombstoned(NodeId node, bool value) {
    const Tree::Node* state = tree_.find(node);
    if (state->tombstoned == value) return;
    hit(value ? Probe::kTombstone : Probe::kRevive);
    record_.previous_tombstoned.push_back({node, state->tombstoned});
    tree_.edit(node).tombstoned = value;
  }

  Status recompute(NodeId node) {
    TS_ASSIGN_OR_RETURN(const bool tombstoned, compute_tombstoned(tree_, node));
    set_tombstoned(node, tombstoned);
    return Status::ok();
  }

  // SVV of `start` and its ancestors gained `dot`; if `more_may_have_joined`, other counters
  // may have joined too (a subtree moved in) or left (a subtree or old writer moved out), so a
  // covered dot proves nothing and the flag is recomputed.
  Status refresh_chain(NodeId start, ReplicaIndex replica, std::uint64_t counter,
                       bool more_may_have_changed) {
    bool revived = false;  // mutant stale-tombstone-cache only
    return for_each_ancestor_or_self(tree_, start, [&](NodeId at, const Tree::Node& node) {
      // Planted bug (stale-tombstone-cache): after a revive, the ancestors are left as they are.
      if (revived) return Status::ok();
      if (!node.deleted_at) return Status::ok();
      if (!node.deleted_at->contains(replica, counter)) {
        if (mutant_active(Mutant::kStaleTombstoneCache) && node.tombstoned) revived = true;
        set_tombstoned(at, false);
        return Status::ok();
      }
      return more_may_have_changed ? recompute(at) : Status::ok();
    });
  }

  // SVV of `start` and its ancestors lost counters only: every flag is recomputed.
  Status refresh_chain_after_loss(NodeId start) {
    return for_each_ancestor_or_self(tree_, start, [&](NodeId at, const Tree::Node& node) {
      return node.deleted_at ? recompute(at) : Status::ok();
    });
  }

  // Detaches op.node and attaches it under `parent` with the op's key, then refreshes flags.
  // `dot_old_parent` distinguishes Move (the old parent gets the dot) from Insert.
  Status attach(NodeId parent, bool dot_old_parent) {
    const NodeId node = op_.node;
    const Tree::Node* state = tree_.find(node);
    const std::optional<NodeId> old_parent = state->parent;
    record_.structural_applied = true;
    record_.previous_parent = old_parent;
    record_.previous_order_key = state->order_key;
    tree_.set_position(node, parent, op_.order_key);

    add_dot(node);
    const bool old_parent_is_node = old_parent && !old_parent->is_trash();
    if (mutant_active(Mutant::kMoveNoOldParentDot)) {
      // Planted bug (move-no-old-parent-dot): the old parent is treated as an Insert's would be.
      dot_old_parent = false;
    }
    if (dot_old_parent && old_parent_is_node) add_dot(*old_parent);
    if (!parent.is_trash() && !(dot_old_parent && old_parent_is_node && *old_parent == parent)) {
      add_dot(parent);
    }

    // The node's own SVV gained only the dot; its subtree is unchanged.
    TS_RETURN_IF_ERROR(refresh_chain_self(node));
    // The old chain lost the subtree (and, for a move, gained the dot).
    if (old_parent_is_node) {
      if (dot_old_parent) {
        TS_RETURN_IF_ERROR(refresh_chain(*old_parent, replica_, op_.id.counter, true));
      } else {
        TS_RETURN_IF_ERROR(refresh_chain_after_loss(*old_parent));
      }
    }
    // The new chain gained the whole subtree.
    if (!parent.is_trash()) {
      TS_RETURN_IF_ERROR(refresh_chain(parent, replica_, op_.id.counter, true));
    }
    return Status::ok();
  }

  Status refresh_chain_self(NodeId node) {
    const Tree::Node* state = tree_.find(node);
    if (state->deleted_at && !state->deleted_at->contains(replica_, op_.id.counter)) {
      set_tombstoned(node, false);
    }
    return Status::ok();
  }

  Status insert() {
    make_known(op_.node);
    make_known(op_.parent);
    bool skipped = op_.node.is_reserved() || op_.parent == op_.node;
    if (skipped) hit(Probe::kSelfOrReservedSkip);
    if (!skipped) {
      TS_ASSIGN_OR_RETURN(const bool cycle, reaches_by_walking_up(tree_, op_.parent, op_.node));
      if (cycle) hit(Probe::kCycleSkip);
      skipped = cycle;
    }
    if (!skipped) TS_RETURN_IF_ERROR(attach(op_.parent, /*dot_old_parent=*/false));
    if (op_.payload) TS_RETURN_IF_ERROR(payload_rule());
    return Status::ok();
  }

  Status move() {
    make_known(op_.node);
    make_known(op_.parent);
    if (op_.node.is_reserved() || op_.parent == op_.node) {
      hit(Probe::kSelfOrReservedSkip);
      return Status::ok();
    }
    if (!op_.parent.is_trash()) {
      TS_ASSIGN_OR_RETURN(const bool cycle, reaches_by_walking_up(tree_, op_.parent, op_.node));
      if (cycle) {
        hit(Probe::kCycleSkip);
        return Status::ok();
      }
    }
    return attach(op_.parent, /*dot_old_parent=*/true);
  }

  Status remove() {
    make_known(op_.node);
    if (op_.node.is_reserved()) return Status::ok();
    CompactVersionVector deleted = CompactVersionVector::dot(replica_, op_.id.counter);
    if (op_.known_state) {
      deleted.merge(CompactVersionVector::from_core(*op_.known_state, tree_.replicas()));
    }
    Tree::Node& state = tree_.edit(op_.node);
    if (!state.deleted_at) {
      record_.deleted_at_was_absent = true;
      record_.deleted_at_added = deleted.to_core(tree_.replicas());
      state.deleted_at = std::move(deleted);
    } else {
      record_.deleted_at_added =
          state.deleted_at->merge_reporting_added(deleted).to_core(tree_.replicas());
    }
    // deleted_at only grew: a tombstoned node stays tombstoned; otherwise look again.
    if (!tree_.find(op_.node)->tombstoned) return recompute(op_.node);
    return Status::ok();
  }

  Status payload_rule() {
    const NodeId node = op_.node;
    const Tree::Payload* current = tree_.find_payload(node);
    const OpKey key = op_.key();
    // Applied in canonical order, a payload op always sorts after the current writer; the
    // comparison is the contract's rule all the same (and what keeps a replay idempotent).
    if (current && current->writer >= key) return Status::ok();
    record_.payload_applied = true;
    record_.previous_payload_present = current != nullptr;
    if (current) {
      record_.previous_value = current->value;
      record_.previous_writer = current->writer;
    }
    const bool replaced_writer = current != nullptr;
    tree_.set_payload(node, Tree::Payload{op_.payload, key});
    // ROOT and TRASH may hold a register, but are in no deletable subtree's SVV... except ROOT,
    // which no delete can tombstone; nothing to refresh for either.
    if (node.is_reserved()) return Status::ok();
    return refresh_chain(node, replica_, op_.id.counter, replaced_writer);
  }

  Tree& tree_;
  const Op& op_;
  Probes* probes_;
  ReplicaIndex replica_ = 0;
  UndoRecord record_;
};

}  // namespace

// Walks the subtree and stops at the first counter deleted_at has not seen.
Result<bool> compute_tombstoned(const Tree& tree, NodeId node) {
  const Tree::Node* state = tree.find(node);
  if (!state || !state->deleted_at) return false;
  const CompactVersionVector& deleted = *state->deleted_at;
  return for_each_in_subtree(tree, node, [&](NodeId member) {
    const Tree::Node* m = tree.find(member);
    if (!deleted.is_aware_of(m->last_change)) return false;
    const Tree::Payload* payload = tree.find_payload(member);
    return payload == nullptr || writer_dot_in(tree, *payload, deleted);
  });
}

Result<bool> reaches_by_walking_up(const Tree& tree, NodeId start, NodeId target) {
  if (start == target) return true;
  const Tree::WalkEnd end = tree.walk_up(start, [&](NodeId at, const Tree::Node& node) {
    // Planted bug (cycle-walk-stops-at-placeholder): a detached node ends the walk before it is
    // compared with the target.
    if (mutant_active(Mutant::kCycleWalkStopsAtPlaceholder) && !node.parent) return true;
    return at != target;
  });
  if (end == Tree::WalkEnd::kCycle) return cycle_error("parent walk", start, tree.node_count());
  return end == Tree::WalkEnd::kStopped;
}

Result<CompactVersionVector> subtree_version_vector(const Tree& tree, NodeId node) {
  CompactVersionVector out;
  if (!tree.find(node)) return out;
  TS_ASSIGN_OR_RETURN(const bool complete, for_each_in_subtree(tree, node, [&](NodeId member) {
                        out.merge(tree.find(member)->last_change);
                        if (const Tree::Payload* payload = tree.find_payload(member)) {
                          const auto replica = tree.replicas().find(payload->writer.replica);
                          TS_ASSERT(replica.has_value());
                          out.observe(*replica, payload->writer.counter);
                        }
                        return true;
                      }));
  TS_ASSERT(complete);
  return out;
}

Result<UndoRecord> apply_op(Tree& tree, const Op& op, Probes* probes) {
  return Step(tree, op, probes).run();
}

Status undo_op(Tree& tree, const UndoRecord& record) {
  for (auto it = record.previous_tombstoned.rbegin(); it != record.previous_tombstoned.rend();
       ++it) {
    tree.edit(it->first).tombstoned = it->second;
  }
  if (record.payload_applied) {
    if (record.previous_payload_present) {
      tree.set_payload(record.node, Tree::Payload{record.previous_value, record.previous_writer});
    } else {
      tree.set_payload(record.node, std::nullopt);
    }
  }
  if (record.deleted_at_added) {
    Tree::Node& state = tree.edit(record.node);
    TS_ASSERT(state.deleted_at.has_value());
    if (record.deleted_at_was_absent) {
      state.deleted_at.reset();
    } else {
      state.deleted_at->subtract(
          CompactVersionVector::from_core(*record.deleted_at_added, tree.replicas()));
    }
  }
  if (!record.dotted_nodes.empty()) {
    const auto replica = tree.replicas().find(record.key.replica);
    TS_ASSERT(replica.has_value());
    for (NodeId node : record.dotted_nodes) {
      const bool erased = tree.edit(node).last_change.erase(*replica, record.key.counter);
      if (!erased) {
        return Status::internal("undo of " + record.key.to_display() + ": dot missing on " +
                                node.to_display());
      }
    }
  }
  if (record.structural_applied) {
    tree.set_position(record.node, record.previous_parent, record.previous_order_key);
  }
  for (auto it = record.created_nodes.rbegin(); it != record.created_nodes.rend(); ++it) {
    tree.erase(*it);
  }
  return Status::ok();
}

}  // namespace treesim
