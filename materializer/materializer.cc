#include "materializer/materializer.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "materializer/apply.h"
#include "materializer/mutant_catch_up.h"
#include "materializer/mutants.h"
#include "materializer/order_key.h"

namespace treesim {
namespace {

// The smallest possible key: erase_undo_from(kBeforeEverything) erases every record.
const OpKey kBeforeEverything{};

// The replay frontier once new ops from `first` on are stored: the smaller of the pending one
// and `first`.
Frontier lowered_frontier(const Frontier& pending, const OpKey& first) {
  if (mutant_active(Mutant::kFrontierNotMin) && pending.kind == Frontier::Kind::kKey &&
      pending.key < first) {
    // Planted bug (frontier-not-min): the later key replaces the earlier pending one.
    return Frontier::at(first);
  }
  return Frontier::min(pending, Frontier::at(first));
}

}  // namespace

const char* catch_up_strategy_name(CatchUpStrategy strategy) {
  switch (strategy) {
    case CatchUpStrategy::kRebuild: return "rebuild";
    case CatchUpStrategy::kPrefixReplay: return "prefix-replay";
    case CatchUpStrategy::kRewind: return "rewind";
  }
  return "unknown";
}

std::optional<CatchUpStrategy> catch_up_strategy_from_name(std::string_view name) {
  for (CatchUpStrategy strategy :
       {CatchUpStrategy::kRebuild, CatchUpStrategy::kPrefixReplay, CatchUpStrategy::kRewind}) {
    if (name == catch_up_strategy_name(strategy)) return strategy;
  }
  return std::nullopt;
}

Probe catch_up_probe(CatchUpStrategy strategy) {
  switch (strategy) {
    case CatchUpStrategy::kRebuild: return Probe::kCatchUpRebuild;
    case CatchUpStrategy::kPrefixReplay: return Probe::kCatchUpPrefixReplay;
    case CatchUpStrategy::kRewind: return Probe::kCatchUpRewind;
  }
  TS_UNREACHABLE();
}

Materializer::Materializer(Store& store, ReplicaId replica, MaterializerOptions options)
    : store_(store), replica_(std::move(replica)), options_(options) {}

Result<std::unique_ptr<Materializer>> Materializer::open(Store& store, const ReplicaId& replica,
                                                         MaterializerOptions options) {
  TS_ASSERT(replica.is_valid());
  TS_ASSERT(!store.in_transaction());
  std::unique_ptr<Materializer> materializer(new Materializer(store, replica, options));
  TS_RETURN_IF_ERROR(materializer->load());
  if (!materializer->meta_.frontier.is_none()) {
    // A pending frontier (deferred mode) or an inconsistent head: catch up now. Failing here is
    // not fatal; the frontier stays and the next read or ensure_materialized() retries.
    if (materializer->ensure_materialized().is_ok()) {
      materializer->probes_.hit(Probe::kRecoveryOnReopen);
    }
  }
  return materializer;
}

Status Materializer::load() {
  TS_ASSIGN_OR_RETURN(meta_, store_.read_meta());
  Status status = store_.scan_nodes([&](const NodeRow& row) {
    Tree::Node node;
    node.parent = row.parent;
    node.order_key = row.order_key;
    node.last_change = CompactVersionVector::from_core(row.last_change, tree_.replicas());
    if (row.deleted_at) {
      node.deleted_at = CompactVersionVector::from_core(*row.deleted_at, tree_.replicas());
    }
    node.tombstoned = row.tombstoned;
    tree_.load_node(row.node, std::move(node));
  });
  TS_RETURN_IF_ERROR(status);
  TS_RETURN_IF_ERROR(store_.scan_payloads([&](const PayloadRow& row) {
    tree_.replicas().intern(row.writer.replica);
    tree_.load_payload(row.node, Tree::Payload{row.value, row.writer});
  }));
  TS_RETURN_IF_ERROR(store_.scan_ops(std::nullopt, [&](const Op& op) {
    log_ids_.observe(tree_.replicas().intern(op.id.replica), op.id.counter);
    log_max_key_ = op.key();  // canonical order: the last one visited is the largest
    ++log_size_;
    return true;
  }));
  TS_ASSIGN_OR_RETURN(clock_, store_.max_lamport());
  TS_ASSIGN_OR_RETURN(counter_, store_.max_counter(replica_));
  if (mutant_active(Mutant::kCounterReuseAfterReopen) && counter_ > 0) {
    // Planted bug (counter-reuse-after-reopen): recovery resumes one below the log's maximum.
    --counter_;
  }
  TS_ASSIGN_OR_RETURN(undo_count_, store_.undo_count());
  if (meta_.frontier.is_none() && meta_.head.seq != log_size_) {
    // The rows do not describe the log (e.g. a store written by something else): trust nothing.
    meta_.frontier = Frontier::start();
  }
  return Status::ok();
}

template <typename Body>
Status Materializer::transaction(Body body) {
  // The in-memory bookkeeping is small; saving it whole keeps rollback obviously exact.
  const StoreMeta meta = meta_;
  const std::uint64_t undo_count = undo_count_;
  const std::uint64_t clock = clock_;
  const std::uint64_t counter = counter_;
  const CompactVersionVector log_ids = log_ids_;
  const std::optional<OpKey> log_max_key = log_max_key_;
  const std::uint64_t log_size = log_size_;
  rows_rewritten_ = false;
  if (mutant_active(Mutant::kNoRollbackOnCatchUpError)) catch_up_failed_ = false;

  Status status = store_.begin();
  if (!status.is_ok()) return status;
  tree_.begin();
  status = body();
  if (status.is_ok()) status = store_.commit();
  if (status.is_ok()) {
    tree_.commit();
    return Status::ok();
  }
  if (mutant_active(Mutant::kNoRollbackOnCatchUpError) && catch_up_failed_ &&
      store_.commit().is_ok()) {
    // Planted bug (no-rollback-on-catchup-error): the failed catch-up's writes are committed.
  } else {
    store_.rollback();
  }
  tree_.rollback();
  meta_ = meta;
  undo_count_ = undo_count;
  clock_ = clock;
  counter_ = counter;
  log_ids_ = log_ids;
  log_max_key_ = log_max_key;
  log_size_ = log_size;
  probes_.hit(Probe::kRollback);
  return status;
}

Status Materializer::fault(FaultSite site) {
  if (options_.fault_points == nullptr || !options_.fault_points->should_fail(site)) {
    return Status::ok();
  }
  probes_.hit(Probe::kFaultInjected);
  return Status::fault_injected(std::string("fault point '") + fault_site_name(site) + "'");
}

// --- append ---

Result<AppendResult> Materializer::append(const std::vector<Op>& batch) {
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (Status status = validate_op(batch[i]); !status.is_ok()) {
      probes_.hit(Probe::kInvalidReject);
      return status.with_context("batch op " + std::to_string(i));
    }
  }
  AppendResult result;
  Status status = transaction([&] { return append_in_transaction(batch, result); });
  if (status.is_ok()) return result;
  const bool materialization_failure = status.code() != StatusCode::kEquivocation &&
                                       status.code() != StatusCode::kInvalidArgument;
  if (!options_.deferred || !materialization_failure) return status;
  AppendResult pending;
  if (!transaction([&] { return store_pending(batch, pending); }).is_ok()) return status;
  probes_.hit(Probe::kDeferredPending);
  return pending;
}

