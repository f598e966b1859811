// SqliteStore: the Store on real SQLite (libsqlite3), one database per document (ARCHITECTURE.md).
//
// Schema (version 1, PRAGMA user_version = 1, PRAGMA application_id = 0x54534442 "TSDB"):
//   ops(replica BLOB, counter INTEGER, lamport INTEGER, op BLOB, PRIMARY KEY(replica, counter))
//     with index ops_canonical(lamport, replica, counter); `op` is a binary batch of one op
//     (core/binary_codec.h)
//   nodes(node BLOB PRIMARY KEY, row BLOB)          node = 16-byte big-endian NodeId
//   payloads(node BLOB PRIMARY KEY, row BLOB)
//   undo(lamport INTEGER, replica BLOB, counter INTEGER, record BLOB,
//        PRIMARY KEY(lamport, replica, counter))
//   meta(id INTEGER PRIMARY KEY CHECK (id = 1), meta BLOB)    exactly one row
// All tables are STRICT (SQLite enforces the column types; needs SQLite 3.37 or newer) and
// WITHOUT ROWID. Rows, records and meta are blobs of materializer/row_codec.h.
// SQLite orders BLOBs by memcmp, then length, which is exactly ReplicaId's order and NodeId's
// numeric order; counters and lamports are below 2^63, so they fit INTEGER with their order.
// Every scan is an ORDER BY over a primary key or the canonical index.
//
// Opening. A fresh database (user_version 0 and no schema objects at all) gets the schema in one
// transaction. An existing one must carry our application_id and user_version 1 and hold every
// table, its statements must prepare and its meta row must decode; anything else is an error
// that names the file: "not a SQLite database", "not a treesim database: ..." (kInvalidArgument)
// or "schema version N; this build supports 1" (kUnsupported). Every check is a read, done before
// the journal mode is set, and a failed open closes without a checkpoint, so a failed open writes
// nothing to the database file.
//
// Transactions. begin() is BEGIN IMMEDIATE (the write lock is taken up front, so a busy database
// fails at begin, not in the middle), commit() is COMMIT, rollback() is ROLLBACK. Inside, a
// write call that runs several statements (insert_ops of more than one op, clear_rows) runs in
// its own SAVEPOINT and releases it on success; on failure it is rolled back to and released
// (ROLLBACK TO + RELEASE). A call that is one statement (a row put or erase, a range erase, the
// meta write, insert_ops of one op) needs no savepoint: SQLite undoes a failed statement's own
// changes whenever it keeps the transaction (the default ABORT resolution, with a statement
// journal where a statement writes several rows). Either way a failed call leaves no partial
// writes and the transaction holds what it held before the call. (A savepoint around every row
// write made each one three statements.)
//
// What SQLite does on errors, and how this class keeps the Store contract anyway:
// - After some errors (SQLITE_IOERR*, SQLITE_FULL outside a statement journal, SQLITE_NOMEM,
//   SQLITE_BUSY in some places) SQLite rolls back the whole transaction by itself. Our statements
//   write one row each, so they run without a statement journal, and in practice every I/O
//   error and every SQLITE_FULL ends the transaction (sqlite_store_fault_test.cc's sweep counts
//   it); SQLite keeps it after other errors (SQLITE_BUSY at COMMIT, SQLITE_TOOBIG, a meta row
//   found missing), and then the failed call's savepoint undoes the call alone. Every failed
//   call checks sqlite3_get_autocommit(); if the transaction is gone, the store marks it aborted:
//   in_transaction() stays true (the caller still owes a rollback()), every call but rollback()
//   fails with kFailedPrecondition, and rollback() has nothing left to undo. Without this, the
//   caller's next writes would run in autocommit mode and be committed one by one.
// - A failed COMMIT: SQLite rolls the transaction back itself unless the error is SQLITE_BUSY
//   (then the transaction stays open). Either way commit() returns the error with the
//   transaction still open as store.h requires; rollback() then undoes it, or finds it undone.
//   A COMMIT that failed in its final sync may nevertheless be durable (its WAL frames can be
//   intact): a failed commit means "not known to be durable", never "known to be absent".
// - rollback() issues ROLLBACK unless SQLite already rolled back. If ROLLBACK reports an error
//   or leaves the connection inside a transaction, the store becomes unusable: every later call
//   fails (kIoError, naming the first failure). Reopening the file recovers: SQLite's journal
//   or WAL makes the transaction atomic on disk. (SQLite's ROLLBACK does not report I/O errors:
//   it puts the pager into an error state, and the next read replays the journal first, so a
//   half-rolled-back state is never read. It reports an interrupt, for one.)
// - A failed ROLLBACK TO inside a call falls back to a full ROLLBACK (the transaction is then
//   aborted as above); if that fails too, the store becomes unusable.
//
// Errors map to codes as materializer/sqlite_statement.h says (SQLITE_FULL → kStorageFull,
// SQLITE_CORRUPT → kCorruption, I/O and lock errors → kIoError, others → kInternal). Messages
// read "sqlite store '<path>': <operation>: <sqlite3_errmsg> (extended code N)". A blob that does
// not decode is kCorruption naming the table and key ("table nodes, node 0x7: byte 3: ...").
//
// Statements are prepared once (SQLITE_PREPARE_PERSISTENT) and reset after every use. Scans may
// be nested (a visit callback may read, even with the same scan): a statement that is busy in an
// outer scan is not reset under it; the nested use gets a one-off statement instead.
//
// Programmer errors (asserted): begin() inside a transaction; commit(), rollback() or a write
// outside one; a write, begin, commit or rollback from inside a scan's visit callback; inserting
// an op whose id is stored already or that fails validate_op(); a key above 2^63 - 1.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/node_id.h"
#include "core/op.h"
#include "core/replica_id.h"
#include "core/status.h"
#include "materializer/store.h"
#include "materializer/undo_record.h"

