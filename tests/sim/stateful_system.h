// StatefulSystem: the system under test of the stateful RapidCheck test
// (materializer_stateful_test.cc), a few replicas of the production materializer on one kind of
// document store, and every check the test's commands make on them.
//
// The test's model is the set of op ids each replica holds; the ops themselves are minted by
// the real materializers, so this class keeps every op a local call returned (the "network"
// deliveries take their ops from) and folds any set of ids with the reference model. Each call
// below runs one command on one replica and then checks, with faults paused:
// - a call may fail only with a fault armed and only with a fault's error code (a local op on an
//   unknown node must fail with kInvalidArgument or kNotFound, whatever is armed);
// - a failed call leaves no trace: the full store dump (every table and the meta row) and the
//   materializer's log, snapshot, head and frontier are exactly as before. A local op catches up
//   a pending frontier in a transaction of its own first; that catch-up may stay;
// - then the faults are cleared and the call is retried, which must succeed: so every command
//   has the effect the model gives it, failed first or not;
// - a deferred append whose materialization failed keeps the ops, leaves the rows as they were
//   and records a frontier no later than its smallest new key;
// - after the call: invariants, the log equals the model's op set, and (unless a frontier is
//   pending) the snapshot equals the reference model's fold of it; every node whose row an
//   append changed is among its affected nodes; a minted op has the predicted id, fields,
//   lamport (clock + 1) and, for a delete, known_state = the model's SVV of the node.
// ConvergeAfterFullExchange() ends a case: every replica sends every other what it lacks, and
// all must hold the same log and the model's snapshot of all ops.
#pragma once

#include <rapidcheck.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "core/op.h"
#include "core/snapshot.h"
#include "core/snapshot_diff.h"
#include "core/status.h"
#include "core/version_vector.h"
#include "materializer/materializer.h"
#include "materializer/probes.h"
#include "model/model.h"
#include "sim/sim_vfs.h"
#include "sim/system_under_test.h"
#include "tests/sim/stateful_replica.h"
#include "tests/support/example_verbs.h"
#include "tests/support/store_dump.h"

