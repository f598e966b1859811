// materializer_fuzz: the production materializer of one replica against the reference model,
// with everything that reaches the replica chosen by the input bytes.
//
// The input is a sequence of choices (BytesEntropy, sim/entropy.h) from which a plan is built:
//   - the replica's setup: memory store or SQLite on the simulated disk, catch-up strategy,
//     deferred mode, undo retention (a window of a few ops forces rewind's fallback and undo
//     trimming) and what a power loss does to unsynced writes;
//   - an op set minted by up to three other replicas over a few nodes: Lamport clocks that
//     sometimes run behind (concurrent ops and ties), counters with gaps, moves into cycles and
//     under TRASH, nodes named before their insert (placeholders), and deletes and tombstones
//     whose known state saw everything, a prefix, a single counter or nothing of each replica;
//   - the order in which those ops arrive (a permutation) and how they are batched;
//   - between the deliveries: local edits, repeated deliveries, storage faults, fault points
//     inside the materializer, crashes and restarts, and forged ops (an id reused with other
//     content, or an op validate_op() rejects);
//   - at the end, faults off, every op once more, and the end-of-run checks.
// The plan is a list of simulator events (sim/event.h) for a simulation of one replica, and
// Simulation::replay executes it with the simulator's own checkers after every step rather than
// a second copy of them here: after every successful call the snapshot equals the model's fold
// of the acknowledged ops (reading through a pending frontier when the plan says so), a failed
// call leaves log, head, frontier and rows exactly as they were, the affected nodes cover every
// changed row, a restart keeps exactly the acknowledged ops, and at the end the replica holds
// the model's snapshot of every op. A failure prints the checker's report and the plan as a
// scenario file, which `treesim replay` reproduces and `treesim shrink` minimizes.
//
// Action 0 of the plan is "stop" and every choice of an exhausted input is 0, so a short input
// is a short run, and the simplest alternative of every choice is the one zero bytes select.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/op.h"
#include "fuzz/choice_recorder.h"
#include "fuzz/fuzz_target.h"
#include "materializer/probes.h"
#include "sim/entropy.h"
#include "sim/file_io.h"
#include "sim/options.h"
#include "sim/scenario.h"
#include "sim/schedule.h"
#include "sim/simulation.h"

namespace treesim::fuzz {
namespace {

constexpr std::string_view kTarget = "materializer_fuzz";

// Small enough that ops collide on nodes (cycles, races, revivals) and a run stays fast.
constexpr std::uint64_t kNodeCount = 6;
constexpr std::uint64_t kOpCountMax = 24;
constexpr std::size_t kEventCountMax = 48;

// The replica under test is the simulation's replica 0, named "a". The op set comes from
// replicas named around it, so that in the canonical order ties on Lamport time fall on both
// sides of its own ops: "ab" sorts between "a" and "b", and 0x80 after every ASCII name.
const ReplicaId& target_replica() {
  static const ReplicaId kTargetReplica = ReplicaId::of("a");
  return kTargetReplica;
}
const std::vector<ReplicaId>& source_replicas() {
  static const std::vector<ReplicaId> kSources = {ReplicaId::of("b"), ReplicaId::of("ab"),
                                                  ReplicaId::of("\x80")};
  return kSources;
}

// Keys with repeats, so siblings often tie on the key and the node id decides.
const std::vector<std::string>& order_keys() {
  static const std::vector<std::string> kKeys = {
      std::string("\x80\x00", 2), std::string("\x40\x00", 2), std::string("\xc0\x00", 2),
      std::string(), std::string("\x80\x00\x00\x01", 4)};
  return kKeys;
}

const std::vector<std::string>& payloads() {
  static const std::vector<std::string> kPayloads = {"A", "B", ""};
  return kPayloads;
}

struct Plan {
  std::uint64_t seed = 0;
  Options options;
  std::vector<Event> events;

