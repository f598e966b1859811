#include "sim/scenario.h"

#include <algorithm>
#include <utility>

#include "core/json_values.h"
#include "core/jsonl_codec.h"
#include "sim/file_io.h"

namespace treesim {
namespace {

// Not `json`: core/json_values.h owns the namespace treesim::json.
using JsonValue = nlohmann::json;
// Events are written with their fields in a fixed order, for the person reading the file.
using Ordered = nlohmann::ordered_json;

// A fault countdown beyond this is a typo, not a plan.
constexpr std::uint64_t kCountdownMax = std::uint64_t{1} << 32;

struct EventKindName {
  Event::Kind kind;
  const char* name;
};

constexpr EventKindName kEventKinds[] = {
    {Event::Kind::kLocal, "local"},
    {Event::Kind::kDeliver, "deliver"},
    {Event::Kind::kSync, "sync"},
    {Event::Kind::kPartition, "partition"},
    {Event::Kind::kHeal, "heal"},
    {Event::Kind::kCrash, "crash"},
    {Event::Kind::kRestart, "restart"},
    {Event::Kind::kArmStorageFault, "arm_storage_fault"},
    {Event::Kind::kArmFaultPoint, "arm_fault_point"},
    {Event::Kind::kForge, "forge"},
    {Event::Kind::kLiveness, "liveness"},
    {Event::Kind::kEnd, "end"},
};

struct EditKindName {
  LocalEdit::Kind kind;
  const char* name;
};

constexpr EditKindName kEditKinds[] = {
    {LocalEdit::Kind::kInsert, "insert"},
    {LocalEdit::Kind::kMove, "move"},
    {LocalEdit::Kind::kRemove, "remove"},
    {LocalEdit::Kind::kSetPayload, "payload"},
};

struct PlacementName {
  Placement::Kind kind;
  const char* name;
};

constexpr PlacementName kPlacements[] = {
    {Placement::Kind::kFirst, "first"},
    {Placement::Kind::kLast, "last"},
    {Placement::Kind::kAfter, "after"},
};

// The name of `kind` in `table`, which lists every kind.
template <typename Table, typename Kind>
const char* name_of(const Table& table, Kind kind) {
  for (const auto& entry : table) {
    if (entry.kind == kind) return entry.name;
  }
  TS_UNREACHABLE();
}

// "local, deliver, ...": the known names, for an error message.
template <typename Table>
std::string names_of(const Table& table) {
  std::string names;
  for (const auto& entry : table) names += (names.empty() ? "" : ", ") + std::string(entry.name);
  return names;
}

// The kind a string field names, or an error naming the field, the text and the known names.
template <typename Table>
auto read_name(const Table& table, const JsonValue& value, const std::string& path,
               std::string_view noun) -> Result<decltype(table[0].kind)> {
  if (!value.is_string()) {
    return json::field_error(path, "expected a string, got " + json::describe(value));
  }
  const auto& text = value.get_ref<const std::string&>();
  for (const auto& entry : table) {
    if (text == entry.name) return entry.kind;
  }
  return json::field_error(path, "unknown " + std::string(noun) + " \"" + json::printable(text) +
                                     "\" (known: " + names_of(table) + ")");
}

bool has_position(LocalEdit::Kind kind) {
  return kind == LocalEdit::Kind::kInsert || kind == LocalEdit::Kind::kMove;
}

bool may_have_payload(LocalEdit::Kind kind) {
  return kind == LocalEdit::Kind::kInsert || kind == LocalEdit::Kind::kSetPayload;
}

bool may_read_through(Event::Kind kind) {
  return kind == Event::Kind::kLocal || kind == Event::Kind::kDeliver;
}

// ---- Writing --------------------------------------------------------------------------------

Ordered edit_to_json(const LocalEdit& edit) {
  Ordered out = Ordered::object();
  out["kind"] = name_of(kEditKinds, edit.kind);
  out["node"] = json::from_node<Ordered>(edit.node);
  if (has_position(edit.kind)) {
    out["parent"] = json::from_node<Ordered>(edit.parent);
    out["placement"] = name_of(kPlacements, edit.placement.kind);
    if (edit.placement.kind == Placement::Kind::kAfter) {
      out["sibling"] = json::from_node<Ordered>(edit.placement.sibling);
    }
  }
  if (may_have_payload(edit.kind) && edit.payload) {
    out["payload"] = json::from_bytes<Ordered>(*edit.payload);
  }
  return out;
}

Ordered event_to_json(const Event& event) {
  Ordered out = Ordered::object();
  out["tick"] = event.tick;
  out["kind"] = name_of(kEventKinds, event.kind);
  switch (event.kind) {
    case Event::Kind::kLocal:
      out["replica"] = event.replica;
      out["edit"] = edit_to_json(event.edit);
      break;
    case Event::Kind::kDeliver: {
      out["to"] = event.replica;
      Ordered ops = Ordered::array();
      // The op-log line has the fields in the order of core/jsonl_codec.h's table.
      for (const Op& op : event.ops) ops.push_back(Ordered::parse(encode_op_json_line(op)));
      out["ops"] = std::move(ops);
      break;
    }
    case Event::Kind::kForge:
      TS_ASSERT(event.ops.size() == 1);
      out["to"] = event.replica;
      // Possibly invalid: the one place a scenario holds an op that validate_op() rejects.
      out["op"] = Ordered::parse(encode_unvalidated_op_json_line(event.ops.front()));
      break;
    case Event::Kind::kSync:
      out["from"] = event.peer;
      out["to"] = event.replica;
      out["known"] = json::from_vv<Ordered>(event.known);
      break;
    case Event::Kind::kPartition:
      out["side"] = event.side;
      out["until"] = event.until;
      break;
    case Event::Kind::kCrash:
    case Event::Kind::kRestart:
      out["replica"] = event.replica;
      break;
    case Event::Kind::kArmStorageFault:
    case Event::Kind::kArmFaultPoint:
      out["replica"] = event.replica;
      out["countdown"] = event.countdown;
      break;
    case Event::Kind::kHeal:
    case Event::Kind::kLiveness:
    case Event::Kind::kEnd:
      break;
  }
  if (may_read_through(event.kind) && event.read_through) out["read_through"] = true;
  return out;
}

// ---- Reading --------------------------------------------------------------------------------

// A replica index field, below the replica count.
Result<std::uint32_t> read_replica(const JsonValue& object, const std::string& path,
                                   std::string_view name, const Options& options,
                                   std::string_view when) {
  TS_ASSIGN_OR_RETURN(const JsonValue* value, json::require_field(object, path, name, when));
  TS_ASSIGN_OR_RETURN(const std::uint64_t index, json::to_uint(*value, json::field_path(path, name),
                                                               0, options.replica_count - 1));
  return static_cast<std::uint32_t>(index);
}

Result<LocalEdit> read_edit(const JsonValue& value, const std::string& path) {
  TS_RETURN_IF_ERROR(json::expect_object(
      value, path, {"kind", "node", "parent", "placement", "sibling", "payload"}));
  LocalEdit edit;
  TS_ASSIGN_OR_RETURN(const JsonValue* kind,
                      json::require_field(value, path, "kind", "on every edit"));
  TS_ASSIGN_OR_RETURN(edit.kind,
                      read_name(kEditKinds, *kind, json::field_path(path, "kind"), "edit kind"));
  const std::string on_kind =
      std::string(edit.kind == LocalEdit::Kind::kInsert ? "on an " : "on a ") +
      name_of(kEditKinds, edit.kind) + " edit";
  TS_ASSIGN_OR_RETURN(const JsonValue* node, json::require_field(value, path, "node", on_kind));
  TS_ASSIGN_OR_RETURN(edit.node, json::to_node(*node, json::field_path(path, "node")));

  if (has_position(edit.kind)) {
    TS_ASSIGN_OR_RETURN(const JsonValue* parent,
                        json::require_field(value, path, "parent", on_kind));
    TS_ASSIGN_OR_RETURN(edit.parent, json::to_node(*parent, json::field_path(path, "parent")));
    if (const JsonValue* placement = json::find_field(value, "placement")) {
      TS_ASSIGN_OR_RETURN(
          edit.placement.kind,
          read_name(kPlacements, *placement, json::field_path(path, "placement"), "placement"));
    }
    const JsonValue* sibling = json::find_field(value, "sibling");
    if (edit.placement.kind == Placement::Kind::kAfter) {
      if (sibling == nullptr) {
        return json::field_error(json::field_path(path, "sibling"),
                                 "required with placement \"after\", but missing");
      }
      TS_ASSIGN_OR_RETURN(edit.placement.sibling,
                          json::to_node(*sibling, json::field_path(path, "sibling")));
    } else if (sibling != nullptr) {
      return json::field_error(json::field_path(path, "sibling"),
                               "allowed only with placement \"after\"");
    }
  } else {
    for (const std::string_view field : {"parent", "placement", "sibling"}) {
      if (json::find_field(value, field) != nullptr) {
        return json::field_error(json::field_path(path, field), "not allowed " + on_kind);
      }
    }
  }

  if (const JsonValue* payload = json::find_field(value, "payload")) {
    if (!may_have_payload(edit.kind)) {
      return json::field_error(json::field_path(path, "payload"), "not allowed " + on_kind);
    }
    if (!payload->is_null()) {
      TS_ASSIGN_OR_RETURN(edit.payload,
                          json::to_bytes(*payload, json::field_path(path, "payload")));
      if (edit.payload->size() > kMaxPayloadBytes) {
        return json::field_error(json::field_path(path, "payload"),
                                 "more than " + std::to_string(kMaxPayloadBytes) + " bytes");
      }
    }
  }
  return edit;
}

// Checks that the event object has only the fields its kind uses.
Status expect_event_fields(const JsonValue& value, const std::string& path, Event::Kind kind) {
  switch (kind) {
    case Event::Kind::kLocal:
      return json::expect_object(value, path, {"tick", "kind", "replica", "edit", "read_through"});
    case Event::Kind::kDeliver:
      return json::expect_object(value, path, {"tick", "kind", "to", "ops", "read_through"});
    case Event::Kind::kForge:
      return json::expect_object(value, path, {"tick", "kind", "to", "op"});
    case Event::Kind::kSync:
      return json::expect_object(value, path, {"tick", "kind", "from", "to", "known"});
    case Event::Kind::kPartition:
      return json::expect_object(value, path, {"tick", "kind", "side", "until"});
    case Event::Kind::kCrash:
    case Event::Kind::kRestart:
      return json::expect_object(value, path, {"tick", "kind", "replica"});
    case Event::Kind::kArmStorageFault:
    case Event::Kind::kArmFaultPoint:
      return json::expect_object(value, path, {"tick", "kind", "replica", "countdown"});
    case Event::Kind::kHeal:
    case Event::Kind::kLiveness:
    case Event::Kind::kEnd:
      return json::expect_object(value, path, {"tick", "kind"});
  }
  TS_UNREACHABLE();
}

Result<Event> read_event(const JsonValue& value, const std::string& path, const Options& options,
                         std::uint64_t previous_tick) {
  if (!value.is_object()) {
    return json::field_error(path, "expected a JSON object, got " + json::describe(value));
  }
  Event event;
  TS_ASSIGN_OR_RETURN(const JsonValue* kind,
                      json::require_field(value, path, "kind", "on every event"));
  TS_ASSIGN_OR_RETURN(event.kind,
                      read_name(kEventKinds, *kind, json::field_path(path, "kind"), "event kind"));
  TS_RETURN_IF_ERROR(expect_event_fields(value, path, event.kind));
  const std::string on_kind = std::string("on a ") + name_of(kEventKinds, event.kind) + " event";

  TS_ASSIGN_OR_RETURN(const JsonValue* tick,
                      json::require_field(value, path, "tick", "on every event"));
  const std::string tick_path = json::field_path(path, "tick");
  TS_ASSIGN_OR_RETURN(event.tick, json::to_uint(*tick, tick_path));
  if (event.tick < previous_tick) {
    return json::field_error(tick_path, std::to_string(event.tick) +
                                            " is before the previous event's tick " +
                                            std::to_string(previous_tick));
  }

  switch (event.kind) {
    case Event::Kind::kLocal: {
      TS_ASSIGN_OR_RETURN(event.replica, read_replica(value, path, "replica", options, on_kind));
      TS_ASSIGN_OR_RETURN(const JsonValue* edit, json::require_field(value, path, "edit", on_kind));
      TS_ASSIGN_OR_RETURN(event.edit, read_edit(*edit, json::field_path(path, "edit")));
      break;
    }
    case Event::Kind::kDeliver: {
      TS_ASSIGN_OR_RETURN(event.replica, read_replica(value, path, "to", options, on_kind));
      TS_ASSIGN_OR_RETURN(const JsonValue* ops, json::require_field(value, path, "ops", on_kind));
      const std::string ops_path = json::field_path(path, "ops");
      if (!ops->is_array() || ops->empty()) {
        return json::field_error(
            ops_path, "expected an array of at least one op, got " + json::describe(*ops));
      }
      for (std::size_t i = 0; i < ops->size(); ++i) {
        auto op = op_from_json((*ops)[i]);
        if (!op.is_ok()) {
          return op.status().with_context(ops_path + "[" + std::to_string(i) + "]");
        }
        event.ops.push_back(*std::move(op));
      }
      break;
    }
    case Event::Kind::kForge: {
      TS_ASSIGN_OR_RETURN(event.replica, read_replica(value, path, "to", options, on_kind));
      TS_ASSIGN_OR_RETURN(const JsonValue* op, json::require_field(value, path, "op", on_kind));
      auto forged = unvalidated_op_from_json(*op);
      if (!forged.is_ok()) return forged.status().with_context(json::field_path(path, "op"));
      event.ops.push_back(*std::move(forged));
      break;
    }
    case Event::Kind::kSync: {
      TS_ASSIGN_OR_RETURN(event.peer, read_replica(value, path, "from", options, on_kind));
      TS_ASSIGN_OR_RETURN(event.replica, read_replica(value, path, "to", options, on_kind));
      if (event.peer == event.replica) {
        return json::field_error(json::field_path(path, "to"),
                                 "equals 'from': a replica does not sync with itself");
      }
      TS_ASSIGN_OR_RETURN(const JsonValue* known,
                          json::require_field(value, path, "known", on_kind));
      TS_ASSIGN_OR_RETURN(event.known, json::to_vv(*known, json::field_path(path, "known")));
      break;
    }
    case Event::Kind::kPartition: {
      TS_ASSIGN_OR_RETURN(const JsonValue* side, json::require_field(value, path, "side", on_kind));
      const std::string side_path = json::field_path(path, "side");
      if (!side->is_array()) {
        return json::field_error(
            side_path, "expected an array of replica indices, got " + json::describe(*side));
      }
      for (std::size_t i = 0; i < side->size(); ++i) {
        TS_ASSIGN_OR_RETURN(const std::uint64_t member,
                            json::to_uint((*side)[i], side_path + "[" + std::to_string(i) + "]", 0,
                                          options.replica_count - 1));
        event.side.insert(static_cast<std::uint32_t>(member));
      }
      TS_ASSIGN_OR_RETURN(const JsonValue* until,
                          json::require_field(value, path, "until", on_kind));
      TS_ASSIGN_OR_RETURN(event.until, json::to_uint(*until, json::field_path(path, "until")));
      break;
    }
    case Event::Kind::kCrash:
    case Event::Kind::kRestart: {
      TS_ASSIGN_OR_RETURN(event.replica, read_replica(value, path, "replica", options, on_kind));
      break;
    }
    case Event::Kind::kArmStorageFault:
    case Event::Kind::kArmFaultPoint: {
      TS_ASSIGN_OR_RETURN(event.replica, read_replica(value, path, "replica", options, on_kind));
      TS_ASSIGN_OR_RETURN(const JsonValue* countdown,
                          json::require_field(value, path, "countdown", on_kind));
      TS_ASSIGN_OR_RETURN(
          event.countdown,
          json::to_uint(*countdown, json::field_path(path, "countdown"), 1, kCountdownMax));
      break;
    }
    case Event::Kind::kHeal:
    case Event::Kind::kLiveness:
    case Event::Kind::kEnd:
      break;
  }
  if (const JsonValue* read_through = json::find_field(value, "read_through")) {
    TS_ASSIGN_OR_RETURN(event.read_through,
                        json::to_bool(*read_through, json::field_path(path, "read_through")));
  }
  return event;
}

Result<std::uint64_t> read_seed(const JsonValue& value) {
  if (value.is_number_unsigned()) return value.get<std::uint64_t>();
  if (!value.is_string()) {
    return json::field_error("seed",
                             "expected a string (decimal or 0x hex) or an unsigned "
                             "integer, got " +
                                 json::describe(value));
  }
  auto seed = seed_from_text(value.get_ref<const std::string&>());
  if (!seed.is_ok()) return json::field_error("seed", seed.status().message());
  return *seed;
}

// json::parse() names the column of a syntax error but not the line (its other callers parse
// one line at a time); a scenario spans many lines, so this finds the line of the error.
Status with_line(std::string_view text, const Status& status) {
  try {
    [[maybe_unused]] const JsonValue reparsed = JsonValue::parse(text.begin(), text.end());
  } catch (const JsonValue::parse_error& error) {
    // error.byte counts the characters read, the offending one included.
    const std::string_view before = text.substr(0, error.byte == 0 ? 0 : error.byte - 1);
    const auto line = 1 + std::count(before.begin(), before.end(), '\n');
    return status.with_context("line " + std::to_string(line));
  } catch (const JsonValue::exception&) {
  }
  return status;
}

}  // namespace

std::string scenario_to_json_text(const Scenario& scenario) {
  const auto dump = [](const auto& value) {
    return value.dump(-1, ' ', false, JsonValue::error_handler_t::replace);
  };
  std::string out = "{\n";
  out += "  \"format\": " + dump(Ordered(kScenarioFormat)) + ",\n";
  out += "  \"version\": " + std::to_string(kScenarioVersion) + ",\n";
  if (!scenario.comment.empty()) out += "  \"comment\": " + dump(Ordered(scenario.comment)) + ",\n";
  out += "  \"seed\": \"" + seed_to_display(scenario.seed) + "\",\n";
  std::string options = scenario.options.to_json().dump(2);
  for (std::size_t at = options.find('\n'); at != std::string::npos;
       at = options.find('\n', at + 1)) {
    options.insert(at + 1, "  ");
  }
  out += "  \"options\": " + options;
  if (scenario.events) {
    out += ",\n  \"events\": [";
    const std::vector<Event>& events = *scenario.events;
    for (std::size_t i = 0; i < events.size(); ++i) {
      out += (i == 0 ? "\n    " : ",\n    ") + dump(event_to_json(events[i]));
    }
    out += events.empty() ? "]" : "\n  ]";
  }
  out += "\n}\n";
  return out;
}

Result<Scenario> scenario_from_json_text(std::string_view text) {
  auto parsed = json::parse(text, "scenario");
  if (!parsed.is_ok()) {
    const bool syntax = parsed.status().message().starts_with("invalid JSON");
    return syntax ? with_line(text, parsed.status()) : parsed.status();
  }
  const JsonValue& root = *parsed;
  if (!root.is_object()) {
    return Status::invalid_argument("expected a JSON object, got " + json::describe(root));
  }
  // The format and version come first: a file of another kind, or of a newer version, would
  // otherwise be reported by its first unknown field.
  constexpr std::string_view kRequired = "in a scenario";
  TS_ASSIGN_OR_RETURN(const JsonValue* format, json::require_field(root, "", "format", kRequired));
  if (!format->is_string() || format->get_ref<const std::string&>() != kScenarioFormat) {
    const std::string found =
        format->is_string() ? "\"" + json::printable(format->get_ref<const std::string&>()) + "\""
                            : json::describe(*format);
    return json::field_error("format",
                             "expected \"" + std::string(kScenarioFormat) + "\", got " + found);
  }
  TS_ASSIGN_OR_RETURN(const JsonValue* version_value,
                      json::require_field(root, "", "version", kRequired));
  TS_ASSIGN_OR_RETURN(const std::uint64_t version, json::to_uint(*version_value, "version"));
  if (version != kScenarioVersion) {
    const std::string reads = "this build reads version " + std::to_string(kScenarioVersion);
    if (version > kScenarioVersion) {
      return Status::unsupported("field 'version': scenario version " + std::to_string(version) +
                                 "; " + reads);
    }
    return json::field_error(
        "version", "scenario version " + std::to_string(version) + " does not exist; " + reads);
  }
  TS_RETURN_IF_ERROR(
      json::expect_object(root, "", {"format", "version", "comment", "seed", "options", "events"}));

  Scenario scenario;
  if (const JsonValue* comment = json::find_field(root, "comment")) {
    if (!comment->is_string()) {
      return json::field_error("comment", "expected a string, got " + json::describe(*comment));
    }
    scenario.comment = comment->get<std::string>();
  }
  TS_ASSIGN_OR_RETURN(const JsonValue* seed, json::require_field(root, "", "seed", kRequired));
  TS_ASSIGN_OR_RETURN(scenario.seed, read_seed(*seed));
  TS_ASSIGN_OR_RETURN(const JsonValue* options,
                      json::require_field(root, "", "options", kRequired));
  TS_ASSIGN_OR_RETURN(scenario.options, Options::from_json(*options));

  if (const JsonValue* events = json::find_field(root, "events")) {
    if (!events->is_array()) {
      return json::field_error("events",
                               "expected an array of events, got " + json::describe(*events));
    }
    std::vector<Event> list;
    list.reserve(events->size());
    for (std::size_t i = 0; i < events->size(); ++i) {
      TS_ASSIGN_OR_RETURN(Event event,
                          read_event((*events)[i], "events[" + std::to_string(i) + "]",
                                     scenario.options, list.empty() ? 0 : list.back().tick));
      list.push_back(std::move(event));
    }
    scenario.events = std::move(list);
  }
  return scenario;
}

Result<Scenario> read_scenario_file(const std::string& path) {
  TS_ASSIGN_OR_RETURN(const std::string text, read_file(path));
  auto scenario = scenario_from_json_text(text);
  if (!scenario.is_ok()) return scenario.status().with_context(path);
  return scenario;
}

Status write_scenario_file(const std::string& path, const Scenario& scenario) {
  return write_file(path, scenario_to_json_text(scenario));
}

RunResult run_scenario(const Scenario& scenario, SystemFactory factory) {
  Simulation simulation(scenario.seed, scenario.options, std::move(factory));
  return scenario.events ? simulation.replay(*scenario.events) : simulation.run();
}

}  // namespace treesim
