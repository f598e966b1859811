#include "sim/commands/replay_command.h"

#include <algorithm>
#include <iostream>
#include <memory>
#include <string>

#include "sim/commands/mutant_option.h"
#include "sim/commands/run_command.h"
#include "sim/commands/sut_option.h"
#include "sim/exit_codes.h"
#include "sim/scenario.h"

namespace treesim {
namespace {

struct ReplayOptions {
  std::string path;
  bool verify_determinism = false;
  bool json = false;
  std::string mutant;  // a planted bug to run with (materializer/mutants.h); empty: none
  SutOptions sut;      // the system under test (sim/commands/sut_option.h)
};

int replay(const ReplayOptions& options) {
  if (Status status = activate_mutant(options.mutant); !status.is_ok()) {
    std::cerr << "treesim replay: " << status.message() << "\n";
    return kExitBadInput;
  }
  auto systems = SystemChoice::from_options(options.sut);
  if (!systems.is_ok()) {
    std::cerr << "treesim replay: " << systems.status().message() << "\n";
    return kExitBadInput;
  }
  auto scenario = read_scenario_file(options.path);
  if (!scenario.is_ok()) {
    std::cerr << "treesim replay: " << scenario.status().message() << "\n";
    return kExitBadInput;
  }
  RunReport report =
      run_and_verify(scenario->seed, scenario->options, options.verify_determinism, [&] {
        return systems->finish(run_scenario(*scenario, systems->factory()));
      });
  report.reproduce.push_back(replay_command_line(options.path) + mutant_flag() +
                             systems->flags());
  if (scenario->events &&
      std::none_of(scenario->events->begin(), scenario->events->end(),
                   [](const Event& event) { return event.kind == Event::Kind::kEnd; })) {
    report.notes.push_back(
        "the event list has no end event: the replay stopped after its last event, without "
        "the quiet-logs and convergence checks");
  }
  return print_run_report(report, options.json);
}

}  // namespace

void register_replay_command(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<ReplayOptions>();
  CLI::App* command = app.add_subcommand(
      "replay", "Run a scenario file: its recorded events exactly, or its seed and options");
  command->add_option("file", options->path, "Scenario file ('-' = stdin)")->required();
  command->add_flag("--verify-determinism", options->verify_determinism,
                    "Replay twice and compare trace hashes");
  command->add_flag("--json", options->json, "Print the result as JSON");
  add_mutant_option(*command, options->mutant);
  add_sut_options(*command, options->sut);
  command->callback([options, exit_code] { *exit_code = replay(*options); });
}

}  // namespace treesim
