// SimVfs is a disk a SqliteStore can run on and lose power on: committed data survives closing,
// reopening and every crash policy (synchronous=FULL), an interrupted transaction leaves an
// intact database with all or none of it, injected faults reach the store as errors until
// cleared, and one seed gives one set of file images. Method: raw VFS calls pin down the crash
// semantics of single writes; everything else runs a real SqliteStore on the VFS and checks the
// files with a raw connection's PRAGMA integrity_check after each crash.
#include "sim/sim_vfs.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/node_id.h"
#include "core/op.h"
#include "core/replica_id.h"
#include "core/status.h"
#include "materializer/sqlite_store.h"
#include "materializer/store.h"
#include "sim/entropy.h"
#include "tests/support/sqlite_test_support.h"

namespace treesim {
namespace {

constexpr const char* kDatabase = "doc.db";
const std::string kOrderKey("\x80\x00", 2);
constexpr CrashPolicy kAllPolicies[] = {CrashPolicy::kKeepAll, CrashPolicy::kDropAll,
                                        CrashPolicy::kTearAll, CrashPolicy::kRandom};

const char* PolicyName(CrashPolicy policy) {
  switch (policy) {
    case CrashPolicy::kKeepAll:
      return "keep-all";
    case CrashPolicy::kDropAll:
      return "drop-all";
    case CrashPolicy::kTearAll:
      return "tear-all";
    case CrashPolicy::kRandom:
      return "random";
  }
  return "?";
}

void ExpectOk(const Status& status) { EXPECT_TRUE(status.is_ok()) << status.to_string(); }

// `count` insert ops of replica `replica`, counters first..first+count-1, with payloads big
// enough that a few dozen of them span several pages.
std::vector<Op> Ops(const char* replica, std::uint64_t first, std::uint64_t count) {
  std::vector<Op> ops;
  for (std::uint64_t counter = first; counter < first + count; ++counter) {
    ops.push_back(make_insert(OpId{ReplicaId::of(replica), counter}, counter, kRoot,
                              NodeId::from_low(counter), kOrderKey, std::string(300, 'p')));
  }
  return ops;
}

// One transaction: the ops and a node row per op. Returns the first failure (after rolling
// back, so the store is ready for the next transaction).
Status CommitOps(Store& store, const std::vector<Op>& ops) {
  Status status = store.begin();
  if (status.is_ok()) status = store.insert_ops(ops);
  for (std::size_t index = 0; status.is_ok() && index < ops.size(); ++index) {
    NodeRow row;
    row.node = ops[index].node;
    row.parent = kRoot;
    row.order_key = kOrderKey;
    status = store.put_node(row);
  }
  if (status.is_ok()) status = store.commit();
  if (!status.is_ok() && store.in_transaction()) store.rollback();
  return status;
}

// How many of `ops` the store holds (failing the test on a read error).
std::size_t CountPresent(Store& store, const std::vector<Op>& ops) {
  std::size_t present = 0;
  for (const Op& op : ops) {
    const Result<std::optional<Op>> found = store.find_op(op.id);
    EXPECT_TRUE(found.is_ok()) << found.status().to_string();
    if (found.is_ok() && found->has_value()) ++present;
  }
  return present;
}

Result<std::unique_ptr<SqliteStore>> TryOpen(SimVfs& vfs, SqliteJournalMode journal_mode) {
  SqliteStoreOptions options;
  options.path = kDatabase;
  options.vfs_name = vfs.name();
  options.journal_mode = journal_mode;
  return SqliteStore::open(options);
}

std::unique_ptr<SqliteStore> Open(SimVfs& vfs,
                                  SqliteJournalMode journal_mode = SqliteJournalMode::kWal) {
  Result<std::unique_ptr<SqliteStore>> store = TryOpen(vfs, journal_mode);
  EXPECT_TRUE(store.is_ok()) << store.status().to_string();
  TS_ASSERT(store.is_ok());
  return std::move(store).value();
}

// PRAGMA integrity_check on a raw connection of its own ("ok" when intact).
std::string IntegrityCheck(SimVfs& vfs) {
  return treesim::IntegrityCheck(kDatabase, vfs.name().c_str());
}

// --- crash semantics of single writes, through the raw VFS ---

// A file opened directly through the VFS's methods, as SQLite would.
class RawFile {
 public:
  RawFile(SimVfs& vfs, const char* name) : vfs_(sqlite3_vfs_find(vfs.name().c_str())) {
    TS_ASSERT(vfs_ != nullptr);
    memory_.resize(static_cast<std::size_t>(vfs_->szOsFile) / sizeof(std::max_align_t) + 1);
    file_ = reinterpret_cast<sqlite3_file*>(memory_.data());
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_MAIN_DB;
    TS_ASSERT(vfs_->xOpen(vfs_, name, file_, flags, nullptr) == SQLITE_OK);
  }
  ~RawFile() { file_->pMethods->xClose(file_); }
  RawFile(const RawFile&) = delete;
  RawFile& operator=(const RawFile&) = delete;

