#include "materializer/tree.h"

#include <algorithm>
#include <set>

#include "core/assert.h"

namespace treesim {

Tree::Tree() : Tree(ReplicaTable{}) {}

Tree::Tree(ReplicaTable replicas) : replicas_(std::move(replicas)) {
  nodes_.emplace(kRoot, Entry(kRoot));
}

Tree::Tree(const Tree& other)
    : replicas_(other.replicas_),
      nodes_(other.nodes_),
      payloads_(other.payloads_),
      children_(other.children_),
      epoch_(other.epoch_ + 1),
      journaling_(other.journaling_),
      journal_(other.journal_) {}

Tree& Tree::operator=(const Tree& other) {
  if (this == &other) return *this;
  replicas_ = other.replicas_;
  nodes_ = other.nodes_;
  payloads_ = other.payloads_;
  children_ = other.children_;
  // Above both epochs: no copied cache (pointing into `other`) and no old one is valid.
  epoch_ = std::max(epoch_, other.epoch_) + 1;
  journaling_ = other.journaling_;
  journal_ = other.journal_;
  return *this;
}

const Tree::Entry* Tree::find_entry(NodeId node) const {
  auto it = nodes_.find(node);
  return it == nodes_.end() ? nullptr : &it->second;
}

const Tree::Node* Tree::find(NodeId node) const {
  const Entry* entry = find_entry(node);
  return entry ? &entry->node : nullptr;
}

const Tree::Entry* Tree::parent_entry(const Entry& entry) const {
  if (entry.cache_epoch != epoch_) {
    const std::optional<NodeId>& parent = entry.node.parent;
    entry.parent_entry = parent && !parent->is_trash() ? find_entry(*parent) : nullptr;
    entry.cache_epoch = epoch_;
  }
  return entry.parent_entry;
}

void Tree::forget_entry(std::unordered_map<NodeId, Entry, NodeIdHash>::iterator it) {
  nodes_.erase(it);
  ++epoch_;  // a cache may have pointed at the erased entry
}

const Tree::Payload* Tree::find_payload(NodeId node) const {
  auto it = payloads_.find(node);
  return it == payloads_.end() ? nullptr : &it->second;
}

const Tree::ChildSet* Tree::children(NodeId parent) const {
  auto it = children_.find(parent);
  return it == children_.end() || it->second.empty() ? nullptr : &it->second;
}

void Tree::remember(NodeId node) {
  if (!journaling_) return;
  auto [it, inserted] = journal_.try_emplace(node);
  if (!inserted) return;
  if (auto found = nodes_.find(node); found != nodes_.end()) it->second.node = found->second.node;
  if (auto found = payloads_.find(node); found != payloads_.end()) {
    it->second.payload = found->second;
  }
}

void Tree::index_insert(NodeId parent, const ChildEntry& entry) {
  if (parent.is_trash()) return;  // a node under TRASH is in no children list
  const bool inserted = children_[parent].insert(entry).second;
  TS_ASSERT(inserted);
}

void Tree::index_erase(NodeId parent, const ChildEntry& entry) {
  if (parent.is_trash()) return;
  auto it = children_.find(parent);
  TS_ASSERT(it != children_.end());
  const std::size_t erased = it->second.erase(entry);
  TS_ASSERT(erased == 1);
  if (it->second.empty()) children_.erase(it);
}

bool Tree::create(NodeId node) {
  if (node.is_reserved() || nodes_.count(node) != 0) return false;
  remember(node);
  nodes_.emplace(node, Entry(node));
  return true;
}

void Tree::erase(NodeId node) {
  TS_ASSERT(!node.is_reserved());
  auto it = nodes_.find(node);
  TS_ASSERT(it != nodes_.end());
  TS_ASSERT(it->second.node == Node{});
  TS_ASSERT(children(node) == nullptr);
  TS_ASSERT(payloads_.count(node) == 0);
  remember(node);
  forget_entry(it);
}

void Tree::set_position(NodeId node, std::optional<NodeId> parent, std::string order_key) {
  TS_ASSERT(!node.is_reserved());
  auto it = nodes_.find(node);
  TS_ASSERT(it != nodes_.end());
  remember(node);
  Node& state = it->second.node;
  if (state.parent) index_erase(*state.parent, {state.order_key, node});
  state.parent = parent;
  state.order_key = std::move(order_key);
  it->second.cache_epoch = 0;
  if (state.parent) index_insert(*state.parent, {state.order_key, node});
}

Tree::Node& Tree::edit(NodeId node) {
  auto it = nodes_.find(node);
  TS_ASSERT(it != nodes_.end());
  remember(node);
  return it->second.node;
}

void Tree::set_payload(NodeId node, std::optional<Payload> payload) {
  remember(node);
  if (payload) {
    payloads_[node] = std::move(*payload);
  } else {
    payloads_.erase(node);
  }
}

void Tree::load_node(NodeId node, Node state) {
  TS_ASSERT(!journaling_);
  TS_ASSERT(!node.is_trash());
  restore(node, std::move(state), find_payload(node) ? std::optional<Payload>(*find_payload(node))
                                                     : std::nullopt);
}

void Tree::load_payload(NodeId node, Payload payload) {
  TS_ASSERT(!journaling_);
  payloads_[node] = std::move(payload);
}

void Tree::begin() {
  TS_ASSERT(!journaling_);
  TS_ASSERT(journal_.empty());
  journaling_ = true;
}

std::vector<Tree::Change> Tree::changes() const {
  std::vector<Change> out;
  for (const auto& [node, original] : journal_) {
    const Node* now = find(node);
    const Payload* payload_now = find_payload(node);
    const bool node_same = now ? original.node && *original.node == *now : !original.node;
    const bool payload_same =
        payload_now ? original.payload && *original.payload == *payload_now : !original.payload;
    if (!node_same || !payload_same) out.push_back({node, !node_same, !payload_same});
  }
  std::sort(out.begin(), out.end(),
            [](const Change& a, const Change& b) { return a.node < b.node; });
  return out;
}

std::vector<NodeId> Tree::changed_nodes() const {
  std::vector<NodeId> out;
  for (const Change& change : changes()) out.push_back(change.node);
  return out;
}

void Tree::commit() {
  TS_ASSERT(journaling_);
  journal_.clear();
  journaling_ = false;
}

void Tree::restore(NodeId node, const std::optional<Node>& value,
                   const std::optional<Payload>& payload) {
  auto it = nodes_.find(node);
  if (it != nodes_.end()) {
    const Node& now = it->second.node;
    if (now.parent) index_erase(*now.parent, {now.order_key, node});
    if (!value) forget_entry(it);
  }
  if (value) {
    // Assigned in place when the entry exists: other nodes' caches may point at it.
    if (it == nodes_.end()) it = nodes_.emplace(node, Entry(node)).first;
    it->second.node = *value;
    it->second.cache_epoch = 0;
    if (value->parent) index_insert(*value->parent, {value->order_key, node});
  }
  if (payload) {
    payloads_[node] = *payload;
  } else {
    payloads_.erase(node);
  }
}

void Tree::rollback() {
  TS_ASSERT(journaling_);
  // Restoring in any order is fine: each entry is put back whole, and the children index is
  // kept in step entry by entry.
  for (const auto& [node, original] : journal_) restore(node, original.node, original.payload);
  journal_.clear();
  journaling_ = false;
}

void Tree::assign_from(const Tree& other) {
  TS_ASSERT(other.replicas_.size() >= replicas_.size());
  for (ReplicaIndex i = 0; i < replicas_.size(); ++i) {
    TS_ASSERT(other.replicas_.id(i) == replicas_.id(i));
  }
  replicas_ = other.replicas_;
  // Ids of both trees, in order, so the journal is filled deterministically.
  std::set<NodeId> ids;
  for (const auto& [id, entry] : nodes_) ids.insert(id);
  for (const auto& [id, entry] : other.nodes_) ids.insert(id);
  for (const auto& [id, payload] : payloads_) ids.insert(id);
  for (const auto& [id, payload] : other.payloads_) ids.insert(id);
  for (NodeId id : ids) {
    const Node* mine = find(id);
    const Node* theirs = other.find(id);
    const Payload* my_payload = find_payload(id);
    const Payload* their_payload = other.find_payload(id);
    const bool node_same = mine && theirs ? *mine == *theirs : mine == nullptr && theirs == nullptr;
    const bool payload_same = my_payload && their_payload ? *my_payload == *their_payload
                                                          : !my_payload && !their_payload;
    if (node_same && payload_same) continue;
    remember(id);
    restore(id, theirs ? std::optional<Node>(*theirs) : std::nullopt,
            their_payload ? std::optional<Payload>(*their_payload) : std::nullopt);
  }
}

SnapshotRow Tree::snapshot_row(NodeId node) const {
  const Node* state = find(node);
  TS_ASSERT(state != nullptr);
  TS_ASSERT(!node.is_reserved());
  SnapshotRow row;
  row.node = node;
  row.parent = state->parent;
  row.order_key = state->order_key;
  row.tombstoned = state->tombstoned;
  row.last_change = state->last_change.to_core(replicas_);
  if (state->deleted_at) row.deleted_at = state->deleted_at->to_core(replicas_);
  if (const Payload* payload = find_payload(node)) {
    row.payload = payload->value;
    row.writer = payload->writer;
  }
  return row;
}

VisibleTree Tree::visible_tree() const {
  return walk_visible_tree([&](NodeId parent, std::vector<NodeId>& list) {
    const ChildSet* set = parent.is_trash() ? nullptr : children(parent);
    if (set == nullptr) return;
    for (const ChildEntry& child : *set) {
      if (!find(child.node)->tombstoned) list.push_back(child.node);
    }
  });
}

std::vector<NodeId> Tree::sorted_ids() const {
  std::vector<NodeId> ids;
  ids.reserve(nodes_.size());
  for (const auto& [id, entry] : nodes_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

Snapshot Tree::snapshot() const {
  Snapshot out;
  out.rows.reserve(nodes_.size());
  for (NodeId id : sorted_ids()) {
    if (!id.is_root()) out.rows.push_back(snapshot_row(id));
  }
  return out;
}

std::optional<std::string> Tree::check_invariants() const {
  const Node* root = find(kRoot);
  if (!root) return "ROOT is missing";
  if (root->parent) return "ROOT has a parent";
  if (nodes_.count(kTrash) != 0) return "TRASH is a node";
  // Walk in id order: the first violation found is part of a failure message, and hash-map
  // order differs between standard libraries.
  std::vector<NodeId> parents;
  parents.reserve(children_.size());
  for (const auto& [parent, set] : children_) parents.push_back(parent);
  std::sort(parents.begin(), parents.end());
  const std::vector<NodeId> ids = sorted_ids();

  std::size_t indexed = 0;
  for (NodeId parent : parents) {
    const ChildSet& set = children_.at(parent);
    if (set.empty()) return "empty children list of " + parent.to_display();
    for (const ChildEntry& entry : set) {
      const Node* child = find(entry.node);
      if (!child || child->parent != parent || child->order_key != entry.order_key) {
        return "children index of " + parent.to_display() + " lists " +
               entry.node.to_display() + " which is not stored there";
      }
      ++indexed;
    }
  }
  std::size_t attached = 0;
  for (NodeId id : ids) {
    const Entry& entry = nodes_.at(id);
    const Node& node = entry.node;
    if (entry.cache_epoch == epoch_ &&
        entry.parent_entry != (node.parent && !node.parent->is_trash() ? find_entry(*node.parent)
                                                                       : nullptr)) {
      return "stale parent link of " + id.to_display();
    }
    if (!node.last_change.check_invariants()) return "last_change of " + id.to_display();
    if (node.deleted_at && !node.deleted_at->check_invariants()) {
      return "deleted_at of " + id.to_display();
    }
    if (node.tombstoned && !node.deleted_at) {
      return id.to_display() + " is tombstoned without deleted_at";
    }
    if (!node.parent) continue;
    if (node.parent->is_trash()) continue;
    if (!find(*node.parent)) {
      return id.to_display() + " has unknown parent " + node.parent->to_display();
    }
    ++attached;
    // Walk up; more steps than there are nodes means a cycle.
    NodeId at = id;
    for (std::size_t steps = 0;; ++steps) {
      if (steps > nodes_.size()) return "parent cycle through " + id.to_display();
      const Node* state = find(at);
      if (!state || !state->parent || state->parent->is_trash()) break;
      at = *state->parent;
    }
  }
  if (attached != indexed) return "children index and parent pointers disagree";
  return std::nullopt;
}

}  // namespace treesim
