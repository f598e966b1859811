// The binary op-batch codec: decode inverts encode, the layout is the one core/binary_codec.h
// documents, and every malformed input is a Status naming the byte offset and the field, never
// a crash. Rejection tests write the wire bytes field by field with `Wire`, so each one reads
// as the layout with one field broken; robustness properties truncate and flip valid batches.
#include "core/binary_codec.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/arbitrary_op.h"

namespace treesim {
namespace {

const std::string kKey("\x80\x00", 2);
const NodeId kNode = NodeId::from_low(5);

// Writes wire bytes field by field, independently of the encoder under test.
class Wire {
 public:
  Wire& byte(std::uint8_t value) {
    bytes_.push_back(static_cast<char>(value));
    return *this;
  }
  Wire& raw(std::string_view bytes) {
    bytes_.append(bytes);
    return *this;
  }
  Wire& varint(std::uint64_t value) {
    for (; value >= 0x80; value >>= 7) byte(static_cast<std::uint8_t>((value & 0x7F) | 0x80));
    return byte(static_cast<std::uint8_t>(value));
  }
  Wire& sized(std::string_view bytes) { return varint(bytes.size()).raw(bytes); }
  Wire& node(NodeId node) { return raw(node.to_bytes()); }
  Wire& header(std::uint64_t op_count) { return raw("TSOB").byte(1).varint(op_count); }
  // Kind, replica "a", counter, lamport, flags and node 0x5: the part every op has. With
  // header(1) in front, the op starts at byte 6, its flags are byte 11 and its node ends at 27.
  Wire& op_head(OpKind kind, std::uint8_t flags = 0, std::uint64_t counter = 1,
                std::uint64_t lamport = 1) {
    return byte(static_cast<std::uint8_t>(kind))
        .sized("a")
        .varint(counter)
        .varint(lamport)
        .byte(flags)
        .node(kNode);
  }
  // Parent ROOT and an order key: the rest of an insert or a move.
  Wire& position(std::string_view key = kKey) { return node(kRoot).sized(key); }

  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

OpId id(const char* replica, std::uint64_t counter) { return {ReplicaId::of(replica), counter}; }

void ExpectRejected(const std::string& bytes, StatusCode code, const std::string& message) {
  const Result<std::vector<Op>> result = decode_batch(bytes);
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), code) << result.status().to_string();
  EXPECT_EQ(result.status().message(), message);
}

// The offset an error message starts with ("byte 37: ..."), or -1 if it has none.
long long NamedOffset(const std::string& message) {
  if (message.rfind("byte ", 0) != 0) return -1;
  return std::stoll(message.substr(5));
}

// One op of every kind and shape, for the exhaustive truncation test.
std::vector<Op> RichBatch() {
  const VersionVector known =
      VersionVector::from_ranges({{ReplicaId::of("a"), {1, 3}}, {ReplicaId::of("b"), {5, 300}}});
  return {
      make_insert(id("a", 1), 1, kRoot, kNode, kKey, std::string("payload")),
      make_insert(id("a", 2), 200, kNode, NodeId{7, 9}, "", std::string()),
      make_move(id("b", kMaxCounter), kMaxLamport, kNode, kTrash, kKey),
      make_delete(id("c", 128), 16384, kNode, known),
      make_tombstone(id("c", 129), 16385, kNode),
      make_payload(id(std::string(64, 'z').c_str(), 3), 4, kNode, std::nullopt),
  };
}

// ---- Layout and round trip ------------------------------------------------------------------

TEST(BinaryLayout, WireHelperWritesLeb128) {
  EXPECT_EQ(Wire().varint(0).bytes(), std::string(1, '\0'));
  EXPECT_EQ(Wire().varint(300).bytes(), "\xac\x02");
  EXPECT_EQ(Wire().varint(~std::uint64_t{0}).bytes(), std::string(9, '\xff') + "\x01");
}

TEST(BinaryLayout, EmptyBatchIsMagicVersionAndZeroCount) {
  EXPECT_EQ(encode_batch({}), std::string("TSOB\x01\x00", 6));
  const Result<std::vector<Op>> decoded = decode_batch(std::string("TSOB\x01\x00", 6));
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  EXPECT_TRUE(decoded->empty());
}

TEST(BinaryLayout, InsertWithPayloadAndKnownStateEncodesFieldByFieldAsDocumented) {
  Op op = make_insert(id("a", 3), 300, kRoot, kNode, kKey, std::string("hi"));
  op.known_state = VersionVector::from_ranges(
      {{ReplicaId::of("b"), {1, 2}}, {ReplicaId::of("b"), {5, 5}}, {ReplicaId::of("a"), {1, 1}}});
  const std::string expected = Wire()
                                   .header(1)
                                   .byte(1)  // insert
                                   .sized("a")
                                   .varint(3)
                                   .varint(300)
                                   .byte(kBinaryFlagKnownState | kBinaryFlagPayload)
                                   .node(kNode)
                                   .node(kRoot)
                                   .sized(kKey)
                                   .sized("hi")
                                   .varint(2)  // replicas, in order
                                   .sized("a")
                                   .varint(1)
                                   .varint(1)
                                   .varint(1)
                                   .sized("b")
                                   .varint(2)
                                   .varint(1)
                                   .varint(2)
                                   .varint(5)
                                   .varint(5)
                                   .bytes();
  EXPECT_EQ(encode_batch({op}), expected);
}

TEST(BinaryLayout, DeleteAndPayloadClearCarryNoPositionOrPayloadField) {
  const Op del = make_delete(id("a", 1), 1, kNode, VersionVector{});
  EXPECT_EQ(encode_batch({del}),
            Wire().header(1).op_head(OpKind::kDelete, kBinaryFlagKnownState).varint(0).bytes());
  const Op clear = make_payload(id("a", 1), 1, kNode, std::nullopt);
  EXPECT_EQ(encode_batch({clear}), Wire().header(1).op_head(OpKind::kPayload).bytes());
}

RC_GTEST_PROP(BinaryCodec, DecodeInvertsEncodeAndReencodingIsByteIdentical, ()) {
  const std::vector<Op> ops = *arbitrary::batch();
  const std::string bytes = encode_batch(ops);
  const Result<std::vector<Op>> decoded = decode_batch(bytes);
  RC_ASSERT(decoded.is_ok());
  RC_ASSERT(*decoded == ops);
  RC_ASSERT(encode_batch(*decoded) == bytes);
}

// ---- Header ---------------------------------------------------------------------------------

TEST(BinaryRejection, InputShorterThanTheMagicNamesTheMagic) {
  ExpectRejected("", StatusCode::kCorruption,
                 "byte 0: field 'magic': expected \"TSOB\", but the input has only 0 bytes");
  ExpectRejected("TSO", StatusCode::kCorruption,
                 "byte 0: field 'magic': expected \"TSOB\", but the input has only 3 bytes");
}

TEST(BinaryRejection, WrongMagicNamesWhatWasFound) {
  ExpectRejected(std::string("TSOX\x01\x00", 6), StatusCode::kCorruption,
                 "byte 0: field 'magic': expected \"TSOB\" (hex 54534f42), found hex 54534f58");
}

TEST(BinaryRejection, MissingVersionByteIsCorruption) {
  ExpectRejected("TSOB", StatusCode::kCorruption,
                 "byte 4: field 'version': expected 1 byte, but the input ends");
}

TEST(BinaryRejection, UnknownVersionIsUnsupportedAndNamesBothVersions) {
  ExpectRejected(std::string("TSOB\x02\x00", 6), StatusCode::kUnsupported,
                 "byte 4: field 'version': found format version 2, this build supports version 1");
}

TEST(BinaryRejection, OpCountBeyondTheInputIsRejectedBeforeAllocating) {
  ExpectRejected(Wire().header(std::uint64_t{1} << 40).bytes(), StatusCode::kCorruption,
                 "byte 5: field 'op_count': op count 1099511627776 needs at least 21 bytes each, "
                 "but only 0 bytes remain");
  // One op fewer than announced is caught too, at the op that is missing.
  const std::string one_op = encode_batch({make_tombstone(id("a", 1), 1, kNode)});
  std::string two_announced = one_op;
  two_announced[5] = 2;
  ExpectRejected(two_announced, StatusCode::kCorruption,
                 "byte 5: field 'op_count': op count 2 needs at least 21 bytes each, but only 22 "
                 "bytes remain");
}

TEST(BinaryRejection, TrailingBytesAfterTheLastOpAreCorruption) {
  const std::string bytes = encode_batch({make_tombstone(id("a", 1), 1, kNode)}) + "xyz";
  ExpectRejected(bytes, StatusCode::kCorruption,
                 "byte 28: field 'op_count': 3 bytes trailing after the end of the batch (op "
                 "count 1)");
}

// ---- Varints --------------------------------------------------------------------------------

TEST(BinaryRejection, VarintLongerThanTenBytesIsCorruption) {
  const std::string bytes = Wire()
                                .header(1)
                                .byte(1)
                                .sized("a")
                                .raw(std::string(10, '\x80'))
                                .byte(0)
                                .raw(std::string(40, '\0'))
                                .bytes();
  ExpectRejected(bytes, StatusCode::kCorruption,
                 "byte 9: op 0: field 'counter': varint longer than 10 bytes");
}

TEST(BinaryRejection, VarintOverflowingSixtyFourBitsIsCorruption) {
  const std::string bytes = Wire()
                                .header(1)
                                .byte(1)
                                .sized("a")
                                .raw(std::string(9, '\xff'))
                                .byte(0x02)
                                .raw(std::string(40, '\0'))
                                .bytes();
  ExpectRejected(bytes, StatusCode::kCorruption,
                 "byte 9: op 0: field 'counter': varint overflows 64 bits");
}

TEST(BinaryRejection, NonMinimalVarintIsCorruption) {
  const std::string bytes = Wire()
                                .header(1)
                                .byte(static_cast<std::uint8_t>(OpKind::kTombstone))
                                .sized("a")
                                .raw(std::string("\x81\x00", 2))
                                .varint(1)
                                .byte(0)
                                .node(kNode)
                                .bytes();
  ExpectRejected(bytes, StatusCode::kCorruption,
                 "byte 9: op 0: field 'counter': varint is not minimal (redundant trailing zero "
                 "group)");
}

TEST(BinaryRejection, VarintCutByTheEndOfInputIsCorruption) {
  // A second op (at byte 59) whose two-byte lamport varint is cut after its first byte; the
  // first op carries a payload so that the op count check still passes.
  std::string bytes = encode_batch({make_payload(id("a", 1), 1, kNode, std::string(30, 'p')),
                                    make_tombstone(id("a", 2), 300, kNode)});
  bytes.resize(64);
  ExpectRejected(bytes, StatusCode::kCorruption,
                 "byte 63: op 1: field 'lamport': varint truncated: the input ends after 1 of "
                 "its bytes");
}

TEST(BinaryRejection, MaximalVarintDecodesAndTheCounterRangeIsValidations) {
  // 2^64 - 1 is a well-formed varint; the counter rule (< 2^63) is validate_op()'s.
  const std::string bytes = Wire()
                                .header(1)
                                .byte(static_cast<std::uint8_t>(OpKind::kTombstone))
                                .sized("a")
                                .varint(~std::uint64_t{0})
                                .varint(1)
                                .byte(0)
                                .node(kNode)
                                .bytes();
  ExpectRejected(bytes, StatusCode::kInvalidArgument,
                 "byte 6: op 0: op a:18446744073709551615: field 'counter': must be < 2^63");
}

// ---- Op fields ------------------------------------------------------------------------------

TEST(BinaryRejection, UnknownKindIsCorruption) {
  for (std::uint8_t kind : {0, 6, 255}) {
    std::string bytes = encode_batch({make_tombstone(id("a", 1), 1, kNode)});
    bytes[6] = static_cast<char>(kind);
    ExpectRejected(bytes, StatusCode::kCorruption,
                   "byte 6: op 0: field 'kind': unknown kind " + std::to_string(kind) +
                       " (known: 1 insert, 2 move, 3 delete, 4 tombstone, 5 payload)");
  }
}

TEST(BinaryRejection, ReplicaLengthBeyondTheInputIsCorruption) {
  const std::string bytes = Wire().header(1).byte(1).varint(50).raw(std::string(22, 'x')).bytes();
  ExpectRejected(bytes, StatusCode::kCorruption,
                 "byte 7: op 0: field 'replica': length 50 exceeds the 22 bytes remaining");
}

TEST(BinaryRejection, ReplicaOfZeroOrSixtyFiveBytesIsInvalid) {
  for (std::size_t length : {0, 65}) {
    const std::string bytes = Wire()
                                  .header(1)
                                  .byte(static_cast<std::uint8_t>(OpKind::kTombstone))
                                  .sized(std::string(length, 'r'))
                                  .varint(1)
                                  .varint(1)
                                  .byte(0)
                                  .node(kNode)
                                  .bytes();
    ExpectRejected(bytes, StatusCode::kInvalidArgument,
                   "byte 7: op 0: field 'replica': replica id must be 1..64 bytes, got " +
                       std::to_string(length));
  }
}

TEST(BinaryRejection, UnknownFlagBitsAreCorruption) {
  const std::string bytes = Wire().header(1).op_head(OpKind::kTombstone, 0x84).bytes();
  ExpectRejected(bytes, StatusCode::kCorruption,
                 "byte 11: op 0: field 'flags': unknown flag bits 0x84 (known: 0x01 known_state, "
                 "0x02 payload)");
}

TEST(BinaryRejection, PayloadFlagOnAKindWithoutPayloadIsCorruption) {
  for (OpKind kind : {OpKind::kMove, OpKind::kDelete, OpKind::kTombstone}) {
    const std::string bytes =
        Wire().header(1).op_head(kind, kBinaryFlagPayload).position().sized("p").bytes();
    ExpectRejected(bytes, StatusCode::kCorruption,
                   std::string("byte 11: op 0: field 'flags': payload flag set on a ") +
                       op_kind_name(kind) + ", which carries no payload");
  }
}

TEST(BinaryRejection, NodeCutShortIsCorruption) {
  // A ten-byte replica makes the op long enough to pass the op count check.
  const std::string bytes = Wire()
                                .header(1)
                                .byte(static_cast<std::uint8_t>(OpKind::kTombstone))
                                .sized("abcdefghij")
                                .varint(1)
                                .varint(1)
                                .byte(0)
                                .raw(std::string(10, '\0'))
                                .bytes();
  ExpectRejected(bytes, StatusCode::kCorruption,
                 "byte 21: op 0: field 'node': expected 16 bytes, but only 10 remain");
}

TEST(BinaryRejection, ParentCutShortIsCorruption) {
  const std::string bytes =
      Wire().header(1).op_head(OpKind::kMove).raw(std::string(10, '\0')).bytes();
  ExpectRejected(bytes, StatusCode::kCorruption,
                 "byte 28: op 0: field 'parent': expected 16 bytes, but only 10 remain");
}

TEST(BinaryRejection, OrderKeyLengthBeyondTheInputIsCorruption) {
  const std::string bytes = Wire()
                                .header(1)
                                .op_head(OpKind::kMove)
                                .node(kRoot)
                                .varint(9000)
                                .raw(std::string(12, 'k'))
                                .bytes();
  ExpectRejected(bytes, StatusCode::kCorruption,
                 "byte 44: op 0: field 'order_key': length 9000 exceeds the 12 bytes remaining");
}

TEST(BinaryRejection, PayloadLengthBeyondTheInputIsCorruption) {
  const std::string bytes =
      Wire().header(1).op_head(OpKind::kPayload, kBinaryFlagPayload).varint(100).raw("xyz").bytes();
  ExpectRejected(bytes, StatusCode::kCorruption,
                 "byte 28: op 0: field 'payload': length 100 exceeds the 3 bytes remaining");
}

TEST(BinaryRejection, KnownStateReplicaCountBeyondTheInputIsCorruption) {
  const std::string bytes =
      Wire().header(1).op_head(OpKind::kTombstone, kBinaryFlagKnownState).varint(1000).bytes();
  ExpectRejected(bytes, StatusCode::kCorruption,
                 "byte 28: op 0: field 'known_state': replica count 1000 needs at least 2 bytes "
                 "each, but only 0 bytes remain");
}

TEST(BinaryRejection, KnownStateRangeCountBeyondTheInputIsCorruption) {
  const std::string bytes = Wire()
                                .header(1)
                                .op_head(OpKind::kTombstone, kBinaryFlagKnownState)
                                .varint(1)
                                .sized("b")
                                .varint(50)
                                .varint(1)
                                .varint(2)
                                .bytes();
  ExpectRejected(bytes, StatusCode::kCorruption,
                 "byte 31: op 0: field 'known_state[0].range_count': range count 50 needs at "
                 "least 2 bytes each, but only 2 bytes remain");
}

TEST(BinaryRejection, KnownStateEmptyReplicaIsInvalid) {
  const std::string bytes = Wire()
                                .header(1)
                                .op_head(OpKind::kTombstone, kBinaryFlagKnownState)
                                .varint(1)
                                .sized("")
                                .varint(1)
                                .varint(1)
                                .varint(1)
                                .bytes();
  ExpectRejected(bytes, StatusCode::kInvalidArgument,
                 "byte 29: op 0: field 'known_state[0].replica': replica id must be 1..64 bytes, "
                 "got 0");
}

TEST(BinaryRejection, KnownStateRangeOutsideOneToTwoTo63OrReversedIsInvalid) {
  const std::vector<CounterRange> invalid = {{0, 1}, {5, 4}, {1, kMaxCounter + 1}};
  for (const CounterRange& range : invalid) {
    const std::string bytes = Wire()
                                  .header(1)
                                  .op_head(OpKind::kTombstone, kBinaryFlagKnownState)
                                  .varint(1)
                                  .sized("b")
                                  .varint(1)
                                  .varint(range.first)
                                  .varint(range.last)
                                  .bytes();
    ExpectRejected(bytes, StatusCode::kInvalidArgument,
                   "byte 32: op 0: field 'known_state[0].ranges[0]': range [" +
                       std::to_string(range.first) + ", " + std::to_string(range.last) +
                       "] is not valid (need 1 <= first <= last < 2^63)");
  }
}

// ---- Rules of validate_op(), reached through the decoder ------------------------------------

TEST(BinaryRejection, ZeroCounterOrLamportIsInvalid) {
  ExpectRejected(Wire().header(1).op_head(OpKind::kTombstone, 0, 0, 1).bytes(),
                 StatusCode::kInvalidArgument,
                 "byte 6: op 0: op a:0: field 'counter': must be >= 1");
  ExpectRejected(Wire().header(1).op_head(OpKind::kTombstone, 0, 1, 0).bytes(),
                 StatusCode::kInvalidArgument,
                 "byte 6: op 0: op a:1: field 'lamport': must be >= 1");
}

TEST(BinaryRejection, LamportOfTwoTo63IsInvalid) {
  ExpectRejected(Wire().header(1).op_head(OpKind::kTombstone, 0, 1, kMaxLamport + 1).bytes(),
                 StatusCode::kInvalidArgument,
                 "byte 6: op 0: op a:1: field 'lamport': must be < 2^63");
}

TEST(BinaryRejection, OddOrderKeyIsInvalid) {
  ExpectRejected(Wire().header(1).op_head(OpKind::kInsert).position("\x80").bytes(),
                 StatusCode::kInvalidArgument,
                 "byte 6: op 0: op a:1: field 'order_key': odd length 1 (keys are 16-bit digits)");
}

TEST(BinaryRejection, OrderKeyLongerThanTheBoundIsInvalid) {
  const std::string key(kMaxOrderKeyBytes + 2, 'k');
  ExpectRejected(Wire().header(1).op_head(OpKind::kMove).position(key).bytes(),
                 StatusCode::kInvalidArgument,
                 "byte 6: op 0: op a:1: field 'order_key': longer than 4096 bytes");
}

TEST(BinaryRejection, DeleteWithoutKnownStateIsInvalid) {
  ExpectRejected(Wire().header(1).op_head(OpKind::kDelete).bytes(), StatusCode::kInvalidArgument,
                 "byte 6: op 0: op a:1: field 'known_state': required on a delete");
}

TEST(BinaryRejection, ErrorsInALaterOpNameThatOpAndWhereItStarts) {
  const std::string first = encode_batch({make_tombstone(id("a", 1), 1, kNode)}).substr(6);
  const std::string bytes =
      Wire().header(2).raw(first).op_head(OpKind::kTombstone, 0, 0, 1).bytes();
  ExpectRejected(bytes, StatusCode::kInvalidArgument,
                 "byte 28: op 1: op a:0: field 'counter': must be >= 1");
}

// ---- Normalization on decode ----------------------------------------------------------------

TEST(BinaryDecode, KnownStateIsNormalizedByUnionOnDecode) {
  // Unsorted, touching and overlapping ranges, "b" listed twice, and an entry without ranges.
  const std::string bytes = Wire()
                                .header(1)
                                .op_head(OpKind::kTombstone, kBinaryFlagKnownState)
                                .varint(3)
                                .sized("b")
                                .varint(2)
                                .varint(5)
                                .varint(6)
                                .varint(1)
                                .varint(2)
                                .sized("c")
                                .varint(0)
                                .sized("b")
                                .varint(2)
                                .varint(3)
                                .varint(4)
                                .varint(9)
                                .varint(9)
                                .bytes();
  const Result<std::vector<Op>> decoded = decode_batch(bytes);
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  ASSERT_EQ(decoded->size(), 1u);
  ASSERT_TRUE((*decoded)[0].known_state.has_value());
  EXPECT_EQ((*decoded)[0].known_state->to_display(), "{b:1..6,9}");
  // The canonical re-encoding is shorter than the input: one entry, two ranges.
  EXPECT_LT(encode_batch(*decoded).size(), bytes.size());
}

// ---- Robustness -----------------------------------------------------------------------------

TEST(BinaryRobustness, EveryTruncationOfAValidBatchIsCorruptionNamingAnOffsetBeforeTheCut) {
  const std::string bytes = encode_batch(RichBatch());
  ASSERT_TRUE(decode_batch(bytes).is_ok());
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    const Result<std::vector<Op>> result = decode_batch(bytes.substr(0, cut));
    ASSERT_FALSE(result.is_ok()) << "cut at " << cut;
    EXPECT_EQ(result.status().code(), StatusCode::kCorruption) << result.status().to_string();
    const long long offset = NamedOffset(result.status().message());
    EXPECT_GE(offset, 0) << result.status().message();
    EXPECT_LE(offset, static_cast<long long>(cut)) << result.status().message();
  }
}

