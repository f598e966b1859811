#include "core/binary_codec.h"

#include <utility>

#include "core/assert.h"
#include "core/hex.h"

namespace treesim {
namespace {

constexpr std::size_t kNodeIdBytes = 16;
constexpr int kMaxVarintBytes = 10;
// The smallest encodings the parser can walk through, used to bound counts by the bytes
// remaining before anything is reserved. They count an empty replica id so that such an op
// reaches the replica check and is rejected there, by name. An op: kind, replica length,
// counter, lamport, flags, node.
constexpr std::size_t kMinOpBytes = 5 + kNodeIdBytes;
// A known_state entry: replica length and a range count, both zero.
constexpr std::size_t kMinEntryBytes = 2;
constexpr std::size_t kMinRangeBytes = 2;

// "1 byte", "12 bytes".
std::string byte_count(std::uint64_t count) {
  return std::to_string(count) + (count == 1 ? " byte" : " bytes");
}

bool has_position(OpKind kind) { return kind == OpKind::kInsert || kind == OpKind::kMove; }
bool may_have_payload(OpKind kind) { return kind == OpKind::kInsert || kind == OpKind::kPayload; }

// ---- Encoding -------------------------------------------------------------------------------

void put_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void put_length_prefixed(std::string& out, std::string_view bytes) {
  put_varint(out, bytes.size());
  out.append(bytes);
}

void put_known_state(std::string& out, const VersionVector& known_state) {
  put_varint(out, known_state.entries.size());
  for (const auto& [replica, ranges] : known_state.entries) {
    put_length_prefixed(out, replica.bytes());
    put_varint(out, ranges.size());
    for (const CounterRange& range : ranges) {
      put_varint(out, range.first);
      put_varint(out, range.last);
    }
  }
}

void put_op(std::string& out, const Op& op) {
  out.push_back(static_cast<char>(op.kind));
  put_length_prefixed(out, op.id.replica.bytes());
  put_varint(out, op.id.counter);
  put_varint(out, op.lamport);
  std::uint8_t flags = 0;
  if (op.known_state) flags |= kBinaryFlagKnownState;
  if (op.payload) flags |= kBinaryFlagPayload;
  out.push_back(static_cast<char>(flags));
  out.append(op.node.to_bytes());
  if (has_position(op.kind)) {
    out.append(op.parent.to_bytes());
    put_length_prefixed(out, op.order_key);
  }
  if (op.payload) put_length_prefixed(out, *op.payload);
  if (op.known_state) put_known_state(out, *op.known_state);
}

// ---- Decoding -------------------------------------------------------------------------------

// A cursor over the batch. Every read checks the bytes remaining first, so no caller can read
// out of bounds; errors carry the offset where the offending field starts and the op being
// decoded, which is what a person needs to find the bad byte in a hex dump.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  std::size_t offset() const { return offset_; }
  std::size_t remaining() const { return bytes_.size() - offset_; }

  // Messages name "op <index>" from here on.
  void set_op_index(std::size_t index) { op_context_ = "op " + std::to_string(index) + ": "; }
  void clear_op_index() { op_context_.clear(); }

  std::string where(std::size_t at) const {
    return "byte " + std::to_string(at) + ": " + op_context_;
  }
  std::string where(std::size_t at, std::string_view field) const {
    return where(at) + "field '" + std::string(field) + "': ";
  }
  Status corruption(std::size_t at, std::string_view field, const std::string& problem) const {
    return Status::corruption(where(at, field) + problem);
  }
  Status invalid(std::size_t at, std::string_view field, const std::string& problem) const {
    return Status::invalid_argument(where(at, field) + problem);
  }

  Result<std::uint8_t> read_byte(std::string_view field) {
    if (remaining() == 0) return corruption(offset_, field, "expected 1 byte, but the input ends");
    return static_cast<std::uint8_t>(bytes_[offset_++]);
  }

  Result<std::string_view> read_fixed(std::size_t count, std::string_view field) {
    if (count > remaining()) {
      return corruption(offset_, field,
                        "expected " + byte_count(count) + ", but only " +
                            std::to_string(remaining()) + " remain");
    }
    std::string_view out = bytes_.substr(offset_, count);
    offset_ += count;
    return out;
  }

  // Unsigned LEB128, at most 10 bytes and 64 bits, minimal (see the header).
  Result<std::uint64_t> read_varint(std::string_view field) {
    const std::size_t start = offset_;
    std::uint64_t value = 0;
    for (int index = 0;; ++index) {
      if (index == kMaxVarintBytes) {
        return corruption(start, field, "varint longer than 10 bytes");
      }
      if (remaining() == 0) {
        return corruption(start, field,
                          index == 0 ? std::string("expected a varint, but the input ends")
                                     : "varint truncated: the input ends after " +
                                           std::to_string(index) + " of its bytes");
      }
      const auto byte = static_cast<std::uint8_t>(bytes_[offset_++]);
      // The tenth byte holds bit 63 only; anything more does not fit in 64 bits.
      if (index == kMaxVarintBytes - 1 && (byte & 0x7F) > 1) {
        return corruption(start, field, "varint overflows 64 bits");
      }
      value |= static_cast<std::uint64_t>(byte & 0x7F) << (7 * index);
      if ((byte & 0x80) == 0) {
        // A zero final group after other groups is a second spelling of a shorter varint.
        if (byte == 0 && index > 0) {
          return corruption(start, field, "varint is not minimal (redundant trailing zero group)");
        }
        return value;
      }
    }
  }

