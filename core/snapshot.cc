#include "core/snapshot.h"

#include <algorithm>
#include <tuple>

#include "core/hex.h"

namespace treesim {
namespace {

// Printable ASCII payloads read as text ("hello"); anything else as hex (0x00ff).
std::string render_payload(const std::string& payload) {
  const bool printable = std::all_of(payload.begin(), payload.end(), [](char c) {
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  return printable ? '"' + payload + '"' : "0x" + to_hex(payload);
}

}  // namespace

const SnapshotRow* Snapshot::find(NodeId node) const {
  auto it = std::lower_bound(rows.begin(), rows.end(), node,
                             [](const SnapshotRow& row, NodeId id) { return row.node < id; });
  if (it == rows.end() || it->node != node) return nullptr;
  return &*it;
}

bool Snapshot::is_canonical() const {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const SnapshotRow& row = rows[i];
    if (row.node.is_reserved()) return false;
    if (i > 0 && !(rows[i - 1].node < row.node)) return false;
    if (!row.last_change.is_normalized()) return false;
    if (row.deleted_at && !row.deleted_at->is_normalized()) return false;
  }
  return true;
}

VisibleTree derive_visible_tree(const Snapshot& snapshot) {
  // Candidate children of every parent, before reachability.
  std::map<NodeId, std::vector<const SnapshotRow*>> by_parent;
  for (const SnapshotRow& row : snapshot.rows) {
    if (!row.parent || row.parent->is_trash() || row.tombstoned) continue;
    by_parent[*row.parent].push_back(&row);
  }
  return walk_visible_tree([&](NodeId parent, std::vector<NodeId>& list) {
    auto it = by_parent.find(parent);
    if (it == by_parent.end()) return;
    std::vector<const SnapshotRow*> rows = it->second;
    std::sort(rows.begin(), rows.end(), [](const SnapshotRow* a, const SnapshotRow* b) {
      return std::tie(a->order_key, a->node) < std::tie(b->order_key, b->node);
    });
    for (const SnapshotRow* row : rows) list.push_back(row->node);
  });
}

std::vector<NodeId> VisibleTree::preorder() const {
  std::vector<NodeId> out;
  std::vector<NodeId> stack = {kRoot};
  while (!stack.empty()) {
    const NodeId node = stack.back();
    stack.pop_back();
    out.push_back(node);
    auto it = children.find(node);
    if (it == children.end()) continue;
    for (auto child = it->second.rbegin(); child != it->second.rend(); ++child) {
      stack.push_back(*child);
    }
  }
  return out;
}

std::string VisibleTree::to_text(const Snapshot& snapshot) const {
  std::string out;
  struct Frame {
    NodeId node;
    int depth;
  };
  std::vector<Frame> stack = {{kRoot, 0}};
  while (!stack.empty()) {
    const Frame frame = stack.back();
    stack.pop_back();
    out.append(static_cast<std::size_t>(frame.depth) * 2, ' ');
    out += frame.node.to_display();
    if (const SnapshotRow* row = snapshot.find(frame.node); row && row->payload) {
      out += " payload=" + render_payload(*row->payload);
    }
    out += '\n';
    auto it = children.find(frame.node);
    if (it == children.end()) continue;
    for (auto child = it->second.rbegin(); child != it->second.rend(); ++child) {
      stack.push_back({*child, frame.depth + 1});
    }
  }
  return out;
}

}  // namespace treesim
