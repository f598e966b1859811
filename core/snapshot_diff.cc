#include "core/snapshot_diff.h"

#include "core/hex.h"

namespace treesim {
namespace {

std::string render_parent(const std::optional<NodeId>& parent) {
  return parent ? parent->to_display() : "none";
}

std::string render_bytes(const std::optional<std::string>& bytes) {
  return bytes ? "0x" + to_hex(*bytes) : "none";
}

std::string render_vv(const std::optional<VersionVector>& vv) {
  return vv ? vv->to_display() : "none";
}

std::string render_writer(const std::optional<OpKey>& writer) {
  return writer ? writer->to_display() : "none";
}

// Appends the differences between two rows of the same node, in field order.
void diff_rows(const SnapshotRow& expected, const SnapshotRow& actual,
               std::vector<SnapshotDifference>& out, std::size_t limit) {
  auto add = [&](SnapshotField field, std::string e, std::string a) {
    if (out.size() < limit) out.push_back({expected.node, field, std::move(e), std::move(a)});
  };
  if (expected.parent != actual.parent) {
    add(SnapshotField::kParent, render_parent(expected.parent), render_parent(actual.parent));
  }
  if (expected.order_key != actual.order_key) {
    add(SnapshotField::kOrderKey, "0x" + to_hex(expected.order_key),
        "0x" + to_hex(actual.order_key));
  }
  if (expected.tombstoned != actual.tombstoned) {
    add(SnapshotField::kTombstoned, expected.tombstoned ? "true" : "false",
        actual.tombstoned ? "true" : "false");
  }
  if (expected.last_change != actual.last_change) {
    add(SnapshotField::kLastChange, expected.last_change.to_display(),
        actual.last_change.to_display());
  }
  if (expected.deleted_at != actual.deleted_at) {
    add(SnapshotField::kDeletedAt, render_vv(expected.deleted_at), render_vv(actual.deleted_at));
  }
  if (expected.payload != actual.payload) {
    add(SnapshotField::kPayload, render_bytes(expected.payload), render_bytes(actual.payload));
  }
  if (expected.writer != actual.writer) {
    add(SnapshotField::kWriter, render_writer(expected.writer), render_writer(actual.writer));
  }
}

}  // namespace

const char* snapshot_field_name(SnapshotField field) {
  switch (field) {
    case SnapshotField::kRow: return "row";
    case SnapshotField::kParent: return "parent";
    case SnapshotField::kOrderKey: return "order_key";
    case SnapshotField::kTombstoned: return "tombstoned";
    case SnapshotField::kLastChange: return "last_change";
    case SnapshotField::kDeletedAt: return "deleted_at";
    case SnapshotField::kPayload: return "payload";
    case SnapshotField::kWriter: return "writer";
  }
  return "unknown";
}

std::string SnapshotDifference::to_string() const {
  return "node " + node.to_display() + ": " + snapshot_field_name(field) + " expected " +
         expected + ", got " + actual;
}

std::vector<SnapshotDifference> diff_snapshots(const Snapshot& expected, const Snapshot& actual,
                                               std::size_t limit) {
  std::vector<SnapshotDifference> out;
  std::size_t i = 0;
  std::size_t j = 0;
  // A merge walk over two id-sorted row lists.
  while ((i < expected.rows.size() || j < actual.rows.size()) && out.size() < limit) {
    const SnapshotRow* e = i < expected.rows.size() ? &expected.rows[i] : nullptr;
    const SnapshotRow* a = j < actual.rows.size() ? &actual.rows[j] : nullptr;
    if (e && (!a || e->node < a->node)) {
      out.push_back({e->node, SnapshotField::kRow, "present", "missing"});
      ++i;
    } else if (a && (!e || a->node < e->node)) {
      out.push_back({a->node, SnapshotField::kRow, "missing", "present"});
      ++j;
    } else {
      diff_rows(*e, *a, out, limit);
      ++i;
      ++j;
    }
  }
  return out;
}

std::string describe_snapshot_diff(const Snapshot& expected, const Snapshot& actual,
                                   std::size_t limit) {
  const auto all = diff_snapshots(expected, actual);
  std::string out;
  for (std::size_t k = 0; k < all.size() && k < limit; ++k) {
    if (!out.empty()) out += '\n';
    out += all[k].to_string();
  }
  if (all.size() > limit) out += "\n... and " + std::to_string(all.size() - limit) + " more";
  return out;
}

}  // namespace treesim