  int Write(const std::string& bytes, std::int64_t offset) {
    return file_->pMethods->xWrite(file_, bytes.data(), static_cast<int>(bytes.size()), offset);
  }
  int Sync() { return file_->pMethods->xSync(file_, SQLITE_SYNC_FULL); }
  int Truncate(std::int64_t size) { return file_->pMethods->xTruncate(file_, size); }

 private:
  sqlite3_vfs* vfs_;
  std::vector<std::max_align_t> memory_;
  sqlite3_file* file_;
};

// The file image after: 1024 bytes 'a' synced, then unsynced 1024 bytes 'b' over them and 100
// bytes 'c' at offset 2000 (across the sector boundary at 2048), then a crash.
std::string ImageAfterCrash(CrashPolicy policy, std::uint64_t seed) {
  SimVfs vfs(seed);
  {
    RawFile file(vfs, "file");
    EXPECT_EQ(file.Write(std::string(1024, 'a'), 0), SQLITE_OK);
    EXPECT_EQ(file.Sync(), SQLITE_OK);
    EXPECT_EQ(file.Write(std::string(1024, 'b'), 0), SQLITE_OK);
    EXPECT_EQ(file.Write(std::string(100, 'c'), 2000), SQLITE_OK);
    EXPECT_EQ(vfs.unsynced_operation_count(), 2u);
    EXPECT_EQ(vfs.durable_contents("file"), std::string(1024, 'a'));
    vfs.check_invariants();
  }
  Rng rng(seed);
  vfs.crash(policy, rng);
  vfs.check_invariants();
  EXPECT_EQ(vfs.unsynced_operation_count(), 0u);
  EXPECT_EQ(vfs.contents("file"), vfs.durable_contents("file"));
  return vfs.contents("file").value_or("<missing>");
}

TEST(SimVfsCrash, KeepAllAndDropAllKeepOrDropEveryUnsyncedWrite) {
  const std::string kept = std::string(1024, 'b') + std::string(976, '\0') + std::string(100, 'c');
  EXPECT_EQ(ImageAfterCrash(CrashPolicy::kKeepAll, 1), kept);
  EXPECT_EQ(ImageAfterCrash(CrashPolicy::kDropAll, 1), std::string(1024, 'a'));
}

// Each write keeps a proper prefix that ends at a sector boundary: 0 or 512 bytes of the first,
// 0 or 48 bytes (up to offset 2048) of the second.
TEST(SimVfsCrash, TearAllKeepsAProperSectorPrefixOfEveryWrite) {
  std::vector<std::string> seen;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    const std::string image = ImageAfterCrash(CrashPolicy::kTearAll, seed);
    const std::string first = image.substr(0, 1024);
    EXPECT_TRUE(first == std::string(1024, 'a') ||
                first == std::string(512, 'b') + std::string(512, 'a'))
        << "seed " << seed;
    EXPECT_TRUE(image.size() == 1024 ||
                image == first + std::string(976, '\0') + std::string(48, 'c'))
        << "seed " << seed;
    if (std::find(seen.begin(), seen.end(), image) == seen.end()) seen.push_back(image);
  }
  EXPECT_EQ(seen.size(), 4u) << "every combination of torn prefixes occurs";
}

// Whatever the random fates, synced bytes are never lost and every write is kept whole, dropped
// or cut at a sector boundary.
TEST(SimVfsCrash, RandomFatesNeverLoseSyncedBytesOrSplitASector) {
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    const std::string image = ImageAfterCrash(CrashPolicy::kRandom, seed);
    ASSERT_GE(image.size(), 1024u) << "seed " << seed;
    for (std::size_t sector = 0; sector < 2; ++sector) {
      const std::string bytes = image.substr(sector * 512, 512);
      EXPECT_TRUE(bytes == std::string(512, 'a') || bytes == std::string(512, 'b'))
          << "seed " << seed;
    }
    // Sector 1 of the first write is only ever kept with sector 0.
    if (image[512] == 'b') {
      EXPECT_EQ(image[0], 'b') << "seed " << seed;
    }
    if (image.size() > 1024) {
      EXPECT_TRUE(image.size() == 2048 || image.size() == 2100) << "seed " << seed;
      EXPECT_EQ(image.substr(2000, 48), std::string(48, 'c')) << "seed " << seed;
    }
  }
}

