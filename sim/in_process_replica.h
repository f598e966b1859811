// InProcessReplica: the project's own materializer as a SystemUnderTest, over a MemoryStore
// behind a FaultyStore (storage faults) with a countdown of fault points.
#pragma once

#include <memory>

#include "materializer/memory_store.h"
#include "sim/faulty_store.h"
#include "sim/options.h"
#include "sim/system_under_test.h"

namespace treesim {

class InProcessReplica final : public SystemUnderTest {
 public:
  InProcessReplica(ReplicaId replica, const ReplicaConfig& config);

  Status open() override;
  bool is_open() const override { return materializer_ != nullptr; }
  void crash() override;

  Result<AppendResult> append(const std::vector<Op>& batch) override;
  Result<LocalResult> local(const LocalEdit& edit) override;
  Status ensure_materialized() override;

  Result<Snapshot> snapshot() override;
  Snapshot materialized_snapshot() override;
  Head head() override;
  Frontier frontier() override;
  VersionVector version_vector() override;
  Result<std::vector<Op>> ops_missing_from(const VersionVector& known) override;
  std::optional<std::string> check_invariants() override;

  bool arm_storage_fault(std::uint64_t n) override;
  bool arm_fault_point(std::uint64_t n) override;
  void clear_faults() override;
  Probes probes() const override;

 private:
  class CountdownFaultPoints final : public FaultPoints {
   public:
    void arm(std::uint64_t n) { countdown_ = n; }
    void clear() { countdown_ = 0; }
    bool should_fail(FaultSite) override { return countdown_ != 0 && --countdown_ == 0; }

   private:
    std::uint64_t countdown_ = 0;
  };

  Materializer& materializer();

  ReplicaId replica_;
  ReplicaConfig config_;
  MemoryStore store_;
  FaultyStore faulty_store_{store_};
  CountdownFaultPoints fault_points_;
  std::unique_ptr<Materializer> materializer_;
  Probes probes_of_closed_;  // probes of earlier opens
};

}  // namespace treesim
