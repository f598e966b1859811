// The sweep ledger's file: a line per seed that parses back to itself, errors that name the
// file, the line and the field, the settings a ledger is bound to, an interrupted last write
// repaired, conflicting merges refused, the re-run sample spread over passing seeds only, and
// the read-only status of a ledger over a sweep's seeds.
#include "sim/sweep_ledger.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "sim/file_io.h"

namespace treesim {
namespace {

constexpr const char* kSettings = "swarm=true safety_ticks=300 check_every=1";

LedgerEntry entry(std::uint64_t seed, int exit_code = 0) {
  return LedgerEntry{seed, 0x1000 + seed * 7, exit_code, 40 + seed, 0.25};
}

class SweepLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("sweep_ledger_test_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                .string();
    std::filesystem::remove(path_);
  }
  void TearDown() override { std::filesystem::remove(path_); }

  std::string contents() const { return *read_file(path_); }
  void write(const std::string& text) const { ASSERT_TRUE(write_file(path_, text).is_ok()); }

  std::string path_;
};

TEST(LedgerLine, ParsesBackToTheSameEntry) {
  const LedgerEntry original{0xfeedfacecafebeefull, 0x0123456789abcdefull, 10, 123456, 12.5};
  const std::string line = ledger_line(original);
  EXPECT_EQ(line, "0xfeedfacecafebeef 0x0123456789abcdef 10 123456 12.500");
  auto parsed = parse_ledger_line(line);
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  EXPECT_EQ(*parsed, original);
}

TEST(LedgerLine, ErrorsNameTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {"0x1 0x2 0 5", "expected 5 fields"},
      {"0x1 0x2 0 5 1.0 extra", "expected 5 fields"},
      {"seedy 0x2 0 5 1.0", "seed:"},
      {"0x1 0xnothex 0 5 1.0", "trace_hash:"},
      {"0x1 0x2 256 5 1.0", "exit_code:"},
      {"0x1 0x2 -1 5 1.0", "exit_code:"},
      {"0x1 0x2 0 many 1.0", "ops_delivered:"},
      {"0x1 0x2 0 5 -3", "seconds:"},
      {"0x1 0x2 0 5 nan", "seconds:"},
  };
  for (const auto& [line, field] : cases) {
    auto parsed = parse_ledger_line(line);
    ASSERT_FALSE(parsed.is_ok()) << line;
    EXPECT_NE(parsed.status().message().find(field), std::string::npos)
        << line << " -> " << parsed.status().message();
  }
}

TEST_F(SweepLedgerTest, CreatesAHeaderThenAppendsOneLinePerSeedThatAReopenReads) {
  {
    auto ledger = SweepLedger::open(path_, kSettings);
    ASSERT_TRUE(ledger.is_ok()) << ledger.status().to_string();
    EXPECT_TRUE(ledger->entries().empty());
    ASSERT_TRUE(ledger->append(entry(3)).is_ok());
    ASSERT_TRUE(ledger->append(entry(1, 12)).is_ok());
    // Written through at once: a sweep killed now keeps both.
    EXPECT_EQ(contents(), "# treesim sweep ledger 1\n# settings: " + std::string(kSettings) +
                              "\n# seed trace_hash exit_code ops_delivered seconds\n" +
                              ledger_line(entry(3)) + "\n" + ledger_line(entry(1, 12)) + "\n");
    const Status again = ledger->append(entry(3));
    EXPECT_FALSE(again.is_ok());
    EXPECT_NE(again.message().find("already in the ledger"), std::string::npos);
  }
  bool repaired = true;
  auto reopened = SweepLedger::open(path_, kSettings, &repaired);
  ASSERT_TRUE(reopened.is_ok()) << reopened.status().to_string();
  EXPECT_FALSE(repaired);
  ASSERT_EQ(reopened->entries().size(), 2u);
  EXPECT_EQ(reopened->entries().at(1), entry(1, 12));
  EXPECT_EQ(reopened->entries().at(3), entry(3));
  EXPECT_TRUE(reopened->contains(3));
  EXPECT_FALSE(reopened->contains(2));
}

