// The JSON-lines op-log codec: decode inverts encode, a line has exactly the fields and shape
// core/jsonl_codec.h documents, and every bad line is a Status naming the line and the field,
// never an exception. Each rejection rule is one named case of a table that breaks a single
// field of a valid op; log-level rules (comments, blank lines, line numbers) have their own tests.
#include "core/jsonl_codec.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "tests/support/arbitrary_op.h"

namespace treesim {
namespace {

using Json = nlohmann::json;

const NodeId kNode = NodeId::from_low(5);
const NodeId kParent = NodeId::from_low(7);
const std::string kNodeHex = kNode.to_hex();
const std::string kParentHex = kParent.to_hex();

OpId id(const char* replica, std::uint64_t counter) { return {ReplicaId::of(replica), counter}; }

// A valid op of each kind, all with id a:3 and lamport 5, to be broken one field at a time.
Op ValidOp(OpKind kind) {
  const std::string key("\x80\x00", 2);
  switch (kind) {
    case OpKind::kInsert:
      return make_insert(id("a", 3), 5, kParent, kNode, key, std::string("hi"));
    case OpKind::kMove:
      return make_move(id("a", 3), 5, kNode, kParent, key);
    case OpKind::kDelete:
      return make_delete(id("a", 3), 5, kNode,
                         VersionVector::from_ranges({{ReplicaId::of("a"), {1, 2}}}));
    case OpKind::kTombstone:
      return make_tombstone(id("a", 3), 5, kNode);
    case OpKind::kPayload:
      return make_payload(id("a", 3), 5, kNode, std::string("hi"));
  }
  return {};
}

// The line of a valid op of `kind` with `field` set to `value` (added if absent).
std::string With(OpKind kind, const std::string& field, const Json& value) {
  Json object = op_to_json(ValidOp(kind));
  object[field] = value;
  return object.dump();
}

std::string Without(OpKind kind, const std::string& field) {
  Json object = op_to_json(ValidOp(kind));
  object.erase(field);
  return object.dump();
}

// The line of a valid op of `kind` with the text `from` replaced by `to`, for what a Json value
// cannot express (repeated keys, integers beyond 64 bits).
std::string Edited(OpKind kind, const std::string& from, const std::string& to) {
  std::string line = op_to_json(ValidOp(kind)).dump();
  const std::size_t at = line.find(from);
  EXPECT_NE(at, std::string::npos) << from << " not in " << line;
  if (at != std::string::npos) line.replace(at, from.size(), to);
  return line;
}

// Messages must stay one printable line whatever bytes the input held.
bool IsPrintableAscii(const std::string& text) {
  for (const char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

void ExpectRejected(std::string_view log, const std::string& message) {
  const Result<std::vector<Op>> result = decode_op_log(log);
  ASSERT_FALSE(result.is_ok()) << log;
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(), message) << log;
}

// ---- Shape and round trip -------------------------------------------------------------------

TEST(JsonlShape, MoveLineHasTheDocumentedFieldsInOrder) {
  EXPECT_EQ(encode_op_json_line(ValidOp(OpKind::kMove)),
            R"({"replica":"61","counter":3,"lamport":5,"kind":"move","node":")" + kNodeHex +
                R"(","parent":")" + kParentHex + R"(","order_key":"8000"})");
}

TEST(JsonlShape, DeleteLineCarriesKnownStateAsReplicaToRangePairs) {
  Op del = ValidOp(OpKind::kDelete);
  del.known_state = VersionVector::from_ranges(
      {{ReplicaId::of("b"), {2, 2}}, {ReplicaId::of("a"), {5, 5}}, {ReplicaId::of("a"), {1, 3}}});
  EXPECT_EQ(encode_op_json_line(del),
            R"({"replica":"61","counter":3,"lamport":5,"kind":"delete","node":")" + kNodeHex +
                R"(","known_state":{"61":[[1,3],[5,5]],"62":[[2,2]]}})");
}

