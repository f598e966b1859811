// Scenario: the versioned JSON form of a run, which `treesim run --record` writes and
// `treesim replay` reads.
//
// A scenario holds a seed, the full Options and, optionally, the explicit list of events the
// run executed (sim/event.h). Without events, the seed's schedule generates the run exactly as
// `treesim run` does with those options. With events, the list alone is executed, in order,
// and the seed only names the run in the trace: the same calls on every replica, the same
// failure and the same trace hash as the recorded run, even after the generator changes.
//
//   {
//     "format": "treesim-scenario",            required, exactly this
//     "version": 1,                             required; this build reads version 1
//     "comment": "any text",                    optional, a string, ignored
//     "seed": "0x000000000000002a",             required: a string (decimal or 0x hex) or an
//                                               unsigned integer
//     "options": {...},                         required: Options::to_json(); {} = defaults
//     "events": [                               optional; one object per event:
//       {"tick": 0, "kind": "local", "replica": 1, "edit": {"kind": "insert",
//        "node": "<32 hex>", "parent": "<32 hex>", "placement": "last"}},
//       {"tick": 2, "kind": "deliver", "to": 0, "ops": [<op>, ...], "read_through": true},
//       {"tick": 3, "kind": "sync", "from": 2, "to": 0, "known": {"61": [[1, 4]]}},
//       {"tick": 5, "kind": "partition", "side": [1, 2], "until": 31},
//       {"tick": 31, "kind": "heal"},
//       {"tick": 40, "kind": "crash", "replica": 2},
//       {"tick": 41, "kind": "restart", "replica": 2},
//       {"tick": 50, "kind": "arm_storage_fault", "replica": 1, "countdown": 7},
//       {"tick": 52, "kind": "arm_fault_point", "replica": 1, "countdown": 3},
//       {"tick": 57, "kind": "forge", "to": 2, "op": <op>},
//       {"tick": 300, "kind": "liveness"},
//       {"tick": 311, "kind": "end"}
//     ]
//   }
//
// Events: "tick" (never decreasing) and "kind" on every event; replica indices ("replica",
// "to", "from", "side") below the replica count; a deliver's "ops" are ops in the op-log form of
// core/jsonl_codec.h, in the order they are appended (at least one); a sync's "known" is the
// version vector its request advertised (core/json_values.h), answered by "to" for "from"; a
// forge's "op" is one op in the same form that may break the rules of validate_op() that the
// form can express (core/jsonl_codec.h: encode_unvalidated_op_json_line), delivered to "to";
// "countdown" >= 1 (the n-th store call or fault point from then on fails); "read_through"
// (local and deliver, default false) says that the model check after the step reads through a
// pending frontier. An edit's "kind" is insert, move, remove or payload; insert and move take
// "parent" and "placement" ("first", "last" (the default) or "after" with "sibling"); insert
// and payload take "payload" (hex; absent or null: none, or clear). Fields an event or edit
// kind does not use are errors, like unknown fields anywhere.
//
// Editing the list. Each event executes as written, whatever came before it, so any
// subsequence of a valid list is a valid list (a shrinker deletes events freely) and replays
// without crashing the harness. What an event does may change when earlier ones are gone:
//   - a local edit applies to the replica's current state, and the replica mints its op anew:
//     the counter, lamport and order key may differ from the recorded run's, and the edit may
//     now fail as invalid or not found, which the checkers accept as they do for the workload;
//   - a delivered op arrives as recorded, whether or not the edit that minted it is still in
//     the list; if the replica already holds that op id with other content (an edit re-minted
//     it differently), the append fails with equivocation and the checkers report it, so such
//     a deletion changes the failure (a shrinker rejects it);
//   - a forge of a valid op that the replica no longer holds (the edit or delivery that gave it
//     the original is gone) is no forgery any more: it is delivered like any op, joins the
//     replica's log and model, and may conflict with the original elsewhere (a model or
//     convergence failure), so such a deletion changes the failure;
//   - a sync answers the recorded version vector from the responder's current log; where the
//     answer arrives is its own deliver event, which stays as recorded;
//   - a local edit at a down replica and a restart of a replica that is up are skipped with a
//     line in the trace; a crash of a down replica is another restart attempt; a down replica
//     at the end event fails the convergence check;
//   - an armed fault stays armed until the liveness event clears it;
//   - without an end event the replay stops after its last event: the per-step checks ran,
//     the quiet-logs and convergence checks did not;
//   - partition and heal only add their line to the trace (deliveries are explicit).
//
// Errors are kInvalidArgument (kUnsupported for a newer version) and name the JSON path:
// "field 'events[12].to': 7 is outside [0, 2]", "events[3].ops[0]: field 'node': ...", a syntax
// error its line: "line 9: invalid JSON at column 4: ...". The file functions prefix the path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "sim/event.h"
#include "sim/options.h"
#include "sim/simulation.h"

namespace treesim {

inline constexpr std::string_view kScenarioFormat = "treesim-scenario";
inline constexpr std::uint64_t kScenarioVersion = 1;

struct Scenario {
  std::string comment;
  std::uint64_t seed = 0;
  Options options;  // normalized
  // Absent: the seed's schedule generates the run.
  std::optional<std::vector<Event>> events;

  friend bool operator==(const Scenario&, const Scenario&) = default;
};

// The file's text: the fields above in that order, the options indented, one event per line.
// Precondition: the events are valid for the options (they come from a run or a parse).
std::string scenario_to_json_text(const Scenario& scenario);
// Parses and validates a scenario (the rules above); errors name the path.
Result<Scenario> scenario_from_json_text(std::string_view text);

// Both prefix errors with the file's path ("runs/a.json: field 'seed': ...").
Result<Scenario> read_scenario_file(const std::string& path);
Status write_scenario_file(const std::string& path, const Scenario& scenario);

// Replays the scenario's events, or runs its seed when it has none.
RunResult run_scenario(const Scenario& scenario, SystemFactory factory = in_process_factory());

}  // namespace treesim
