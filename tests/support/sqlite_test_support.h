// Helpers for tests of SqliteStore: a temporary directory that removes itself, files read and
// written byte for byte, SQL run on a separate raw connection (to corrupt or inspect a database
// behind the store's back), and a spy that hands out the connection a store has opened (to
// query its PRAGMAs and prepared statements).
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/assert.h"

namespace treesim {

// A fresh directory under testing::TempDir(), removed with everything in it on destruction.
class TempDirectory {
 public:
  TempDirectory() {
    std::string pattern = ::testing::TempDir() + "treesim_sqlite_XXXXXX";
    const char* created = mkdtemp(pattern.data());
    TS_ASSERT(created != nullptr);
    path_ = created;
  }
  ~TempDirectory() { std::filesystem::remove_all(path_); }
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

  // The names of the files in the directory, sorted.
  std::vector<std::string> list() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path_)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::string path_;
};

inline std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void WriteFileBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Runs `sql` on a connection of its own to the database at `path` (default VFS; created if
// missing), then closes it. A failure is a test failure.
inline void RawExecute(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  char* error = nullptr;
  if (rc == SQLITE_OK) rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << (error != nullptr ? error : sqlite3_errmsg(db));
  sqlite3_free(error);
  sqlite3_close_v2(db);
}

// The first column of the first row of `sql` as text ("" if there is no row).
inline std::string QueryText(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* statement = nullptr;
  std::string text;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr);
  if (rc == SQLITE_OK && (rc = sqlite3_step(statement)) == SQLITE_ROW) {
    const unsigned char* value = sqlite3_column_text(statement, 0);
    if (value != nullptr) text = reinterpret_cast<const char*>(value);
  }
  EXPECT_TRUE(rc == SQLITE_ROW || rc == SQLITE_DONE) << sql << ": " << sqlite3_errmsg(db);
  sqlite3_finalize(statement);
  return text;
}

// PRAGMA integrity_check of the database at `path` (on the VFS named `vfs`, or the default
// one), on a raw connection of its own: "ok" when intact. A store may have the database open.
inline std::string IntegrityCheck(const std::string& path, const char* vfs = nullptr) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, vfs);
  std::string result = rc == SQLITE_OK ? QueryText(db, "PRAGMA integrity_check")
                                       : std::string("cannot open: ") + sqlite3_errstr(rc);
  sqlite3_close_v2(db);
  return result;
}

// While alive, remembers the last connection any code in the process opened (through
// sqlite3_auto_extension, which SQLite calls for every new connection). Open a store, then ask
// for last(): that is the store's connection. Not thread-safe; tests are single-threaded.
class ConnectionSpy {
 public:
  ConnectionSpy() {
    last_ = nullptr;
    // SQLite documents the entry point as void(*)(void) and calls it with its real signature.
    sqlite3_auto_extension(reinterpret_cast<void (*)()>(&ConnectionSpy::on_open));
  }
  ~ConnectionSpy() {
    sqlite3_cancel_auto_extension(reinterpret_cast<void (*)()>(&ConnectionSpy::on_open));
    last_ = nullptr;
  }
  ConnectionSpy(const ConnectionSpy&) = delete;
  ConnectionSpy& operator=(const ConnectionSpy&) = delete;

  sqlite3* last() const { return last_; }

 private:
  static int on_open(sqlite3* db, const char** /*error*/, const sqlite3_api_routines* /*api*/) {
    last_ = db;
    return SQLITE_OK;
  }
  static inline sqlite3* last_ = nullptr;
};

}  // namespace treesim
