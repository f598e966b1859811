// Every Store keeps the contract of materializer/store.h: a rolled-back transaction leaves the
// contents exactly as they were, a committed one keeps what it saw, and scans, bounds and maxima
// mean what the header says. Each test runs once per implementation (MemoryStore, and
// SqliteStore on a fresh file) and reads the contents only through the Store interface
// (tests/support/store_dump.h). store_property_test.cc runs random transactions on both.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <tuple>
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

// --- fixtures ---

// Opens a store of the given kind; with `seeded`, commits something in every table first:
// ops (1,a,1), (2,b,1), (3,a,2); nodes 1-3; payloads of nodes 1-2; an undo record per op; meta.
class StoreTestBase : public ::testing::Test {
 protected:
  void Open(const StoreKind& kind, bool seeded = true) {
    harness_ = kind.make();
    if (!seeded) return;
    Commit([](Store& store) {
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

  Store& store() { return harness_->store(); }

  void Commit(const std::function<void(Store&)>& writes) {
    ExpectOk(store().begin());
    writes(store());
    harness_->check_invariants();
    ExpectOk(store().commit());
    harness_->check_invariants();
  }

  void RollBack(const std::function<void(Store&)>& writes) {
    ExpectOk(store().begin());
    writes(store());
    harness_->check_invariants();
    store().rollback();
    harness_->check_invariants();
  }

  void ExpectContents(const StoreDump& expected) {
    const StoreDump actual = Dump(store());
    EXPECT_EQ(describe_difference(actual, expected), "");
    EXPECT_TRUE(actual == expected);
  }

  std::unique_ptr<StoreHarness> harness_;
};

class StoreContract : public StoreTestBase, public ::testing::WithParamInterface<StoreKind> {
 protected:
  void SetUp() override { Open(GetParam()); }
};

INSTANTIATE_TEST_SUITE_P(Stores, StoreContract, ::testing::ValuesIn(EveryStore()),
                         [](const auto& instance) { return std::string(instance.param.name); });

// --- every kind of write, rolled back and committed ---

struct NamedWrite {
  const char* name;
  bool changes_contents;
  std::function<void(Store&)> write;
};

void PrintTo(const NamedWrite& write, std::ostream* out) { *out << write.name; }

std::vector<NamedWrite> EveryWrite() {
  return {
      {"empty_transaction", false, [](Store&) {}},
      {"insert_ops", true,
       [](Store& s) {
         ExpectOk(s.insert_ops({InsertOp("a", 3, 4), InsertOp("c", 1, 4)}));
       }},
      {"put_new_node", true, [](Store& s) { ExpectOk(s.put_node(NodeAt(9, 1))); }},
      {"replace_node", true, [](Store& s) { ExpectOk(s.put_node(NodeAt(2, 1, true))); }},
      {"erase_node", true, [](Store& s) { ExpectOk(s.erase_node(NodeId::from_low(2))); }},
      {"erase_absent_node", false, [](Store& s) { ExpectOk(s.erase_node(NodeId::from_low(9))); }},
      {"put_new_payload", true, [](Store& s) { ExpectOk(s.put_payload(PayloadOf(3, "3"))); }},
      {"replace_payload", true, [](Store& s) { ExpectOk(s.put_payload(PayloadOf(1, "1"))); }},
      {"erase_payload", true, [](Store& s) { ExpectOk(s.erase_payload(NodeId::from_low(1))); }},
      {"clear_rows", true, [](Store& s) { ExpectOk(s.clear_rows()); }},
      {"put_new_undo", true, [](Store& s) { ExpectOk(s.put_undo(UndoAt(Key(4, "a", 3)))); }},
      {"replace_undo", true, [](Store& s) { ExpectOk(s.put_undo(UndoAt(Key(2, "b", 1), 7))); }},
      {"erase_undo_from", true, [](Store& s) { ExpectOk(s.erase_undo_from(Key(2, "b", 1))); }},
      {"erase_undo_before", true, [](Store& s) { ExpectOk(s.erase_undo_before(Key(3, "a", 2))); }},
      {"write_meta", true,
       [](Store& s) {
         ExpectOk(s.write_meta(StoreMeta{Head{}, Frontier::start(), std::nullopt}));
       }},
      {"rewrite_one_key_repeatedly", true,
       [](Store& s) {
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
       [](Store& s) {
         ExpectOk(s.put_node(NodeAt(9)));
         ExpectOk(s.put_payload(PayloadOf(9, "nine")));
         ExpectOk(s.clear_rows());
         ExpectOk(s.put_node(NodeAt(1, 9)));
       }},
      {"every_kind_at_once", true,
       [](Store& s) {
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

class StoreWrite : public StoreTestBase,
                   public ::testing::WithParamInterface<std::tuple<StoreKind, NamedWrite>> {
 protected:
  void SetUp() override { Open(std::get<0>(GetParam())); }
  const NamedWrite& write() const { return std::get<1>(GetParam()); }
};

TEST_P(StoreWrite, RollbackRestoresTheContentsExactly) {
  const StoreDump before = Dump(store());
  ExpectOk(store().begin());
  write().write(store());
  harness_->check_invariants();
  // Reads inside the transaction see its writes.
  EXPECT_EQ(Dump(store()) == before, !write().changes_contents);
  store().rollback();
  harness_->check_invariants();
  EXPECT_FALSE(store().in_transaction());
  ExpectContents(before);
}

TEST_P(StoreWrite, CommitKeepsWhatTheTransactionSaw) {
  const StoreDump before = Dump(store());
  ExpectOk(store().begin());
  write().write(store());
  const StoreDump inside = Dump(store());
  ExpectOk(store().commit());
  harness_->check_invariants();
  EXPECT_FALSE(store().in_transaction());
  EXPECT_EQ(inside == before, !write().changes_contents);
  ExpectContents(inside);
  // A later transaction's rollback goes back to the committed contents, not further.
  RollBack([](Store& s) { ExpectOk(s.clear_rows()); });
  ExpectContents(inside);
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreWrite,
                         ::testing::Combine(::testing::ValuesIn(EveryStore()),
                                            ::testing::ValuesIn(EveryWrite())),
                         [](const auto& instance) {
                           return std::string(std::get<0>(instance.param).name) + "_" +
                                  std::get<1>(instance.param).name;
                         });

// --- rows ---

TEST_P(StoreContract, ClearRowsEmptiesBothTablesAndRollsBackEveryRow) {
  ExpectOk(store().begin());
  ExpectOk(store().clear_rows());
  EXPECT_TRUE(Dump(store()).nodes.empty());
  EXPECT_TRUE(Dump(store()).payloads.empty());
  store().rollback();
  const StoreDump after = Dump(store());
  EXPECT_EQ(after.nodes.size(), 3u);
  EXPECT_EQ(after.payloads.size(), 2u);
  EXPECT_TRUE(after.nodes.at(NodeId::from_low(2)) == NodeAt(2));
  EXPECT_TRUE(after.payloads.at(NodeId::from_low(1)) == PayloadOf(1, "one"));
}

TEST_P(StoreContract, ScansVisitRowsInNodeIdOrder) {
  const NodeId high{1, 0};
  Commit([&](Store& s) {
    NodeRow row = NodeAt(0);
    row.node = high;
    ExpectOk(s.put_node(row));
    ExpectOk(s.put_node(NodeAt(0)));  // ROOT
    // 0x100 ends in byte 0x00, below 3's last byte: only a big-endian key sorts it after 3.
    ExpectOk(s.put_node(NodeAt(0x100)));
    ExpectOk(s.put_payload(PayloadRow{high, "high", Key(1, "a", 1)}));
    ExpectOk(s.put_payload(PayloadOf(0, "root")));
  });
  std::vector<NodeId> nodes;
  std::vector<NodeId> payloads;
  ExpectOk(store().scan_nodes([&](const NodeRow& row) { nodes.push_back(row.node); }));
  ExpectOk(store().scan_payloads([&](const PayloadRow& row) { payloads.push_back(row.node); }));
  EXPECT_EQ(nodes, (std::vector<NodeId>{kRoot, NodeId::from_low(1), NodeId::from_low(2),
                                        NodeId::from_low(3), NodeId::from_low(0x100), high}));
  EXPECT_EQ(payloads, (std::vector<NodeId>{kRoot, NodeId::from_low(1), NodeId::from_low(2), high}));
}

// Every field of every stored struct survives a commit, including values the materializer
// never writes (an empty replica in a key, a frontier of kind none that carries a key).
TEST_P(StoreContract, EveryFieldOfEveryRowRoundTrips) {
  const VersionVector gaps = VersionVector::from_ranges(
      {{ReplicaId::of("a"), CounterRange{1, 3}},
       {ReplicaId::of("a"), CounterRange{7, 7}},
       {ReplicaId::of(std::string(64, '\xff')), CounterRange{kMaxCounter, kMaxCounter}}});
  NodeRow node{kTrash, std::nullopt, std::string("\x00\xff", 2), gaps, VersionVector{}, true};
  NodeRow orphan{NodeId{~0ull, 5}, kRoot, "", VersionVector{}, std::nullopt, false};
  PayloadRow cleared{kTrash, std::nullopt, OpKey{}};
  PayloadRow empty{NodeId::from_low(8), std::string(), Key(kMaxLamport, "z", kMaxCounter)};
  UndoRecord record;
  record.key = OpKey{};
  record.node = kTrash;
  record.created_nodes = {kRoot, kTrash, NodeId::from_low(5)};
  record.structural_applied = true;
  record.previous_parent = NodeId::from_low(4);
  record.previous_order_key = std::string("\x01\x00", 2);
  record.dotted_nodes = {NodeId::from_low(5), NodeId::from_low(4)};
  record.deleted_at_added = gaps;
  record.deleted_at_was_absent = true;
  record.payload_applied = true;
  record.previous_payload_present = true;
  record.previous_value = std::string(300, 'v');
  record.previous_writer = Key(2, "ab", 9);
  record.previous_tombstoned = {{NodeId::from_low(5), true}, {NodeId::from_low(4), false}};
  UndoRecord bare;
  bare.key = Key(kMaxLamport, "b", kMaxCounter);
  StoreMeta meta{Head{std::nullopt, 12345678901234ull},
                 Frontier{Frontier::Kind::kNone, Key(1, "a", 1)}, OpKey{}};
  Commit([&](Store& s) {
    ExpectOk(s.put_node(node));
    ExpectOk(s.put_node(orphan));
    ExpectOk(s.put_payload(cleared));
    ExpectOk(s.put_payload(empty));
    ExpectOk(s.put_undo(record));
    ExpectOk(s.put_undo(bare));
    ExpectOk(s.write_meta(meta));
  });
  const StoreDump dump = Dump(store());
  EXPECT_TRUE(dump.nodes.at(node.node) == node);
  EXPECT_TRUE(dump.nodes.at(orphan.node) == orphan);
  EXPECT_TRUE(dump.payloads.at(cleared.node) == cleared);
  EXPECT_TRUE(dump.payloads.at(empty.node) == empty);
  EXPECT_TRUE(dump.undo_records.at(record.key) == record);
  EXPECT_TRUE(dump.undo_records.at(bare.key) == bare);
  EXPECT_TRUE(dump.meta == meta);
  for (const Frontier& frontier :
       {Frontier::start(), Frontier::at(OpKey{}), Frontier::at(Key(9, "c", 2))}) {
    meta.frontier = frontier;
    Commit([&](Store& s) { ExpectOk(s.write_meta(meta)); });
    EXPECT_TRUE(store().read_meta().value() == meta) << frontier.to_display();
  }
}

// --- op log ---

TEST_P(StoreContract, ScanOpsVisitsCanonicalOrderFromAnInclusiveBound) {
  // Lamport ties are broken by replica bytes ("a" < "ab" < "b"), then by counter.
  Commit([](Store& s) {
    ExpectOk(s.insert_ops({InsertOp("b", 2, 4), InsertOp("ab", 1, 4), InsertOp("a", 3, 4)}));
  });
  EXPECT_EQ(ScanOpKeys(store(), std::nullopt),
            (std::vector<std::string>{"(1,a,1)", "(2,b,1)", "(3,a,2)", "(4,a,3)", "(4,ab,1)",
                                      "(4,b,2)"}));
  EXPECT_EQ(ScanOpKeys(store(), Key(3, "a", 2)),
            (std::vector<std::string>{"(3,a,2)", "(4,a,3)", "(4,ab,1)", "(4,b,2)"}));
  EXPECT_EQ(ScanOpKeys(store(), Key(4, "aa", 0)),
            (std::vector<std::string>{"(4,ab,1)", "(4,b,2)"}));
  EXPECT_TRUE(ScanOpKeys(store(), Key(5, "a", 1)).empty());
}

TEST_P(StoreContract, ScanOpsOrdersReplicaBytesUnsignedWithAPrefixFirst) {
  // 0x7f < 0x80 < 0xff as unsigned bytes, and "\x80" before its extension "\x80\x00".
  Commit([](Store& s) {
    ExpectOk(s.insert_ops(
        {make_tombstone(OpId{ReplicaId::of("\xff"), 1}, 9, NodeId::from_low(1)),
         make_tombstone(OpId{ReplicaId::of(std::string("\x80\x00", 2)), 1}, 9, NodeId::from_low(1)),
         make_tombstone(OpId{ReplicaId::of("\x80"), 1}, 9, NodeId::from_low(1)),
         make_tombstone(OpId{ReplicaId::of("\x7f"), 1}, 9, NodeId::from_low(1))}));
  });
  EXPECT_EQ(ScanOpKeys(store(), Key(9, "\x01", 0)),
            (std::vector<std::string>{"(9,0x7f,1)", "(9,0x80,1)", "(9,0x8000,1)", "(9,0xff,1)"}));
}

TEST_P(StoreContract, ScanOpsStopsWhenVisitReturnsFalse) {
  EXPECT_EQ(ScanOpKeys(store(), std::nullopt, 2), (std::vector<std::string>{"(1,a,1)", "(2,b,1)"}));
}

TEST_P(StoreContract, VisitCallbacksMayReadAndNestScans) {
  std::vector<std::string> pairs;
  ExpectOk(store().scan_ops(std::nullopt, [&](const Op& outer) {
    EXPECT_TRUE(store().find_op(outer.id).value() == outer);
    for (const std::string& inner : ScanOpKeys(store(), outer.key())) {
      pairs.push_back(outer.key().to_display() + inner);
    }
    return true;
  }));
  EXPECT_EQ(pairs,
            (std::vector<std::string>{"(1,a,1)(1,a,1)", "(1,a,1)(2,b,1)", "(1,a,1)(3,a,2)",
                                      "(2,b,1)(2,b,1)", "(2,b,1)(3,a,2)", "(3,a,2)(3,a,2)"}));
}

TEST_P(StoreContract, FindOpSeesCommittedOpsAndNotRolledBackOnes) {
  const OpId stored{ReplicaId::of("b"), 1};
  const OpId rolled_back{ReplicaId::of("c"), 1};
  EXPECT_TRUE(store().find_op(stored).value() == InsertOp("b", 1, 2));
  RollBack([](Store& s) {
    ExpectOk(s.insert_ops({InsertOp("c", 1, 9)}));
    EXPECT_TRUE(s.find_op(OpId{ReplicaId::of("c"), 1}).value().has_value());
    EXPECT_EQ(s.op_count().value(), 4u);
  });
  EXPECT_FALSE(store().find_op(rolled_back).value().has_value());
  EXPECT_EQ(store().op_count().value(), 3u);
}

class EmptyStore : public StoreTestBase, public ::testing::WithParamInterface<StoreKind> {
 protected:
  void SetUp() override { Open(GetParam(), /*seeded=*/false); }
};

INSTANTIATE_TEST_SUITE_P(Stores, EmptyStore, ::testing::ValuesIn(EveryStore()),
                         [](const auto& instance) { return std::string(instance.param.name); });

TEST_P(EmptyStore, HasZeroMaximaAndDefaultMeta) {
  EXPECT_EQ(store().max_lamport().value(), 0u);
  EXPECT_EQ(store().max_counter(ReplicaId::of("a")).value(), 0u);
  EXPECT_EQ(store().op_count().value(), 0u);
  EXPECT_EQ(store().undo_count().value(), 0u);
  EXPECT_TRUE(store().read_meta().value() == StoreMeta{});
  EXPECT_TRUE(Dump(store()) == StoreDump{});
  harness_->check_invariants();
}

TEST_P(StoreContract, MaximaFollowInsertsPerReplica) {
  // "ab" sorts right after "a": its ops must not count as "a"'s, nor "a"'s as "ab"'s.
  Commit([](Store& s) { ExpectOk(s.insert_ops({InsertOp("ab", 7, 5)})); });
  EXPECT_EQ(store().max_lamport().value(), 5u);
  EXPECT_EQ(store().max_counter(ReplicaId::of("a")).value(), 2u);
  EXPECT_EQ(store().max_counter(ReplicaId::of("ab")).value(), 7u);
  EXPECT_EQ(store().max_counter(ReplicaId::of("b")).value(), 1u);
  EXPECT_EQ(store().max_counter(ReplicaId::of("aa")).value(), 0u);
  EXPECT_EQ(store().max_counter(ReplicaId::of("c")).value(), 0u);
}

TEST_P(StoreContract, MaximaReachTheLargestCounterAndLamport) {
  Commit([](Store& s) {
    ExpectOk(s.insert_ops(
        {make_tombstone(OpId{ReplicaId::of("z"), kMaxCounter}, kMaxLamport, NodeId::from_low(1))}));
  });
  EXPECT_EQ(store().max_lamport().value(), kMaxLamport);
  EXPECT_EQ(store().max_counter(ReplicaId::of("z")).value(), kMaxCounter);
  EXPECT_EQ(ScanOpKeys(store(), Key(kMaxLamport, "z", kMaxCounter)).size(), 1u);
}

TEST_P(StoreContract, RolledBackInsertDoesNotRaiseMaxima) {
  RollBack([](Store& s) {
    ExpectOk(s.insert_ops({InsertOp("a", 10, 20), InsertOp("c", 4, 21)}));
    EXPECT_EQ(s.max_lamport().value(), 21u);
    EXPECT_EQ(s.max_counter(ReplicaId::of("a")).value(), 10u);
  });
  EXPECT_EQ(store().max_lamport().value(), 3u);
  EXPECT_EQ(store().max_counter(ReplicaId::of("a")).value(), 2u);
  EXPECT_EQ(store().max_counter(ReplicaId::of("c")).value(), 0u);
}

// --- undo records ---

TEST_P(StoreContract, ScanUndoReverseVisitsNewestFirstFromAnInclusiveBound) {
  EXPECT_EQ(ScanUndoKeys(store(), OpKey{}),
            (std::vector<std::string>{"(3,a,2)", "(2,b,1)", "(1,a,1)"}));
  EXPECT_EQ(ScanUndoKeys(store(), Key(2, "b", 1)),
            (std::vector<std::string>{"(3,a,2)", "(2,b,1)"}));
  EXPECT_EQ(ScanUndoKeys(store(), Key(2, "c", 0)), (std::vector<std::string>{"(3,a,2)"}));
  EXPECT_TRUE(ScanUndoKeys(store(), Key(3, "a", 3)).empty());
  EXPECT_EQ(ScanUndoKeys(store(), OpKey{}, 1), (std::vector<std::string>{"(3,a,2)"}));
}

TEST_P(StoreContract, EraseUndoFromRemovesTheBoundAndEverythingAfter) {
  Commit([](Store& s) { ExpectOk(s.erase_undo_from(Key(2, "b", 1))); });
  EXPECT_EQ(ScanUndoKeys(store(), OpKey{}), (std::vector<std::string>{"(1,a,1)"}));
  EXPECT_EQ(store().undo_count().value(), 1u);
}

TEST_P(StoreContract, EraseUndoBeforeKeepsTheBound) {
  Commit([](Store& s) { ExpectOk(s.erase_undo_before(Key(2, "b", 1))); });
  EXPECT_EQ(ScanUndoKeys(store(), OpKey{}), (std::vector<std::string>{"(3,a,2)", "(2,b,1)"}));
}

TEST_P(StoreContract, EraseBoundsNeedNotBeStoredKeys) {
  Commit([](Store& s) {
    ExpectOk(s.erase_undo_from(Key(2, "c", 0)));    // between (2,b,1) and (3,a,2)
    ExpectOk(s.erase_undo_before(Key(1, "b", 0)));  // between (1,a,1) and (2,b,1)
  });
  EXPECT_EQ(ScanUndoKeys(store(), OpKey{}), (std::vector<std::string>{"(2,b,1)"}));
}

TEST_P(StoreContract, EraseUndoFromTheSmallestKeyErasesEverything) {
  Commit([](Store& s) { ExpectOk(s.erase_undo_from(OpKey{})); });
  EXPECT_EQ(store().undo_count().value(), 0u);
}

// --- Frontier (a value type of store.h) ---

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

}  // namespace
}  // namespace treesim
