// The production materializer against the reference model, over every document store
// (MemoryStore and SqliteStore, one TEST_P instance each; a property runs rc::check under the
// test's full name, so RC_PARAMS="reproduce=..." replays a failure). Random op sets
// from racing replicas arrive in any order, in any batching, with duplicates, under each
// catch-up strategy and small undo windows (so rewind also falls back and trims); after every
// append the snapshot must equal the model's fold of what was delivered, the affected nodes must
// cover every changed row, and check_invariants() (which also compares the in-memory tree with
// the stored rows) must hold. Fault points fired at every site must roll a call back exactly,
// or in deferred mode keep the ops and catch up later to the model's state; "exactly" compares
// full store dumps read through the Store interface.
#include "materializer/materializer.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <memory>
#include <string>

#include "core/snapshot_diff.h"
#include "materializer/store.h"
#include "model/model.h"
#include "tests/materializer/materializer_fixture.h"
#include "tests/materializer/store_harness.h"
#include "tests/support/op_set_generator.h"
#include "tests/support/store_dump.h"

namespace treesim {
namespace {

using materializer_fixture::EveryDocumentStore;
using store_test::StoreHarness;
using store_test::StoreKind;
using test_support::gen_op_set;
using test_support::gen_permutation;
using test_support::permuted;

const std::vector<CatchUpStrategy> kStrategies = {
    CatchUpStrategy::kRebuild, CatchUpStrategy::kPrefixReplay, CatchUpStrategy::kRewind};

// Fails the call that passes the `countdown`-th fault site from now (any site), once.
class CountdownFaults final : public FaultPoints {
 public:
  void arm(int countdown) { countdown_ = countdown; }
  void disarm() { countdown_ = -1; }
  bool fired() const { return fired_; }
  bool should_fail(FaultSite) override {
    if (countdown_ < 0) return false;
    if (countdown_-- > 0) return false;
    fired_ = true;
    return true;
  }

 private:
  int countdown_ = -1;
  bool fired_ = false;
};

// A materializer of replica "z" over a fresh store of `kind`.
struct Replica {
  Replica(const StoreKind& kind, MaterializerOptions options) : harness(kind.make()) {
    auto opened = Materializer::open(store(), ReplicaId::of("z"), options);
    RC_ASSERT(opened.is_ok());
    materializer = std::move(*opened);
  }
  Store& store() { return harness->store(); }

  // Declared before the materializer, which must close before its store does.
  std::unique_ptr<StoreHarness> harness;
  std::unique_ptr<Materializer> materializer;
};

StoreDump dump(Store& store) {
  Result<StoreDump> dumped = dump_store(store);
  RC_ASSERT(dumped.is_ok());
  return *std::move(dumped);
}

// Runs each property, and each example test, once per document store.
class MaterializerOnStore : public ::testing::TestWithParam<StoreKind> {
 protected:
  static const StoreKind& Kind() { return GetParam(); }

