// Scenario files: every event kind survives writing and reading (a forged op even when it is
// invalid); replaying a recorded run gives the same result, failure and trace hash without the
// seed's schedule; every malformed file is rejected with a message naming the field or event;
// and a list with events deleted still replays. Method: runs are recorded, written to text,
// parsed back and replayed, and results are compared field by field.
#include "sim/scenario.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "tests/sim/lying_replica.h"

namespace treesim {
namespace {

Options normalized(Options options) {
  EXPECT_TRUE(options.normalize().is_ok());
  return options;
}

Options small_options() {
  Options options;
  options.safety_ticks = 60;
  options.edit_per_mille = 400;
  return normalized(options);
}

Options swarm_options(std::uint64_t seed) {
  Rng profile = Rng(seed).fork("swarm");
  Options options = Options::swarm(profile);
  options.safety_ticks = 60;
  return normalized(options);
}

// Every fault on, so a run records every event kind.
Options faulty_options() {
  Options options = small_options();
  options.safety_ticks = 80;
  options.crash_per_mille = 30;
  options.storage_fault_per_mille = 60;
  options.fault_point_per_mille = 60;
  options.partition_per_mille = 30;
  options.partition_ticks_max = 10;
  options.drop_per_mille = 200;
  options.duplicate_per_mille = 100;
  options.reorder_ticks_max = 10;
  options.forge_per_mille = 100;
  options.check_every = 3;
  return normalized(options);
}

Event event(Event::Kind kind, std::uint64_t tick, std::uint32_t replica = 0) {
  Event out;
  out.kind = kind;
  out.tick = tick;
  out.replica = replica;
  return out;
}

Event local(std::uint64_t tick, std::uint32_t replica, LocalEdit edit, bool read_through = false) {
  Event out = event(Event::Kind::kLocal, tick, replica);
  out.edit = std::move(edit);
  out.read_through = read_through;
  return out;
}

LocalEdit edit(LocalEdit::Kind kind, NodeId node, NodeId parent = {}, Placement placement = {},
               std::optional<std::string> payload = std::nullopt) {
  LocalEdit out;
  out.kind = kind;
  out.node = node;
  out.parent = parent;
  out.placement = placement;
  out.payload = std::move(payload);
  return out;
}

// A scenario holding every event kind, every edit kind and placement, and ops with payload
// and known state.
Scenario every_kind() {
  const ReplicaId a = ReplicaId::of("a");
  const NodeId first{1, 1};
  const NodeId second{1, 2};
  Scenario scenario;
  scenario.comment = "every kind";
  scenario.seed = 0x2a;
  scenario.options = small_options();
  std::vector<Event> events;
  events.push_back(local(0, 0, edit(LocalEdit::Kind::kInsert, first, kRoot, Placement::last(), "x"),
                         /*read_through=*/true));
  events.push_back(
      local(0, 1, edit(LocalEdit::Kind::kInsert, second, kRoot, Placement::after(first))));
  events.push_back(local(1, 0, edit(LocalEdit::Kind::kMove, second, first, Placement::first())));
  events.push_back(local(1, 1, edit(LocalEdit::Kind::kMove, second, kTrash)));
  events.push_back(local(2, 2, edit(LocalEdit::Kind::kRemove, first)));
  events.push_back(local(2, 0, edit(LocalEdit::Kind::kSetPayload, first, {}, {}, "B")));
  events.push_back(local(2, 0, edit(LocalEdit::Kind::kSetPayload, first)));
  Event deliver = event(Event::Kind::kDeliver, 3, 2);
  deliver.ops = {make_insert({a, 1}, 1, kRoot, first, std::string("\xff\xfd", 2), "x"),
                 make_delete({a, 2}, 2, first, VersionVector::from_ranges({{a, {1, 1}}}))};
  deliver.read_through = true;
  events.push_back(deliver);
  Event sync = event(Event::Kind::kSync, 4, 0);
  sync.peer = 1;
  sync.known = VersionVector::from_ranges({{a, {1, 2}}, {ReplicaId::of("b"), {1, 1}}});
  events.push_back(sync);
  Event partition = event(Event::Kind::kPartition, 5);
  partition.side = {1, 2};
  partition.until = 9;
  events.push_back(partition);
  events.push_back(event(Event::Kind::kHeal, 9));
  events.push_back(event(Event::Kind::kCrash, 10, 2));
  events.push_back(event(Event::Kind::kRestart, 11, 2));
  Event storage_fault = event(Event::Kind::kArmStorageFault, 12, 1);
  storage_fault.countdown = 7;
  events.push_back(storage_fault);
  Event fault_point = event(Event::Kind::kArmFaultPoint, 12, 1);
  fault_point.countdown = 3;
  events.push_back(fault_point);
  Event forge = event(Event::Kind::kForge, 13, 2);
  Op invalid = make_move({a, 1}, 1, second, first, std::string("\x80", 1));  // an odd key
  invalid.id.counter = 0;
  forge.ops = {invalid};
  events.push_back(forge);
  events.push_back(event(Event::Kind::kLiveness, 60));
  events.push_back(event(Event::Kind::kEnd, 64));
  scenario.events = std::move(events);
  return scenario;
}

Scenario reread(const Scenario& scenario) {
  auto parsed = scenario_from_json_text(scenario_to_json_text(scenario));
  EXPECT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  return parsed.is_ok() ? *parsed : Scenario{};
}

void ExpectSameRun(const RunResult& expected, const RunResult& actual) {
  EXPECT_EQ(seed_to_display(expected.trace_hash), seed_to_display(actual.trace_hash));
  ASSERT_EQ(expected.failure.has_value(), actual.failure.has_value())
      << (expected.failure ? expected.failure->to_display() : actual.failure->to_display());
  if (expected.failure) {
    EXPECT_EQ(expected.failure->failure_class, actual.failure->failure_class);
    EXPECT_EQ(expected.failure->checker, actual.failure->checker);
    EXPECT_EQ(expected.failure->tick, actual.failure->tick);
    EXPECT_EQ(expected.failure->replica, actual.failure->replica);
    EXPECT_EQ(expected.failure->message, actual.failure->message);
    EXPECT_EQ(expected.failure->first_difference, actual.failure->first_difference);
  }
  EXPECT_EQ(expected.stats.ticks, actual.stats.ticks);
  EXPECT_EQ(expected.stats.local_edits, actual.stats.local_edits);
  EXPECT_EQ(expected.stats.appends, actual.stats.appends);
  EXPECT_EQ(expected.stats.ops_delivered, actual.stats.ops_delivered);
  EXPECT_EQ(expected.stats.failed_calls, actual.stats.failed_calls);
  EXPECT_EQ(expected.stats.crashes, actual.stats.crashes);
  EXPECT_EQ(expected.stats.forged_ops, actual.stats.forged_ops);
  EXPECT_EQ(expected.stats.checks, actual.stats.checks);
  EXPECT_EQ(expected.stats.final_op_count, actual.stats.final_op_count);
  EXPECT_EQ(expected.stats.final_node_count, actual.stats.final_node_count);
  for (std::size_t i = 0; i < kProbeCount; ++i) {
    const auto probe = static_cast<Probe>(i);
    EXPECT_EQ(expected.probes.count(probe), actual.probes.count(probe)) << probe_name(probe);
  }
  EXPECT_EQ(expected.recent_events, actual.recent_events);
}

// Records a run, then replays it from the scenario's text.
struct Recorded {
  RunResult run;
  Scenario scenario;
};

Recorded record(std::uint64_t seed, const Options& options,
                SystemFactory factory = in_process_factory()) {
  Recorded recorded;
  std::vector<Event> events;
  recorded.run = Simulation(seed, options, factory).run(&events);
  recorded.scenario.seed = seed;
  recorded.scenario.options = options;
  recorded.scenario.events = std::move(events);
  recorded.scenario = reread(recorded.scenario);
  return recorded;
}

std::set<Event::Kind> kinds_of(const std::vector<Event>& events) {
  std::set<Event::Kind> kinds;
  for (const Event& item : events) kinds.insert(item.kind);
  return kinds;
}

// --- the format ---

TEST(Scenario, EveryEventKindRoundTripsThroughItsText) {
  const Scenario scenario = every_kind();
  EXPECT_EQ(kinds_of(*scenario.events).size(), 12u);
  const std::string text = scenario_to_json_text(scenario);
  const Scenario parsed = reread(scenario);
  EXPECT_EQ(parsed, scenario);
  EXPECT_EQ(scenario_to_json_text(parsed), text);
}

TEST(Scenario, WithoutEventsItRoundTripsAndRunsLikeTheSeed) {
  Scenario scenario;
  scenario.seed = 7;
  scenario.options = small_options();
  const Scenario parsed = reread(scenario);
  EXPECT_EQ(parsed, scenario);
  EXPECT_FALSE(parsed.events.has_value());
  ExpectSameRun(Simulation(7, scenario.options).run(), run_scenario(parsed));
}

TEST(Scenario, HandWrittenFileUsesDefaultsAndAcceptsAComment) {
  auto parsed = scenario_from_json_text(R"({
    "format": "treesim-scenario", "version": 1, "comment": "ignored", "seed": "0x10",
    "options": {},
    "events": [{"tick": 0, "kind": "local", "replica": 1,
                "edit": {"kind": "insert", "node": "00000000000000000000000000000001",
                         "parent": "00000000000000000000000000000000"}}]})");
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  EXPECT_EQ(parsed->seed, 16u);
  EXPECT_EQ(parsed->options, normalized(Options{}));
  EXPECT_EQ((*parsed->events)[0].edit.placement.kind, Placement::Kind::kLast);
  EXPECT_FALSE(run_scenario(*parsed).failure.has_value());
}

// --- replay reproduces the run ---

TEST(Replay, RecordedSwarmRunsReplayToTheSameResultAndTraceHash) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const Recorded recorded = record(seed, swarm_options(seed));
    EXPECT_FALSE(recorded.run.failure.has_value()) << recorded.run.failure->to_display();
    ExpectSameRun(recorded.run, run_scenario(recorded.scenario));
  }
}

