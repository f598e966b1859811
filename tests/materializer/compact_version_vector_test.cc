// The materializer's gap-aware version vector against a brute-force oracle: every operation is
// run on CompactVersionVector and on a plain set of (replica, counter) pairs over small counter
// ranges, where gaps, touching intervals and splits are frequent, and the results must agree.
#include "materializer/compact_version_vector.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>
#include <utility>
#include <vector>

namespace treesim {
namespace {

using Dots = std::set<std::pair<ReplicaIndex, std::uint64_t>>;

Dots to_dots(const CompactVersionVector& vv) {
  Dots dots;
  for (const auto& entry : vv.entries()) {
    for (const auto& range : entry.ranges) {
      for (std::uint64_t c = range.first; c <= range.last; ++c) dots.insert({entry.replica, c});
    }
  }
  return dots;
}

CompactVersionVector from_dots(const Dots& dots) {
  CompactVersionVector vv;
  for (const auto& [replica, counter] : dots) vv.observe(replica, counter);
  return vv;
}

rc::Gen<Dots> small_dots() {
  return rc::gen::container<Dots>(
      rc::gen::pair(rc::gen::inRange<ReplicaIndex>(0, 3), rc::gen::inRange<std::uint64_t>(1, 25)));
}

TEST(CompactVersionVector, GapIsNotImpliedBySeeingLaterCounter) {
  CompactVersionVector vv;
  EXPECT_TRUE(vv.observe(1, 2));
  EXPECT_FALSE(vv.contains(1, 1));
  EXPECT_FALSE(vv.is_aware_of(CompactVersionVector::dot(1, 1)));
  EXPECT_TRUE(vv.observe(1, 1));
  EXPECT_EQ(vv.entries()[0].ranges.size(), 1u);  // 1 and 2 merged into one frontier
  EXPECT_FALSE(vv.observe(1, 1));
}

TEST(CompactVersionVector, EraseSplitsAnIntervalAndDropsEmptyReplicas) {
  CompactVersionVector vv = from_dots({{0, 1}, {0, 2}, {0, 3}, {2, 7}});
  EXPECT_TRUE(vv.erase(0, 2));
  EXPECT_EQ(to_dots(vv), (Dots{{0, 1}, {0, 3}, {2, 7}}));
  EXPECT_TRUE(vv.erase(2, 7));
  EXPECT_EQ(vv.entries().size(), 1u);
  EXPECT_FALSE(vv.erase(2, 7));
  EXPECT_TRUE(vv.check_invariants());
}

TEST(CompactVersionVector, CoreConversionRoundTripsThroughTheReplicaTable) {
  ReplicaTable table;
  const VersionVector core = VersionVector::from_ranges(
      {{ReplicaId::of("b"), {1, 4}}, {ReplicaId::of("a"), {7, 9}}, {ReplicaId::of("a"), {2, 2}}});
  const CompactVersionVector vv = CompactVersionVector::from_core(core, table);
  EXPECT_TRUE(vv.check_invariants());
  EXPECT_EQ(vv.to_core(table), core);
}

RC_GTEST_PROP(CompactVersionVector, ObserveAndEraseMatchASetOfDots, ()) {
  const auto steps = *rc::gen::container<std::vector<std::tuple<bool, ReplicaIndex, std::uint64_t>>>(
      rc::gen::tuple(rc::gen::arbitrary<bool>(), rc::gen::inRange<ReplicaIndex>(0, 3),
                     rc::gen::inRange<std::uint64_t>(1, 20)));
  CompactVersionVector vv;
  Dots oracle;
  for (const auto& [add, replica, counter] : steps) {
    if (add) {
      RC_ASSERT(vv.observe(replica, counter) == oracle.insert({replica, counter}).second);
    } else {
      RC_ASSERT(vv.erase(replica, counter) == (oracle.erase({replica, counter}) == 1));
    }
    RC_ASSERT(vv.check_invariants());
  }
  RC_ASSERT(to_dots(vv) == oracle);
}

RC_GTEST_PROP(CompactVersionVector, SetOperationsMatchTheOracle, ()) {
  const Dots a = *small_dots();
  const Dots b = *small_dots();
  const CompactVersionVector va = from_dots(a);
  const CompactVersionVector vb = from_dots(b);

  CompactVersionVector merged = va;
  merged.merge(vb);
  Dots expected_union = a;
  expected_union.insert(b.begin(), b.end());
  RC_ASSERT(merged.check_invariants());
  RC_ASSERT(to_dots(merged) == expected_union);

  CompactVersionVector reporting = va;
  const CompactVersionVector added = reporting.merge_reporting_added(vb);
  Dots expected_added;
  for (const auto& dot : b) {
    if (!a.count(dot)) expected_added.insert(dot);
  }
  RC_ASSERT(reporting == merged);
  RC_ASSERT(added.check_invariants());
  RC_ASSERT(to_dots(added) == expected_added);

  // Subtracting what was added restores the original exactly: the undo of a delete.
  reporting.subtract(added);
  RC_ASSERT(reporting == va);

  CompactVersionVector difference = va;
  difference.subtract(vb);
  Dots expected_difference;
  for (const auto& dot : a) {
    if (!b.count(dot)) expected_difference.insert(dot);
  }
  RC_ASSERT(difference.check_invariants());
  RC_ASSERT(to_dots(difference) == expected_difference);

  const bool subset = std::includes(a.begin(), a.end(), b.begin(), b.end());
  RC_ASSERT(va.is_aware_of(vb) == subset);
  for (const auto& [replica, counter] : b) {
    RC_ASSERT(va.contains(replica, counter) == (a.count({replica, counter}) == 1));
  }
}

}  // namespace
}  // namespace treesim
