// The reference model: the oracle the harness checks every materializer against.
//
// It keeps the set of accepted ops and nothing else. To answer any question it sorts the ops
// canonically and folds them into a fresh TreeState (SEMANTICS.md §4), then derives defensive
// deletion (§5) and the queries (§6) from that state by plain tree walks. The folded state is
// cached; ops accepted since that all sort after the cached fold's last op are folded on in
// canonical order (the same left fold, continued), any other op drops the cache. So every
// answer equals a full fold of the current op set. Obviously correct, not fast; it depends on
// core/ only, never on materializer/.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/node_id.h"
#include "core/op.h"
#include "core/snapshot.h"
#include "core/status.h"
#include "core/version_vector.h"
#include "model/counter_set.h"
#include "model/tree_state.h"

namespace treesim::model {

enum class AddOutcome {
  kAdded,      // a new op id: the op is now in the set
  kDuplicate,  // the same op (id and content) was already in the set: nothing changed
};

class Model {
 public:
  Model() = default;
  // A copy refolds on its first query (the cache's pointers name the original's ops); a move
  // keeps it (std::map's nodes move with it).
  Model(const Model& other) : ops_(other.ops_) {}
  Model& operator=(const Model& other) {
    if (this != &other) {
      ops_ = other.ops_;
      cache_.reset();
      cache_max_key_.reset();
      unfolded_.clear();
    }
    return *this;
  }
  Model(Model&&) = default;
  Model& operator=(Model&&) = default;

  // Accepts one remote or local op (SEMANTICS.md §1-2):
  // - an invalid op (validate_op) returns that kInvalidArgument Status and stores nothing;
  // - an op equal to a stored one is a duplicate: ok, nothing changes;
  // - an op that reuses a stored id with different content returns kEquivocation naming the
  //   id, and the stored op stays.
  // On success, `outcome` (if not null) says whether the op was new.
  Status add(const Op& op, AddOutcome* outcome = nullptr);

  // Accepts a batch atomically, like a materializer's append: every op is validated and checked
  // for equivocation (against the stored ops and within the batch) before any is stored, and the
  // first failure is returned with nothing stored. Duplicates are ignored.
  Status add_all(const std::vector<Op>& batch);

  // Whether an op with this id is stored.
  bool contains(const OpId& id) const { return ops_.count(id) != 0; }
  // Number of distinct ops stored.
  std::size_t op_count() const { return ops_.size(); }
  // Every stored op in canonical order (by Op::key()).
  std::vector<Op> sorted_ops() const;

  // The canonical snapshot (§6): one row per known node except ROOT and TRASH, by node id. A
  // node is known iff some stored op names it (see model/tree_state.h).
  Snapshot snapshot() const;
  // The visible tree derived from snapshot() (core's derive_visible_tree).
  VisibleTree visible_tree() const;

  // Stored children of `parent` that are not tombstoned, ordered by (order_key bytes, node id).
  // Empty for an unknown parent and for TRASH. A tombstoned parent still lists its children.
  std::vector<NodeId> children(NodeId parent) const;
  // None if `node` is unknown, detached (ROOT included) or stored under TRASH; otherwise TRASH
  // if it is tombstoned, else its stored parent. The TRASH-parent check comes first: a node
  // moved to TRASH that is also tombstoned reports none.
  std::optional<NodeId> parent(NodeId node) const;
  // The current payload value, also for tombstoned nodes and for ROOT; none if never set,
  // cleared, or unknown.
  std::optional<std::string> payload(NodeId node) const;
  // Whether `node` is known and tombstoned (§5). ROOT never is.
  bool is_tombstoned(NodeId node) const;
  // Whether `node` is ROOT or a known node.
  bool is_known(NodeId node) const;

  // SVV(node) (§5): the union over the stored subtree of `node` (itself included, tombstoned
  // descendants included) of last_change plus the dot of the current payload writer. This is the
  // known_state a local remove(node) carries. Empty for an unknown node.
  VersionVector subtree_version_vector(NodeId node) const;

  // Asserts the folded state's invariants and that every query agrees with the snapshot.
  void check_invariants() const;

 private:
  // The fold of the current ops plus a children index built from its stored parents.
  struct Folded {
    TreeState tree;
    std::map<NodeId, std::vector<NodeId>> stored_children;  // by parent; TRASH excluded
  };

  // Folds the current ops if the cache is stale, and returns the folded state. The fold is a
  // plain left fold over the sorted ops, so when every op added since the last fold sorts after
  // every op folded so far, folding just those ops (in canonical order) onto the cached state
  // is the same computation as folding everything afresh; any other add drops the cache.
  const Folded& folded() const;
  SeenCounters subtree_counters(const Folded& folded, NodeId node) const;
  bool tombstoned_in(const Folded& folded, NodeId node) const;

  std::map<OpId, Op> ops_;
  mutable std::optional<Folded> cache_;
  // With a cache: the largest key folded into it, and the stored ops added since, each sorting
  // after that key (pointers into ops_, whose nodes never move).
  mutable std::optional<OpKey> cache_max_key_;
  mutable std::vector<const Op*> unfolded_;
};

}  // namespace treesim::model
