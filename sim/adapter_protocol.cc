#include "sim/adapter_protocol.h"

#include <utility>

#include "core/json_values.h"
#include "core/jsonl_codec.h"

namespace treesim::protocol {
namespace {

using JsonValue = nlohmann::json;

constexpr StatusCode kWireCodes[] = {
    StatusCode::kInvalidArgument,    StatusCode::kCorruption,
    StatusCode::kEquivocation,       StatusCode::kIoError,
    StatusCode::kStorageFull,        StatusCode::kFaultInjected,
    StatusCode::kFailedPrecondition, StatusCode::kNotFound,
    StatusCode::kUnsupported,        StatusCode::kInternal,
};

Status expect_string(const JsonValue& value, std::string_view path) {
  if (value.is_string()) return Status::ok();
  return json::field_error(path, "expected a string, got " + json::describe(value));
}

// The field `name` of `object` at `path`, required.
Result<const JsonValue*> required(const JsonValue& object, std::string_view path,
                                  std::string_view name) {
  return json::require_field(object, path, name, "here");
}

Result<Placement> placement_from_json(const JsonValue& value, std::string_view path) {
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    if (text == "first") return Placement::first();
    if (text == "last") return Placement::last();
    return json::field_error(path, "unknown placement \"" + json::printable(text) +
                                       "\" (known: first, last, {\"after\": node})");
  }
  TS_RETURN_IF_ERROR(json::expect_object(value, path, {"after"}));
  TS_ASSIGN_OR_RETURN(const JsonValue* after, required(value, path, "after"));
  TS_ASSIGN_OR_RETURN(NodeId sibling, json::to_node(*after, json::field_path(path, "after")));
  return Placement::after(sibling);
}

JsonValue placement_to_json(const Placement& placement) {
  switch (placement.kind) {
    case Placement::Kind::kFirst:
      return "first";
    case Placement::Kind::kLast:
      return "last";
    case Placement::Kind::kAfter:
      return JsonValue{{"after", json::from_node(placement.sibling)}};
  }
  TS_UNREACHABLE();
}

const char* edit_kind_name(LocalEdit::Kind kind) {
  switch (kind) {
    case LocalEdit::Kind::kInsert:
      return "insert";
    case LocalEdit::Kind::kMove:
      return "move";
    case LocalEdit::Kind::kRemove:
      return "remove";
    case LocalEdit::Kind::kSetPayload:
      return "set_payload";
  }
  TS_UNREACHABLE();
}

Result<std::optional<std::string>> optional_bytes(const JsonValue& value, std::string_view path) {
  if (value.is_null()) return std::optional<std::string>();
  TS_ASSIGN_OR_RETURN(std::string bytes, json::to_bytes(value, path));
  return std::optional<std::string>(std::move(bytes));
}

}  // namespace

const char* error_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kInvalidArgument:
      return "invalid_argument";
    case StatusCode::kCorruption:
      return "corruption";
    case StatusCode::kEquivocation:
      return "equivocation";
    case StatusCode::kIoError:
      return "io_error";
    case StatusCode::kStorageFull:
      return "storage_full";
    case StatusCode::kFaultInjected:
      return "fault_injected";
    case StatusCode::kFailedPrecondition:
      return "failed_precondition";
    case StatusCode::kNotFound:
      return "not_found";
    case StatusCode::kUnsupported:
      return "unsupported";
    case StatusCode::kInternal:
      return "internal";
  }
  TS_UNREACHABLE();
}

std::optional<StatusCode> error_code_from_name(std::string_view name) {
  for (const StatusCode code : kWireCodes) {
    if (name == error_code_name(code)) return code;
  }
  return std::nullopt;
}

JsonValue head_to_json(const Head& head) {
  JsonValue out = JsonValue::object();
  out["seq"] = head.seq;
  out["key"] = head.key ? json::from_key(*head.key) : JsonValue(nullptr);
  return out;
}

Result<Head> head_from_json(const JsonValue& value, std::string_view path) {
  TS_RETURN_IF_ERROR(json::expect_object(value, path, {"seq", "key"}));
  Head head;
  TS_ASSIGN_OR_RETURN(const JsonValue* seq, required(value, path, "seq"));
  TS_ASSIGN_OR_RETURN(head.seq, json::to_uint(*seq, json::field_path(path, "seq")));
  TS_ASSIGN_OR_RETURN(const JsonValue* key, required(value, path, "key"));
  if (!key->is_null()) {
    TS_ASSIGN_OR_RETURN(OpKey parsed, json::to_key(*key, json::field_path(path, "key")));
    head.key = std::move(parsed);
  }
  return head;
}

JsonValue frontier_to_json(const Frontier& frontier) {
  switch (frontier.kind) {
    case Frontier::Kind::kNone:
      return nullptr;
    case Frontier::Kind::kStart:
      return "start";
    case Frontier::Kind::kKey:
      return json::from_key(frontier.key);
  }
  TS_UNREACHABLE();
}

