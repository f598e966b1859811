// What SqliteStore promises beyond the Store contract (store_contract_test.cc runs the contract
// on it): committed data survives closing and reopening the file and rolled-back data does not;
// opening a file that is not ours fails with a message naming the file and the problem and
// leaves the file exactly as it was; a corrupt blob is a kCorruption naming its table and key;
// statements are prepared once and reused; the configured journal mode and synchronous level are
// in force. Each test works in a temporary directory; a raw SQLite connection plays the other
// program that wrote the file, and a connection spy looks at the store's own connection.
#include "materializer/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/node_id.h"
#include "core/op.h"
#include "core/replica_id.h"
#include "core/status.h"
#include "core/version_vector.h"
#include "materializer/materializer.h"
#include "materializer/memory_store.h"
#include "materializer/store.h"
#include "tests/support/sqlite_test_support.h"
#include "tests/support/store_dump.h"

namespace treesim {
namespace {

const std::string kOrderKey("\x80\x00", 2);

OpKey Key(std::uint64_t lamport, const char* replica, std::uint64_t counter) {
  return OpKey{lamport, ReplicaId::of(replica), counter};
}

Op InsertOp(const char* replica, std::uint64_t counter, std::uint64_t lamport) {
  return make_insert(OpId{ReplicaId::of(replica), counter}, lamport, kRoot,
                     NodeId::from_low(counter), kOrderKey);
}

NodeRow NodeAt(std::uint64_t node) {
  NodeRow row;
  row.node = NodeId::from_low(node);
  row.parent = kRoot;
  row.order_key = kOrderKey;
  return row;
}

UndoRecord UndoAt(const OpKey& key) {
  UndoRecord record;
  record.key = key;
  record.node = NodeId::from_low(key.counter);
  return record;
}

void ExpectOk(const Status& status) { EXPECT_TRUE(status.is_ok()) << status.to_string(); }

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::string DatabasePath() const { return directory_.file("doc.db"); }

  Result<std::unique_ptr<SqliteStore>> Open(SqliteStoreOptions options = {}) {
    if (options.path.empty()) options.path = DatabasePath();
    return SqliteStore::open(options);
  }

  std::unique_ptr<SqliteStore> OpenOk(SqliteStoreOptions options = {}) {
    Result<std::unique_ptr<SqliteStore>> store = Open(std::move(options));
    EXPECT_TRUE(store.is_ok()) << store.status().to_string();
    TS_ASSERT(store.is_ok());
    return std::move(store).value();
  }

  // Commits ops (1,a,1) (2,b,1), nodes 1-2, a payload, an undo record per op and meta.
  void Seed(Store& store) {
    ExpectOk(store.begin());
    ExpectOk(store.insert_ops({InsertOp("a", 1, 1), InsertOp("b", 1, 2)}));
    ExpectOk(store.put_node(NodeAt(1)));
    ExpectOk(store.put_node(NodeAt(2)));
    ExpectOk(store.put_payload(PayloadRow{NodeId::from_low(1), "one", Key(1, "a", 1)}));
    ExpectOk(store.put_undo(UndoAt(Key(1, "a", 1))));
    ExpectOk(store.put_undo(UndoAt(Key(2, "b", 1))));
    ExpectOk(
        store.write_meta(StoreMeta{Head{Key(2, "b", 1), 2}, Frontier::none(), Key(1, "a", 1)}));
    ExpectOk(store.commit());
  }

  // Creates a seeded treesim database in rollback-journal mode (so that reading it creates no
  // -wal or -shm file), closed.
  void CreateSeededDatabase() {
    SqliteStoreOptions options;
    options.journal_mode = SqliteJournalMode::kDelete;
    std::unique_ptr<SqliteStore> store = OpenOk(options);
    Seed(*store);
  }

  // Opening must fail with `code` and a message that names the file and contains `problem`,
  // and must leave every file of the directory as it was.
  void ExpectOpenFails(StatusCode code, const std::string& problem) {
    const std::vector<std::string> files = directory_.list();
    const std::string bytes = ReadFileBytes(DatabasePath());
    const Result<std::unique_ptr<SqliteStore>> store = Open();
    ASSERT_FALSE(store.is_ok());
    EXPECT_EQ(store.status().code(), code) << store.status().to_string();
    EXPECT_TRUE(Contains(store.status().message(), "'" + DatabasePath() + "'"))
        << store.status().message();
    EXPECT_TRUE(Contains(store.status().message(), problem)) << store.status().message();
    EXPECT_EQ(directory_.list(), files);
    EXPECT_TRUE(ReadFileBytes(DatabasePath()) == bytes) << "the file changed";
  }

