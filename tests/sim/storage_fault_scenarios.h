// Scripted scenarios for the exhaustive storage-fault tests (crash_points_test.cc,
// io_error_points_test.cc): a materializer of replica "z" on a SqliteStore on a SimVfs, a prefix
// of calls that must succeed, and one final call (the step) that the tests interrupt at every
// VFS call. Also the checks both tests share: the log holds exactly the expected ops, and the
// caught-up snapshot equals the reference model's fold of exactly the ops the log holds.
//
// Checks return a list of problems instead of failing the test themselves, so a sweep can name
// the point (scenario, call index, crash policy or fault) next to what went wrong and stop after
// a few failed points.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/assert.h"
#include "core/op.h"
#include "core/snapshot_diff.h"
#include "core/status.h"
#include "materializer/fault_points.h"
#include "materializer/materializer.h"
#include "materializer/probes.h"
#include "materializer/sqlite_store.h"
#include "model/model.h"
#include "sim/sim_vfs.h"
#include "tests/support/example_verbs.h"
#include "tests/support/sqlite_test_support.h"
#include "tests/support/store_dump.h"

namespace treesim::storage_faults {

using namespace test_support::verbs;  // NOLINT(build/namespaces): the shared example verbs

constexpr const char* kDatabase = "doc.db";
inline const ReplicaId kReplica = ReplicaId::of("z");

// Fails the materialization of the next append right after its ops are stored (the fault point
// after-store-ops), once: in deferred mode that leaves the ops behind a pending frontier.
class MaterializationFault final : public FaultPoints {
 public:
  void arm() { armed_ = true; }
  void disarm() { armed_ = false; }
  bool should_fail(FaultSite site) override {
    if (!armed_ || site != FaultSite::kAfterStoreOps) return false;
    armed_ = false;
    return true;
  }

 private:
  bool armed_ = false;
};

// One document on its own simulated disk. Members are destroyed materializer first, then the
// store, then the disk, as the disk requires.
class Document {
 public:
  // The store's page cache, in pages: smaller than the database, so that a call reads pages
  // (and read faults have calls to fail) even right after opening the materializer has read
  // every table. A full cache also spills dirty pages to the WAL before the commit.
  static constexpr int kCachePages = 10;

  // Also reseeds SQLite's process-wide generator, so one seed gives one set of file images.
  Document(std::uint64_t seed, MaterializerOptions options) : vfs_(seed), options_(options) {
    SimVfs::seed_sqlite_randomness(static_cast<std::uint32_t>(seed));
    options_.fault_points = &faults_;
  }
  ~Document() { Close(); }
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;