TEST(JsonlShape, AbsentPayloadIsOmittedAndLogLinesEndInNewline) {
  const Op clear = make_payload(id("a", 3), 5, kNode, std::nullopt);
  const std::string line = encode_op_json_line(clear);
  EXPECT_EQ(line.find("payload\":"), std::string::npos) << line;
  EXPECT_EQ(encode_op_log({clear, clear}), line + "\n" + line + "\n");
  EXPECT_EQ(encode_op_log({}), "");
}

RC_GTEST_PROP(JsonlCodec, DecodeInvertsEncodeAndReencodingIsIdentical, ()) {
  const std::vector<Op> ops = *arbitrary::batch();
  const std::string text = encode_op_log(ops);
  const Result<std::vector<Op>> decoded = decode_op_log(text);
  RC_ASSERT(decoded.is_ok());
  RC_ASSERT(*decoded == ops);
  RC_ASSERT(encode_op_log(*decoded) == text);
}

RC_GTEST_PROP(JsonlCodec, LineAndJsonObjectAreTheSameValue, (const Op& op)) {
  // encode_op_json_line orders fields for people; op_to_json is the same value, sorted.
  RC_ASSERT(Json::parse(encode_op_json_line(op)) == op_to_json(op));
  const Result<Op> decoded = op_from_json(op_to_json(op));
  RC_ASSERT(decoded.is_ok());
  RC_ASSERT(*decoded == op);
}

// ---- Log structure --------------------------------------------------------------------------

TEST(JsonlLog, CommentsBlankLinesAndCarriageReturnsAreSkipped) {
  const std::string move = encode_op_json_line(ValidOp(OpKind::kMove));
  const std::string tombstone = encode_op_json_line(ValidOp(OpKind::kTombstone));
  const std::string log = "# captured at replica a\n\n  \t\n" + move + "\r\n   # " + move + "\n" +
                          tombstone;  // no final newline
  const Result<std::vector<Op>> decoded = decode_op_log(log);
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  EXPECT_EQ(*decoded, (std::vector<Op>{ValidOp(OpKind::kMove), ValidOp(OpKind::kTombstone)}));
}

TEST(JsonlLog, CorruptedThirdLineIsNamedAsLineThree) {
  const std::string good = encode_op_json_line(ValidOp(OpKind::kInsert));
  const std::string bad = With(OpKind::kMove, "node", kNodeHex.substr(1));
  ExpectRejected(good + "\n# a comment counts as a line\n" + bad + "\n" + good + "\n",
                 "line 3: field 'node': expected 32 hex digits, got 31 characters");
}

TEST(JsonlLog, SyntaxErrorNamesTheLineAndColumn) {
  const std::string good = encode_op_json_line(ValidOp(OpKind::kTombstone));
  const Result<std::vector<Op>> result = decode_op_log(good + "\n{\"replica\": \"61\",\n");
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message().rfind("line 2: invalid JSON at column 18: ", 0), 0u)
      << result.status().message();
}

TEST(JsonlLog, TwoValuesOnOneLineAreASyntaxError) {
  const std::string good = encode_op_json_line(ValidOp(OpKind::kTombstone));
  const Result<std::vector<Op>> result = decode_op_log(good + " " + good);
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().message().rfind("line 1: invalid JSON at column ", 0), 0u)
      << result.status().message();
}

TEST(JsonlLog, InvalidUtf8IsAnErrorNotAnException) {
  const Result<std::vector<Op>> result =
      decode_op_log(With(OpKind::kPayload, "payload", "00") + "\n{\"kind\": \"\xff\"}\n");
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().message().rfind("line 2: invalid JSON", 0), 0u)
      << result.status().message();
  EXPECT_TRUE(IsPrintableAscii(result.status().message())) << result.status().message();
}

