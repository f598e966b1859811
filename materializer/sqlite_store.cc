#include "materializer/sqlite_store.h"

#include <sqlite3.h>

#include <array>
#include <string>
#include <type_traits>
#include <utility>

#include "core/assert.h"
#include "core/binary_codec.h"
#include "core/hex.h"
#include "materializer/mutants.h"
#include "materializer/row_codec.h"
#include "materializer/sqlite_statement.h"

namespace treesim::internal {

// Every statement the store runs after opening, prepared once. The order of `kStatementSql`
// follows this enum.
enum SqliteStatement : std::uint8_t {
  kBegin,
  kCommit,
  kRollback,
  kSavepoint,
  kRelease,
  kRollbackToSavepoint,
  kFindOp,
  kInsertOp,
  kCountOps,
  kScanOpsAll,
  kScanOpsFrom,
  kMaxLamport,
  kMaxCounter,
  kPutNode,
  kEraseNode,
  kPutPayload,
  kErasePayload,
  kClearNodes,
  kClearPayloads,
  kScanNodes,
  kScanPayloads,
  kPutUndo,
  kEraseUndoFrom,
  kEraseUndoBefore,
  kScanUndoReverse,
  kCountUndo,
  kReadMeta,
  kWriteMeta,
  kStatementCount,
};

}  // namespace treesim::internal

