// Workload: a deterministic random op log for the materializer benchmarks.
//
// generate_workload() returns a valid op log in canonical order, as written by `replica_count`
// replicas ("r1", "r2", ...) taking turns at random: every op has a lamport one above the
// previous op's, so appending the ops in sequence is in-order append, and any op given a
// smaller lamport is a late op. The mix (percentages of insert, move, delete, payload) is an
// option; the benchmarks use 50/30/10/10.
//
// The generator keeps its own model of the structure (each node's parent and depth) and of
// which nodes it has not deleted (the "live" pool), never the materialized tree:
// - an insert creates a fresh random 128-bit node under ROOT or a random live node;
// - a move puts a random live node under a new parent chosen by `move_shape`:
//   * kSameDepth (the default): a random live node at the depth of its current parent (ROOT for
//     a top-level node), like moving a file between folders of one level. Depths never change,
//     so the tree stays as shallow as a random recursive tree (mean depth ~ ln N: 9.7 at 10k
//     ops, 12.6 at 100k, 15.5 at 1M with the benchmarks' seed) and no move is cycle-skipped;
//   * kUniform: ROOT or any random live node. Moves under the node's own subtree are
//     cycle-skipped, as in a real race, but random re-parenting makes the tree deep (mean depth
//     69 at 10k ops, 119 at 100k with the benchmarks' seed), and every ancestor walk the
//     materializer makes (cycle check, tombstone refresh) is that much longer;
// - a delete takes a random live node out of the pool. Its known_state covers every op so far
//   ({replica: [1, counter]} for every replica), the cheapest valid choice: computing the
//   node's real subtree version vector would need the materialized tree. Such a delete wins over
//   everything before it, so the node is tombstoned; a later op in its subtree (the descendants
//   stay in the pool) revives it, which exercises the revive path too;
// - a payload op sets a short value on a random live node.
// Order keys come from allocate_between(absent, absent, seed) with the op's own seed: realistic
// short keys, without looking up the siblings.
//
// Randomness is a splitmix64 stream of our own and integer arithmetic only (no
// std::*_distribution, no clock), so a seed gives the same log on every compiler.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/assert.h"
#include "core/node_id.h"
#include "core/op.h"
#include "core/replica_id.h"
#include "core/version_vector.h"
#include "materializer/order_key.h"

namespace treesim::bench {

// splitmix64 (Steele, Lea, Flood 2014): one 64-bit word of state, fully specified.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  // Uniform in [0, bound) by rejection of the short last bucket. Requires bound >= 1.
  std::uint64_t uniform_below(std::uint64_t bound) {
    TS_ASSERT(bound >= 1);
    const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % bound);
    for (;;) {
      const std::uint64_t value = next();
      if (value < limit) return value % bound;
    }
  }

 private:
  std::uint64_t state_;
};

enum class MoveShape : std::uint8_t {
  kSameDepth,  // under a live node at the depth of the current parent: a shallow tree
  kUniform,    // under ROOT or any live node: a deep tree, some moves cycle-skipped
};

inline const char* move_shape_name(MoveShape shape) {
  return shape == MoveShape::kSameDepth ? "same_depth_moves" : "uniform_moves";
}

struct WorkloadOptions {
  std::uint64_t seed = 1;
  std::size_t op_count = 10'000;
  std::size_t replica_count = 3;
  // Percentages of each kind; they must add up to 100.
  std::uint32_t insert_percent = 50;
  std::uint32_t move_percent = 30;
  std::uint32_t delete_percent = 10;
  std::uint32_t payload_percent = 10;
  MoveShape move_shape = MoveShape::kSameDepth;
};

// The shape of the tree the log builds, as the generator's model saw it (every node, deleted
// ones included; ROOT has depth 0).
struct WorkloadStats {
  double mean_depth = 0;
  std::uint64_t max_depth = 0;
  std::uint64_t cycle_skipped_moves = 0;
};

// The replica names of the workload: "r1", "r2", ... A late op's replica must sort before all of
// them (see late_replica() in the benchmarks).
inline ReplicaId workload_replica(std::size_t index) {
  return ReplicaId::of("r" + std::to_string(index + 1));
}

namespace internal {

// The generator's model of one node. Index 0 is ROOT.
struct ModelNode {
  NodeId id;
  std::size_t parent = 0;      // index; ROOT's is itself
  std::uint64_t depth = 0;     // ROOT 0
  std::size_t live_slot = 0;   // position in `live`, when live
  std::size_t level_slot = 0;  // position in `live_by_depth[depth]`, when live
};

// Removes `index` from a pool in O(1), fixing the slot of the element moved into its place.
inline void pool_remove(std::vector<std::size_t>& pool, std::vector<ModelNode>& nodes,
                        std::size_t slot, std::size_t ModelNode::*slot_field) {
  const std::size_t moved = pool.back();
  pool[slot] = moved;
  nodes[moved].*slot_field = slot;
  pool.pop_back();
}

}  // namespace internal