TEST(SimVfsCrash, TheSameEntropyGivesTheSameImages) {
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    EXPECT_EQ(ImageAfterCrash(CrashPolicy::kRandom, seed),
              ImageAfterCrash(CrashPolicy::kRandom, seed));
  }
}

// --- check_invariants(), which compares only what changed since its previous call ---

// Random writes (some past the end, leaving zero-filled gaps), truncates (shrinking and
// growing) and syncs, each followed by a check: a correct VFS passes every check, and the images
// stay what a plain replay says they are.
TEST(SimVfsCheck, IncrementalChecksPassOnAnyMixOfWritesTruncatesAndSyncs) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    SimVfs vfs(seed);
    RawFile file(vfs, "file");
    Rng rng(seed);
    std::string durable;
    std::string current;
    for (int step = 0; step < 300; ++step) {
      const std::uint64_t kind = rng.uniform_below(10);
      if (kind < 6) {
        const auto offset = static_cast<std::int64_t>(rng.uniform_below(3 * 4096));
        const std::string bytes(1 + rng.uniform_below(1500), static_cast<char>('a' + step % 26));
        ASSERT_EQ(file.Write(bytes, offset), SQLITE_OK);
        if (current.size() < offset + bytes.size()) current.resize(offset + bytes.size(), '\0');
        current.replace(static_cast<std::size_t>(offset), bytes.size(), bytes);
      } else if (kind < 8) {
        const auto size = static_cast<std::int64_t>(rng.uniform_below(4 * 4096));
        ASSERT_EQ(file.Truncate(size), SQLITE_OK);
        current.resize(static_cast<std::size_t>(size), '\0');
      } else {
        ASSERT_EQ(file.Sync(), SQLITE_OK);
        durable = current;
      }
      if (rng.chance(1, 2)) vfs.check_invariants();
      ASSERT_EQ(vfs.contents("file"), current) << "seed " << seed << " step " << step;
      ASSERT_EQ(vfs.durable_contents("file"), durable) << "seed " << seed << " step " << step;
    }
  }
}

// A byte that changed without a write is found when it lies where something was written or
// synced since the previous check: in the current image with the write pending, or in the
// durable image after the sync.
TEST(SimVfsCheckDeathTest, ACheckFindsAnImageThatDisagreesWhereItWasWritten) {
  // A file of 4096 synced bytes; `then` does more and ends with a check.
  auto corrupted = [](const auto& then) {
    SimVfs vfs(1);
    RawFile file(vfs, "file");
    TS_ASSERT(file.Write(std::string(4096, 'a'), 0) == SQLITE_OK);
    TS_ASSERT(file.Sync() == SQLITE_OK);
    then(vfs, file);
  };
  EXPECT_DEATH(corrupted([](SimVfs& vfs, RawFile& file) {
                 vfs.check_invariants();
                 TS_ASSERT(file.Write(std::string(100, 'b'), 1000) == SQLITE_OK);
                 vfs.flip_byte_for_testing("file", 1050, /*durable=*/false);
                 vfs.check_invariants();
               }),
               "assertion failed");
  // Written before a check, synced after it: the sync is what marks the durable range.
  EXPECT_DEATH(corrupted([](SimVfs& vfs, RawFile& file) {
                 vfs.check_invariants();
                 TS_ASSERT(file.Write(std::string(100, 'b'), 3000) == SQLITE_OK);
                 vfs.check_invariants();
                 TS_ASSERT(file.Sync() == SQLITE_OK);
                 vfs.flip_byte_for_testing("file", 3099, /*durable=*/true);
                 vfs.check_invariants();
               }),
               "assertion failed");
  // The first check of a file compares everything.
  EXPECT_DEATH(corrupted([](SimVfs& vfs, RawFile&) {
                 vfs.flip_byte_for_testing("file", 7, /*durable=*/true);
                 vfs.check_invariants();
               }),
               "assertion failed");
}