namespace treesim::stateful {

using OpIds = std::set<OpId>;

// How one replica materializes.
struct ReplicaSetup {
  CatchUpStrategy strategy = CatchUpStrategy::kRewind;
  bool deferred = false;
  // Small windows make rewind fall back to prefix replay and make trimming happen.
  std::uint64_t undo_retention = 1 << 16;
};

// RapidCheck prints a failing case's setups with this: "rewind deferred undo<=2".
inline void showValue(const ReplicaSetup& setup, std::ostream& out) {
  out << catch_up_strategy_name(setup.strategy) << (setup.deferred ? " deferred" : "");
  if (setup.undo_retention < (1 << 16)) out << " undo<=" << setup.undo_retention;
}

// The nodes edits name. Few, so that edits collide: moves race into cycles, deletes meet
// concurrent inserts.
inline const std::vector<NodeId>& Nodes() {
  using namespace test_support::verbs;  // NOLINT(build/namespaces): the example node names
  static const std::vector<NodeId> nodes = {kA, kB, kC, kP, kQ, kX};
  return nodes;
}

// "a1": replica and counter, as the test's commands print op ids.
inline std::string IdName(const OpId& id) {
  return id.replica.bytes() + std::to_string(id.counter);
}

inline std::string IdsName(const OpIds& ids) {
  std::string text;
  for (const OpId& id : ids) text += (text.empty() ? "" : " ") + IdName(id);
  return "{" + text + "}";
}

inline VersionVector VersionVectorOf(const OpIds& ids) {
  std::vector<std::pair<ReplicaId, CounterRange>> ranges;
  for (const OpId& id : ids) ranges.push_back({id.replica, {id.counter, id.counter}});
  return VersionVector::from_ranges(ranges);
}

// Fails the RapidCheck case with `message` unless `condition` holds.
inline void Require(bool condition, const std::string& message) {
  if (!condition) RC_FAIL(message);
}

// The errors an armed storage fault or fault point may cause.
inline bool IsFaultCode(StatusCode code) {
  return code == StatusCode::kIoError || code == StatusCode::kStorageFull ||
         code == StatusCode::kFaultInjected;
}

// What the cases run so far on one store did (shrinking runs included). The test prints it and
// expects every fault path to have been taken: a path never taken is missing coverage, not a
// pass.
struct StatefulTotals {
  std::uint64_t cases = 0;
  std::uint64_t commands = 0;          // commands run on a replica (arming a fault excluded)
  std::uint64_t failed_calls = 0;      // calls that failed with a fault armed (then retried)
  std::uint64_t deferred_appends = 0;  // appends that returned with their catch-up pending
  std::uint64_t rejected_edits = 0;    // local edits naming an unknown node
  std::uint64_t crashes = 0;
  std::uint64_t failed_reopens = 0;
  std::uint64_t restarts = 0;  // restarts of a store a failed rollback made unusable
  Probes probes;               // of every materializer
};

inline StatefulTotals& TotalsFor(DocumentStore store) {
  static StatefulTotals totals[2];
  return totals[store == DocumentStore::kMemory ? 0 : 1];
}

inline std::ostream& operator<<(std::ostream& out, const StatefulTotals& totals) {
  out << totals.cases << " cases, " << totals.commands << " commands: " << totals.failed_calls
      << " failed calls (retried), " << totals.deferred_appends << " deferred appends, "
      << totals.rejected_edits << " edits of unknown nodes, " << totals.crashes << " crashes, "
      << totals.failed_reopens << " failed reopens, " << totals.restarts
      << " restarts of an unusable store; probes:";
  for (std::size_t i = 0; i < kProbeCount; ++i) {
    const Probe probe = static_cast<Probe>(i);
    out << " " << probe_name(probe) << "=" << totals.probes.count(probe);
  }
  return out;
}

class StatefulSystem {
 public:
  // Replica i is named "a", "b", ... and materializes as setups[i] says. Every replica opens.
  StatefulSystem(DocumentStore store, const std::vector<ReplicaSetup>& setups)
      : totals_(TotalsFor(store)) {
    ++totals_.cases;
    // SQLite's process-wide generator picks WAL salts: the same case, the same file images.
    if (store == DocumentStore::kSqlite) SimVfs::seed_sqlite_randomness(1);
    for (std::size_t i = 0; i < setups.size(); ++i) {
      MaterializerOptions options;
      options.strategy = setups[i].strategy;
      options.deferred = setups[i].deferred;
      options.undo_retention = setups[i].undo_retention;
      replicas_.push_back(std::make_unique<StatefulReplica>(
          ReplicaId::of(std::string(1, static_cast<char>('a' + i))), store, options));
      const Status opened = replicas_.back()->open();
      Require(opened.is_ok(), "opening an empty store failed: " + opened.to_string());
    }
  }

  ~StatefulSystem() {
    for (const auto& replica : replicas_) totals_.probes.add(replica->probes());
  }
  StatefulSystem(const StatefulSystem&) = delete;
  StatefulSystem& operator=(const StatefulSystem&) = delete;

  // --- the commands ---

  // A local edit at replica `r`, whose log is `log` before it. `expected` is the id the model
  // predicts the op gets, or none if the model predicts an unknown-node error.
  void Local(std::size_t r, const LocalEdit& edit, const OpIds& log, std::optional<OpId> expected,
             bool fault_armed) {
    StatefulReplica& replica = *replicas_[r];
    const std::string who = Who(r) + " local " + edit.to_display();
    ++totals_.commands;
    std::optional<Capture> before;
    if (fault_armed || !expected) before = CaptureOf(r);
    Result<LocalResult> result = Call(replica.materializer(), edit);
    if (!result.is_ok() && IsFaultCode(result.status().code())) {
      Require(fault_armed, who + " failed without an armed fault: " + result.status().to_string());
      ++totals_.failed_calls;
      ExpectNoTrace(r, *before, log, /*catch_up_may_stay=*/true, who);
      AfterFailure(r);
      if (expected &&
          replica.materializer().version_vector().contains(expected->replica, expected->counter)) {
        // A failed commit that turned out durable across the restart: the op is there.
        result = Stored(r, *expected);
      } else {
        before = CaptureOf(r);
        result = Call(replica.materializer(), edit);
      }
    }
    if (!expected) {
      const StatusCode code = result.status().code();
      Require(code == StatusCode::kInvalidArgument || code == StatusCode::kNotFound,
              who + " on an unknown node: expected kInvalidArgument or kNotFound, got " +
                  result.status().to_string());
      ++totals_.rejected_edits;
      ExpectNoTrace(r, *before, log, /*catch_up_may_stay=*/true, who);
    } else {
      Require(result.is_ok(), who + " failed: " + result.status().to_string());
      ExpectMinted(r, edit, log, *expected, result->op);
      sent_.emplace(result->op.id, result->op);
    }
    replica.clear_faults();
    OpIds after = log;
    if (expected) after.insert(*expected);
    ExpectMatches(r, after);
  }

