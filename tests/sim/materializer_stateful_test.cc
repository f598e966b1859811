// A RapidCheck state machine drives a few replicas of the production materializer through
// random local edits, deliveries (batches from one replica to another, in any order, with
// repeats), crashes and reopens, failing storage calls, fault points and catch-ups, and checks
// each command against the model: the set of op ids each replica holds, folded by the reference
// model. After every command the replica's snapshot must equal the model's, a failed call must
// have left the store exactly as it was (full dumps compared), and at the end a full exchange
// must make every replica converge on the model of all ops. It runs on MemoryStore (behind a
// FaultyStore) and on SqliteStore (on the simulated disk); stateful_system.h has the checks.
//
// A failure prints the replicas' setups and the shrunk commands, one per line in the verbs of
// a unit test; replay it with RC_PARAMS="reproduce=..." (README, "Testing").
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/node_id.h"
#include "core/op.h"
#include "materializer/materializer.h"
#include "materializer/probes.h"
#include "sim/options.h"
#include "sim/sim_vfs.h"
#include "sim/system_under_test.h"
#include "tests/sim/stateful_replica.h"
#include "tests/sim/stateful_system.h"
#include "tests/support/example_verbs.h"

namespace treesim::stateful {
namespace {

using test_support::verbs::NameOf;

// Successful cases per store, and the largest size (a case has up to size + 1 commands),
// unless RC_PARAMS sets max_success or max_size: about 10 s (memory) and 35 s (SQLite) in the
// dev build.
constexpr int kCasesPerStore = 300;
constexpr int kMaxSize = 150;
// Replicas a, b and c; a shrunk case mentions only those it needs.
constexpr std::size_t kReplicaCount = 3;

std::string ReplicaName(std::size_t r) { return std::string(1, static_cast<char>('a' + r)); }

// --- the model ---

struct ReplicaModel {
  OpIds log;  // the ops the replica acknowledged
  bool down = false;
  // A FailNextStorageCall or FireFaultPoint waits for the replica's next call.
  bool fault_armed = false;
};

struct Model {
  DocumentStore store = DocumentStore::kMemory;
  std::vector<ReplicaModel> replicas;
  // The nodes every minted op names: its node and, for an insert or a move, its parent (a node
  // is known at a replica once an op in its log names it, SEMANTICS.md §6).
  std::map<OpId, std::vector<NodeId>> named;

