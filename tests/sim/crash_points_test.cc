// Crash at every point (SEMANTICS.md §8, "Crash"): whatever write or sync the power goes off
// after, and whatever the disk then keeps of the unsynced writes, a reopened materializer holds
// every op of every call that returned ok, all or none of the interrupted call's ops, an intact
// database, and, once caught up, exactly the model's fold of the ops its log holds.
// Method (SQLite's crash tests): a fault-free run of each scenario counts the xWrite and xSync
// calls of its final call; then for every i a fresh run lets the first i of them through
// (SimVfs::stop_after), crashes the disk under each crash policy while the store is open,
// reopens and checks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "sim/entropy.h"
#include "sim/sim_vfs.h"
#include "tests/sim/storage_fault_scenarios.h"

namespace treesim::storage_faults {
namespace {

struct CrashVariant {
  CrashPolicy policy;
  std::uint64_t seed;  // for the policies that draw (tear, random)
  const char* name;
};

constexpr CrashVariant kCrashVariants[] = {
    {CrashPolicy::kKeepAll, 1, "keep-all"},      // every unsynced write reached the disk
    {CrashPolicy::kDropAll, 1, "drop-all"},      // none did
    {CrashPolicy::kTearAll, 1, "tear-all"},      // each kept a sector-aligned proper prefix
    {CrashPolicy::kRandom, 1, "random seed 1"},  // each kept, dropped or torn at random
    {CrashPolicy::kRandom, 2, "random seed 2"},
};

// Stop reporting a scenario after this many failed runs: the first ones say what is wrong.
constexpr int kFailedRunsReported = 3;

// How many of `ops` the log holds, the same op (not just the same id).
std::size_t CountHeld(const std::vector<Op>& log, const std::vector<Op>& ops) {
  std::size_t held = 0;
  for (const Op& op : ops) {
    if (std::find(log.begin(), log.end(), op) != log.end()) ++held;
  }
  return held;
}

// One run: the prefix, the step with the power going off after its `point`-th write or sync,
// the crash, the reopen and the checks. Problems (empty: none); `held_all` says whether the
// reopened log holds the interrupted call's ops.
std::vector<std::string> CrashAt(const Scenario& scenario, const Reference& reference,
                                 std::uint64_t point, const CrashVariant& variant, bool& held_all) {
  Document document(/*seed=*/point + 1, scenario.options);
  Before before;
  std::vector<std::string> problems = SetUpPrefix(document, scenario, nullptr, before);
  if (!problems.empty()) return problems;

  document.vfs().stop_after(point);
  const StepResult result = scenario.step(document);
  const bool stopped = document.vfs().stopped();
  const bool after_the_last_call =
      point == reference.step_calls.writes + reference.step_calls.syncs;
  if (stopped == after_the_last_call) {
    problems.push_back(std::string("the step was ") + (stopped ? "" : "not ") +
                       "cut short, unlike the reference run");
  }
  if (!stopped && !result.status.is_ok()) {
    problems.push_back("the step failed with every call let through: " + result.status.to_string());
  }
  if (result.status.is_ok() && result.ops != reference.step_ops) {
    problems.push_back("the step added " + Ids(result.ops) + ", the reference run " +
                       Ids(reference.step_ops));
  }

  Rng rng(variant.seed * 1000003 + point);
  document.vfs().crash(variant.policy, rng);
  document.Close();
  document.vfs().check_invariants();

  if (const Status opened = document.OpenStore(); !opened.is_ok()) {
    problems.push_back("reopening the store: " + opened.to_string());
    return problems;
  }
  if (const std::string integrity = IntegrityCheck(document.vfs()); integrity != "ok") {
    problems.push_back("integrity_check: " + integrity);
  }
  if (const Status opened = document.OpenMaterializer(); !opened.is_ok()) {
    problems.push_back("reopening the materializer: " + opened.to_string());
    return problems;
  }
  Result<std::vector<Op>> log = LogOf(document.materializer());
  if (!log.is_ok()) {
    problems.push_back("reading the log: " + log.status().to_string());
    return problems;
  }
  const std::size_t held = CountHeld(*log, reference.step_ops);
  if (held != 0 && held != reference.step_ops.size()) {
    problems.push_back("the log holds " + std::to_string(held) + " of the interrupted call's " +
                       std::to_string(reference.step_ops.size()) + " ops");
  }
  if (result.status.is_ok() && held != reference.step_ops.size()) {
    problems.push_back("the acknowledged ops " + Ids(reference.step_ops) + " were lost");
  }
  held_all = held == reference.step_ops.size();
  std::vector<Op> expected = reference.prefix_ops;
  if (held_all) {
    expected.insert(expected.end(), reference.step_ops.begin(), reference.step_ops.end());
  }
  for (std::string& problem : CheckHoldsExactly(document, expected)) {
    problems.push_back(std::move(problem));
  }
  return problems;
}

class CrashAtEveryPoint : public ::testing::TestWithParam<std::string> {};

TEST_P(CrashAtEveryPoint, AcknowledgedOpsSurviveAndTheInterruptedCallIsAllOrNothing) {
  const Scenario scenario = ScenarioNamed(GetParam());
  Reference reference;
  const std::vector<std::string> reference_problems = RunReference(scenario, reference);
  ASSERT_TRUE(reference_problems.empty()) << Describe(reference_problems);
  const std::uint64_t calls = reference.step_calls.writes + reference.step_calls.syncs;
  // The step must write, or there is nothing to interrupt.
  ASSERT_GT(calls, 0u);

  std::uint64_t runs = 0;
  int failed_runs = 0;
  // Runs after which the interrupted call's ops were all there, and none of them.
  std::uint64_t runs_holding_all = 0;
  std::uint64_t runs_holding_none = 0;
  for (std::uint64_t point = 0; point <= calls && failed_runs < kFailedRunsReported; ++point) {
    for (const CrashVariant& variant : kCrashVariants) {
      bool held_all = false;
      const std::vector<std::string> problems =
          CrashAt(scenario, reference, point, variant, held_all);
      ++runs;
      ++(held_all ? runs_holding_all : runs_holding_none);
      if (!problems.empty()) {
        ++failed_runs;
        ADD_FAILURE() << scenario.name << ": power off after " << point << " of the step's "
                      << calls << " write/sync calls, crash " << variant.name << Describe(problems);
        if (failed_runs >= kFailedRunsReported) break;
      }
    }
  }
  if (!reference.step_ops.empty() && failed_runs == 0) {
    // Both sides of the commit point were reached, so both halves of all-or-none were checked.
    EXPECT_GT(runs_holding_all, 0u);
    EXPECT_GT(runs_holding_none, 0u);
  }
  ProcessTotals().crash_points += calls + 1;
  ProcessTotals().crash_runs += runs;
  ProcessTotals().failures += failed_runs;
  RecordProperty("crash_points", static_cast<int>(calls + 1));
  RecordProperty("crash_runs", static_cast<int>(runs));
  std::cout << "[crash] " << scenario.name << ": crash points tried: " << calls + 1 << " x "
            << std::size(kCrashVariants) << " crash variants = " << runs
            << " runs, failures: " << failed_runs << "\n";
}

INSTANTIATE_TEST_SUITE_P(EveryScenario, CrashAtEveryPoint, ::testing::ValuesIn(ScenarioNames()),
                         ScenarioTestName);

}  // namespace
}  // namespace treesim::storage_faults