  Status OpenStore() {
    SqliteStoreOptions store_options;
    store_options.path = kDatabase;
    store_options.vfs_name = vfs_.name();
    ConnectionSpy spy;
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::open(store_options);
    if (!store.is_ok()) return store.status();
    store_ = std::move(store).value();
    const std::string pragma = "PRAGMA cache_size = " + std::to_string(kCachePages);
    if (sqlite3_exec(spy.last(), pragma.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      return Status::internal(pragma + ": " + sqlite3_errmsg(spy.last()));
    }
    return Status::ok();
  }
  // Precondition: the store is open.
  Status OpenMaterializer() {
    Result<std::unique_ptr<Materializer>> opened = Materializer::open(*store_, kReplica, options_);
    if (!opened.is_ok()) return opened.status();
    materializer_ = std::move(opened).value();
    return Status::ok();
  }
  Status Open() {
    TS_RETURN_IF_ERROR(OpenStore());
    return OpenMaterializer();
  }
  // Destroys the materializer, then the store: a clean close, or after a crash a harmless one.
  void Close() {
    materializer_.reset();
    store_.reset();
  }

  SimVfs& vfs() { return vfs_; }
  SqliteStore& store() { return *store_; }
  Materializer& materializer() { return *materializer_; }
  MaterializationFault& faults() { return faults_; }

 private:
  SimVfs vfs_;
  MaterializationFault faults_;
  MaterializerOptions options_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Materializer> materializer_;
};

// What one call did. `ops` are the ops it added to the log (for a local op known only when it
// succeeded; the scenario's reference run supplies them otherwise).
struct StepResult {
  Status status;
  bool catch_up_pending = false;
  std::vector<Op> ops;
};

using Step = std::function<StepResult(Document&)>;

struct Scenario {
  std::string name;
  MaterializerOptions options;
  std::vector<Step> prefix;  // each must succeed
  Step step;                 // the call the sweeps interrupt
  // The paths the step takes without faults (the reference run checks that it does).
  std::vector<Probe> probes;
};

inline Step AppendStep(std::vector<Op> batch) {
  return [batch](Document& document) {
    Result<AppendResult> result = document.materializer().append(batch);
    return StepResult{result.status(), result.is_ok() && result->catch_up_pending, batch};
  };
}

// Deferred mode: an append whose materialization fails after its ops are stored, so it returns
// ok with catch_up_pending (SEMANTICS.md §8).
inline Step DeferredAppendStep(std::vector<Op> batch) {
  return [batch](Document& document) {
    document.faults().arm();
    Result<AppendResult> result = document.materializer().append(batch);
    document.faults().disarm();
    return StepResult{result.status(), result.is_ok() && result->catch_up_pending, batch};
  };
}

inline Step LocalStep(std::function<Result<LocalResult>(Materializer&)> call) {
  return [call](Document& document) {
    Result<LocalResult> result = call(document.materializer());
    if (!result.is_ok()) return StepResult{result.status(), false, {}};
    return StepResult{Status::ok(), result->result.catch_up_pending, {result->op}};
  };
}

inline Step EnsureMaterializedStep() {
  return [](Document& document) {
    return StepResult{document.materializer().ensure_materialized(), false, {}};
  };
}

// A clean close and reopen: the next call starts with a cold page cache and no WAL.
inline Step ReopenStep() {
  return [](Document& document) {
    document.Close();
    return StepResult{document.Open(), false, {}};
  };
}

// PRAGMA integrity_check on a raw connection of its own ("ok" when intact). The store may be
// open: connections of one SimVfs share its locks and shared memory.
inline std::string IntegrityCheck(SimVfs& vfs) {
  return treesim::IntegrityCheck(kDatabase, vfs.name().c_str());
}

inline std::string Ids(const std::vector<Op>& ops) {
  std::string text;
  for (const Op& op : ops) text += (text.empty() ? "" : " ") + op.id.to_display();
  return "{" + text + "}";
}

inline std::vector<Op> SortedCanonically(std::vector<Op> ops) {
  std::sort(ops.begin(), ops.end(), canonical_less);
  return ops;
}

// The log in canonical order, or the error that stopped the scan.
inline Result<std::vector<Op>> LogOf(Materializer& materializer) {
  return materializer.ops_missing_from(VersionVector{});
}

// Problems (empty: none) with a document that must hold exactly `expected` (any order) and be
// caught up: the log, the caught-up snapshot against the model's fold of the log, head and
// frontier, and every invariant check of the materializer, the store and the disk.
inline std::vector<std::string> CheckHoldsExactly(Document& document,
                                                  const std::vector<Op>& expected) {
  std::vector<std::string> problems;
  Materializer& materializer = document.materializer();
  const Status caught_up = materializer.ensure_materialized();
  if (!caught_up.is_ok()) problems.push_back("ensure_materialized: " + caught_up.to_string());
  Result<std::vector<Op>> log = LogOf(materializer);
  if (!log.is_ok()) {
    problems.push_back("reading the log: " + log.status().to_string());
    return problems;
  }
  if (*log != SortedCanonically(expected)) {
    problems.push_back("log " + Ids(*log) + ", expected " + Ids(SortedCanonically(expected)));
  }
  model::Model model;
  if (const Status added = model.add_all(*log); !added.is_ok()) {
    problems.push_back("the model rejects the log: " + added.to_string());
  }
  Result<Snapshot> snapshot = materializer.snapshot();
  if (!snapshot.is_ok()) {
    problems.push_back("snapshot: " + snapshot.status().to_string());
  } else if (const std::string diff = describe_snapshot_diff(model.snapshot(), *snapshot);
             !diff.empty()) {
    problems.push_back("snapshot differs from the model of the log:\n" + diff);
  }
  if (!materializer.frontier().is_none()) {
    problems.push_back("frontier still " + materializer.frontier().to_display());
  }
  if (materializer.head().seq != log->size()) {
    problems.push_back("head seq " + std::to_string(materializer.head().seq) + ", log holds " +
                       std::to_string(log->size()));
  }
  if (const std::optional<std::string> broken = materializer.check_invariants()) {
    problems.push_back("materializer invariants: " + *broken);
  }
  if (const Status store = document.store().check_invariants(); !store.is_ok()) {
    problems.push_back("store invariants: " + store.to_string());
  }
  document.vfs().check_invariants();
  return problems;
}

// --- the scenarios ---

// One batch of 16 nodes under ROOT with payloads, from replica f at `lamport`: they make the
// log, the rows and the undo records span more pages than the store's page cache holds.
inline std::vector<Op> Filler(std::uint64_t lamport) {
  std::vector<Op> ops;
  for (std::uint64_t counter = 1; counter <= 16; ++counter) {
    ops.push_back(make_insert(OpId{ReplicaId::of("f"), counter}, lamport, kRoot,
                              NodeId::from_low(0x100 + counter), Key(), std::string(300, 'f')));
  }
  return ops;
}

// Three nodes and the filler in three in-order batches; C carries a payload that spans pages.
inline std::vector<Step> InOrderPrefix() {
  return {AppendStep({Insert("a1@1", kRoot, kA), Insert("a2@2", kRoot, kB)}),
          AppendStep(Filler(/*lamport=*/2)),
          AppendStep({InsertWithPayload("a3@3", kA, kC, std::string(1500, 'c'))}), ReopenStep()};
}

// One op per append (and the filler), so each is applied in order and leaves an undo record:
// A and B under ROOT, B moved under A, C (with a payload) under A.
inline std::vector<Step> LateArrivalPrefix() {
  return {AppendStep({Insert("a1@1", kRoot, kA)}),
          AppendStep(Filler(/*lamport=*/1)),
          AppendStep({Insert("a2@3", kRoot, kB)}),
          AppendStep({Move("a3@4", kB, kA)}),
          AppendStep({InsertWithPayload("a4@5", kA, kC, std::string(1500, 'c'))}),
          ReopenStep()};
}

// b1 sorts between a1 and a2: catching it up undoes a4, a3, a2 and re-applies b1, a2, a3, a4,
// and changes their outcome (a3 becomes a cycle and is skipped). b2 sorts after the head.
inline std::vector<Op> LateBatch() {
  return {Move("b1@2", kA, kB), Payload("b2@6", kC, std::string(2500, 'x'))};
}

inline MaterializerOptions WithStrategy(CatchUpStrategy strategy, bool deferred = false) {
  MaterializerOptions options;
  options.strategy = strategy;
  options.deferred = deferred;
  return options;
}

// Undo records for the last 4 ops only: the log's other records are trimmed (raising the undo
// floor) once more than 5 are kept, and a late op below the floor makes rewind fall back.
inline MaterializerOptions WithShortUndoRetention() {
  MaterializerOptions options = WithStrategy(CatchUpStrategy::kRewind);
  options.undo_retention = 4;
  return options;
}

inline std::vector<Scenario> AllScenarios() {
  constexpr CatchUpStrategy kStrategies[] = {
      CatchUpStrategy::kRebuild, CatchUpStrategy::kPrefixReplay, CatchUpStrategy::kRewind};
  std::vector<Scenario> scenarios;
  scenarios.push_back(
      {"in-order-append",
       MaterializerOptions{},
       InOrderPrefix(),
       AppendStep({Payload("a4@4", kB, std::string(3000, 'b')), Move("a5@5", kC, kB),
                   InsertWithPayload("a6@6", kB, kG, std::string(1500, 'g')),
                   Delete("a7@7", kA, "a:1..3")}),
       {Probe::kInOrderApply}});
  // The step's four records make more than five: it trims them to four.
  scenarios.push_back(
      {"in-order-append-undo-trim",
       WithShortUndoRetention(),
       InOrderPrefix(),
       AppendStep({Move("a4@4", kC, kB), Move("a5@5", kC, kA),
                   Payload("a6@6", kA, std::string(2000, 'a')), Insert("a7@7", kA, kG)}),
       {Probe::kInOrderApply, Probe::kUndoTrim}});
  for (const CatchUpStrategy strategy : kStrategies) {
    scenarios.push_back({std::string("late-append-") + catch_up_strategy_name(strategy),
                         WithStrategy(strategy),
                         LateArrivalPrefix(),
                         AppendStep(LateBatch()),
                         {catch_up_probe(strategy), Probe::kCycleSkip}});
  }
  // b1@1 sorts before the filler, below the undo floor: rewind falls back to prefix replay.
  scenarios.push_back({"late-append-rewind-fallback",
                       WithShortUndoRetention(),
                       LateArrivalPrefix(),
                       AppendStep({Move("b1@1", kA, kB), Payload("b2@6", kC, "x")}),
                       {Probe::kRewindFallback, Probe::kCatchUpPrefixReplay}});
  scenarios.push_back({"local-insert",
                       MaterializerOptions{},
                       InOrderPrefix(),
                       LocalStep([](Materializer& m) {
                         return m.insert(kA, kG, Placement::last(), std::string(2000, 'g'));
                       }),
                       {Probe::kLocalOp}});
  scenarios.push_back(
      {"local-move",
       MaterializerOptions{},
       InOrderPrefix(),
       LocalStep([](Materializer& m) { return m.move(kC, kB, Placement::first()); }),
       {Probe::kLocalOp}});
  scenarios.push_back({"local-remove",
                       MaterializerOptions{},
                       InOrderPrefix(),
                       LocalStep([](Materializer& m) { return m.remove(kA); }),
                       {Probe::kLocalOp, Probe::kTombstone}});
  scenarios.push_back(
      {"local-set-payload",
       MaterializerOptions{},
       InOrderPrefix(),
       LocalStep([](Materializer& m) { return m.set_payload(kB, std::string(3000, 'b')); }),
       {Probe::kLocalOp}});
  // Deferred mode: the late batch fails to materialize only where the disk fails it.
  scenarios.push_back({"deferred-late-append",
                       WithStrategy(CatchUpStrategy::kRewind, true),
                       LateArrivalPrefix(),
                       AppendStep(LateBatch()),
                       {Probe::kCatchUpRewind}});
  // Deferred mode: the late batch always fails to materialize and is stored behind a frontier.
  scenarios.push_back({"deferred-append",
                       WithStrategy(CatchUpStrategy::kRewind, true),
                       LateArrivalPrefix(),
                       DeferredAppendStep(LateBatch()),
                       {Probe::kDeferredPending}});
  for (const CatchUpStrategy strategy : kStrategies) {
    std::vector<Step> prefix = LateArrivalPrefix();
    prefix.push_back(DeferredAppendStep(LateBatch()));
    scenarios.push_back({std::string("deferred-catch-up-") + catch_up_strategy_name(strategy),
                         WithStrategy(strategy, true),
                         prefix,
                         EnsureMaterializedStep(),
                         {Probe::kDeferredCatchUp, catch_up_probe(strategy)}});
  }
  return scenarios;
}

inline std::vector<std::string> ScenarioNames() {
  std::vector<std::string> names;
  for (const Scenario& scenario : AllScenarios()) names.push_back(scenario.name);
  return names;
}

inline Scenario ScenarioNamed(const std::string& name) {
  for (Scenario& scenario : AllScenarios()) {
    if (scenario.name == name) return scenario;
  }
  TS_UNREACHABLE();
}

// "late-append-prefix-replay" -> "LateAppendPrefixReplay", for test names.
inline std::string ScenarioTestName(const ::testing::TestParamInfo<std::string>& param) {
  std::string out;
  bool upper = true;
  for (const char c : param.param) {
    if (c == '-') {
      upper = true;
      continue;
    }
    out += upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    upper = false;
  }
  return out;
}

// What the sweeps need from a fault-free run of a scenario.
struct Reference {
  std::vector<Op> prefix_ops;  // every op the prefix added
  std::vector<Op> step_ops;    // the ops the step added
  SimVfsCalls step_calls;      // the VFS calls the step made
};

inline SimVfsCalls CallsBetween(const SimVfsCalls& before, const SimVfsCalls& after) {
  return {after.reads - before.reads, after.writes - before.writes, after.syncs - before.syncs,
          after.locks - before.locks, after.truncates - before.truncates};
}

// The state right before the step: what a failed step must leave as it was.
struct Before {
  StoreDump dump;
  Snapshot snapshot;
  Head head;
  Frontier frontier;
  std::vector<Op> log;
};

// Opens a fresh document, runs the prefix (the ops it added go to `prefix_ops` if given) and
// captures `before`. Every run of a scenario does exactly this, so that the step's VFS calls
// are the same in every run (SQLite's lock requests depend on the reads before them). Problems
// (empty: none) if opening, a prefix call or a read fails.
inline std::vector<std::string> SetUpPrefix(Document& document, const Scenario& scenario,
                                            std::vector<Op>* prefix_ops, Before& before) {
  if (const Status opened = document.Open(); !opened.is_ok()) {
    return {"opening a fresh document: " + opened.to_string()};
  }
  for (std::size_t index = 0; index < scenario.prefix.size(); ++index) {
    StepResult result = scenario.prefix[index](document);
    if (!result.status.is_ok()) {
      return {"prefix call " + std::to_string(index) + ": " + result.status.to_string()};
    }
    if (prefix_ops) prefix_ops->insert(prefix_ops->end(), result.ops.begin(), result.ops.end());
  }
  Result<StoreDump> dump = dump_store(document.store());
  if (!dump.is_ok()) return {"dumping the store: " + dump.status().to_string()};
  Result<std::vector<Op>> log = LogOf(document.materializer());
  if (!log.is_ok()) return {"reading the log: " + log.status().to_string()};
  Materializer& materializer = document.materializer();
  before = {std::move(dump).value(), materializer.materialized_snapshot(), materializer.head(),
            materializer.frontier(), std::move(log).value()};
  return {};
}

// Runs the scenario once without faults, counting the step's VFS calls. Problems (empty: none)
// if a call fails or the result does not match the model.
inline std::vector<std::string> RunReference(const Scenario& scenario, Reference& reference) {
  Document document(/*seed=*/1, scenario.options);
  Before before;
  std::vector<std::string> problems =
      SetUpPrefix(document, scenario, &reference.prefix_ops, before);
  if (!problems.empty()) return problems;
  if (before.log != SortedCanonically(reference.prefix_ops)) {
    return {"after the prefix the log is " + Ids(before.log) + ", expected " +
            Ids(SortedCanonically(reference.prefix_ops))};
  }
  const SimVfsCalls calls_before = document.vfs().calls();
  const Probes probes_before = document.materializer().probes();
  const StepResult result = scenario.step(document);
  reference.step_calls = CallsBetween(calls_before, document.vfs().calls());
  if (!result.status.is_ok()) {
    return {"the step fails without faults: " + result.status.to_string()};
  }
  for (const Probe probe : scenario.probes) {
    if (document.materializer().probes().count(probe) == probes_before.count(probe)) {
      problems.push_back(std::string("the step never took the path ") + probe_name(probe));
    }
  }
  reference.step_ops = result.ops;
  std::vector<Op> expected = reference.prefix_ops;
  expected.insert(expected.end(), result.ops.begin(), result.ops.end());
  for (std::string& problem : CheckHoldsExactly(document, expected)) {
    problems.push_back(std::move(problem));
  }
  return problems;
}

// Totals over every sweep this process ran, printed when the tests end, so that one run of the
// binary reports "crash points tried: N, error points tried: M, failures: F".
struct Totals {
  std::uint64_t crash_points = 0;
  std::uint64_t crash_runs = 0;
  std::uint64_t error_points = 0;
  std::uint64_t failures = 0;
};

inline Totals& ProcessTotals() {
  static Totals totals;
  return totals;
}

class TotalsReporter final : public ::testing::Environment {
 public:
  void TearDown() override {
    const Totals& totals = ProcessTotals();
    std::cout << "[storage faults] crash points tried: " << totals.crash_points << " ("
              << totals.crash_runs << " crash runs), error points tried: " << totals.error_points
              << ", failures: " << totals.failures << "\n";
  }
};

inline ::testing::Environment* const kTotalsReporter =
    ::testing::AddGlobalTestEnvironment(new TotalsReporter);

// Joins problems into one failure message.
inline std::string Describe(const std::vector<std::string>& problems) {
  std::string text;
  for (const std::string& problem : problems) text += "\n  - " + problem;
  return text;
}

}  // namespace treesim::storage_faults
