#include "sim/entropy.h"

namespace treesim {
namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::uint64_t rotate_left(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t basis) {
  std::uint64_t hash = basis;
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

std::size_t Entropy::weighted(std::span<const std::uint32_t> weights) {
  std::uint64_t total = 0;
  for (std::uint32_t weight : weights) total += weight;
  TS_ASSERT(total > 0);
  std::uint64_t target = uniform_below(total);
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (target < weights[i]) return i;
    target -= weights[i];
  }
  TS_UNREACHABLE();
}

Rng::Rng(std::uint64_t seed) : seed_(seed) {
  std::uint64_t state = seed;
  for (std::uint64_t& word : state_) word = splitmix64(state);
}

std::uint64_t Rng::next() {
  const std::uint64_t result = rotate_left(state_[1] * 5, 7) * 9;
  const std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotate_left(state_[3], 45);
  return result;
}

std::uint64_t Rng::uniform_below(std::uint64_t bound) {
  TS_ASSERT(bound >= 1);
  // Rejection sampling: accept only values at or above 2^64 mod bound, so every residue is
  // equally likely.
  const std::uint64_t threshold = (0 - bound) % bound;
  for (;;) {
    const std::uint64_t value = next();
    if (value >= threshold) return value % bound;
  }
}

Rng Rng::fork(std::string_view component) const {
  return Rng(fnv1a64(component, seed_ ^ 0x5f3759df5f3759dfull));
}

std::uint64_t BytesEntropy::uniform_below(std::uint64_t bound) {
  TS_ASSERT(bound >= 1);
  if (bound == 1) return 0;
  std::uint64_t value = 0;
  // Consume ceil(log256(bound)) bytes, big-endian, then reduce (a slight bias is harmless for
  // fuzzing and keeps every choice's byte count fixed).
  for (std::uint64_t span = bound - 1; span != 0; span >>= 8) {
    const std::uint8_t byte = position_ < bytes_.size() ? bytes_[position_] : 0;
    ++position_;
    value = (value << 8) | byte;
  }
  return value % bound;
}

}  // namespace treesim
