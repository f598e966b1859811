#include "sim/sweep_ledger.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <optional>
#include <sstream>
#include <utility>

#include "core/json_values.h"
#include "sim/file_io.h"
#include "sim/simulation.h"

namespace treesim {
namespace {

constexpr std::string_view kMagic = "# treesim sweep ledger 1";
constexpr std::string_view kSettingsPrefix = "# settings: ";
constexpr std::string_view kColumns = "# seed trace_hash exit_code ops_delivered seconds";

std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t end = std::min(text.find(' ', at), text.size());
    if (end > at) words.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return words;
}

Result<std::uint64_t> parse_unsigned(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return Status::invalid_argument("'" + json::printable(text) +
                                    "' is not an unsigned decimal number");
  }
  return value;
}

// The key=value words of a settings line, by key.
std::map<std::string, std::string> settings_by_key(std::string_view settings) {
  std::map<std::string, std::string> out;
  for (std::string_view word : split_words(settings)) {
    const std::size_t equals = word.find('=');
    out[std::string(word.substr(0, equals))] =
        equals == std::string_view::npos ? std::string() : std::string(word.substr(equals + 1));
  }
  return out;
}

// Why `recorded` (the ledger's settings) and `wanted` (this sweep's) differ, naming the first
// key whose value differs; none if they are equal.
std::optional<std::string> settings_difference(std::string_view recorded, std::string_view wanted) {
  if (recorded == wanted) return std::nullopt;
  const auto old_values = settings_by_key(recorded);
  const auto new_values = settings_by_key(wanted);
  for (const auto& [key, value] : new_values) {
    auto it = old_values.find(key);
    const std::string was = it == old_values.end() ? "(absent)" : it->second;
    if (was != value) {
      return "it was written with " + key + "=" + was + ", this sweep has " + key + "=" + value;
    }
  }
  return "its settings are '" + std::string(recorded) + "', this sweep's are '" +
         std::string(wanted) + "'";
}

}  // namespace

std::string ledger_line(const LedgerEntry& entry) {
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.3f", entry.seconds);
  return seed_to_display(entry.seed) + " " + seed_to_display(entry.trace_hash) + " " +
         std::to_string(entry.exit_code) + " " + std::to_string(entry.ops_delivered) + " " +
         seconds;
}

Result<LedgerEntry> parse_ledger_line(std::string_view line) {
  const std::vector<std::string_view> words = split_words(line);
  if (words.size() != 5) {
    return Status::invalid_argument("expected 5 fields (" + std::string(kColumns.substr(2)) +
                                    "), found " + std::to_string(words.size()));
  }
  LedgerEntry entry;
  auto seed = seed_from_text(words[0]);
  if (!seed.is_ok()) return Status::invalid_argument("seed: " + seed.status().message());
  entry.seed = *seed;
  auto hash = seed_from_text(words[1]);
  if (!hash.is_ok()) return Status::invalid_argument("trace_hash: " + hash.status().message());
  entry.trace_hash = *hash;
  auto code = parse_unsigned(words[2]);
  if (!code.is_ok() || *code > 255) {
    return Status::invalid_argument("exit_code: '" + json::printable(words[2]) +
                                    "' is not an exit code (0 to 255)");
  }
  entry.exit_code = static_cast<int>(*code);
  auto ops = parse_unsigned(words[3]);
  if (!ops.is_ok()) return Status::invalid_argument("ops_delivered: " + ops.status().message());
  entry.ops_delivered = *ops;
  const std::string seconds_text(words[4]);
  char* end = nullptr;
  errno = 0;
  entry.seconds = std::strtod(seconds_text.c_str(), &end);
  if (seconds_text.empty() || end != seconds_text.c_str() + seconds_text.size() || errno != 0 ||
      !std::isfinite(entry.seconds) || entry.seconds < 0) {
    return Status::invalid_argument("seconds: '" + json::printable(seconds_text) +
                                    "' is not a non-negative number");
  }
  return entry;
}

