// MemoryStore keeps the Store contract (materializer/store.h): a rolled-back transaction leaves
// the contents exactly as they were, a committed one keeps what it saw, and scans, bounds and
// maxima mean what the header says. Every kind of write is rolled back against a clone taken
// before begin() and committed against the contents read inside the transaction; named tests
// pin the scan orders and bounds; a RapidCheck state machine runs random transactions (every
// write kind, each committed or rolled back) against a plain reference that applies a
// transaction's writes only when it commits, checking check_invariants() after every step.
#include "materializer/memory_store.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "core/node_id.h"
#include "core/op.h"
#include "core/replica_id.h"
#include "core/status.h"
#include "core/version_vector.h"
#include "materializer/store.h"
#include "materializer/undo_record.h"

namespace treesim {
namespace {

// --- builders ---

const std::string kOrderKey("\x80\x00", 2);

OpKey Key(std::uint64_t lamport, const char* replica, std::uint64_t counter) {
  return OpKey{lamport, ReplicaId::of(replica), counter};
}

Op InsertOp(const char* replica, std::uint64_t counter, std::uint64_t lamport,
            std::uint64_t node = 1) {
  return make_insert(OpId{ReplicaId::of(replica), counter}, lamport, kRoot, NodeId::from_low(node),
                     kOrderKey);
}

NodeRow NodeAt(std::uint64_t node, std::uint64_t parent = 0, bool tombstoned = false) {
  NodeRow row;
  row.node = NodeId::from_low(node);
  row.parent = NodeId::from_low(parent);
  row.order_key = kOrderKey;
  row.last_change = VersionVector::from_ranges({{ReplicaId::of("a"), CounterRange{1, node + 1}}});
  row.tombstoned = tombstoned;
  return row;
}

PayloadRow PayloadOf(std::uint64_t node, std::string value) {
  return PayloadRow{NodeId::from_low(node), std::move(value), Key(1, "a", 1)};
}

UndoRecord UndoAt(const OpKey& key, std::uint64_t created_node = 1) {
  UndoRecord record;
  record.key = key;
  record.created_nodes = {NodeId::from_low(created_node)};
  return record;
}

void ExpectOk(const Status& status) { EXPECT_TRUE(status.is_ok()) << status.to_string(); }

// --- reading the contents through the Store interface ---

struct Contents {
  std::map<OpId, Op> ops;
  std::map<NodeId, NodeRow> nodes;
  std::map<NodeId, PayloadRow> payloads;
  std::map<OpKey, UndoRecord> undo_records;
  StoreMeta meta;

  friend bool operator==(const Contents&, const Contents&) = default;
};

Contents ReadContents(MemoryStore& store) {
  Contents contents;
  ExpectOk(store.scan_ops(std::nullopt, [&](const Op& op) {
    contents.ops.emplace(op.id, op);
    return true;
  }));
  ExpectOk(store.scan_nodes([&](const NodeRow& row) { contents.nodes.emplace(row.node, row); }));
  ExpectOk(store.scan_payloads(
      [&](const PayloadRow& row) { contents.payloads.emplace(row.node, row); }));
  // The default key (lamport 0, empty replica) sorts before every real key.
  ExpectOk(store.scan_undo_reverse(OpKey{}, [&](const UndoRecord& record) {
    contents.undo_records.emplace(record.key, record);
    return true;
  }));
  contents.meta = store.read_meta().value();
  return contents;
}

// Scans return display strings so that a failure prints readable keys.
std::vector<std::string> ScanOpKeys(MemoryStore& store, const std::optional<OpKey>& from,
                                    std::size_t limit = SIZE_MAX) {
  std::vector<std::string> keys;
  ExpectOk(store.scan_ops(from, [&](const Op& op) {
    keys.push_back(op.key().to_display());
    return keys.size() < limit;
  }));
  return keys;
}

std::vector<std::string> ScanUndoKeys(MemoryStore& store, const OpKey& from,
                                      std::size_t limit = SIZE_MAX) {
  std::vector<std::string> keys;
  ExpectOk(store.scan_undo_reverse(from, [&](const UndoRecord& record) {
    keys.push_back(record.key.to_display());
    return keys.size() < limit;
  }));
  return keys;
}

// --- fixture ---

// Starts from a committed store with something in every table: ops (1,a,1), (2,b,1), (3,a,2);
// nodes 1-3; payloads of nodes 1-2; an undo record per op; and meta.
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Commit([](MemoryStore& store) {
      ExpectOk(store.insert_ops({InsertOp("a", 2, 3), InsertOp("a", 1, 1), InsertOp("b", 1, 2)}));
      for (std::uint64_t node : {1, 2, 3}) ExpectOk(store.put_node(NodeAt(node)));
      ExpectOk(store.put_payload(PayloadOf(1, "one")));
      ExpectOk(store.put_payload(PayloadOf(2, "two")));
      for (const OpKey& key : {Key(1, "a", 1), Key(2, "b", 1), Key(3, "a", 2)}) {
        ExpectOk(store.put_undo(UndoAt(key)));
      }
      ExpectOk(
          store.write_meta(StoreMeta{Head{Key(3, "a", 2), 3}, Frontier::none(), Key(1, "a", 1)}));
    });
  }

