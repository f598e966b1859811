// I/O error at every point (SEMANTICS.md §8, "Failure and rollback"): whichever read, write,
// sync, lock or truncate of a call fails, once or from then on, the call either fails and leaves
// log, rows, undo records, head, frontier and snapshot exactly as before, or (deferred mode)
// returns ok with the batch stored behind a pending frontier; once the disk works again a retry
// succeeds, and the state converges to the model's fold of the log, also after reopening.
// Method: a fault-free run of each scenario counts its final call's VFS calls of each kind; then
// for every kind and every index i a fresh run fails call i (SimVfs::fail_after), once and then
// persistently, compares the store's full dump and the materializer's state with those from
// before the call, clears the fault, retries and checks. (In WAL mode no step truncates a file;
// the sweep counts truncates anyway and would cover them.)
#include <gtest/gtest.h>

#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "sim/sim_vfs.h"
#include "tests/sim/storage_fault_scenarios.h"
#include "tests/support/store_dump.h"

namespace treesim::storage_faults {
namespace {

struct FaultKind {
  SimVfsFault fault;
  const char* name;
  std::uint64_t SimVfsCalls::*counted;  // the calls fail_after() counts for this fault
  StatusCode code;                      // what a call failed by it returns
};

constexpr FaultKind kFaultKinds[] = {
    {SimVfsFault::kReadError, "read", &SimVfsCalls::reads, StatusCode::kIoError},
    {SimVfsFault::kWriteError, "write", &SimVfsCalls::writes, StatusCode::kIoError},
    {SimVfsFault::kDiskFull, "disk-full", &SimVfsCalls::writes, StatusCode::kStorageFull},
    {SimVfsFault::kSyncError, "sync", &SimVfsCalls::syncs, StatusCode::kIoError},
    {SimVfsFault::kLockError, "lock", &SimVfsCalls::locks, StatusCode::kIoError},
    {SimVfsFault::kTruncateError, "truncate", &SimVfsCalls::truncates, StatusCode::kIoError},
};

constexpr int kFailedRunsReported = 3;

// How the faulted calls ended, over a sweep.
struct Tally {
  std::uint64_t failed = 0;    // returned an error
  std::uint64_t deferred = 0;  // returned ok with catch_up_pending
  std::uint64_t absorbed = 0;  // returned ok and materialized: SQLite absorbed the fault
};

// After a call that failed: everything exactly as before.
void CheckUnchanged(Document& document, const Before& before, std::vector<std::string>& problems) {
  Materializer& materializer = document.materializer();
  if (document.store().is_unusable()) problems.push_back("the store became unusable");
  Result<StoreDump> dump = dump_store(document.store());
  if (!dump.is_ok()) {
    problems.push_back("dumping the store: " + dump.status().to_string());
  } else if (!(*dump == before.dump)) {
    problems.push_back("store changed: " + describe_difference(before.dump, *dump));
  }
  if (const std::string diff =
          describe_snapshot_diff(before.snapshot, materializer.materialized_snapshot());
      !diff.empty()) {
    problems.push_back("materialized snapshot changed:\n" + diff);
  }
  if (!(materializer.head() == before.head)) {
    problems.push_back("head seq " + std::to_string(before.head.seq) + " -> " +
                       std::to_string(materializer.head().seq));
  }
  if (!(materializer.frontier() == before.frontier)) {
    problems.push_back("frontier " + before.frontier.to_display() + " -> " +
                       materializer.frontier().to_display());
  }
  if (const std::optional<std::string> broken = materializer.check_invariants()) {
    problems.push_back("materializer invariants: " + *broken);
  }
}

// After a deferred append that returned catch_up_pending: the log gained the batch, the rows
// are as before, and the frontier is no later than the smallest new key.
void CheckPending(Document& document, const Before& before, const std::vector<Op>& batch,
                  std::vector<std::string>& problems) {
  Materializer& materializer = document.materializer();
  std::vector<Op> expected = before.log;
  expected.insert(expected.end(), batch.begin(), batch.end());
  Result<std::vector<Op>> log = LogOf(materializer);
  if (!log.is_ok() || *log != SortedCanonically(expected)) {
    problems.push_back("the log does not hold exactly the ops from before and the batch");
  }
  if (const std::string diff =
          describe_snapshot_diff(before.snapshot, materializer.materialized_snapshot());
      !diff.empty()) {
    problems.push_back("materialized snapshot changed before catching up:\n" + diff);
  }
  const Frontier& frontier = materializer.frontier();
  const OpKey smallest_new = SortedCanonically(batch).front().key();
  if (frontier.is_none() ||
      (frontier.kind == Frontier::Kind::kKey && smallest_new < frontier.key)) {
    problems.push_back("frontier " + frontier.to_display() + " is not at or before " +
                       smallest_new.to_display());
  }
}

// One run: the prefix, the step with the fault armed, the comparison, the retry, the checks.
std::vector<std::string> FailAt(const Scenario& scenario, const FaultKind& kind,
                                std::uint64_t index, bool persistent, Tally& tally) {
  Document document(/*seed=*/index, scenario.options);
  Before before;
  std::vector<std::string> problems = SetUpPrefix(document, scenario, nullptr, before);
  if (!problems.empty()) return problems;

  document.vfs().fail_after(index, kind.fault, persistent);
  const StepResult result = scenario.step(document);
  const std::uint64_t failures = document.vfs().failures();
  document.vfs().clear();
  if (failures == 0) problems.push_back("the fault never fired");

  std::vector<Op> added = result.ops;
  if (!result.status.is_ok()) {
    ++tally.failed;
    // A deferred append whose pending-store transaction failed returns the error that failed
    // its materialization, which may be the scenario's injected one.
    const bool injected =
        scenario.options.deferred && result.status.code() == StatusCode::kFaultInjected;
    if (result.status.code() != kind.code && !injected) {
      problems.push_back("the call failed with " + result.status.to_string() + ", expected " +
                         status_code_name(kind.code));
    }
    CheckUnchanged(document, before, problems);
    const StepResult retry = scenario.step(document);
    if (!retry.status.is_ok()) {
      problems.push_back("the retry failed: " + retry.status.to_string());
      return problems;
    }
    added = retry.ops;
  } else if (result.catch_up_pending) {
    ++tally.deferred;
    CheckPending(document, before, result.ops, problems);
  } else {
    ++tally.absorbed;
  }
  std::vector<Op> expected = before.log;
  expected.insert(expected.end(), added.begin(), added.end());
  for (std::string& problem : CheckHoldsExactly(document, expected)) {
    problems.push_back(std::move(problem));
  }

  // Durable, and no trace of the failed attempt: the same after a clean close and reopen.
  document.Close();
  if (const std::string integrity = IntegrityCheck(document.vfs()); integrity != "ok") {
    problems.push_back("integrity_check after closing: " + integrity);
  }
  if (const Status opened = document.Open(); !opened.is_ok()) {
    problems.push_back("reopening: " + opened.to_string());
    return problems;
  }
  for (std::string& problem : CheckHoldsExactly(document, expected)) {
    problems.push_back("after reopening: " + problem);
  }
  return problems;
}

class IoErrorAtEveryPoint : public ::testing::TestWithParam<std::string> {};

TEST_P(IoErrorAtEveryPoint, FailedCallLeavesNoTraceAndTheRetryConverges) {
  const Scenario scenario = ScenarioNamed(GetParam());
  Reference reference;
  const std::vector<std::string> reference_problems = RunReference(scenario, reference);
  ASSERT_TRUE(reference_problems.empty()) << Describe(reference_problems);

  Tally tally;
  std::uint64_t points = 0;
  int failed_runs = 0;
  std::string per_kind;
  for (const FaultKind& kind : kFaultKinds) {
    const std::uint64_t calls = reference.step_calls.*kind.counted;
    per_kind += std::string(per_kind.empty() ? "" : ", ") + kind.name + " " + std::to_string(calls);
    for (std::uint64_t index = 1; index <= calls && failed_runs < kFailedRunsReported; ++index) {
      for (const bool persistent : {false, true}) {
        const std::vector<std::string> problems = FailAt(scenario, kind, index, persistent, tally);
        ++points;
        if (!problems.empty()) {
          ++failed_runs;
          ADD_FAILURE() << scenario.name << ": " << kind.name << " call " << index << " of "
                        << calls << " fails " << (persistent ? "persistently" : "once")
                        << Describe(problems);
          if (failed_runs >= kFailedRunsReported) break;
        }
      }
    }
  }
  // Every kind the step exercises was swept, and at least one fault reached the caller.
  EXPECT_GT(reference.step_calls.writes, 0u);
  EXPECT_GT(tally.failed + tally.deferred, 0u);
  ProcessTotals().error_points += points;
  ProcessTotals().failures += failed_runs;
  RecordProperty("error_points", static_cast<int>(points));
  std::cout << "[io-error] " << scenario.name << ": error points tried: " << points << " ("
            << per_kind << ", each once and persistently); failed " << tally.failed << ", deferred "
            << tally.deferred << ", absorbed " << tally.absorbed << "; failures: " << failed_runs
            << "\n";
}

INSTANTIATE_TEST_SUITE_P(EveryScenario, IoErrorAtEveryPoint, ::testing::ValuesIn(ScenarioNames()),
                         ScenarioTestName);

}  // namespace
}  // namespace treesim::storage_faults
