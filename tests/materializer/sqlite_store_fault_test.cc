// SqliteStore keeps the Store contract when the storage under SQLite fails: every error path
// rolls back, no failed call leaves partial writes behind, a failed COMMIT leaves the transaction
// open for the caller's rollback(), and a failed rollback makes the store unusable instead of
// half rolled back. Method (SQLite's own): a test VFS wraps the default one and fails the Nth
// read, write, truncate or sync; a sweep runs one transaction that touches every table once per
// N until no fault fires, and after each failure checks the store against a MemoryStore that
// ran the same calls, then checks the file again after reopening it.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/node_id.h"
#include "core/op.h"
#include "core/replica_id.h"
#include "core/status.h"
#include "materializer/memory_store.h"
#include "materializer/sqlite_store.h"
#include "materializer/store.h"
#include "tests/support/sqlite_test_support.h"
#include "tests/support/store_dump.h"

namespace treesim {
namespace {

// --- the fault-injecting VFS ---

constexpr const char* kFaultVfsName = "treesim-test-faults";

// Which I/O operation fails: the one numbered `after` (counting from 0 at arm(), over reads,
// writes, truncates and syncs of files whose name ends with `file_suffix`) and, if
// `persistent`, every one after it until disarm().
struct FaultPlan {
  std::uint64_t after = 0;
  bool persistent = false;
  int write_error = SQLITE_IOERR_WRITE;  // or SQLITE_FULL
  std::string file_suffix;               // empty: every file
};

struct FaultState {
  bool armed = false;
  FaultPlan plan;
  std::uint64_t operations = 0;
  std::uint64_t failures = 0;
};

FaultState& Faults() {
  static FaultState state;
  return state;
}

sqlite3_vfs* RealVfs() {
  static sqlite3_vfs* real = sqlite3_vfs_find(nullptr);
  return real;
}

struct FaultFile {
  sqlite3_file base;   // first, so that SQLite's sqlite3_file* is a FaultFile*
  sqlite3_file* real;  // the wrapped file, stored right after this struct
  const char* name;    // valid until xClose (SQLite's guarantee); null for temporary files
};

sqlite3_file* Real(sqlite3_file* file) { return reinterpret_cast<FaultFile*>(file)->real; }

// Counts the operation and says whether it fails.
bool ShouldFail(sqlite3_file* file) {
  FaultState& state = Faults();
  if (!state.armed) return false;
  const char* name = reinterpret_cast<FaultFile*>(file)->name;
  const std::string& suffix = state.plan.file_suffix;
  if (!suffix.empty()) {
    const std::size_t length = name == nullptr ? 0 : std::strlen(name);
    if (length < suffix.size() || suffix != name + length - suffix.size()) return false;
  }
  const std::uint64_t number = state.operations++;
  const bool fail =
      number == state.plan.after || (state.plan.persistent && number > state.plan.after);
  if (fail) ++state.failures;
  return fail;
}

int FaultClose(sqlite3_file* file) { return Real(file)->pMethods->xClose(Real(file)); }

int FaultRead(sqlite3_file* file, void* buffer, int amount, sqlite3_int64 offset) {
  if (ShouldFail(file)) return SQLITE_IOERR_READ;
  return Real(file)->pMethods->xRead(Real(file), buffer, amount, offset);
}

int FaultWrite(sqlite3_file* file, const void* buffer, int amount, sqlite3_int64 offset) {
  if (ShouldFail(file)) return Faults().plan.write_error;
  return Real(file)->pMethods->xWrite(Real(file), buffer, amount, offset);
}

int FaultTruncate(sqlite3_file* file, sqlite3_int64 size) {
  if (ShouldFail(file)) return SQLITE_IOERR_TRUNCATE;
  return Real(file)->pMethods->xTruncate(Real(file), size);
}

int FaultSync(sqlite3_file* file, int flags) {
  if (ShouldFail(file)) return SQLITE_IOERR_FSYNC;
  return Real(file)->pMethods->xSync(Real(file), flags);
}

int FaultFileSize(sqlite3_file* file, sqlite3_int64* size) {
  return Real(file)->pMethods->xFileSize(Real(file), size);
}
int FaultLock(sqlite3_file* file, int lock) {
  return Real(file)->pMethods->xLock(Real(file), lock);
}
int FaultUnlock(sqlite3_file* file, int lock) {
  return Real(file)->pMethods->xUnlock(Real(file), lock);
}
int FaultCheckReservedLock(sqlite3_file* file, int* out) {
  return Real(file)->pMethods->xCheckReservedLock(Real(file), out);
}
int FaultFileControl(sqlite3_file* file, int op, void* argument) {
  return Real(file)->pMethods->xFileControl(Real(file), op, argument);
}
int FaultSectorSize(sqlite3_file* file) { return Real(file)->pMethods->xSectorSize(Real(file)); }
int FaultDeviceCharacteristics(sqlite3_file* file) {
  return Real(file)->pMethods->xDeviceCharacteristics(Real(file));
}
int FaultShmMap(sqlite3_file* file, int page, int page_size, int extend, void volatile** out) {
  return Real(file)->pMethods->xShmMap(Real(file), page, page_size, extend, out);
}
int FaultShmLock(sqlite3_file* file, int offset, int count, int flags) {
  return Real(file)->pMethods->xShmLock(Real(file), offset, count, flags);
}
void FaultShmBarrier(sqlite3_file* file) { Real(file)->pMethods->xShmBarrier(Real(file)); }
int FaultShmUnmap(sqlite3_file* file, int delete_flag) {
  return Real(file)->pMethods->xShmUnmap(Real(file), delete_flag);
}
// No memory-mapped reads: every read goes through FaultRead.
int FaultFetch(sqlite3_file*, sqlite3_int64, int, void** out) {
  *out = nullptr;
  return SQLITE_OK;
}
int FaultUnfetch(sqlite3_file*, sqlite3_int64, void*) { return SQLITE_OK; }

const sqlite3_io_methods kFaultMethods = {
    3,
    FaultClose,
    FaultRead,
    FaultWrite,
    FaultTruncate,
    FaultSync,
    FaultFileSize,
    FaultLock,
    FaultUnlock,
    FaultCheckReservedLock,
    FaultFileControl,
    FaultSectorSize,
    FaultDeviceCharacteristics,
    FaultShmMap,
    FaultShmLock,
    FaultShmBarrier,
    FaultShmUnmap,
    FaultFetch,
    FaultUnfetch,
};

int FaultOpen(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  auto* fault_file = reinterpret_cast<FaultFile*>(file);
  fault_file->real = reinterpret_cast<sqlite3_file*>(fault_file + 1);
  fault_file->name = name;
  const int rc = RealVfs()->xOpen(RealVfs(), name, fault_file->real, flags, out_flags);
  // SQLite calls xClose exactly when pMethods is set, so mirror the wrapped file.
  fault_file->base.pMethods = fault_file->real->pMethods != nullptr ? &kFaultMethods : nullptr;
  return rc;
}

// Registers the VFS once; every method but xOpen is the default VFS's own.
void InstallFaultVfs() {
  static sqlite3_vfs vfs = [] {
    sqlite3_vfs copy = *RealVfs();
    copy.pNext = nullptr;
    copy.zName = kFaultVfsName;
    copy.szOsFile = static_cast<int>(sizeof(FaultFile)) + RealVfs()->szOsFile;
    copy.xOpen = FaultOpen;
    return copy;
  }();
  static const int registered = sqlite3_vfs_register(&vfs, /*makeDflt=*/0);
  ASSERT_EQ(registered, SQLITE_OK);
  // Every method but xOpen runs the wrapped file's; it must have every method we forward.
  ASSERT_GE(RealVfs()->iVersion, 1);
}

void Arm(const FaultPlan& plan) { Faults() = FaultState{true, plan, 0, 0}; }
void Disarm() { Faults().armed = false; }

// --- scenario ---

const std::string kOrderKey("\x80\x00", 2);

OpKey Key(std::uint64_t lamport, const char* replica, std::uint64_t counter) {
  return OpKey{lamport, ReplicaId::of(replica), counter};
}

Op InsertOp(const char* replica, std::uint64_t counter, std::uint64_t lamport) {
  return make_insert(OpId{ReplicaId::of(replica), counter}, lamport, kRoot,
                     NodeId::from_low(counter), kOrderKey, std::string(120, 'p'));
}

NodeRow NodeAt(std::uint64_t node) {
  NodeRow row;
  row.node = NodeId::from_low(node);
  row.parent = kRoot;
  row.order_key = std::string(40, 'k');
  return row;
}

UndoRecord UndoAt(const OpKey& key) {
  UndoRecord record;
  record.key = key;
  record.node = NodeId::from_low(key.counter);
  record.previous_order_key = std::string(40, 'u');
  return record;
}

void ExpectOk(const Status& status) { EXPECT_TRUE(status.is_ok()) << status.to_string(); }

// Enough rows that tables span many pages, so that one call touches pages it has not touched
// before (each first touch is journal I/O that can fail).
void Seed(Store& store) {
  ExpectOk(store.begin());
  std::vector<Op> ops;
  for (std::uint64_t counter = 1; counter <= 150; ++counter) {
    ops.push_back(InsertOp("m", counter, counter));
  }
  ExpectOk(store.insert_ops(ops));
  for (std::uint64_t node = 1; node <= 150; ++node) {
    ExpectOk(store.put_node(NodeAt(node)));
    ExpectOk(store.put_payload(PayloadRow{NodeId::from_low(node), "value", Key(node, "m", node)}));
    ExpectOk(store.put_undo(UndoAt(Key(node, "m", node))));
  }
  ExpectOk(
      store.write_meta(StoreMeta{Head{Key(150, "m", 150), 150}, Frontier::none(), Key(1, "m", 1)}));
  ExpectOk(store.commit());
}

struct Step {
  const char* operation;  // the name a failure's message carries
  std::function<Status(Store&)> call;
};

// One transaction that writes every table, with multi-statement calls whose statements touch
// pages at both ends of a table.
std::vector<Step> Scenario() {
  return {
      {"begin", [](Store& s) { return s.begin(); }},
      {"insert_ops",
       [](Store& s) {
         return s.insert_ops({InsertOp("a", 1, 1), InsertOp("z", 1, 900)});
       }},
      {"put_node", [](Store& s) { return s.put_node(NodeAt(500)); }},
      {"erase_node", [](Store& s) { return s.erase_node(NodeId::from_low(7)); }},
      {"put_payload",
       [](Store& s) {
         return s.put_payload(PayloadRow{NodeId::from_low(140), "new", Key(900, "z", 1)});
       }},
      {"put_undo", [](Store& s) { return s.put_undo(UndoAt(Key(900, "z", 1))); }},
      {"erase_undo_before", [](Store& s) { return s.erase_undo_before(Key(60, "m", 60)); }},
      {"clear_rows", [](Store& s) { return s.clear_rows(); }},
      {"put_node", [](Store& s) { return s.put_node(NodeAt(1)); }},
      {"write_meta",
       [](Store& s) {
         return s.write_meta(
             StoreMeta{Head{Key(900, "z", 1), 152}, Frontier::none(), Key(60, "m", 60)});
       }},
      {"commit", [](Store& s) { return s.commit(); }},
  };
}

StoreDump Dump(Store& store) {
  Result<StoreDump> dump = dump_store(store);
  EXPECT_TRUE(dump.is_ok()) << dump.status().to_string();
  return dump.is_ok() ? *std::move(dump) : StoreDump{};
}

// --- the sweep ---

struct SweepConfiguration {
  const char* name;
  SqliteJournalMode journal_mode;
  bool persistent;
  int write_error;
};

void PrintTo(const SweepConfiguration& configuration, std::ostream* out) {
  *out << configuration.name;
}

class SqliteStoreFaultSweep : public ::testing::TestWithParam<SweepConfiguration> {
 protected:
  void SetUp() override { InstallFaultVfs(); }

