// The binary op-batch format: the wire format between replicas and the libFuzzer input format
// for ops.
//
// The decoder is the first thing untrusted bytes meet, so it is written to survive any input:
// it never reads out of bounds, checks every length and count against the bytes remaining
// before it allocates, and returns a Status for every malformed input instead of asserting.
//
// Layout (version 1). "varint" is unsigned LEB128: 7 bits a byte, least significant group
// first, high bit set on every byte but the last; at most 10 bytes, at most 64 bits, and
// minimal (no redundant trailing 0x80/0x00 groups), so every value has exactly one encoding.
//
//   batch       := magic "TSOB" (4 bytes) | version (1 byte, = 1) | op_count varint | op*
//   op          := kind (1 byte: 1 insert, 2 move, 3 delete, 4 tombstone, 5 payload)
//                | replica_length varint (1..64) | replica bytes
//                | counter varint | lamport varint
//                | flags (1 byte: bit 0 = has known_state, bit 1 = has payload, others 0)
//                | node (16 bytes, big-endian; NodeId::to_bytes)
//                | [insert, move only] parent (16 bytes) | key_length varint | key bytes
//                | [if flag bit 1]     payload_length varint | payload bytes
//                | [if flag bit 0]     known_state
//   known_state := replica_count varint | entry*
//   entry       := replica_length varint (1..64) | replica bytes
//                | range_count varint | (first varint | last varint) * range_count
//
// The payload flag may be set only on insert and payload ops. The encoder writes known_state
// entries in replica order with normalized ranges; the decoder accepts any valid ranges
// (unsorted, overlapping, touching, a replica listed in several entries, an entry with no
// ranges) and normalizes them by union, as SEMANTICS.md §3 requires of every wire form.
//
// Errors. Bytes that do not decode are kCorruption; an unknown format version is
// kUnsupported; a decoded value that breaks a rule of SEMANTICS.md §1-2 (validate_op(), a
// replica id of the wrong size, an invalid counter range) is kInvalidArgument. Every message
// starts with the byte offset and names the op and the field, e.g.
// "byte 37: op 2: field 'order_key': length 9000 exceeds the 12 bytes remaining". Errors that
// validate_op() finds name the offset where the op starts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/op.h"
#include "core/status.h"

namespace treesim {

inline constexpr std::string_view kBinaryBatchMagic = "TSOB";
inline constexpr std::uint8_t kBinaryBatchVersion = 1;

// Flag bits of the per-op flags byte.
inline constexpr std::uint8_t kBinaryFlagKnownState = 0x01;
inline constexpr std::uint8_t kBinaryFlagPayload = 0x02;

// Encodes `ops` in the layout above. Precondition: every op passes validate_op() (asserted),
// so that everything this function writes decodes again.
std::string encode_batch(const std::vector<Op>& ops);

// Decodes a whole batch. On success every op has passed validate_op() and its known_state is
// normalized; on failure nothing is returned but the Status (see "Errors" above). Never
// crashes and never allocates more than a constant factor of `bytes.size()`.
Result<std::vector<Op>> decode_batch(std::string_view bytes);

}  // namespace treesim
