#include "materializer/row_codec.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/assert.h"

namespace treesim {
namespace {

constexpr std::size_t kNodeBytes = 16;
constexpr int kMaxVarintBytes = 10;

// Flag bits, one set per blob kind (see the header).
constexpr std::uint8_t kNodeHasParent = 0x01;
constexpr std::uint8_t kNodeHasDeletedAt = 0x02;
constexpr std::uint8_t kNodeTombstoned = 0x04;

constexpr std::uint8_t kPayloadHasValue = 0x01;

constexpr std::uint8_t kUndoStructuralApplied = 0x01;
constexpr std::uint8_t kUndoHasPreviousParent = 0x02;
constexpr std::uint8_t kUndoHasDeletedAtAdded = 0x04;
constexpr std::uint8_t kUndoDeletedAtWasAbsent = 0x08;
constexpr std::uint8_t kUndoPayloadApplied = 0x10;
constexpr std::uint8_t kUndoPreviousPayloadPresent = 0x20;
constexpr std::uint8_t kUndoHasPreviousValue = 0x40;

constexpr std::uint8_t kMetaHasHeadKey = 0x01;
constexpr std::uint8_t kMetaHasUndoFloor = 0x02;
constexpr std::uint8_t kMetaHasFrontierKey = 0x04;

// ---- Encoding -------------------------------------------------------------------------------

class Writer {
 public:
  explicit Writer(char tag) {
    out_.push_back(tag);
    out_.push_back(static_cast<char>(kRowFormatVersion));
  }

  void byte(std::uint8_t value) { out_.push_back(static_cast<char>(value)); }

  void varint(std::uint64_t value) {
    while (value >= 0x80) {
      out_.push_back(static_cast<char>((value & 0x7F) | 0x80));
      value >>= 7;
    }
    out_.push_back(static_cast<char>(value));
  }

  void bytes(std::string_view value) {
    varint(value.size());
    out_.append(value);
  }

  void node(NodeId value) { out_.append(value.to_bytes()); }

  void nodes(const std::vector<NodeId>& values) {
    varint(values.size());
    for (NodeId value : values) node(value);
  }

  void key(const OpKey& value) {
    varint(value.lamport);
    bytes(value.replica.bytes());
    varint(value.counter);
  }

  void version_vector(const VersionVector& value) {
    TS_ASSERT(value.is_normalized());
    varint(value.entries.size());
    for (const auto& [replica, ranges] : value.entries) {
      bytes(replica.bytes());
      varint(ranges.size());
      for (const CounterRange& range : ranges) {
        varint(range.first);
        varint(range.last);
      }
    }
  }

  std::string finish() && { return std::move(out_); }

 private:
  std::string out_;
};

// ---- Decoding -------------------------------------------------------------------------------

// A bounds-checked cursor. Every read checks the bytes remaining first; every error names the
// offset where the offending field starts.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  std::size_t offset() const { return offset_; }
  std::size_t remaining() const { return bytes_.size() - offset_; }

  Status corruption(std::size_t at, std::string_view field, const std::string& problem) const {
    return Status::corruption("byte " + std::to_string(at) + ": field '" + std::string(field) +
                              "': " + problem);
  }

  // The tag and version that open every blob.
  Status header(char tag) {
    if (remaining() < 2) {
      return corruption(0, "header",
                        "expected 2 bytes, but the blob has " + std::to_string(remaining()));
    }
    if (bytes_[0] != tag) {
      return corruption(0, "header",
                        std::string("expected tag '") + tag + "', found byte " +
                            std::to_string(static_cast<std::uint8_t>(bytes_[0])));
    }
    const auto version = static_cast<std::uint8_t>(bytes_[1]);
    if (version != kRowFormatVersion) {
      return corruption(1, "version",
                        "unknown row format version " + std::to_string(version) +
                            " (this build writes version " + std::to_string(kRowFormatVersion) +
                            ")");
    }
    offset_ = 2;
    return Status::ok();
  }

  Result<std::uint8_t> byte(std::string_view field) {
    if (remaining() == 0) return corruption(offset_, field, "expected 1 byte, but the blob ends");
    return static_cast<std::uint8_t>(bytes_[offset_++]);
  }

