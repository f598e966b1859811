#include "core/node_id.h"

#include <cstdio>

#include "core/hex.h"

namespace treesim {
namespace {

void put_be64(std::string& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xFF));
  }
}

std::uint64_t get_be64(std::string_view bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

}  // namespace

std::string NodeId::to_bytes() const {
  std::string out;
  out.reserve(16);
  put_be64(out, high);
  put_be64(out, low);
  return out;
}

std::optional<NodeId> NodeId::from_bytes(std::string_view bytes) {
  if (bytes.size() != 16) return std::nullopt;
  return NodeId{get_be64(bytes.substr(0, 8)), get_be64(bytes.substr(8, 8))};
}

std::string NodeId::to_hex() const { return treesim::to_hex(to_bytes()); }

std::optional<NodeId> NodeId::from_hex(std::string_view text) {
  if (text.size() != 32) return std::nullopt;
  auto bytes = treesim::from_hex(text);
  if (!bytes) return std::nullopt;
  return from_bytes(*bytes);
}

std::string NodeId::to_display() const {
  if (is_root()) return "ROOT";
  if (is_trash()) return "TRASH";
  char buffer[40];
  if (high == 0) {
    std::snprintf(buffer, sizeof buffer, "0x%llx", static_cast<unsigned long long>(low));
  } else {
    std::snprintf(buffer, sizeof buffer, "0x%llx%016llx", static_cast<unsigned long long>(high),
                  static_cast<unsigned long long>(low));
  }
  return buffer;
}

}  // namespace treesim
