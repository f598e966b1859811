// Entropy: the one interface every random choice of the simulator goes through.
//
// Two implementations: Rng (seeded xoshiro256**, for sweeps and replay) and BytesEntropy (reads
// a fuzzer's input bytes, so libFuzzer's coverage feedback steers the very same simulator).
// Choices are our own integer arithmetic, never std::*_distribution, whose output differs
// between standard libraries: the same seed gives the same run on g++ and clang.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/assert.h"

namespace treesim {

class Entropy {
 public:
  virtual ~Entropy() = default;

  // A uniformly distributed integer in [0, bound). Requires bound >= 1.
  virtual std::uint64_t uniform_below(std::uint64_t bound) = 0;

  // True with probability numerator / denominator. Requires denominator >= 1;
  // numerator 0 is never, numerator >= denominator always (neither consumes entropy).
  bool chance(std::uint64_t numerator, std::uint64_t denominator) {
    TS_ASSERT(denominator >= 1);
    if (numerator == 0) return false;
    if (numerator >= denominator) return true;
    return uniform_below(denominator) < numerator;
  }

  // A uniformly distributed integer in [minimum, maximum].
  std::uint64_t in_range(std::uint64_t minimum, std::uint64_t maximum) {
    TS_ASSERT(minimum <= maximum);
    if (maximum - minimum == ~std::uint64_t{0}) return minimum + uniform_below(~std::uint64_t{0});
    return minimum + uniform_below(maximum - minimum + 1);
  }

  // An index into `weights` chosen with probability proportional to its weight. At least one
  // weight must be positive.
  std::size_t weighted(std::span<const std::uint32_t> weights);

  template <typename T>
  const T& pick(const std::vector<T>& items) {
    TS_ASSERT(!items.empty());
    return items[uniform_below(items.size())];
  }

  // Whether the entropy has run out (a byte string read to its end), after which every choice
  // is 0. A generator that drives a run from bytes ends its safety phase there, so a short
  // input is a short run. A seeded Rng never runs out.
  virtual bool exhausted() const { return false; }
};

// xoshiro256** seeded through splitmix64: fast, small state, and fully specified, so traces are
// identical on every compiler and platform.
class Rng final : public Entropy {
 public:
  explicit Rng(std::uint64_t seed);

  std::uint64_t next();
  std::uint64_t uniform_below(std::uint64_t bound) override;

  // An independent generator for one component, derived from this generator's seed and the
  // component's name (not from its current position): adding draws to one component never
  // shifts another's stream.
  Rng fork(std::string_view component) const;
  std::uint64_t seed() const { return seed_; }

 private:
  std::uint64_t seed_;
  std::uint64_t state_[4];
};

// Reads choices from a byte string (a fuzzer input). Each choice consumes just enough bytes
// for its bound, so small mutations of the input make small changes to the run. When the bytes
// run out every choice is 0: a run always terminates with the simplest remaining choices.
class BytesEntropy final : public Entropy {
 public:
  explicit BytesEntropy(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  std::uint64_t uniform_below(std::uint64_t bound) override;
  std::size_t consumed() const { return position_; }
  bool exhausted() const override { return position_ >= bytes_.size(); }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t position_ = 0;
};

// The entropy of one component of a run (schedule, faults, network, a replica's workload...):
// in a seeded run a generator of its own, forked from the run's seed by the component's name, so
// draws added to one component never shift another's stream; in a run driven by bytes (sim_fuzz)
// the one stream that every component shares, owned elsewhere, so the bytes are read in the
// order the run makes its choices. Copies of an owning stream own a copy of its state; a shared
// stream must outlive every copy.
class ComponentEntropy final : public Entropy {
 public:
  static ComponentEntropy owning(Rng rng) { return ComponentEntropy(rng, nullptr); }
  static ComponentEntropy sharing(Entropy& shared) {
    return ComponentEntropy(std::nullopt, &shared);
  }

  std::uint64_t uniform_below(std::uint64_t bound) override {
    return own_ ? own_->uniform_below(bound) : shared_->uniform_below(bound);
  }
  bool exhausted() const override { return own_ ? false : shared_->exhausted(); }

 private:
  ComponentEntropy(std::optional<Rng> own, Entropy* shared) : own_(own), shared_(shared) {
    TS_ASSERT(own_.has_value() != (shared_ != nullptr));
  }

  std::optional<Rng> own_;
  Entropy* shared_;
};

// Where the components of one run take their entropy from: forks of a seed, or one shared stream
// (which must outlive the source and every stream it hands out).
class EntropySource {
 public:
  static EntropySource seeded(std::uint64_t seed) { return EntropySource(seed, nullptr); }
  static EntropySource sharing(Entropy& shared) { return EntropySource(0, &shared); }

  // The stream of the component named `component`: Rng(seed).fork(component), or the shared one.
  ComponentEntropy stream(std::string_view component) const {
    if (shared_ != nullptr) return ComponentEntropy::sharing(*shared_);
    return ComponentEntropy::owning(Rng(seed_).fork(component));
  }
  // Only a shared stream runs out.
  bool exhausted() const { return shared_ != nullptr && shared_->exhausted(); }

 private:
  EntropySource(std::uint64_t seed, Entropy* shared) : seed_(seed), shared_(shared) {}

  std::uint64_t seed_;
  Entropy* shared_;
};

// 64-bit FNV-1a, for deriving sub-seeds from names.
std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t basis = 0xcbf29ce484222325ull);

}  // namespace treesim