TEST(Replay, RecordedFaultyRunHoldsEveryKindAndReplaysExactly) {
  const Recorded recorded = record(3, faulty_options());
  const std::set<Event::Kind> kinds = kinds_of(*recorded.scenario.events);
  for (Event::Kind kind :
       {Event::Kind::kLocal, Event::Kind::kDeliver, Event::Kind::kSync, Event::Kind::kPartition,
        Event::Kind::kCrash, Event::Kind::kArmStorageFault, Event::Kind::kArmFaultPoint,
        Event::Kind::kForge, Event::Kind::kLiveness, Event::Kind::kEnd}) {
    EXPECT_EQ(kinds.count(kind), 1u) << "kind " << static_cast<int>(kind) << " never recorded";
  }
  ExpectSameRun(recorded.run, run_scenario(recorded.scenario));
}

TEST(Replay, ExecutesTheListWithoutTheSeedsSchedule) {
  Recorded recorded = record(5, small_options());
  const RunResult original = run_scenario(recorded.scenario);
  recorded.scenario.seed = 6;  // a different schedule, and a different start line in the trace
  const RunResult replayed = run_scenario(recorded.scenario);
  EXPECT_NE(replayed.trace_hash, original.trace_hash);
  EXPECT_EQ(replayed.stats.local_edits, original.stats.local_edits);
  EXPECT_EQ(replayed.stats.ops_delivered, original.stats.ops_delivered);
  EXPECT_EQ(replayed.stats.final_op_count, original.stats.final_op_count);
  EXPECT_NE(Simulation(6, small_options()).run().stats.local_edits, original.stats.local_edits);
}

