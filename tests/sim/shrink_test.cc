// The shrinker: a failing run of replicas that misbehave in one planted way shrinks to at most
// 20 events that fail with the same checker; every candidate replayed on the way is a valid
// scenario; the result replays on its own, and every op it delivers is the op a local edit of
// the list minted. A system under test that crashes (an assertion aborts the process) shrinks,
// isolated, to a few events that crash with the same assertion, and no candidate that crashes
// otherwise, fails a checker instead or hangs is kept. Method: record the first failing seed of
// a small profile with a planted fault (a lying or asserting system under test), shrink it under
// budgets, and check the result from its file.
#include "sim/shrink.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "core/assert.h"
#include "sim/in_process_replica.h"
#include "sim/scenario.h"
#include "sim/shrink_replay.h"
#include "tests/sim/lying_replica.h"
#include "tests/sim/shrink_fixture.h"

namespace treesim {
namespace {

// The real materializer, misreporting a node as not tombstoned after a delete of it arrived
// late: behind the replica's head, so that the replica had to catch up to apply it. The bug
// class of a catch-up path that loses a delete; it needs a particular sequence (an op, then a
// delete that sorts before it) to show.
class LateDeleteLie final : public ForwardingSystem {
 public:
  // With `abort_on_unknown_node`, a local edit of a node the replica does not know crashes the
  // process, like an assertion would. A recorded run never makes one (the workload edits nodes
  // of the replica's own snapshot); a list with events deleted does.
  LateDeleteLie(const ReplicaId& id, const ReplicaConfig& config, std::uint64_t seed,
                bool abort_on_unknown_node = false)
      : ForwardingSystem(id, config, seed), abort_on_unknown_node_(abort_on_unknown_node) {}

  Result<AppendResult> append(const std::vector<Op>& batch) override {
    const Head head = inner().head();
    auto result = inner().append(batch);
    if (result.is_ok() && head.key) {
      for (const Op& op : batch) {
        if (op.kind == OpKind::kDelete && op.key() < *head.key) hidden_.insert(op.node);
      }
    }
    return result;
  }
  Result<LocalResult> local(const LocalEdit& edit) override {
    auto result = inner().local(edit);
    if (abort_on_unknown_node_ && !result.is_ok() &&
        result.status().code() == StatusCode::kNotFound) {
      std::abort();
    }
    return result;
  }
 private:
  void edit_snapshot(Snapshot& snapshot) const override {
    for (SnapshotRow& row : snapshot.rows) {
      if (hidden_.contains(row.node)) row.tombstoned = false;
    }
  }