  friend bool operator==(const Plan&, const Plan&) = default;
};

enum class Action : std::uint8_t {
  kStop,  // first: what an exhausted input chooses
  kDeliver,
  kRedeliver,
  kLocal,
  kStorageFault,
  kFaultPoint,
  kCrash,
  kRestart,
  kForge,
};
constexpr std::uint32_t kActionWeights[] = {1, 10, 1, 4, 2, 2, 1, 1, 1};

class PlanBuilder {
 public:
  explicit PlanBuilder(Entropy& entropy) : entropy_(entropy) {}

  Plan build() {
    Plan plan;
    plan.options.replica_count = 1;
    plan.options.replicas = {draw_config()};
    TS_ASSERT(plan.options.normalize().is_ok());
    // The simulated disk's randomness (torn writes under the random crash policy).
    plan.seed = entropy_.uniform_below(std::uint64_t{1} << 16);
    draw_op_set();
    draw_arrival_order();
    while (events_.size() < kEventCountMax) {
      if (!draw_action()) break;
    }
    emit({.kind = Event::Kind::kLiveness});
    // Every op the plan made once more, faults off: the final state is the fold of them all,
    // whatever deliveries were lost to failed calls or a replica that was down.
    std::vector<Op> all;
    for (std::size_t index : arrival_) {
      if (!retired_.contains(ops_[index].id)) all.push_back(ops_[index]);
    }
    if (!all.empty()) {
      emit({.kind = Event::Kind::kDeliver, .ops = std::move(all), .read_through = true});
    }
    emit({.kind = Event::Kind::kEnd});
    plan.events = std::move(events_);
    return plan;
  }

 private:
  ReplicaConfig draw_config() {
    ReplicaConfig config;
    config.store = entropy_.chance(3, 4) ? StoreKind::kMemory : StoreKind::kSqlite;
    config.strategy = static_cast<CatchUpStrategy>(entropy_.uniform_below(3));
    config.deferred = !entropy_.chance(2, 3);
    config.undo_retention =
        entropy_.chance(2, 3) ? std::uint64_t{1} << 16 : entropy_.in_range(1, 4);
    config.crash_policy = static_cast<CrashPolicy>(entropy_.uniform_below(4));
    return config;
  }

  void draw_op_set() {
    source_count_ = entropy_.in_range(1, source_replicas().size());
    const std::uint64_t count = entropy_.in_range(1, kOpCountMax);
    for (std::uint64_t i = 0; i < count; ++i) ops_.push_back(draw_op());
  }

  Op draw_op() {
    const ReplicaId& replica = source_replicas()[entropy_.uniform_below(source_count_)];
    std::uint64_t& counter = counters_[replica];
    // Now and then a counter is skipped: an op of that replica that never reaches this one,
    // so version vectors have gaps.
    counter += entropy_.chance(7, 8) ? 1 : 2;
    // Mostly causal (after everything minted so far); sometimes concurrent, behind the clock.
    const std::uint64_t lamport =
        entropy_.chance(3, 4) ? clock_ + 1 : entropy_.in_range(1, clock_ + 1);
    clock_ = std::max(clock_, lamport);
    const OpId id{replica, counter};
    constexpr std::uint32_t kKindWeights[] = {5, 3, 2, 1, 2};
    // Every draw is a statement of its own: the order of evaluation of function arguments is
    // unspecified, and the same bytes must make the same op under every compiler.
    const std::size_t kind = entropy_.weighted(kKindWeights);
    const NodeId node = draw_node();
    Op op;
    switch (kind) {
      case 0: {
        const NodeId parent = draw_parent(/*allow_trash=*/false);
        const std::string& key = entropy_.pick(order_keys());
        const std::optional<std::string> payload =
            entropy_.chance(2, 3) ? std::nullopt : draw_payload();
        op = make_insert(id, lamport, parent, node, key, payload);
        break;
      }
      case 1: {
        const NodeId parent = draw_parent(/*allow_trash=*/true);
        const std::string& key = entropy_.pick(order_keys());
        op = make_move(id, lamport, node, parent, key);
        break;
      }
      case 2:
        op = make_delete(id, lamport, node, draw_known_state());
        break;
      case 3: {
        const std::optional<VersionVector> known_state =
            entropy_.chance(1, 2) ? std::nullopt : std::optional(draw_known_state());
        op = make_tombstone(id, lamport, node, known_state);
        break;
      }
      default: {
        const std::optional<std::string> payload =
            entropy_.chance(3, 4) ? draw_payload() : std::nullopt;
        op = make_payload(id, lamport, node, payload);
        break;
      }
    }
    TS_ASSERT(validate_op(op).is_ok());
    return op;
  }