  void Commit(const std::function<void(MemoryStore&)>& writes) {
    ExpectOk(store_.begin());
    writes(store_);
    store_.check_invariants();
    ExpectOk(store_.commit());
    store_.check_invariants();
  }

  void RollBack(const std::function<void(MemoryStore&)>& writes) {
    ExpectOk(store_.begin());
    writes(store_);
    store_.check_invariants();
    store_.rollback();
    store_.check_invariants();
  }

  void ExpectSameContents(const MemoryStore& expected) {
    EXPECT_TRUE(store_.same_contents(expected)) << store_.describe_difference(expected);
    EXPECT_EQ(store_.describe_difference(expected), "");
  }

  MemoryStore store_;
};

// --- every kind of write, rolled back and committed ---

struct NamedWrite {
  const char* name;
  bool changes_contents;
  std::function<void(MemoryStore&)> write;
};

void PrintTo(const NamedWrite& write, std::ostream* out) { *out << write.name; }

std::vector<NamedWrite> EveryWrite() {
  return {
      {"empty_transaction", false, [](MemoryStore&) {}},
      {"insert_ops", true,
       [](MemoryStore& s) {
         ExpectOk(s.insert_ops({InsertOp("a", 3, 4), InsertOp("c", 1, 4)}));
       }},
      {"put_new_node", true, [](MemoryStore& s) { ExpectOk(s.put_node(NodeAt(9, 1))); }},
      {"replace_node", true, [](MemoryStore& s) { ExpectOk(s.put_node(NodeAt(2, 1, true))); }},
      {"erase_node", true, [](MemoryStore& s) { ExpectOk(s.erase_node(NodeId::from_low(2))); }},
      {"erase_absent_node", false,
       [](MemoryStore& s) { ExpectOk(s.erase_node(NodeId::from_low(9))); }},
      {"put_new_payload", true, [](MemoryStore& s) { ExpectOk(s.put_payload(PayloadOf(3, "3"))); }},
      {"replace_payload", true, [](MemoryStore& s) { ExpectOk(s.put_payload(PayloadOf(1, "1"))); }},
      {"erase_payload", true,
       [](MemoryStore& s) { ExpectOk(s.erase_payload(NodeId::from_low(1))); }},
      {"clear_rows", true, [](MemoryStore& s) { ExpectOk(s.clear_rows()); }},
      {"put_new_undo", true, [](MemoryStore& s) { ExpectOk(s.put_undo(UndoAt(Key(4, "a", 3)))); }},
      {"replace_undo", true,
       [](MemoryStore& s) { ExpectOk(s.put_undo(UndoAt(Key(2, "b", 1), 7))); }},
      {"erase_undo_from", true,
       [](MemoryStore& s) { ExpectOk(s.erase_undo_from(Key(2, "b", 1))); }},
      {"erase_undo_before", true,
       [](MemoryStore& s) { ExpectOk(s.erase_undo_before(Key(3, "a", 2))); }},
      {"write_meta", true,
       [](MemoryStore& s) {
         ExpectOk(s.write_meta(StoreMeta{Head{}, Frontier::start(), std::nullopt}));
       }},
      {"rewrite_one_key_repeatedly", true,
       [](MemoryStore& s) {
         ExpectOk(s.put_node(NodeAt(2, 3)));
         ExpectOk(s.erase_node(NodeId::from_low(2)));
         ExpectOk(s.put_node(NodeAt(2, 1, true)));
         ExpectOk(s.put_undo(UndoAt(Key(1, "a", 1), 5)));
         ExpectOk(s.erase_undo_before(Key(9, "a", 1)));
         ExpectOk(s.put_undo(UndoAt(Key(1, "a", 1), 6)));
         ExpectOk(s.write_meta(StoreMeta{Head{}, Frontier::start(), std::nullopt}));
         ExpectOk(s.write_meta(StoreMeta{Head{Key(1, "a", 1), 1}, Frontier::none(), {}}));
       }},
      {"put_rows_then_clear_rows", true,
       [](MemoryStore& s) {
         ExpectOk(s.put_node(NodeAt(9)));
         ExpectOk(s.put_payload(PayloadOf(9, "nine")));
         ExpectOk(s.clear_rows());
         ExpectOk(s.put_node(NodeAt(1, 9)));
       }},
      {"every_kind_at_once", true,
       [](MemoryStore& s) {
         ExpectOk(s.insert_ops({InsertOp("b", 2, 5)}));
         ExpectOk(s.put_node(NodeAt(4)));
         ExpectOk(s.erase_node(NodeId::from_low(3)));
         ExpectOk(s.put_payload(PayloadOf(4, "")));
         ExpectOk(s.erase_payload(NodeId::from_low(2)));
         ExpectOk(s.put_undo(UndoAt(Key(5, "b", 2))));
         ExpectOk(s.erase_undo_from(Key(3, "a", 2)));
         ExpectOk(s.erase_undo_before(Key(2, "b", 1)));
         ExpectOk(s.write_meta(
             StoreMeta{Head{Key(5, "b", 2), 4}, Frontier::at(Key(2, "b", 1)), Key(2, "b", 1)}));
         ExpectOk(s.clear_rows());
       }},
  };
}

