// Materializer: the production materializer of one replica's document (SEMANTICS.md §3-8).
//
// It owns the op log and the materialized tree in a Store, and keeps a working copy of the tree
// in memory (materializer/tree.h). Every call is one store transaction:
// - append(batch) validates the whole batch, drops duplicates, rejects equivocation, stores the
//   new ops, and either applies them incrementally (all sort after the head) or catches up at
//   once, inside the same transaction, with the configured strategy (rebuild, prefix-replay or
//   rewind);
// - a local op (insert, move, remove, set_payload) mints an op that sorts after everything the
//   replica has and applies it the same way;
// - anything that fails inside a call rolls the store and the in-memory copy back, so log,
//   rows, head and frontier are exactly as before and an error is returned. In deferred mode a
//   failed materialization instead keeps the ops, records the replay frontier and returns
//   success with `catch_up_pending`; reads, local ops and ensure_materialized() catch up first.
//
// Not thread-safe: one caller at a time (the simulator is single threaded).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/op.h"
#include "core/snapshot.h"
#include "core/status.h"
#include "materializer/fault_points.h"
#include "materializer/probes.h"
#include "materializer/store.h"
#include "materializer/tree.h"

namespace treesim {

enum class CatchUpStrategy : std::uint8_t {
  kRebuild,       // reset and fold the whole log (the obviously correct baseline)
  kPrefixReplay,  // fold the log in memory, write only the rows that changed
  kRewind,        // undo the suffix from its undo records, re-apply it: cost ~ suffix
};

const char* catch_up_strategy_name(CatchUpStrategy strategy);  // "rebuild", ...
std::optional<CatchUpStrategy> catch_up_strategy_from_name(std::string_view name);
// The probe a catch-up by `strategy` hits.
Probe catch_up_probe(CatchUpStrategy strategy);

struct MaterializerOptions {
  CatchUpStrategy strategy = CatchUpStrategy::kRewind;
  // Deferred mode (SEMANTICS.md §8): a failed materialization keeps the ops and records the
  // frontier instead of failing the append.
  bool deferred = false;
  // Undo records are kept for (about) the last `undo_retention` ops of the log; a late op older
  // than that falls back from rewind to prefix replay. Trimming happens in steps of a quarter of
  // the window so its cost is amortized.
  std::uint64_t undo_retention = 1 << 16;
  // Not owned; null in production.
  FaultPoints* fault_points = nullptr;
};

struct AppendResult {
  Head head;
  // Nodes whose snapshot row changed in this call, sorted (docs/semantics-decisions.md).
  std::vector<NodeId> affected;
  std::uint64_t new_op_count = 0;
  std::uint64_t duplicate_count = 0;
  // Deferred mode only: the ops are stored but not yet materialized.
  bool catch_up_pending = false;
};

// Where a local insert or move puts the node among the parent's visible children.
struct Placement {
  enum class Kind : std::uint8_t { kFirst, kLast, kAfter };
  Kind kind = Kind::kLast;
  NodeId sibling;  // kAfter only

  static Placement first() { return {Kind::kFirst, {}}; }
  static Placement last() { return {Kind::kLast, {}}; }
  static Placement after(NodeId sibling) { return {Kind::kAfter, sibling}; }
};

struct LocalResult {
  Op op;  // the minted op, to send to the other replicas
  AppendResult result;
};

class Materializer {
 public:
  // Opens the document in `store` (not owned; must outlive the materializer) as `replica`:
  // loads the rows, recovers the clock and counter from the log (SEMANTICS.md §7) and catches up
  // a pending frontier. If that catch-up fails the materializer still opens with the frontier
  // pending (the next read or ensure_materialized() retries); only an unreadable store fails.
  static Result<std::unique_ptr<Materializer>> open(Store& store, const ReplicaId& replica,
                                                    MaterializerOptions options = {});

  Result<AppendResult> append(const std::vector<Op>& batch);

  Result<LocalResult> insert(NodeId parent, NodeId node, Placement placement,
                             std::optional<std::string> payload = std::nullopt);
  Result<LocalResult> move(NodeId node, NodeId new_parent, Placement placement);
  // Emits a Delete whose known_state is SVV(node) as seen here.
  Result<LocalResult> remove(NodeId node);
  Result<LocalResult> set_payload(NodeId node, std::optional<std::string> value);

  // Catches up a pending frontier. On failure it rolls back its own work, keeps the frontier for
  // a retry and returns the error. Ok (and cheap) when nothing is pending.
  Status ensure_materialized();

  // Queries (SEMANTICS.md §6). Each catches up a pending frontier first, and fails if it cannot.
  Result<std::vector<NodeId>> children(NodeId parent);
  Result<std::optional<NodeId>> parent(NodeId node);
  Result<std::optional<std::string>> payload(NodeId node);
  Result<Snapshot> snapshot();