Status Materializer::dedupe(const std::vector<Op>& batch, std::vector<Op>& fresh,
                            std::uint64_t& duplicates) {
  std::vector<const Op*> sorted;
  sorted.reserve(batch.size());
  for (const Op& op : batch) sorted.push_back(&op);
  std::sort(sorted.begin(), sorted.end(), [](const Op* a, const Op* b) {
    if (mutant_active(Mutant::kOrderCounterBeforeReplica)) {
      // Planted bug (order-counter-before-replica): counter compared before replica bytes.
      return std::tie(a->lamport, a->id.counter, a->id.replica) <
             std::tie(b->lamport, b->id.counter, b->id.replica);
    }
    return canonical_less(*a, *b);
  });
  std::map<OpId, const Op*> in_batch;
  for (const Op* op : sorted) {
    auto [it, inserted] = in_batch.try_emplace(op->id, op);
    const Op* earlier = inserted ? nullptr : it->second;
    std::optional<Op> stored;
    if (!earlier) {
      TS_ASSIGN_OR_RETURN(stored, store_.find_op(op->id));
    }
    const Op* existing = earlier ? earlier : (stored ? &*stored : nullptr);
    if (existing == nullptr) {
      fresh.push_back(*op);
      continue;
    }
    if (*existing != *op && mutant_active(Mutant::kEquivocationOverwrites) && !earlier) {
      // Planted bug (equivocation-overwrites): taken as a new op; the insert replaces the old.
      fresh.push_back(*op);
      continue;
    }
    if (*existing != *op) {
      probes_.hit(Probe::kEquivocationReject);
      return Status::equivocation("op id " + op->id.to_display() +
                                  " is already used by a different op (stored: " +
                                  existing->to_display() + "; new: " + op->to_display() + ")");
    }
    if (mutant_active(Mutant::kDuplicateReapplied) && earlier) {
      // Planted bug (duplicate-reapplied): a duplicate within the batch is kept as new.
      fresh.push_back(*op);
      continue;
    }
    probes_.hit(Probe::kDuplicateDrop);
    ++duplicates;
  }
  return Status::ok();
}

