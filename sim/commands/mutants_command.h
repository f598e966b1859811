// `treesim mutants`: the detection matrix of the planted bugs (materializer/mutants.h, issue 9).
//
// For each mutant (all of them, or each one named by --mutant) it runs the seeds of `treesim
// sweep` (the same swarm profiles, from --first-seed up) with that mutant active, one child
// process per seed, until the first failure, at most --seeds seeds and --time of wall clock per
// mutant. A child that dies (a failed assertion, a sanitizer report) is a failure of class
// "crash"; one that outlives --seed-timeout is killed and is a failure of class "hang", so a
// planted infinite loop is a result with a seed, never a stuck matrix.
//
// Then it shrinks the failing runs (sim/shrink.h, every candidate in a child process, at most
// --shrink-time per mutant in all; --no-shrink skips it): that of the first failing seed and
// those of the next seeds that fail with the same class (correctness, crash, ...),
// --shrink-seeds (3) in all, found by running on after the first failure (within --seeds and
// --time; these seeds count towards neither the seeds nor the seconds to detect). It keeps the
// smallest result, since how small a failure shrinks depends on the run it came from, writes it
// to --out-dir as MUTANT.json (default: a new directory under the system's temporary
// directory), reads the file back and replays it in a child: the row counts as shrunk only when
// that replay fails the same way (same class, checker, first differing field and gist). A run
// that hung is not shrunk, and no seed after it is run.
//
// Output: a Markdown table on stdout (per mutant: detected or not, seeds and seconds to the first
// failure, the failing seed, its class and checker, the shrunk size and time, with the seed and
// failure it came from when that is not the first failing seed, the line that reproduces it: the
// shrunk file's replay, or the seed's run) with the median and maximum over the detected ones,
// and the same as JSON with --json FILE (each seed shrunk, under "seeds"). `--list` prints the
// catalog. Exit code: 0 when every mutant was detected; kExitMutantSurvived when one survived
// (each survivor is named on stderr); kExitInternal when a shrunk file replays differently from
// the run it came from; kExitBadInput for bad options, or for a build without mutants.
#pragma once

#include <CLI/CLI.hpp>

namespace treesim {

void register_mutants_command(CLI::App& app, int* exit_code);

}  // namespace treesim
