#include "materializer/memory_store.h"

#include <algorithm>
#include <vector>
#include <iterator>
#include <limits>
#include <string>
#include <utility>

#include "core/assert.h"
#include "materializer/mutants.h"

namespace treesim {
namespace {

// Writes `row` under `key`, first recording the key's value at begin() (or its absence) unless
// this transaction has already recorded it. One lookup per table; the row is moved in and the
// prior value moved into the journal, neither copied. (try_emplace moves `row` only when it
// inserts; the key is read from the table's entry, since `key` may be a member of `row`.)
template <typename Journal, typename Table, typename Key, typename Row>
void put_journaled(Journal& journal, Table& table, const Key& key, Row&& row) {
  auto [stored, inserted] = table.try_emplace(key, std::move(row));
  auto [prior, first_write] = journal.try_emplace(stored->first);
  if (inserted) return;  // a first write records the absence (the journal's empty optional)
  if (first_write) prior->second = std::move(stored->second);
  stored->second = std::move(row);
}

// Removes the rows in [first, last) from `table`, moving each into the journal unless the
// journal already holds an earlier value of its key.
template <typename Journal, typename Table>
void journal_and_erase(Journal& journal, Table& table, typename Table::iterator first,
                       typename Table::iterator last) {
  for (auto row = first; row != last; ++row) {
    auto [entry, inserted] = journal.try_emplace(row->first);
    if (inserted) entry->second = std::move(row->second);
  }
  table.erase(first, last);
}

// Puts every journaled key back to its value at begin(). The keys of one journal are distinct,
// so the order of restoring does not matter.
template <typename Journal, typename Table>
void restore(Table& table, Journal& journal) {
  for (auto& [key, prior] : journal) {
    if (prior) {
      table.insert_or_assign(key, std::move(*prior));
    } else {
      table.erase(key);
    }
  }
}

// The entries of a table in key order (hashed tables have none of their own).
template <typename Table>
std::vector<const typename Table::value_type*> in_key_order(const Table& table) {
  std::vector<const typename Table::value_type*> out;
  out.reserve(table.size());
  for (const auto& entry : table) out.push_back(&entry);
  std::sort(out.begin(), out.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  return out;
}

// The first key at which two tables differ, described for a checker's message.
template <typename Table, typename DisplayKey>
std::string first_difference(const char* table, const Table& mine_table, const Table& theirs_table,
                             DisplayKey display_key) {
  const auto mine = in_key_order(mine_table);
  const auto theirs = in_key_order(theirs_table);
  auto a = mine.begin();
  auto b = theirs.begin();
  while (a != mine.end() || b != theirs.end()) {
    if (b == theirs.end() || (a != mine.end() && (*a)->first < (*b)->first)) {
      return std::string(table) + " " + display_key((*a)->first) + ": only in this store";
    }
    if (a == mine.end() || (*b)->first < (*a)->first) {
      return std::string(table) + " " + display_key((*b)->first) + ": only in the other store";
    }
    if (!((*a)->second == (*b)->second)) {
      return std::string(table) + " " + display_key((*a)->first) + ": differs";
    }
    ++a;
    ++b;
  }
  return {};
}

std::string display_optional_key(const std::optional<OpKey>& key) {
  return key ? key->to_display() : "none";
}

// Keeps a count of running scans so that writes can assert none is running.
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

bool MemoryStore::Journal::empty() const {
  return inserted_ops.empty() && nodes.empty() && payloads.empty() && undo_records.empty() &&
         !meta.has_value();
}

// --- transactions ---

Status MemoryStore::begin() {
  TS_ASSERT(!in_transaction_);
  TS_ASSERT(journal_.empty());
  in_transaction_ = true;
  return Status::ok();
}

Status MemoryStore::commit() {
  TS_ASSERT(in_transaction_);
  TS_ASSERT(scan_depth_ == 0);
  journal_ = Journal();
  in_transaction_ = false;
  return Status::ok();
}

void MemoryStore::rollback() {
  TS_ASSERT(in_transaction_);
  TS_ASSERT(scan_depth_ == 0);
  for (const OpId& id : journal_.inserted_ops) {
    auto op = ops_.find(id);
    TS_ASSERT(op != ops_.end());
    const std::size_t erased = op_keys_.erase(op->second.key());
    TS_ASSERT(erased == 1);
    ops_.erase(op);
  }
  restore(nodes_, journal_.nodes);
  restore(payloads_, journal_.payloads);
  restore(undo_records_, journal_.undo_records);
  if (journal_.meta) meta_ = std::move(*journal_.meta);
  journal_ = Journal();
  in_transaction_ = false;
}

void MemoryStore::assert_writable() const {
  TS_ASSERT(in_transaction_);
  TS_ASSERT(scan_depth_ == 0);
}

// --- op log ---

Result<std::optional<Op>> MemoryStore::find_op(const OpId& id) {
  auto op = ops_.find(id);
  if (op == ops_.end()) return std::optional<Op>();
  return std::optional<Op>(op->second);
}

Status MemoryStore::insert_ops(const std::vector<Op>& ops) {
  assert_writable();
  for (const Op& op : ops) {
    TS_ASSERT(op.id.replica.is_valid());
    if (mutant_active(Mutant::kEquivocationOverwrites)) {
      if (auto stored = ops_.find(op.id); stored != ops_.end()) {
        // Planted bug (equivocation-overwrites): the insert replaces the stored op.
        op_keys_.erase(stored->second.key());
        stored->second = op;
        op_keys_.insert(op.key());
        journal_.inserted_ops.push_back(op.id);
        continue;
      }
    }
    const bool id_inserted = ops_.try_emplace(op.id, op).second;
    TS_ASSERT(id_inserted);
    // A key contains its id, so a new id always has a new key.
    const bool key_inserted = op_keys_.insert(op.key()).second;
    TS_ASSERT(key_inserted);
    journal_.inserted_ops.push_back(op.id);
  }
  return Status::ok();
}

Result<std::uint64_t> MemoryStore::op_count() { return std::uint64_t{ops_.size()}; }

Status MemoryStore::scan_ops(const std::optional<OpKey>& from,
                             const std::function<bool(const Op&)>& visit) {
  ScanScope scope(scan_depth_);
  auto key = from ? op_keys_.lower_bound(*from) : op_keys_.begin();
  for (; key != op_keys_.end(); ++key) {
    auto op = ops_.find(key->id());
    TS_ASSERT(op != ops_.end());
    if (!visit(op->second)) break;
  }
  return Status::ok();
}

Result<std::uint64_t> MemoryStore::max_lamport() { return max_lamport_of_log(); }

Result<std::uint64_t> MemoryStore::max_counter(const ReplicaId& replica) {
  return max_counter_of_log(replica);
}

std::uint64_t MemoryStore::max_lamport_of_log() const {
  // The canonical order sorts by lamport first, so the last key has the highest lamport.
  return op_keys_.empty() ? 0 : op_keys_.rbegin()->lamport;
}

std::uint64_t MemoryStore::max_counter_of_log(const ReplicaId& replica) const {
  // Ids sort by (replica, counter): the replica's highest counter is the last id before the
  // first id that sorts after every id of the replica.
  auto after = ops_.upper_bound(OpId{replica, std::numeric_limits<std::uint64_t>::max()});
  if (after == ops_.begin()) return 0;
  const OpId& last = std::prev(after)->first;
  return last.replica == replica ? last.counter : 0;
}

// --- materialized rows ---

Status MemoryStore::put_node(NodeRow row) {
  assert_writable();
  put_journaled(journal_.nodes, nodes_, row.node, std::move(row));
  return Status::ok();
}

Status MemoryStore::erase_node(NodeId node) {
  assert_writable();
  auto row = nodes_.find(node);
  if (row != nodes_.end()) journal_and_erase(journal_.nodes, nodes_, row, std::next(row));
  return Status::ok();
}

Status MemoryStore::put_payload(PayloadRow row) {
  assert_writable();
  put_journaled(journal_.payloads, payloads_, row.node, std::move(row));
  return Status::ok();
}

Status MemoryStore::erase_payload(NodeId node) {
  assert_writable();
  auto row = payloads_.find(node);
  if (row != payloads_.end()) {
    journal_and_erase(journal_.payloads, payloads_, row, std::next(row));
  }
  return Status::ok();
}

Status MemoryStore::clear_rows() {
  assert_writable();
  journal_and_erase(journal_.nodes, nodes_, nodes_.begin(), nodes_.end());
  journal_and_erase(journal_.payloads, payloads_, payloads_.begin(), payloads_.end());
  return Status::ok();
}

Status MemoryStore::scan_nodes(const std::function<void(const NodeRow&)>& visit) {
  ScanScope scope(scan_depth_);
  for (const auto* entry : in_key_order(nodes_)) visit(entry->second);
  return Status::ok();
}

Status MemoryStore::scan_payloads(const std::function<void(const PayloadRow&)>& visit) {
  ScanScope scope(scan_depth_);
  for (const auto* entry : in_key_order(payloads_)) visit(entry->second);
  return Status::ok();
}

// --- undo records ---

Status MemoryStore::put_undo(UndoRecord record) {
  assert_writable();
  put_journaled(journal_.undo_records, undo_records_, record.key, std::move(record));
  return Status::ok();
}

Status MemoryStore::erase_undo_from(const OpKey& from) {
  assert_writable();
  journal_and_erase(journal_.undo_records, undo_records_, undo_records_.lower_bound(from),
                    undo_records_.end());
  return Status::ok();
}

Status MemoryStore::erase_undo_before(const OpKey& before) {
  assert_writable();
  journal_and_erase(journal_.undo_records, undo_records_, undo_records_.begin(),
                    undo_records_.lower_bound(before));
  return Status::ok();
}

Status MemoryStore::scan_undo_reverse(const OpKey& from,
                                      const std::function<bool(const UndoRecord&)>& visit) {
  ScanScope scope(scan_depth_);
  const auto first = undo_records_.lower_bound(from);
  for (auto record = undo_records_.end(); record != first;) {
    --record;
    if (!visit(record->second)) break;
  }
  return Status::ok();
}

Result<std::uint64_t> MemoryStore::undo_count() { return std::uint64_t{undo_records_.size()}; }

// --- metadata ---

Result<StoreMeta> MemoryStore::read_meta() { return meta_; }

Status MemoryStore::write_meta(const StoreMeta& meta) {
  assert_writable();
  if (!journal_.meta) journal_.meta = meta_;
  meta_ = meta;
  return Status::ok();
}

// --- for tests and checkers ---

MemoryStore MemoryStore::clone() const {
  TS_ASSERT(!in_transaction_);
  TS_ASSERT(journal_.empty());
  return MemoryStore(*this);
}

bool MemoryStore::same_contents(const MemoryStore& other) const {
  // op_keys_ is derived from ops_ (check_invariants), so comparing ops_ covers the log.
  return ops_ == other.ops_ && nodes_ == other.nodes_ && payloads_ == other.payloads_ &&
         undo_records_ == other.undo_records_ && meta_ == other.meta_;
}

std::string MemoryStore::describe_difference(const MemoryStore& other) const {
  std::string difference =
      first_difference("op", ops_, other.ops_, [](const OpId& id) { return id.to_display(); });
  if (!difference.empty()) return difference;
  const auto display_node = [](NodeId node) { return node.to_display(); };
  const auto display_key = [](const OpKey& key) { return key.to_display(); };
  difference = first_difference("node", nodes_, other.nodes_, display_node);
  if (!difference.empty()) return difference;
  difference = first_difference("payload", payloads_, other.payloads_, display_node);
  if (!difference.empty()) return difference;
  difference = first_difference("undo record", undo_records_, other.undo_records_, display_key);
  if (!difference.empty()) return difference;
  if (meta_.head != other.meta_.head) {
    return "meta head: " + display_optional_key(meta_.head.key) + " seq " +
           std::to_string(meta_.head.seq) + " vs " + display_optional_key(other.meta_.head.key) +
           " seq " + std::to_string(other.meta_.head.seq);
  }
  if (meta_.frontier != other.meta_.frontier) {
    return "meta frontier: " + meta_.frontier.to_display() + " vs " +
           other.meta_.frontier.to_display();
  }
  if (meta_.undo_floor != other.meta_.undo_floor) {
    return "meta undo_floor: " + display_optional_key(meta_.undo_floor) + " vs " +
           display_optional_key(other.meta_.undo_floor);
  }
  return {};
}

void MemoryStore::check_invariants() const {
  // The op map and the index hold the same ops: equal sizes, and every op's key is indexed
  // (distinct ids have distinct keys, so this is a bijection).
  TS_ASSERT(ops_.size() == op_keys_.size());
  std::uint64_t lamport_max = 0;
  for (auto op = ops_.begin(); op != ops_.end(); ++op) {
    TS_ASSERT(op->second.id == op->first);
    TS_ASSERT(op_keys_.contains(op->second.key()));
    lamport_max = std::max(lamport_max, op->second.lamport);
    // Ids sort by (replica, counter), so the last id of each replica's run is its maximum.
    const auto next = std::next(op);
    if (next == ops_.end() || next->first.replica != op->first.replica) {
      TS_ASSERT(max_counter_of_log(op->first.replica) == op->first.counter);
    }
  }
  TS_ASSERT(max_lamport_of_log() == lamport_max);

  for (const auto& [node, row] : nodes_) TS_ASSERT(row.node == node);
  for (const auto& [node, row] : payloads_) TS_ASSERT(row.node == node);
  for (const auto& [key, record] : undo_records_) TS_ASSERT(record.key == key);
  for (const auto& [node, prior] : journal_.nodes) TS_ASSERT(!prior || prior->node == node);
  for (const auto& [node, prior] : journal_.payloads) TS_ASSERT(!prior || prior->node == node);
  for (const auto& [key, prior] : journal_.undo_records) TS_ASSERT(!prior || prior->key == key);

  if (!in_transaction_) {
    TS_ASSERT(journal_.empty());
  } else {
    // Nothing removes ops, so every op this transaction inserted is still there, once.
    TS_ASSERT(journal_.inserted_ops.size() <= ops_.size());
    for (const OpId& id : journal_.inserted_ops) TS_ASSERT(ops_.contains(id));
  }
}

}  // namespace treesim
