#include "sim/commands/mutants_command.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "materializer/mutants.h"
#include "sim/commands/run_command.h"
#include "sim/commands/sweep_command.h"
#include "sim/exit_codes.h"
#include "sim/file_io.h"
#include "sim/scenario.h"
#include "sim/shrink.h"
#include "sim/shrink_replay.h"
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
  // The shrink step: off with --no-shrink; its budget per mutant; where the shrunk scenarios go
  // (empty: a fresh directory under the system's temporary directory).
  bool shrink = true;
  std::string shrink_time = "60s";
  std::string out_dir;
  // How many failing seeds the shrink step shrinks (the first failing one and the next ones),
  // keeping the smallest result.
  std::uint64_t shrink_seeds = 3;
};

// How one seed's run ended.
struct SeedVerdict {
  bool failed = false;
  std::string failure_class;  // a FailureClass name, or "crash" / "hang"
  std::string checker;        // the simulator's checker, or "assertion", "sanitizer", ...
  std::string message;        // the first line
  std::string first_difference;  // of a model or convergence mismatch
  std::string gist;              // the message without its particulars (failure_gist)
};

// One failing seed's shrink, of those the shrink step tried.
struct ShrinkAttempt {
  std::uint64_t seed = 0;
  std::string error;  // why it gave no shrunk scenario; empty if it did
  std::size_t original_events = 0;
  std::size_t events = 0;
  double seconds = 0;
};

// What the shrink step made of a mutant's failing runs: the smallest of their shrunk scenarios.
struct ShrinkOutcome {
  bool attempted = false;
  // The failing seed whose shrunk scenario was kept, and how that seed's run failed.
  std::uint64_t seed = 0;
  SeedVerdict verdict;
  // Every seed shrunk, in seed order.
  std::vector<ShrinkAttempt> attempts;
  std::string error;  // why there is no shrunk scenario (it crashed, it did not fail again, ...)
  std::size_t original_events = 0;
  std::size_t events = 0;
  std::uint32_t replicas = 0;
  std::uint64_t tries = 0;     // over every seed's shrink
  double seconds = 0;          // of the whole step: every seed's shrink
  bool budget_spent = false;   // some seed's shrink was stopped by its budget
  std::string path;            // the shrunk scenario, written
  // The file read back and replayed (in a child, the mutant active): whether it failed the same
  // way, and how it ended.
  bool replays_same = false;
  SeedVerdict replay;
};

// A seed whose run failed: its profile and verdict.
struct FailingRun {
  std::uint64_t seed = 0;
  Options options;
  SeedVerdict verdict;
};

// The first failure of one mutant's seeds, or their whole budget without one.
struct Detection {
  const MutantInfo* mutant = nullptr;
  bool detected = false;
  // Seeds up to and including the first failing one (or the whole budget).
  std::uint64_t seeds_run = 0;
  // Wall time from the mutant's first seed to the end of its first failing one (or of the
  // budget when it survived).
  double seconds = 0;
  // The first failing run: its seed, profile and verdict.
  std::uint64_t seed = 0;
  Options options;
  SeedVerdict verdict;
  // The failing runs the shrink step shrinks: the first, then those of the next seeds that fail
  // with the same class (--shrink-seeds in all), found by `extra_seeds_run` more seeds after the
  // first failure. They do not count towards `seeds_run` and `seconds`.
  std::vector<FailingRun> failing;
  std::uint64_t extra_seeds_run = 0;
  ShrinkOutcome shrunk;

