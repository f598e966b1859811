#include "sim/in_process_replica.h"

#include "core/hex.h"

namespace treesim {

std::string LocalEdit::to_display() const {
  switch (kind) {
    case Kind::kInsert:
      return "insert " + node.to_display() + " under " + parent.to_display();
    case Kind::kMove:
      return "move " + node.to_display() + " under " + parent.to_display();
    case Kind::kRemove:
      return "remove " + node.to_display();
    case Kind::kSetPayload:
      return "payload " + node.to_display() + (payload ? " = 0x" + to_hex(*payload) : " cleared");
  }
  return "unknown edit";
}

namespace {

// An SQLite replica's storage faults: arm_storage_fault(n) picks the kind from n and fails the
// (1 + n / 5)-th call of that kind from now.
constexpr SimVfsFault kDiskFaults[] = {SimVfsFault::kWriteError, SimVfsFault::kSyncError,
                                       SimVfsFault::kReadError, SimVfsFault::kDiskFull,
                                       SimVfsFault::kLockError};
constexpr std::uint64_t kDiskFaultKinds = sizeof(kDiskFaults) / sizeof(kDiskFaults[0]);

}  // namespace

InProcessReplica::InProcessReplica(ReplicaId replica, const ReplicaConfig& config,
                                   std::uint64_t seed)
    : replica_(std::move(replica)), config_(config), disk_entropy_(Rng(seed).fork("disk")) {
  if (config_.store == StoreKind::kSqlite) {
    vfs_ = std::make_unique<SimVfs>(Rng(seed).fork("xrandomness").next());
  }
}

InProcessReplica::~InProcessReplica() {
  // The connection closes before its disk goes away.
  materializer_.reset();
  sqlite_store_.reset();
}

Status InProcessReplica::open() {
  TS_ASSERT(!is_open());
  MaterializerOptions options;
  options.strategy = config_.strategy;
  options.deferred = config_.deferred;
  options.undo_retention = config_.undo_retention;
  options.fault_points = &fault_points_;
  Store* store = &faulty_store_;
  if (config_.store == StoreKind::kSqlite) {
    if (!sqlite_store_) {
      SqliteStoreOptions sqlite_options;
      sqlite_options.path = kDatabaseName;
      sqlite_options.vfs_name = vfs_->name();
      TS_ASSIGN_OR_RETURN(sqlite_store_, SqliteStore::open(sqlite_options));
    }
    store = sqlite_store_.get();
  }
  TS_ASSIGN_OR_RETURN(materializer_, Materializer::open(*store, replica_, options));
  return Status::ok();
}

void InProcessReplica::crash() {
  if (materializer_) probes_of_closed_.add(materializer_->probes());
  materializer_.reset();
  if (config_.store == StoreKind::kSqlite) {
    // Power loss with the connection open: its handles go stale, so closing it writes nothing.
    vfs_->crash(config_.crash_policy, disk_entropy_);
    sqlite_store_.reset();
  } else {
    TS_ASSERT(!memory_store_.in_transaction());
  }
}

bool InProcessReplica::needs_restart() const {
  return sqlite_store_ != nullptr && sqlite_store_->is_unusable();
}

Materializer& InProcessReplica::materializer() {
  TS_ASSERT(is_open());
  return *materializer_;
}

Result<AppendResult> InProcessReplica::append(const std::vector<Op>& batch) {
  return materializer().append(batch);
}

Result<LocalResult> InProcessReplica::local(const LocalEdit& edit) {
  switch (edit.kind) {
    case LocalEdit::Kind::kInsert:
      return materializer().insert(edit.parent, edit.node, edit.placement, edit.payload);
    case LocalEdit::Kind::kMove:
      return materializer().move(edit.node, edit.parent, edit.placement);
    case LocalEdit::Kind::kRemove:
      return materializer().remove(edit.node);
    case LocalEdit::Kind::kSetPayload:
      return materializer().set_payload(edit.node, edit.payload);
  }
  TS_UNREACHABLE();
}

Status InProcessReplica::ensure_materialized() { return materializer().ensure_materialized(); }
Result<Snapshot> InProcessReplica::snapshot() { return materializer().snapshot(); }
Snapshot InProcessReplica::materialized_snapshot() { return materializer().materialized_snapshot(); }
VisibleTree InProcessReplica::materialized_visible_tree() {
  return materializer().materialized_visible_tree();
}
Head InProcessReplica::head() { return materializer().head(); }
Frontier InProcessReplica::frontier() { return materializer().frontier(); }
VersionVector InProcessReplica::version_vector() { return materializer().version_vector(); }

Result<std::vector<Op>> InProcessReplica::ops_missing_from(const VersionVector& known) {
  return materializer().ops_missing_from(known);
}

void InProcessReplica::pause_faults(bool paused) {
  faulty_store_.set_paused(paused);
  if (vfs_) vfs_->set_paused(paused);
}

Result<QueryAnswers> InProcessReplica::query(NodeId node) {
  return query_materializer(materializer(), node);
}

std::optional<std::string> InProcessReplica::check_invariants() {
  pause_faults(true);
  std::optional<std::string> broken = materializer().check_invariants();
  if (!broken && sqlite_store_) {
    if (Status status = sqlite_store_->check_invariants(); !status.is_ok()) {
      broken = "sqlite store: " + status.to_string();
    }
  }
  pause_faults(false);
  if (broken) return broken;
  if (config_.store == StoreKind::kMemory) memory_store_.check_invariants();
  if (vfs_) vfs_->check_invariants();
  return std::nullopt;
}

bool InProcessReplica::arm_storage_fault(std::uint64_t n) {
  TS_ASSERT(n >= 1);
  if (config_.store == StoreKind::kSqlite) {
    vfs_->fail_after(1 + n / kDiskFaultKinds, kDiskFaults[n % kDiskFaultKinds]);
  } else {
    faulty_store_.fail_after(n);
  }
  return true;
}

bool InProcessReplica::arm_fault_point(std::uint64_t n) {
  fault_points_.arm(n);
  return true;
}

void InProcessReplica::clear_faults() {
  faulty_store_.clear();
  if (vfs_) vfs_->clear();
  fault_points_.clear();
}

Probes InProcessReplica::probes() const {
  Probes total = probes_of_closed_;
  if (materializer_) total.add(materializer_->probes());
  return total;
}

}  // namespace treesim
