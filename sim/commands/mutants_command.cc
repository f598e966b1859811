#include "sim/commands/mutants_command.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "materializer/mutants.h"
#include "sim/commands/sweep_command.h"
#include "sim/exit_codes.h"
#include "sim/file_io.h"
#include "sim/scenario.h"
#include "sim/simulation.h"

namespace treesim {
namespace {

struct MatrixOptions {
  bool list = false;
  std::vector<std::string> mutants;  // empty: every mutant of the catalog
  std::uint64_t seeds = 200;         // per mutant
  std::string first_seed = "1";
  std::string time;  // wall-clock budget per mutant ("60s"); empty: none
  std::uint64_t safety_ticks = Options{}.safety_ticks;
  std::uint32_t check_every = 1;
  double seed_timeout_seconds = 600;
  std::string json_path;
};

// How one seed's run ended.
struct SeedVerdict {
  bool failed = false;
  std::string failure_class;  // a FailureClass name, or "crash" / "hang"
  std::string checker;        // the simulator's checker, or "assertion", "sanitizer", ...
  std::string message;        // the first line
};

// The first failure of one mutant's seeds, or their whole budget without one.
struct Detection {
  const MutantInfo* mutant = nullptr;
  bool detected = false;
  std::uint64_t seeds_run = 0;
  // Wall time from the mutant's first seed to the end of its first failing one (or of the
  // budget when it survived).
  double seconds = 0;
  // The failing run: its seed, profile and verdict.
  std::uint64_t seed = 0;
  Options options;
  SeedVerdict verdict;

  // The failing run as a scenario (seed and options; replayed with the mutant active, it runs
  // exactly like the seed did): the input of a shrink step.
  Scenario failing_scenario() const {
    Scenario scenario;
    scenario.comment = std::string("mutant ") + mutant->name + ": " + verdict.failure_class +
                       "/" + verdict.checker;
    scenario.seed = seed;
    scenario.options = options;
    return scenario;
  }
};

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

std::string reproduce_line(const Detection& detection, const MatrixOptions& options) {
  std::string line = "treesim run --seed " + seed_to_display(detection.seed) + " --swarm";
  if (options.safety_ticks != Options{}.safety_ticks) {
    line += " --safety-ticks " + std::to_string(options.safety_ticks);
  }
  if (options.check_every != 1) line += " --check-every " + std::to_string(options.check_every);
  return line + " --mutant " + detection.mutant->name;
}

// --- one seed in a child process ---

void write_all(int fd, const std::string& text) {
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    written += static_cast<std::size_t>(n);
  }
}

[[noreturn]] void run_child(int result_fd, Mutant mutant, std::uint64_t seed,
                            const Options& options) {
  set_active_mutant(mutant);
  const RunResult result = Simulation(seed, options).run();
  nlohmann::json out = {{"failed", result.failure.has_value()}};
  if (result.failure) {
    out["class"] = failure_class_name(result.failure->failure_class);
    out["checker"] = result.failure->checker;
    out["message"] = first_line(result.failure->to_display());
  }
  write_all(result_fd, out.dump());
  close(result_fd);
  // No exit handlers: the parent's buffers and the leak checker are not the child's business.
  _exit(0);
}

// What a child that did not report a result left on stderr: an assertion's or a sanitizer's
// report, or its last line.
SeedVerdict crash_verdict(int status, const std::string& error_text) {
  SeedVerdict verdict;
  verdict.failed = true;
  verdict.failure_class = "crash";
  const std::size_t assertion = error_text.find("assertion failed:");
  const std::size_t sanitizer = error_text.find("Sanitizer");
  if (assertion != std::string::npos) {
    verdict.checker = "assertion";
    verdict.message = first_line(error_text.substr(assertion));
  } else if (sanitizer != std::string::npos) {
    verdict.checker = "sanitizer";
    const std::size_t start = error_text.rfind('\n', sanitizer);
    verdict.message = first_line(error_text.substr(start == std::string::npos ? 0 : start + 1));
  } else {
    verdict.checker = WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status))
                                          : "exit " + std::to_string(WEXITSTATUS(status));
    std::string text = error_text;
    while (!text.empty() && text.back() == '\n') text.pop_back();
    const std::size_t start = text.rfind('\n');
    verdict.message = start == std::string::npos ? text : text.substr(start + 1);
  }
  if (verdict.message.size() > 300) verdict.message.resize(300);
  return verdict;
}