  bool Knows(std::size_t r, NodeId node) const {
    if (node.is_root()) return true;
    for (const OpId& id : replicas[r].log) {
      const std::vector<NodeId>& nodes = named.at(id);
      if (std::find(nodes.begin(), nodes.end(), node) != nodes.end()) return true;
    }
    return false;
  }
  // The id of the next local op at `r`: every op a replica minted is in its log, and a failed
  // call does not use up a counter.
  OpId NextId(std::size_t r) const {
    const ReplicaId replica = ReplicaId::of(ReplicaName(r));
    std::uint64_t counter = 0;
    for (const auto& [id, nodes] : named) {
      if (id.replica == replica) counter = std::max(counter, id.counter);
    }
    return OpId{replica, counter + 1};
  }
  std::vector<std::size_t> Replicas(bool down) const {
    std::vector<std::size_t> found;
    for (std::size_t r = 0; r < replicas.size(); ++r) {
      if (replicas[r].down == down) found.push_back(r);
    }
    return found;
  }
  OpIds All() const {
    OpIds all;
    for (const auto& [id, nodes] : named) all.insert(id);
    return all;
  }
};

using Command = rc::state::Command<Model, StatefulSystem>;

// A choice in [0, n), uniform whatever RapidCheck's current size is (plain gen::inRange would
// nearly always give 0 in the small early cases), shrinking towards 0: so 0 is the simplest.
int Choose(int n) { return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange(0, n)); }

// One of `items`, shrinking towards the first (RapidCheck's gen::element and gen::elementOf do
// not shrink at all).
template <typename T>
rc::Gen<T> GenOneOf(std::vector<T> items) {
  const std::size_t count = items.size();
  return rc::gen::map(rc::gen::resize(rc::kNominalSize, rc::gen::inRange<std::size_t>(0, count)),
                      [items = std::move(items)](std::size_t i) { return items[i]; });
}
template <typename T>
T PickOneOf(std::vector<T> items) {
  RC_PRE(!items.empty());
  return *GenOneOf(std::move(items));
}

// One of `candidates`, or the command discards itself (another is generated).
std::size_t PickReplica(const std::vector<std::size_t>& candidates) {
  RC_PRE(!candidates.empty());
  return PickOneOf(candidates);
}

std::vector<NodeId> KnownNodes(const Model& model, std::size_t r) {
  std::vector<NodeId> known;
  for (NodeId node : Nodes()) {
    if (model.Knows(r, node)) known.push_back(node);
  }
  return known;
}

// Mostly a node the replica knows, sometimes any node (then the edit may name an unknown one,
// and must be rejected). An edit at a replica that knows no node mostly gives way to another
// command.
NodeId PickNode(const Model& model, std::size_t r) {
  const std::vector<NodeId> known = KnownNodes(model, r);
  if (known.empty()) {
    RC_PRE(Choose(5) == 4);
    return PickOneOf(Nodes());
  }
  if (Choose(10) == 9) return PickOneOf(Nodes());
  return PickOneOf(known);
}

// ROOT, a node (see PickNode; ROOT if the replica knows none) or, with `trash_weight`, TRASH.
NodeId PickParent(const Model& model, std::size_t r, int trash_weight) {
  const int choice = Choose(8 + trash_weight);
  if (choice < 3) return kRoot;
  if (choice < 8) return KnownNodes(model, r).empty() ? kRoot : PickNode(model, r);
  return kTrash;
}

Placement PickPlacement() {
  return PickOneOf(std::vector<Placement>{Placement::last(), Placement::first()});
}

std::optional<std::string> PickPayload() {
  return PickOneOf(std::vector<std::optional<std::string>>{"v1", std::nullopt, "v2"});
}

// --- local edits ---

// An edit at an up replica. The model predicts whether it names an unknown node (then it must
// fail with kInvalidArgument or kNotFound and leave no trace) and otherwise which id it mints.
struct LocalCommand : Command {
  std::size_t replica;
  LocalEdit edit;

  explicit LocalCommand(const Model& model) : replica(PickReplica(model.Replicas(false))) {}

  // Whether the materializer must accept the edit (every node it names is known).
  virtual bool Valid(const Model& model) const = 0;

  void checkPreconditions(const Model& model) const override {
    RC_PRE(replica < model.replicas.size());
    RC_PRE(!model.replicas[replica].down);
  }
  void apply(Model& model) const override {
    const bool valid = Valid(model);
    const OpId id = model.NextId(replica);
    model.replicas[replica].fault_armed = false;
    if (!valid) return;
    model.replicas[replica].log.insert(id);
    std::vector<NodeId>& named = model.named[id];
    named.push_back(edit.node);
    if (edit.kind == LocalEdit::Kind::kInsert || edit.kind == LocalEdit::Kind::kMove) {
      named.push_back(edit.parent);
    }
  }
  void run(const Model& model, StatefulSystem& system) const override {
    std::optional<OpId> expected;
    if (Valid(model)) expected = model.NextId(replica);
    const ReplicaModel& at = model.replicas[replica];
    system.Local(replica, edit, at.log, expected, at.fault_armed);
  }

