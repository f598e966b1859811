// The shrinker's replays (internal to sim/shrink.cc): the list being shrunk with the links from
// delivered ops to the edits that minted them, one replay of a candidate that follows those
// links (sim/shrink.h: ops follow their edits), the edits that keep a candidate consistent
// (pruning dangling ops, dropping replicas), and the same replays in a child process, whose
// crash or hang the parent survives.
//
// A child that crashes cannot report at its end, so it reports as it goes: each item just
// before it executes and each op an edit mints, written to a pipe at once (unbuffered), so that
// the parent holds the executed prefix up to and including the event that crashed, and reads
// the crash itself (the assertion's line, a sanitizer's report, the signal) from the child's
// standard error, which it captures.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/op.h"
#include "core/replica_id.h"
#include "core/status.h"
#include "sim/event.h"
#include "sim/failure.h"
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
  // A checker's failure, or the crash of the system under test (is_crash, sim/shrink.h; only a
  // replay in a child process reports one).
  std::optional<Failure> failure;
  // 0 after a crash: the run never finished.
  std::uint64_t trace_hash = 0;
  // The items that executed, as they executed, the failing one (or the crashing one) last.
  std::vector<Item> executed;
  // Local edit id -> the op it minted.
  std::map<std::uint64_t, Op> minted;
};

// Hears a replay as it goes: each item (with its position in the candidate) just before it
// executes, as it executes, and each op a local edit mints.
struct ReplayListener {
  std::function<void(std::size_t position, const Item& item)> executing;
  std::function<void(std::uint64_t edit, const Op& op)> minted;
};

std::vector<Event> events_of(const std::vector<Item>& items);

// The items of `events`, named by their index, without links.
std::vector<Item> items_of(const std::vector<Event>& events);

// Replays `candidate`: a delivered op linked to a local edit is the op that edit minted in this
// replay (dropped if it minted none), a delivery left without ops is skipped, and a linked
// forgery is rebased onto the new op (dropped if none, or if it is no forgery any more).
// `previous` maps each local edit to the op it minted in the run the candidate's ops were taken
// from. The candidate must be replayable (check_replayable).
// `listener` hears the replay as it goes.
Replayed replay_following_ops(std::uint64_t seed, const Candidate& candidate,
                              const std::map<std::uint64_t, Op>& previous,
                              const SystemFactory& factory, const ReplayListener& listener = {});

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

// How a child process that died before it finished crashed, from its wait status and the end of
// its standard error, as a failure (is_crash) without tick or replica: the checker is
// "assertion" (the line of core/assert.h's report is the message), "sanitizer" (the report's
// first line, less its "==pid==" prefix), or "signal N" / "exit N" (the last line written).
Failure crash_failure(int wait_status, const std::string& error_text);

// The same replay, in a child process that has `timeout_seconds` to finish (0: no limit). A
// child that crashes gives what it reported up to the crash: the items executed, the crashing
// one last, the ops minted, and the crash as the failure, at that item's tick and replica.
// None if the child hung (killed at the timeout), could not be started or reported nonsense.
std::optional<Replayed> replay_in_child(std::uint64_t seed, const Candidate& candidate,
                                        const std::map<std::uint64_t, Op>& previous,
                                        const SystemFactory& factory, double timeout_seconds);

// The seed's run, recorded in a child process: its events, the failing one included.
struct Recorded {
  std::vector<Event> events;
  // The crash of the seed's run, if it crashed (without tick or replica); `events` then ends
  // with the event during which it crashed.
  std::optional<Failure> crash;
};

// Runs the seed's schedule and records its events, in a child process. Schedule::emit records
// an event after it executes, so a run that crashes never records the event that crashed it.
// The parent then learns from the first run the number of calls into the systems under test up
// to the one that crashed (counted in memory shared with the child), and runs the seed again
// in a second child whose systems answer that call and every later one with an error or an
// empty value instead of making it: the event completes, is recorded (it usually fails a
// checker on those answers, which ends the run), and that child reports the events up to it.
// Whether they reproduce the crash is for a replay to tell: a crash in the schedule's own
// reads (not in an event) is recorded as an event that does not. Errors: kUnsupported if the
// child could not be started or the crashing event could not be recorded.
Result<Recorded> record_in_child(std::uint64_t seed, const Options& options,
                                 const SystemFactory& factory);

// The trace (RunResult::recent_events) of a plain replay of `events`, which must not crash, in
// a child process; none if it crashed after all, or could not be started.
std::optional<std::vector<std::string>> trace_in_child(std::uint64_t seed, const Options& options,
                                                       const std::vector<Event>& events,
                                                       const SystemFactory& factory);

}  // namespace treesim::shrink_internal