  // A varint length, checked against the bytes that follow it, then that many bytes.
  Result<std::string_view> read_length_prefixed(std::string_view field) {
    const std::size_t start = offset_;
    TS_ASSIGN_OR_RETURN(const std::uint64_t length, read_varint(field));
    if (length > remaining()) {
      return corruption(start, field,
                        "length " + std::to_string(length) + " exceeds the " +
                            byte_count(remaining()) + " remaining");
    }
    std::string_view out = bytes_.substr(offset_, static_cast<std::size_t>(length));
    offset_ += static_cast<std::size_t>(length);
    return out;
  }

 private:
  std::string_view bytes_;
  std::size_t offset_ = 0;
  std::string op_context_;
};

Result<ReplicaId> read_replica(Reader& reader, std::string_view field) {
  const std::size_t start = reader.offset();
  TS_ASSIGN_OR_RETURN(const std::string_view bytes, reader.read_length_prefixed(field));
  std::optional<ReplicaId> replica = ReplicaId::from_bytes(bytes);
  if (!replica) {
    return reader.invalid(start, field,
                          "replica id must be 1.." + std::to_string(ReplicaId::kMaxBytes) +
                              " bytes, got " + std::to_string(bytes.size()));
  }
  return *std::move(replica);
}

Result<NodeId> read_node(Reader& reader, std::string_view field) {
  TS_ASSIGN_OR_RETURN(const std::string_view bytes, reader.read_fixed(kNodeIdBytes, field));
  std::optional<NodeId> node = NodeId::from_bytes(bytes);
  TS_ASSERT(node.has_value());  // read_fixed returned exactly 16 bytes
  return *node;
}

// Known-state fields are named like "known_state[1].ranges[0]" so that a message points at
// one entry of one op.
Result<VersionVector> read_known_state(Reader& reader) {
  const std::size_t start = reader.offset();
  TS_ASSIGN_OR_RETURN(const std::uint64_t entry_count, reader.read_varint("known_state"));
  if (entry_count > reader.remaining() / kMinEntryBytes) {
    return reader.corruption(start, "known_state",
                             "replica count " + std::to_string(entry_count) + " needs at least " +
                                 byte_count(kMinEntryBytes) + " each, but only " +
                                 byte_count(reader.remaining()) + " remain");
  }
  std::vector<std::pair<ReplicaId, CounterRange>> ranges;
  for (std::uint64_t entry = 0; entry < entry_count; ++entry) {
    const std::string entry_field = "known_state[" + std::to_string(entry) + "]";
    TS_ASSIGN_OR_RETURN(const ReplicaId replica, read_replica(reader, entry_field + ".replica"));
    const std::string count_field = entry_field + ".range_count";
    const std::size_t count_start = reader.offset();
    TS_ASSIGN_OR_RETURN(const std::uint64_t range_count, reader.read_varint(count_field));
    if (range_count > reader.remaining() / kMinRangeBytes) {
      return reader.corruption(count_start, count_field,
                               "range count " + std::to_string(range_count) + " needs at least " +
                                   byte_count(kMinRangeBytes) + " each, but only " +
                                   byte_count(reader.remaining()) + " remain");
    }
    ranges.reserve(ranges.size() + static_cast<std::size_t>(range_count));
    for (std::uint64_t index = 0; index < range_count; ++index) {
      const std::string range_field = entry_field + ".ranges[" + std::to_string(index) + "]";
      const std::size_t range_start = reader.offset();
      CounterRange range;
      TS_ASSIGN_OR_RETURN(range.first, reader.read_varint(range_field));
      TS_ASSIGN_OR_RETURN(range.last, reader.read_varint(range_field));
      if (!is_valid_range(range)) {
        return reader.invalid(range_start, range_field,
                              "range [" + std::to_string(range.first) + ", " +
                                  std::to_string(range.last) +
                                  "] is not valid (need 1 <= first <= last < 2^63)");
      }
      ranges.emplace_back(replica, range);
    }
  }
  // Decoding normalizes (SEMANTICS.md §3): a replica listed twice contributes the union, and an
  // entry without ranges contributes nothing.
  return VersionVector::from_ranges(ranges);
}

Result<Op> read_op(Reader& reader, std::size_t op_index) {
  const std::size_t op_start = reader.offset();
  Op op;

  const std::size_t kind_start = reader.offset();
  TS_ASSIGN_OR_RETURN(const std::uint8_t kind, reader.read_byte("kind"));
  if (kind < static_cast<std::uint8_t>(OpKind::kInsert) ||
      kind > static_cast<std::uint8_t>(OpKind::kPayload)) {
    return reader.corruption(kind_start, "kind",
                             "unknown kind " + std::to_string(kind) +
                                 " (known: 1 insert, 2 move, 3 delete, 4 tombstone, 5 payload)");
  }
  op.kind = static_cast<OpKind>(kind);
  TS_ASSIGN_OR_RETURN(op.id.replica, read_replica(reader, "replica"));
  TS_ASSIGN_OR_RETURN(op.id.counter, reader.read_varint("counter"));
  TS_ASSIGN_OR_RETURN(op.lamport, reader.read_varint("lamport"));

  const std::size_t flags_start = reader.offset();
  TS_ASSIGN_OR_RETURN(const std::uint8_t flags, reader.read_byte("flags"));
  const auto unknown_flags =
      static_cast<std::uint8_t>(flags & ~(kBinaryFlagKnownState | kBinaryFlagPayload));
  if (unknown_flags != 0) {
    return reader.corruption(flags_start, "flags",
                             "unknown flag bits 0x" +
                                 to_hex(std::string(1, static_cast<char>(unknown_flags))) +
                                 " (known: 0x01 known_state, 0x02 payload)");
  }
  if ((flags & kBinaryFlagPayload) != 0 && !may_have_payload(op.kind)) {
    return reader.corruption(flags_start, "flags",
                             std::string("payload flag set on a ") + op_kind_name(op.kind) +
                                 ", which carries no payload");
  }

  TS_ASSIGN_OR_RETURN(op.node, read_node(reader, "node"));
  if (has_position(op.kind)) {
    TS_ASSIGN_OR_RETURN(op.parent, read_node(reader, "parent"));
    TS_ASSIGN_OR_RETURN(const std::string_view key, reader.read_length_prefixed("order_key"));
    op.order_key = std::string(key);
  }
  if ((flags & kBinaryFlagPayload) != 0) {
    TS_ASSIGN_OR_RETURN(const std::string_view payload, reader.read_length_prefixed("payload"));
    op.payload = std::string(payload);
  }
  if ((flags & kBinaryFlagKnownState) != 0) {
    TS_ASSIGN_OR_RETURN(op.known_state, read_known_state(reader));
  }

  // The structural decode is done; the rules of SEMANTICS.md §1-2 have one home.
  Status valid = validate_op(op);
  if (!valid.is_ok()) {
    return valid.with_context("byte " + std::to_string(op_start) + ": op " +
                              std::to_string(op_index));
  }
  return op;
}

}  // namespace

