// JournaledMemoryStore: the memory store of treesim-adapter (sim/adapter_main.cc), which must
// survive the simulator's crash of an external replica: a SIGKILL of the adapter process.
//
// The contents are a MemoryStore's (every read is served by it, so the materializer sees
// exactly the store it sees in process). Each write inside a transaction is also recorded, and
// commit() appends the transaction's writes as one record to a journal file in the replica's
// directory before the MemoryStore commits; opening the store replays every record into a fresh
// MemoryStore. So after a kill the reopened store holds exactly the committed transactions, as
// the in-process memory store, which simply outlives the crash, does.
//
// Fault model and claims. The journal is written with write(2) and never synced: a killed
// process's writes are in the kernel and survive, a power loss is not claimed to be survived
// (the SQLite store, synchronous=FULL, is the adapter's store for that). A record torn at the
// end of the file (a write cut short) is dropped on open and the file truncated to the last
// whole record; a damaged record before the end, or one that does not decode, is kCorruption.
// A failed journal write fails the commit (kIoError, the file cut back to its length before
// it), leaving the transaction open as store.h requires, for the caller to roll back.
//
// Record: "TJ" | payload length (4 bytes, little endian) | FNV-1a 64 of the payload (8 bytes,
// little endian) | payload. Payload: entries, each a tag byte and its fields, in call order:
//   'O' ops      bytes(core/binary_codec.h batch)       insert_ops
//   'N' node     node(16) bytes(node row blob)          put_node
//   'n' node     node(16)                               erase_node
//   'P' payload  node(16) bytes(payload row blob)       put_payload
//   'p' payload  node(16)                               erase_payload
//   'C'                                                 clear_rows
//   'U' undo     key bytes(undo record blob)            put_undo
//   'u' / 'b'    key                                    erase_undo_from / erase_undo_before
//   'M' meta     bytes(meta blob)                       write_meta
// where bytes = length (4 bytes, little endian) | bytes, key = bytes(lamport, 8 bytes little
// endian | replica bytes | counter, 8 bytes little endian), and the blobs are
// materializer/row_codec.h's.
#pragma once

#include <memory>
#include <string>

#include "materializer/memory_store.h"
#include "materializer/store.h"

namespace treesim {

class JournaledMemoryStore final : public Store {
 public:
  // Opens (creating if absent) the journal at `path` and replays it.
  static Result<std::unique_ptr<JournaledMemoryStore>> open(const std::string& path);

  JournaledMemoryStore(const JournaledMemoryStore&) = delete;
  JournaledMemoryStore& operator=(const JournaledMemoryStore&) = delete;
  ~JournaledMemoryStore() override;

  // The contents (for the adapter's invariant checks).
  const MemoryStore& memory() const { return memory_; }

  Status begin() override;
  Status commit() override;
  void rollback() override;
  bool in_transaction() const override { return memory_.in_transaction(); }

  Result<std::optional<Op>> find_op(const OpId& id) override { return memory_.find_op(id); }
  Status insert_ops(const std::vector<Op>& ops) override;
  Result<std::uint64_t> op_count() override { return memory_.op_count(); }
  Status scan_ops(const std::optional<OpKey>& from,
                  const std::function<bool(const Op&)>& visit) override {
    return memory_.scan_ops(from, visit);
  }
  Result<std::uint64_t> max_lamport() override { return memory_.max_lamport(); }
  Result<std::uint64_t> max_counter(const ReplicaId& replica) override {
    return memory_.max_counter(replica);
  }

  Status put_node(NodeRow row) override;
  Status erase_node(NodeId node) override;
  Status put_payload(PayloadRow row) override;
  Status erase_payload(NodeId node) override;
  Status clear_rows() override;
  Status scan_nodes(const std::function<void(const NodeRow&)>& visit) override {
    return memory_.scan_nodes(visit);
  }
  Status scan_payloads(const std::function<void(const PayloadRow&)>& visit) override {
    return memory_.scan_payloads(visit);
  }

  Status put_undo(UndoRecord record) override;
  Status erase_undo_from(const OpKey& from) override;
  Status erase_undo_before(const OpKey& before) override;
  Status scan_undo_reverse(const OpKey& from,
                           const std::function<bool(const UndoRecord&)>& visit) override {
    return memory_.scan_undo_reverse(from, visit);
  }
  Result<std::uint64_t> undo_count() override { return memory_.undo_count(); }

  Result<StoreMeta> read_meta() override { return memory_.read_meta(); }
  Status write_meta(const StoreMeta& meta) override;

 private:
  JournaledMemoryStore(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

  // Replays the journal's records into memory_; truncates a torn last record.
  Status replay();
  // Applies one record's entries to memory_, inside a transaction of its own.
  Status apply_record(std::string_view payload, std::uint64_t offset);

  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;  // bytes of whole records in the journal
  MemoryStore memory_;
  std::string redo_;  // the open transaction's entries
};

}  // namespace treesim