TEST(JsonlLog, DeeplyNestedValueIsRejectedWithoutCrashing) {
  const std::string nested = std::string(100000, '[') + std::string(100000, ']');
  ExpectRejected(Edited(OpKind::kPayload, "\"6869\"", nested),
                 "line 1: field 'payload': expected a hex string, got an array of 1 element");
}

TEST(JsonlLog, OpFromJsonNamesTheFieldWithoutALine) {
  const Result<Op> result = op_from_json(Json::parse(With(OpKind::kMove, "parent", "7")));
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().message(), "field 'parent': expected 32 hex digits, got 1 character");
}

// ---- What the decoder accepts ---------------------------------------------------------------

TEST(JsonlDecode, NullPayloadMeansAbsent) {
  const Result<std::vector<Op>> insert = decode_op_log(With(OpKind::kInsert, "payload", nullptr));
  ASSERT_TRUE(insert.is_ok()) << insert.status().to_string();
  EXPECT_FALSE((*insert)[0].payload.has_value());  // an insert leaves the payload untouched
  const Result<std::vector<Op>> clear = decode_op_log(With(OpKind::kPayload, "payload", nullptr));
  ASSERT_TRUE(clear.is_ok()) << clear.status().to_string();
  EXPECT_EQ((*clear)[0], make_payload(id("a", 3), 5, kNode, std::nullopt));
}

TEST(JsonlDecode, UpperCaseHexIsAccepted) {
  Json object = op_to_json(ValidOp(OpKind::kMove));
  object["node"] = "0000000000000000000000000000000A";
  object["order_key"] = "ABCD";
  const Result<Op> op = op_from_json(object);
  ASSERT_TRUE(op.is_ok()) << op.status().to_string();
  EXPECT_EQ(op->node, NodeId::from_low(10));
  EXPECT_EQ(op->order_key, "\xab\xcd");
}

TEST(JsonlDecode, KnownStateIsNormalizedByUnionOnDecode) {
  // Unsorted, touching and overlapping ranges, one replica spelled "6a" and "6A", an empty list.
  const Json known_state = Json::parse(R"({"6a": [[5, 6], [1, 2]], "6A": [[3, 4], [9, 9]],
                                           "62": []})");
  const Result<Op> op =
      op_from_json(Json::parse(With(OpKind::kTombstone, "known_state", known_state)));
  ASSERT_TRUE(op.is_ok()) << op.status().to_string();
  ASSERT_TRUE(op->known_state.has_value());
  EXPECT_EQ(op->known_state->to_display(), "{j:1..6,9}");
}

// ---- Unvalidated ops (the simulator's forged input) -------------------------------------------

TEST(JsonlUnvalidated, AnOpBreakingValidationRoundTripsExactly) {
  Op odd_key = ValidOp(OpKind::kMove);
  odd_key.order_key = "\x80";
  Op counter_zero = ValidOp(OpKind::kInsert);
  counter_zero.id.counter = 0;
  Op lamport_too_big = ValidOp(OpKind::kPayload);
  lamport_too_big.lamport = kMaxLamport + 1;
  Op delete_without_known_state = ValidOp(OpKind::kDelete);
  delete_without_known_state.known_state.reset();
  for (const Op& op : {odd_key, counter_zero, lamport_too_big, delete_without_known_state}) {
    ASSERT_FALSE(validate_op(op).is_ok()) << op.to_display();
    const std::string line = encode_unvalidated_op_json_line(op);
    EXPECT_FALSE(op_from_json(Json::parse(line)).is_ok()) << line;
    const Result<Op> read = unvalidated_op_from_json(Json::parse(line));
    ASSERT_TRUE(read.is_ok()) << read.status().to_string();
    EXPECT_EQ(*read, op) << line;
  }
  // A valid op has the same line either way.
  EXPECT_EQ(encode_unvalidated_op_json_line(ValidOp(OpKind::kInsert)),
            encode_op_json_line(ValidOp(OpKind::kInsert)));
}

