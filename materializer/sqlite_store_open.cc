// SqliteStore's opening: connecting, recognizing the database (empty, ours, or not ours) with
// reads only, and creating the schema (see "Opening" in sqlite_store.h).
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/assert.h"
#include "core/hex.h"
#include "materializer/mutants.h"
#include "materializer/row_codec.h"
#include "materializer/sqlite_statement.h"
#include "materializer/sqlite_store.h"

namespace treesim {
namespace {

// STRICT makes SQLite enforce the column types, so a blob column never holds text.
constexpr const char* kCreateSchemaSql =
    "CREATE TABLE ops(replica BLOB NOT NULL, counter INTEGER NOT NULL, lamport INTEGER NOT NULL, "
    "op BLOB NOT NULL, PRIMARY KEY (replica, counter)) STRICT, WITHOUT ROWID;"
    "CREATE INDEX ops_canonical ON ops(lamport, replica, counter);"
    "CREATE TABLE nodes(node BLOB NOT NULL PRIMARY KEY, row BLOB NOT NULL) STRICT, WITHOUT ROWID;"
    "CREATE TABLE payloads(node BLOB NOT NULL PRIMARY KEY, row BLOB NOT NULL) STRICT, "
    "WITHOUT ROWID;"
    "CREATE TABLE undo(lamport INTEGER NOT NULL, replica BLOB NOT NULL, counter INTEGER NOT NULL, "
    "record BLOB NOT NULL, PRIMARY KEY (lamport, replica, counter)) STRICT, WITHOUT ROWID;"
    "CREATE TABLE meta(id INTEGER PRIMARY KEY CHECK (id = 1), meta BLOB NOT NULL) STRICT;";

constexpr std::array<const char*, 5> kTables = {"meta", "nodes", "ops", "payloads", "undo"};

const char* synchronous_name(SqliteSynchronous synchronous) {
  switch (synchronous) {
    case SqliteSynchronous::kOff:
      return "OFF";
    case SqliteSynchronous::kNormal:
      return "NORMAL";
    case SqliteSynchronous::kFull:
      return "FULL";
  }
  TS_UNREACHABLE();
}

const char* journal_mode_name(SqliteJournalMode mode) {
  switch (mode) {
    case SqliteJournalMode::kWal:
      return "wal";
    case SqliteJournalMode::kDelete:
      return "delete";
  }
  TS_UNREACHABLE();
}

Status not_a_treesim_database(const std::string& problem) {
  return Status::invalid_argument("not a treesim database: " + problem);
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const SqliteStoreOptions& options) {
  if (options.path.empty()) {
    return Status::invalid_argument("sqlite store: the database path is empty");
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(options));
  Status status = store->open_connection();
  if (status.is_ok()) status = store->open_schema();
  if (!status.is_ok()) {
    // The destructor closes without a checkpoint (still configured so), so nothing is written.
    return status.with_context("sqlite store '" + options.path + "'");
  }
  // From now on, closing checkpoints the WAL as usual.
  sqlite3_db_config(store->db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, nullptr);
  return store;
}

Status SqliteStore::open_connection() {
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_EXRESCODE;
  const char* vfs = options_.vfs_name.empty() ? nullptr : options_.vfs_name.c_str();
  if (vfs != nullptr && sqlite3_vfs_find(vfs) == nullptr) {
    return Status::invalid_argument("no SQLite VFS named '" + options_.vfs_name +
                                    "' is registered");
  }
  const int rc = sqlite3_open_v2(options_.path.c_str(), &db_, flags, vfs);
  if (rc != SQLITE_OK) return sqlite_error(db_, rc).with_context("cannot open the database");
  // Until opening has succeeded, closing must not checkpoint: a failed open writes nothing.
  sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  // The database may be foreign until validated: no schema-borne code, no schema writes.
  sqlite3_db_config(db_, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db_, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  return Status::ok();
}

Status SqliteStore::open_schema() {
  // Reads only, until the database is known to be empty or ours.
  std::int64_t version = 0;
  const Status status = sqlite_query(db_, "PRAGMA user_version", [&](sqlite3_stmt* row) {
    version = sqlite3_column_int64(row, 0);
  });
  if (!status.is_ok() && (sqlite3_extended_errcode(db_) & 0xFF) == SQLITE_NOTADB) {
    return Status::invalid_argument("the file is not a SQLite database (" + status.message() + ")");
  }
  TS_RETURN_IF_ERROR(status.with_context("reading PRAGMA user_version"));
  std::int64_t application_id = 0;
  TS_RETURN_IF_ERROR(sqlite_query(db_, "PRAGMA application_id", [&](sqlite3_stmt* row) {
                       application_id = sqlite3_column_int64(row, 0);
                     }).with_context("reading PRAGMA application_id"));
  std::vector<std::string> objects;
  TS_RETURN_IF_ERROR(
      sqlite_query(db_, "SELECT name FROM sqlite_schema ORDER BY name", [&](sqlite3_stmt* row) {
        objects.push_back(sqlite_column_text(row, 0));
      }).with_context("reading the schema"));

  const bool fresh = version == 0 && application_id == 0 && objects.empty();
  if (!fresh) {
    TS_RETURN_IF_ERROR(validate_existing_schema(version, application_id, objects));
    TS_RETURN_IF_ERROR(prepare_statements());
    // The meta row exists and decodes.
    const Result<StoreMeta> meta = read_meta_row();
    if (!meta.is_ok()) return meta.status();
  }
  // The first writes, now that the database is empty or ours.
  TS_RETURN_IF_ERROR(set_pragmas());
  if (fresh) {
    TS_RETURN_IF_ERROR(create_schema());
    TS_RETURN_IF_ERROR(prepare_statements());
  }
  return Status::ok();
}

Status SqliteStore::validate_existing_schema(std::int64_t version, std::int64_t application_id,
                                             const std::vector<std::string>& objects) {
  if (version == 0 && application_id == 0) {
    std::string names;
    for (std::size_t index = 0; index < objects.size() && index < 3; ++index) {
      names += (index == 0 ? "'" : ", '") + objects[index] + "'";
    }
    if (objects.size() > 3) names += ", ...";
    return not_a_treesim_database("user_version is 0 but it holds another schema (" + names + ")");
  }
  if (application_id != kSqliteApplicationId) {
    return not_a_treesim_database("application_id is " + std::to_string(application_id) +
                                  "; treesim databases have " +
                                  std::to_string(kSqliteApplicationId));
  }
  if (version != kSqliteSchemaVersion) {
    return Status::unsupported("database has schema version " + std::to_string(version) +
                               "; this build supports " + std::to_string(kSqliteSchemaVersion));
  }
  for (const char* table : kTables) {
    if (!std::binary_search(objects.begin(), objects.end(), std::string(table))) {
      return not_a_treesim_database(std::string("table '") + table + "' missing");
    }
  }
  return Status::ok();
}

Status SqliteStore::set_pragmas() {
  const std::string wanted = journal_mode_name(options_.journal_mode);
  std::string mode;
  TS_RETURN_IF_ERROR(
      sqlite_query(db_, ("PRAGMA journal_mode = " + wanted).c_str(), [&](sqlite3_stmt* row) {
        mode = sqlite_column_text(row, 0);
      }).with_context("setting journal_mode"));
  std::transform(mode.begin(), mode.end(), mode.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (mode != wanted) {
    // SQLite keeps the old mode when it cannot switch, e.g. to WAL on a VFS without xShmMap.
    return Status::unsupported("cannot set journal_mode " + wanted + ": it stays '" + mode + "'");
  }
  SqliteSynchronous level = options_.synchronous;
  if (mutant_active(Mutant::kAckBeforeSync)) {
    // Planted bug (ack-before-sync): a commit returns before its writes are synced.
    level = SqliteSynchronous::kOff;
  }
  const std::string synchronous =
      std::string("PRAGMA synchronous = ") + synchronous_name(level);
  TS_RETURN_IF_ERROR(sqlite_query(db_, synchronous.c_str(), [](sqlite3_stmt*) {
                     }).with_context("setting synchronous"));
  TS_ASSERT(options_.cache_kib > 0);
  const std::string cache_size = "PRAGMA cache_size = -" + std::to_string(options_.cache_kib);
  TS_RETURN_IF_ERROR(sqlite_query(db_, cache_size.c_str(), [](sqlite3_stmt*) {
                     }).with_context("setting cache_size"));
  return Status::ok();
}

Status SqliteStore::create_schema() {
  // One transaction: if it fails, the database stays empty.
  const std::string sql =
      std::string("BEGIN IMMEDIATE;") + kCreateSchemaSql +
      "INSERT INTO meta(id, meta) VALUES (1, X'" + to_hex(encode_store_meta(StoreMeta{})) +
      "');PRAGMA application_id = " + std::to_string(kSqliteApplicationId) +
      ";PRAGMA user_version = " + std::to_string(kSqliteSchemaVersion) + ";COMMIT;";
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK) return Status::ok();
  const Status status = sqlite_error(db_, rc).with_context("creating the schema");
  // Closing the connection, which follows, would roll back too; this says it explicitly.
  if (connection_in_transaction()) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  return status;
}

}  // namespace treesim
