// MaterializedLog: a MemoryStore holding a workload's op log, materialized by the production
// Materializer, plus the helpers the benchmarks share to build one.
//
// Building a log is the expensive part of every benchmark here (seconds at a million ops), so
// the benchmarks build it outside their timed regions and, where iterations must not see each
// other's writes, clone the store instead of rebuilding it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/workload.h"
#include "core/assert.h"
#include "core/op.h"
#include "core/status.h"
#include "materializer/materializer.h"
#include "materializer/memory_store.h"

namespace treesim::bench {

// The replica the benchmarks open their materializers as (one of the workload's writers).
inline ReplicaId reader_replica() { return workload_replica(0); }

struct Workload {
  std::vector<Op> ops;
  WorkloadStats stats;
};

// The workload (50% insert, 30% move, 10% delete, 10% payload, 3 replicas) with a fixed
// seed, so every benchmark of a given size and move shape sees the same log. Cached: only the
// most recent one is kept, because the benchmarks run one size after another and a million ops
// take hundreds of megabytes.
inline const Workload& cached_workload(std::size_t op_count,
                                       MoveShape move_shape = MoveShape::kSameDepth) {
  static std::unique_ptr<Workload> cached;
  static WorkloadOptions cached_options;
  if (!cached || cached_options.op_count != op_count || cached_options.move_shape != move_shape) {
    cached.reset();  // free the old log before generating the new one
    WorkloadOptions options;
    options.seed = 0x7265'6573'696d'0001ull;
    options.op_count = op_count;
    options.move_shape = move_shape;
    cached = std::make_unique<Workload>();
    cached->ops = generate_workload(options, &cached->stats);
    cached_options = options;
  }
  return *cached;
}

// ops[begin, end) as one batch.
inline std::vector<Op> slice(const std::vector<Op>& ops, std::size_t begin, std::size_t end) {
  return std::vector<Op>(ops.begin() + static_cast<std::ptrdiff_t>(begin),
                         ops.begin() + static_cast<std::ptrdiff_t>(end));
}

// `ops` cut into consecutive batches of `batch_size` (the last one may be shorter).
inline std::vector<std::vector<Op>> split_into_batches(const std::vector<Op>& ops,
                                                       std::size_t batch_size) {
  TS_ASSERT(batch_size >= 1);
  std::vector<std::vector<Op>> batches;
  batches.reserve((ops.size() + batch_size - 1) / batch_size);
  for (std::size_t begin = 0; begin < ops.size(); begin += batch_size) {
    batches.push_back(slice(ops, begin, std::min(ops.size(), begin + batch_size)));
  }
  return batches;
}

// Appends `ops` in order, `batch_size` per call. Every op must be new and sort after the head,
// so every call is an in-order append; returns the first error.
inline Status append_in_batches(Materializer& materializer, const std::vector<Op>& ops,
                                std::size_t batch_size) {
  for (std::size_t begin = 0; begin < ops.size(); begin += batch_size) {
    const std::size_t end = std::min(ops.size(), begin + batch_size);
    Result<AppendResult> result = materializer.append(slice(ops, begin, end));
    if (!result.is_ok()) {
      return result.status().with_context("append at op " + std::to_string(begin));
    }
    TS_ASSERT(result->new_op_count == end - begin);
  }
  return Status::ok();
}

// A store that holds a materialized log, and its op count. The materializer that built it is
// closed; open a new one (with the strategy under test) on the store or on a clone of it.
struct MaterializedLog {
  MemoryStore store;
  std::size_t op_count = 0;
};

// Builds the workload of `op_count` ops into a fresh MemoryStore with default options (rewind,
// default undo retention), appending 1000 ops per call.
inline MaterializedLog build_materialized_log(std::size_t op_count) {
  MaterializedLog log;
  log.op_count = op_count;
  Result<std::unique_ptr<Materializer>> materializer =
      Materializer::open(log.store, reader_replica());
  TS_ASSERT(materializer.is_ok());
  const Status status = append_in_batches(**materializer, cached_workload(op_count).ops, 1000);
  TS_ASSERT(status.is_ok());
  return log;
}

// The log of `op_count` ops, built once and kept until a log of another size is asked for
// (one at a time, for memory).
inline const MaterializedLog& cached_materialized_log(std::size_t op_count) {
  static std::unique_ptr<MaterializedLog> cached;
  if (!cached || cached->op_count != op_count) {
    cached.reset();
    cached = std::make_unique<MaterializedLog>(build_materialized_log(op_count));
  }
  return *cached;
}

}  // namespace treesim::bench