struct LieCase {
  Lie lie;
  const char* expected_checker;
  Options options;
};

class RecordedFailure : public ::testing::TestWithParam<LieCase> {};

TEST_P(RecordedFailure, ReplaysToTheSameFailure) {
  const LieCase& c = GetParam();
  const Recorded recorded = record(3, c.options, lying_factory(c.lie));
  ASSERT_TRUE(recorded.run.failure.has_value());
  EXPECT_EQ(recorded.run.failure->checker, c.expected_checker);
  ExpectSameRun(recorded.run, run_scenario(recorded.scenario, lying_factory(c.lie)));
}

Options with(std::uint32_t Options::*field, std::uint32_t value) {
  Options options = small_options();
  options.*field = value;
  return options;
}

INSTANTIATE_TEST_SUITE_P(EveryLie, RecordedFailure,
                         ::testing::Values(LieCase{Lie::kWrongSnapshot, "model", small_options()},
                                           LieCase{Lie::kHidesAffected, "affected",
                                                   small_options()},
                                           LieCase{Lie::kForgetsAfterRestart, "durability",
                                                   with(&Options::crash_per_mille, 100)},
                                           LieCase{Lie::kNeverAnswersSync, "convergence",
                                                   with(&Options::drop_per_mille, 500)},
                                           LieCase{Lie::kHeadMovesOnFailure, "rollback",
                                                   with(&Options::storage_fault_per_mille, 200)},
                                           LieCase{Lie::kAcceptsForgery, "forge",
                                                   with(&Options::forge_per_mille, 100)},
                                           LieCase{Lie::kReversesChildren, "queries",
                                                   small_options()}));

