// The worked examples of SEMANTICS.md §9, one test each, checked against the reference model.
// Each example's ops are delivered to a fresh model in every possible order (all n!
// permutations); every order must give the stated parents, visibility, payloads and tombstones,
// and the same snapshot. Where an example names nodes it never inserts, a setup replica "s"
// inserts them first so that "X under B" is a visible fact.
#include <gtest/gtest.h>

#include "model/model.h"
#include "tests/model/model_fixture.h"

namespace treesim::model {
namespace {

using namespace fixture;  // NOLINT(build/namespaces): the example verbs

TEST(WorkedExamples, Example1LaterMoveWins) {
  const std::vector<Op> ops = {Insert("a1@1", kRoot, kL), Insert("a2@2", kRoot, kR),
                               Insert("a3@3", kRoot, kX), Move("a4@4", kX, kL),
                               Move("b1@5", kX, kR)};
  const std::size_t orders = ForEveryDeliveryOrder(ops, [](const Model& model) {
    EXPECT_EQ(model.parent(kX), kR);
    EXPECT_EQ(Shape(model), "ROOT(L R(X))");
  });
  EXPECT_EQ(orders, Factorial(5));
}

TEST(WorkedExamples, Example2LamportTieIsBrokenByReplicaBytes) {
  const std::vector<Op> ops = {Insert("s1@1", kRoot, kA), Insert("s2@2", kRoot, kB),
                               Insert("s3@3", kRoot, kX), Move("a10@5", kX, kA),
                               Move("b10@5", kX, kB)};
  const std::size_t orders = ForEveryDeliveryOrder(ops, [](const Model& model) {
    EXPECT_EQ(model.parent(kX), kB);
    EXPECT_EQ(Shape(model), "ROOT(A B(X))");
  });
  EXPECT_EQ(orders, Factorial(5));
}

TEST(WorkedExamples, Example3LamportOrdersOpsOfOneReplicaNotCounter) {
  const std::vector<Op> ops = {Insert("s1@1", kRoot, kA), Insert("s2@2", kRoot, kB),
                               Insert("s3@3", kRoot, kX), Move("a4@5", kX, kA),
                               Move("a5@4", kX, kB)};
  const std::size_t orders = ForEveryDeliveryOrder(ops, [](const Model& model) {
    EXPECT_EQ(model.parent(kX), kA);
    EXPECT_EQ(Shape(model), "ROOT(A(X) B)");
  });
  EXPECT_EQ(orders, Factorial(5));
}

TEST(WorkedExamples, Example4MoveUnderOwnChildIsSkipped) {
  const std::vector<Op> ops = {Insert("a1@1", kRoot, kA), Insert("a2@2", kA, kB),
                               Move("a3@3", kA, kB)};
  const std::size_t orders = ForEveryDeliveryOrder(ops, [](const Model& model) {
    EXPECT_EQ(model.parent(kA), kRoot);
    EXPECT_EQ(model.parent(kB), kA);
    EXPECT_EQ(Shape(model), "ROOT(A(B))");
    // The skipped move left no dot anywhere.
    EXPECT_EQ(RowOf(model, kA).last_change, Vv("a:1..2"));
    EXPECT_EQ(RowOf(model, kB).last_change, Vv("a:2"));
  });
  EXPECT_EQ(orders, Factorial(3));
}

TEST(WorkedExamples, Example5InsertUnderPlaceholderAttachesWhenParentArrives) {
  const std::vector<Op> ops = {Insert("r1@1", kP, kC), Insert("r2@2", kRoot, kP)};
  const std::size_t orders = ForEveryDeliveryOrder(ops, [](const Model& model) {
    EXPECT_EQ(model.parent(kC), kP);
    EXPECT_EQ(model.parent(kP), kRoot);
    EXPECT_EQ(Shape(model), "ROOT(P(C))");
  });
  EXPECT_EQ(orders, Factorial(2));
}

TEST(WorkedExamples, Example6ConcurrentPayloadsTieBrokenByReplicaBytes) {
  const std::vector<Op> ops = {Insert("s1@1", kRoot, kN), Payload("a1@5", kN, "A"),
                               Payload("b1@5", kN, "B")};
  const std::size_t orders = ForEveryDeliveryOrder(ops, [](const Model& model) {
    EXPECT_EQ(model.payload(kN), "B");
    EXPECT_EQ(RowOf(model, kN).writer, (OpKey{5, ReplicaId::of("b"), 1}));
  });
  EXPECT_EQ(orders, Factorial(3));
}

TEST(WorkedExamples, Example7DeleteThatMissedAnInsertLoses) {
  const std::vector<Op> ops = {Insert("a1@1", kRoot, kP), Insert("b1@2", kP, kC),
                               Delete("a2@2", kP, "a:1")};
  const std::size_t orders = ForEveryDeliveryOrder(ops, [](const Model& model) {
    const std::vector<Op> sorted = model.sorted_ops();
    ASSERT_EQ(sorted.size(), 3u);
    EXPECT_EQ(sorted[0].id.to_display(), "a:1");
    EXPECT_EQ(sorted[1].id.to_display(), "a:2");
    EXPECT_EQ(sorted[2].id.to_display(), "b:1");
    EXPECT_EQ(RowOf(model, kP).deleted_at, Vv("a:1..2"));
    EXPECT_FALSE(model.is_tombstoned(kP));
    EXPECT_EQ(Shape(model), "ROOT(P(C))");
  });
  EXPECT_EQ(orders, Factorial(3));
}

TEST(WorkedExamples, Example8DeleteThatSawEverythingTombstones) {
  const std::vector<Op> ops = {Insert("a1@1", kRoot, kP), Insert("b1@2", kP, kC),
                               Delete("a2@3", kP, "a:1 b:1")};
  const std::size_t orders = ForEveryDeliveryOrder(ops, [](const Model& model) {
    EXPECT_TRUE(model.is_tombstoned(kP));
    EXPECT_EQ(model.parent(kP), kTrash);
    // C keeps its stored parent but is hidden: it is not reachable through visible nodes.
    EXPECT_FALSE(model.is_tombstoned(kC));
    EXPECT_EQ(model.parent(kC), kP);
    EXPECT_EQ(RowOf(model, kC).parent, kP);
    EXPECT_EQ(Shape(model), "ROOT");
  });
  EXPECT_EQ(orders, Factorial(3));
}

TEST(WorkedExamples, Example9GapInKnownStateDoesNotCoverEarlierCounter) {
  const Op a1 = Insert("a1@1", kRoot, kP);
  const Op b1 = Insert("b1@2", kP, kC1);
  const Op b2 = Insert("b2@3", kP, kC2);
  const Op a2 = Delete("a2@4", kP, "a:1 b:2");
  // At A, which has only b2: the delete saw everything there is.
  std::size_t orders = ForEveryDeliveryOrder({a1, b2, a2}, [](const Model& model) {
    EXPECT_TRUE(model.is_tombstoned(kP));
    EXPECT_EQ(Shape(model), "ROOT");
  });
  EXPECT_EQ(orders, Factorial(3));
  // Once b1 arrives, seeing b:2 does not imply seeing b:1: P is visible again.
  orders = ForEveryDeliveryOrder({a1, b1, b2, a2}, [](const Model& model) {
    EXPECT_FALSE(model.is_tombstoned(kP));
    EXPECT_EQ(Shape(model), "ROOT(P(C1 C2))");
  });
  EXPECT_EQ(orders, Factorial(4));
}

TEST(WorkedExamples, Example10LosingPayloadWriteDoesNotRevive) {
  const Op s1 = Insert("s1@1", kRoot, kP);
  const Op p1 = Payload("p1@2", kP, "old");
  const Op p2 = Payload("p2@3", kP, "cur");
  const Op d1 = Delete("d1@4", kP, "s:1 p:2");
  const auto expect_tombstoned_with_current_payload = [](const Model& model) {
    EXPECT_TRUE(model.is_tombstoned(kP));
    EXPECT_EQ(model.payload(kP), "cur");
    EXPECT_EQ(Shape(model), "ROOT");
  };
  std::size_t orders = ForEveryDeliveryOrder({s1, p2, d1}, expect_tombstoned_with_current_payload);
  EXPECT_EQ(orders, Factorial(3));
  orders = ForEveryDeliveryOrder({s1, p1, p2, d1}, expect_tombstoned_with_current_payload);
  EXPECT_EQ(orders, Factorial(4));
}

TEST(WorkedExamples, Example11MoveRevivesTombstonedNode) {
  const Op a1 = Insert("a1@1", kRoot, kC);
  const Op a2 = Delete("a2@2", kC, "a:1");
  const Op a3 = Move("a3@3", kC, kRoot);
  std::size_t orders = ForEveryDeliveryOrder({a1, a2}, [](const Model& model) {
    EXPECT_TRUE(model.is_tombstoned(kC));
    EXPECT_EQ(model.parent(kC), kTrash);
    EXPECT_EQ(Shape(model), "ROOT");
  });
  EXPECT_EQ(orders, Factorial(2));
  orders = ForEveryDeliveryOrder({a1, a2, a3}, [](const Model& model) {
    EXPECT_FALSE(model.is_tombstoned(kC));
    EXPECT_EQ(model.parent(kC), kRoot);
    EXPECT_EQ(Shape(model), "ROOT(C)");
  });
  EXPECT_EQ(orders, Factorial(3));
}

TEST(WorkedExamples, Example12GrandchildMoveDotsOldParentAndRevivesAncestor) {
  const std::vector<Op> setup = {Insert("a1@1", kRoot, kP), Insert("a2@2", kP, kC),
                                 Insert("a3@3", kC, kG), Insert("a4@4", kRoot, kQ)};
  // A deletes P with the SVV it has: everything up to a3.
  const Model at_a = ModelOf(setup);
  ASSERT_EQ(at_a.subtree_version_vector(kP), Vv("a:1..3"));
  const Op delete_p = Delete("a5@5", kP, at_a.subtree_version_vector(kP));
  // B, which has the setup too, concurrently moves G from under C to Q.
  const Op move_g = Move("b1@5", kG, kQ);

  std::vector<Op> ops = setup;
  ops.push_back(delete_p);
  std::size_t orders = ForEveryDeliveryOrder(ops, [](const Model& model) {
    EXPECT_TRUE(model.is_tombstoned(kP));
    EXPECT_EQ(Shape(model), "ROOT(Q)");
  });
  EXPECT_EQ(orders, Factorial(5));

  ops.push_back(move_g);
  orders = ForEveryDeliveryOrder(ops, [](const Model& model) {
    // The move's dot lands on C, the old parent of G, so the delete did not see P's subtree.
    EXPECT_TRUE(RowOf(model, kC).last_change.entries.count(ReplicaId::of("b")));
    EXPECT_FALSE(model.is_tombstoned(kP));
    EXPECT_EQ(model.parent(kG), kQ);
    EXPECT_EQ(Shape(model), "ROOT(P(C) Q(G))");
  });
  EXPECT_EQ(orders, Factorial(6));
}

}  // namespace
}  // namespace treesim::model