class MemoryStoreWrite : public StoreTest, public ::testing::WithParamInterface<NamedWrite> {};

TEST_P(MemoryStoreWrite, RollbackRestoresTheContentsExactly) {
  const MemoryStore before = store_.clone();
  ExpectOk(store_.begin());
  GetParam().write(store_);
  store_.check_invariants();
  // Reads inside the transaction see its writes.
  EXPECT_EQ(store_.same_contents(before), !GetParam().changes_contents);
  store_.rollback();
  store_.check_invariants();
  EXPECT_FALSE(store_.in_transaction());
  ExpectSameContents(before);
}

TEST_P(MemoryStoreWrite, CommitKeepsWhatTheTransactionSaw) {
  const Contents before = ReadContents(store_);
  ExpectOk(store_.begin());
  GetParam().write(store_);
  const Contents inside = ReadContents(store_);
  ExpectOk(store_.commit());
  store_.check_invariants();
  EXPECT_FALSE(store_.in_transaction());
  EXPECT_EQ(inside == before, !GetParam().changes_contents);
  EXPECT_TRUE(ReadContents(store_) == inside);
  // A later transaction's rollback goes back to the committed contents, not further.
  RollBack([](MemoryStore& s) { ExpectOk(s.clear_rows()); });
  EXPECT_TRUE(ReadContents(store_) == inside);
}

INSTANTIATE_TEST_SUITE_P(MemoryStore, MemoryStoreWrite, ::testing::ValuesIn(EveryWrite()),
                         [](const auto& write_info) { return std::string(write_info.param.name); });

// --- rows ---

using MemoryStoreRows = StoreTest;

