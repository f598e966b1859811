// A readable difference between two canonical snapshots, used by every checker message:
// "node 0x7: parent expected ROOT, got 0x3". The first difference's field also names the failure
// bucket (reports) and the "same failure" the shrinker preserves.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "core/snapshot.h"

namespace treesim {

enum class SnapshotField {
  kRow,  // the node has a row on one side only
  kParent,
  kOrderKey,
  kTombstoned,
  kLastChange,
  kDeletedAt,
  kPayload,
  kWriter,
};

const char* snapshot_field_name(SnapshotField field);  // "row", "parent", "order_key", ...

struct SnapshotDifference {
  NodeId node;
  SnapshotField field = SnapshotField::kRow;
  std::string expected;  // rendered value ("missing" for an absent row)
  std::string actual;

  // "node 0x7: parent expected ROOT, got 0x3"
  std::string to_string() const;
};

// Differences in node order, then field order; at most `limit` of them. Empty iff equal.
std::vector<SnapshotDifference> diff_snapshots(
    const Snapshot& expected, const Snapshot& actual,
    std::size_t limit = std::numeric_limits<std::size_t>::max());

// Up to `limit` differences, one per line, followed by "... and N more" when cut; "" if equal.
std::string describe_snapshot_diff(const Snapshot& expected, const Snapshot& actual,
                                   std::size_t limit = 5);

}  // namespace treesim
