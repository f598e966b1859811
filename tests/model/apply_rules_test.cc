// The rules of `apply(op)` (SEMANTICS.md §4), one property per test, checked on the reference
// model: which ops are skipped, which nodes get a dot, and how the payload register resolves.
// Each test builds a small op set with the example verbs; where delivery order could matter the
// ops go through every permutation, since the model must only depend on the set.
#include <gtest/gtest.h>

#include "model/model.h"
#include "tests/model/model_fixture.h"

namespace treesim::model {
namespace {

using namespace fixture;  // NOLINT(build/namespaces): the example verbs

VersionVector LastChange(const Model& model, NodeId node) { return RowOf(model, node).last_change; }

// --- Insert ---

TEST(Insert, InsertUnderItselfSkipsStructureButAppliesPayload) {
  Op op = InsertWithPayload("a1@1", kX, kX, "p");
  const Model model = ModelOf({op});
  const SnapshotRow row = RowOf(model, kX);
  EXPECT_EQ(row.parent, std::nullopt);
  EXPECT_TRUE(row.last_change.empty());
  EXPECT_EQ(row.payload, "p");
}

TEST(Insert, InsertThatWouldCreateCycleIsSkipped) {
  const std::vector<Op> ops = {Insert("a1@1", kRoot, kA), Insert("a2@2", kA, kB),
                               Insert("a3@3", kB, kA)};
  ForEveryDeliveryOrder(ops, [](const Model& model) {
    EXPECT_EQ(Shape(model), "ROOT(A(B))");
    EXPECT_EQ(LastChange(model, kA), Vv("a:1..2"));
  });
}

TEST(Insert, InsertOfRootOrTrashChangesNoStructure) {
  const Model model =
      ModelOf({Insert("a1@1", kRoot, kX), Insert("a2@2", kX, kRoot), Insert("a3@3", kX, kTrash)});
  EXPECT_EQ(Shape(model), "ROOT(X)");
  EXPECT_EQ(model.parent(kRoot), std::nullopt);
  EXPECT_EQ(LastChange(model, kX), Vv("a:1"));
  EXPECT_EQ(model.snapshot().rows.size(), 1u);
}

TEST(Insert, ReinsertMovesNodeAndGivesNoDotToOldParent) {
  const Model model = ModelOf({Insert("a1@1", kRoot, kA), Insert("a2@2", kRoot, kB),
                               Insert("a3@3", kA, kX), Insert("a4@4", kB, kX)});
  EXPECT_EQ(Shape(model), "ROOT(A B(X))");
  EXPECT_EQ(LastChange(model, kA), Vv("a:1,3"));
  EXPECT_EQ(LastChange(model, kB), Vv("a:2,4"));
  EXPECT_EQ(LastChange(model, kX), Vv("a:3..4"));
}

TEST(Insert, InsertUnderTrashIsStoredUnderTrashAndInvisible) {
  const Model model = ModelOf({Insert("a1@1", kTrash, kX)});
  EXPECT_EQ(RowOf(model, kX).parent, kTrash);
  EXPECT_EQ(model.parent(kX), std::nullopt);
  EXPECT_EQ(LastChange(model, kX), Vv("a:1"));
  EXPECT_EQ(Shape(model), "ROOT");
}

// --- Move ---

TEST(Move, MoveDotsNodeOldParentAndNewParent) {
  const Model model = ModelOf({Insert("a1@1", kRoot, kA), Insert("a2@2", kRoot, kB),
                               Insert("a3@3", kA, kX), Move("b1@4", kX, kB)});
  EXPECT_EQ(Shape(model), "ROOT(A B(X))");
  EXPECT_EQ(LastChange(model, kA), Vv("a:1,3 b:1"));
  EXPECT_EQ(LastChange(model, kB), Vv("a:2 b:1"));
  EXPECT_EQ(LastChange(model, kX), Vv("a:3 b:1"));
}

TEST(Move, MoveToTrashIsHardRemovalNotTombstone) {
  const Model model = ModelOf({Insert("a1@1", kRoot, kX), Move("a2@2", kX, kTrash)});
  EXPECT_EQ(Shape(model), "ROOT");
  EXPECT_EQ(model.children(kRoot), std::vector<NodeId>{});
  EXPECT_EQ(model.children(kTrash), std::vector<NodeId>{});
  EXPECT_EQ(model.parent(kX), std::nullopt);
  EXPECT_FALSE(model.is_tombstoned(kX));
  const SnapshotRow row = RowOf(model, kX);
  EXPECT_EQ(row.parent, kTrash);
  EXPECT_EQ(row.deleted_at, std::nullopt);
  EXPECT_EQ(row.last_change, Vv("a:1..2"));
}

TEST(Move, MoveOutOfTrashGivesNoDotToTrashAndRestoresNode) {
  const Model model =
      ModelOf({Insert("a1@1", kRoot, kX), Move("a2@2", kX, kTrash), Move("a3@3", kX, kRoot)});
  EXPECT_EQ(Shape(model), "ROOT(X)");
  EXPECT_EQ(LastChange(model, kX), Vv("a:1..3"));
}

TEST(Move, MoveOfAncestorToTrashNeedsNoCycleCheck) {
  const Model model =
      ModelOf({Insert("a1@1", kRoot, kA), Insert("a2@2", kA, kB), Move("a3@3", kA, kTrash)});
  EXPECT_EQ(Shape(model), "ROOT");
  EXPECT_EQ(RowOf(model, kB).parent, kA);
  EXPECT_EQ(model.children(kA), std::vector<NodeId>{kB});
}

TEST(Move, MoveOfRootOrTrashIsSkipped) {
  const Model model =
      ModelOf({Insert("a1@1", kRoot, kX), Move("a2@2", kRoot, kX), Move("a3@3", kTrash, kX)});
  EXPECT_EQ(Shape(model), "ROOT(X)");
  EXPECT_EQ(LastChange(model, kX), Vv("a:1"));
}

TEST(Move, MoveUnderItselfIsSkipped) {
  const Model model = ModelOf({Insert("a1@1", kRoot, kX), Move("a2@2", kX, kX)});
  EXPECT_EQ(Shape(model), "ROOT(X)");
  EXPECT_EQ(LastChange(model, kX), Vv("a:1"));
}

TEST(Move, CycleSkipIsReevaluatedWhenEarlierMoveArrives) {
  const std::vector<Op> setup = {Insert("s1@1", kRoot, kA), Insert("s2@2", kRoot, kB)};
  const Op b_under_a = Move("c1@5", kB, kA);
  const Op a_under_b = Move("d1@3", kA, kB);  // sorts before b_under_a
  std::vector<Op> ops = setup;
  ops.push_back(b_under_a);
  EXPECT_EQ(Shape(ModelOf(ops)), "ROOT(A(B))");
  // With the earlier move in the set, A goes under B first and B-under-A becomes a cycle.
  ops.push_back(a_under_b);
  ForEveryDeliveryOrder(ops, [](const Model& model) {
    EXPECT_EQ(Shape(model), "ROOT(B(A))");
    EXPECT_EQ(LastChange(model, kB), Vv("d:1 s:2"));
  });
}

TEST(Move, SiblingsOrderByKeyThenNodeIdAndMoveSetsTheKey) {
  const Model model =
      ModelOf({Insert("a1@1", kRoot, kA, Key(0xC000)), Insert("a2@2", kRoot, kX, Key(0x8000)),
               Insert("a3@3", kRoot, kB, Key(0x8000)), Insert("a4@4", kRoot, kC, Key(0xF000)),
               Move("a5@5", kC, kRoot, Key(0x4000))});
  // Keys order C (moved to 0x4000) < B = X < A; B and X tie on the key and order by id.
  EXPECT_EQ(Shape(model), "ROOT(C B X A)");
  EXPECT_EQ(RowOf(model, kC).order_key, Key(0x4000));
}

// --- Delete and Tombstone ---

TEST(Delete, DeleteAndTombstoneOfRootOrTrashAreSkipped) {
  const Model model = ModelOf({Insert("a1@1", kRoot, kX), Delete("a2@2", kRoot, "a:1"),
                               Tombstone("a3@3", kTrash, "a:1..2"), Tombstone("a4@4", kRoot)});
  EXPECT_EQ(Shape(model), "ROOT(X)");
  EXPECT_FALSE(model.is_tombstoned(kRoot));
  EXPECT_EQ(model.snapshot().rows.size(), 1u);
}

TEST(Delete, DeleteLeavesStructureUntouched) {
  const Model model =
      ModelOf({Insert("a1@1", kRoot, kP), Insert("a2@2", kP, kC), Delete("a3@3", kP, "a:1..2")});
  const SnapshotRow row = RowOf(model, kP);
  EXPECT_EQ(row.parent, kRoot);
  EXPECT_EQ(row.last_change, Vv("a:1..2"));
  EXPECT_EQ(row.deleted_at, Vv("a:1..3"));
  EXPECT_TRUE(row.tombstoned);
}

TEST(Delete, TombstoneWithoutKnownStateCarriesOnlyItsDot) {
  const Model model = ModelOf({Insert("a1@1", kRoot, kX), Tombstone("t1@2", kX)});
  EXPECT_EQ(RowOf(model, kX).deleted_at, Vv("t:1"));
  EXPECT_FALSE(model.is_tombstoned(kX));
  EXPECT_TRUE(ModelOf({Insert("a1@1", kRoot, kX), Tombstone("t1@2", kX, "a:1")}).is_tombstoned(kX));
}

// --- Payload ---

TEST(Payload, LaterKeyWinsWhateverTheDeliveryOrder) {
  const std::vector<Op> ops = {Insert("s1@1", kRoot, kX), Payload("q1@3", kX, "later"),
                               Payload("p1@2", kX, "earlier")};
  ForEveryDeliveryOrder(ops, [](const Model& model) { EXPECT_EQ(model.payload(kX), "later"); });
}

TEST(Payload, AbsentValueClearsAndTheClearIsTheWriter) {
  const std::vector<Op> ops = {Insert("s1@1", kRoot, kX), Payload("p1@2", kX, "v"),
                               ClearPayload("c1@3", kX)};
  ForEveryDeliveryOrder(ops, [](const Model& model) {
    EXPECT_EQ(model.payload(kX), std::nullopt);
    EXPECT_EQ(RowOf(model, kX).writer, (OpKey{3, ReplicaId::of("c"), 1}));
  });
}

TEST(Payload, EarlierClearDoesNotEraseLaterValue) {
  const Model model =
      ModelOf({Insert("s1@1", kRoot, kX), ClearPayload("c1@2", kX), Payload("p1@3", kX, "v")});
  EXPECT_EQ(model.payload(kX), "v");
}

TEST(Payload, InsertWithPayloadCompetesWithTheInsertKey) {
  const std::vector<Op> ops = {Payload("p1@1", kX, "early"),
                               InsertWithPayload("a1@2", kRoot, kX, "from insert"),
                               Payload("q1@3", kN, "other node")};
  ForEveryDeliveryOrder(ops, [](const Model& model) {
    EXPECT_EQ(model.payload(kX), "from insert");
    EXPECT_EQ(RowOf(model, kX).writer, (OpKey{2, ReplicaId::of("a"), 1}));
  });
  const Model later_write =
      ModelOf({InsertWithPayload("a1@2", kRoot, kX, "from insert"), Payload("p1@3", kX, "late")});
  EXPECT_EQ(later_write.payload(kX), "late");
}

TEST(Payload, InsertWithoutPayloadLeavesPayloadUntouched) {
  const Model model = ModelOf({Payload("p1@1", kX, "keep"), Insert("a1@2", kRoot, kX)});
  EXPECT_EQ(model.payload(kX), "keep");
  EXPECT_EQ(RowOf(model, kX).writer, (OpKey{1, ReplicaId::of("p"), 1}));
}

TEST(Payload, PayloadChangesNoVersionVector) {
  const Model model = ModelOf({Insert("a1@1", kRoot, kX), Payload("p1@2", kX, "v")});
  EXPECT_EQ(LastChange(model, kX), Vv("a:1"));
  EXPECT_EQ(RowOf(model, kX).deleted_at, std::nullopt);
}

TEST(Payload, PayloadOfRootIsKeptButHasNoSnapshotRow) {
  const Model model = ModelOf(
      {Payload("p1@1", kRoot, "title"), InsertWithPayload("a1@2", kX, kTrash, "trash value")});
  EXPECT_EQ(model.payload(kRoot), "title");
  EXPECT_EQ(model.payload(kTrash), "trash value");
  ASSERT_EQ(model.snapshot().rows.size(), 1u);  // X, named as a parent
  EXPECT_EQ(model.snapshot().rows[0].node, kX);
}

}  // namespace
}  // namespace treesim::model
