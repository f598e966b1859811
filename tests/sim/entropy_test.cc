// The simulator's sources of choice. Known-answer values (computed independently from the
// published xoshiro256** and splitmix64 definitions) pin the generator, so a seed means the same
// run on every compiler; the derived choices are checked for range and rough uniformity; forks
// are independent of the parent's position; fuzzer bytes map to choices predictably.
#include "sim/entropy.h"

#include <gtest/gtest.h>

#include <array>
#include <set>

namespace treesim {
namespace {

TEST(Rng, MatchesTheReferenceSequenceForSeed42) {
  Rng rng(42);
  EXPECT_EQ(rng.next(), 0x15780b2e0c2ec716ull);
  EXPECT_EQ(rng.next(), 0x6104d9866d113a7eull);
  EXPECT_EQ(rng.next(), 0xae17533239e499a1ull);
}

TEST(Rng, UniformBelowStaysInRangeAndCoversIt) {
  Rng rng(7);
  std::array<int, 6> counts{};
  for (int i = 0; i < 60000; ++i) ++counts[rng.uniform_below(6)];
  for (int count : counts) {
    EXPECT_GT(count, 9000);
    EXPECT_LT(count, 11000);
  }
  EXPECT_EQ(rng.uniform_below(1), 0u);
}

TEST(Rng, ChanceExtremesConsumeNothing) {
  Rng a(9);
  Rng b(9);
  EXPECT_FALSE(a.chance(0, 5));
  EXPECT_TRUE(a.chance(5, 5));
  EXPECT_EQ(a.next(), b.next());
}

TEST(Rng, ForkDependsOnNameAndSeedNotOnPosition) {
  Rng parent(1234);
  Rng early = parent.fork("network");
  for (int i = 0; i < 100; ++i) parent.next();
  Rng late = parent.fork("network");
  EXPECT_EQ(early.next(), late.next());
  EXPECT_NE(parent.fork("network").next(), parent.fork("workload").next());
  EXPECT_NE(Rng(1).fork("network").next(), Rng(2).fork("network").next());
}

TEST(Entropy, WeightedNeverPicksAZeroWeight) {
  Rng rng(3);
  const std::array<std::uint32_t, 4> weights = {0, 5, 0, 1};
  std::set<std::size_t> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(rng.weighted(weights));
  EXPECT_EQ(seen, (std::set<std::size_t>{1, 3}));
}

TEST(BytesEntropy, ConsumesOneByteForSmallBoundsAndZeroesWhenExhausted) {
  const std::array<std::uint8_t, 3> bytes = {7, 0x01, 0x02};
  BytesEntropy entropy(bytes);
  EXPECT_EQ(entropy.uniform_below(10), 7u);
  EXPECT_EQ(entropy.consumed(), 1u);
  EXPECT_EQ(entropy.uniform_below(1000), 0x0102u % 1000);
  EXPECT_EQ(entropy.consumed(), 3u);
  EXPECT_TRUE(entropy.exhausted());
  EXPECT_EQ(entropy.uniform_below(50), 0u);
  EXPECT_EQ(entropy.uniform_below(1), 0u);
}

}  // namespace
}  // namespace treesim