  // A failing run as a scenario (seed and options; replayed with the mutant active, it runs
  // exactly like the seed did): the input of a shrink.
  Scenario failing_scenario(const FailingRun& run) const {
    Scenario scenario;
    scenario.comment = std::string("mutant ") + mutant->name + ": " + run.verdict.failure_class +
                       "/" + run.verdict.checker;
    scenario.seed = run.seed;
    scenario.options = run.options;
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

[[noreturn]] void run_child(int result_fd, Mutant mutant,
                            const std::function<RunResult()>& body) {
  set_active_mutant(mutant);
  const RunResult result = body();
  nlohmann::json out = {{"failed", result.failure.has_value()}};
  if (result.failure) {
    out["class"] = failure_class_name(result.failure->failure_class);
    out["checker"] = result.failure->checker;
    out["message"] = first_line(result.failure->to_display());
    out["first_difference"] = result.failure->first_difference;
    out["gist"] = failure_gist(*result.failure);
  }
  write_all(result_fd, out.dump());
  close(result_fd);
  // No exit handlers: the parent's buffers and the leak checker are not the child's business.
  _exit(0);
}

// The verdict a child would report for `failure`; a crash of the system under test
// (sim/shrink.h: is_crash) is of class "crash".
SeedVerdict verdict_of(const Failure& failure) {
  return SeedVerdict{true,
                     is_crash(failure) ? "crash" : failure_class_name(failure.failure_class),
                     failure.checker,
                     first_line(failure.to_display()),
                     failure.first_difference,
                     failure_gist(failure)};
}

// What a child that did not report a result left on stderr: an assertion's or a sanitizer's
// report, or its last line, read as the shrinker reads a crashed candidate.
SeedVerdict crash_verdict(int status, const std::string& error_text) {
  const Failure crash = shrink_internal::crash_failure(status, error_text);
  SeedVerdict verdict = verdict_of(crash);
  verdict.message = crash.message;
  if (verdict.message.size() > 300) verdict.message.resize(300);
  return verdict;
}

// sim/shrink.h's same_failure, on verdicts: the same class, checker, first differing field and
// gist; tick, replica and the particulars of the message may differ.
bool same_verdict(const SeedVerdict& a, const SeedVerdict& b) {
  return a.failed && b.failed && a.failure_class == b.failure_class && a.checker == b.checker &&
         a.first_difference == b.first_difference && a.gist == b.gist;
}

// Runs `body` (a seed's run, or a scenario's replay) in a child process with `mutant` active,
// and says how it ended.
Result<SeedVerdict> run_in_child(Mutant mutant, const std::function<RunResult()>& body,
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
    run_child(result_pipe[1], mutant, body);
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
      verdict.first_difference = result.value("first_difference", "");
      verdict.gist = result.value("gist", "");
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
  // The shrink step picks the smallest of several failing runs of one class; one that hung is
  // not shrunk, and the seeds after it are not run (they may hang too).
  const std::uint64_t failing_wanted = options.shrink ? options.shrink_seeds : 1;
  for (std::uint64_t i = 0; i < options.seeds; ++i) {
    if (budget_seconds && elapsed() >= *budget_seconds) break;
    const std::uint64_t seed = first_seed + i;
    const Options profile =
        sweep_options(seed, /*swarm=*/true, options.safety_ticks, options.check_every);
    TS_ASSIGN_OR_RETURN(
        const SeedVerdict verdict,
        run_in_child(
            mutant.mutant, [&] { return Simulation(seed, profile).run(); },
            options.seed_timeout_seconds));
    if (detection.detected) {
      ++detection.extra_seeds_run;
    } else {
      ++detection.seeds_run;
    }
    if (!verdict.failed) continue;
    if (!detection.detected) {
      // Time to detect: to the end of the first failing seed.
      detection.detected = true;
      detection.seed = seed;
      detection.options = profile;
      detection.verdict = verdict;
      detection.seconds = elapsed();
    }
    if (verdict.failure_class == "hang") break;
    // Of the same class as the first failure, so that the row's class (and the exit status of
    // the shrunk file's replay) holds whichever is kept.
    if (verdict.failure_class == detection.verdict.failure_class) {
      detection.failing.push_back({seed, profile, verdict});
    }
    if (detection.failing.size() >= failing_wanted) break;
  }
  if (!detection.detected) detection.seconds = elapsed();
  return detection;
}

// The shrink step of a detected mutant: shrinks each of its failing runs with the mutant
// active (every candidate in a child process: a planted bug may break an assertion), keeps the
// smallest result (the earliest seed's among equals), writes it to `dir`/NAME.json, reads the
// file back and replays it in a child, which must fail the same way. The runs share the
// budget: each gets an equal part of what the ones before it left.
//
// Why several: how small a failure shrinks depends on the run it came from. One run's failure
// may need a long chain of edits (Lamport clocks raised step by step so that some ops arrive
// late) where another seed's run shows the same bug with a handful of events.
ShrinkOutcome shrink_detection(const Detection& detection, const MatrixOptions& options,
                               double budget_seconds, const std::string& dir) {
  ShrinkOutcome outcome;
  outcome.attempted = true;
  const auto started = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  std::optional<ShrinkResult> best;
  const FailingRun* best_run = nullptr;
  std::string first_error;
  for (std::size_t i = 0; i < detection.failing.size(); ++i) {
    const FailingRun& run = detection.failing[i];
    const double left = budget_seconds - elapsed();
    // Past the budget, a seed is shrunk only while none has been.
    if (left <= 0 && best) break;
    ShrinkOptions shrink_options;
    shrink_options.time_seconds =
        std::max(0.0, left) / static_cast<double>(detection.failing.size() - i);
    shrink_options.isolate = true;
    const auto shrink_started = std::chrono::steady_clock::now();
    Result<ShrinkResult> result = [&] {
      const ScopedMutant active(detection.mutant->mutant);
      return shrink_scenario(detection.failing_scenario(run), shrink_options);
    }();
    ShrinkAttempt attempt;
    attempt.seed = run.seed;
    attempt.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - shrink_started).count();
    if (!result.is_ok()) {
      attempt.error = result.status().message();
      if (first_error.empty()) first_error = attempt.error;
      outcome.attempts.push_back(std::move(attempt));
      continue;
    }
    attempt.original_events = result->original_event_count;
    attempt.events = result->scenario.events ? result->scenario.events->size() : 0;
    outcome.attempts.push_back(attempt);
    outcome.tries += result->tries;
    outcome.budget_spent = outcome.budget_spent || result->budget_spent;
    if (!best || attempt.events < best->scenario.events->size()) {
      best = *std::move(result);
      best_run = &run;
    }
  }
  outcome.seconds = elapsed();
  if (!best) {
    outcome.error = first_error;
    return outcome;
  }
  const ShrinkResult* result = &*best;
  outcome.seed = best_run->seed;
  outcome.verdict = best_run->verdict;
  outcome.original_events = result->original_event_count;
  outcome.events = result->scenario.events ? result->scenario.events->size() : 0;
  outcome.replicas = result->scenario.options.replica_count;
  outcome.path = (std::filesystem::path(dir) / (std::string(detection.mutant->name) + ".json"))
                     .string();
  if (Status status = write_scenario_file(outcome.path, result->scenario); !status.is_ok()) {
    outcome.error = status.message();
    outcome.path.clear();
    return outcome;
  }
  Result<Scenario> written = read_scenario_file(outcome.path);
  if (!written.is_ok()) {
    outcome.error = written.status().message();
    return outcome;
  }
  Result<SeedVerdict> replay = run_in_child(
      detection.mutant->mutant, [&] { return run_scenario(*written); },
      options.seed_timeout_seconds);
  if (!replay.is_ok()) {
    outcome.error = "its replay: " + replay.status().message();
    return outcome;
  }
  outcome.replay = *replay;
  outcome.replays_same = same_verdict(verdict_of(result->failure), outcome.replay);
  if (!outcome.replays_same) {
    outcome.error = "the shrunk file replays " +
                    (outcome.replay.failed ? "with " + outcome.replay.message
                                           : std::string("without a failure")) +
                    ", not with " + first_line(result->failure.to_display());
  }
  return outcome;
}

// One mutant's row of the matrix: detect, then shrink.
Result<Detection> evaluate_mutant(const MutantInfo& mutant, const MatrixOptions& options,
                                  std::uint64_t first_seed, std::optional<double> budget_seconds,
                                  std::optional<double> shrink_seconds,
                                  const std::string& shrink_dir) {
  TS_ASSIGN_OR_RETURN(Detection detection,
                      detect_mutant(mutant, options, first_seed, budget_seconds));
  if (detection.detected && shrink_seconds && detection.verdict.failure_class == "hang") {
    // Recording the run would hang the same way (the shrinker records without a timeout).
    detection.shrunk.attempted = true;
    detection.shrunk.error = "a hang is not shrunk";
  } else if (detection.detected && shrink_seconds) {
    detection.shrunk = shrink_detection(detection, options, *shrink_seconds, shrink_dir);
  }
  return detection;
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
  // Over the shrunk scenarios that replay the same way.
  std::size_t shrunk = 0;
  double shrunk_events_median = 0;
  double shrunk_events_max = 0;
  double shrink_seconds_median = 0;
  double shrink_seconds_max = 0;
};

double max_of(const std::vector<double>& values) {
  return values.empty() ? 0 : *std::max_element(values.begin(), values.end());
}

Summary summarize(const std::vector<Detection>& rows) {
  std::vector<double> seeds;
  std::vector<double> seconds;
  std::vector<double> shrunk_events;
  std::vector<double> shrink_seconds;
  for (const Detection& row : rows) {
    if (!row.detected) continue;
    seeds.push_back(static_cast<double>(row.seeds_run));
    seconds.push_back(row.seconds);
    if (row.shrunk.replays_same) {
      shrunk_events.push_back(static_cast<double>(row.shrunk.events));
      shrink_seconds.push_back(row.shrunk.seconds);
    }
  }
  Summary summary;
  summary.detected = seeds.size();
  summary.seeds_median = median(seeds);
  summary.seconds_median = median(seconds);
  summary.seeds_max = max_of(seeds);
  summary.seconds_max = max_of(seconds);
  summary.shrunk = shrunk_events.size();
  summary.shrunk_events_median = median(shrunk_events);
  summary.shrunk_events_max = max_of(shrunk_events);
  summary.shrink_seconds_median = median(shrink_seconds);
  summary.shrink_seconds_max = max_of(shrink_seconds);
  return summary;
}

// "7 events (of 1203), 2.1 s, smallest of 3 seeds", naming the seed and its failure when the
// smallest came from another seed than the first failing one; or why there is no shrunk
// scenario.
std::string shrunk_cell(const Detection& row) {
  const ShrinkOutcome& shrunk = row.shrunk;
  if (!shrunk.attempted) return "-";
  if (!shrunk.replays_same) return "not shrunk: " + shrunk.error;
  std::string cell = std::to_string(shrunk.events) + " events (of " +
                     std::to_string(shrunk.original_events) + ")";
  if (shrunk.seed != row.seed) {
    cell += " from seed " + seed_to_display(shrunk.seed) + " (" + shrunk.verdict.failure_class +
            "/" + shrunk.verdict.checker + ")";
  }
  cell += ", " + fixed(shrunk.seconds, 1) + " s";
  if (shrunk.attempts.size() > 1) {
    cell += ", smallest of " + std::to_string(shrunk.attempts.size()) + " seeds";
  }
  return cell + (shrunk.budget_spent ? ", budget spent" : "");
}

void print_table(const std::vector<Detection>& rows, const MatrixOptions& options) {
  std::cout << "| mutant | detected | seeds | seconds | seed | class/checker | shrunk | "
               "reproduce |\n"
            << "|---|---|---:|---:|---|---|---|---|\n";
  for (const Detection& row : rows) {
    std::string reproduce = "-";
    if (row.shrunk.replays_same) {
      reproduce = "`" + replay_command_line(row.shrunk.path) + " --mutant " + row.mutant->name +
                  "`";
    } else if (row.detected) {
      reproduce = "`" + reproduce_line(row, options) + "`";
    }
    std::string shrunk = shrunk_cell(row);
    // A table cell holds one line without pipes.
    std::replace(shrunk.begin(), shrunk.end(), '|', '/');
    std::replace(shrunk.begin(), shrunk.end(), '\n', ' ');
    std::cout << "| " << row.mutant->name << " | " << (row.detected ? "yes" : "**NO**") << " | "
              << row.seeds_run << " | " << fixed(row.seconds, 1) << " | "
              << (row.detected ? seed_to_display(row.seed) : "-") << " | "
              << (row.detected ? row.verdict.failure_class + "/" + row.verdict.checker : "-")
              << " | " << shrunk << " | " << reproduce << " |\n";
  }
  const Summary summary = summarize(rows);
  std::cout << "\ndetected " << summary.detected << "/" << rows.size()
            << "; seeds to detect: median " << fixed(summary.seeds_median, 1) << ", max "
            << fixed(summary.seeds_max, 0) << "; seconds to detect: median "
            << fixed(summary.seconds_median, 1) << ", max " << fixed(summary.seconds_max, 1)
            << " (safety ticks " << options.safety_ticks << ", at most " << options.seeds
            << " seeds" << (options.time.empty() ? "" : " and " + options.time)
            << " per mutant)\n";
  if (options.shrink) {
    std::cout << "shrunk " << summary.shrunk << "/" << summary.detected
              << " (replayed from the file, same failure); events: median "
              << fixed(summary.shrunk_events_median, 1) << ", max "
              << fixed(summary.shrunk_events_max, 0) << "; seconds to shrink: median "
              << fixed(summary.shrink_seconds_median, 1) << ", max "
              << fixed(summary.shrink_seconds_max, 1) << " (budget " << options.shrink_time
              << " per mutant, the smallest of up to " << options.shrink_seeds
              << " failing seeds)\n";
  }
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
      entry["extra_seeds_run"] = row.extra_seeds_run;
    }
    if (row.shrunk.attempted) {
      nlohmann::json shrunk = {{"replays_same", row.shrunk.replays_same}};
      if (!row.shrunk.error.empty()) shrunk["error"] = row.shrunk.error;
      if (row.shrunk.original_events > 0) {
        shrunk["seed"] = seed_to_display(row.shrunk.seed);
        shrunk["class"] = row.shrunk.verdict.failure_class;
        shrunk["checker"] = row.shrunk.verdict.checker;
        shrunk["original_events"] = row.shrunk.original_events;
        shrunk["events"] = row.shrunk.events;
        shrunk["replicas"] = row.shrunk.replicas;
        shrunk["tries"] = row.shrunk.tries;
        shrunk["seconds"] = row.shrunk.seconds;
        shrunk["budget_spent"] = row.shrunk.budget_spent;
      }
      nlohmann::json attempts = nlohmann::json::array();
      for (const ShrinkAttempt& attempt : row.shrunk.attempts) {
        nlohmann::json one = {{"seed", seed_to_display(attempt.seed)},
                              {"seconds", attempt.seconds}};
        if (attempt.error.empty()) {
          one["original_events"] = attempt.original_events;
          one["events"] = attempt.events;
        } else {
          one["error"] = attempt.error;
        }
        attempts.push_back(std::move(one));
      }
      shrunk["seeds"] = std::move(attempts);
      if (!row.shrunk.path.empty()) {
        shrunk["path"] = row.shrunk.path;
        shrunk["reproduce"] =
            replay_command_line(row.shrunk.path) + " --mutant " + row.mutant->name;
      }
      entry["shrunk"] = std::move(shrunk);
    }
    list.push_back(std::move(entry));
  }
  const Summary summary = summarize(rows);
  return {{"settings",
           {{"first_seed", options.first_seed},
            {"seeds_max", options.seeds},
            {"time", options.time},
            {"safety_ticks", options.safety_ticks},
            {"check_every", options.check_every},
            {"shrink", options.shrink},
            {"shrink_time", options.shrink_time},
            {"shrink_seeds", options.shrink_seeds}}},
          {"mutants", std::move(list)},
          {"summary",
           {{"mutants", rows.size()},
            {"detected", summary.detected},
            {"seeds_median", summary.seeds_median},
            {"seeds_max", summary.seeds_max},
            {"seconds_median", summary.seconds_median},
            {"seconds_max", summary.seconds_max},
            {"shrunk", summary.shrunk},
            {"shrunk_events_median", summary.shrunk_events_median},
            {"shrunk_events_max", summary.shrunk_events_max},
            {"shrink_seconds_median", summary.shrink_seconds_median},
            {"shrink_seconds_max", summary.shrink_seconds_max}}}};
}