TEST_F(SweepLedgerTest, OtherSettingsAreRefusedNamingTheSettingAndNothingIsWritten) {
  { ASSERT_TRUE(SweepLedger::open(path_, kSettings).is_ok()); }
  const std::string before = contents();
  auto other = SweepLedger::open(path_, "swarm=true safety_ticks=100 check_every=1");
  ASSERT_FALSE(other.is_ok());
  EXPECT_NE(other.status().message().find(path_ + ":2:"), std::string::npos)
      << other.status().message();
  EXPECT_NE(other.status().message().find("safety_ticks=300, this sweep has safety_ticks=100"),
            std::string::npos)
      << other.status().message();
  EXPECT_EQ(contents(), before);
}

TEST_F(SweepLedgerTest, MalformedFilesAreRefusedNamingTheLine) {
  const std::string header =
      "# treesim sweep ledger 1\n# settings: " + std::string(kSettings) + "\n";
  const std::pair<std::string, std::string> cases[] = {
      {"not a ledger\n", ":1: not a sweep ledger"},
      {"# treesim sweep ledger 1\n" + ledger_line(entry(1)) + "\n", ":2: a seed line before"},
      {header + "# settings: " + kSettings + "\n", ":3: a second settings line"},
      {header + ledger_line(entry(1)) + "\n0x2 0x3 0\n", ":4: expected 5 fields"},
      {header + ledger_line(entry(1)) + "\n" + ledger_line(entry(1, 10)) + "\n",
       ":4: seed 0x0000000000000001 is recorded again (line 3) with another result"},
      {"# treesim sweep ledger 1\n", "no settings line"},
  };
  for (const auto& [text, expected] : cases) {
    write(text);
    auto ledger = SweepLedger::open(path_, kSettings);
    ASSERT_FALSE(ledger.is_ok()) << text;
    EXPECT_NE(ledger.status().message().find(expected), std::string::npos)
        << text << " -> " << ledger.status().message();
    EXPECT_EQ(contents(), text) << "a refused ledger must be left as it was";
  }
}

TEST_F(SweepLedgerTest, TheSameResultRecordedTwiceMerges) {
  // Ledgers of several shards concatenated, one seed in two of them.
  write("# treesim sweep ledger 1\n# settings: " + std::string(kSettings) + "\n" +
        ledger_line(entry(1)) + "\n" + ledger_line(entry(2)) + "\n" + ledger_line(entry(1)) +
        "\n");
  auto ledger = SweepLedger::open(path_, kSettings);
  ASSERT_TRUE(ledger.is_ok()) << ledger.status().to_string();
  EXPECT_EQ(ledger->entries().size(), 2u);
}

TEST_F(SweepLedgerTest, AnInterruptedLastLineIsDroppedAndItsSeedRunsAgain) {
  const std::string kept = "# treesim sweep ledger 1\n# settings: " + std::string(kSettings) +
                           "\n" + ledger_line(entry(1)) + "\n";
  write(kept + "0x0000000000000002 0x12");
  bool repaired = false;
  auto ledger = SweepLedger::open(path_, kSettings, &repaired);
  ASSERT_TRUE(ledger.is_ok()) << ledger.status().to_string();
  EXPECT_TRUE(repaired);
  EXPECT_EQ(contents(), kept);
  EXPECT_FALSE(ledger->contains(2));
  ASSERT_TRUE(ledger->append(entry(2)).is_ok());
  EXPECT_EQ(contents(), kept + ledger_line(entry(2)) + "\n");
}

TEST_F(SweepLedgerTest, TheSampleSpreadsOverPassedSeedsOnly) {
  auto ledger = SweepLedger::open(path_, kSettings);
  ASSERT_TRUE(ledger.is_ok());
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    ASSERT_TRUE(ledger->append(entry(seed, seed == 1 || seed == 10 ? 10 : 0)).is_ok());
  }
  auto seeds_of = [](const std::vector<LedgerEntry>& sample) {
    std::vector<std::uint64_t> seeds;
    for (const LedgerEntry& e : sample) seeds.push_back(e.seed);
    return seeds;
  };
  // Passed: 2..9; four of them, the first and the last included.
  EXPECT_EQ(seeds_of(ledger->sample_of_passed(4)), (std::vector<std::uint64_t>{2, 4, 6, 9}));
  EXPECT_EQ(seeds_of(ledger->sample_of_passed(1)), (std::vector<std::uint64_t>{2}));
  EXPECT_EQ(ledger->sample_of_passed(20).size(), 8u);
  EXPECT_TRUE(ledger->sample_of_passed(0).empty());
}

