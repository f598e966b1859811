// Verbs for scripted materializer tests, the counterpart of tests/model/model_fixture.h: open a
// materializer over a MemoryStore, ask it the questions a user asks (the visible tree as text
// such as "ROOT(P(C) Q)", parent, payload, tombstone flag, snapshot row), and compare it with the
// reference model's fold of the same ops. The implementation-neutral verbs (stamps "a1@5", node
// names, op builders) come from tests/support/example_verbs.h.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/snapshot.h"
#include "core/snapshot_diff.h"
#include "materializer/materializer.h"
#include "materializer/memory_store.h"
#include "model/model.h"
#include "tests/support/example_verbs.h"

namespace treesim::materializer_fixture {

using namespace test_support::verbs;  // NOLINT(build/namespaces): the shared example verbs

// A materializer of replica "z" (a name no example uses) over `store`; null (and a failed test)
// if it cannot open.
inline std::unique_ptr<Materializer> Open(MemoryStore& store, MaterializerOptions options,
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
