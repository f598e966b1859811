// `treesim replay FILE`: runs a scenario file (sim/scenario.h). With an explicit event list it
// executes exactly those events, reproducing the recorded run's result, failure and trace hash;
// with only a seed and options it runs like `treesim run` with them. The output is `treesim
// run`'s; a malformed file exits with the bad-input code and a message naming the file and the
// field or event at fault.
#pragma once

#include <CLI/CLI.hpp>

namespace treesim {

void register_replay_command(CLI::App& app, int* exit_code);

}  // namespace treesim