  // Appends the ops `ids` (in this order, repeats included) to replica `to`, whose log is `log`
  // before the call.
  void Deliver(std::size_t to, const std::vector<OpId>& ids, const OpIds& log, bool fault_armed) {
    StatefulReplica& replica = *replicas_[to];
    Materializer& materializer = replica.materializer();
    std::vector<Op> batch;
    OpIds after = log;
    std::optional<OpKey> smallest_new;
    for (const OpId& id : ids) {
      batch.push_back(sent_.at(id));
      if (!log.contains(id) && (!smallest_new || batch.back().key() < *smallest_new)) {
        smallest_new = batch.back().key();
      }
      after.insert(id);
    }
    const std::string who = Who(to) + " append of " + std::to_string(batch.size()) + " ops";
    ++totals_.commands;
    std::optional<Capture> before;
    if (fault_armed) before = CaptureOf(to);
    Snapshot snapshot_before = materializer.materialized_snapshot();
    Result<AppendResult> result = materializer.append(batch);
    if (!result.is_ok()) {
      Require(fault_armed && IsFaultCode(result.status().code()),
              who + " failed without an armed fault: " + result.status().to_string());
      ++totals_.failed_calls;
      ExpectNoTrace(to, *before, log, /*catch_up_may_stay=*/false, who);
      AfterFailure(to);
      snapshot_before = replica.materializer().materialized_snapshot();
      result = replica.materializer().append(batch);
      Require(result.is_ok(),
              who + " failed again with faults cleared: " + result.status().to_string());
    }
    Require(result->new_op_count == after.size() - log.size(),
            who + ": " + std::to_string(result->new_op_count) + " new ops reported, " +
                std::to_string(after.size() - log.size()) + " expected");
    const Snapshot snapshot_after = replica.materializer().materialized_snapshot();
    if (result->catch_up_pending) {
      Require(fault_armed && replica.options().deferred,
              who + " left its catch-up pending without a fault in deferred mode");
      ExpectDeferred(to, *before, smallest_new, who);
      ++totals_.deferred_appends;
    } else {
      for (const SnapshotDifference& difference : diff_snapshots(snapshot_before, snapshot_after)) {
        Require(
            std::binary_search(result->affected.begin(), result->affected.end(), difference.node),
            who + ": node " + difference.node.to_display() + " changed (" + difference.to_string() +
                ") but is not among the affected nodes");
      }
    }
    replica.clear_faults();
    ExpectMatches(to, after);
  }

  void EnsureMaterialized(std::size_t r, const OpIds& log, bool fault_armed) {
    StatefulReplica& replica = *replicas_[r];
    const std::string who = Who(r) + " ensure_materialized";
    ++totals_.commands;
    std::optional<Capture> before;
    if (fault_armed) before = CaptureOf(r);
    Status status = replica.materializer().ensure_materialized();
    if (!status.is_ok()) {
      Require(fault_armed && IsFaultCode(status.code()),
              who + " failed without an armed fault: " + status.to_string());
      ++totals_.failed_calls;
      ExpectNoTrace(r, *before, log, /*catch_up_may_stay=*/false, who);
      AfterFailure(r);
      status = replica.materializer().ensure_materialized();
      Require(status.is_ok(), who + " failed again with faults cleared: " + status.to_string());
    }
    Require(replica.materializer().frontier().is_none(),
            who + " left the frontier " + replica.materializer().frontier().to_display());
    replica.clear_faults();
    ExpectMatches(r, log);
  }

