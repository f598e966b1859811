// What every fuzz target of fuzz/ provides, and what the two mains it can link with expect.
//
// A target is one file that defines LLVMFuzzerTestOneInput(): it must return normally for every
// input, and it ends the process (fail() below, or an assertion or a sanitizer report) when an
// input shows a bug. With TREESIM_FUZZ=ON (the `fuzz` preset) the file links with libFuzzer's
// own main; otherwise with fuzz/replay_main.cc, which runs the function on every file of a
// corpus directory, so the checked-in corpus is replayed by ctest (label `corpus`) in every
// build that has tests.
//
// Each target also defines the two functions below, which only the replay main calls: they
// make the seed corpus (binary seeds must come from a program, never from nowhere) and print
// an input in a form a person can read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace treesim::fuzz {

// Writes the target's seed inputs into `directory` (which must exist), reading `sources` if the
// target makes its seeds from files. Returns the number of files written. Deterministic: the
// same sources give the same files, so a corpus can be regenerated and compared.
Result<std::size_t> write_seeds(const std::string& directory,
                                const std::vector<std::string>& sources);

// The input as the target understands it (what it decodes to, step by step), for triage.
std::string describe_input(std::string_view bytes);

// Reports a property violation found by `target` and aborts, which libFuzzer records as a
// crash (saving the input) and which fails the replay test.
[[noreturn]] inline void fail(std::string_view target, std::string_view message) {
  std::fprintf(stderr, "%.*s: %.*s\n", static_cast<int>(target.size()), target.data(),
               static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
  std::abort();
}

}  // namespace treesim::fuzz