  bool abort_on_unknown_node_;
  std::set<NodeId> hidden_;
};

SystemFactory late_delete_factory(bool abort_on_unknown_node = false) {
  return [abort_on_unknown_node](const ReplicaId& id, const ReplicaConfig& config,
                                 std::uint64_t seed) {
    return std::make_unique<LateDeleteLie>(id, config, seed, abort_on_unknown_node);
  };
}

Options with(std::uint32_t Options::*field, std::uint32_t value) {
  Options options = small_options();
  options.*field = value;
  return options;
}

// The recorded run of the first seed from 1 that fails.
Scenario first_failing(const Options& options, const SystemFactory& factory) {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    std::vector<Event> events;
    const RunResult result = Simulation(seed, options, factory).run(&events);
    if (result.failure) return Scenario{"", seed, options, std::move(events)};
  }
  ADD_FAILURE() << "no seed in 1..40 fails";
  return Scenario{};
}

struct PlantedFault {
  const char* name;
  SystemFactory factory;
  Options options;
  const char* checker;
};

void PrintTo(const PlantedFault& planted, std::ostream* out) { *out << planted.name; }

class Planted : public ::testing::TestWithParam<PlantedFault> {};

TEST_P(Planted, ShrinksToAtMost20EventsThatFailWithTheSameChecker) {
  const PlantedFault& planted = GetParam();
  const Scenario failing = first_failing(planted.options, planted.factory);
  ASSERT_TRUE(failing.events.has_value());

  std::uint64_t candidates = 0;
  std::vector<std::string> invalid;
  ShrinkOptions options;
  options.time_seconds = 300;  // the tries budget binds first; the clock only guards the test
  options.tries_max = 2000;
  options.candidate = [&](const Scenario& candidate) {
    ++candidates;
    // Valid: the executor's preconditions hold, and the file form reads back to the same list.
    if (Status status = check_replayable(candidate.options, *candidate.events); !status.is_ok()) {
      invalid.push_back(status.to_string());
    }
    auto reread = scenario_from_json_text(scenario_to_json_text(candidate));
    if (!reread.is_ok()) {
      invalid.push_back(reread.status().to_string());
    } else if (!(*reread == candidate)) {
      invalid.push_back("candidate " + std::to_string(candidates) + " does not read back equal");
    }
  };
  const auto started = std::chrono::steady_clock::now();
  auto shrunk = shrink_scenario(failing, options, planted.factory);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_TRUE(shrunk.is_ok()) << shrunk.status().to_string();
  const std::size_t size = shrunk->scenario.events->size();
  std::printf(
      "planted %s: seed %llu, %zu events at %u replicas -> %zu events at %u replicas, "
      "%llu tries, %.1f s\n",
      planted.name, static_cast<unsigned long long>(failing.seed), failing.events->size(),
      failing.options.replica_count, size, shrunk->scenario.options.replica_count,
      static_cast<unsigned long long>(shrunk->tries), seconds);

  EXPECT_TRUE(invalid.empty()) << invalid.size() << " invalid candidates, first: " << invalid[0];
  EXPECT_EQ(candidates, shrunk->tries);
  EXPECT_LE(size, 20u) << shrunk->scenario.comment;
  EXPECT_LT(size, failing.events->size());
  EXPECT_EQ(shrunk->original_failure.checker, planted.checker);
  EXPECT_TRUE(same_failure(shrunk->original_failure, shrunk->failure));

  // From its file, on its own: the same failure, and ops that follow their edits.
  auto file = scenario_from_json_text(scenario_to_json_text(shrunk->scenario));
  ASSERT_TRUE(file.is_ok()) << file.status().to_string();
  const RunResult replayed = run_scenario(*file, planted.factory);
  ASSERT_TRUE(replayed.failure.has_value());
  EXPECT_EQ(replayed.failure->checker, planted.checker);
  EXPECT_TRUE(same_failure(shrunk->original_failure, *replayed.failure))
      << replayed.failure->to_display();
  const std::vector<std::string> stale = ops_not_minted_by_their_edits(*file, planted.factory);
  EXPECT_TRUE(stale.empty()) << stale.front();
  // The comment says what happened.
  EXPECT_NE(file->comment.find("It fails with " +
                               std::string(failure_class_name(shrunk->failure.failure_class)) +
                               "/" + planted.checker),
            std::string::npos)
      << file->comment;
}

INSTANTIATE_TEST_SUITE_P(
    EveryPlantedFault, Planted,
    ::testing::Values(PlantedFault{"late-delete", late_delete_factory(), small_options(), "model"},
                      PlantedFault{"wrong-snapshot", lying_factory(Lie::kWrongSnapshot),
                                   small_options(), "model"},
                      PlantedFault{"hides-affected", lying_factory(Lie::kHidesAffected),
                                   small_options(), "affected"},
                      PlantedFault{"forgets-after-restart",
                                   lying_factory(Lie::kForgetsAfterRestart),
                                   with(&Options::crash_per_mille, 60), "durability"},
                      PlantedFault{"never-answers-sync", lying_factory(Lie::kNeverAnswersSync),
                                   with(&Options::drop_per_mille, 500), "convergence"},
                      PlantedFault{"head-moves-on-failure", lying_factory(Lie::kHeadMovesOnFailure),
                                   with(&Options::storage_fault_per_mille, 150), "rollback"},
                      PlantedFault{"accepts-forgery", lying_factory(Lie::kAcceptsForgery),
                                   with(&Options::forge_per_mille, 100), "forge"}),
    [](const auto& test) {
      std::string name = test.param.name;
      std::erase(name, '-');
      return name;
    });

TEST(Shrink, ALateDeleteNeedsOnlyTwoReplicasAndTheEditsBehindIt) {
  const Scenario failing = first_failing(small_options(), late_delete_factory());
  auto shrunk = shrink_scenario(failing, ShrinkOptions{}, late_delete_factory());
  ASSERT_TRUE(shrunk.is_ok()) << shrunk.status().to_string();
  EXPECT_EQ(shrunk->failure.first_difference, "tombstoned");
  EXPECT_EQ(shrunk->scenario.options.replica_count, 2u) << shrunk->scenario.comment;
  // The insert, the delete, an op ahead of it, and the deliveries that make the delete late
  // at the other replica; nothing else.
  std::size_t deliveries = 0;
  std::size_t edits = 0;
  for (const Event& event : *shrunk->scenario.events) {
    deliveries += event.kind == Event::Kind::kDeliver;
    edits += event.kind == Event::Kind::kLocal;
  }
  EXPECT_LE(edits, 3u) << shrunk->scenario.comment;
  EXPECT_LE(deliveries, 3u) << shrunk->scenario.comment;
  EXPECT_FALSE(shrunk->budget_spent);
}

// The replica whose configuration carries this undo window lies; the others do not. A
// configuration moves with its replica when replicas before it are dropped.
constexpr std::uint64_t kMarkedUndoRetention = 4321;

SystemFactory lying_where_marked(Lie lie) {
  return [lie](const ReplicaId& id, const ReplicaConfig& config,
               std::uint64_t seed) -> std::unique_ptr<SystemUnderTest> {
    if (config.undo_retention == kMarkedUndoRetention) {
      return std::make_unique<LyingReplica>(id, config, seed, lie);
    }
    return std::make_unique<InProcessReplica>(id, config, seed);
  };
}

TEST(Shrink, ReplicasAreDroppedAndTheRestRenumberedWithTheirOps) {
  // Replica 3 of four hides the affected nodes of its appends: the first delivery to it fails.
  // One author and replica 3 suffice; the shrunk scenario has two replicas, the marked one
  // second, and the op it delivers is the one the renumbered author mints now.
  Options options = small_options();
  options.replicas[3].undo_retention = kMarkedUndoRetention;
  const SystemFactory factory = lying_where_marked(Lie::kHidesAffected);
  const Scenario failing = first_failing(options, factory);
  ASSERT_TRUE(failing.events.has_value());
  auto shrunk = shrink_scenario(failing, ShrinkOptions{}, factory);
  ASSERT_TRUE(shrunk.is_ok()) << shrunk.status().to_string();
  EXPECT_EQ(shrunk->original_failure.replica, std::optional<std::uint32_t>(3));
  EXPECT_EQ(shrunk->failure.checker, "affected");
  EXPECT_EQ(shrunk->failure.replica, std::optional<std::uint32_t>(1));
  ASSERT_EQ(shrunk->scenario.options.replica_count, 2u) << shrunk->scenario.comment;
  EXPECT_EQ(shrunk->scenario.options.replicas[1].undo_retention, kMarkedUndoRetention);
  const std::vector<Event>& events = *shrunk->scenario.events;
  ASSERT_EQ(events.size(), 2u) << shrunk->scenario.comment;
  EXPECT_EQ(events[0].kind, Event::Kind::kLocal);
  EXPECT_EQ(events[0].replica, 0u);
  EXPECT_EQ(events[1].kind, Event::Kind::kDeliver);
  EXPECT_EQ(events[1].replica, 1u);
  ASSERT_EQ(events[1].ops.size(), 1u);
  EXPECT_EQ(events[1].ops[0].id.to_display(), "a:1");
  const std::vector<std::string> stale = ops_not_minted_by_their_edits(shrunk->scenario, factory);
  EXPECT_TRUE(stale.empty()) << stale.front();
  // Ticks close up: 0, 1.
  EXPECT_EQ(events[0].tick, 0u);
  EXPECT_EQ(events[1].tick, 1u);
}

TEST(Shrink, ADeliveredOpIsTheOpItsEditMintsOnceEarlierEventsAreGone) {
  // Replica 1 hides the affected nodes of its appends. Without the insert of node 1, the insert
  // of node 2 mints a:1 at lamport 1 instead of a:2 at lamport 2, and its delivery must carry
  // that op, not the recorded one.
  Scenario scenario;
  scenario.options = small_options();
  scenario.options.replica_count = 2;
  scenario.options.replicas.resize(2);
  scenario.options.replicas[1].undo_retention = kMarkedUndoRetention;
  scenario.events = std::vector<Event>{insert(0, 0, 1), insert(1, 0, 2), deliver(2, 1)};
  const SystemFactory factory = lying_where_marked(Lie::kHidesAffected);
  scenario = with_minted_deliveries(scenario, {{2, {1}}}, factory);
  ASSERT_EQ((*scenario.events)[2].ops[0].id.to_display(), "a:2");

  auto shrunk = shrink_scenario(scenario, ShrinkOptions{}, factory);
  ASSERT_TRUE(shrunk.is_ok()) << shrunk.status().to_string();
  const std::vector<Event>& events = *shrunk->scenario.events;
  ASSERT_EQ(events.size(), 2u) << shrunk->scenario.comment;
  EXPECT_EQ(events[0].edit.node, NodeId::from_low(2));
  ASSERT_EQ(events[1].ops.size(), 1u);
  EXPECT_EQ(events[1].ops[0].id.to_display(), "a:1");
  EXPECT_EQ(events[1].ops[0].lamport, 1u);
  EXPECT_EQ(events[1].ops[0].node, NodeId::from_low(2));
  const std::vector<std::string> stale = ops_not_minted_by_their_edits(shrunk->scenario, factory);
  EXPECT_TRUE(stale.empty()) << stale.front();
}

TEST(Shrink, NoCandidateDeliversTheOpOfAnEditItDropped) {
  // Replica 2 hides the affected nodes of its appends, and only the insert of node 1 reaches it;
  // the ops of the other edits travel to replica 1. Whenever a candidate lacks an insert, no
  // delivery of it carries that node's op.
  Scenario scenario;
  scenario.options = small_options();
  scenario.options.replica_count = 3;
  scenario.options.replicas.resize(3);
  scenario.options.replicas[2].undo_retention = kMarkedUndoRetention;
  scenario.events = std::vector<Event>{insert(0, 0, 1), insert(0, 0, 2), insert(1, 1, 3),
                                       deliver(2, 1),   deliver(3, 0),   deliver(4, 2)};
  const SystemFactory factory = lying_where_marked(Lie::kHidesAffected);
  scenario = with_minted_deliveries(scenario, {{3, {0, 1}}, {4, {2}}, {5, {0}}}, factory);

  std::vector<std::string> dangling;
  ShrinkOptions options;
  options.candidate = [&](const Scenario& candidate) {
    std::set<NodeId> inserted;
    for (const Event& event : *candidate.events) {
      if (event.kind == Event::Kind::kLocal) inserted.insert(event.edit.node);
      if (event.kind != Event::Kind::kDeliver) continue;
      for (const Op& op : event.ops) {
        if (!inserted.contains(op.node)) dangling.push_back(op.to_display());
      }
    }
  };
  auto shrunk = shrink_scenario(scenario, options, factory);
  ASSERT_TRUE(shrunk.is_ok()) << shrunk.status().to_string();
  EXPECT_TRUE(dangling.empty()) << dangling.size() << " dangling ops, first " << dangling[0];
  EXPECT_GT(shrunk->tries, 5u);
  const std::vector<Event>& events = *shrunk->scenario.events;
  ASSERT_EQ(events.size(), 2u) << shrunk->scenario.comment;
  EXPECT_EQ(events[0].edit.node, NodeId::from_low(1));
  EXPECT_EQ(events[1].replica, 1u);  // replica 2, after replica 1 was dropped
}

TEST(Shrink, FaultEventsAreDroppedDownToTheOneThatMatters) {
  // The replica cannot restart (an armed storage fault fails the reopen of its memory store)
  // and is down at the end; the fault point, the partition and the skipped restart are noise.
  // The shrunk list is the arm, the crash and the end, at consecutive ticks.
  Scenario scenario;
  scenario.options = small_options();
  scenario.options.replica_count = 1;
  scenario.options.replicas.resize(1);
  auto arm = [](Event::Kind kind, std::uint64_t tick, std::uint64_t countdown) {
    return Event{.kind = kind, .tick = tick, .replica = 0, .countdown = countdown};
  };
  scenario.events = std::vector<Event>{
      arm(Event::Kind::kArmFaultPoint, 0, 5),
      Event{.kind = Event::Kind::kPartition, .tick = 1, .side = {0}, .until = 6},
      arm(Event::Kind::kArmStorageFault, 2, 1),
      Event{.kind = Event::Kind::kRestart, .tick = 3, .replica = 0},  // up: skipped
      Event{.kind = Event::Kind::kCrash, .tick = 4, .replica = 0},    // the reopen fails
      Event{.kind = Event::Kind::kHeal, .tick = 6},
      Event{.kind = Event::Kind::kEnd, .tick = 9}};
  auto shrunk = shrink_scenario(scenario, ShrinkOptions{}, in_process_factory());
  ASSERT_TRUE(shrunk.is_ok()) << shrunk.status().to_string();
  EXPECT_EQ(shrunk->failure.to_display(),
            "convergence/convergence at tick 2, replica 0: the replica is down at the end of the "
            "run");
  const std::vector<Event> expected = {arm(Event::Kind::kArmStorageFault, 0, 1),
                                       Event{.kind = Event::Kind::kCrash, .tick = 1},
                                       Event{.kind = Event::Kind::kEnd, .tick = 2}};
  EXPECT_EQ(*shrunk->scenario.events, expected) << shrunk->scenario.comment;
}

TEST(Shrink, IsolatedCandidatesThatCrashTheSystemAreSkipped) {
  // Deleting an insert makes a later edit of its node crash this system; in a child process
  // that only rejects the candidate.
  const SystemFactory factory = late_delete_factory(/*abort_on_unknown_node=*/true);
  const Scenario failing = first_failing(small_options(), factory);
  ShrinkOptions options;
  options.isolate = true;
  auto shrunk = shrink_scenario(failing, options, factory);
  ASSERT_TRUE(shrunk.is_ok()) << shrunk.status().to_string();
  EXPECT_GT(shrunk->crashed, 0u);
  EXPECT_LE(shrunk->scenario.events->size(), 6u) << shrunk->scenario.comment;
  EXPECT_EQ(shrunk->failure.first_difference, "tombstoned");
}

// --- crashes ---

// The real materializer with assertions planted where a materializer with a bug would crash, at
// conditions a correct one handles fine, so that a run crashes like one with a planted bug:
//   - a delete that arrives behind the replica's head (late: it needs a catch-up, so a
//     particular sequence of edits and deliveries, like LateDeleteLie's);
//   - a local edit of a node the replica does not know: a recorded run never makes one (the
//     workload edits nodes of the replica's own snapshot), a list with events deleted does;
//     there it crashes with another assertion, or hangs.
// Optionally its snapshot also lies while it holds node 3 but not node 2: a checker's failure.
struct Plants {
  bool assert_late_delete = true;  // off: only count them in `late_deletes`
  enum class UnknownNode { kAssert, kHang } unknown_node = UnknownNode::kAssert;
  bool lie_with_node_3_without_node_2 = false;
  std::size_t* late_deletes = nullptr;
};

class PlantedAssertions final : public ForwardingSystem {
 public:
  PlantedAssertions(const ReplicaId& id, const ReplicaConfig& config, std::uint64_t seed,
                    const Plants& plants)
      : ForwardingSystem(id, config, seed), plants_(plants) {}

