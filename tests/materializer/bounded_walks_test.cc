// Hangs are failures: every walk over parents or children in the materializer is bounded by
// the node count. The rules never store a parent cycle, but a bug can (the planted bug
// rewind-restores-skipped-move does, materializer/mutants.h), and a published materializer that
// spun forever on one is why this matters. Method: write node rows holding a cycle straight into
// a MemoryStore, open a materializer on it, and check that its invariant check names the cycle
// and that every call whose walk meets it fails with an internal error and leaves no trace.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "materializer/materializer.h"
#include "materializer/memory_store.h"

namespace treesim {
namespace {

const ReplicaId kReplica = ReplicaId::of("a");
const NodeId kA = NodeId::from_low(0xa);
const NodeId kB = NodeId::from_low(0xb);
const NodeId kC = NodeId::from_low(0xc);

NodeRow row(NodeId node, NodeId parent) {
  NodeRow out;
  out.node = node;
  out.parent = parent;
  out.order_key = std::string("\x80\x00", 2);
  return out;
}

// A document whose rows hold A under B and B under A (and no log: head seq 0 matches).
std::unique_ptr<MemoryStore> store_with_cycle() {
  auto store = std::make_unique<MemoryStore>();
  EXPECT_TRUE(store->begin().is_ok());
  EXPECT_TRUE(store->put_node(row(kA, kB)).is_ok());
  EXPECT_TRUE(store->put_node(row(kB, kA)).is_ok());
  EXPECT_TRUE(store->commit().is_ok());
  return store;
}

TEST(BoundedWalks, InvariantCheckNamesAStoredParentCycle) {
  auto store = store_with_cycle();
  auto materializer = Materializer::open(*store, kReplica);
  ASSERT_TRUE(materializer.is_ok()) << materializer.status().to_string();
  const auto broken = (*materializer)->check_invariants();
  ASSERT_TRUE(broken.has_value());
  EXPECT_NE(broken->find("cycle"), std::string::npos) << *broken;
}

TEST(BoundedWalks, AppendWhoseWalkMeetsTheCycleFailsInsteadOfSpinning) {
  auto store = store_with_cycle();
  auto materializer = Materializer::open(*store, kReplica);
  ASSERT_TRUE(materializer.is_ok());
  const Snapshot before = (*materializer)->materialized_snapshot();
  // The cycle check of C under A walks up from A, which never reaches the top.
  const Op insert = make_insert({ReplicaId::of("b"), 1}, 1, kA, kC, std::string("\x80\x00", 2));
  auto result = (*materializer)->append({insert});
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInternal) << result.status().to_string();
  EXPECT_EQ((*materializer)->materialized_snapshot(), before);
  EXPECT_EQ((*materializer)->head().seq, 0u);
}

TEST(BoundedWalks, FlagRefreshUpTheCycleFailsInsteadOfSpinning) {
  auto store = store_with_cycle();
  auto materializer = Materializer::open(*store, kReplica);
  ASSERT_TRUE(materializer.is_ok());
  // A payload write refreshes the tombstone flags of A's ancestor chain.
  const Op payload = make_payload({ReplicaId::of("b"), 1}, 1, kA, "x");
  auto result = (*materializer)->append({payload});
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInternal) << result.status().to_string();
}

TEST(BoundedWalks, RemoveWhoseSubtreeWalkMeetsTheCycleFailsInsteadOfSpinning) {
  auto store = store_with_cycle();
  auto materializer = Materializer::open(*store, kReplica);
  ASSERT_TRUE(materializer.is_ok());
  // SVV(A) walks A's stored subtree: B, then A again, ...
  auto result = (*materializer)->remove(kA);
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInternal) << result.status().to_string();
}

}  // namespace
}  // namespace treesim
