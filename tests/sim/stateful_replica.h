// StatefulReplica: one replica of the stateful RapidCheck test (materializer_stateful_test.cc),
// the production materializer over one of the two document stores, with the faults the test's
// commands inject. It is sim/in_process_replica.h made for a test that names every fault itself:
// the command picks the failing call, the fault kind and the crash policy (so RapidCheck can
// shrink them), and the test gets the store itself, to compare full dumps around a failed call.
//
// Fault model, per store:
// - memory: a MemoryStore behind a FaultyStore, whose n-th call from now fails with kIoError.
//   Transactions are synchronous, so a crash (dropping the materializer) loses nothing that was
//   committed and keeps nothing that was not.
// - sqlite: a SqliteStore (WAL, synchronous FULL) on its own SimVfs. A storage fault fails the
//   n-th read, write, sync or lock from now (or fills the disk); a crash is a power loss that
//   keeps, drops or tears each unsynced write by the command's policy. The page cache is kept
//   small, so that calls read pages (and read faults have calls to fail) after the first one.
// - either: fault points inside the materializer fire on the n-th site passed from now.
// Faults are one-shot; clear_faults() disarms whatever did not fire.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/assert.h"
#include "core/replica_id.h"
#include "core/status.h"
#include "materializer/fault_points.h"
#include "materializer/materializer.h"
#include "materializer/memory_store.h"
#include "materializer/probes.h"
#include "materializer/sqlite_store.h"
#include "sim/entropy.h"
#include "sim/faulty_store.h"
#include "sim/sim_vfs.h"
#include "tests/support/sqlite_test_support.h"
#include "tests/support/store_dump.h"

namespace treesim::stateful {

enum class DocumentStore : std::uint8_t { kMemory, kSqlite };

inline const char* DocumentStoreName(DocumentStore store) {
  return store == DocumentStore::kMemory ? "Memory" : "Sqlite";
}

class StatefulReplica {
 public:
  static constexpr const char* kDatabaseName = "replica.db";
  // Pages of SQLite's page cache: fewer than a document of a few dozen ops needs.
  static constexpr int kCachePages = 8;

  // The replica starts closed; open() opens it. `options.fault_points` is replaced by the
  // replica's own.
  StatefulReplica(ReplicaId id, DocumentStore store, MaterializerOptions options)
      : id_(std::move(id)), store_kind_(store), options_(options) {
    options_.fault_points = &fault_points_;
    if (store_kind_ == DocumentStore::kSqlite) vfs_ = std::make_unique<SimVfs>(/*seed=*/1);
  }
  ~StatefulReplica() {
    // The connection closes before its disk goes away.
    materializer_.reset();
    sqlite_store_.reset();
  }
  StatefulReplica(const StatefulReplica&) = delete;
  StatefulReplica& operator=(const StatefulReplica&) = delete;

  const ReplicaId& id() const { return id_; }
  DocumentStore store_kind() const { return store_kind_; }
  const MaterializerOptions& options() const { return options_; }
  bool is_open() const { return materializer_ != nullptr; }
  Materializer& materializer() {
    TS_ASSERT(is_open());
    return *materializer_;
  }

  // Opens the store (SQLite: if its connection is gone) and the materializer.
  Status open() {
    TS_ASSERT(!is_open());
    Store* store = &faulty_store_;
    if (store_kind_ == DocumentStore::kSqlite) {
      if (!sqlite_store_) TS_RETURN_IF_ERROR(open_sqlite_store());
      store = sqlite_store_.get();
    }
    Result<std::unique_ptr<Materializer>> opened = Materializer::open(*store, id_, options_);
    if (!opened.is_ok()) return opened.status();
    materializer_ = std::move(opened).value();
    return Status::ok();
  }

  // Probe counts over every open of this replica.
  Probes probes() const {
    Probes total = probes_of_closed_;
    if (materializer_) total.add(materializer_->probes());
    return total;
  }

