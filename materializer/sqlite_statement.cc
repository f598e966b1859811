#include "materializer/sqlite_statement.h"

#include <sqlite3.h>

#include <limits>
#include <utility>

#include "core/assert.h"

namespace treesim {
namespace {

StatusCode code_for(int rc) {
  switch (rc & 0xFF) {
    case SQLITE_FULL:
      return StatusCode::kStorageFull;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return StatusCode::kCorruption;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_NOMEM:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_PROTOCOL:
    case SQLITE_NOLFS:
      return StatusCode::kIoError;
    default:
      return StatusCode::kInternal;
  }
}

}  // namespace

Status sqlite_error(sqlite3* db, int rc) {
  TS_ASSERT(rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE);
  const char* message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return Status(code_for(rc), std::string(message) + " (extended code " + std::to_string(rc) + ")");
}

// ---- binding --------------------------------------------------------------------------------

SqliteBinder& SqliteBinder::blob(std::string_view bytes) {
  if (rc_ != SQLITE_OK) return *this;
  // A null pointer would bind NULL (and an empty string_view's data() may be null).
  rc_ = bytes.empty()
            ? sqlite3_bind_zeroblob(statement_, index_, 0)
            : sqlite3_bind_blob64(statement_, index_, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  ++index_;
  return *this;
}

SqliteBinder& SqliteBinder::integer(std::uint64_t value) {
  TS_ASSERT(value <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
  if (rc_ != SQLITE_OK) return *this;
  rc_ = sqlite3_bind_int64(statement_, index_, static_cast<sqlite3_int64>(value));
  ++index_;
  return *this;
}

SqliteBinder& SqliteBinder::key(const OpKey& key) {
  return integer(key.lamport).blob(key.replica.bytes()).integer(key.counter);
}

// ---- leases ---------------------------------------------------------------------------------

SqliteLease::SqliteLease(SqliteLease&& other) noexcept
    : statement_(std::exchange(other.statement_, nullptr)), busy_(other.busy_) {}

SqliteLease::~SqliteLease() {
  if (statement_ == nullptr) return;
  if (busy_ == nullptr) {
    sqlite3_finalize(statement_);
    return;
  }
  // reset() repeats the last step's error, which its caller has already seen.
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
  *busy_ = 0;
}

Status SqliteLease::bind(const std::function<void(SqliteBinder&)>& bind_parameters) {
  SqliteBinder binder(statement_);
  bind_parameters(binder);
  if (binder.rc() == SQLITE_OK) return Status::ok();
  return sqlite_error(sqlite3_db_handle(statement_), binder.rc());
}

Result<bool> SqliteLease::step() {
  const int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  TS_ASSERT((rc & 0xFF) != SQLITE_CONSTRAINT);
  return sqlite_error(sqlite3_db_handle(statement_), rc);
}

// ---- one-off queries and columns ------------------------------------------------------------

Status sqlite_query(sqlite3* db, const char* sql, const std::function<void(sqlite3_stmt*)>& read) {
  sqlite3_stmt* statement = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &statement, nullptr);
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) read(statement);
  }
  const Status status = rc == SQLITE_DONE ? Status::ok() : sqlite_error(db, rc);
  sqlite3_finalize(statement);
  return status;
}

std::optional<std::string_view> sqlite_column_blob(sqlite3_stmt* statement, int column) {
  if (sqlite3_column_type(statement, column) != SQLITE_BLOB) return std::nullopt;
  const void* data = sqlite3_column_blob(statement, column);
  const int size = sqlite3_column_bytes(statement, column);
  if (size == 0) return std::string_view();
  if (data == nullptr) return std::nullopt;  // out of memory
  return std::string_view(static_cast<const char*>(data), static_cast<std::size_t>(size));
}

std::optional<std::uint64_t> sqlite_column_unsigned(sqlite3_stmt* statement, int column) {
  if (sqlite3_column_type(statement, column) != SQLITE_INTEGER) return std::nullopt;
  const sqlite3_int64 value = sqlite3_column_int64(statement, column);
  if (value < 0) return std::nullopt;
  return static_cast<std::uint64_t>(value);
}

std::string sqlite_column_text(sqlite3_stmt* statement, int column) {
  const unsigned char* text = sqlite3_column_text(statement, column);
  return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text));
}

}  // namespace treesim
