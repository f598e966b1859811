#include "model/counter_set.h"

#include <algorithm>

#include "core/assert.h"

namespace treesim::model {

void CounterSet::add_range(std::uint64_t first, std::uint64_t last) {
  TS_ASSERT(first >= 1);
  TS_ASSERT(first <= last);
  TS_ASSERT(last <= kMaxCounter);
  ranges_.push_back(CounterRange{first, last});
  sort_and_merge();
}

void CounterSet::add_all(const CounterSet& other) {
  ranges_.insert(ranges_.end(), other.ranges_.begin(), other.ranges_.end());
  sort_and_merge();
}

bool CounterSet::contains(std::uint64_t counter) const {
  return std::any_of(ranges_.begin(), ranges_.end(), [&](const CounterRange& range) {
    return range.first <= counter && counter <= range.last;
  });
}

bool CounterSet::contains_all(const CounterSet& other) const {
  // Each interval of `other` is a contiguous run of counters. Ours are maximal, so such a run is
  // covered iff it lies inside a single one of ours: spanning two would need the missing counter
  // between them.
  for (const CounterRange& wanted : other.ranges_) {
    const bool covered =
        std::any_of(ranges_.begin(), ranges_.end(), [&](const CounterRange& range) {
          return range.first <= wanted.first && wanted.last <= range.last;
        });
    if (!covered) return false;
  }
  return true;
}

void CounterSet::sort_and_merge() {
  std::sort(ranges_.begin(), ranges_.end(),
            [](const CounterRange& a, const CounterRange& b) { return a.first < b.first; });
  std::vector<CounterRange> merged;
  for (const CounterRange& range : ranges_) {
    // Overlapping or touching intervals join. `last + 1` cannot overflow: last <= 2^63 - 1.
    if (!merged.empty() && range.first <= merged.back().last + 1) {
      merged.back().last = std::max(merged.back().last, range.last);
    } else {
      merged.push_back(range);
    }
  }
  ranges_ = std::move(merged);
  for (std::size_t i = 1; i < ranges_.size(); ++i) {
    TS_ASSERT(ranges_[i].first > ranges_[i - 1].last + 1);
  }
}

SeenCounters SeenCounters::from_version_vector(const VersionVector& vv) {
  SeenCounters seen;
  for (const auto& [replica, ranges] : vv.entries) {
    for (const CounterRange& range : ranges) {
      seen.sets_[replica].add_range(range.first, range.last);
    }
  }
  return seen;
}

SeenCounters SeenCounters::dot(const OpId& id) {
  SeenCounters seen;
  seen.observe(id);
  return seen;
}

void SeenCounters::observe(const OpId& id) {
  TS_ASSERT(id.replica.is_valid());
  sets_[id.replica].add(id.counter);
}

void SeenCounters::merge(const SeenCounters& other) {
  for (const auto& [replica, set] : other.sets_) sets_[replica].add_all(set);
}

bool SeenCounters::is_aware_of(const SeenCounters& other) const {
  for (const auto& [replica, wanted] : other.sets_) {
    TS_ASSERT(!wanted.empty());
    auto it = sets_.find(replica);
    if (it == sets_.end()) return false;
    if (!it->second.contains_all(wanted)) return false;
  }
  return true;
}

bool SeenCounters::contains(const OpId& id) const {
  auto it = sets_.find(id.replica);
  return it != sets_.end() && it->second.contains(id.counter);
}

VersionVector SeenCounters::to_version_vector() const {
  VersionVector vv;
  for (const auto& [replica, set] : sets_) {
    TS_ASSERT(!set.empty());
    vv.entries[replica].assign(set.ranges().begin(), set.ranges().end());
  }
  TS_ASSERT(vv.is_normalized());
  return vv;
}

}  // namespace treesim::model