RC_GTEST_PROP(BinaryRobustness, TruncatingARandomBatchAnywhereIsCorruption, ()) {
  const auto ops = *rc::gen::resize(30, rc::gen::nonEmpty(arbitrary::batch()));
  const std::string bytes = encode_batch(ops);
  const auto cut = *rc::gen::inRange<std::size_t>(0, bytes.size());
  const Result<std::vector<Op>> result = decode_batch(bytes.substr(0, cut));
  RC_ASSERT(!result.is_ok());
  RC_ASSERT(result.status().code() == StatusCode::kCorruption);
  RC_ASSERT(NamedOffset(result.status().message()) >= 0);
}

RC_GTEST_PROP(BinaryRobustness, FlippedBytesNeverCrashAndWhatDecodesIsValid, ()) {
  std::string bytes = encode_batch(*rc::gen::nonEmpty(arbitrary::batch()));
  const auto flip_count = *rc::gen::inRange(1, 9);
  for (int i = 0; i < flip_count; ++i) {
    const auto position = *rc::gen::inRange<std::size_t>(0, bytes.size());
    const auto mask = *rc::gen::inRange(1, 256);
    bytes[position] = static_cast<char>(bytes[position] ^ mask);
  }
  const Result<std::vector<Op>> result = decode_batch(bytes);
  if (!result.is_ok()) {
    RC_ASSERT(NamedOffset(result.status().message()) >= 0);
    return;
  }
  for (const Op& op : *result) RC_ASSERT(validate_op(op).is_ok());
  const Result<std::vector<Op>> again = decode_batch(encode_batch(*result));
  RC_ASSERT(again.is_ok());
  RC_ASSERT(*again == *result);
}

RC_GTEST_PROP(BinaryRobustness, ArbitraryBytesAfterTheHeaderNeverCrash, ()) {
  const std::string tail = *rc::gen::container<std::string>(arbitrary::byte());
  const Result<std::vector<Op>> result = decode_batch(std::string("TSOB\x01", 5) + tail);
  if (!result.is_ok()) RC_ASSERT(NamedOffset(result.status().message()) >= 0);
}

}  // namespace
}  // namespace treesim
