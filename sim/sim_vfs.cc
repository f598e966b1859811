// SimVfs's implementation: the sqlite3_vfs and sqlite3_io_methods callbacks over in-memory
// files (see sim_vfs.h for the fault model).
//
// Ownership. Files are shared: the VFS's directory maps a name to its node, and every open
// handle holds the node too, so a file deleted while open lives on for its handles (as on
// POSIX). Each handle's state is allocated in xOpen and freed in xClose. A crash bumps the
// VFS's epoch; a handle from an older epoch is stale and touches nothing shared any more,
// which is why closing it after the crash is harmless. Shared-memory areas are held the same
// way: a crash drops them from the directory, while a stale connection may still hold the
// pointers it mapped, which stay valid until it unmaps them.
//
// File locks follow SQLite's protocol for one process (as os_unix.c does between connections
// of one process): any number of SHARED holders, at most one RESERVED, PENDING or EXCLUSIVE
// holder (the writer), and EXCLUSIVE only once the writer is the sole SHARED holder.
#include "sim/sim_vfs.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <iterator>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

#include "core/assert.h"

namespace treesim::internal {

// An unsynced write (bytes at offset) or truncate (to size `offset`).
struct SimPendingOperation {
  bool truncate = false;
  std::int64_t offset = 0;
  std::string bytes;
};

struct SimFileNode {
  std::string durable;
  std::string current;  // durable with `pending` applied
  std::vector<SimPendingOperation> pending;
  // What SimVfs::check_invariants() must look at: the byte ranges [first, end) of either image
  // that changed since its last call (merged, by first byte), or everything (`check_all`: a new
  // file, or one a crash rebuilt). Outside those ranges both images are as that call found
  // them, so comparing only inside them checks `current == durable + pending` exactly, at a
  // cost proportional to the bytes written instead of the file's size.
  std::map<std::int64_t, std::int64_t> unchecked;
  bool check_all = true;
  bool temporary = false;  // opened with DELETEONCLOSE: gone on close and on crash
  std::uint64_t shared_holders = 0;
  std::uint64_t writer = 0;  // id of the handle above SHARED; 0: none
  int writer_level = SQLITE_LOCK_NONE;
};

struct SimShm {
  std::vector<std::unique_ptr<char[]>> regions;
  int region_size = 0;
  std::uint64_t mapped_handles = 0;
  std::array<std::uint64_t, SQLITE_SHM_NLOCK> shared_holders{};
  std::array<std::uint64_t, SQLITE_SHM_NLOCK> exclusive_holder{};  // handle id; 0: none
};

struct SimHandleState {
  SimVfsState* vfs = nullptr;
  std::uint64_t id = 0;
  std::uint64_t epoch = 0;
  std::string name;
  std::shared_ptr<SimFileNode> node;
  int lock_level = SQLITE_LOCK_NONE;
  bool delete_on_close = false;
  std::shared_ptr<SimShm> shm;
  std::uint32_t shm_shared_mask = 0;
  std::uint32_t shm_exclusive_mask = 0;
};

struct SimVfsState {
  explicit SimVfsState(std::uint64_t seed) : randomness(seed) {}

  sqlite3_vfs vfs{};
  std::string name;
  Rng randomness;
  std::map<std::string, std::shared_ptr<SimFileNode>> files;
  std::map<std::string, std::shared_ptr<SimShm>> shms;  // by database file name
  std::map<std::uint64_t, SimHandleState*> handles;     // open and not stale
  std::uint64_t open_handles = 0;                       // stale ones included
  std::uint64_t epoch = 1;
  std::uint64_t next_handle_id = 1;
  std::uint64_t next_temporary_number = 1;
  SimVfsCalls calls;
  std::optional<SimVfsFault> fault;
  bool fault_paused = false;
  std::uint64_t fault_countdown = 0;
  bool fault_persistent = false;
  bool fault_firing = false;
  std::optional<std::uint64_t> stop_countdown;
  bool stopped = false;
  std::uint64_t failures = 0;
};

}  // namespace treesim::internal

