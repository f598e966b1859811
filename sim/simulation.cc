#include "sim/simulation.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <set>
#include <utility>

#include "core/json_values.h"
#include "core/snapshot_diff.h"
#include "sim/in_process_replica.h"
#include "sim/schedule.h"
#include "sim/simulation_replica.h"

namespace treesim {
namespace {

constexpr std::size_t kRecentEvents = 40;

}  // namespace

std::string seed_to_display(std::uint64_t seed) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "0x%016llx", static_cast<unsigned long long>(seed));
  return buffer;
}

Result<std::uint64_t> seed_from_text(std::string_view text) {
  if (text.empty()) return Status::invalid_argument("empty");
  // Exactly decimal digits, or 0x / 0X and hex digits: no sign, no spaces, no octal reading
  // of a leading zero, nothing after the number, and nothing that does not fit in 64 bits.
  const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  const std::string_view digits = hex ? text.substr(2) : text;
  std::uint64_t value = 0;
  const auto [end, error] =
      std::from_chars(digits.data(), digits.data() + digits.size(), value, hex ? 16 : 10);
  if (error == std::errc::result_out_of_range) {
    return Status::invalid_argument("'" + json::printable(std::string(text)) +
                                    "' does not fit in 64 bits");
  }
  if (error != std::errc() || end != digits.data() + digits.size()) {
    return Status::invalid_argument("'" + json::printable(std::string(text)) +
                                    "' is not a number (decimal or 0x hex)");
  }
  return value;
}

SystemFactory in_process_factory() {
  return [](const ReplicaId& id, const ReplicaConfig& config, std::uint64_t seed) {
    return std::make_unique<InProcessReplica>(id, config, seed);
  };
}

namespace {

// Replica ids "a", "b", ...: short in traces, and ordered like their indices.
ReplicaId replica_id(std::uint32_t index) {
  return ReplicaId::of(std::string(1, static_cast<char>('a' + index)));
}

}  // namespace

Simulation::Simulation(std::uint64_t seed, Options options, SystemFactory factory)
    : seed_(seed), options_(std::move(options)), trace_hash_(fnv1a64("treesim-trace-v1")) {
  TS_ASSERT(options_.replicas.size() == options_.replica_count);
  recent_.resize(kRecentEvents);
  for (std::uint32_t i = 0; i < options_.replica_count; ++i) {
    const std::uint64_t replica_seed = Rng(seed).fork("replica-" + std::to_string(i)).next();
    const ReplicaId id = replica_id(i);
    replicas_.push_back(
        std::make_unique<Replica>(i, id, factory(id, options_.replicas[i], replica_seed)));
  }
}

Simulation::~Simulation() = default;

void Simulation::record(const std::string& event) {
  const std::string line = "t" + std::to_string(tick_) + " " + event;
  trace_hash_ = fnv1a64(line, trace_hash_);
  trace_hash_ = fnv1a64("\n", trace_hash_);
  recent_[recent_next_++ % kRecentEvents] = line;
}

void Simulation::fail(FailureClass failure_class, std::string checker,
                      std::optional<std::uint32_t> replica, std::string message,
                      std::string first_difference) {
  if (failure_) return;  // the first failure is the one reported
  failure_ = Failure{failure_class, std::move(checker), tick_, replica, std::move(message),
                     std::move(first_difference)};
  record("FAILED " + failure_->to_display());
}

void Simulation::start() {
  TS_ASSERT(!used_);
  used_ = true;
  for (auto& replica : replicas_) {
    if (Status status = replica->sut->open(); !status.is_ok()) {
      fail(FailureClass::kCorrectness, "open", replica->index,
           "opening an empty store failed: " + status.to_string());
    }
  }
  record("start seed=" + seed_to_display(seed_) + " " + options_.to_display());
}