  void Crash(std::size_t r, CrashPolicy policy, std::uint64_t seed) {
    ++totals_.crashes;
    replicas_[r]->crash(policy, seed);
  }

  // Reopens replica `r` after a crash: it must hold exactly `log`, the ops it acknowledged.
  void Reopen(std::size_t r, const OpIds& log, bool fault_armed) {
    StatefulReplica& replica = *replicas_[r];
    const std::string who = Who(r) + " reopen";
    ++totals_.commands;
    Status status = replica.open();
    if (!status.is_ok()) {
      Require(fault_armed && IsFaultCode(status.code()),
              who + " failed without an armed fault: " + status.to_string());
      ++totals_.failed_reopens;
      replica.clear_faults();
      if (replica.needs_restart()) replica.crash(CrashPolicy::kKeepAll, 0);
      status = replica.open();
      Require(status.is_ok(), who + " failed again with faults cleared: " + status.to_string());
    }
    replica.clear_faults();
    ExpectMatches(r, log);
  }

  void ArmStorageFault(std::size_t r, std::uint64_t n, SimVfsFault fault) {
    replicas_[r]->arm_storage_fault(n, fault);
  }
  void ArmFaultPoint(std::size_t r, std::uint64_t n) { replicas_[r]->arm_fault_point(n); }

  // Ends a case: reopens the replicas that are down, clears every fault, lets every replica
  // send every other the ops it lacks (anti-entropy through ops_missing_from), and expects all
  // of them to hold `all` (every op minted) and the model's snapshot of it.
  void ConvergeAfterFullExchange(const OpIds& all) {
    OpIds minted;
    for (const auto& [id, op] : sent_) minted.insert(id);
    Require(minted == all,
            "the model's ops " + IdsName(all) + " are not the minted ops " + IdsName(minted));
    for (std::size_t r = 0; r < replicas_.size(); ++r) {
      replicas_[r]->clear_faults();
      if (replicas_[r]->is_open()) continue;
      const Status status = replicas_[r]->open();
      Require(status.is_ok(), Who(r) + " final reopen failed: " + status.to_string());
    }
    for (std::size_t target = 0; target < replicas_.size(); ++target) {
      for (std::size_t source = 0; source < replicas_.size(); ++source) {
        if (source == target) continue;
        Materializer& receiver = replicas_[target]->materializer();
        Result<std::vector<Op>> missing =
            replicas_[source]->materializer().ops_missing_from(receiver.version_vector());
        Require(missing.is_ok(),
                Who(source) + " ops_missing_from failed: " + missing.status().to_string());
        if (missing->empty()) continue;
        Result<AppendResult> result = receiver.append(*missing);
        Require(result.is_ok() && !result->catch_up_pending,
                Who(target) + " final append from " + Who(source) +
                    " failed: " + result.status().to_string());
      }
    }
    for (std::size_t r = 0; r < replicas_.size(); ++r) {
      const Status status = replicas_[r]->materializer().ensure_materialized();
      Require(status.is_ok(), Who(r) + " final ensure_materialized failed: " + status.to_string());
      ExpectMatches(r, all, "after the final full exchange, ");
    }
  }

 private:
  // What a failed call must leave as it was.
  struct Capture {
    std::optional<StoreDump> dump;  // none if the store could not be read
    VersionVector log;
    Snapshot snapshot;
    Head head;
    Frontier frontier;
  };

  // Snapshot diffs print node ids; the commands print the example names.
  static std::string NodeLegend() {
    std::string legend = "\n(nodes:";
    for (NodeId node : Nodes()) {
      legend += " " + test_support::verbs::NameOf(node) + "=" + node.to_display();
    }
    return legend + ")";
  }

  static std::string Who(std::size_t r) { return std::string(1, static_cast<char>('a' + r)); }

