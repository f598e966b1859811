// Late-op catch-up cost of the production materializer per strategy (rebuild, prefix-replay,
// rewind) on MemoryStore.
//
// Goal: rewind's cost grows with k, the number of ops that sort after the late op, and not with
// N, the size of the log; at N = 1M and k = 10 rewind is >= 1000x faster than prefix replay.
//
// Method. The workload of N ops is built into a store once per N, outside any timed
// region (bench/materialized_log.h). Each strategy then gets, untimed, its own working copy: a
// clone of that store and a materializer opened on it with the strategy. The strategy's runs
// (every k, every repetition) share the working copy, because cloning and opening a 1M-op store
// take tens of seconds; each run times only append() of one late op per iteration.
//
// Keeping iterations and runs comparable: every iteration appends a NEW late op, a payload op
// with a fresh id from replica "late" (its counter never repeats within a working copy) and
// lamport L = lamport of the k-th newest op of the workload. "late" sorts before the
// workload's replicas ("r1".."r3"), so the op lands just before that k-th newest op: exactly k
// ops follow it. Earlier late ops never join a later suffix: those with the same L have smaller
// counters, and the runs go from the largest k to the smallest, so every earlier run's L is
// smaller. The head never moves; only the log grows, by one op per iteration: at most
// 3 x 920 ops for rewind (which replays the same k ops whatever the log size) and 3 x 20 ops
// for the folding strategies, at N >= 10k. The check after each run counts the ops after its
// last late op in the store, and the probes confirm that every iteration took the strategy's
// path (in particular that rewind never fell back to prefix replay: the default undo retention
// of 65536 ops is >= every k here).
//
// Caveat: iterations repeat the same suffix, so for small k its nodes, ops and undo records
// stay in cache between iterations; a real late op meets them cold. Small-k rewind figures are
// therefore best cases; at k = 1000 the suffix no longer fits in cache.
//
// The cost is the whole append: validation, dedupe, the store transaction, the catch-up and the
// row flush. Rewind also re-writes k + 1 undo records and, about once per retention / 4
// appends, trims the undo window: that amortized cost is part of the timed work, as it is in
// production.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/materialized_log.h"
#include "core/op.h"
#include "materializer/materializer.h"
#include "materializer/memory_store.h"
#include "materializer/probes.h"

