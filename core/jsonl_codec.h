// JSON-lines op logs: one op per line, the format users capture and feed to
// `treesim materialize`, and the op shape that scenario files and the stdio protocol reuse.
//
// One op is one JSON object with these fields (and no others):
//
//   field        type                                  kinds
//   replica      hex string, 1..64 bytes               all (required)
//   counter      unsigned integer in [1, 2^63)         all (required)
//   lamport      unsigned integer in [1, 2^63)         all (required)
//   kind         "insert" | "move" | "delete" |        all (required)
//                "tombstone" | "payload"
//   node         32 hex digits (NodeId::to_hex)        all (required)
//   parent       32 hex digits; the new parent         insert, move (required)
//                for a move
//   order_key    hex string of an even number of       insert, move (required; may be "")
//                bytes
//   payload      hex string, or null                   insert, payload (optional; absent and
//                                                      null both mean "no payload")
//   known_state  object: replica hex -> array of       all; required on delete
//                [first, last] pairs, e.g.
//                {"61": [[1, 3], [5, 5]], "62": [[2, 2]]}
//
// For example:
//   {"replica":"61","counter":3,"lamport":5,"kind":"move","node":"<32 hex>","parent":"<32 hex>",
//    "order_key":"8000"}
//
// The values (ids, hex, numbers, known_state) are read and written by core/json_values.h, the
// one implementation every JSON format shares. Hex is written in lower case and read in either
// case. The encoder writes the fields in the order of the table, known_state replicas in replica
// order and ranges normalized; the decoder accepts any valid ranges and normalizes them by union
// (SEMANTICS.md §3), so two spellings of one replica ("6a" and "6A") in a known_state are merged
// and an empty list adds nothing. A key that appears twice in one JSON object is an error,
// because the JSON parser would otherwise keep one value silently. Unknown fields, fields the
// kind does not use (even as null), numbers that are negative, fractional, written with an
// exponent or >= 2^64 are errors, as is every rule of validate_op(). A known_state of more than
// kMaxKnownStateRanges ranges after merging is rejected while reading (json::to_vv()), by the
// same count validate_op() applies.
//
// Op logs: lines are separated by '\n' (a '\r' before it is dropped). Lines that are empty or
// all whitespace, and lines whose first non-whitespace character is '#', are skipped, so a
// captured log can carry comments. Every other line must hold exactly one op.
//
// Every error is kInvalidArgument (a log is the user's input). Messages name the line, when
// there is one, and the field: "line 3: field 'node': expected 32 hex digits, got 31
// characters". Input text quoted in a message (a key, a kind name) is escaped as \xNN and
// shortened, so a message is always one line of printable ASCII. Nothing here throws:
// exceptions of the JSON library are caught inside.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/op.h"
#include "core/status.h"

namespace treesim {

// The JSON object of an op, as in the table above. Precondition: validate_op(op) is ok
// (asserted).
nlohmann::json op_to_json(const Op& op);

// The op a JSON value describes, validated by the rules above and validate_op(). Errors name
// the field but no line; callers that know a position add it with Status::with_context().
Result<Op> op_from_json(const nlohmann::json& value);

// One line of an op log: the object of op_to_json() with fields in the table's order, no
// spaces and no trailing newline. Precondition: validate_op(op) is ok (asserted).
std::string encode_op_json_line(const Op& op);

// The same line and the same reading for an op that may break validate_op(): a forged op the
// simulator feeds a replica to see it rejected, which a scenario file must record exactly.
// Only rules of values the table reads without judging may be broken: counter or lamport out
// of range, an odd or overlong order key, an overlong payload, a delete without known_state.
// Precondition of the encoder (asserted): the replica id is valid, the kind known, fields the
// kind does not use are empty and known_state is normalized. The decoder applies every other
// rule above.
std::string encode_unvalidated_op_json_line(const Op& op);
Result<Op> unvalidated_op_from_json(const nlohmann::json& value);

// One encode_op_json_line() per op, each followed by '\n'.
std::string encode_op_log(const std::vector<Op>& ops);

// Decodes an op log (see "Op logs" above). On failure the Status names the first bad line
// (1-based, counting skipped lines); no ops are returned.
Result<std::vector<Op>> decode_op_log(std::string_view text);

}  // namespace treesim