// --- byzantine input ---

std::string trace_of(const RunResult& result) {
  std::string trace;
  for (const std::string& line : result.recent_events) trace += line + "\n";
  return trace;
}

Event forge(std::uint64_t tick, std::uint32_t replica, Op op) {
  Event out = event(Event::Kind::kForge, tick, replica);
  out.ops = {std::move(op)};
  return out;
}

Event deliver(std::uint64_t tick, std::uint32_t replica, Op op) {
  Event out = event(Event::Kind::kDeliver, tick, replica);
  out.ops = {std::move(op)};
  return out;
}

TEST(Forge, EquivocatingAndInvalidOpsAreRejectedWithoutATrace) {
  const Op original = make_insert({ReplicaId::of("a"), 1}, 1, kRoot, NodeId{1, 1},
                                  std::string("\x80\x00", 2), "x");
  Op equivocation = original;
  equivocation.parent = kTrash;
  Op invalid = original;
  invalid.lamport = 0;
  Scenario scenario;
  scenario.options = small_options();
  scenario.events = std::vector<Event>{
      deliver(0, 1, original),   forge(1, 1, equivocation), forge(1, 0, invalid),
      deliver(2, 0, original),   deliver(2, 2, original),   forge(3, 2, equivocation),
      event(Event::Kind::kLiveness, 4), event(Event::Kind::kEnd, 5)};
  const Scenario parsed = reread(scenario);
  EXPECT_EQ(parsed, scenario);
  const RunResult result = run_scenario(parsed);
  ASSERT_FALSE(result.failure.has_value()) << result.failure->to_display();
  EXPECT_EQ(result.stats.forged_ops, 3u);
  EXPECT_EQ(result.stats.final_op_count, 1u);
  EXPECT_EQ(result.probes.count(Probe::kEquivocationReject), 2u);
  EXPECT_EQ(result.probes.count(Probe::kInvalidReject), 1u);
  const std::string trace = trace_of(result);
  EXPECT_NE(trace.find("t1 r1 forge equivocation a:1@1 insert 0x10000000000000001 -> TRASH"),
            std::string::npos)
      << trace;
  EXPECT_NE(trace.find("rejected: equivocation"), std::string::npos) << trace;
  EXPECT_NE(trace.find("t1 r0 forge invalid a:1@0"), std::string::npos) << trace;
}

TEST(Forge, RecordedRunForgesBothKindsAndReplaysExactly) {
  Options options = small_options();
  options.safety_ticks = 80;
  options.forge_per_mille = 150;
  const Recorded recorded = record(4, normalized(options));
  ASSERT_FALSE(recorded.run.failure.has_value()) << recorded.run.failure->to_display();
  EXPECT_EQ(kinds_of(*recorded.scenario.events).count(Event::Kind::kForge), 1u);
  EXPECT_GT(recorded.run.stats.forged_ops, 0u);
  EXPECT_GT(recorded.run.probes.count(Probe::kEquivocationReject), 0u);
  EXPECT_GT(recorded.run.probes.count(Probe::kInvalidReject), 0u);
  ExpectSameRun(recorded.run, run_scenario(recorded.scenario));
}

