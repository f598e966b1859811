#include "core/json_values.h"

#include <algorithm>

#include "core/hex.h"

namespace treesim::json {
namespace {

Status type_error(const std::string& path, const char* expected, const nlohmann::json& got) {
  return Status::invalid_argument("field '" + path + "': expected " + expected + ", got " +
                                  got.type_name());
}

}  // namespace

nlohmann::json from_node(NodeId node) { return node.to_hex(); }

nlohmann::json from_bytes(std::string_view bytes) { return to_hex(bytes); }

nlohmann::json from_vv(const VersionVector& vv) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [replica, ranges] : vv.entries) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& range : ranges) list.push_back({range.first, range.last});
    out[replica.to_hex()] = std::move(list);
  }
  return out;
}

nlohmann::json from_key(const OpKey& key) {
  return {{"lamport", key.lamport}, {"replica", key.replica.to_hex()}, {"counter", key.counter}};
}

Result<NodeId> to_node(const nlohmann::json& value, const std::string& path) {
  if (!value.is_string()) return type_error(path, "a node id of 32 hex digits", value);
  const auto& text = value.get_ref<const std::string&>();
  auto node = NodeId::from_hex(text);
  if (!node) {
    return Status::invalid_argument("field '" + path + "': expected 32 hex digits, got " +
                                    std::to_string(text.size()) + " characters");
  }
  return *node;
}

Result<std::string> to_bytes(const nlohmann::json& value, const std::string& path) {
  if (!value.is_string()) return type_error(path, "a hex string", value);
  auto bytes = from_hex(value.get_ref<const std::string&>());
  if (!bytes) {
    return Status::invalid_argument("field '" + path +
                                    "': expected an even number of hex digits");
  }
  return *bytes;
}

Result<ReplicaId> to_replica(const nlohmann::json& value, const std::string& path) {
  TS_ASSIGN_OR_RETURN(std::string bytes, to_bytes(value, path));
  auto replica = ReplicaId::from_bytes(bytes);
  if (!replica) {
    return Status::invalid_argument("field '" + path + "': a replica id must be 1.." +
                                    std::to_string(ReplicaId::kMaxBytes) + " bytes, got " +
                                    std::to_string(bytes.size()));
  }
  return *replica;
}

Result<std::uint64_t> to_uint(const nlohmann::json& value, const std::string& path,
                              std::uint64_t minimum, std::uint64_t maximum) {
  if (!value.is_number_unsigned()) {
    if (value.is_number_integer()) {
      return Status::invalid_argument("field '" + path + "': must not be negative");
    }
    return type_error(path, "an unsigned integer", value);
  }
  const auto number = value.get<std::uint64_t>();
  if (number < minimum || number > maximum) {
    return Status::invalid_argument("field '" + path + "': " + std::to_string(number) +
                                    " is outside [" + std::to_string(minimum) + ", " +
                                    std::to_string(maximum) + "]");
  }
  return number;
}

Result<bool> to_bool(const nlohmann::json& value, const std::string& path) {
  if (!value.is_boolean()) return type_error(path, "true or false", value);
  return value.get<bool>();
}

Result<VersionVector> to_vv(const nlohmann::json& value, const std::string& path) {
  if (!value.is_object()) return type_error(path, "a version vector object", value);
  std::vector<std::pair<ReplicaId, CounterRange>> ranges;
  for (const auto& [replica_hex, list] : value.items()) {
    const std::string entry_path = path + "." + replica_hex;
    TS_ASSIGN_OR_RETURN(ReplicaId replica, to_replica(nlohmann::json(replica_hex), entry_path));
    if (!list.is_array()) return type_error(entry_path, "an array of [first, last] pairs", list);
    if (list.size() > kMaxKnownStateRanges) {
      return Status::invalid_argument("field '" + entry_path + "': more than " +
                                      std::to_string(kMaxKnownStateRanges) + " ranges");
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string range_path = entry_path + "[" + std::to_string(i) + "]";
      const auto& pair = list[i];
      if (!pair.is_array() || pair.size() != 2) {
        return Status::invalid_argument("field '" + range_path +
                                        "': expected a [first, last] pair");
      }
      TS_ASSIGN_OR_RETURN(std::uint64_t first, to_uint(pair[0], range_path + "[0]", 1, kMaxCounter));
      TS_ASSIGN_OR_RETURN(std::uint64_t last, to_uint(pair[1], range_path + "[1]", 1, kMaxCounter));
      if (first > last) {
        return Status::invalid_argument("field '" + range_path + "': first " +
                                        std::to_string(first) + " exceeds last " +
                                        std::to_string(last));
      }
      ranges.push_back({replica, CounterRange{first, last}});
    }
  }
  return VersionVector::from_ranges(ranges);
}

Result<OpKey> to_key(const nlohmann::json& value, const std::string& path) {
  TS_RETURN_IF_ERROR(expect_object(value, path, {"lamport", "replica", "counter"}));
  for (const char* field : {"lamport", "replica", "counter"}) {
    if (!value.contains(field)) {
      return Status::invalid_argument("field '" + path + "." + field + "': missing");
    }
  }
  OpKey key;
  TS_ASSIGN_OR_RETURN(key.lamport, to_uint(value["lamport"], path + ".lamport", 1, kMaxLamport));
  TS_ASSIGN_OR_RETURN(key.replica, to_replica(value["replica"], path + ".replica"));
  TS_ASSIGN_OR_RETURN(key.counter, to_uint(value["counter"], path + ".counter", 1, kMaxCounter));
  return key;
}

Status expect_object(const nlohmann::json& object, const std::string& path,
                     std::initializer_list<std::string_view> allowed) {
  if (!object.is_object()) return type_error(path.empty() ? "<top>" : path, "an object", object);
  for (const auto& [name, unused] : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      return Status::invalid_argument("field '" + (path.empty() ? name : path + "." + name) +
                                      "': unknown field");
    }
  }
  return Status::ok();
}

}  // namespace treesim::json
