// The vocabulary types: canonical order (lamport, replica bytes, counter), replica byte order,
// node id encodings, and op validation (SEMANTICS.md §1-2). Each test builds values directly and
// checks one rule.
#include "core/op.h"

#include <gtest/gtest.h>

namespace treesim {
namespace {

OpId id(const char* replica, std::uint64_t counter) { return {ReplicaId::of(replica), counter}; }

TEST(CanonicalOrder, LamportFirstThenReplicaThenCounter) {
  const OpKey a{5, ReplicaId::of("a"), 10};
  const OpKey b{5, ReplicaId::of("b"), 10};
  const OpKey early{4, ReplicaId::of("z"), 99};
  EXPECT_LT(a, b);
  EXPECT_LT(early, a);
  EXPECT_LT((OpKey{5, ReplicaId::of("a"), 3}), (OpKey{5, ReplicaId::of("a"), 4}));
  // Replica bytes come before the counter.
  EXPECT_LT((OpKey{5, ReplicaId::of("a"), 100}), (OpKey{5, ReplicaId::of("b"), 1}));
}

TEST(ReplicaOrder, UnsignedBytesThenPrefixFirst) {
  EXPECT_LT(ReplicaId::of("a"), ReplicaId::of("ab"));
  EXPECT_LT(ReplicaId::of(std::string("\x7f", 1)), ReplicaId::of(std::string("\x80", 1)));
  EXPECT_LT(ReplicaId::of(std::string("\x01", 1)), ReplicaId::of(std::string("\xff", 1)));
  EXPECT_FALSE(ReplicaId::from_bytes("").has_value());
  EXPECT_FALSE(ReplicaId::from_bytes(std::string(65, 'x')).has_value());
  EXPECT_TRUE(ReplicaId::from_bytes(std::string(64, 'x')).has_value());
}

TEST(NodeIdEncoding, BigEndianBytesSortLikeNumbers) {
  const NodeId small = NodeId::from_low(0xFF);
  const NodeId large{1, 0};
  EXPECT_LT(small, large);
  EXPECT_LT(small.to_bytes(), large.to_bytes());
  EXPECT_EQ(NodeId::from_bytes(large.to_bytes()), large);
  EXPECT_EQ(kTrash.to_hex(), std::string(32, 'f'));
  EXPECT_EQ(NodeId::from_hex(small.to_hex()), small);
  EXPECT_FALSE(NodeId::from_hex("abc").has_value());
  EXPECT_FALSE(NodeId::from_hex(std::string(32, 'g')).has_value());
}

TEST(Validation, RejectsZeroAndOversizedIdsAndLamports) {
  Op op = make_insert(id("a", 1), 1, kRoot, NodeId::from_low(5), std::string("\x80\x00", 2));
  EXPECT_TRUE(validate_op(op).is_ok());
  op.id.counter = 0;
  EXPECT_EQ(validate_op(op).code(), StatusCode::kInvalidArgument);
  op.id.counter = std::uint64_t{1} << 63;
  EXPECT_NE(validate_op(op).message().find("counter"), std::string::npos);
  op.id.counter = 1;
  op.lamport = 0;
  EXPECT_NE(validate_op(op).message().find("lamport"), std::string::npos);
  op.lamport = std::uint64_t{1} << 63;
  EXPECT_NE(validate_op(op).message().find("lamport"), std::string::npos);
}

TEST(Validation, RejectsOddOrderKeyAndDeleteWithoutKnownState) {
  const Op odd = make_move(id("a", 2), 2, NodeId::from_low(5), kRoot, std::string("\x80", 1));
  EXPECT_NE(validate_op(odd).message().find("order_key"), std::string::npos);
  Op del = make_delete(id("a", 3), 3, NodeId::from_low(5), VersionVector{});
  EXPECT_TRUE(validate_op(del).is_ok());
  del.known_state.reset();
  EXPECT_NE(validate_op(del).message().find("known_state"), std::string::npos);
}

TEST(Validation, RejectsFieldsTheKindDoesNotUse) {
  Op op = make_delete(id("a", 3), 3, NodeId::from_low(5), VersionVector{});
  op.payload = "x";
  EXPECT_NE(validate_op(op).message().find("payload"), std::string::npos);
  Op move = make_move(id("a", 4), 4, NodeId::from_low(5), kRoot, "");
  move.payload = "x";
  EXPECT_FALSE(validate_op(move).is_ok());
}

TEST(Validation, RejectsUnnormalizedKnownState) {
  VersionVector vv;
  vv.entries[ReplicaId::of("a")] = {{1, 2}, {3, 4}};  // touching: must have been merged
  const Op op = make_tombstone(id("a", 5), 5, NodeId::from_low(5), vv);
  EXPECT_NE(validate_op(op).message().find("known_state"), std::string::npos);
}

TEST(VersionVectorData, FromRangesMergesOverlappingAndTouching) {
  const ReplicaId a = ReplicaId::of("a");
  const VersionVector vv = VersionVector::from_ranges({{a, {5, 6}}, {a, {1, 2}}, {a, {3, 4}}, {a, {9, 9}}});
  ASSERT_TRUE(vv.is_normalized());
  EXPECT_EQ(vv.entries.at(a), (CounterRanges{{1, 6}, {9, 9}}));
  EXPECT_EQ(vv.to_display(), "{a:1..6,9}");
}

}  // namespace
}  // namespace treesim
