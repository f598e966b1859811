#include "core/snapshot_json.h"

#include "core/json_values.h"

namespace treesim {

nlohmann::json snapshot_to_json(const Snapshot& snapshot) {
  nlohmann::json rows = nlohmann::json::array();
  for (const SnapshotRow& row : snapshot.rows) {
    rows.push_back({
        {"node", json::from_node(row.node)},
        {"parent", row.parent ? json::from_node(*row.parent) : nlohmann::json(nullptr)},
        {"order_key", json::from_bytes(row.order_key)},
        {"tombstoned", row.tombstoned},
        {"last_change", json::from_vv(row.last_change)},
        {"deleted_at", row.deleted_at ? json::from_vv(*row.deleted_at) : nlohmann::json(nullptr)},
        {"payload", row.payload ? json::from_bytes(*row.payload) : nlohmann::json(nullptr)},
        {"writer", row.writer ? json::from_key(*row.writer) : nlohmann::json(nullptr)},
    });
  }
  return {{"rows", std::move(rows)}};
}

namespace {

Result<SnapshotRow> row_from_json(const nlohmann::json& value, const std::string& path) {
  TS_RETURN_IF_ERROR(json::expect_object(value, path,
                                         {"node", "parent", "order_key", "tombstoned",
                                          "last_change", "deleted_at", "payload", "writer"}));
  for (const char* field : {"node", "parent", "order_key", "tombstoned", "last_change",
                            "deleted_at", "payload", "writer"}) {
    if (!value.contains(field)) {
      return Status::invalid_argument("field '" + path + "." + field + "': missing");
    }
  }
  SnapshotRow row;
  TS_ASSIGN_OR_RETURN(row.node, json::to_node(value["node"], path + ".node"));
  if (!value["parent"].is_null()) {
    TS_ASSIGN_OR_RETURN(row.parent, json::to_node(value["parent"], path + ".parent"));
  }
  TS_ASSIGN_OR_RETURN(row.order_key, json::to_bytes(value["order_key"], path + ".order_key"));
  TS_ASSIGN_OR_RETURN(row.tombstoned, json::to_bool(value["tombstoned"], path + ".tombstoned"));
  TS_ASSIGN_OR_RETURN(row.last_change, json::to_vv(value["last_change"], path + ".last_change"));
  if (!value["deleted_at"].is_null()) {
    TS_ASSIGN_OR_RETURN(row.deleted_at, json::to_vv(value["deleted_at"], path + ".deleted_at"));
  }
  if (!value["payload"].is_null()) {
    TS_ASSIGN_OR_RETURN(row.payload, json::to_bytes(value["payload"], path + ".payload"));
  }
  if (!value["writer"].is_null()) {
    TS_ASSIGN_OR_RETURN(row.writer, json::to_key(value["writer"], path + ".writer"));
  }
  return row;
}

}  // namespace

Result<Snapshot> snapshot_from_json(const nlohmann::json& value) {
  TS_RETURN_IF_ERROR(json::expect_object(value, "", {"rows"}));
  if (!value.contains("rows") || !value["rows"].is_array()) {
    return Status::invalid_argument("field 'rows': expected an array");
  }
  Snapshot snapshot;
  const auto& rows = value["rows"];
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::string path = "rows[" + std::to_string(i) + "]";
    TS_ASSIGN_OR_RETURN(SnapshotRow row, row_from_json(rows[i], path));
    if (row.node.is_reserved()) {
      return Status::invalid_argument("field '" + path + ".node': ROOT and TRASH have no row");
    }
    if (!snapshot.rows.empty() && !(snapshot.rows.back().node < row.node)) {
      return Status::invalid_argument("field '" + path +
                                      ".node': rows must be sorted by node id, without repeats");
    }
    snapshot.rows.push_back(std::move(row));
  }
  return snapshot;
}

nlohmann::json visible_tree_to_json(const Snapshot& snapshot, const VisibleTree& tree) {
  // Built bottom-up from a pre-order walk so deep trees do not recurse on the C++ stack.
  const std::vector<NodeId> order = tree.preorder();
  std::map<NodeId, nlohmann::json> built;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    nlohmann::json node = {{"node", it->is_root() ? nlohmann::json("ROOT") : json::from_node(*it)}};
    if (const SnapshotRow* row = snapshot.find(*it); row && row->payload) {
      node["payload"] = json::from_bytes(*row->payload);
    }
    nlohmann::json children = nlohmann::json::array();
    if (auto found = tree.children.find(*it); found != tree.children.end()) {
      for (NodeId child : found->second) {
        children.push_back(std::move(built.at(child)));
        built.erase(child);
      }
    }
    node["children"] = std::move(children);
    built[*it] = std::move(node);
  }
  return built.at(kRoot);
}

}  // namespace treesim
