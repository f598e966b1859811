#include "sim/schedule.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "sim/simulation.h"

namespace treesim {
namespace {

// A full anti-entropy round between every ordered pair runs this often in the liveness phase.
constexpr std::uint64_t kLivenessSyncInterval = 4;

// How many recently sent ops a forgery may copy.
constexpr std::size_t kRecentOpsMax = 64;

}  // namespace

Schedule::Schedule(std::uint64_t seed, const Options& options)
    : Schedule(EntropySource::seeded(seed), options) {}

Schedule::Schedule(const EntropySource& entropy, const Options& options)
    : options_(options),
      entropy_(entropy),
      schedule_(entropy.stream("schedule")),
      faults_(entropy.stream("faults")),
      forge_(entropy.stream("forge")),
      catch_up_faults_(entropy.stream("catch-up-faults")),
      network_(options, entropy.stream("network")) {
  for (std::uint32_t i = 0; i < options_.replica_count; ++i) {
    workloads_.emplace_back(options_.op_mix, entropy.stream("workload/" + std::to_string(i)), i);
  }
}

void Schedule::drive(Simulation& simulation, std::vector<Event>* recorded) {
  simulation_ = &simulation;
  recorded_ = recorded;
  // A shared stream that runs out ends the safety phase (a seeded one never does): past its end
  // every choice is 0, which makes every chance come true, e.g. a crash of every replica at
  // every tick.
  for (now_ = 0; now_ < options_.safety_ticks && !simulation_->failed() && !entropy_.exhausted();
       ++now_) {
    safety_tick();
  }
  if (!simulation_->failed()) liveness();
  simulation_ = nullptr;
  recorded_ = nullptr;
}

void Schedule::send(std::uint64_t now, Message message) {
  if (options_.forge_per_mille > 0 && message.kind == Message::Kind::kOps) {
    for (const Op& op : message.ops) {
      const bool known = std::any_of(recent_ops_.begin(), recent_ops_.end(),
                                     [&](const Op& recent) { return recent.id == op.id; });
      if (known) continue;
      recent_ops_.push_back(op);
      if (recent_ops_.size() > kRecentOpsMax) recent_ops_.pop_front();
    }
  }
  network_.send(now, std::move(message));
}

bool Schedule::choose_read_through() { return schedule_.chance(1, 2); }

void Schedule::emit(Event event) {
  TS_ASSERT(!simulation_->failed());
  event.tick = now_;
  simulation_->execute(event);
  if (recorded_ != nullptr) recorded_->push_back(std::move(event));
}

// --- the safety phase ---

void Schedule::safety_tick() {
  Simulation& simulation = *simulation_;
  if (partition_heals_at_ && now_ >= *partition_heals_at_) {
    network_.heal();
    partition_heals_at_.reset();
    emit(Event{.kind = Event::Kind::kHeal});
  } else if (!partition_heals_at_ && options_.replica_count > 1 &&
             faults_.chance(options_.partition_per_mille, 1000)) {
    std::set<std::uint32_t> side;
    // A non-empty proper subset: always leave replica 0 out, put the others in at random.
    for (std::uint32_t i = 1; i < options_.replica_count; ++i) {
      if (faults_.chance(1, 2)) side.insert(i);
    }
    if (side.empty()) {
      side.insert(1 +
                  static_cast<std::uint32_t>(faults_.uniform_below(options_.replica_count - 1)));
    }
    network_.partition(side);
    partition_heals_at_ = now_ + faults_.in_range(1, options_.partition_ticks_max);
    emit(Event{.kind = Event::Kind::kPartition, .side = side, .until = *partition_heals_at_});
  }

  for (std::uint32_t i = 0; i < options_.replica_count && !simulation.failed(); ++i) {
    if (simulation.is_down(i)) {
      emit(Event{.kind = Event::Kind::kRestart, .replica = i});
      continue;
    }
    if (faults_.chance(options_.crash_per_mille, 1000)) {
      emit(Event{.kind = Event::Kind::kCrash, .replica = i});
      continue;
    }
    if (faults_.chance(options_.storage_fault_per_mille, 1000)) {
      const std::uint64_t n = faults_.in_range(1, 24);
      emit(Event{.kind = Event::Kind::kArmStorageFault, .replica = i, .countdown = n});
    }
    if (faults_.chance(options_.fault_point_per_mille, 1000)) {
      const std::uint64_t n = faults_.in_range(1, 8);
      emit(Event{.kind = Event::Kind::kArmFaultPoint, .replica = i, .countdown = n});
    }
    // Only replicas with a pending catch-up draw, so a profile without catch-up faults (or a
    // run without pending frontiers) draws exactly as before.
    if (options_.catch_up_fault_per_mille > 0 && !simulation.system(i).frontier().is_none() &&
        catch_up_faults_.chance(options_.catch_up_fault_per_mille, 1000)) {
      const std::uint64_t n = catch_up_faults_.in_range(1, 3);
      emit(Event{.kind = Event::Kind::kArmFaultPoint, .replica = i, .countdown = n});
    }
    if (schedule_.chance(options_.edit_per_mille, 1000)) {
      std::optional<Snapshot> rows;
      if (workloads_[i].needs_rows()) rows = simulation.system(i).materialized_snapshot();
      const LocalEdit edit = workloads_[i].next(simulation.system(i).materialized_visible_tree(),
                                                rows ? &*rows : nullptr);
      emit(Event{.kind = Event::Kind::kLocal, .replica = i, .edit = edit});
    }
  }
  if (!simulation.failed() && forge_.chance(options_.forge_per_mille, 1000)) forge();
  if (!simulation.failed() && options_.replica_count > 1 &&
      schedule_.chance(options_.anti_entropy_per_mille, 1000)) {
    const auto from = static_cast<std::uint32_t>(schedule_.uniform_below(options_.replica_count));
    auto to = static_cast<std::uint32_t>(schedule_.uniform_below(options_.replica_count - 1));
    if (to >= from) ++to;
    start_sync(from, to);
  }
  if (!simulation.failed()) deliver_due();
}

void Schedule::forge() {
  std::vector<std::uint32_t> up;
  for (std::uint32_t i = 0; i < options_.replica_count; ++i) {
    if (!simulation_->is_down(i)) up.push_back(i);
  }
  if (up.empty()) return;
  const std::uint32_t target = forge_.pick(up);
  std::optional<Op> op;
  if (forge_.chance(1, 2)) op = forge_equivocation(target);
  if (!op) op = forge_invalid();
  emit(Event{.kind = Event::Kind::kForge, .replica = target, .ops = {std::move(*op)}});
}

std::optional<Op> Schedule::forge_equivocation(std::uint32_t target) {
  // Only ids the target holds: a forged op it lacks would be a new op to it, accepted and
  // spread by anti-entropy to replicas that hold the original, which would then reject it
  // forever (and never converge).
  const VersionVector held = simulation_->system(target).version_vector();
  std::vector<const Op*> candidates;
  for (const Op& op : recent_ops_) {
    if (held.contains(op.id.replica, op.id.counter)) candidates.push_back(&op);
  }
  if (candidates.empty()) return std::nullopt;
  const Op& original = *forge_.pick(candidates);
  Op forged = original;
  switch (forge_.uniform_below(3)) {
    case 0:  // another place in the canonical order
      forged.lamport = original.lamport < kMaxLamport ? original.lamport + 1 : 1;
      break;
    case 1:  // another node
      forged.node = NodeId{original.node.high, original.node.low ^ 1};
      break;
    default:  // another value of a field of its kind
      switch (original.kind) {
        case OpKind::kInsert:
        case OpKind::kMove:
          forged.parent = original.parent == kRoot ? kTrash : kRoot;
          break;
        case OpKind::kPayload:
          forged.payload = original.payload ? std::nullopt : std::optional<std::string>("forged");
          break;
        case OpKind::kDelete:
        case OpKind::kTombstone:
          forged.known_state =
              original.known_state == VersionVector{}
                  ? VersionVector::from_ranges({{original.id.replica, {1, original.id.counter}}})
                  : VersionVector{};
          break;
      }
      break;
  }
  TS_ASSERT(forged != original);
  TS_ASSERT(validate_op(forged).is_ok());
  return forged;
}

Op Schedule::forge_invalid() {
  Op op = recent_ops_.empty() ? make_insert({ReplicaId::of("forger"), 1}, 1, kRoot,
                                            NodeId::from_low(1), std::string("\x80\x00", 2))
                              : recent_ops_[forge_.uniform_below(recent_ops_.size())];
  return break_validation_rule(std::move(op), forge_.uniform_below(kValidationRulesToBreak));
}

Op break_validation_rule(Op op, std::uint64_t rule) {
  // Each breaks one rule of validate_op() that a scenario file can still spell out.
  switch (rule % kValidationRulesToBreak) {
    case 0:
      op.id.counter = 0;
      break;
    case 1:
      op.lamport = 0;
      break;
    case 2:
      op.id.counter = kMaxCounter + 1;
      break;
    case 3:
      op.lamport = kMaxLamport + 1;
      break;
    case 4:  // an order key of an odd length (keys are 16-bit digits)
      if (op.kind != OpKind::kInsert && op.kind != OpKind::kMove) {
        op = make_insert(op.id, op.lamport, kRoot, op.node, "");
      }
      op.order_key += '\x01';
      break;
    default: {  // a delete without the known state it requires
      Op deletion;
      deletion.id = op.id;
      deletion.lamport = op.lamport;
      deletion.kind = OpKind::kDelete;
      deletion.node = op.node;
      op = std::move(deletion);
      break;
    }
  }
  TS_ASSERT(!validate_op(op).is_ok());
  return op;
}

void Schedule::start_sync(std::uint32_t from, std::uint32_t to) {
  if (simulation_->is_down(from)) return;
  Message request;
  request.kind = Message::Kind::kSyncRequest;
  request.from = from;
  request.to = to;
  request.known = simulation_->system(from).version_vector();
  network_.send(now_, std::move(request));
}

void Schedule::deliver_due() {
  std::map<std::uint32_t, std::vector<Op>> batches;
  for (Message& message : network_.take_due(now_)) {
    if (message.kind == Message::Kind::kSyncRequest) {
      emit(Event{.kind = Event::Kind::kSync,
                 .replica = message.to,
                 .peer = message.from,
                 .known = std::move(message.known)});
    } else {
      auto& batch = batches[message.to];
      batch.insert(batch.end(), message.ops.begin(), message.ops.end());
    }
    if (simulation_->failed()) return;
  }
  for (auto& [to, batch] : batches) {
    // Shuffle: a batch may hold ops in any order, including several from one replica reversed.
    for (std::size_t i = batch.size(); i > 1; --i) {
      std::swap(batch[i - 1], batch[schedule_.uniform_below(i)]);
    }
    if (options_.catch_up_fault_per_mille > 0 && !calm_ && !simulation_->is_down(to) &&
        needs_catch_up(to, batch) &&
        catch_up_faults_.chance(options_.catch_up_fault_per_mille, 1000)) {
      const std::uint64_t n = catch_up_faults_.in_range(1, 3);
      emit(Event{.kind = Event::Kind::kArmFaultPoint, .replica = to, .countdown = n});
    }
    emit(Event{.kind = Event::Kind::kDeliver, .replica = to, .ops = std::move(batch)});
    if (simulation_->failed()) return;
  }
}

bool Schedule::needs_catch_up(std::uint32_t to, const std::vector<Op>& batch) {
  SystemUnderTest& system = simulation_->system(to);
  const Head head = system.head();
  if (!head.key) return false;
  const VersionVector held = system.version_vector();
  return std::any_of(batch.begin(), batch.end(), [&](const Op& op) {
    return op.key() < *head.key && !held.contains(op.id.replica, op.id.counter);
  });
}

// --- the liveness phase ---

void Schedule::liveness() {
  calm_ = true;
  network_.heal();
  partition_heals_at_.reset();
  network_.calm();
  emit(Event{.kind = Event::Kind::kLiveness});
  if (simulation_->failed()) return;
  const std::uint64_t deadline = now_ + options_.liveness_ticks_max;
  for (; now_ < deadline; ++now_) {
    if (now_ % kLivenessSyncInterval == 0) {
      for (std::uint32_t from = 0; from < options_.replica_count; ++from) {
        for (std::uint32_t to = 0; to < options_.replica_count; ++to) {
          if (from != to) start_sync(from, to);
        }
      }
    }
    deliver_due();
    if (simulation_->failed()) return;
    // Equal logs everywhere is quiet enough: whatever is still in flight is redundant.
    if (logs_equal()) break;
  }
  // Quiet, or out of budget: the end event checks which, and fails on the latter.
  emit(Event{.kind = Event::Kind::kEnd});
}

bool Schedule::logs_equal() {
  const VersionVector first = simulation_->system(0).version_vector();
  for (std::uint32_t i = 1; i < options_.replica_count; ++i) {
    if (simulation_->system(i).version_vector() != first) return false;
  }
  return true;
}

}  // namespace treesim
