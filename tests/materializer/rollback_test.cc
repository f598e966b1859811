// Failure and rollback (SEMANTICS.md §8), one named test per fault site. Each site has a scripted
// scenario that provably passes it (the test asserts the fault fired), and a fault point that
// fails the call the Nth time it passes that site. A failed call must leave no trace: store
// contents, snapshot, head and frontier exactly as before, invariants intact, and the retry must
// reach the model's state. In deferred mode a failed materialization must instead keep the ops,
// record a frontier no later than the smallest new key, and catch up later to the model's state.
// Every site runs over every document store (MemoryStore and SqliteStore); "exactly as before"
// compares full store dumps read through the Store interface.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "materializer/fault_points.h"
#include "materializer/materializer.h"
#include "materializer/store.h"
#include "model/model.h"
#include "tests/materializer/materializer_fixture.h"
#include "tests/support/store_dump.h"

namespace treesim {
namespace {

using namespace materializer_fixture;  // NOLINT(build/namespaces): the example verbs

// Fails the `pass`-th time a call passes `site` after arm(), once; every other site and pass
// goes through.
class SiteFaults final : public FaultPoints {
 public:
  void arm(FaultSite site, int pass) {
    site_ = site;
    pass_ = pass;
    passes_ = 0;
    fired_ = false;
  }
  void disarm() { site_.reset(); }
  bool fired() const { return fired_; }
  int passes() const { return passes_; }

  bool should_fail(FaultSite site) override {
    if (site != site_) return false;
    fired_ = ++passes_ == pass_;
    if (fired_) site_.reset();
    return fired_;
  }

 private:
  std::optional<FaultSite> site_;
  int pass_ = 0;
  int passes_ = 0;
  bool fired_ = false;
};

// What the scenario of a site calls with the fault armed.
enum class Call { kAppend, kEnsureMaterialized };

struct Scenario {
  CatchUpStrategy strategy;
  Call call;
  // The site fails the `pass`-th time the call passes it.
  int pass;
  // Appended first, one batch at a time, without faults.
  std::vector<std::vector<Op>> setup;
  // The batch the call appends; for kEnsureMaterialized it is appended first in deferred mode
  // with its materialization failing, so that ensure_materialized() has a frontier to catch up.
  std::vector<Op> batch;
};

// The log every scenario starts from, one op per append so that each op is applied in order
// and leaves an undo record: A and B under ROOT, B moved under A, C inserted under A.
std::vector<std::vector<Op>> InOrderLog() {
  return {{Insert("a1@1", kRoot, kA)},
          {Insert("a2@3", kRoot, kB)},
          {Move("a3@4", kB, kA)},
          {Insert("a4@5", kA, kC)}};
}

// Sorts between a1 and a2, so catching it up undoes a4, a3, a2 and re-applies b1, a2, a3, a4. It
// also changes their outcome: A goes under the placeholder B, which a2 then attaches to ROOT,
// so a3 (B under A) becomes a cycle and is skipped.
Op LateMove() { return Move("b1@2", kA, kB); }

Scenario ScenarioFor(FaultSite site) {
  switch (site) {
    case FaultSite::kAfterStoreOps:  // passed by every append that stores a new op
      return {CatchUpStrategy::kRewind, Call::kAppend, 1, InOrderLog(), {LateMove()}};
    case FaultSite::kMidIncrementalApply:  // passed between the three ops of an in-order batch
      return {CatchUpStrategy::kRewind,
              Call::kAppend,
              2,
              InOrderLog(),
              {Payload("a5@6", kC, "c"), Move("a6@7", kC, kRoot), Insert("a7@8", kC, kG)}};
    case FaultSite::kMidUndo:  // passed between the three undone ops a4, a3, a2
      return {CatchUpStrategy::kRewind, Call::kAppend, 2, InOrderLog(), {LateMove()}};
    case FaultSite::kMidRedo:  // passed between the four re-applied ops b1, a2, a3, a4
      return {CatchUpStrategy::kRewind, Call::kAppend, 3, InOrderLog(), {LateMove()}};
    case FaultSite::kBeforeHeadWrite:  // passed by every materializing call, here a prefix replay
      return {CatchUpStrategy::kPrefixReplay, Call::kAppend, 1, InOrderLog(), {LateMove()}};
    case FaultSite::kMidEnsure:  // passed by ensure_materialized() with a frontier pending
      return {CatchUpStrategy::kRewind, Call::kEnsureMaterialized, 1, InOrderLog(), {LateMove()}};
    case FaultSite::kCount:
      break;
  }
  TS_UNREACHABLE();
}

// What a failed call must leave as it was (besides the store's contents).
struct Observed {
  Snapshot snapshot;
  Head head;
  Frontier frontier;
};

Observed Observe(const Materializer& materializer) {
  return {materializer.materialized_snapshot(), materializer.head(), materializer.frontier()};
}

void ExpectUnchanged(const Observed& before, const Observed& after) {
  EXPECT_EQ(describe_snapshot_diff(before.snapshot, after.snapshot), "");
  EXPECT_TRUE(after.head == before.head)
      << "head seq " << before.head.seq << " -> " << after.head.seq;
  EXPECT_TRUE(after.frontier == before.frontier)
      << before.frontier.to_display() << " -> " << after.frontier.to_display();
}

// Fault sites as test names: kMidUndo -> "MidUndo".
std::string SiteName(FaultSite site) {
  std::string name;
  bool upper = true;
  for (const char c : std::string(fault_site_name(site))) {
    if (c == '-') {
      upper = true;
      continue;
    }
    name += upper ? static_cast<char>(c - 'a' + 'A') : c;
    upper = false;
  }
  return name;
}

using StoreAndSite = std::tuple<StoreKind, FaultSite>;

// "MidUndo_Sqlite": the site, then the store.
std::string StoreAndSiteTestName(const ::testing::TestParamInfo<StoreAndSite>& param) {
  return SiteName(std::get<1>(param.param)) + "_" + std::get<0>(param.param).name;
}

class FaultSiteTest : public ::testing::TestWithParam<StoreAndSite> {
 protected:
  static FaultSite Site() { return std::get<1>(GetParam()); }

