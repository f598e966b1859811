// Applying one op to the materialized tree (SEMANTICS.md §4-5), and taking it back.
//
// apply_op() is the incremental step of the materializer: it changes only what the op changes,
// keeps the cached tombstone flags exact, and returns the undo record of everything it changed.
//
// Tombstone flags without walking large subtrees: tombstoned(n) ⇔ deleted_at(n) ⊇ SVV(n), and
// an op changes SVV only along the ancestor chains of the nodes it touches. When an op only
// *adds* a dot d to the SVV of an ancestor a, the flag of a can only fall, and falls iff
// d ∉ deleted_at(a): an O(1) check. Only when SVV may lose counters (a subtree moves out, a
// payload writer is replaced), when a whole subtree joins, or when deleted_at grows, is the
// flag recomputed by walking the subtree, and that walk stops at the first counter deleted_at
// has not seen.
//
// Every walk over parents or children is bounded by the node count: a stored cycle (which the
// rules make impossible) surfaces as a kInternal error instead of a hang.
#pragma once

#include "core/op.h"
#include "core/status.h"
#include "materializer/probes.h"
#include "materializer/tree.h"
#include "materializer/undo_record.h"

namespace treesim {

// Applies `op` (valid, and sorting after every op already applied) to `tree`. Counts cycle
// skips, revives and the like in `probes` when given.
Result<UndoRecord> apply_op(Tree& tree, const Op& op, Probes* probes = nullptr);

// Takes back the op of `record`, which must be the last op applied that has not been undone.
Status undo_op(Tree& tree, const UndoRecord& record);

// SVV(node) (SEMANTICS.md §5): the union over the stored subtree of last_change and current
// payload writer dots. What a local remove(node) carries as known_state.
Result<CompactVersionVector> subtree_version_vector(const Tree& tree, NodeId node);

// tombstoned(node) computed afresh: deleted_at(node) ⊇ SVV(node). False without deleted_at.
Result<bool> compute_tombstoned(const Tree& tree, NodeId node);

// Whether walking up from `start` through stored parents reaches `target` (the walk stops at
// ROOT, TRASH or a detached node).
Result<bool> reaches_by_walking_up(const Tree& tree, NodeId start, NodeId target);

}  // namespace treesim
