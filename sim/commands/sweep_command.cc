#include "sim/commands/sweep_command.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sim/commands/mutant_option.h"
#include "sim/commands/run_command.h"
#include "sim/exit_codes.h"
#include "sim/report.h"
#include "sim/simulation.h"
#include "sim/sweep_ledger.h"

namespace treesim {
namespace {

struct SweepOptions {
  std::string seeds = "1..100";
  bool swarm = true;
  std::uint32_t jobs = 1;
  std::string shard = "1/1";
  std::uint64_t safety_ticks = Options{}.safety_ticks;
  std::uint32_t check_every = 1;
  // A wall-clock budget ("90s", "10m", "2h"): no seed starts after it. Without --seeds the
  // range is then open-ended from 1.
  std::string time;
  bool seeds_given = false;
  bool json = false;
  // Run every seed that passes a second time and compare the trace hashes.
  bool verify_determinism = false;
  std::string mutant;  // a planted bug to run with (materializer/mutants.h); empty: none
  SutOptions sut;      // the system under test (sim/commands/sut_option.h)
  // Where to write every seed's record and the summary (sim/report.h); empty: nowhere.
  std::string results_path;
  // The ledger to resume from and append to (sim/sweep_ledger.h); empty: none.
  std::string ledger_path;
  // Report how far the ledger has come over --seeds instead of running anything.
  bool status = false;
};

// Recorded seeds a resumed sweep re-runs to check that this build gives their trace hashes.
constexpr std::size_t kLedgerSample = 4;
// A ledger sweep lists its pending seeds up front.
constexpr std::uint64_t kLedgerMaxSeeds = 10'000'000;

struct SeedOutcome {
  std::uint64_t seed = 0;
  int exit_code = 0;
  std::string line;  // empty, or the failure and its reproduce line
  std::uint64_t ops_delivered = 0;
  Probes probes;
  // The seed's record for --results: `treesim run --json`'s report of it, its wall-clock
  // seconds and the sweep's reproduce line.
  nlohmann::json record;
};

Result<std::pair<std::uint64_t, std::uint64_t>> parse_range(const std::string& text) {
  const auto dots = text.find("..");
  if (dots == std::string::npos) return Status::invalid_argument("--seeds: expected A..B");
  try {
    std::size_t used_first = 0;
    std::size_t used_last = 0;
    const std::string first = text.substr(0, dots);
    const std::string last = text.substr(dots + 2);
    const auto a = std::stoull(first, &used_first, 0);
    const auto b = std::stoull(last, &used_last, 0);
    if (used_first != first.size() || used_last != last.size() || a > b) throw std::exception();
    return std::make_pair(static_cast<std::uint64_t>(a), static_cast<std::uint64_t>(b));
  } catch (const std::exception&) {
    return Status::invalid_argument("--seeds: '" + text + "' is not a range A..B with A <= B");
  }
}

Result<std::pair<std::uint64_t, std::uint64_t>> parse_shard(const std::string& text) {
  unsigned long long k = 0;
  unsigned long long n = 0;
  char slash = 0;
  std::istringstream in(text);
  if (!(in >> k >> slash >> n) || slash != '/' || !in.eof() || n == 0 || k == 0 || k > n) {
    return Status::invalid_argument("--shard: '" + text + "' is not K/N with 1 <= K <= N");
  }
  return std::make_pair(static_cast<std::uint64_t>(k), static_cast<std::uint64_t>(n));
}

// The command that reproduces one seed of this sweep.
std::string reproduce_command(std::uint64_t seed, const SweepOptions& sweep,
                              const SystemChoice& systems) {
  return "treesim run --seed " + seed_to_display(seed) + (sweep.swarm ? " --swarm" : "") +
         (sweep.safety_ticks != Options{}.safety_ticks
              ? " --safety-ticks " + std::to_string(sweep.safety_ticks)
              : "") +
         (sweep.check_every != 1 ? " --check-every " + std::to_string(sweep.check_every) : "") +
         (sweep.verify_determinism ? " --verify-determinism" : "") + mutant_flag() +
         systems.flags();
}

// The settings a ledger is bound to: everything that decides what a seed does, except the
// build, which the re-run sample checks.
std::string ledger_settings(const SweepOptions& sweep) {
  return std::string("swarm=") + (sweep.swarm ? "true" : "false") +
         " safety_ticks=" + std::to_string(sweep.safety_ticks) +
         " check_every=" + std::to_string(sweep.check_every) +
         " verify_determinism=" + (sweep.verify_determinism ? "true" : "false") +
         " mutant=" + (sweep.mutant.empty() ? "-" : sweep.mutant) + " sut=" + sweep.sut.kind;
}

SeedOutcome run_seed(std::uint64_t seed, const SweepOptions& sweep, const SystemChoice& systems) {
  const Options options = sweep_options(seed, sweep.swarm, sweep.safety_ticks, sweep.check_every);
  const auto started = std::chrono::steady_clock::now();
  const RunReport report =
      run_and_verify(seed, options, sweep.verify_determinism, [&] {
        return systems.finish(Simulation(seed, options, systems.factory()).run());
      });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const RunResult& result = report.result;
  SeedOutcome outcome;
  outcome.seed = seed;
  outcome.ops_delivered = result.stats.ops_delivered;
  outcome.probes = result.probes;
  outcome.record = run_report_to_json(report);
  outcome.record["seconds"] = seconds;
  if (report.failure) {
    outcome.exit_code = failure_exit_code(report.failure->failure_class);
    std::string message = report.failure->to_display();
    if (auto newline = message.find('\n'); newline != std::string::npos) message.resize(newline);
    const std::string reproduce = reproduce_command(seed, sweep, systems);
    outcome.line = "seed " + seed_to_display(seed) + " FAILED " + message +
                   "\n  reproduce: " + reproduce;
    outcome.record["reproduce"] = reproduce;
    outcome.record["report"] = outcome.line;
    outcome.record.erase("reproduce_also");
  }
  outcome.record["exit_code"] = outcome.exit_code;
  return outcome;
}

// Worker protocol over a pipe: one JSON object per seed, on one line.
void write_outcome(FILE* out, const SeedOutcome& outcome) {
  std::vector<std::uint64_t> probes(kProbeCount);
  for (std::size_t i = 0; i < kProbeCount; ++i) probes[i] = outcome.probes.count(static_cast<Probe>(i));
  const nlohmann::json line = {{"seed", outcome.seed},      {"exit_code", outcome.exit_code},
                               {"line", outcome.line},      {"ops", outcome.ops_delivered},
                               {"probes", probes},          {"record", outcome.record}};
  std::fprintf(out, "%s\n", line.dump().c_str());
  std::fflush(out);
}

bool read_outcome(FILE* in, SeedOutcome& outcome) {
  std::string text;
  int c = 0;
  while ((c = std::fgetc(in)) != EOF && c != '\n') text.push_back(static_cast<char>(c));
  if (text.empty()) return false;
  const nlohmann::json line = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (line.is_discarded() || !line.is_object()) return false;
  outcome.seed = line.value("seed", std::uint64_t{0});
  outcome.exit_code = line.value("exit_code", kExitInternal);
  outcome.line = line.value("line", std::string());
  outcome.ops_delivered = line.value("ops", std::uint64_t{0});
  const nlohmann::json probes = line.value("probes", nlohmann::json::array());
  for (std::size_t i = 0; i < kProbeCount && i < probes.size(); ++i) {
    outcome.probes.hit(static_cast<Probe>(i), probes[i].get<std::uint64_t>());
  }
  outcome.record = line.value("record", nlohmann::json::object());
  return true;
}

std::string with_thousands(std::uint64_t value) {
  std::string digits = std::to_string(value);
  for (std::size_t at = digits.size(); at > 3; at -= 3) digits.insert(at - 3, ",");
  return digits;
}

std::string one_decimal(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

// `--ledger FILE --status`: how far the ledger has come over this sweep's seeds, without running
// any or writing to the file (a sweep may be appending to it). Exits like a resumed sweep that
// ran nothing: the first recorded failure's code, else 0.
int ledger_status_report(const SweepOptions& options, const SystemChoice& systems,
                         std::uint64_t seed_count,
                         const std::function<std::uint64_t(std::uint64_t)>& seed_at) {
  auto contents = read_ledger(options.ledger_path, ledger_settings(options));
  if (!contents.is_ok()) {
    std::cerr << "treesim sweep: --ledger " << contents.status().message() << "\n";
    return kExitBadInput;
  }
  const LedgerStatus status = ledger_status(contents->entries, seed_count, seed_at);
  const std::uint64_t left = status.seeds - status.recorded;
  // Seconds are wall clock per seed, so with `jobs` workers about `jobs` seeds run at once.
  const double hours_left =
      status.mean_seconds * static_cast<double>(left) / static_cast<double>(options.jobs) / 3600.0;
  if (options.json) {
    nlohmann::json failures = nlohmann::json::array();
    for (const LedgerEntry& entry : status.failures) {
      failures.push_back({{"seed", seed_to_display(entry.seed)},
                          {"exit_code", entry.exit_code},
                          {"reproduce", reproduce_command(entry.seed, options, systems)}});
    }
    const nlohmann::json out = {
        {"path", options.ledger_path},
        {"seeds_in_range", status.seeds},
        {"recorded", status.recorded},
        {"failed", status.failures.size()},
        {"failures", failures},
        {"first_missing", status.first_missing
                              ? nlohmann::json(seed_to_display(*status.first_missing))
                              : nlohmann::json(nullptr)},
        {"ops_delivered", status.ops_delivered},
        {"seconds_per_seed",
         {{"median", status.median_seconds},
          {"p90", status.p90_seconds},
          {"mean", status.mean_seconds},
          {"max", status.max_seconds},
          {"total", status.total_seconds}}},
        {"hours_left_at_jobs", hours_left},
        {"jobs", options.jobs},
        {"incomplete_last_line", contents->incomplete_last_line}};
    std::cout << out.dump(2) << std::endl;
  } else {
    std::cout << "ledger " << options.ledger_path << ": " << with_thousands(status.recorded)
              << " of " << with_thousands(status.seeds) << " seeds recorded, "
              << status.failures.size() << " failed\n";
    if (status.recorded > 0) {
      std::cout << "  ops delivered: " << with_thousands(status.ops_delivered) << "\n"
                << "  seconds per seed (wall clock, as recorded): median "
                << one_decimal(status.median_seconds) << ", p90 " << one_decimal(status.p90_seconds)
                << ", mean " << one_decimal(status.mean_seconds) << ", max "
                << one_decimal(status.max_seconds) << "\n";
    }
    if (status.first_missing) {
      std::cout << "  left: " << with_thousands(left) << " seeds, the first "
                << seed_to_display(*status.first_missing);
      if (status.recorded > 0) {
        std::cout << "; about " << one_decimal(hours_left) << " hours at --jobs " << options.jobs
                  << " and the mean seconds per seed";
      }
      std::cout << "\n";
    } else {
      std::cout << "  every seed is recorded\n";
    }
    if (contents->incomplete_last_line) {
      std::cout << "  the last line is incomplete (a sweep is writing it, or was interrupted): "
                   "left out\n";
    }
    for (const LedgerEntry& entry : status.failures) {
      std::cout << "seed " << seed_to_display(entry.seed) << " FAILED (exit " << entry.exit_code
                << ", as recorded in the ledger)\n  reproduce: "
                << reproduce_command(entry.seed, options, systems) << "\n";
    }
  }
  return status.failures.empty() ? kExitSuccess : status.failures.front().exit_code;
}

int sweep(const SweepOptions& options) {
  if (Status status = activate_mutant(options.mutant); !status.is_ok()) {
    std::cerr << "treesim sweep: " << status.message() << "\n";
    return kExitBadInput;
  }
  auto systems = SystemChoice::from_options(options.sut);
  if (!systems.is_ok()) {
    std::cerr << "treesim sweep: " << systems.status().message() << "\n";
    return kExitBadInput;
  }
  const bool open_ended = !options.time.empty() && !options.seeds_given;
  auto range = parse_range(open_ended ? "1..9223372036854775807" : options.seeds);
  auto shard = parse_shard(options.shard);
  Result<double> budget = options.time.empty() ? Result<double>(0.0) : parse_duration(options.time);
  for (const Status* status : {&range.status(), &shard.status(), &budget.status()}) {
    if (!status->is_ok()) {
      std::cerr << "treesim sweep: " << status->message() << "\n";
      return kExitBadInput;
    }
  }
  if (options.jobs == 0) {
    std::cerr << "treesim sweep: --jobs must be at least 1\n";
    return kExitBadInput;
  }
  // This shard's seeds: the i-th is first + i * N + (K - 1), while it is in the range.
  const auto [first, last] = *range;
  const auto [k, n] = *shard;
  const std::uint64_t shard_count = last - first < k - 1 ? 0 : (last - first - (k - 1)) / n + 1;
  auto shard_seed = [&, first = first, k = k, n = n](std::uint64_t i) {
    return first + i * n + (k - 1);
  };

  if (options.status) {
    if (options.ledger_path.empty() || open_ended) {
      std::cerr << "treesim sweep: --status needs --ledger FILE and --seeds A..B\n";
      return kExitBadInput;
    }
    return ledger_status_report(options, *systems, shard_count, shard_seed);
  }

  // With a ledger: check this build against it, and run only the seeds it does not hold.
  std::optional<SweepLedger> ledger;
  std::vector<std::uint64_t> pending;
  nlohmann::json ledger_summary;
  if (!options.ledger_path.empty()) {
    if (open_ended) {
      std::cerr << "treesim sweep: --ledger needs --seeds A..B (the range the ledger fills)\n";
      return kExitBadInput;
    }
    if (shard_count > kLedgerMaxSeeds) {
      std::cerr << "treesim sweep: --ledger takes at most " << kLedgerMaxSeeds
                << " seeds per shard; --seeds " << options.seeds << " --shard " << options.shard
                << " has " << shard_count << "\n";
      return kExitBadInput;
    }
    bool repaired = false;
    auto opened = SweepLedger::open(options.ledger_path, ledger_settings(options), &repaired);
    if (!opened.is_ok()) {
      std::cerr << "treesim sweep: --ledger " << opened.status().message() << "\n";
      return kExitBadInput;
    }
    ledger.emplace(std::move(*opened));
    if (repaired) {
      std::cerr << "treesim sweep: --ledger " << options.ledger_path
                << ": dropped an incomplete last line (an interrupted write); that seed runs "
                   "again\n";
    }
    SweepOptions once = options;
    once.verify_determinism = false;
    nlohmann::json verified = nlohmann::json::array();
    const std::vector<LedgerEntry> sample = ledger->sample_of_passed(kLedgerSample);
    if (!sample.empty() && isatty(STDERR_FILENO) != 0) {
      std::cerr << "re-running " << sample.size()
                << " recorded seeds to check this build's trace hashes...\n";
    }
    for (const LedgerEntry& recorded : sample) {
      const SeedOutcome again = run_seed(recorded.seed, once, *systems);
      const std::string hash = again.record.value("trace_hash", std::string());
      if (again.exit_code != kExitSuccess || hash != seed_to_display(recorded.trace_hash)) {
        std::cerr << "treesim sweep: --ledger " << options.ledger_path << ": seed "
                  << seed_to_display(recorded.seed) << " was recorded passing with trace hash "
                  << seed_to_display(recorded.trace_hash) << ", but on this build it "
                  << (again.exit_code != kExitSuccess ? "fails (" + again.line + ")"
                                                      : "runs to trace hash " + hash)
                  << ". The ledger's results were produced by a build that behaves differently: "
                     "start a new ledger, or resume with the build that wrote it.\n";
        return kExitNondeterminism;
      }
      verified.push_back(seed_to_display(recorded.seed));
    }
    for (std::uint64_t i = 0; i < shard_count; ++i) {
      if (!ledger->contains(shard_seed(i))) pending.push_back(shard_seed(i));
    }
    ledger_summary = {{"path", options.ledger_path},
                      {"recorded_before", ledger->entries().size()},
                      {"verified_seeds", verified}};
  }
  const std::uint64_t count = ledger ? pending.size() : shard_count;
  auto seed_at = [&](std::uint64_t i) { return ledger ? pending[i] : shard_seed(i); };
  // The results file is written as seeds finish (a record per line), so a sweep of any length
  // holds only its failures in memory; opening it first also reports a bad path at once.
  std::optional<report::ResultsWriter> results;
  if (!options.results_path.empty()) {
    const nlohmann::json settings = {{"seeds", open_ended ? std::string("1 upward") : options.seeds},
                                     {"time", options.time},
                                     {"shard", options.shard},
                                     {"swarm", options.swarm},
                                     {"safety_ticks", options.safety_ticks},
                                     {"check_every", options.check_every},
                                     {"mutant", options.mutant},
                                     {"verify_determinism", options.verify_determinism}};
    auto writer = report::ResultsWriter::create(options.results_path, settings,
                                                report::utc_timestamp());
    if (!writer.is_ok()) {
      std::cerr << "treesim sweep: --results: " << writer.status().message() << "\n";
      return kExitBadInput;
    }
    results.emplace(std::move(*writer));
  }
  Status results_status;
  Status ledger_status;

  // The wall clock feeds the progress line, the rate and the --time budget; it never reaches a
  // run, so every seed that runs gives the same result as `treesim run` of it.
  const auto started = std::chrono::steady_clock::now();
  const bool time_limited = !options.time.empty();
  auto seconds_so_far = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  auto may_start = [&] { return !time_limited || seconds_so_far() < *budget; };
  const bool terminal = isatty(STDERR_FILENO) != 0;
  std::uint64_t done = 0;
  std::uint64_t failures = 0;
  int first_failure_code = kExitSuccess;
  report::SummaryFold summary_fold;
  auto account = [&](SeedOutcome& outcome) {
    ++done;
    outcome.record["finished_at"] = seconds_so_far();
    summary_fold.add(outcome.record);
    if (results && results_status.is_ok()) results_status = results->add(outcome.record);
    if (ledger && ledger_status.is_ok()) {
      LedgerEntry entry;
      entry.seed = outcome.seed;
      auto hash = seed_from_text(outcome.record.value("trace_hash", std::string()));
      entry.trace_hash = hash.is_ok() ? *hash : 0;
      entry.exit_code = outcome.exit_code;
      entry.ops_delivered = outcome.ops_delivered;
      entry.seconds = outcome.record.value("seconds", 0.0);
      ledger_status = hash.is_ok() ? ledger->append(entry) : hash.status();
    }
    if (outcome.exit_code != kExitSuccess) {
      ++failures;
      if (first_failure_code == kExitSuccess) first_failure_code = outcome.exit_code;
      if (terminal) std::cerr << "\r\033[K";
      if (!options.json) std::cout << outcome.line << std::endl;
    }
    if (terminal) {
      const double seconds = seconds_so_far();
      std::fprintf(stderr, "\r%llu seeds, %llu failed, %.1f seeds/s",
                   static_cast<unsigned long long>(done),
                   static_cast<unsigned long long>(failures), seconds > 0 ? done / seconds : 0.0);
    }
  };

  const std::uint32_t jobs =
      static_cast<std::uint32_t>(std::min<std::uint64_t>(options.jobs, std::max<std::uint64_t>(count, 1)));
  if (jobs == 1) {
    for (std::uint64_t i = 0; i < count && may_start(); ++i) {
      SeedOutcome outcome = run_seed(seed_at(i), options, *systems);
      account(outcome);
    }
  } else {
    std::vector<FILE*> pipes;
    std::vector<pid_t> children;
    for (std::uint32_t worker = 0; worker < jobs; ++worker) {
      int fds[2];
      if (pipe(fds) != 0) {
        std::perror("treesim sweep: pipe");
        return kExitInternal;
      }
      const pid_t pid = fork();
      if (pid < 0) {
        std::perror("treesim sweep: fork");
        return kExitInternal;
      }
      if (pid == 0) {
        close(fds[0]);
        FILE* out = fdopen(fds[1], "w");
        for (std::uint64_t i = worker; i < count && may_start(); i += jobs) {
          write_outcome(out, run_seed(seed_at(i), options, *systems));
        }
        std::fclose(out);
        _exit(0);
      }
      close(fds[1]);
      pipes.push_back(fdopen(fds[0], "r"));
      children.push_back(pid);
    }
    // Read the workers round-robin in seed order, so output order does not depend on timing
    // (with --time, workers stop at slightly different seeds; the last ones are read as they end).
    std::vector<bool> finished(jobs, false);
    std::uint32_t open_workers = jobs;
    for (std::uint64_t i = 0; open_workers > 0 && i < count; ++i) {
      const std::uint32_t worker = static_cast<std::uint32_t>(i % jobs);
      if (finished[worker]) continue;
      SeedOutcome outcome;
      if (!read_outcome(pipes[worker], outcome)) {
        finished[worker] = true;
        --open_workers;
        continue;
      }
      account(outcome);
    }
    for (FILE* pipe : pipes) std::fclose(pipe);
    for (std::uint32_t worker = 0; worker < jobs; ++worker) {
      int status = 0;
      waitpid(children[worker], &status, 0);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (terminal) std::cerr << "\r\033[K";
        std::cerr << "treesim sweep: worker " << worker << " died (status " << status << ")\n";
        first_failure_code = kExitInternal;
      }
    }
  }
  if (terminal) std::cerr << "\n";
  const double seconds = seconds_so_far();
  nlohmann::json summary = summary_fold.finish(seconds, jobs, options.verify_determinism);
  std::vector<std::string> recorded_failures;
  if (ledger) {
    if (!ledger_status.is_ok()) {
      std::cerr << "treesim sweep: --ledger " << ledger_status.message() << "\n";
      return kExitInternal;
    }
    // The ledger stands for the whole range: a failure recorded by an earlier sitting still
    // fails it (this sitting's failures were printed as they came).
    std::uint64_t recorded = 0;
    std::uint64_t failed = 0;
    nlohmann::json failed_seeds = nlohmann::json::array();
    for (std::uint64_t i = 0; i < shard_count; ++i) {
      auto it = ledger->entries().find(shard_seed(i));
      if (it == ledger->entries().end()) continue;
      ++recorded;
      if (it->second.exit_code == kExitSuccess) continue;
      ++failed;
      failed_seeds.push_back(seed_to_display(it->first));
      if (first_failure_code == kExitSuccess) first_failure_code = it->second.exit_code;
      if (std::binary_search(pending.begin(), pending.end(), it->first)) continue;
      recorded_failures.push_back("seed " + seed_to_display(it->first) + " FAILED (exit " +
                                  std::to_string(it->second.exit_code) +
                                  ", as recorded in the ledger)\n  reproduce: " +
                                  reproduce_command(it->first, options, *systems));
    }
    ledger_summary["seeds_in_range"] = shard_count;
    ledger_summary["recorded"] = recorded;
    ledger_summary["failed"] = failed;
    ledger_summary["failed_seeds"] = failed_seeds;
    ledger_summary["recorded_after"] = ledger->entries().size();
    summary["ledger"] = ledger_summary;
  }
  if (results) {
    if (results_status.is_ok()) results_status = results->finish(summary);
    if (!results_status.is_ok()) {
      std::cerr << "treesim sweep: --results: " << results_status.message() << "\n";
      return kExitInternal;
    }
  }
  if (options.json) {
    std::cout << summary.dump(2) << "\n";
    return first_failure_code;
  }
  for (const std::string& line : recorded_failures) std::cout << line << "\n";
  std::cout << done << " seeds, " << failures << " failed, " << summary["ops_delivered"]
            << " ops delivered in " << static_cast<long long>(seconds * 1000) / 1000.0
            << " s\nprobes:";
  for (std::size_t i = 0; i < kProbeCount; ++i) {
    const std::string name = probe_name(static_cast<Probe>(i));
    std::cout << (i % 4 == 0 ? "\n  " : "  ") << name << "=" << summary["probes"][name];
  }
  std::cout << "\n";
  if (!summary["probes_not_hit"].empty()) {
    std::cout << "probes not hit:";
    for (const auto& name : summary["probes_not_hit"]) std::cout << " " << name.get<std::string>();
    std::cout << "\n";
  }
  if (options.verify_determinism) {
    std::cout << "determinism: every passing seed ran twice with the same trace hash\n";
  }
  if (ledger) {
    std::cout << "ledger " << options.ledger_path << ": " << ledger_summary["recorded"] << " of "
              << shard_count << " seeds recorded, " << ledger_summary["failed"] << " failed";
    if (!ledger_summary["verified_seeds"].empty()) {
      std::cout << "; this build re-ran " << ledger_summary["verified_seeds"].size()
                << " recorded seeds to the same trace hashes";
    }
    std::cout << "\n";
  }
  return first_failure_code;
}

}  // namespace

Result<double> parse_duration(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const std::string unit = text.substr(digits);
  const double scale = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : 0;
  if (digits == 0 || digits > 9 || scale == 0) {
    return Status::invalid_argument("--time: '" + text +
                                    "' is not a duration such as 90s, 10m or 2h");
  }
  return std::stod(text.substr(0, digits)) * scale;
}

Options sweep_options(std::uint64_t seed, bool swarm, std::uint64_t safety_ticks,
                      std::uint32_t check_every) {
  Options options;
  if (swarm) {
    Rng profile = Rng(seed).fork("swarm");
    options = Options::swarm(profile);
  }
  options.safety_ticks = safety_ticks;
  options.check_every = check_every;
  TS_ASSERT(options.normalize().is_ok());
  return options;
}

void register_sweep_command(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<SweepOptions>();
  CLI::App* command = app.add_subcommand("sweep", "Run many seeds and report failures");
  command->add_option("--seeds", options->seeds, "Seed range A..B (inclusive)")
      ->capture_default_str()
      ->each([options](const std::string&) { options->seeds_given = true; });
  command->add_option("--time", options->time,
                      "Stop starting seeds after this long (90s, 10m, 2h); without --seeds, "
                      "seeds run from 1 upward");
  command->add_flag("--json", options->json, "Print the summary (failures, rates, probes) as JSON");
  command->add_option("--jobs", options->jobs, "Worker processes")->capture_default_str();
  command->add_option("--shard", options->shard, "Run only seeds K of every N (K/N), for many machines")
      ->capture_default_str();
  command->add_option("--safety-ticks", options->safety_ticks, "Ticks of each run's safety phase")
      ->capture_default_str();
  command->add_option("--check-every", options->check_every, "Check every N steps")
      ->capture_default_str();
  command->add_flag("--swarm,!--no-swarm", options->swarm, "Draw a fault profile per seed")
      ->capture_default_str();
  command->add_flag("--verify-determinism", options->verify_determinism,
                    "Run each passing seed twice; a different trace hash fails it (exit 14)");
  command->add_option("--results", options->results_path,
                      "Write every seed's record and the summary to this JSON file (treesim "
                      "report merge and render read it)");
  command->add_option("--ledger", options->ledger_path,
                      "Resume from and append to this ledger of finished seeds (one line each): "
                      "only seeds it lacks run, after a few recorded ones re-run to their "
                      "recorded trace hashes; needs --seeds");
  command->add_flag("--status", options->status,
                    "With --ledger and --seeds: report how far the ledger has come (seeds "
                    "recorded and left, failures with their reproduce lines, seconds per seed, "
                    "hours left at --jobs) without running a seed or writing to the ledger");
  add_mutant_option(*command, options->mutant);
  add_sut_options(*command, options->sut);
  command->callback([options, exit_code] { *exit_code = sweep(*options); });
}

}  // namespace treesim
