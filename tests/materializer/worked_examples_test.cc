// The worked examples of SEMANTICS.md §9 run through the production materializer, over every
// document store (MemoryStore, SqliteStore) and under every catch-up strategy (a TEST_P; rewind
// also with an undo window of one op, so it falls back).
// Each example's ops reach a fresh materializer in every order (all n! permutations) and in
// several batchings (one op per append, all in one append, and two appends split at every
// position, so every split of the ops into two sets; append sorts a batch, so the same sets in
// the same sequence are appended once); after every append check_invariants() must hold and the
// snapshot must equal the reference model's fold of the ops delivered so far, and at the end the
// example's stated outcome must hold.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "materializer/materializer.h"
#include "materializer/probes.h"
#include "model/model.h"
#include "tests/materializer/materializer_fixture.h"

namespace treesim {
namespace {

using namespace materializer_fixture;  // NOLINT(build/namespaces): the example verbs

struct StrategyConfig {
  const char* name;
  CatchUpStrategy strategy;
  std::uint64_t undo_retention;
  // The catch-up path this configuration must take in at least one delivery order.
  Probe catch_up_probe;
};

void PrintTo(const StrategyConfig& config, std::ostream* out) { *out << config.name; }

using StoreAndConfig = std::tuple<StoreKind, StrategyConfig>;

// "Rewind_Sqlite": the configuration, then the store.
std::string StoreAndConfigTestName(const ::testing::TestParamInfo<StoreAndConfig>& param) {
  return std::string(std::get<1>(param.param).name) + "_" + std::get<0>(param.param).name;
}

const StrategyConfig kConfigs[] = {
    {"Rebuild", CatchUpStrategy::kRebuild, 1 << 16, Probe::kCatchUpRebuild},
    {"PrefixReplay", CatchUpStrategy::kPrefixReplay, 1 << 16, Probe::kCatchUpPrefixReplay},
    {"Rewind", CatchUpStrategy::kRewind, 1 << 16, Probe::kCatchUpRewind},
    {"RewindFallingBack", CatchUpStrategy::kRewind, 1, Probe::kRewindFallback},
};

// The batchings tried for n ops, as batch sizes: one op per append, all in one append, and two
// appends split at every position (duplicates removed).
std::set<std::vector<std::size_t>> Batchings(std::size_t n) {
  std::set<std::vector<std::size_t>> batchings = {std::vector<std::size_t>(n, 1), {n}};
  for (std::size_t split = 1; split < n; ++split) batchings.insert({split, n - split});
  return batchings;
}

std::vector<std::vector<Op>> SplitIntoBatches(const std::vector<Op>& delivered,
                                              const std::vector<std::size_t>& sizes) {
  std::vector<std::vector<Op>> batches;
  auto next = delivered.begin();
  for (std::size_t size : sizes) {
    batches.emplace_back(next, next + static_cast<std::ptrdiff_t>(size));
    next += static_cast<std::ptrdiff_t>(size);
  }
  return batches;
}

// A batch is a set (append sorts it canonically), so two deliveries that append the same sets in
// the same sequence are the same input; this names that input.
std::vector<std::vector<OpId>> InputOf(const std::vector<std::vector<Op>>& batches) {
  std::vector<std::vector<OpId>> input;
  for (const std::vector<Op>& batch : batches) {
    std::vector<OpId>& ids = input.emplace_back();
    for (const Op& op : batch) ids.push_back(op.id);
    std::sort(ids.begin(), ids.end());
  }
  return input;
}

class MaterializerWorkedExamples : public ::testing::TestWithParam<StoreAndConfig> {
 protected:
  static const StoreKind& Kind() { return std::get<0>(GetParam()); }
  static const StrategyConfig& Config() { return std::get<1>(GetParam()); }