Status Materializer::store_new_ops(const std::vector<Op>& fresh) {
  if (mutant_active(Mutant::kDuplicateReapplied)) {
    // duplicate-reapplied: the store takes each id once (duplicates are adjacent in `fresh`).
    std::vector<Op> distinct;
    for (const Op& op : fresh) {
      if (distinct.empty() || distinct.back().id != op.id) distinct.push_back(op);
    }
    TS_RETURN_IF_ERROR(store_.insert_ops(distinct));
  } else {
    TS_RETURN_IF_ERROR(store_.insert_ops(fresh));
  }
  for (const Op& op : fresh) {
    log_ids_.observe(tree_.replicas().intern(op.id.replica), op.id.counter);
    clock_ = std::max(clock_, op.lamport);
    if (op.id.replica == replica_) counter_ = std::max(counter_, op.id.counter);
    if (!log_max_key_ || *log_max_key_ < op.key()) log_max_key_ = op.key();
  }
  log_size_ += fresh.size();
  return Status::ok();
}

Status Materializer::append_in_transaction(const std::vector<Op>& batch, AppendResult& result) {
  std::vector<Op> fresh;
  TS_RETURN_IF_ERROR(dedupe(batch, fresh, result.duplicate_count));
  result.new_op_count = fresh.size();
  if (fresh.empty()) {
    result.head = meta_.head;
    return Status::ok();
  }
  TS_RETURN_IF_ERROR(store_new_ops(fresh));
  TS_RETURN_IF_ERROR(fault(FaultSite::kAfterStoreOps));
  const OpKey first = fresh.front().key();
  if (meta_.frontier.is_none() && (!meta_.head.key || *meta_.head.key < first)) {
    TS_RETURN_IF_ERROR(apply_in_order(fresh));
  } else {
    const Status status = catch_up(lowered_frontier(meta_.frontier, first));
    if (!status.is_ok()) {
      if (mutant_active(Mutant::kNoRollbackOnCatchUpError)) catch_up_failed_ = true;
      return status;
    }
  }
  std::vector<NodeId> changed;
  TS_RETURN_IF_ERROR(finish_materialization(&changed));
  result.head = meta_.head;
  // ROOT and TRASH have no snapshot row, though their payload registers can change.
  changed.erase(std::remove_if(changed.begin(), changed.end(),
                               [](NodeId node) { return node.is_reserved(); }),
                changed.end());
  result.affected = std::move(changed);
  return Status::ok();
}

Status Materializer::store_pending(const std::vector<Op>& batch, AppendResult& result) {
  std::vector<Op> fresh;
  TS_RETURN_IF_ERROR(dedupe(batch, fresh, result.duplicate_count));
  result.new_op_count = fresh.size();
  result.head = meta_.head;
  if (fresh.empty()) return Status::ok();
  TS_RETURN_IF_ERROR(store_new_ops(fresh));
  meta_.frontier = lowered_frontier(meta_.frontier, fresh.front().key());
  TS_RETURN_IF_ERROR(store_.write_meta(meta_));
  result.catch_up_pending = true;
  return Status::ok();
}

