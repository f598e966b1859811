// `treesim run`: one seeded simulation, with its options given on the command line or drawn by
// --swarm from the seed. On failure it prints the failure, the last events, and the one line
// that reproduces it, and exits with the failure class's code.
#pragma once

#include <CLI/CLI.hpp>

namespace treesim {

void register_run_command(CLI::App& app, int* exit_code);

}  // namespace treesim