 protected:
  // ", first" / ", last" unless it is the default (last) and nothing follows.
  static std::string PlacementText(const Placement& placement, bool more) {
    if (placement.kind == Placement::Kind::kFirst) return ", first";
    return more ? ", last" : "";
  }
  static std::string PayloadText(const std::optional<std::string>& payload) {
    return payload ? "\"" + *payload + "\"" : "none";
  }
};

struct Insert : LocalCommand {
  explicit Insert(const Model& model) : LocalCommand(model) {
    edit.kind = LocalEdit::Kind::kInsert;
    edit.parent = PickParent(model, replica, /*trash_weight=*/1);
    edit.node = PickOneOf(Nodes());
    edit.placement = PickPlacement();
    if (Choose(3) == 2) edit.payload = PickPayload();
  }
  bool Valid(const Model& model) const override {
    return !edit.parent.is_trash() && model.Knows(replica, edit.parent);
  }
  void show(std::ostream& out) const override {
    out << "Insert(" << ReplicaName(replica) << ", " << NameOf(edit.parent) << ", "
        << NameOf(edit.node) << PlacementText(edit.placement, edit.payload.has_value())
        << (edit.payload ? ", " + PayloadText(edit.payload) : "") << ")";
  }
};

struct Move : LocalCommand {
  explicit Move(const Model& model) : LocalCommand(model) {
    edit.kind = LocalEdit::Kind::kMove;
    edit.node = PickNode(model, replica);
    edit.parent = PickParent(model, replica, /*trash_weight=*/2);
    edit.placement = PickPlacement();
  }
  bool Valid(const Model& model) const override {
    return model.Knows(replica, edit.node) &&
           (edit.parent.is_trash() || model.Knows(replica, edit.parent));
  }
  void show(std::ostream& out) const override {
    out << "Move(" << ReplicaName(replica) << ", " << NameOf(edit.node) << ", "
        << NameOf(edit.parent) << PlacementText(edit.placement, false) << ")";
  }
};

struct Delete : LocalCommand {
  explicit Delete(const Model& model) : LocalCommand(model) {
    edit.kind = LocalEdit::Kind::kRemove;
    edit.node = PickNode(model, replica);
  }
  bool Valid(const Model& model) const override { return model.Knows(replica, edit.node); }
  void show(std::ostream& out) const override {
    out << "Delete(" << ReplicaName(replica) << ", " << NameOf(edit.node) << ")";
  }
};

struct SetPayload : LocalCommand {
  explicit SetPayload(const Model& model) : LocalCommand(model) {
    edit.kind = LocalEdit::Kind::kSetPayload;
    edit.node = Choose(8) == 7 ? kRoot : PickNode(model, replica);
    edit.payload = PickPayload();
  }
  bool Valid(const Model& model) const override { return model.Knows(replica, edit.node); }
  void show(std::ostream& out) const override {
    out << "SetPayload(" << ReplicaName(replica) << ", " << NameOf(edit.node) << ", "
        << PayloadText(edit.payload) << ")";
  }
};

// --- the network ---

// A batch of ops the source holds, appended by the target: random picks (repeats and ops the
// target holds included, in any order), or everything the source holds.
struct Deliver : Command {
  std::size_t source;
  std::size_t target;
  std::vector<OpId> ids;

