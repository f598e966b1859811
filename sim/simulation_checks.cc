// The checkers of a simulation (sim/simulation.h lists them): the rollback checker's
// comparison of captures, the model and invariants check of one replica after a step, and the
// end-of-run convergence check. The executor (sim/simulation.cc) calls them after every event.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/assert.h"
#include "core/json_values.h"
#include "core/snapshot_diff.h"
#include "sim/schedule.h"
#include "sim/simulation.h"
#include "sim/simulation_replica.h"

namespace treesim {
namespace {

// What differs between two captures' log ids, heads and frontiers, first difference first.
std::optional<std::string> describe_trace(const Before& before, const Before& after) {
  if (after.log != before.log) {
    return "log changed from " + before.log.to_display() + " to " + after.log.to_display();
  }
  if (after.head != before.head) {
    return "head changed from " + head_to_display(before.head) + " to " +
           head_to_display(after.head);
  }
  if (after.frontier != before.frontier) {
    return "frontier changed from " + before.frontier.to_display() + " to " +
           after.frontier.to_display();
  }
  return std::nullopt;
}

std::string nodes_to_display(const std::vector<NodeId>& nodes) {
  std::string out = "[";
  for (const NodeId& node : nodes) out += (out.size() > 1 ? ", " : "") + node.to_display();
  return out + "]";
}

std::string optional_node_to_display(const std::optional<NodeId>& node) {
  return node ? node->to_display() : "none";
}

std::string optional_payload_to_display(const std::optional<std::string>& payload) {
  return payload ? "\"" + json::printable(*payload) + "\"" : "none";
}

// The first query whose answer differs, as "children(n) is [..], the model's [..]".
std::string describe_query_difference(NodeId node, const QueryAnswers& expected,
                                      const QueryAnswers& actual) {
  const std::string of = "(" + node.to_display() + ")";
  if (actual.children != expected.children) {
    return "children" + of + " is " + nodes_to_display(actual.children) + ", the model's " +
           nodes_to_display(expected.children);
  }
  if (actual.parent != expected.parent) {
    return "parent" + of + " is " + optional_node_to_display(actual.parent) + ", the model's " +
           optional_node_to_display(expected.parent);
  }
  TS_ASSERT(actual.payload != expected.payload);
  return "payload" + of + " is " + optional_payload_to_display(actual.payload) +
         ", the model's " + optional_payload_to_display(expected.payload);
}

// The model's answers for ROOT, TRASH, every node of `expected` and the lowest node id no op
// names (an unknown node has no children, no parent and no payload).
std::vector<std::pair<NodeId, QueryAnswers>> model_answers(const model::Model& model,
                                                           const Snapshot& expected) {
  std::vector<NodeId> nodes = {kRoot, kTrash};
  for (const SnapshotRow& row : expected.rows) nodes.push_back(row.node);
  // Rows are sorted by node id, so one pass finds the lowest id above ROOT that none has.
  NodeId unknown = NodeId::from_low(1);
  for (const SnapshotRow& row : expected.rows) {
    if (row.node == unknown) unknown = NodeId::from_low(unknown.low + 1);
  }
  nodes.push_back(unknown);
  std::vector<std::pair<NodeId, QueryAnswers>> answers;
  answers.reserve(nodes.size());
  for (const NodeId& node : nodes) {
    answers.push_back({node, QueryAnswers{model.children(node), model.parent(node),
                                          model.payload(node)}});
  }
  return answers;
}

}  // namespace

void Simulation::check_no_trace(std::uint32_t index, const Before& before, const Before& after,
                                const char* call) {
  TS_ASSERT(after.snapshot.has_value());
  const std::string what = std::string("a failed ") + call + " left a trace: ";
  if (const auto trace = describe_trace(before, after)) {
    fail(FailureClass::kRollback, "rollback", index, what + *trace);
    return;
  }
  const Snapshot* expected = before.snapshot ? &*before.snapshot : nullptr;
  std::optional<Snapshot> model_snapshot;
  std::string baseline = "the state before the call";
  if (expected == nullptr) {
    // Not captured (a step --check-every skips). A caught-up state equals the model's snapshot
    // of the acknowledged log, which the failed call did not change; a pending one may be any
    // prefix's fold, so there is nothing to compare its rows with.
    if (!before.frontier.is_none()) return;
    model_snapshot = replicas_[index]->model.snapshot();
    expected = &*model_snapshot;
    baseline = "the model of its unchanged log (no snapshot was taken before the call)";
  }
  if (*after.snapshot == *expected) return;
  const auto first = diff_snapshots(*expected, *after.snapshot, 1);
  fail(FailureClass::kRollback, "rollback", index,
       what + "the snapshot differs from " + baseline + ":\n" +
           describe_snapshot_diff(*expected, *after.snapshot, 3),
       first.empty() ? "" : snapshot_field_name(first[0].field));
}

void Simulation::maybe_check(std::uint32_t index, bool& read_through) {
  // Only the replica the step touched can have changed.
  if (++steps_since_check_ < options_.check_every) return;
  steps_since_check_ = 0;
  if (replicas_[index]->down) return;
  if (schedule_ != nullptr) read_through = schedule_->choose_read_through();
  check_replica(index, read_through);
}

void Simulation::check_replica(std::uint32_t index, bool read_through) {
  Replica& replica = *replicas_[index];
  ++stats_.checks;
  if (auto broken = replica.sut->check_invariants()) {
    fail(FailureClass::kCorrectness, "invariants", index, *broken);
    return;
  }
  Snapshot actual;
  if (replica.sut->frontier().is_none()) {
    actual = replica.sut->materialized_snapshot();
    if (replica.sut->head().seq != replica.model.op_count()) {
      fail(FailureClass::kCorrectness, "model", index,
           "head seq " + std::to_string(replica.sut->head().seq) + " but " +
               std::to_string(replica.model.op_count()) + " ops were acknowledged");
      return;
    }
  } else if (read_through) {
    // A read catches up a pending frontier; it is a call like any other and may fail.
    const Before before = capture(*replica.sut, /*with_snapshot=*/true);
    auto read = replica.sut->snapshot();
    if (!read.is_ok()) {
      record("r" + std::to_string(index) +
             " read failed: " + status_code_name(read.status().code()));
      if (!replica.fault_armed || !is_fault_code(read.status().code())) {
        fail(FailureClass::kCorrectness, "read", index,
             "read failed: " + read.status().to_string());
        return;
      }
      check_no_trace(index, before, capture(*replica.sut, true), "read");
      after_failed_call(index, read.status().code());
      return;
    }
    record("r" + std::to_string(index) + " read caught up " + head_to_display(replica.sut->head()));
    actual = std::move(*read);
  } else {
    return;  // pending and not reading: nothing to compare yet
  }
  const Snapshot expected = replica.model.snapshot();
  if (actual != expected) {
    const auto first = diff_snapshots(expected, actual, 1);
    fail(FailureClass::kCorrectness, "model", index,
         "snapshot differs from the model of its log:\n" +
             describe_snapshot_diff(expected, actual, 5),
         first.empty() ? "" : snapshot_field_name(first[0].field));
  }
}

// --- the end of the run ---

void Simulation::end() {
  for (const auto& replica : replicas_) {
    if (replica->down) {
      // Only an edited list gets here: the liveness event restarts every down replica.
      fail(FailureClass::kConvergence, "convergence", replica->index,
           "the replica is down at the end of the run");
      return;
    }
  }
  const VersionVector first = replicas_[0]->sut->version_vector();
  for (const auto& replica : replicas_) {
    if (replica->sut->version_vector() != first) {
      fail(FailureClass::kConvergence, "convergence", std::nullopt,
           "logs still differ after " + std::to_string(options_.liveness_ticks_max) +
               " liveness ticks");
      return;
    }
  }
  record("quiet: every replica holds " + first.to_display());
  check_convergence();
}

void Simulation::check_convergence() {
  model::Model all;
  for (const auto& replica : replicas_) {
    if (Status status = all.add_all(replica->model.sorted_ops()); !status.is_ok()) {
      fail(FailureClass::kCorrectness, "model", replica->index,
           "acknowledged ops conflict across replicas: " + status.to_string());
      return;
    }
  }
  const Snapshot expected = all.snapshot();
  const VersionVector ids = ids_of(all.sorted_ops());
  std::optional<std::vector<std::pair<NodeId, QueryAnswers>>> expected_answers;
  for (const auto& replica : replicas_) {
    if (Status status = replica->sut->ensure_materialized(); !status.is_ok()) {
      fail(FailureClass::kConvergence, "convergence", replica->index,
           "ensure_materialized failed with faults off: " + status.to_string());
      return;
    }
    if (replica->sut->version_vector() != ids) {
      fail(FailureClass::kConvergence, "convergence", replica->index,
           "log " + replica->sut->version_vector().to_display() + " differs from the union " +
               ids.to_display());
      return;
    }
    check_replica(replica->index, /*read_through=*/true);
    if (failed()) return;
    const Snapshot actual = replica->sut->materialized_snapshot();
    if (actual != expected) {
      const auto first = diff_snapshots(expected, actual, 1);
      fail(FailureClass::kConvergence, "convergence", replica->index,
           "snapshot differs from the model of all ops:\n" +
               describe_snapshot_diff(expected, actual, 5),
           first.empty() ? "" : snapshot_field_name(first[0].field));
      return;
    }
    if (replica->sut->answers_queries()) {
      if (!expected_answers) expected_answers = model_answers(all, expected);
      check_queries(replica->index, *expected_answers);
      if (failed()) return;
    }
  }
  stats_.final_op_count = all.op_count();
  stats_.final_node_count = expected.rows.size();
  record("converged: " + std::to_string(all.op_count()) + " ops, " +
         std::to_string(expected.rows.size()) + " nodes");
}

void Simulation::check_queries(std::uint32_t index,
                               const std::vector<std::pair<NodeId, QueryAnswers>>& expected) {
  SystemUnderTest& sut = *replicas_[index]->sut;
  for (const auto& [node, answers] : expected) {
    auto actual = sut.query(node);
    if (!actual.is_ok()) {
      fail(FailureClass::kCorrectness, "queries", index,
           "query of " + node.to_display() + " failed with faults off: " +
               actual.status().to_string());
      return;
    }
    if (*actual != answers) {
      fail(FailureClass::kCorrectness, "queries", index,
           describe_query_difference(node, answers, *actual));
      return;
    }
  }
}

}  // namespace treesim