TEST(Forge, AForgeryOfAnIdTheReplicaDoesNotHoldIsDeliveredAsANewOp) {
  // Only an edited list gets here (the schedule forges held ids only): without the original,
  // the op is simply new, and it is checked like any delivery.
  const Op op = make_insert({ReplicaId::of("a"), 1}, 1, kRoot, NodeId{1, 1},
                            std::string("\x80\x00", 2));
  Scenario scenario;
  scenario.options = small_options();
  scenario.events = std::vector<Event>{forge(0, 1, op)};
  const RunResult result = run_scenario(scenario);
  ASSERT_FALSE(result.failure.has_value()) << result.failure->to_display();
  EXPECT_EQ(result.stats.forged_ops, 0u);
  EXPECT_EQ(result.stats.ops_delivered, 1u);
  EXPECT_NE(trace_of(result).find("id not held, delivered as a new op"), std::string::npos);
}

// --- edited lists ---

// Keeps the events whose index `keep` accepts.
template <typename Keep>
Scenario with_events_kept(const Scenario& original, Keep keep) {
  // Read through a reference, not a copy's optional: g++ 12 at -O3 takes the copy's engaged
  // vector for uninitialized (-Wmaybe-uninitialized, an error in the release preset).
  const std::vector<Event>& events = original.events.value();
  std::vector<Event> kept;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (keep(i)) kept.push_back(events[i]);
  }
  Scenario scenario = original;
  scenario.events = std::move(kept);
  return reread(scenario);
}

TEST(EditedReplay, AListCutInHalfStillReplays) {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    const Recorded recorded = record(seed, seed == 1 ? faulty_options() : swarm_options(seed));
    const std::size_t half = recorded.scenario.events->size() / 2;
    const RunResult replayed = run_scenario(
        with_events_kept(recorded.scenario, [half](std::size_t i) { return i < half; }));
    // No end event: the replay stops after the last one, without the convergence check.
    EXPECT_FALSE(replayed.failure.has_value()) << replayed.failure->to_display();
    EXPECT_NE(replayed.trace_hash, recorded.run.trace_hash);
  }
}

TEST(EditedReplay, AListWithEventsDeletedAllOverStillReplays) {
  // Deleting every other event, or every third, shifts minted ops, leaves replicas down and
  // faults armed: the result may be any failure, but the harness itself must hold up.
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    const Recorded recorded = record(seed, seed == 1 ? faulty_options() : swarm_options(seed));
    for (const std::size_t stride : {std::size_t{2}, std::size_t{3}}) {
      const Scenario edited =
          with_events_kept(recorded.scenario, [stride](std::size_t i) { return i % stride != 1; });
      const RunResult replayed = run_scenario(edited);
      EXPECT_GT(replayed.recent_events.size(), 0u);
    }
  }
}

// SQLite does not promise that a COMMIT whose last sync failed is absent: its WAL frames may
// reach the disk anyway and be recovered after a crash. The durability checker must then adopt
// the op of the failed call (not report a log that grew from nowhere), and must equally accept
// the crash that drops it.
RunResult run_failed_commit_then_crash(CrashPolicy policy) {
  Scenario scenario;
  scenario.options = small_options();
  scenario.options.replica_count = 1;
  scenario.options.replicas.resize(1);
  scenario.options.replicas[0].crash_policy = policy;
  EXPECT_EQ(scenario.options.replicas[0].store, StoreKind::kSqlite);
  Event arm = event(Event::Kind::kArmStorageFault, 1, 0);
  arm.countdown = 1;  // an SQLite replica: the first sync from now fails
  scenario.events = std::vector<Event>{
      local(0, 0, edit(LocalEdit::Kind::kInsert, NodeId{1, 1}, kRoot)),
      arm,
      local(1, 0, edit(LocalEdit::Kind::kInsert, NodeId{1, 2}, kRoot)),  // its commit fails
      event(Event::Kind::kCrash, 2, 0)};
  return run_scenario(scenario);
}

TEST(UnsureCommit, AnOpWhoseCommitSyncFailedButReachedTheDiskIsAdopted) {
  const RunResult result = run_failed_commit_then_crash(CrashPolicy::kKeepAll);
  ASSERT_FALSE(result.failure.has_value()) << result.failure->to_display();
  const std::string trace = trace_of(result);
  EXPECT_NE(trace.find("local insert 0x10000000000000002 under ROOT failed: I/O error"),
            std::string::npos)
      << trace;
  EXPECT_NE(trace.find("r0 restart: 1 ops of failed calls turned out durable"), std::string::npos)
      << trace;
}

