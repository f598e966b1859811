// What MemoryStore adds to the Store contract (the contract itself is checked on every store by
// store_contract_test.cc): clone() is a deep, independent copy; same_contents() and
// describe_difference() compare exactly the contents and name the first difference, which is
// what the simulator's rollback checker relies on; and programmer errors assert. Each test
// starts from a small committed store and changes one thing.
#include "materializer/memory_store.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <optional>
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

const std::string kOrderKey("\x80\x00", 2);

OpKey Key(std::uint64_t lamport, const char* replica, std::uint64_t counter) {
  return OpKey{lamport, ReplicaId::of(replica), counter};
}

Op InsertOp(const char* replica, std::uint64_t counter, std::uint64_t lamport) {
  return make_insert(OpId{ReplicaId::of(replica), counter}, lamport, kRoot, NodeId::from_low(1),
                     kOrderKey);
}

NodeRow NodeAt(std::uint64_t node, std::uint64_t parent = 0) {
  NodeRow row;
  row.node = NodeId::from_low(node);
  row.parent = NodeId::from_low(parent);
  row.order_key = kOrderKey;
  return row;
}

UndoRecord UndoAt(const OpKey& key) {
  UndoRecord record;
  record.key = key;
  return record;
}

void ExpectOk(const Status& status) { EXPECT_TRUE(status.is_ok()) << status.to_string(); }

// A committed store with one op, nodes 1-2, a payload of node 1, one undo record and meta.
class MemoryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Commit([](MemoryStore& store) {
      ExpectOk(store.insert_ops({InsertOp("a", 1, 1)}));
      ExpectOk(store.put_node(NodeAt(1)));
      ExpectOk(store.put_node(NodeAt(2)));
      ExpectOk(store.put_payload(PayloadRow{NodeId::from_low(1), "one", Key(1, "a", 1)}));
      ExpectOk(store.put_undo(UndoAt(Key(1, "a", 1))));
      ExpectOk(store.write_meta(StoreMeta{Head{Key(1, "a", 1), 1}, Frontier::none(), {}}));
    });
  }

  void Commit(const std::function<void(MemoryStore&)>& writes) {
    ExpectOk(store_.begin());
    writes(store_);
    ExpectOk(store_.commit());
    store_.check_invariants();
  }

  MemoryStore store_;
};

TEST_F(MemoryStoreTest, CloneIsEqualAndIndependent) {
  MemoryStore copy = store_.clone();
  copy.check_invariants();
  EXPECT_TRUE(copy.same_contents(store_));
  EXPECT_EQ(copy.describe_difference(store_), "");
  Commit([](MemoryStore& s) { ExpectOk(s.erase_node(NodeId::from_low(2))); });
  EXPECT_FALSE(copy.same_contents(store_));
  EXPECT_EQ(copy.clone().describe_difference(copy), "");
}

TEST_F(MemoryStoreTest, RollbackRestoresSameContentsAsTheCloneBeforeBegin) {
  const MemoryStore before = store_.clone();
  ExpectOk(store_.begin());
  ExpectOk(store_.insert_ops({InsertOp("b", 1, 2)}));
  ExpectOk(store_.clear_rows());
  ExpectOk(store_.erase_undo_from(OpKey{}));
  ExpectOk(store_.write_meta(StoreMeta{}));
  EXPECT_FALSE(store_.same_contents(before));
  store_.rollback();
  store_.check_invariants();
  EXPECT_TRUE(store_.same_contents(before)) << store_.describe_difference(before);
}

// Each change to a copy is named by the first table that differs, in the order log, nodes,
// payloads, undo records, meta.
TEST_F(MemoryStoreTest, DescribeDifferenceNamesTheFirstDifferingRow) {
  struct Case {
    const char* expected;
    std::function<void(MemoryStore&)> change;
  };
  const std::vector<Case> cases = {
      {"op b:1: only in this store",
       [](MemoryStore& s) { ExpectOk(s.insert_ops({InsertOp("b", 1, 2)})); }},
      {"node 0x2: only in the other store",
       [](MemoryStore& s) { ExpectOk(s.erase_node(NodeId::from_low(2))); }},
      {"node 0x2: differs", [](MemoryStore& s) { ExpectOk(s.put_node(NodeAt(2, 1))); }},
      {"payload 0x1: differs",
       [](MemoryStore& s) {
         ExpectOk(s.put_payload(PayloadRow{NodeId::from_low(1), std::nullopt, Key(2, "a", 2)}));
       }},
      {"undo record (1,a,1): only in the other store",
       [](MemoryStore& s) { ExpectOk(s.erase_undo_from(OpKey{})); }},
      {"meta head: (1,a,1) seq 2 vs (1,a,1) seq 1",
       [](MemoryStore& s) {
         ExpectOk(s.write_meta(StoreMeta{Head{Key(1, "a", 1), 2}, Frontier::none(), {}}));
       }},
      {"meta frontier: start vs none",
       [](MemoryStore& s) {
         ExpectOk(s.write_meta(StoreMeta{Head{Key(1, "a", 1), 1}, Frontier::start(), {}}));
       }},
      {"meta undo_floor: (1,a,1) vs none",
       [](MemoryStore& s) {
         ExpectOk(
             s.write_meta(StoreMeta{Head{Key(1, "a", 1), 1}, Frontier::none(), Key(1, "a", 1)}));
       }},
  };
  for (const Case& c : cases) {
    MemoryStore changed = store_.clone();
    ExpectOk(changed.begin());
    c.change(changed);
    ExpectOk(changed.commit());
    EXPECT_EQ(changed.describe_difference(store_), c.expected);
    EXPECT_FALSE(changed.same_contents(store_));
  }
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

TEST(MemoryStoreDeathTest, CloneInsideATransactionAsserts) {
  MemoryStore store;
  ExpectOk(store.begin());
  EXPECT_DEATH(static_cast<void>(store.clone()), "assertion failed");
}

}  // namespace
}  // namespace treesim