struct sqlite3;
struct sqlite3_stmt;

namespace treesim::internal {
// The statements SqliteStore prepares once (defined in sqlite_store.cc).
enum SqliteStatement : std::uint8_t;
}  // namespace treesim::internal

namespace treesim {

class SqliteBinder;
class SqliteLease;

inline constexpr std::int64_t kSqliteSchemaVersion = 1;
inline constexpr std::int64_t kSqliteApplicationId = 0x54534442;  // "TSDB"

// PRAGMA synchronous. FULL makes an acknowledged commit durable; the others are for experiments.
enum class SqliteSynchronous : std::uint8_t { kOff = 0, kNormal = 1, kFull = 2 };
// PRAGMA journal_mode. WAL needs a VFS with shared memory (xShmMap); DELETE works on any VFS.
enum class SqliteJournalMode : std::uint8_t { kWal, kDelete };

struct SqliteStoreOptions {
  // A file path (OS VFS) or a name the VFS understands. Must not be empty (SQLite would open a
  // private temporary database).
  std::string path;
  // A registered SQLite VFS (the simulator's SimVfs); empty = SQLite's default OS VFS.
  std::string vfs_name;
  SqliteSynchronous synchronous = SqliteSynchronous::kFull;
  SqliteJournalMode journal_mode = SqliteJournalMode::kWal;
  // SQLite's page cache (PRAGMA cache_size = -KiB). SQLite's default, 2 MB, is outgrown by a
  // document of some ten thousand ops (its ops, rows and undo records); past that, row writes
  // read their B-tree pages back from the OS (a fifth of a 100k-op append's time was the
  // kernel's). The materializer keeps the whole tree in memory already, so a cache that holds
  // the rows of a large document costs proportionally little; SQLite allocates it only as
  // pages are used.
  std::int64_t cache_kib = 64 * 1024;
};

class SqliteStore final : public Store {
 public:
  // Opens or creates the database (see "Opening" above). The store owns the connection.
  static Result<std::unique_ptr<SqliteStore>> open(const SqliteStoreOptions& options);

  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;
  // Closes the connection; an open transaction is rolled back by SQLite.
  ~SqliteStore() override;

  // --- transactions ---
  Status begin() override;
  Status commit() override;
  void rollback() override;
  bool in_transaction() const override { return in_transaction_; }

  // --- op log ---
  Result<std::optional<Op>> find_op(const OpId& id) override;
  // Precondition: in a transaction; every op passes validate_op(), and no id is stored already
  // or repeats within `ops`.
  Status insert_ops(const std::vector<Op>& ops) override;
  Result<std::uint64_t> op_count() override;
  Status scan_ops(const std::optional<OpKey>& from,
                  const std::function<bool(const Op&)>& visit) override;
  Result<std::uint64_t> max_lamport() override;
  Result<std::uint64_t> max_counter(const ReplicaId& replica) override;

