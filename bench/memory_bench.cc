// Memory per op of a materialized log: the production materializer on MemoryStore, with the
// undo window on (default retention, 65536 ops) and, for contrast, off.
//
// Goal: bytes per op of log that a replica holds (the store's log, node and payload rows and
// undo records, plus the materializer's in-memory tree), at N = 10k, 100k and 1M ops of the
// issue's workload.
//
// Method. The workload is generated first (it is input, not state). Then glibc is asked to
// return free memory to the kernel (malloc_trim), the heap in use (mallinfo2) and the resident
// set (VmRSS) are sampled, and the kernel's peak-RSS mark (VmHWM) is reset by writing "5" to
// /proc/self/clear_refs. A materializer on a fresh MemoryStore appends the whole log, 1000 ops
// per call, and the three are sampled again. Reported per op:
// - heap_bytes_per_op: growth of glibc's bytes in use (arena chunks + mmapped chunks). Exact
//   for what is live after the build, allocator chunk headers and rounding included; blind to
//   pages the allocator holds free.
// - rss_bytes_per_op: growth of VmRSS. Includes free memory glibc keeps in its arenas after
//   the transient allocations of the build (batch copies, transaction journals, undo trims).
// - peak_rss_bytes_per_op: VmHWM after the build minus VmRSS before it: the high-water mark
//   during the build, transients included. -1 if the kernel refused the reset (clear_refs needs
//   Linux >= 4.0 and a writable /proc).
// Caveats: one process runs every size, so memory freed by an earlier benchmark and not
// returned by malloc_trim (fragmented pages) can be reused and make the RSS figures low; the
// heap figure does not have that problem. The undo window holds at most 1.25 x retention
// records, so with retention on its share per op falls as N grows past 65536.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>

#include "bench/materialized_log.h"
#include "materializer/materializer.h"
#include "materializer/memory_store.h"

namespace treesim::bench {
namespace {

// A field of /proc/self/status in bytes ("VmRSS", "VmHWM"), or -1 if it cannot be read.
std::int64_t proc_status_bytes(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) != 0) continue;
    return std::stoll(line.substr(field.size() + 1)) * 1024;  // "VmRSS:    1234 kB"
  }
  return -1;
}

// Resets VmHWM to the current RSS. Returns whether the kernel accepted it.
bool reset_peak_rss() {
  std::ofstream clear_refs("/proc/self/clear_refs");
  clear_refs << "5";
  clear_refs.flush();
  return clear_refs.good();
}

// glibc's bytes in use. Under AddressSanitizer (the dev preset) malloc is ASan's and mallinfo2
// reports zeros, so the heap figure comes out as 0 there: only the RSS figures mean anything.
std::int64_t heap_in_use_bytes() {
  const struct mallinfo2 info = mallinfo2();
  return static_cast<std::int64_t>(info.uordblks + info.hblkhd);
}

void BM_LogMemory(benchmark::State& state) {
  const auto op_count = static_cast<std::size_t>(state.range(0));
  const auto retention = static_cast<std::uint64_t>(state.range(1));
  const std::vector<Op>& ops = cached_workload(op_count).ops;

  malloc_trim(0);
  const std::int64_t heap_before = heap_in_use_bytes();
  const std::int64_t rss_before = proc_status_bytes("VmRSS");
  const bool peak_reset = reset_peak_rss();

  std::unique_ptr<MemoryStore> store;
  std::unique_ptr<Materializer> materializer;
  for (auto _ : state) {
    store = std::make_unique<MemoryStore>();
    MaterializerOptions options;
    options.undo_retention = retention;
    Result<std::unique_ptr<Materializer>> opened =
        Materializer::open(*store, reader_replica(), options);
    if (!opened.is_ok()) {
      state.SkipWithError(opened.status().to_string().c_str());
      return;
    }
    materializer = std::move(*opened);
    const Status status = append_in_batches(*materializer, ops, 1000);
    if (!status.is_ok()) {
      state.SkipWithError(status.to_string().c_str());
      return;
    }
  }

  const std::int64_t heap_after = heap_in_use_bytes();
  const std::int64_t rss_after = proc_status_bytes("VmRSS");
  const std::int64_t peak = proc_status_bytes("VmHWM");
  const auto per_op = [&](std::int64_t bytes) {
    return static_cast<double>(bytes) / static_cast<double>(op_count);
  };
  state.counters["heap_bytes_per_op"] = per_op(heap_after - heap_before);
  state.counters["rss_bytes_per_op"] = per_op(rss_after - rss_before);
  state.counters["peak_rss_bytes_per_op"] = peak_reset ? per_op(peak - rss_before) : -1;
  Result<std::uint64_t> undo_records = store->undo_count();
  state.counters["undo_records"] = undo_records.is_ok() ? static_cast<double>(*undo_records) : -1;
  state.SetLabel(retention == 0 ? "undo off" : "undo retention " + std::to_string(retention));

  materializer.reset();
  store.reset();
  malloc_trim(0);
}

void RegisterAll() {
  for (std::int64_t op_count : {10'000, 100'000, 1'000'000}) {
    for (std::int64_t retention : {std::int64_t{1} << 16, std::int64_t{0}}) {
      benchmark::RegisterBenchmark("LogMemory", BM_LogMemory)
          ->Args({op_count, retention})
          ->ArgNames({"N", "retention"})
          ->Iterations(1)
          ->Repetitions(1)  // a byte count, not a timing: one build per size is enough
          ->Unit(benchmark::kMillisecond);
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
