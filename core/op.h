// Operations of the replicated tree (SEMANTICS.md §1-2): ids, the canonical order, and the
// validation every decoder and every append applies before anything is stored.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>

#include "core/node_id.h"
#include "core/replica_id.h"
#include "core/status.h"
#include "core/version_vector.h"

namespace treesim {

// Lamport values are in [1, 2^63), like counters.
inline constexpr std::uint64_t kMaxLamport = kMaxCounter;
// Bounds that keep one op's size sane; SEMANTICS.md leaves sizes open (docs/semantics-decisions.md).
inline constexpr std::size_t kMaxOrderKeyBytes = 4096;
inline constexpr std::size_t kMaxPayloadBytes = 1 << 20;
inline constexpr std::size_t kMaxKnownStateRanges = 1 << 16;

struct OpId {
  ReplicaId replica;
  std::uint64_t counter = 0;

  std::string to_display() const;  // "a:3"
  friend auto operator<=>(const OpId&, const OpId&) = default;
  friend bool operator==(const OpId&, const OpId&) = default;
};

// The canonical position of an op: (lamport, replica bytes, counter), compared
// lexicographically. Total over distinct op ids; the only order that matters for state.
struct OpKey {
  std::uint64_t lamport = 0;
  ReplicaId replica;
  std::uint64_t counter = 0;

  OpId id() const { return OpId{replica, counter}; }
  std::string to_display() const;  // "(5,a,3)"
  friend auto operator<=>(const OpKey&, const OpKey&) = default;
  friend bool operator==(const OpKey&, const OpKey&) = default;
};

enum class OpKind : std::uint8_t {
  kInsert = 1,
  kMove = 2,
  kDelete = 3,
  kTombstone = 4,
  kPayload = 5,
};

const char* op_kind_name(OpKind kind);  // "insert", "move", "delete", "tombstone", "payload"
std::optional<OpKind> op_kind_from_name(std::string_view name);

// One operation. A flat struct: fields a kind does not use hold their default values (the
// validator insists), so `==` is content equality, which is what equivocation detection needs.
//
//   kind       node  parent                order_key  payload                known_state
//   Insert     yes   parent                yes        optional: absent =     optional
//                                                     leave untouched
//   Move       yes   new parent (or TRASH) yes        -                      optional
//   Delete     yes   -                     -          -                      required
//   Tombstone  yes   -                     -          -                      optional
//   Payload    yes   -                     -          optional: absent =     optional
//                                                     clear
struct Op {
  OpId id;
  std::uint64_t lamport = 0;
  std::optional<VersionVector> known_state;
  OpKind kind = OpKind::kInsert;
  NodeId node;
  NodeId parent;
  std::string order_key;
  std::optional<std::string> payload;

  OpKey key() const { return OpKey{lamport, id.replica, id.counter}; }

  // "a:3@5 move 0x7 -> 0x2 key=8000" (for messages, traces and shrunk scenarios).
  std::string to_display() const;

  friend bool operator==(const Op&, const Op&) = default;
};

// Builders used by tests, the simulator and local ops. They produce ops of the given shape; call
// validate_op() before trusting one built from untrusted parts.
Op make_insert(OpId id, std::uint64_t lamport, NodeId parent, NodeId node, std::string order_key,
               std::optional<std::string> payload = std::nullopt);
Op make_move(OpId id, std::uint64_t lamport, NodeId node, NodeId new_parent,
             std::string order_key);
Op make_delete(OpId id, std::uint64_t lamport, NodeId node, VersionVector known_state);
Op make_tombstone(OpId id, std::uint64_t lamport, NodeId node,
                  std::optional<VersionVector> known_state = std::nullopt);
Op make_payload(OpId id, std::uint64_t lamport, NodeId node, std::optional<std::string> value);

// Checks every rule of SEMANTICS.md §1-2 (ids and lamport in range, replica 1..64 bytes, even
// order key, Delete carries known_state, unused fields empty, known_state normalized) plus the
// size bounds above. The error names the offending field.
Status validate_op(const Op& op);

// Canonical comparison of two ops (by key); the same as comparing op.key().
inline bool canonical_less(const Op& a, const Op& b) { return a.key() < b.key(); }

}  // namespace treesim