  // The state as materialized so far, without catching up (for checkers and tests).
  Snapshot materialized_snapshot() const { return tree_.snapshot(); }
  // derive_visible_tree(materialized_snapshot()), cheaper (what the simulator's workload reads).
  VisibleTree materialized_visible_tree() const { return tree_.visible_tree(); }
  const Head& head() const { return meta_.head; }
  const Frontier& frontier() const { return meta_.frontier; }
  const ReplicaId& replica() const { return replica_; }
  // Every op id in the log (what anti-entropy advertises).
  VersionVector version_vector() const { return log_ids_.to_core(tree_.replicas()); }
  // The stored ops whose ids `known` does not contain, in canonical order.
  Result<std::vector<Op>> ops_missing_from(const VersionVector& known);
  const Probes& probes() const { return probes_; }
  const MaterializerOptions& options() const { return options_; }

  // O(n): the tree's invariants, every cached tombstone flag equal to a fresh computation, the
  // in-memory copy equal to the store's rows, and head/seq consistent with the log. Returns the
  // first violation.
  std::optional<std::string> check_invariants();

 private:
  Materializer(Store& store, ReplicaId replica, MaterializerOptions options);

  Status load();
  // One transaction around `body`; on failure both store and tree roll back.
  template <typename Body>
  Status transaction(Body body);
  Status fault(FaultSite site);

  // The body of append: dedupe, store, apply or catch up, flush, write head.
  Status append_in_transaction(const std::vector<Op>& batch, AppendResult& result);
  // Inserts new ops into the log and updates the in-memory log bookkeeping.
  Status store_new_ops(const std::vector<Op>& fresh);
  // Deferred mode after a failed materialization: store the ops, record the frontier.
  Status store_pending(const std::vector<Op>& batch, AppendResult& result);
  // Splits `batch` into new ops (canonical order) and counts duplicates; rejects equivocation.
  Status dedupe(const std::vector<Op>& batch, std::vector<Op>& fresh, std::uint64_t& duplicates);

  Status apply_in_order(const std::vector<Op>& ops);
  Status catch_up(const Frontier& from);
  Status rewind(const OpKey& from);
  // What fold_log() learns about the undo records besides the tree.
  struct FoldedUndo {
    // Records of the ops at or after the fold's `from` inside the retention window.
    std::vector<UndoRecord> records;
    // The newest op outside the retention window (it gets no record), and the newest op
    // before `from` (its record, if any, is left as it is).
    std::optional<OpKey> last_outside_window;
    std::optional<OpKey> last_before_from;
  };
  // Folds the whole log into a fresh tree and regenerates the undo records from `from` on.
  Status fold_log(Tree& fresh, const OpKey& from, FoldedUndo& undo);
  // The fold is whole; the stored undo records change only from the frontier `from` on.
  Status prefix_replay_or_rebuild(bool rebuild, const Frontier& from);
  // Stores the records (moving them out of `records`) or, with no retention, raises the floor.
  Status put_undo_records(std::vector<UndoRecord>& records);
  // Raises the exclusive undo floor (StoreMeta::undo_floor) to at least `key`.
  void raise_undo_floor(const OpKey& key);
  Status trim_undo();
  // Writes the node and payload rows the tree changed in this transaction (only those).
  Status flush_changed_rows(const std::vector<Tree::Change>& changes);
  // Flushes changed rows, trims undo, writes the head (clearing the frontier). Hands the nodes
  // the call changed (ROOT and TRASH included) to `changed_out` when given.
  Status finish_materialization(std::vector<NodeId>* changed_out = nullptr);
  Status catch_up_if_pending();

  Result<LocalResult> local(Op op);
  // A local op's node or parent must be known (ROOT only where `allow_root`), never TRASH.
  Status check_local_node(NodeId node, const char* role, bool allow_root) const;
  Result<std::string> allocate_key(NodeId parent, NodeId node, Placement placement);
  OpId next_id() const { return OpId{replica_, counter_ + 1}; }

  NodeRow to_row(NodeId node, const Tree::Node& state) const;

  Store& store_;
  ReplicaId replica_;
  MaterializerOptions options_;
  Tree tree_;
  StoreMeta meta_;
  std::uint64_t undo_count_ = 0;
  std::uint64_t clock_ = 0;    // highest lamport in the log
  std::uint64_t counter_ = 0;  // highest counter of this replica in the log
  CompactVersionVector log_ids_;
  std::optional<OpKey> log_max_key_;
  std::uint64_t log_size_ = 0;
  Probes probes_;
  // True while a catch-up rewrote every row itself (rebuild): the flush is skipped.
  bool rows_rewritten_ = false;
  // Mutant no-rollback-on-catchup-error only (materializer/mutants.h): an append's immediate
  // catch-up failed in the current transaction.
  bool catch_up_failed_ = false;
};

}  // namespace treesim
