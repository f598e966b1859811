// apply_op / undo_op against the reference model. Random op sets (tests/support) are folded
// in canonical order into the materializer's Tree; its snapshot, including every cached
// tombstone flag, must equal the model's. Undoing any suffix must give the model's state of the
// prefix exactly, and re-applying it the full state again: the rewind strategy rests on that.
#include "materializer/apply.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <memory>

#include "core/snapshot_diff.h"
#include "model/model.h"
#include "tests/support/op_set_generator.h"

namespace treesim {
namespace {

using test_support::gen_op_set;

std::vector<Op> sorted(std::vector<Op> ops) {
  std::sort(ops.begin(), ops.end(), canonical_less);
  return ops;
}

Snapshot model_snapshot(const std::vector<Op>& ops) {
  model::Model model;
  for (const Op& op : ops) RC_ASSERT(model.add(op).is_ok());
  return model.snapshot();
}

// Applies ops in order, asserting success and the tree's invariants after each.
std::vector<UndoRecord> apply_all(Tree& tree, const std::vector<Op>& ops) {
  std::vector<UndoRecord> records;
  for (const Op& op : ops) {
    auto record = apply_op(tree, op);
    RC_ASSERT(record.is_ok());
    records.push_back(std::move(*record));
    const auto broken = tree.check_invariants();
    RC_ASSERT(!broken.has_value());
  }
  return records;
}

void expect_snapshot(const Tree& tree, const Snapshot& expected) {
  const Snapshot actual = tree.snapshot();
  if (actual != expected) RC_FAIL(describe_snapshot_diff(expected, actual, 8));
}

RC_GTEST_PROP(ApplyOp, FoldInCanonicalOrderEqualsTheModel, ()) {
  const auto set = *gen_op_set();
  const std::vector<Op> ops = sorted(set.ops);
  Tree tree;
  apply_all(tree, ops);
  expect_snapshot(tree, model_snapshot(ops));
}

RC_GTEST_PROP(ApplyOp, SubtreeVersionVectorEqualsTheModel, ()) {
  const auto set = *gen_op_set();
  const std::vector<Op> ops = sorted(set.ops);
  Tree tree;
  apply_all(tree, ops);
  model::Model model;
  for (const Op& op : ops) RC_ASSERT(model.add(op).is_ok());
  for (NodeId node : set.nodes) {
    auto svv = subtree_version_vector(tree, node);
    RC_ASSERT(svv.is_ok());
    RC_ASSERT(svv->to_core(tree.replicas()) == model.subtree_version_vector(node));
  }
}

RC_GTEST_PROP(UndoOp, UndoingASuffixRestoresThePrefixAndRedoRestoresAll, ()) {
  const auto set = *gen_op_set();
  const std::vector<Op> ops = sorted(set.ops);
  const std::size_t keep = *rc::gen::inRange<std::size_t>(0, ops.size() + 1);
  Tree tree;
  std::vector<UndoRecord> records = apply_all(tree, ops);
  for (std::size_t i = ops.size(); i > keep; --i) {
    RC_ASSERT(undo_op(tree, records[i - 1]).is_ok());
    const auto broken = tree.check_invariants();
    RC_ASSERT(!broken.has_value());
  }
  expect_snapshot(tree, model_snapshot({ops.begin(), ops.begin() + static_cast<long>(keep)}));
  const auto redone = apply_all(tree, {ops.begin() + static_cast<long>(keep), ops.end()});
  expect_snapshot(tree, model_snapshot(ops));
  // Re-applying in the same context writes the same records.
  RC_ASSERT(std::equal(redone.begin(), redone.end(), records.begin() + static_cast<long>(keep)));
}

RC_GTEST_PROP(TreeJournal, RollbackRestoresAndChangedNodesCoverEveryChangedRow, ()) {
  const auto set = *gen_op_set();
  const std::vector<Op> ops = sorted(set.ops);
  const std::size_t split = *rc::gen::inRange<std::size_t>(0, ops.size() + 1);
  Tree tree;
  apply_all(tree, {ops.begin(), ops.begin() + static_cast<long>(split)});
  const Snapshot before = tree.snapshot();
  tree.begin();
  apply_all(tree, {ops.begin() + static_cast<long>(split), ops.end()});
  const Snapshot after = tree.snapshot();
  std::vector<NodeId> changed = tree.changed_nodes();
  for (const SnapshotDifference& difference : diff_snapshots(before, after)) {
    RC_ASSERT(std::binary_search(changed.begin(), changed.end(), difference.node));
  }
  tree.rollback();
  expect_snapshot(tree, before);
  const auto broken = tree.check_invariants();
  RC_ASSERT(!broken.has_value());
}

TEST(ApplyOp, StoredCycleIsReportedNotLooped) {
  // Builds a cycle directly in the tree (the rules never do): walks must fail, not spin.
  Tree tree;
  const NodeId a = NodeId::from_low(1);
  const NodeId b = NodeId::from_low(2);
  tree.create(a);
  tree.create(b);
  tree.set_position(a, b, "\x80\x00");
  tree.set_position(b, a, "\x80\x00");
  const auto walk = reaches_by_walking_up(tree, a, NodeId::from_low(3));
  ASSERT_FALSE(walk.is_ok());
  EXPECT_EQ(walk.status().code(), StatusCode::kInternal);
  EXPECT_TRUE(tree.check_invariants().has_value());
}

}  // namespace
}  // namespace treesim