  Result<AppendResult> append(const std::vector<Op>& batch) override {
    const Head head = inner().head();
    bool delete_arrives_in_order = true;
    for (const Op& op : batch) {
      if (op.kind == OpKind::kDelete && head.key && op.key() < *head.key) {
        delete_arrives_in_order = false;
      }
    }
    if (!delete_arrives_in_order && plants_.late_deletes != nullptr) ++*plants_.late_deletes;
    if (plants_.assert_late_delete) TS_ASSERT(delete_arrives_in_order);
    return inner().append(batch);
  }
  Result<LocalResult> local(const LocalEdit& edit) override {
    auto result = inner().local(edit);
    const bool edited_node_is_known =
        result.is_ok() || result.status().code() != StatusCode::kNotFound;
    if (!edited_node_is_known && plants_.unknown_node == Plants::UnknownNode::kHang) {
      for (;;) pause();  // until the parent's timeout kills the process
    }
    TS_ASSERT(edited_node_is_known);
    return result;
  }
 private:
  void edit_snapshot(Snapshot& snapshot) const override {
    if (!plants_.lie_with_node_3_without_node_2) return;
    const auto holds = [&](std::uint64_t node) {
      return std::any_of(snapshot.rows.begin(), snapshot.rows.end(), [&](const SnapshotRow& row) {
        return row.node == NodeId::from_low(node);
      });
    };
    if (!holds(3) || holds(2)) return;
    for (SnapshotRow& row : snapshot.rows) {
      if (row.node == NodeId::from_low(3)) row.order_key += "\x01";
    }
  }

