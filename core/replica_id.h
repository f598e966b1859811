// ReplicaId: a byte string of 1..64 bytes (SEMANTICS.md §1).
//
// Ordered byte-wise as unsigned bytes with a proper prefix first (memcmp, then length): the
// order of SQLite BLOBs and Postgres BYTEA, and the replica component of the canonical op order.
#pragma once

#include <compare>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace treesim {

class ReplicaId {
 public:
  static constexpr std::size_t kMaxBytes = 64;

  // An empty id; not valid for any op. Exists so ReplicaId can live in containers.
  ReplicaId() = default;

  // Returns nullopt unless 1 <= bytes.size() <= 64.
  static std::optional<ReplicaId> from_bytes(std::string_view bytes);
  // Hex text of 1..64 bytes.
  static std::optional<ReplicaId> from_hex(std::string_view text);
  // For tests and the simulator: the given bytes, asserted to be valid.
  static ReplicaId of(std::string_view bytes);

  const std::string& bytes() const { return bytes_; }
  bool is_valid() const { return !bytes_.empty() && bytes_.size() <= kMaxBytes; }
  std::string to_hex() const;
  // Printable ASCII ids print as themselves ("a"), others as "0x<hex>".
  std::string to_display() const;

  friend std::strong_ordering operator<=>(const ReplicaId& a, const ReplicaId& b);
  friend bool operator==(const ReplicaId& a, const ReplicaId& b) { return a.bytes_ == b.bytes_; }

 private:
  explicit ReplicaId(std::string bytes) : bytes_(std::move(bytes)) {}
  std::string bytes_;
};

}  // namespace treesim
