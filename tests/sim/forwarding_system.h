// ForwardingSystem: the real materializer (an InProcessReplica) behind the SystemUnderTest
// interface, every call passed through. Tests that plant a lie or a crash in one or two calls
// derive from it and override only those, calling inner() for the real answer. The visible tree
// is the interface's default, derived from materialized_snapshot(), so that a lie told there
// reaches the workload too.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/in_process_replica.h"
#include "sim/system_under_test.h"

namespace treesim {

class ForwardingSystem : public SystemUnderTest {
 public:
  ForwardingSystem(const ReplicaId& id, const ReplicaConfig& config, std::uint64_t seed)
      : inner_(id, config, seed) {}

  Status open() override { return inner_.open(); }
  bool is_open() const override { return inner_.is_open(); }
  bool needs_restart() const override { return inner_.needs_restart(); }
  void crash() override { inner_.crash(); }
  Result<AppendResult> append(const std::vector<Op>& batch) override {
    return inner_.append(batch);
  }
  Result<LocalResult> local(const LocalEdit& edit) override { return inner_.local(edit); }
  Status ensure_materialized() override { return inner_.ensure_materialized(); }
  Result<Snapshot> snapshot() override {
    auto snapshot = inner_.snapshot();
    if (snapshot.is_ok()) edit_snapshot(*snapshot);
    return snapshot;
  }
  Snapshot materialized_snapshot() override {
    Snapshot snapshot = inner_.materialized_snapshot();
    edit_snapshot(snapshot);
    return snapshot;
  }
  Head head() override { return inner_.head(); }
  Frontier frontier() override { return inner_.frontier(); }
  VersionVector version_vector() override { return inner_.version_vector(); }
  Result<std::vector<Op>> ops_missing_from(const VersionVector& known) override {
    return inner_.ops_missing_from(known);
  }
  std::optional<std::string> check_invariants() override { return inner_.check_invariants(); }
  bool answers_queries() const override { return inner_.answers_queries(); }
  Result<QueryAnswers> query(NodeId node) override { return inner_.query(node); }
  bool arm_storage_fault(std::uint64_t n) override { return inner_.arm_storage_fault(n); }
  bool arm_fault_point(std::uint64_t n) override { return inner_.arm_fault_point(n); }
  void clear_faults() override { inner_.clear_faults(); }
  Probes probes() const override { return inner_.probes(); }

 protected:
  InProcessReplica& inner() { return inner_; }
  // A lie told in both snapshots, the log's and the materialized one: none by default.
  virtual void edit_snapshot(Snapshot& /*snapshot*/) const {}

 private:
  InProcessReplica inner_;
};

}  // namespace treesim