namespace treesim {
namespace {

using internal::SimFileNode;
using internal::SimHandleState;
using internal::SimPendingOperation;
using internal::SimShm;
using internal::SimVfsState;

// The sqlite3_file SQLite allocates (szOsFile bytes) and we fill in xOpen.
struct SimFile {
  sqlite3_file base;  // first: SQLite's sqlite3_file* is a SimFile*
  SimHandleState* state;
};

enum class CallKind : std::uint8_t { kRead, kWrite, kSync, kLock, kTruncate };

CallKind kind_of(SimVfsFault fault) {
  switch (fault) {
    case SimVfsFault::kReadError:
      return CallKind::kRead;
    case SimVfsFault::kWriteError:
    case SimVfsFault::kDiskFull:
      return CallKind::kWrite;
    case SimVfsFault::kSyncError:
      return CallKind::kSync;
    case SimVfsFault::kLockError:
      return CallKind::kLock;
    case SimVfsFault::kTruncateError:
      return CallKind::kTruncate;
  }
  TS_UNREACHABLE();
}

int error_of(SimVfsFault fault) {
  switch (fault) {
    case SimVfsFault::kReadError:
      return SQLITE_IOERR_READ;
    case SimVfsFault::kWriteError:
      return SQLITE_IOERR_WRITE;
    case SimVfsFault::kDiskFull:
      return SQLITE_FULL;
    case SimVfsFault::kSyncError:
      return SQLITE_IOERR_FSYNC;
    case SimVfsFault::kLockError:
      return SQLITE_IOERR_LOCK;
    case SimVfsFault::kTruncateError:
      return SQLITE_IOERR_TRUNCATE;
  }
  TS_UNREACHABLE();
}

SimVfsState& vfs_state(sqlite3_vfs* vfs) { return *static_cast<SimVfsState*>(vfs->pAppData); }
SimHandleState& handle(sqlite3_file* file) { return *reinterpret_cast<SimFile*>(file)->state; }
bool is_stale(const SimHandleState& h) { return h.epoch != h.vfs->epoch; }

// fail_after(): SQLITE_OK, or the armed fault's error if this call of `kind` is the one.
int injected_fault(SimVfsState& vfs, CallKind kind) {
  if (vfs.fault_paused || !vfs.fault || kind_of(*vfs.fault) != kind) return SQLITE_OK;
  const int error = error_of(*vfs.fault);
  if (!vfs.fault_firing) {
    TS_ASSERT(vfs.fault_countdown >= 1);
    if (--vfs.fault_countdown > 0) return SQLITE_OK;
    if (vfs.fault_persistent) {
      vfs.fault_firing = true;
    } else {
      vfs.fault.reset();
    }
  }
  ++vfs.failures;
  return error;
}

// stop_after(): SQLITE_OK, or `error` once the power is off. Only writes and syncs count down.
int stopped_error(SimVfsState& vfs, int error, bool counts) {
  if (!vfs.stopped && counts && vfs.stop_countdown) {
    if (*vfs.stop_countdown == 0) {
      vfs.stopped = true;
    } else {
      --*vfs.stop_countdown;
    }
  }
  if (!vfs.stopped) return SQLITE_OK;
  ++vfs.failures;
  return error;
}

void write_bytes(std::string& image, std::int64_t offset, std::string_view bytes) {
  if (bytes.empty()) return;
  const std::size_t end = static_cast<std::size_t>(offset) + bytes.size();
  if (image.size() < end) image.resize(end, '\0');
  image.replace(static_cast<std::size_t>(offset), bytes.size(), bytes);
}

void apply_operation(std::string& image, const SimPendingOperation& operation) {
  if (operation.truncate) {
    image.resize(static_cast<std::size_t>(operation.offset), '\0');
  } else {
    write_bytes(image, operation.offset, operation.bytes);
  }
}

// Adds [first, end) to `node.unchecked`, merging it with the ranges it overlaps or touches.
void mark_unchecked(SimFileNode& node, std::int64_t first, std::int64_t end) {
  if (first >= end || node.check_all) return;
  auto it = node.unchecked.upper_bound(first);
  if (it != node.unchecked.begin() && std::prev(it)->second >= first) --it;
  while (it != node.unchecked.end() && it->first <= end) {
    first = std::min(first, it->first);
    end = std::max(end, it->second);
    it = node.unchecked.erase(it);
  }
  node.unchecked.emplace(first, end);
}

// apply_operation() on one of `node`'s images, recording the bytes it may change: a write
// changes its range and zero-fills any gap before it; a truncate changes everything between
// the old and the new size.
void apply_to_image(SimFileNode& node, std::string& image, const SimPendingOperation& operation) {
  const auto size = static_cast<std::int64_t>(image.size());
  if (operation.truncate) {
    mark_unchecked(node, std::min(size, operation.offset), std::max(size, operation.offset));
  } else {
    mark_unchecked(node, std::min(size, operation.offset),
                   operation.offset + static_cast<std::int64_t>(operation.bytes.size()));
  }
  apply_operation(image, operation);
}

// A torn write's surviving length: 0 or up to a sector boundary strictly inside the write.
std::size_t torn_length(const SimPendingOperation& write, Entropy& entropy) {
  constexpr std::int64_t kSector = SimVfs::kSectorSize;
  const std::int64_t first = (write.offset / kSector + 1) * kSector;
  const std::int64_t end = write.offset + static_cast<std::int64_t>(write.bytes.size());
  const std::uint64_t boundaries =
      first < end ? static_cast<std::uint64_t>((end - 1 - first) / kSector + 1) : 0;
  const std::uint64_t chosen = entropy.uniform_below(boundaries + 1);
  if (chosen == 0) return 0;
  return static_cast<std::size_t>(first + static_cast<std::int64_t>(chosen - 1) * kSector -
                                  write.offset);
}

// What one unsynced operation leaves on the disk after a crash.
void apply_after_crash(std::string& image, const SimPendingOperation& operation, CrashPolicy policy,
                       Entropy& entropy) {
  enum Fate { kKeep, kDrop, kTear };
  Fate fate = kKeep;
  switch (policy) {
    case CrashPolicy::kKeepAll:
      fate = kKeep;
      break;
    case CrashPolicy::kDropAll:
      fate = kDrop;
      break;
    case CrashPolicy::kTearAll:
      fate = operation.truncate ? kKeep : kTear;
      break;
    case CrashPolicy::kRandom:
      fate = operation.truncate ? (entropy.chance(1, 2) ? kKeep : kDrop)
                                : static_cast<Fate>(entropy.uniform_below(3));
      break;
  }
  if (fate == kKeep) apply_operation(image, operation);
  if (fate == kTear) {
    const std::size_t length = torn_length(operation, entropy);
    TS_ASSERT(length < operation.bytes.size());
    write_bytes(image, operation.offset, std::string_view(operation.bytes).substr(0, length));
  }
}

// --- file locks ---

int lock_file(SimHandleState& h, int level) {
  SimFileNode& node = *h.node;
  if (h.lock_level >= level) return SQLITE_OK;
  switch (level) {
    case SQLITE_LOCK_SHARED:
      TS_ASSERT(h.lock_level == SQLITE_LOCK_NONE);
      if (node.writer != 0 && node.writer_level >= SQLITE_LOCK_PENDING) return SQLITE_BUSY;
      ++node.shared_holders;
      h.lock_level = SQLITE_LOCK_SHARED;
      return SQLITE_OK;
    case SQLITE_LOCK_RESERVED:
      TS_ASSERT(h.lock_level == SQLITE_LOCK_SHARED);
      if (node.writer != 0) return SQLITE_BUSY;
      node.writer = h.id;
      node.writer_level = h.lock_level = SQLITE_LOCK_RESERVED;
      return SQLITE_OK;
    case SQLITE_LOCK_EXCLUSIVE:
      TS_ASSERT(h.lock_level >= SQLITE_LOCK_SHARED);
      if (node.writer != 0 && node.writer != h.id) return SQLITE_BUSY;
      node.writer = h.id;
      if (node.shared_holders > 1) {
        // PENDING keeps new readers out until the others leave.
        node.writer_level = h.lock_level = SQLITE_LOCK_PENDING;
        return SQLITE_BUSY;
      }
      node.writer_level = h.lock_level = SQLITE_LOCK_EXCLUSIVE;
      return SQLITE_OK;
    default:
      TS_UNREACHABLE();  // SQLite never asks for PENDING itself
  }
}

void unlock_file(SimHandleState& h, int level) {
  TS_ASSERT(level == SQLITE_LOCK_NONE || level == SQLITE_LOCK_SHARED);
  SimFileNode& node = *h.node;
  if (h.lock_level <= level) return;
  if (h.lock_level > SQLITE_LOCK_SHARED) {
    TS_ASSERT(node.writer == h.id);
    node.writer = 0;
    node.writer_level = SQLITE_LOCK_NONE;
  }
  if (level == SQLITE_LOCK_NONE) {
    TS_ASSERT(node.shared_holders >= 1);
    --node.shared_holders;
  }
  h.lock_level = level;
}

// --- shared memory ---

void release_shm_locks(SimHandleState& h, std::uint32_t mask) {
  SimShm& shm = *h.shm;
  for (int slot = 0; slot < SQLITE_SHM_NLOCK; ++slot) {
    const std::uint32_t bit = 1u << slot;
    if ((mask & bit) == 0) continue;
    if ((h.shm_shared_mask & bit) != 0) --shm.shared_holders[slot];
    if ((h.shm_exclusive_mask & bit) != 0) shm.exclusive_holder[slot] = 0;
  }
  h.shm_shared_mask &= ~mask;
  h.shm_exclusive_mask &= ~mask;
}

void unmap_shm(SimHandleState& h) {
  if (!h.shm) return;
  if (!is_stale(h)) {
    release_shm_locks(h, (1u << SQLITE_SHM_NLOCK) - 1);
    TS_ASSERT(h.shm->mapped_handles >= 1);
    // When the last connection leaves, the area goes (as os_unix.c truncates the -shm file
    // when the next connection finds nobody else attached).
    if (--h.shm->mapped_handles == 0) h.vfs->shms.erase(h.name);
  }
  h.shm.reset();
  h.shm_shared_mask = h.shm_exclusive_mask = 0;
}

// --- sqlite3_io_methods ---

int sim_close(sqlite3_file* file) {
  SimHandleState* h = &handle(file);
  SimVfsState& vfs = *h->vfs;
  if (!is_stale(*h)) {
    unmap_shm(*h);
    unlock_file(*h, SQLITE_LOCK_NONE);
    vfs.handles.erase(h->id);
    const auto it = vfs.files.find(h->name);
    if (h->delete_on_close && it != vfs.files.end() && it->second == h->node) vfs.files.erase(it);
  }
  TS_ASSERT(vfs.open_handles >= 1);
  --vfs.open_handles;
  delete h;
  file->pMethods = nullptr;
  return SQLITE_OK;
}

int sim_read(sqlite3_file* file, void* buffer, int amount, sqlite3_int64 offset) {
  SimHandleState& h = handle(file);
  SimVfsState& vfs = *h.vfs;
  ++vfs.calls.reads;
  if (is_stale(h)) return SQLITE_IOERR_READ;
  if (const int rc = injected_fault(vfs, CallKind::kRead); rc != SQLITE_OK) return rc;
  TS_ASSERT(amount >= 0 && offset >= 0);
  const std::string& image = h.node->current;
  const std::size_t start = std::min(image.size(), static_cast<std::size_t>(offset));
  const std::size_t available = std::min(image.size() - start, static_cast<std::size_t>(amount));
  std::memcpy(buffer, image.data() + start, available);
  if (available == static_cast<std::size_t>(amount)) return SQLITE_OK;
  // SQLite requires the rest of a short read to be zeroed.
  std::memset(static_cast<char*>(buffer) + available, 0, amount - available);
  return SQLITE_IOERR_SHORT_READ;
}

int sim_write(sqlite3_file* file, const void* buffer, int amount, sqlite3_int64 offset) {
  SimHandleState& h = handle(file);
  SimVfsState& vfs = *h.vfs;
  ++vfs.calls.writes;
  if (is_stale(h)) return SQLITE_IOERR_WRITE;
  if (const int rc = stopped_error(vfs, SQLITE_IOERR_WRITE, true); rc != SQLITE_OK) return rc;
  if (const int rc = injected_fault(vfs, CallKind::kWrite); rc != SQLITE_OK) return rc;
  TS_ASSERT(amount >= 0 && offset >= 0);
  if (amount == 0) return SQLITE_OK;
  SimPendingOperation write{false, offset, std::string(static_cast<const char*>(buffer), amount)};
  apply_to_image(*h.node, h.node->current, write);
  h.node->pending.push_back(std::move(write));
  return SQLITE_OK;
}

int sim_truncate(sqlite3_file* file, sqlite3_int64 size) {
  SimHandleState& h = handle(file);
  SimVfsState& vfs = *h.vfs;
  ++vfs.calls.truncates;
  if (is_stale(h)) return SQLITE_IOERR_TRUNCATE;
  if (const int rc = stopped_error(vfs, SQLITE_IOERR_TRUNCATE, false); rc != SQLITE_OK) return rc;
  if (const int rc = injected_fault(vfs, CallKind::kTruncate); rc != SQLITE_OK) return rc;
  TS_ASSERT(size >= 0);
  SimPendingOperation truncate{true, size, {}};
  apply_to_image(*h.node, h.node->current, truncate);
  h.node->pending.push_back(std::move(truncate));
  return SQLITE_OK;
}

int sim_sync(sqlite3_file* file, int /*flags*/) {
  SimHandleState& h = handle(file);
  SimVfsState& vfs = *h.vfs;
  ++vfs.calls.syncs;
  if (is_stale(h)) return SQLITE_IOERR_FSYNC;
  if (const int rc = stopped_error(vfs, SQLITE_IOERR_FSYNC, true); rc != SQLITE_OK) return rc;
  if (const int rc = injected_fault(vfs, CallKind::kSync); rc != SQLITE_OK) return rc;
  // `current` is `durable` with the pending operations applied; applying them to `durable`
  // makes the two equal at a cost proportional to the unsynced bytes. Copying `current` whole
  // cost the file's size per sync: most of a simulation's time on a WAL of a few megabytes.
  for (const SimPendingOperation& operation : h.node->pending) {
    apply_to_image(*h.node, h.node->durable, operation);
  }
  h.node->pending.clear();
  TS_ASSERT(h.node->durable.size() == h.node->current.size());
  return SQLITE_OK;
}

int sim_file_size(sqlite3_file* file, sqlite3_int64* size) {
  SimHandleState& h = handle(file);
  if (is_stale(h)) return SQLITE_IOERR_FSTAT;
  *size = static_cast<sqlite3_int64>(h.node->current.size());
  return SQLITE_OK;
}

int sim_lock(sqlite3_file* file, int level) {
  SimHandleState& h = handle(file);
  SimVfsState& vfs = *h.vfs;
  ++vfs.calls.locks;
  if (is_stale(h)) return SQLITE_IOERR_LOCK;
  if (const int rc = injected_fault(vfs, CallKind::kLock); rc != SQLITE_OK) return rc;
  return lock_file(h, level);
}

int sim_unlock(sqlite3_file* file, int level) {
  SimHandleState& h = handle(file);
  if (!is_stale(h)) unlock_file(h, level);
  return SQLITE_OK;
}

int sim_check_reserved_lock(sqlite3_file* file, int* reserved) {
  SimHandleState& h = handle(file);
  if (is_stale(h)) return SQLITE_IOERR_CHECKRESERVEDLOCK;
  *reserved = h.node->writer != 0 ? 1 : 0;
  return SQLITE_OK;
}

int sim_file_control(sqlite3_file*, int, void*) { return SQLITE_NOTFOUND; }
int sim_sector_size(sqlite3_file*) { return SimVfs::kSectorSize; }
// None: no atomic writes, no safe append, no power-safe overwrite (see the fault model).
int sim_device_characteristics(sqlite3_file*) { return 0; }

int sim_shm_map(sqlite3_file* file, int region, int region_size, int extend, void volatile** out) {
  SimHandleState& h = handle(file);
  *out = nullptr;
  if (is_stale(h)) return SQLITE_IOERR_SHMMAP;
  TS_ASSERT(region >= 0 && region_size > 0);
  if (!h.shm) {
    std::shared_ptr<SimShm>& shm = h.vfs->shms[h.name];
    if (!shm) shm = std::make_shared<SimShm>();
    h.shm = shm;
    ++shm->mapped_handles;
  }
  SimShm& shm = *h.shm;
  if (shm.region_size == 0) shm.region_size = region_size;
  TS_ASSERT(shm.region_size == region_size);
  if (static_cast<std::size_t>(region) >= shm.regions.size()) {
    if (!extend) return SQLITE_OK;
    while (shm.regions.size() <= static_cast<std::size_t>(region)) {
      shm.regions.push_back(std::make_unique<char[]>(region_size));  // zeroed
    }
  }
  *out = shm.regions[region].get();
  return SQLITE_OK;
}

int sim_shm_lock(sqlite3_file* file, int offset, int count, int flags) {
  SimHandleState& h = handle(file);
  const bool unlock = (flags & SQLITE_SHM_UNLOCK) != 0;
  if (!unlock) ++h.vfs->calls.locks;
  if (is_stale(h)) return unlock ? SQLITE_OK : SQLITE_IOERR_SHMLOCK;
  if (!unlock && injected_fault(*h.vfs, CallKind::kLock) != SQLITE_OK) {
    return SQLITE_IOERR_SHMLOCK;
  }
  TS_ASSERT(offset >= 0 && count >= 1 && offset + count <= SQLITE_SHM_NLOCK);
  if (!h.shm) return SQLITE_IOERR_SHMLOCK;  // SQLite maps before it locks
  SimShm& shm = *h.shm;
  const std::uint32_t mask = ((1u << count) - 1) << offset;
  if (unlock) {
    release_shm_locks(h, mask);
    return SQLITE_OK;
  }
  if ((flags & SQLITE_SHM_SHARED) != 0) {
    TS_ASSERT(count == 1);
    if ((h.shm_shared_mask & mask) != 0) return SQLITE_OK;
    const std::uint64_t holder = shm.exclusive_holder[offset];
    if (holder != 0 && holder != h.id) return SQLITE_BUSY;
    ++shm.shared_holders[offset];
    h.shm_shared_mask |= mask;
    return SQLITE_OK;
  }
  for (int slot = offset; slot < offset + count; ++slot) {
    const std::uint64_t own_shared = (h.shm_shared_mask >> slot) & 1u;
    const std::uint64_t holder = shm.exclusive_holder[slot];
    if ((holder != 0 && holder != h.id) || shm.shared_holders[slot] > own_shared) {
      return SQLITE_BUSY;
    }
  }
  for (int slot = offset; slot < offset + count; ++slot) shm.exclusive_holder[slot] = h.id;
  h.shm_exclusive_mask |= mask;
  return SQLITE_OK;
}

// One thread: every access is already ordered.
void sim_shm_barrier(sqlite3_file*) {}

int sim_shm_unmap(sqlite3_file* file, int /*delete_flag*/) {
  unmap_shm(handle(file));
  return SQLITE_OK;
}

const sqlite3_io_methods kSimIoMethods = {
    2,  // up to the shared-memory methods; no xFetch, so no memory-mapped reads
    sim_close,
    sim_read,
    sim_write,
    sim_truncate,
    sim_sync,
    sim_file_size,
    sim_lock,
    sim_unlock,
    sim_check_reserved_lock,
    sim_file_control,
    sim_sector_size,
    sim_device_characteristics,
    sim_shm_map,
    sim_shm_lock,
    sim_shm_barrier,
    sim_shm_unmap,
    nullptr,
    nullptr,
};

// --- sqlite3_vfs methods ---

int sim_open(sqlite3_vfs* sqlite_vfs, sqlite3_filename name, sqlite3_file* file, int flags,
             int* out_flags) {
  SimVfsState& vfs = vfs_state(sqlite_vfs);
  file->pMethods = nullptr;  // SQLite calls xClose only if this is set
  std::string path;
  if (name != nullptr) {
    path = name;
  } else {
    do {
      path = "treesim-temporary-" + std::to_string(vfs.next_temporary_number++);
    } while (vfs.files.contains(path));
  }
  std::shared_ptr<SimFileNode>& node = vfs.files[path];
  if (!node) {
    if ((flags & SQLITE_OPEN_CREATE) == 0) {
      vfs.files.erase(path);
      return SQLITE_CANTOPEN;
    }
    node = std::make_shared<SimFileNode>();
    node->temporary = (flags & SQLITE_OPEN_DELETEONCLOSE) != 0;
  } else if ((flags & SQLITE_OPEN_EXCLUSIVE) != 0) {
    return SQLITE_CANTOPEN;
  }
  auto* h = new SimHandleState;
  h->vfs = &vfs;
  h->id = vfs.next_handle_id++;
  h->epoch = vfs.epoch;
  h->name = path;
  h->node = node;
  h->delete_on_close = (flags & SQLITE_OPEN_DELETEONCLOSE) != 0;
  vfs.handles.emplace(h->id, h);
  ++vfs.open_handles;
  reinterpret_cast<SimFile*>(file)->state = h;
  file->pMethods = &kSimIoMethods;
  if (out_flags != nullptr) *out_flags = flags;
  return SQLITE_OK;
}

int sim_delete(sqlite3_vfs* sqlite_vfs, const char* name, int /*sync_directory*/) {
  SimVfsState& vfs = vfs_state(sqlite_vfs);
  if (const int rc = stopped_error(vfs, SQLITE_IOERR_DELETE, false); rc != SQLITE_OK) return rc;
  return vfs.files.erase(name) == 1 ? SQLITE_OK : SQLITE_IOERR_DELETE_NOENT;
}

// Like os_unix.c, an empty file does not "exist" (SQLite relies on that for journals).
int sim_access(sqlite3_vfs* sqlite_vfs, const char* name, int flags, int* result) {
  SimVfsState& vfs = vfs_state(sqlite_vfs);
  const auto it = vfs.files.find(name);
  const bool exists = it != vfs.files.end();
  *result = exists && (flags != SQLITE_ACCESS_EXISTS || !it->second->current.empty()) ? 1 : 0;
  return SQLITE_OK;
}

int sim_full_pathname(sqlite3_vfs*, const char* name, int size, char* out) {
  const std::size_t length = std::strlen(name);
  if (length + 1 > static_cast<std::size_t>(size)) return SQLITE_CANTOPEN;
  std::memcpy(out, name, length + 1);
  return SQLITE_OK;
}

void* sim_dl_open(sqlite3_vfs*, const char*) { return nullptr; }
void sim_dl_error(sqlite3_vfs*, int size, char* message) {
  sqlite3_snprintf(size, message, "SimVfs does not load extensions");
}
void (*sim_dl_sym(sqlite3_vfs*, void*, const char*))(void) { return nullptr; }
void sim_dl_close(sqlite3_vfs*, void*) {}

int sim_randomness(sqlite3_vfs* sqlite_vfs, int size, char* out) {
  Rng& rng = vfs_state(sqlite_vfs).randomness;
  for (int index = 0; index < size; ++index) out[index] = static_cast<char>(rng.next() & 0xFF);
  return size;
}

// Simulated time does not pass while SQLite waits.
int sim_sleep(sqlite3_vfs*, int microseconds) { return microseconds; }

int sim_current_time(sqlite3_vfs*, double* julian_day) {
  *julian_day = static_cast<double>(SimVfs::kJulianDayMilliseconds) / 86400000.0;
  return SQLITE_OK;
}

int sim_current_time_int64(sqlite3_vfs*, sqlite3_int64* milliseconds) {
  *milliseconds = SimVfs::kJulianDayMilliseconds;
  return SQLITE_OK;
}

int sim_get_last_error(sqlite3_vfs*, int, char*) { return 0; }

std::atomic<std::uint64_t> next_vfs_number{1};

// Appends a field to a hash: its length (8 bytes) and its bytes, so fields cannot run together.
void hash_field(std::uint64_t& hash, std::string_view bytes) {
  std::uint64_t length = bytes.size();
  char prefix[8];
  for (char& byte : prefix) {
    byte = static_cast<char>(length & 0xFF);
    length >>= 8;
  }
  hash = fnv1a64(std::string_view(prefix, sizeof prefix), hash);
  hash = fnv1a64(bytes, hash);
}

}  // namespace

SimVfs::SimVfs(std::uint64_t seed) : state_(std::make_unique<SimVfsState>(seed)) {
  SimVfsState& s = *state_;
  s.name = "treesim-sim-" + std::to_string(next_vfs_number.fetch_add(1));
  s.vfs.iVersion = 2;
  s.vfs.szOsFile = static_cast<int>(sizeof(SimFile));
  s.vfs.mxPathname = 512;
  s.vfs.zName = s.name.c_str();
  s.vfs.pAppData = &s;
  s.vfs.xOpen = sim_open;
  s.vfs.xDelete = sim_delete;
  s.vfs.xAccess = sim_access;
  s.vfs.xFullPathname = sim_full_pathname;
  s.vfs.xDlOpen = sim_dl_open;
  s.vfs.xDlError = sim_dl_error;
  s.vfs.xDlSym = sim_dl_sym;
  s.vfs.xDlClose = sim_dl_close;
  s.vfs.xRandomness = sim_randomness;
  s.vfs.xSleep = sim_sleep;
  s.vfs.xCurrentTime = sim_current_time;
  s.vfs.xGetLastError = sim_get_last_error;
  s.vfs.xCurrentTimeInt64 = sim_current_time_int64;
  const int rc = sqlite3_vfs_register(&s.vfs, /*makeDflt=*/0);
  TS_ASSERT(rc == SQLITE_OK);
}

SimVfs::~SimVfs() {
  // A connection still open would call into freed state.
  TS_ASSERT(state_->open_handles == 0);
  sqlite3_vfs_unregister(&state_->vfs);
}

const std::string& SimVfs::name() const { return state_->name; }

void SimVfs::crash(CrashPolicy policy, Entropy& entropy) {
  SimVfsState& s = *state_;
  ++s.epoch;  // every open handle is stale from now on
  s.handles.clear();
  s.shms.clear();
  for (auto it = s.files.begin(); it != s.files.end();) {
    SimFileNode& node = *it->second;
    if (node.temporary) {
      it = s.files.erase(it);
      continue;
    }
    for (const SimPendingOperation& operation : node.pending) {
      apply_after_crash(node.durable, operation, policy, entropy);
    }
    node.pending.clear();
    node.current = node.durable;
    node.check_all = true;
    node.unchecked.clear();
    node.shared_holders = 0;
    node.writer = 0;
    node.writer_level = SQLITE_LOCK_NONE;
    ++it;
  }
  clear();
}

void SimVfs::fail_after(std::uint64_t n, SimVfsFault fault, bool persistent) {
  TS_ASSERT(n >= 1);
  SimVfsState& s = *state_;
  s.fault = fault;
  s.fault_countdown = n;
  s.fault_persistent = persistent;
  s.fault_firing = false;
}

void SimVfs::stop_after(std::uint64_t n) {
  state_->stop_countdown = n;
  state_->stopped = false;
}

void SimVfs::clear() {
  SimVfsState& s = *state_;
  s.fault.reset();
  s.fault_firing = false;
  s.stop_countdown.reset();
  s.stopped = false;
}

void SimVfs::set_paused(bool paused) { state_->fault_paused = paused; }

bool SimVfs::stopped() const { return state_->stopped; }
std::uint64_t SimVfs::failures() const { return state_->failures; }
const SimVfsCalls& SimVfs::calls() const { return state_->calls; }

std::vector<std::string> SimVfs::file_names() const {
  std::vector<std::string> names;
  for (const auto& [name, node] : state_->files) names.push_back(name);
  return names;
}

std::optional<std::string> SimVfs::contents(const std::string& name) const {
  const auto it = state_->files.find(name);
  if (it == state_->files.end()) return std::nullopt;
  return it->second->current;
}

void SimVfs::flip_byte_for_testing(const std::string& name, std::int64_t offset, bool durable) {
  const auto it = state_->files.find(name);
  TS_ASSERT(it != state_->files.end());
  std::string& image = durable ? it->second->durable : it->second->current;
  TS_ASSERT(offset >= 0 && static_cast<std::size_t>(offset) < image.size());
  image[static_cast<std::size_t>(offset)] = static_cast<char>(~image[static_cast<std::size_t>(offset)]);
}

std::optional<std::string> SimVfs::durable_contents(const std::string& name) const {
  const auto it = state_->files.find(name);
  if (it == state_->files.end()) return std::nullopt;
  return it->second->durable;
}

std::uint64_t SimVfs::unsynced_operation_count() const {
  std::uint64_t count = 0;
  for (const auto& [name, node] : state_->files) count += node->pending.size();
  return count;
}

std::uint64_t SimVfs::open_file_count() const { return state_->handles.size(); }

std::uint64_t SimVfs::image_hash() const {
  std::uint64_t hash = fnv1a64("treesim-sim-vfs-image");
  for (const auto& [name, node] : state_->files) {
    hash_field(hash, name);
    hash_field(hash, node->durable);
    for (const SimPendingOperation& operation : node->pending) {
      hash_field(hash, operation.truncate ? "truncate" : "write");
      hash_field(hash, std::to_string(operation.offset));
      hash_field(hash, operation.bytes);
    }
  }
  return hash;
}

namespace {

// Asserts `current == durable + pending` inside `node.unchecked`, and that the sizes agree.
// Outside those ranges it held at the previous check and neither image changed since: a write
// or truncate marks what it changes in `current`, a sync what it changes in `durable`, and
// every operation pending at the previous check is either still pending (so `durable` has not
// changed at all) or was synced since (so its ranges are marked). So this checks the whole
// files, reading only the bytes written since the previous check.
void check_replay_where_unchecked(const SimFileNode& node) {
  std::vector<std::pair<std::int64_t, std::int64_t>> ranges(node.unchecked.begin(),
                                                            node.unchecked.end());
  // The replayed bytes of each range, starting from `durable` (zero past its end: a position
  // past the end is only inside the final image if an operation zero-filled or wrote it).
  std::vector<std::string> replayed;
  replayed.reserve(ranges.size());
  const auto durable_size = static_cast<std::int64_t>(node.durable.size());
  for (const auto& [first, end] : ranges) {
    std::string bytes(static_cast<std::size_t>(end - first), '\0');
    if (first < durable_size) {
      std::memcpy(bytes.data(), node.durable.data() + first,
                  static_cast<std::size_t>(std::min(end, durable_size) - first));
    }
    replayed.push_back(std::move(bytes));
  }
  // Calls `fill(range index, from, to)` for each range's part inside [from, to). The ranges are
  // disjoint and sorted, so their ends are sorted too.
  auto for_each_overlap = [&](std::int64_t from, std::int64_t to, const auto& fill) {
    auto it = std::upper_bound(ranges.begin(), ranges.end(), from,
                               [](std::int64_t at, const auto& range) { return at < range.second; });
    for (; it != ranges.end() && it->first < to; ++it) {
      fill(static_cast<std::size_t>(it - ranges.begin()), std::max(from, it->first),
           std::min(to, it->second));
    }
  };
  auto zero_fill = [&](std::size_t index, std::int64_t from, std::int64_t to) {
    std::memset(replayed[index].data() + (from - ranges[index].first), 0,
                static_cast<std::size_t>(to - from));
  };
  std::int64_t size = durable_size;
  for (const SimPendingOperation& operation : node.pending) {
    if (operation.truncate) {
      if (operation.offset > size) for_each_overlap(size, operation.offset, zero_fill);
      size = operation.offset;
      continue;
    }
    const std::int64_t end = operation.offset + static_cast<std::int64_t>(operation.bytes.size());
    if (operation.offset > size) for_each_overlap(size, operation.offset, zero_fill);
    for_each_overlap(operation.offset, end, [&](std::size_t index, std::int64_t from,
                                                std::int64_t to) {
      std::memcpy(replayed[index].data() + (from - ranges[index].first),
                  operation.bytes.data() + (from - operation.offset),
                  static_cast<std::size_t>(to - from));
    });
    size = std::max(size, end);
  }
  TS_ASSERT(size == static_cast<std::int64_t>(node.current.size()));
  for (std::size_t index = 0; index < ranges.size(); ++index) {
    const auto [first, end] = ranges[index];
    if (first >= size) break;
    TS_ASSERT(std::memcmp(replayed[index].data(), node.current.data() + first,
                          static_cast<std::size_t>(std::min(end, size) - first)) == 0);
  }
}

}  // namespace

void SimVfs::check_invariants() const {
  const SimVfsState& s = *state_;
  TS_ASSERT(s.handles.size() <= s.open_handles);
  for (const auto& [name, node] : s.files) {
    // `current` must be `durable` with the pending operations applied.
    if (node->check_all) {
      // A scratch image that keeps its capacity: a fresh copy of a file of a few megabytes per
      // check cost more in page faults than the comparison itself.
      static thread_local std::string replayed;
      replayed.assign(node->durable);
      for (const SimPendingOperation& operation : node->pending) {
        apply_operation(replayed, operation);
      }
      TS_ASSERT(replayed == node->current);
    } else {
      check_replay_where_unchecked(*node);
    }
    // This call is the baseline the next one compares against (see SimFileNode::unchecked).
    node->unchecked.clear();
    node->check_all = false;
    // Recount the file's locks from its open handles.
    std::uint64_t shared_holders = 0;
    std::uint64_t writers = 0;
    for (const auto& [id, h] : s.handles) {
      TS_ASSERT(h->epoch == s.epoch);
      if (h->node != node) continue;
      if (h->lock_level >= SQLITE_LOCK_SHARED) ++shared_holders;
      if (h->lock_level > SQLITE_LOCK_SHARED) {
        ++writers;
        TS_ASSERT(node->writer == id);
        TS_ASSERT(node->writer_level == h->lock_level);
      }
    }
    TS_ASSERT(shared_holders == node->shared_holders);
    TS_ASSERT(writers <= 1);
    TS_ASSERT((writers == 1) == (node->writer != 0));
  }
  for (const auto& [name, shm] : s.shms) {
    std::uint64_t mapped = 0;
    std::array<std::uint64_t, SQLITE_SHM_NLOCK> shared_holders{};
    std::array<std::uint64_t, SQLITE_SHM_NLOCK> exclusive_holder{};
    for (const auto& [id, h] : s.handles) {
      if (h->shm != shm) continue;
      TS_ASSERT(h->name == name);
      ++mapped;
      for (int slot = 0; slot < SQLITE_SHM_NLOCK; ++slot) {
        if (((h->shm_shared_mask >> slot) & 1u) != 0) ++shared_holders[slot];
        if (((h->shm_exclusive_mask >> slot) & 1u) != 0) {
          TS_ASSERT(exclusive_holder[slot] == 0);
          exclusive_holder[slot] = id;
        }
      }
    }
    TS_ASSERT(mapped == shm->mapped_handles);
    TS_ASSERT(mapped >= 1);
    TS_ASSERT(shared_holders == shm->shared_holders);
    TS_ASSERT(exclusive_holder == shm->exclusive_holder);
  }
  for (const auto& [id, h] : s.handles) {
    if (!h->shm) continue;
    const auto it = s.shms.find(h->name);
    TS_ASSERT(it != s.shms.end());
    TS_ASSERT(it->second == h->shm);
  }
}

void SimVfs::seed_sqlite_randomness(std::uint32_t seed) {
  const int value = static_cast<int>(seed == 0 ? 1 : seed);
  sqlite3_test_control(SQLITE_TESTCTRL_PRNG_SEED, value, static_cast<sqlite3*>(nullptr));
}

}  // namespace treesim
