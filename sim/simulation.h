// Simulation: one seeded, deterministic run of many replicas over a faulty network, with the
// checkers run after every step.
//
// A run has two phases (TigerBeetle's VOPR): a safety phase of `safety_ticks` ticks in which
// replicas edit locally, messages are delayed, reordered, duplicated, dropped and partitioned,
// replicas crash and restart, and storage calls and fault points fail; then a liveness phase in
// which the network heals, faults stop, and anti-entropy runs until every replica holds the same
// log (bounded by `liveness_ticks_max`). Checkers (ARCHITECTURE.md):
//   model       a replica's materialized snapshot equals the model's fold of its log;
//   invariants  the replica's own check_invariants() (tree shape, cached flags, rows vs memory);
//   rollback    a failed call leaves log, snapshot, head and frontier exactly as before (deferred
//               mode: the log gains the batch, the frontier is at or before its first new key);
//   affected    the affected nodes of a call cover every node whose snapshot row changed;
//   durability  after a crash and restart the log holds exactly the acknowledged ops;
//   forge       byzantine input (a forged op: an id the replica holds reused with other content,
//               or an op validate_op() rejects) is rejected as equivocation or as invalid, and
//               leaves no trace (the rollback checker's comparison);
//   convergence at the end, every replica holds the same log and the model's snapshot of it.
//   queries     at the end, the read API of every replica that has one (children, parent and
//               payload of ROOT, TRASH, every known node and a node no op names) answers what
//               the model's queries answer (SEMANTICS.md §6); ROOT's payload is in no snapshot.
// Every event is folded into a trace hash; the same seed and options give the same hash.
//
// The simulation is split in two. Schedule (sim/schedule.h) is the generator: it owns every
// random choice and the network, and decides the next Event. Simulation is the executor: it
// applies an event to the replicas and runs the checkers after it. run() lets the schedule
// generate and execute events (and optionally records them); replay() executes a recorded list
// without consulting the seed's schedule at all, and gives the same calls, failures and trace
// hash as the run that recorded it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "materializer/probes.h"
#include "model/model.h"
#include "sim/entropy.h"
#include "sim/event.h"
#include "sim/failure.h"
#include "sim/options.h"
#include "sim/system_under_test.h"

namespace treesim {

struct RunStats {
  std::uint64_t ticks = 0;
  std::uint64_t local_edits = 0;
  std::uint64_t appends = 0;
  std::uint64_t ops_delivered = 0;
  std::uint64_t failed_calls = 0;
  std::uint64_t crashes = 0;
  std::uint64_t forged_ops = 0;
  std::uint64_t checks = 0;
  std::uint64_t final_op_count = 0;
  std::uint64_t final_node_count = 0;
};

struct RunResult {
  std::optional<Failure> failure;
  std::uint64_t trace_hash = 0;
  RunStats stats;
  Probes probes;  // summed over every replica
  // The last events before the end (or the failure), for the report.
  std::vector<std::string> recent_events;
};

// Makes the system under test of one replica. The default is the project's own materializer
// in process (InProcessReplica); tests plug in deliberately broken systems to prove the
// checkers fire, and other implementations plug in here too. `seed` is the replica's own,
// derived from the run's seed (an SQLite replica's simulated disk draws from it).
using SystemFactory = std::function<std::unique_ptr<SystemUnderTest>(
    const ReplicaId&, const ReplicaConfig&, std::uint64_t seed)>;

SystemFactory in_process_factory();

// A replica's log ids, materialized snapshot, head and frontier, captured around a call.
struct Before;
class Schedule;

class Simulation {
 public:
  // `options` must be normalized.
  Simulation(std::uint64_t seed, Options options, SystemFactory factory = in_process_factory());
  ~Simulation();

  // Generates the seed's random schedule and executes it. With `recorded`, every executed
  // event is appended to it, the failing one included: replay(*recorded) then reproduces this
  // run exactly. A Simulation runs once (run or replay).
  RunResult run(std::vector<Event>* recorded = nullptr);
  // Like run(), with every choice of the schedule, the workloads and the network drawn from
  // `entropy` (one stream, in the order the run makes its choices) instead of the seed's
  // streams; the safety phase ends early if `entropy` runs out. The seed still names the run in
  // the trace and seeds the replicas' simulated disks. replay(*recorded) reproduces this run too.
  RunResult run_with(Entropy& entropy, std::vector<Event>* recorded = nullptr);

  // Executes `events` in order, stopping at the first failure, without any random choice.
  // Preconditions (asserted; sim/scenario.h checks them when it reads a file): every replica
  // index is below replica_count, a sync's replica and peer differ, a delivery is not empty, a
  // forge holds exactly one op, ticks never decrease. The end-of-run checks are the kEnd
  // event's: a list without one ends after its last event with only the per-step checks done.
  // `hooks` let a tool that edits lists (sim/shrink.h) follow the replay; see ReplayHooks.
  struct ReplayHooks {
    // Sees each event, with its index in the list, just before it executes; may rewrite it
    // (keeping the preconditions above) or skip it by returning false.
    std::function<bool(std::size_t index, Event& event)> before;
    // Hears the op that a local edit minted, during the event `before` saw last.
    std::function<void(const Op& op)> minted;
  };
  RunResult replay(const std::vector<Event>& events, const ReplayHooks& hooks = {});

 private:
  // The schedule reads replica state (down or up, snapshot, log) to decide the next event,
  // and executes it through execute().
  friend class Schedule;
  struct Replica;

  // Opens every replica and records the start line.
  void start();
  // run() and run_with(): the schedule generates the events from `entropy`'s streams.
  RunResult generate(const EntropySource& entropy, std::vector<Event>* recorded);
  RunResult finish();