TEST(UnsureCommit, AnOpWhoseCommitSyncFailedAndWasLostIsNotMissed) {
  const RunResult result = run_failed_commit_then_crash(CrashPolicy::kDropAll);
  ASSERT_FALSE(result.failure.has_value()) << result.failure->to_display();
  const std::string trace = trace_of(result);
  EXPECT_NE(trace.find("r0 restarted seq=1"), std::string::npos) << trace;
  EXPECT_EQ(trace.find("turned out durable"), std::string::npos) << trace;
}

TEST(EditedReplay, EventsAtAReplicaInTheWrongStateAreSkippedOrFail) {
  Scenario scenario;
  scenario.options = small_options();
  // A memory store fails the very next store call, whatever it is: the reopen.
  scenario.options.replicas[2].store = StoreKind::kMemory;
  scenario.events = std::vector<Event>{
      event(Event::Kind::kRestart, 0, 1),                              // up: skipped
      local(1, 0, edit(LocalEdit::Kind::kMove, NodeId{9, 9}, kRoot)),  // unknown node: failed
      event(Event::Kind::kArmStorageFault, 2, 2),
      event(Event::Kind::kCrash, 2, 2),  // the restart fails: replica 2 stays down
      local(3, 2, edit(LocalEdit::Kind::kInsert, NodeId{3, 1}, kRoot)),  // down: skipped
      event(Event::Kind::kEnd, 4)};
  (*scenario.events)[2].countdown = 1;
  const RunResult result = run_scenario(reread(scenario));
  ASSERT_TRUE(result.failure.has_value());
  EXPECT_EQ(
      result.failure->to_display(),
      "convergence/convergence at tick 4, replica 2: the replica is down at the end of the run");
  std::string trace;
  for (const std::string& line : result.recent_events) trace += line + "\n";
  EXPECT_NE(trace.find("t0 r1 up: restart skipped"), std::string::npos) << trace;
  EXPECT_NE(trace.find("t2 r2 restart failed"), std::string::npos) << trace;
  EXPECT_NE(trace.find("t3 r2 down: local insert"), std::string::npos) << trace;
}

// --- malformed files ---

struct Malformed {
  const char* name;
  std::string text;
  std::string expected;  // a fragment of the message
};

// A scenario of three replicas with `events` as the items of its event list.
std::string with_events(const std::string& events) {
  return R"({"format": "treesim-scenario", "version": 1, "seed": 7,
             "options": {"replica_count": 3}, "events": [)" +
         events + "]}";
}

// A scenario whose top level has `fields` after the format.
std::string with_top(const std::string& fields) {
  return R"({"format": "treesim-scenario", )" + fields + "}";
}

const std::string kNode = R"("00000000000000000000000000000001")";
const std::string kOp = R"({"replica": "61", "counter": 1, "lamport": 1, "kind": "insert",
    "node": )" + kNode + R"(, "parent": "00000000000000000000000000000000", "order_key": "8000"})";

class MalformedScenario : public ::testing::TestWithParam<Malformed> {};