// --- a SqliteStore on the VFS ---

TEST(SimVfsStore, EachVfsHasItsOwnNameAndItsOwnFiles) {
  SimVfs first(1);
  SimVfs second(1);
  EXPECT_NE(first.name(), second.name());
  ExpectOk(CommitOps(*Open(first), Ops("a", 1, 3)));
  EXPECT_EQ(first.file_names(), std::vector<std::string>{kDatabase});
  EXPECT_TRUE(second.file_names().empty());
}

TEST(SimVfsStore, CommittedDataSurvivesCloseAndReopen) {
  SimVfs vfs(1);
  const std::vector<Op> ops = Ops("a", 1, 5);
  ExpectOk(CommitOps(*Open(vfs), ops));
  // A clean close checkpoints the WAL and deletes it.
  EXPECT_EQ(vfs.file_names(), std::vector<std::string>{kDatabase});
  EXPECT_EQ(vfs.open_file_count(), 0u);
  std::unique_ptr<SqliteStore> store = Open(vfs);
  EXPECT_EQ(CountPresent(*store, ops), ops.size());
  ExpectOk(store->check_invariants());
  vfs.check_invariants();
}

// synchronous=FULL: COMMIT returns only once the WAL is synced, so losing every unsynced write
// loses nothing committed. The crash hits while the store is open, as a power loss does.
TEST(SimVfsStore, ACommitSurvivesACrashThatDropsEveryUnsyncedWrite) {
  for (const SqliteJournalMode mode : {SqliteJournalMode::kWal, SqliteJournalMode::kDelete}) {
    SimVfs vfs(1);
    std::unique_ptr<SqliteStore> store = Open(vfs, mode);
    const std::vector<Op> ops = Ops("a", 1, 20);
    ExpectOk(CommitOps(*store, ops));
    Rng rng(1);
    vfs.crash(CrashPolicy::kDropAll, rng);
    EXPECT_EQ(vfs.open_file_count(), 0u);
    store.reset();  // closing stale handles is harmless
    vfs.check_invariants();
    EXPECT_EQ(IntegrityCheck(vfs), "ok");
    store = Open(vfs, mode);
    EXPECT_EQ(CountPresent(*store, ops), ops.size());
  }
}

// Writes of an open transaction spill to the WAL (the page cache is tiny) without a sync and
// without a commit frame; no fate of those writes makes any of them visible after the crash.
TEST(SimVfsStore, AnUncommittedTransactionVanishesUnderEveryCrashPolicy) {
  for (const CrashPolicy policy : kAllPolicies) {
    SCOPED_TRACE(PolicyName(policy));
    SimVfs vfs(2);
    ConnectionSpy spy;
    std::unique_ptr<SqliteStore> store = Open(vfs);
    ASSERT_EQ(sqlite3_exec(spy.last(), "PRAGMA cache_size = 4", nullptr, nullptr, nullptr),
              SQLITE_OK);
    const std::vector<Op> committed = Ops("a", 1, 5);
    ExpectOk(CommitOps(*store, committed));
    const std::vector<Op> uncommitted = Ops("b", 1, 60);
    ExpectOk(store->begin());
    ExpectOk(store->insert_ops(uncommitted));
    EXPECT_GT(vfs.unsynced_operation_count(), 0u) << "the transaction did not spill";
    Rng rng(3);
    vfs.crash(policy, rng);
    store.reset();
    EXPECT_EQ(IntegrityCheck(vfs), "ok");
    store = Open(vfs);
    EXPECT_EQ(CountPresent(*store, committed), committed.size());
    EXPECT_EQ(CountPresent(*store, uncommitted), 0u);
    ExpectOk(store->check_invariants());
  }
}

