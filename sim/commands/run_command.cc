#include "sim/commands/run_command.h"

#include <iostream>
#include <memory>

#include "sim/exit_codes.h"
#include "sim/simulation.h"

namespace treesim {
namespace {

struct RunOptions {
  std::string seed_text = "1";
  bool swarm = false;
  bool verify_determinism = false;
  bool json = false;
  Options simulation;
};

Result<std::uint64_t> parse_seed(const std::string& text) {
  if (text.empty()) return Status::invalid_argument("--seed: empty");
  std::size_t used = 0;
  unsigned long long value = 0;
  try {
    value = std::stoull(text, &used, 0);  // decimal, or 0x... hex
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size()) {
    return Status::invalid_argument("--seed: '" + text + "' is not a number (decimal or 0x hex)");
  }
  return static_cast<std::uint64_t>(value);
}

int run(RunOptions options) {
  auto seed = parse_seed(options.seed_text);
  if (!seed.is_ok()) {
    std::cerr << "treesim run: " << seed.status().message() << "\n";
    return kExitBadInput;
  }
  Options simulation = options.simulation;
  if (options.swarm) {
    Rng profile = Rng(*seed).fork("swarm");
    simulation = Options::swarm(profile);
    simulation.safety_ticks = options.simulation.safety_ticks;
    simulation.check_every = options.simulation.check_every;
  }
  if (Status status = simulation.normalize(); !status.is_ok()) {
    std::cerr << "treesim run: " << status.message() << "\n";
    return kExitBadInput;
  }
  std::string reproduce = "treesim run --seed " + seed_to_display(*seed);
  if (options.swarm) reproduce += " --swarm";
  if (simulation.safety_ticks != Options{}.safety_ticks) {
    reproduce += " --safety-ticks " + std::to_string(simulation.safety_ticks);
  }

  const RunResult result = Simulation(*seed, simulation).run();
  std::optional<Failure> failure = result.failure;
  if (!failure && options.verify_determinism) {
    const RunResult again = Simulation(*seed, simulation).run();
    if (again.trace_hash != result.trace_hash) {
      failure = Failure{FailureClass::kNondeterminism, "determinism", 0, std::nullopt,
                        "trace hash " + seed_to_display(result.trace_hash) + " then " +
                            seed_to_display(again.trace_hash),
                        ""};
    }
  }
  if (options.json) {
    nlohmann::json out = {{"seed", seed_to_display(*seed)},
                          {"profile", simulation.to_display()},
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
    if (failure) {
      out["failure"] = {{"class", failure_class_name(failure->failure_class)},
                        {"checker", failure->checker},
                        {"tick", failure->tick},
                        {"message", failure->message},
                        {"first_difference", failure->first_difference}};
      out["reproduce"] = reproduce;
    }
    std::cout << out.dump(2) << "\n";
  } else if (failure) {
    std::cout << "seed " << seed_to_display(*seed) << " FAILED (" << simulation.to_display()
              << ")\n"
              << failure->to_display() << "\nlast events:\n";
    for (const std::string& line : result.recent_events) std::cout << "  " << line << "\n";
    std::cout << "reproduce: " << reproduce << "\n";
  } else {
    std::cout << "seed " << seed_to_display(*seed) << " ok: " << result.stats.final_op_count
              << " ops, " << result.stats.final_node_count << " nodes, "
              << result.stats.local_edits << " edits, " << result.stats.failed_calls
              << " failed calls, " << result.stats.crashes << " crashes; trace "
              << seed_to_display(result.trace_hash) << "\n  profile: " << simulation.to_display()
              << "\n";
  }
  return failure ? failure_exit_code(failure->failure_class) : kExitSuccess;
}

}  // namespace

void register_run_command(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* command = app.add_subcommand("run", "Run one seeded simulation and check it");
  command->add_option("--seed", options->seed_text, "Seed, decimal or 0x hex")->capture_default_str();
  command->add_flag("--swarm", options->swarm, "Draw a random fault profile from the seed");
  command->add_flag("--verify-determinism", options->verify_determinism,
                    "Run the seed twice and compare trace hashes");
  command->add_flag("--json", options->json, "Print the result as JSON");
  Options& simulation = options->simulation;
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
  command->callback([options, exit_code] { *exit_code = run(*options); });
}

}  // namespace treesim