// --- applying and catching up ---

Status Materializer::apply_in_order(const std::vector<Op>& ops) {
  std::vector<UndoRecord> records;
  records.reserve(ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (i > 0) TS_RETURN_IF_ERROR(fault(FaultSite::kMidIncrementalApply));
    TS_ASSIGN_OR_RETURN(UndoRecord record, apply_op(tree_, ops[i], &probes_));
    probes_.hit(Probe::kInOrderApply);
    records.push_back(std::move(record));
  }
  return put_undo_records(records);
}

Status Materializer::put_undo_records(std::vector<UndoRecord>& records) {
  if (options_.undo_retention == 0) {
    // No records are kept: every materialized op lies at or below the floor.
    if (!records.empty()) raise_undo_floor(records.back().key);
    return Status::ok();
  }
  // The records are handed over: a store that keeps them takes them without a copy.
  for (UndoRecord& record : records) TS_RETURN_IF_ERROR(store_.put_undo(std::move(record)));
  undo_count_ += records.size();
  return Status::ok();
}

void Materializer::raise_undo_floor(const OpKey& key) {
  if (!meta_.undo_floor || *meta_.undo_floor < key) meta_.undo_floor = key;
}

Status Materializer::catch_up(const Frontier& from) {
  TS_ASSERT(!from.is_none());
  if (from.kind == Frontier::Kind::kStart) {
    return prefix_replay_or_rebuild(/*rebuild=*/true, from);
  }
  switch (options_.strategy) {
    case CatchUpStrategy::kRebuild:
      return prefix_replay_or_rebuild(/*rebuild=*/true, from);
    case CatchUpStrategy::kPrefixReplay:
      return prefix_replay_or_rebuild(/*rebuild=*/false, from);
    case CatchUpStrategy::kRewind:
      return rewind(from.key);
  }
  TS_UNREACHABLE();
}

Status Materializer::rewind(const OpKey& from) {
  // Every materialized op at or after `from` must have an undo record.
  if (meta_.undo_floor && !(*meta_.undo_floor < from)) {
    probes_.hit(Probe::kRewindFallback);
    return prefix_replay_or_rebuild(/*rebuild=*/false, Frontier::at(from));
  }
  probes_.hit(Probe::kCatchUpRewind);
  std::vector<UndoRecord> undone;
  TS_RETURN_IF_ERROR(store_.scan_undo_reverse(from, [&](const UndoRecord& record) {
    undone.push_back(record);
    return true;
  }));
  if (mutant_active(Mutant::kRewindToOpPredecessor) ||
      mutant_active(Mutant::kRewindRestoresSkippedMove)) {
    // Planted bugs (rewind-to-op-predecessor, rewind-restores-skipped-move): wrong positions.
    TS_RETURN_IF_ERROR(misplace_undone_positions(store_, from, undone));
  }
  for (std::size_t i = 0; i < undone.size(); ++i) {
    if (i > 0) TS_RETURN_IF_ERROR(fault(FaultSite::kMidUndo));
    TS_RETURN_IF_ERROR(undo_op(tree_, undone[i]));
  }
  TS_RETURN_IF_ERROR(store_.erase_undo_from(from));
  undo_count_ -= undone.size();

  std::vector<Op> suffix;
  TS_RETURN_IF_ERROR(store_.scan_ops(from, [&](const Op& op) {
    suffix.push_back(op);
    return true;
  }));
  std::vector<UndoRecord> records;
  records.reserve(suffix.size());
  for (std::size_t i = 0; i < suffix.size(); ++i) {
    if (i > 0) TS_RETURN_IF_ERROR(fault(FaultSite::kMidRedo));
    TS_ASSIGN_OR_RETURN(UndoRecord record, apply_op(tree_, suffix[i], &probes_));
    records.push_back(std::move(record));
  }
  return put_undo_records(records);
}