Result<Frontier> frontier_from_json(const JsonValue& value, std::string_view path) {
  if (value.is_null()) return Frontier::none();
  if (value.is_string()) {
    if (value.get_ref<const std::string&>() == "start") return Frontier::start();
    return json::field_error(path, "expected null, \"start\" or an op key, got \"" +
                                       json::printable(value.get_ref<const std::string&>()) + "\"");
  }
  TS_ASSIGN_OR_RETURN(OpKey key, json::to_key(value, path));
  return Frontier::at(std::move(key));
}

JsonValue append_result_to_json(const AppendResult& result) {
  JsonValue affected = JsonValue::array();
  for (const NodeId& node : result.affected) affected.push_back(json::from_node(node));
  JsonValue out = JsonValue::object();
  out["head"] = head_to_json(result.head);
  out["affected"] = std::move(affected);
  out["new_op_count"] = result.new_op_count;
  out["duplicate_count"] = result.duplicate_count;
  out["catch_up_pending"] = result.catch_up_pending;
  return out;
}

Result<AppendResult> append_result_from_json(const JsonValue& value, std::string_view path) {
  TS_RETURN_IF_ERROR(json::expect_object(
      value, path, {"head", "affected", "new_op_count", "duplicate_count", "catch_up_pending"}));
  AppendResult result;
  TS_ASSIGN_OR_RETURN(const JsonValue* head, required(value, path, "head"));
  TS_ASSIGN_OR_RETURN(result.head, head_from_json(*head, json::field_path(path, "head")));
  TS_ASSIGN_OR_RETURN(const JsonValue* affected, required(value, path, "affected"));
  TS_ASSIGN_OR_RETURN(result.affected,
                      nodes_from_json(*affected, json::field_path(path, "affected")));
  // The simulator searches the list: an unsorted one would read as missing nodes.
  for (std::size_t i = 1; i < result.affected.size(); ++i) {
    if (result.affected[i] < result.affected[i - 1]) {
      return json::field_error(
          json::field_path(path, "affected"),
          "node ids must be sorted; element " + std::to_string(i) + " is below the one before it");
    }
  }
  TS_ASSIGN_OR_RETURN(const JsonValue* fresh, required(value, path, "new_op_count"));
  TS_ASSIGN_OR_RETURN(result.new_op_count,
                      json::to_uint(*fresh, json::field_path(path, "new_op_count")));
  TS_ASSIGN_OR_RETURN(const JsonValue* duplicates, required(value, path, "duplicate_count"));
  TS_ASSIGN_OR_RETURN(result.duplicate_count,
                      json::to_uint(*duplicates, json::field_path(path, "duplicate_count")));
  TS_ASSIGN_OR_RETURN(const JsonValue* pending, required(value, path, "catch_up_pending"));
  TS_ASSIGN_OR_RETURN(result.catch_up_pending,
                      json::to_bool(*pending, json::field_path(path, "catch_up_pending")));
  return result;
}

JsonValue query_answers_to_json(const QueryAnswers& answers) {
  JsonValue children = JsonValue::array();
  for (const NodeId& child : answers.children) children.push_back(json::from_node(child));
  JsonValue out = JsonValue::object();
  out["children"] = std::move(children);
  out["parent"] = answers.parent ? json::from_node(*answers.parent) : JsonValue(nullptr);
  out["payload"] = answers.payload ? json::from_bytes(*answers.payload) : JsonValue(nullptr);
  return out;
}

Result<QueryAnswers> query_answers_from_json(const JsonValue& value, std::string_view path) {
  TS_RETURN_IF_ERROR(json::expect_object(value, path, {"children", "parent", "payload"}));
  QueryAnswers answers;
  TS_ASSIGN_OR_RETURN(const JsonValue* children, required(value, path, "children"));
  TS_ASSIGN_OR_RETURN(answers.children,
                      nodes_from_json(*children, json::field_path(path, "children")));
  TS_ASSIGN_OR_RETURN(const JsonValue* parent, required(value, path, "parent"));
  if (!parent->is_null()) {
    TS_ASSIGN_OR_RETURN(answers.parent, json::to_node(*parent, json::field_path(path, "parent")));
  }
  TS_ASSIGN_OR_RETURN(const JsonValue* payload, required(value, path, "payload"));
  if (!payload->is_null()) {
    TS_ASSIGN_OR_RETURN(answers.payload,
                        json::to_bytes(*payload, json::field_path(path, "payload")));
  }
  return answers;
}

