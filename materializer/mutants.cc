#include "materializer/mutants.h"

#include <iterator>

#include "core/assert.h"

namespace treesim {
namespace {

#ifdef TREECRDT_MUTANTS
// The catalog, in issue order. Each description says what the planted branch does and where it
// lives; where the issue names a mechanism this code does not have in that exact shape, it says
// which closest deviation of what the code does was planted instead.
constexpr MutantInfo kCatalog[] = {
    {Mutant::kFrontierNotMin, "frontier-not-min",
     "materializer.cc lowered_frontier(): new ops after a pending replay frontier replace it "
     "with their own (later) key instead of keeping the minimum, so ops between the two are "
     "never caught up (deferred mode; visible with rewind, which replays only the suffix)"},
    {Mutant::kNoRollbackOnCatchUpError, "no-rollback-on-catchup-error",
     "materializer.cc transaction(): when an append's immediate catch-up fails, the error is "
     "returned and the in-memory state rolled back, but the store transaction is committed "
     "with its partial writes (the new ops, undo records) instead of rolled back"},
    {Mutant::kHeadBeforeCatchUp, "head-before-catchup",
     "materializer.cc ensure_materialized(): the new head (which clears the frontier) is "
     "committed in a transaction of its own before the catch-up runs, so a catch-up that then "
     "fails leaves a head claiming ops that were never materialized (immediate catch-up is one "
     "transaction with its head write, so the deferred catch-up is where the order shows)"},
    {Mutant::kRewindToOpPredecessor, "rewind-to-op-predecessor",
     "materializer.cc rewind(): undoing a structural op restores the node's position from the "
     "node's latest earlier structural op in the log at or after the frontier (which may be an "
     "op of the batch being caught up, never applied) instead of from the undo record, i.e. "
     "the position the node had before the frontier"},
    {Mutant::kPatchMissesIntermediateParents, "patch-misses-intermediate-parents",
     "materializer.cc prefix replay: after folding the log afresh, only the rows of the "
     "suffix's nodes and of their final parents are patched; every other node, e.g. an "
     "intermediate parent a node moved out of, keeps its stale row (last_change, flags)"},
    {Mutant::kPayloadAddsDot, "payload-adds-dot",
     "apply.cc: a Payload op merges its dot into the node's last_change (besides setting the "
     "register), so the dot stays in SVV after the writer is replaced"},
    {Mutant::kVvIgnoresGaps, "vv-ignores-gaps",
     "compact_version_vector.cc is_aware_of(): compares only the highest counter per replica, "
     "as if every version vector were a gapless frontier (seeing b:2 implies b:1)"},
    {Mutant::kOrderCounterBeforeReplica, "order-counter-before-replica",
     "materializer.cc dedupe(): the batch is sorted by (lamport, counter, replica) instead of "
     "(lamport, replica, counter), so a batch is applied out of canonical order and its first "
     "key (in-order apply vs catch-up) is misjudged"},
    {Mutant::kMoveNoOldParentDot, "move-no-old-parent-dot",
     "apply.cc attach(): a Move does not add its dot to the old parent (unless the old parent "
     "is also the new one)"},
    {Mutant::kDuplicateReapplied, "duplicate-reapplied",
     "materializer.cc dedupe(): an op that appears twice in one batch is stored once but kept "
     "twice among the new ops, so it is applied twice and the log size (head seq) advances "
     "twice"},
    {Mutant::kStaleTombstoneCache, "stale-tombstone-cache",
     "apply.cc refresh_chain(): once a node on the ancestor chain is revived, the walk stops, "
     "so the cached tombstone flags of its tombstoned ancestors are not refreshed"},
    {Mutant::kAckBeforeSync, "ack-before-sync",
     "sqlite_store_open.cc set_pragmas(): the store runs with PRAGMA synchronous=OFF whatever "
     "it was asked for, so a commit is acknowledged before its WAL frames are synced and a "
     "power loss can lose acknowledged ops"},
    {Mutant::kCounterReuseAfterReopen, "counter-reuse-after-reopen",
     "materializer.cc load(): the local counter resumes one below the highest counter of the "
     "replica's own ops in the log (an off-by-one in recovery), so the first local op after a "
     "reopen reuses the id of the last one"},
    {Mutant::kEquivocationOverwrites, "equivocation-overwrites",
     "materializer.cc dedupe() + memory_store.cc / sqlite_store.cc insert_ops(): an op reusing a "
     "stored id with different content is taken as new and the store's insert replaces the "
     "stored op (INSERT OR REPLACE) instead of the append failing with an equivocation error"},
    {Mutant::kCycleWalkStopsAtPlaceholder, "cycle-walk-stops-at-placeholder",
     "apply.cc reaches_by_walking_up(): the cycle check's walk stops at a detached node before "
     "comparing it with the node being attached, so attaching a detached placeholder under its "
     "own descendant is not seen as a cycle"},
    {Mutant::kRewindRestoresSkippedMove, "rewind-restores-skipped-move",
     "materializer.cc rewind(): undoing a structural op restores the node's position from its "
     "latest earlier materialized structural op in the log even if that op was skipped (as a "
     "cycle), so the tree can hold a parent cycle (bounded walks report it)"},
    {Mutant::kCatchUpDropsSilentDelete, "catchup-drops-silent-delete",
     "materializer.cc prefix replay: a row touched by a late Delete or Tombstone of the suffix "
     "is patched only if the node's visibility (parent, order key, tombstone flag) changed, so "
     "a delete that does not hide its node never reaches the stored deleted_at"},
};
static_assert(std::size(kCatalog) == static_cast<std::size_t>(Mutant::kCount) - 1,
              "every mutant has a catalog entry");
#endif

}  // namespace

#ifdef TREECRDT_MUTANTS
namespace internal {
Mutant active_mutant_value = Mutant::kNone;
}  // namespace internal

std::span<const MutantInfo> mutant_catalog() { return kCatalog; }
#else
std::span<const MutantInfo> mutant_catalog() { return {}; }
#endif

std::optional<Mutant> mutant_from_name(std::string_view name) {
  for (const MutantInfo& info : mutant_catalog()) {
    if (name == info.name) return info.mutant;
  }
  return std::nullopt;
}

const char* mutant_name(Mutant mutant) {
  for (const MutantInfo& info : mutant_catalog()) {
    if (info.mutant == mutant) return info.name;
  }
  return mutant == Mutant::kNone ? "none" : "unknown";
}

void set_active_mutant(Mutant mutant) {
  TS_ASSERT(mutant < Mutant::kCount);
#ifdef TREECRDT_MUTANTS
  internal::active_mutant_value = mutant;
#else
  TS_ASSERT(mutant == Mutant::kNone);
#endif
}

Mutant active_mutant() {
#ifdef TREECRDT_MUTANTS
  return internal::active_mutant_value;
#else
  return Mutant::kNone;
#endif
}

}  // namespace treesim