Status Materializer::fold_log(Tree& fresh, const OpKey& from, FoldedUndo& undo) {
  // Undo records exist for the last `undo_retention` ops of the log.
  const std::uint64_t keep_from =
      log_size_ > options_.undo_retention ? log_size_ - options_.undo_retention : 0;
  std::uint64_t index = 0;
  Status failure;
  TS_RETURN_IF_ERROR(store_.scan_ops(std::nullopt, [&](const Op& op) {
    if (index < keep_from) undo.last_outside_window = op.key();
    if (op.key() < from) undo.last_before_from = op.key();
    if (index > 0) failure = fault(FaultSite::kMidRedo);
    Result<UndoRecord> record = failure.is_ok() ? apply_op(fresh, op, &probes_)
                                                : Result<UndoRecord>(failure);
    if (!record.is_ok()) {
      failure = record.status();
      return false;
    }
    if (index >= keep_from && options_.undo_retention > 0 && !(op.key() < from)) {
      undo.records.push_back(std::move(*record));
    }
    ++index;
    return true;
  }));
  return failure;
}

Status Materializer::prefix_replay_or_rebuild(bool rebuild, const Frontier& from) {
  probes_.hit(rebuild ? Probe::kCatchUpRebuild : Probe::kCatchUpPrefixReplay);
  // An op's undo record depends only on the ops before it, and the ops before the frontier
  // did not change: their records stand, and only those from the frontier on are rewritten.
  // (Rewriting them all cost a quarter of a catch-up on SQLite.)
  const OpKey first_changed = from.kind == Frontier::Kind::kStart ? kBeforeEverything : from.key;
  Tree fresh(tree_.replicas());
  FoldedUndo undo;
  TS_RETURN_IF_ERROR(fold_log(fresh, first_changed, undo));
  std::uint64_t erased = 0;
  TS_RETURN_IF_ERROR(store_.scan_undo_reverse(first_changed, [&](const UndoRecord&) {
    ++erased;
    return true;
  }));
  TS_RETURN_IF_ERROR(store_.erase_undo_from(first_changed));
  TS_ASSERT(erased <= undo_count_);
  undo_count_ -= erased;
  // Every op above the old floor and before the frontier kept its record; of those from the
  // frontier on, the ones inside the window have one now. So the ops that may lack one are
  // those up to the old floor (or, if that floor lies at or after the frontier, every op before
  // the frontier) and those outside the window.
  std::optional<OpKey> floor = meta_.undo_floor;
  if (floor && !(*floor < first_changed)) floor = undo.last_before_from;
  if (undo.last_outside_window && (!floor || *floor < *undo.last_outside_window)) {
    floor = undo.last_outside_window;
  }
  meta_.undo_floor = floor;
  TS_RETURN_IF_ERROR(put_undo_records(undo.records));
  if (!rebuild && (mutant_active(Mutant::kPatchMissesIntermediateParents) ||
                   mutant_active(Mutant::kCatchUpDropsSilentDelete))) {
    // Planted bugs (patch-misses-intermediate-parents, catchup-drops-silent-delete): some
    // changed rows are left out of the patch.
    TS_RETURN_IF_ERROR(skip_patched_rows(store_, tree_, from, fresh));
  }
  tree_.assign_from(fresh);
  if (rebuild) {
    // Reset and write every row: the baseline the other strategies are measured against.
    TS_RETURN_IF_ERROR(store_.clear_rows());
    const Snapshot snapshot = tree_.snapshot();
    for (const SnapshotRow& row : snapshot.rows) {
      TS_RETURN_IF_ERROR(store_.put_node(to_row(row.node, *tree_.find(row.node))));
      if (const Tree::Payload* payload = tree_.find_payload(row.node)) {
        TS_RETURN_IF_ERROR(store_.put_payload(PayloadRow{row.node, payload->value, payload->writer}));
      }
    }
    TS_RETURN_IF_ERROR(store_.put_node(to_row(kRoot, *tree_.find(kRoot))));
    if (const Tree::Payload* payload = tree_.find_payload(kRoot)) {
      TS_RETURN_IF_ERROR(store_.put_payload(PayloadRow{kRoot, payload->value, payload->writer}));
    }
    rows_rewritten_ = true;
  }
  return Status::ok();
}