// A status read (`sweep --status`) must not touch a ledger a running sweep is appending to:
// its half-written last line is left out, not cut from the file.
TEST_F(SweepLedgerTest, ReadingLeavesTheFileAsItIsAndLeavesOutAHalfWrittenLine) {
  const std::string text = "# treesim sweep ledger 1\n# settings: " + std::string(kSettings) +
                           "\n" + ledger_line(entry(1)) + "\n" + ledger_line(entry(3)) +
                           "\n0x0000000000000002 0x12";
  write(text);
  auto read = read_ledger(path_, kSettings);
  ASSERT_TRUE(read.is_ok()) << read.status().to_string();
  EXPECT_TRUE(read->incomplete_last_line);
  EXPECT_EQ(read->entries.size(), 2u);
  EXPECT_EQ(read->entries.at(3), entry(3));
  EXPECT_EQ(contents(), text);
  auto other = read_ledger(path_, "swarm=false safety_ticks=300 check_every=1");
  ASSERT_FALSE(other.is_ok());
  EXPECT_NE(other.status().message().find(path_ + ":2: the ledger belongs to another sweep: "
                                                  "it was written with swarm=true"),
            std::string::npos)
      << other.status().message();
  std::filesystem::remove(path_);
  auto missing = read_ledger(path_, kSettings);
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().message(), path_ + ": no such ledger");
  EXPECT_FALSE(std::filesystem::exists(path_)) << "reading must not create the ledger";
}

TEST(LedgerStatus, CountsPercentilesAndFailuresOverTheSweepsSeedsOnly) {
  std::map<std::uint64_t, LedgerEntry> entries;
  // Seeds 1..10 but 4 and 8; seed 6 failed; seconds 1..10 (seed s took s seconds); seed 50 is
  // outside the sweep and counts nowhere.
  for (std::uint64_t seed : {1, 2, 3, 5, 6, 7, 9, 10, 50}) {
    LedgerEntry e = entry(seed, seed == 6 ? 13 : 0);
    e.seconds = static_cast<double>(seed);
    e.ops_delivered = 100;
    entries.emplace(seed, e);
  }
  const LedgerStatus status = ledger_status(entries, 10, [](std::uint64_t i) { return i + 1; });
  EXPECT_EQ(status.seeds, 10u);
  EXPECT_EQ(status.recorded, 8u);
  EXPECT_EQ(status.first_missing, std::optional<std::uint64_t>(4));
  EXPECT_EQ(status.ops_delivered, 800u);
  // Recorded seconds 1 2 3 5 6 7 9 10: nearest-rank median is the 4th (5), p90 the 8th (10).
  EXPECT_EQ(status.median_seconds, 5);
  EXPECT_EQ(status.p90_seconds, 10);
  EXPECT_EQ(status.max_seconds, 10);
  EXPECT_EQ(status.total_seconds, 43);
  EXPECT_DOUBLE_EQ(status.mean_seconds, 43.0 / 8);
  ASSERT_EQ(status.failures.size(), 1u);
  EXPECT_EQ(status.failures[0].seed, 6u);
  EXPECT_EQ(status.failures[0].exit_code, 13);
  // The odd seeds of 1..10 (a shard of two): all recorded, none failed.
  const LedgerStatus odd = ledger_status(entries, 5, [](std::uint64_t i) { return 2 * i + 1; });
  EXPECT_EQ(odd.recorded, 5u);
  EXPECT_FALSE(odd.first_missing.has_value());
  EXPECT_TRUE(odd.failures.empty());
  const LedgerStatus none = ledger_status({}, 3, [](std::uint64_t i) { return i + 1; });
  EXPECT_EQ(none.recorded, 0u);
  EXPECT_EQ(none.first_missing, std::optional<std::uint64_t>(1));
  EXPECT_EQ(none.mean_seconds, 0);
}

}  // namespace
}  // namespace treesim