// The directory the shrunk scenarios go to: `requested`, created if missing, or a fresh one
// under the system's temporary directory.
Result<std::string> shrink_directory(const std::string& requested) {
  std::error_code error;
  if (!requested.empty()) {
    std::filesystem::create_directories(requested, error);
    if (error) return Status::invalid_argument(requested + ": " + error.message());
    return requested;
  }
  std::string path =
      (std::filesystem::temp_directory_path(error) / "treesim-mutants-XXXXXX").string();
  if (error) return Status::internal("no temporary directory: " + error.message());
  if (mkdtemp(path.data()) == nullptr) {
    return Status::internal(path + ": " + std::strerror(errno));
  }
  return path;
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
  if (options.seeds == 0 || options.check_every == 0 || options.seed_timeout_seconds <= 0 ||
      options.shrink_seeds == 0) {
    std::cerr << "treesim mutants: --seeds, --check-every, --seed-timeout and --shrink-seeds "
                 "must be positive\n";
    return kExitBadInput;
  }
  std::optional<double> shrink_budget;
  std::string shrink_dir = options.out_dir;
  if (options.shrink) {
    Result<double> parsed = parse_duration(options.shrink_time);
    if (!parsed.is_ok()) {
      std::cerr << "treesim mutants: --shrink-time: " << parsed.status().message() << "\n";
      return kExitBadInput;
    }
    shrink_budget = *parsed;
    Result<std::string> dir = shrink_directory(options.out_dir);
    if (!dir.is_ok()) {
      std::cerr << "treesim mutants: --out-dir: " << dir.status().message() << "\n";
      return kExitBadInput;
    }
    shrink_dir = *dir;
    std::cerr << "shrunk scenarios go to " << shrink_dir << "\n";
  }

  std::vector<Detection> rows;
  for (const MutantInfo* mutant : selected) {
    Result<Detection> row =
        evaluate_mutant(*mutant, options, *first_seed, budget, shrink_budget, shrink_dir);
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
              << " after " << row->seeds_run << " seeds, " << fixed(row->seconds, 1) << " s";
    if (row->shrunk.attempted) std::cerr << "; shrunk: " << shrunk_cell(*row);
    std::cerr << "\n";
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
  if (exit_code == kExitSuccess) {
    // A shrunk scenario that replays differently from the run it came from is a harness bug
    // (the shrinker kept a candidate its replay does not reproduce).
    for (const Detection& row : rows) {
      if (row.shrunk.attempted && !row.shrunk.replays_same && !row.shrunk.path.empty()) {
        std::cerr << "treesim mutants: " << row.mutant->name << ": " << row.shrunk.error << "\n";
        exit_code = kExitInternal;
      }
    }
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
  command->add_flag("!--no-shrink", options->shrink,
                    "Only detect: do not shrink the failing runs");
  command->add_option("--shrink-time", options->shrink_time,
                      "Budget of each mutant's shrink step (90s, 10m)")
      ->capture_default_str();
  command->add_option("--shrink-seeds", options->shrink_seeds,
                      "Shrink the first failing seed and the next ones that fail with the same "
                      "class, this many in all (within --seeds and --time), and keep the smallest "
                      "scenario; the time to detect stays the time to the first failure")
      ->capture_default_str();
  command->add_option("--out-dir", options->out_dir,
                      "Write the shrunk scenarios here as MUTANT.json (default: a new directory "
                      "under the system's temporary directory)");
  command->callback([options, exit_code] { *exit_code = run_matrix(*options); });
}

}  // namespace treesim
