#include "sim/in_process_replica.h"

#include "core/hex.h"

namespace treesim {

std::string LocalEdit::to_display() const {
  switch (kind) {
    case Kind::kInsert:
      return "insert " + node.to_display() + " under " + parent.to_display();
    case Kind::kMove:
      return "move " + node.to_display() + " under " + parent.to_display();
    case Kind::kRemove:
      return "remove " + node.to_display();
    case Kind::kSetPayload:
      return "payload " + node.to_display() + (payload ? " = 0x" + to_hex(*payload) : " cleared");
  }
  return "unknown edit";
}

InProcessReplica::InProcessReplica(ReplicaId replica, const ReplicaConfig& config)
    : replica_(std::move(replica)), config_(config) {}

Status InProcessReplica::open() {
  TS_ASSERT(!is_open());
  MaterializerOptions options;
  options.strategy = config_.strategy;
  options.deferred = config_.deferred;
  options.undo_retention = config_.undo_retention;
  options.fault_points = &fault_points_;
  TS_ASSIGN_OR_RETURN(materializer_, Materializer::open(faulty_store_, replica_, options));
  return Status::ok();
}

void InProcessReplica::crash() {
  TS_ASSERT(!store_.in_transaction());
  if (materializer_) probes_of_closed_.add(materializer_->probes());
  materializer_.reset();
}

Materializer& InProcessReplica::materializer() {
  TS_ASSERT(is_open());
  return *materializer_;
}

Result<AppendResult> InProcessReplica::append(const std::vector<Op>& batch) {
  return materializer().append(batch);
}

Result<LocalResult> InProcessReplica::local(const LocalEdit& edit) {
  switch (edit.kind) {
    case LocalEdit::Kind::kInsert:
      return materializer().insert(edit.parent, edit.node, edit.placement, edit.payload);
    case LocalEdit::Kind::kMove:
      return materializer().move(edit.node, edit.parent, edit.placement);
    case LocalEdit::Kind::kRemove:
      return materializer().remove(edit.node);
    case LocalEdit::Kind::kSetPayload:
      return materializer().set_payload(edit.node, edit.payload);
  }
  TS_UNREACHABLE();
}

Status InProcessReplica::ensure_materialized() { return materializer().ensure_materialized(); }
Result<Snapshot> InProcessReplica::snapshot() { return materializer().snapshot(); }
Snapshot InProcessReplica::materialized_snapshot() { return materializer().materialized_snapshot(); }
Head InProcessReplica::head() { return materializer().head(); }
Frontier InProcessReplica::frontier() { return materializer().frontier(); }
VersionVector InProcessReplica::version_vector() { return materializer().version_vector(); }

Result<std::vector<Op>> InProcessReplica::ops_missing_from(const VersionVector& known) {
  return materializer().ops_missing_from(known);
}

std::optional<std::string> InProcessReplica::check_invariants() {
  faulty_store_.set_paused(true);
  auto broken = materializer().check_invariants();
  faulty_store_.set_paused(false);
  if (broken) return broken;
  store_.check_invariants();
  return std::nullopt;
}

bool InProcessReplica::arm_storage_fault(std::uint64_t n) {
  faulty_store_.fail_after(n);
  return true;
}

bool InProcessReplica::arm_fault_point(std::uint64_t n) {
  fault_points_.arm(n);
  return true;
}

void InProcessReplica::clear_faults() {
  faulty_store_.clear();
  fault_points_.clear();
}

Probes InProcessReplica::probes() const {
  Probes total = probes_of_closed_;
  if (materializer_) total.add(materializer_->probes());
  return total;
}

}  // namespace treesim
