// sim/report.h: the summary of seed records, merging shards, failure buckets, and the three
// renderings (escaping included: a failure message is arbitrary text from a checker).
#include "sim/report.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "materializer/probes.h"

namespace treesim::report {
namespace {

using nlohmann::json;

json passing(const std::string& seed, std::uint64_t ops, std::uint64_t rewinds) {
  return {{"seed", seed},
          {"exit_code", 0},
          {"ops_delivered", ops},
          {"seconds", 0.5},
          {"finished_at", 1.0},
          {"profile", "replicas=2"},
          {"probes", {{probe_name(Probe::kCatchUpRewind), rewinds}}}};
}

json failing(const std::string& seed, const std::string& checker, const std::string& field,
             const std::string& message) {
  json record = passing(seed, 10, 0);
  record["exit_code"] = 10;
  record["failure"] = {{"class", "correctness"},
                       {"checker", checker},
                       {"tick", 7},
                       {"message", message},
                       {"first_difference", field}};
  record["reproduce"] = "treesim run --seed " + seed + " --swarm";
  record["report"] = "seed " + seed + " FAILED";
  return record;
}

json results_of(json seeds, const std::string& shard = "1/1", double seconds = 2.0) {
  return make_results({{"seeds", "1..9"}, {"shard", shard}, {"swarm", true}}, std::move(seeds),
                      seconds, 2, false, "2026-11-24T00:00:00Z");
}

TEST(Summarize, CountsFailuresOpsAndProbesAndNamesTheProbesNoSeedHit) {
  const json seeds = json::array({passing("0x0000000000000001", 100, 3),
                                   failing("0x0000000000000002", "model", "parent", "m"),
                                   passing("0x0000000000000003", 50, 0)});
  const json summary = summarize(seeds, 4.0, 2, true);
  EXPECT_EQ(summary["seeds_run"], 3);
  EXPECT_EQ(summary["failed_count"], 1);
  EXPECT_EQ(summary["failed"][0]["seed"], "0x0000000000000002");
  EXPECT_EQ(summary["failed"][0]["exit_code"], 10);
  EXPECT_EQ(summary["ops_delivered"], 160);
  EXPECT_DOUBLE_EQ(summary["seeds_per_second"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(summary["ops_per_second_per_job"].get<double>(), 20.0);
  EXPECT_EQ(summary["probes"][probe_name(Probe::kCatchUpRewind)], 3);
  const json unhit = summary["probes_not_hit"];
  EXPECT_EQ(unhit.size(), kProbeCount - 1);
  for (const json& name : unhit) EXPECT_NE(name, probe_name(Probe::kCatchUpRewind));
  EXPECT_EQ(summary["verify_determinism"], true);
}

// The streaming writer of `treesim sweep --results` writes the document make_results() builds,
// whatever the number of records (none included), one record per line.
TEST(ResultsWriter, WritesWhatMakeResultsBuildsOneRecordPerLine) {
  const std::string dir = ::testing::TempDir();
  const json settings = {{"seeds", "1..9"}, {"shard", "1/1"}, {"swarm", true}};
  for (std::size_t count : {0u, 1u, 3u}) {
    const std::string path = dir + "/results-" + std::to_string(count) + ".json";
    json seeds = json::array();
    for (std::size_t i = 0; i < count; ++i) {
      seeds.push_back(i == 1 ? failing("0x0000000000000002", "model", "parent", "line\nbreak")
                             : passing("0x000000000000000" + std::to_string(i + 1), 10 * i, i));
    }
    auto writer = ResultsWriter::create(path, settings, "2026-11-24T00:00:00Z");
    ASSERT_TRUE(writer.is_ok()) << writer.status().to_string();
    SummaryFold fold;
    for (const json& record : seeds) {
      fold.add(record);
      ASSERT_TRUE(writer->add(record).is_ok());
    }
    const json summary = fold.finish(2.0, 2, false);
    EXPECT_EQ(summary, summarize(seeds, 2.0, 2, false));
    ASSERT_TRUE(writer->finish(summary).is_ok());

    std::FILE* file = std::fopen(path.c_str(), "r");
    ASSERT_NE(file, nullptr);
    std::string text;
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;) text.append(buffer, n);
    std::fclose(file);
    const json written = json::parse(text);
    EXPECT_TRUE(validate_results(written, path).is_ok());
    EXPECT_EQ(written, make_results(settings, seeds, 2.0, 2, false, "2026-11-24T00:00:00Z"))
        << text;
    for (const json& record : seeds) {
      EXPECT_NE(text.find("\n  " + record.dump()), std::string::npos) << "not on a line: " << text;
    }
  }
}

TEST(ResultsWriter, AnUnwritablePathIsAnErrorNamingIt) {
  const std::string path = ::testing::TempDir() + "/no/such/dir/results.json";
  auto writer = ResultsWriter::create(path, json::object(), "2026-11-24T00:00:00Z");
  ASSERT_FALSE(writer.is_ok());
  EXPECT_NE(writer.status().message().find(path), std::string::npos) << writer.status().message();
}

TEST(MergeResults, OrdersSeedsSumsCountsAndTakesTheLongestWallTime) {
  const json a = results_of(json::array({passing("0x0000000000000003", 5, 1),
                                         passing("0x0000000000000001", 7, 0)}),
                            "1/2", 3.0);
  const json b = results_of(json::array({failing("0x0000000000000002", "model", "", "x")}), "2/2",
                            5.0);
  ASSERT_TRUE(validate_results(a, "a").is_ok());
  const auto merged = merge_results({a, b}, {"a.json", "b.json"});
  ASSERT_TRUE(merged.is_ok()) << merged.status().to_string();
  ASSERT_TRUE(validate_results(*merged, "merged").is_ok());
  const json& seeds = (*merged)["seeds"];
  ASSERT_EQ(seeds.size(), 3u);
  EXPECT_EQ(seeds[0]["seed"], "0x0000000000000001");
  EXPECT_EQ(seeds[1]["seed"], "0x0000000000000002");
  EXPECT_EQ(seeds[2]["seed"], "0x0000000000000003");
  EXPECT_EQ((*merged)["summary"]["failed_count"], 1);
  EXPECT_EQ((*merged)["summary"]["ops_delivered"], 22);
  EXPECT_DOUBLE_EQ((*merged)["summary"]["seconds"].get<double>(), 5.0);
  EXPECT_EQ((*merged)["summary"]["jobs"], 4);
  EXPECT_EQ((*merged)["sweep"]["shards"], json::array({"1/2", "2/2"}));
  EXPECT_EQ((*merged)["merged_from"], json::array({"a.json", "b.json"}));
}

TEST(MergeResults, ASeedInTwoPartsIsAnErrorNamingBoth) {
  const json a = results_of(json::array({passing("0x0000000000000001", 5, 1)}));
  const auto merged = merge_results({a, a}, {"first.json", "second.json"});
  ASSERT_FALSE(merged.is_ok());
  EXPECT_NE(merged.status().message().find("0x0000000000000001 is in both first.json and "
                                           "second.json"),
            std::string::npos)
      << merged.status().message();
}

TEST(ValidateResults, NamesTheFileAndTheField) {
  json results = results_of(json::array({passing("0x0000000000000001", 5, 1)}));
  results["seeds"][0]["probes"]["revive"] = "many";
  const Status status = validate_results(results, "r.json");
  ASSERT_FALSE(status.is_ok());
  EXPECT_EQ(status.message(), "r.json: seeds[0].probes.revive is not a count");

  json bad_seed = results_of(json::array({passing("12", 5, 1)}));
  EXPECT_NE(validate_results(bad_seed, "s.json").message().find("seeds[0].seed"),
            std::string::npos);
  json newer = results_of(json::array());
  newer["version"] = 2;
  EXPECT_NE(validate_results(newer, "n.json").message().find("results version 2"),
            std::string::npos);
}

TEST(BucketFailures, GroupsByClassCheckerAndFieldBiggestFirst) {
  const json results = results_of(json::array(
      {failing("0x0000000000000001", "rollback", "", "left a trace"),
       failing("0x0000000000000002", "model", "parent", "first model failure\nsecond line"),
       passing("0x0000000000000003", 1, 0),
       failing("0x0000000000000004", "model", "parent", "another"),
       failing("0x0000000000000005", "model", "tombstoned", "flags")}));
  const std::vector<Bucket> buckets = bucket_failures(results);
  ASSERT_EQ(buckets.size(), 3u);
  EXPECT_EQ(buckets[0].checker, "model");
  EXPECT_EQ(buckets[0].first_difference, "parent");
  EXPECT_EQ(buckets[0].seeds,
            (std::vector<std::string>{"0x0000000000000002", "0x0000000000000004"}));
  EXPECT_EQ(buckets[0].message, "first model failure");
  EXPECT_EQ(buckets[0].reproduce, "treesim run --seed 0x0000000000000002 --swarm");
  EXPECT_EQ(buckets[1].checker, "rollback");
  EXPECT_EQ(buckets[2].first_difference, "tombstoned");
}

TEST(Render, EscapesCheckerTextInHtmlAndJunit) {
  const std::string hostile = "<script>alert('x')</script> & \"quoted\"\x01";
  const json results = results_of(json::array({failing("0x0000000000000001", "model", "parent",
                                                       hostile)}));
  const std::string html = render_html(results, {});
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;"),
            std::string::npos);
  const std::string junit = render_junit(results, {});
  EXPECT_EQ(junit.find("<script>"), std::string::npos);
  EXPECT_EQ(junit.find('\x01'), std::string::npos);  // not allowed in XML 1.0
  EXPECT_NE(junit.find("<testsuite name=\"treesim.sweep\" tests=\"1\" failures=\"1\""),
            std::string::npos);
  const std::string markdown = render_markdown(results, {});
  EXPECT_NE(markdown.find("| correctness | model | parent | 1 | 0x0000000000000001 |"),
            std::string::npos)
      << markdown;
}

TEST(Render, AddsTheNightlyPartsThatArePresent) {
  const json results = results_of(json::array({passing("0x0000000000000001", 5, 1)}));
  Extras extras;
  json codec = {{"name", "codec_fuzz"},  {"runs", 1000},       {"exec_per_second", 500},
                {"corpus_before", 3},       {"corpus_after", 5},   {"crashes", json::array()}};
  codec["samples"] = json::array({json::array({1, 3, 100}), json::array({1000, 5, 500})});
  json materializer = {{"name", "materializer_fuzz"}, {"runs", 10}, {"exec_per_second", 2}};
  materializer["crashes"] = json::array({"out/crash-1"});
  extras.fuzz = json{{"seconds", 60}};
  (*extras.fuzz)["targets"] = json::array({codec, materializer});

  json tree = {{"filename", "/src/materializer/tree.cc"}};
  tree["summary"]["lines"] = {{"count", 200}, {"covered", 150}, {"percent", 75.0}};
  tree["summary"]["branches"] = {{"count", 10}, {"covered", 5}, {"percent", 50.0}};
  json other = {{"filename", "/src/sim/other.cc"}};
  other["summary"]["lines"] = {{"count", 9}, {"covered", 0}, {"percent", 0.0}};
  // The materializer's tests are not the materializer: neither a row nor in the totals.
  json test = {{"filename", "/src/tests/materializer/tree_test.cc"}};
  test["summary"]["lines"] = {{"count", 100}, {"covered", 100}, {"percent", 100.0}};
  json data = json::object();
  data["files"] = json::array({tree, other, test});
  extras.coverage = json::object();
  (*extras.coverage)["data"] = json::array({data});

  json detected = {{"mutant", "vv-ignores-gaps"}, {"detected", true},    {"seeds_run", 2},
                   {"seconds", 0.4},               {"class", "correctness"}, {"checker", "model"}};
  detected["shrunk"] = {{"events", 6}, {"original_events", 900}};
  const json survivor = {{"mutant", "survivor"}, {"detected", false}, {"seeds_run", 40}};
  extras.mutants = json::object();
  (*extras.mutants)["mutants"] = json::array({detected, survivor});
  ASSERT_TRUE(validate_extras(extras).is_ok());
  const std::string markdown = render_markdown(results, extras);
  EXPECT_NE(markdown.find("| codec_fuzz | 1000 | 500 | 3 | 5 | 0 |"), std::string::npos);
  EXPECT_NE(markdown.find("| materializer/tree.cc | 200 | 75.0 | 50.0 |"), std::string::npos);
  EXPECT_EQ(markdown.find("sim/other.cc"), std::string::npos);  // only materializer/
  EXPECT_EQ(markdown.find("tree_test.cc"), std::string::npos);
  EXPECT_NE(markdown.find("| vv-ignores-gaps | yes | 2 | 0.4 | correctness/model | 6 of 900 |"),
            std::string::npos);
  const std::string junit = render_junit(results, extras);
  EXPECT_NE(junit.find("<testsuite name=\"treesim.fuzz\" tests=\"2\" failures=\"1\""),
            std::string::npos);
  EXPECT_NE(junit.find("<testsuite name=\"treesim.mutants\" tests=\"2\" failures=\"1\""),
            std::string::npos);
  EXPECT_NE(junit.find("<testsuites name=\"treesim\" tests=\"5\" failures=\"2\">"),
            std::string::npos);
  const std::string html = render_html(results, extras);
  EXPECT_NE(html.find("Corpus growth"), std::string::npos);
  EXPECT_NE(html.find("75.0% of lines and 50.0% of branches over 200 lines"), std::string::npos);

  Extras broken;
  broken.mutants = json{{"rows", json::array()}};
  EXPECT_NE(validate_extras(broken).message().find("mutants matrix"), std::string::npos);
}

}  // namespace
}  // namespace treesim::report
