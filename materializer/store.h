// Store: transactional persistence of one document's materializer (ARCHITECTURE.md).
//
// A store holds the op log, the materialized node and payload rows, undo records and a little
// metadata (head, replay frontier, undo floor). The materializer keeps a working copy of the
// tree in memory for speed and writes every change through to the store inside one transaction
// per call; the store is the truth after a crash.
//
// Contract for every implementation:
// - Writes happen only between begin() and commit(); rollback() discards every write since
//   begin() and always succeeds in leaving the store as it was (an implementation whose
//   rollback can fail must make the store unusable rather than half rolled back).
// - A commit() that returns ok is durable: after a crash it is there. A commit() that fails
//   leaves the transaction open; the caller rolls it back.
// - Reads inside a transaction see its writes.
// - Any call may fail with kIoError / kStorageFull (real or injected); the caller rolls back.
// - Scans visit rows in a defined order (given per method), never in hash order.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/op.h"
#include "core/status.h"
#include "core/version_vector.h"
#include "materializer/undo_record.h"

namespace treesim {

// One materialized node (SEMANTICS.md §4), as stored. `tombstoned` is the cached flag of §5.
struct NodeRow {
  NodeId node;
  std::optional<NodeId> parent;
  std::string order_key;
  VersionVector last_change;
  std::optional<VersionVector> deleted_at;
  bool tombstoned = false;

  friend bool operator==(const NodeRow&, const NodeRow&) = default;
};

// The payload register of one node: the last-writer-wins winner so far.
struct PayloadRow {
  NodeId node;
  std::optional<std::string> value;  // none: cleared
  OpKey writer;

  friend bool operator==(const PayloadRow&, const PayloadRow&) = default;
};

// Where the materialized state stands (SEMANTICS.md §8).
struct Head {
  std::optional<OpKey> key;  // the last materialized op; none before the first
  std::uint64_t seq = 0;     // how many ops of the log are materialized

  friend bool operator==(const Head&, const Head&) = default;
};

// The replay frontier: none, or the smallest key from which the stored state is not trusted.
struct Frontier {
  enum class Kind : std::uint8_t { kNone, kStart, kKey };
  Kind kind = Kind::kNone;
  OpKey key;  // meaningful for kKey only

  static Frontier none() { return {}; }
  static Frontier start() { return {Kind::kStart, {}}; }
  static Frontier at(OpKey key) { return {Kind::kKey, std::move(key)}; }
  bool is_none() const { return kind == Kind::kNone; }
  // The smaller of two frontiers (start < any key; none is the identity).
  static Frontier min(const Frontier& a, const Frontier& b);
  std::string to_display() const;

  friend bool operator==(const Frontier&, const Frontier&) = default;
};

struct StoreMeta {
  Head head;
  Frontier frontier;
  // An exclusive floor: every materialized op whose key is above undo_floor has an undo record
  // (none: every materialized op has one). It is the largest key of a materialized op whose
  // record was trimmed or never written, so a rewind from key f is possible iff f > undo_floor.
  std::optional<OpKey> undo_floor;

  friend bool operator==(const StoreMeta&, const StoreMeta&) = default;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual Status begin() = 0;
  virtual Status commit() = 0;
  virtual void rollback() = 0;
  virtual bool in_transaction() const = 0;

  // --- op log ---
  // The stored op with this id, or none.
  virtual Result<std::optional<Op>> find_op(const OpId& id) = 0;
  // Stores new ops (their ids must not be stored yet).
  virtual Status insert_ops(const std::vector<Op>& ops) = 0;
  virtual Result<std::uint64_t> op_count() = 0;
  // Visits stored ops with key >= `from` (all if none) in canonical order; stops early when
  // `visit` returns false.
  virtual Status scan_ops(const std::optional<OpKey>& from,
                          const std::function<bool(const Op&)>& visit) = 0;
  // The highest lamport in the log (0 if empty) and the highest counter of `replica` (0 if
  // none): what a reopened replica resumes its clock and counter from (SEMANTICS.md §7).
  virtual Result<std::uint64_t> max_lamport() = 0;
  virtual Result<std::uint64_t> max_counter(const ReplicaId& replica) = 0;

  // --- materialized rows ---
  // Rows and records are taken by value: the materializer builds each one for this call only,
  // so a store that keeps it (MemoryStore) moves it in instead of copying its version vectors.
  virtual Status put_node(NodeRow row) = 0;
  virtual Status erase_node(NodeId node) = 0;
  virtual Status put_payload(PayloadRow row) = 0;
  virtual Status erase_payload(NodeId node) = 0;
  // Removes every node and payload row (rebuild).
  virtual Status clear_rows() = 0;
  // Visit rows in node-id order.
  virtual Status scan_nodes(const std::function<void(const NodeRow&)>& visit) = 0;
  virtual Status scan_payloads(const std::function<void(const PayloadRow&)>& visit) = 0;

  // --- undo records ---
  virtual Status put_undo(UndoRecord record) = 0;
  // Removes the records of keys >= `from` (before a suffix is re-applied) or < `before` (trim).
  virtual Status erase_undo_from(const OpKey& from) = 0;
  virtual Status erase_undo_before(const OpKey& before) = 0;
  // Visits records with key >= `from` in reverse canonical order (newest first).
  virtual Status scan_undo_reverse(const OpKey& from,
                                   const std::function<bool(const UndoRecord&)>& visit) = 0;
  virtual Result<std::uint64_t> undo_count() = 0;

  // --- metadata ---
  virtual Result<StoreMeta> read_meta() = 0;
  virtual Status write_meta(const StoreMeta& meta) = 0;
};

}  // namespace treesim