JsonValue edit_to_json(const LocalEdit& edit) {
  JsonValue out = JsonValue::object();
  out["kind"] = edit_kind_name(edit.kind);
  out["node"] = json::from_node(edit.node);
  switch (edit.kind) {
    case LocalEdit::Kind::kInsert:
      out["parent"] = json::from_node(edit.parent);
      out["placement"] = placement_to_json(edit.placement);
      if (edit.payload) out["payload"] = json::from_bytes(*edit.payload);
      break;
    case LocalEdit::Kind::kMove:
      out["parent"] = json::from_node(edit.parent);
      out["placement"] = placement_to_json(edit.placement);
      break;
    case LocalEdit::Kind::kRemove:
      break;
    case LocalEdit::Kind::kSetPayload:
      out["payload"] = edit.payload ? json::from_bytes(*edit.payload) : JsonValue(nullptr);
      break;
  }
  return out;
}

Result<LocalEdit> edit_from_json(const JsonValue& value, std::string_view path) {
  TS_RETURN_IF_ERROR(
      json::expect_object(value, path, {"kind", "node", "parent", "placement", "payload"}));
  LocalEdit edit;
  TS_ASSIGN_OR_RETURN(const JsonValue* kind, required(value, path, "kind"));
  const std::string kind_path = json::field_path(path, "kind");
  TS_RETURN_IF_ERROR(expect_string(*kind, kind_path));
  const std::string& name = kind->get_ref<const std::string&>();
  bool positioned = false;
  bool known = false;
  for (const LocalEdit::Kind candidate : {LocalEdit::Kind::kInsert, LocalEdit::Kind::kMove,
                                          LocalEdit::Kind::kRemove, LocalEdit::Kind::kSetPayload}) {
    if (name == edit_kind_name(candidate)) {
      edit.kind = candidate;
      known = true;
    }
  }
  if (!known) {
    return json::field_error(kind_path, "unknown edit \"" + json::printable(name) +
                                            "\" (known: insert, move, remove, set_payload)");
  }
  positioned = edit.kind == LocalEdit::Kind::kInsert || edit.kind == LocalEdit::Kind::kMove;
  TS_ASSIGN_OR_RETURN(const JsonValue* node, required(value, path, "node"));
  TS_ASSIGN_OR_RETURN(edit.node, json::to_node(*node, json::field_path(path, "node")));
  const JsonValue* parent = json::find_field(value, "parent");
  const JsonValue* placement = json::find_field(value, "placement");
  const JsonValue* payload = json::find_field(value, "payload");
  if (positioned) {
    TS_ASSIGN_OR_RETURN(parent, required(value, path, "parent"));
    TS_ASSIGN_OR_RETURN(edit.parent, json::to_node(*parent, json::field_path(path, "parent")));
    TS_ASSIGN_OR_RETURN(placement, required(value, path, "placement"));
    TS_ASSIGN_OR_RETURN(edit.placement,
                        placement_from_json(*placement, json::field_path(path, "placement")));
  } else if (parent != nullptr || placement != nullptr) {
    return json::field_error(json::field_path(path, parent != nullptr ? "parent" : "placement"),
                             "not used by a " + name);
  }
  if (edit.kind == LocalEdit::Kind::kSetPayload) {
    TS_ASSIGN_OR_RETURN(payload, required(value, path, "payload"));
  } else if (payload != nullptr && edit.kind != LocalEdit::Kind::kInsert) {
    return json::field_error(json::field_path(path, "payload"), "not used by a " + name);
  }
  if (payload != nullptr) {
    TS_ASSIGN_OR_RETURN(edit.payload, optional_bytes(*payload, json::field_path(path, "payload")));
  }
  return edit;
}

JsonValue config_to_json(const ReplicaConfig& config) {
  JsonValue out = JsonValue::object();
  out["store"] = store_kind_name(config.store);
  out["strategy"] = catch_up_strategy_name(config.strategy);
  out["deferred"] = config.deferred;
  out["undo_retention"] = config.undo_retention;
  return out;
}

Result<ReplicaConfig> config_from_json(const JsonValue& value, std::string_view path) {
  TS_RETURN_IF_ERROR(
      json::expect_object(value, path, {"store", "strategy", "deferred", "undo_retention"}));
  ReplicaConfig config;
  if (const JsonValue* store = json::find_field(value, "store")) {
    const std::string store_path = json::field_path(path, "store");
    TS_RETURN_IF_ERROR(expect_string(*store, store_path));
    const auto kind = store_kind_from_name(store->get_ref<const std::string&>());
    if (!kind) {
      return json::field_error(store_path, "unknown store \"" +
                                               json::printable(store->get<std::string>()) +
                                               "\" (known: sqlite, memory)");
    }
    config.store = *kind;
  }
  if (const JsonValue* strategy = json::find_field(value, "strategy")) {
    const std::string strategy_path = json::field_path(path, "strategy");
    TS_RETURN_IF_ERROR(expect_string(*strategy, strategy_path));
    const auto parsed = catch_up_strategy_from_name(strategy->get_ref<const std::string&>());
    if (!parsed) {
      return json::field_error(strategy_path, "unknown strategy \"" +
                                                  json::printable(strategy->get<std::string>()) +
                                                  "\" (known: rebuild, prefix-replay, rewind)");
    }
    config.strategy = *parsed;
  }
  if (const JsonValue* deferred = json::find_field(value, "deferred")) {
    TS_ASSIGN_OR_RETURN(config.deferred,
                        json::to_bool(*deferred, json::field_path(path, "deferred")));
  }
  if (const JsonValue* retention = json::find_field(value, "undo_retention")) {
    TS_ASSIGN_OR_RETURN(config.undo_retention,
                        json::to_uint(*retention, json::field_path(path, "undo_retention")));
  }
  return config;
}

