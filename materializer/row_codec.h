// Row blobs: the compact binary form in which SqliteStore keeps node rows, payload rows, undo
// records and the store's metadata (ops keep the wire format of core/binary_codec.h).
//
// A row's key (its node id, or its undo record's op key) lives in the table's key columns, not
// in the blob: the decoder is given the key and puts it into the row, so a row can never
// disagree with the key it is stored under. Every field of the structs is kept, including
// values that the materializer never writes (an empty replica id, a frontier of kind none with
// a key), so that encoding then decoding returns an equal value for every possible input.
//
// Layout (version 1). varint = minimal unsigned LEB128 of at most 10 bytes, as in
// binary_codec.h; bytes = varint length | bytes; node = 16 bytes big-endian (NodeId::to_bytes).
//
//   header      := tag (1 byte: 'N' node, 'P' payload, 'U' undo, 'M' meta) | version (1 byte = 1)
//   key         := lamport varint | replica bytes (0..64; empty = the default ReplicaId)
//                | counter varint
//   vv          := replica_count varint | (replica bytes (1..64) | range_count varint (>= 1)
//                | (first varint | last varint) * range_count) * replica_count
//                  replicas strictly increasing, ranges normalized (VersionVector's invariant)
//   node row    := header | flags (bit 0 parent, bit 1 deleted_at, bit 2 tombstoned)
//                | [parent node] | order_key bytes | last_change vv | [deleted_at vv]
//   payload row := header | flags (bit 0 value) | [value bytes] | writer key
//   undo record := header | flags (bit 0 structural_applied, bit 1 previous_parent,
//                  bit 2 deleted_at_added, bit 3 deleted_at_was_absent, bit 4 payload_applied,
//                  bit 5 previous_payload_present, bit 6 previous_value)
//                | node | created_nodes (count varint | node*) | [previous_parent node]
//                | previous_order_key bytes | dotted_nodes (count varint | node*)
//                | [deleted_at_added vv] | [previous_value bytes] | previous_writer key
//                | previous_tombstoned (count varint | (node | flag byte 0/1)*)
//   meta        := header | flags (bit 0 head key, bit 1 undo_floor, bit 2 frontier key)
//                | [head key] | head seq varint | frontier kind (1 byte: 0 none, 1 start, 2 key)
//                | [frontier key] | [undo_floor key]
//
// Every flag byte must have its unused bits clear; the blob must end exactly after its last
// field. The frontier key is written when the frontier is of kind key or its key is not the
// default one.
//
// Errors. Decoding never reads out of bounds, never crashes, and bounds every count by the
// bytes remaining before it allocates. A blob that does not decode is kCorruption with a
// message "byte <offset>: field '<name>': <problem>"; the caller adds the table and the key.
#pragma once

#include <string>
#include <string_view>

#include "core/node_id.h"
#include "core/op.h"
#include "core/status.h"
#include "materializer/store.h"
#include "materializer/undo_record.h"

namespace treesim {

inline constexpr char kNodeRowTag = 'N';
inline constexpr char kPayloadRowTag = 'P';
inline constexpr char kUndoRecordTag = 'U';
inline constexpr char kStoreMetaTag = 'M';
inline constexpr std::uint8_t kRowFormatVersion = 1;

// Encoders accept every value of their struct. Decoders take the key the row is stored under.
std::string encode_node_row(const NodeRow& row);
Result<NodeRow> decode_node_row(NodeId node, std::string_view bytes);

std::string encode_payload_row(const PayloadRow& row);
Result<PayloadRow> decode_payload_row(NodeId node, std::string_view bytes);

std::string encode_undo_record(const UndoRecord& record);
Result<UndoRecord> decode_undo_record(const OpKey& key, std::string_view bytes);

std::string encode_store_meta(const StoreMeta& meta);
Result<StoreMeta> decode_store_meta(std::string_view bytes);

}  // namespace treesim
