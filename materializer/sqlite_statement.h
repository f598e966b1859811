// Thin helpers over the SQLite C API for SqliteStore: result codes as Status values, parameter
// binding, one use of a prepared statement (reset afterwards), and typed column reads that never
// trust what the file holds.
//
// Error mapping (sqlite_error): SQLITE_FULL → kStorageFull; SQLITE_CORRUPT and SQLITE_NOTADB →
// kCorruption; SQLITE_IOERR*, SQLITE_CANTOPEN, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_NOMEM,
// SQLITE_READONLY, SQLITE_PERM, SQLITE_PROTOCOL, SQLITE_NOLFS → kIoError; anything else →
// kInternal. The message is sqlite3_errmsg() and the extended code: "disk I/O error (extended
// code 778)".
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/op.h"
#include "core/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace treesim {

// The Status for result code `rc` (extended codes included). Call it right after the failing
// API call: sqlite3_errmsg() describes the most recent one. `db` may be null (then the generic
// text of the code is used).
Status sqlite_error(sqlite3* db, int rc);

// Binds parameters 1, 2, ... in order; the first error sticks and is what rc() returns.
class SqliteBinder {
 public:
  explicit SqliteBinder(sqlite3_stmt* statement) : statement_(statement) {}

  int rc() const { return rc_; }

  // An empty `bytes` binds an empty blob, never NULL.
  SqliteBinder& blob(std::string_view bytes);
  // Precondition (asserted): value < 2^63, so that it fits INTEGER with its order.
  SqliteBinder& integer(std::uint64_t value);
  // In the column order of the canonical index and the undo key: lamport, replica, counter.
  SqliteBinder& key(const OpKey& key);

 private:
  sqlite3_stmt* statement_;
  int rc_ = 0;  // SQLITE_OK
  int index_ = 1;
};

// One use of a prepared statement. A cached statement is lent with the flag that marks it busy;
// when the lease ends the statement is reset, its bindings cleared and the flag lowered, so the
// next use starts clean. A one-off statement (flag null) is finalized instead.
class SqliteLease {
 public:
  SqliteLease(sqlite3_stmt* statement, std::uint8_t* busy) : statement_(statement), busy_(busy) {}
  SqliteLease(SqliteLease&& other) noexcept;
  SqliteLease& operator=(SqliteLease&&) = delete;
  SqliteLease(const SqliteLease&) = delete;
  SqliteLease& operator=(const SqliteLease&) = delete;
  ~SqliteLease();

  sqlite3_stmt* get() const { return statement_; }

  Status bind(const std::function<void(SqliteBinder&)>& bind_parameters);
  // True on a row, false when the statement is done. A constraint violation is asserted: the
  // statements of this project break one only when a caller breaks a precondition.
  Result<bool> step();

 private:
  sqlite3_stmt* statement_;
  std::uint8_t* busy_;
};

// Runs `sql` outside any statement cache, handing each row to `read`.
Status sqlite_query(sqlite3* db, const char* sql, const std::function<void(sqlite3_stmt*)>& read);

// Typed column reads; none when the column holds another type (or a negative integer).
std::optional<std::string_view> sqlite_column_blob(sqlite3_stmt* statement, int column);
std::optional<std::uint64_t> sqlite_column_unsigned(sqlite3_stmt* statement, int column);
// The text of a column ("" for NULL).
std::string sqlite_column_text(sqlite3_stmt* statement, int column);

}  // namespace treesim
