// `treesim replay FILE`: runs a scenario file (sim/scenario.h). With an explicit event list it
// executes exactly those events, reproducing the recorded run's result, failure and trace hash;
// with only a seed and options it runs like `treesim run` with them. The output is `treesim
// run`'s; a malformed file exits with the bad-input code and a message naming the file and the
// field or event at fault.
//
// `treesim replay --from-fuzz-input INPUT [--record FILE]` runs a sim_fuzz input instead (a
// crash-<sha1> file libFuzzer saved, or a seed of corpus/sim_fuzz): the run its bytes draw
// (sim/simulation.h, run_bytes), reported the same way, and with --record written as a scenario
// file with the explicit events it executed, which `treesim replay FILE` reproduces and
// `treesim shrink FILE` minimizes. An unreadable input exits with the bad-input code and a
// message naming it.
#pragma once

#include <CLI/CLI.hpp>

namespace treesim {

void register_replay_command(CLI::App& app, int* exit_code);

}  // namespace treesim
