// Runs drawn from one Entropy (sim_fuzz's input bytes): the same bytes give the same run, the run
// recorded as explicit events replays to the same result and trace hash, a seeded run is the
// same whether its schedule takes the seed or the seed's EntropySource, and a profile that checks
// only every few steps still catches a replica that lies. The method: run each byte string (and
// each seed) twice, and compare trace hashes, results and recorded events; run a lying replica.
#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sim/entropy.h"
#include "sim/scenario.h"
#include "sim/simulation.h"
#include "tests/sim/lying_replica.h"

namespace treesim {
namespace {

// Byte strings of several lengths whose profiles differ (some crash, some partition, some
// fault storage), drawn from seeded generators so the test needs no binary files.
std::vector<std::vector<std::uint8_t>> some_inputs() {
  std::vector<std::vector<std::uint8_t>> inputs = {{}, {0xff}, std::vector<std::uint8_t>(64, 0x80)};
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    Rng rng(seed);
    std::vector<std::uint8_t> bytes(rng.in_range(100, 900));
    for (std::uint8_t& byte : bytes) byte = static_cast<std::uint8_t>(rng.uniform_below(256));
    inputs.push_back(std::move(bytes));
  }
  return inputs;
}

std::string failure_of(const RunResult& result) {
  return result.failure ? result.failure->to_display() : "none";
}

TEST(DrawnRun, TheSameBytesGiveTheSameTraceHash) {
  for (const std::vector<std::uint8_t>& bytes : some_inputs()) {
    const DrawnRun first = run_bytes(bytes);
    const DrawnRun second = run_bytes(bytes);
    EXPECT_FALSE(first.result.failure.has_value()) << failure_of(first.result);
    EXPECT_EQ(first.result.trace_hash, second.result.trace_hash) << bytes.size() << " bytes";
    EXPECT_EQ(first.options, second.options);
    EXPECT_EQ(first.seed, second.seed);
  }
}

TEST(DrawnRun, OtherBytesGiveAnotherRun) {
  const std::vector<std::vector<std::uint8_t>> inputs = some_inputs();
  EXPECT_NE(run_bytes(inputs[3]).result.trace_hash, run_bytes(inputs[4]).result.trace_hash);
}

TEST(DrawnRun, ProfilesAreShortRuns) {
  for (const std::vector<std::uint8_t>& bytes : some_inputs()) {
    const DrawnRun run = run_bytes(bytes);
    EXPECT_LE(run.options.replica_count, kDrawnReplicasMax);
    EXPECT_EQ(run.options.replicas.size(), run.options.replica_count);
    EXPECT_EQ(run.options.safety_ticks, kDrawnSafetyTicksMax);
    EXPECT_TRUE(run.options.check_every == 1 || run.options.check_every == kDrawnCheckEvery)
        << run.options.check_every;
  }
}

TEST(DrawnRun, SomeProfilesCheckEveryStepAndTheOthersEveryFewSteps) {
  // An input that ends before the choice checks after every step.
  BytesEntropy empty{std::span<const std::uint8_t>()};
  EXPECT_EQ(draw_run_setup(empty).options.check_every, 1u);
  std::size_t every_step = 0;
  std::size_t every_few_steps = 0;
  for (std::uint64_t seed = 1; seed <= 64; ++seed) {
    Rng rng(seed);
    // Enough for the whole profile: past the end every choice is 0, which checks every step.
    std::vector<std::uint8_t> bytes(256);
    for (std::uint8_t& byte : bytes) byte = static_cast<std::uint8_t>(rng.uniform_below(256));
    BytesEntropy entropy{std::span<const std::uint8_t>(bytes)};
    const std::uint32_t check_every = draw_run_setup(entropy).options.check_every;
    every_step += check_every == 1;
    every_few_steps += check_every == kDrawnCheckEvery;
  }
  EXPECT_GT(every_step, 0u);
  EXPECT_GT(every_few_steps, every_step);
  EXPECT_EQ(every_step + every_few_steps, 64u);
}

TEST(DrawnRun, ProfilesThatCheckEveryFewStepsStillCatchAWrongSnapshot) {
  // The replicas misreport one row once they hold four nodes. A run that checks only every few
  // steps must still see it (at a checked step, or at the end, which checks every replica).
  std::size_t sparse_runs = 0;
  for (const std::vector<std::uint8_t>& bytes : some_inputs()) {
    const DrawnRun honest = run_bytes(bytes);
    if (honest.options.check_every == 1 || honest.result.stats.final_node_count <= 3) continue;
    ++sparse_runs;
    const DrawnRun lying = run_bytes(bytes, nullptr, lying_factory(Lie::kWrongSnapshot));
    EXPECT_EQ(lying.options.check_every, kDrawnCheckEvery);
    ASSERT_TRUE(lying.result.failure.has_value()) << bytes.size() << " bytes";
    EXPECT_EQ(lying.result.failure->failure_class, FailureClass::kCorrectness)
        << lying.result.failure->to_display();
    // The model checker, or on a checked step the affected-nodes checker, which sees the changed
    // row first.
    const std::string& checker = lying.result.failure->checker;
    EXPECT_TRUE(checker == "model" || checker == "affected") << lying.result.failure->to_display();
  }
  EXPECT_GT(sparse_runs, 0u) << "no input drew a profile that checks every few steps";
}

TEST(DrawnRun, TheSafetyPhaseEndsWhenTheBytesRunOut) {
  // The empty input: a profile of zeros, no tick of safety phase, then liveness and the end.
  std::vector<Event> events;
  const DrawnRun run = run_bytes({}, &events);
  ASSERT_FALSE(run.result.failure.has_value()) << failure_of(run.result);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Event::Kind::kLiveness);
  EXPECT_EQ(events[0].tick, 0u);
  EXPECT_EQ(events[1].kind, Event::Kind::kEnd);
}

