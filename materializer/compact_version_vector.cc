#include "materializer/compact_version_vector.h"

#include <algorithm>

#include "core/assert.h"
#include "materializer/mutants.h"

namespace treesim {
namespace {

using RangeList = boost::container::small_vector<CounterRange, 1>;

// Appends `range` to a list being built in increasing order, merging it with the last range
// when they overlap or touch.
void append_range(RangeList& out, CounterRange range) {
  if (!out.empty() && range.first <= out.back().last + 1) {
    out.back().last = std::max(out.back().last, range.last);
  } else {
    out.push_back(range);
  }
}

RangeList union_of(const RangeList& a, const RangeList& b) {
  RangeList out;
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i].first <= b[j].first)) {
      append_range(out, a[i++]);
    } else {
      append_range(out, b[j++]);
    }
  }
  return out;
}

// a \ b, both normalized; the result is normalized.
RangeList difference_of(const RangeList& a, const RangeList& b) {
  RangeList out;
  std::size_t j = 0;
  for (CounterRange range : a) {
    std::uint64_t start = range.first;
    // Skip ranges of b entirely below the current start.
    while (j < b.size() && b[j].last < start) ++j;
    std::size_t k = j;
    while (start <= range.last) {
      if (k == b.size() || b[k].first > range.last) {
        out.push_back({start, range.last});
        break;
      }
      if (b[k].first > start) out.push_back({start, b[k].first - 1});
      if (b[k].last >= range.last) break;
      start = b[k].last + 1;
      ++k;
    }
  }
  return out;
}

// Whether every counter of `b` is in `a`. Because `a` is normalized (non-touching ranges), a
// range of `b` is covered iff it lies inside a single range of `a`.
bool covers(const RangeList& a, const RangeList& b) {
  std::size_t i = 0;
  for (CounterRange range : b) {
    while (i < a.size() && a[i].last < range.first) ++i;
    if (i == a.size() || a[i].first > range.first || a[i].last < range.last) return false;
  }
  return true;
}

// Index of the first range whose last >= counter.
std::size_t lower_range(const RangeList& list, std::uint64_t counter) {
  auto it = std::lower_bound(list.begin(), list.end(), counter,
                             [](const CounterRange& r, std::uint64_t c) { return r.last < c; });
  return static_cast<std::size_t>(it - list.begin());
}

}  // namespace

CompactVersionVector CompactVersionVector::dot(ReplicaIndex replica, std::uint64_t counter) {
  CompactVersionVector vv;
  vv.observe(replica, counter);
  return vv;
}

CompactVersionVector CompactVersionVector::from_core(const VersionVector& vv,
                                                     ReplicaTable& table) {
  CompactVersionVector out;
  for (const auto& [replica, ranges] : vv.entries) {
    Entry entry;
    entry.replica = table.intern(replica);
    entry.ranges.assign(ranges.begin(), ranges.end());
    out.entries_.push_back(std::move(entry));
  }
  std::sort(out.entries_.begin(), out.entries_.end(),
            [](const Entry& a, const Entry& b) { return a.replica < b.replica; });
  TS_DEBUG_ASSERT(out.check_invariants());
  return out;
}

VersionVector CompactVersionVector::to_core(const ReplicaTable& table) const {
  VersionVector out;
  out.entries.reserve(entries_.size());
  for (const Entry& entry : entries_) {
    out.entries[table.id(entry.replica)].assign(entry.ranges.begin(), entry.ranges.end());
  }
  return out;
}

CompactVersionVector::Entry* CompactVersionVector::find(ReplicaIndex replica) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), replica,
                             [](const Entry& e, ReplicaIndex r) { return e.replica < r; });
  return it != entries_.end() && it->replica == replica ? &*it : nullptr;
}

const CompactVersionVector::Entry* CompactVersionVector::find(ReplicaIndex replica) const {
  return const_cast<CompactVersionVector*>(this)->find(replica);
}

CompactVersionVector::Entry& CompactVersionVector::find_or_insert(ReplicaIndex replica) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), replica,
                             [](const Entry& e, ReplicaIndex r) { return e.replica < r; });
  if (it != entries_.end() && it->replica == replica) return *it;
  Entry entry;
  entry.replica = replica;
  return *entries_.insert(it, std::move(entry));
}

void CompactVersionVector::drop_empty_entries() {
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [](const Entry& e) { return e.ranges.empty(); }),
                 entries_.end());
}