  // A flags byte whose bits outside `known` must be clear.
  Result<std::uint8_t> flags(std::uint8_t known) {
    const std::size_t start = offset_;
    TS_ASSIGN_OR_RETURN(const std::uint8_t value, byte("flags"));
    if ((value & ~known) != 0) {
      return corruption(start, "flags", "unknown flag bits in " + std::to_string(value));
    }
    return value;
  }

  Result<bool> boolean(std::string_view field) {
    const std::size_t start = offset_;
    TS_ASSIGN_OR_RETURN(const std::uint8_t value, byte(field));
    if (value > 1)
      return corruption(start, field, "expected 0 or 1, found " + std::to_string(value));
    return value == 1;
  }

  // Minimal unsigned LEB128 of at most 10 bytes (the rules of binary_codec.h).
  Result<std::uint64_t> varint(std::string_view field) {
    const std::size_t start = offset_;
    std::uint64_t value = 0;
    for (int index = 0;; ++index) {
      if (index == kMaxVarintBytes) return corruption(start, field, "varint longer than 10 bytes");
      if (remaining() == 0) return corruption(start, field, "varint truncated by the blob's end");
      const auto byte_value = static_cast<std::uint8_t>(bytes_[offset_++]);
      if (index == kMaxVarintBytes - 1 && (byte_value & 0x7F) > 1) {
        return corruption(start, field, "varint overflows 64 bits");
      }
      value |= static_cast<std::uint64_t>(byte_value & 0x7F) << (7 * index);
      if ((byte_value & 0x80) == 0) {
        if (byte_value == 0 && index > 0) return corruption(start, field, "varint is not minimal");
        return value;
      }
    }
  }

  Result<std::string_view> bytes(std::string_view field) {
    const std::size_t start = offset_;
    TS_ASSIGN_OR_RETURN(const std::uint64_t length, varint(field));
    if (length > remaining()) {
      return corruption(start, field,
                        "length " + std::to_string(length) + " exceeds the " +
                            std::to_string(remaining()) + " bytes remaining");
    }
    std::string_view out = bytes_.substr(offset_, static_cast<std::size_t>(length));
    offset_ += static_cast<std::size_t>(length);
    return out;
  }

  Result<NodeId> node(std::string_view field) {
    if (remaining() < kNodeBytes) {
      return corruption(offset_, field,
                        "expected 16 bytes, but only " + std::to_string(remaining()) + " remain");
    }
    std::optional<NodeId> value = NodeId::from_bytes(bytes_.substr(offset_, kNodeBytes));
    TS_ASSERT(value.has_value());  // exactly 16 bytes
    offset_ += kNodeBytes;
    return *value;
  }

  Result<std::vector<NodeId>> nodes(std::string_view field) {
    const std::size_t start = offset_;
    TS_ASSIGN_OR_RETURN(const std::uint64_t count, varint(field));
    if (count > remaining() / kNodeBytes) {
      return corruption(start, field,
                        "count " + std::to_string(count) + " exceeds the " +
                            std::to_string(remaining()) + " bytes remaining");
    }
    std::vector<NodeId> out;
    out.reserve(static_cast<std::size_t>(count));
    for (std::uint64_t index = 0; index < count; ++index) {
      TS_ASSIGN_OR_RETURN(NodeId value, node(field));
      out.push_back(value);
    }
    return out;
  }

  // A replica id of 1..64 bytes, or also of 0 bytes (the default id) when `allow_empty`.
  Result<ReplicaId> replica(std::string_view field, bool allow_empty) {
    const std::size_t start = offset_;
    TS_ASSIGN_OR_RETURN(const std::string_view value, bytes(field));
    if (value.empty() && allow_empty) return ReplicaId();
    std::optional<ReplicaId> replica_id = ReplicaId::from_bytes(value);
    if (!replica_id) {
      return corruption(start, field,
                        "replica id of " + std::to_string(value.size()) + " bytes (need 1..64)");
    }
    return *std::move(replica_id);
  }

  Result<OpKey> key(std::string_view field) {
    OpKey value;
    TS_ASSIGN_OR_RETURN(value.lamport, varint(field));
    TS_ASSIGN_OR_RETURN(value.replica, replica(field, /*allow_empty=*/true));
    TS_ASSIGN_OR_RETURN(value.counter, varint(field));
    return value;
  }