Status Materializer::trim_undo() {
  const std::uint64_t retention = options_.undo_retention;
  if (retention == 0 || undo_count_ <= retention + retention / 4) return Status::ok();
  // The oldest record to keep is the retention-th newest; the next older one, the newest to go,
  // becomes the floor.
  std::optional<OpKey> keep_from;
  std::optional<OpKey> newest_trimmed;
  std::uint64_t seen = 0;
  TS_RETURN_IF_ERROR(store_.scan_undo_reverse(kBeforeEverything, [&](const UndoRecord& record) {
    ++seen;
    if (seen == retention) keep_from = record.key;
    if (seen <= retention) return true;
    newest_trimmed = record.key;
    return false;
  }));
  TS_ASSERT(keep_from.has_value());
  TS_ASSERT(newest_trimmed.has_value());
  TS_RETURN_IF_ERROR(store_.erase_undo_before(*keep_from));
  undo_count_ = retention;
  raise_undo_floor(*newest_trimmed);
  probes_.hit(Probe::kUndoTrim);
  return Status::ok();
}

NodeRow Materializer::to_row(NodeId node, const Tree::Node& state) const {
  NodeRow row;
  row.node = node;
  row.parent = state.parent;
  row.order_key = state.order_key;
  row.last_change = state.last_change.to_core(tree_.replicas());
  if (state.deleted_at) row.deleted_at = state.deleted_at->to_core(tree_.replicas());
  row.tombstoned = state.tombstoned;
  return row;
}

Status Materializer::flush_changed_rows(const std::vector<Tree::Change>& changes) {
  if (rows_rewritten_) return Status::ok();
  for (const Tree::Change& change : changes) {
    const NodeId node = change.node;
    if (change.node_changed) {
      if (const Tree::Node* state = tree_.find(node)) {
        TS_RETURN_IF_ERROR(store_.put_node(to_row(node, *state)));
      } else {
        TS_RETURN_IF_ERROR(store_.erase_node(node));
      }
    }
    if (change.payload_changed) {
      if (const Tree::Payload* payload = tree_.find_payload(node)) {
        TS_RETURN_IF_ERROR(store_.put_payload(PayloadRow{node, payload->value, payload->writer}));
      } else {
        TS_RETURN_IF_ERROR(store_.erase_payload(node));
      }
    }
  }
  return Status::ok();
}

Status Materializer::finish_materialization(std::vector<NodeId>* changed_out) {
  // The journal's diff is computed once: it is both the rows to write and the affected nodes.
  const std::vector<Tree::Change> changes = tree_.changes();
  TS_RETURN_IF_ERROR(flush_changed_rows(changes));
  if (changed_out) {
    changed_out->clear();
    changed_out->reserve(changes.size());
    for (const Tree::Change& change : changes) changed_out->push_back(change.node);
  }
  TS_RETURN_IF_ERROR(trim_undo());
  TS_RETURN_IF_ERROR(fault(FaultSite::kBeforeHeadWrite));
  // Writing the new head clears the frontier in the same write (SEMANTICS.md §8).
  meta_.head = Head{log_max_key_, log_size_};
  meta_.frontier = Frontier::none();
  return store_.write_meta(meta_);
}

Status Materializer::ensure_materialized() {
  if (meta_.frontier.is_none()) return Status::ok();
  const Frontier from = meta_.frontier;
  if (mutant_active(Mutant::kHeadBeforeCatchUp)) {
    // Planted bug (head-before-catchup): the new head, clearing the frontier, commits first.
    TS_RETURN_IF_ERROR(transaction([&] {
      meta_.head = Head{log_max_key_, log_size_};
      meta_.frontier = Frontier::none();
      return store_.write_meta(meta_);
    }));
  }
  TS_RETURN_IF_ERROR(transaction([&] {
    TS_RETURN_IF_ERROR(catch_up(from));
    TS_RETURN_IF_ERROR(fault(FaultSite::kMidEnsure));
    return finish_materialization();
  }));
  probes_.hit(Probe::kDeferredCatchUp);
  return Status::ok();
}

// --- local ops ---

