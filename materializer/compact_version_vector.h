// CompactVersionVector: the materializer's gap-aware version vector (SEMANTICS.md §3).
//
// Per replica (by ReplicaTable index) a sorted list of disjoint, non-touching inclusive counter
// intervals; the first interval starting at 1 is the contract's "frontier". Seeing b:2 does not
// imply seeing b:1. Small-buffer storage keeps the common case (one or two replicas, one
// interval each) free of heap allocations.
//
// Besides the contract's operations (observe, merge, is_aware_of) it supports exact removal,
// which undo records need: every dot an op adds is unique to that op, and the counters a delete
// merges into deleted_at are recorded as the set that was actually new, so undo subtracts
// exactly what was added.
#pragma once

#include <cstdint>
#include <string>

#include <boost/container/small_vector.hpp>

#include "core/version_vector.h"
#include "materializer/replica_table.h"

namespace treesim {

class CompactVersionVector {
 public:
  struct Entry {
    ReplicaIndex replica = 0;
    boost::container::small_vector<CounterRange, 1> ranges;  // normalized, non-empty

    friend bool operator==(const Entry&, const Entry&) = default;
  };

  CompactVersionVector() = default;
  static CompactVersionVector dot(ReplicaIndex replica, std::uint64_t counter);
  // Interns every replica of `vv` into `table`.
  static CompactVersionVector from_core(const VersionVector& vv, ReplicaTable& table);
  VersionVector to_core(const ReplicaTable& table) const;

  bool empty() const { return entries_.empty(); }
  bool contains(ReplicaIndex replica, std::uint64_t counter) const;

  // Adds one counter. Returns whether it was new.
  bool observe(ReplicaIndex replica, std::uint64_t counter);
  // Removes one counter (splitting an interval if needed). Returns whether it was present.
  bool erase(ReplicaIndex replica, std::uint64_t counter);

  // Set union with `other`.
  void merge(const CompactVersionVector& other);
  // Set union with `other`; returns exactly the counters that were not already present.
  CompactVersionVector merge_reporting_added(const CompactVersionVector& other);
  // Set difference: removes every counter of `other`.
  void subtract(const CompactVersionVector& other);

  // True iff every counter of `other` is in this vector (for every replica).
  bool is_aware_of(const CompactVersionVector& other) const;
  // True iff `other` is empty, or this vector contains the single counter.
  bool is_aware_of_dot(ReplicaIndex replica, std::uint64_t counter) const {
    return contains(replica, counter);
  }

  const boost::container::small_vector<Entry, 2>& entries() const { return entries_; }
  // Normalized form: entries sorted by replica, no empty entry, ranges normalized.
  bool check_invariants() const;

  friend bool operator==(const CompactVersionVector&, const CompactVersionVector&) = default;

 private:
  Entry* find(ReplicaIndex replica);
  const Entry* find(ReplicaIndex replica) const;
  Entry& find_or_insert(ReplicaIndex replica);
  void drop_empty_entries();

  boost::container::small_vector<Entry, 2> entries_;
};

}  // namespace treesim