RunResult Simulation::finish() {
  RunResult result;
  result.failure = failure_;
  result.trace_hash = trace_hash_;
  stats_.ticks = tick_;
  result.stats = stats_;
  for (const auto& replica : replicas_) result.probes.add(replica->sut->probes());
  for (std::size_t i = 0; i < kRecentEvents; ++i) {
    const std::string& line = recent_[(recent_next_ + i) % kRecentEvents];
    if (!line.empty()) result.recent_events.push_back(line);
  }
  return result;
}

RunResult Simulation::run(std::vector<Event>* recorded) {
  return generate(EntropySource::seeded(seed_), recorded);
}

RunResult Simulation::run_with(Entropy& entropy, std::vector<Event>* recorded) {
  return generate(EntropySource::sharing(entropy), recorded);
}

RunResult Simulation::generate(const EntropySource& entropy, std::vector<Event>* recorded) {
  start();
  if (!failed()) {
    Schedule schedule(entropy, options_);
    schedule_ = &schedule;
    schedule.drive(*this, recorded);
    schedule_ = nullptr;
  }
  return finish();
}

DrawnRun draw_run_setup(Entropy& entropy) {
  DrawnRun run;
  run.options = Options::swarm(entropy);
  // Short runs (a fuzzer wants as many a second as it can get): the profile's first replicas.
  if (run.options.replica_count > kDrawnReplicasMax) {
    run.options.replica_count = kDrawnReplicasMax;
    run.options.replicas.resize(kDrawnReplicasMax);
  }
  run.options.safety_ticks = kDrawnSafetyTicksMax;
  // SQLite on the simulated disk is the embedded default, but many times slower than the memory
  // store under the sanitizers: one run in four keeps the profile's stores, the others (and an
  // input that ends here) keep every replica in memory.
  if (entropy.chance(3, 4)) {
    for (ReplicaConfig& replica : run.options.replicas) replica.store = StoreKind::kMemory;
  }
  // The per-step checks are most of a short run's cost. Skipping some keeps every checker: a
  // wrong state is seen at the next checked step or at the end (which checks every replica), a
  // failed call on a skipped step is still compared with the model of its unchanged log, and
  // the crash, forge and durability checks run at every such event. What only a checked step
  // has is the snapshot before the call (the affected-nodes comparison, the exact rollback
  // comparison of a pending state), so one run in four, and an input that ends here, still
  // checks after every step.
  run.options.check_every = entropy.chance(1, 4) ? 1 : kDrawnCheckEvery;
  const Status normalized = run.options.normalize();
  TS_ASSERT(normalized.is_ok());
  // The simulated disks' randomness (torn writes under the random crash policy).
  run.seed = entropy.uniform_below(std::uint64_t{1} << 16);
  return run;
}

DrawnRun run_drawn(Entropy& entropy, std::vector<Event>* recorded, SystemFactory factory) {
  DrawnRun run = draw_run_setup(entropy);
  run.result = Simulation(run.seed, run.options, std::move(factory)).run_with(entropy, recorded);
  return run;
}

DrawnRun run_bytes(std::span<const std::uint8_t> bytes, std::vector<Event>* recorded,
                   SystemFactory factory) {
  BytesEntropy entropy(bytes);
  return run_drawn(entropy, recorded, std::move(factory));
}

RunResult Simulation::replay(const std::vector<Event>& events, const ReplayHooks& hooks) {
  start();
  hooks_ = &hooks;
  for (std::size_t i = 0; i < events.size() && !failed(); ++i) {
    Event event = events[i];
    if (hooks.before && !hooks.before(i, event)) continue;
    execute(event);
  }
  hooks_ = nullptr;
  return finish();
}

bool Simulation::is_down(std::uint32_t index) const {
  TS_ASSERT(index < replicas_.size());
  return replicas_[index]->down;
}

SystemUnderTest& Simulation::system(std::uint32_t index) {
  TS_ASSERT(index < replicas_.size());
  return *replicas_[index]->sut;
}

// --- the executor ---

