#include "sim/commands/run_command.h"

#include <iostream>
#include <memory>

#include "sim/commands/mutant_option.h"
#include "sim/exit_codes.h"
#include "sim/scenario.h"
#include "sim/simulation.h"

namespace treesim {
namespace {

template <typename Value>
void add_if_changed(std::string& line, const char* flag, Value value, Value default_value) {
  if (value != default_value) line += std::string(" ") + flag + " " + std::to_string(value);
}

// The command line that runs exactly these options again.
std::string reproduce_line(std::uint64_t seed, const RunOptions& options,
                           const Options& simulation) {
  std::string line = "treesim run --seed " + seed_to_display(seed);
  const Options defaults;
  if (options.swarm) {
    line += " --swarm";
  } else {
    add_if_changed(line, "--replicas", simulation.replica_count, defaults.replica_count);
    add_if_changed(line, "--edit-per-mille", simulation.edit_per_mille, defaults.edit_per_mille);
    add_if_changed(line, "--drop-per-mille", simulation.drop_per_mille, defaults.drop_per_mille);
    add_if_changed(line, "--duplicate-per-mille", simulation.duplicate_per_mille,
                   defaults.duplicate_per_mille);
    add_if_changed(line, "--reorder-ticks-max", simulation.reorder_ticks_max,
                   defaults.reorder_ticks_max);
    add_if_changed(line, "--partition-per-mille", simulation.partition_per_mille,
                   defaults.partition_per_mille);
    add_if_changed(line, "--crash-per-mille", simulation.crash_per_mille, defaults.crash_per_mille);
    add_if_changed(line, "--storage-fault-per-mille", simulation.storage_fault_per_mille,
                   defaults.storage_fault_per_mille);
    add_if_changed(line, "--fault-point-per-mille", simulation.fault_point_per_mille,
                   defaults.fault_point_per_mille);
    add_if_changed(line, "--forge-per-mille", simulation.forge_per_mille,
                   defaults.forge_per_mille);
    add_if_changed(line, "--catch-up-fault-per-mille", simulation.catch_up_fault_per_mille,
                   defaults.catch_up_fault_per_mille);
    const RunOptions run_defaults;
    if (options.store != run_defaults.store) line += " --store " + options.store;
    if (options.strategy != run_defaults.strategy) line += " --strategy " + options.strategy;
    if (options.deferred) line += " --deferred";
  }
  add_if_changed(line, "--safety-ticks", simulation.safety_ticks, defaults.safety_ticks);
  add_if_changed(line, "--check-every", simulation.check_every, defaults.check_every);
  return line + mutant_flag();
}

int run(RunOptions options) {
  auto resolved = resolve_run_options(options);
  auto systems = SystemChoice::from_options(options.sut);
  for (const Status* status : {&resolved.status(), &systems.status()}) {
    if (!status->is_ok()) {
      std::cerr << "treesim run: " << status->message() << "\n";
      return kExitBadInput;
    }
  }
  const std::uint64_t seed = resolved->first;
  const Options& simulation = resolved->second;
  const std::string reproduce = reproduce_line(seed, options, simulation) + systems->flags();

  const bool recording = !options.record_path.empty();
  std::vector<Event> events;
  bool first = true;
  RunReport report = run_and_verify(seed, simulation, options.verify_determinism, [&] {
    // Only the first run is recorded; --verify-determinism's second run is compared with it.
    std::vector<Event>* recorded = recording && first ? &events : nullptr;
    first = false;
    return systems->finish(Simulation(seed, simulation, systems->factory()).run(recorded));
  });
  report.reproduce.push_back(reproduce);
  if (recording) {
    Scenario scenario;
    scenario.comment = "recorded by treesim run: " + outcome_line(report.result);
    scenario.seed = seed;
    scenario.options = simulation;
    scenario.events = std::move(events);
    if (Status status = write_scenario_file(options.record_path, scenario); !status.is_ok()) {
      std::cerr << "treesim run: --record: " << status.message() << "\n";
      return kExitBadInput;
    }
    report.reproduce.push_back(replay_command_line(options.record_path) + mutant_flag() +
                               systems->flags());
  }
  return print_run_report(report, options.json);
}

}  // namespace

Result<std::pair<std::uint64_t, Options>> resolve_run_options(const RunOptions& options) {
  TS_RETURN_IF_ERROR(activate_mutant(options.mutant));
  auto seed = seed_from_text(options.seed_text);
  if (!seed.is_ok()) return Status::invalid_argument("--seed: " + seed.status().message());
  Options simulation = options.simulation;
  if (!options.swarm) {
    // CLI11 checked both names against the lists.
    ReplicaConfig config;
    config.store = *store_kind_from_name(options.store);
    config.strategy = *catch_up_strategy_from_name(options.strategy);
    config.deferred = options.deferred;
    simulation.replicas.assign(simulation.replica_count, config);
  }
  if (options.swarm) {
    Rng profile = Rng(*seed).fork("swarm");
    simulation = Options::swarm(profile);
    simulation.safety_ticks = options.simulation.safety_ticks;
    simulation.check_every = options.simulation.check_every;
  }
  TS_RETURN_IF_ERROR(simulation.normalize());
  return std::make_pair(*seed, std::move(simulation));
}

RunReport run_and_verify(std::uint64_t seed, const Options& options, bool verify_determinism,
                         const std::function<RunResult()>& simulate) {
  RunReport report;
  report.seed = seed;
  report.options = options;
  report.result = simulate();
  report.failure = report.result.failure;
  if (!report.failure && verify_determinism) {
    const RunResult again = simulate();
    if (again.trace_hash != report.result.trace_hash) {
      report.failure = Failure{FailureClass::kNondeterminism, "determinism", 0, std::nullopt,
                               "trace hash " + seed_to_display(report.result.trace_hash) +
                                   " then " + seed_to_display(again.trace_hash),
                               ""};
    }
  }
  return report;
}

nlohmann::json run_report_to_json(const RunReport& report) {
  const RunResult& result = report.result;
  const std::optional<Failure>& failure = report.failure;
  nlohmann::json out = {{"seed", seed_to_display(report.seed)},
                        {"profile", report.options.to_display()},
                        {"trace_hash", seed_to_display(result.trace_hash)},
                        {"ticks", result.stats.ticks},
                        {"local_edits", result.stats.local_edits},
                        {"ops_delivered", result.stats.ops_delivered},
                        {"failed_calls", result.stats.failed_calls},
                        {"crashes", result.stats.crashes},
                        {"final_op_count", result.stats.final_op_count}};
  nlohmann::json probes = nlohmann::json::object();
  for (std::size_t i = 0; i < kProbeCount; ++i) {
    const auto probe = static_cast<Probe>(i);
    probes[probe_name(probe)] = result.probes.count(probe);
  }
  out["probes"] = std::move(probes);
  if (!report.notes.empty()) out["notes"] = report.notes;
  if (failure) {
    out["failure"] = {{"class", failure_class_name(failure->failure_class)},
                      {"checker", failure->checker},
                      {"tick", failure->tick},
                      {"message", failure->message},
                      {"first_difference", failure->first_difference}};
    if (!report.reproduce.empty()) out["reproduce"] = report.reproduce.front();
    if (report.reproduce.size() > 1) {
      out["reproduce_also"] =
          std::vector<std::string>(report.reproduce.begin() + 1, report.reproduce.end());
    }
  }
  return out;
}

int print_run_report(const RunReport& report, bool json) {
  const RunResult& result = report.result;
  const std::optional<Failure>& failure = report.failure;
  if (json) {
    std::cout << run_report_to_json(report).dump(2) << "\n";
  } else if (failure) {
    std::cout << "seed " << seed_to_display(report.seed) << " FAILED ("
              << report.options.to_display() << ")\n"
              << failure->to_display() << "\nlast events:\n";
    for (const std::string& line : result.recent_events) std::cout << "  " << line << "\n";
    for (const std::string& line : report.reproduce) std::cout << "reproduce: " << line << "\n";
  } else {
    std::cout << "seed " << seed_to_display(report.seed) << " ok: " << result.stats.final_op_count
              << " ops, " << result.stats.final_node_count << " nodes, "
              << result.stats.local_edits << " edits, " << result.stats.failed_calls
              << " failed calls, " << result.stats.crashes << " crashes; trace "
              << seed_to_display(result.trace_hash)
              << "\n  profile: " << report.options.to_display() << "\n";
  }
  if (!json) {
    for (const std::string& note : report.notes) std::cout << "  note: " << note << "\n";
  }
  return failure ? failure_exit_code(failure->failure_class) : kExitSuccess;
}

std::string outcome_line(const RunResult& result) {
  std::string outcome = result.failure ? "FAILED " + result.failure->to_display()
                                       : "ok, trace " + seed_to_display(result.trace_hash);
  if (auto newline = outcome.find('\n'); newline != std::string::npos) outcome.resize(newline);
  return outcome;
}

std::string replay_command_line(const std::string& path) {
  const bool plain =
      !path.empty() && path.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                              "0123456789_./:=@%+,-") == std::string::npos;
  if (plain) return "treesim replay " + path;
  std::string quoted = "'";
  for (const char c : path) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return "treesim replay " + quoted + "'";
}

