// The stores under test for the Store contract tests (store_contract_test.cc,
// store_property_test.cc): each implementation behind one harness, fresh for every test
// (SqliteStore on a file in a temporary directory that is removed afterwards), and the builders
// and scan helpers the tests share. Everything is read through the Store interface.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "core/node_id.h"
#include "core/op.h"
#include "core/replica_id.h"
#include "core/status.h"
#include "core/version_vector.h"
#include "materializer/memory_store.h"
#include "materializer/sqlite_store.h"
#include "materializer/store.h"
#include "materializer/undo_record.h"
#include "tests/support/sqlite_test_support.h"
#include "tests/support/store_dump.h"

namespace treesim::store_test {

// --- the stores under test ---

// One store under test, and whatever must be cleaned up after it.
class StoreHarness {
 public:
  virtual ~StoreHarness() = default;
  virtual Store& store() = 0;
  // The implementation's own O(n) invariant check.
  virtual void check_invariants() = 0;
};

class MemoryHarness final : public StoreHarness {
 public:
  Store& store() override { return store_; }
  void check_invariants() override { store_.check_invariants(); }

 private:
  MemoryStore store_;
};

// A SqliteStore on "doc.db" in a fresh temporary directory, removed after: default options
// (WAL, synchronous FULL) unless a test asks for another synchronous level. If `copy_of` names
// a closed database file, doc.db starts as a byte copy of it.
class SqliteHarness final : public StoreHarness {
 public:
  explicit SqliteHarness(SqliteSynchronous synchronous = SqliteSynchronous::kFull,
                         const std::string& copy_of = "") {
    SqliteStoreOptions options;
    options.path = directory_.file("doc.db");
    options.synchronous = synchronous;
    if (!copy_of.empty()) WriteFileBytes(options.path, ReadFileBytes(copy_of));
    Result<std::unique_ptr<SqliteStore>> opened = SqliteStore::open(options);
    if (!opened.is_ok()) {
      ADD_FAILURE() << opened.status().to_string();
      TS_ASSERT(opened.is_ok());
    }
    store_ = std::move(opened).value();
  }

  Store& store() override { return *store_; }
  void check_invariants() override {
    const Status status = store_->check_invariants();
    EXPECT_TRUE(status.is_ok()) << status.to_string();
  }

 private:
  TempDirectory directory_;  // declared first, so removed after the store closes
  std::unique_ptr<SqliteStore> store_;
};

struct StoreKind {
  const char* name;
  std::function<std::unique_ptr<StoreHarness>()> make;
};

inline void PrintTo(const StoreKind& kind, std::ostream* out) { *out << kind.name; }

inline std::vector<StoreKind> EveryStore() {
  return {
      {"Memory", [] { return std::make_unique<MemoryHarness>(); }},
      {"Sqlite", [] { return std::make_unique<SqliteHarness>(); }},
  };
}

// --- builders ---

inline const std::string kOrderKey("\x80\x00", 2);

inline OpKey Key(std::uint64_t lamport, const char* replica, std::uint64_t counter) {
  return OpKey{lamport, ReplicaId::of(replica), counter};
}

inline Op InsertOp(const char* replica, std::uint64_t counter, std::uint64_t lamport,
                   std::uint64_t node = 1) {
  return make_insert(OpId{ReplicaId::of(replica), counter}, lamport, kRoot, NodeId::from_low(node),
                     kOrderKey);
}

inline NodeRow NodeAt(std::uint64_t node, std::uint64_t parent = 0, bool tombstoned = false) {
  NodeRow row;
  row.node = NodeId::from_low(node);
  row.parent = NodeId::from_low(parent);
  row.order_key = kOrderKey;
  row.last_change = VersionVector::from_ranges({{ReplicaId::of("a"), CounterRange{1, node + 1}}});
  row.tombstoned = tombstoned;
  return row;
}

inline PayloadRow PayloadOf(std::uint64_t node, std::string value) {
  return PayloadRow{NodeId::from_low(node), std::move(value), Key(1, "a", 1)};
}

inline UndoRecord UndoAt(const OpKey& key, std::uint64_t created_node = 1) {
  UndoRecord record;
  record.key = key;
  record.created_nodes = {NodeId::from_low(created_node)};
  return record;
}

inline void ExpectOk(const Status& status) { EXPECT_TRUE(status.is_ok()) << status.to_string(); }

// Scans return display strings so that a failure prints readable keys.
inline std::vector<std::string> ScanOpKeys(Store& store, const std::optional<OpKey>& from,
                                           std::size_t limit = SIZE_MAX) {
  std::vector<std::string> keys;
  ExpectOk(store.scan_ops(from, [&](const Op& op) {
    keys.push_back(op.key().to_display());
    return keys.size() < limit;
  }));
  return keys;
}

inline std::vector<std::string> ScanUndoKeys(Store& store, const OpKey& from,
                                             std::size_t limit = SIZE_MAX) {
  std::vector<std::string> keys;
  ExpectOk(store.scan_undo_reverse(from, [&](const UndoRecord& record) {
    keys.push_back(record.key.to_display());
    return keys.size() < limit;
  }));
  return keys;
}

inline StoreDump Dump(Store& store) {
  Result<StoreDump> dump = dump_store(store);
  EXPECT_TRUE(dump.is_ok()) << dump.status().to_string();
  return dump.is_ok() ? *std::move(dump) : StoreDump{};
}

}  // namespace treesim::store_test
