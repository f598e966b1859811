// `treesim mutants`: the detection matrix of the planted bugs (materializer/mutants.h, issue 9).
//
// For each mutant (all of them, or each one named by --mutant) it runs the seeds of `treesim
// sweep` (the same swarm profiles, from --first-seed up) with that mutant active, one child
// process per seed, until the first failure, at most --seeds seeds and --time of wall clock per
// mutant. A child that dies (a failed assertion, a sanitizer report) is a failure of class
// "crash"; one that outlives --seed-timeout is killed and is a failure of class "hang", so a
// planted infinite loop is a result with a seed, never a stuck matrix.
//
// Then it shrinks each failing run (sim/shrink.h, every candidate in a child process, at most
// --shrink-time per mutant; --no-shrink skips it), writes the result to --out-dir as MUTANT.json
// (default: a new directory under the system's temporary directory), reads the file back and
// replays it in a child: the row counts as shrunk only when that replay fails the same way (same
// class, checker, first differing field and gist). A run that hung is not shrunk.
//
// Output: a Markdown table on stdout (per mutant: detected or not, seeds and seconds to the first
// failure, the failing seed, its class and checker, the shrunk size and time, the line that
// reproduces it: the shrunk file's replay, or the seed's run) with the median and maximum over
// the detected ones, and the same as JSON with --json FILE. `--list` prints the catalog. Exit
// code: 0 when every mutant was detected; kExitMutantSurvived when one survived (each survivor
// is named on stderr); kExitInternal when a shrunk file replays differently from the run it came
// from; kExitBadInput for bad options, or for a build without mutants.
#pragma once

#include <CLI/CLI.hpp>

namespace treesim {

void register_mutants_command(CLI::App& app, int* exit_code);

}  // namespace treesim
