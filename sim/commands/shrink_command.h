// `treesim shrink FILE | --seed S [run options]`: records a failing run (a scenario file, or the
// run `treesim run` would make with those options), shrinks it to a small scenario that fails
// the same way (sim/shrink.h), prints progress and the final size, and writes the scenario with
// a readable account of it in its comment: to --out FILE, and with --save NAME into the
// regression corpus (corpus/regressions/NAME.json of the source tree, or of --corpus DIR).
// An input that does not fail exits with kExitNothingToShrink; a malformed file or option with
// the bad-input code.
#pragma once

#include <CLI/CLI.hpp>

namespace treesim {

void register_shrink_command(CLI::App& app, int* exit_code);

}  // namespace treesim
