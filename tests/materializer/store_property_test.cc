// Random transactions on every Store match a plain reference that applies a transaction's
// writes only when it commits. A RapidCheck state machine issues every write kind, bounded scans
// inside and outside transactions, commits and rollbacks; after each command it compares the
// whole store (read through the Store interface) and the maxima with the reference and runs the
// store's own invariant check. It runs once on MemoryStore and once on SqliteStore.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "core/node_id.h"
#include "core/op.h"
#include "core/replica_id.h"
#include "core/status.h"
#include "core/version_vector.h"
#include "materializer/store.h"
#include "materializer/undo_record.h"
#include "tests/materializer/store_harness.h"
#include "tests/support/store_dump.h"

namespace treesim {
namespace {

using namespace store_test;  // NOLINT(build/namespaces): the shared harness and builders

// --- random transactions against a reference ---

// The reference: the committed contents, and the contents as the open transaction sees them.
// Writes change only `current`; commit copies it to `committed`, rollback copies it back.
struct Model {
  StoreDump committed;
  StoreDump current;
  bool in_transaction = false;
};

using StoreCommand = rc::state::Command<Model, StoreHarness>;

// A few replicas, with "ab" next to its prefix "a"; a few nodes; keys that collide often.
const std::vector<std::string> kReplicas = {"a", "ab", "b"};

// Absent a third of the time (rc::gen::maybe makes rc::Maybe, not std::optional).
template <typename T>
rc::Gen<std::optional<T>> GenOptional(rc::Gen<T> gen) {
  return rc::gen::weightedOneOf<std::optional<T>>({
      {1, rc::gen::just(std::optional<T>())},
      {2, rc::gen::map(std::move(gen), [](T value) { return std::optional<T>(std::move(value)); })},
  });
}

rc::Gen<OpKey> GenKey() {
  return rc::gen::build<OpKey>(
      rc::gen::set(&OpKey::lamport, rc::gen::inRange<std::uint64_t>(1, 6)),
      rc::gen::set(&OpKey::replica, rc::gen::map(rc::gen::elementOf(kReplicas), ReplicaId::of)),
      rc::gen::set(&OpKey::counter, rc::gen::inRange<std::uint64_t>(1, 4)));
}

rc::Gen<NodeId> GenNode() {
  return rc::gen::map(rc::gen::inRange<std::uint64_t>(1, 7), NodeId::from_low);
}

rc::Gen<VersionVector> GenVersionVector() {
  return rc::gen::map(rc::gen::inRange<std::uint64_t>(0, 4), [](std::uint64_t last) {
    if (last == 0) return VersionVector{};
    return VersionVector::from_ranges({{ReplicaId::of("a"), CounterRange{1, last}}});
  });
}

rc::Gen<std::string> GenBytes() {
  return rc::gen::element(std::string(), kOrderKey, std::string("x"), std::string(3, '\0'));
}

rc::Gen<NodeRow> GenNodeRow() {
  return rc::gen::build<NodeRow>(
      rc::gen::set(&NodeRow::node, GenNode()),
      rc::gen::set(&NodeRow::parent, GenOptional(GenNode())),
      rc::gen::set(&NodeRow::order_key, GenBytes()),
      rc::gen::set(&NodeRow::last_change, GenVersionVector()),
      rc::gen::set(&NodeRow::deleted_at, GenOptional(GenVersionVector())),
      rc::gen::set(&NodeRow::tombstoned));
}

rc::Gen<PayloadRow> GenPayloadRow() {
  return rc::gen::build<PayloadRow>(rc::gen::set(&PayloadRow::node, GenNode()),
                                    rc::gen::set(&PayloadRow::value, GenOptional(GenBytes())),
                                    rc::gen::set(&PayloadRow::writer, GenKey()));
}

rc::Gen<UndoRecord> GenUndoRecord() {
  return rc::gen::build<UndoRecord>(
      rc::gen::set(&UndoRecord::key, GenKey()), rc::gen::set(&UndoRecord::node, GenNode()),
      rc::gen::set(&UndoRecord::created_nodes, rc::gen::container<std::vector<NodeId>>(GenNode())),
      rc::gen::set(&UndoRecord::structural_applied),
      rc::gen::set(&UndoRecord::previous_parent, GenOptional(GenNode())),
      rc::gen::set(&UndoRecord::previous_order_key, GenBytes()),
      rc::gen::set(&UndoRecord::dotted_nodes, rc::gen::container<std::vector<NodeId>>(GenNode())),
      rc::gen::set(&UndoRecord::deleted_at_added, GenOptional(GenVersionVector())),
      rc::gen::set(&UndoRecord::deleted_at_was_absent), rc::gen::set(&UndoRecord::payload_applied),
      rc::gen::set(&UndoRecord::previous_payload_present),
      rc::gen::set(&UndoRecord::previous_value, GenOptional(GenBytes())),
      rc::gen::set(&UndoRecord::previous_writer, GenKey()),
      rc::gen::set(&UndoRecord::previous_tombstoned,
                   rc::gen::container<std::vector<std::pair<NodeId, bool>>>(
                       rc::gen::pair(GenNode(), rc::gen::arbitrary<bool>()))));
}

rc::Gen<StoreMeta> GenMeta() {
  return rc::gen::build<StoreMeta>(
      rc::gen::set(
          &StoreMeta::head,
          rc::gen::build<Head>(rc::gen::set(&Head::key, GenOptional(GenKey())),
                               rc::gen::set(&Head::seq, rc::gen::inRange<std::uint64_t>(0, 10)))),
      rc::gen::set(&StoreMeta::frontier,
                   rc::gen::oneOf(rc::gen::just(Frontier::none()), rc::gen::just(Frontier::start()),
                                  rc::gen::map(GenKey(), Frontier::at))),
      rc::gen::set(&StoreMeta::undo_floor, GenOptional(GenKey())));
}

std::uint64_t ReferenceMaxCounter(const StoreDump& contents, const ReplicaId& replica) {
  std::uint64_t max = 0;
  for (const auto& [id, op] : contents.ops) {
    if (id.replica == replica) max = std::max(max, id.counter);
  }
  return max;
}

// After every command: the store matches the reference, table by table, and its invariants
// hold.
void AssertMatches(StoreHarness& harness, const Model& model) {
  harness.check_invariants();
  Store& store = harness.store();
  RC_ASSERT(store.in_transaction() == model.in_transaction);
  const StoreDump& expected = model.current;
  const Result<StoreDump> actual = dump_store(store);
  RC_ASSERT(actual.is_ok());
  RC_ASSERT(describe_difference(*actual, expected) == "");
  RC_ASSERT(*actual == expected);
  RC_ASSERT(store.op_count().value() == expected.ops.size());
  RC_ASSERT(store.undo_count().value() == expected.undo_records.size());
  std::uint64_t lamport_max = 0;
  for (const auto& [id, op] : expected.ops) lamport_max = std::max(lamport_max, op.lamport);
  RC_ASSERT(store.max_lamport().value() == lamport_max);
  for (const char* name : {"a", "ab", "b", "c"}) {
    const ReplicaId replica = ReplicaId::of(name);
    RC_ASSERT(store.max_counter(replica).value() == ReferenceMaxCounter(expected, replica));
  }
}

// A write: applies to the reference's current contents, runs on the store, then compares.
template <typename Derived>
struct Write : StoreCommand {
  void checkPreconditions(const Model& model) const override { RC_PRE(model.in_transaction); }
  void run(const Model& model, StoreHarness& harness) const override {
    const Status status = static_cast<const Derived&>(*this).run_write(harness.store());
    RC_ASSERT(status.is_ok());
    AssertMatches(harness, nextState(model));
  }
};

struct Begin : StoreCommand {
  void checkPreconditions(const Model& model) const override { RC_PRE(!model.in_transaction); }
  void apply(Model& model) const override { model.in_transaction = true; }
  void run(const Model& model, StoreHarness& harness) const override {
    RC_ASSERT(harness.store().begin().is_ok());
    AssertMatches(harness, nextState(model));
  }
  void show(std::ostream& out) const override { out << "begin()"; }
};

struct Commit : StoreCommand {
  void checkPreconditions(const Model& model) const override { RC_PRE(model.in_transaction); }
  void apply(Model& model) const override {
    model.committed = model.current;
    model.in_transaction = false;
  }
  void run(const Model& model, StoreHarness& harness) const override {
    RC_ASSERT(harness.store().commit().is_ok());
    AssertMatches(harness, nextState(model));
  }
  void show(std::ostream& out) const override { out << "commit()"; }
};

struct Rollback : StoreCommand {
  void checkPreconditions(const Model& model) const override { RC_PRE(model.in_transaction); }
  void apply(Model& model) const override {
    model.current = model.committed;
    model.in_transaction = false;
  }
  void run(const Model& model, StoreHarness& harness) const override {
    harness.store().rollback();
    AssertMatches(harness, nextState(model));
  }
  void show(std::ostream& out) const override { out << "rollback()"; }
};

struct InsertOps : Write<InsertOps> {
  std::vector<Op> ops;
  // Fresh ids only (insert_ops asserts that); ids a rolled-back transaction used are fresh again.
  explicit InsertOps(const Model& model) {
    const auto count = *rc::gen::inRange(0, 4);
    for (int i = 0; i < count; ++i) {
      const OpKey key = *GenKey();
      const bool taken =
          model.current.ops.contains(key.id()) ||
          std::any_of(ops.begin(), ops.end(), [&](const Op& op) { return op.id == key.id(); });
      if (!taken) ops.push_back(make_tombstone(key.id(), key.lamport, *GenNode()));
    }
  }
  void checkPreconditions(const Model& model) const override {
    Write::checkPreconditions(model);
    for (const Op& op : ops) RC_PRE(!model.current.ops.contains(op.id));
  }
  void apply(Model& model) const override {
    for (const Op& op : ops) model.current.ops.emplace(op.id, op);
  }
  Status run_write(Store& store) const { return store.insert_ops(ops); }
  void show(std::ostream& out) const override {
    out << "insert_ops({";
    for (const Op& op : ops) out << " " << op.to_display() << ";";
    out << " })";
  }
};

struct PutNode : Write<PutNode> {
  NodeRow row = *GenNodeRow();
  void apply(Model& model) const override { model.current.nodes.insert_or_assign(row.node, row); }
  Status run_write(Store& store) const { return store.put_node(row); }
  void show(std::ostream& out) const override {
    out << "put_node(" << row.node.to_display() << ", tombstoned=" << row.tombstoned << ")";
  }
};

struct EraseNode : Write<EraseNode> {
  NodeId node = *GenNode();
  void apply(Model& model) const override { model.current.nodes.erase(node); }
  Status run_write(Store& store) const { return store.erase_node(node); }
  void show(std::ostream& out) const override { out << "erase_node(" << node.to_display() << ")"; }
};

struct PutPayload : Write<PutPayload> {
  PayloadRow row = *GenPayloadRow();
  void apply(Model& model) const override {
    model.current.payloads.insert_or_assign(row.node, row);
  }
  Status run_write(Store& store) const { return store.put_payload(row); }
  void show(std::ostream& out) const override {
    out << "put_payload(" << row.node.to_display() << ", " << row.value.value_or("<clear>") << ")";
  }
};

struct ErasePayload : Write<ErasePayload> {
  NodeId node = *GenNode();
  void apply(Model& model) const override { model.current.payloads.erase(node); }
  Status run_write(Store& store) const { return store.erase_payload(node); }
  void show(std::ostream& out) const override {
    out << "erase_payload(" << node.to_display() << ")";
  }
};

struct ClearRows : Write<ClearRows> {
  void apply(Model& model) const override {
    model.current.nodes.clear();
    model.current.payloads.clear();
  }
  Status run_write(Store& store) const { return store.clear_rows(); }
  void show(std::ostream& out) const override { out << "clear_rows()"; }
};

struct PutUndo : Write<PutUndo> {
  UndoRecord record = *GenUndoRecord();
  void apply(Model& model) const override {
    model.current.undo_records.insert_or_assign(record.key, record);
  }
  Status run_write(Store& store) const { return store.put_undo(record); }
  void show(std::ostream& out) const override {
    out << "put_undo(" << record.key.to_display() << ")";
  }
};

struct EraseUndoFrom : Write<EraseUndoFrom> {
  OpKey from = *GenKey();
  void apply(Model& model) const override {
    std::erase_if(model.current.undo_records,
                  [&](const auto& entry) { return !(entry.first < from); });
  }
  Status run_write(Store& store) const { return store.erase_undo_from(from); }
  void show(std::ostream& out) const override {
    out << "erase_undo_from(" << from.to_display() << ")";
  }
};

struct EraseUndoBefore : Write<EraseUndoBefore> {
  OpKey before = *GenKey();
  void apply(Model& model) const override {
    std::erase_if(model.current.undo_records,
                  [&](const auto& entry) { return entry.first < before; });
  }
  Status run_write(Store& store) const { return store.erase_undo_before(before); }
  void show(std::ostream& out) const override {
    out << "erase_undo_before(" << before.to_display() << ")";
  }
};

struct WriteMeta : Write<WriteMeta> {
  StoreMeta meta = *GenMeta();
  void apply(Model& model) const override { model.current.meta = meta; }
  Status run_write(Store& store) const { return store.write_meta(meta); }
  void show(std::ostream& out) const override {
    out << "write_meta(frontier=" << meta.frontier.to_display() << ")";
  }
};

// Reads only: bounded scans of the log and the undo records, inside or outside a transaction.
struct ScanFrom : StoreCommand {
  std::optional<OpKey> from = *GenOptional(GenKey());
  std::size_t limit = *rc::gen::inRange<std::size_t>(1, 6);