  // --- materialized rows --- (writes replace; erasing an absent row succeeds)
  Status put_node(NodeRow row) override;
  Status erase_node(NodeId node) override;
  Status put_payload(PayloadRow row) override;
  Status erase_payload(NodeId node) override;
  Status clear_rows() override;
  Status scan_nodes(const std::function<void(const NodeRow&)>& visit) override;
  Status scan_payloads(const std::function<void(const PayloadRow&)>& visit) override;

  // --- undo records ---
  Status put_undo(UndoRecord record) override;
  Status erase_undo_from(const OpKey& from) override;
  Status erase_undo_before(const OpKey& before) override;
  Status scan_undo_reverse(const OpKey& from,
                           const std::function<bool(const UndoRecord&)>& visit) override;
  Result<std::uint64_t> undo_count() override;

  // --- metadata ---
  Result<StoreMeta> read_meta() override;
  Status write_meta(const StoreMeta& meta) override;

  // --- for tests and the simulator's checkers ---
  const std::string& path() const { return options_.path; }
  // Whether a failed rollback has made the store unusable.
  bool is_unusable() const { return !unusable_.is_ok(); }
  // Asserts the transaction bookkeeping against the connection (inside a usable, not aborted
  // transaction SQLite is in one; outside, it is not; no statement is mid-use outside a scan),
  // then walks the log in O(n): every op blob decodes to the op its key columns name. Returns
  // the I/O or corruption error that stopped the walk, if any.
  Status check_invariants();

 private:
  using StatementId = internal::SqliteStatement;

  explicit SqliteStore(SqliteStoreOptions options);

  // Opening, in order (see "Opening" above).
  Status open_connection();
  Status open_schema();
  Status validate_existing_schema(std::int64_t version, std::int64_t application_id,
                                  const std::vector<std::string>& objects);
  Status set_pragmas();
  Status create_schema();
  Status prepare_statements();
  // read_meta() without the call bookkeeping (opening reads the row before the store is live).
  Result<StoreMeta> read_meta_row();

  // A cached statement, or a one-off copy when the cached one is busy in an outer scan.
  Result<SqliteLease> lease(StatementId id);
  // Binds and steps a statement that returns no rows; `operation` prefixes an error.
  Status run(StatementId id, std::string_view operation,
             const std::function<void(SqliteBinder&)>& bind = {});
  // The same, with the prefix built only on error: a row write names its row ("node 0x7"), and
  // formatting that for every write, as good as all of which succeed, is wasted work.
  Status run(StatementId id, const std::function<std::string()>& describe,
             const std::function<void(SqliteBinder&)>& bind = {});

  // Runs one public call: refuses it while unusable or aborted, prefixes an error with the
  // store's path and `operation`, and notes a transaction that SQLite ended (after_failure).
  template <typename Body>
  auto call(std::string_view operation, Body body);
  Status check_usable() const;
  Status after_failure(Status status);
  // A call that writes (see "Transactions" above): `body` runs inside its own savepoint, unless
  // it is a single statement, which SQLite makes atomic by itself.
  enum class Statements : std::uint8_t { kOne, kSeveral };
  Status write_call(std::string_view operation, const std::function<Status()>& body,
                    Statements statements = Statements::kSeveral);
  // Undoes a failed write call's partial writes; if that fails, the whole transaction.
  void undo_call();
  // ROLLBACK; if it fails, the store becomes unusable.
  void rollback_transaction(std::string_view operation);
  bool connection_in_transaction() const;

  SqliteStoreOptions options_;
  sqlite3* db_ = nullptr;
  std::vector<sqlite3_stmt*> statements_;     // indexed by StatementId
  std::vector<std::uint8_t> statement_busy_;  // 1 while a lease holds the cached statement

  bool in_transaction_ = false;
  // Non-ok while in a transaction that SQLite has rolled back by itself: the error that did it.
  Status aborted_;
  // Non-ok once a rollback has failed: every later call returns it.
  Status unusable_;
  int scan_depth_ = 0;
};

}  // namespace treesim