  explicit Deliver(const Model& model) {
    std::vector<std::size_t> sources;
    for (std::size_t r = 0; r < model.replicas.size(); ++r) {
      if (!model.replicas[r].log.empty()) sources.push_back(r);
    }
    source = PickReplica(sources);
    std::vector<std::size_t> targets;
    for (std::size_t r : model.Replicas(false)) {
      if (r != source) targets.push_back(r);
    }
    target = PickReplica(targets);
    const std::vector<OpId> held(model.replicas[source].log.begin(),
                                 model.replicas[source].log.end());
    if (Choose(3) == 2) {
      ids = held;
    } else {
      const auto count = *rc::gen::inRange<std::size_t>(1, held.size() + 2);
      ids = *rc::gen::container<std::vector<OpId>>(count, GenOneOf(held));
    }
  }
  void checkPreconditions(const Model& model) const override {
    RC_PRE(source < model.replicas.size() && target < model.replicas.size());
    RC_PRE(source != target && !model.replicas[target].down);
    for (const OpId& id : ids) RC_PRE(model.replicas[source].log.contains(id));
  }
  void apply(Model& model) const override {
    model.replicas[target].log.insert(ids.begin(), ids.end());
    model.replicas[target].fault_armed = false;
  }
  void run(const Model& model, StatefulSystem& system) const override {
    const ReplicaModel& at = model.replicas[target];
    system.Deliver(target, ids, at.log, at.fault_armed);
  }
  void show(std::ostream& out) const override {
    out << "Deliver(" << ReplicaName(source) << ", " << ReplicaName(target) << ", {";
    for (std::size_t i = 0; i < ids.size(); ++i) out << (i > 0 ? ", " : "") << IdName(ids[i]);
    out << "})";
  }
};

// --- crashes ---

struct Crash : Command {
  DocumentStore store;
  std::size_t replica;
  CrashPolicy policy;
  std::uint64_t seed;  // for the policies that draw

  explicit Crash(const Model& model)
      : store(model.store),
        replica(PickReplica(model.Replicas(false))),
        policy(PickOneOf(std::vector<CrashPolicy>{CrashPolicy::kRandom, CrashPolicy::kDropAll,
                                                  CrashPolicy::kKeepAll, CrashPolicy::kTearAll})),
        seed(*rc::gen::inRange<std::uint64_t>(0, 1000)) {}
  void checkPreconditions(const Model& model) const override {
    RC_PRE(replica < model.replicas.size());
    RC_PRE(!model.replicas[replica].down);
  }
  void apply(Model& model) const override {
    model.replicas[replica].down = true;
    model.replicas[replica].fault_armed = false;
  }
  void run(const Model&, StatefulSystem& system) const override {
    system.Crash(replica, policy, seed);
  }
  void show(std::ostream& out) const override {
    out << "Crash(" << ReplicaName(replica);
    // The memory store has no unsynced writes: its crash has no policy.
    if (store == DocumentStore::kSqlite) {
      out << ", " << crash_policy_name(policy);
      if (policy == CrashPolicy::kRandom || policy == CrashPolicy::kTearAll) out << " " << seed;
    }
    out << ")";
  }
};

struct Reopen : Command {
  std::size_t replica;

  explicit Reopen(const Model& model) : replica(PickReplica(model.Replicas(true))) {}
  void checkPreconditions(const Model& model) const override {
    RC_PRE(replica < model.replicas.size());
    RC_PRE(model.replicas[replica].down);
  }
  void apply(Model& model) const override {
    model.replicas[replica].down = false;
    model.replicas[replica].fault_armed = false;
  }
  void run(const Model& model, StatefulSystem& system) const override {
    const ReplicaModel& at = model.replicas[replica];
    system.Reopen(replica, at.log, at.fault_armed);
  }
  void show(std::ostream& out) const override { out << "Reopen(" << ReplicaName(replica) << ")"; }
};

// --- faults ---

// Every replica, up or down (a fault armed at a down replica meets its reopen).
std::size_t PickAnyReplica(const Model& model) {
  RC_PRE(!model.replicas.empty());
  return *rc::gen::inRange<std::size_t>(0, model.replicas.size());
}

const char* SimVfsFaultName(SimVfsFault fault) {
  switch (fault) {
    case SimVfsFault::kReadError:
      return "read-error";
    case SimVfsFault::kWriteError:
      return "write-error";
    case SimVfsFault::kDiskFull:
      return "disk-full";
    case SimVfsFault::kSyncError:
      return "sync-error";
    case SimVfsFault::kLockError:
      return "lock-error";
    case SimVfsFault::kTruncateError:
      return "truncate-error";
  }
  return "unknown";
}

// The n-th storage call of the replica's next call fails (memory: any store call; sqlite: the
// n-th VFS call of the fault's kind).
struct FailNextStorageCall : Command {
  DocumentStore store;
  std::size_t replica;
  std::uint64_t n;
  SimVfsFault fault;