Result<SeedVerdict> run_seed_in_child(Mutant mutant, std::uint64_t seed, const Options& options,
                                      double timeout_seconds) {
  int result_pipe[2];
  int error_pipe[2];
  if (pipe(result_pipe) != 0) return Status::internal("pipe failed");
  if (pipe(error_pipe) != 0) {
    close(result_pipe[0]);
    close(result_pipe[1]);
    return Status::internal("pipe failed");
  }
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) {
    for (int fd : {result_pipe[0], result_pipe[1], error_pipe[0], error_pipe[1]}) close(fd);
    return Status::internal("fork failed");
  }
  if (pid == 0) {
    close(result_pipe[0]);
    close(error_pipe[0]);
    dup2(error_pipe[1], STDERR_FILENO);
    close(error_pipe[1]);
    run_child(result_pipe[1], mutant, seed, options);
  }
  close(result_pipe[1]);
  close(error_pipe[1]);

  // Drain both pipes until the child closes them (it exits) or the timeout passes.
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long long>(timeout_seconds * 1000));
  std::string texts[2];
  bool open[2] = {true, true};
  const int fds[2] = {result_pipe[0], error_pipe[0]};
  bool timed_out = false;
  while (open[0] || open[1]) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd polled[2];
    nfds_t count = 0;
    int which[2];
    for (int i = 0; i < 2; ++i) {
      if (!open[i]) continue;
      polled[count] = {fds[i], POLLIN, 0};
      which[count++] = i;
    }
    const int ready = poll(polled, count, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR) break;
    for (nfds_t k = 0; k < count && ready > 0; ++k) {
      if (polled[k].revents == 0) continue;
      char buffer[4096];
      const ssize_t n = read(fds[which[k]], buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        open[which[k]] = false;
      } else {
        texts[which[k]].append(buffer, static_cast<std::size_t>(n));
      }
    }
  }
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  close(fds[0]);
  close(fds[1]);

  if (timed_out) {
    SeedVerdict verdict;
    verdict.failed = true;
    verdict.failure_class = "hang";
    verdict.checker = "seed-timeout";
    verdict.message = "no result within " + std::to_string(timeout_seconds) + " s";
    return verdict;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !texts[0].empty()) {
    const nlohmann::json result = nlohmann::json::parse(texts[0], nullptr, false);
    if (result.is_object()) {
      SeedVerdict verdict;
      verdict.failed = result.value("failed", false);
      verdict.failure_class = result.value("class", "");
      verdict.checker = result.value("checker", "");
      verdict.message = result.value("message", "");
      return verdict;
    }
  }
  return crash_verdict(status, texts[1]);
}

// --- the matrix ---

Result<Detection> detect_mutant(const MutantInfo& mutant, const MatrixOptions& options,
                                std::uint64_t first_seed, std::optional<double> budget_seconds) {
  Detection detection;
  detection.mutant = &mutant;
  const auto started = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  for (std::uint64_t i = 0; i < options.seeds; ++i) {
    if (budget_seconds && elapsed() >= *budget_seconds) break;
    const std::uint64_t seed = first_seed + i;
    const Options profile =
        sweep_options(seed, /*swarm=*/true, options.safety_ticks, options.check_every);
    TS_ASSIGN_OR_RETURN(const SeedVerdict verdict,
                        run_seed_in_child(mutant.mutant, seed, profile,
                                          options.seed_timeout_seconds));
    ++detection.seeds_run;
    if (!verdict.failed) continue;
    detection.detected = true;
    detection.seed = seed;
    detection.options = profile;
    detection.verdict = verdict;
    break;
  }
  detection.seconds = elapsed();
  return detection;
}