  // What the minter of a delete had seen of each replica: nothing, everything minted so far, a
  // prefix, or a single counter (a gap below it).
  VersionVector draw_known_state() {
    std::vector<std::pair<ReplicaId, CounterRange>> ranges;
    auto add = [&](const ReplicaId& replica, std::uint64_t highest) {
      if (highest == 0) return;
      switch (entropy_.uniform_below(4)) {
        case 0:
          break;
        case 1:
          ranges.push_back({replica, {1, highest}});
          break;
        case 2:
          ranges.push_back({replica, {1, entropy_.in_range(1, highest)}});
          break;
        default: {
          const std::uint64_t counter = entropy_.in_range(1, highest);
          ranges.push_back({replica, {counter, counter}});
          break;
        }
      }
    };
    // The replica under test has minted at most one op per local edit so far.
    add(target_replica(), local_edits_);
    for (std::uint64_t i = 0; i < source_count_; ++i) {
      const ReplicaId& replica = source_replicas()[i];
      add(replica, counters_.contains(replica) ? counters_.at(replica) : 0);
    }
    return VersionVector::from_ranges(ranges);
  }

  // One of the shared nodes, or a node a local insert created.
  NodeId draw_node() {
    const std::uint64_t choice = entropy_.uniform_below(kNodeCount + local_nodes_);
    return choice < kNodeCount ? NodeId::from_low(1 + choice)
                               : NodeId::from_low(kLocalNodeBase + (choice - kNodeCount));
  }
  NodeId draw_parent(bool allow_trash) {
    if (entropy_.chance(1, 4)) return kRoot;
    if (allow_trash && entropy_.chance(1, 8)) return kTrash;
    return draw_node();
  }
  std::optional<std::string> draw_payload() { return entropy_.pick(payloads()); }
  Placement draw_placement() {
    switch (entropy_.uniform_below(3)) {
      case 0:
        return Placement::last();
      case 1:
        return Placement::first();
      default:
        return Placement::after(draw_node());
    }
  }

  // Fisher-Yates; all-zero choices keep the minting order.
  void draw_arrival_order() {
    arrival_.resize(ops_.size());
    for (std::size_t i = 0; i < arrival_.size(); ++i) arrival_[i] = i;
    for (std::size_t i = 0; i + 1 < arrival_.size(); ++i) {
      std::swap(arrival_[i], arrival_[i + entropy_.uniform_below(arrival_.size() - i)]);
    }
  }

