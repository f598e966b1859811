// Verbs shared by every test that replays the examples of SEMANTICS.md §9 (the model's tests in
// tests/model/, the materializer's in tests/materializer/), so an example reads the same
// everywhere: an op is stamped "a1@5" (replica a, counter 1, lamport 5), nodes have one-letter
// names, version vectors are written "a:1..2 b:2", and a visible tree is written as text such
// as "ROOT(P(C) Q)". Nothing here knows which implementation folds the ops.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/assert.h"
#include "core/node_id.h"
#include "core/op.h"
#include "core/version_vector.h"

namespace treesim {

// Lets GoogleTest print node ids (and optional node ids) readably in failure messages.
inline void PrintTo(const NodeId& node, std::ostream* out) { *out << node.to_display(); }

}  // namespace treesim

namespace treesim::test_support::verbs {

// The node names used by the examples. Distinct small ids; siblings with equal keys order by id,
// which follows the order of this list.
struct NamedNode {
  const char* name;
  NodeId node;
};
inline const std::vector<NamedNode>& NodeNames() {
  static const std::vector<NamedNode> names = {
      {"A", NodeId::from_low(0x0A)},  {"B", NodeId::from_low(0x0B)},  {"C", NodeId::from_low(0x0C)},
      {"C1", NodeId::from_low(0xC1)}, {"C2", NodeId::from_low(0xC2)}, {"G", NodeId::from_low(0x10)},
      {"L", NodeId::from_low(0x11)},  {"N", NodeId::from_low(0x12)},  {"P", NodeId::from_low(0x13)},
      {"Q", NodeId::from_low(0x14)},  {"R", NodeId::from_low(0x15)},  {"X", NodeId::from_low(0x16)},
  };
  return names;
}
inline NodeId Named(std::string_view name) {
  for (const NamedNode& named : NodeNames()) {
    if (name == named.name) return named.node;
  }
  TS_UNREACHABLE();
}
inline const NodeId kA = Named("A");
inline const NodeId kB = Named("B");
inline const NodeId kC = Named("C");
inline const NodeId kC1 = Named("C1");
inline const NodeId kC2 = Named("C2");
inline const NodeId kG = Named("G");
inline const NodeId kL = Named("L");
inline const NodeId kN = Named("N");
inline const NodeId kP = Named("P");
inline const NodeId kQ = Named("Q");
inline const NodeId kR = Named("R");
inline const NodeId kX = Named("X");

// "ROOT", "TRASH", the example name ("P"), or the display form for any other id.
inline std::string NameOf(NodeId node) {
  if (node.is_root()) return "ROOT";
  if (node.is_trash()) return "TRASH";
  for (const NamedNode& named : NodeNames()) {
    if (named.node == node) return named.name;
  }
  return node.to_display();
}

// "a1@5" -> id a:1, lamport 5. The replica is the leading non-digit text.
struct Stamp {
  OpId id;
  std::uint64_t lamport = 0;
};
inline Stamp ParseStamp(std::string_view text) {
  const std::size_t digits = text.find_first_of("0123456789");
  const std::size_t at = text.find('@');
  TS_ASSERT(digits != std::string_view::npos && digits > 0);
  TS_ASSERT(at != std::string_view::npos && at > digits);
  Stamp stamp;
  stamp.id.replica = ReplicaId::of(text.substr(0, digits));
  stamp.id.counter = std::stoull(std::string(text.substr(digits, at - digits)));
  stamp.lamport = std::stoull(std::string(text.substr(at + 1)));
  return stamp;
}

// A one-digit order key (16-bit big-endian digit). Key() is the middle digit 0x8000.
inline std::string Key(std::uint16_t digit = 0x8000) {
  return std::string{static_cast<char>(digit >> 8), static_cast<char>(digit & 0xFF)};
}

// "a:1..2,5 b:2" -> {a:{1,2,5}, b:{2}}; "" -> the empty version vector.
inline VersionVector Vv(std::string_view text) {
  std::vector<std::pair<ReplicaId, CounterRange>> ranges;
  std::size_t position = 0;
  while (position < text.size()) {
    std::size_t end = text.find(' ', position);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view entry = text.substr(position, end - position);
    position = end + 1;
    if (entry.empty()) continue;
    const std::size_t colon = entry.find(':');
    TS_ASSERT(colon != std::string_view::npos);
    const ReplicaId replica = ReplicaId::of(entry.substr(0, colon));
    std::string_view list = entry.substr(colon + 1);
    while (!list.empty()) {
      std::size_t comma = list.find(',');
      if (comma == std::string_view::npos) comma = list.size();
      const std::string item(list.substr(0, comma));
      list = comma < list.size() ? list.substr(comma + 1) : std::string_view();
      const std::size_t dots = item.find("..");
      const std::uint64_t first = std::stoull(item.substr(0, dots));
      const std::uint64_t last =
          dots == std::string::npos ? first : std::stoull(item.substr(dots + 2));
      ranges.push_back({replica, CounterRange{first, last}});
    }
  }
  return VersionVector::from_ranges(ranges);
}

// Op builders named after the op kinds.
inline Op Insert(std::string_view stamp, NodeId parent, NodeId node, std::string key = Key()) {
  const Stamp s = ParseStamp(stamp);
  return make_insert(s.id, s.lamport, parent, node, std::move(key));
}
inline Op InsertWithPayload(std::string_view stamp, NodeId parent, NodeId node,
                            std::string payload) {
  const Stamp s = ParseStamp(stamp);
  return make_insert(s.id, s.lamport, parent, node, Key(), std::move(payload));
}
inline Op Move(std::string_view stamp, NodeId node, NodeId new_parent, std::string key = Key()) {
  const Stamp s = ParseStamp(stamp);
  return make_move(s.id, s.lamport, node, new_parent, std::move(key));
}
inline Op Delete(std::string_view stamp, NodeId node, std::string_view known_state) {
  const Stamp s = ParseStamp(stamp);
  return make_delete(s.id, s.lamport, node, Vv(known_state));
}
inline Op Delete(std::string_view stamp, NodeId node, VersionVector known_state) {
  const Stamp s = ParseStamp(stamp);
  return make_delete(s.id, s.lamport, node, std::move(known_state));
}
inline Op Tombstone(std::string_view stamp, NodeId node,
                    std::optional<std::string_view> known_state = std::nullopt) {
  const Stamp s = ParseStamp(stamp);
  std::optional<VersionVector> vv;
  if (known_state) vv = Vv(*known_state);
  return make_tombstone(s.id, s.lamport, node, std::move(vv));
}
inline Op Payload(std::string_view stamp, NodeId node, std::string value) {
  const Stamp s = ParseStamp(stamp);
  return make_payload(s.id, s.lamport, node, std::move(value));
}
inline Op ClearPayload(std::string_view stamp, NodeId node) {
  const Stamp s = ParseStamp(stamp);
  return make_payload(s.id, s.lamport, node, std::nullopt);
}

// The visible tree below `node` as text: each node's name followed by its visible children in
// parentheses, e.g. "ROOT(P(C) Q)". `children(n)` returns the visible children of n in order;
// each implementation passes its own children() query, so the text shows what a user sees.
template <typename Children>
std::string VisibleShape(NodeId node, const Children& children) {
  std::string out = NameOf(node);
  const std::vector<NodeId> below = children(node);
  if (below.empty()) return out;
  out += '(';
  for (std::size_t i = 0; i < below.size(); ++i) {
    if (i > 0) out += ' ';
    out += VisibleShape(below[i], children);
  }
  out += ')';
  return out;
}

// Calls `visit(delivered)` with `ops` in every order (all n! permutations), each under a
// SCOPED_TRACE naming the order. Returns the number of orders.
template <typename Visit>
std::size_t ForEveryPermutation(const std::vector<Op>& ops, Visit visit) {
  std::vector<std::size_t> order(ops.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::size_t order_count = 0;
  do {
    std::vector<Op> delivered;
    std::string trace = "delivery order:";
    for (std::size_t index : order) {
      delivered.push_back(ops[index]);
      trace += " " + ops[index].id.to_display();
    }
    SCOPED_TRACE(trace);
    visit(delivered);
    ++order_count;
  } while (std::next_permutation(order.begin(), order.end()));
  return order_count;
}

// n!, to state how many orders a test expects to have tried.
inline std::size_t Factorial(std::size_t n) { return n <= 1 ? 1 : n * Factorial(n - 1); }

}  // namespace treesim::test_support::verbs
