// Fixtures of the shrinker's tests (shrink_test.cc, shrink_passes_test.cc): a small profile,
// hand-written lists of edits and deliveries whose deliveries carry the ops their edits mint,
// and the check that a scenario delivers only such ops.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/event.h"
#include "sim/options.h"
#include "sim/scenario.h"
#include "sim/simulation.h"

namespace treesim {

inline Options normalized(Options options) {
  EXPECT_TRUE(options.normalize().is_ok());
  return options;
}

// Four replicas on the memory store (fast under the sanitizers), a short safety phase.
inline Options small_options() {
  Options options;
  options.replica_count = 4;
  options.safety_ticks = 60;
  options.edit_per_mille = 300;
  options.reorder_ticks_max = 6;
  options.replicas.assign(4, ReplicaConfig{.store = StoreKind::kMemory});
  return normalized(options);
}

// Replays `scenario` and returns what fails where every delivered op is not the op a local edit
// earlier in the list minted, with the same content; empty if every one is.
inline std::vector<std::string> ops_not_minted_by_their_edits(const Scenario& scenario,
                                                              const SystemFactory& factory) {
  std::map<OpId, Op> minted;
  std::vector<std::string> problems;
  Simulation::ReplayHooks hooks;
  hooks.before = [&](std::size_t index, Event& event) {
    if (event.kind != Event::Kind::kDeliver) return true;
    for (const Op& op : event.ops) {
      const auto found = minted.find(op.id);
      if (found == minted.end()) {
        problems.push_back("events[" + std::to_string(index) + "] delivers " + op.to_display() +
                           ", which no earlier edit minted");
      } else if (found->second != op) {
        problems.push_back("events[" + std::to_string(index) + "] delivers " + op.to_display() +
                           " but its edit minted " + found->second.to_display());
      }
    }
    return true;
  };
  hooks.minted = [&](const Op& op) { minted.emplace(op.id, op); };
  Simulation(scenario.seed, scenario.options, factory).replay(*scenario.events, hooks);
  return problems;
}

// A list of local edits and deliveries; `carries` maps a delivery's index to the indices of
// the edits whose ops it carries, filled in from a replay (as a recorded run would have them).
inline Scenario with_minted_deliveries(
    Scenario scenario, const std::map<std::size_t, std::vector<std::size_t>>& carries,
    const SystemFactory& factory) {
  std::map<std::size_t, Op> minted;
  std::vector<Event> executed;
  std::size_t current = 0;
  Simulation::ReplayHooks hooks;
  hooks.before = [&](std::size_t index, Event& event) {
    current = index;
    if (const auto carried = carries.find(index); carried != carries.end()) {
      for (const std::size_t edit : carried->second) event.ops.push_back(minted.at(edit));
    }
    executed.push_back(event);
    return true;
  };
  hooks.minted = [&](const Op& op) { minted.emplace(current, op); };
  Simulation(scenario.seed, scenario.options, factory).replay(*scenario.events, hooks);
  scenario.events = std::move(executed);
  return scenario;
}

inline Event insert(std::uint64_t tick, std::uint32_t replica, std::uint64_t node) {
  Event event{.kind = Event::Kind::kLocal, .tick = tick, .replica = replica};
  event.edit.node = NodeId::from_low(node);
  event.edit.parent = kRoot;
  return event;
}

inline Event deliver(std::uint64_t tick, std::uint32_t to) {
  return Event{.kind = Event::Kind::kDeliver, .tick = tick, .replica = to};
}

}  // namespace treesim