  // The executor: applies one event at event.tick. While the schedule drives (run), it may
  // fill in event.read_through from the schedule's choice.
  void execute(Event& event);
  bool is_down(std::uint32_t index) const;
  SystemUnderTest& system(std::uint32_t index);

  void local_edit(std::uint32_t index, const LocalEdit& edit, bool& read_through);
  // After a failed call: notes a commit that may be durable after all, and restarts a replica
  // that cannot go on (SystemUnderTest::needs_restart()).
  void after_failed_call(std::uint32_t index, StatusCode code);
  // At a restart after an unsure commit: the ops of failed calls the log holds become
  // acknowledged. False if the restart did not complete or a checker failed.
  bool adopt_unsure_commits(std::uint32_t index);
  void crash_and_restart(std::uint32_t index);
  void restart(std::uint32_t index);
  void arm_storage_fault(std::uint32_t index, std::uint64_t countdown);
  void arm_fault_point(std::uint32_t index, std::uint64_t countdown);
  void deliver_ops(std::uint32_t to, const std::vector<Op>& batch, bool& read_through);
  void answer_sync(std::uint32_t responder, std::uint32_t requester, const VersionVector& known);
  // Byzantine input: `op` arrives at replica `index`, which must reject it as an equivocation
  // (it holds op.id with other content) or as invalid. A valid op whose id it does not hold
  // (only an edited list gets there) is no forgery: it is delivered like any op.
  void forge(std::uint32_t index, const Op& op);
  void liveness();
  void end();
  // Checks replica `index` if check_every steps have passed; whether it reads through a pending
  // frontier is the schedule's choice in a run and `read_through` in a replay.
  void maybe_check(std::uint32_t index, bool& read_through);
  // Whether the step now starting will be checked (maybe_check's count): only then is a
  // snapshot captured before the call and the affected nodes compared.
  bool step_checked() const { return steps_since_check_ + 1 >= options_.check_every; }
  // The rollback checker: a failed `call` must leave `after` (captured with its snapshot) equal
  // to `before`. Without a snapshot before, a state that was caught up (no frontier) must still
  // be the model's snapshot of the replica's unchanged log.
  void check_no_trace(std::uint32_t index, const Before& before, const Before& after,
                      const char* call);
  void check_replica(std::uint32_t index, bool read_through);
  void check_convergence();
  // The queries checker of replica `index`, against the model's answers by node.
  void check_queries(std::uint32_t index,
                     const std::vector<std::pair<NodeId, QueryAnswers>>& expected);

  // Records an event in the trace hash and the recent-events ring.
  void record(const std::string& event);
  void fail(FailureClass failure_class, std::string checker, std::optional<std::uint32_t> replica,
            std::string message, std::string first_difference = "");
  bool failed() const { return failure_.has_value(); }

  std::uint64_t seed_;
  Options options_;
  std::vector<std::unique_ptr<Replica>> replicas_;
  // The generator while run() drives; null in a replay, which sends nothing and draws nothing.
  Schedule* schedule_ = nullptr;
  // The replay's hooks while replay() runs; null otherwise.
  const ReplayHooks* hooks_ = nullptr;
  bool used_ = false;
  std::uint64_t tick_ = 0;
  std::uint64_t steps_since_check_ = 0;
  std::optional<Failure> failure_;
  std::uint64_t trace_hash_;
  std::vector<std::string> recent_;
  std::size_t recent_next_ = 0;
  RunStats stats_;
};

// A run whose every choice is drawn from one Entropy: sim_fuzz's run of its input bytes, which
// `treesim replay --from-fuzz-input` turns into a scenario file. The entropy is read in order:
// a swarm profile (Options::swarm) cut down to a short run (at most kDrawnReplicasMax replicas
// and kDrawnSafetyTicksMax ticks of safety phase, which ends early when the entropy runs out),
// whether the replicas keep the profile's stores (one run in four) or all use the memory store,
// whether the per-step checks run after every step (one run in four) or after every
// kDrawnCheckEvery steps (Options::check_every; the end-of-run checks always run), the seed of
// the replicas' simulated disks, then every choice of the run (Simulation::run_with).
// Exhausted bytes read as zeros, so any byte string, the empty one included, is a valid run.
//
// The bounds are for a fuzzer's throughput (sim_fuzz under ASan and UBSan): a run's cost grows
// with its ticks and, at each step, with the checks (a snapshot of the replica and of the model,
// the replica's invariants); a fuzzer gains more from many short runs than from a few long ones,
// and seeded sweeps run the long ones. Every kind of event and fault stays reachable.
inline constexpr std::uint32_t kDrawnReplicasMax = 3;
inline constexpr std::uint64_t kDrawnSafetyTicksMax = 16;
inline constexpr std::uint32_t kDrawnCheckEvery = 4;

struct DrawnRun {
  std::uint64_t seed = 0;
  Options options;  // normalized
  RunResult result;
};

// The profile and the seed read from the front of `entropy` (run_drawn()'s first reads); the
// result is empty.
DrawnRun draw_run_setup(Entropy& entropy);
// With `recorded`, appends every executed event (Simulation::run): a scenario of `seed`,
// `options` and those events replays to the same result and trace hash.
DrawnRun run_drawn(Entropy& entropy, std::vector<Event>* recorded = nullptr,
                   SystemFactory factory = in_process_factory());
// run_drawn() of a BytesEntropy over `bytes`.
DrawnRun run_bytes(std::span<const std::uint8_t> bytes, std::vector<Event>* recorded = nullptr,
                   SystemFactory factory = in_process_factory());

// The seed printed as "0x..." (how reproduce lines spell it).
std::string seed_to_display(std::uint64_t seed);
// A seed as a person writes it: decimal, or hex after "0x". The error quotes the text.
Result<std::uint64_t> seed_from_text(std::string_view text);

}  // namespace treesim