Result<std::string> Materializer::allocate_key(NodeId parent, NodeId node, Placement placement) {
  std::vector<const Tree::ChildEntry*> visible;
  if (const Tree::ChildSet* children = tree_.children(parent)) {
    for (const Tree::ChildEntry& child : *children) {
      if (child.node == node || tree_.find(child.node)->tombstoned) continue;
      visible.push_back(&child);
    }
  }
  std::optional<std::string_view> left;
  std::optional<std::string_view> right;
  switch (placement.kind) {
    case Placement::Kind::kFirst:
      if (!visible.empty()) right = visible.front()->order_key;
      break;
    case Placement::Kind::kLast:
      if (!visible.empty()) left = visible.back()->order_key;
      break;
    case Placement::Kind::kAfter: {
      auto it = std::find_if(visible.begin(), visible.end(), [&](const Tree::ChildEntry* child) {
        return child->node == placement.sibling;
      });
      if (it == visible.end()) {
        return Status::invalid_argument("sibling " + placement.sibling.to_display() +
                                        " is not a visible child of " + parent.to_display());
      }
      left = (*it)->order_key;
      // Siblings sharing the key are ordered by node id, which a new key cannot control: place
      // the node after all of them (docs/semantics-decisions.md).
      for (++it; it != visible.end(); ++it) {
        if ((*it)->order_key != *left) {
          right = (*it)->order_key;
          break;
        }
      }
      break;
    }
  }
  return allocate_between(left, right, order_key_seed(replica_, counter_ + 1));
}

Result<LocalResult> Materializer::local(Op op) {
  TS_ASSERT(validate_op(op).is_ok());
  LocalResult out;
  TS_RETURN_IF_ERROR(transaction([&] { return append_in_transaction({op}, out.result); }));
  TS_ASSERT(out.result.new_op_count == 1);
  probes_.hit(Probe::kLocalOp);
  out.op = std::move(op);
  return out;
}

Status Materializer::check_local_node(NodeId node, const char* role, bool allow_root) const {
  if (node.is_trash() || (node.is_root() && !allow_root)) {
    return Status::invalid_argument(std::string(role) + " must not be " + node.to_display());
  }
  if (!tree_.contains(node)) {
    return Status::not_found(std::string(role) + " " + node.to_display() + " is not known");
  }
  return Status::ok();
}

Result<LocalResult> Materializer::insert(NodeId parent, NodeId node, Placement placement,
                                         std::optional<std::string> payload) {
  TS_RETURN_IF_ERROR(ensure_materialized());
  if (node.is_reserved()) {
    return Status::invalid_argument("cannot insert " + node.to_display());
  }
  TS_RETURN_IF_ERROR(check_local_node(parent, "parent", /*allow_root=*/true));
  TS_ASSIGN_OR_RETURN(std::string key, allocate_key(parent, node, placement));
  return local(make_insert(next_id(), clock_ + 1, parent, node, std::move(key), std::move(payload)));
}

Result<LocalResult> Materializer::move(NodeId node, NodeId new_parent, Placement placement) {
  TS_RETURN_IF_ERROR(ensure_materialized());
  TS_RETURN_IF_ERROR(check_local_node(node, "node", /*allow_root=*/false));
  std::string key;
  if (!new_parent.is_trash()) {
    TS_RETURN_IF_ERROR(check_local_node(new_parent, "new parent", /*allow_root=*/true));
    TS_ASSIGN_OR_RETURN(key, allocate_key(new_parent, node, placement));
  } else {
    TS_ASSIGN_OR_RETURN(key, allocate_between(std::nullopt, std::nullopt,
                                              order_key_seed(replica_, counter_ + 1)));
  }
  return local(make_move(next_id(), clock_ + 1, node, new_parent, std::move(key)));
}

Result<LocalResult> Materializer::remove(NodeId node) {
  TS_RETURN_IF_ERROR(ensure_materialized());
  TS_RETURN_IF_ERROR(check_local_node(node, "node", /*allow_root=*/false));
  TS_ASSIGN_OR_RETURN(CompactVersionVector svv, subtree_version_vector(tree_, node));
  return local(make_delete(next_id(), clock_ + 1, node, svv.to_core(tree_.replicas())));
}

Result<LocalResult> Materializer::set_payload(NodeId node, std::optional<std::string> value) {
  TS_RETURN_IF_ERROR(ensure_materialized());
  TS_RETURN_IF_ERROR(check_local_node(node, "node", /*allow_root=*/true));
  return local(make_payload(next_id(), clock_ + 1, node, std::move(value)));
}

// --- queries ---