  // Opens the materializer with the scenario's strategy and the fault points, and appends the
  // scenario's setup (mirrored into the model).
  void OpenAndSetUp(bool deferred) {
    MaterializerOptions options;
    options.strategy = scenario_.strategy;
    options.deferred = deferred;
    options.fault_points = &faults_;
    materializer_ = Open(store(), options);
    ASSERT_NE(materializer_, nullptr);
    for (const std::vector<Op>& batch : scenario_.setup) {
      ASSERT_TRUE(model_.add_all(batch).is_ok());
      ASSERT_TRUE(materializer_->append(batch).is_ok());
    }
    ExpectMatchesModel(*materializer_, model_);
  }

  // Deferred mode: appends the scenario's batch with its materialization failing right after
  // the ops are stored, so the ops stay behind a pending frontier.
  void AppendLeavingPending() {
    faults_.arm(FaultSite::kAfterStoreOps, 1);
    auto result = materializer_->append(scenario_.batch);
    faults_.disarm();
    ASSERT_TRUE(faults_.fired());
    ASSERT_TRUE(result.is_ok()) << result.status().to_string();
    ASSERT_TRUE(result->catch_up_pending);
    ASSERT_TRUE(model_.add_all(scenario_.batch).is_ok());
  }

  // Runs `body` with the fault armed at the site under test; expects it to have fired.
  template <typename Body>
  auto WithFaultArmed(Body body) {
    faults_.arm(Site(), scenario_.pass);
    auto outcome = body();
    faults_.disarm();
    EXPECT_TRUE(faults_.fired()) << fault_site_name(Site()) << " passed " << faults_.passes()
                                 << " times, the fault was to fire on pass " << scenario_.pass;
    return outcome;
  }

  // The scenario's call: append the batch, or catch it up.
  Status Invoke() {
    if (scenario_.call == Call::kEnsureMaterialized) return materializer_->ensure_materialized();
    return materializer_->append(scenario_.batch).status();
  }

  Store& store() { return harness_->store(); }