  explicit FailNextStorageCall(const Model& model)
      : store(model.store),
        replica(PickAnyReplica(model)),
        n(*rc::gen::inRange<std::uint64_t>(1, 13)),
        fault(PickOneOf(std::vector<SimVfsFault>{
            SimVfsFault::kWriteError, SimVfsFault::kSyncError, SimVfsFault::kReadError,
            SimVfsFault::kDiskFull, SimVfsFault::kLockError, SimVfsFault::kTruncateError})) {}
  void checkPreconditions(const Model& model) const override {
    RC_PRE(replica < model.replicas.size());
  }
  void apply(Model& model) const override { model.replicas[replica].fault_armed = true; }
  void run(const Model&, StatefulSystem& system) const override {
    system.ArmStorageFault(replica, n, fault);
  }
  void show(std::ostream& out) const override {
    out << "FailNextStorageCall(" << ReplicaName(replica) << ", " << n;
    if (store == DocumentStore::kSqlite) out << ", " << SimVfsFaultName(fault);
    out << ")";
  }
};

// The n-th fault point the replica's next call passes fires.
struct FireFaultPoint : Command {
  std::size_t replica;
  std::uint64_t n;

  explicit FireFaultPoint(const Model& model)
      : replica(PickAnyReplica(model)), n(*rc::gen::inRange<std::uint64_t>(1, 9)) {}
  void checkPreconditions(const Model& model) const override {
    RC_PRE(replica < model.replicas.size());
  }
  void apply(Model& model) const override { model.replicas[replica].fault_armed = true; }
  void run(const Model&, StatefulSystem& system) const override {
    system.ArmFaultPoint(replica, n);
  }
  void show(std::ostream& out) const override {
    out << "FireFaultPoint(" << ReplicaName(replica) << ", " << n << ")";
  }
};

struct EnsureMaterialized : Command {
  std::size_t replica;