void Simulation::execute(Event& event) {
  TS_ASSERT(!failed());
  TS_ASSERT(event.tick >= tick_);
  TS_ASSERT(event.replica < options_.replica_count);
  tick_ = event.tick;
  const std::string who = "r" + std::to_string(event.replica);
  switch (event.kind) {
    case Event::Kind::kLocal:
      if (is_down(event.replica)) {
        // Only an edited list gets here: the schedule never edits at a down replica.
        record(who + " down: local " + event.edit.to_display() + " skipped");
        return;
      }
      local_edit(event.replica, event.edit, event.read_through);
      return;
    case Event::Kind::kDeliver:
      TS_ASSERT(!event.ops.empty());
      deliver_ops(event.replica, event.ops, event.read_through);
      return;
    case Event::Kind::kSync:
      TS_ASSERT(event.peer < options_.replica_count);
      TS_ASSERT(event.peer != event.replica);
      answer_sync(event.replica, event.peer, event.known);
      return;
    case Event::Kind::kPartition: {
      // The network is the schedule's; here the partition is only a line of the trace.
      std::string members;
      for (std::uint32_t i : event.side) {
        TS_ASSERT(i < options_.replica_count);
        members += " " + std::to_string(i);
      }
      record("partition {" + members + " } until t" + std::to_string(event.until));
      return;
    }
    case Event::Kind::kHeal:
      record("partition healed");
      return;
    case Event::Kind::kCrash:
      crash_and_restart(event.replica);
      return;
    case Event::Kind::kRestart:
      if (!is_down(event.replica)) {
        // Only an edited list gets here: the schedule restarts down replicas only.
        record(who + " up: restart skipped");
        return;
      }
      restart(event.replica);
      return;
    case Event::Kind::kArmStorageFault:
      arm_storage_fault(event.replica, event.countdown);
      return;
    case Event::Kind::kArmFaultPoint:
      arm_fault_point(event.replica, event.countdown);
      return;
    case Event::Kind::kForge:
      TS_ASSERT(event.ops.size() == 1);
      forge(event.replica, event.ops.front());
      return;
    case Event::Kind::kLiveness:
      liveness();
      return;
    case Event::Kind::kEnd:
      end();
      return;
  }
  TS_UNREACHABLE();
}

void Simulation::arm_storage_fault(std::uint32_t index, std::uint64_t countdown) {
  TS_ASSERT(countdown >= 1);
  Replica& replica = *replicas_[index];
  if (replica.sut->arm_storage_fault(countdown)) {
    replica.fault_armed = true;
    record("r" + std::to_string(index) + " arm storage fault in " + std::to_string(countdown) +
           " calls");
  }
}

void Simulation::arm_fault_point(std::uint32_t index, std::uint64_t countdown) {
  TS_ASSERT(countdown >= 1);
  Replica& replica = *replicas_[index];
  if (replica.sut->arm_fault_point(countdown)) {
    replica.fault_armed = true;
    record("r" + std::to_string(index) + " arm fault point in " + std::to_string(countdown) +
           " sites");
  }
}

void Simulation::answer_sync(std::uint32_t responder_index, std::uint32_t requester,
                             const VersionVector& known) {
  Replica& responder = *replicas_[responder_index];
  if (responder.down) return;
  auto missing = responder.sut->ops_missing_from(known);
  if (!missing.is_ok()) {
    if (!responder.fault_armed || !is_fault_code(missing.status().code())) {
      fail(FailureClass::kCorrectness, "sync", responder_index,
           "ops_missing_from failed without an armed fault: " + missing.status().to_string());
    }
    after_failed_call(responder_index, missing.status().code());
    return;
  }
  if (missing->empty()) return;
  record("r" + std::to_string(responder_index) + " sync answer to r" + std::to_string(requester) +
         ": " + std::to_string(missing->size()) + " ops");
  // In a replay the answer's arrival is a deliver event of its own.
  if (schedule_ == nullptr) return;
  Message answer;
  answer.kind = Message::Kind::kOps;
  answer.from = responder_index;
  answer.to = requester;
  answer.ops = std::move(*missing);
  schedule_->send(tick_, std::move(answer));
}