// One mutant's row of the matrix: detect, then shrink. The shrink step of issue 9 belongs here,
// once sim/shrink.h exists: shrink detection.failing_scenario() with the mutant active while the
// same failure class and checker fire, and report the shrunk event count beside the detection.
Result<Detection> evaluate_mutant(const MutantInfo& mutant, const MatrixOptions& options,
                                  std::uint64_t first_seed, std::optional<double> budget_seconds) {
  return detect_mutant(mutant, options, first_seed, budget_seconds);
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

std::string fixed(double value, int decimals) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

struct Summary {
  std::size_t detected = 0;
  double seeds_median = 0;
  double seeds_max = 0;
  double seconds_median = 0;
  double seconds_max = 0;
};

Summary summarize(const std::vector<Detection>& rows) {
  std::vector<double> seeds;
  std::vector<double> seconds;
  for (const Detection& row : rows) {
    if (!row.detected) continue;
    seeds.push_back(static_cast<double>(row.seeds_run));
    seconds.push_back(row.seconds);
  }
  Summary summary;
  summary.detected = seeds.size();
  summary.seeds_median = median(seeds);
  summary.seconds_median = median(seconds);
  if (!seeds.empty()) {
    summary.seeds_max = *std::max_element(seeds.begin(), seeds.end());
    summary.seconds_max = *std::max_element(seconds.begin(), seconds.end());
  }
  return summary;
}

void print_table(const std::vector<Detection>& rows, const MatrixOptions& options) {
  std::cout << "| mutant | detected | seeds | seconds | seed | class/checker | reproduce |\n"
            << "|---|---|---:|---:|---|---|---|\n";
  for (const Detection& row : rows) {
    std::cout << "| " << row.mutant->name << " | " << (row.detected ? "yes" : "**NO**") << " | "
              << row.seeds_run << " | " << fixed(row.seconds, 1) << " | "
              << (row.detected ? seed_to_display(row.seed) : "-") << " | "
              << (row.detected ? row.verdict.failure_class + "/" + row.verdict.checker : "-")
              << " | " << (row.detected ? "`" + reproduce_line(row, options) + "`" : "-")
              << " |\n";
  }
  const Summary summary = summarize(rows);
  std::cout << "\ndetected " << summary.detected << "/" << rows.size()
            << "; seeds to detect: median " << fixed(summary.seeds_median, 1) << ", max "
            << fixed(summary.seeds_max, 0) << "; seconds to detect: median "
            << fixed(summary.seconds_median, 1) << ", max " << fixed(summary.seconds_max, 1)
            << " (safety ticks " << options.safety_ticks << ", at most " << options.seeds
            << " seeds" << (options.time.empty() ? "" : " and " + options.time)
            << " per mutant)\n";
}

nlohmann::json to_json(const std::vector<Detection>& rows, const MatrixOptions& options) {
  nlohmann::json list = nlohmann::json::array();
  for (const Detection& row : rows) {
    nlohmann::json entry = {{"mutant", row.mutant->name},
                            {"description", row.mutant->description},
                            {"detected", row.detected},
                            {"seeds_run", row.seeds_run},
                            {"seconds", row.seconds}};
    if (row.detected) {
      entry["seed"] = seed_to_display(row.seed);
      entry["profile"] = row.options.to_display();
      entry["class"] = row.verdict.failure_class;
      entry["checker"] = row.verdict.checker;
      entry["message"] = row.verdict.message;
      entry["reproduce"] = reproduce_line(row, options);
    }
    list.push_back(std::move(entry));
  }
  const Summary summary = summarize(rows);
  return {{"settings",
           {{"first_seed", options.first_seed},
            {"seeds_max", options.seeds},
            {"time", options.time},
            {"safety_ticks", options.safety_ticks},
            {"check_every", options.check_every}}},
          {"mutants", std::move(list)},
          {"summary",
           {{"mutants", rows.size()},
            {"detected", summary.detected},
            {"seeds_median", summary.seeds_median},
            {"seeds_max", summary.seeds_max},
            {"seconds_median", summary.seconds_median},
            {"seconds_max", summary.seconds_max}}}};
}

int list_mutants() {
  for (const MutantInfo& info : mutant_catalog()) {
    std::cout << info.name << "\n    " << info.description << "\n";
  }
  return kExitSuccess;
}

int run_matrix(const MatrixOptions& options) {
  if (!kMutantsCompiled) {
    std::cerr << "treesim mutants: this treesim was built without mutants; configure with "
                 "-DTREECRDT_MUTANTS=ON (the dev preset does)\n";
    return kExitBadInput;
  }
  if (options.list) return list_mutants();
  std::vector<const MutantInfo*> selected;
  for (const std::string& name : options.mutants) {
    const std::optional<Mutant> mutant = mutant_from_name(name);
    if (!mutant) {
      std::string names;
      for (const MutantInfo& info : mutant_catalog()) names += std::string(" ") + info.name;
      std::cerr << "treesim mutants: --mutant: unknown mutant '" << name
                << "'; valid names:" << names << "\n";
      return kExitBadInput;
    }
    for (const MutantInfo& info : mutant_catalog()) {
      if (info.mutant == *mutant) selected.push_back(&info);
    }
  }
  if (options.mutants.empty()) {
    for (const MutantInfo& info : mutant_catalog()) selected.push_back(&info);
  }
  auto first_seed = seed_from_text(options.first_seed);
  if (!first_seed.is_ok()) {
    std::cerr << "treesim mutants: --first-seed: " << first_seed.status().message() << "\n";
    return kExitBadInput;
  }
  std::optional<double> budget;
  if (!options.time.empty()) {
    Result<double> parsed = parse_duration(options.time);
    if (!parsed.is_ok()) {
      std::cerr << "treesim mutants: " << parsed.status().message() << "\n";
      return kExitBadInput;
    }
    budget = *parsed;
  }
  if (options.seeds == 0 || options.check_every == 0 || options.seed_timeout_seconds <= 0) {
    std::cerr << "treesim mutants: --seeds, --check-every and --seed-timeout must be positive\n";
    return kExitBadInput;
  }

  std::vector<Detection> rows;
  for (const MutantInfo* mutant : selected) {
    Result<Detection> row = evaluate_mutant(*mutant, options, *first_seed, budget);
    if (!row.is_ok()) {
      std::cerr << "treesim mutants: " << mutant->name << ": " << row.status().message() << "\n";
      return kExitInternal;
    }
    // Progress, one line per mutant (stderr, so the table on stdout stays clean).
    std::cerr << mutant->name << ": "
              << (row->detected ? "detected by seed " + seed_to_display(row->seed) + " (" +
                                      row->verdict.failure_class + "/" + row->verdict.checker +
                                      ")"
                                : std::string("SURVIVED"))
              << " after " << row->seeds_run << " seeds, " << fixed(row->seconds, 1) << " s\n";
    rows.push_back(std::move(*row));
  }
  print_table(rows, options);
  if (!options.json_path.empty()) {
    if (Status status = write_file(options.json_path, to_json(rows, options).dump(2) + "\n");
        !status.is_ok()) {
      std::cerr << "treesim mutants: --json: " << status.message() << "\n";
      return kExitBadInput;
    }
  }
  int exit_code = kExitSuccess;
  for (const Detection& row : rows) {
    if (row.detected) continue;
    std::cerr << "treesim mutants: mutant " << row.mutant->name << " survived " << row.seeds_run
              << " seeds (" << fixed(row.seconds, 1) << " s)\n";
    exit_code = kExitMutantSurvived;
  }
  return exit_code;
}

}  // namespace

void register_mutants_command(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<MatrixOptions>();
  CLI::App* command = app.add_subcommand(
      "mutants", "Detection matrix: run swarm seeds with each planted bug until one fails");
  command->add_flag("--list", options->list, "List the mutants of this build and exit");
  command->add_option("--mutant", options->mutants,
                      "Only this mutant (repeatable); default: every mutant");
  command->add_option("--seeds", options->seeds, "At most this many seeds per mutant")
      ->capture_default_str();
  command->add_option("--first-seed", options->first_seed, "The first seed of every mutant")
      ->capture_default_str();
  command->add_option("--time", options->time,
                      "Wall-clock budget per mutant (90s, 10m, 2h): no seed starts after it");
  command->add_option("--safety-ticks", options->safety_ticks, "Ticks of each run's safety phase")
      ->capture_default_str();
  command->add_option("--check-every", options->check_every, "Check every N steps")
      ->capture_default_str();
  command->add_option("--seed-timeout", options->seed_timeout_seconds,
                      "Seconds after which a seed's run is killed and counted as a hang")
      ->capture_default_str();
  command->add_option("--json", options->json_path, "Also write the matrix as JSON to this file");
  command->callback([options, exit_code] { *exit_code = run_matrix(*options); });
}

}  // namespace treesim