  std::unique_ptr<SqliteStore> OpenStore(const std::string& path, bool through_faults) {
    SqliteStoreOptions options;
    options.path = path;
    options.journal_mode = GetParam().journal_mode;
    if (through_faults) options.vfs_name = kFaultVfsName;
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::open(options);
    EXPECT_TRUE(store.is_ok()) << store.status().to_string();
    TS_ASSERT(store.is_ok());
    return std::move(store).value();
  }

  TempDirectory directory_;
};

// For every N: the Nth I/O operation of the scenario fails (and, if persistent, all after it).
// The first failing call returns kIoError or kStorageFull naming the store and the call. If
// SQLite kept the transaction, it holds exactly the writes of the calls before the failing one;
// if SQLite ended it, every call but rollback() fails with kFailedPrecondition. After rollback()
// the store holds what it held before begin(), and so does the file after reopening it.
TEST_P(SqliteStoreFaultSweep, EveryFailureRollsBackToTheStateBeforeBegin) {
  const std::vector<Step> steps = Scenario();
  // The reference: the contents before begin() and after each call, from a MemoryStore.
  MemoryStore reference;
  Seed(reference);
  std::vector<StoreDump> expected = {Dump(reference)};
  for (const Step& step : steps) {
    ExpectOk(step.call(reference));
    expected.push_back(Dump(reference));
  }
  const StoreDump& before = expected.front();

  const std::string pristine = directory_.file("pristine.db");
  Seed(*OpenStore(pristine, /*through_faults=*/false));
  const std::string work = directory_.file("work.db");

  int kept = 0;
  int aborted = 0;
  int absorbed = 0;
  std::uint64_t after = 0;
  for (;; ++after) {
    ASSERT_LT(after, 20000u) << "the scenario never completes";
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      std::filesystem::remove(work + suffix);
    }
    std::filesystem::copy_file(pristine, work);
    std::unique_ptr<SqliteStore> store = OpenStore(work, /*through_faults=*/true);
    Arm(FaultPlan{after, GetParam().persistent, GetParam().write_error, ""});

    std::optional<std::size_t> failed;
    Status failure;
    for (std::size_t index = 0; index < steps.size() && !failed; ++index) {
      failure = steps[index].call(*store);
      if (!failure.is_ok()) failed = index;
    }
    const bool fired = Faults().failures > 0;
    SCOPED_TRACE("fault at I/O operation " + std::to_string(after) +
                 (failed ? std::string(", failed call: ") + steps[*failed].operation : ""));

    if (!failed) {
      // No call failed: the fault (if any fired) hit I/O whose failure SQLite survives.
      Disarm();
      if (fired) ++absorbed;
      EXPECT_EQ(describe_difference(Dump(*store), expected.back()), "");
      store.reset();
      EXPECT_EQ(describe_difference(Dump(*OpenStore(work, false)), expected.back()), "");
      if (!fired) break;  // the sweep has passed every operation of the scenario
      continue;
    }

    ASSERT_TRUE(fired) << failure.to_string();
    const bool full = GetParam().write_error == SQLITE_FULL;
    EXPECT_TRUE(failure.code() == StatusCode::kIoError ||
                (full && failure.code() == StatusCode::kStorageFull))
        << failure.to_string();
    const std::string prefix = "sqlite store '" + work + "': " + steps[*failed].operation;
    EXPECT_EQ(failure.message().rfind(prefix, 0), 0u) << failure.message();

    if (*failed == 0) {
      EXPECT_FALSE(store->in_transaction());
    } else {
      EXPECT_TRUE(store->in_transaction());
      if (!GetParam().persistent) {
        const Result<StoreDump> inside = dump_store(*store);
        if (inside.is_ok()) {
          ++kept;
          EXPECT_EQ(describe_difference(*inside, expected[*failed]), "")
              << "the failed call left partial writes";
        } else {
          ++aborted;
          EXPECT_EQ(inside.status().code(), StatusCode::kFailedPrecondition)
              << inside.status().to_string();
        }
      }
      store->rollback();
    }
    Disarm();
    EXPECT_FALSE(store->in_transaction());
    EXPECT_FALSE(store->is_unusable());
    if (!store->is_unusable()) {
      EXPECT_EQ(describe_difference(Dump(*store), before), "");
      ExpectOk(store->check_invariants());
      // The store goes on: a later transaction works.
      ExpectOk(store->begin());
      ExpectOk(store->put_node(NodeAt(999)));
      store->rollback();
    }
    store.reset();
    EXPECT_EQ(describe_difference(Dump(*OpenStore(work, false)), before), "");
    if (HasFailure()) break;  // one failing N explains the rest
  }
  RecordProperty("io_operations", static_cast<int>(after));
  RecordProperty("failures_kept", kept);
  RecordProperty("failures_aborted", aborted);
  RecordProperty("faults_absorbed", absorbed);
}

INSTANTIATE_TEST_SUITE_P(
    Configurations, SqliteStoreFaultSweep,
    ::testing::Values(
        SweepConfiguration{"wal_once_ioerr", SqliteJournalMode::kWal, false, SQLITE_IOERR_WRITE},
        SweepConfiguration{"wal_once_full", SqliteJournalMode::kWal, false, SQLITE_FULL},
        SweepConfiguration{"wal_persistent_ioerr", SqliteJournalMode::kWal, true,
                           SQLITE_IOERR_WRITE},
        SweepConfiguration{"delete_once_ioerr", SqliteJournalMode::kDelete, false,
                           SQLITE_IOERR_WRITE},
        SweepConfiguration{"delete_once_full", SqliteJournalMode::kDelete, false, SQLITE_FULL},
        SweepConfiguration{"delete_persistent_full", SqliteJournalMode::kDelete, true,
                           SQLITE_FULL}),
    [](const auto& instance) { return std::string(instance.param.name); });

// --- named failures ---

class SqliteStoreFaultTest : public ::testing::Test {
 protected:
  void SetUp() override { InstallFaultVfs(); }
  void TearDown() override { Disarm(); }