void Simulation::deliver_ops(std::uint32_t to, const std::vector<Op>& batch, bool& read_through) {
  Replica& replica = *replicas_[to];
  const std::string who = "r" + std::to_string(to);
  if (replica.down) {
    record(who + " down: lost " + std::to_string(batch.size()) + " ops");
    return;
  }
  const Before before = capture(*replica.sut, step_checked());
  auto result = replica.sut->append(batch);
  ++stats_.appends;
  if (!result.is_ok()) {
    ++stats_.failed_calls;
    record(who + " append " + std::to_string(batch.size()) + " ops failed: " +
           status_code_name(result.status().code()));
    if (!replica.fault_armed || !is_fault_code(result.status().code())) {
      fail(FailureClass::kCorrectness, "append", to,
           "append failed without an armed fault: " + result.status().to_string());
      return;
    }
    for (const Op& op : batch) {
      if (!replica.model.contains(op.id)) replica.failed_only.insert(op.id);
    }
    check_no_trace(to, before, capture(*replica.sut, true), "append");
    after_failed_call(to, result.status().code());
    return;
  }
  stats_.ops_delivered += batch.size();
  record(who + " append " + std::to_string(batch.size()) + " ops: " +
         std::to_string(result->new_op_count) + " new, " + head_to_display(result->head) +
         (result->catch_up_pending ? " pending" : ""));
  std::optional<OpKey> smallest_new;
  for (const Op& op : batch) {
    if (!replica.model.contains(op.id) && (!smallest_new || op.key() < *smallest_new)) {
      smallest_new = op.key();
    }
  }
  if (Status status = replica.model.add_all(batch); !status.is_ok()) {
    fail(FailureClass::kCorrectness, "model", to,
         "the model rejected a batch the replica accepted: " + status.to_string());
    return;
  }
  for (const Op& op : batch) replica.failed_only.erase(op.id);
  // Without a snapshot before the call (a step --check-every skips) only the frontier is checked.
  const std::optional<Snapshot> after =
      before.snapshot ? std::optional(replica.sut->materialized_snapshot()) : std::nullopt;
  if (result->catch_up_pending) {
    const Frontier frontier = replica.sut->frontier();
    if (after && *after != *before.snapshot) {
      fail(FailureClass::kRollback, "rollback", to,
           "deferred append left the materialized state changed: " +
               describe_snapshot_diff(*before.snapshot, *after, 3));
    } else if (smallest_new &&
               (frontier.kind != Frontier::Kind::kKey || *smallest_new < frontier.key)) {
      fail(FailureClass::kRollback, "rollback", to,
           "deferred append recorded frontier " + frontier.to_display() +
               " after its smallest new key " + smallest_new->to_display());
    }
  } else if (after) {
    for (const SnapshotDifference& difference : diff_snapshots(*before.snapshot, *after)) {
      if (!std::binary_search(result->affected.begin(), result->affected.end(), difference.node)) {
        fail(FailureClass::kCorrectness, "affected", to,
             "node " + difference.node.to_display() + " changed (" + difference.to_string() +
                 ") but is not among the affected nodes");
        break;
      }
    }
  }
  maybe_check(to, read_through);
}

