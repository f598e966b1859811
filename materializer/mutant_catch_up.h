// The planted catch-up bugs that take more than a branch (materializer/mutants.h lists them all):
// - rewind-to-op-predecessor and rewind-restores-skipped-move change the position an undo
//   record restores, before rewind() undoes the suffix;
// - patch-misses-intermediate-parents and catchup-drops-silent-delete keep some stale rows out
//   of a prefix replay's patch, before the freshly folded tree is assigned.
//
// The materializer calls them only while one of those mutants is active. Built without
// TREECRDT_MUTANTS they are unreachable (their bodies assert so), and the calls fold away with
// the constant-false mutant_active() that guards them.
#pragma once

#include <vector>

#include "core/op.h"
#include "core/status.h"
#include "materializer/store.h"
#include "materializer/tree.h"
#include "materializer/undo_record.h"

namespace treesim {

// `undone` holds the undo records of the ops at or after `from`, newest first, as rewind() read
// them. Rewrites each structural record's previous position to the one the active mutant
// restores (the position set by some earlier structural op on the node, read from the log).
Status misplace_undone_positions(Store& store, const OpKey& from,
                                 std::vector<UndoRecord>& undone);

// `fresh` is the fold of the whole log that a prefix replay from `from` is about to assign over
// `current`. Puts `current`'s row back into `fresh` for every node whose row the active mutant's
// patch step does not write.
Status skip_patched_rows(Store& store, const Tree& current, const Frontier& from, Tree& fresh);

}  // namespace treesim
