// SqliteDisk: where a SQLite benchmark keeps its databases, either a SimVfs of its own (the
// simulator's in-memory disk) or a fresh temporary directory on the real file system (SQLite's
// default OS VFS), with the few file operations the benchmarks need on both: the production
// store options for a database, removing a database, copying one, and its size.
//
// Copies go through SQLite's online backup API on the disk's own VFS, so they work the same on
// both disks and copy the pages verbatim: a copy has the source's page layout, not merely its
// contents. The temporary directory is removed, with everything in it, on destruction.
#pragma once

#include <sqlite3.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/assert.h"
#include "core/status.h"
#include "materializer/sqlite_store.h"
#include "sim/sim_vfs.h"

namespace treesim::bench {

enum class SqliteDiskKind : std::uint8_t {
  kSimVfs,  // in memory; xSync makes writes durable without touching a device
  kFile,    // a real file system: every commit of synchronous=FULL waits for fsync
};

inline const char* sqlite_disk_kind_name(SqliteDiskKind kind) {
  return kind == SqliteDiskKind::kSimVfs ? "sim_vfs" : "file";
}

class SqliteDisk {
 public:
  explicit SqliteDisk(SqliteDiskKind kind) : kind_(kind) {
    if (kind == SqliteDiskKind::kSimVfs) {
      vfs_ = std::make_unique<SimVfs>(/*seed=*/1);
      return;
    }
    std::string pattern =
        (std::filesystem::temp_directory_path() / "treesim_sqlite_bench_XXXXXX").string();
    const char* created = mkdtemp(pattern.data());
    TS_ASSERT(created != nullptr);
    directory_ = created;
  }
  // Precondition: no database of the disk is open.
  ~SqliteDisk() {
    if (kind_ == SqliteDiskKind::kFile) std::filesystem::remove_all(directory_);
  }
  SqliteDisk(const SqliteDisk&) = delete;
  SqliteDisk& operator=(const SqliteDisk&) = delete;

  SqliteDiskKind kind() const { return kind_; }

  // The path SQLite is given for the database `name` (a bare name on SimVfs, which has no
  // directories).
  std::string path(const std::string& name) const {
    return kind_ == SqliteDiskKind::kSimVfs ? name : (directory_ / name).string();
  }

  // The production configuration (WAL, synchronous=FULL) for the database `name`.
  SqliteStoreOptions store_options(const std::string& name) const {
    SqliteStoreOptions options;
    options.path = path(name);
    if (vfs_) options.vfs_name = vfs_->name();
    return options;
  }

  // Deletes the database `name` and its journal, WAL and shared-memory files, where present.
  // Precondition: the database is closed.
  Status remove(const std::string& name) const {
    sqlite3_vfs* vfs = sqlite3_vfs_find(vfs_name());
    TS_ASSERT(vfs != nullptr);
    for (const char* suffix : {"", "-journal", "-wal", "-shm"}) {
      const std::string file = path(name) + suffix;
      int exists = 0;
      int rc = vfs->xAccess(vfs, file.c_str(), SQLITE_ACCESS_EXISTS, &exists);
      if (rc == SQLITE_OK && exists != 0) rc = vfs->xDelete(vfs, file.c_str(), /*syncDir=*/0);
      if (rc != SQLITE_OK) {
        return Status::io_error("cannot delete '" + file + "': " + sqlite3_errstr(rc));
      }
    }
    return Status::ok();
  }

  // Replaces the database `target` with a page-for-page copy of `source`.
  // Precondition: neither is open.
  Status copy(const std::string& source, const std::string& target) const {
    TS_RETURN_IF_ERROR(remove(target));
    sqlite3* from = nullptr;
    sqlite3* to = nullptr;
    int rc = sqlite3_open_v2(path(source).c_str(), &from, SQLITE_OPEN_READWRITE, vfs_name());
    if (rc == SQLITE_OK) {
      rc = sqlite3_open_v2(path(target).c_str(), &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                           vfs_name());
    }
    // The source is in WAL mode (the production configuration), and so must the copy be:
    // a copy in another mode would make every store that opens it switch to WAL, which
    // invalidates the store's prepared statements (each is re-prepared on its first use).
    if (rc == SQLITE_OK)
      rc = sqlite3_exec(to, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
    std::string error;
    if (rc == SQLITE_OK) {
      sqlite3_backup* backup = sqlite3_backup_init(to, "main", from, "main");
      if (backup == nullptr) {
        error = sqlite3_errmsg(to);
      } else {
        rc = sqlite3_backup_step(backup, -1);
        const int finished = sqlite3_backup_finish(backup);
        if (rc == SQLITE_DONE) rc = finished;
        if (rc != SQLITE_OK) error = sqlite3_errstr(rc);
      }
    } else {
      error = sqlite3_errstr(rc);
    }
    sqlite3_close_v2(from);
    sqlite3_close_v2(to);
    if (!error.empty()) {
      return Status::io_error("cannot copy '" + source + "' to '" + target + "': " + error);
    }
    return Status::ok();
  }

  // The size of the database file `name` in bytes (the main file only: after a clean close
  // the WAL has been checkpointed into it and deleted). None if it does not exist.
  std::optional<std::uint64_t> size(const std::string& name) const {
    if (vfs_) {
      const std::optional<std::string> contents = vfs_->contents(path(name));
      if (!contents) return std::nullopt;
      return contents->size();
    }
    std::error_code error;
    const std::uintmax_t bytes = std::filesystem::file_size(path(name), error);
    if (error) return std::nullopt;
    return static_cast<std::uint64_t>(bytes);
  }

 private:
  // The VFS name for sqlite3_open_v2 and sqlite3_vfs_find: null selects the default OS VFS.
  const char* vfs_name() const { return vfs_ ? vfs_->name().c_str() : nullptr; }

  SqliteDiskKind kind_;
  std::unique_ptr<SimVfs> vfs_;      // kSimVfs only
  std::filesystem::path directory_;  // kFile only
};

}  // namespace treesim::bench
