#include "materializer/mutant_catch_up.h"

#include <map>
#include <optional>
#include <set>

#include "core/assert.h"
#include "materializer/mutants.h"

namespace treesim {

#ifdef TREECRDT_MUTANTS

namespace {

bool is_structural(const Op& op) {
  return op.kind == OpKind::kInsert || op.kind == OpKind::kMove;
}

// The stored ops at or after `from` (all of them for a start frontier), in canonical order.
Result<std::vector<Op>> ops_from(Store& store, const Frontier& from) {
  std::vector<Op> out;
  const std::optional<OpKey> key =
      from.kind == Frontier::Kind::kKey ? std::optional<OpKey>(from.key) : std::nullopt;
  TS_RETURN_IF_ERROR(store.scan_ops(key, [&](const Op& op) {
    out.push_back(op);
    return true;
  }));
  return out;
}

}  // namespace

Status misplace_undone_positions(Store& store, const OpKey& from,
                                 std::vector<UndoRecord>& undone) {
  const bool restores_skipped = mutant_active(Mutant::kRewindRestoresSkippedMove);
  TS_ASSERT(restores_skipped || mutant_active(Mutant::kRewindToOpPredecessor));
  // Each node's structural ops, in canonical order.
  std::map<NodeId, std::vector<Op>> structural;
  TS_RETURN_IF_ERROR(store.scan_ops(std::nullopt, [&](const Op& op) {
    if (is_structural(op)) structural[op.node].push_back(op);
    return true;
  }));
  // The materialized ops at or after `from` are exactly those with a record here; of those,
  // whether the structural part applied or was skipped.
  std::map<OpKey, bool> applied;
  for (const UndoRecord& record : undone) applied[record.key] = record.structural_applied;

  for (UndoRecord& record : undone) {
    if (!record.structural_applied) continue;
    auto ops = structural.find(record.node);
    if (ops == structural.end()) continue;
    const Op* source = nullptr;
    for (const Op& op : ops->second) {
      if (!(op.key() < record.key)) break;
      const auto found = applied.find(op.key());
      if (restores_skipped) {
        // rewind-restores-skipped-move: the latest materialized op, applied or skipped.
        const bool materialized = op.key() < from || found != applied.end();
        if (materialized) source = &op;
      } else {
        // rewind-to-op-predecessor: the latest op at or after the frontier that was not seen
        // to be skipped, which may be an op of the batch being caught up (never applied).
        if (op.key() < from) continue;
        if (found != applied.end() && !found->second) continue;
        source = &op;
      }
    }
    if (source == nullptr) continue;
    record.previous_parent = source->parent;
    record.previous_order_key = source->order_key;
  }
  return Status::ok();
}

Status skip_patched_rows(Store& store, const Tree& current, const Frontier& from, Tree& fresh) {
  TS_ASSIGN_OR_RETURN(const std::vector<Op> suffix, ops_from(store, from));
  if (mutant_active(Mutant::kPatchMissesIntermediateParents)) {
    // Patched: the suffix's nodes and their final parents. Everything else keeps its row.
    std::set<NodeId> patched;
    for (const Op& op : suffix) {
      patched.insert(op.node);
      if (const Tree::Node* node = fresh.find(op.node); node && node->parent) {
        patched.insert(*node->parent);
      }
    }
    std::vector<NodeId> ids = {kRoot};
    for (const SnapshotRow& row : current.snapshot().rows) ids.push_back(row.node);
    for (NodeId id : ids) {
      if (patched.count(id) != 0) continue;
      const Tree::Node* stale = current.find(id);
      const Tree::Node* folded = fresh.find(id);
      if (stale && folded && !(*stale == *folded)) fresh.load_node(id, *stale);
    }
    return Status::ok();
  }
  TS_ASSERT(mutant_active(Mutant::kCatchUpDropsSilentDelete));
  // A delete's node is patched only when its visibility changed.
  for (const Op& op : suffix) {
    if (op.kind != OpKind::kDelete && op.kind != OpKind::kTombstone) continue;
    if (op.node.is_reserved()) continue;
    const Tree::Node* stale = current.find(op.node);
    const Tree::Node* folded = fresh.find(op.node);
    if (!stale || !folded) continue;
    const bool same_visibility = stale->parent == folded->parent &&
                                 stale->order_key == folded->order_key &&
                                 stale->tombstoned == folded->tombstoned;
    if (same_visibility && !(*stale == *folded)) fresh.load_node(op.node, *stale);
  }
  return Status::ok();
}

#else  // !TREECRDT_MUTANTS

Status misplace_undone_positions(Store&, const OpKey&, std::vector<UndoRecord>&) {
  TS_UNREACHABLE();
}

Status skip_patched_rows(Store&, const Tree&, const Frontier&, Tree&) { TS_UNREACHABLE(); }

#endif

}  // namespace treesim
