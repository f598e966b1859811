#include "sim/faulty_store.h"

#include "core/assert.h"

namespace treesim {

void FaultyStore::fail_after(std::uint64_t n, bool persistent) {
  TS_ASSERT(n >= 1);
  countdown_ = n;
  persistent_ = persistent;
  failing_ = false;
}

Status FaultyStore::check(const char* operation) {
  if (paused_) return Status::ok();
  if (countdown_) {
    if (--*countdown_ == 0) {
      countdown_.reset();
      failing_ = persistent_;
      ++failures_;
      return Status::io_error(std::string("injected storage failure in ") + operation);
    }
  } else if (failing_) {
    ++failures_;
    return Status::io_error(std::string("injected persistent storage failure in ") + operation);
  }
  return Status::ok();
}

#define TS_FAULTY_FORWARD(name, call) \
  do {                                \
    TS_RETURN_IF_ERROR(check(name));  \
    return call;                      \
  } while (false)

Status FaultyStore::begin() { TS_FAULTY_FORWARD("begin", inner_.begin()); }
Status FaultyStore::commit() { TS_FAULTY_FORWARD("commit", inner_.commit()); }

Result<std::optional<Op>> FaultyStore::find_op(const OpId& id) {
  TS_FAULTY_FORWARD("find_op", inner_.find_op(id));
}
Status FaultyStore::insert_ops(const std::vector<Op>& ops) {
  TS_FAULTY_FORWARD("insert_ops", inner_.insert_ops(ops));
}
Result<std::uint64_t> FaultyStore::op_count() { TS_FAULTY_FORWARD("op_count", inner_.op_count()); }
Status FaultyStore::scan_ops(const std::optional<OpKey>& from,
                             const std::function<bool(const Op&)>& visit) {
  TS_FAULTY_FORWARD("scan_ops", inner_.scan_ops(from, visit));
}
Result<std::uint64_t> FaultyStore::max_lamport() {
  TS_FAULTY_FORWARD("max_lamport", inner_.max_lamport());
}
Result<std::uint64_t> FaultyStore::max_counter(const ReplicaId& replica) {
  TS_FAULTY_FORWARD("max_counter", inner_.max_counter(replica));
}
Status FaultyStore::put_node(NodeRow row) { TS_FAULTY_FORWARD("put_node", inner_.put_node(std::move(row))); }
Status FaultyStore::erase_node(NodeId node) {
  TS_FAULTY_FORWARD("erase_node", inner_.erase_node(node));
}
Status FaultyStore::put_payload(PayloadRow row) {
  TS_FAULTY_FORWARD("put_payload", inner_.put_payload(std::move(row)));
}
Status FaultyStore::erase_payload(NodeId node) {
  TS_FAULTY_FORWARD("erase_payload", inner_.erase_payload(node));
}
Status FaultyStore::clear_rows() { TS_FAULTY_FORWARD("clear_rows", inner_.clear_rows()); }
Status FaultyStore::scan_nodes(const std::function<void(const NodeRow&)>& visit) {
  TS_FAULTY_FORWARD("scan_nodes", inner_.scan_nodes(visit));
}
Status FaultyStore::scan_payloads(const std::function<void(const PayloadRow&)>& visit) {
  TS_FAULTY_FORWARD("scan_payloads", inner_.scan_payloads(visit));
}
Status FaultyStore::put_undo(UndoRecord record) {
  TS_FAULTY_FORWARD("put_undo", inner_.put_undo(std::move(record)));
}
Status FaultyStore::erase_undo_from(const OpKey& from) {
  TS_FAULTY_FORWARD("erase_undo_from", inner_.erase_undo_from(from));
}
Status FaultyStore::erase_undo_before(const OpKey& before) {
  TS_FAULTY_FORWARD("erase_undo_before", inner_.erase_undo_before(before));
}
Status FaultyStore::scan_undo_reverse(const OpKey& from,
                                      const std::function<bool(const UndoRecord&)>& visit) {
  TS_FAULTY_FORWARD("scan_undo_reverse", inner_.scan_undo_reverse(from, visit));
}
Result<std::uint64_t> FaultyStore::undo_count() {
  TS_FAULTY_FORWARD("undo_count", inner_.undo_count());
}
Result<StoreMeta> FaultyStore::read_meta() { TS_FAULTY_FORWARD("read_meta", inner_.read_meta()); }
Status FaultyStore::write_meta(const StoreMeta& meta) {
  TS_FAULTY_FORWARD("write_meta", inner_.write_meta(meta));
}

#undef TS_FAULTY_FORWARD

}  // namespace treesim
