// The row blobs of materializer/row_codec.h round-trip every value, and decoding survives any
// bytes: every prefix and every single-byte change of a valid blob decodes to a value or to a
// kCorruption naming a byte offset and a field, never to a crash. Named tests pin the layout's
// rules (tag, version, flags, normalized version vectors, no trailing bytes).
#include "materializer/row_codec.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/node_id.h"
#include "core/op.h"
#include "core/replica_id.h"
#include "core/status.h"
#include "core/version_vector.h"
#include "materializer/store.h"
#include "materializer/undo_record.h"

namespace treesim {
namespace {

OpKey Key(std::uint64_t lamport, const char* replica, std::uint64_t counter) {
  return OpKey{lamport, ReplicaId::of(replica), counter};
}

const VersionVector kGaps =
    VersionVector::from_ranges({{ReplicaId::of("a"), CounterRange{1, 3}},
                                {ReplicaId::of("a"), CounterRange{9, 9}},
                                {ReplicaId::of("b"), CounterRange{kMaxCounter, kMaxCounter}}});

NodeRow FullNodeRow() {
  return NodeRow{NodeId{1, 2}, NodeId::from_low(3), std::string("\x80\x00", 2), kGaps, kGaps, true};
}

PayloadRow FullPayloadRow() { return PayloadRow{NodeId{1, 2}, "value", Key(7, "ab", 3)}; }

UndoRecord FullUndoRecord() {
  UndoRecord record;
  record.key = Key(5, "a", 2);
  record.node = NodeId::from_low(4);
  record.created_nodes = {NodeId::from_low(4), kTrash};
  record.structural_applied = true;
  record.previous_parent = kRoot;
  record.previous_order_key = "\x7f";
  record.dotted_nodes = {NodeId::from_low(4)};
  record.deleted_at_added = kGaps;
  record.deleted_at_was_absent = true;
  record.payload_applied = true;
  record.previous_payload_present = true;
  record.previous_value = "old";
  record.previous_writer = Key(1, "b", 1);
  record.previous_tombstoned = {{NodeId::from_low(4), true}, {kRoot, false}};
  return record;
}

StoreMeta FullMeta() {
  return StoreMeta{Head{Key(9, "c", 4), 300}, Frontier::at(Key(2, "a", 1)), Key(1, "a", 1)};
}

// Each blob kind as "decode these bytes", so the robustness tests cover all four.
struct BlobKind {
  const char* name;
  std::string valid;
  std::function<Status(std::string_view)> decode;
};

void PrintTo(const BlobKind& kind, std::ostream* out) { *out << kind.name; }

std::vector<BlobKind> EveryBlobKind() {
  const NodeId node{1, 2};
  const OpKey key = Key(5, "a", 2);
  return {
      {"node_row", encode_node_row(FullNodeRow()),
       [=](std::string_view bytes) { return decode_node_row(node, bytes).status(); }},
      {"payload_row", encode_payload_row(FullPayloadRow()),
       [=](std::string_view bytes) { return decode_payload_row(node, bytes).status(); }},
      {"undo_record", encode_undo_record(FullUndoRecord()),
       [=](std::string_view bytes) { return decode_undo_record(key, bytes).status(); }},
      {"store_meta", encode_store_meta(FullMeta()),
       [](std::string_view bytes) { return decode_store_meta(bytes).status(); }},
  };
}

void ExpectCorruptionAtAByte(const Status& status, const std::string& input_name) {
  if (status.is_ok()) return;
  EXPECT_EQ(status.code(), StatusCode::kCorruption) << input_name << ": " << status.to_string();
  EXPECT_EQ(status.message().rfind("byte ", 0), 0u) << input_name << ": " << status.message();
  EXPECT_NE(status.message().find("field '"), std::string::npos) << status.message();
}

TEST(RowCodec, FullRowsRoundTrip) {
  EXPECT_TRUE(decode_node_row(NodeId{1, 2}, encode_node_row(FullNodeRow())).value() ==
              FullNodeRow());
  EXPECT_TRUE(decode_payload_row(NodeId{1, 2}, encode_payload_row(FullPayloadRow())).value() ==
              FullPayloadRow());
  EXPECT_TRUE(decode_undo_record(Key(5, "a", 2), encode_undo_record(FullUndoRecord())).value() ==
              FullUndoRecord());
  EXPECT_TRUE(decode_store_meta(encode_store_meta(FullMeta())).value() == FullMeta());
}

TEST(RowCodec, DefaultRowsRoundTripCompactly) {
  EXPECT_TRUE(decode_store_meta(encode_store_meta(StoreMeta{})).value() == StoreMeta{});
  // tag, version, flags, seq, frontier kind.
  EXPECT_EQ(encode_store_meta(StoreMeta{}).size(), 5u);
  const UndoRecord empty{};
  EXPECT_TRUE(decode_undo_record(OpKey{}, encode_undo_record(empty)).value() == empty);
}

TEST(RowCodec, TheKeyComesFromTheCallerNotTheBlob) {
  const Result<NodeRow> row = decode_node_row(NodeId::from_low(77), encode_node_row(FullNodeRow()));
  EXPECT_EQ(row.value().node, NodeId::from_low(77));
}

TEST(RowCodec, RejectsAnotherKindsTagAndAnUnknownVersion) {
  const Status wrong_tag = decode_node_row(kRoot, encode_payload_row(FullPayloadRow())).status();
  EXPECT_EQ(wrong_tag.message(), "byte 0: field 'header': expected tag 'N', found byte 80");
  std::string newer = encode_store_meta(StoreMeta{});
  newer[1] = 2;
  EXPECT_EQ(decode_store_meta(newer).status().message(),
            "byte 1: field 'version': unknown row format version 2 (this build writes version 1)");
}

TEST(RowCodec, RejectsTrailingBytesAndUnknownFlags) {
  EXPECT_EQ(decode_store_meta(encode_store_meta(StoreMeta{}) + "x").status().message(),
            "byte 5: field 'end': 1 bytes trailing after the last field");
  std::string flagged = encode_payload_row(FullPayloadRow());
  flagged[2] = static_cast<char>(0x81);
  EXPECT_EQ(decode_payload_row(kRoot, flagged).status().code(), StatusCode::kCorruption);
}

TEST(RowCodec, RejectsAVersionVectorThatIsNotNormalized) {
  // A node row whose last_change lists touching ranges [1,2] [3,4] of replica "a".
  std::string blob = {'N', 1, 0, 0, 1, 1, 'a', 2, 1, 2, 3, 4};
  EXPECT_EQ(decode_node_row(kRoot, blob).status().message(),
            "byte 10: field 'last_change': range [3, 4] is not valid and normalized");
}

class RowCodecRobustness : public ::testing::TestWithParam<BlobKind> {};

TEST_P(RowCodecRobustness, EveryPrefixFailsCleanly) {
  const BlobKind& kind = GetParam();
  ASSERT_TRUE(kind.decode(kind.valid).is_ok());
  for (std::size_t size = 0; size < kind.valid.size(); ++size) {
    const Status status = kind.decode(std::string_view(kind.valid).substr(0, size));
    EXPECT_FALSE(status.is_ok()) << "prefix of " << size << " bytes";
    ExpectCorruptionAtAByte(status, "prefix of " + std::to_string(size));
  }
}

TEST_P(RowCodecRobustness, EverySingleByteChangeDecodesOrFailsCleanly) {
  const BlobKind& kind = GetParam();
  for (std::size_t offset = 0; offset < kind.valid.size(); ++offset) {
    for (int value : {0x00, 0x01, 0x02, 0x7f, 0x80, 0xff}) {
      std::string changed = kind.valid;
      changed[offset] = static_cast<char>(value);
      ExpectCorruptionAtAByte(kind.decode(changed),
                              "byte " + std::to_string(offset) + " = " + std::to_string(value));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Blobs, RowCodecRobustness, ::testing::ValuesIn(EveryBlobKind()),
                         [](const auto& instance) { return std::string(instance.param.name); });

RC_GTEST_PROP(RowCodecProperty, AnyBytesDecodeOrFailWithCorruption, (const std::string& bytes)) {
  for (const BlobKind& kind : EveryBlobKind()) {
    for (const std::string& input : {bytes, kind.valid.substr(0, 2) + bytes}) {
      const Status status = kind.decode(input);
      RC_ASSERT(status.is_ok() || status.code() == StatusCode::kCorruption);
    }
  }
}

}  // namespace
}  // namespace treesim
