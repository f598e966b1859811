// Tree: the materializer's in-memory working copy of the materialized state.
//
// It holds what the store's node and payload rows hold (SEMANTICS.md §4: parent, order key,
// last_change, deleted_at, cached tombstone flag; payload registers), plus a children index
// sorted by (order_key, node id) that the store does not need. Reads are served from here; the
// store is written from here at the end of every call.
//
// Change journal: between begin() and commit()/rollback(), the first change to a node or payload
// register records its previous value. commit() hands the materializer the set of changed ids
// (the rows to write, and the exact "affected nodes" of the call); rollback() restores every
// recorded value, so a failed call leaves no trace in memory either.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/container/flat_set.hpp>

#include "core/node_id.h"
#include "core/op.h"
#include "core/snapshot.h"
#include "materializer/compact_version_vector.h"
#include "materializer/replica_table.h"

namespace treesim {

class Tree {
 public:
  struct Node {
    std::optional<NodeId> parent;  // none: detached (placeholder, or ROOT)
    std::string order_key;
    CompactVersionVector last_change;
    std::optional<CompactVersionVector> deleted_at;
    bool tombstoned = false;

    friend bool operator==(const Node&, const Node&) = default;
  };
  struct Payload {
    std::optional<std::string> value;  // none: cleared
    OpKey writer;

    friend bool operator==(const Payload&, const Payload&) = default;
  };
  struct ChildEntry {
    std::string order_key;
    NodeId node;

    friend auto operator<=>(const ChildEntry&, const ChildEntry&) = default;
    friend bool operator==(const ChildEntry&, const ChildEntry&) = default;
  };
  using ChildSet = boost::container::flat_set<ChildEntry>;

  // Only ROOT: detached, empty key, no payload. A tree that will be assign_from()'d into
  // another starts with a copy of that tree's replica table, so both use the same indices.
  Tree();
  explicit Tree(ReplicaTable replicas);
  // A copy's parent caches would point into the original: copying invalidates them.
  Tree(const Tree& other);
  Tree& operator=(const Tree& other);
  Tree(Tree&&) = default;
  Tree& operator=(Tree&&) = default;

  ReplicaTable& replicas() { return replicas_; }
  const ReplicaTable& replicas() const { return replicas_; }

  // ROOT and every known node. TRASH is never a node.
  std::size_t node_count() const { return nodes_.size(); }
  // Their ids (ROOT's included), in id order.
  std::vector<NodeId> sorted_ids() const;
  bool contains(NodeId node) const { return nodes_.count(node) != 0; }
  const Node* find(NodeId node) const;
  const Payload* find_payload(NodeId node) const;
  // Stored children of `parent` (tombstoned ones included), ordered by (order_key, node id);
  // nullptr if it has none. TRASH has no children list.
  const ChildSet* children(NodeId parent) const;

  // --- mutations (journaled) ---
  // Makes `node` known as a detached placeholder. Returns false if it already was (or is ROOT
  // or TRASH, which are never created).
  bool create(NodeId node);
  // Forgets a node that is a detached placeholder with empty state and no children (the undo of
  // create()).
  void erase(NodeId node);
  // Moves `node` to `parent` (none = detached) with `order_key`, keeping the index in step.
  void set_position(NodeId node, std::optional<NodeId> parent, std::string order_key);
  // Mutable access to the version vectors and flag of a node (records it as changed).
  Node& edit(NodeId node);
  void set_payload(NodeId node, std::optional<Payload> payload);

  // --- loading from the store (outside any transaction; not journaled) ---
  // Sets a node's state (ROOT included), replacing any previous one, and indexes it.
  void load_node(NodeId node, Node state);
  void load_payload(NodeId node, Payload payload);

  // --- change journal ---
  void begin();
  bool in_transaction() const { return journaling_; }
  // One node whose node or payload entry now differs from its value at begin(), and which of
  // the two differ.
  struct Change {
    NodeId node;
    bool node_changed = false;
    bool payload_changed = false;
  };
  // The nodes (ROOT included) whose node or payload entry now differs from its value at
  // begin(), in id order: the rows a call must write, and no other.
  std::vector<Change> changes() const;
  // The ids of changes().
  std::vector<NodeId> changed_nodes() const;
  void commit();
  void rollback();