  // Loses everything volatile. SQLite: a power loss with the connection open (its handles go
  // stale, so closing it writes nothing); `policy` and `seed` decide the unsynced writes' fate.
  // Every armed fault is disarmed, as the power coming back disarms the disk's.
  void crash(CrashPolicy policy, std::uint64_t seed) {
    if (materializer_) probes_of_closed_.add(materializer_->probes());
    materializer_.reset();
    if (store_kind_ == DocumentStore::kSqlite) {
      Rng entropy(seed);
      vfs_->crash(policy, entropy);
      sqlite_store_.reset();
    } else {
      TS_ASSERT(!memory_store_.in_transaction());
    }
    clear_faults();
  }

  // Whether a failed rollback left the SQLite store unusable: only a restart helps.
  bool needs_restart() const { return sqlite_store_ != nullptr && sqlite_store_->is_unusable(); }

  // The n-th storage call from now fails (n >= 1): any store call (memory), or the n-th VFS
  // call of the kind `fault` counts (sqlite).
  void arm_storage_fault(std::uint64_t n, SimVfsFault fault) {
    TS_ASSERT(n >= 1);
    if (store_kind_ == DocumentStore::kSqlite) {
      vfs_->fail_after(n, fault);
    } else {
      faulty_store_.fail_after(n);
    }
  }
  // The n-th fault point passed from now fires (n >= 1).
  void arm_fault_point(std::uint64_t n) {
    TS_ASSERT(n >= 1);
    fault_points_.arm(n);
  }
  void clear_faults() {
    faulty_store_.clear();
    if (vfs_) vfs_->clear();
    fault_points_.clear();
  }

  // Everything the store holds (read with faults paused, so a checker neither consumes nor
  // fires a fault meant for the next call). An error if the store cannot be read (an SQLite
  // store whose transaction SQLite aborted, or that a failed rollback made unusable).
  Result<StoreDump> dump() {
    TS_ASSERT(is_open());
    if (store_kind_ == DocumentStore::kMemory) return dump_store(memory_store_);
    pause_faults(true);
    Result<StoreDump> dump = dump_store(*sqlite_store_);
    pause_faults(false);
    return dump;
  }

  // The materializer's, the store's and the disk's invariants (faults paused); the first
  // violation, if any.
  std::optional<std::string> check_invariants() {
    TS_ASSERT(is_open());
    pause_faults(true);
    std::optional<std::string> broken = materializer_->check_invariants();
    if (!broken && sqlite_store_) {
      if (const Status status = sqlite_store_->check_invariants(); !status.is_ok()) {
        broken = "sqlite store: " + status.to_string();
      }
    }
    pause_faults(false);
    if (broken) return broken;
    if (store_kind_ == DocumentStore::kMemory) memory_store_.check_invariants();
    if (vfs_) vfs_->check_invariants();
    return std::nullopt;
  }

 private:
  class CountdownFaultPoints final : public FaultPoints {
   public:
    void arm(std::uint64_t n) { countdown_ = n; }
    void clear() { countdown_ = 0; }
    bool should_fail(FaultSite) override { return countdown_ != 0 && --countdown_ == 0; }

   private:
    std::uint64_t countdown_ = 0;
  };

  Status open_sqlite_store() {
    SqliteStoreOptions options;
    options.path = kDatabaseName;
    options.vfs_name = vfs_->name();
    ConnectionSpy spy;
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::open(options);
    if (!store.is_ok()) return store.status();
    const std::string pragma = "PRAGMA cache_size = " + std::to_string(kCachePages);
    if (sqlite3_exec(spy.last(), pragma.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      return Status::internal(pragma + ": " + sqlite3_errmsg(spy.last()));
    }
    sqlite_store_ = std::move(store).value();
    return Status::ok();
  }

  void pause_faults(bool paused) {
    faulty_store_.set_paused(paused);
    if (vfs_) vfs_->set_paused(paused);
  }

  ReplicaId id_;
  DocumentStore store_kind_;
  MaterializerOptions options_;
  CountdownFaultPoints fault_points_;
  // memory
  MemoryStore memory_store_;
  FaultyStore faulty_store_{memory_store_};
  // sqlite: the disk outlives crashes; the connection does not.
  std::unique_ptr<SimVfs> vfs_;
  std::unique_ptr<SqliteStore> sqlite_store_;
  std::unique_ptr<Materializer> materializer_;
  Probes probes_of_closed_;
};

}  // namespace treesim::stateful
