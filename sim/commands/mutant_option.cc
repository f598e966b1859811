#include "sim/commands/mutant_option.h"

#include "materializer/mutants.h"

namespace treesim {

void add_mutant_option(CLI::App& command, std::string& name) {
  command.add_option("--mutant", name,
                     "Run with this planted bug active (list them: treesim mutants --list)");
}

Status activate_mutant(const std::string& name) {
  if (name.empty()) {
    set_active_mutant(Mutant::kNone);
    return Status::ok();
  }
  if (!kMutantsCompiled) {
    return Status::invalid_argument(
        "--mutant: this treesim was built without mutants; configure with "
        "-DTREECRDT_MUTANTS=ON (the dev preset does) to use planted bugs");
  }
  const std::optional<Mutant> mutant = mutant_from_name(name);
  if (!mutant) {
    std::string names;
    for (const MutantInfo& info : mutant_catalog()) {
      names += names.empty() ? "" : ", ";
      names += info.name;
    }
    return Status::invalid_argument("--mutant: unknown mutant '" + name + "'; valid names: " +
                                    names);
  }
  set_active_mutant(*mutant);
  return Status::ok();
}

std::string mutant_flag() {
  const Mutant mutant = active_mutant();
  return mutant == Mutant::kNone ? "" : std::string(" --mutant ") + mutant_name(mutant);
}

}  // namespace treesim