  static Result<LocalResult> Call(Materializer& materializer, const LocalEdit& edit) {
    switch (edit.kind) {
      case LocalEdit::Kind::kInsert:
        return materializer.insert(edit.parent, edit.node, edit.placement, edit.payload);
      case LocalEdit::Kind::kMove:
        return materializer.move(edit.node, edit.parent, edit.placement);
      case LocalEdit::Kind::kRemove:
        return materializer.remove(edit.node);
      case LocalEdit::Kind::kSetPayload:
        return materializer.set_payload(edit.node, edit.payload);
    }
    TS_UNREACHABLE();
  }

  Capture CaptureOf(std::size_t r) {
    StatefulReplica& replica = *replicas_[r];
    Materializer& materializer = replica.materializer();
    Capture capture{std::nullopt, materializer.version_vector(),
                    materializer.materialized_snapshot(), materializer.head(),
                    materializer.frontier()};
    if (Result<StoreDump> dump = replica.dump(); dump.is_ok()) capture.dump = std::move(*dump);
    return capture;
  }

  // The reference model's fold of the ops `ids`.
  model::Model Fold(const OpIds& ids) const {
    model::Model model;
    for (const OpId& id : ids) {
      const Status status = model.add(sent_.at(id));
      Require(status.is_ok(), "the model rejects " + IdName(id) + ": " + status.to_string());
    }
    return model;
  }

  // The op `id` as replica `r` stores it.
  Result<LocalResult> Stored(std::size_t r, const OpId& id) {
    TS_ASSIGN_OR_RETURN(std::vector<Op> log,
                        replicas_[r]->materializer().ops_missing_from(VersionVector{}));
    for (Op& op : log) {
      if (op.id == id) return LocalResult{std::move(op), {}};
    }
    return Status::not_found(IdName(id));
  }

  // A call failed: clear the faults, and restart a replica whose store cannot go on.
  void AfterFailure(std::size_t r) {
    StatefulReplica& replica = *replicas_[r];
    replica.clear_faults();
    if (!replica.needs_restart()) return;
    ++totals_.restarts;
    replica.crash(CrashPolicy::kRandom, /*seed=*/r + 1);
    const Status status = replica.open();
    Require(status.is_ok(),
            Who(r) + " restart after an unusable store failed: " + status.to_string());
  }

  // A failed call at `r` left everything as `before`, or (with `catch_up_may_stay`) only
  // caught up the pending frontier of `log` in a transaction of its own.
  void ExpectNoTrace(std::size_t r, const Capture& before, const OpIds& log, bool catch_up_may_stay,
                     const std::string& who) {
    StatefulReplica& replica = *replicas_[r];
    if (replica.needs_restart()) return;  // the restart checks durability instead
    const Capture after = CaptureOf(r);
    Require(after.dump.has_value(), who + " failed and left a store that cannot be read");
    const bool caught_up = catch_up_may_stay && !before.frontier.is_none() &&
                           after.frontier.is_none() && after.log == before.log && before.dump &&
                           after.dump->ops == before.dump->ops &&
                           after.snapshot == Fold(log).snapshot();
    if (caught_up) return;
    Require(before.dump.has_value(), who + ": the store could not be read before the call");
    const std::string difference = describe_difference(*before.dump, *after.dump);
    Require(difference.empty(), who + " failed and left a trace in the store: " + difference);
    Require(after.log == before.log, who + " failed and changed the log from " +
                                         before.log.to_display() + " to " + after.log.to_display());
    Require(after.snapshot == before.snapshot,
            who + " failed and changed the snapshot:\n" +
                describe_snapshot_diff(before.snapshot, after.snapshot) + NodeLegend());
    Require(after.head == before.head, who + " failed and changed the head");
    Require(after.frontier == before.frontier, who + " failed and changed the frontier from " +
                                                   before.frontier.to_display() + " to " +
                                                   after.frontier.to_display());
  }

