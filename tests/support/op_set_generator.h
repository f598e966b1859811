// RapidCheck generators of realistic op sets, for property tests of anything that folds ops
// (the reference model, the materializer): the result must depend on the set of ops only.
//
// The generator plays 3-5 replicas over a small node universe, so races are common: moves race
// into cycles, nodes are named before they are inserted, payload writes collide, and nodes get
// moved to TRASH. Each replica numbers its ops 1, 2, 3... and, before each op, learns a random
// part of what others produced (all, a random subset, or nothing), which sets its Lamport clock
// (so ties across replicas happen) and the known_state of its deletes: everything it has seen,
// a random subset of that (gaps included), or nothing. Deletes therefore sometimes see all of a
// subtree and win, and sometimes miss an op and lose.
#pragma once

#include <rapidcheck.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "core/node_id.h"
#include "core/op.h"
#include "core/replica_id.h"
#include "core/version_vector.h"

namespace treesim::test_support {

struct OpSetOptions {
  int replica_count_min = 3;
  int replica_count_max = 5;
  // The universe of node ids ops pick from (ROOT and TRASH come on top, rarely).
  int node_count_min = 2;
  int node_count_max = 6;
  int op_count_max = 30;
};

struct OpSet {
  std::vector<ReplicaId> replicas;
  std::vector<NodeId> nodes;
  // Distinct ids, in the order they were generated (each valid per validate_op).
  std::vector<Op> ops;
};

// Prints one op per line, so a failing case can be read (and pasted into a test).
inline void showValue(const OpSet& set, std::ostream& out) {
  out << set.ops.size() << " ops:\n";
  for (const Op& op : set.ops) out << "  " << op.to_display() << "\n";
}

namespace internal {

// A choice in [0, n), uniform whatever RapidCheck's current size is, shrinking towards 0. Plain
// gen::inRange scales with the size, so early (small) cases would nearly always take choice 0;
// every alternative below is therefore ordered so that 0 is the simplest.
inline int choose(int n) { return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange(0, n)); }
inline bool one_in(int n) { return choose(n) == 0; }

// The replica names: short, and chosen so byte order matters ("a" < "ab" < "b", 0x80 last).
inline ReplicaId generated_replica(std::size_t index) {
  static const char* const kNames[] = {"a", "b", "ab", "c", "\x80"};
  return ReplicaId::of(kNames[index % 5]);
}

// A few one- and two-digit keys, with repeats, so that siblings often tie on the key.
inline std::string generated_key() {
  switch (choose(5)) {
    case 0:
      return std::string("\x80\x00", 2);
    case 1:
      return std::string("\x40\x00", 2);
    case 2:
      return std::string("\xc0\x00", 2);
    case 3:
      return std::string("\x80\x00\x00\x01", 4);
    default:
      return std::string();
  }
}

// "x", "y", "z", or none (a clear, for a Payload op).
inline std::optional<std::string> generated_value() {
  const int choice = choose(4);
  if (choice == 3) return std::nullopt;
  return std::string(1, static_cast<char>('x' + choice));
}

// What one replica has seen so far, and its counter and Lamport clock.
struct ReplicaView {
  std::uint64_t counter = 0;
  std::uint64_t clock = 0;
  std::vector<bool> seen;  // by op index
};

// The known_state of a delete: everything the replica saw (half the time), a random subset of
// it, or a prefix of it in generation order (possibly empty).
inline VersionVector generated_known_state(const std::vector<Op>& ops, const ReplicaView& view) {
  const int mode = choose(4);
  const std::size_t prefix =
      mode == 3 ? static_cast<std::size_t>(choose(static_cast<int>(ops.size()) + 1)) : ops.size();
  std::vector<std::pair<ReplicaId, CounterRange>> ranges;
  for (std::size_t i = 0; i < ops.size() && i < prefix; ++i) {
    if (!view.seen[i]) continue;
    if (mode == 2 && one_in(3)) continue;
    ranges.push_back({ops[i].id.replica, {ops[i].id.counter, ops[i].id.counter}});
  }
  return VersionVector::from_ranges(ranges);
}

}  // namespace internal