  std::unique_ptr<SqliteStore> Open(SqliteJournalMode journal_mode) {
    SqliteStoreOptions options;
    options.path = directory_.file("doc.db");
    options.vfs_name = kFaultVfsName;
    options.journal_mode = journal_mode;
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::open(options);
    EXPECT_TRUE(store.is_ok()) << store.status().to_string();
    TS_ASSERT(store.is_ok());
    return std::move(store).value();
  }

  TempDirectory directory_;
};

TEST_F(SqliteStoreFaultTest, AFailedCommitLeavesTheTransactionOpenUntilRollback) {
  std::unique_ptr<SqliteStore> store = Open(SqliteJournalMode::kWal);
  Seed(*store);
  const StoreDump before = Dump(*store);
  ExpectOk(store->begin());
  ExpectOk(store->put_node(NodeAt(500)));
  Arm(FaultPlan{0, /*persistent=*/true, SQLITE_FULL, "-wal"});
  const Status commit = store->commit();
  EXPECT_EQ(commit.code(), StatusCode::kStorageFull) << commit.to_string();
  EXPECT_TRUE(store->in_transaction());
  // SQLite rolled the transaction back by itself: nothing but rollback() may run now, or the
  // next writes would commit one by one in autocommit mode.
  const Status write = store->put_node(NodeAt(501));
  EXPECT_EQ(write.code(), StatusCode::kFailedPrecondition) << write.to_string();
  EXPECT_NE(write.message().find("only rollback() is possible"), std::string::npos)
      << write.message();
  EXPECT_EQ(store->commit().code(), StatusCode::kFailedPrecondition);
  store->rollback();
  Disarm();
  EXPECT_FALSE(store->in_transaction());
  EXPECT_EQ(describe_difference(Dump(*store), before), "");
  ExpectOk(store->begin());
  ExpectOk(store->put_node(NodeAt(502)));
  ExpectOk(store->commit());
  EXPECT_EQ(Dump(*store).nodes.count(NodeId::from_low(502)), 1u);
}

// SQLite keeps the transaction after most errors that are not I/O errors; then the failed
// call's own savepoint takes back the statements of the call that had succeeded.
TEST_F(SqliteStoreFaultTest, AFailedCallLeavesNoPartialWritesWhenTheTransactionGoesOn) {
  ConnectionSpy spy;
  std::unique_ptr<SqliteStore> store = Open(SqliteJournalMode::kWal);
  sqlite3* db = spy.last();
  Seed(*store);
  ExpectOk(store->begin());
  ExpectOk(store->put_node(NodeAt(500)));
  const StoreDump before_call = Dump(*store);
  // The second op's blob exceeds the connection's length limit: its bind fails after the first
  // op's INSERT has run.
  const int length_limit = sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 1000);
  const Op big = make_insert(OpId{ReplicaId::of("z"), 1}, 901, kRoot, NodeId::from_low(2),
                             kOrderKey, std::string(2000, 'x'));
  const Status status = store->insert_ops({InsertOp("a", 1, 900), big});
  sqlite3_limit(db, SQLITE_LIMIT_LENGTH, length_limit);
  EXPECT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("insert_ops: op z:1: string or blob too big"), std::string::npos)
      << status.to_string();
  EXPECT_TRUE(store->in_transaction());
  EXPECT_EQ(describe_difference(Dump(*store), before_call), "");
  ExpectOk(store->commit());
  EXPECT_EQ(describe_difference(Dump(*store), before_call), "");
}

