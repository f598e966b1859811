// The --mutant option of `treesim run`, `sweep` and `replay`: runs the materializer with one
// planted bug active (materializer/mutants.h), e.g. to reproduce a failure that `treesim mutants`
// found. The selection is process-wide and made before anything runs; sweep workers inherit it.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "core/status.h"

namespace treesim {

// Adds `--mutant NAME` to `command`, storing the name in `name`.
void add_mutant_option(CLI::App& command, std::string& name);

// Activates the mutant called `name` (empty: none). The error says that this build has no
// mutants (built without TREECRDT_MUTANTS), or names the unknown mutant and lists the valid ones.
Status activate_mutant(const std::string& name);

// " --mutant NAME" for the active mutant, "" when none is: appended to reproduce lines.
std::string mutant_flag();

}  // namespace treesim
