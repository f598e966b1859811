// Defensive deletion (SEMANTICS.md §5) and the placeholder rule for nodes named before they are
// inserted, checked on the reference model. Each test builds the state a delete saw, derives the
// delete's known_state the way a local remove() would (the model's subtree version vector), and
// then adds the ops the deleting replica did not see, expecting the node to revive or stay gone.
#include <gtest/gtest.h>

#include "model/model.h"
#include "tests/model/model_fixture.h"

namespace treesim::model {
namespace {

using namespace fixture;  // NOLINT(build/namespaces): the example verbs

// The ops plus a delete of `node` by replica d (counter 1, the given lamport) carrying the SVV
// that the replica holding exactly `seen` would compute.
std::vector<Op> WithRemove(const std::vector<Op>& seen, NodeId node, const char* stamp) {
  std::vector<Op> ops = seen;
  ops.push_back(Delete(stamp, node, ModelOf(seen).subtree_version_vector(node)));
  return ops;
}

std::vector<Op> Concat(std::vector<Op> ops, const std::vector<Op>& more) {
  ops.insert(ops.end(), more.begin(), more.end());
  return ops;
}

// ROOT(P(C1 C2(G))): the tree most tests delete P from.
std::vector<Op> Family() {
  return {Insert("s1@1", kRoot, kP), Insert("s2@2", kP, kC1), Insert("s3@3", kP, kC2),
          Insert("s4@4", kC2, kG), Insert("s5@5", kRoot, kQ)};
}

TEST(DefensiveDeletion, RemoveThatSawTheWholeSubtreeTombstones) {
  const Model model = ModelOf(WithRemove(Family(), kP, "d1@6"));
  EXPECT_EQ(model.subtree_version_vector(kP), Vv("s:1..4"));
  EXPECT_TRUE(model.is_tombstoned(kP));
  EXPECT_EQ(Shape(model), "ROOT(Q)");
  // Descendants keep their parents; they are hidden, not tombstoned.
  EXPECT_FALSE(model.is_tombstoned(kG));
  EXPECT_EQ(model.parent(kG), kC2);
}

TEST(DefensiveDeletion, UnseenInsertIntoSubtreeRevives) {
  const auto ops = Concat(WithRemove(Family(), kP, "d1@6"), {Insert("b1@6", kG, kX)});
  ForEveryDeliveryOrder(
      ops, [](const Model& model) { EXPECT_EQ(Shape(model), "ROOT(P(C1 C2(G(X))) Q)"); });
}

TEST(DefensiveDeletion, UnseenMoveIntoSubtreeRevives) {
  const auto ops = Concat(WithRemove(Family(), kP, "d1@6"), {Move("b1@6", kQ, kC1)});
  EXPECT_EQ(Shape(ModelOf(ops)), "ROOT(P(C1(Q) C2(G)))");
}

TEST(DefensiveDeletion, UnseenMoveOutOfSubtreeRevivesThroughOldParentDot) {
  const auto ops = Concat(WithRemove(Family(), kP, "d1@6"), {Move("b1@6", kG, kQ)});
  EXPECT_EQ(Shape(ModelOf(ops)), "ROOT(P(C1 C2) Q(G))");
}

TEST(DefensiveDeletion, UnseenMoveToTrashOutOfSubtreeRevives) {
  const auto ops = Concat(WithRemove(Family(), kP, "d1@6"), {Move("b1@6", kG, kTrash)});
  EXPECT_EQ(Shape(ModelOf(ops)), "ROOT(P(C1 C2) Q)");
}

TEST(DefensiveDeletion, ReinsertOutOfDeletedSubtreeDoesNotReviveIt) {
  // An Insert of an existing node re-parents it like a move but gives its old parent no dot
  // (§4), so the node leaves the deleted subtree without the delete having to see it.
  const auto ops = Concat(WithRemove(Family(), kP, "d1@6"), {Insert("b1@6", kQ, kG)});
  const Model model = ModelOf(ops);
  EXPECT_TRUE(model.is_tombstoned(kP));
  EXPECT_EQ(Shape(model), "ROOT(Q(G))");
}

TEST(DefensiveDeletion, UnseenMoveWithinSubtreeRevives) {
  const auto ops = Concat(WithRemove(Family(), kP, "d1@6"), {Move("b1@6", kG, kC1)});
  EXPECT_EQ(Shape(ModelOf(ops)), "ROOT(P(C1(G) C2) Q)");
}

TEST(DefensiveDeletion, UnseenWinningPayloadWriteInSubtreeRevives) {
  const auto ops = Concat(WithRemove(Family(), kP, "d1@6"), {Payload("b1@6", kG, "edit")});
  const Model model = ModelOf(ops);
  EXPECT_FALSE(model.is_tombstoned(kP));
  EXPECT_EQ(model.subtree_version_vector(kP), Vv("b:1 s:1..4"));
}

TEST(DefensiveDeletion, UnseenLosingPayloadWriteDoesNotRevive) {
  std::vector<Op> seen = Family();
  seen.push_back(Payload("w1@9", kG, "winner"));
  const auto ops = Concat(WithRemove(seen, kP, "d1@10"), {Payload("b1@6", kG, "loser")});
  const Model model = ModelOf(ops);
  EXPECT_TRUE(model.is_tombstoned(kP));
  EXPECT_EQ(model.payload(kG), "winner");
}

TEST(DefensiveDeletion, TombstonedDescendantsStillCountInAncestorSvv) {
  // C2 is removed first (having seen its subtree); then P's remove sees everything. A later
  // unseen move inside the hidden C2 subtree must still revive P (and C2).
  std::vector<Op> seen = WithRemove(Family(), kC2, "d1@6");
  seen = WithRemove(seen, kP, "d2@7");
  EXPECT_TRUE(ModelOf(seen).is_tombstoned(kP));
  const auto ops = Concat(seen, {Insert("b1@8", kG, kX)});
  EXPECT_EQ(Shape(ModelOf(ops)), "ROOT(P(C1 C2(G(X))) Q)");
}

TEST(DefensiveDeletion, DeletesWhoseUnionSawEverythingTombstone) {
  const std::vector<Op> base = {Insert("a1@1", kRoot, kP), Insert("b1@2", kP, kC)};
  const Op saw_a = Delete("d1@3", kP, "a:1");
  const Op saw_b = Delete("e1@3", kP, "b:1");
  EXPECT_FALSE(ModelOf(Concat(base, {saw_a})).is_tombstoned(kP));
  EXPECT_FALSE(ModelOf(Concat(base, {saw_b})).is_tombstoned(kP));
  ForEveryDeliveryOrder(Concat(base, {saw_a, saw_b}), [](const Model& model) {
    EXPECT_TRUE(model.is_tombstoned(kP));
    EXPECT_EQ(RowOf(model, kP).deleted_at, Vv("a:1 b:1 d:1 e:1"));
  });
}

TEST(DefensiveDeletion, LamportPlaysNoPartInAwareness) {
  // The delete sorts before the insert it saw; it still covers it.
  const Model model = ModelOf({Insert("a1@5", kRoot, kX), Delete("d1@1", kX, "a:1")});
  EXPECT_TRUE(model.is_tombstoned(kX));
}

TEST(DefensiveDeletion, HugeKnownStateIntervalsStayCheap) {
  const Model model = ModelOf(
      {Insert("a1@1", kRoot, kX), Delete("d1@2", kX, "a:1..9223372036854775807 z:5..1000000000")});
  EXPECT_TRUE(model.is_tombstoned(kX));
  EXPECT_EQ(RowOf(model, kX).deleted_at, Vv("a:1..9223372036854775807 d:1 z:5..1000000000"));
}

// --- Placeholders ---

TEST(Placeholder, EveryNodeNamedByAnOpIsKnownEvenIfTheOpIsSkipped) {
  const Model model = ModelOf({Insert("a1@1", kA, kB),     // parent of an insert
                               Move("a2@2", kC, kQ),       // node and new parent of a move
                               Move("a3@3", kRoot, kR),    // skipped move: still names R
                               Delete("a4@4", kP, "a:1"),  // node of a delete
                               Payload("a5@5", kN, "v"),   // node of a payload
                               Insert("a6@6", kX, kX)});   // skipped self-insert
  std::vector<NodeId> known;
  for (const SnapshotRow& row : model.snapshot().rows) known.push_back(row.node);
  EXPECT_EQ(known, (std::vector<NodeId>{kA, kB, kC, kN, kP, kQ, kR, kX}));
}

TEST(Placeholder, PlaceholderRowIsDetachedAndEmpty) {
  const Model model = ModelOf({Insert("a1@1", kP, kC)});
  const SnapshotRow row = RowOf(model, kP);
  EXPECT_EQ(row.parent, std::nullopt);
  EXPECT_EQ(row.order_key, "");
  EXPECT_EQ(row.last_change, Vv("a:1"));  // the insert of C dotted its parent
  EXPECT_EQ(row.deleted_at, std::nullopt);
  EXPECT_EQ(row.payload, std::nullopt);
  EXPECT_EQ(model.parent(kP), std::nullopt);
  // C is attached to P but hidden: P is not reachable from ROOT.
  EXPECT_EQ(model.children(kP), std::vector<NodeId>{kC});
  EXPECT_EQ(Shape(model), "ROOT");
}

TEST(Placeholder, DeleteOfNeverInsertedNodeTombstonesItUntilItIsInserted) {
  const Op delete_x = Delete("d1@1", kX, "");
  EXPECT_TRUE(ModelOf({delete_x}).is_tombstoned(kX));
  EXPECT_EQ(ModelOf({delete_x}).parent(kX), std::nullopt);  // detached comes first
  const Model model = ModelOf({delete_x, Insert("a1@2", kRoot, kX)});
  EXPECT_FALSE(model.is_tombstoned(kX));
  EXPECT_EQ(Shape(model), "ROOT(X)");
}

TEST(Placeholder, MoveOfNeverInsertedNodeAttachesIt) {
  const Model model = ModelOf({Move("a1@1", kX, kRoot)});
  EXPECT_EQ(Shape(model), "ROOT(X)");
  EXPECT_EQ(RowOf(model, kX).last_change, Vv("a:1"));
}

}  // namespace
}  // namespace treesim::model
