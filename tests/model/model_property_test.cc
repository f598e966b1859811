// Properties of the reference model over random op sets from 3-5 racing replicas (see
// tests/support/op_set_generator.h): the state is a function of the set of ops alone, the
// snapshot is canonical, the visible tree is a tree, and a remove that carries the current
// subtree version vector always wins. Each case folds the set in generation order and then in a
// few generated delivery orders, some with re-delivered duplicates.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <set>

#include "core/snapshot_diff.h"
#include "model/model.h"
#include "tests/support/op_set_generator.h"

namespace treesim::model {
namespace {

using test_support::gen_op_set;
using test_support::gen_permutation;
using test_support::OpSet;
using test_support::permuted;

Model ModelOf(const std::vector<Op>& ops) {
  Model model;
  for (const Op& op : ops) {
    const Status status = model.add(op);
    RC_ASSERT(status.is_ok());
  }
  model.check_invariants();
  return model;
}

// The visible tree reaches every node once, only through non-tombstoned rows whose stored
// parent is the node they are listed under.
void AssertVisibleTreeIsATree(const Snapshot& snapshot) {
  const VisibleTree tree = derive_visible_tree(snapshot);
  const std::vector<NodeId> preorder = tree.preorder();
  const std::set<NodeId> distinct(preorder.begin(), preorder.end());
  RC_ASSERT(distinct.size() == preorder.size());
  RC_ASSERT(preorder.front() == kRoot);
  for (const auto& [parent, children] : tree.children) {
    for (NodeId child : children) {
      const SnapshotRow* row = snapshot.find(child);
      RC_ASSERT(row != nullptr);
      RC_ASSERT(row->parent == parent);
      RC_ASSERT(!row->tombstoned);
    }
  }
}

// Whether `vv` contains `id`.
bool Contains(const VersionVector& vv, const OpId& id) {
  auto it = vv.entries.find(id.replica);
  if (it == vv.entries.end()) return false;
  for (const CounterRange& range : it->second) {
    if (range.first <= id.counter && id.counter <= range.last) return true;
  }
  return false;
}

// Labels the case with the situations it exercises, so the run's summary shows the generator
// reaches them (RapidCheck prints the share of cases per label combination).
void TagInterestingCases(const OpSet& set, const Snapshot& snapshot) {
  bool tombstone = false;
  bool delete_lost = false;
  bool trashed = false;
  bool skipped_move = false;
  for (const SnapshotRow& row : snapshot.rows) {
    tombstone = tombstone || row.tombstoned;
    delete_lost = delete_lost || (row.deleted_at && !row.tombstoned);
    trashed = trashed || (row.parent && row.parent->is_trash());
  }
  // A move dots its own node whenever it applies and no other op can add its dot, so a move
  // of a non-reserved node whose id is missing from the node's last_change was skipped.
  for (const Op& op : set.ops) {
    if (op.kind != OpKind::kMove || op.node.is_reserved()) continue;
    skipped_move = skipped_move || !Contains(snapshot.find(op.node)->last_change, op.id);
  }
  RC_TAG(set.ops.size() >= 15 ? "15+ ops" : "<15 ops");
  if (tombstone) RC_TAG("tombstone");
  if (delete_lost) RC_TAG("delete lost");
  if (trashed) RC_TAG("under TRASH");
  if (skipped_move) RC_TAG("move skipped");
}

RC_GTEST_PROP(ModelProperties, SnapshotDependsOnlyOnTheSetOfOps, ()) {
  const OpSet set = *gen_op_set();
  const Model reference = ModelOf(set.ops);
  const Snapshot expected = reference.snapshot();
  RC_ASSERT(expected.is_canonical());
  AssertVisibleTreeIsATree(expected);
  TagInterestingCases(set, expected);

  for (int round = 0; round < 3; ++round) {
    std::vector<Op> delivery = permuted(set.ops, *gen_permutation(set.ops.size()));
    // Re-deliver a prefix of the shuffled ops: duplicates must change nothing.
    const std::size_t repeats = *rc::gen::inRange<std::size_t>(0, delivery.size() / 2 + 1);
    for (std::size_t i = 0; i < repeats; ++i) delivery.push_back(delivery[i]);
    const Model model = ModelOf(delivery);
    RC_ASSERT(model.op_count() == set.ops.size());
    const std::string diff = describe_snapshot_diff(expected, model.snapshot());
    RC_LOG() << diff;
    RC_ASSERT(diff.empty());
  }
}

// The model folds on incrementally while ops arrive in canonical order (and afresh after a
// late one): every answer must equal a fold from scratch of the same set, which a copy of the
// model makes (a copy drops the cache). Deliveries are the canonical order with a few ops moved
// later, so both paths and the switches between them run; queries fall between adds.
RC_GTEST_PROP(ModelProperties, IncrementalFoldEqualsAFoldFromScratch, ()) {
  const OpSet set = *gen_op_set();
  std::vector<Op> delivery = set.ops;
  std::sort(delivery.begin(), delivery.end(), canonical_less);
  const std::size_t moves = *rc::gen::inRange<std::size_t>(0, 4);
  for (std::size_t i = 0; i < moves && delivery.size() > 1; ++i) {
    const std::size_t from = *rc::gen::inRange<std::size_t>(0, delivery.size());
    const std::size_t to = *rc::gen::inRange<std::size_t>(from, delivery.size());
    std::rotate(delivery.begin() + static_cast<long>(from),
                delivery.begin() + static_cast<long>(from) + 1,
                delivery.begin() + static_cast<long>(to) + 1);
  }
  Model model;
  for (const Op& op : delivery) {
    RC_ASSERT(model.add(op).is_ok());
    if (!*rc::gen::inRange(0, 3)) continue;  // a query after about two adds of three
    const Model fresh = model;  // folds from scratch
    const std::string diff = describe_snapshot_diff(fresh.snapshot(), model.snapshot());
    RC_LOG() << diff;
    RC_ASSERT(diff.empty());
  }
  model.check_invariants();
  const Model fresh = model;
  RC_ASSERT(describe_snapshot_diff(fresh.snapshot(), model.snapshot()).empty());
  for (const Op& op : set.ops) {
    RC_ASSERT(fresh.subtree_version_vector(op.node) == model.subtree_version_vector(op.node));
  }
}

RC_GTEST_PROP(ModelProperties, RemoveCarryingCurrentSubtreeVersionVectorTombstones, ()) {
  const OpSet set = *gen_op_set();
  const Model before = ModelOf(set.ops);
  const NodeId node = *rc::gen::elementOf(set.nodes);
  std::uint64_t lamport = 1;
  for (const Op& op : set.ops) lamport = std::max(lamport, op.lamport + 1);
  // A fresh replica removes the node having seen everything: nothing in the subtree is unseen.
  Model after = before;
  const Op remove = make_delete({ReplicaId::of("remover"), 1}, lamport, node,
                                before.subtree_version_vector(node));
  RC_ASSERT(after.add(remove).is_ok());
  after.check_invariants();
  RC_ASSERT(after.is_tombstoned(node));
  // The delete changes no structure and no other node's row apart from tombstone flags.
  const Snapshot snapshot = after.snapshot();
  AssertVisibleTreeIsATree(snapshot);
  for (const SnapshotRow& row : before.snapshot().rows) {
    const SnapshotRow* now = snapshot.find(row.node);
    RC_ASSERT(now != nullptr);
    RC_ASSERT(now->parent == row.parent);
    RC_ASSERT(now->last_change == row.last_change);
  }
}

RC_GTEST_PROP(ModelProperties, QueriesAgreeWithTheSnapshot, ()) {
  const OpSet set = *gen_op_set();
  const Model model = ModelOf(set.ops);
  const Snapshot snapshot = model.snapshot();
  for (NodeId node : set.nodes) {
    const SnapshotRow* row = snapshot.find(node);
    RC_ASSERT(model.is_known(node) == (row != nullptr));
    if (row == nullptr) continue;
    RC_ASSERT(model.payload(node) == row->payload);
    RC_ASSERT(model.is_tombstoned(node) == row->tombstoned);
  }
  // Every node any op names is known, and nothing else is.
  std::set<NodeId> named;
  for (const Op& op : set.ops) {
    if (!op.node.is_reserved()) named.insert(op.node);
    const bool has_parent = op.kind == OpKind::kInsert || op.kind == OpKind::kMove;
    if (has_parent && !op.parent.is_reserved()) named.insert(op.parent);
  }
  std::set<NodeId> rows;
  for (const SnapshotRow& row : snapshot.rows) rows.insert(row.node);
  RC_ASSERT(rows == named);
}

}  // namespace
}  // namespace treesim::model
