// The shrinker's replays (internal to sim/shrink.cc): the list being shrunk with the links from
// delivered ops to the edits that minted them, one replay of a candidate that follows those
// links (sim/shrink.h: ops follow their edits), the edits that keep a candidate consistent
// (pruning dangling ops, dropping replicas), and the same replays in a child process, whose
// crash or hang the parent survives.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/op.h"
#include "core/replica_id.h"
#include "sim/event.h"
#include "sim/options.h"
#include "sim/simulation.h"

namespace treesim::shrink_internal {

// An event of the list being shrunk, with what the shrinker knows about it.
struct Item {
  // The event's index in the input list: its name across candidates. A delivered op links to
  // the local edit that minted it by this id.
  std::uint64_t id = 0;
  // The event as it last executed: a delivery's or forge's ops are those of the last run that
  // kept the failure.
  Event event;
  // kDeliver and kForge, one per op: the local edit that minted the op (for a forge, the op it
  // equivocates), or none when no edit of the list minted it (a hand-written op, an invalid
  // forgery, the op of a failed edit whose commit turned out durable). Empty for other kinds.
  std::vector<std::optional<std::uint64_t>> links;
};

// A list being shrunk: its options (the replica count shrinks too) and its items.
struct Candidate {
  Options options;
  std::vector<Item> items;
};

// One replay of a candidate.
struct Replayed {
  std::optional<Failure> failure;
  std::uint64_t trace_hash = 0;
  // The items that executed, as they executed, the failing one last.
  std::vector<Item> executed;
  // Local edit id -> the op it minted.
  std::map<std::uint64_t, Op> minted;
};

std::vector<Event> events_of(const std::vector<Item>& items);

// The items of `events`, named by their index, without links.
std::vector<Item> items_of(const std::vector<Event>& events);

// Replays `candidate`: a delivered op linked to a local edit is the op that edit minted in this
// replay (dropped if it minted none), a delivery left without ops is skipped, and a linked
// forgery is rebased onto the new op (dropped if none, or if it is no forgery any more).
// `previous` maps each local edit to the op it minted in the run the candidate's ops were taken
// from. The candidate must be replayable (check_replayable).
Replayed replay_following_ops(std::uint64_t seed, const Candidate& candidate,
                              const std::map<std::uint64_t, Op>& previous,
                              const SystemFactory& factory);

// Links every delivered op (and valid forgery) to the local edit that minted it.
void link_ops(std::vector<Item>& items, const std::map<std::uint64_t, Op>& minted);

// Removes what a deletion left dangling: delivered ops and forgeries whose edit is gone, and
// deliveries left without ops.
void prune(std::vector<Item>& items);

// The candidate without the replicas `gone`: their events, the deliveries to them, the syncs
// they take part in and the ops they authored; the remaining replicas are renumbered in order.
// `authors` maps a replica index to the ReplicaId its ops carry, where known: an op no edit of
// the list minted is recognized by it.
Candidate without_replicas(const Candidate& candidate, const std::set<std::uint32_t>& gone,
                           const std::map<std::uint32_t, ReplicaId>& authors);

// The same, in a child process that has `timeout_seconds` to finish (0: no limit) and whose
// standard error is silenced: none if it crashed (an assertion, a sanitizer report), hung or
// could not be started. The parent learns the result through a pipe.
std::optional<Replayed> replay_in_child(std::uint64_t seed, const Candidate& candidate,
                                        const std::map<std::uint64_t, Op>& previous,
                                        const SystemFactory& factory, double timeout_seconds);

// Runs the seed's schedule and records its events, in a child process; none if it crashed.
std::optional<std::vector<Event>> record_in_child(std::uint64_t seed, const Options& options,
                                                  const SystemFactory& factory);

}  // namespace treesim::shrink_internal
