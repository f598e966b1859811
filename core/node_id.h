// NodeId: an unsigned 128-bit node identifier (SEMANTICS.md §1).
//
// ROOT is 0 and TRASH is 2^128 - 1. The 16-byte big-endian encoding sorts like the number, so
// byte order and numeric order agree everywhere (codecs, SQLite BLOB keys, snapshots).
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace treesim {

struct NodeId {
  std::uint64_t high = 0;
  std::uint64_t low = 0;

  static constexpr NodeId root() { return NodeId{0, 0}; }
  static constexpr NodeId trash() { return NodeId{~std::uint64_t{0}, ~std::uint64_t{0}}; }
  static constexpr NodeId from_low(std::uint64_t low) { return NodeId{0, low}; }

  constexpr bool is_root() const { return high == 0 && low == 0; }
  constexpr bool is_trash() const { return *this == trash(); }
  // ROOT and TRASH are reserved: no op can insert, move or delete them.
  constexpr bool is_reserved() const { return is_root() || is_trash(); }

  // 16 bytes, big-endian.
  std::string to_bytes() const;
  // Exactly 16 bytes, else nullopt.
  static std::optional<NodeId> from_bytes(std::string_view bytes);

  // 32 lower-case hex digits.
  std::string to_hex() const;
  // Exactly 32 hex digits (either case), else nullopt.
  static std::optional<NodeId> from_hex(std::string_view text);

  // "ROOT", "TRASH", or "0x" followed by the shortest hex form (for messages and reports).
  std::string to_display() const;

  friend constexpr auto operator<=>(const NodeId&, const NodeId&) = default;
};

// For hash maps keyed by node id. Lookup only: every walk over such a map that can reach output
// (a snapshot, a message, a trace) collects and sorts the ids first.
struct NodeIdHash {
  std::size_t operator()(const NodeId& id) const {
    return static_cast<std::size_t>(id.low * 0x9E3779B97F4A7C15ull ^ id.high);
  }
};

inline constexpr NodeId kRoot = NodeId::root();
inline constexpr NodeId kTrash = NodeId::trash();

}  // namespace treesim
