#include "core/version_vector.h"

#include <algorithm>

#include "core/assert.h"

namespace treesim {

void normalize_ranges(CounterRanges& ranges) {
  for (const auto& range : ranges) TS_ASSERT(is_valid_range(range));
  std::sort(ranges.begin(), ranges.end());
  CounterRanges merged;
  merged.reserve(ranges.size());
  for (const auto& range : ranges) {
    // `last + 1` cannot overflow: last <= kMaxCounter < 2^64 - 1.
    if (!merged.empty() && range.first <= merged.back().last + 1) {
      merged.back().last = std::max(merged.back().last, range.last);
    } else {
      merged.push_back(range);
    }
  }
  ranges = std::move(merged);
}

VersionVector VersionVector::from_ranges(
    const std::vector<std::pair<ReplicaId, CounterRange>>& ranges) {
  VersionVector vv;
  for (const auto& [replica, range] : ranges) {
    TS_ASSERT(replica.is_valid());
    vv.entries[replica].push_back(range);
  }
  for (auto& [replica, list] : vv.entries) normalize_ranges(list);
  return vv;
}

bool VersionVector::contains(const ReplicaId& replica, std::uint64_t counter) const {
  auto it = entries.find(replica);
  if (it == entries.end()) return false;
  const auto& ranges = it->second;
  auto range = std::lower_bound(ranges.begin(), ranges.end(), counter,
                                [](const CounterRange& r, std::uint64_t c) { return r.last < c; });
  return range != ranges.end() && range->first <= counter;
}

bool VersionVector::is_normalized() const {
  for (const auto& [replica, list] : entries) {
    if (!replica.is_valid() || list.empty()) return false;
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (!is_valid_range(list[i])) return false;
      if (i > 0 && list[i].first <= list[i - 1].last + 1) return false;
    }
  }
  return true;
}

std::string VersionVector::to_display() const {
  std::string out = "{";
  bool first_replica = true;
  for (const auto& [replica, list] : entries) {
    if (!first_replica) out += ' ';
    first_replica = false;
    out += replica.to_display();
    out += ':';
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (i > 0) out += ',';
      out += std::to_string(list[i].first);
      if (list[i].last != list[i].first) out += ".." + std::to_string(list[i].last);
    }
  }
  out += '}';
  return out;
}

}  // namespace treesim
