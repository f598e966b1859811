// SimVfs: the simulator's SQLite VFS, an in-memory disk that loses power on demand.
//
// Each SimVfs registers its own sqlite3_vfs under a unique name ("treesim-sim-<n>", see name();
// SqliteStoreOptions::vfs_name takes it) and unregisters it in its destructor. Files live in
// memory, keyed by the exact name SQLite passes (no directories; xFullPathname is the identity),
// so they survive closing and reopening a store: the SimVfs object is the disk. Every file has a
// durable image and a list of unsynced operations (writes and truncates, in call order); reads
// see the durable image with the unsynced operations applied in order, and xSync of a file makes
// its operations durable. File creation and deletion are durable at once (the directory is
// always synced). Everything is deterministic: no wall clock, no OS randomness, no threads.
//
// Fault model. SQLite claims to survive exactly these faults with journal_mode=WAL or DELETE and
// synchronous=FULL; the simulator's durability checker verifies that the store does:
// - crash(policy, entropy): power loss. Each unsynced write of every file is kept whole, dropped,
//   or torn, by `policy`; a torn write keeps a prefix of itself that ends at a sector boundary
//   (kSectorSize bytes; a write within one sector is therefore kept whole or dropped: sectors
//   are written atomically and in order). An unsynced truncate is kept or dropped (kTearAll
//   keeps it). Synced data is never touched, and bytes outside a write never change, which is
//   stronger than the device characteristics we report (none: no atomic or power-safe
//   overwrite, no safe append), so SQLite takes its most careful paths. Shared memory (-shm) is
//   volatile and is lost; temporary files (opened with DELETEONCLOSE) vanish; all locks are
//   released. crash() also disarms fail_after() and stop_after(): the power comes back.
// - fail_after(n, fault, persistent): the n-th call of the fault's kind from now returns an
//   I/O error (SQLITE_IOERR_READ, _WRITE, _FSYNC, _LOCK, _TRUNCATE) or SQLITE_FULL, and does
//   nothing else; with `persistent`, so does every later call of that kind until clear().
//   The kinds count exactly these methods, on every file: read = xRead, write = xWrite,
//   sync = xSync, lock = xLock and the lock requests of xShmLock (a failed one returns
//   SQLITE_IOERR_SHMLOCK; never xUnlock, xCheckReservedLock or xShmLock's unlocks: in WAL mode
//   a connection holds its SHARED file lock from open to close, and the shared-memory locks
//   are the ones every transaction takes), truncate = xTruncate. One fault is armed at a time;
//   arming replaces it. Not every fault reaches a caller: SQLite absorbs some (a failed
//   automatic checkpoint after COMMIT, for one, where the database file is truncated).
// - stop_after(n): power loss at a chosen point. The first n xWrite/xSync calls from now
//   succeed; every later one fails (SQLITE_IOERR_WRITE, SQLITE_IOERR_FSYNC) and so does every
//   xTruncate (SQLITE_IOERR_TRUNCATE) and xDelete (SQLITE_IOERR_DELETE): nothing reaches the
//   disk any more. Reads and locks still work. The test then crashes the disk.
//
// Crash order. Both orders are supported; they model different events:
// - crash() while a store is open is a power loss: every handle the VFS has handed out becomes
//   stale. Its I/O fails (SQLITE_IOERR_*), and unlocking, unmapping and closing it are harmless
//   no-ops, so the caller destroys the store afterwards (its close writes nothing) and reopens.
//   Between the crash and its destruction the old store is only good for being destroyed.
// - destroying the store first is a clean close (SQLite checkpoints the WAL on close), and then
//   crash() affects only what the close left unsynced. With stop_after() the close is cut short
//   like the rest: "stop_after(i), run, destroy the store, crash()" loses power after call i.
//
// SQLite's own pseudo-random generator is process-wide and seeded from the default VFS, not
// from this one: it picks WAL salts and journal nonces, which are part of the file bytes. A run
// that must reproduce file images byte for byte calls seed_sqlite_randomness() first (it
// affects every connection in the process, on any VFS).
//
// Not modelled: multiple processes (locks and shared memory are in-process, shared by the
// connections of this VFS), memory-mapped I/O (xFetch is absent, so SQLite reads through
// xRead), file names with directories, and the loss of a file's creation or deletion.
// Not thread-safe: one simulation thread owns a SimVfs.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/entropy.h"