inline rc::Gen<OpSet> gen_op_set(OpSetOptions options = {}) {
  using internal::choose;
  using internal::one_in;
  return rc::gen::exec([options] {
    OpSet set;
    const int replica_count = options.replica_count_min +
                              choose(options.replica_count_max - options.replica_count_min + 1);
    const int node_count =
        options.node_count_min + choose(options.node_count_max - options.node_count_min + 1);
    const int op_count = choose(options.op_count_max + 1);
    for (int i = 0; i < replica_count; ++i) set.replicas.push_back(internal::generated_replica(i));
    for (int i = 1; i <= node_count; ++i) set.nodes.push_back(NodeId::from_low(i));
    std::vector<internal::ReplicaView> views(replica_count);

    const auto universe_node = [&] { return set.nodes[choose(node_count)]; };
    // Mostly universe nodes; sometimes ROOT or TRASH, to exercise the reserved-node rules.
    const auto pick_node = [&] {
      const int choice = choose(16);
      if (choice == 14) return kRoot;
      if (choice == 15) return kTrash;
      return universe_node();
    };
    const auto pick_parent = [&](int trash_weight) {
      const int choice = choose(10);
      if (choice < 3) return kRoot;
      if (choice < 3 + trash_weight) return kTrash;
      return universe_node();
    };

    for (int step = 0; step < op_count; ++step) {
      const int replica = choose(replica_count);
      internal::ReplicaView& view = views[replica];
      view.seen.resize(set.ops.size(), false);
      // Learn others' ops: 0 = each with a coin, 1 = everything, 2 = nothing.
      const int learn = choose(3);
      for (std::size_t i = 0; i < set.ops.size(); ++i) {
        if (view.seen[i] || learn == 2) continue;
        if (learn == 1 || one_in(2)) {
          view.seen[i] = true;
          view.clock = std::max(view.clock, set.ops[i].lamport);
        }
      }
      const OpId id{set.replicas[replica], ++view.counter};
      const std::uint64_t lamport = ++view.clock;

      // Weights 7 insert, 5 move, 3 delete, 1 tombstone, 4 payload.
      const int kind = choose(20);
      Op op;
      if (kind < 7) {
        const NodeId node = pick_node();
        const NodeId parent = pick_parent(/*trash_weight=*/1);
        const std::optional<std::string> payload =
            one_in(3) ? internal::generated_value() : std::nullopt;
        op = make_insert(id, lamport, parent, node, internal::generated_key(), payload);
      } else if (kind < 12) {
        const NodeId node = pick_node();
        const NodeId new_parent = pick_parent(/*trash_weight=*/2);
        op = make_move(id, lamport, node, new_parent, internal::generated_key());
      } else if (kind < 15) {
        const NodeId node = pick_node();
        op = make_delete(id, lamport, node, internal::generated_known_state(set.ops, view));
      } else if (kind < 16) {
        const NodeId node = pick_node();
        std::optional<VersionVector> known_state;
        if (one_in(2)) known_state = internal::generated_known_state(set.ops, view);
        op = make_tombstone(id, lamport, node, std::move(known_state));
      } else {
        const NodeId node = pick_node();
        op = make_payload(id, lamport, node, internal::generated_value());
      }
      set.ops.push_back(std::move(op));
      view.seen.push_back(true);
    }
    return set;
  });
}

// A permutation of 0..n-1 by Fisher-Yates from generated choices. A choice of 0 leaves the
// element in place, so the permutation shrinks towards the identity.
inline rc::Gen<std::vector<std::size_t>> gen_permutation(std::size_t n) {
  return rc::gen::exec([n] {
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    for (std::size_t i = n; i > 1; --i) {
      const std::size_t distance = *rc::gen::inRange<std::size_t>(0, i);
      std::swap(order[i - 1], order[i - 1 - distance]);
    }
    return order;
  });
}

// `ops` in the given order.
inline std::vector<Op> permuted(const std::vector<Op>& ops, const std::vector<std::size_t>& order) {
  std::vector<Op> out;
  out.reserve(order.size());
  for (std::size_t index : order) out.push_back(ops[index]);
  return out;
}

}  // namespace treesim::test_support