TEST_P(MalformedScenario, IsRejectedWithAMessageNamingTheProblem) {
  const auto parsed = scenario_from_json_text(GetParam().text);
  ASSERT_FALSE(parsed.is_ok());
  EXPECT_NE(parsed.status().message().find(GetParam().expected), std::string::npos)
      << parsed.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    EveryRule, MalformedScenario,
    ::testing::Values(
        Malformed{"NotJson", "{\"format\": \"treesim-scenario\",\n\"version\": 1,\n\"seed\": 7 7}",
                  "line 3: invalid JSON at column 11"},
        Malformed{"NotAnObject", "[1]", "expected a JSON object, got an array of 1 element"},
        Malformed{"MissingFormat", R"({"version": 1, "seed": 7, "options": {}})",
                  "field 'format': required in a scenario, but missing"},
        Malformed{"WrongFormat", R"({"format": "treesim-oplog", "version": 1})",
                  R"(field 'format': expected "treesim-scenario", got "treesim-oplog")"},
        Malformed{"NewerVersion", with_top(R"("version": 2, "seed": 7, "options": {}, "x": 1)"),
                  "field 'version': scenario version 2; this build reads version 1"},
        Malformed{"VersionZero", with_top(R"("version": 0, "seed": 7, "options": {})"),
                  "field 'version': scenario version 0 does not exist; this build reads version 1"},
        Malformed{"VersionNotANumber", with_top(R"("version": "1", "seed": 7, "options": {})"),
                  "field 'version': expected an unsigned integer, got a string"},
        Malformed{"UnknownField",
                  with_top(R"("version": 1, "seed": 7, "options": {}, "colour": 1)"),
                  "field 'colour': unknown field (known: format, version, comment, seed"},
        Malformed{"CommentNotText",
                  with_top(R"("version": 1, "comment": [], "seed": 7, "options": {})"),
                  "field 'comment': expected a string"},
        Malformed{"MissingSeed", with_top(R"("version": 1, "options": {})"),
                  "field 'seed': required in a scenario, but missing"},
        Malformed{"SeedNotANumber", with_top(R"("version": 1, "seed": "banana", "options": {})"),
                  "field 'seed': 'banana' is not a number (decimal or 0x hex)"},
        Malformed{"BadOption",
                  with_top(R"("version": 1, "seed": 7, "options": {"replica_count": 0})"),
                  "field 'options.replica_count': 0 is outside [1, 64]"},
        // A key is input text: it is quoted printable, so the message stays on one line.
        Malformed{"UnknownOptionWithANewline",
                  with_top(R"("version": 1, "seed": 7, "options": {"ticks\nsafety": 1})"),
                  R"(field 'options.ticks\x0asafety': unknown option)"},
        Malformed{"UnknownOpKind",
                  with_top(R"("version": 1, "seed": 7, "options": {"op_mix": {"rename": 1}})"),
                  "field 'options.op_mix.rename': unknown op kind"},
        Malformed{"EventsNotAList",
                  with_top(R"("version": 1, "seed": 7, "options": {}, "events": {})"),
                  "field 'events': expected an array of events, got an object"},
        Malformed{"EventNotAnObject", with_events("3"),
                  "field 'events[0]': expected a JSON object, got the unsigned integer 3"},
        Malformed{
            "UnknownEventKind",
            with_events(R"({"tick": 0, "kind": "heal"}, {"tick": 0, "kind": "teleport"})"),
            R"(field 'events[1].kind': unknown event kind "teleport" (known: local, deliver,)"},
        Malformed{"MissingTick", with_events(R"({"kind": "heal"})"),
                  "field 'events[0].tick': required on every event, but missing"},
        Malformed{"TickGoesBack",
                  with_events(R"({"tick": 5, "kind": "heal"}, {"tick": 4, "kind": "heal"})"),
                  "field 'events[1].tick': 4 is before the previous event's tick 5"},
        Malformed{"ReplicaOutOfRange", with_events(R"({"tick": 0, "kind": "crash", "replica": 3})"),
                  "field 'events[0].replica': 3 is outside [0, 2]"},
        Malformed{"DeliveryTargetOutOfRange",
                  with_events(R"({"tick": 0, "kind": "deliver", "to": 9, "ops": [)" + kOp + "]}"),
                  "field 'events[0].to': 9 is outside [0, 2]"},
        Malformed{"FieldOfAnotherKind",
                  with_events(R"({"tick": 0, "kind": "crash", "replica": 0, "countdown": 2})"),
                  "field 'events[0].countdown': unknown field (known: tick, kind, replica)"},
        Malformed{"MalformedOp",
                  with_events(R"({"tick": 0, "kind": "deliver", "to": 1, "ops": [)" + kOp + ", " +
                              R"({"replica": "61", "counter": 2, "lamport": 2, "kind": "payload",
                                  "node": "07"}]})"),
                  "events[0].ops[1]: field 'node': expected 32 hex digits, got 2 characters"},
        Malformed{"InvalidOp",
                  with_events(R"({"tick": 0, "kind": "deliver", "to": 1, "ops": [{"replica": "61",
                      "counter": 0, "lamport": 1, "kind": "payload", "node": )" +
                              kNode + "}]}"),
                  "events[0].ops[0]: "},
        Malformed{"ForgeWithoutOp", with_events(R"({"tick": 0, "kind": "forge", "to": 1})"),
                  "field 'events[0].op': required on a forge event, but missing"},
        Malformed{"ForgedOpOfNoShape",
                  with_events(R"({"tick": 0, "kind": "forge", "to": 1, "op": {"replica": "61",
                      "counter": 0, "lamport": 1, "kind": "delete", "node": )" +
                              kNode + R"(, "payload": "00"}})"),
                  "events[0].op: field 'payload': not allowed on a delete"},
        Malformed{"EmptyDelivery",
                  with_events(R"({"tick": 0, "kind": "deliver", "to": 1, "ops": []})"),
                  "field 'events[0].ops': expected an array of at least one op"},
        Malformed{"SyncWithItself",
                  with_events(R"({"tick": 0, "kind": "sync", "from": 1, "to": 1, "known": {}})"),
                  "field 'events[0].to': equals 'from': a replica does not sync with itself"},
        Malformed{"BadVersionVector", with_events(R"({"tick": 0, "kind": "sync", "from": 1, "to": 0,
                                  "known": {"61": [[0, 1]]}})"),
                  "field 'events[0].known.61[0]': range [0, 1] is not valid"},
        Malformed{
            "ZeroCountdown",
            with_events(R"({"tick": 0, "kind": "arm_fault_point", "replica": 0, "countdown": 0})"),
            "field 'events[0].countdown': 0 is outside [1, 4294967296]"},
        Malformed{"PartitionMemberOutOfRange",
                  with_events(R"({"tick": 0, "kind": "partition", "side": [1, 3], "until": 4})"),
                  "field 'events[0].side[1]': 3 is outside [0, 2]"},
        Malformed{
            "UnknownEditKind",
            with_events(R"({"tick": 0, "kind": "local", "replica": 0,
                                  "edit": {"kind": "rename", "node": )" +
                        kNode + "}}"),
            R"(field 'events[0].edit.kind': unknown edit kind "rename" (known: insert, move,)"},
        Malformed{"EditFieldOfAnotherKind",
                  with_events(R"({"tick": 0, "kind": "local", "replica": 0, "edit": {"kind":
                      "remove", "node": )" +
                              kNode + R"(, "parent": )" + kNode + "}}"),
                  "field 'events[0].edit.parent': not allowed on a remove edit"},
        Malformed{
            "AfterWithoutSibling",
            with_events(R"({"tick": 0, "kind": "local", "replica": 0, "edit": {"kind":
                      "move", "node": )" +
                        kNode + R"(, "parent": )" + kNode + R"(, "placement": "after"}})"),
            R"(field 'events[0].edit.sibling': required with placement "after", but missing)"},
        Malformed{"RepeatedKey", with_events(R"({"tick": 0, "kind": "heal", "tick": 1})"),
                  "field 'events[0]': key 'tick' appears twice"}),
    [](const ::testing::TestParamInfo<Malformed>& param) { return std::string(param.param.name); });