  // Draws and emits one action; false to stop.
  bool draw_action() {
    switch (static_cast<Action>(entropy_.weighted(kActionWeights))) {
      case Action::kStop:
        return false;
      case Action::kDeliver:
        deliver_next();
        return true;
      case Action::kRedeliver:
        redeliver();
        return true;
      case Action::kLocal: {
        ++local_edits_;
        LocalEdit edit = draw_local_edit();
        const bool read_through = entropy_.chance(1, 2);
        emit({.kind = Event::Kind::kLocal, .edit = std::move(edit), .read_through = read_through});
        return true;
      }
      case Action::kStorageFault:
        // Memory: the n-th store call fails. SQLite: n picks the kind of disk fault (a read,
        // write, sync, lock or full disk) and which call of that kind.
        emit({.kind = Event::Kind::kArmStorageFault, .countdown = entropy_.in_range(1, 40)});
        return true;
      case Action::kFaultPoint:
        emit({.kind = Event::Kind::kArmFaultPoint, .countdown = entropy_.in_range(1, 8)});
        return true;
      case Action::kCrash:
        emit({.kind = Event::Kind::kCrash});
        return true;
      case Action::kRestart:
        // Only does something after a restart failed (an armed fault hit the reopen).
        emit({.kind = Event::Kind::kRestart});
        return true;
      case Action::kForge:
        emit({.kind = Event::Kind::kForge, .ops = {draw_forgery()}});
        return true;
    }
    TS_UNREACHABLE();
  }

  // The next 1..4 ops in arrival order, now and then with an op delivered before (or one of
  // the batch) repeated at a random place.
  void deliver_next() {
    if (next_arrival_ == arrival_.size()) {
      redeliver();
      return;
    }
    const std::uint64_t size =
        std::min<std::uint64_t>(entropy_.in_range(1, 4), arrival_.size() - next_arrival_);
    std::vector<Op> batch;
    for (std::uint64_t i = 0; i < size; ++i) {
      const std::size_t index = arrival_[next_arrival_++];
      delivered_.push_back(index);
      batch.push_back(ops_[index]);
    }
    if (!entropy_.chance(5, 6)) {
      const Op repeated = ops_[entropy_.pick(delivered_)];
      const std::uint64_t place = entropy_.uniform_below(batch.size() + 1);
      batch.insert(batch.begin() + static_cast<std::ptrdiff_t>(place), repeated);
    }
    const bool read_through = entropy_.chance(1, 2);
    emit({.kind = Event::Kind::kDeliver, .ops = std::move(batch), .read_through = read_through});
  }

  // 1..3 ops that were delivered before (duplicates to the replica, unless that call failed).
  void redeliver() {
    if (delivered_.empty()) return;
    std::vector<Op> batch;
    const std::uint64_t size = entropy_.in_range(1, 3);
    for (std::uint64_t i = 0; i < size; ++i) batch.push_back(ops_[entropy_.pick(delivered_)]);
    const bool read_through = entropy_.chance(1, 2);
    emit({.kind = Event::Kind::kDeliver, .ops = std::move(batch), .read_through = read_through});
  }

  LocalEdit draw_local_edit() {
    LocalEdit edit;
    edit.kind = static_cast<LocalEdit::Kind>(entropy_.uniform_below(4));
    switch (edit.kind) {
      case LocalEdit::Kind::kInsert:
        // Mostly a node of its own; an existing node is an invalid local insert, which must
        // be rejected without a trace.
        if (entropy_.chance(3, 4)) {
          edit.node = NodeId::from_low(kLocalNodeBase + local_nodes_++);
        } else {
          edit.node = draw_node();
        }
        edit.parent = draw_parent(/*allow_trash=*/false);
        edit.placement = draw_placement();
        if (!entropy_.chance(2, 3)) edit.payload = draw_payload();
        break;
      case LocalEdit::Kind::kMove:
        edit.node = draw_node();
        edit.parent = draw_parent(/*allow_trash=*/true);
        edit.placement = draw_placement();
        break;
      case LocalEdit::Kind::kRemove:
        edit.node = draw_node();
        break;
      case LocalEdit::Kind::kSetPayload:
        edit.node = draw_node();
        if (entropy_.chance(3, 4)) edit.payload = draw_payload();
        break;
    }
    return edit;
  }