namespace treesim {
namespace {

const NodeId kA = NodeId::from_low(0xa);
const NodeId kB = NodeId::from_low(0xb);

std::vector<NodeId> ancestors_or_self(const Tree& tree, NodeId start) {
  std::vector<NodeId> out;
  const Tree::WalkEnd end = tree.walk_up(start, [&](NodeId at, const Tree::Node&) {
    out.push_back(at);
    return true;
  });
  EXPECT_EQ(end, Tree::WalkEnd::kTop);
  return out;
}

// Walks cache each node's parent entry. A rollback that erases the parent a cache points at
// must not leave the cache dangling (ASan would report the use after free) or stale.
TEST(TreeParentLinks, RollbackThatErasesACachedParentLeavesNoStaleLink) {
  Tree tree;
  tree.begin();
  ASSERT_TRUE(tree.create(kA));
  tree.set_position(kA, kRoot, "m");
  tree.commit();

  tree.begin();
  ASSERT_TRUE(tree.create(kB));
  tree.set_position(kB, kRoot, "n");
  tree.set_position(kA, kB, "m");
  EXPECT_EQ(ancestors_or_self(tree, kA), (std::vector<NodeId>{kA, kB, kRoot}));
  tree.rollback();

  EXPECT_FALSE(tree.contains(kB));
  EXPECT_EQ(tree.check_invariants(), std::nullopt);
  EXPECT_EQ(ancestors_or_self(tree, kA), (std::vector<NodeId>{kA, kRoot}));
}

// A copy must not follow links into the tree it was copied from.
TEST(TreeParentLinks, ACopyWalksItsOwnEntries) {
  auto original = std::make_unique<Tree>();
  original->begin();
  ASSERT_TRUE(original->create(kA));
  ASSERT_TRUE(original->create(kB));
  original->set_position(kB, kRoot, "n");
  original->set_position(kA, kB, "m");
  original->commit();
  EXPECT_EQ(ancestors_or_self(*original, kA), (std::vector<NodeId>{kA, kB, kRoot}));

  const Tree copy = *original;
  original.reset();
  EXPECT_EQ(copy.check_invariants(), std::nullopt);
  EXPECT_EQ(ancestors_or_self(copy, kA), (std::vector<NodeId>{kA, kB, kRoot}));
}

}  // namespace
}  // namespace treesim