  // Delivers `ops` to a fresh materializer in every order and every batching, expecting the
  // model's state after every append, then runs `check` on the result. Returns the number of
  // orders. A sequence of batches that an earlier order already appended (the same sets in the
  // same sequence) is not appended again. With three ops or more, expects the configuration's
  // catch-up path to have been taken (with two, the late op always sorts before the oldest undo
  // record, where rewind falls back).
  template <typename Check>
  std::size_t ForEveryDeliveryOrderAndBatching(const std::vector<Op>& ops, Check check) {
    Probes probes;
    std::set<std::vector<std::vector<OpId>>> appended;
    const std::size_t orders = ForEveryPermutation(ops, [&](const std::vector<Op>& delivered) {
      for (const std::vector<std::size_t>& sizes : Batchings(delivered.size())) {
        const std::vector<std::vector<Op>> batches = SplitIntoBatches(delivered, sizes);
        if (!appended.insert(InputOf(batches)).second) continue;
        const std::unique_ptr<StoreHarness> store = Kind().make();
        const std::unique_ptr<Materializer> materializer = Open(store->store(), Options());
        ASSERT_NE(materializer, nullptr);
        Deliver(*materializer, batches);
        check(*materializer);
        probes.add(materializer->probes());
        store->check_invariants();
      }
    });
    if (ops.size() > 2) {
      EXPECT_GT(probes.count(Config().catch_up_probe), 0u);
    }
    return orders;
  }

 private:
  MaterializerOptions Options() const {
    MaterializerOptions options;
    options.strategy = Config().strategy;
    options.undo_retention = Config().undo_retention;
    return options;
  }