TEST_F(MemoryStoreRows, ClearRowsEmptiesBothTablesAndRollsBackEveryRow) {
  ExpectOk(store_.begin());
  ExpectOk(store_.clear_rows());
  EXPECT_TRUE(ReadContents(store_).nodes.empty());
  EXPECT_TRUE(ReadContents(store_).payloads.empty());
  store_.rollback();
  const Contents after = ReadContents(store_);
  EXPECT_EQ(after.nodes.size(), 3u);
  EXPECT_EQ(after.payloads.size(), 2u);
  EXPECT_TRUE(after.nodes.at(NodeId::from_low(2)) == NodeAt(2));
  EXPECT_TRUE(after.payloads.at(NodeId::from_low(1)) == PayloadOf(1, "one"));
}

TEST_F(MemoryStoreRows, ScansVisitRowsInNodeIdOrder) {
  const NodeId high{1, 0};
  Commit([&](MemoryStore& s) {
    NodeRow row = NodeAt(0);
    row.node = high;
    ExpectOk(s.put_node(row));
    ExpectOk(s.put_node(NodeAt(0)));  // ROOT
    ExpectOk(s.put_payload(PayloadRow{high, "high", Key(1, "a", 1)}));
    ExpectOk(s.put_payload(PayloadOf(0, "root")));
  });
  std::vector<NodeId> nodes;
  std::vector<NodeId> payloads;
  ExpectOk(store_.scan_nodes([&](const NodeRow& row) { nodes.push_back(row.node); }));
  ExpectOk(store_.scan_payloads([&](const PayloadRow& row) { payloads.push_back(row.node); }));
  EXPECT_EQ(nodes, (std::vector<NodeId>{kRoot, NodeId::from_low(1), NodeId::from_low(2),
                                        NodeId::from_low(3), high}));
  EXPECT_EQ(payloads, (std::vector<NodeId>{kRoot, NodeId::from_low(1), NodeId::from_low(2), high}));
}

// --- op log ---

using MemoryStoreLog = StoreTest;

TEST_F(MemoryStoreLog, ScanOpsVisitsCanonicalOrderFromAnInclusiveBound) {
  // Lamport ties are broken by replica bytes ("a" < "ab" < "b"), then by counter.
  Commit([](MemoryStore& s) {
    ExpectOk(s.insert_ops({InsertOp("b", 2, 4), InsertOp("ab", 1, 4), InsertOp("a", 3, 4)}));
  });
  EXPECT_EQ(ScanOpKeys(store_, std::nullopt),
            (std::vector<std::string>{"(1,a,1)", "(2,b,1)", "(3,a,2)", "(4,a,3)", "(4,ab,1)",
                                      "(4,b,2)"}));
  EXPECT_EQ(ScanOpKeys(store_, Key(3, "a", 2)),
            (std::vector<std::string>{"(3,a,2)", "(4,a,3)", "(4,ab,1)", "(4,b,2)"}));
  EXPECT_EQ(ScanOpKeys(store_, Key(4, "aa", 0)), (std::vector<std::string>{"(4,ab,1)", "(4,b,2)"}));
  EXPECT_TRUE(ScanOpKeys(store_, Key(5, "a", 1)).empty());
}

TEST_F(MemoryStoreLog, ScanOpsStopsWhenVisitReturnsFalse) {
  EXPECT_EQ(ScanOpKeys(store_, std::nullopt, 2), (std::vector<std::string>{"(1,a,1)", "(2,b,1)"}));
}

TEST_F(MemoryStoreLog, FindOpSeesCommittedOpsAndNotRolledBackOnes) {
  const OpId stored{ReplicaId::of("b"), 1};
  const OpId rolled_back{ReplicaId::of("c"), 1};
  EXPECT_TRUE(store_.find_op(stored).value() == InsertOp("b", 1, 2));
  RollBack([](MemoryStore& s) {
    ExpectOk(s.insert_ops({InsertOp("c", 1, 9)}));
    EXPECT_TRUE(s.find_op(OpId{ReplicaId::of("c"), 1}).value().has_value());
    EXPECT_EQ(s.op_count().value(), 4u);
  });
  EXPECT_FALSE(store_.find_op(rolled_back).value().has_value());
  EXPECT_EQ(store_.op_count().value(), 3u);
}

