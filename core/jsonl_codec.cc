#include "core/jsonl_codec.h"

#include <array>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include "core/assert.h"
#include "core/hex.h"

namespace treesim {
namespace {

// Not `json`: core/json_values.h owns the namespace treesim::json.
using JsonValue = nlohmann::json;

// Every field name, in the order the encoder writes them.
constexpr std::array<std::string_view, 9> kFieldNames = {
    "replica", "counter",   "lamport", "kind",        "node",
    "parent",  "order_key", "payload", "known_state",
};

bool has_position(OpKind kind) { return kind == OpKind::kInsert || kind == OpKind::kMove; }
bool may_have_payload(OpKind kind) { return kind == OpKind::kInsert || kind == OpKind::kPayload; }

// ---- Encoding -------------------------------------------------------------------------------

// One body for both object types: nlohmann::json (sorted keys, what callers compose) and
// nlohmann::ordered_json (insertion order, what a log line shows a person).
template <typename Json>
Json to_json_value(const Op& op) {
  TS_ASSERT(validate_op(op).is_ok());
  Json out = Json::object();
  out["replica"] = op.id.replica.to_hex();
  out["counter"] = op.id.counter;
  out["lamport"] = op.lamport;
  out["kind"] = op_kind_name(op.kind);
  out["node"] = op.node.to_hex();
  if (has_position(op.kind)) {
    out["parent"] = op.parent.to_hex();
    out["order_key"] = to_hex(op.order_key);
  }
  if (op.payload) out["payload"] = to_hex(*op.payload);
  if (op.known_state) {
    Json known_state = Json::object();
    for (const auto& [replica, ranges] : op.known_state->entries) {
      Json list = Json::array();
      for (const CounterRange& range : ranges)
        list.push_back(Json::array({range.first, range.last}));
      known_state[replica.to_hex()] = std::move(list);
    }
    out["known_state"] = std::move(known_state);
  }
  return out;
}

// ---- Decoding -------------------------------------------------------------------------------

// Text from the input (keys, kind names, the parser's own description) goes into messages
// escaped, with control and non-ASCII bytes as \xNN, and cut at `max_chars`: a message stays one
// printable line that a terminal, a trace or a later JSON document (which must be UTF-8) can
// carry.
std::string printable(std::string_view text, std::size_t max_chars = 140) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const char c : text) {
    if (out.size() >= max_chars) {
      out += "...";
      break;
    }
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f || byte == '\\') {
      out += "\\x";
      out.push_back(kDigits[byte >> 4]);
      out.push_back(kDigits[byte & 0xF]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// "1 character", "31 characters".
std::string count_of(std::size_t count, const char* noun) {
  return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

Status field_error(std::string_view field, const std::string& problem) {
  return Status::invalid_argument("field '" + std::string(field) + "': " + problem);
}

// What a value is, for "expected X, got Y" messages. Numbers show themselves because the sign
// or the fraction is usually the problem.
std::string describe(const JsonValue& value) {
  switch (value.type()) {
    case JsonValue::value_t::number_unsigned:
      return "the unsigned integer " + value.dump();
    case JsonValue::value_t::number_integer:
      return "the negative integer " + value.dump();
    case JsonValue::value_t::number_float:
      return "the non-integer number " + value.dump();
    case JsonValue::value_t::string:
      return "a string";
    case JsonValue::value_t::null:
      return "null";
    case JsonValue::value_t::array:
      return "an array of " + count_of(value.size(), "element");
    case JsonValue::value_t::object:
      return "an object";
    case JsonValue::value_t::boolean:
      return "a boolean";
    default:
      return std::string("a value of type ") + value.type_name();
  }
}

// JSON integers are unsigned here; the ranges of counter and lamport are validate_op()'s job.
Result<std::uint64_t> read_unsigned(const JsonValue& value, std::string_view field) {
  if (!value.is_number_unsigned()) {
    return field_error(field, "expected an unsigned integer, got " + describe(value));
  }
  return value.get<std::uint64_t>();
}

// The position of the first character that is not a hex digit, if any.
std::optional<std::size_t> first_non_hex(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) return i;
  }
  return std::nullopt;
}

Result<std::string> read_hex_bytes(const JsonValue& value, std::string_view field) {
  if (!value.is_string()) {
    return field_error(field, "expected a hex string, got " + describe(value));
  }
  const auto& text = value.get_ref<const std::string&>();
  if (const auto position = first_non_hex(text)) {
    return field_error(field, "expected hex digits, got a non-hex character at position " +
                                  std::to_string(*position));
  }
  std::optional<std::string> bytes = from_hex(text);
  if (!bytes) {
    return field_error(field,
                       "expected an even number of hex digits, got " + std::to_string(text.size()));
  }
  return *std::move(bytes);
}

Result<ReplicaId> read_replica(std::string_view text, std::string_view field) {
  if (const auto position = first_non_hex(text)) {
    return field_error(field, "expected a replica id in hex, got a non-hex character at position " +
                                  std::to_string(*position));
  }
  std::optional<ReplicaId> replica = ReplicaId::from_hex(text);
  if (!replica) {
    return field_error(field, "expected 2.." + std::to_string(2 * ReplicaId::kMaxBytes) +
                                  " hex digits, an even number (1.." +
                                  std::to_string(ReplicaId::kMaxBytes) + " bytes), got " +
                                  count_of(text.size(), "character"));
  }
  return *std::move(replica);
}

Result<NodeId> read_node(const JsonValue& value, std::string_view field) {
  if (!value.is_string()) {
    return field_error(field, "expected 32 hex digits, got " + describe(value));
  }
  const auto& text = value.get_ref<const std::string&>();
  if (text.size() != 32) {
    return field_error(field, "expected 32 hex digits, got " + count_of(text.size(), "character"));
  }
  if (const auto position = first_non_hex(text)) {
    return field_error(field, "expected 32 hex digits, got a non-hex character at position " +
                                  std::to_string(*position));
  }
  std::optional<NodeId> node = NodeId::from_hex(text);
  TS_ASSERT(node.has_value());  // 32 hex digits always decode
  return *node;
}

Result<CounterRange> read_range(const JsonValue& value, const std::string& field) {
  if (!value.is_array() || value.size() != 2) {
    return field_error(field, "expected a [first, last] pair, got " + describe(value));
  }
  CounterRange range;
  TS_ASSIGN_OR_RETURN(range.first, read_unsigned(value[0], field + ".first"));
  TS_ASSIGN_OR_RETURN(range.last, read_unsigned(value[1], field + ".last"));
  if (!is_valid_range(range)) {
    return field_error(field, "range [" + std::to_string(range.first) + ", " +
                                  std::to_string(range.last) +
                                  "] is not valid (need 1 <= first <= last < 2^63)");
  }
  return range;
}

// Fields inside known_state are named like "known_state.61[0].last".
Result<VersionVector> read_known_state(const JsonValue& value) {
  if (!value.is_object()) {
    return field_error(
        "known_state",
        "expected an object mapping replica hex to [[first, last], ...], got " + describe(value));
  }
  std::vector<std::pair<ReplicaId, CounterRange>> ranges;
  for (const auto& item : value.items()) {
    const std::string entry_field = "known_state." + printable(item.key());
    TS_ASSIGN_OR_RETURN(const ReplicaId replica, read_replica(item.key(), entry_field));
    const JsonValue& list = item.value();
    if (!list.is_array()) {
      return field_error(entry_field,
                         "expected an array of [first, last] pairs, got " + describe(list));
    }
    for (std::size_t index = 0; index < list.size(); ++index) {
      TS_ASSIGN_OR_RETURN(const CounterRange range,
                          read_range(list[index], entry_field + "[" + std::to_string(index) + "]"));
      ranges.emplace_back(replica, range);
    }
  }
  // Decoding normalizes (SEMANTICS.md §3): two spellings of one replica contribute the union,
  // and a replica with an empty list contributes nothing.
  return VersionVector::from_ranges(ranges);
}

Result<Op> read_op(const JsonValue& value) {
  if (!value.is_object()) {
    return Status::invalid_argument("expected a JSON object, got " + describe(value));
  }
  for (const auto& item : value.items()) {
    bool known = false;
    for (std::string_view name : kFieldNames) known = known || item.key() == name;
    if (!known) {
      std::string names;
      for (std::string_view name : kFieldNames)
        names += (names.empty() ? "" : ", ") + std::string(name);
      return field_error(printable(item.key()), "unknown field (known: " + names + ")");
    }
  }
  auto find = [&](std::string_view field) -> const JsonValue* {
    auto it = value.find(std::string(field));
    return it == value.end() ? nullptr : &*it;
  };
  auto missing = [](std::string_view field, std::string_view when) {
    return field_error(field, "required " + std::string(when) + ", but missing");
  };

  Op op;
  const JsonValue* kind = find("kind");
  if (kind == nullptr) return missing("kind", "on every op");
  if (!kind->is_string()) return field_error("kind", "expected a string, got " + describe(*kind));
  const std::optional<OpKind> parsed_kind = op_kind_from_name(kind->get_ref<const std::string&>());
  if (!parsed_kind) {
    return field_error("kind", "unknown kind \"" + printable(kind->get_ref<const std::string&>()) +
                                   "\" (known: insert, move, delete, tombstone, payload)");
  }
  op.kind = *parsed_kind;
  const std::string on_kind =
      std::string(op.kind == OpKind::kInsert ? "on an " : "on a ") + op_kind_name(op.kind);

  const JsonValue* replica = find("replica");
  if (replica == nullptr) return missing("replica", "on every op");
  if (!replica->is_string()) {
    return field_error("replica", "expected a hex string, got " + describe(*replica));
  }
  TS_ASSIGN_OR_RETURN(op.id.replica,
                      read_replica(replica->get_ref<const std::string&>(), "replica"));

  const JsonValue* counter = find("counter");
  if (counter == nullptr) return missing("counter", "on every op");
  TS_ASSIGN_OR_RETURN(op.id.counter, read_unsigned(*counter, "counter"));

  const JsonValue* lamport = find("lamport");
  if (lamport == nullptr) return missing("lamport", "on every op");
  TS_ASSIGN_OR_RETURN(op.lamport, read_unsigned(*lamport, "lamport"));

  const JsonValue* node = find("node");
  if (node == nullptr) return missing("node", "on every op");
  TS_ASSIGN_OR_RETURN(op.node, read_node(*node, "node"));

  const JsonValue* parent = find("parent");
  const JsonValue* order_key = find("order_key");
  if (has_position(op.kind)) {
    if (parent == nullptr) return missing("parent", on_kind);
    TS_ASSIGN_OR_RETURN(op.parent, read_node(*parent, "parent"));
    if (order_key == nullptr) return missing("order_key", on_kind);
    TS_ASSIGN_OR_RETURN(op.order_key, read_hex_bytes(*order_key, "order_key"));
  } else {
    if (parent != nullptr) return field_error("parent", "not allowed " + on_kind);
    if (order_key != nullptr) return field_error("order_key", "not allowed " + on_kind);
  }

  if (const JsonValue* payload = find("payload")) {
    if (!may_have_payload(op.kind)) return field_error("payload", "not allowed " + on_kind);
    if (!payload->is_null()) {
      TS_ASSIGN_OR_RETURN(op.payload, read_hex_bytes(*payload, "payload"));
    }
  }

  if (const JsonValue* known_state = find("known_state")) {
    TS_ASSIGN_OR_RETURN(op.known_state, read_known_state(*known_state));
  }

  // The shape is right; the rules of SEMANTICS.md §1-2 have one home.
  TS_RETURN_IF_ERROR(validate_op(op));
  return op;
}

// Rejects a key repeated within one object, which nlohmann::json would otherwise resolve by
// keeping one of the values without a word. Records the first repeat for the error message.
class DuplicateKeyDetector {
 public:
  bool on_event(int depth, JsonValue::parse_event_t event, const JsonValue& parsed) {
    switch (event) {
      case JsonValue::parse_event_t::object_start:
        keys_.emplace_back();
        break;
      case JsonValue::parse_event_t::object_end:
        if (!keys_.empty()) keys_.pop_back();
        break;
      case JsonValue::parse_event_t::key: {
        const auto& key = parsed.get_ref<const std::string&>();
        if (depth == 1) top_level_key_ = printable(key);
        if (!keys_.empty() && !keys_.back().insert(key).second && !error_) {
          error_ = depth == 1
                       ? field_error(printable(key), "appears twice in one op")
                       : field_error(top_level_key_, "key '" + printable(key) + "' appears twice");
        }
        break;
      }
      default:
        break;
    }
    return true;
  }

  const std::optional<Status>& error() const { return error_; }

 private:
  std::vector<std::set<std::string>> keys_;
  std::string top_level_key_;
  std::optional<Status> error_;
};

// "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..." becomes
// "invalid JSON at column 5: syntax error ...": the line is ours to name, the column is not.
Status syntax_error(const JsonValue::parse_error& error) {
  const std::string what = error.what();
  const std::size_t column = what.find("column ");
  const std::size_t detail = column == std::string::npos ? column : what.find(": ", column);
  if (detail == std::string::npos) {
    return Status::invalid_argument("invalid JSON: " + printable(what, 300));
  }
  return Status::invalid_argument("invalid JSON at " + what.substr(column, detail - column) + ": " +
                                  printable(what.substr(detail + 2), 300));
}

Result<Op> decode_line(std::string_view line) {
  DuplicateKeyDetector detector;
  JsonValue value;
  try {
    value =
        JsonValue::parse(line.begin(), line.end(),
                         [&detector](int depth, JsonValue::parse_event_t event, JsonValue& parsed) {
                           return detector.on_event(depth, event, parsed);
                         });
  } catch (const JsonValue::parse_error& error) {
    return syntax_error(error);
  } catch (const JsonValue::exception& error) {
    return Status::invalid_argument("invalid JSON: " + printable(error.what(), 300));
  }
  if (detector.error()) return *detector.error();
  return op_from_json(value);
}

bool is_blank_or_comment(std::string_view line) {
  const std::size_t first = line.find_first_not_of(" \t\r\f\v");
  return first == std::string_view::npos || line[first] == '#';
}

}  // namespace

nlohmann::json op_to_json(const Op& op) { return to_json_value<nlohmann::json>(op); }

Result<Op> op_from_json(const nlohmann::json& value) {
  // The reads above check types before every access, so this is a second line of defense: no
  // exception of the JSON library may leave the codec.
  try {
    return read_op(value);
  } catch (const JsonValue::exception& error) {
    return Status::invalid_argument("unexpected JSON error: " + printable(error.what(), 300));
  }
}

std::string encode_op_json_line(const Op& op) {
  return to_json_value<nlohmann::ordered_json>(op).dump();
}

std::string encode_op_log(const std::vector<Op>& ops) {
  std::string out;
  for (const Op& op : ops) {
    out += encode_op_json_line(op);
    out += '\n';
  }
  return out;
}

Result<std::vector<Op>> decode_op_log(std::string_view text) {
  std::vector<Op> ops;
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    ++line_number;
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (is_blank_or_comment(line)) continue;
    Result<Op> op = decode_line(line);
    if (!op.is_ok()) return op.status().with_context("line " + std::to_string(line_number));
    ops.push_back(std::move(op).value());
  }
  return ops;
}

}  // namespace treesim