  // Appends `batches` in sequence; after each append the materializer must equal the model of
  // what it was given so far and hold its invariants.
  void Deliver(Materializer& materializer, const std::vector<std::vector<Op>>& batches) {
    std::string trace = "batch sizes:";
    for (const std::vector<Op>& batch : batches) trace += " " + std::to_string(batch.size());
    SCOPED_TRACE(trace);
    model::Model model;
    for (const std::vector<Op>& batch : batches) {
      ASSERT_TRUE(model.add_all(batch).is_ok());
      auto result = materializer.append(batch);
      ASSERT_TRUE(result.is_ok()) << result.status().to_string();
      EXPECT_FALSE(result->catch_up_pending);
      EXPECT_EQ(result->head.seq, model.op_count());
      ExpectMatchesModel(materializer, model);
    }
  }
};

TEST_P(MaterializerWorkedExamples, Example1LaterMoveWins) {
  const std::vector<Op> ops = {Insert("a1@1", kRoot, kL), Insert("a2@2", kRoot, kR),
                               Insert("a3@3", kRoot, kX), Move("a4@4", kX, kL),
                               Move("b1@5", kX, kR)};
  const std::size_t orders = ForEveryDeliveryOrderAndBatching(ops, [](Materializer& m) {
    EXPECT_EQ(ParentOf(m, kX), kR);
    EXPECT_EQ(Shape(m), "ROOT(L R(X))");
  });
  EXPECT_EQ(orders, Factorial(5));
}

TEST_P(MaterializerWorkedExamples, Example2LamportTieIsBrokenByReplicaBytes) {
  const std::vector<Op> ops = {Insert("s1@1", kRoot, kA), Insert("s2@2", kRoot, kB),
                               Insert("s3@3", kRoot, kX), Move("a10@5", kX, kA),
                               Move("b10@5", kX, kB)};
  const std::size_t orders = ForEveryDeliveryOrderAndBatching(ops, [](Materializer& m) {
    EXPECT_EQ(ParentOf(m, kX), kB);
    EXPECT_EQ(Shape(m), "ROOT(A B(X))");
  });
  EXPECT_EQ(orders, Factorial(5));
}

TEST_P(MaterializerWorkedExamples, Example3LamportOrdersOpsOfOneReplicaNotCounter) {
  const std::vector<Op> ops = {Insert("s1@1", kRoot, kA), Insert("s2@2", kRoot, kB),
                               Insert("s3@3", kRoot, kX), Move("a4@5", kX, kA),
                               Move("a5@4", kX, kB)};
  const std::size_t orders = ForEveryDeliveryOrderAndBatching(ops, [](Materializer& m) {
    EXPECT_EQ(ParentOf(m, kX), kA);
    EXPECT_EQ(Shape(m), "ROOT(A(X) B)");
  });
  EXPECT_EQ(orders, Factorial(5));
}

TEST_P(MaterializerWorkedExamples, Example4MoveUnderOwnChildIsSkipped) {
  const std::vector<Op> ops = {Insert("a1@1", kRoot, kA), Insert("a2@2", kA, kB),
                               Move("a3@3", kA, kB)};
  const std::size_t orders = ForEveryDeliveryOrderAndBatching(ops, [](Materializer& m) {
    EXPECT_EQ(ParentOf(m, kA), kRoot);
    EXPECT_EQ(ParentOf(m, kB), kA);
    EXPECT_EQ(Shape(m), "ROOT(A(B))");
    // The skipped move left no dot anywhere.
    EXPECT_EQ(RowOf(m, kA).last_change, Vv("a:1..2"));
    EXPECT_EQ(RowOf(m, kB).last_change, Vv("a:2"));
  });
  EXPECT_EQ(orders, Factorial(3));
}

TEST_P(MaterializerWorkedExamples, Example5InsertUnderPlaceholderAttachesWhenParentArrives) {
  const std::vector<Op> ops = {Insert("r1@1", kP, kC), Insert("r2@2", kRoot, kP)};
  const std::size_t orders = ForEveryDeliveryOrderAndBatching(ops, [](Materializer& m) {
    EXPECT_EQ(ParentOf(m, kC), kP);
    EXPECT_EQ(ParentOf(m, kP), kRoot);
    EXPECT_EQ(Shape(m), "ROOT(P(C))");
  });
  EXPECT_EQ(orders, Factorial(2));
}

TEST_P(MaterializerWorkedExamples, Example6ConcurrentPayloadsTieBrokenByReplicaBytes) {
  const std::vector<Op> ops = {Insert("s1@1", kRoot, kN), Payload("a1@5", kN, "A"),
                               Payload("b1@5", kN, "B")};
  const std::size_t orders = ForEveryDeliveryOrderAndBatching(ops, [](Materializer& m) {
    EXPECT_EQ(PayloadOf(m, kN), "B");
    EXPECT_EQ(RowOf(m, kN).writer, (OpKey{5, ReplicaId::of("b"), 1}));
  });
  EXPECT_EQ(orders, Factorial(3));
}

TEST_P(MaterializerWorkedExamples, Example7DeleteThatMissedAnInsertLoses) {
  const std::vector<Op> ops = {Insert("a1@1", kRoot, kP), Insert("b1@2", kP, kC),
                               Delete("a2@2", kP, "a:1")};
  const std::size_t orders = ForEveryDeliveryOrderAndBatching(ops, [](Materializer& m) {
    EXPECT_EQ(CanonicalLog(m), (std::vector<std::string>{"a:1", "a:2", "b:1"}));
    EXPECT_EQ(RowOf(m, kP).deleted_at, Vv("a:1..2"));
    EXPECT_FALSE(IsTombstoned(m, kP));
    EXPECT_EQ(Shape(m), "ROOT(P(C))");
  });
  EXPECT_EQ(orders, Factorial(3));
}

TEST_P(MaterializerWorkedExamples, Example8DeleteThatSawEverythingTombstones) {
  const std::vector<Op> ops = {Insert("a1@1", kRoot, kP), Insert("b1@2", kP, kC),
                               Delete("a2@3", kP, "a:1 b:1")};
  const std::size_t orders = ForEveryDeliveryOrderAndBatching(ops, [](Materializer& m) {
    EXPECT_TRUE(IsTombstoned(m, kP));
    EXPECT_EQ(ParentOf(m, kP), kTrash);
    // C keeps its stored parent but is hidden: it is not reachable through visible nodes.
    EXPECT_FALSE(IsTombstoned(m, kC));
    EXPECT_EQ(ParentOf(m, kC), kP);
    EXPECT_EQ(RowOf(m, kC).parent, kP);
    EXPECT_EQ(Shape(m), "ROOT");
  });
  EXPECT_EQ(orders, Factorial(3));
}

TEST_P(MaterializerWorkedExamples, Example9GapInKnownStateDoesNotCoverEarlierCounter) {
  const Op a1 = Insert("a1@1", kRoot, kP);
  const Op b1 = Insert("b1@2", kP, kC1);
  const Op b2 = Insert("b2@3", kP, kC2);
  const Op a2 = Delete("a2@4", kP, "a:1 b:2");
  // At A, which has only b2: the delete saw everything there is.
  std::size_t orders = ForEveryDeliveryOrderAndBatching({a1, b2, a2}, [](Materializer& m) {
    EXPECT_TRUE(IsTombstoned(m, kP));
    EXPECT_EQ(Shape(m), "ROOT");
  });
  EXPECT_EQ(orders, Factorial(3));
  // Once b1 arrives, seeing b:2 does not imply seeing b:1: P is visible again.
  orders = ForEveryDeliveryOrderAndBatching({a1, b1, b2, a2}, [](Materializer& m) {
    EXPECT_FALSE(IsTombstoned(m, kP));
    EXPECT_EQ(Shape(m), "ROOT(P(C1 C2))");
  });
  EXPECT_EQ(orders, Factorial(4));
}

TEST_P(MaterializerWorkedExamples, Example10LosingPayloadWriteDoesNotRevive) {
  const Op s1 = Insert("s1@1", kRoot, kP);
  const Op p1 = Payload("p1@2", kP, "old");
  const Op p2 = Payload("p2@3", kP, "cur");
  const Op d1 = Delete("d1@4", kP, "s:1 p:2");
  const auto expect_tombstoned_with_current_payload = [](Materializer& m) {
    EXPECT_TRUE(IsTombstoned(m, kP));
    EXPECT_EQ(PayloadOf(m, kP), "cur");
    EXPECT_EQ(Shape(m), "ROOT");
  };
  std::size_t orders =
      ForEveryDeliveryOrderAndBatching({s1, p2, d1}, expect_tombstoned_with_current_payload);
  EXPECT_EQ(orders, Factorial(3));
  orders =
      ForEveryDeliveryOrderAndBatching({s1, p1, p2, d1}, expect_tombstoned_with_current_payload);
  EXPECT_EQ(orders, Factorial(4));
}

TEST_P(MaterializerWorkedExamples, Example11MoveRevivesTombstonedNode) {
  const Op a1 = Insert("a1@1", kRoot, kC);
  const Op a2 = Delete("a2@2", kC, "a:1");
  const Op a3 = Move("a3@3", kC, kRoot);
  std::size_t orders = ForEveryDeliveryOrderAndBatching({a1, a2}, [](Materializer& m) {
    EXPECT_TRUE(IsTombstoned(m, kC));
    EXPECT_EQ(ParentOf(m, kC), kTrash);
    EXPECT_EQ(Shape(m), "ROOT");
  });
  EXPECT_EQ(orders, Factorial(2));
  orders = ForEveryDeliveryOrderAndBatching({a1, a2, a3}, [](Materializer& m) {
    EXPECT_FALSE(IsTombstoned(m, kC));
    EXPECT_EQ(ParentOf(m, kC), kRoot);
    EXPECT_EQ(Shape(m), "ROOT(C)");
  });
  EXPECT_EQ(orders, Factorial(3));
}

TEST_P(MaterializerWorkedExamples, Example12GrandchildMoveDotsOldParentAndRevivesAncestor) {
  const std::vector<Op> setup = {Insert("a1@1", kRoot, kP), Insert("a2@2", kP, kC),
                                 Insert("a3@3", kC, kG), Insert("a4@4", kRoot, kQ)};
  // A deletes P with the SVV it has: its own remove() mints a5@5 knowing everything up to a3.
  const std::unique_ptr<StoreHarness> store_at_a = Kind().make();
  const std::unique_ptr<Materializer> at_a = Open(store_at_a->store(), {}, ReplicaId::of("a"));
  ASSERT_NE(at_a, nullptr);
  ASSERT_TRUE(at_a->append(setup).is_ok());
  auto removed = at_a->remove(kP);
  ASSERT_TRUE(removed.is_ok()) << removed.status().to_string();
  const Op delete_p = removed->op;
  ASSERT_EQ(delete_p, Delete("a5@5", kP, "a:1..3"));
  // B, which has the setup too, concurrently moves G from under C to Q.
  const Op move_g = Move("b1@5", kG, kQ);

  std::vector<Op> ops = setup;
  ops.push_back(delete_p);
  std::size_t orders = ForEveryDeliveryOrderAndBatching(ops, [](Materializer& m) {
    EXPECT_TRUE(IsTombstoned(m, kP));
    EXPECT_EQ(Shape(m), "ROOT(Q)");
  });
  EXPECT_EQ(orders, Factorial(5));

  ops.push_back(move_g);
  orders = ForEveryDeliveryOrderAndBatching(ops, [](Materializer& m) {
    // The move's dot lands on C, the old parent of G, so the delete did not see P's subtree.
    EXPECT_TRUE(RowOf(m, kC).last_change.entries.count(ReplicaId::of("b")));
    EXPECT_FALSE(IsTombstoned(m, kP));
    EXPECT_EQ(ParentOf(m, kG), kQ);
    EXPECT_EQ(Shape(m), "ROOT(P(C) Q(G))");
  });
  EXPECT_EQ(orders, Factorial(6));
}

INSTANTIATE_TEST_SUITE_P(EveryStrategy, MaterializerWorkedExamples,
                         ::testing::Combine(::testing::ValuesIn(EveryDocumentStore()),
                                            ::testing::ValuesIn(kConfigs)),
                         StoreAndConfigTestName);

}  // namespace
}  // namespace treesim