  // Replaces the whole state by `other` (whose replica table extends this one's), journaling only the
  // entries that differ: the catch-up strategies that fold the log afresh use it, so the flush
  // writes only changed rows and a failure can still roll back.
  void assign_from(const Tree& other);

  // --- derived ---
  // The canonical snapshot (SEMANTICS.md §6) of the current state.
  Snapshot snapshot() const;
  // The canonical row of one node (not ROOT); the state must contain it.
  SnapshotRow snapshot_row(NodeId node) const;
  // derive_visible_tree(snapshot()), read straight off the children index: O(visible nodes),
  // without building rows.
  VisibleTree visible_tree() const;

  // Walks from `start` up through stored parents: calls `visit(id, node)` on `start` (if known)
  // and on each ancestor until `visit` returns false, or after ROOT, a detached node, a node
  // whose parent is TRASH, or a parent that is unknown. Ancestor links are cached between
  // walks, so a walk costs one memory access per level instead of a hash lookup.
  enum class WalkEnd : std::uint8_t { kTop, kStopped, kCycle };
  template <typename Visit>
  WalkEnd walk_up(NodeId start, Visit visit) const;

  // Verifies: ROOT present and detached; no TRASH entry; every stored parent is ROOT, TRASH or
  // known; the children index equals the parent pointers; no parent cycle; every VV normalized.
  // Returns a description of the first violation, or none. O(n).
  std::optional<std::string> check_invariants() const;

 private:
  struct Original {
    std::optional<Node> node;
    std::optional<Payload> payload;
  };
  // A node as stored, with its id and a cached pointer to its parent's entry. The cache is
  // valid while `cache_epoch == epoch_`: entries never move in the hash map (its references are
  // stable), and every erasure of an entry bumps epoch_, so a valid cache never dangles.
  struct Entry {
    explicit Entry(NodeId id_in) : id(id_in) {}
    NodeId id;
    Node node;
    mutable const Entry* parent_entry = nullptr;
    mutable std::uint64_t cache_epoch = 0;  // 0: never valid (epoch_ starts at 1)
  };
  const Entry* find_entry(NodeId node) const;
  // The entry of `entry`'s parent (nullptr: detached, under TRASH, or unknown parent).
  const Entry* parent_entry(const Entry& entry) const;
  void forget_entry(std::unordered_map<NodeId, Entry, NodeIdHash>::iterator it);

  void remember(NodeId node);
  void index_insert(NodeId parent, const ChildEntry& entry);
  void index_erase(NodeId parent, const ChildEntry& entry);
  // Restores one node and payload entry to `original` (used by rollback and assign_from).
  void restore(NodeId node, const std::optional<Node>& value,
               const std::optional<Payload>& payload);

  ReplicaTable replicas_;
  // Hash maps for lookup speed. Every walk over them (snapshot, assign_from, check_invariants)
  // collects and sorts ids first, so their order never reaches a snapshot, message or trace.
  std::unordered_map<NodeId, Entry, NodeIdHash> nodes_;
  std::unordered_map<NodeId, Payload, NodeIdHash> payloads_;
  std::unordered_map<NodeId, ChildSet, NodeIdHash> children_;

  // Bumped whenever an entry leaves nodes_ (see Entry).
  std::uint64_t epoch_ = 1;

  bool journaling_ = false;
  // Hashed: remember() is on every write. changed_nodes() sorts; rollback() restores in any
  // order (see there).
  std::unordered_map<NodeId, Original, NodeIdHash> journal_;
};

template <typename Visit>
Tree::WalkEnd Tree::walk_up(NodeId start, Visit visit) const {
  const Entry* at = find_entry(start);
  for (std::size_t steps = 0; at != nullptr; ++steps) {
    if (steps > nodes_.size()) return WalkEnd::kCycle;
    if (!visit(at->id, at->node)) return WalkEnd::kStopped;
    at = parent_entry(*at);
  }
  return WalkEnd::kTop;
}

}  // namespace treesim