void Simulation::forge(std::uint32_t index, const Op& op) {
  Replica& replica = *replicas_[index];
  const std::string who = "r" + std::to_string(index);
  if (replica.down) {
    // Only an edited list gets here: the schedule forges for up replicas only.
    record(who + " down: forge " + op.to_display() + " skipped");
    return;
  }
  const bool invalid = !validate_op(op).is_ok();
  if (!invalid && !replica.sut->version_vector().contains(op.id.replica, op.id.counter)) {
    // Only an edited list gets here: the schedule forges only ids the replica holds. Without
    // the original the op is new, and the replica must take it like any delivery.
    record(who + " forge " + op.to_display() + ": id not held, delivered as a new op");
    bool read_through = false;
    deliver_ops(index, {op}, read_through);
    return;
  }
  // Never offered to the model, nor to failed_only: the replica holds the id (an equivocation)
  // or the op never reaches its store (invalid).
  const char* what = invalid ? "invalid" : "equivocation";
  const StatusCode expected = invalid ? StatusCode::kInvalidArgument : StatusCode::kEquivocation;
  ++stats_.forged_ops;
  // A forged op fails: always worth the exact comparison.
  const Before before = capture(*replica.sut, /*with_snapshot=*/true);
  auto result = replica.sut->append({op});
  ++stats_.appends;
  if (result.is_ok()) {
    record(who + " forge " + what + " " + op.to_display() + " accepted");
    fail(FailureClass::kCorrectness, "forge", index,
         std::string("the replica accepted a forged op (") + what + "): " + op.to_display());
    return;
  }
  ++stats_.failed_calls;
  const StatusCode code = result.status().code();
  record(who + " forge " + what + " " + op.to_display() + " rejected: " + status_code_name(code));
  // An armed storage fault may fire in the lookup of the stored op first.
  if (code != expected && !(replica.fault_armed && is_fault_code(code))) {
    fail(FailureClass::kCorrectness, "forge", index,
         std::string("a forged op (") + what + ") was rejected with " +
             result.status().to_string() + ", expected " + status_code_name(expected));
    return;
  }
  check_no_trace(index, before, capture(*replica.sut, true), "forged append");
  after_failed_call(index, code);
}

void Simulation::local_edit(std::uint32_t index, const LocalEdit& edit, bool& read_through) {
  Replica& replica = *replicas_[index];
  const std::string who = "r" + std::to_string(index);
  const Before before = capture(*replica.sut, step_checked());
  auto result = replica.sut->local(edit);
  if (!result.is_ok()) {
    ++stats_.failed_calls;
    const StatusCode code = result.status().code();
    record(who + " local " + edit.to_display() + " failed: " + status_code_name(code));
    const bool expected = code == StatusCode::kInvalidArgument || code == StatusCode::kNotFound ||
                          (replica.fault_armed && is_fault_code(code));
    if (!expected) {
      fail(FailureClass::kCorrectness, "local", index,
           "local edit failed unexpectedly: " + result.status().to_string());
      return;
    }
    const Before after = capture(*replica.sut, true);
    // A local op first catches up a pending frontier (its own transaction); that may have
    // succeeded even though the edit then failed. Then the state must be the caught-up one.
    const bool caught_up = !before.frontier.is_none() && after.frontier.is_none() &&
                           after.log == before.log && *after.snapshot == replica.model.snapshot();
    if (!caught_up) check_no_trace(index, before, after, "local edit");
    after_failed_call(index, code);
    return;
  }
  ++stats_.local_edits;
  record(who + " local " + result->op.to_display());
  if (Status status = replica.model.add(result->op); !status.is_ok()) {
    fail(FailureClass::kCorrectness, "local", index,
         "the replica minted an op the model rejects: " + status.to_string());
    return;
  }
  if (hooks_ != nullptr && hooks_->minted) hooks_->minted(result->op);
  // In a replay the op's arrivals are deliver events of their own.
  for (std::uint32_t peer = 0; peer < options_.replica_count && schedule_ != nullptr; ++peer) {
    if (peer == index) continue;
    Message message;
    message.from = index;
    message.to = peer;
    message.ops = {result->op};
    schedule_->send(tick_, std::move(message));
  }
  maybe_check(index, read_through);
}

void Simulation::crash_and_restart(std::uint32_t index) {
  ++stats_.crashes;
  record("r" + std::to_string(index) + " crash");
  replicas_[index]->sut->crash();
  restart(index);
}

