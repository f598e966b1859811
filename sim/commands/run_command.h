// `treesim run`: one seeded simulation, with its options given on the command line or drawn by
// --swarm from the seed. On failure it prints the failure, the last events, and the one line
// that reproduces it, and exits with the failure class's code.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/commands/sut_option.h"
#include "sim/simulation.h"

namespace treesim {

// The options of one seeded run on the command line. `treesim run` takes them, and so does
// `treesim shrink`, which records the run they describe; the last three fields are run's own.
struct RunOptions {
  std::string seed_text = "1";
  bool swarm = false;
  Options simulation;
  // Every replica's configuration (ignored with --swarm, which draws one per replica).
  std::string store = store_kind_name(ReplicaConfig{}.store);
  std::string strategy = catch_up_strategy_name(ReplicaConfig{}.strategy);
  bool deferred = false;
  std::string mutant;  // a planted bug to run with (materializer/mutants.h); empty: none
  SutOptions sut;      // the system under test (sim/commands/sut_option.h)
  bool verify_determinism = false;
  bool json = false;
  std::string record_path;
};

// Adds --seed, --swarm, the simulation options, --store, --strategy, --deferred, --mutant and
// the --sut options.
void add_run_options(CLI::App& command, RunOptions& options);

// Activates the mutant, and returns the seed and the normalized options the run uses (the
// seed's swarm profile with --swarm). Errors name the option.
Result<std::pair<std::uint64_t, Options>> resolve_run_options(const RunOptions& options);

// With --record FILE, `treesim run` also writes the run's scenario (sim/scenario.h) to FILE,
// with the explicit list of events it executed, and on failure prints a second reproduce line,
// `treesim replay FILE`.
void register_run_command(CLI::App& app, int* exit_code);

// How `treesim run` and `treesim replay` report a finished run.
struct RunReport {
  std::uint64_t seed = 0;
  Options options;
  RunResult result;
  // The result's failure, or the nondeterminism --verify-determinism found.
  std::optional<Failure> failure;
  // The commands that reproduce a failure, best first: printed as "reproduce: ..." lines; in
  // JSON the first is "reproduce" and the others "reproduce_also".
  std::vector<std::string> reproduce;
  // Caveats about the run, printed after the result ("notes" in JSON).
  std::vector<std::string> notes;
};

// Runs `simulate` once, or twice with `verify_determinism`, comparing trace hashes.
RunReport run_and_verify(std::uint64_t seed, const Options& options, bool verify_determinism,
                         const std::function<RunResult()>& simulate);

// The report as `treesim run --json` prints it (and `treesim sweep --results` records it).
nlohmann::json run_report_to_json(const RunReport& report);

// Prints the report (text, or JSON with `json`) and returns the exit code of its failure class.
int print_run_report(const RunReport& report, bool json);

// "treesim replay <path>", the path quoted for a POSIX shell if it needs it.
std::string replay_command_line(const std::string& path);

// A run's outcome on one line, for a recorded scenario's comment: "ok, trace 0x..." or
// "FAILED " and the first line of the failure.
std::string outcome_line(const RunResult& result);

}  // namespace treesim
