#include "core/replica_id.h"

#include <algorithm>
#include <cstring>

#include "core/assert.h"
#include "core/hex.h"

namespace treesim {

std::optional<ReplicaId> ReplicaId::from_bytes(std::string_view bytes) {
  if (bytes.empty() || bytes.size() > kMaxBytes) return std::nullopt;
  return ReplicaId(std::string(bytes));
}

std::optional<ReplicaId> ReplicaId::from_hex(std::string_view text) {
  auto bytes = treesim::from_hex(text);
  if (!bytes) return std::nullopt;
  return from_bytes(*bytes);
}

ReplicaId ReplicaId::of(std::string_view bytes) {
  auto id = from_bytes(bytes);
  TS_ASSERT(id.has_value());
  return *id;
}

std::string ReplicaId::to_hex() const { return treesim::to_hex(bytes_); }

std::string ReplicaId::to_display() const {
  const bool printable = !bytes_.empty() && std::all_of(bytes_.begin(), bytes_.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
  });
  return printable ? bytes_ : "0x" + to_hex();
}

std::strong_ordering operator<=>(const ReplicaId& a, const ReplicaId& b) {
  const std::size_t common = std::min(a.bytes_.size(), b.bytes_.size());
  // memcmp compares as unsigned char, which is the order the contract requires.
  const int c = common == 0 ? 0 : std::memcmp(a.bytes_.data(), b.bytes_.data(), common);
  if (c != 0) return c < 0 ? std::strong_ordering::less : std::strong_ordering::greater;
  return a.bytes_.size() <=> b.bytes_.size();
}

}  // namespace treesim
