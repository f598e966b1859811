// The workload's edits inside deleted subtrees (OpMix::edit_inside_deleted). A stale cache of
// ancestors' tombstone flags shows only when one edit revives several nested tombstones; these
// tests pin that the kind builds such deletes stage by stage and then aims there (under two or
// more tombstones, through each edit that adds the dot to the target's chain), and that it
// stays out of a mix that does not ask for it.
#include "sim/workload.h"

#include <gtest/gtest.h>

#include <set>

namespace treesim {
namespace {

const NodeId kVisible = NodeId::from_low(1);
const NodeId kOuter = NodeId::from_low(2);   // tombstoned, under ROOT
const NodeId kInner = NodeId::from_low(3);   // tombstoned, under kOuter
const NodeId kDeep = NodeId::from_low(4);    // under kInner: two tombstones above
const NodeId kShallow = NodeId::from_low(5); // under kOuter: one tombstone above

SnapshotRow row(NodeId node, NodeId parent, bool tombstoned) {
  SnapshotRow out;
  out.node = node;
  out.parent = parent;
  out.order_key = std::string("\x80\x00", 2);
  out.tombstoned = tombstoned;
  if (tombstoned) out.deleted_at = VersionVector{};
  return out;
}

// ROOT > kVisible; ROOT > kOuter (deleted) > kInner (deleted) > kDeep; kOuter > kShallow.
Snapshot nested_deletes() {
  Snapshot snapshot;
  snapshot.rows = {row(kVisible, kRoot, false), row(kOuter, kRoot, true),
                   row(kInner, kOuter, true), row(kDeep, kInner, false),
                   row(kShallow, kOuter, false)};
  return snapshot;
}

// The ways an edit can add its dot to a hidden node's chain.
enum class Way { kInsertUnder, kWritePayload, kMoveIn, kMoveChildOut };

Way way_of(const LocalEdit& edit, const std::set<NodeId>& hidden) {
  switch (edit.kind) {
    case LocalEdit::Kind::kInsert: return Way::kInsertUnder;
    case LocalEdit::Kind::kSetPayload: return Way::kWritePayload;
    default: return hidden.count(edit.node) != 0 ? Way::kMoveChildOut : Way::kMoveIn;
  }
}

// The hidden node whose chain the edit adds its dot to (for a move out, the old parent).
NodeId target_of(const LocalEdit& edit, Way way, const Snapshot& snapshot) {
  switch (way) {
    case Way::kWritePayload: return edit.node;
    case Way::kMoveChildOut: return *snapshot.find(edit.node)->parent;
    default: return edit.parent;
  }
}

// Nothing else: every edit is of this kind.
OpMix only_edits_inside_deleted() {
  OpMix mix;
  mix.insert = 0;
  mix.move = 0;
  mix.remove = 0;
  mix.payload = 0;
  mix.move_to_trash = 0;
  mix.edit_inside_deleted = 1;
  return mix;
}

TEST(Workload, EditsInsideDeletedFirstNestTheDeletes) {
  Workload workload(only_edits_inside_deleted(), Rng(5), 0);
  const NodeId a = NodeId::from_low(1);
  const NodeId b = NodeId::from_low(2);
  const NodeId c = NodeId::from_low(3);
  // Nothing deleted yet: a node under a visible parent goes first.
  Snapshot calm;
  calm.rows = {row(a, kRoot, false), row(b, a, false), row(c, b, false)};
  // Then a visible node around the deleted one.
  Snapshot one_deleted;
  one_deleted.rows = {row(a, kRoot, false), row(b, a, true), row(c, b, false)};
  for (int i = 0; i < 50; ++i) {
    const LocalEdit first = workload.next(derive_visible_tree(calm), &calm);
    EXPECT_EQ(first.kind, LocalEdit::Kind::kRemove);
    EXPECT_TRUE(first.node == b || first.node == c) << first.to_display();
    const LocalEdit second = workload.next(derive_visible_tree(one_deleted), &one_deleted);
    EXPECT_EQ(second.kind, LocalEdit::Kind::kRemove);
    EXPECT_EQ(second.node, a) << second.to_display();
  }
}

TEST(Workload, EditsInsideDeletedAimUnderNestedTombstonesInEveryWay) {
  Workload workload(only_edits_inside_deleted(), Rng(5), 0);
  ASSERT_TRUE(workload.needs_rows());
  const Snapshot snapshot = nested_deletes();
  const VisibleTree tree = derive_visible_tree(snapshot);
  const std::set<NodeId> hidden = {kOuter, kInner, kDeep, kShallow};
  const std::set<NodeId> nested = {kInner, kDeep};
  std::set<Way> ways;
  int nested_count = 0;
  const int edits = 400;
  for (int i = 0; i < edits; ++i) {
    const LocalEdit edit = workload.next(tree, &snapshot);
    const Way way = way_of(edit, hidden);
    ways.insert(way);
    const NodeId target = target_of(edit, way, snapshot);
    ASSERT_EQ(hidden.count(target), 1u) << edit.to_display();
    if (nested.count(target) != 0) ++nested_count;
    if (way == Way::kMoveIn) {
      EXPECT_EQ(edit.node, kVisible) << edit.to_display();
    }
    if (way == Way::kMoveChildOut) {
      // Out to a visible place: ROOT or the visible node.
      EXPECT_TRUE(edit.parent == kRoot || edit.parent == kVisible) << edit.to_display();
    }
    if (way == Way::kWritePayload) {
      EXPECT_TRUE(edit.payload.has_value()) << edit.to_display();
    }
  }
  // A single revive is common enough without this kind; it aims at the levels above one.
  EXPECT_EQ(nested_count, edits);
  EXPECT_EQ(ways, (std::set<Way>{Way::kInsertUnder, Way::kWritePayload, Way::kMoveIn,
                                 Way::kMoveChildOut}));
}

TEST(Workload, EditsInsideDeletedFinishTheirPlanAtTheNextEdits) {
  // Rarely drawn, but a plan once started goes on whatever the weights, so that concurrent
  // edits have little time to revive what it nested.
  OpMix mix = only_edits_inside_deleted();
  mix.insert = 1000;
  Workload workload(mix, Rng(9), 0);
  const NodeId a = NodeId::from_low(1);
  const NodeId b = NodeId::from_low(2);
  Snapshot calm;
  calm.rows = {row(a, kRoot, false), row(b, a, false)};
  Snapshot one_deleted;
  one_deleted.rows = {row(a, kRoot, false), row(b, a, true)};
  Snapshot both_deleted;
  both_deleted.rows = {row(a, kRoot, true), row(b, a, true)};
  int plans = 0;
  for (int i = 0; i < 100'000 && plans < 5; ++i) {
    if (workload.next(derive_visible_tree(calm), &calm).kind != LocalEdit::Kind::kRemove) {
      continue;
    }
    ++plans;
    const LocalEdit nest = workload.next(derive_visible_tree(one_deleted), &one_deleted);
    EXPECT_EQ(nest.kind, LocalEdit::Kind::kRemove);
    EXPECT_EQ(nest.node, a) << nest.to_display();
    const LocalEdit inside = workload.next(derive_visible_tree(both_deleted), &both_deleted);
    const NodeId target = target_of(inside, way_of(inside, {a, b}), both_deleted);
    EXPECT_EQ(target, b) << inside.to_display();
  }
  EXPECT_EQ(plans, 5);
}

TEST(Workload, EditsInsideDeletedAreOffByDefaultAndNeverTouchHiddenNodes) {
  const OpMix mix;
  EXPECT_EQ(mix.edit_inside_deleted, 0u);
  Workload workload(mix, Rng(5), 0);
  EXPECT_FALSE(workload.needs_rows());
  const Snapshot snapshot = nested_deletes();
  const VisibleTree tree = derive_visible_tree(snapshot);
  const std::set<NodeId> hidden = {kOuter, kInner, kDeep, kShallow};
  for (int i = 0; i < 400; ++i) {
    const LocalEdit edit = workload.next(tree, nullptr);
    EXPECT_EQ(hidden.count(edit.node), 0u) << edit.to_display();
    if (edit.kind != LocalEdit::Kind::kSetPayload && edit.kind != LocalEdit::Kind::kRemove) {
      EXPECT_EQ(hidden.count(edit.parent), 0u) << edit.to_display();
    }
  }
}

}  // namespace
}  // namespace treesim
