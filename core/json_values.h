// JSON forms of the vocabulary values, shared by every JSON format of the project (op logs,
// snapshots, scenario files): node ids as 32 hex digits, replica ids and byte strings as hex,
// counters as unsigned integers, version vectors as {"<replica hex>": [[first, last], ...]}.
//
// Readers never throw; each error names the field path it was given ("rows[3].parent").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/node_id.h"
#include "core/op.h"
#include "core/replica_id.h"
#include "core/status.h"
#include "core/version_vector.h"

namespace treesim::json {

nlohmann::json from_node(NodeId node);
nlohmann::json from_bytes(std::string_view bytes);  // hex string
nlohmann::json from_vv(const VersionVector& vv);
nlohmann::json from_key(const OpKey& key);  // {"lamport": n, "replica": hex, "counter": n}

Result<NodeId> to_node(const nlohmann::json& value, const std::string& path);
// Hex text; `even_digits` is always required, so any byte string round-trips.
Result<std::string> to_bytes(const nlohmann::json& value, const std::string& path);
Result<ReplicaId> to_replica(const nlohmann::json& value, const std::string& path);
// An unsigned integer in [minimum, maximum].
Result<std::uint64_t> to_uint(const nlohmann::json& value, const std::string& path,
                              std::uint64_t minimum, std::uint64_t maximum);
Result<bool> to_bool(const nlohmann::json& value, const std::string& path);
// Ranges must be valid ([1, 2^63)); the result is normalized (union), as decoding requires.
Result<VersionVector> to_vv(const nlohmann::json& value, const std::string& path);
Result<OpKey> to_key(const nlohmann::json& value, const std::string& path);

// Checks that `object` is a JSON object whose keys are all in `allowed` (strictness catches
// typos in hand-written files).
Status expect_object(const nlohmann::json& object, const std::string& path,
                     std::initializer_list<std::string_view> allowed);

}  // namespace treesim::json
