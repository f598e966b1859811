// VersionVector as plain, normalized data (SEMANTICS.md §3).
//
// For each replica, the set of seen counters as sorted, disjoint, non-touching inclusive
// intervals. The contract's `{frontier, ranges}` view is the same data: the frontier is the end
// of an interval that starts at 1 (or 0 when there is none), the ranges are the other intervals.
// This file defines the data and its normalization only; the gap-aware semantics (observe,
// merge, awareness) are implemented independently by materializer/ and model/.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/container/flat_map.hpp>
#include <boost/container/small_vector.hpp>

#include "core/replica_id.h"

namespace treesim {

// Counters are in [1, 2^63).
inline constexpr std::uint64_t kMaxCounter = (std::uint64_t{1} << 63) - 1;

struct CounterRange {
  std::uint64_t first = 0;  // inclusive
  std::uint64_t last = 0;   // inclusive, >= first

  friend constexpr auto operator<=>(const CounterRange&, const CounterRange&) = default;
};

// One replica's intervals. A replica's counters are nearly always seen in order, so one
// interval is the common case and it lives inline: copying a version vector (into a store row,
// an op, an undo record) then costs one allocation, not one per replica and two per map node.
using CounterRanges = boost::container::small_vector<CounterRange, 1>;

struct VersionVector {
  // Invariant (normalized): no empty lists; each list sorted by `first`, every range has
  // 1 <= first <= last <= kMaxCounter, and consecutive ranges are separated by a gap of at
  // least one counter (next.first > previous.last + 1).
  // Sorted by replica, like the std::map it replaces (iteration order is part of every
  // encoding and display), in one contiguous buffer.
  boost::container::flat_map<ReplicaId, CounterRanges> entries;

  bool empty() const { return entries.empty(); }
  // Whether the counter of `replica` is in the set (binary search; the vector is normalized).
  bool contains(const ReplicaId& replica, std::uint64_t counter) const;

  // The normalized union of arbitrary ranges (unsorted, overlapping, touching). Ranges must be
  // individually valid (1 <= first <= last <= kMaxCounter); see is_valid_range().
  static VersionVector from_ranges(
      const std::vector<std::pair<ReplicaId, CounterRange>>& ranges);

  // Whether this value satisfies the normalization invariant above.
  bool is_normalized() const;

  // "{a:1..3,5 b:2}": compact text for messages and diffs.
  std::string to_display() const;

  friend bool operator==(const VersionVector&, const VersionVector&) = default;
};

inline bool is_valid_range(const CounterRange& range) {
  return range.first >= 1 && range.first <= range.last && range.last <= kMaxCounter;
}

// Normalizes a list of valid ranges in place: sort, then merge overlapping or touching ranges.
void normalize_ranges(CounterRanges& ranges);

}  // namespace treesim
