// The stdio protocol between the simulator and an external system under test (docs/sut-protocol.md
// is the reference a person reads; this file is its one implementation in C++): the names of the
// requests and capabilities, and the JSON form of every value a request or a response carries
// that core/ does not already define. The simulator's side (sim/external_system.h) and the
// reference adapter (sim/adapter_main.cc) both use it, so the two cannot drift apart.
//
// Values core/ defines keep their core/ form: ops are the objects of the JSON-lines op log
// (core/jsonl_codec.h), snapshots the canonical snapshot JSON of `treesim materialize`
// (core/snapshot_json.h), version vectors and op keys the forms of core/json_values.h. The
// forms added here:
//
//   head           {"seq": n, "key": op key | null}
//   frontier       null (none) | "start" | op key
//   append result  {"head": head, "affected": [node, ...] (sorted), "new_op_count": n,
//                   "duplicate_count": n, "catch_up_pending": bool}
//   local edit     {"kind": "insert" | "move" | "remove" | "set_payload", "node": node,
//                   "parent": node (insert, move), "placement": placement (insert, move),
//                   "payload": hex | null (insert: optional; set_payload: required, null clears)}
//   placement      "first" | "last" | {"after": node}
//   replica config {"store": "sqlite" | "memory", "strategy": "rebuild" | "prefix-replay" |
//                   "rewind", "deferred": bool, "undo_retention": n}
//   probes         {"<probe name>": n, ...} (materializer/probes.h names; unknown names are
//                   an error, missing ones count 0)
//   error          {"code": "<error code>", "message": text, "needs_restart": bool (optional)}
//
// Readers are as strict as core/'s: unknown fields, missing required fields, a key repeated in
// one object (json::parse) and values of the wrong type are errors naming the field path. They
// never throw.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/op.h"
#include "core/status.h"
#include "materializer/materializer.h"
#include "materializer/probes.h"
#include "sim/options.h"
#include "sim/system_under_test.h"

namespace treesim::protocol {

// The protocol version this build speaks. A hello answered with another version is refused.
inline constexpr std::uint64_t kVersion = 1;

// Capabilities an adapter may advertise in its hello (docs/sut-protocol.md says what each
// promises). Unknown capability names are ignored, so later versions can add some.
inline constexpr std::string_view kCapabilityStore = "store";
inline constexpr std::string_view kCapabilityStrategy = "strategy";
inline constexpr std::string_view kCapabilityState = "state";
inline constexpr std::string_view kCapabilityCheckInvariants = "check_invariants";
inline constexpr std::string_view kCapabilityStorageFaults = "fail_next_storage_call";
inline constexpr std::string_view kCapabilityFaultPoints = "fault_points";
inline constexpr std::string_view kCapabilityProbes = "probes";
inline constexpr std::string_view kCapabilityQueries = "queries";

// The error codes on the wire: StatusCode's, spelled "invalid_argument", "io_error", ...
const char* error_code_name(StatusCode code);
std::optional<StatusCode> error_code_from_name(std::string_view name);

nlohmann::json head_to_json(const Head& head);
Result<Head> head_from_json(const nlohmann::json& value, std::string_view path);

nlohmann::json frontier_to_json(const Frontier& frontier);
Result<Frontier> frontier_from_json(const nlohmann::json& value, std::string_view path);

nlohmann::json append_result_to_json(const AppendResult& result);
Result<AppendResult> append_result_from_json(const nlohmann::json& value, std::string_view path);

nlohmann::json edit_to_json(const LocalEdit& edit);
Result<LocalEdit> edit_from_json(const nlohmann::json& value, std::string_view path);

nlohmann::json config_to_json(const ReplicaConfig& config);
// Every field is optional; a missing one keeps ReplicaConfig's default.
Result<ReplicaConfig> config_from_json(const nlohmann::json& value, std::string_view path);

// {"children": [node, ...], "parent": node | null, "payload": bytes | null}
nlohmann::json query_answers_to_json(const QueryAnswers& answers);
Result<QueryAnswers> query_answers_from_json(const nlohmann::json& value, std::string_view path);

nlohmann::json probes_to_json(const Probes& probes);
Result<Probes> probes_from_json(const nlohmann::json& value, std::string_view path);

// {"error": {...}} for a failed call.
nlohmann::json error_to_json(const Status& status, bool needs_restart);
// The Status of an error object (the value of "error"), and its needs_restart flag.
struct RemoteError {
  Status status;
  bool needs_restart = false;
};
Result<RemoteError> error_from_json(const nlohmann::json& value, std::string_view path);

// A JSON array of ops as text: each op as core/jsonl_codec.h writes it, valid or not (a forged op
// the simulator offers must reach the adapter exactly; the adapter must reject it). Building the
// text directly keeps the codec's field order and spares a parse.
std::string ops_to_json_text(const std::vector<Op>& ops);
// Reads an array of op objects without judging validate_op() (the receiver does that: the
// materializer rejects an invalid op, the simulator's model an invalid minted one). Errors name
// the element: "field 'ops[3]': field 'node': ...".
Result<std::vector<Op>> ops_from_json(const nlohmann::json& value, std::string_view path);

// A node id list ("affected") or a node id, as core/json_values.h spells node ids.
Result<std::vector<NodeId>> nodes_from_json(const nlohmann::json& value, std::string_view path);

}  // namespace treesim::protocol