  Plants plants_;
};

SystemFactory planted_assertions(Plants plants = {}) {
  return [plants](const ReplicaId& id, const ReplicaConfig& config, std::uint64_t seed) {
    return std::make_unique<PlantedAssertions>(id, config, seed, plants);
  };
}

// The message of PlantedAssertions' assertion on a late delete, as core/assert.h prints it.
constexpr const char* kLateDeleteAssertion = "assertion failed: delete_arrives_in_order at ";

Event remove(std::uint64_t tick, std::uint32_t replica, std::uint64_t node) {
  Event event{.kind = Event::Kind::kLocal, .tick = tick, .replica = replica};
  event.edit.kind = LocalEdit::Kind::kRemove;
  event.edit.node = NodeId::from_low(node);
  return event;
}

// Replica 0 inserts and removes node 1; replica 1 inserts nodes 2 and 3, so that its head is
// (2,b,2) when the insert and the delete (2,a,2) of node 1 reach it: the delete is late, and
// replica 1 crashes. Every event is needed, and the shortcuts fail otherwise: without the insert
// of node 1, its remove crashes on an unknown node; without the insert of node 2, replica 1
// lies about node 3 (a model failure); without any other, nothing fails.
Scenario late_delete_crash(const Plants& plants) {
  Scenario scenario;
  scenario.options = small_options();
  scenario.options.replica_count = 2;
  scenario.options.replicas.resize(2);
  scenario.events = std::vector<Event>{insert(0, 0, 1), remove(1, 0, 1), insert(2, 1, 2),
                                       insert(3, 1, 3), deliver(4, 1)};
  // Built without the planted assertions: the same ops, minted without crashing.
  Plants quiet = plants;
  quiet.assert_late_delete = false;
  return with_minted_deliveries(scenario, {{4, {0, 1}}}, planted_assertions(quiet));
}

TEST(ShrinkCrash, CandidatesThatCrashOtherwiseOrFailACheckerInsteadAreNotKept) {
  Plants plants;
  plants.lie_with_node_3_without_node_2 = true;
  const Scenario scenario = late_delete_crash(plants);
  ShrinkOptions options;
  options.isolate = true;
  auto shrunk = shrink_scenario(scenario, options, planted_assertions(plants));
  ASSERT_TRUE(shrunk.is_ok()) << shrunk.status().to_string();
  EXPECT_TRUE(is_crash(shrunk->original_failure));
  EXPECT_EQ(shrunk->failure.checker, "assertion");
  EXPECT_TRUE(shrunk->failure.message.starts_with(kLateDeleteAssertion)) << shrunk->failure.message;
  EXPECT_EQ(shrunk->failure.tick, 4u);
  EXPECT_EQ(shrunk->failure.replica, std::optional<std::uint32_t>(1));
  // Kept: the five events (the delivery may lose the insert's op: the delete alone is late).
  // Taking the crash on the unknown node would leave the remove alone, taking the model
  // failure four events.
  EXPECT_EQ(shrunk->scenario.events->size(), 5u) << shrunk->scenario.comment;
  EXPECT_GT(shrunk->crashed, 0u);  // the unknown node's crash was seen, and rejected
}

TEST(ShrinkCrash, AHangingCandidateIsNotTheSameFailure) {
  Plants plants;
  plants.unknown_node = Plants::UnknownNode::kHang;
  ShrinkOptions options;
  options.isolate = true;
  options.candidate_timeout_seconds = 1;
  auto shrunk = shrink_scenario(late_delete_crash(plants), options, planted_assertions(plants));
  ASSERT_TRUE(shrunk.is_ok()) << shrunk.status().to_string();
  EXPECT_TRUE(shrunk->failure.message.starts_with(kLateDeleteAssertion)) << shrunk->failure.message;
  EXPECT_EQ(shrunk->scenario.events->size(), 5u) << shrunk->scenario.comment;
  EXPECT_GT(shrunk->crashed, 0u);  // the hangs, killed at the timeout
}

TEST(ShrinkCrash, ASeedThatCrashesIsRecordedToItsCrashAndShrinksToAFewEventsThatCrashAlike) {
  // The first seed whose run has a late delete; without the assertion the run passes.
  const Options options = small_options();
  std::uint64_t seed = 0;
  std::size_t crashing_event = 0;
  for (std::uint64_t candidate = 1; candidate <= 40 && seed == 0; ++candidate) {
    std::size_t late_deletes = 0;
    const SystemFactory counting =
        planted_assertions(Plants{.assert_late_delete = false, .late_deletes = &late_deletes});
    std::vector<Event> events;
    ASSERT_FALSE(Simulation(candidate, options, counting).run(&events).failure.has_value());
    if (late_deletes == 0) continue;
    // Which event made the first one.
    late_deletes = 0;
    Simulation::ReplayHooks hooks;
    hooks.before = [&](std::size_t index, Event&) {
      if (late_deletes == 0) crashing_event = index;
      return true;
    };
    Simulation(candidate, options, counting).replay(events, hooks);
    seed = candidate;
  }
  ASSERT_NE(seed, 0u) << "no seed in 1..40 has a late delete";

  // From the seed alone: the run is recorded in a child up to the event that crashed it.
  ShrinkOptions shrink_options;
  shrink_options.isolate = true;
  const auto started = std::chrono::steady_clock::now();
  auto shrunk = shrink_scenario(Scenario{"", seed, options, std::nullopt}, shrink_options,
                                planted_assertions());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_TRUE(shrunk.is_ok()) << shrunk.status().to_string();
  std::printf("crash: seed %llu, %zu events -> %zu events at %u replicas, %llu tries, %.1f s\n",
              static_cast<unsigned long long>(seed), shrunk->original_event_count,
              shrunk->scenario.events->size(), shrunk->scenario.options.replica_count,
              static_cast<unsigned long long>(shrunk->tries), seconds);
  EXPECT_EQ(shrunk->original_event_count, crashing_event + 1);
  EXPECT_TRUE(shrunk->original_failure.message.starts_with(kLateDeleteAssertion))
      << shrunk->original_failure.to_display();
  EXPECT_TRUE(same_failure(shrunk->original_failure, shrunk->failure));
  EXPECT_LE(shrunk->scenario.events->size(), 20u) << shrunk->scenario.comment;
  EXPECT_LT(shrunk->scenario.events->size(), shrunk->original_event_count);

  // From its file, on its own, the system crashes with the same assertion in the last event.
  auto file = scenario_from_json_text(scenario_to_json_text(shrunk->scenario));
  ASSERT_TRUE(file.is_ok()) << file.status().to_string();
  EXPECT_DEATH(run_scenario(*file, planted_assertions()),
               "assertion failed: delete_arrives_in_order at .*shrink_test.cc");
  EXPECT_NE(file->comment.find("It crashes the system under test (crash/assertion) at tick " +
                               std::to_string(shrunk->failure.tick)),
            std::string::npos)
      << file->comment;
  EXPECT_NE(file->comment.find(kLateDeleteAssertion), std::string::npos) << file->comment;
  // The trace covers the events before the crashing one.
  EXPECT_NE(file->comment.find("Trace of the replay:\n  t0 start"), std::string::npos)
      << file->comment;
}

TEST(Shrink, APassingScenarioIsRefusedWithHowItEnded) {
  std::vector<Event> events;
  const Options options = small_options();
  ASSERT_FALSE(Simulation(3, options).run(&events).failure.has_value());
  auto shrunk = shrink_scenario(Scenario{"", 3, options, events}, ShrinkOptions{});
  ASSERT_FALSE(shrunk.is_ok());
  EXPECT_EQ(shrunk.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(shrunk.status().message().find("the scenario does not fail"), std::string::npos)
      << shrunk.status().message();
}

TEST(Shrink, ATriesBudgetStopsItWithAFailingScenario) {
  const Scenario failing = first_failing(small_options(), late_delete_factory());
  ShrinkOptions options;
  options.tries_max = 3;
  std::vector<std::uint64_t> progress_tries;
  options.progress = [&](const ShrinkProgress& progress) {
    progress_tries.push_back(progress.tries);
  };
  auto shrunk = shrink_scenario(failing, options, late_delete_factory());
  ASSERT_TRUE(shrunk.is_ok()) << shrunk.status().to_string();
  EXPECT_TRUE(shrunk->budget_spent);
  EXPECT_EQ(shrunk->tries, 3u);
  EXPECT_FALSE(progress_tries.empty());
  EXPECT_LE(progress_tries.back(), 3u);
  EXPECT_TRUE(same_failure(shrunk->original_failure, shrunk->failure));
  EXPECT_NE(shrunk->scenario.comment.find("(budget spent)"), std::string::npos);
}

TEST(Shrink, IsDeterministic) {
  const Scenario failing = first_failing(small_options(), lying_factory(Lie::kHidesAffected));
  ShrinkOptions options;
  options.tries_max = 200;
  auto first = shrink_scenario(failing, options, lying_factory(Lie::kHidesAffected));
  auto second = shrink_scenario(failing, options, lying_factory(Lie::kHidesAffected));
  ASSERT_TRUE(first.is_ok() && second.is_ok());
  EXPECT_EQ(first->scenario.events, second->scenario.events);
  EXPECT_EQ(first->tries, second->tries);
}

TEST(Shrink, AScenarioWithoutEventsIsRecordedFromItsSeedFirst) {
  const Scenario failing = first_failing(small_options(), late_delete_factory());
  const Scenario seed_only{"", failing.seed, failing.options, std::nullopt};
  auto shrunk = shrink_scenario(seed_only, ShrinkOptions{}, late_delete_factory());
  ASSERT_TRUE(shrunk.is_ok()) << shrunk.status().to_string();
  EXPECT_EQ(shrunk->original_event_count, failing.events->size());
  EXPECT_TRUE(shrunk->scenario.events.has_value());
}

// --- validity ---

TEST(CheckReplayable, AcceptsARecordedListAndNamesEachBrokenPrecondition) {
  std::vector<Event> events;
  const Options options = small_options();
  Simulation(5, options).run(&events);
  EXPECT_TRUE(check_replayable(options, events).is_ok());

  const auto broken = [&](auto edit) {
    std::vector<Event> copy = {Event{.kind = Event::Kind::kEnd, .tick = 5}};
    edit(copy);
    return check_replayable(options, copy).message();
  };
  EXPECT_EQ(broken([](auto& list) { list.push_back(Event{.kind = Event::Kind::kEnd, .tick = 4}); }),
            "events[1]: tick goes back in time");
  EXPECT_EQ(broken([](auto& list) { list[0].replica = 4; }),
            "events[0]: replica 4 is not below the replica count");
  EXPECT_EQ(broken([](auto& list) {
              list.push_back(Event{.kind = Event::Kind::kSync, .tick = 5, .replica = 1, .peer = 1});
            }),
            "events[1]: a replica syncs with itself");
  EXPECT_EQ(broken([](auto& list) {
              list.push_back(Event{.kind = Event::Kind::kDeliver, .tick = 5, .replica = 1});
            }),
            "events[1]: a delivery without ops");
  EXPECT_EQ(broken([](auto& list) {
              list.push_back(Event{.kind = Event::Kind::kForge, .tick = 5, .replica = 1});
            }),
            "events[1]: a forge of other than one op");
  EXPECT_EQ(broken([](auto& list) {
              list.push_back(Event{.kind = Event::Kind::kArmFaultPoint, .tick = 5});
            }),
            "events[1]: a countdown of 0");
  EXPECT_EQ(broken([](auto& list) {
              list.push_back(Event{.kind = Event::Kind::kPartition, .tick = 5, .side = {0, 7}});
            }),
            "events[1]: partition member is not below the replica count");
  Options unnormalized = options;
  unnormalized.replicas.pop_back();
  EXPECT_FALSE(check_replayable(unnormalized, {}).is_ok());
}

TEST(SameFailure, NeedsTheClassCheckerFirstDifferenceAndGistOnly) {
  const Failure model{FailureClass::kCorrectness,
                      "model",
                      4,
                      1,
                      "snapshot differs from the model of its log:\nnode 0x1: parent expected "
                      "ROOT, got 0x2",
                      "parent"};
  Failure other = model;
  other.tick = 9;
  other.replica = 0;
  other.message = "snapshot differs from the model of its log:\nnode 0x7: parent expected 0x3";
  EXPECT_TRUE(same_failure(model, other));
  other.message = "head seq 3 but 2 ops were acknowledged";
  EXPECT_FALSE(same_failure(model, other));
  other = model;
  other.first_difference = "order_key";
  EXPECT_FALSE(same_failure(model, other));
  other = model;
  other.checker = "invariants";
  EXPECT_FALSE(same_failure(model, other));
  other = model;
  other.failure_class = FailureClass::kConvergence;
  EXPECT_FALSE(same_failure(model, other));
}

TEST(SameFailure, TheGistTellsApartTheFailuresOfOneChecker) {
  const auto gist = [](const std::string& message) {
    return failure_gist(Failure{FailureClass::kConvergence, "convergence", 0, 0, message, ""});
  };
  EXPECT_EQ(gist("the replica is down at the end of the run"),
            "the replica is down at the end of the run");
  EXPECT_EQ(gist("logs still differ after 3000 liveness ticks"), "logs still differ after ");
  EXPECT_EQ(gist("log {a:1..2} differs from the union {a:1..3 b:1}"), "log ");
  // Ids, counts and replicas (renumbered by the shrinker) are particulars.
  EXPECT_EQ(gist("op c:4 of a failed call survived the restart"), "op ");
  EXPECT_EQ(gist("op a:1 of a failed call survived the restart"), "op ");
  EXPECT_EQ(gist("a failed append left a trace: head changed from seq=1 key=(1,c,1) to seq=2"),
            "a failed append left a trace: head changed from seq=");
  EXPECT_NE(gist("a failed append left a trace: log changed from {a:1} to {a:1..2}"),
            gist("a failed append left a trace: head changed from seq=1 to seq=2"));
}

TEST(SameFailure, ACrashIsTheSameWhereItsAssertionIsTheSame) {
  const auto crash = [](const std::string& message) {
    return Failure{FailureClass::kCorrectness, "assertion", 4, 1, message, ""};
  };
  const Failure original =
      crash("assertion failed: it->second.node == Node{} at materializer/tree.cc:108");
  EXPECT_TRUE(is_crash(original));
  // The line number is the only particular of an assertion's line: a build with lines moved
  // still reports the same assertion; the text after a brace still counts.
  EXPECT_EQ(failure_gist(original),
            "assertion failed: it->second.node == Node{} at materializer/tree.cc:");
  Failure other = crash("assertion failed: it->second.node == Node{} at materializer/tree.cc:111");
  other.tick = 9;
  other.replica = 0;
  EXPECT_TRUE(same_failure(original, other));
  EXPECT_FALSE(same_failure(original, crash("assertion failed: it->second.node == Node{} at "
                                            "materializer/apply.cc:108")));
  EXPECT_FALSE(
      same_failure(original, crash("assertion failed: added at materializer/tree.cc:108")));
  // A checker's failure with the same words is another failure.
  Failure checker = original;
  checker.checker = "invariants";
  EXPECT_FALSE(is_crash(checker));
  EXPECT_FALSE(same_failure(original, checker));
  Failure signal = original;
  signal.checker = "signal 6";
  EXPECT_TRUE(is_crash(signal));
  EXPECT_FALSE(same_failure(original, signal));
}

TEST(CrashFailure, NamesTheAssertionTheSanitizerOrTheSignal) {
  using shrink_internal::crash_failure;
  const int aborted = W_EXITCODE(0, SIGABRT);
  Failure assertion =
      crash_failure(aborted, "some noise\nassertion failed: added at materializer/apply.cc:92\n");
  EXPECT_EQ(assertion.checker, "assertion");
  EXPECT_EQ(assertion.message, "assertion failed: added at materializer/apply.cc:92");
  const Failure address = crash_failure(
      W_EXITCODE(1, 0),
      "=================================================================\n"
      "==4242==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010 at pc 0x1\n"
      "READ of size 8 at 0x602000000010 thread T0\n");
  EXPECT_EQ(address.checker, "sanitizer");
  EXPECT_EQ(address.message,
            "ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010 at pc 0x1");
  EXPECT_EQ(failure_gist(address), "ERROR: AddressSanitizer: heap-use-after-free on address ");
  const Failure undefined = crash_failure(
      W_EXITCODE(1, 0),
      "materializer/apply.cc:12:5: runtime error: signed integer overflow: 1 + 2147483647\n"
      "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior materializer/apply.cc:12:5\n");
  EXPECT_EQ(undefined.checker, "sanitizer");
  EXPECT_EQ(undefined.message,
            "runtime error: signed integer overflow: 1 + 2147483647 at materializer/apply.cc:12:5");
  const Failure signal = crash_failure(W_EXITCODE(0, SIGSEGV), "last words\n");
  EXPECT_EQ(signal.checker, "signal " + std::to_string(SIGSEGV));
  EXPECT_EQ(signal.message, "last words");
  EXPECT_TRUE(is_crash(assertion) && is_crash(address) && is_crash(undefined) && is_crash(signal));
}

}  // namespace
}  // namespace treesim