  explicit EnsureMaterialized(const Model& model) : replica(PickReplica(model.Replicas(false))) {}
  void checkPreconditions(const Model& model) const override {
    RC_PRE(replica < model.replicas.size());
    RC_PRE(!model.replicas[replica].down);
  }
  void apply(Model& model) const override { model.replicas[replica].fault_armed = false; }
  void run(const Model& model, StatefulSystem& system) const override {
    const ReplicaModel& at = model.replicas[replica];
    system.EnsureMaterialized(replica, at.log, at.fault_armed);
  }
  void show(std::ostream& out) const override {
    out << "EnsureMaterialized(" << ReplicaName(replica) << ")";
  }
};

// Local edits and deliveries most of the time; repeats in the list weight the choice.
rc::Gen<std::shared_ptr<const Command>> GenCommand(const Model& model) {
  return rc::state::gen::execOneOfWithArgs<
      Insert, Insert, Insert, Move, Move, Delete, SetPayload, Deliver, Deliver, Deliver, Crash,
      Reopen, Reopen, FailNextStorageCall, FireFaultPoint, EnsureMaterialized>()(model);
}

// Each replica's own strategy, deferred mode and undo window.
rc::Gen<std::vector<ReplicaSetup>> GenSetups(std::size_t replica_count) {
  return rc::gen::container<std::vector<ReplicaSetup>>(
      replica_count,
      rc::gen::build<ReplicaSetup>(
          rc::gen::set(&ReplicaSetup::strategy,
                       GenOneOf(std::vector<CatchUpStrategy>{CatchUpStrategy::kRewind,
                                                             CatchUpStrategy::kPrefixReplay,
                                                             CatchUpStrategy::kRebuild})),
          rc::gen::set(&ReplicaSetup::deferred, GenOneOf(std::vector<bool>{false, true})),
          rc::gen::set(&ReplicaSetup::undo_retention,
                       GenOneOf(std::vector<std::uint64_t>{std::uint64_t{1} << 16, 2, 0}))));
}

// Runs `property` as RC_GTEST_PROP does, but with `cases` successful cases and sizes up to
// `max_size` unless RC_PARAMS sets max_success or max_size. `id` names the property in
// RC_PARAMS="reproduce=...".
template <typename Property>
void CheckProperty(const std::string& id, int cases, int max_size, Property property) {
  rc::detail::TestParams params = rc::detail::configuration().testParams;
  const char* rc_params = std::getenv("RC_PARAMS");
  const std::string_view set = rc_params == nullptr ? "" : rc_params;
  if (set.find("max_success") == std::string_view::npos) params.maxSuccess = cases;
  if (set.find("max_size") == std::string_view::npos) params.maxSize = max_size;
  rc::detail::TestMetadata metadata;
  metadata.id = id;
  metadata.description = id;
  const rc::detail::TestResult result = rc::detail::checkTestable(property, metadata, params);
  std::ostringstream message;
  rc::detail::printResultMessage(result, message);
  if (result.template is<rc::detail::SuccessResult>()) {
    std::cout << id << ": " << message.str() << "\n";
  } else {
    FAIL() << message.str();
  }
}

class StatefulMaterializer : public ::testing::TestWithParam<DocumentStore> {};

TEST_P(StatefulMaterializer, CommandsMatchTheModelFailuresLeaveNoTraceAndReplicasConverge) {
  const DocumentStore store = GetParam();
  CheckProperty(std::string("StatefulMaterializer/") + DocumentStoreName(store), kCasesPerStore,
                kMaxSize, [store] {
                  // The setups are drawn after the commands: RapidCheck regenerates the draws
                  // after one it shrinks, and the commands should not start over when a setup
                  // shrinks.
                  Model initial;
                  initial.store = store;
                  initial.replicas.resize(kReplicaCount);
                  const auto commands = *rc::state::gen::commands(initial, &GenCommand);
                  const std::vector<ReplicaSetup> setups = *GenSetups(kReplicaCount);
                  StatefulSystem system(store, setups);
                  rc::state::runAll(commands, initial, system);
                  Model last = initial;
                  rc::state::applyAll(commands, last);
                  system.ConvergeAfterFullExchange(last.All());
                });
  const StatefulTotals& totals = TotalsFor(store);
  std::cout << "[stateful] " << DocumentStoreName(store) << ": " << totals << "\n";
  // A short run (RC_PARAMS max_success or reproduce) need not reach every path.
  if (HasFailure() || totals.cases < kCasesPerStore) return;
  EXPECT_GT(totals.failed_calls, 0u);
  EXPECT_GT(totals.deferred_appends, 0u);
  EXPECT_GT(totals.rejected_edits, 0u);
  EXPECT_GT(totals.failed_reopens, 0u);
  for (const Probe probe :
       {Probe::kCatchUpRebuild, Probe::kCatchUpPrefixReplay, Probe::kCatchUpRewind,
        Probe::kRewindFallback, Probe::kUndoTrim, Probe::kCycleSkip, Probe::kRevive,
        Probe::kTombstone, Probe::kRollback, Probe::kDeferredPending, Probe::kDeferredCatchUp,
        Probe::kDuplicateDrop, Probe::kFaultInjected}) {
    EXPECT_GT(totals.probes.count(probe), 0u) << "probe " << probe_name(probe) << " never hit";
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, StatefulMaterializer,
                         ::testing::Values(DocumentStore::kMemory, DocumentStore::kSqlite),
                         [](const ::testing::TestParamInfo<DocumentStore>& param) {
                           return std::string(DocumentStoreName(param.param));
                         });

}  // namespace
}  // namespace treesim::stateful
