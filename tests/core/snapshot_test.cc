// The canonical snapshot's derived views and renderings: the visible tree (ordering by
// (order_key, node id), tombstones and TRASH hidden, unreachable nodes absent), the JSON form
// (round trip and validation naming the field), and the readable diff every checker prints.
#include <gtest/gtest.h>

#include "core/json_values.h"
#include "core/snapshot.h"
#include "core/snapshot_diff.h"
#include "core/snapshot_json.h"

namespace treesim {
namespace {

const ReplicaId kA = ReplicaId::of("a");

SnapshotRow Row(std::uint64_t node, std::optional<NodeId> parent, std::string key) {
  SnapshotRow row;
  row.node = NodeId::from_low(node);
  row.parent = parent;
  row.order_key = std::move(key);
  row.last_change = VersionVector::from_ranges({{kA, {1, 1}}});
  return row;
}

NodeId N(std::uint64_t low) { return NodeId::from_low(low); }

Snapshot SampleSnapshot() {
  Snapshot s;
  s.rows.push_back(Row(1, kRoot, "\x80\x00"));
  s.rows.push_back(Row(2, kRoot, std::string("\x40\x00", 2)));
  s.rows.push_back(Row(3, N(1), "\x80\x00"));
  s.rows.push_back(Row(4, N(1), "\x80\x00"));  // same key as 3: ties break by node id
  SnapshotRow hidden = Row(5, kRoot, "\x90\x00");
  hidden.tombstoned = true;
  hidden.deleted_at = VersionVector::from_ranges({{kA, {1, 4}}});
  s.rows.push_back(hidden);
  s.rows.push_back(Row(6, N(5), "\x80\x00"));  // under a tombstoned node: not visible
  s.rows.push_back(Row(7, kTrash, "\x80\x00"));
  s.rows.push_back(Row(8, std::nullopt, ""));  // detached placeholder
  s.rows[0].payload = "hello";
  s.rows[0].writer = OpKey{3, kA, 3};
  return s;
}

TEST(VisibleTree, OrdersByKeyThenIdAndHidesTombstonedTrashAndDetached) {
  const Snapshot s = SampleSnapshot();
  ASSERT_TRUE(s.is_canonical());
  const VisibleTree tree = derive_visible_tree(s);
  EXPECT_EQ(tree.children.at(kRoot), (std::vector<NodeId>{N(2), N(1)}));
  EXPECT_EQ(tree.children.at(N(1)), (std::vector<NodeId>{N(3), N(4)}));
  EXPECT_EQ(tree.preorder(), (std::vector<NodeId>{kRoot, N(2), N(1), N(3), N(4)}));
  EXPECT_EQ(tree.children.count(N(5)), 0u);
  EXPECT_EQ(tree.children.count(N(6)), 0u);
}

TEST(VisibleTree, ParentCycleInRowsDoesNotHangAndIsNotVisible) {
  Snapshot s;
  s.rows.push_back(Row(1, N(2), "\x80\x00"));
  s.rows.push_back(Row(2, N(1), "\x80\x00"));
  EXPECT_EQ(derive_visible_tree(s).preorder(), (std::vector<NodeId>{kRoot}));
}

TEST(SnapshotJson, RoundTripsEveryField) {
  const Snapshot s = SampleSnapshot();
  auto decoded = snapshot_from_json(snapshot_to_json(s));
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  EXPECT_EQ(*decoded, s);
  auto reparsed = snapshot_from_json(nlohmann::json::parse(snapshot_to_json(s).dump()));
  ASSERT_TRUE(reparsed.is_ok());
  EXPECT_EQ(*reparsed, s);
}

TEST(SnapshotJson, RejectionsNameTheField) {
  nlohmann::json j = snapshot_to_json(SampleSnapshot());
  j["rows"][2]["parent"] = "1234";
  auto bad_parent = snapshot_from_json(j);
  ASSERT_FALSE(bad_parent.is_ok());
  EXPECT_NE(bad_parent.status().message().find("rows[2].parent"), std::string::npos);

  j = snapshot_to_json(SampleSnapshot());
  std::swap(j["rows"][0], j["rows"][1]);
  auto unsorted = snapshot_from_json(j);
  ASSERT_FALSE(unsorted.is_ok());
  EXPECT_NE(unsorted.status().message().find("sorted"), std::string::npos);

  j = snapshot_to_json(SampleSnapshot());
  j["rows"][0]["last_change"]["61"] = {{3, 1}};
  auto backwards = snapshot_from_json(j);
  ASSERT_FALSE(backwards.is_ok());
  EXPECT_NE(backwards.status().message().find("rows[0].last_change.61[0]"), std::string::npos);

  j = snapshot_to_json(SampleSnapshot());
  j["rows"][0]["colour"] = "red";
  EXPECT_NE(snapshot_from_json(j).status().message().find("unknown field"), std::string::npos);
}

TEST(SnapshotJson, ReadsWithTheStrictnessAndMessagesOfOpLogs) {
  // A key repeated within one row is caught by the shared parser, which names the row.
  const std::string text = snapshot_to_json(SampleSnapshot()).dump();
  std::string repeated = text;
  repeated.insert(repeated.find("\"tombstoned\":"), "\"tombstoned\":true,");
  const Result<nlohmann::json> parsed = json::parse(repeated, "snapshot");
  ASSERT_FALSE(parsed.is_ok());
  EXPECT_EQ(parsed.status().message(), "field 'rows[0]': key 'tombstoned' appears twice");
  ASSERT_TRUE(json::parse(text, "snapshot").is_ok());

  nlohmann::json j = snapshot_to_json(SampleSnapshot());
  j["rows"][1]["node"] = "0000g" + N(2).to_hex().substr(5);
  EXPECT_EQ(snapshot_from_json(j).status().message(),
            "field 'rows[1].node': expected 32 hex digits, got a non-hex character at position 4");
}

TEST(SnapshotJson, VersionVectorsAreBoundedByTheirRangesAfterMerging) {
  // One range more than a known_state may hold: rejected when disjoint, accepted when the
  // ranges touch and merge into one.
  nlohmann::json disjoint = nlohmann::json::array();
  nlohmann::json touching = nlohmann::json::array();
  for (std::uint64_t i = 1; i <= kMaxKnownStateRanges + 1; ++i) {
    disjoint.push_back({2 * i, 2 * i});
    touching.push_back({i, i});
  }
  nlohmann::json j = snapshot_to_json(SampleSnapshot());
  j["rows"][0]["last_change"] = {{"61", disjoint}};
  EXPECT_EQ(snapshot_from_json(j).status().message(),
            "field 'rows[0].last_change': more than 65536 ranges after merging (got 65537)");
  j["rows"][0]["last_change"] = {{"61", touching}};
  EXPECT_TRUE(snapshot_from_json(j).is_ok());
}

TEST(SnapshotJson, VisibleTreeNestsChildrenInOrder) {
  const Snapshot s = SampleSnapshot();
  const nlohmann::json tree = visible_tree_to_json(s, derive_visible_tree(s));
  EXPECT_EQ(tree["node"], "ROOT");
  ASSERT_EQ(tree["children"].size(), 2u);
  EXPECT_EQ(tree["children"][0]["node"], N(2).to_hex());
  EXPECT_EQ(tree["children"][1]["payload"], "68656c6c6f");
  EXPECT_EQ(tree["children"][1]["children"][1]["node"], N(4).to_hex());
}

TEST(SnapshotDiff, EqualSnapshotsHaveNoDifference) {
  EXPECT_TRUE(diff_snapshots(SampleSnapshot(), SampleSnapshot()).empty());
  EXPECT_EQ(describe_snapshot_diff(SampleSnapshot(), SampleSnapshot()), "");
}

TEST(SnapshotDiff, NamesNodeFieldExpectedAndActual) {
  const Snapshot expected = SampleSnapshot();
  Snapshot actual = SampleSnapshot();
  actual.rows[2].parent = N(2);
  actual.rows[4].tombstoned = false;
  const auto diffs = diff_snapshots(expected, actual);
  ASSERT_EQ(diffs.size(), 2u);
  EXPECT_EQ(diffs[0].to_string(), "node 0x3: parent expected 0x1, got 0x2");
  EXPECT_EQ(diffs[1].field, SnapshotField::kTombstoned);
}

TEST(SnapshotDiff, ReportsMissingAndExtraRowsAndCutsLongLists) {
  const Snapshot expected = SampleSnapshot();
  Snapshot actual = SampleSnapshot();
  actual.rows.erase(actual.rows.begin());
  actual.rows.push_back(Row(9, kRoot, "\x80\x00"));
  const auto diffs = diff_snapshots(expected, actual);
  ASSERT_EQ(diffs.size(), 2u);
  EXPECT_EQ(diffs[0].to_string(), "node 0x1: row expected present, got missing");
  EXPECT_EQ(diffs[1].to_string(), "node 0x9: row expected missing, got present");
  EXPECT_EQ(describe_snapshot_diff(expected, actual, 1),
            "node 0x1: row expected present, got missing\n... and 1 more");
}

}  // namespace
}  // namespace treesim
