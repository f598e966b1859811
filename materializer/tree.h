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
#include <map>
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

struct NodeIdHash {
  std::size_t operator()(const NodeId& id) const {
    // Lookup only: never iterated where order could reach output.
    return static_cast<std::size_t>(id.low * 0x9E3779B97F4A7C15ull ^ id.high);
  }
};

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

  ReplicaTable& replicas() { return replicas_; }
  const ReplicaTable& replicas() const { return replicas_; }

  // ROOT and every known node. TRASH is never a node.
  std::size_t node_count() const { return nodes_.size(); }
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
  // Node ids whose node or payload entry changed since begin() (ROOT included), in id order,
  // and whether each one's value now differs from its value at begin().
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

  // Verifies: ROOT present and detached; no TRASH entry; every stored parent is ROOT, TRASH or
  // known; the children index equals the parent pointers; no parent cycle; every VV normalized.
  // Returns a description of the first violation, or none. O(n).
  std::optional<std::string> check_invariants() const;

 private:
  struct Original {
    std::optional<Node> node;
    std::optional<Payload> payload;
  };
  void remember(NodeId node);
  void index_insert(NodeId parent, const ChildEntry& entry);
  void index_erase(NodeId parent, const ChildEntry& entry);
  // Restores one node and payload entry to `original` (used by rollback and assign_from).
  void restore(NodeId node, const std::optional<Node>& value,
               const std::optional<Payload>& payload);

  ReplicaTable replicas_;
  // Hash maps for lookup speed. Every walk over them (snapshot, assign_from, check_invariants)
  // collects and sorts ids first, so their order never reaches a snapshot, message or trace.
  std::unordered_map<NodeId, Node, NodeIdHash> nodes_;
  std::unordered_map<NodeId, Payload, NodeIdHash> payloads_;
  std::unordered_map<NodeId, ChildSet, NodeIdHash> children_;

  bool journaling_ = false;
  // Ordered so changed_nodes() is deterministic without sorting.
  std::map<NodeId, Original> journal_;
};

}  // namespace treesim