TEST(MalformedScenario, ANewerVersionIsUnsupportedRatherThanInvalid) {
  const auto parsed =
      scenario_from_json_text(with_top(R"("version": 3, "seed": 7, "options": {})"));
  ASSERT_FALSE(parsed.is_ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kUnsupported);
}

TEST(ScenarioFile, ErrorsNameTheFile) {
  const std::string path = ::testing::TempDir() + "scenario_test_bad.json";
  std::ofstream(path) << with_events(R"({"tick": 0, "kind": "crash", "replica": 7})");
  const auto read = read_scenario_file(path);
  ASSERT_FALSE(read.is_ok());
  EXPECT_EQ(read.status().message(), path + ": field 'events[0].replica': 7 is outside [0, 2]");
  const auto missing = read_scenario_file(path + ".missing");
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("cannot read '" + path + ".missing'"),
            std::string::npos);
}

TEST(ScenarioFile, WrittenFileReadsBackEqual) {
  const std::string path = ::testing::TempDir() + "scenario_test_every_kind.json";
  ASSERT_TRUE(write_scenario_file(path, every_kind()).is_ok());
  const auto read = read_scenario_file(path);
  ASSERT_TRUE(read.is_ok()) << read.status().to_string();
  EXPECT_EQ(*read, every_kind());
}

}  // namespace
}  // namespace treesim