// SQLite opens temporary files with no name; they get a private one and go away on close.
TEST(SimVfsStore, TemporaryFilesDisappearWhenClosed) {
  SimVfs vfs(1);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(kDatabase, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                            vfs.name().c_str()),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "PRAGMA temp_store = FILE; PRAGMA temp.cache_size = 2;"
                         "CREATE TEMP TABLE t(x); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
                         "SELECT i + 1 FROM n WHERE i < 20) INSERT INTO t SELECT zeroblob(5000) "
                         "FROM n;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  const std::vector<std::string> while_open = vfs.file_names();
  EXPECT_EQ(std::count_if(
                while_open.begin(), while_open.end(),
                [](const std::string& name) { return name.rfind("treesim-temporary-", 0) == 0; }),
            1)
      << ::testing::PrintToString(while_open);
  sqlite3_close_v2(db);
  EXPECT_EQ(vfs.file_names(), std::vector<std::string>{kDatabase});
  EXPECT_EQ(vfs.open_file_count(), 0u);
}

// --- injected faults ---

struct FaultCase {
  SimVfsFault fault;
  StatusCode code;
  const char* name;
};

// For each kind: a persistent fault fails a transaction (with the matching status code) as
// often as it is retried, and after clear() the retry commits. The store is reopened before
// arming, so its page cache is cold and the transaction must read.
TEST(SimVfsFaults, EachFaultKindFailsATransactionUntilCleared) {
  const FaultCase cases[] = {
      {SimVfsFault::kReadError, StatusCode::kIoError, "read"},
      {SimVfsFault::kWriteError, StatusCode::kIoError, "write"},
      {SimVfsFault::kDiskFull, StatusCode::kStorageFull, "disk full"},
      {SimVfsFault::kSyncError, StatusCode::kIoError, "sync"},
      {SimVfsFault::kLockError, StatusCode::kIoError, "lock"},
  };
  for (const FaultCase& fault_case : cases) {
    SCOPED_TRACE(fault_case.name);
    SimVfs vfs(4);
    ExpectOk(CommitOps(*Open(vfs), Ops("a", 1, 30)));
    std::unique_ptr<SqliteStore> store = Open(vfs);

    vfs.fail_after(1, fault_case.fault, /*persistent=*/true);
    for (std::uint64_t attempt = 0; attempt < 2; ++attempt) {
      const Status status = CommitOps(*store, Ops("b", 1 + 10 * attempt, 3));
      EXPECT_EQ(status.code(), fault_case.code)
          << "attempt " << attempt << ": " << status.to_string();
    }
    EXPECT_GE(vfs.failures(), 2u);
    vfs.clear();
    const std::vector<Op> retried = Ops("c", 1, 3);
    ExpectOk(CommitOps(*store, retried));
    EXPECT_FALSE(store->is_unusable());
    vfs.check_invariants();
    store.reset();
    EXPECT_EQ(IntegrityCheck(vfs), "ok");
    EXPECT_EQ(CountPresent(*Open(vfs), retried), retried.size());
  }
}