TEST(DrawnRun, RecordedEventsReplayToTheSameResultAndTraceHash) {
  for (const std::vector<std::uint8_t>& bytes : some_inputs()) {
    std::vector<Event> events;
    const DrawnRun run = run_bytes(bytes, &events);
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back().kind, Event::Kind::kEnd);
    // Through the scenario file's text, as `treesim replay --from-fuzz-input --record` writes it.
    const std::string text =
        scenario_to_json_text(Scenario{"drawn run", run.seed, run.options, events});
    auto scenario = scenario_from_json_text(text);
    ASSERT_TRUE(scenario.is_ok()) << scenario.status().to_string();
    const RunResult replayed = run_scenario(*scenario);
    EXPECT_EQ(replayed.trace_hash, run.result.trace_hash) << bytes.size() << " bytes";
    EXPECT_EQ(failure_of(replayed), failure_of(run.result));
    EXPECT_EQ(replayed.stats.local_edits, run.result.stats.local_edits);
    EXPECT_EQ(replayed.stats.final_op_count, run.result.stats.final_op_count);
  }
}

TEST(DrawnRun, RecordingDoesNotChangeTheRun) {
  const std::vector<std::uint8_t> bytes = some_inputs()[5];
  std::vector<Event> events;
  EXPECT_EQ(run_bytes(bytes, &events).result.trace_hash, run_bytes(bytes).result.trace_hash);
}

TEST(DrawnRun, ASeededRunIsTheSameThroughItsEntropySource) {
  // Simulation::run() draws from EntropySource::seeded(seed); a shared stream is only for bytes.
  Rng profile = Rng(3).fork("swarm");
  Options options = Options::swarm(profile);
  options.safety_ticks = 60;
  ASSERT_TRUE(options.normalize().is_ok());
  const RunResult seeded = Simulation(3, options).run();
  EXPECT_EQ(Simulation(3, options).run().trace_hash, seeded.trace_hash);
  // One shared Rng for every component is another run of the same options.
  Rng shared(3);
  EXPECT_NE(Simulation(3, options).run_with(shared).trace_hash, seeded.trace_hash);
}

TEST(ComponentEntropy, AnOwningStreamDrawsLikeItsRngAndNeverRunsOut) {
  Rng rng = Rng(11).fork("network");
  ComponentEntropy stream = EntropySource::seeded(11).stream("network");
  for (int i = 0; i < 100; ++i) EXPECT_EQ(stream.uniform_below(1000), rng.uniform_below(1000));
  EXPECT_FALSE(stream.exhausted());
}

TEST(ComponentEntropy, SharingStreamsReadOneStreamInTurn) {
  const std::vector<std::uint8_t> bytes = {1, 2, 3};
  BytesEntropy shared{std::span<const std::uint8_t>(bytes)};
  const EntropySource source = EntropySource::sharing(shared);
  ComponentEntropy schedule = source.stream("schedule");
  ComponentEntropy network = source.stream("network");
  EXPECT_EQ(schedule.uniform_below(256), 1u);
  EXPECT_EQ(network.uniform_below(256), 2u);
  EXPECT_FALSE(source.exhausted());
  EXPECT_EQ(schedule.uniform_below(256), 3u);
  EXPECT_TRUE(source.exhausted());
  EXPECT_TRUE(network.exhausted());
  EXPECT_EQ(network.uniform_below(256), 0u);
}

}  // namespace
}  // namespace treesim