// A COMMIT that cannot take its lock fails with SQLITE_BUSY and SQLite keeps the transaction
// (unlike after an I/O error); rollback() then issues the ROLLBACK.
TEST_F(SqliteStoreFaultTest, ABusyCommitKeepsTheTransactionForRollback) {
  std::unique_ptr<SqliteStore> store = Open(SqliteJournalMode::kDelete);
  Seed(*store);
  const StoreDump before = Dump(*store);
  ExpectOk(store->begin());
  ExpectOk(store->put_node(NodeAt(500)));
  // Another connection holds a read transaction, so the commit cannot lock the file exclusively.
  sqlite3* reader = nullptr;
  ASSERT_EQ(
      sqlite3_open_v2(directory_.file("doc.db").c_str(), &reader, SQLITE_OPEN_READONLY, nullptr),
      SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM nodes;", nullptr, nullptr, nullptr),
            SQLITE_OK);
  const Status commit = store->commit();
  EXPECT_EQ(commit.code(), StatusCode::kIoError) << commit.to_string();
  EXPECT_NE(commit.message().find("database is locked"), std::string::npos) << commit.message();
  EXPECT_TRUE(store->in_transaction());
  // The transaction is still SQLite's: reads inside it see its writes.
  EXPECT_EQ(Dump(*store).nodes.count(NodeId::from_low(500)), 1u);
  store->rollback();
  sqlite3_close_v2(reader);
  EXPECT_FALSE(store->in_transaction());
  EXPECT_EQ(describe_difference(Dump(*store), before), "");
  ExpectOk(store->check_invariants());
}