JsonValue probes_to_json(const Probes& probes) {
  JsonValue out = JsonValue::object();
  for (std::size_t i = 0; i < kProbeCount; ++i) {
    const auto probe = static_cast<Probe>(i);
    out[probe_name(probe)] = probes.count(probe);
  }
  return out;
}

Result<Probes> probes_from_json(const JsonValue& value, std::string_view path) {
  if (!value.is_object()) {
    return json::field_error(path, "expected a JSON object, got " + json::describe(value));
  }
  Probes probes;
  for (const auto& [name, count] : value.items()) {
    std::optional<Probe> probe;
    for (std::size_t i = 0; i < kProbeCount && !probe; ++i) {
      if (name == probe_name(static_cast<Probe>(i))) probe = static_cast<Probe>(i);
    }
    const std::string count_path = json::field_path(path, name);
    if (!probe) return json::field_error(count_path, "unknown probe");
    TS_ASSIGN_OR_RETURN(std::uint64_t times, json::to_uint(count, count_path));
    probes.hit(*probe, times);
  }
  return probes;
}

JsonValue error_to_json(const Status& status, bool needs_restart) {
  TS_ASSERT(!status.is_ok());
  JsonValue error = JsonValue::object();
  error["code"] = error_code_name(status.code());
  error["message"] = status.message();
  if (needs_restart) error["needs_restart"] = true;
  return JsonValue{{"error", std::move(error)}};
}

Result<RemoteError> error_from_json(const JsonValue& value, std::string_view path) {
  TS_RETURN_IF_ERROR(json::expect_object(value, path, {"code", "message", "needs_restart"}));
  TS_ASSIGN_OR_RETURN(const JsonValue* code, required(value, path, "code"));
  const std::string code_path = json::field_path(path, "code");
  TS_RETURN_IF_ERROR(expect_string(*code, code_path));
  const auto parsed = error_code_from_name(code->get_ref<const std::string&>());
  if (!parsed) {
    return json::field_error(code_path,
                             "unknown error code \"" + json::printable(code->get<std::string>()) +
                                 "\" (known: invalid_argument, corruption, equivocation, "
                                 "io_error, storage_full, fault_injected, failed_precondition, "
                                 "not_found, unsupported, internal)");
  }
  std::string message;
  if (const JsonValue* text = json::find_field(value, "message")) {
    TS_RETURN_IF_ERROR(expect_string(*text, json::field_path(path, "message")));
    message = text->get<std::string>();
  }
  RemoteError error{Status(*parsed, std::move(message)), false};
  if (const JsonValue* restart = json::find_field(value, "needs_restart")) {
    TS_ASSIGN_OR_RETURN(error.needs_restart,
                        json::to_bool(*restart, json::field_path(path, "needs_restart")));
  }
  return error;
}

std::string ops_to_json_text(const std::vector<Op>& ops) {
  std::string text = "[";
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (i > 0) text += ',';
    text += encode_unvalidated_op_json_line(ops[i]);
  }
  return text + "]";
}

Result<std::vector<Op>> ops_from_json(const JsonValue& value, std::string_view path) {
  if (!value.is_array()) {
    return json::field_error(path, "expected an array of ops, got " + json::describe(value));
  }
  std::vector<Op> ops;
  ops.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto op = unvalidated_op_from_json(value[i]);
    if (!op.is_ok()) {
      return op.status().with_context("field '" + std::string(path) + "[" + std::to_string(i) +
                                      "]'");
    }
    ops.push_back(*std::move(op));
  }
  return ops;
}

Result<std::vector<NodeId>> nodes_from_json(const JsonValue& value, std::string_view path) {
  if (!value.is_array()) {
    return json::field_error(path, "expected an array of node ids, got " + json::describe(value));
  }
  std::vector<NodeId> nodes;
  nodes.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    TS_ASSIGN_OR_RETURN(NodeId node,
                        json::to_node(value[i], std::string(path) + "[" + std::to_string(i) + "]"));
    nodes.push_back(node);
  }
  return nodes;
}

}  // namespace treesim::protocol
