#include "core/snapshot_json.h"

#include <optional>
#include <type_traits>

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

template <typename T>
constexpr bool kIsOptional = false;
template <typename T>
constexpr bool kIsOptional<std::optional<T>> = true;

Result<SnapshotRow> row_from_json(const nlohmann::json& value, const std::string& path) {
  TS_RETURN_IF_ERROR(json::expect_object(value, path,
                                         {"node", "parent", "order_key", "tombstoned",
                                          "last_change", "deleted_at", "payload", "writer"}));
  // Reads field `name` into `out` with `to_value`, one of the json::to_* readers. Every field is
  // required; the fields a row may lack (the std::optional ones) are null when absent.
  auto read = [&](std::string_view name, auto to_value, auto& out) -> Status {
    TS_ASSIGN_OR_RETURN(const nlohmann::json* field,
                        json::require_field(value, path, name, "on every row"));
    if constexpr (kIsOptional<std::remove_reference_t<decltype(out)>>) {
      if (field->is_null()) return Status::ok();
    }
    TS_ASSIGN_OR_RETURN(out, to_value(*field, json::field_path(path, name)));
    return Status::ok();
  };
  SnapshotRow row;
  TS_RETURN_IF_ERROR(read("node", json::to_node, row.node));
  TS_RETURN_IF_ERROR(read("parent", json::to_node, row.parent));
  TS_RETURN_IF_ERROR(read("order_key", json::to_bytes, row.order_key));
  TS_RETURN_IF_ERROR(read("tombstoned", json::to_bool, row.tombstoned));
  TS_RETURN_IF_ERROR(read("last_change", json::to_vv, row.last_change));
  TS_RETURN_IF_ERROR(read("deleted_at", json::to_vv, row.deleted_at));
  TS_RETURN_IF_ERROR(read("payload", json::to_bytes, row.payload));
  TS_RETURN_IF_ERROR(read("writer", json::to_key, row.writer));
  return row;
}

}  // namespace

Result<Snapshot> snapshot_from_json(const nlohmann::json& value) {
  TS_RETURN_IF_ERROR(json::expect_object(value, "", {"rows"}));
  TS_ASSIGN_OR_RETURN(const nlohmann::json* rows,
                      json::require_field(value, "", "rows", "in a snapshot"));
  if (!rows->is_array()) {
    return json::field_error("rows", "expected an array of rows, got " + json::describe(*rows));
  }
  Snapshot snapshot;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    const std::string path = "rows[" + std::to_string(i) + "]";
    TS_ASSIGN_OR_RETURN(SnapshotRow row, row_from_json((*rows)[i], path));
    if (row.node.is_reserved()) {
      return json::field_error(path + ".node", "ROOT and TRASH have no row");
    }
    if (!snapshot.rows.empty() && !(snapshot.rows.back().node < row.node)) {
      return json::field_error(path + ".node", "rows must be sorted by node id, without repeats");
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
