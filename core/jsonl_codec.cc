#include "core/jsonl_codec.h"

#include <optional>
#include <string_view>
#include <utility>

#include "core/assert.h"
#include "core/json_values.h"

namespace treesim {
namespace {

// Not `json`: core/json_values.h owns the namespace treesim::json.
using JsonValue = nlohmann::json;

bool has_position(OpKind kind) { return kind == OpKind::kInsert || kind == OpKind::kMove; }
bool may_have_payload(OpKind kind) { return kind == OpKind::kInsert || kind == OpKind::kPayload; }

// ---- Encoding -------------------------------------------------------------------------------

// Whether the table can express `op`, valid or not: the rules it may break are only those of
// values the table reads without judging (counter, lamport, key and payload lengths, a
// delete's known_state).
bool expressible(const Op& op) {
  if (!op.id.replica.is_valid() || !op_kind_from_name(op_kind_name(op.kind))) return false;
  if (!has_position(op.kind) && (op.parent != NodeId{} || !op.order_key.empty())) return false;
  if (!may_have_payload(op.kind) && op.payload) return false;
  return !op.known_state || op.known_state->is_normalized();
}

// One body for both object types: nlohmann::json (sorted keys, what callers compose) and
// nlohmann::ordered_json (insertion order, what a log line shows a person). `validated`: the op
// must pass validate_op(); otherwise it only needs to be expressible.
template <typename Json>
Json to_json_value(const Op& op, bool validated = true) {
  if (validated) {
    TS_ASSERT(validate_op(op).is_ok());
  } else {
    TS_ASSERT(expressible(op));
  }
  Json out = Json::object();
  out["replica"] = op.id.replica.to_hex();
  out["counter"] = op.id.counter;
  out["lamport"] = op.lamport;
  out["kind"] = op_kind_name(op.kind);
  out["node"] = json::from_node<Json>(op.node);
  if (has_position(op.kind)) {
    out["parent"] = json::from_node<Json>(op.parent);
    out["order_key"] = json::from_bytes<Json>(op.order_key);
  }
  if (op.payload) out["payload"] = json::from_bytes<Json>(*op.payload);
  if (op.known_state) out["known_state"] = json::from_vv<Json>(*op.known_state);
  return out;
}

// ---- Decoding -------------------------------------------------------------------------------

// Field paths are the field names themselves ("node"), and "known_state.61[0].last" inside a
// version vector. Counter and lamport are read as any unsigned integer: their ranges are
// validate_op()'s to check, whose messages name the op.
Result<Op> read_op(const JsonValue& value, bool validated = true) {
  // Every field name, in the order the encoder writes them.
  TS_RETURN_IF_ERROR(json::expect_object(value, "",
                                         {"replica", "counter", "lamport", "kind", "node", "parent",
                                          "order_key", "payload", "known_state"}));
  constexpr std::string_view kEveryOp = "on every op";

  Op op;
  TS_ASSIGN_OR_RETURN(const JsonValue* kind, json::require_field(value, "", "kind", kEveryOp));
  if (!kind->is_string()) {
    return json::field_error("kind", "expected a string, got " + json::describe(*kind));
  }
  const std::optional<OpKind> parsed_kind = op_kind_from_name(kind->get_ref<const std::string&>());
  if (!parsed_kind) {
    return json::field_error("kind", "unknown kind \"" +
                                         json::printable(kind->get_ref<const std::string&>()) +
                                         "\" (known: insert, move, delete, tombstone, payload)");
  }
  op.kind = *parsed_kind;
  const std::string on_kind =
      std::string(op.kind == OpKind::kInsert ? "on an " : "on a ") + op_kind_name(op.kind);

  TS_ASSIGN_OR_RETURN(const JsonValue* replica,
                      json::require_field(value, "", "replica", kEveryOp));
  TS_ASSIGN_OR_RETURN(op.id.replica, json::to_replica(*replica, "replica"));
  TS_ASSIGN_OR_RETURN(const JsonValue* counter,
                      json::require_field(value, "", "counter", kEveryOp));
  TS_ASSIGN_OR_RETURN(op.id.counter, json::to_uint(*counter, "counter"));
  TS_ASSIGN_OR_RETURN(const JsonValue* lamport,
                      json::require_field(value, "", "lamport", kEveryOp));
  TS_ASSIGN_OR_RETURN(op.lamport, json::to_uint(*lamport, "lamport"));
  TS_ASSIGN_OR_RETURN(const JsonValue* node, json::require_field(value, "", "node", kEveryOp));
  TS_ASSIGN_OR_RETURN(op.node, json::to_node(*node, "node"));

  if (has_position(op.kind)) {
    TS_ASSIGN_OR_RETURN(const JsonValue* parent, json::require_field(value, "", "parent", on_kind));
    TS_ASSIGN_OR_RETURN(op.parent, json::to_node(*parent, "parent"));
    TS_ASSIGN_OR_RETURN(const JsonValue* order_key,
                        json::require_field(value, "", "order_key", on_kind));
    TS_ASSIGN_OR_RETURN(op.order_key, json::to_bytes(*order_key, "order_key"));
  } else {
    for (const std::string_view field : {"parent", "order_key"}) {
      if (json::find_field(value, field) != nullptr) {
        return json::field_error(field, "not allowed " + on_kind);
      }
    }
  }

  if (const JsonValue* payload = json::find_field(value, "payload")) {
    if (!may_have_payload(op.kind)) return json::field_error("payload", "not allowed " + on_kind);
    if (!payload->is_null()) {
      TS_ASSIGN_OR_RETURN(op.payload, json::to_bytes(*payload, "payload"));
    }
  }

  if (const JsonValue* known_state = json::find_field(value, "known_state")) {
    TS_ASSIGN_OR_RETURN(op.known_state, json::to_vv(*known_state, "known_state"));
  }

  // The shape is right; the rules of SEMANTICS.md §1-2 have one home.
  if (validated) TS_RETURN_IF_ERROR(validate_op(op));
  return op;
}

Result<Op> decode_line(std::string_view line) {
  TS_ASSIGN_OR_RETURN(const JsonValue value, json::parse(line, "op"));
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
    return Status::invalid_argument("unexpected JSON error: " + json::printable(error.what(), 300));
  }
}

std::string encode_op_json_line(const Op& op) {
  return to_json_value<nlohmann::ordered_json>(op).dump();
}

std::string encode_unvalidated_op_json_line(const Op& op) {
  return to_json_value<nlohmann::ordered_json>(op, /*validated=*/false).dump();
}

Result<Op> unvalidated_op_from_json(const nlohmann::json& value) {
  try {
    return read_op(value, /*validated=*/false);
  } catch (const JsonValue::exception& error) {
    return Status::invalid_argument("unexpected JSON error: " + json::printable(error.what(), 300));
  }
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
