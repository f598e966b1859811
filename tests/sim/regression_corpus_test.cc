// The regression corpus (corpus/regressions): every file is a scenario of the current format
// version with an explicit event list and a comment saying what it guards, and it replays
// without a failure; a checked-in version-1 file loads with its events; a file of a newer format
// version is refused with a message naming the version it has and the version this build reads.
// (ctest -L regress also replays every file through `treesim replay`.)
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "sim/file_io.h"
#include "sim/scenario.h"

namespace treesim {
namespace {

const std::string kRegressions = TREESIM_REGRESSIONS_DIR;

std::vector<std::string> regression_files() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(kRegressions)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string trace_of(const RunResult& result) {
  std::string trace;
  for (const std::string& line : result.recent_events) trace += line + "\n";
  return trace;
}

TEST(RegressionCorpus, EveryFileIsAVersion1ScenarioThatReplaysWithoutAFailure) {
  const std::vector<std::string> files = regression_files();
  EXPECT_FALSE(files.empty()) << "no scenario in " << kRegressions;
  for (const std::string& path : files) {
    SCOPED_TRACE(path);
    auto text = read_file(path);
    ASSERT_TRUE(text.is_ok()) << text.status().to_string();
    EXPECT_NE(text->find("\"version\": 1,"), std::string::npos);
    auto scenario = scenario_from_json_text(*text);
    ASSERT_TRUE(scenario.is_ok()) << scenario.status().to_string();
    EXPECT_TRUE(scenario->events.has_value()) << "a regression is an explicit event list";
    EXPECT_FALSE(scenario->comment.empty()) << "the comment says what the scenario guards";
    const RunResult result = run_scenario(*scenario);
    EXPECT_FALSE(result.failure.has_value()) << result.failure->to_display();
  }
}

// The first regression: SQLite may keep a commit whose last sync failed (ab55d1b). Pinned here
// so that a change of the format or of the executor that stops reading it is noticed.
TEST(RegressionCorpus, ACheckedInVersion1FileLoadsWithItsEvents) {
  auto scenario = read_scenario_file(kRegressions + "/unsure_commit_durable_after_crash.json");
  ASSERT_TRUE(scenario.is_ok()) << scenario.status().to_string();
  EXPECT_EQ(scenario->options.replica_count, 1u);
  EXPECT_EQ(scenario->options.replicas[0].store, StoreKind::kSqlite);
  EXPECT_EQ(scenario->options.replicas[0].crash_policy, CrashPolicy::kKeepAll);
  ASSERT_TRUE(scenario->events.has_value());
  std::vector<Event::Kind> kinds;
  for (const Event& event : *scenario->events) kinds.push_back(event.kind);
  EXPECT_EQ(kinds, (std::vector<Event::Kind>{Event::Kind::kLocal, Event::Kind::kArmStorageFault,
                                             Event::Kind::kLocal, Event::Kind::kCrash,
                                             Event::Kind::kLiveness, Event::Kind::kEnd}));
  const RunResult result = run_scenario(*scenario);
  ASSERT_FALSE(result.failure.has_value()) << result.failure->to_display();
  EXPECT_EQ(result.stats.final_op_count, 2u);
  EXPECT_NE(trace_of(result).find("r0 restart: 1 ops of failed calls turned out durable"),
            std::string::npos)
      << trace_of(result);
}

TEST(RegressionCorpus, AFileOfANewerVersionIsRefusedNamingTheVersionItNeeds) {
  auto text = read_file(kRegressions + "/unsure_commit_durable_after_crash.json");
  ASSERT_TRUE(text.is_ok()) << text.status().to_string();
  const std::string current = "\"version\": 1,";
  const auto at = text->find(current);
  ASSERT_NE(at, std::string::npos);
  std::string newer = *text;
  newer.replace(at, current.size(), "\"version\": 2,");
  const auto parsed = scenario_from_json_text(newer);
  ASSERT_FALSE(parsed.is_ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(parsed.status().message(),
            "field 'version': scenario version 2; this build reads version 1");
}

}  // namespace
}  // namespace treesim
