// `treesim sweep`: many seeds, in worker processes, with a progress line on a terminal.
// Each failing seed prints its reproduce line; the exit code is that of the first failure's
// class (0 if every seed passed).
#pragma once

#include <CLI/CLI.hpp>

namespace treesim {

void register_sweep_command(CLI::App& app, int* exit_code);

}  // namespace treesim