// SQLite truncates a file when it rolls back a hot journal whose transaction had grown the
// database: the first open after a crash in the middle of such a transaction (journal mode
// DELETE, tiny page cache, so pages spill to the database file before the commit) fails while
// truncates fail, and succeeds once they work again.
TEST(SimVfsFaults, ATruncateFaultFailsTheOpenThatRollsBackAHotJournal) {
  SimVfs vfs(6);
  const std::vector<Op> committed = Ops("a", 1, 5);
  const std::vector<Op> uncommitted = Ops("b", 1, 60);
  {
    ConnectionSpy spy;
    std::unique_ptr<SqliteStore> store = Open(vfs, SqliteJournalMode::kDelete);
    ASSERT_EQ(sqlite3_exec(spy.last(), "PRAGMA cache_size = 4", nullptr, nullptr, nullptr),
              SQLITE_OK);
    ExpectOk(CommitOps(*store, committed));
    const std::size_t size_before = vfs.contents(kDatabase)->size();
    ExpectOk(store->begin());
    ExpectOk(store->insert_ops(uncommitted));
    ASSERT_GT(vfs.contents(kDatabase)->size(), size_before) << "the transaction did not spill";
    Rng rng(6);
    vfs.crash(CrashPolicy::kKeepAll, rng);
  }
  vfs.fail_after(1, SimVfsFault::kTruncateError, /*persistent=*/true);
  const Result<std::unique_ptr<SqliteStore>> failed = TryOpen(vfs, SqliteJournalMode::kDelete);
  EXPECT_EQ(failed.status().code(), StatusCode::kIoError) << failed.status().to_string();
  EXPECT_GE(vfs.failures(), 1u);
  vfs.clear();
  std::unique_ptr<SqliteStore> store = Open(vfs, SqliteJournalMode::kDelete);
  EXPECT_EQ(CountPresent(*store, committed), committed.size());
  EXPECT_EQ(CountPresent(*store, uncommitted), 0u);
  store.reset();
  EXPECT_EQ(IntegrityCheck(vfs), "ok");
}

TEST(SimVfsFaults, AOneShotFaultFailsExactlyTheNthCallOfItsKind) {
  SimVfs vfs(5);
  std::unique_ptr<SqliteStore> store = Open(vfs);
  ExpectOk(CommitOps(*store, Ops("a", 1, 3)));  // the first commit also writes the WAL header
  const std::uint64_t syncs_before = vfs.calls().syncs;
  ExpectOk(CommitOps(*store, Ops("b", 1, 3)));
  const std::uint64_t syncs_per_commit = vfs.calls().syncs - syncs_before;
  ASSERT_GE(syncs_per_commit, 1u);
  // The first sync of the second commit from now fails; the commits around it succeed.
  vfs.fail_after(syncs_per_commit + 1, SimVfsFault::kSyncError);
  ExpectOk(CommitOps(*store, Ops("c", 1, 3)));
  EXPECT_EQ(CommitOps(*store, Ops("d", 1, 3)).code(), StatusCode::kIoError);
  EXPECT_EQ(vfs.failures(), 1u);
  ExpectOk(CommitOps(*store, Ops("e", 1, 3)));
  EXPECT_EQ(vfs.failures(), 1u);
}

// A checker's reads while paused neither fire the armed fault nor move its countdown: the
// first read after resuming is the one that fails.
TEST(SimVfsFaults, PausedCallsNeitherCountNorFail) {
  SimVfs vfs(7);
  ExpectOk(CommitOps(*Open(vfs), Ops("a", 1, 30)));
  vfs.fail_after(1, SimVfsFault::kReadError);
  vfs.set_paused(true);
  {
    std::unique_ptr<SqliteStore> reader = Open(vfs);  // a cold cache: opening reads
    EXPECT_EQ(CountPresent(*reader, Ops("a", 1, 30)), 30u);
  }
  EXPECT_EQ(vfs.failures(), 0u);
  vfs.set_paused(false);
  const Result<std::unique_ptr<SqliteStore>> failed = TryOpen(vfs, SqliteJournalMode::kWal);
  EXPECT_EQ(failed.status().code(), StatusCode::kIoError) << failed.status().to_string();
  EXPECT_EQ(vfs.failures(), 1u);
}

// --- power loss at every point ---

struct CrashPointOutcome {
  int all_present = 0;
  int all_absent = 0;
};

