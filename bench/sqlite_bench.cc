// In-order append throughput and late-op catch-up cost of the production materializer on
// SqliteStore, the production store, on two disks: SimVfs (the simulator's in-memory disk, so
// SQLite's own cost without a device) and a real file in a temporary directory (SQLite's OS
// VFS, where every commit waits for fsync). Both use the production configuration: WAL,
// synchronous=FULL.
//
// Goal: in-order append of >= 100k ops/s batched on a file with WAL; and, for a late op with
// k = 10 ops after it, rewind's cost independent of N (the log's size) while prefix replay and
// rebuild grow with N.
//
// In one run (Release, on a loaded two-core machine): batched in-order append on a file ran at
// 24k ops/s at N = 10k and 12k ops/s at 100k (batch 1000), 4-8x short of the target, with
// about 2.5x the CPU time per op of MemoryStore (append_bench); one op per append on a file is
// bound by fsync (290 ops/s). Rewind at k = 10 was 49x faster than prefix replay at N = 10k and
// 440x at 100k on a file (370x and 3500x on SimVfs). From N = 10k to 100k prefix replay and
// rebuild took 13-21x longer, rewind 1.5-2.3x (1.6x in CPU time, about as much as it grows on
// MemoryStore in catch_up_bench).
//
// Method, in-order append (InOrderAppend): the workload (bench/workload.h) of N ops is
// generated once and cut into batches outside the timed region; each iteration opens a
// materializer (default options: rewind, undo retention on) on an empty database of the run's
// disk and appends every batch, timing only the appends. `batch` is the number of ops per
// append() call, each call one SQLite transaction: 1 is a replica applying ops one by one as
// they arrive, 1000 one draining a backlog. Opening and closing are untimed, and so is the
// checkpoint a clean close makes; the automatic checkpoints during the appends (every 1000 WAL
// pages) are timed. Reported: ops/s and database_bytes_per_op, the size of the database file
// after the close (the WAL checkpointed into it) divided by N.
//
// Method, late op (LateOpCatchUp): the workload of N ops is built once per (N, disk) into a base
// database (1000 ops per append, default options), outside any timed region. Every iteration
// then starts from the same state, untimed: a page-for-page copy of the base database (SQLite's
// backup API, bench/sqlite_disk.h), a materializer opened on it with the strategy under test,
// and one warm-up late op (2k ops before the head) appended with that strategy. The warm-up
// makes the timed op meet a connection in its steady state, as a long-running replica's is:
// the first append after opening re-prepares every statement it uses (SqliteStore::open
// changes a connection flag after preparing them, which expires them all) and, on a file,
// creates the WAL (one fsync more); both are costs of opening, not of catching up.
// Only append() of one late op is timed: a payload op from replica "late" with lamport L =
// lamport of the k-th newest workload op, so it sorts just before that op ("late" <
// "r1".."r3") and exactly k ops follow it. Untimed checks confirm that the op took the
// strategy's catch-up path (rewind never fell back to prefix replay) and that k ops follow it.
// The cost is the whole append: validation, the SQLite transaction and its fsync, the catch-up
// and the row flush. Prefix replay and rebuild also regenerate the undo window (erase every
// undo record, write one per op of the last undo_retention = 65536 ops), and rebuild rewrites
// every row. SQLite's page cache holds what opening and the warm-up read, not the whole log.
//
// Times are wall-clock (UseRealTime): on a file most of an append is waiting for fsync, which
// CPU time does not see. On a loaded machine wall time also includes waiting for a core, so
// SimVfs runs are best compared by their CPU column, which the console table shows too.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/materialized_log.h"
#include "bench/sqlite_disk.h"
#include "core/op.h"
#include "materializer/materializer.h"
#include "materializer/probes.h"
#include "materializer/sqlite_store.h"

namespace treesim::bench {
namespace {

// Sorts before every workload replica at equal lamport ('l' < 'r').
ReplicaId late_replica() { return ReplicaId::of("late"); }

// A store and a materializer opened on it: the materializer refers to the store, so both live
// on the heap, and close() destroys them in the right order.
struct OpenDatabase {
  std::unique_ptr<SqliteStore> store;
  std::unique_ptr<Materializer> materializer;