namespace treesim {
namespace {

using internal::SqliteStatement;

// Ops and undo records select their key columns in the order (replica, counter, lamport); the
// readers below rely on it.
constexpr std::array<const char*, SqliteStatement::kStatementCount> kStatementSql = {
    "BEGIN IMMEDIATE",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT store_call",
    "RELEASE store_call",
    "ROLLBACK TO store_call",
    "SELECT replica, counter, lamport, op FROM ops WHERE replica = ?1 AND counter = ?2",
    "INSERT INTO ops(replica, counter, lamport, op) VALUES (?1, ?2, ?3, ?4)",
    "SELECT count(*) FROM ops",
    "SELECT replica, counter, lamport, op FROM ops ORDER BY lamport, replica, counter",
    "SELECT replica, counter, lamport, op FROM ops WHERE (lamport, replica, counter) >= (?1, ?2, "
    "?3) ORDER BY lamport, replica, counter",
    "SELECT max(lamport) FROM ops",
    "SELECT max(counter) FROM ops WHERE replica = ?1",
    "INSERT INTO nodes(node, row) VALUES (?1, ?2) ON CONFLICT(node) DO UPDATE SET row = "
    "excluded.row",
    "DELETE FROM nodes WHERE node = ?1",
    "INSERT INTO payloads(node, row) VALUES (?1, ?2) ON CONFLICT(node) DO UPDATE SET row = "
    "excluded.row",
    "DELETE FROM payloads WHERE node = ?1",
    "DELETE FROM nodes",
    "DELETE FROM payloads",
    "SELECT node, row FROM nodes ORDER BY node",
    "SELECT node, row FROM payloads ORDER BY node",
    "INSERT INTO undo(lamport, replica, counter, record) VALUES (?1, ?2, ?3, ?4) ON "
    "CONFLICT(lamport, replica, counter) DO UPDATE SET record = excluded.record",
    "DELETE FROM undo WHERE (lamport, replica, counter) >= (?1, ?2, ?3)",
    "DELETE FROM undo WHERE (lamport, replica, counter) < (?1, ?2, ?3)",
    "SELECT replica, counter, lamport, record FROM undo WHERE (lamport, replica, counter) >= (?1, "
    "?2, ?3) ORDER BY lamport DESC, replica DESC, counter DESC",
    "SELECT count(*) FROM undo",
    "SELECT meta FROM meta WHERE id = 1",
    "UPDATE meta SET meta = ?1 WHERE id = 1",
};

// ---- reading rows ---------------------------------------------------------------------------

// The key columns (replica, counter, lamport) at columns 0-2 of an ops or undo row.
Result<OpKey> read_key(sqlite3_stmt* statement, const char* table) {
  const std::optional<std::string_view> replica = sqlite_column_blob(statement, 0);
  const std::optional<std::uint64_t> counter = sqlite_column_unsigned(statement, 1);
  const std::optional<std::uint64_t> lamport = sqlite_column_unsigned(statement, 2);
  if (!replica || replica->size() > ReplicaId::kMaxBytes || !counter || !lamport) {
    return Status::corruption(std::string("table ") + table +
                              ": a row's key columns are not (replica blob of 0..64 bytes, "
                              "counter >= 0, lamport >= 0)");
  }
  OpKey key;
  key.lamport = *lamport;
  if (!replica->empty()) key.replica = *ReplicaId::from_bytes(*replica);
  key.counter = *counter;
  return key;
}

Result<NodeId> read_node_key(sqlite3_stmt* statement, const char* table) {
  const std::optional<std::string_view> bytes = sqlite_column_blob(statement, 0);
  const std::optional<NodeId> node = bytes ? NodeId::from_bytes(*bytes) : std::nullopt;
  if (!node) {
    return Status::corruption(std::string("table ") + table +
                              ": a row's key column 'node' is not a 16-byte blob");
  }
  return *node;
}

// The blob column of a row, decoded; errors name the table and the key: "table nodes, node
// 0x7: byte 3: field 'order_key': ...". `where()` makes that name, only for an error: every
// row a scan reads passes through here, and formatting its key cost more than decoding it.
template <typename Row, typename Where, typename Decode>
Result<Row> decode_blob_column(sqlite3_stmt* statement, int column, const Where& where,
                               Decode decode) {
  const std::optional<std::string_view> blob = sqlite_column_blob(statement, column);
  if (!blob) return Status::corruption(where() + ": the row's blob column is not a blob");
  Result<Row> row = decode(*blob);
  if (!row.is_ok()) return Status::corruption(where() + ": " + row.status().message());
  return row;
}

Result<Op> read_op_row(sqlite3_stmt* statement) {
  TS_ASSIGN_OR_RETURN(const OpKey key, read_key(statement, "ops"));
  auto where = [&] { return "table ops, op " + key.to_display(); };
  TS_ASSIGN_OR_RETURN(std::vector<Op> ops,
                      decode_blob_column<std::vector<Op>>(statement, 3, where, decode_batch));
  if (ops.size() != 1) {
    return Status::corruption(where() + ": the blob holds " + std::to_string(ops.size()) +
                              " ops, expected 1");
  }
  if (!(ops.front().key() == key)) {
    return Status::corruption(where() + ": the blob holds op " + ops.front().key().to_display());
  }
  return std::move(ops.front());
}

Result<NodeRow> read_node_row(sqlite3_stmt* statement) {
  TS_ASSIGN_OR_RETURN(const NodeId node, read_node_key(statement, "nodes"));
  return decode_blob_column<NodeRow>(
      statement, 1, [&] { return "table nodes, node " + node.to_display(); },
      [&](std::string_view blob) { return decode_node_row(node, blob); });
}

Result<PayloadRow> read_payload_row(sqlite3_stmt* statement) {
  TS_ASSIGN_OR_RETURN(const NodeId node, read_node_key(statement, "payloads"));
  return decode_blob_column<PayloadRow>(
      statement, 1, [&] { return "table payloads, node " + node.to_display(); },
      [&](std::string_view blob) { return decode_payload_row(node, blob); });
}

Result<UndoRecord> read_undo_row(sqlite3_stmt* statement) {
  TS_ASSIGN_OR_RETURN(const OpKey key, read_key(statement, "undo"));
  return decode_blob_column<UndoRecord>(
      statement, 3, [&] { return "table undo, key " + key.to_display(); },
      [&](std::string_view blob) { return decode_undo_record(key, blob); });
}

// The single integer of an aggregate row: NULL (the max of an empty table) reads as 0.
Result<std::uint64_t> read_aggregate(sqlite3_stmt* statement, const char* what) {
  if (sqlite3_column_type(statement, 0) == SQLITE_NULL) return std::uint64_t{0};
  const std::optional<std::uint64_t> value = sqlite_column_unsigned(statement, 0);
  if (!value) return Status::corruption(std::string(what) + " is not an integer >= 0");
  return *value;
}

// Counts running scans, so that writes can assert that none is running.
class ScanScope {
 public:
  explicit ScanScope(int& depth) : depth_(depth) { ++depth_; }
  ~ScanScope() { --depth_; }
  ScanScope(const ScanScope&) = delete;
  ScanScope& operator=(const ScanScope&) = delete;