// For every i: the power goes off after the i-th write or sync of one transaction (and of the
// store's close, which checkpoints), then the disk crashes. The database opens intact with the
// earlier commit and all or none of the transaction; all of it if the commit returned ok.
CrashPointOutcome SweepCrashPoints(SqliteJournalMode mode, CrashPolicy policy) {
  CrashPointOutcome outcome;
  const std::vector<Op> base = Ops("a", 1, 5);
  const std::vector<Op> ops = Ops("b", 1, 8);
  for (std::uint64_t point = 0;; ++point) {
    SCOPED_TRACE("power off after write/sync call " + std::to_string(point));
    if (point > 1000) {
      ADD_FAILURE() << "the transaction never completes";
      break;
    }
    SimVfs vfs(point);
    ExpectOk(CommitOps(*Open(vfs, mode), base));
    std::unique_ptr<SqliteStore> store = Open(vfs, mode);
    vfs.stop_after(point);
    const Status commit = CommitOps(*store, ops);
    store.reset();
    const bool completed = !vfs.stopped();
    Rng rng(point);
    vfs.crash(policy, rng);
    vfs.check_invariants();

    EXPECT_EQ(IntegrityCheck(vfs), "ok");
    Result<std::unique_ptr<SqliteStore>> reopened = TryOpen(vfs, mode);
    EXPECT_TRUE(reopened.is_ok()) << reopened.status().to_string();
    if (!reopened.is_ok()) break;
    EXPECT_EQ(CountPresent(**reopened, base), base.size());
    const std::size_t present = CountPresent(**reopened, ops);
    EXPECT_TRUE(present == 0 || present == ops.size()) << present << " of " << ops.size();
    if (commit.is_ok()) {
      EXPECT_EQ(present, ops.size()) << "an acknowledged commit was lost";
    }
    ExpectOk((*reopened)->check_invariants());
    (present == 0 ? outcome.all_absent : outcome.all_present) += 1;
    if (::testing::Test::HasFailure() || completed) break;
  }
  return outcome;
}

TEST(SimVfsCrashPoints, APowerLossAtAnyWriteOrSyncLeavesTheTransactionAllOrNothing) {
  for (const SqliteJournalMode mode : {SqliteJournalMode::kWal, SqliteJournalMode::kDelete}) {
    for (const CrashPolicy policy : {CrashPolicy::kKeepAll, CrashPolicy::kDropAll,
                                     CrashPolicy::kTearAll, CrashPolicy::kRandom}) {
      SCOPED_TRACE(std::string(mode == SqliteJournalMode::kWal ? "wal, " : "delete, ") +
                   PolicyName(policy));
      const CrashPointOutcome outcome = SweepCrashPoints(mode, policy);
      // Both sides of the commit point were reached.
      EXPECT_GT(outcome.all_absent, 0);
      EXPECT_GT(outcome.all_present, 0);
    }
  }
}

// --- determinism ---

// The image hash after a run that crashes with unsynced writes of an open transaction.
std::uint64_t CrashedImageHash(std::uint64_t seed, CrashPolicy policy) {
  SimVfs::seed_sqlite_randomness(static_cast<std::uint32_t>(seed));
  SimVfs vfs(seed);
  ConnectionSpy spy;
  std::unique_ptr<SqliteStore> store = Open(vfs);
  EXPECT_EQ(sqlite3_exec(spy.last(), "PRAGMA cache_size = 4", nullptr, nullptr, nullptr),
            SQLITE_OK);
  ExpectOk(CommitOps(*store, Ops("a", 1, 10)));
  ExpectOk(store->begin());
  ExpectOk(store->insert_ops(Ops("b", 1, 60)));
  EXPECT_GT(vfs.unsynced_operation_count(), 0u);
  Rng rng(seed);
  vfs.crash(policy, rng);
  store.reset();
  return vfs.image_hash();
}

TEST(SimVfsDeterminism, TheSameSeedGivesTheSameFileImagesAfterACrash) {
  for (const CrashPolicy policy : kAllPolicies) {
    SCOPED_TRACE(PolicyName(policy));
    EXPECT_EQ(CrashedImageHash(7, policy), CrashedImageHash(7, policy));
  }
  // The hash sees the difference the crash makes.
  EXPECT_NE(CrashedImageHash(7, CrashPolicy::kKeepAll), CrashedImageHash(7, CrashPolicy::kDropAll));
}

}  // namespace
}  // namespace treesim