TEST_F(SqliteStoreFaultTest, AFailedRollbackMakesTheStoreUnusable) {
  ConnectionSpy spy;
  std::unique_ptr<SqliteStore> store = Open(SqliteJournalMode::kWal);
  sqlite3* db = spy.last();
  Seed(*store);
  ExpectOk(store->begin());
  ExpectOk(store->insert_ops({InsertOp("c", 1, 900)}));
  // A progress handler that interrupts every statement makes the ROLLBACK statement fail.
  sqlite3_progress_handler(
      db, 1, [](void*) { return 1; }, nullptr);
  store->rollback();
  sqlite3_progress_handler(db, 0, nullptr, nullptr);
  EXPECT_FALSE(store->in_transaction());
  ASSERT_TRUE(store->is_unusable());
  for (const Status& status :
       {store->begin(), store->find_op(OpId{ReplicaId::of("m"), 1}).status(),
        store->op_count().status(), store->read_meta().status(),
        store->scan_nodes([](const NodeRow&) {}), store->check_invariants()}) {
    EXPECT_EQ(status.code(), StatusCode::kIoError) << status.to_string();
    EXPECT_NE(status.message().find("unusable since rollback failed"), std::string::npos)
        << status.message();
  }
  // Closing rolls back whatever the connection still held; the file has the committed state.
  store.reset();
  store = Open(SqliteJournalMode::kWal);
  EXPECT_EQ(store->op_count().value(), 150u);
  EXPECT_FALSE(store->find_op(OpId{ReplicaId::of("c"), 1}).value().has_value());
}

}  // namespace
}  // namespace treesim