  // Accepts only the normalized form the encoder writes, so every vector has one encoding.
  Result<VersionVector> version_vector(std::string_view field) {
    const std::size_t start = offset_;
    TS_ASSIGN_OR_RETURN(const std::uint64_t replica_count, varint(field));
    // An entry is at least a replica of one byte with its length and a range count.
    if (replica_count > remaining() / 3) {
      return corruption(start, field,
                        "replica count " + std::to_string(replica_count) + " exceeds what the " +
                            std::to_string(remaining()) + " bytes remaining can hold");
    }
    VersionVector out;
    for (std::uint64_t entry = 0; entry < replica_count; ++entry) {
      const std::size_t entry_start = offset_;
      TS_ASSIGN_OR_RETURN(ReplicaId replica_id, replica(field, /*allow_empty=*/false));
      if (!out.entries.empty() && !(out.entries.rbegin()->first < replica_id)) {
        return corruption(entry_start, field, "replicas are not in strictly increasing order");
      }
      const std::size_t count_start = offset_;
      TS_ASSIGN_OR_RETURN(const std::uint64_t range_count, varint(field));
      if (range_count == 0 || range_count > remaining() / 2) {
        return corruption(count_start, field,
                          "range count " + std::to_string(range_count) + " with " +
                              std::to_string(remaining()) + " bytes remaining");
      }
      CounterRanges ranges;
      ranges.reserve(static_cast<std::size_t>(range_count));
      for (std::uint64_t index = 0; index < range_count; ++index) {
        const std::size_t range_start = offset_;
        CounterRange range;
        TS_ASSIGN_OR_RETURN(range.first, varint(field));
        TS_ASSIGN_OR_RETURN(range.last, varint(field));
        const bool separated = ranges.empty() || range.first > ranges.back().last + 1;
        if (!is_valid_range(range) || !separated) {
          return corruption(range_start, field,
                            "range [" + std::to_string(range.first) + ", " +
                                std::to_string(range.last) + "] is not valid and normalized");
        }
        ranges.push_back(range);
      }
      out.entries.emplace(std::move(replica_id), std::move(ranges));
    }
    TS_ASSERT(out.is_normalized());  // the checks above are exactly the invariant
    return out;
  }

  Status end() const {
    if (remaining() == 0) return Status::ok();
    return corruption(offset_, "end",
                      std::to_string(remaining()) + " bytes trailing after the last field");
  }

 private:
  std::string_view bytes_;
  std::size_t offset_ = 0;
};

}  // namespace

// ---- Node rows ------------------------------------------------------------------------------

std::string encode_node_row(const NodeRow& row) {
  Writer writer(kNodeRowTag);
  std::uint8_t flags = 0;
  if (row.parent) flags |= kNodeHasParent;
  if (row.deleted_at) flags |= kNodeHasDeletedAt;
  if (row.tombstoned) flags |= kNodeTombstoned;
  writer.byte(flags);
  if (row.parent) writer.node(*row.parent);
  writer.bytes(row.order_key);
  writer.version_vector(row.last_change);
  if (row.deleted_at) writer.version_vector(*row.deleted_at);
  return std::move(writer).finish();
}

Result<NodeRow> decode_node_row(NodeId node, std::string_view bytes) {
  Reader reader(bytes);
  TS_RETURN_IF_ERROR(reader.header(kNodeRowTag));
  TS_ASSIGN_OR_RETURN(const std::uint8_t flags,
                      reader.flags(kNodeHasParent | kNodeHasDeletedAt | kNodeTombstoned));
  NodeRow row;
  row.node = node;
  if ((flags & kNodeHasParent) != 0) {
    TS_ASSIGN_OR_RETURN(row.parent, reader.node("parent"));
  }
  TS_ASSIGN_OR_RETURN(const std::string_view order_key, reader.bytes("order_key"));
  row.order_key = std::string(order_key);
  TS_ASSIGN_OR_RETURN(row.last_change, reader.version_vector("last_change"));
  if ((flags & kNodeHasDeletedAt) != 0) {
    TS_ASSIGN_OR_RETURN(row.deleted_at, reader.version_vector("deleted_at"));
  }
  row.tombstoned = (flags & kNodeTombstoned) != 0;
  TS_RETURN_IF_ERROR(reader.end());
  return row;
}

