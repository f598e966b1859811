// The shrinker's passes that keep every op's edit and change when or with what an op arrives:
// postponing a delivery into the next one to the same replica (merges), and dropping a local
// edit of each of two replicas at once (pairs), for failures that need one replica's Lamport
// clock to keep its distance to another's. Method: hand-written lists whose deliveries carry the
// ops their edits minted, replicas that lie in a planted way, and the shrunk list checked event
// by event; every candidate delivers only ops of edits earlier in it.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "sim/shrink.h"
#include "tests/sim/forwarding_system.h"
#include "tests/sim/shrink_fixture.h"

namespace treesim {
namespace {

// The real materializer, reporting as tombstoned the nodes of ops from other replicas that
// arrived under a condition: in a batch after which it holds two such ops (kTwoForeignOps), or
// with the Lamport clock of the replica's head when they arrived (kSameClockAsHead).
class PlantedLie final : public ForwardingSystem {
 public:
  enum class When { kTwoForeignOps, kSameClockAsHead };

  PlantedLie(const ReplicaId& id, const ReplicaConfig& config, std::uint64_t seed, When when)
      : ForwardingSystem(id, config, seed), id_(id), when_(when) {}

  Result<AppendResult> append(const std::vector<Op>& batch) override {
    const Head head = inner().head();
    auto result = inner().append(batch);
    if (!result.is_ok()) return result;
    for (const Op& op : batch) {
      if (op.id.replica != id_) foreign_.insert(op.node);
    }
    // Only nodes of this batch: they are among its affected nodes, so the lie shows to the
    // model checker alone.
    for (const Op& op : batch) {
      if (op.id.replica == id_) continue;
      const bool lies = when_ == When::kTwoForeignOps
                            ? foreign_.size() >= 2
                            : head.key && op.lamport == head.key->lamport;
      if (lies) hidden_.insert(op.node);
    }
    return result;
  }

 private:
  void edit_snapshot(Snapshot& snapshot) const override {
    for (SnapshotRow& row : snapshot.rows) {
      if (hidden_.contains(row.node)) row.tombstoned = true;
    }
  }

  ReplicaId id_;
  When when_;
  std::set<NodeId> foreign_;
  std::set<NodeId> hidden_;
};

SystemFactory planted_lie(PlantedLie::When when) {
  return [when](const ReplicaId& id, const ReplicaConfig& config, std::uint64_t seed) {
    return std::make_unique<PlantedLie>(id, config, seed, when);
  };
}

Options two_replicas() {
  Options options = small_options();
  options.replica_count = 2;
  options.replicas.resize(2);
  return normalized(options);
}

// The nodes a delivery carries that no local edit before it inserted, in every candidate.
ShrinkOptions recording_early_ops(std::vector<std::string>& early) {
  ShrinkOptions options;
  options.candidate = [&early](const Scenario& candidate) {
    std::set<NodeId> inserted;
    for (const Event& event : *candidate.events) {
      if (event.kind == Event::Kind::kLocal) inserted.insert(event.edit.node);
      if (event.kind != Event::Kind::kDeliver) continue;
      for (const Op& op : event.ops) {
        if (!inserted.contains(op.node)) early.push_back(op.to_display());
      }
    }
  };
  return options;
}

TEST(ShrinkMerges, TwoDeliveriesToAReplicaBecomeOneAtTheLaterTick) {
  // Replica 1 lies once it holds two ops of replica 0, which reach it one at a time; its own
  // edit in between is noise. Shrunk: the two inserts and one delivery of both ops, at the
  // tick of the later one (an op never arrives before its edit minted it).
  Scenario scenario;
  scenario.options = two_replicas();
  scenario.events = std::vector<Event>{insert(0, 0, 1), insert(1, 0, 2), deliver(2, 1),
                                       insert(3, 1, 3), deliver(4, 1)};
  const SystemFactory factory = planted_lie(PlantedLie::When::kTwoForeignOps);
  scenario = with_minted_deliveries(scenario, {{2, {0}}, {4, {1}}}, factory);

  std::vector<std::string> early;
  auto shrunk = shrink_scenario(scenario, recording_early_ops(early), factory);
  ASSERT_TRUE(shrunk.is_ok()) << shrunk.status().to_string();
  EXPECT_TRUE(early.empty()) << early.size() << " ops delivered early, first " << early[0];
  EXPECT_EQ(shrunk->failure.checker, "model");
  EXPECT_EQ(shrunk->failure.first_difference, "tombstoned");
  const std::vector<Event>& events = *shrunk->scenario.events;
  ASSERT_EQ(events.size(), 3u) << shrunk->scenario.comment;
  EXPECT_EQ(events[0].kind, Event::Kind::kLocal);
  EXPECT_EQ(events[1].kind, Event::Kind::kLocal);
  ASSERT_EQ(events[2].kind, Event::Kind::kDeliver);
  EXPECT_EQ(events[2].replica, 1u);
  ASSERT_EQ(events[2].ops.size(), 2u);
  EXPECT_EQ(events[2].ops[0].id.to_display(), "a:1");
  EXPECT_EQ(events[2].ops[1].id.to_display(), "a:2");
  const std::vector<std::string> stale = ops_not_minted_by_their_edits(shrunk->scenario, factory);
  EXPECT_TRUE(stale.empty()) << stale.front();
}

TEST(ShrinkPairs, EditsOfTwoReplicasGoTogetherWhenTheirClocksMustKeepTheirDistance) {
  // Replica 1 lies about an op of replica 0 that arrives with the Lamport clock of replica 1's
  // head: replica 0's third edit (clock 3) after replica 1's three (clock 3). Dropping any one
  // edit breaks the tie, and so does any chunk of the list; dropping one edit of each replica
  // keeps it. Shrunk: one edit each, and the delivery of a:1 (clock 1) after b:1 (clock 1).
  Scenario scenario;
  scenario.options = two_replicas();
  scenario.events =
      std::vector<Event>{insert(0, 0, 1), insert(1, 0, 2), insert(2, 0, 3), insert(3, 1, 4),
                         insert(4, 1, 5), insert(5, 1, 6), deliver(6, 1)};
  const SystemFactory factory = planted_lie(PlantedLie::When::kSameClockAsHead);
  scenario = with_minted_deliveries(scenario, {{6, {2}}}, factory);
  ASSERT_EQ((*scenario.events)[6].ops[0].lamport, 3u);

  std::vector<std::string> early;
  auto shrunk = shrink_scenario(scenario, recording_early_ops(early), factory);
  ASSERT_TRUE(shrunk.is_ok()) << shrunk.status().to_string();
  EXPECT_TRUE(early.empty()) << early.size() << " ops delivered early, first " << early[0];
  EXPECT_EQ(shrunk->failure.first_difference, "tombstoned");
  const std::vector<Event>& events = *shrunk->scenario.events;
  ASSERT_EQ(events.size(), 3u) << shrunk->scenario.comment;
  EXPECT_EQ(events[0].replica, 0u);
  EXPECT_EQ(events[0].edit.node, NodeId::from_low(3));
  EXPECT_EQ(events[1].replica, 1u);
  ASSERT_EQ(events[2].ops.size(), 1u);
  EXPECT_EQ(events[2].ops[0].id.to_display(), "a:1");
  EXPECT_EQ(events[2].ops[0].lamport, 1u);
  const std::vector<std::string> stale = ops_not_minted_by_their_edits(shrunk->scenario, factory);
  EXPECT_TRUE(stale.empty()) << stale.front();
}

}  // namespace
}  // namespace treesim
