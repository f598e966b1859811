// Verbs for the model tests, so a test reads like the examples in SEMANTICS.md §9. The
// implementation-neutral verbs (stamps "a1@5", node names, "a:1..2 b:2" version vectors, op
// builders) live in tests/support/example_verbs.h; this file adds the ones that ask the model:
// the visible tree as text such as "ROOT(P(C) Q)", snapshot rows, and every delivery order.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "core/op.h"
#include "core/snapshot.h"
#include "core/snapshot_diff.h"
#include "model/model.h"
#include "tests/support/example_verbs.h"

namespace treesim::model::fixture {

using namespace test_support::verbs;  // NOLINT(build/namespaces): the shared example verbs

// The visible tree as text: each node's name followed by its visible children in parentheses,
// e.g. "ROOT(P(C) Q)". Built from the model's children() queries, which check_invariants() ties
// to the snapshot's derived visible tree.
inline std::string Shape(const Model& model, NodeId node = kRoot) {
  return VisibleShape(node, [&](NodeId parent) { return model.children(parent); });
}

// A copy of the snapshot row of `node`. A node without a row fails the test and yields an
// empty row, so a test never dereferences a missing row.
inline SnapshotRow RowOf(const Model& model, NodeId node) {
  const Snapshot snapshot = model.snapshot();
  const SnapshotRow* row = snapshot.find(node);
  EXPECT_NE(row, nullptr) << "no snapshot row for " << NameOf(node);
  return row == nullptr ? SnapshotRow{} : *row;
}

// A model holding `ops`, added in the given order; every add must succeed.
inline Model ModelOf(const std::vector<Op>& ops) {
  Model model;
  for (const Op& op : ops) {
    const Status status = model.add(op);
    EXPECT_TRUE(status.is_ok()) << status.to_string();
  }
  model.check_invariants();
  return model;
}

// Delivers `ops` to a fresh Model in every order (all n! permutations), runs `check` on each
// result, and expects every order to give the same snapshot. Returns the number of orders.
template <typename Check>
std::size_t ForEveryDeliveryOrder(const std::vector<Op>& ops, Check check) {
  std::optional<Snapshot> first_snapshot;
  return ForEveryPermutation(ops, [&](const std::vector<Op>& delivered) {
    const Model model = ModelOf(delivered);
    const Snapshot snapshot = model.snapshot();
    if (!first_snapshot) first_snapshot = snapshot;
    EXPECT_EQ(describe_snapshot_diff(*first_snapshot, snapshot), "");
    check(model);
  });
}

}  // namespace treesim::model::fixture
