// Exit codes of the treesim command, one per failure class, so scripts and CI can tell a
// correctness bug from a durability bug from bad input without parsing text.
#pragma once

namespace treesim {

enum ExitCode : int {
  kExitSuccess = 0,
  kExitUsage = 2,            // command-line syntax (CLI11 parse errors)
  kExitBadInput = 3,         // unreadable or malformed file, invalid option value
  kExitNothingToShrink = 4,  // `treesim shrink`: the input does not fail
  kExitCorrectness = 10,     // a replica disagrees with the model, or an invariant broke
  kExitRollback = 11,        // a failed call left a trace
  kExitDurability = 12,      // an acknowledged op was lost, or a failed call's op survived
  kExitConvergence = 13,     // replicas did not converge after the liveness phase
  kExitNondeterminism = 14,  // the same seed produced two different traces
  kExitUnresponsive = 15,    // an external system under test stopped answering
  kExitMutantSurvived = 16,  // `treesim mutants`: a planted bug went undetected within budget
  kExitInternal = 70,        // the harness itself failed
};

}  // namespace treesim