TEST(JsonlUnvalidated, TheShapeRulesStillApply) {
  const Result<Op> read =
      unvalidated_op_from_json(Json::parse(With(OpKind::kDelete, "order_key", "8000")));
  ASSERT_FALSE(read.is_ok());
  EXPECT_EQ(read.status().message(), "field 'order_key': not allowed on a delete");
}

// ---- One case per rejection rule ------------------------------------------------------------

struct Rejection {
  std::string name;
  std::string line;
  std::string message;  // exact, including "line 1: "
};

std::ostream& operator<<(std::ostream& os, const Rejection& rejection) {
  return os << rejection.name << ": " << rejection.line;
}

std::vector<Rejection> Rejections() {
  const std::string known_fields =
      "unknown field (known: replica, counter, lamport, kind, node, parent, order_key, payload, "
      "known_state)";
  const std::string range_rule = "is not valid (need 1 <= first <= last < 2^63)";
  auto ks = [](const char* text) { return Json::parse(text); };
  return {
      // Whole lines and fields.
      {"NotAnObject", "[1, 2]", "line 1: expected a JSON object, got an array of 2 elements"},
      {"UnknownField", With(OpKind::kMove, "parnet", kParentHex),
       "line 1: field 'parnet': " + known_fields},
      {"UnknownFieldWithControlCharacters", With(OpKind::kMove, "par\nent\\", kParentHex),
       "line 1: field 'par\\x0aent\\x5c': " + known_fields},
      {"UnknownFieldWithLongName", With(OpKind::kMove, std::string(200, 'x'), 1),
       "line 1: field '" + std::string(140, 'x') + "...': " + known_fields},
      {"RepeatedField", Edited(OpKind::kTombstone, "\"counter\":3", "\"counter\":3,\"counter\":4"),
       "line 1: field 'counter': appears twice in one op"},
      {"RepeatedKnownStateReplica",
       Edited(OpKind::kDelete, "\"61\":[[1,2]]", "\"61\":[[1,2]],\"61\":[[3,3]]"),
       "line 1: field 'known_state': key '61' appears twice"},
      // Required fields.
      {"MissingKind", Without(OpKind::kTombstone, "kind"),
       "line 1: field 'kind': required on every op, but missing"},
      {"MissingReplica", Without(OpKind::kTombstone, "replica"),
       "line 1: field 'replica': required on every op, but missing"},
      {"MissingCounter", Without(OpKind::kTombstone, "counter"),
       "line 1: field 'counter': required on every op, but missing"},
      {"MissingLamport", Without(OpKind::kTombstone, "lamport"),
       "line 1: field 'lamport': required on every op, but missing"},
      {"MissingNode", Without(OpKind::kTombstone, "node"),
       "line 1: field 'node': required on every op, but missing"},
      {"MissingParentOnInsert", Without(OpKind::kInsert, "parent"),
       "line 1: field 'parent': required on an insert, but missing"},
      {"MissingOrderKeyOnMove", Without(OpKind::kMove, "order_key"),
       "line 1: field 'order_key': required on a move, but missing"},
      {"DeleteWithoutKnownState", Without(OpKind::kDelete, "known_state"),
       "line 1: op a:3: field 'known_state': required on a delete"},
      // Kind.
      {"UnknownKind", With(OpKind::kMove, "kind", "mov"),
       "line 1: field 'kind': unknown kind \"mov\" (known: insert, move, delete, tombstone, "
       "payload)"},
      {"KindNotAString", With(OpKind::kMove, "kind", 2),
       "line 1: field 'kind': expected a string, got the unsigned integer 2"},
      // Fields the kind does not use.
      {"ParentOnDelete", With(OpKind::kDelete, "parent", kParentHex),
       "line 1: field 'parent': not allowed on a delete"},
      {"OrderKeyOnPayload", With(OpKind::kPayload, "order_key", "8000"),
       "line 1: field 'order_key': not allowed on a payload"},
      {"PayloadOnMove", With(OpKind::kMove, "payload", "00"),
       "line 1: field 'payload': not allowed on a move"},
      {"NullPayloadOnTombstone", With(OpKind::kTombstone, "payload", nullptr),
       "line 1: field 'payload': not allowed on a tombstone"},
      // Numbers.
      {"NegativeCounter", With(OpKind::kTombstone, "counter", -3),
       "line 1: field 'counter': expected an unsigned integer, got the negative integer -3"},
      {"FractionalLamport", With(OpKind::kTombstone, "lamport", 1.5),
       "line 1: field 'lamport': expected an unsigned integer, got the non-integer number 1.5"},
      {"LamportWithExponent", Edited(OpKind::kTombstone, "\"lamport\":5", "\"lamport\":5e0"),
       "line 1: field 'lamport': expected an unsigned integer, got the non-integer number 5.0"},
      {"CounterAsString", With(OpKind::kTombstone, "counter", "3"),
       "line 1: field 'counter': expected an unsigned integer, got a string"},
      {"CounterZero", With(OpKind::kTombstone, "counter", 0),
       "line 1: op a:0: field 'counter': must be >= 1"},
      {"LamportZero", With(OpKind::kTombstone, "lamport", 0),
       "line 1: op a:3: field 'lamport': must be >= 1"},
      {"CounterAtTwoTo63", With(OpKind::kTombstone, "counter", kMaxCounter + 1),
       "line 1: op a:9223372036854775808: field 'counter': must be < 2^63"},
      {"LamportAtTwoTo64",
       Edited(OpKind::kTombstone, "\"lamport\":5", "\"lamport\":18446744073709551616"),
       "line 1: field 'lamport': expected an unsigned integer, got the non-integer number "
       "1.8446744073709552e+19"},
      // Node ids.
      {"NodeOf31Digits", With(OpKind::kTombstone, "node", kNodeHex.substr(1)),
       "line 1: field 'node': expected 32 hex digits, got 31 characters"},
      {"NodeWithNonHexDigit", With(OpKind::kTombstone, "node", "0000g" + kNodeHex.substr(5)),
       "line 1: field 'node': expected 32 hex digits, got a non-hex character at position 4"},
      {"NodeAsNumber", With(OpKind::kTombstone, "node", 5),
       "line 1: field 'node': expected 32 hex digits, got the unsigned integer 5"},
      {"ParentOf33Digits", With(OpKind::kMove, "parent", kParentHex + "0"),
       "line 1: field 'parent': expected 32 hex digits, got 33 characters"},
      // Replica ids.
      {"ReplicaOfOddDigitCount", With(OpKind::kTombstone, "replica", "616"),
       "line 1: field 'replica': expected 2..128 hex digits, an even number (1..64 bytes), got 3 "
       "characters"},
      {"EmptyReplica", With(OpKind::kTombstone, "replica", ""),
       "line 1: field 'replica': expected 2..128 hex digits, an even number (1..64 bytes), got 0 "
       "characters"},
      {"ReplicaOf65Bytes", With(OpKind::kTombstone, "replica", std::string(130, 'a')),
       "line 1: field 'replica': expected 2..128 hex digits, an even number (1..64 bytes), got "
       "130 characters"},
      {"ReplicaNotHex", With(OpKind::kTombstone, "replica", "zz"),
       "line 1: field 'replica': expected a replica id in hex, got a non-hex character at "
       "position 0"},
      {"ReplicaAsNumber", With(OpKind::kTombstone, "replica", 97),
       "line 1: field 'replica': expected a hex string, got the unsigned integer 97"},
      // Byte strings.
      {"OrderKeyOfOddDigitCount", With(OpKind::kMove, "order_key", "800"),
       "line 1: field 'order_key': expected an even number of hex digits, got 3"},
      {"OrderKeyOfOddByteCount", With(OpKind::kMove, "order_key", "80"),
       "line 1: op a:3: field 'order_key': odd length 1 (keys are 16-bit digits)"},
      {"OrderKeyNotHex", With(OpKind::kInsert, "order_key", "80xx"),
       "line 1: field 'order_key': expected hex digits, got a non-hex character at position 2"},
      {"PayloadAsNumber", With(OpKind::kPayload, "payload", 5),
       "line 1: field 'payload': expected a hex string, got the unsigned integer 5"},
      // Known state.
      {"KnownStateNotAnObject", With(OpKind::kDelete, "known_state", Json::array()),
       "line 1: field 'known_state': expected an object mapping replica hex to [[first, last], "
       "...], got an array of 0 elements"},
      {"KnownStateReplicaNotHex", With(OpKind::kDelete, "known_state", ks(R"({"xy": [[1, 1]]})")),
       "line 1: field 'known_state.xy': expected a replica id in hex, got a non-hex character at "
       "position 0"},
      {"KnownStateListNotAnArray", With(OpKind::kDelete, "known_state", ks(R"({"61": 3})")),
       "line 1: field 'known_state.61': expected an array of [first, last] pairs, got the "
       "unsigned integer 3"},
      {"KnownStateTriple", With(OpKind::kDelete, "known_state", ks(R"({"61": [[1, 2, 3]]})")),
       "line 1: field 'known_state.61[0]': expected a [first, last] pair, got an array of 3 "
       "elements"},
      {"KnownStateNegativeBound", With(OpKind::kDelete, "known_state", ks(R"({"61": [[1, -2]]})")),
       "line 1: field 'known_state.61[0].last': expected an unsigned integer, got the negative "
       "integer -2"},
      {"KnownStateReversedRange", With(OpKind::kDelete, "known_state", ks(R"({"61": [[5, 4]]})")),
       "line 1: field 'known_state.61[0]': range [5, 4] " + range_rule},
      {"KnownStateRangeFromZero", With(OpKind::kDelete, "known_state", ks(R"({"61": [[0, 4]]})")),
       "line 1: field 'known_state.61[0]': range [0, 4] " + range_rule},
      {"KnownStateRangeToTwoTo63",
       With(OpKind::kDelete, "known_state", ks(R"({"61": [[1, 9223372036854775808]]})")),
       "line 1: field 'known_state.61[0]': range [1, 9223372036854775808] " + range_rule},
  };
}

