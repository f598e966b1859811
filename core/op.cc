#include "core/op.h"

#include "core/hex.h"

namespace treesim {

std::string OpId::to_display() const {
  return replica.to_display() + ":" + std::to_string(counter);
}

std::string OpKey::to_display() const {
  return "(" + std::to_string(lamport) + "," + replica.to_display() + "," +
         std::to_string(counter) + ")";
}

const char* op_kind_name(OpKind kind) {
  switch (kind) {
    case OpKind::kInsert: return "insert";
    case OpKind::kMove: return "move";
    case OpKind::kDelete: return "delete";
    case OpKind::kTombstone: return "tombstone";
    case OpKind::kPayload: return "payload";
  }
  return "unknown";
}

std::optional<OpKind> op_kind_from_name(std::string_view name) {
  for (OpKind kind : {OpKind::kInsert, OpKind::kMove, OpKind::kDelete, OpKind::kTombstone,
                      OpKind::kPayload}) {
    if (name == op_kind_name(kind)) return kind;
  }
  return std::nullopt;
}

std::string Op::to_display() const {
  std::string out = id.to_display() + "@" + std::to_string(lamport) + " " + op_kind_name(kind) +
                    " " + node.to_display();
  switch (kind) {
    case OpKind::kInsert:
    case OpKind::kMove:
      out += " -> " + parent.to_display() + " key=" + to_hex(order_key);
      break;
    case OpKind::kDelete:
    case OpKind::kTombstone:
    case OpKind::kPayload:
      break;
  }
  if (payload) out += " payload=" + to_hex(*payload);
  if (kind == OpKind::kPayload && !payload) out += " payload=<clear>";
  if (known_state) out += " known=" + known_state->to_display();
  return out;
}

Op make_insert(OpId id, std::uint64_t lamport, NodeId parent, NodeId node, std::string order_key,
               std::optional<std::string> payload) {
  Op op;
  op.id = std::move(id);
  op.lamport = lamport;
  op.kind = OpKind::kInsert;
  op.parent = parent;
  op.node = node;
  op.order_key = std::move(order_key);
  op.payload = std::move(payload);
  return op;
}

Op make_move(OpId id, std::uint64_t lamport, NodeId node, NodeId new_parent,
             std::string order_key) {
  Op op;
  op.id = std::move(id);
  op.lamport = lamport;
  op.kind = OpKind::kMove;
  op.node = node;
  op.parent = new_parent;
  op.order_key = std::move(order_key);
  return op;
}

Op make_delete(OpId id, std::uint64_t lamport, NodeId node, VersionVector known_state) {
  Op op;
  op.id = std::move(id);
  op.lamport = lamport;
  op.kind = OpKind::kDelete;
  op.node = node;
  op.known_state = std::move(known_state);
  return op;
}

Op make_tombstone(OpId id, std::uint64_t lamport, NodeId node,
                  std::optional<VersionVector> known_state) {
  Op op;
  op.id = std::move(id);
  op.lamport = lamport;
  op.kind = OpKind::kTombstone;
  op.node = node;
  op.known_state = std::move(known_state);
  return op;
}

Op make_payload(OpId id, std::uint64_t lamport, NodeId node, std::optional<std::string> value) {
  Op op;
  op.id = std::move(id);
  op.lamport = lamport;
  op.kind = OpKind::kPayload;
  op.node = node;
  op.payload = std::move(value);
  return op;
}

Status validate_op(const Op& op) {
  auto invalid = [&](const std::string& field, const std::string& problem) {
    return Status::invalid_argument("op " + (op.id.replica.is_valid() ? op.id.to_display()
                                                                      : std::string("<no id>")) +
                                    ": field '" + field + "': " + problem);
  };
  if (!op.id.replica.is_valid()) {
    return invalid("replica", "must be 1.." + std::to_string(ReplicaId::kMaxBytes) +
                                  " bytes, got " + std::to_string(op.id.replica.bytes().size()));
  }
  if (op.id.counter == 0) return invalid("counter", "must be >= 1");
  if (op.id.counter > kMaxCounter) return invalid("counter", "must be < 2^63");
  if (op.lamport == 0) return invalid("lamport", "must be >= 1");
  if (op.lamport > kMaxLamport) return invalid("lamport", "must be < 2^63");

  const bool has_position = op.kind == OpKind::kInsert || op.kind == OpKind::kMove;
  const bool may_have_payload = op.kind == OpKind::kInsert || op.kind == OpKind::kPayload;
  switch (op.kind) {
    case OpKind::kInsert:
    case OpKind::kMove:
    case OpKind::kDelete:
    case OpKind::kTombstone:
    case OpKind::kPayload:
      break;
    default:
      return invalid("kind", "unknown kind " + std::to_string(static_cast<int>(op.kind)));
  }
  if (has_position) {
    if (op.order_key.size() % 2 != 0) {
      return invalid("order_key", "odd length " + std::to_string(op.order_key.size()) +
                                      " (keys are 16-bit digits)");
    }
    if (op.order_key.size() > kMaxOrderKeyBytes) {
      return invalid("order_key", "longer than " + std::to_string(kMaxOrderKeyBytes) + " bytes");
    }
  } else {
    if (op.parent != NodeId{}) return invalid("parent", "not allowed on a " + std::string(op_kind_name(op.kind)));
    if (!op.order_key.empty()) {
      return invalid("order_key", "not allowed on a " + std::string(op_kind_name(op.kind)));
    }
  }
  if (!may_have_payload && op.payload) {
    return invalid("payload", "not allowed on a " + std::string(op_kind_name(op.kind)));
  }
  if (op.payload && op.payload->size() > kMaxPayloadBytes) {
    return invalid("payload", "longer than " + std::to_string(kMaxPayloadBytes) + " bytes");
  }
  if (op.kind == OpKind::kDelete && !op.known_state) {
    return invalid("known_state", "required on a delete");
  }
  if (op.known_state) {
    if (!op.known_state->is_normalized()) {
      return invalid("known_state", "not a normalized version vector");
    }
    std::size_t range_count = 0;
    for (const auto& [replica, ranges] : op.known_state->entries) range_count += ranges.size();
    if (range_count > kMaxKnownStateRanges) {
      return invalid("known_state", "more than " + std::to_string(kMaxKnownStateRanges) + " ranges");
    }
  }
  return Status::ok();
}

}  // namespace treesim
