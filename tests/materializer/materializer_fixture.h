// Verbs for scripted materializer tests, the counterpart of tests/model/model_fixture.h: open a
// materializer over a document store (each store of store_harness.h's EveryStore(): a
// MemoryStore, or a SqliteStore on a real file in a temporary directory, so that every
// materializer test runs over both as a TEST_P), ask it the questions a user asks (the visible
// tree as text such as "ROOT(P(C) Q)", parent, payload, tombstone flag, snapshot row), and
// compare it with the reference model's fold of the same ops. The implementation-neutral verbs
// (stamps "a1@5", node names, op builders) come from tests/support/example_verbs.h.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/assert.h"
#include "core/snapshot.h"
#include "core/snapshot_diff.h"
#include "materializer/materializer.h"
#include "materializer/sqlite_store.h"
#include "materializer/store.h"
#include "model/model.h"
#include "tests/materializer/store_harness.h"
#include "tests/support/example_verbs.h"
#include "tests/support/sqlite_test_support.h"
#include "tests/support/store_dump.h"

namespace treesim::materializer_fixture {

using namespace test_support::verbs;  // NOLINT(build/namespaces): the shared example verbs

// The document stores every materializer test runs over (a StoreKind makes a fresh one, with
// its temporary directory if it needs one).
using store_test::StoreHarness;
using store_test::StoreKind;

// The file of an empty SqliteStore database (schema created, WAL mode set, closed), created
// once per process in a temporary directory that is removed at exit.
inline const std::string& EmptySqliteDatabase() {
  static const TempDirectory directory;
  static const std::string path = [] {
    SqliteStoreOptions options;
    options.path = directory.file("empty.db");
    Result<std::unique_ptr<SqliteStore>> created = SqliteStore::open(options);
    if (!created.is_ok()) {
      ADD_FAILURE() << created.status().to_string();
      TS_ASSERT(created.is_ok());
    }
    return options.path;  // the store closes here, leaving the database in the file alone
  }();
  return path;
}

// store_harness.h's EveryStore(), except that each SqliteStore (a real file in WAL mode) starts
// as a copy of EmptySqliteDatabase() and runs with synchronous OFF. This suite tests what the
// materializer does over each Store implementation (its SQL, savepoints, rollbacks, row codec
// and scan orders), and nothing in it can observe an fsync: there is no crash here. Durability
// under synchronous FULL, and creating a database, are the business of sqlite_store_test.cc,
// sqlite_store_fault_test.cc and the simulator's crash VFS. The worked examples open thousands
// of stores; with FULL, and with a database created for each (its switch to WAL mode syncs the
// file four times whatever the synchronous level), they took many minutes.
inline std::vector<StoreKind> EveryDocumentStore() {
  return {
      {"Memory", [] { return std::make_unique<store_test::MemoryHarness>(); }},
      {"Sqlite",
       [] {
         return std::make_unique<store_test::SqliteHarness>(SqliteSynchronous::kOff,
                                                            EmptySqliteDatabase());
       }},
  };
}

// The store's name ("Memory", "Sqlite") as a test-name suffix.
inline std::string StoreTestName(const ::testing::TestParamInfo<StoreKind>& param) {
  return param.param.name;
}

// Everything `store` holds, read through the Store interface (any implementation), to compare
// a store before and after a call that must leave no trace.
inline StoreDump DumpOf(Store& store) { return store_test::Dump(store); }

// A materializer of replica "z" (a name no example uses) over `store`; null (and a failed test)
// if it cannot open.
inline std::unique_ptr<Materializer> Open(Store& store, MaterializerOptions options,
                                          const ReplicaId& replica = ReplicaId::of("z")) {
  auto opened = Materializer::open(store, replica, options);
  EXPECT_TRUE(opened.is_ok()) << opened.status().to_string();
  return opened.is_ok() ? std::move(*opened) : nullptr;
}

// The caught-up snapshot; an empty one (and a failed test) if catching up fails.
inline Snapshot SnapshotOf(Materializer& materializer) {
  auto snapshot = materializer.snapshot();
  EXPECT_TRUE(snapshot.is_ok()) << snapshot.status().to_string();
  return snapshot.is_ok() ? *snapshot : Snapshot{};
}

// The visible tree as text, built from the materializer's children() queries.
inline std::string Shape(Materializer& materializer, NodeId node = kRoot) {
  return VisibleShape(node, [&](NodeId parent) {
    auto children = materializer.children(parent);
    EXPECT_TRUE(children.is_ok()) << children.status().to_string();
    return children.is_ok() ? *children : std::vector<NodeId>{};
  });
}

inline std::optional<NodeId> ParentOf(Materializer& materializer, NodeId node) {
  auto parent = materializer.parent(node);
  EXPECT_TRUE(parent.is_ok()) << parent.status().to_string();
  return parent.is_ok() ? *parent : std::nullopt;
}

inline std::optional<std::string> PayloadOf(Materializer& materializer, NodeId node) {
  auto payload = materializer.payload(node);
  EXPECT_TRUE(payload.is_ok()) << payload.status().to_string();
  return payload.is_ok() ? *payload : std::nullopt;
}

// A copy of the snapshot row of `node`; a node without a row fails the test and yields an
// empty row.
inline SnapshotRow RowOf(Materializer& materializer, NodeId node) {
  const Snapshot snapshot = SnapshotOf(materializer);
  const SnapshotRow* row = snapshot.find(node);
  EXPECT_NE(row, nullptr) << "no snapshot row for " << NameOf(node);
  return row == nullptr ? SnapshotRow{} : *row;
}

inline bool IsTombstoned(Materializer& materializer, NodeId node) {
  return RowOf(materializer, node).tombstoned;
}

// The ids of the log in canonical order, e.g. {"a:1", "a:2", "b:1"}.
inline std::vector<std::string> CanonicalLog(Materializer& materializer) {
  auto ops = materializer.ops_missing_from(VersionVector{});
  EXPECT_TRUE(ops.is_ok()) << ops.status().to_string();
  std::vector<std::string> ids;
  if (ops.is_ok()) {
    for (const Op& op : *ops) ids.push_back(op.id.to_display());
  }
  return ids;
}

// Expects check_invariants() to find nothing and the caught-up snapshot to equal the model's.
inline void ExpectMatchesModel(Materializer& materializer, const model::Model& model) {
  const std::optional<std::string> broken = materializer.check_invariants();
  EXPECT_FALSE(broken.has_value()) << broken.value_or("");
  EXPECT_EQ(describe_snapshot_diff(model.snapshot(), SnapshotOf(materializer)), "");
}

}  // namespace treesim::materializer_fixture
