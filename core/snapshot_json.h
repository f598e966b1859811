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
#pragma once

#include <nlohmann/json.hpp>

#include "core/snapshot.h"
#include "core/status.h"

namespace treesim {

nlohmann::json snapshot_to_json(const Snapshot& snapshot);

// Validates every field (errors name the path, e.g. "rows[3].parent") and that the rows are
// canonical: sorted by node id, no ROOT or TRASH row.
Result<Snapshot> snapshot_from_json(const nlohmann::json& value);

nlohmann::json visible_tree_to_json(const Snapshot& snapshot, const VisibleTree& tree);

}  // namespace treesim
