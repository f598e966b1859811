// The treesim command: one entry point, one subcommand per job.
#include <CLI/CLI.hpp>

#include "sim/commands/materialize_command.h"
#include "sim/commands/mutants_command.h"
#include "sim/commands/replay_command.h"
#include "sim/commands/report_command.h"
#include "sim/commands/run_command.h"
#include "sim/commands/shrink_command.h"
#include "sim/commands/sweep_command.h"
#include "sim/exit_codes.h"

int main(int argc, char** argv) {
  CLI::App app{
      "treesim: deterministic simulation and fuzz harness for a replicated tree CRDT "
      "materializer"};
  app.require_subcommand(1);
  int exit_code = treesim::kExitSuccess;
  treesim::register_materialize_command(app, &exit_code);
  treesim::register_mutants_command(app, &exit_code);
  treesim::register_replay_command(app, &exit_code);
  treesim::register_report_command(app, &exit_code);
  treesim::register_run_command(app, &exit_code);
  treesim::register_shrink_command(app, &exit_code);
  treesim::register_sweep_command(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help and --version are "errors" with exit code 0; everything else is a usage error.
    return app.exit(error) == 0 ? treesim::kExitSuccess : treesim::kExitUsage;
  }
  return exit_code;
}
