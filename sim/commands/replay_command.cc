#include "sim/commands/replay_command.h"

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "sim/commands/mutant_option.h"
#include "sim/commands/run_command.h"
#include "sim/commands/sut_option.h"
#include "sim/entropy.h"
#include "sim/exit_codes.h"
#include "sim/file_io.h"
#include "sim/scenario.h"
#include "sim/simulation.h"

namespace treesim {
namespace {

struct ReplayOptions {
  std::string path;
  std::string fuzz_input_path;  // --from-fuzz-input: a sim_fuzz input instead of a scenario
  std::string record_path;      // --record: where the fuzz input's run goes as a scenario
  bool verify_determinism = false;
  bool json = false;
  std::string mutant;  // a planted bug to run with (materializer/mutants.h); empty: none
  SutOptions sut;      // the system under test (sim/commands/sut_option.h)
};

// `treesim replay --from-fuzz-input INPUT [--record FILE]`: the run that sim_fuzz makes of the
// input bytes (sim/simulation.h, run_bytes), reported like a replay and, with --record, written
// as a scenario with the explicit events it executed.
int replay_fuzz_input(const ReplayOptions& options, const SystemChoice& systems) {
  auto bytes = read_file(options.fuzz_input_path);
  if (!bytes.is_ok()) {
    std::cerr << "treesim replay: --from-fuzz-input: " << bytes.status().message() << "\n";
    return kExitBadInput;
  }
  const std::span<const std::uint8_t> input(reinterpret_cast<const std::uint8_t*>(bytes->data()),
                                            bytes->size());
  const bool recording = !options.record_path.empty();
  std::vector<Event> events;
  bool first = true;
  // The seed and options come from the front of the bytes; reading them again names them here.
  BytesEntropy front(input);
  const DrawnRun setup = draw_run_setup(front);
  RunReport report = run_and_verify(setup.seed, setup.options, options.verify_determinism, [&] {
    // Only the first run is recorded; --verify-determinism's second run is compared with it.
    std::vector<Event>* recorded = recording && first ? &events : nullptr;
    first = false;
    return systems.finish(run_bytes(input, recorded, systems.factory()).result);
  });
  const std::string reproduce =
      "treesim replay --from-fuzz-input " + shell_quote(options.fuzz_input_path);
  report.reproduce.push_back(reproduce + mutant_flag() + systems.flags());
  if (recording) {
    Scenario scenario;
    scenario.comment = "recorded by " + reproduce + ": " + outcome_line(report.result);
    scenario.seed = setup.seed;
    scenario.options = setup.options;
    scenario.events = std::move(events);
    if (Status status = write_scenario_file(options.record_path, scenario); !status.is_ok()) {
      std::cerr << "treesim replay: --record: " << status.message() << "\n";
      return kExitBadInput;
    }
    report.reproduce.push_back(replay_command_line(options.record_path) + mutant_flag() +
                               systems.flags());
  }
  return print_run_report(report, options.json);
}

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
  if (!options.fuzz_input_path.empty()) return replay_fuzz_input(options, *systems);
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
      "replay",
      "Run a scenario file: its recorded events exactly, or its seed and options; or the run "
      "sim_fuzz makes of a fuzzer input (--from-fuzz-input)");
  CLI::Option* file = command->add_option("file", options->path, "Scenario file ('-' = stdin)");
  CLI::Option* fuzz_input = command->add_option(
      "--from-fuzz-input", options->fuzz_input_path,
      "Instead of a scenario file, run a sim_fuzz input (e.g. a crash-<sha1> file libFuzzer "
      "saved): its bytes choose the profile and every event");
  CLI::Option* record = command->add_option(
      "--record", options->record_path,
      "With --from-fuzz-input: write the run as a scenario file with its explicit events (for "
      "replay and shrink)");
  file->excludes(fuzz_input);
  record->needs(fuzz_input);
  command->add_flag("--verify-determinism", options->verify_determinism,
                    "Replay twice and compare trace hashes");
  command->add_flag("--json", options->json, "Print the result as JSON");
  add_mutant_option(*command, options->mutant);
  add_sut_options(*command, options->sut);
  command->callback([options, file, fuzz_input, exit_code] {
    // One of the two says what to run (a usage error otherwise, like any missing argument).
    if (file->count() == 0 && fuzz_input->count() == 0) {
      throw CLI::RequiredError("a scenario file or --from-fuzz-input");
    }
    *exit_code = replay(*options);
  });
}

}  // namespace treesim