  TempDirectory directory_;
};

StoreDump Dump(Store& store) {
  Result<StoreDump> dump = dump_store(store);
  EXPECT_TRUE(dump.is_ok()) << dump.status().to_string();
  return dump.is_ok() ? *std::move(dump) : StoreDump{};
}

// --- durability across reopen ---

TEST_F(SqliteStoreTest, ReopenSeesCommittedWritesAndNotRolledBackOnes) {
  StoreDump committed;
  {
    std::unique_ptr<SqliteStore> store = OpenOk();
    Seed(*store);
    committed = Dump(*store);
    ExpectOk(store->begin());
    ExpectOk(store->insert_ops({InsertOp("c", 1, 3)}));
    ExpectOk(store->clear_rows());
    ExpectOk(store->erase_undo_from(OpKey{}));
    ExpectOk(store->write_meta(StoreMeta{}));
    store->rollback();
  }
  std::unique_ptr<SqliteStore> reopened = OpenOk();
  EXPECT_EQ(describe_difference(Dump(*reopened), committed), "");
  EXPECT_EQ(reopened->op_count().value(), 2u);
  EXPECT_EQ(reopened->max_lamport().value(), 2u);
  ExpectOk(reopened->check_invariants());
}

TEST_F(SqliteStoreTest, ClosingInsideATransactionDiscardsIt) {
  {
    std::unique_ptr<SqliteStore> store = OpenOk();
    Seed(*store);
    ExpectOk(store->begin());
    ExpectOk(store->insert_ops({InsertOp("c", 1, 3)}));
  }
  EXPECT_EQ(OpenOk()->op_count().value(), 2u);
}

// The materializer runs on either store: the same calls leave both stores with the same
// contents (a late remote op included, which rewinds through undo records), and the SQLite one
// reopens to the same tree.
TEST_F(SqliteStoreTest, AMaterializerLeavesTheSameContentsAsOnAMemoryStoreAndReopens) {
  MemoryStore memory;
  std::unique_ptr<SqliteStore> sqlite = OpenOk();
  const ReplicaId replica = ReplicaId::of("r");
  const NodeId p = NodeId::from_low(1);
  const NodeId q = NodeId::from_low(2);
  const NodeId c = NodeId::from_low(3);
  Snapshot expected;
  for (Store* store : std::vector<Store*>{&memory, sqlite.get()}) {
    Result<std::unique_ptr<Materializer>> opened = Materializer::open(*store, replica);
    ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
    Materializer& materializer = **opened;
    ASSERT_TRUE(materializer.insert(kRoot, p, Placement::last(), "p").is_ok());
    ASSERT_TRUE(materializer.insert(kRoot, q, Placement::last()).is_ok());
    ASSERT_TRUE(materializer.insert(p, c, Placement::first(), "c").is_ok());
    ASSERT_TRUE(materializer.move(c, q, Placement::last()).is_ok());
    ASSERT_TRUE(materializer.set_payload(p, std::nullopt).is_ok());
    ASSERT_TRUE(materializer.remove(q).is_ok());
    // A remote insert that sorts before every local op: a catch-up, not an in-order apply.
    const Result<AppendResult> late = materializer.append(
        {make_insert(OpId{ReplicaId::of("a"), 1}, 1, kRoot, NodeId::from_low(9), kOrderKey)});
    ASSERT_TRUE(late.is_ok()) << late.status().to_string();
    EXPECT_EQ(materializer.check_invariants(), std::nullopt);
    expected = materializer.snapshot().value();
  }
  EXPECT_EQ(describe_difference(Dump(*sqlite), Dump(memory)), "");
  sqlite.reset();
  sqlite = OpenOk();
  Result<std::unique_ptr<Materializer>> reopened = Materializer::open(*sqlite, replica);
  ASSERT_TRUE(reopened.is_ok()) << reopened.status().to_string();
  EXPECT_EQ((*reopened)->check_invariants(), std::nullopt);
  EXPECT_TRUE((*reopened)->snapshot().value() == expected);
}

// --- the connection's configuration ---

TEST_F(SqliteStoreTest, DefaultsAreWalAndSynchronousFull) {
  ConnectionSpy spy;
  std::unique_ptr<SqliteStore> store = OpenOk();
  sqlite3* db = spy.last();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(QueryText(db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(QueryText(db, "PRAGMA synchronous"), "2");  // FULL
  // Negative: KiB, not pages (SQLite's default is -2000).
  EXPECT_EQ(QueryText(db, "PRAGMA cache_size"), std::to_string(-SqliteStoreOptions{}.cache_kib));
  EXPECT_EQ(QueryText(db, "PRAGMA user_version"), "1");
  EXPECT_EQ(QueryText(db, "PRAGMA application_id"), std::to_string(kSqliteApplicationId));
}

struct Configuration {
  SqliteSynchronous synchronous;
  SqliteJournalMode journal_mode;
  const char* expected_synchronous;
  const char* expected_journal_mode;
};

class SqliteStoreConfiguration : public SqliteStoreTest,
                                 public ::testing::WithParamInterface<Configuration> {};

TEST_P(SqliteStoreConfiguration, OptionsAreInForceOnTheConnectionAndSurviveReopen) {
  ConnectionSpy spy;
  SqliteStoreOptions options;
  options.synchronous = GetParam().synchronous;
  options.journal_mode = GetParam().journal_mode;
  options.cache_kib = 777;
  for (int round = 0; round < 2; ++round) {
    std::unique_ptr<SqliteStore> store = OpenOk(options);
    EXPECT_EQ(QueryText(spy.last(), "PRAGMA synchronous"), GetParam().expected_synchronous);
    EXPECT_EQ(QueryText(spy.last(), "PRAGMA journal_mode"), GetParam().expected_journal_mode);
    EXPECT_EQ(QueryText(spy.last(), "PRAGMA cache_size"), "-777");
    if (round == 0) Seed(*store);
    EXPECT_EQ(store->op_count().value(), 2u);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Options, SqliteStoreConfiguration,
    ::testing::Values(
        Configuration{SqliteSynchronous::kFull, SqliteJournalMode::kWal, "2", "wal"},
        Configuration{SqliteSynchronous::kNormal, SqliteJournalMode::kWal, "1", "wal"},
        Configuration{SqliteSynchronous::kOff, SqliteJournalMode::kWal, "0", "wal"},
        Configuration{SqliteSynchronous::kFull, SqliteJournalMode::kDelete, "2", "delete"}),
    [](const auto& instance) {
      return std::string(instance.param.expected_journal_mode) + "_synchronous_" +
             instance.param.expected_synchronous;
    });

TEST_F(SqliteStoreTest, TheSchemaHasEveryTableAndTheCanonicalIndex) {
  OpenOk();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(DatabasePath().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  EXPECT_EQ(QueryText(db,
                      "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema "
                      "ORDER BY name)"),
            "meta nodes ops ops_canonical payloads undo");
  // The canonical scan walks the index instead of sorting.
  sqlite3_stmt* explain = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "EXPLAIN QUERY PLAN SELECT op FROM ops WHERE (lamport, replica, "
                               "counter) >= (1, x'61', 1) ORDER BY lamport, replica, counter",
                               -1, &explain, nullptr),
            SQLITE_OK);
  std::string plan;
  while (sqlite3_step(explain) == SQLITE_ROW) {
    plan += reinterpret_cast<const char*>(sqlite3_column_text(explain, 3));
    plan += "; ";
  }
  sqlite3_finalize(explain);
  EXPECT_TRUE(Contains(plan, "USING INDEX ops_canonical")) << plan;
  EXPECT_FALSE(Contains(plan, "TEMP B-TREE")) << plan;
  sqlite3_close_v2(db);
}

// --- prepared statements ---

TEST_F(SqliteStoreTest, StatementsArePreparedOnceAndReusedAcrossCalls) {
  ConnectionSpy spy;
  std::unique_ptr<SqliteStore> store = OpenOk();
  Seed(*store);
  sqlite3* db = spy.last();
  const auto statement_count = [&] {
    int count = 0;
    for (sqlite3_stmt* s = sqlite3_next_stmt(db, nullptr); s != nullptr;
         s = sqlite3_next_stmt(db, s)) {
      ++count;
    }
    return count;
  };
  const auto runs_of = [&](const std::string& sql_prefix) {
    for (sqlite3_stmt* s = sqlite3_next_stmt(db, nullptr); s != nullptr;
         s = sqlite3_next_stmt(db, s)) {
      if (std::string(sqlite3_sql(s)).rfind(sql_prefix, 0) == 0) {
        return sqlite3_stmt_status(s, SQLITE_STMTSTATUS_RUN, 0);
      }
    }
    return -1;
  };
  const int prepared = statement_count();
  const std::string find_op = "SELECT replica, counter, lamport, op FROM ops WHERE replica = ?1";
  const int find_runs = runs_of(find_op);
  ASSERT_GE(find_runs, 0);
  for (int round = 0; round < 100; ++round) {
    ExpectOk(store->begin());
    ExpectOk(store->put_node(NodeAt(3 + round)));
    EXPECT_TRUE(store->find_op(OpId{ReplicaId::of("a"), 1}).value().has_value());
    ExpectOk(store->scan_ops(std::nullopt, [](const Op&) { return true; }));
    ExpectOk(store->commit());
  }
  EXPECT_EQ(runs_of(find_op), find_runs + 100);
  // A nested scan of the same statement uses a one-off copy, finalized afterwards.
  ExpectOk(store->scan_nodes(
      [&](const NodeRow&) { ExpectOk(store->scan_nodes([](const NodeRow&) {})); }));
  EXPECT_EQ(statement_count(), prepared);
}

// --- opening what is not ours ---

TEST_F(SqliteStoreTest, ANewerSchemaVersionIsUnsupported) {
  CreateSeededDatabase();
  RawExecute(DatabasePath(), "PRAGMA user_version = 2");
  ExpectOpenFails(StatusCode::kUnsupported, "database has schema version 2; this build supports 1");
}

TEST_F(SqliteStoreTest, ADatabaseOfAnotherSchemaIsRejected) {
  RawExecute(DatabasePath(),
             "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT);"
             "INSERT INTO notes(body) VALUES ('keep me')");
  ExpectOpenFails(StatusCode::kInvalidArgument,
                  "not a treesim database: user_version is 0 but it holds another schema "
                  "('notes')");
}

TEST_F(SqliteStoreTest, ADatabaseOfAnotherApplicationIsRejected) {
  RawExecute(DatabasePath(), "CREATE TABLE ops(x); PRAGMA user_version = 1");
  ExpectOpenFails(StatusCode::kInvalidArgument,
                  "not a treesim database: application_id is 0; treesim databases have " +
                      std::to_string(kSqliteApplicationId));
}

TEST_F(SqliteStoreTest, AMissingTableIsNamed) {
  CreateSeededDatabase();
  RawExecute(DatabasePath(), "DROP TABLE undo");
  ExpectOpenFails(StatusCode::kInvalidArgument, "not a treesim database: table 'undo' missing");
}

TEST_F(SqliteStoreTest, ATableWithOtherColumnsIsRejected) {
  CreateSeededDatabase();
  RawExecute(DatabasePath(), "DROP TABLE payloads; CREATE TABLE payloads(id INTEGER, body TEXT)");
  ExpectOpenFails(StatusCode::kInvalidArgument,
                  "not a treesim database: statement \"INSERT INTO payloads");
}

TEST_F(SqliteStoreTest, AFileThatIsNotADatabaseIsRejected) {
  std::string text;
  for (int line = 0; line < 200; ++line) text += "this is a text file, not a database\n";
  WriteFileBytes(DatabasePath(), text);
  ExpectOpenFails(StatusCode::kInvalidArgument, "the file is not a SQLite database");
}

TEST_F(SqliteStoreTest, AMissingDirectoryIsAnIoErrorNamingThePath) {
  SqliteStoreOptions options;
  options.path = directory_.file("missing/doc.db");
  const Result<std::unique_ptr<SqliteStore>> store = Open(options);
  ASSERT_FALSE(store.is_ok());
  EXPECT_EQ(store.status().code(), StatusCode::kIoError);
  EXPECT_TRUE(Contains(store.status().message(), options.path)) << store.status().message();
  EXPECT_TRUE(directory_.list().empty());
}

TEST_F(SqliteStoreTest, AnUnknownVfsOrAnEmptyPathIsAnInvalidArgument) {
  SqliteStoreOptions options;
  options.vfs_name = "no-such-vfs";
  const Result<std::unique_ptr<SqliteStore>> unknown = Open(options);
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(unknown.status().message(), "no SQLite VFS named 'no-such-vfs'"));
  EXPECT_TRUE(directory_.list().empty());
  const Result<std::unique_ptr<SqliteStore>> empty = SqliteStore::open(SqliteStoreOptions{});
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SqliteStoreTest, AnEmptyFileBecomesAFreshDatabase) {
  WriteFileBytes(DatabasePath(), "");
  std::unique_ptr<SqliteStore> store = OpenOk();
  EXPECT_TRUE(Dump(*store) == StoreDump{});
}

// --- corrupt blobs ---

struct Corruption {
  const char* name;
  const char* sql;  // run on a raw connection after seeding
  std::function<Status(SqliteStore&)> read;
  const char* expected;  // part of the message
};

void PrintTo(const Corruption& corruption, std::ostream* out) { *out << corruption.name; }

class SqliteStoreCorruption : public SqliteStoreTest,
                              public ::testing::WithParamInterface<Corruption> {};

TEST_P(SqliteStoreCorruption, ACorruptBlobIsACorruptionNamingTableAndKey) {
  CreateSeededDatabase();
  std::unique_ptr<SqliteStore> store = OpenOk();
  // Another connection corrupts the row while the store is open (opening checks the meta row).
  RawExecute(DatabasePath(), GetParam().sql);
  const Status status = GetParam().read(*store);
  EXPECT_EQ(status.code(), StatusCode::kCorruption) << status.to_string();
  EXPECT_TRUE(Contains(status.message(), GetParam().expected)) << status.message();
  EXPECT_TRUE(Contains(status.message(), DatabasePath())) << status.message();
  // The store stays usable: other rows and tables still read.
  EXPECT_EQ(store->undo_count().value(), 2u);
  EXPECT_FALSE(store->is_unusable());
}

INSTANTIATE_TEST_SUITE_P(
    Tables, SqliteStoreCorruption,
    ::testing::Values(
        Corruption{
            "node_row",
            "UPDATE nodes SET row = x'4e01ff' WHERE node = x'00000000000000000000000000000002'",
            [](SqliteStore& s) { return s.scan_nodes([](const NodeRow&) {}); },
            "scan_nodes: table nodes, node 0x2: byte 2: field 'flags'"},
        Corruption{"payload_row", "UPDATE payloads SET row = x'4e01'",
                   [](SqliteStore& s) { return s.scan_payloads([](const PayloadRow&) {}); },
                   "table payloads, node 0x1: byte 0: field 'header': expected tag 'P'"},
        Corruption{"undo_record", "UPDATE undo SET record = x'5501' WHERE replica = x'62'",
                   [](SqliteStore& s) {
                     return s.scan_undo_reverse(OpKey{}, [](const UndoRecord&) { return true; });
                   },
                   "table undo, key (2,b,1): byte 2: field 'flags'"},
        Corruption{"op_blob", "UPDATE ops SET op = substr(op, 1, 10) WHERE replica = x'62'",
                   [](SqliteStore& s) {
                     return s.find_op(OpId{ReplicaId::of("b"), 1}).status();
                   },
                   "find_op: table ops, op (2,b,1): byte"},
        Corruption{
            "op_of_another_key",
            "UPDATE ops SET op = (SELECT op FROM ops WHERE replica = x'61') "
            "WHERE replica = x'62'",
            [](SqliteStore& s) { return s.scan_ops(std::nullopt, [](const Op&) { return true; }); },
            "table ops, op (2,b,1): the blob holds op (1,a,1)"},
        Corruption{"meta_row", "UPDATE meta SET meta = x'4d0100'",
                   [](SqliteStore& s) { return s.read_meta().status(); },
                   "read_meta: table meta, row 1: byte"}),
    [](const auto& instance) { return std::string(instance.param.name); });

TEST_F(SqliteStoreTest, OpeningWithACorruptMetaRowFailsAndNamesIt) {
  CreateSeededDatabase();
  RawExecute(DatabasePath(), "UPDATE meta SET meta = x'00'");
  ExpectOpenFails(StatusCode::kCorruption, "table meta, row 1: byte 0: field 'header'");
}

TEST_F(SqliteStoreTest, OpeningWithoutAMetaRowFails) {
  CreateSeededDatabase();
  RawExecute(DatabasePath(), "DELETE FROM meta");
  ExpectOpenFails(StatusCode::kCorruption, "table meta: its one row is missing");
}

// --- programmer errors ---

using SqliteStoreDeathTest = SqliteStoreTest;

TEST_F(SqliteStoreDeathTest, InsertingAStoredIdAsserts) {
  std::unique_ptr<SqliteStore> store = OpenOk();
  Seed(*store);
  ExpectOk(store->begin());
  EXPECT_DEATH(static_cast<void>(store->insert_ops({InsertOp("a", 1, 5)})), "assertion failed");
  store->rollback();
}

TEST_F(SqliteStoreDeathTest, WritingFromInsideAScanAsserts) {
  std::unique_ptr<SqliteStore> store = OpenOk();
  Seed(*store);
  ExpectOk(store->begin());
  EXPECT_DEATH(static_cast<void>(store->scan_nodes(
                   [&](const NodeRow& row) { static_cast<void>(store->erase_node(row.node)); })),
               "assertion failed");
  store->rollback();
}

}  // namespace
}  // namespace treesim
