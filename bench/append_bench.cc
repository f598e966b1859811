// In-order append throughput of the production materializer on MemoryStore.
//
// Goal: ops/s of appending a fresh log in canonical order (every call an in-order append, the
// common case of a replica keeping up), target >= 1M ops/s. Method: the random workload
// (bench/workload.h) of N = 10k, 100k and 1M ops is generated once and cut into batches outside
// the timed region; each iteration opens a materializer (default options: rewind, undo
// retention on) on an empty MemoryStore and appends every batch, timing only the appends.
// `batch` is the number of ops per append() call: 1 is a replica applying ops as they arrive
// one by one (one store transaction per op), 1000 is a replica draining a backlog.
//
// The headline figures use the default workload, whose moves keep a node's depth (a shallow,
// file-system-like tree). The `uniform_moves` variant re-parents nodes anywhere, which makes
// the tree deep (mean depth 69 at 10k ops, 119 at 100k); it runs only up to 100k ops, because
// the materializer's per-op cost grows with depth and a million such ops take minutes. Both
// report the tree's mean and max depth as counters.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/materialized_log.h"
#include "core/op.h"
#include "materializer/materializer.h"
#include "materializer/memory_store.h"

namespace treesim::bench {
namespace {

void BM_InOrderAppend(benchmark::State& state, MoveShape move_shape) {
  const auto op_count = static_cast<std::size_t>(state.range(0));
  const auto batch_size = static_cast<std::size_t>(state.range(1));
  const Workload& workload = cached_workload(op_count, move_shape);
  const std::vector<std::vector<Op>> batches = split_into_batches(workload.ops, batch_size);

  for (auto _ : state) {
    // Setting up and tearing down the store is not append work: untimed.
    state.PauseTiming();
    auto store = std::make_unique<MemoryStore>();
    Result<std::unique_ptr<Materializer>> opened = Materializer::open(*store, reader_replica());
    if (!opened.is_ok()) {
      state.SkipWithError(opened.status().to_string().c_str());
      break;
    }
    std::unique_ptr<Materializer> materializer = std::move(*opened);
    state.ResumeTiming();

    for (const std::vector<Op>& batch : batches) {
      Result<AppendResult> result = materializer->append(batch);
      if (!result.is_ok()) {
        state.SkipWithError(result.status().to_string().c_str());
        break;
      }
      benchmark::DoNotOptimize(result);
    }

    state.PauseTiming();
    if (materializer->head().seq != op_count) {
      state.SkipWithError("head does not cover the whole log after the appends");
    }
    materializer.reset();
    store.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(op_count));
  state.counters["mean_depth"] = workload.stats.mean_depth;
  state.counters["max_depth"] = static_cast<double>(workload.stats.max_depth);
  state.SetLabel("batch=" + std::to_string(batch_size) + " ops/append");
}

void RegisterAll() {
  for (MoveShape move_shape : {MoveShape::kSameDepth, MoveShape::kUniform}) {
    for (std::int64_t op_count : {10'000, 100'000, 1'000'000}) {
      if (move_shape == MoveShape::kUniform && op_count > 100'000) continue;
      for (std::int64_t batch_size : {1, 1000}) {
        auto* benchmark = benchmark::RegisterBenchmark(
                              (std::string("InOrderAppend/") + move_shape_name(move_shape)).c_str(),
                              BM_InOrderAppend, move_shape)
                              ->Args({op_count, batch_size})
                              ->ArgNames({"N", "batch"})
                              ->Unit(benchmark::kMillisecond);
        // Runs of a second or more: one iteration per repetition, so that
        // --benchmark_repetitions gives the spread without the iteration-count probing. A
        // million ops take a minute or more on a loaded two-core machine: one repetition.
        if (op_count >= 1'000'000 || move_shape == MoveShape::kUniform) benchmark->Iterations(1);
        if (op_count >= 1'000'000) benchmark->Repetitions(1);
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