namespace {

// The entries of a ledger's text (whose incomplete last line, if any, is already cut off). The
// settings line must equal `settings`; errors are "PATH:LINE: problem".
Result<std::map<std::uint64_t, LedgerEntry>> parse_ledger_text(const std::string& path,
                                                               const std::string& text,
                                                               const std::string& settings) {
  std::map<std::uint64_t, LedgerEntry> entries;
  std::istringstream lines(text);
  std::string line;
  std::size_t number = 0;
  std::optional<std::string> recorded_settings;
  std::map<std::uint64_t, std::size_t> line_of_seed;
  auto error = [&](const std::string& problem) {
    return Status::invalid_argument(path + ":" + std::to_string(number) + ": " + problem);
  };
  while (std::getline(lines, line)) {
    ++number;
    if (number == 1) {
      if (line != kMagic) {
        return error("not a sweep ledger (the first line must be '" + std::string(kMagic) + "')");
      }
      continue;
    }
    if (line.rfind(kSettingsPrefix, 0) == 0) {
      if (recorded_settings) return error("a second settings line");
      recorded_settings = line.substr(kSettingsPrefix.size());
      if (auto difference = settings_difference(*recorded_settings, settings)) {
        return error("the ledger belongs to another sweep: " + *difference);
      }
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    if (!recorded_settings) return error("a seed line before the settings line");
    auto entry = parse_ledger_line(line);
    if (!entry.is_ok()) return error(entry.status().message());
    auto [it, inserted] = entries.emplace(entry->seed, *entry);
    if (!inserted &&
        !(it->second.trace_hash == entry->trace_hash && it->second.exit_code == entry->exit_code)) {
      return error("seed " + seed_to_display(entry->seed) + " is recorded again (line " +
                   std::to_string(line_of_seed[entry->seed]) + ") with another result");
    }
    line_of_seed.emplace(entry->seed, number);
  }
  if (number == 0) return Status::invalid_argument(path + ": empty file, not a sweep ledger");
  if (!recorded_settings) {
    return Status::invalid_argument(path + ": no settings line ('" + std::string(kSettingsPrefix) +
                                    "...')");
  }
  return entries;
}

// Cuts `text` after its last newline; returns whether that dropped anything.
bool drop_incomplete_last_line(std::string& text) {
  if (text.empty() || text.back() == '\n') return false;
  const std::size_t newline = text.rfind('\n');
  text.resize(newline == std::string::npos ? 0 : newline + 1);
  return true;
}

}  // namespace

Result<LedgerContents> read_ledger(const std::string& path, const std::string& settings) {
  std::error_code exists_error;
  if (!std::filesystem::exists(path, exists_error)) {
    return Status::invalid_argument(path + ": no such ledger");
  }
  TS_ASSIGN_OR_RETURN(std::string text, read_file(path));
  LedgerContents contents;
  contents.incomplete_last_line = drop_incomplete_last_line(text);
  TS_ASSIGN_OR_RETURN(contents.entries, parse_ledger_text(path, text, settings));
  return contents;
}

Result<SweepLedger> SweepLedger::open(const std::string& path, const std::string& settings,
                                      bool* repaired) {
  if (repaired != nullptr) *repaired = false;
  std::error_code exists_error;
  const bool exists = std::filesystem::exists(path, exists_error);
  std::map<std::uint64_t, LedgerEntry> entries;
  if (exists) {
    TS_ASSIGN_OR_RETURN(std::string text, read_file(path));
    // A line cut short by an interrupted write: drop it from the file, its seed runs again.
    if (drop_incomplete_last_line(text)) {
      std::error_code resize_error;
      std::filesystem::resize_file(path, text.size(), resize_error);
      if (resize_error) {
        return Status::io_error("cannot drop the incomplete last line of '" + path +
                                "': " + resize_error.message());
      }
      if (repaired != nullptr) *repaired = true;
    }
    TS_ASSIGN_OR_RETURN(entries, parse_ledger_text(path, text, settings));
  }
  std::FILE* file = std::fopen(path.c_str(), "a");
  if (file == nullptr) {
    return Status::invalid_argument("cannot write '" + path + "': " + std::strerror(errno));
  }
  if (!exists) {
    const std::string header = std::string(kMagic) + "\n" + std::string(kSettingsPrefix) +
                               settings + "\n" + std::string(kColumns) + "\n";
    if (std::fputs(header.c_str(), file) < 0 || std::fflush(file) != 0) {
      const int error = errno;
      std::fclose(file);
      return Status::io_error("cannot write '" + path + "': " + std::strerror(error));
    }
  }
  return SweepLedger(path, file, std::move(entries));
}

SweepLedger::SweepLedger(SweepLedger&& other) noexcept
    : path_(std::move(other.path_)),
      file_(std::exchange(other.file_, nullptr)),
      entries_(std::move(other.entries_)) {}

SweepLedger::~SweepLedger() {
  if (file_ != nullptr) std::fclose(file_);
}

std::vector<LedgerEntry> SweepLedger::sample_of_passed(std::size_t count) const {
  std::vector<LedgerEntry> passed;
  for (const auto& [seed, entry] : entries_) {
    if (entry.exit_code == 0) passed.push_back(entry);
  }
  if (passed.size() <= count) return passed;
  std::vector<LedgerEntry> sample;
  if (count == 0) return sample;
  if (count == 1) return {passed.front()};
  for (std::size_t i = 0; i < count; ++i) {
    sample.push_back(passed[i * (passed.size() - 1) / (count - 1)]);
  }
  return sample;
}

Status SweepLedger::append(const LedgerEntry& entry) {
  if (!entries_.emplace(entry.seed, entry).second) {
    return Status::invalid_argument("seed " + seed_to_display(entry.seed) +
                                    " is already in the ledger");
  }
  const std::string line = ledger_line(entry) + "\n";
  if (std::fputs(line.c_str(), file_) < 0 || std::fflush(file_) != 0) {
    return Status::io_error("cannot append to '" + path_ + "': " + std::strerror(errno));
  }
  return Status::ok();
}

LedgerStatus ledger_status(const std::map<std::uint64_t, LedgerEntry>& entries,
                           std::uint64_t seed_count,
                           const std::function<std::uint64_t(std::uint64_t)>& seed_at) {
  LedgerStatus status;
  status.seeds = seed_count;
  std::vector<double> seconds;
  for (std::uint64_t i = 0; i < seed_count; ++i) {
    const std::uint64_t seed = seed_at(i);
    auto it = entries.find(seed);
    if (it == entries.end()) {
      if (!status.first_missing) status.first_missing = seed;
      continue;
    }
    ++status.recorded;
    status.ops_delivered += it->second.ops_delivered;
    seconds.push_back(it->second.seconds);
    if (it->second.exit_code != 0) status.failures.push_back(it->second);
  }
  if (!seconds.empty()) {
    std::sort(seconds.begin(), seconds.end());
    // Nearest rank: the smallest recorded value with at least q of the values at or below it.
    auto rank = [&](double q) {
      const auto index =
          static_cast<std::size_t>(std::ceil(q * static_cast<double>(seconds.size())));
      return seconds[std::max<std::size_t>(index, 1) - 1];
    };
    status.median_seconds = rank(0.5);
    status.p90_seconds = rank(0.9);
    status.max_seconds = seconds.back();
    for (double value : seconds) status.total_seconds += value;
    status.mean_seconds = status.total_seconds / static_cast<double>(seconds.size());
  }
  return status;
}

}  // namespace treesim
