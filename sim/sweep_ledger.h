// The sweep ledger: one line per finished seed, appended as each seed ends, so that a sweep too
// long for one sitting (ten thousand swarm seeds, each run twice, is hours of a small machine)
// can be stopped at any moment and resumed where it was, and so that its results can be kept
// beside the code that produced them.
//
//   # treesim sweep ledger 1
//   # settings: swarm=true safety_ticks=300 check_every=1 verify_determinism=true mutant=- sut=in-process
//   # seed trace_hash exit_code ops_delivered seconds
//   0x0000000000000001 0x602375a47268363b 0 1477 0.42
//
// A resumed sweep (`treesim sweep --seeds A..B --ledger FILE`) runs only the seeds the ledger
// does not hold. Results of one build are only worth adding to those of another if both
// builds behave the same, so before it runs anything the sweep re-runs a few recorded seeds and
// requires the recorded trace hashes: a build that changed any behaviour a seed reaches (the
// simulator's choices, the materializer's calls on the store, the SQLite page writes a storage
// fault counts) stops with an error instead of mixing its results in.
//
// Ledgers of several machines (`--shard K/N`) merge by concatenating their seed lines; a seed
// recorded twice must have the same result both times.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace treesim {

struct LedgerEntry {
  std::uint64_t seed = 0;
  std::uint64_t trace_hash = 0;
  int exit_code = 0;  // sim/exit_codes.h: 0 passed
  std::uint64_t ops_delivered = 0;
  double seconds = 0;  // wall clock, both runs with verify_determinism; informative only

  friend bool operator==(const LedgerEntry&, const LedgerEntry&) = default;
};

// The line of one entry (no newline), and its parse. Errors say which field is wrong.
std::string ledger_line(const LedgerEntry& entry);
Result<LedgerEntry> parse_ledger_line(std::string_view line);

// What a ledger holds, read without changing the file (a sweep may be appending to it).
struct LedgerContents {
  std::map<std::uint64_t, LedgerEntry> entries;
  // The file ended in a line without its newline (a write in progress, or cut short): left out.
  bool incomplete_last_line = false;
};
// Reads the ledger at `path`, which must exist and have been written with `settings`; errors as
// for SweepLedger::open.
Result<LedgerContents> read_ledger(const std::string& path, const std::string& settings);

// How far a ledger has come over a sweep's seeds (`seed_count` of them, the i-th `seed_at(i)`).
struct LedgerStatus {
  std::uint64_t seeds = 0;     // in the sweep
  std::uint64_t recorded = 0;  // of those, in the ledger
  std::optional<std::uint64_t> first_missing;
  std::uint64_t ops_delivered = 0;  // over the recorded seeds
  // Recorded seconds per seed (nearest-rank percentiles); 0 with nothing recorded.
  double median_seconds = 0;
  double p90_seconds = 0;
  double mean_seconds = 0;
  double max_seconds = 0;
  double total_seconds = 0;
  std::vector<LedgerEntry> failures;  // recorded seeds that did not pass, in seed order
};
LedgerStatus ledger_status(const std::map<std::uint64_t, LedgerEntry>& entries,
                           std::uint64_t seed_count,
                           const std::function<std::uint64_t(std::uint64_t)>& seed_at);

class SweepLedger {
 public:
  // Opens the ledger at `path`, creating it with `settings` (space-separated key=value words)
  // when there is no file. An existing ledger must have been written with the same settings;
  // an error names the path, the line and the problem (a setting that differs names both
  // values). A last line without its newline (a write cut short) is dropped from the file, and
  // `repaired` says so: that seed simply runs again.
  static Result<SweepLedger> open(const std::string& path, const std::string& settings,
                                  bool* repaired = nullptr);

  SweepLedger(SweepLedger&& other) noexcept;
  SweepLedger& operator=(SweepLedger&&) = delete;
  SweepLedger(const SweepLedger&) = delete;
  ~SweepLedger();

  const std::string& path() const { return path_; }
  // Every recorded seed, in seed order.
  const std::map<std::uint64_t, LedgerEntry>& entries() const { return entries_; }
  bool contains(std::uint64_t seed) const { return entries_.count(seed) != 0; }

  // Up to `count` recorded seeds that passed, spread evenly over them in seed order (the first
  // and the last included): the seeds a resumed sweep re-runs to check that this build gives
  // the recorded trace hashes.
  std::vector<LedgerEntry> sample_of_passed(std::size_t count) const;

  // Appends the entry's line and flushes it. A seed already recorded is an error.
  Status append(const LedgerEntry& entry);

 private:
  SweepLedger(std::string path, std::FILE* file, std::map<std::uint64_t, LedgerEntry> entries)
      : path_(std::move(path)), file_(file), entries_(std::move(entries)) {}

  std::string path_;
  std::FILE* file_ = nullptr;  // opened for appending
  std::map<std::uint64_t, LedgerEntry> entries_;
};

}  // namespace treesim
