// RapidCheck generators of valid ops (SEMANTICS.md §1-2), shared by the codec tests, the model
// tests and anything else that needs arbitrary ops.
//
// Every generated op passes validate_op(). The generators lean on the edges that break codecs:
// replica ids of 1 and 64 bytes with high bytes, counters and lamports at the varint length
// boundaries and at 1 and 2^63 - 1, ROOT and TRASH, empty keys and payloads, absent payloads,
// and known_state vectors with gaps. A few short replica names recur so that a batch has ops
// and known_state entries of the same replicas.
#pragma once

#include <rapidcheck.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "core/op.h"

namespace treesim {

// How RapidCheck and GoogleTest print an op in a counterexample: the one-line display form.
inline void showValue(const Op& op, std::ostream& os) { os << op.to_display(); }
inline void PrintTo(const Op& op, std::ostream* os) { *os << op.to_display(); }

namespace arbitrary {

// Any byte, with 0x00, 0x7f, 0x80 and 0xff (sign and high-bit edges) drawn often.
inline rc::Gen<char> byte() {
  return rc::gen::map(rc::gen::weightedOneOf<int>({
                          {3, rc::gen::inRange(0, 256)},
                          {1, rc::gen::element(0x00, 0x7f, 0x80, 0xff)},
                      }),
                      [](int value) { return static_cast<char>(value); });
}

inline rc::Gen<std::string> bytes() { return rc::gen::container<std::string>(byte()); }

// Counters and lamports: [1, 2^63), mostly small, with the LEB128 length edges and both ends.
inline rc::Gen<std::uint64_t> counter() {
  return rc::gen::weightedOneOf<std::uint64_t>({
      {4, rc::gen::inRange<std::uint64_t>(1, 1000)},
      {2, rc::gen::elementOf(
              std::vector<std::uint64_t>{1, 127, 128, 16383, 16384, std::uint64_t{1} << 32,
                                         std::uint64_t{1} << 56, kMaxCounter - 1, kMaxCounter})},
      {2, rc::gen::inRange<std::uint64_t>(1, kMaxCounter + 1)},
  });
}

// Replica ids of 1..64 arbitrary bytes, or one of a few short names that recur across ops.
inline rc::Gen<ReplicaId> replica_id() {
  auto length = rc::gen::weightedOneOf<std::size_t>({
      {3, rc::gen::inRange<std::size_t>(1, ReplicaId::kMaxBytes + 1)},
      {1, rc::gen::elementOf(std::vector<std::size_t>{1, ReplicaId::kMaxBytes})},
  });
  auto random = rc::gen::mapcat(length, [](std::size_t size) {
    return rc::gen::map(rc::gen::container<std::string>(size, byte()),
                        [](const std::string& text) { return ReplicaId::of(text); });
  });
  return rc::gen::weightedOneOf<ReplicaId>({
      {2, rc::gen::map(rc::gen::element(std::string("a"), std::string("b"), std::string("c")),
                       [](const std::string& text) { return ReplicaId::of(text); })},
      {1, random},
  });
}

// ROOT, TRASH, small ids like a test would write, and any 128-bit value.
inline rc::Gen<NodeId> node_id() {
  return rc::gen::weightedOneOf<NodeId>({
      {1, rc::gen::element(kRoot, kTrash)},
      {2, rc::gen::map(rc::gen::inRange<std::uint64_t>(1, 100), NodeId::from_low)},
      {2, rc::gen::map(rc::gen::pair(rc::gen::arbitrary<std::uint64_t>(),
                                     rc::gen::arbitrary<std::uint64_t>()),
                       [](const std::pair<std::uint64_t, std::uint64_t>& halves) {
                         return NodeId{halves.first, halves.second};
                       })},
  });
}

// Keys of whole 16-bit digits (even length, possibly empty), far below kMaxOrderKeyBytes.
inline rc::Gen<std::string> order_key() {
  return rc::gen::map(
      rc::gen::container<std::vector<std::uint16_t>>(rc::gen::arbitrary<std::uint16_t>()),
      [](const std::vector<std::uint16_t>& digits) {
        std::string key;
        for (std::uint16_t digit : digits) {
          key.push_back(static_cast<char>(digit >> 8));
          key.push_back(static_cast<char>(digit & 0xFF));
        }
        return key;
      });
}

// Absent, empty, or arbitrary bytes.
inline rc::Gen<std::optional<std::string>> payload() {
  return rc::gen::weightedOneOf<std::optional<std::string>>({
      {1, rc::gen::just(std::optional<std::string>())},
      {1, rc::gen::just(std::optional<std::string>(""))},
      {3, rc::gen::map(
              bytes(),
              [](std::string value) { return std::optional<std::string>(std::move(value)); })},
  });
}

// Normalized version vectors with gaps: the union of short ranges at arbitrary counters.
inline rc::Gen<VersionVector> version_vector() {
  return rc::gen::exec([] {
    const auto range_count = *rc::gen::inRange<std::size_t>(0, 8);
    std::vector<std::pair<ReplicaId, CounterRange>> ranges;
    for (std::size_t i = 0; i < range_count; ++i) {
      const ReplicaId replica = *replica_id();
      const std::uint64_t first = *counter();
      const std::uint64_t length = *rc::gen::inRange<std::uint64_t>(0, 4);
      // `first + length` stays in range: length is at most kMaxCounter - first.
      const std::uint64_t last = first + std::min(length, kMaxCounter - first);
      ranges.emplace_back(replica, CounterRange{first, last});
    }
    return VersionVector::from_ranges(ranges);
  });
}

inline rc::Gen<std::optional<VersionVector>> known_state() {
  return rc::gen::weightedOneOf<std::optional<VersionVector>>({
      {1, rc::gen::just(std::optional<VersionVector>())},
      {2,
       rc::gen::map(version_vector(),
                    [](VersionVector vv) { return std::optional<VersionVector>(std::move(vv)); })},
  });
}

// A valid op of any of the five kinds.
inline rc::Gen<Op> op() {
  return rc::gen::exec([] {
    const OpKind kind = *rc::gen::element(OpKind::kInsert, OpKind::kMove, OpKind::kDelete,
                                          OpKind::kTombstone, OpKind::kPayload);
    const OpId id{*replica_id(), *counter()};
    const std::uint64_t lamport = *counter();
    const NodeId node = *node_id();
    Op result;
    switch (kind) {
      case OpKind::kInsert:
        result = make_insert(id, lamport, *node_id(), node, *order_key(), *payload());
        break;
      case OpKind::kMove:
        result = make_move(id, lamport, node, *node_id(), *order_key());
        break;
      case OpKind::kDelete:
        result = make_delete(id, lamport, node, *version_vector());
        break;
      case OpKind::kTombstone:
        result = make_tombstone(id, lamport, node, *known_state());
        break;
      case OpKind::kPayload:
        result = make_payload(id, lamport, node, *payload());
        break;
    }
    if (kind != OpKind::kDelete && kind != OpKind::kTombstone) result.known_state = *known_state();
    TS_ASSERT(validate_op(result).is_ok());
    return result;
  });
}

// A batch of valid ops (ids may repeat: the codecs do not dedupe).
inline rc::Gen<std::vector<Op>> batch() { return rc::gen::container<std::vector<Op>>(op()); }

}  // namespace arbitrary
}  // namespace treesim

namespace rc {

template <>
struct Arbitrary<treesim::Op> {
  static Gen<treesim::Op> arbitrary() { return treesim::arbitrary::op(); }
};

}  // namespace rc
