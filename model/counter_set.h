// The reference model's version vectors (SEMANTICS.md §3), written to be obviously correct.
//
// SEMANTICS.md describes a model version vector as a map from replica to a set of counters. A
// decoded known_state may name intervals that reach 2^63 - 1, so one set entry per counter
// cannot fit in memory; a set of counters is therefore kept as its maximal intervals. Every
// operation is the plain one (append, sort, merge; check interval by interval), independent of
// the materializer's implementation and of core/'s normalization helper.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "core/op.h"
#include "core/replica_id.h"
#include "core/version_vector.h"

namespace treesim::model {

// A set of counters of one replica, each in [1, kMaxCounter].
//
// Invariant: ranges_ holds the maximal intervals of the set: sorted by `first`, and any two
// consecutive intervals are separated by at least one missing counter. Because the intervals
// are maximal, every contiguous run of members lies inside exactly one of them, which is what
// makes contains_all() a per-interval check.
class CounterSet {
 public:
  // Adds every counter in [first, last]. Requires 1 <= first <= last <= kMaxCounter.
  void add_range(std::uint64_t first, std::uint64_t last);
  // Adds one counter (>= 1, <= kMaxCounter).
  void add(std::uint64_t counter) { add_range(counter, counter); }
  // Set union.
  void add_all(const CounterSet& other);

  bool empty() const { return ranges_.empty(); }
  bool contains(std::uint64_t counter) const;
  // True iff every counter of `other` is in this set (the empty set is a subset of any set).
  bool contains_all(const CounterSet& other) const;

  // The maximal intervals, sorted and separated by gaps (core's normalized form).
  const std::vector<CounterRange>& ranges() const { return ranges_; }

  friend bool operator==(const CounterSet&, const CounterSet&) = default;

 private:
  // Restores the invariant after intervals were appended in any order.
  void sort_and_merge();

  std::vector<CounterRange> ranges_;
};

// A version vector: for each replica, the set of its counters that were seen. Replicas with an
// empty set are never stored, so two values are equal iff they contain the same op ids.
class SeenCounters {
 public:
  SeenCounters() = default;

  // The set of ids described by a (normalized or not) core version vector.
  static SeenCounters from_version_vector(const VersionVector& vv);
  // dot(op): the set holding only `id`.
  static SeenCounters dot(const OpId& id);

  // Adds `id` (SEMANTICS.md observe).
  void observe(const OpId& id);
  // Set union per replica (SEMANTICS.md merge).
  void merge(const SeenCounters& other);
  // True iff, for every replica, the counters of `other` are a subset of ours; a replica missing
  // here has the empty set (SEMANTICS.md is_aware_of). Gap-aware: b:2 does not cover b:1.
  bool is_aware_of(const SeenCounters& other) const;

  bool empty() const { return sets_.empty(); }
  bool contains(const OpId& id) const;

  // The normalized core form, as stored in snapshots and carried by ops.
  VersionVector to_version_vector() const;

  friend bool operator==(const SeenCounters&, const SeenCounters&) = default;

 private:
  std::map<ReplicaId, CounterSet> sets_;
};

}  // namespace treesim::model
