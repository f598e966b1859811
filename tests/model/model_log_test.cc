// The model's op set: what add() and add_all() accept, ignore and reject (SEMANTICS.md §1-2:
// invalid input, duplicates, equivocation), and the queries on nodes the set never names. Each
// test feeds a few ops and checks the returned Status, op_count() and the answers.
#include <gtest/gtest.h>

#include "model/model.h"
#include "tests/model/model_fixture.h"

namespace treesim::model {
namespace {

using namespace fixture;  // NOLINT(build/namespaces): the example verbs

TEST(ModelLog, DuplicateIsIgnored) {
  Model model;
  AddOutcome outcome = AddOutcome::kDuplicate;
  ASSERT_TRUE(model.add(Insert("a1@1", kRoot, kX), &outcome).is_ok());
  EXPECT_EQ(outcome, AddOutcome::kAdded);
  ASSERT_TRUE(model.add(Insert("a1@1", kRoot, kX), &outcome).is_ok());
  EXPECT_EQ(outcome, AddOutcome::kDuplicate);
  EXPECT_EQ(model.op_count(), 1u);
  EXPECT_EQ(Shape(model), "ROOT(X)");
}

TEST(ModelLog, EquivocationIsRejectedNamingTheIdAndStoredOpStays) {
  Model model;
  ASSERT_TRUE(model.add(Insert("a1@1", kRoot, kX)).is_ok());
  const Snapshot before = model.snapshot();
  const Status status = model.add(Insert("a1@1", kRoot, kN));
  EXPECT_EQ(status.code(), StatusCode::kEquivocation);
  EXPECT_NE(status.message().find("a:1"), std::string::npos) << status.message();
  // Same id, same kind, only the lamport differs: still different content.
  EXPECT_EQ(model.add(Insert("a1@2", kRoot, kX)).code(), StatusCode::kEquivocation);
  EXPECT_EQ(model.op_count(), 1u);
  EXPECT_EQ(model.snapshot(), before);
}

TEST(ModelLog, InvalidOpIsRejectedWithNothingStored) {
  Model model;
  Op zero_lamport = Insert("a1@1", kRoot, kX);
  zero_lamport.lamport = 0;
  Op odd_key = Insert("a1@1", kRoot, kX, std::string("\x80", 1));
  Op delete_without_known_state = Delete("a1@1", kX, "");
  delete_without_known_state.known_state.reset();
  Op huge_counter = Insert("a1@1", kRoot, kX);
  huge_counter.id.counter = std::uint64_t{1} << 63;
  for (const Op& op : {zero_lamport, odd_key, delete_without_known_state, huge_counter}) {
    EXPECT_EQ(model.add(op).code(), StatusCode::kInvalidArgument) << op.to_display();
  }
  EXPECT_EQ(model.op_count(), 0u);
  EXPECT_TRUE(model.snapshot().rows.empty());
}

TEST(ModelLog, AddAllStoresNothingWhenAnyOpIsInvalid) {
  Model model;
  Op invalid = Insert("b1@1", kRoot, kN);
  invalid.lamport = 0;
  EXPECT_EQ(model.add_all({Insert("a1@1", kRoot, kX), invalid}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(model.op_count(), 0u);
}

TEST(ModelLog, AddAllStoresNothingOnEquivocationWithinBatchOrWithStoredOps) {
  Model model;
  EXPECT_EQ(model.add_all({Insert("a1@1", kRoot, kX), Insert("a1@1", kRoot, kN)}).code(),
            StatusCode::kEquivocation);
  EXPECT_EQ(model.op_count(), 0u);
  ASSERT_TRUE(model.add(Insert("a1@1", kRoot, kX)).is_ok());
  EXPECT_EQ(model.add_all({Insert("b1@2", kRoot, kN), Insert("a1@1", kX, kN)}).code(),
            StatusCode::kEquivocation);
  EXPECT_EQ(model.op_count(), 1u);
}

TEST(ModelLog, AddAllIgnoresDuplicatesWithinBatchAndWithStoredOps) {
  Model model;
  ASSERT_TRUE(model.add(Insert("a1@1", kRoot, kX)).is_ok());
  const Op insert_n = Insert("b1@2", kRoot, kN);
  ASSERT_TRUE(model.add_all({Insert("a1@1", kRoot, kX), insert_n, insert_n}).is_ok());
  EXPECT_EQ(model.op_count(), 2u);
  EXPECT_EQ(Shape(model), "ROOT(N X)");
}

TEST(ModelLog, SortedOpsFollowTheCanonicalKey) {
  const Model model = ModelOf({Move("b1@5", kX, kRoot), Move("a9@5", kX, kRoot),
                               Insert("z1@1", kRoot, kX), Move("a2@5", kX, kRoot)});
  std::vector<std::string> ids;
  for (const Op& op : model.sorted_ops()) ids.push_back(op.id.to_display());
  EXPECT_EQ(ids, (std::vector<std::string>{"z:1", "a:2", "a:9", "b:1"}));
}

TEST(ModelLog, EveryAnswerEqualsAFreshFoldAfterEachAdd) {
  const std::vector<Op> ops = {Insert("a1@1", kRoot, kP), Insert("b1@2", kP, kC),
                               Delete("a2@3", kP, "a:1 b:1"), Move("b2@4", kC, kRoot),
                               Payload("a3@5", kC, "v")};
  Model incremental;
  std::vector<Op> so_far;
  for (const Op& op : ops) {
    // Query before adding, so a stale cache would show.
    (void)incremental.snapshot();
    ASSERT_TRUE(incremental.add(op).is_ok());
    so_far.push_back(op);
    const Model fresh = ModelOf(so_far);
    EXPECT_EQ(describe_snapshot_diff(fresh.snapshot(), incremental.snapshot()), "");
    EXPECT_EQ(Shape(incremental), Shape(fresh));
  }
  // Moving C out of the deleted P dotted P (its old parent), which revives P.
  EXPECT_EQ(Shape(incremental), "ROOT(C P)");
}

TEST(ModelLog, QueriesOnUnknownNodesAreEmpty) {
  const Model model = ModelOf({Insert("a1@1", kRoot, kX)});
  EXPECT_FALSE(model.is_known(kN));
  EXPECT_TRUE(model.is_known(kRoot));
  EXPECT_FALSE(model.is_known(kTrash));
  EXPECT_EQ(model.children(kN), std::vector<NodeId>{});
  EXPECT_EQ(model.parent(kN), std::nullopt);
  EXPECT_EQ(model.payload(kN), std::nullopt);
  EXPECT_FALSE(model.is_tombstoned(kN));
  EXPECT_TRUE(model.subtree_version_vector(kN).empty());
  EXPECT_EQ(model.parent(kRoot), std::nullopt);
  EXPECT_EQ(model.parent(kTrash), std::nullopt);
  EXPECT_EQ(model.subtree_version_vector(kRoot), Vv("a:1"));
}

TEST(ModelLog, EmptyModelHasOnlyRoot) {
  const Model model;
  EXPECT_EQ(model.op_count(), 0u);
  EXPECT_TRUE(model.snapshot().rows.empty());
  EXPECT_EQ(Shape(model), "ROOT");
  EXPECT_EQ(model.visible_tree().preorder(), std::vector<NodeId>{kRoot});
  model.check_invariants();
}

}  // namespace
}  // namespace treesim::model
