#include "sim/commands/shrink_command.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "sim/commands/mutant_option.h"
#include "sim/commands/run_command.h"
#include "sim/commands/sweep_command.h"
#include "sim/exit_codes.h"
#include "sim/scenario.h"
#include "sim/shrink.h"

// The corpus of the source tree this treesim was built from (sim/CMakeLists.txt defines it);
// --corpus overrides it.
#ifndef TREESIM_CORPUS_DIR
#define TREESIM_CORPUS_DIR "corpus"
#endif

namespace treesim {
namespace {

struct ShrinkCommandOptions {
  std::string path;  // the scenario file; empty: record the run of `run`
  RunOptions run;
  // The options add_run_options added, but --mutant and the --sut options: they describe a
  // run, so they go with --seed and not with a file, which has its own.
  std::vector<const CLI::Option*> run_only;
  std::string time = "60s";
  std::uint64_t tries = ShrinkOptions{}.tries_max;
  std::string out;
  std::string save;
  std::string corpus = TREESIM_CORPUS_DIR;
};

// "runs/a.json" -> "runs/a.shrunk.json"; for a recorded seed, "shrunk-<seed>.json" here.
std::string default_out(const ShrinkCommandOptions& options, std::uint64_t seed) {
  if (options.path.empty() || options.path == "-") {
    return "shrunk-" + seed_to_display(seed) + ".json";
  }
  std::filesystem::path path(options.path);
  return (path.parent_path() / (path.stem().string() + ".shrunk.json")).string();
}

// A corpus name is a file name stem: letters, digits, '_' and '-'.
bool is_corpus_name(const std::string& name) {
  return !name.empty() && name.find_first_not_of(
                              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                              "0123456789_-") == std::string::npos;
}

int shrink(const ShrinkCommandOptions& options) {
  const auto bad = [](const std::string& message) {
    std::cerr << "treesim shrink: " << message << "\n";
    return kExitBadInput;
  };
  auto budget = parse_duration(options.time);
  if (!budget.is_ok()) return bad(budget.status().message());
  if (options.tries == 0) return bad("--tries must be at least 1");
  if (!options.save.empty() && !is_corpus_name(options.save)) {
    return bad("--save: '" + options.save +
               "' is not a corpus name (letters, digits, '_' and '-' only)");
  }
  const std::string save_path =
      options.save.empty() ? "" : options.corpus + "/regressions/" + options.save + ".json";
  if (!save_path.empty() && std::filesystem::exists(save_path)) {
    return bad("--save: " + save_path + " exists; choose another name");
  }

  auto systems = SystemChoice::from_options(options.run.sut);
  if (!systems.is_ok()) return bad(systems.status().message());

  Scenario input;
  if (options.path.empty()) {
    auto resolved = resolve_run_options(options.run);
    if (!resolved.is_ok()) return bad(resolved.status().message());
    input.seed = resolved->first;
    input.options = resolved->second;
  } else {
    if (Status status = activate_mutant(options.run.mutant); !status.is_ok()) {
      return bad(status.message());
    }
    auto scenario = read_scenario_file(options.path);
    if (!scenario.is_ok()) return bad(scenario.status().message());
    input = *std::move(scenario);
  }
  const std::string out = options.out.empty() ? default_out(options, input.seed) : options.out;

  // Progress on standard error: one line rewritten in place on a terminal, else a line at the
  // start of each pass.
  const bool terminal = isatty(STDERR_FILENO) != 0;
  ShrinkOptions shrink_options;
  shrink_options.time_seconds = *budget;
  shrink_options.tries_max = options.tries;
  // A planted bug may break an assertion of the materializer on a candidate.
  shrink_options.isolate = true;
  std::string last_pass;
  shrink_options.progress = [&](const ShrinkProgress& progress) {
    if (!terminal && progress.pass == last_pass) return;
    last_pass = progress.pass;
    std::fprintf(stderr, "%s%-8s %zu events, %u replicas, %llu tries%s", terminal ? "\r\033[K" : "",
                 std::string(progress.pass).c_str(), progress.event_count, progress.replica_count,
                 static_cast<unsigned long long>(progress.tries), terminal ? "" : "\n");
  };
  std::cerr << "shrinking "
            << (options.path.empty() ? "the run of seed " + seed_to_display(input.seed)
                                     : options.path)
            << " (budget " << options.time << ", " << options.tries << " tries)\n";
  auto result = shrink_scenario(input, shrink_options, systems->factory());
  if (terminal) std::cerr << "\r\033[K";
  if (!result.is_ok()) {
    std::cerr << "treesim shrink: " << result.status().message() << "\n";
    switch (result.status().code()) {
      case StatusCode::kFailedPrecondition:
        return kExitNothingToShrink;
      case StatusCode::kInternal:
      case StatusCode::kUnsupported:
        return kExitInternal;
      default:
        return kExitBadInput;
    }
  }

  std::vector<std::string> written;
  for (const std::string& path : {out, save_path}) {
    if (path.empty()) continue;
    if (Status status = write_scenario_file(path, result->scenario); !status.is_ok()) {
      return bad(status.message());
    }
    written.push_back(path);
  }
  const std::size_t size = result->scenario.events->size();
  std::printf(
      "shrunk %zu events at %u replicas to %zu events at %u replicas in %llu tries, "
      "%.1f s%s\n",
      result->original_event_count, result->original_replica_count, size,
      result->scenario.options.replica_count, static_cast<unsigned long long>(result->tries),
      result->seconds, result->budget_spent ? " (budget spent: --time or --tries)" : "");
  if (result->crashed > 0) {
    std::printf("%llu candidates crashed or hung the system under test and were skipped\n",
                static_cast<unsigned long long>(result->crashed));
  }
  std::string failure = result->failure.to_display();
  if (auto newline = failure.find('\n'); newline != std::string::npos) failure.resize(newline);
  std::printf("fails with %s\n", failure.c_str());
  for (const std::string& path : written) {
    std::printf("wrote %s\nreproduce: %s%s%s\n", path.c_str(), replay_command_line(path).c_str(),
                mutant_flag().c_str(), systems->flags().c_str());
  }
  return kExitSuccess;
}

}  // namespace

void register_shrink_command(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<ShrinkCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "shrink",
      "Shrink a failing run to a small scenario that fails the same way (same class, checker "
      "and first differing field): a scenario FILE, or the run of --seed with treesim run's "
      "options");
  command->add_option("file", options->path,
                      "Scenario file ('-' = stdin); without events its seed runs first");
  const std::size_t before = command->get_options().size();
  add_run_options(*command, options->run);
  const std::vector<CLI::Option*> added = command->get_options();
  for (std::size_t i = before; i < added.size(); ++i) {
    const std::string& name = added[i]->get_name();
    if (name != "--mutant" && name.rfind("--sut", 0) != 0) options->run_only.push_back(added[i]);
  }
  command->add_option("--time", options->time, "Time budget, e.g. 90s, 10m")->capture_default_str();
  command->add_option("--tries", options->tries, "Budget of candidate replays")
      ->capture_default_str();
  command->add_option("--out", options->out,
                      "Write the shrunk scenario here (default: FILE.shrunk.json next to FILE, "
                      "or shrunk-SEED.json)");
  command->add_option("--save", options->save,
                      "Also write it into the regression corpus as regressions/NAME.json");
  command->add_option("--corpus", options->corpus, "The corpus directory --save writes into")
      ->capture_default_str();
  command->callback([options, exit_code] {
    const bool seeded = std::any_of(options->run_only.begin(), options->run_only.end(),
                                    [](const CLI::Option* option) { return option->count() > 0; });
    if (options->path.empty() == !seeded) {
      std::cerr << "treesim shrink: give a scenario FILE or --seed (with run options), "
                   "not both and not neither\n";
      *exit_code = kExitUsage;
      return;
    }
    *exit_code = shrink(*options);
  });
}

}  // namespace treesim