TEST(MemoryStoreMaxima, AnEmptyStoreHasZeroMaxima) {
  MemoryStore store;
  EXPECT_EQ(store.max_lamport().value(), 0u);
  EXPECT_EQ(store.max_counter(ReplicaId::of("a")).value(), 0u);
  store.check_invariants();
}

TEST_F(MemoryStoreLog, MaximaFollowInsertsPerReplica) {
  // "ab" sorts right after "a": its ops must not count as "a"'s, nor "a"'s as "ab"'s.
  Commit([](MemoryStore& s) { ExpectOk(s.insert_ops({InsertOp("ab", 7, 5)})); });
  EXPECT_EQ(store_.max_lamport().value(), 5u);
  EXPECT_EQ(store_.max_counter(ReplicaId::of("a")).value(), 2u);
  EXPECT_EQ(store_.max_counter(ReplicaId::of("ab")).value(), 7u);
  EXPECT_EQ(store_.max_counter(ReplicaId::of("b")).value(), 1u);
  EXPECT_EQ(store_.max_counter(ReplicaId::of("aa")).value(), 0u);
  EXPECT_EQ(store_.max_counter(ReplicaId::of("c")).value(), 0u);
}

TEST_F(MemoryStoreLog, RolledBackInsertDoesNotRaiseMaxima) {
  RollBack([](MemoryStore& s) {
    ExpectOk(s.insert_ops({InsertOp("a", 10, 20), InsertOp("c", 4, 21)}));
    EXPECT_EQ(s.max_lamport().value(), 21u);
    EXPECT_EQ(s.max_counter(ReplicaId::of("a")).value(), 10u);
  });
  EXPECT_EQ(store_.max_lamport().value(), 3u);
  EXPECT_EQ(store_.max_counter(ReplicaId::of("a")).value(), 2u);
  EXPECT_EQ(store_.max_counter(ReplicaId::of("c")).value(), 0u);
}

// --- undo records ---

using MemoryStoreUndo = StoreTest;

TEST_F(MemoryStoreUndo, ScanUndoReverseVisitsNewestFirstFromAnInclusiveBound) {
  EXPECT_EQ(ScanUndoKeys(store_, OpKey{}),
            (std::vector<std::string>{"(3,a,2)", "(2,b,1)", "(1,a,1)"}));
  EXPECT_EQ(ScanUndoKeys(store_, Key(2, "b", 1)), (std::vector<std::string>{"(3,a,2)", "(2,b,1)"}));
  EXPECT_EQ(ScanUndoKeys(store_, Key(2, "c", 0)), (std::vector<std::string>{"(3,a,2)"}));
  EXPECT_TRUE(ScanUndoKeys(store_, Key(3, "a", 3)).empty());
  EXPECT_EQ(ScanUndoKeys(store_, OpKey{}, 1), (std::vector<std::string>{"(3,a,2)"}));
}

TEST_F(MemoryStoreUndo, EraseUndoFromRemovesTheBoundAndEverythingAfter) {
  Commit([](MemoryStore& s) { ExpectOk(s.erase_undo_from(Key(2, "b", 1))); });
  EXPECT_EQ(ScanUndoKeys(store_, OpKey{}), (std::vector<std::string>{"(1,a,1)"}));
  EXPECT_EQ(store_.undo_count().value(), 1u);
}

TEST_F(MemoryStoreUndo, EraseUndoBeforeKeepsTheBound) {
  Commit([](MemoryStore& s) { ExpectOk(s.erase_undo_before(Key(2, "b", 1))); });
  EXPECT_EQ(ScanUndoKeys(store_, OpKey{}), (std::vector<std::string>{"(3,a,2)", "(2,b,1)"}));
}