inline std::vector<Op> generate_workload(const WorkloadOptions& options,
                                         WorkloadStats* stats = nullptr) {
  using internal::ModelNode;
  TS_ASSERT(options.replica_count >= 1);
  TS_ASSERT(options.insert_percent + options.move_percent + options.delete_percent +
                options.payload_percent ==
            100);
  SplitMix64 rng(options.seed);
  std::vector<ReplicaId> replicas;
  for (std::size_t i = 0; i < options.replica_count; ++i) replicas.push_back(workload_replica(i));
  std::vector<std::uint64_t> counters(options.replica_count, 0);

  std::vector<ModelNode> nodes = {ModelNode{kRoot, 0, 0, 0, 0}};
  std::vector<std::size_t> live;                        // indices of undeleted nodes
  std::vector<std::vector<std::size_t>> live_by_depth;  // the same, by depth (slot 0 unused)
  std::uint64_t cycle_skipped_moves = 0;

  // ROOT (index 0) or a live node, ROOT with the weight of one node.
  auto pick_any_parent = [&]() -> std::size_t {
    const std::uint64_t slot = rng.uniform_below(live.size() + 1);
    return slot == live.size() ? 0 : live[slot];
  };
  // Whether walking up from `start` reaches `target` (the materializer's cycle rule).
  auto reaches = [&](std::size_t start, std::size_t target) {
    for (std::size_t at = start;; at = nodes[at].parent) {
      if (at == target) return true;
      if (at == 0) return false;
    }
  };

  std::vector<Op> ops;
  ops.reserve(options.op_count);
  for (std::size_t i = 0; i < options.op_count; ++i) {
    const std::size_t replica = rng.uniform_below(options.replica_count);
    const OpId id{replicas[replica], ++counters[replica]};
    const std::uint64_t lamport = i + 1;
    const std::string seed = order_key_seed(id.replica, id.counter);
    std::uint64_t roll = rng.uniform_below(100);
    if (live.empty()) roll = 0;  // nothing to move, delete or label yet: insert
    if (roll < options.insert_percent) {
      NodeId node{rng.next(), rng.next()};
      if (node.is_reserved()) node = NodeId::from_low(i + 1);  // 2^-127 odds; stay valid
      const std::size_t parent = pick_any_parent();
      Result<std::string> key = allocate_between(std::nullopt, std::nullopt, seed);
      TS_ASSERT(key.is_ok());
      ops.push_back(make_insert(id, lamport, nodes[parent].id, node, std::move(*key)));
      const std::size_t index = nodes.size();
      const std::uint64_t depth = nodes[parent].depth + 1;
      if (live_by_depth.size() <= depth) live_by_depth.resize(depth + 1);
      nodes.push_back(ModelNode{node, parent, depth, live.size(), live_by_depth[depth].size()});
      live.push_back(index);
      live_by_depth[depth].push_back(index);
      continue;
    }
    roll -= options.insert_percent;
    const std::size_t slot = rng.uniform_below(live.size());
    const std::size_t index = live[slot];
    if (roll < options.move_percent) {
      std::size_t parent = 0;
      if (options.move_shape == MoveShape::kUniform) {
        parent = pick_any_parent();
      } else if (const std::uint64_t depth = nodes[index].depth - 1; depth > 0) {
        // Some node of the parent's depth; the current parent if all of them are deleted.
        const std::vector<std::size_t>& level = live_by_depth[depth];
        parent = level.empty() ? nodes[index].parent : level[rng.uniform_below(level.size())];
      }
      Result<std::string> key = allocate_between(std::nullopt, std::nullopt, seed);
      TS_ASSERT(key.is_ok());
      ops.push_back(make_move(id, lamport, nodes[index].id, nodes[parent].id, std::move(*key)));
      if (reaches(parent, index)) {
        ++cycle_skipped_moves;  // the materializer skips it too
        continue;
      }
      TS_ASSERT(options.move_shape == MoveShape::kUniform ||
                nodes[parent].depth + 1 == nodes[index].depth);
      nodes[index].parent = parent;  // depths below are only tracked for kSameDepth
      continue;
    }
    roll -= options.move_percent;
    if (roll < options.delete_percent) {
      VersionVector known;
      for (std::size_t r = 0; r < options.replica_count; ++r) {
        // This op's own counter is its dot, not part of what it knows.
        const std::uint64_t last = r == replica ? counters[r] - 1 : counters[r];
        if (last > 0) known.entries[replicas[r]] = {CounterRange{1, last}};
      }
      ops.push_back(make_delete(id, lamport, nodes[index].id, std::move(known)));
      internal::pool_remove(live, nodes, slot, &ModelNode::live_slot);
      internal::pool_remove(live_by_depth[nodes[index].depth], nodes, nodes[index].level_slot,
                            &ModelNode::level_slot);
      continue;
    }
    ops.push_back(make_payload(id, lamport, nodes[index].id, "v" + std::to_string(i)));
  }

  if (stats != nullptr) {
    // Depths from the final parents (kUniform moves make the tracked ones stale): parents
    // first, memoized, so the pass is O(nodes).
    std::vector<std::uint64_t> depth(nodes.size(), 0);
    std::vector<bool> known(nodes.size(), false);
    known[0] = true;
    std::vector<std::size_t> chain;
    std::uint64_t total = 0;
    *stats = WorkloadStats{};
    for (std::size_t index = 1; index < nodes.size(); ++index) {
      for (std::size_t at = index; !known[at]; at = nodes[at].parent) chain.push_back(at);
      while (!chain.empty()) {
        const std::size_t at = chain.back();
        chain.pop_back();
        depth[at] = depth[nodes[at].parent] + 1;
        known[at] = true;
      }
      total += depth[index];
      stats->max_depth = std::max(stats->max_depth, depth[index]);
    }
    stats->mean_depth =
        nodes.size() > 1 ? static_cast<double>(total) / static_cast<double>(nodes.size() - 1) : 0;
    stats->cycle_skipped_moves = cycle_skipped_moves;
  }
  return ops;
}

}  // namespace treesim::bench