  const Scenario scenario_ = ScenarioFor(Site());
  SiteFaults faults_;
  // Declared before the materializer, which must close before its store does.
  const std::unique_ptr<StoreHarness> harness_ = std::get<0>(GetParam()).make();
  std::unique_ptr<Materializer> materializer_;
  model::Model model_;
};

using RollbackAtFaultSite = FaultSiteTest;

TEST_P(RollbackAtFaultSite, FailedCallLeavesNoTraceAndTheRetryReachesTheModel) {
  const bool ensure = scenario_.call == Call::kEnsureMaterialized;
  ASSERT_NO_FATAL_FAILURE(OpenAndSetUp(/*deferred=*/ensure));
  if (ensure) {
    ASSERT_NO_FATAL_FAILURE(AppendLeavingPending());
  }
  const StoreDump store_before = DumpOf(store());
  const Observed before = Observe(*materializer_);

  const Status status = WithFaultArmed([&] { return Invoke(); });
  ASSERT_TRUE(faults_.fired());
  EXPECT_EQ(status.code(), StatusCode::kFaultInjected) << status.to_string();
  EXPECT_EQ(describe_difference(store_before, DumpOf(store())), "");
  harness_->check_invariants();
  ExpectUnchanged(before, Observe(*materializer_));
  const std::optional<std::string> broken = materializer_->check_invariants();
  EXPECT_FALSE(broken.has_value()) << broken.value_or("");

  const Status retry = Invoke();
  ASSERT_TRUE(retry.is_ok()) << retry.to_string();
  if (!ensure) {
    ASSERT_TRUE(model_.add_all(scenario_.batch).is_ok());
  }
  EXPECT_TRUE(materializer_->frontier().is_none());
  EXPECT_EQ(materializer_->head().seq, model_.op_count());
  ExpectMatchesModel(*materializer_, model_);
  harness_->check_invariants();
}

using DeferredAtFaultSite = FaultSiteTest;

TEST_P(DeferredAtFaultSite, FailedMaterializationKeepsTheOpsAndCatchesUpLater) {
  ASSERT_EQ(scenario_.call, Call::kAppend);
  ASSERT_NO_FATAL_FAILURE(OpenAndSetUp(/*deferred=*/true));
  const Observed before = Observe(*materializer_);
  std::optional<OpKey> smallest_new;
  for (const Op& op : scenario_.batch) {
    if (!model_.contains(op.id)) smallest_new = std::min(smallest_new.value_or(op.key()), op.key());
  }
  ASSERT_TRUE(smallest_new.has_value());

  auto result = WithFaultArmed([&] { return materializer_->append(scenario_.batch); });
  ASSERT_TRUE(faults_.fired());
  ASSERT_TRUE(result.is_ok()) << result.status().to_string();
  EXPECT_TRUE(result->catch_up_pending);
  EXPECT_TRUE(result->head == before.head);
  ASSERT_TRUE(model_.add_all(scenario_.batch).is_ok());
  // The log holds the ops from before and the batch; the rows are still those from before.
  auto log = materializer_->ops_missing_from(VersionVector{});
  ASSERT_TRUE(log.is_ok());
  EXPECT_TRUE(*log == model_.sorted_ops());
  EXPECT_EQ(CanonicalLog(*materializer_).size(), model_.op_count());
  EXPECT_EQ(describe_snapshot_diff(before.snapshot, materializer_->materialized_snapshot()), "");
  EXPECT_EQ(materializer_->frontier().kind, Frontier::Kind::kKey);
  EXPECT_TRUE(materializer_->frontier().key <= *smallest_new)
      << materializer_->frontier().to_display() << " is after " << smallest_new->to_display();
  const std::optional<std::string> broken = materializer_->check_invariants();
  EXPECT_FALSE(broken.has_value()) << broken.value_or("");

  ASSERT_TRUE(materializer_->ensure_materialized().is_ok());
  EXPECT_TRUE(materializer_->frontier().is_none());
  EXPECT_EQ(materializer_->head().seq, model_.op_count());
  ExpectMatchesModel(*materializer_, model_);
  harness_->check_invariants();
}

INSTANTIATE_TEST_SUITE_P(
    EverySite, RollbackAtFaultSite,
    ::testing::Combine(::testing::ValuesIn(EveryDocumentStore()),
                       ::testing::Values(FaultSite::kAfterStoreOps, FaultSite::kMidIncrementalApply,
                                         FaultSite::kMidUndo, FaultSite::kMidRedo,
                                         FaultSite::kBeforeHeadWrite, FaultSite::kMidEnsure)),
    StoreAndSiteTestName);

// Every site an append's materialization passes (mid-ensure is ensure_materialized()'s own).
INSTANTIATE_TEST_SUITE_P(
    EveryAppendSite, DeferredAtFaultSite,
    ::testing::Combine(::testing::ValuesIn(EveryDocumentStore()),
                       ::testing::Values(FaultSite::kAfterStoreOps, FaultSite::kMidIncrementalApply,
                                         FaultSite::kMidUndo, FaultSite::kMidRedo,
                                         FaultSite::kBeforeHeadWrite)),
    StoreAndSiteTestName);

}  // namespace
}  // namespace treesim