  // A clean close: SQLite checkpoints the WAL into the database file and deletes it.
  void close() {
    materializer.reset();
    store.reset();
  }
};

Result<OpenDatabase> open_database(const SqliteDisk& disk, const std::string& name,
                                   MaterializerOptions options = {}) {
  OpenDatabase database;
  TS_ASSIGN_OR_RETURN(database.store, SqliteStore::open(disk.store_options(name)));
  TS_ASSIGN_OR_RETURN(database.materializer,
                      Materializer::open(*database.store, reader_replica(), options));
  return database;
}

// --- in-order append ---

void BM_InOrderAppend(benchmark::State& state, SqliteDiskKind disk_kind) {
  const auto op_count = static_cast<std::size_t>(state.range(0));
  const auto batch_size = static_cast<std::size_t>(state.range(1));
  const std::vector<std::vector<Op>> batches =
      split_into_batches(cached_workload(op_count).ops, batch_size);
  const SqliteDisk disk(disk_kind);  // one per run
  const std::string name = "append.db";
  std::uint64_t database_bytes = 0;

  for (auto _ : state) {
    // Setting up and tearing down the database is not append work: untimed.
    state.PauseTiming();
    const Status removed = disk.remove(name);
    if (!removed.is_ok()) {
      state.SkipWithError(removed.to_string().c_str());
      break;
    }
    Result<OpenDatabase> opened = open_database(disk, name);
    if (!opened.is_ok()) {
      state.SkipWithError(opened.status().to_string().c_str());
      break;
    }
    OpenDatabase database = std::move(*opened);
    state.ResumeTiming();

    for (const std::vector<Op>& batch : batches) {
      Result<AppendResult> result = database.materializer->append(batch);
      if (!result.is_ok()) {
        state.SkipWithError(result.status().to_string().c_str());
        break;
      }
      benchmark::DoNotOptimize(result);
    }

    state.PauseTiming();
    if (database.materializer->head().seq != op_count) {
      state.SkipWithError("head does not cover the whole log after the appends");
      break;
    }
    database.close();
    database_bytes = disk.size(name).value_or(0);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(op_count));
  state.counters["database_bytes_per_op"] =
      static_cast<double>(database_bytes) / static_cast<double>(op_count);
  state.SetLabel(std::string(sqlite_disk_kind_name(disk_kind)) +
                 ", batch=" + std::to_string(batch_size) + " ops/append");
}

// --- late op ---

// The disk holding the base database ("base.db") of the workload of `op_count` ops, built once
// and kept until another (N, disk) is asked for (one at a time, for memory and disk space).
Result<const SqliteDisk*> base_log_disk(std::size_t op_count, SqliteDiskKind disk_kind) {
  static std::unique_ptr<SqliteDisk> cached;
  static std::size_t cached_op_count = 0;
  if (cached && cached_op_count == op_count && cached->kind() == disk_kind) return cached.get();
  cached.reset();
  auto disk = std::make_unique<SqliteDisk>(disk_kind);
  TS_ASSIGN_OR_RETURN(OpenDatabase database, open_database(*disk, "base.db"));
  TS_RETURN_IF_ERROR(
      append_in_batches(*database.materializer, cached_workload(op_count).ops, 1000));
  database.close();
  cached = std::move(disk);
  cached_op_count = op_count;
  return cached.get();
}

// After one late op: whether it took the strategy's path and `suffix_count` ops follow it.
Status check_late_append(OpenDatabase& database, CatchUpStrategy strategy,
                         const Probes& probes_before, const Op& late, std::size_t log_size,
                         std::size_t suffix_count) {
  const Probes& probes = database.materializer->probes();
  const auto delta = [&](Probe probe) { return probes.count(probe) - probes_before.count(probe); };
  if (delta(catch_up_probe(strategy)) != 1 || delta(Probe::kRewindFallback) != 0) {
    return Status::internal("the late op did not take the strategy's catch-up path");
  }
  if (database.materializer->head().seq != log_size) {
    return Status::internal("the head does not cover the log");
  }
  std::size_t after = 0;
  TS_RETURN_IF_ERROR(database.store->scan_ops(late.key(), [&](const Op& op) {
    if (late.key() < op.key()) ++after;
    return true;
  }));
  if (after != suffix_count) {
    return Status::internal("the late op has " + std::to_string(after) +
                            " ops after it, not k = " + std::to_string(suffix_count));
  }
  return Status::ok();
}

void BM_LateOpCatchUp(benchmark::State& state, SqliteDiskKind disk_kind, CatchUpStrategy strategy) {
  const auto op_count = static_cast<std::size_t>(state.range(0));
  const auto suffix_count = static_cast<std::size_t>(state.range(1));
  TS_ASSERT(suffix_count >= 1 && suffix_count < op_count);

  // --- untimed setup: the base database and the late op ---
  Result<const SqliteDisk*> base = base_log_disk(op_count, disk_kind);
  if (!base.is_ok()) {
    state.SkipWithError(base.status().to_string().c_str());
    return;
  }
  const SqliteDisk& disk = **base;
  const std::vector<Op>& log = cached_workload(op_count).ops;
  const NodeId target = log.front().node;  // inserted by the first op: exists before L
  // The warm-up op sorts 2k ops before the head, so it never joins the timed op's suffix.
  const std::vector<Op> warm_up_batch = {make_payload(
      OpId{late_replica(), 1}, log[op_count - 2 * suffix_count].lamport, target, "warm-up")};
  const std::vector<Op> late_batch = {
      make_payload(OpId{late_replica(), 2}, log[op_count - suffix_count].lamport, target, "late")};
  MaterializerOptions options;
  options.strategy = strategy;
  TS_ASSERT(options.undo_retention >= 2 * suffix_count);  // rewind does not fall back

  for (auto _ : state) {
    // Every iteration starts from a fresh copy of the base database: untimed.
    state.PauseTiming();
    const Status copied = disk.copy("base.db", "work.db");
    if (!copied.is_ok()) {
      state.SkipWithError(copied.to_string().c_str());
      break;
    }
    Result<OpenDatabase> opened = open_database(disk, "work.db", options);
    if (!opened.is_ok()) {
      state.SkipWithError(opened.status().to_string().c_str());
      break;
    }
    OpenDatabase database = std::move(*opened);
    Result<AppendResult> warm_up = database.materializer->append(warm_up_batch);
    if (!warm_up.is_ok()) {
      state.SkipWithError(warm_up.status().to_string().c_str());
      break;
    }
    const Probes probes_before = database.materializer->probes();
    state.ResumeTiming();

    Result<AppendResult> result = database.materializer->append(late_batch);

    state.PauseTiming();
    if (!result.is_ok()) {
      state.SkipWithError(result.status().to_string().c_str());
      break;
    }
    const Status checked = check_late_append(database, strategy, probes_before, late_batch.front(),
                                             op_count + 2, suffix_count);
    if (!checked.is_ok()) {
      state.SkipWithError(checked.to_string().c_str());
      break;
    }
    database.close();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(sqlite_disk_kind_name(disk_kind));
}

// Late ops per run. Each iteration also pays an untimed copy and open (about a second at 100k
// ops on a loaded two-core machine); prefix replay and rebuild add a fold of the whole log and
// the rewrite of the undo window. The counts keep the whole binary within about five minutes.
std::int64_t late_op_iteration_count(CatchUpStrategy strategy, std::int64_t op_count) {
  if (strategy == CatchUpStrategy::kRewind) return op_count >= 100'000 ? 10 : 30;
  return op_count >= 100'000 ? 3 : 10;
}

void RegisterAll() {
  const SqliteDiskKind disk_kinds[] = {SqliteDiskKind::kSimVfs, SqliteDiskKind::kFile};
  for (SqliteDiskKind disk_kind : disk_kinds) {
    for (std::int64_t op_count : {10'000, 100'000}) {
      for (std::int64_t batch_size : {1, 100, 1000}) {
        // One op per transaction: 100k commits (and, on a file, 100k fsyncs) take minutes.
        if (batch_size == 1 && op_count > 10'000) continue;
        auto* benchmark =
            benchmark::RegisterBenchmark(
                (std::string("InOrderAppend/") + sqlite_disk_kind_name(disk_kind)).c_str(),
                BM_InOrderAppend, disk_kind)
                ->Args({op_count, batch_size})
                ->ArgNames({"N", "batch"})
                // Runs of a second or more: one iteration per repetition, so that
                // --benchmark_repetitions gives the spread without the iteration-count probing.
                ->Iterations(1)
                ->UseRealTime()
                ->Unit(benchmark::kMillisecond);
        // 10k fsyncs take about a minute on a loaded machine, and the rate is the fsync
        // latency's: a second sample would not change any conclusion.
        if (disk_kind == SqliteDiskKind::kFile && batch_size == 1) benchmark->Repetitions(1);
      }
    }
  }

  const CatchUpStrategy strategies[] = {CatchUpStrategy::kRebuild, CatchUpStrategy::kPrefixReplay,
                                        CatchUpStrategy::kRewind};
  // N and the disk outermost: the base database is rebuilt only when they change.
  for (std::int64_t op_count : {10'000, 100'000}) {
    for (SqliteDiskKind disk_kind : disk_kinds) {
      for (CatchUpStrategy strategy : strategies) {
        auto* benchmark = benchmark::RegisterBenchmark(
                              (std::string("LateOpCatchUp/") + sqlite_disk_kind_name(disk_kind) +
                               "/" + catch_up_strategy_name(strategy))
                                  .c_str(),
                              BM_LateOpCatchUp, disk_kind, strategy)
                              ->Args({op_count, 10})
                              ->ArgNames({"N", "k"})
                              ->Iterations(late_op_iteration_count(strategy, op_count))
                              ->UseRealTime()
                              ->Unit(benchmark::kMicrosecond);
        // At 100k an iteration of a folding strategy takes several seconds with its setup;
        // its iterations already give three samples, and rewind is orders of magnitude faster.
        if (op_count >= 100'000 && strategy != CatchUpStrategy::kRewind) {
          benchmark->Repetitions(1);
        }
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