TEST_F(MemoryStoreUndo, EraseBoundsNeedNotBeStoredKeys) {
  Commit([](MemoryStore& s) {
    ExpectOk(s.erase_undo_from(Key(2, "c", 0)));    // between (2,b,1) and (3,a,2)
    ExpectOk(s.erase_undo_before(Key(1, "b", 0)));  // between (1,a,1) and (2,b,1)
  });
  EXPECT_EQ(ScanUndoKeys(store_, OpKey{}), (std::vector<std::string>{"(2,b,1)"}));
}

// --- programmer errors ---

TEST(MemoryStoreDeathTest, BeginInsideATransactionAsserts) {
  MemoryStore store;
  ExpectOk(store.begin());
  EXPECT_DEATH(static_cast<void>(store.begin()), "assertion failed");
}

TEST(MemoryStoreDeathTest, WritesCommitAndRollbackOutsideATransactionAssert) {
  MemoryStore store;
  EXPECT_DEATH(static_cast<void>(store.put_node(NodeAt(1))), "assertion failed");
  EXPECT_DEATH(static_cast<void>(store.write_meta(StoreMeta{})), "assertion failed");
  EXPECT_DEATH(static_cast<void>(store.commit()), "assertion failed");
  EXPECT_DEATH(store.rollback(), "assertion failed");
}

TEST(MemoryStoreDeathTest, InsertingAStoredIdAsserts) {
  MemoryStore store;
  ExpectOk(store.begin());
  ExpectOk(store.insert_ops({InsertOp("a", 1, 1)}));
  EXPECT_DEATH(static_cast<void>(store.insert_ops({InsertOp("a", 1, 2)})), "assertion failed");
}

TEST(MemoryStoreDeathTest, WritingFromInsideAScanAsserts) {
  MemoryStore store;
  ExpectOk(store.begin());
  ExpectOk(store.put_node(NodeAt(1)));
  EXPECT_DEATH(static_cast<void>(store.scan_nodes(
                   [&](const NodeRow&) { static_cast<void>(store.erase_node(NodeAt(1).node)); })),
               "assertion failed");
}

// --- Frontier ---

TEST(Frontier, MinTreatsNoneAsIdentityAndStartAsSmallest) {
  const Frontier none = Frontier::none();
  const Frontier start = Frontier::start();
  const Frontier low = Frontier::at(Key(2, "a", 1));
  const Frontier high = Frontier::at(Key(2, "b", 1));
  struct Row {
    Frontier a, b, expected;
  };
  const std::vector<Row> table = {
      {none, none, none},  {none, start, start}, {none, low, low},      {start, none, start},
      {start, low, start}, {low, start, start},  {low, none, low},      {low, high, low},
      {high, low, low},    {high, high, high},   {start, start, start},
  };
  for (const Row& row : table) {
    EXPECT_EQ(Frontier::min(row.a, row.b).to_display(), row.expected.to_display())
        << "min(" << row.a.to_display() << ", " << row.b.to_display() << ")";
    EXPECT_TRUE(Frontier::min(row.a, row.b) == row.expected);
  }
}

TEST(Frontier, DisplaysNoneStartOrTheKey) {
  EXPECT_EQ(Frontier::none().to_display(), "none");
  EXPECT_EQ(Frontier::start().to_display(), "start");
  EXPECT_EQ(Frontier::at(Key(5, "a", 3)).to_display(), "(5,a,3)");
}

// --- random transactions against a reference ---

// The reference: the committed contents, and the contents as the open transaction sees them.
// Writes change only `current`; commit copies it to `committed`, rollback copies it back.
struct Model {
  Contents committed;
  Contents current;
  bool in_transaction = false;
};

using StoreCommand = rc::state::Command<Model, MemoryStore>;

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

rc::Gen<NodeRow> GenNodeRow() {
  return rc::gen::build<NodeRow>(
      rc::gen::set(&NodeRow::node, GenNode()),
      rc::gen::set(&NodeRow::parent, GenOptional(GenNode())),
      rc::gen::set(&NodeRow::order_key, rc::gen::element(std::string(), kOrderKey)),
      rc::gen::set(&NodeRow::last_change, GenVersionVector()),
      rc::gen::set(&NodeRow::deleted_at, GenOptional(GenVersionVector())),
      rc::gen::set(&NodeRow::tombstoned));
}