  // An op the replica must reject. An equivocation copies an op delivered before with one
  // field changed; its id is never delivered again, because if the original's delivery had
  // failed, the replica takes the copy as a new op (sim/simulation.h, forge) and would then
  // rightly reject the original as the equivocation. An invalid op breaks one rule of
  // validate_op() that a scenario file can still spell out (core/jsonl_codec.h).
  Op draw_forgery() {
    if (!delivered_.empty() && entropy_.chance(1, 2)) {
      const std::size_t position = entropy_.uniform_below(delivered_.size());
      const Op original = ops_[delivered_[position]];
      delivered_.erase(delivered_.begin() + static_cast<std::ptrdiff_t>(position));
      retired_.insert(original.id);
      Op forged = original;
      switch (entropy_.uniform_below(3)) {
        case 0:
          ++forged.lamport;
          break;
        case 1:
          // The next shared node (source ops name only shared nodes).
          forged.node = NodeId::from_low(1 + original.node.low % kNodeCount);
          break;
        default:
          if (forged.kind == OpKind::kInsert || forged.kind == OpKind::kMove) {
            forged.order_key += std::string("\x00\x01", 2);
          } else if (forged.kind == OpKind::kPayload) {
            forged.payload = forged.payload ? std::nullopt : std::optional<std::string>("forged");
          } else {
            forged.known_state =
                forged.known_state && forged.known_state->empty()
                    ? VersionVector::from_ranges({{forged.id.replica, {1, forged.id.counter}}})
                    : VersionVector{};
          }
          break;
      }
      TS_ASSERT(!(forged == original));
      return forged;
    }
    Op op = ops_[entropy_.uniform_below(ops_.size())];
    return break_validation_rule(std::move(op), entropy_.uniform_below(kValidationRulesToBreak));
  }

  // Appends `event` at the next tick (ticks only say the order here).
  void emit(Event event) {
    event.tick = tick_++;
    events_.push_back(std::move(event));
  }

  // Nodes a local insert creates, above the shared ones.
  static constexpr std::uint64_t kLocalNodeBase = 0x100;

