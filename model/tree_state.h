// The materialized state of SEMANTICS.md §4 and `apply(op)`, rule by rule, for the reference
// model. The model builds a fresh TreeState and applies every op in canonical order; nothing
// here is incremental beyond that one fold, so each rule can be read against the spec directly.
//
// Known nodes: a node id (other than ROOT and TRASH) is known as soon as any applied op names
// it, as `node` of any kind or as the parent of an Insert or Move, whether or not the op's rule
// then skips. A known node that no rule attached is a detached placeholder: no parent, empty
// key, empty last_change. This makes the set of known nodes (the snapshot's rows) a function
// of the set of ops alone, independent of their order and of which ops were skipped.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/node_id.h"
#include "core/op.h"
#include "model/counter_set.h"

namespace treesim::model {

// Structural state of one node. ROOT has one too (no parent, empty key); TRASH never does.
struct NodeState {
  // None: detached (a placeholder, or ROOT). TRASH: moved (or inserted) to TRASH.
  std::optional<NodeId> parent;
  std::string order_key;
  SeenCounters last_change;
  // None until a Delete or Tombstone of the node applies.
  std::optional<SeenCounters> deleted_at;
};

// The payload register of one node: the last-writer-wins winner so far.
struct PayloadState {
  std::optional<std::string> value;  // none: cleared
  OpKey writer;                      // key (and so id) of the op that set `value`
};

class TreeState {
 public:
  // The initial state: only ROOT, with no parent, an empty key and no payload.
  TreeState();

  // Applies one op by the rules of SEMANTICS.md §4. The caller applies ops in canonical order;
  // that is what makes the result the canonical state. The op must be valid (validate_op).
  void apply(const Op& op);

  // ROOT and every known node, by id.
  const std::map<NodeId, NodeState>& nodes() const { return nodes_; }
  // The node's state, or nullptr if it is neither ROOT nor known.
  const NodeState* find(NodeId node) const;
  // The node's payload register, or nullptr if no payload op ever won on it. ROOT and TRASH
  // may have one: the payload rule has no exception for them.
  const PayloadState* find_payload(NodeId node) const;

  // Asserts the structural invariants: ROOT present and detached, no TRASH entry, every stored
  // parent is ROOT, TRASH or a known node, and walking up stored parents never loops. O(n^2)
  // in the worst case, which is fine for the model.
  void check_invariants() const;

 private:
  void apply_insert(const Op& op);
  void apply_move(const Op& op);
  void apply_delete(const Op& op);
  // The payload rule: `key` wins iff the node has no writer or its writer's key is smaller.
  void apply_payload_rule(NodeId node, const std::optional<std::string>& value, const OpKey& key);

  // Creates a detached placeholder for `node` unless it is ROOT, TRASH or already known.
  void make_known(NodeId node);
  // Whether walking up from `start` through stored parents reaches `node`. The walk stops at
  // ROOT, TRASH or a node with no parent.
  bool reaches_by_walking_up(NodeId start, NodeId node) const;
  // Merges dot(id) into last_change of `node`, which must be ROOT or known.
  void add_dot(NodeId node, const OpId& id);

  std::map<NodeId, NodeState> nodes_;
  std::map<NodeId, PayloadState> payloads_;
};

}  // namespace treesim::model