namespace treesim::bench {
namespace {

// Sorts before every workload replica at equal lamport ('l' < 'r').
ReplicaId late_replica() { return ReplicaId::of("late"); }

// How many late ops one run appends. Rebuild and prefix replay fold the whole log per op
// (0.1 s at N = 10k, about a second at 100k, tens of seconds at 1M on a loaded two-core
// machine), rewind only the suffix (microseconds to tens of milliseconds): the counts keep each
// run near a second so that the whole binary stays within about ten minutes.
std::int64_t iteration_count(CatchUpStrategy strategy, std::int64_t op_count,
                             std::int64_t suffix_count) {
  if (strategy == CatchUpStrategy::kRewind) {
    if (suffix_count <= 1) return 500;
    if (suffix_count <= 10) return 300;
    if (suffix_count <= 100) return 100;
    return 20;
  }
  return std::max<std::int64_t>(1, 50'000 / op_count);
}

// A strategy's working copy of the N-op log: a clone of the cached log and a materializer
// opened on it with the strategy. One at a time (for memory); the materializer refers to the
// store, so the pair lives on the heap and never moves.
struct WorkingCopy {
  std::size_t op_count = 0;
  CatchUpStrategy strategy = CatchUpStrategy::kRewind;
  MemoryStore store;
  std::unique_ptr<Materializer> materializer;
  std::uint64_t late_ops = 0;  // appended so far; the next late op's counter is one more
  std::size_t last_suffix_count = 0;
};

Result<WorkingCopy*> working_copy(std::size_t op_count, CatchUpStrategy strategy) {
  static std::unique_ptr<WorkingCopy> cached;
  if (cached && cached->op_count == op_count && cached->strategy == strategy) return cached.get();
  cached.reset();
  auto copy = std::make_unique<WorkingCopy>();
  copy->op_count = op_count;
  copy->strategy = strategy;
  copy->store = cached_materialized_log(op_count).store.clone();
  MaterializerOptions options;
  options.strategy = strategy;
  TS_ASSIGN_OR_RETURN(copy->materializer,
                      Materializer::open(copy->store, reader_replica(), options));
  cached = std::move(copy);
  return cached.get();
}

void BM_LateOpCatchUp(benchmark::State& state, CatchUpStrategy strategy) {
  const auto op_count = static_cast<std::size_t>(state.range(0));
  const auto suffix_count = static_cast<std::size_t>(state.range(1));
  TS_ASSERT(suffix_count >= 1 && suffix_count < op_count);

  // --- untimed setup: the strategy's working copy and this run's late ops ---
  Result<WorkingCopy*> opened = working_copy(op_count, strategy);
  if (!opened.is_ok()) {
    state.SkipWithError(opened.status().to_string().c_str());
    return;
  }
  WorkingCopy& copy = **opened;
  // Runs must go from the largest k down (see the file comment); repetitions repeat a k.
  TS_ASSERT(copy.last_suffix_count == 0 || copy.last_suffix_count >= suffix_count);
  copy.last_suffix_count = suffix_count;
  Materializer& materializer = *copy.materializer;
  TS_ASSERT(materializer.options().undo_retention >= suffix_count);
  const Head head_before = materializer.head();

  const std::vector<Op>& log = cached_workload(op_count).ops;
  const std::uint64_t late_lamport = log[op_count - suffix_count].lamport;
  const NodeId target = log.front().node;  // inserted by the first op: exists before L
  std::vector<std::vector<Op>> late_batches;
  late_batches.reserve(static_cast<std::size_t>(state.max_iterations));
  for (std::uint64_t i = 0; i < static_cast<std::uint64_t>(state.max_iterations); ++i) {
    const std::uint64_t counter = copy.late_ops + i + 1;
    late_batches.push_back({make_payload(OpId{late_replica(), counter}, late_lamport, target,
                                         "late" + std::to_string(counter))});
  }
  const Probes probes_before = materializer.probes();

  // --- timed: one late op per iteration ---
  std::size_t next = 0;
  for (auto _ : state) {
    Result<AppendResult> result = materializer.append(late_batches[next++]);
    if (!result.is_ok()) {
      state.SkipWithError(result.status().to_string().c_str());
      break;
    }
    benchmark::DoNotOptimize(result);
  }
  copy.late_ops += next;
  if (next == 0) return;

  // --- untimed checks: the run measured what it claims to ---
  const std::uint64_t runs = next;
  const Probes& probes = materializer.probes();
  const auto delta = [&](Probe probe) { return probes.count(probe) - probes_before.count(probe); };
  std::size_t after_last = 0;
  const OpKey last_key = late_batches[next - 1].front().key();
  Status scanned = copy.store.scan_ops(last_key, [&](const Op& op) {
    if (last_key < op.key()) ++after_last;
    return true;
  });
  if (!scanned.is_ok()) {
    state.SkipWithError(scanned.to_string().c_str());
  } else if (after_last != suffix_count) {
    state.SkipWithError(("the last late op has " + std::to_string(after_last) +
                         " ops after it, not k = " + std::to_string(suffix_count))
                            .c_str());
  } else if (delta(catch_up_probe(strategy)) != runs || delta(Probe::kRewindFallback) != 0) {
    state.SkipWithError("a late op did not take the strategy's catch-up path");
  } else if (materializer.head().key != head_before.key ||
             materializer.head().seq != op_count + copy.late_ops) {
    state.SkipWithError("the head moved or does not cover the log");
  }
  state.counters["log_ops"] = static_cast<double>(op_count + copy.late_ops);
  state.counters["undo_trims"] = static_cast<double>(delta(Probe::kUndoTrim));
  state.SetItemsProcessed(state.iterations());
}

void RegisterAll() {
  const CatchUpStrategy strategies[] = {CatchUpStrategy::kRebuild, CatchUpStrategy::kPrefixReplay,
                                        CatchUpStrategy::kRewind};
  // N outermost (the cached log is rebuilt only when N changes), then the strategy (its working
  // copy is made once), then k from the largest down (see the file comment).
  for (std::int64_t op_count : {10'000, 100'000, 1'000'000}) {
    for (CatchUpStrategy strategy : strategies) {
      for (std::int64_t suffix_count : {1000, 100, 10, 1}) {
        const bool folds_log = strategy != CatchUpStrategy::kRewind;
        // At N = 1M one fold takes tens of seconds. Rebuild and prefix replay cost the same
        // for every k (they fold the whole log; the runs at 10k and 100k show it), so at 1M
        // they run only at the reference point k = 10, and once: rewind is orders of
        // magnitude faster there, so a second sample would not change any conclusion.
        if (op_count >= 1'000'000 && folds_log && suffix_count != 10) continue;
        auto* benchmark =
            benchmark::RegisterBenchmark(
                (std::string("LateOpCatchUp/") + catch_up_strategy_name(strategy)).c_str(),
                BM_LateOpCatchUp, strategy)
                ->Args({op_count, suffix_count})
                ->ArgNames({"N", "k"})
                ->Iterations(iteration_count(strategy, op_count, suffix_count))
                ->Unit(benchmark::kMicrosecond);
        if (op_count >= 1'000'000 && folds_log) benchmark->Repetitions(1);
      }
    }
  }
}

}  // namespace
}  // namespace treesim::bench

int main(int argc, char** argv) {
  treesim::bench::RegisterAll();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
