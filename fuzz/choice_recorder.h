// ChoiceRecorder: writes down the choices drawn from another Entropy as the bytes that
// BytesEntropy (sim/entropy.h) reads them back from.
//
// A target that decodes its input through BytesEntropy gets meaningful seeds this way: a
// generator draws a plan from a seeded Rng through a recorder, keeps the plans that do something
// worth seeding (hit a catch-up strategy, inject a fault), and writes the recorded bytes. Fed to
// the target, those bytes make BytesEntropy return the very same choices, in the same order, so
// the target rebuilds the same plan.
//
// With a byte budget the recorder also plays the end of an input: once it has written that many
// bytes (or more: a choice is never cut), every further choice is 0 and exhausted() is true, just
// as BytesEntropy reads the recorded bytes: exhausted at the same choice, zeros after it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "sim/entropy.h"

namespace treesim::fuzz {

class ChoiceRecorder final : public Entropy {
 public:
  // `source` is not owned and must outlive the recorder.
  explicit ChoiceRecorder(Entropy& source, std::size_t bytes_max = SIZE_MAX)
      : source_(source), bytes_max_(bytes_max) {}

  std::uint64_t uniform_below(std::uint64_t bound) override {
    if (exhausted()) return 0;
    const std::uint64_t value = source_.uniform_below(bound);
    // BytesEntropy reads one byte for every 8 bits of bound - 1, most significant first, and
    // reduces modulo bound; value < bound, so writing it in that many bytes reads back as itself.
    int width = 0;
    for (std::uint64_t span = bound - 1; span != 0; span >>= 8) ++width;
    for (int i = width - 1; i >= 0; --i) {
      bytes_.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
    }
    return value;
  }

  const std::string& bytes() const { return bytes_; }
  bool exhausted() const override { return bytes_.size() >= bytes_max_; }

 private:
  Entropy& source_;
  std::size_t bytes_max_;
  std::string bytes_;
};

}  // namespace treesim::fuzz
