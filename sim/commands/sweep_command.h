// `treesim sweep`: many seeds, in worker processes, with a progress line on a terminal.
// Each failing seed prints its reproduce line; the exit code is that of the first failure's
// class (0 if every seed passed).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>

#include <string>

#include "core/status.h"
#include "sim/options.h"

namespace treesim {

void register_sweep_command(CLI::App& app, int* exit_code);

// The options a sweep runs `seed` with: the seed's swarm profile (Options::swarm from the
// seed's "swarm" stream) or, without `swarm`, the defaults; then the sweep's safety ticks and
// check interval. Normalized. `treesim mutants` runs seeds with the same profiles.
Options sweep_options(std::uint64_t seed, bool swarm, std::uint64_t safety_ticks,
                      std::uint32_t check_every);

// A --time budget ("90", "90s", "10m", "2h") in seconds; the error quotes the text.
Result<double> parse_duration(const std::string& text);

}  // namespace treesim