  void run(const Model& model, StoreHarness& harness) const override {
    std::vector<std::string> expected_ops;
    std::vector<OpKey> keys;
    for (const auto& [id, op] : model.current.ops) keys.push_back(op.key());
    std::sort(keys.begin(), keys.end());
    for (const OpKey& key : keys) {
      if (expected_ops.size() < limit && (!from || !(key < *from))) {
        expected_ops.push_back(key.to_display());
      }
    }
    RC_ASSERT(ScanOpKeys(harness.store(), from, limit) == expected_ops);

    const OpKey undo_from = from.value_or(OpKey{});
    std::vector<std::string> expected_undo;
    for (auto entry = model.current.undo_records.rbegin();
         entry != model.current.undo_records.rend(); ++entry) {
      if (expected_undo.size() < limit && !(entry->first < undo_from)) {
        expected_undo.push_back(entry->first.to_display());
      }
    }
    RC_ASSERT(ScanUndoKeys(harness.store(), undo_from, limit) == expected_undo);
  }
  void show(std::ostream& out) const override {
    out << "scan_from(" << (from ? from->to_display() : "none") << ", limit=" << limit << ")";
  }
};

rc::Gen<std::shared_ptr<const StoreCommand>> GenCommand(const Model& model) {
  using rc::state::gen::execOneOfWithArgs;
  if (!model.in_transaction) return execOneOfWithArgs<Begin, ScanFrom>()(model);
  return execOneOfWithArgs<Commit, Rollback, InsertOps, InsertOps, PutNode, EraseNode, PutPayload,
                           ErasePayload, ClearRows, PutUndo, PutUndo, EraseUndoFrom,
                           EraseUndoBefore, WriteMeta, ScanFrom>()(model);
}

class StoreProperty : public ::testing::TestWithParam<StoreKind> {};

TEST_P(StoreProperty, RandomTransactionsMatchAReferenceThatAppliesOnlyOnCommit) {
  const StoreKind kind = GetParam();
  EXPECT_TRUE(rc::check(std::string(kind.name) + ": random transactions", [&] {
    const std::unique_ptr<StoreHarness> harness = kind.make();
    rc::state::check(Model{}, *harness, GenCommand);
    harness->check_invariants();
  }));
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreProperty, ::testing::ValuesIn(EveryStore()),
                         [](const auto& instance) { return std::string(instance.param.name); });

}  // namespace
}  // namespace treesim