  Entropy& entropy_;
  std::uint64_t source_count_ = 1;
  std::vector<Op> ops_;                          // in minting order
  std::map<ReplicaId, std::uint64_t> counters_;  // the highest counter minted, per replica
  std::uint64_t clock_ = 0;                      // the highest Lamport time minted
  std::vector<std::size_t> arrival_;             // indices into ops_, in arrival order
  std::size_t next_arrival_ = 0;
  std::vector<std::size_t> delivered_;  // indices whose delivery was planned, not retired
  std::set<OpId> retired_;              // ids of forged copies, never delivered again
  std::uint64_t local_edits_ = 0;
  std::uint64_t local_nodes_ = 0;
  std::uint64_t tick_ = 0;
  std::vector<Event> events_;
};

Plan plan_of(std::string_view bytes) {
  BytesEntropy entropy(
      std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  return PlanBuilder(entropy).build();
}

RunResult run(const Plan& plan) {
  Simulation simulation(plan.seed, plan.options);
  return simulation.replay(plan.events);
}

std::string scenario_text(const Plan& plan, std::string comment) {
  return scenario_to_json_text(Scenario{std::move(comment), plan.seed, plan.options, plan.events});
}

std::string report(const Plan& plan, const RunResult& result) {
  TS_ASSERT(result.failure.has_value());
  std::string out = result.failure->to_display() + "\nlast events:\n";
  for (const std::string& line : result.recent_events) out += "  " + line + "\n";
  out +=
      "the input as a scenario (save it as FILE.json; `treesim replay FILE.json` reproduces "
      "it, `treesim shrink FILE.json` minimizes it):\n";
  out += scenario_text(plan, "materializer_fuzz input: " + result.failure->to_display());
  return out;
}

void check_input(std::string_view bytes) {
  const Plan plan = plan_of(bytes);
  const RunResult result = run(plan);
  if (result.failure) fail(kTarget, report(plan, result));
}

// The probes worth a seed of their own, each on either store.
bool worth_a_seed(Probe probe) {
  return probe != Probe::kInOrderApply && probe != Probe::kLocalOp &&
         probe != Probe::kDuplicateDrop;
}

}  // namespace

// Draws plans from seeded generators through a ChoiceRecorder and keeps, for every probe and
// store, the first plan that hits the probe there: inputs that make each catch-up strategy,
// the rewind fallback, undo trimming, a deferred catch-up, a rollback after a storage fault, a
// fired fault point, a recovery on reopen, a rejected equivocation and so on happen, on the
// memory store and on SQLite. A file is named after what it was kept for, e.g.
// "catch-up-rewind+fault-injected.sqlite".
Result<std::size_t> write_seeds(const std::string& directory,
                                const std::vector<std::string>& sources) {
  if (!sources.empty()) {
    return Status::invalid_argument("materializer_fuzz makes its seeds from nothing: no sources");
  }
  constexpr std::uint64_t kGeneratorSeeds = 5000;
  std::size_t wanted = 0;
  for (std::size_t i = 0; i < kProbeCount; ++i) wanted += worth_a_seed(static_cast<Probe>(i));
  wanted *= 2;                    // on each store
  std::set<std::string> covered;  // "<probe>.<store>"
  // Kept inputs in the order found, with the probes each was kept for and its store.
  std::vector<std::pair<std::string, std::vector<std::string>>> kept;
  std::vector<std::string> kept_store;
  for (std::uint64_t seed = 1; seed <= kGeneratorSeeds && covered.size() < wanted; ++seed) {
    Rng rng = Rng(seed).fork("materializer_fuzz seeds");
    ChoiceRecorder recorder(rng);
    const Plan plan = PlanBuilder(recorder).build();
    if (!(plan_of(recorder.bytes()) == plan)) {
      return Status::internal("generator seed " + std::to_string(seed) +
                              ": the recorded bytes decode to another plan");
    }
    const RunResult result = run(plan);
    if (result.failure) {
      return Status::internal("generator seed " + std::to_string(seed) +
                              " found a failure: " + report(plan, result));
    }
    const char* store = store_kind_name(plan.options.replicas[0].store);
    std::vector<std::string> reasons;
    for (std::size_t i = 0; i < kProbeCount; ++i) {
      const auto probe = static_cast<Probe>(i);
      if (!worth_a_seed(probe) || result.probes.count(probe) == 0) continue;
      if (covered.insert(std::string(probe_name(probe)) + "." + store).second) {
        reasons.push_back(probe_name(probe));
      }
    }
    if (reasons.empty()) continue;
    kept.emplace_back(recorder.bytes(), std::move(reasons));
    kept_store.push_back(store);
  }
  for (std::size_t i = 0; i < kept.size(); ++i) {
    std::string name;
    for (const std::string& reason : kept[i].second) name += (name.empty() ? "" : "+") + reason;
    TS_RETURN_IF_ERROR(write_file(directory + "/" + name + "." + kept_store[i], kept[i].first));
  }
  if (covered.size() < wanted) {
    std::fprintf(stderr, "%zu of %zu probe and store pairs not hit by %llu generator seeds\n",
                 wanted - covered.size(), wanted, static_cast<unsigned long long>(kGeneratorSeeds));
  }
  return kept.size();
}

std::string describe_input(std::string_view bytes) {
  const Plan plan = plan_of(bytes);
  const RunResult result = run(plan);
  std::string out = scenario_text(plan, "materializer_fuzz input");
  out += result.failure ? "fails: " + result.failure->to_display() + "\n" : "passes\n";
  out += "probes:";
  for (std::size_t i = 0; i < kProbeCount; ++i) {
    const auto probe = static_cast<Probe>(i);
    if (result.probes.count(probe) != 0) {
      out +=
          std::string(" ") + probe_name(probe) + "=" + std::to_string(result.probes.count(probe));
    }
  }
  return out + "\n";
}

}  // namespace treesim::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  treesim::fuzz::check_input(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
