// `treesim mutants`: the detection matrix of the planted bugs (materializer/mutants.h, issue 9).
//
// For each mutant (all of them, or each one named by --mutant) it runs the seeds of `treesim
// sweep` (the same swarm profiles, from --first-seed up) with that mutant active, one child
// process per seed, until the first failure, at most --seeds seeds and --time of wall clock per
// mutant. A child that dies (a failed assertion, a sanitizer report) is a failure of class
// "crash"; one that outlives --seed-timeout is killed and is a failure of class "hang", so a
// planted infinite loop is a result with a seed, never a stuck matrix.
//
// Output: a Markdown table on stdout (per mutant: detected or not, seeds and seconds to the first
// failure, the failing seed, its class and checker, the line that reproduces it) with the median
// and maximum over the detected ones, and the same as JSON with --json FILE. `--list` prints the
// catalog. Exit code: 0 when every mutant was detected; kExitMutantSurvived when one survived
// (each survivor is named on stderr); kExitBadInput for bad options, or for a build without
// mutants.
#pragma once

#include <CLI/CLI.hpp>

namespace treesim {

void register_mutants_command(CLI::App& app, int* exit_code);

}  // namespace treesim