  // Checks `property` with RapidCheck under the test's full name
  // ("Stores/Materializer.FaultAtAnySiteRollsTheCallBackExactly/Sqlite"), the id that a
  // failure's reproduce string carries.
  template <typename Property>
  static void Check(Property property) {
    const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
    const std::string id = std::string(test->test_suite_name()) + "." + test->name();
    EXPECT_TRUE(rc::check(id, property));
  }
};

void assert_matches_model(Materializer& materializer, const model::Model& model) {
  auto snapshot = materializer.snapshot();
  RC_ASSERT(snapshot.is_ok());
  const Snapshot expected = model.snapshot();
  if (*snapshot != expected) RC_FAIL(describe_snapshot_diff(expected, *snapshot, 8));
  if (auto broken = materializer.check_invariants()) RC_FAIL(*broken);
  // The workload's cheap view reads the children index and tombstone flags, not the rows.
  RC_ASSERT(materializer.materialized_visible_tree().children ==
            derive_visible_tree(*snapshot).children);
}

// Splits `ops` into consecutive batches at random points, sometimes re-sending an op.
std::vector<std::vector<Op>> gen_batches(const std::vector<Op>& ops) {
  std::vector<std::vector<Op>> batches;
  std::vector<Op> current;
  for (const Op& op : ops) {
    current.push_back(op);
    if (*rc::gen::inRange(0, 6) == 0 && !batches.empty()) {
      const auto& earlier = batches[*rc::gen::inRange<std::size_t>(0, batches.size())];
      if (!earlier.empty()) current.push_back(earlier.front());  // a duplicate delivery
    }
    if (*rc::gen::inRange(0, 3) == 0) batches.push_back(std::exchange(current, {}));
  }
  if (!current.empty()) batches.push_back(std::move(current));
  return batches;
}

MaterializerOptions gen_options(CatchUpStrategy strategy) {
  MaterializerOptions options;
  options.strategy = strategy;
  options.undo_retention = *rc::gen::element<std::uint64_t>(0, 1, 3, 8, 1 << 16);
  return options;
}

TEST_P(MaterializerOnStore, AnyArrivalOrderAndBatchingEqualsTheModel) {
  Check([] {
    const auto set = *gen_op_set();
    const auto order = *gen_permutation(set.ops.size());
    const auto batches = gen_batches(permuted(set.ops, order));
    for (CatchUpStrategy strategy : kStrategies) {
      Replica replica(Kind(), gen_options(strategy));
      model::Model model;
      for (const auto& batch : batches) {
        const Snapshot before = model.snapshot();
        RC_ASSERT(model.add_all(batch).is_ok());
        auto result = replica.materializer->append(batch);
        RC_ASSERT(result.is_ok());
        RC_ASSERT(!result->catch_up_pending);
        RC_ASSERT(result->head.seq == model.op_count());
        assert_matches_model(*replica.materializer, model);
        // Affected nodes are exactly the nodes whose snapshot row changed.
        std::vector<NodeId> changed;
        for (const SnapshotDifference& difference : diff_snapshots(before, model.snapshot())) {
          if (changed.empty() || changed.back() != difference.node) {
            changed.push_back(difference.node);
          }
        }
        RC_ASSERT(result->affected == changed);
      }
    }
  });
}

TEST_P(MaterializerOnStore, ReopenRecoversStateClockAndCounter) {
  Check([] {
    const auto set = *gen_op_set();
    const auto batches = gen_batches(permuted(set.ops, *gen_permutation(set.ops.size())));
    const CatchUpStrategy strategy = *rc::gen::elementOf(kStrategies);
    Replica replica(Kind(), gen_options(strategy));
    model::Model model;
    for (const auto& batch : batches) {
      RC_ASSERT(model.add_all(batch).is_ok());
      RC_ASSERT(replica.materializer->append(batch).is_ok());
    }
    const Snapshot before = *replica.materializer->snapshot();
    replica.materializer.reset();
    auto reopened = Materializer::open(replica.store(), ReplicaId::of("z"), gen_options(strategy));
    RC_ASSERT(reopened.is_ok());
    RC_ASSERT(*(*reopened)->snapshot() == before);
    assert_matches_model(**reopened, model);
    // A local op sorts after everything the log holds.
    auto local = (*reopened)->set_payload(kRoot, std::string("x"));
    RC_ASSERT(local.is_ok());
    for (const Op& op : set.ops) RC_ASSERT(op.key() < local->op.key());
  });
}

struct Observed {
  Snapshot snapshot;
  Head head;
  Frontier frontier;
};

Observed observe(Materializer& materializer) {
  return {materializer.materialized_snapshot(), materializer.head(), materializer.frontier()};
}

TEST_P(MaterializerOnStore, FaultAtAnySiteRollsTheCallBackExactly) {
  Check([] {
    const auto set = *gen_op_set();
    const auto batches = gen_batches(permuted(set.ops, *gen_permutation(set.ops.size())));
    CountdownFaults faults;
    MaterializerOptions options = gen_options(*rc::gen::elementOf(kStrategies));
    options.fault_points = &faults;
    Replica replica(Kind(), options);
    model::Model model;
    for (const auto& batch : batches) {
      const StoreDump store_before = dump(replica.store());
      const Observed before = observe(*replica.materializer);
      faults.arm(*rc::gen::inRange(0, 12));
      auto result = replica.materializer->append(batch);
      faults.disarm();
      if (!result.is_ok()) {
        RC_ASSERT(result.status().code() == StatusCode::kFaultInjected);
        const StoreDump store_after = dump(replica.store());
        if (store_after != store_before) RC_FAIL(describe_difference(store_before, store_after));
        const Observed after = observe(*replica.materializer);
        RC_ASSERT(after.snapshot == before.snapshot);
        RC_ASSERT(after.head == before.head);
        RC_ASSERT(after.frontier == before.frontier);
        if (auto broken = replica.materializer->check_invariants()) RC_FAIL(*broken);
        result = replica.materializer->append(batch);  // the retry succeeds
        RC_ASSERT(result.is_ok());
      }
      RC_ASSERT(model.add_all(batch).is_ok());
      assert_matches_model(*replica.materializer, model);
    }
    RC_TAG(faults.fired() ? "fault fired" : "no fault");
  });
}

TEST_P(MaterializerOnStore, DeferredModeKeepsOpsAndCatchesUpToTheModel) {
  Check([] {
    const auto set = *gen_op_set();
    const auto batches = gen_batches(permuted(set.ops, *gen_permutation(set.ops.size())));
    CountdownFaults faults;
    MaterializerOptions options = gen_options(*rc::gen::elementOf(kStrategies));
    options.fault_points = &faults;
    options.deferred = true;
    Replica replica(Kind(), options);
    model::Model model;
    bool any_pending = false;
    for (const auto& batch : batches) {
      std::optional<OpKey> smallest_new;
      for (const Op& op : batch) {
        if (!model.contains(op.id) && (!smallest_new || op.key() < *smallest_new)) {
          smallest_new = op.key();
        }
      }
      faults.arm(*rc::gen::inRange(0, 12));
      auto result = replica.materializer->append(batch);
      faults.disarm();
      RC_ASSERT(result.is_ok());  // deferred: a failed materialization is not a failed append
      RC_ASSERT(model.add_all(batch).is_ok());
      RC_ASSERT(replica.store().op_count().value() == model.op_count());
      if (result->catch_up_pending) {
        any_pending = true;
        const Frontier frontier = replica.materializer->frontier();
        RC_ASSERT(frontier.kind == Frontier::Kind::kKey);
        RC_ASSERT(smallest_new.has_value());
        RC_ASSERT(frontier.key <= *smallest_new);
        // Sometimes a failing ensure first: it keeps the frontier for a retry.
        if (*rc::gen::arbitrary<bool>()) {
          faults.arm(0);
          const Status failed = replica.materializer->ensure_materialized();
          faults.disarm();
          RC_ASSERT(!failed.is_ok());
          RC_ASSERT(replica.materializer->frontier() == frontier);
          if (auto broken = replica.materializer->check_invariants()) RC_FAIL(*broken);
        }
      }
      // Reading catches up; not reading lets pending frontiers accumulate across appends.
      if (*rc::gen::arbitrary<bool>()) {
        assert_matches_model(*replica.materializer, model);
        RC_ASSERT(replica.materializer->frontier().is_none());
      }
    }
    assert_matches_model(*replica.materializer, model);
    RC_TAG(any_pending ? "some batch left pending" : "no batch pending");
  });
}

TEST_P(MaterializerOnStore, EquivocationIsRejectedAndTheStoredOpStays) {
  const std::unique_ptr<StoreHarness> harness = Kind().make();
  Store& store = harness->store();
  auto materializer = *Materializer::open(store, ReplicaId::of("z"));
  const OpId id{ReplicaId::of("a"), 1};
  const Op original = make_insert(id, 1, kRoot, NodeId::from_low(1), std::string("\x80\x00", 2));
  ASSERT_TRUE(materializer->append({original}).is_ok());
  const Op forged = make_insert(id, 1, kRoot, NodeId::from_low(2), std::string("\x80\x00", 2));
  auto result = materializer->append({forged});
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), StatusCode::kEquivocation);
  EXPECT_NE(result.status().message().find("a:1"), std::string::npos);
  EXPECT_EQ(store.find_op(id).value(), original);
  EXPECT_EQ(materializer->probes().count(Probe::kEquivocationReject), 1u);
}