// ---- Payload rows ---------------------------------------------------------------------------

std::string encode_payload_row(const PayloadRow& row) {
  Writer writer(kPayloadRowTag);
  writer.byte(row.value ? kPayloadHasValue : 0);
  if (row.value) writer.bytes(*row.value);
  writer.key(row.writer);
  return std::move(writer).finish();
}

Result<PayloadRow> decode_payload_row(NodeId node, std::string_view bytes) {
  Reader reader(bytes);
  TS_RETURN_IF_ERROR(reader.header(kPayloadRowTag));
  TS_ASSIGN_OR_RETURN(const std::uint8_t flags, reader.flags(kPayloadHasValue));
  PayloadRow row;
  row.node = node;
  if ((flags & kPayloadHasValue) != 0) {
    TS_ASSIGN_OR_RETURN(const std::string_view value, reader.bytes("value"));
    row.value = std::string(value);
  }
  TS_ASSIGN_OR_RETURN(row.writer, reader.key("writer"));
  TS_RETURN_IF_ERROR(reader.end());
  return row;
}

// ---- Undo records ---------------------------------------------------------------------------

std::string encode_undo_record(const UndoRecord& record) {
  Writer writer(kUndoRecordTag);
  std::uint8_t flags = 0;
  if (record.structural_applied) flags |= kUndoStructuralApplied;
  if (record.previous_parent) flags |= kUndoHasPreviousParent;
  if (record.deleted_at_added) flags |= kUndoHasDeletedAtAdded;
  if (record.deleted_at_was_absent) flags |= kUndoDeletedAtWasAbsent;
  if (record.payload_applied) flags |= kUndoPayloadApplied;
  if (record.previous_payload_present) flags |= kUndoPreviousPayloadPresent;
  if (record.previous_value) flags |= kUndoHasPreviousValue;
  writer.byte(flags);
  writer.node(record.node);
  writer.nodes(record.created_nodes);
  if (record.previous_parent) writer.node(*record.previous_parent);
  writer.bytes(record.previous_order_key);
  writer.nodes(record.dotted_nodes);
  if (record.deleted_at_added) writer.version_vector(*record.deleted_at_added);
  if (record.previous_value) writer.bytes(*record.previous_value);
  writer.key(record.previous_writer);
  writer.varint(record.previous_tombstoned.size());
  for (const auto& [node, tombstoned] : record.previous_tombstoned) {
    writer.node(node);
    writer.byte(tombstoned ? 1 : 0);
  }
  return std::move(writer).finish();
}

Result<UndoRecord> decode_undo_record(const OpKey& key, std::string_view bytes) {
  Reader reader(bytes);
  TS_RETURN_IF_ERROR(reader.header(kUndoRecordTag));
  TS_ASSIGN_OR_RETURN(
      const std::uint8_t flags,
      reader.flags(kUndoStructuralApplied | kUndoHasPreviousParent | kUndoHasDeletedAtAdded |
                   kUndoDeletedAtWasAbsent | kUndoPayloadApplied | kUndoPreviousPayloadPresent |
                   kUndoHasPreviousValue));
  UndoRecord record;
  record.key = key;
  record.structural_applied = (flags & kUndoStructuralApplied) != 0;
  record.deleted_at_was_absent = (flags & kUndoDeletedAtWasAbsent) != 0;
  record.payload_applied = (flags & kUndoPayloadApplied) != 0;
  record.previous_payload_present = (flags & kUndoPreviousPayloadPresent) != 0;
  TS_ASSIGN_OR_RETURN(record.node, reader.node("node"));
  TS_ASSIGN_OR_RETURN(record.created_nodes, reader.nodes("created_nodes"));
  if ((flags & kUndoHasPreviousParent) != 0) {
    TS_ASSIGN_OR_RETURN(record.previous_parent, reader.node("previous_parent"));
  }
  TS_ASSIGN_OR_RETURN(const std::string_view order_key, reader.bytes("previous_order_key"));
  record.previous_order_key = std::string(order_key);
  TS_ASSIGN_OR_RETURN(record.dotted_nodes, reader.nodes("dotted_nodes"));
  if ((flags & kUndoHasDeletedAtAdded) != 0) {
    TS_ASSIGN_OR_RETURN(record.deleted_at_added, reader.version_vector("deleted_at_added"));
  }
  if ((flags & kUndoHasPreviousValue) != 0) {
    TS_ASSIGN_OR_RETURN(const std::string_view value, reader.bytes("previous_value"));
    record.previous_value = std::string(value);
  }
  TS_ASSIGN_OR_RETURN(record.previous_writer, reader.key("previous_writer"));
  const std::size_t count_start = reader.offset();
  TS_ASSIGN_OR_RETURN(const std::uint64_t tombstoned_count, reader.varint("previous_tombstoned"));
  if (tombstoned_count > reader.remaining() / (kNodeBytes + 1)) {
    return reader.corruption(count_start, "previous_tombstoned",
                             "count " + std::to_string(tombstoned_count) + " exceeds the " +
                                 std::to_string(reader.remaining()) + " bytes remaining");
  }
  record.previous_tombstoned.reserve(static_cast<std::size_t>(tombstoned_count));
  for (std::uint64_t index = 0; index < tombstoned_count; ++index) {
    TS_ASSIGN_OR_RETURN(const NodeId node, reader.node("previous_tombstoned"));
    TS_ASSIGN_OR_RETURN(const bool tombstoned, reader.boolean("previous_tombstoned"));
    record.previous_tombstoned.emplace_back(node, tombstoned);
  }
  TS_RETURN_IF_ERROR(reader.end());
  return record;
}