class JsonlRejection : public ::testing::TestWithParam<Rejection> {};

TEST_P(JsonlRejection, NamesTheLineAndTheField) {
  ExpectRejected(GetParam().line, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(Rules, JsonlRejection, ::testing::ValuesIn(Rejections()),
                         [](const ::testing::TestParamInfo<Rejection>& case_info) {
                           return case_info.param.name;
                         });

// ---- Robustness -----------------------------------------------------------------------------

RC_GTEST_PROP(JsonlRobustness, ChangedCharactersNeverThrowAndErrorsNameTheLine, ()) {
  std::string line = encode_op_json_line(*arbitrary::op());
  const auto change_count = *rc::gen::inRange(1, 5);
  for (int i = 0; i < change_count; ++i) {
    const auto position = *rc::gen::inRange<std::size_t>(0, line.size());
    line[position] = *rc::gen::elementOf(std::string("{}[]\",:-.0123456789abcdefxyzn \x80\xff"));
  }
  const Result<std::vector<Op>> result = decode_op_log(line);
  if (result.is_ok()) {
    for (const Op& op : *result) RC_ASSERT(validate_op(op).is_ok());
  } else {
    RC_ASSERT(result.status().message().rfind("line 1: ", 0) == 0u);
    RC_ASSERT(IsPrintableAscii(result.status().message()));
  }
}

}  // namespace
}  // namespace treesim