rc::Gen<PayloadRow> GenPayloadRow() {
  return rc::gen::build<PayloadRow>(
      rc::gen::set(&PayloadRow::node, GenNode()),
      rc::gen::set(&PayloadRow::value,
                   GenOptional(rc::gen::element(std::string(), std::string("x")))),
      rc::gen::set(&PayloadRow::writer, GenKey()));
}

rc::Gen<UndoRecord> GenUndoRecord() {
  return rc::gen::build<UndoRecord>(
      rc::gen::set(&UndoRecord::key, GenKey()),
      rc::gen::set(&UndoRecord::created_nodes, rc::gen::container<std::vector<NodeId>>(GenNode())),
      rc::gen::set(&UndoRecord::structural_applied),
      rc::gen::set(&UndoRecord::previous_parent, GenOptional(GenNode())),
      rc::gen::set(&UndoRecord::deleted_at_added, GenOptional(GenVersionVector())));
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

std::uint64_t ReferenceMaxCounter(const Contents& contents, const ReplicaId& replica) {
  std::uint64_t max = 0;
  for (const auto& [id, op] : contents.ops) {
    if (id.replica == replica) max = std::max(max, id.counter);
  }
  return max;
}

// After every command: the store matches the reference, field by field, and its invariants hold.
void AssertMatches(MemoryStore& store, const Model& model) {
  store.check_invariants();
  RC_ASSERT(store.in_transaction() == model.in_transaction);
  const Contents& expected = model.current;
  const Contents actual = ReadContents(store);
  RC_ASSERT(actual.ops == expected.ops);
  RC_ASSERT(actual.nodes == expected.nodes);
  RC_ASSERT(actual.payloads == expected.payloads);
  RC_ASSERT(actual.undo_records == expected.undo_records);
  RC_ASSERT(actual.meta == expected.meta);
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
  void run(const Model& model, MemoryStore& store) const override {
    const Status status = static_cast<const Derived&>(*this).run_write(store);
    RC_ASSERT(status.is_ok());
    AssertMatches(store, nextState(model));
  }
};

struct Begin : StoreCommand {
  void checkPreconditions(const Model& model) const override { RC_PRE(!model.in_transaction); }
  void apply(Model& model) const override { model.in_transaction = true; }
  void run(const Model& model, MemoryStore& store) const override {
    RC_ASSERT(store.begin().is_ok());
    AssertMatches(store, nextState(model));
  }
  void show(std::ostream& out) const override { out << "begin()"; }
};

struct Commit : StoreCommand {
  void checkPreconditions(const Model& model) const override { RC_PRE(model.in_transaction); }
  void apply(Model& model) const override {
    model.committed = model.current;
    model.in_transaction = false;
  }
  void run(const Model& model, MemoryStore& store) const override {
    RC_ASSERT(store.commit().is_ok());
    AssertMatches(store, nextState(model));
  }
  void show(std::ostream& out) const override { out << "commit()"; }
};

struct Rollback : StoreCommand {
  void checkPreconditions(const Model& model) const override { RC_PRE(model.in_transaction); }
  void apply(Model& model) const override {
    model.current = model.committed;
    model.in_transaction = false;
  }
  void run(const Model& model, MemoryStore& store) const override {
    store.rollback();
    AssertMatches(store, nextState(model));
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
  Status run_write(MemoryStore& store) const { return store.insert_ops(ops); }
  void show(std::ostream& out) const override {
    out << "insert_ops({";
    for (const Op& op : ops) out << " " << op.to_display() << ";";
    out << " })";
  }
};

struct PutNode : Write<PutNode> {
  NodeRow row = *GenNodeRow();
  void apply(Model& model) const override { model.current.nodes.insert_or_assign(row.node, row); }
  Status run_write(MemoryStore& store) const { return store.put_node(row); }
  void show(std::ostream& out) const override {
    out << "put_node(" << row.node.to_display() << ", tombstoned=" << row.tombstoned << ")";
  }
};

struct EraseNode : Write<EraseNode> {
  NodeId node = *GenNode();
  void apply(Model& model) const override { model.current.nodes.erase(node); }
  Status run_write(MemoryStore& store) const { return store.erase_node(node); }
  void show(std::ostream& out) const override { out << "erase_node(" << node.to_display() << ")"; }
};

struct PutPayload : Write<PutPayload> {
  PayloadRow row = *GenPayloadRow();
  void apply(Model& model) const override {
    model.current.payloads.insert_or_assign(row.node, row);
  }
  Status run_write(MemoryStore& store) const { return store.put_payload(row); }
  void show(std::ostream& out) const override {
    out << "put_payload(" << row.node.to_display() << ", " << row.value.value_or("<clear>") << ")";
  }
};

struct ErasePayload : Write<ErasePayload> {
  NodeId node = *GenNode();
  void apply(Model& model) const override { model.current.payloads.erase(node); }
  Status run_write(MemoryStore& store) const { return store.erase_payload(node); }
  void show(std::ostream& out) const override {
    out << "erase_payload(" << node.to_display() << ")";
  }
};

struct ClearRows : Write<ClearRows> {
  void apply(Model& model) const override {
    model.current.nodes.clear();
    model.current.payloads.clear();
  }
  Status run_write(MemoryStore& store) const { return store.clear_rows(); }
  void show(std::ostream& out) const override { out << "clear_rows()"; }
};

struct PutUndo : Write<PutUndo> {
  UndoRecord record = *GenUndoRecord();
  void apply(Model& model) const override {
    model.current.undo_records.insert_or_assign(record.key, record);
  }
  Status run_write(MemoryStore& store) const { return store.put_undo(record); }
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
  Status run_write(MemoryStore& store) const { return store.erase_undo_from(from); }
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
  Status run_write(MemoryStore& store) const { return store.erase_undo_before(before); }
  void show(std::ostream& out) const override {
    out << "erase_undo_before(" << before.to_display() << ")";
  }
};

struct WriteMeta : Write<WriteMeta> {
  StoreMeta meta = *GenMeta();
  void apply(Model& model) const override { model.current.meta = meta; }
  Status run_write(MemoryStore& store) const { return store.write_meta(meta); }
  void show(std::ostream& out) const override {
    out << "write_meta(frontier=" << meta.frontier.to_display() << ")";
  }
};

// Reads only: bounded scans of the log and the undo records, inside or outside a transaction.
struct ScanFrom : StoreCommand {
  std::optional<OpKey> from = *GenOptional(GenKey());
  std::size_t limit = *rc::gen::inRange<std::size_t>(1, 6);

  void run(const Model& model, MemoryStore& store) const override {
    std::vector<std::string> expected_ops;
    std::vector<OpKey> keys;
    for (const auto& [id, op] : model.current.ops) keys.push_back(op.key());
    std::sort(keys.begin(), keys.end());
    for (const OpKey& key : keys) {
      if (expected_ops.size() < limit && (!from || !(key < *from))) {
        expected_ops.push_back(key.to_display());
      }
    }
    RC_ASSERT(ScanOpKeys(store, from, limit) == expected_ops);

    const OpKey undo_from = from.value_or(OpKey{});
    std::vector<std::string> expected_undo;
    for (auto entry = model.current.undo_records.rbegin();
         entry != model.current.undo_records.rend(); ++entry) {
      if (expected_undo.size() < limit && !(entry->first < undo_from)) {
        expected_undo.push_back(entry->first.to_display());
      }
    }
    RC_ASSERT(ScanUndoKeys(store, undo_from, limit) == expected_undo);
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

RC_GTEST_PROP(MemoryStoreProperty, RandomTransactionsMatchAReferenceThatAppliesOnlyOnCommit, ()) {
  MemoryStore store;
  rc::state::check(Model{}, store, GenCommand);
  store.check_invariants();
}

}  // namespace
}  // namespace treesim
