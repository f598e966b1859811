// JSON form of the canonical snapshot and of the visible tree: what `treesim materialize`
// prints, what reports embed, and what an external system under test answers.
//
//   {"rows": [{"node": "<32 hex>", "parent": "<32 hex>" | null, "order_key": "<hex>",
//              "tombstoned": false, "last_change": {"<replica hex>": [[1, 3]]},
//              "deleted_at": {...} | null, "payload": "<hex>" | null,
//              "writer": {"lamport": 5, "replica": "<hex>", "counter": 2} | null}, ...]}
//
//   visible tree: {"node": "ROOT", "children": [{"node": "<32 hex>", "payload": "<hex>",
//                  "children": [...]}, ...]}
//
// Values are read and written by core/json_values.h, so a snapshot is as strict as an op log:
// the same messages, unknown fields rejected, and a key repeated within one object rejected when
// the text is parsed with json::parse(text, "snapshot") (a parsed nlohmann::json can no longer
// show the repeat, so text must go through that parser, not nlohmann::json::parse).
#pragma once

#include <nlohmann/json.hpp>

#include "core/snapshot.h"
#include "core/status.h"

namespace treesim {

nlohmann::json snapshot_to_json(const Snapshot& snapshot);

// Validates every field (errors name the path, e.g. "field 'rows[3].parent': expected 32 hex
// digits, got 4 characters"; every row field is required, null where the table allows it) and
// that the rows are canonical: sorted by node id, no ROOT or TRASH row. Version vectors are
// normalized on reading and bounded like a known_state (json::to_vv()). Never throws.
Result<Snapshot> snapshot_from_json(const nlohmann::json& value);

nlohmann::json visible_tree_to_json(const Snapshot& snapshot, const VisibleTree& tree);

}  // namespace treesim