void register_run_command(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* command = app.add_subcommand("run", "Run one seeded simulation and check it");
  add_run_options(*command, *options);
  command->add_flag("--verify-determinism", options->verify_determinism,
                    "Run the seed twice and compare trace hashes");
  command->add_flag("--json", options->json, "Print the result as JSON");
  command->add_option("--record", options->record_path,
                      "Write the run as a scenario file with its explicit events (for replay)");
  command->callback([options, exit_code] { *exit_code = run(*options); });
}

void add_run_options(CLI::App& app, RunOptions& options) {
  CLI::App* command = &app;
  command->add_option("--seed", options.seed_text, "Seed, decimal or 0x hex")->capture_default_str();
  command->add_flag("--swarm", options.swarm, "Draw a random fault profile from the seed");
  Options& simulation = options.simulation;
  command->add_option("--replicas", simulation.replica_count, "Replica count")->capture_default_str();
  command->add_option("--safety-ticks", simulation.safety_ticks, "Ticks of the safety phase")
      ->capture_default_str();
  command->add_option("--check-every", simulation.check_every,
                      "Check model agreement every N steps (always at the end)")
      ->capture_default_str();
  command->add_option("--edit-per-mille", simulation.edit_per_mille, "Local edit chance per tick")
      ->capture_default_str();
  command->add_option("--drop-per-mille", simulation.drop_per_mille)->capture_default_str();
  command->add_option("--duplicate-per-mille", simulation.duplicate_per_mille)->capture_default_str();
  command->add_option("--reorder-ticks-max", simulation.reorder_ticks_max)->capture_default_str();
  command->add_option("--partition-per-mille", simulation.partition_per_mille)->capture_default_str();
  command->add_option("--crash-per-mille", simulation.crash_per_mille)->capture_default_str();
  command->add_option("--storage-fault-per-mille", simulation.storage_fault_per_mille)
      ->capture_default_str();
  command->add_option("--fault-point-per-mille", simulation.fault_point_per_mille)
      ->capture_default_str();
  command->add_option("--forge-per-mille", simulation.forge_per_mille,
                      "Chance per tick that a replica receives a forged op (equivocating or "
                      "invalid), which it must reject")
      ->capture_default_str();
  command->add_option("--catch-up-fault-per-mille", simulation.catch_up_fault_per_mille,
                      "Chance per tick that a replica with a pending catch-up arms a fault point")
      ->capture_default_str();
  command->add_option("--store", options.store, "Every replica's store")
      ->check(CLI::IsMember({"sqlite", "memory"}))
      ->capture_default_str();
  command->add_option("--strategy", options.strategy, "Every replica's catch-up strategy")
      ->check(CLI::IsMember({"rebuild", "prefix-replay", "rewind"}))
      ->capture_default_str();
  command->add_flag("--deferred", options.deferred,
                    "Every replica defers a failed catch-up (SEMANTICS.md §8)");
  add_mutant_option(*command, options.mutant);
  add_sut_options(*command, options.sut);
}

}  // namespace treesim