void Simulation::restart(std::uint32_t index) {
  Replica& replica = *replicas_[index];
  const std::string who = "r" + std::to_string(index);
  if (Status status = replica.sut->open(); !status.is_ok()) {
    replica.down = true;
    record(who + " restart failed: " + status_code_name(status.code()));
    if (!replica.fault_armed || !is_fault_code(status.code())) {
      fail(FailureClass::kDurability, "restart", index,
           "reopening after a crash failed without an armed fault: " + status.to_string());
    }
    return;
  }
  replica.down = false;
  record(who + " restarted " + head_to_display(replica.sut->head()));
  if (replica.commit_unsure && !adopt_unsure_commits(index)) return;
  // Durability: exactly the acknowledged ops survived.
  const VersionVector log = replica.sut->version_vector();
  const VersionVector acknowledged = ids_of(replica.model.sorted_ops());
  if (log != acknowledged) {
    fail(FailureClass::kDurability, "durability", index,
         "after restart the log holds " + log.to_display() + " but the acknowledged ops are " +
             acknowledged.to_display());
    return;
  }
  for (const OpId& id : replica.failed_only) {
    if (log.contains(id.replica, id.counter)) {
      fail(FailureClass::kDurability, "durability", index,
           "op " + id.to_display() + " of a failed call survived the restart");
      return;
    }
  }
  check_replica(index, /*read_through=*/false);
}

bool Simulation::adopt_unsure_commits(std::uint32_t index) {
  Replica& replica = *replicas_[index];
  const std::string who = "r" + std::to_string(index);
  const VersionVector acknowledged = ids_of(replica.model.sorted_ops());
  auto extra = replica.sut->ops_missing_from(acknowledged);
  if (!extra.is_ok()) {
    // Reading the log failed: the restart did not complete; the next one tries again.
    record(who + " restart failed reading its log: " + status_code_name(extra.status().code()));
    if (!replica.fault_armed || !is_fault_code(extra.status().code())) {
      fail(FailureClass::kDurability, "restart", index,
           "reading the log after a restart failed without an armed fault: " +
               extra.status().to_string());
    }
    replica.sut->crash();
    replica.down = true;
    return false;
  }
  replica.commit_unsure = false;
  if (extra->empty()) return true;
  // Only ops of failed calls may have survived: delivered ones, or the replica's own ops
  // minted after every op of its own that it acknowledged.
  std::uint64_t own_acknowledged = 0;
  if (auto own = acknowledged.entries.find(replica.id); own != acknowledged.entries.end()) {
    own_acknowledged = own->second.back().last;
  }
  for (const Op& op : *extra) {
    const bool own_failed_edit = op.id.replica == replica.id && op.id.counter > own_acknowledged;
    if (!replica.failed_only.contains(op.id) && !own_failed_edit) {
      fail(FailureClass::kDurability, "durability", index,
           "after restart the log holds " + op.id.to_display() +
               ", which no call offered this replica");
      return false;
    }
  }
  if (Status status = replica.model.add_all(*extra); !status.is_ok()) {
    fail(FailureClass::kCorrectness, "model", index,
         "the model rejected ops a failed commit left durable: " + status.to_string());
    return false;
  }
  for (const Op& op : *extra) replica.failed_only.erase(op.id);
  record(who + " restart: " + std::to_string(extra->size()) +
         " ops of failed calls turned out durable");
  return true;
}

void Simulation::after_failed_call(std::uint32_t index, StatusCode code) {
  Replica& replica = *replicas_[index];
  if (failed()) return;
  if (options_.replicas[index].store == StoreKind::kSqlite &&
      (code == StatusCode::kIoError || code == StatusCode::kStorageFull)) {
    replica.commit_unsure = true;
  }
  if (replica.sut->needs_restart()) {
    record("r" + std::to_string(index) + " cannot go on: restart");
    crash_and_restart(index);
  }
}

// --- the liveness phase ---

void Simulation::liveness() {
  record("liveness: heal, calm, clear faults");
  for (std::uint32_t i = 0; i < options_.replica_count; ++i) {
    replicas_[i]->sut->clear_faults();
    replicas_[i]->fault_armed = false;
    if (replicas_[i]->down) restart(i);
    if (failed()) return;
  }
}

}  // namespace treesim
