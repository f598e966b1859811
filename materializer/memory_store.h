// MemoryStore: the in-process Store (ARCHITECTURE.md), with a real rollback journal.
//
// Everything lives in ordered std::maps, so every scan has the order store.h promises without
// sorting. A transaction does not copy the store: the first write to a key within a transaction
// records that key's prior value (or its absence) in a per-table journal, rollback() puts those
// values back and commit() drops them. The cost of a transaction is therefore proportional to
// the rows it touched, and a rolled-back transaction leaves the contents exactly as they were,
// which is what the simulator's rollback checker compares (clone() before, same_contents()
// after).
//
// MemoryStore never fails on its own: every call returns ok. Storage faults and crashes are
// injected by a separate wrapper (FaultyStore), so this class stays the plain truth to compare
// against.
//
// Programmer errors (asserted, never a Status): begin() inside a transaction; commit(),
// rollback() or any write outside one; inserting an op whose id is already stored; writing to
// the store from inside a scan's visit callback (that would invalidate the scan's iterators).
// Reads are allowed both inside and outside transactions; inside, they see its writes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/node_id.h"
#include "core/op.h"
#include "core/replica_id.h"
#include "core/status.h"
#include "materializer/store.h"
#include "materializer/undo_record.h"

namespace treesim {

class MemoryStore final : public Store {
 public:
  MemoryStore() = default;
  // Copies are explicit (clone()) so that a store is never duplicated by accident.
  MemoryStore(MemoryStore&&) = default;
  MemoryStore& operator=(MemoryStore&&) = default;
  ~MemoryStore() override = default;

  // --- transactions ---
  // Precondition for begin(): not in a transaction. For commit() and rollback(): in one.
  Status begin() override;
  Status commit() override;
  void rollback() override;
  bool in_transaction() const override { return in_transaction_; }

  // --- op log ---
  Result<std::optional<Op>> find_op(const OpId& id) override;
  // Precondition: in a transaction, and no op of `ops` has an id that is stored already or
  // that repeats within `ops` (the materializer dedupes and detects equivocation first).
  Status insert_ops(const std::vector<Op>& ops) override;
  Result<std::uint64_t> op_count() override;
  Status scan_ops(const std::optional<OpKey>& from,
                  const std::function<bool(const Op&)>& visit) override;
  // Both are O(log n): they read the ends of the ordered log instead of keeping running maxima
  // that a rollback would have to restore.
  Result<std::uint64_t> max_lamport() override;
  Result<std::uint64_t> max_counter(const ReplicaId& replica) override;

  // --- materialized rows ---
  // Writes replace the row with the same node id. Erasing an absent row succeeds and changes
  // nothing (like a SQL DELETE that matches no row).
  Status put_node(NodeRow row) override;
  Status erase_node(NodeId node) override;
  Status put_payload(PayloadRow row) override;
  Status erase_payload(NodeId node) override;
  Status clear_rows() override;
  Status scan_nodes(const std::function<void(const NodeRow&)>& visit) override;
  Status scan_payloads(const std::function<void(const PayloadRow&)>& visit) override;

  // --- undo records ---
  // put_undo replaces the record with the same key. erase_undo_from removes keys >= `from`
  // (inclusive); erase_undo_before removes keys < `before` (exclusive).
  Status put_undo(UndoRecord record) override;
  Status erase_undo_from(const OpKey& from) override;
  Status erase_undo_before(const OpKey& before) override;
  Status scan_undo_reverse(const OpKey& from,
                           const std::function<bool(const UndoRecord&)>& visit) override;
  Result<std::uint64_t> undo_count() override;

  // --- metadata ---
  Result<StoreMeta> read_meta() override;
  Status write_meta(const StoreMeta& meta) override;

  // --- for tests and the simulator's checkers ---
  // A deep copy of the contents, not in a transaction. Precondition: not in a transaction
  // (a copy of uncommitted writes without their journal would be neither state).
  MemoryStore clone() const;
  // Whether the log, node rows, payload rows, undo records and meta are equal. Transaction state
  // and journals are not contents and are ignored.
  bool same_contents(const MemoryStore& other) const;
  // A one-line description of the first difference in contents ("node 0x7: only in this
  // store"), tables in the order log, nodes, payloads, undo records, meta; empty if none.
  std::string describe_difference(const MemoryStore& other) const;

  // Asserts, in O(n log n): the op map and the canonical index hold the same ops under their
  // own ids and keys; max_lamport() and max_counter() agree with a walk of the log; every row
  // and record is stored under its own node id or key; outside a transaction the journal is
  // empty, inside it every journaled insert is still in the log.
  void check_invariants() const;

 private:
  // The state of each key a transaction has touched, as it was at begin(). Keys are distinct
  // within each table (only the first write records), so restoring them needs no order. Ops are
  // only ever added, so their journal is the list of ids to take out again.
  struct Journal {
    std::vector<OpId> inserted_ops;
    std::unordered_map<NodeId, std::optional<NodeRow>, NodeIdHash> nodes;
    std::unordered_map<NodeId, std::optional<PayloadRow>, NodeIdHash> payloads;
    std::map<OpKey, std::optional<UndoRecord>> undo_records;
    std::optional<StoreMeta> meta;

    bool empty() const;
  };

  MemoryStore(const MemoryStore&) = default;
  MemoryStore& operator=(const MemoryStore&) = delete;

  // Asserts the preconditions shared by every write.
  void assert_writable() const;
  // Record the prior value of a key before its first write in this transaction.
  void journal_node(NodeId node);
  void journal_payload(NodeId node);
  void journal_undo(const OpKey& key);
  // Removes the undo records in [first, last), journaling each.
  void erase_undo_range(std::map<OpKey, UndoRecord>::iterator first,
                        std::map<OpKey, UndoRecord>::iterator last);

  std::uint64_t max_lamport_of_log() const;
  std::uint64_t max_counter_of_log(const ReplicaId& replica) const;

  // The op log: by id for lookup, and the canonical index for ordered scans and max_lamport.
  // The same ops, always (check_invariants).
  std::map<OpId, Op> ops_;
  std::set<OpKey> op_keys_;
  // Rows are hashed (a write is O(1), not a walk down a tree of every node); the few walks over
  // them (scans, comparisons) sort the ids first.
  std::unordered_map<NodeId, NodeRow, NodeIdHash> nodes_;
  std::unordered_map<NodeId, PayloadRow, NodeIdHash> payloads_;
  std::map<OpKey, UndoRecord> undo_records_;
  StoreMeta meta_;

  bool in_transaction_ = false;
  Journal journal_;
  // How many scans are running (visit callbacks may read, and so start nested scans).
  int scan_depth_ = 0;
};

}  // namespace treesim