  // A deferred append whose materialization failed: the ops are stored, nothing else changed
  // but the frontier, which is no later than the smallest new key.
  void ExpectDeferred(std::size_t r, const Capture& before,
                      const std::optional<OpKey>& smallest_new, const std::string& who) {
    const Capture after = CaptureOf(r);
    Require(after.snapshot == before.snapshot,
            who + " deferred its catch-up but changed the materialized state:\n" +
                describe_snapshot_diff(before.snapshot, after.snapshot) + NodeLegend());
    Require(after.head == before.head, who + " deferred its catch-up but changed the head");
    Require(smallest_new.has_value(), who + " deferred a catch-up without new ops");
    Require(after.frontier.kind == Frontier::Kind::kKey && !(*smallest_new < after.frontier.key),
            who + " recorded the frontier " + after.frontier.to_display() +
                " after its smallest new key " + smallest_new->to_display());
    if (!before.dump || !after.dump) return;
    Require(after.dump->nodes == before.dump->nodes &&
                after.dump->payloads == before.dump->payloads &&
                after.dump->undo_records == before.dump->undo_records,
            who + " deferred its catch-up but changed the rows: " +
                describe_difference(*before.dump, *after.dump));
  }

  // The op a local edit at `r` minted, against the model's prediction.
  void ExpectMinted(std::size_t r, const LocalEdit& edit, const OpIds& log, const OpId& expected,
                    const Op& op) const {
    const std::string who = Who(r) + " local " + edit.to_display();
    Require(op.id == expected,
            who + " minted " + IdName(op.id) + ", the model predicts " + IdName(expected));
    Require(validate_op(op).is_ok(), who + " minted an invalid op: " + op.to_display());
    std::uint64_t clock = 0;
    for (const OpId& id : log) clock = std::max(clock, sent_.at(id).lamport);
    Require(op.lamport == clock + 1, who + " minted lamport " + std::to_string(op.lamport) +
                                         ", the replica's clock is " + std::to_string(clock));
    Require(op.node == edit.node, who + " minted an op on another node: " + op.to_display());
    switch (edit.kind) {
      case LocalEdit::Kind::kInsert:
        Require(
            op.kind == OpKind::kInsert && op.parent == edit.parent && op.payload == edit.payload,
            who + " minted " + op.to_display());
        break;
      case LocalEdit::Kind::kMove:
        Require(op.kind == OpKind::kMove && op.parent == edit.parent,
                who + " minted " + op.to_display());
        break;
      case LocalEdit::Kind::kRemove: {
        Require(op.kind == OpKind::kDelete, who + " minted " + op.to_display());
        const VersionVector svv = Fold(log).subtree_version_vector(edit.node);
        Require(op.known_state == svv, who + " minted known_state " +
                                           op.known_state.value_or(VersionVector{}).to_display() +
                                           ", the model's SVV is " + svv.to_display());
        break;
      }
      case LocalEdit::Kind::kSetPayload:
        Require(op.kind == OpKind::kPayload && op.payload == edit.payload,
                who + " minted " + op.to_display());
        break;
    }
  }

  // After a command at `r`: invariants hold, the log is exactly `log`, and unless a frontier is
  // pending, the materialized state is the model's fold of it.
  // `when` prefixes a failure's message.
  void ExpectMatches(std::size_t r, const OpIds& log, const std::string& when = "") {
    StatefulReplica& replica = *replicas_[r];
    const std::string who = when + Who(r);
    Require(replica.is_open(), who + " is down");
    if (const std::optional<std::string> broken = replica.check_invariants()) {
      RC_FAIL(who + " invariants: " + *broken);
    }
    Materializer& materializer = replica.materializer();
    const VersionVector expected_log = VersionVectorOf(log);
    Require(materializer.version_vector() == expected_log,
            who + " holds the log " + materializer.version_vector().to_display() + ", the model " +
                expected_log.to_display());
    if (!materializer.frontier().is_none()) return;
    Require(materializer.head().seq == log.size(),
            who + " head seq " + std::to_string(materializer.head().seq) + " but the log holds " +
                std::to_string(log.size()) + " ops");
    const std::string difference =
        describe_snapshot_diff(Fold(log).snapshot(), materializer.materialized_snapshot());
    Require(difference.empty(), who + " snapshot differs from the model of its log " +
                                    IdsName(log) + ":\n" + difference + NodeLegend());
  }

  StatefulTotals& totals_;
  std::vector<std::unique_ptr<StatefulReplica>> replicas_;
  // Every op a local edit minted, by id: what deliveries carry.
  std::map<OpId, Op> sent_;
};

}  // namespace treesim::stateful
