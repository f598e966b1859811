// Reports of sweeps and nightly runs.
//
// - The results file that `treesim sweep --results FILE` writes: one record per seed (the
//   report `treesim run --json` prints for it, plus its wall-clock seconds, when it finished
//   within the sweep, its exit code and, for a failure, the reproduce line) and the summary.
// - `treesim report merge`: the results of many machines (`--shard K/N`) as one file.
// - `treesim report render`: summary.md, a self-contained index.html (inline SVG, nothing
//   fetched from the network) and junit.xml, from a results file and, optionally, the nightly
//   run's fuzz statistics, clang's coverage summary (`llvm-cov export -summary-only`) and the
//   mutants matrix (`treesim mutants --json`).
// Wall-clock figures live only here: no run reads them, so they never change a trace.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace treesim::report {

inline constexpr const char* kResultsFormat = "treesim-results";
inline constexpr int kResultsVersion = 1;

// The summary of seed records: counts, the failures (seed, exit code, report line), rates over
// `seconds` of wall time with `jobs` workers, probe totals and the probes no seed hit. This is
// also what `treesim sweep --json` prints. Folded one record at a time, so a sweep of any
// length keeps only its failures in memory, not every seed's record.
class SummaryFold {
 public:
  void add(const nlohmann::json& record);
  nlohmann::json finish(double seconds, std::uint64_t jobs, bool verify_determinism) const;

 private:
  std::uint64_t seeds_ = 0;
  std::uint64_t failures_ = 0;
  std::uint64_t ops_ = 0;
  std::vector<std::uint64_t> probe_counts_;
  nlohmann::json failed_ = nlohmann::json::array();
};
nlohmann::json summarize(const nlohmann::json& seeds, double seconds, std::uint64_t jobs,
                         bool verify_determinism);

// The wall clock as "2026-11-24T16:05:09Z": when a report was made.
std::string utc_timestamp();

// A results file: {"format", "version", "created", "sweep": settings, "summary", "seeds"}.
nlohmann::json make_results(nlohmann::json settings, nlohmann::json seeds, double seconds,
                            std::uint64_t jobs, bool verify_determinism, std::string created);

// Writes a results file as the sweep goes: the header first, then each seed's record on a
// line of its own as it finishes, then the summary. The file is the same document
// make_results() builds (key order aside); nothing of a record stays in memory after add().
class ResultsWriter {
 public:
  // Creates (truncates) `path` and writes the header; an error names the path.
  static Result<ResultsWriter> create(const std::string& path, const nlohmann::json& settings,
                                      const std::string& created);
  ResultsWriter(ResultsWriter&&) noexcept;
  ResultsWriter& operator=(ResultsWriter&&) noexcept;
  ~ResultsWriter();

  Status add(const nlohmann::json& record);
  // Writes the summary, closes the file and reports any write that failed on the way.
  Status finish(const nlohmann::json& summary);

 private:
  ResultsWriter(std::FILE* file, std::string path) : file_(file), path_(std::move(path)) {}
  Status check(bool ok, const char* doing);

  std::FILE* file_ = nullptr;
  std::string path_;
  bool first_ = true;
};

// Checks the shape of a parsed results file; an error names `where` and the field.
Status validate_results(const nlohmann::json& results, const std::string& where);

// Results of the shards of a sweep as one: seeds in seed order (a seed in two parts is an
// error naming both), wall time the longest part's (the machines ran at the same time), jobs
// summed. `names` (file names) go into error messages and the merged file's "merged_from".
Result<nlohmann::json> merge_results(const std::vector<nlohmann::json>& parts,
                                     const std::vector<std::string>& names);

// Failures that are probably one bug: same class, checker and first differing snapshot field.
struct Bucket {
  std::string failure_class;
  std::string checker;
  std::string first_difference;
  std::vector<std::string> seeds;  // in seed order
  std::string reproduce;           // the first seed's
  std::string message;             // the first seed's, first line
};
std::vector<Bucket> bucket_failures(const nlohmann::json& results);

// What the nightly run adds to a sweep's results; each part is optional.
struct Extras {
  // {"seconds", "targets": [{"name", "runs", "exec_per_second", "corpus_before", "corpus_after",
  //   "crashes": [paths], "samples": [[runs, corpus size, exec/s], ...]}]}
  std::optional<nlohmann::json> fuzz;
  // `llvm-cov export -summary-only`: {"data": [{"files": [{"filename", "summary"}], "totals"}]}
  std::optional<nlohmann::json> coverage;
  // `treesim mutants --json FILE`
  std::optional<nlohmann::json> mutants;
};
// Checks the shape of each part that is present; an error names the part and the field.
Status validate_extras(const Extras& extras);

std::string render_markdown(const nlohmann::json& results, const Extras& extras);
std::string render_html(const nlohmann::json& results, const Extras& extras);
// One test suite per part: every seed a test case (a failing seed a <failure> with its report
// and reproduce line), every fuzz target one (a crash fails it), every mutant one (a mutant
// that survived fails it).
std::string render_junit(const nlohmann::json& results, const Extras& extras);

}  // namespace treesim::report