Result<std::vector<NodeId>> Materializer::children(NodeId parent) {
  TS_RETURN_IF_ERROR(ensure_materialized());
  std::vector<NodeId> out;
  if (const Tree::ChildSet* set = tree_.children(parent)) {
    for (const Tree::ChildEntry& child : *set) {
      if (!tree_.find(child.node)->tombstoned) out.push_back(child.node);
    }
  }
  return out;
}

Result<std::optional<NodeId>> Materializer::parent(NodeId node) {
  TS_RETURN_IF_ERROR(ensure_materialized());
  const Tree::Node* state = tree_.find(node);
  if (!state || !state->parent || state->parent->is_trash()) return std::optional<NodeId>();
  if (state->tombstoned) return std::optional<NodeId>(kTrash);
  return state->parent;
}

Result<std::optional<std::string>> Materializer::payload(NodeId node) {
  TS_RETURN_IF_ERROR(ensure_materialized());
  const Tree::Payload* payload = tree_.find_payload(node);
  return payload ? payload->value : std::nullopt;
}

Result<Snapshot> Materializer::snapshot() {
  TS_RETURN_IF_ERROR(ensure_materialized());
  return tree_.snapshot();
}

Result<std::vector<Op>> Materializer::ops_missing_from(const VersionVector& known) {
  std::vector<Op> out;
  TS_RETURN_IF_ERROR(store_.scan_ops(std::nullopt, [&](const Op& op) {
    if (!known.contains(op.id.replica, op.id.counter)) out.push_back(op);
    return true;
  }));
  return out;
}

std::optional<std::string> Materializer::check_invariants() {
  if (auto broken = tree_.check_invariants()) return broken;
  // In id order, so the first wrong flag reported is the same on every standard library.
  for (NodeId node : tree_.sorted_ids()) {
    const Tree::Node& state = *tree_.find(node);
    if (node.is_root() || !state.deleted_at) continue;
    auto fresh = compute_tombstoned(tree_, node);
    if (!fresh.is_ok()) return fresh.status().to_string();
    if (*fresh != state.tombstoned) {
      return "cached tombstone flag of " + node.to_display() + " is " +
             (state.tombstoned ? "true" : "false") + ", recomputed " + (*fresh ? "true" : "false");
    }
  }
  // The in-memory copy must equal the durable rows.
  std::optional<std::string> mismatch;
  std::size_t stored_nodes = 0;
  Status status = store_.scan_nodes([&](const NodeRow& row) {
    ++stored_nodes;
    const Tree::Node* state = tree_.find(row.node);
    if (!mismatch && (!state || to_row(row.node, *state) != row)) {
      mismatch = "stored row of " + row.node.to_display() + " differs from the materialized tree";
    }
  });
  if (!status.is_ok()) return status.to_string();
  if (mismatch) return mismatch;
  // ROOT may have no stored row until something changes it.
  const bool root_stored = stored_nodes == tree_.node_count();
  if (!root_stored && stored_nodes + 1 != tree_.node_count()) {
    return std::to_string(stored_nodes) + " stored node rows, " +
           std::to_string(tree_.node_count()) + " nodes in memory";
  }
  std::size_t stored_payloads = 0;
  status = store_.scan_payloads([&](const PayloadRow& row) {
    ++stored_payloads;
    const Tree::Payload* payload = tree_.find_payload(row.node);
    if (!mismatch && (!payload || payload->value != row.value || payload->writer != row.writer)) {
      mismatch = "stored payload of " + row.node.to_display() + " differs";
    }
  });
  if (!status.is_ok()) return status.to_string();
  if (mismatch) return mismatch;
  auto op_count = store_.op_count();
  if (!op_count.is_ok()) return op_count.status().to_string();
  if (*op_count != log_size_) return "log size bookkeeping disagrees with the store";
  if (meta_.frontier.is_none() && meta_.head.seq != log_size_) {
    return "head seq " + std::to_string(meta_.head.seq) + " but the log holds " +
           std::to_string(log_size_) + " ops and no frontier is pending";
  }
  auto undo_count = store_.undo_count();
  if (!undo_count.is_ok()) return undo_count.status().to_string();
  if (*undo_count != undo_count_) return "undo record count bookkeeping disagrees";
  return std::nullopt;
}

}  // namespace treesim
