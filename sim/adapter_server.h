// AdapterServer: the project's own materializer behind the stdio protocol of
// docs/sut-protocol.md; `treesim-adapter` (sim/adapter_main.cc) is a loop around handle().
// It is what an adapter for another materializer looks like, and the reference an external run
// is compared with: with the same store kind, strategy and deferred mode, a run through it
// gives the trace of the in-process run (docs/sut-protocol.md, "Equivalence").
//
// Stores, in the directory `open` names:
//   sqlite  a SqliteStore on the file replica.db through SQLite's default OS VFS (WAL,
//           synchronous=FULL): the production configuration;
//   memory  a JournaledMemoryStore (sim/adapter_memory_store.h): a MemoryStore whose committed
//           transactions are journaled to memory-store.journal, so it survives a kill.
// By default `open`'s config chooses the store (capability "store"); a forced store
// (AdapterServer::Options::store) ignores it and does not advertise the capability.
// Storage faults (capability fail_next_storage_call) fail the n-th Store call from now on
// either store (sim/faulty_store.h). On the memory store that is exactly the
// in-process memory replica's fault; on SQLite it is a Store call that fails, not the I/O
// error of a disk that an in-process SQLite replica on SimVfs gets, so a run with storage
// faults on SQLite replicas takes another course than in process. Fault points (capability
// fault_points) fire by countdown at the materializer's named sites, as in process.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "materializer/fault_points.h"
#include "materializer/materializer.h"
#include "materializer/sqlite_store.h"
#include "sim/faulty_store.h"
#include "sim/adapter_memory_store.h"
#include "sim/options.h"

namespace treesim {

class AdapterServer {
 public:
  struct Options {
    // Every replica on this store, whatever `open` asks for; none: as `open` asks.
    std::optional<StoreKind> store;
  };

  explicit AdapterServer(Options options) : options_(options) {}
  ~AdapterServer();

  // Answers one request line with one response line (no newline). Never fails: a bad request
  // gets an error response. `close` is answered like any request; is_closed() then holds.
  std::string handle(std::string_view line);
  bool is_closed() const { return closed_; }

  // The file names inside a replica's directory.
  static constexpr const char* kSqliteFile = "replica.db";
  static constexpr const char* kJournalFile = "memory-store.journal";

 private:
  class CountdownFaultPoints final : public FaultPoints {
   public:
    void arm(std::uint64_t n) { countdown_ = n; }
    void clear() { countdown_.reset(); }
    std::optional<std::uint64_t> remaining() const { return countdown_; }
    bool should_fail(FaultSite) override {
      if (!countdown_ || --*countdown_ != 0) return false;
      countdown_.reset();
      return true;
    }

   private:
    std::optional<std::uint64_t> countdown_;
  };

  // The response object of one request, or the Status of a failed call.
  Result<nlohmann::json> dispatch(const std::string& name, const nlohmann::json& request);
  Result<nlohmann::json> open(const nlohmann::json& request);
  Result<nlohmann::json> local(const nlohmann::json& request);
  nlohmann::json check_invariants();
  bool needs_restart() const;

  Options options_;
  StoreKind store_kind_ = StoreKind::kSqlite;
  std::unique_ptr<SqliteStore> sqlite_;
  std::unique_ptr<JournaledMemoryStore> memory_;
  std::unique_ptr<FaultyStore> faults_;
  // A storage fault armed before the store exists (a restarted process is armed before open).
  std::optional<std::uint64_t> storage_countdown_before_open_;
  CountdownFaultPoints fault_points_;
  std::unique_ptr<Materializer> materializer_;
  bool closed_ = false;
};

}  // namespace treesim