namespace treesim {

namespace internal {
struct SimVfsState;
}  // namespace internal

// What crash() does with each unsynced write.
enum class CrashPolicy : std::uint8_t {
  kKeepAll,  // as if every write had reached the disk
  kDropAll,  // as if no write had reached the disk
  kTearAll,  // every write keeps a random sector-aligned proper prefix (possibly empty)
  kRandom,   // each write independently kept, dropped or torn, equally likely
};

// The fault fail_after() injects, and the call kind it counts.
enum class SimVfsFault : std::uint8_t {
  kReadError,      // xRead returns SQLITE_IOERR_READ
  kWriteError,     // xWrite returns SQLITE_IOERR_WRITE
  kDiskFull,       // xWrite returns SQLITE_FULL
  kSyncError,      // xSync returns SQLITE_IOERR_FSYNC
  kLockError,      // xLock returns SQLITE_IOERR_LOCK, xShmLock SQLITE_IOERR_SHMLOCK
  kTruncateError,  // xTruncate returns SQLITE_IOERR_TRUNCATE
};

// Calls made through this VFS so far (failed ones included; never reset).
struct SimVfsCalls {
  std::uint64_t reads = 0;      // xRead
  std::uint64_t writes = 0;     // xWrite
  std::uint64_t syncs = 0;      // xSync
  std::uint64_t locks = 0;      // xLock and xShmLock's lock requests
  std::uint64_t truncates = 0;  // xTruncate
};

class SimVfs {
 public:
  // The sector size every file reports (xSectorSize) and the granularity of torn writes.
  static constexpr int kSectorSize = 512;
  // The simulated time xCurrentTime reports, fixed: 2024-01-01 00:00:00 UTC (Julian day
  // 2460310.5) in milliseconds since the Julian epoch, SQLite's unit.
  static constexpr std::int64_t kJulianDayMilliseconds = 212570827200000;

  // Registers the VFS. `seed` drives xRandomness (which SQLite calls only when this VFS is the
  // default one; see seed_sqlite_randomness()).
  explicit SimVfs(std::uint64_t seed);
  // Unregisters the VFS. Precondition: no file is open (every connection on it is closed).
  ~SimVfs();
  SimVfs(const SimVfs&) = delete;
  SimVfs& operator=(const SimVfs&) = delete;

  // The registered name, unique in the process, to pass to SQLite.
  const std::string& name() const;

  // --- faults (see the fault model above) ---
  // Power loss: unsynced writes are kept, dropped or torn by `policy`, drawing from `entropy`
  // (kRandom and kTearAll draw; kKeepAll and kDropAll do not). Files are visited in name order
  // and their writes in call order, so the same entropy gives the same images.
  void crash(CrashPolicy policy, Entropy& entropy);
  void crash(Entropy& entropy) { crash(CrashPolicy::kRandom, entropy); }
  // Requires n >= 1.
  void fail_after(std::uint64_t n, SimVfsFault fault, bool persistent = false);
  // n = 0 stops before the very next write or sync.
  void stop_after(std::uint64_t n);
  // Disarms fail_after() and stop_after().
  void clear();
  // While paused, calls neither count toward nor trigger fail_after(): a checker reads the
  // database without consuming (or firing) a fault meant for the system under test.
  void set_paused(bool paused);
  // Whether stop_after() has refused a call since it was armed.
  bool stopped() const;
  // How many calls fail_after() and stop_after() have failed so far.
  std::uint64_t failures() const;
  const SimVfsCalls& calls() const;

  // --- inspection (for tests and checkers) ---
  // The names of the files that exist, sorted.
  std::vector<std::string> file_names() const;
  // What a read sees: the durable image with the unsynced operations applied; none if absent.
  std::optional<std::string> contents(const std::string& name) const;
  // What survives a crash that drops every unsynced write.
  std::optional<std::string> durable_contents(const std::string& name) const;
  // Unsynced writes and truncates over all files.
  std::uint64_t unsynced_operation_count() const;
  // Handles open now (stale handles of a crash not counted).
  std::uint64_t open_file_count() const;
  // A 64-bit hash of every file's name, durable image and unsynced operations, in name order.
  std::uint64_t image_hash() const;
  // Asserts that every file's contents equal its durable image with its unsynced operations
  // applied, and that the lock bookkeeping of every file and shared-memory area agrees with
  // the open handles. Each call compares only the bytes changed since the previous call (the
  // rest was compared then and has not changed): O(total bytes) the first time and after a
  // crash, O(bytes written) after that. Called after every step, so a long simulation's disks
  // are not read whole at each step.
  void check_invariants() const;
  // Flips every bit of one byte of a file's current or durable image without recording it as
  // a write: an inconsistency for tests of check_invariants() to find. Precondition: the file
  // exists and the byte is inside that image.
  void flip_byte_for_testing(const std::string& name, std::int64_t offset, bool durable);

  // Makes SQLite's process-wide pseudo-random generator restart from `seed` (through
  // SQLITE_TESTCTRL_PRNG_SEED; 0 is mapped to 1, since 0 means "ask the default VFS").
  static void seed_sqlite_randomness(std::uint32_t seed);

 private:
  std::unique_ptr<internal::SimVfsState> state_;
};

}  // namespace treesim
