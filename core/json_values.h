// JSON forms of the vocabulary values, the one implementation that every JSON format of the
// project (op logs in core/jsonl_codec.h, snapshots in core/snapshot_json.h, scenario files)
// reads and writes them with:
//
//   value            form                                       writer      reader
//   node id          32 hex digits                              from_node   to_node
//   byte string      hex, an even number of digits              from_bytes  to_bytes
//   replica id       hex of 1..64 bytes (a string, or an        -           to_replica,
//                    object key in a version vector)                        to_replica_from_text
//   unsigned number  a JSON integer >= 0, optionally bounded    -           to_uint
//   bool             true | false                               -           to_bool
//   version vector   {"<replica hex>": [[first, last], ...]}    from_vv     to_vv
//   op key           {"lamport": n, "replica": hex,             from_key    to_key
//                     "counter": n}
//
// Hex is written in lower case and read in either case. Writers are templates over the JSON
// object type: nlohmann::json (sorted keys) or nlohmann::ordered_json (insertion order, for lines
// a person reads).
//
// Readers never throw: they check a value's type before every access. Each error is
// kInvalidArgument and names the field path the caller passes ("rows[3].parent" in a snapshot,
// "node" or "known_state" in an op) as "field '<path>': <problem>". Problems say what was
// expected and what was found ("expected 32 hex digits, got 31 characters", "got a non-hex
// character at position 4", "got the negative integer -3"). Input text quoted in a message (a
// key, a name, the parser's own description) goes through printable(), so a message is always
// one line of printable ASCII.
//
// Strictness is the same for every format: parse() rejects a key that appears twice in one
// object (the parser would otherwise keep one value silently), expect_object() rejects unknown
// fields, and numbers must be unsigned integers (not negative, fractional, written with an
// exponent or >= 2^64).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/hex.h"
#include "core/node_id.h"
#include "core/op.h"
#include "core/replica_id.h"
#include "core/status.h"
#include "core/version_vector.h"

namespace treesim::json {

// ---- Writing --------------------------------------------------------------------------------

template <typename Json = nlohmann::json>
Json from_node(NodeId node) {
  return node.to_hex();
}

template <typename Json = nlohmann::json>
Json from_bytes(std::string_view bytes) {
  return to_hex(bytes);
}

// Replicas in replica order, each replica's ranges as stored (normalized for a normalized `vv`).
template <typename Json = nlohmann::json>
Json from_vv(const VersionVector& vv) {
  Json out = Json::object();
  for (const auto& [replica, ranges] : vv.entries) {
    Json list = Json::array();
    for (const CounterRange& range : ranges) list.push_back(Json::array({range.first, range.last}));
    out[replica.to_hex()] = std::move(list);
  }
  return out;
}

template <typename Json = nlohmann::json>
Json from_key(const OpKey& key) {
  Json out = Json::object();
  out["lamport"] = key.lamport;
  out["replica"] = key.replica.to_hex();
  out["counter"] = key.counter;
  return out;
}

// ---- Parsing text ---------------------------------------------------------------------------

// Parses one JSON value from `text`, rejecting a key repeated within one object. A repeat at the
// top level reads "field '<key>': appears twice in one <top_level_noun>"; a deeper one names the
// object that holds it, "field 'rows[3]': key 'node' appears twice". A syntax error reads
// "invalid JSON at column N: <the parser's description>".
Result<nlohmann::json> parse(std::string_view text, std::string_view top_level_noun);

// ---- Reading values -------------------------------------------------------------------------

Result<NodeId> to_node(const nlohmann::json& value, std::string_view path);
// Any even number of hex digits, so every byte string round-trips; size bounds are the caller's.
Result<std::string> to_bytes(const nlohmann::json& value, std::string_view path);
// A JSON string of 2..128 hex digits, an even number.
Result<ReplicaId> to_replica(const nlohmann::json& value, std::string_view path);
// The same rule for text that is not a JSON value of its own (a key of a version vector object).
Result<ReplicaId> to_replica_from_text(std::string_view text, std::string_view path);
// An unsigned integer in [minimum, maximum]. Callers that leave range checks to a later
// validation with better context (validate_op) keep the defaults.
Result<std::uint64_t> to_uint(const nlohmann::json& value, std::string_view path,
                              std::uint64_t minimum = 0,
                              std::uint64_t maximum = std::numeric_limits<std::uint64_t>::max());
Result<bool> to_bool(const nlohmann::json& value, std::string_view path);
// Every range must be valid (1 <= first <= last < 2^63, see is_valid_range()); otherwise any
// ranges are accepted and the result is their normalized union (SEMANTICS.md §3): unsorted,
// overlapping and touching ranges merge, two spellings of one replica ("6a" and "6A") merge, an
// empty list adds nothing. Range paths read "<path>.<replica>[i]", bounds "...[i].first".
//
// The size bound is the one validate_op() applies to known_state: at most kMaxKnownStateRanges
// ranges in total over all replicas, counted after normalization. So a version vector is
// accepted here exactly when validate_op() would accept it as a known_state, and every value
// from_vv() writes for such a vector reads back.
Result<VersionVector> to_vv(const nlohmann::json& value, std::string_view path);
// An object with exactly the fields lamport and replica and counter; lamport and counter in
// [1, 2^63).
Result<OpKey> to_key(const nlohmann::json& value, std::string_view path);

// ---- Objects --------------------------------------------------------------------------------

// Checks that `object` is a JSON object whose keys are all in `allowed` (strictness catches
// typos in hand-written files). An unknown key is named with the list of known ones: "field
// 'rows[0].colour': unknown field (known: node, parent, ...)". With an empty `path` (the top
// level) a non-object reads "expected a JSON object, got ...".
Status expect_object(const nlohmann::json& object, std::string_view path,
                     std::initializer_list<std::string_view> allowed);

// The path of field `name` inside the object at `path`: "rows[3].parent", or "node" at the top.
// `name` is quoted through printable().
std::string field_path(std::string_view path, std::string_view name);

// The value of field `name`, or nullptr when it is absent. Precondition: object.is_object().
const nlohmann::json* find_field(const nlohmann::json& object, std::string_view name);

// The value of field `name`, or "field '<path.name>': required <when>, but missing".
// Precondition: object.is_object().
Result<const nlohmann::json*> require_field(const nlohmann::json& object, std::string_view path,
                                            std::string_view name, std::string_view when);

// ---- Messages -------------------------------------------------------------------------------

// "field '<path>': <problem>" as kInvalidArgument.
Status field_error(std::string_view path, std::string_view problem);

// What a value is, for "expected X, got Y": "the negative integer -3", "a string", "an array of
// 2 elements". Numbers show themselves because the sign or the fraction is usually the problem.
std::string describe(const nlohmann::json& value);

// `text` from the input made safe for a message: control bytes, non-ASCII bytes and '\' as \xNN,
// cut after `max_chars` with "...", so a message stays one printable line that a terminal, a
// trace or a later JSON document (which must be UTF-8) can carry.
std::string printable(std::string_view text, std::size_t max_chars = 140);

}  // namespace treesim::json
