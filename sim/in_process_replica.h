// InProcessReplica: the project's own materializer as a SystemUnderTest, on either store.
//
// - memory: a MemoryStore behind a FaultyStore (the n-th store call fails). Its transactions
//   are synchronous, so between calls nothing uncommitted exists and a crash is simply dropping
//   the materializer; the store is the durable state.
// - sqlite (the embedded default): a SqliteStore (WAL, synchronous=FULL) on the replica's own
//   SimVfs, the simulated disk. A storage fault is an I/O error of the disk (a failed read,
//   write, sync or lock, or a full disk); a crash is a power loss: the disk keeps, drops or
//   tears each unsynced write (drawn from the replica's seed) and the connection is gone.
//   After a storage fault SQLite may have made the store unusable (a rollback that failed);
//   needs_restart() then asks the simulator to restart the replica, as an application would
//   reopen its database.
// Fault points (named sites inside the materializer) fire by countdown on either store.
#pragma once

#include <cstdint>
#include <memory>

#include "materializer/memory_store.h"
#include "materializer/sqlite_store.h"
#include "sim/entropy.h"
#include "sim/faulty_store.h"
#include "sim/options.h"
#include "sim/sim_vfs.h"
#include "sim/system_under_test.h"

namespace treesim {

class InProcessReplica final : public SystemUnderTest {
 public:
  // `seed` drives the simulated disk of an SQLite replica (its xRandomness and the fate of
  // unsynced writes at each crash); a memory replica does not use it.
  InProcessReplica(ReplicaId replica, const ReplicaConfig& config, std::uint64_t seed);
  ~InProcessReplica() override;

  Status open() override;
  bool is_open() const override { return materializer_ != nullptr; }
  void crash() override;
  bool needs_restart() const override;

  Result<AppendResult> append(const std::vector<Op>& batch) override;
  Result<LocalResult> local(const LocalEdit& edit) override;
  Status ensure_materialized() override;

  Result<Snapshot> snapshot() override;
  Snapshot materialized_snapshot() override;
  VisibleTree materialized_visible_tree() override;
  Head head() override;
  Frontier frontier() override;
  VersionVector version_vector() override;
  Result<std::vector<Op>> ops_missing_from(const VersionVector& known) override;
  std::optional<std::string> check_invariants() override;
  bool answers_queries() const override { return true; }
  Result<QueryAnswers> query(NodeId node) override;

  bool arm_storage_fault(std::uint64_t n) override;
  bool arm_fault_point(std::uint64_t n) override;
  void clear_faults() override;
  Probes probes() const override;

  // The file name of an SQLite replica's database on its SimVfs.
  static constexpr const char* kDatabaseName = "replica.db";

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
  // Pauses storage faults for a checker's reads (see FaultyStore and SimVfs::set_paused).
  void pause_faults(bool paused);

  ReplicaId replica_;
  ReplicaConfig config_;
  // memory
  MemoryStore memory_store_;
  FaultyStore faulty_store_{memory_store_};
  // sqlite: the disk outlives crashes; the connection does not.
  std::unique_ptr<SimVfs> vfs_;
  std::unique_ptr<SqliteStore> sqlite_store_;
  Rng disk_entropy_;

  CountdownFaultPoints fault_points_;
  std::unique_ptr<Materializer> materializer_;
  Probes probes_of_closed_;  // probes of earlier opens
};

}  // namespace treesim
