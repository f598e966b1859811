// Event: one step of a simulation that changes state or the trace, concrete enough to execute
// without the seed's random schedule.
//
// A seeded run generates events (Schedule) and executes each one (Simulation); a replay feeds a
// recorded list to the same executor, so the run and its replay make the same calls on every
// replica and fold the same lines into the trace hash. Everything random is decided when the
// event is generated and stored in it: the edit a workload chose, the ops of a delivery in
// their shuffled order, the version vector a sync request carried, the fault countdowns, and
// whether the model check after a step read through a pending frontier.
//
// The network does not appear: its effects are the explicit deliver and sync events, so a
// replay bypasses it. Partition and heal events only put their line into the trace.
//
// Each event stands on its own, so deleting events from a list (a shrinker) leaves a list that
// still executes: a delivered op is an op that arrives, whether or not the local edit that
// minted it is still in the list. What changes after a deletion is documented in
// sim/scenario.h.
#pragma once

#include <cstdint>
#include <set>
#include <vector>

#include "core/op.h"
#include "core/version_vector.h"
#include "sim/system_under_test.h"

namespace treesim {

// A flat struct like Op: fields a kind does not use hold their default values, so `==` is
// content equality.
//
//   kind                uses
//   kLocal              replica, edit, read_through   replica makes a local edit
//   kDeliver            replica, ops, read_through    ops arrive at replica in one append
//   kSync               replica, peer, known          replica answers peer's sync request
//   kPartition          side, until                   a partition starts (trace only)
//   kHeal               -                             the partition heals (trace only)
//   kCrash              replica                       replica crashes and restarts
//   kRestart            replica                       a down replica tries to restart
//   kArmStorageFault    replica, countdown            the countdown-th store call fails
//   kArmFaultPoint      replica, countdown            the countdown-th fault point fires
//   kForge              replica, ops (exactly one)    byzantine input arrives at replica: an
//                                                     op reusing an id it holds with other
//                                                     content, or an op validate_op() rejects
//   kLiveness           -                             faults stop, down replicas restart
//   kEnd                -                             logs must be equal; convergence check
struct Event {
  enum class Kind : std::uint8_t {
    kLocal,
    kDeliver,
    kSync,
    kPartition,
    kHeal,
    kCrash,
    kRestart,
    kArmStorageFault,
    kArmFaultPoint,
    kForge,
    kLiveness,
    kEnd,
  };

  Kind kind = Kind::kLocal;
  // The simulated time of the event; events of a list never go back in time.
  std::uint64_t tick = 0;
  // The replica the event happens at (a sync's responder, a delivery's receiver).
  std::uint32_t replica = 0;
  // kSync: the replica that asked, and that the answer goes to.
  std::uint32_t peer = 0;
  LocalEdit edit{};
  // kDeliver: the batch in the order it is appended. kForge: the one forged op, which may break
  // validate_op() (the only place an invalid op is held).
  std::vector<Op> ops{};
  // kSync: the version vector the request advertised.
  VersionVector known{};
  // kPartition: the replicas cut off from the others, and the tick the schedule heals it.
  std::set<std::uint32_t> side{};
  std::uint64_t until = 0;
  // kArmStorageFault, kArmFaultPoint: n >= 1.
  std::uint64_t countdown = 0;
  // kLocal, kDeliver: if the model check after the step runs and finds a pending frontier, it
  // reads through it (catching up) instead of waiting.
  bool read_through = false;

  friend bool operator==(const Event&, const Event&) = default;
};

}  // namespace treesim