TEST_P(MaterializerOnStore, InvalidOpRejectsTheWholeBatchNamingIt) {
  const std::unique_ptr<StoreHarness> harness = Kind().make();
  Store& store = harness->store();
  auto materializer = *Materializer::open(store, ReplicaId::of("z"));
  const Op good = make_insert({ReplicaId::of("a"), 1}, 1, kRoot, NodeId::from_low(1), "");
  Op bad = make_insert({ReplicaId::of("a"), 2}, 2, kRoot, NodeId::from_low(2), "");
  bad.lamport = 0;
  auto result = materializer->append({good, bad});
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("batch op 1"), std::string::npos);
  EXPECT_NE(result.status().message().find("lamport"), std::string::npos);
  EXPECT_EQ(store.op_count().value(), 0u);
}

TEST_P(MaterializerOnStore, LocalOpsPlaceNodesAndRemoveCarriesTheSubtreeVersionVector) {
  const std::unique_ptr<StoreHarness> harness = Kind().make();
  auto m = *Materializer::open(harness->store(), ReplicaId::of("a"));
  const NodeId x = NodeId::from_low(1), y = NodeId::from_low(2), z = NodeId::from_low(3);
  ASSERT_TRUE(m->insert(kRoot, x, Placement::last()).is_ok());
  ASSERT_TRUE(m->insert(kRoot, y, Placement::first()).is_ok());
  ASSERT_TRUE(m->insert(kRoot, z, Placement::after(y)).is_ok());
  EXPECT_EQ(*m->children(kRoot), (std::vector<NodeId>{y, z, x}));
  auto moved = m->move(x, y, Placement::last());
  ASSERT_TRUE(moved.is_ok());
  EXPECT_EQ(moved->op.id.counter, 4u);
  EXPECT_EQ(moved->op.lamport, 4u);
  auto removed = m->remove(y);
  ASSERT_TRUE(removed.is_ok());
  // SVV(y) = y's insert (a:2) and the move of x into it (a:4) on y, x's dots (a:1, a:4).
  EXPECT_EQ(removed->op.known_state->to_display(), "{a:1..2,4}");
  EXPECT_EQ(*m->children(kRoot), (std::vector<NodeId>{z}));
  EXPECT_EQ(*m->parent(y), std::optional<NodeId>(kTrash));
  EXPECT_FALSE(m->insert(kRoot, NodeId::from_low(9), Placement::after(y)).is_ok());
  EXPECT_FALSE(m->move(NodeId::from_low(42), kRoot, Placement::last()).is_ok());
}

INSTANTIATE_TEST_SUITE_P(Stores, MaterializerOnStore, ::testing::ValuesIn(EveryDocumentStore()),
                         materializer_fixture::StoreTestName);

}  // namespace
}  // namespace treesim
