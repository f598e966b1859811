// FaultyStore: a Store wrapper that makes storage calls fail on purpose.
//
// Fault model: after fail_after(n), the n-th store call from then on (reads, writes, begin and
// commit alike; never rollback) returns kIoError instead of reaching the wrapped store, either
// once or, if `persistent`, for every call until clear(). This is what a disk does when it
// returns EIO or fills up: the call fails, nothing about the failure is hidden, and the caller
// must roll back. The materializer claims to survive it because every call runs in one
// transaction that a failure rolls back whole; the simulator's rollback checker verifies that.
// A crash of a MemoryStore-backed replica needs no help from this class: transactions are
// synchronous, so at any point between calls nothing uncommitted exists, and the simulator
// simply drops the materializer and reopens it on the same store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "materializer/store.h"

namespace treesim {

class FaultyStore final : public Store {
 public:
  // `inner` is not owned and must outlive this wrapper.
  explicit FaultyStore(Store& inner) : inner_(inner) {}

  // The n-th call from now fails (n >= 1); with `persistent`, every call from then on fails.
  void fail_after(std::uint64_t n, bool persistent = false);
  void clear() { countdown_.reset(); failing_ = false; }
  bool armed() const { return countdown_.has_value() || failing_; }
  // How many calls until a one-off failure (1: the next one); none if none is armed. The
  // external adapter reports it before it is killed, so the next process is armed the same.
  std::optional<std::uint64_t> remaining() const { return countdown_; }
  // While paused, calls pass through uncounted: checkers read the store without consuming
  // (or triggering) a fault meant for the system under test.
  void set_paused(bool paused) { paused_ = paused; }
  std::uint64_t failures() const { return failures_; }

  Status begin() override;
  Status commit() override;
  void rollback() override { inner_.rollback(); }
  bool in_transaction() const override { return inner_.in_transaction(); }

  Result<std::optional<Op>> find_op(const OpId& id) override;
  Status insert_ops(const std::vector<Op>& ops) override;
  Result<std::uint64_t> op_count() override;
  Status scan_ops(const std::optional<OpKey>& from,
                  const std::function<bool(const Op&)>& visit) override;
  Result<std::uint64_t> max_lamport() override;
  Result<std::uint64_t> max_counter(const ReplicaId& replica) override;

  Status put_node(NodeRow row) override;
  Status erase_node(NodeId node) override;
  Status put_payload(PayloadRow row) override;
  Status erase_payload(NodeId node) override;
  Status clear_rows() override;
  Status scan_nodes(const std::function<void(const NodeRow&)>& visit) override;
  Status scan_payloads(const std::function<void(const PayloadRow&)>& visit) override;

  Status put_undo(UndoRecord record) override;
  Status erase_undo_from(const OpKey& from) override;
  Status erase_undo_before(const OpKey& before) override;
  Status scan_undo_reverse(const OpKey& from,
                           const std::function<bool(const UndoRecord&)>& visit) override;
  Result<std::uint64_t> undo_count() override;

  Result<StoreMeta> read_meta() override;
  Status write_meta(const StoreMeta& meta) override;

 private:
  // Ok, or the injected failure for the call named `operation`.
  Status check(const char* operation);

  Store& inner_;
  std::optional<std::uint64_t> countdown_;
  bool persistent_ = false;
  bool failing_ = false;
  bool paused_ = false;
  std::uint64_t failures_ = 0;
};

}  // namespace treesim
