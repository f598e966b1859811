// Schedule: the event generator of a seeded run, the random half of a simulation.
//
// It owns every random choice and the network. Each component draws from its own stream
// (sim/entropy.h, EntropySource): in a seeded run one sub-seeded Rng per component, as before the
// split, so a seed's run is unchanged by it; in a run driven by bytes (sim_fuzz) one shared
// stream read in the order the run makes its choices, whose end also ends the safety phase. It
// drives the executor: each tick of the
// safety phase it decides partitions, crashes, fault arming, local edits (through each
// replica's Workload), forged input and anti-entropy requests, then delivers what the network
// has due; in the liveness phase it heals and calms the network, starts sync rounds, and ends
// the run once every log is equal or the liveness budget is spent. Every decision becomes an Event
// that Simulation executes; the executor calls back send() for the messages an event produces and
// choose_read_through() for the one choice made during execution. A replay has no schedule.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "sim/entropy.h"
#include "sim/event.h"
#include "sim/network.h"
#include "sim/options.h"
#include "sim/workload.h"

namespace treesim {

class Simulation;

// How many rules of validate_op() break_validation_rule() knows how to break.
inline constexpr std::uint64_t kValidationRulesToBreak = 6;
// `op` with rule number `rule % kValidationRulesToBreak` of validate_op() broken (a zero
// counter or lamport, one past the largest, an order key of odd length, a delete without its
// known state): an invalid op that a scenario file can still spell out.
Op break_validation_rule(Op op, std::uint64_t rule);

class Schedule {
 public:
  // `options` must be normalized and outlive the schedule. The seed's streams: the schedule of
  // `treesim run --seed`.
  Schedule(std::uint64_t seed, const Options& options);
  // Every choice from `entropy`'s streams; a shared stream must outlive the schedule.
  Schedule(const EntropySource& entropy, const Options& options);

  // Generates and executes the whole run on `simulation` (which must have started), stopping
  // at its first failure. With `recorded`, appends every executed event to it.
  void drive(Simulation& simulation, std::vector<Event>* recorded);

  // The executor's callbacks while it executes a generated event.
  void send(std::uint64_t now, Message message);
  bool choose_read_through();

 private:
  void safety_tick();
  // Emits a forge event for a random up replica (none if every replica is down).
  void forge();
  // A recently sent op that replica `target` holds, with one field changed; none if no recent
  // op is held there.
  std::optional<Op> forge_equivocation(std::uint32_t target);
  // An op that validate_op() rejects, made from a recently sent one when there is any.
  Op forge_invalid();
  void liveness();
  void start_sync(std::uint32_t from, std::uint32_t to);
  void deliver_due();
  // Whether appending `batch` makes replica `to` catch up: an op it lacks sorts before its head.
  bool needs_catch_up(std::uint32_t to, const std::vector<Op>& batch);
  bool logs_equal();
  // Stamps `event` with the current tick, executes it and records it.
  void emit(Event event);

  const Options& options_;
  // Ends the safety phase early when it runs out (a run driven by bytes).
  EntropySource entropy_;
  ComponentEntropy schedule_;
  ComponentEntropy faults_;
  // Byzantine input: its own stream, so forging (or not) shifts no other component's draws.
  ComponentEntropy forge_;
  // Faults aimed at catch-ups (Options::catch_up_fault_per_mille): its own stream, for the same
  // reason.
  ComponentEntropy catch_up_faults_;
  Network network_;
  std::vector<Workload> workloads_;
  std::uint64_t now_ = 0;
  std::optional<std::uint64_t> partition_heals_at_;
  // The liveness phase has begun: no more faults.
  bool calm_ = false;
  // The last distinct ops sent over the network, oldest first: the originals a forgery copies.
  // An op sent is acknowledged by its sender, so every replica holding its id holds this content.
  std::deque<Op> recent_ops_;
  Simulation* simulation_ = nullptr;
  std::vector<Event>* recorded_ = nullptr;
};

}  // namespace treesim