bool CompactVersionVector::contains(ReplicaIndex replica, std::uint64_t counter) const {
  const Entry* entry = find(replica);
  if (!entry) return false;
  const std::size_t i = lower_range(entry->ranges, counter);
  return i < entry->ranges.size() && entry->ranges[i].first <= counter;
}

bool CompactVersionVector::observe(ReplicaIndex replica, std::uint64_t counter) {
  TS_ASSERT(counter >= 1 && counter <= kMaxCounter);
  Entry& entry = find_or_insert(replica);
  RangeList& list = entry.ranges;
  const std::size_t i = lower_range(list, counter);
  if (i < list.size() && list[i].first <= counter) return false;
  // Not present. Possible neighbours: list[i-1] ends before counter, list[i] starts after it.
  const bool joins_previous = i > 0 && list[i - 1].last + 1 == counter;
  const bool joins_next = i < list.size() && list[i].first == counter + 1;
  if (joins_previous && joins_next) {
    list[i - 1].last = list[i].last;
    list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
  } else if (joins_previous) {
    list[i - 1].last = counter;
  } else if (joins_next) {
    list[i].first = counter;
  } else {
    list.insert(list.begin() + static_cast<std::ptrdiff_t>(i), CounterRange{counter, counter});
  }
  return true;
}

bool CompactVersionVector::erase(ReplicaIndex replica, std::uint64_t counter) {
  Entry* entry = find(replica);
  if (!entry) return false;
  RangeList& list = entry->ranges;
  const std::size_t i = lower_range(list, counter);
  if (i == list.size() || list[i].first > counter) return false;
  CounterRange& range = list[i];
  if (range.first == counter && range.last == counter) {
    list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
    if (list.empty()) drop_empty_entries();
  } else if (range.first == counter) {
    range.first = counter + 1;
  } else if (range.last == counter) {
    range.last = counter - 1;
  } else {
    const CounterRange upper{counter + 1, range.last};
    range.last = counter - 1;
    list.insert(list.begin() + static_cast<std::ptrdiff_t>(i + 1), upper);
  }
  return true;
}

void CompactVersionVector::merge(const CompactVersionVector& other) {
  for (const Entry& theirs : other.entries_) {
    Entry& mine = find_or_insert(theirs.replica);
    mine.ranges = mine.ranges.empty() ? theirs.ranges : union_of(mine.ranges, theirs.ranges);
  }
}

CompactVersionVector CompactVersionVector::merge_reporting_added(
    const CompactVersionVector& other) {
  CompactVersionVector added;
  for (const Entry& theirs : other.entries_) {
    Entry& mine = find_or_insert(theirs.replica);
    RangeList fresh = difference_of(theirs.ranges, mine.ranges);
    if (fresh.empty()) continue;
    mine.ranges = union_of(mine.ranges, fresh);
    Entry entry;
    entry.replica = theirs.replica;
    entry.ranges = std::move(fresh);
    added.entries_.push_back(std::move(entry));  // other's entries are sorted, so these are too
  }
  drop_empty_entries();  // find_or_insert may have added an entry that stayed empty
  return added;
}

void CompactVersionVector::subtract(const CompactVersionVector& other) {
  for (const Entry& theirs : other.entries_) {
    Entry* mine = find(theirs.replica);
    if (!mine) continue;
    mine->ranges = difference_of(mine->ranges, theirs.ranges);
  }
  drop_empty_entries();
}

bool CompactVersionVector::is_aware_of(const CompactVersionVector& other) const {
  if (mutant_active(Mutant::kVvIgnoresGaps)) {
    // Planted bug (vv-ignores-gaps): only the highest counter per replica is compared.
    for (const Entry& theirs : other.entries_) {
      const Entry* mine = find(theirs.replica);
      if (!mine || mine->ranges.back().last < theirs.ranges.back().last) return false;
    }
    return true;
  }
  for (const Entry& theirs : other.entries_) {
    const Entry* mine = find(theirs.replica);
    if (!mine || !covers(mine->ranges, theirs.ranges)) return false;
  }
  return true;
}

bool CompactVersionVector::check_invariants() const {
  for (std::size_t e = 0; e < entries_.size(); ++e) {
    const Entry& entry = entries_[e];
    if (e > 0 && entries_[e - 1].replica >= entry.replica) return false;
    if (entry.ranges.empty()) return false;
    for (std::size_t i = 0; i < entry.ranges.size(); ++i) {
      if (!is_valid_range(entry.ranges[i])) return false;
      if (i > 0 && entry.ranges[i].first <= entry.ranges[i - 1].last + 1) return false;
    }
  }
  return true;
}

}  // namespace treesim