std::string encode_batch(const std::vector<Op>& ops) {
  std::string out(kBinaryBatchMagic);
  out.push_back(static_cast<char>(kBinaryBatchVersion));
  put_varint(out, ops.size());
  for (const Op& op : ops) {
    TS_ASSERT(validate_op(op).is_ok());
    put_op(out, op);
  }
  return out;
}

Result<std::vector<Op>> decode_batch(std::string_view bytes) {
  Reader reader(bytes);

  if (reader.remaining() < kBinaryBatchMagic.size()) {
    return reader.corruption(
        0, "magic", "expected \"TSOB\", but the input has only " + byte_count(reader.remaining()));
  }
  TS_ASSIGN_OR_RETURN(const std::string_view magic,
                      reader.read_fixed(kBinaryBatchMagic.size(), "magic"));
  if (magic != kBinaryBatchMagic) {
    return reader.corruption(0, "magic",
                             "expected \"TSOB\" (hex 54534f42), found hex " + to_hex(magic));
  }
  const std::size_t version_start = reader.offset();
  TS_ASSIGN_OR_RETURN(const std::uint8_t version, reader.read_byte("version"));
  if (version != kBinaryBatchVersion) {
    return Status::unsupported(reader.where(version_start, "version") + "found format version " +
                               std::to_string(version) + ", this build supports version " +
                               std::to_string(kBinaryBatchVersion));
  }

  const std::size_t count_start = reader.offset();
  TS_ASSIGN_OR_RETURN(const std::uint64_t op_count, reader.read_varint("op_count"));
  if (op_count > reader.remaining() / kMinOpBytes) {
    return reader.corruption(count_start, "op_count",
                             "op count " + std::to_string(op_count) + " needs at least " +
                                 byte_count(kMinOpBytes) + " each, but only " +
                                 byte_count(reader.remaining()) + " remain");
  }
  std::vector<Op> ops;
  ops.reserve(static_cast<std::size_t>(op_count));
  for (std::size_t index = 0; index < op_count; ++index) {
    reader.set_op_index(index);
    TS_ASSIGN_OR_RETURN(Op op, read_op(reader, index));
    ops.push_back(std::move(op));
  }
  reader.clear_op_index();
  if (reader.remaining() != 0) {
    return reader.corruption(reader.offset(), "op_count",
                             byte_count(reader.remaining()) +
                                 " trailing after the end of the batch (op count " +
                                 std::to_string(op_count) + ")");
  }
  return ops;
}

}  // namespace treesim