 private:
  int& depth_;
};

}  // namespace

// ---- statements -----------------------------------------------------------------------------

Result<SqliteLease> SqliteStore::lease(StatementId id) {
  TS_ASSERT(id < SqliteStatement::kStatementCount);
  TS_ASSERT(statements_[id] != nullptr);
  if (statement_busy_[id] == 0) {
    statement_busy_[id] = 1;
    return SqliteLease(statements_[id], &statement_busy_[id]);
  }
  // The cached statement is mid-scan in an outer call: a copy serves the nested one.
  sqlite3_stmt* statement = nullptr;
  const int rc = sqlite3_prepare_v3(db_, kStatementSql[id], -1, 0, &statement, nullptr);
  if (rc != SQLITE_OK) return sqlite_error(db_, rc);
  return SqliteLease(statement, nullptr);
}

Status SqliteStore::run(StatementId id, std::string_view operation,
                        const std::function<void(SqliteBinder&)>& bind) {
  return run(
      id, [&] { return std::string(operation); }, bind);
}

Status SqliteStore::run(StatementId id, const std::function<std::string()>& describe,
                        const std::function<void(SqliteBinder&)>& bind) {
  TS_ASSIGN_OR_RETURN(SqliteLease statement, lease(id));
  if (bind) TS_RETURN_IF_ERROR(statement.bind(bind).with_context(describe()));
  const Result<bool> row = statement.step();
  if (!row.is_ok()) return row.status().with_context(describe());
  TS_ASSERT(!*row);  // statements run this way return no rows
  return Status::ok();
}

// ---- opening and closing --------------------------------------------------------------------

SqliteStore::SqliteStore(SqliteStoreOptions options)
    : options_(std::move(options)),
      statements_(SqliteStatement::kStatementCount, nullptr),
      statement_busy_(SqliteStatement::kStatementCount, 0) {}

SqliteStore::~SqliteStore() {
  TS_ASSERT(scan_depth_ == 0);
  for (sqlite3_stmt* statement : statements_) sqlite3_finalize(statement);
  // With every statement finalized, closing succeeds; SQLite rolls back an open transaction.
  sqlite3_close_v2(db_);
}

Status SqliteStore::prepare_statements() {
  for (std::size_t id = 0; id < SqliteStatement::kStatementCount; ++id) {
    TS_ASSERT(statements_[id] == nullptr);
    const int rc = sqlite3_prepare_v3(db_, kStatementSql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                      &statements_[id], nullptr);
    if (rc == SQLITE_OK) continue;
    const Status status = sqlite_error(db_, rc);
    if (status.code() == StatusCode::kInternal) {
      // SQLITE_ERROR: the tables exist but do not have our columns.
      return Status::invalid_argument("not a treesim database: statement \"" +
                                      std::string(kStatementSql[id]) +
                                      "\" does not prepare: " + status.message());
    }
    return status.with_context("preparing statements");
  }
  return Status::ok();
}

// ---- failure handling -----------------------------------------------------------------------

bool SqliteStore::connection_in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

Status SqliteStore::check_usable() const {
  if (!unusable_.is_ok()) return unusable_;
  if (!aborted_.is_ok()) {
    return Status::failed_precondition(
        "SQLite rolled back the transaction after an earlier error (" + aborted_.message() +
        "); only rollback() is possible");
  }
  return Status::ok();
}

Status SqliteStore::after_failure(Status status) {
  TS_ASSERT(!status.is_ok());
  if (in_transaction_ && unusable_.is_ok() && aborted_.is_ok() && !connection_in_transaction()) {
    aborted_ = status;
  }
  return status;
}

template <typename Body>
auto SqliteStore::call(std::string_view operation, Body body) {
  using Returned = decltype(body());
  const auto context = [&] {
    return "sqlite store '" + options_.path + "': " + std::string(operation);
  };
  const Status usable = check_usable();
  if (!usable.is_ok()) return Returned(usable.with_context(context()));
  Returned result = body();
  if (result.is_ok()) return result;
  if constexpr (std::is_same_v<Returned, Status>) {
    return after_failure(result.with_context(context()));
  } else {
    return Returned(after_failure(result.status().with_context(context())));
  }
}

Status SqliteStore::write_call(std::string_view operation, const std::function<Status()>& body,
                               Statements statements) {
  TS_ASSERT(in_transaction_);
  TS_ASSERT(scan_depth_ == 0);
  if (statements == Statements::kOne) return call(operation, body);
  return call(operation, [&]() -> Status {
    // If the savepoint cannot be opened, this call has written nothing.
    TS_RETURN_IF_ERROR(run(SqliteStatement::kSavepoint, "SAVEPOINT"));
    Status status = body();
    if (status.is_ok()) status = run(SqliteStatement::kRelease, "RELEASE");
    if (!status.is_ok()) undo_call();
    return status;
  });
}

void SqliteStore::undo_call() {
  // SQLite may have rolled back the whole transaction already; then nothing is left to undo.
  if (!connection_in_transaction()) return;
  Status status = run(SqliteStatement::kRollbackToSavepoint, "ROLLBACK TO");
  if (status.is_ok()) status = run(SqliteStatement::kRelease, "RELEASE");
  if (status.is_ok()) return;
  // The call's writes could not be undone alone: undo the whole transaction, which
  // after_failure() then records as aborted.
  rollback_transaction("the rollback after a failed ROLLBACK TO (" + status.message() + ")");
}

void SqliteStore::rollback_transaction(std::string_view operation) {
  Status status = run(SqliteStatement::kRollback, "ROLLBACK");
  if (status.is_ok() && connection_in_transaction()) {
    status = Status::io_error("ROLLBACK left the connection inside a transaction");
  }
  if (status.is_ok()) return;
  unusable_ = Status::io_error("the store is unusable since " + std::string(operation) +
                               " failed (" + status.message() + "); reopen the database");
}

// ---- transactions ---------------------------------------------------------------------------

Status SqliteStore::begin() {
  TS_ASSERT(!in_transaction_);
  TS_ASSERT(scan_depth_ == 0);
  return call("begin", [&]() -> Status {
    const Status status = run(SqliteStatement::kBegin, "BEGIN IMMEDIATE");
    if (!status.is_ok()) {
      // A BEGIN that failed while taking its lock may leave a deferred transaction open.
      if (connection_in_transaction()) rollback_transaction("the rollback after a failed begin");
      return status;
    }
    in_transaction_ = true;
    return Status::ok();
  });
}

Status SqliteStore::commit() {
  TS_ASSERT(in_transaction_);
  TS_ASSERT(scan_depth_ == 0);
  return call("commit", [&]() -> Status {
    // On failure the transaction stays open for the caller's rollback(); after_failure() notes
    // whether SQLite has rolled it back already.
    TS_RETURN_IF_ERROR(run(SqliteStatement::kCommit, "COMMIT"));
    TS_ASSERT(!connection_in_transaction());
    in_transaction_ = false;
    return Status::ok();
  });
}

void SqliteStore::rollback() {
  TS_ASSERT(in_transaction_);
  TS_ASSERT(scan_depth_ == 0);
  in_transaction_ = false;
  aborted_ = Status::ok();
  if (!unusable_.is_ok()) return;
  // After an abort or a failed COMMIT, SQLite may have rolled back by itself.
  if (!connection_in_transaction()) return;
  rollback_transaction("rollback");
}

// ---- op log ---------------------------------------------------------------------------------

Result<std::optional<Op>> SqliteStore::find_op(const OpId& id) {
  return call("find_op", [&]() -> Result<std::optional<Op>> {
    TS_ASSIGN_OR_RETURN(SqliteLease statement, lease(SqliteStatement::kFindOp));
    TS_RETURN_IF_ERROR(statement.bind(
        [&](SqliteBinder& binder) { binder.blob(id.replica.bytes()).integer(id.counter); }));
    TS_ASSIGN_OR_RETURN(const bool found, statement.step());
    if (!found) return std::optional<Op>();
    TS_ASSIGN_OR_RETURN(Op op, read_op_row(statement.get()));
    return std::optional<Op>(std::move(op));
  });
}

Status SqliteStore::insert_ops(const std::vector<Op>& ops) {
  return write_call(
      "insert_ops",
      [&]() -> Status {
        for (const Op& op : ops) {
          TS_ASSERT(op.id.replica.is_valid());
          if (mutant_active(Mutant::kEquivocationOverwrites)) {
            // Planted bug (equivocation-overwrites): the insert replaces a stored op with this id,
            // like INSERT OR REPLACE.
            TS_RETURN_IF_ERROR(
                sqlite_query(db_,
                             ("DELETE FROM ops WHERE replica = X'" + to_hex(op.id.replica.bytes()) +
                              "' AND counter = " + std::to_string(op.id.counter))
                                 .c_str(),
                             [](sqlite3_stmt*) {}));
          }
          // encode_batch asserts validate_op(): a stored op always decodes again.
          const std::string blob = encode_batch({op});
          TS_RETURN_IF_ERROR(run(
              SqliteStatement::kInsertOp, [&] { return "op " + op.id.to_display(); },
              [&](SqliteBinder& binder) {
                binder.blob(op.id.replica.bytes())
                    .integer(op.id.counter)
                    .integer(op.lamport)
                    .blob(blob);
              }));
        }
        return Status::ok();
      },
      // One op is one statement (the planted bug adds a DELETE before it).
      ops.size() == 1 && !mutant_active(Mutant::kEquivocationOverwrites) ? Statements::kOne
                                                                         : Statements::kSeveral);
}

Result<std::uint64_t> SqliteStore::op_count() {
  return call("op_count", [&]() -> Result<std::uint64_t> {
    TS_ASSIGN_OR_RETURN(SqliteLease statement, lease(SqliteStatement::kCountOps));
    TS_ASSIGN_OR_RETURN(const bool row, statement.step());
    TS_ASSERT(row);  // an aggregate always has its row
    return read_aggregate(statement.get(), "count(*) of table ops");
  });
}

Status SqliteStore::scan_ops(const std::optional<OpKey>& from,
                             const std::function<bool(const Op&)>& visit) {
  return call("scan_ops", [&]() -> Status {
    TS_ASSIGN_OR_RETURN(SqliteLease statement,
                        lease(from ? SqliteStatement::kScanOpsFrom : SqliteStatement::kScanOpsAll));
    if (from) TS_RETURN_IF_ERROR(statement.bind([&](SqliteBinder& binder) { binder.key(*from); }));
    ScanScope scope(scan_depth_);
    while (true) {
      TS_ASSIGN_OR_RETURN(const bool row, statement.step());
      if (!row) return Status::ok();
      TS_ASSIGN_OR_RETURN(const Op op, read_op_row(statement.get()));
      if (!visit(op)) return Status::ok();
    }
  });
}

Result<std::uint64_t> SqliteStore::max_lamport() {
  return call("max_lamport", [&]() -> Result<std::uint64_t> {
    TS_ASSIGN_OR_RETURN(SqliteLease statement, lease(SqliteStatement::kMaxLamport));
    TS_ASSIGN_OR_RETURN(const bool row, statement.step());
    TS_ASSERT(row);
    return read_aggregate(statement.get(), "max(lamport) of table ops");
  });
}

Result<std::uint64_t> SqliteStore::max_counter(const ReplicaId& replica) {
  return call("max_counter", [&]() -> Result<std::uint64_t> {
    TS_ASSIGN_OR_RETURN(SqliteLease statement, lease(SqliteStatement::kMaxCounter));
    TS_RETURN_IF_ERROR(statement.bind([&](SqliteBinder& binder) { binder.blob(replica.bytes()); }));
    TS_ASSIGN_OR_RETURN(const bool row, statement.step());
    TS_ASSERT(row);
    return read_aggregate(statement.get(), "max(counter) of table ops");
  });
}

// ---- materialized rows ----------------------------------------------------------------------

Status SqliteStore::put_node(NodeRow row) {
  return write_call(
      "put_node",
      [&] {
        return run(
            SqliteStatement::kPutNode, [&] { return "node " + row.node.to_display(); },
            [&](SqliteBinder& binder) {
              binder.blob(row.node.to_bytes()).blob(encode_node_row(row));
            });
      },
      Statements::kOne);
}

Status SqliteStore::erase_node(NodeId node) {
  return write_call(
      "erase_node",
      [&] {
        return run(
            SqliteStatement::kEraseNode, [&] { return "node " + node.to_display(); },
            [&](SqliteBinder& binder) { binder.blob(node.to_bytes()); });
      },
      Statements::kOne);
}

Status SqliteStore::put_payload(PayloadRow row) {
  return write_call(
      "put_payload",
      [&] {
        return run(
            SqliteStatement::kPutPayload, [&] { return "node " + row.node.to_display(); },
            [&](SqliteBinder& binder) {
              binder.blob(row.node.to_bytes()).blob(encode_payload_row(row));
            });
      },
      Statements::kOne);
}

Status SqliteStore::erase_payload(NodeId node) {
  return write_call(
      "erase_payload",
      [&] {
        return run(
            SqliteStatement::kErasePayload, [&] { return "node " + node.to_display(); },
            [&](SqliteBinder& binder) { binder.blob(node.to_bytes()); });
      },
      Statements::kOne);
}

Status SqliteStore::clear_rows() {
  return write_call("clear_rows", [&]() -> Status {
    TS_RETURN_IF_ERROR(run(SqliteStatement::kClearNodes, "nodes"));
    return run(SqliteStatement::kClearPayloads, "payloads");
  });
}

Status SqliteStore::scan_nodes(const std::function<void(const NodeRow&)>& visit) {
  return call("scan_nodes", [&]() -> Status {
    TS_ASSIGN_OR_RETURN(SqliteLease statement, lease(SqliteStatement::kScanNodes));
    ScanScope scope(scan_depth_);
    while (true) {
      TS_ASSIGN_OR_RETURN(const bool row, statement.step());
      if (!row) return Status::ok();
      TS_ASSIGN_OR_RETURN(const NodeRow node_row, read_node_row(statement.get()));
      visit(node_row);
    }
  });
}

Status SqliteStore::scan_payloads(const std::function<void(const PayloadRow&)>& visit) {
  return call("scan_payloads", [&]() -> Status {
    TS_ASSIGN_OR_RETURN(SqliteLease statement, lease(SqliteStatement::kScanPayloads));
    ScanScope scope(scan_depth_);
    while (true) {
      TS_ASSIGN_OR_RETURN(const bool row, statement.step());
      if (!row) return Status::ok();
      TS_ASSIGN_OR_RETURN(const PayloadRow payload_row, read_payload_row(statement.get()));
      visit(payload_row);
    }
  });
}

// ---- undo records ---------------------------------------------------------------------------

Status SqliteStore::put_undo(UndoRecord record) {
  return write_call(
      "put_undo",
      [&] {
        return run(
            SqliteStatement::kPutUndo, [&] { return "key " + record.key.to_display(); },
            [&](SqliteBinder& binder) { binder.key(record.key).blob(encode_undo_record(record)); });
      },
      Statements::kOne);
}

Status SqliteStore::erase_undo_from(const OpKey& from) {
  return write_call(
      "erase_undo_from",
      [&] {
        return run(
            SqliteStatement::kEraseUndoFrom, [&] { return "from " + from.to_display(); },
            [&](SqliteBinder& binder) { binder.key(from); });
      },
      Statements::kOne);
}

Status SqliteStore::erase_undo_before(const OpKey& before) {
  return write_call(
      "erase_undo_before",
      [&] {
        return run(
            SqliteStatement::kEraseUndoBefore, [&] { return "before " + before.to_display(); },
            [&](SqliteBinder& binder) { binder.key(before); });
      },
      Statements::kOne);
}

Status SqliteStore::scan_undo_reverse(const OpKey& from,
                                      const std::function<bool(const UndoRecord&)>& visit) {
  return call("scan_undo_reverse", [&]() -> Status {
    TS_ASSIGN_OR_RETURN(SqliteLease statement, lease(SqliteStatement::kScanUndoReverse));
    TS_RETURN_IF_ERROR(statement.bind([&](SqliteBinder& binder) { binder.key(from); }));
    ScanScope scope(scan_depth_);
    while (true) {
      TS_ASSIGN_OR_RETURN(const bool row, statement.step());
      if (!row) return Status::ok();
      TS_ASSIGN_OR_RETURN(const UndoRecord record, read_undo_row(statement.get()));
      if (!visit(record)) return Status::ok();
    }
  });
}

Result<std::uint64_t> SqliteStore::undo_count() {
  return call("undo_count", [&]() -> Result<std::uint64_t> {
    TS_ASSIGN_OR_RETURN(SqliteLease statement, lease(SqliteStatement::kCountUndo));
    TS_ASSIGN_OR_RETURN(const bool row, statement.step());
    TS_ASSERT(row);
    return read_aggregate(statement.get(), "count(*) of table undo");
  });
}

// ---- metadata -------------------------------------------------------------------------------

Result<StoreMeta> SqliteStore::read_meta() {
  return call("read_meta", [&] { return read_meta_row(); });
}

Result<StoreMeta> SqliteStore::read_meta_row() {
  TS_ASSIGN_OR_RETURN(SqliteLease statement, lease(SqliteStatement::kReadMeta));
  TS_ASSIGN_OR_RETURN(const bool row, statement.step());
  if (!row) return Status::corruption("table meta: its one row is missing");
  return decode_blob_column<StoreMeta>(
      statement.get(), 0, [] { return std::string("table meta, row 1"); }, decode_store_meta);
}

Status SqliteStore::write_meta(const StoreMeta& meta) {
  return write_call(
      "write_meta",
      [&]() -> Status {
        TS_RETURN_IF_ERROR(run(SqliteStatement::kWriteMeta, "row 1", [&](SqliteBinder& binder) {
          binder.blob(encode_store_meta(meta));
        }));
        if (sqlite3_changes(db_) != 1)
          return Status::corruption("table meta: its one row is missing");
        return Status::ok();
      },
      Statements::kOne);
}

// ---- checks ---------------------------------------------------------------------------------

Status SqliteStore::check_invariants() {
  TS_ASSERT(scan_depth_ == 0);
  for (std::uint8_t busy : statement_busy_) TS_ASSERT(busy == 0);
  if (!unusable_.is_ok()) return unusable_;
  // Outside a transaction the connection is in autocommit mode; inside one it is not, unless
  // SQLite ended it (aborted) and the caller's rollback() is due.
  TS_ASSERT(in_transaction_ || aborted_.is_ok());
  if (!aborted_.is_ok()) return Status::ok();
  TS_ASSERT(connection_in_transaction() == in_transaction_);
  // read_op_row() checks that each blob decodes to the op its key columns name.
  std::uint64_t scanned = 0;
  TS_RETURN_IF_ERROR(scan_ops(std::nullopt, [&](const Op&) {
    ++scanned;
    return true;
  }));
  TS_ASSIGN_OR_RETURN(const std::uint64_t count, op_count());
  TS_ASSERT(scanned == count);
  return Status::ok();
}

}  // namespace treesim
