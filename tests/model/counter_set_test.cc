// The model's gap-aware version vectors (SEMANTICS.md §3). Fixed cases pin down merging,
// gaps and huge intervals; a RapidCheck property compares CounterSet against a plain
// std::set<uint64_t> of the same counters, which is the definition the spec gives.
#include "model/counter_set.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace treesim::model {
namespace {

CounterSet Of(std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges) {
  CounterSet set;
  for (const auto& [first, last] : ranges) set.add_range(first, last);
  return set;
}

// "1..3,5" (as in VersionVector::to_display), so failures print readably.
std::string Text(const CounterSet& set) {
  std::string out;
  for (const CounterRange& range : set.ranges()) {
    if (!out.empty()) out += ',';
    out += std::to_string(range.first);
    if (range.last != range.first) out += ".." + std::to_string(range.last);
  }
  return out;
}

TEST(CounterSet, OverlappingAndTouchingIntervalsMerge) {
  EXPECT_EQ(Text(Of({{5, 7}, {1, 2}, {3, 3}, {6, 9}, {11, 11}})), "1..3,5..9,11");
  EXPECT_EQ(Text(Of({{5, 7}, {1, 2}, {3, 3}, {6, 9}, {11, 11}, {4, 4}})), "1..9,11");
}

TEST(CounterSet, SubsetIsGapAware) {
  const CounterSet has_two = Of({{2, 2}});
  EXPECT_FALSE(has_two.contains_all(Of({{1, 1}})));
  EXPECT_FALSE(has_two.contains_all(Of({{1, 2}})));
  EXPECT_TRUE(has_two.contains_all(Of({{2, 2}})));
  EXPECT_TRUE(has_two.contains_all(CounterSet{}));
  // A wanted interval spanning a gap between two of ours is not covered.
  EXPECT_FALSE(Of({{1, 3}, {5, 9}}).contains_all(Of({{2, 6}})));
  EXPECT_TRUE(Of({{1, 3}, {5, 9}}).contains_all(Of({{2, 3}, {6, 9}})));
}

TEST(CounterSet, HugeIntervalsStayCompact) {
  CounterSet set = Of({{1, kMaxCounter}});
  set.add(12);
  set.add_all(Of({{kMaxCounter, kMaxCounter}}));
  EXPECT_EQ(Text(set), "1.." + std::to_string(kMaxCounter));
  EXPECT_TRUE(set.contains(kMaxCounter));
}

TEST(SeenCounters, MissingReplicaIsTheEmptySet) {
  const ReplicaId a = ReplicaId::of("a");
  const ReplicaId b = ReplicaId::of("b");
  SeenCounters seen;
  seen.observe({a, 1});
  EXPECT_TRUE(seen.is_aware_of(SeenCounters{}));
  EXPECT_FALSE(seen.is_aware_of(SeenCounters::dot({b, 1})));
  EXPECT_FALSE(SeenCounters{}.is_aware_of(seen));
  seen.merge(SeenCounters::dot({b, 3}));
  EXPECT_TRUE(seen.is_aware_of(SeenCounters::dot({b, 3})));
  EXPECT_FALSE(seen.is_aware_of(SeenCounters::dot({b, 2})));
}

TEST(SeenCounters, RoundTripsThroughNormalizedVersionVector) {
  const ReplicaId a = ReplicaId::of("a");
  const VersionVector vv = VersionVector::from_ranges({{a, {1, 4}}, {a, {9, 12}}});
  const SeenCounters seen = SeenCounters::from_version_vector(vv);
  EXPECT_EQ(seen.to_version_vector(), vv);
  EXPECT_TRUE(seen.contains({a, 10}));
  EXPECT_FALSE(seen.contains({a, 5}));
  EXPECT_TRUE(SeenCounters{}.to_version_vector().empty());
}

// Small intervals in [1, 40], so that unions and subsets hit touching ends and gaps often.
rc::Gen<std::vector<std::pair<std::uint64_t, std::uint64_t>>> SmallRanges() {
  return rc::gen::container<std::vector<std::pair<std::uint64_t, std::uint64_t>>>(rc::gen::apply(
      [](std::uint64_t first, std::uint64_t length) {
        return std::make_pair(first, std::min<std::uint64_t>(first + length, 40));
      },
      rc::gen::inRange<std::uint64_t>(1, 41), rc::gen::inRange<std::uint64_t>(0, 6)));
}

std::set<std::uint64_t> Expand(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& r) {
  std::set<std::uint64_t> counters;
  for (const auto& [first, last] : r) {
    for (std::uint64_t c = first; c <= last; ++c) counters.insert(c);
  }
  return counters;
}

RC_GTEST_PROP(CounterSet, AgreesWithPlainSetOfCounters, ()) {
  const auto left_ranges = *SmallRanges();
  const auto right_ranges = *SmallRanges();
  const std::set<std::uint64_t> left = Expand(left_ranges);
  const std::set<std::uint64_t> right = Expand(right_ranges);
  CounterSet left_set = Of(left_ranges);
  const CounterSet right_set = Of(right_ranges);

  const bool subset = std::includes(left.begin(), left.end(), right.begin(), right.end());
  RC_ASSERT(left_set.contains_all(right_set) == subset);
  for (std::uint64_t c = 1; c <= 41; ++c) RC_ASSERT(left_set.contains(c) == (left.count(c) == 1));

  left_set.add_all(right_set);
  std::set<std::uint64_t> united = left;
  united.insert(right.begin(), right.end());
  std::vector<std::pair<std::uint64_t, std::uint64_t>> united_ranges;
  for (const CounterRange& range : left_set.ranges()) {
    united_ranges.emplace_back(range.first, range.last);
  }
  RC_ASSERT(Expand(united_ranges) == united);
  // Maximal form: consecutive intervals leave a gap.
  for (std::size_t i = 1; i < left_set.ranges().size(); ++i) {
    RC_ASSERT(left_set.ranges()[i].first > left_set.ranges()[i - 1].last + 1);
  }
}

}  // namespace
}  // namespace treesim::model