// ---- Metadata -------------------------------------------------------------------------------

std::string encode_store_meta(const StoreMeta& meta) {
  Writer writer(kStoreMetaTag);
  const bool frontier_key =
      meta.frontier.kind == Frontier::Kind::kKey || !(meta.frontier.key == OpKey{});
  std::uint8_t flags = 0;
  if (meta.head.key) flags |= kMetaHasHeadKey;
  if (meta.undo_floor) flags |= kMetaHasUndoFloor;
  if (frontier_key) flags |= kMetaHasFrontierKey;
  writer.byte(flags);
  if (meta.head.key) writer.key(*meta.head.key);
  writer.varint(meta.head.seq);
  writer.byte(static_cast<std::uint8_t>(meta.frontier.kind));
  if (frontier_key) writer.key(meta.frontier.key);
  if (meta.undo_floor) writer.key(*meta.undo_floor);
  return std::move(writer).finish();
}

Result<StoreMeta> decode_store_meta(std::string_view bytes) {
  Reader reader(bytes);
  TS_RETURN_IF_ERROR(reader.header(kStoreMetaTag));
  TS_ASSIGN_OR_RETURN(const std::uint8_t flags,
                      reader.flags(kMetaHasHeadKey | kMetaHasUndoFloor | kMetaHasFrontierKey));
  StoreMeta meta;
  if ((flags & kMetaHasHeadKey) != 0) {
    TS_ASSIGN_OR_RETURN(meta.head.key, reader.key("head.key"));
  }
  TS_ASSIGN_OR_RETURN(meta.head.seq, reader.varint("head.seq"));
  const std::size_t kind_start = reader.offset();
  TS_ASSIGN_OR_RETURN(const std::uint8_t kind, reader.byte("frontier.kind"));
  if (kind > static_cast<std::uint8_t>(Frontier::Kind::kKey)) {
    return reader.corruption(
        kind_start, "frontier.kind",
        "unknown kind " + std::to_string(kind) + " (known: 0 none, 1 start, 2 key)");
  }
  meta.frontier.kind = static_cast<Frontier::Kind>(kind);
  if ((flags & kMetaHasFrontierKey) != 0) {
    TS_ASSIGN_OR_RETURN(meta.frontier.key, reader.key("frontier.key"));
  } else if (meta.frontier.kind == Frontier::Kind::kKey) {
    return reader.corruption(2, "flags", "a frontier of kind key without its key");
  }
  if ((flags & kMetaHasUndoFloor) != 0) {
    TS_ASSIGN_OR_RETURN(meta.undo_floor, reader.key("undo_floor"));
  }
  TS_RETURN_IF_ERROR(reader.end());
  return meta;
}

}  // namespace treesim
