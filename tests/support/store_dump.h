// StoreDump: everything a Store holds, read through the public Store interface only, as ordered
// maps that compare with ==. Lets tests and the simulator's checkers compare any two stores
// (a MemoryStore with a SqliteStore, a store before and after a rolled-back transaction)
// without an implementation's clone().
//
// dump_store() also checks the scan orders store.h promises: a scan that visits a row out of
// order (or twice) is reported as kInternal, naming the two rows.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/node_id.h"
#include "core/op.h"
#include "core/status.h"
#include "materializer/store.h"
#include "materializer/undo_record.h"

namespace treesim {

struct StoreDump {
  std::map<OpId, Op> ops;
  std::map<NodeId, NodeRow> nodes;
  std::map<NodeId, PayloadRow> payloads;
  std::map<OpKey, UndoRecord> undo_records;
  StoreMeta meta;

  friend bool operator==(const StoreDump&, const StoreDump&) = default;
};

namespace store_dump_internal {

// Remembers the previous key of a scan and records the first out-of-order visit.
template <typename Key, typename Display>
class OrderCheck {
 public:
  OrderCheck(const char* scan, bool descending, Display display)
      : scan_(scan), descending_(descending), display_(display) {}

  void visit(const Key& key) {
    if (previous_ && problem_.empty()) {
      const bool in_order = descending_ ? key < *previous_ : *previous_ < key;
      if (!in_order) {
        problem_ =
            std::string(scan_) + " visited " + display_(key) + " after " + display_(*previous_);
      }
    }
    previous_ = key;
  }

  Status status() const { return problem_.empty() ? Status::ok() : Status::internal(problem_); }

 private:
  const char* scan_;
  bool descending_;
  Display display_;
  std::optional<Key> previous_;
  std::string problem_;
};

inline std::string display_node(NodeId node) { return node.to_display(); }
inline std::string display_key(const OpKey& key) { return key.to_display(); }
inline std::string display_optional_key(const std::optional<OpKey>& key) {
  return key ? key->to_display() : "none";
}

// The first key at which two maps differ, described ("node 0x7: only in the first store").
template <typename Key, typename Row, typename Display>
std::string first_difference(const char* table, const std::map<Key, Row>& first,
                             const std::map<Key, Row>& second, Display display) {
  auto a = first.begin();
  auto b = second.begin();
  while (a != first.end() || b != second.end()) {
    if (b == second.end() || (a != first.end() && a->first < b->first)) {
      return std::string(table) + " " + display(a->first) + ": only in the first store";
    }
    if (a == first.end() || b->first < a->first) {
      return std::string(table) + " " + display(b->first) + ": only in the second store";
    }
    if (!(a->second == b->second))
      return std::string(table) + " " + display(a->first) + ": differs";
    ++a;
    ++b;
  }
  return {};
}

}  // namespace store_dump_internal

// Reads every table of `store` through its scans and read_meta(). Works inside a transaction
// (then it sees the transaction's writes). Returns the store's error, or kInternal if a scan
// broke its order.
inline Result<StoreDump> dump_store(Store& store) {
  using store_dump_internal::OrderCheck;
  StoreDump dump;

  OrderCheck<OpKey, decltype(&store_dump_internal::display_key)> op_order(
      "scan_ops", /*descending=*/false, &store_dump_internal::display_key);
  TS_RETURN_IF_ERROR(store.scan_ops(std::nullopt, [&](const Op& op) {
    op_order.visit(op.key());
    dump.ops.emplace(op.id, op);
    return true;
  }));
  TS_RETURN_IF_ERROR(op_order.status());

  OrderCheck<NodeId, decltype(&store_dump_internal::display_node)> node_order(
      "scan_nodes", /*descending=*/false, &store_dump_internal::display_node);
  TS_RETURN_IF_ERROR(store.scan_nodes([&](const NodeRow& row) {
    node_order.visit(row.node);
    dump.nodes.emplace(row.node, row);
  }));
  TS_RETURN_IF_ERROR(node_order.status());

  OrderCheck<NodeId, decltype(&store_dump_internal::display_node)> payload_order(
      "scan_payloads", /*descending=*/false, &store_dump_internal::display_node);
  TS_RETURN_IF_ERROR(store.scan_payloads([&](const PayloadRow& row) {
    payload_order.visit(row.node);
    dump.payloads.emplace(row.node, row);
  }));
  TS_RETURN_IF_ERROR(payload_order.status());

  // The default key (lamport 0, empty replica, counter 0) sorts before every other key.
  OrderCheck<OpKey, decltype(&store_dump_internal::display_key)> undo_order(
      "scan_undo_reverse", /*descending=*/true, &store_dump_internal::display_key);
  TS_RETURN_IF_ERROR(store.scan_undo_reverse(OpKey{}, [&](const UndoRecord& record) {
    undo_order.visit(record.key);
    dump.undo_records.emplace(record.key, record);
    return true;
  }));
  TS_RETURN_IF_ERROR(undo_order.status());

  TS_ASSIGN_OR_RETURN(dump.meta, store.read_meta());
  return dump;
}

// A one-line description of the first difference, tables in the order ops, nodes, payloads,
// undo records, meta; empty if the dumps are equal.
inline std::string describe_difference(const StoreDump& first, const StoreDump& second) {
  namespace helpers = store_dump_internal;
  std::string difference = helpers::first_difference(
      "op", first.ops, second.ops, [](const OpId& id) { return id.to_display(); });
  if (difference.empty()) {
    difference =
        helpers::first_difference("node", first.nodes, second.nodes, helpers::display_node);
  }
  if (difference.empty()) {
    difference = helpers::first_difference("payload", first.payloads, second.payloads,
                                           helpers::display_node);
  }
  if (difference.empty()) {
    difference = helpers::first_difference("undo record", first.undo_records, second.undo_records,
                                           helpers::display_key);
  }
  if (!difference.empty()) return difference;
  const StoreMeta& a = first.meta;
  const StoreMeta& b = second.meta;
  if (a.head != b.head) {
    return "meta head: " + helpers::display_optional_key(a.head.key) + " seq " +
           std::to_string(a.head.seq) + " vs " + helpers::display_optional_key(b.head.key) +
           " seq " + std::to_string(b.head.seq);
  }
  if (a.frontier != b.frontier) {
    return "meta frontier: " + a.frontier.to_display() + " vs " + b.frontier.to_display();
  }
  if (a.undo_floor != b.undo_floor) {
    return "meta undo_floor: " + helpers::display_optional_key(a.undo_floor) + " vs " +
           helpers::display_optional_key(b.undo_floor);
  }
  return {};
}

}  // namespace treesim
