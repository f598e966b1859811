// Shrinker: turns a failing scenario into a small one that fails the same way.
//
// A seed that fails after 40,000 events is not a bug report; a scenario of 8 events is. The
// shrinker takes a scenario whose replay fails (its explicit event list, or its seed's run,
// recorded first) and deletes and simplifies events for as long as the *same failure* persists
// (same_failure below), trying the edits of highest payoff first:
//   1. drop whole replicas (half of them at once, then quarters, ..., then one at a time):
//      their events, the deliveries to them, the syncs they take part in and the ops they
//      authored wherever those were delivered; the remaining replicas are renumbered;
//   2. drop chunks of events (delta debugging: halves, quarters, ... of the list);
//   3. drop single events;
//   4. drop ops from a delivery (halves of the batch, then single ops);
//   5. simplify local edits (no payload, placement "last", parent ROOT), read-through flags and
//      fault countdowns;
//   6. drop every fault event of a kind at once (forges, armed faults, crashes, restarts,
//      partitions);
//   7. postpone each delivery into the next delivery to the same replica (one batch: the
//      network may hold a message back and deliver it with a later one);
//   8. close the gaps between ticks;
//   9. only once passes 1-8 made no progress, drop a local edit of each of two replicas at
//      once (a failure that needs one replica's Lamport clock to keep its distance to
//      another's survives that where it survives dropping neither edit alone).
// It repeats the passes until none makes progress or a budget (time, tries) is spent, and
// always returns the smallest failing scenario found so far. Every pass only deletes events or
// ops, simplifies an event or delays ops: none makes an op arrive before its edit minted it.
//
// Ops follow their edits. A local edit's op is not in the list: the replica mints it when the
// edit runs, and its counter, lamport clock, order key and known state depend on everything the
// replica did before. The deliveries of that op are in the list, with its content as the
// recorded run minted it. Deleting any earlier event (an edit at the same replica, a delivery
// that raised its clock) makes the edit mint a different op, so the recorded deliveries would
// carry a stale copy: a replica holding the new op and one holding the stale copy disagree (an
// equivocation, or a model conflict at the end) and the failure changes. So the shrinker links
// every delivered op to the local edit that minted it (from a replay of the input), and in each
// candidate's replay substitutes the op that edit minted this time (Simulation::ReplayHooks);
// an op whose edit is gone, or failed this time, vanishes from its deliveries (a delivery left
// empty is skipped), and a forged equivocation of it is rebuilt on the new op or dropped. The
// list that results is written out as executed, so a plain replay of it gives the same run.
//
// Every candidate is a valid scenario (check_replayable holds before it is replayed), so no
// assertion of the executor can fire. The system under test may still crash: an assertion of the
// materializer fails, a sanitizer reports, a signal kills the process. With `isolate`, the
// input's run and every replay happen in a child process, which reports as it goes (each event
// just before it executes, each op an edit mints) through a pipe and whose standard error the
// parent reads, so the parent survives a crash and knows the events up to the one that crashed.
// A crash is then a failure like a checker's (is_crash): checker "assertion", "sanitizer" or
// "signal N", the assertion's line (or the report's first) as its message. An input that
// crashes is shrunk as such: the candidates kept are those that crash with the same gist
// (same_failure), and one that fails a checker instead, crashes differently or hangs is not.
// An input that fails a checker keeps rejecting the candidates that crash or hang. Without
// `isolate` the replays run in the caller's process, which a crash takes down with it: only an
// isolated shrink handles a system under test that may crash. A seed's run that crashes is
// recorded in two child runs (sim/shrink_replay.h: record_in_child), since a run records an
// event only after it executed.
// Shrinking is deterministic: the same input, options and budgets that are not reached give the
// same output.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "sim/event.h"
#include "sim/failure.h"
#include "sim/options.h"
#include "sim/scenario.h"
#include "sim/simulation.h"

namespace treesim {

// What a failure says without its particulars: the first line of its message up to the first
// digit, quote, brace or parenthesis (where ids, counts and version vectors start), less an op
// id's replica ("op a:" -> "op "). One checker reports several failures ("the replica is down
// at the end of the run" and "logs still differ after 3000 liveness ticks" are both
// convergence/convergence), and shrinking must not trade one for another. The line of a failed
// assertion ("assertion failed: EXPRESSION at FILE:LINE", core/assert.h) is source text with no
// particulars but its line number, so its gist is the whole line less its digits: the
// expression and the file tell one assertion from another, even when the expression holds a
// brace or a parenthesis.
std::string failure_gist(const Failure& failure);

// Whether `failure` is a crash of the system under test seen from outside the process that
// crashed (an isolated shrink's child): checker "assertion", "sanitizer", "signal N" or "exit N",
// names no checker of the simulator uses. sim/failure.h has no class for a crash; it is
// kCorrectness (an assertion is an invariant of the system that broke), and the checker tells it
// apart from the simulator's findings.
bool is_crash(const Failure& failure);

// Whether `candidate` is the failure `original` is: the same class and checker, the same first
// differing snapshot field (for a model or convergence mismatch, which field kind differs; empty
// for the others) and the same gist. Tick, replica and the message's particulars may change.
bool same_failure(const Failure& original, const Failure& candidate);

// The preconditions Simulation::replay asserts (sim/simulation.h), checked: normalized options,
// replica indices below the replica count, a sync between two different replicas, a delivery
// of at least one op, a forge of exactly one op, countdowns of at least 1, ticks that never
// decrease. The error names the event ("events[4]: ...").
Status check_replayable(const Options& options, const std::vector<Event>& events);

struct ShrinkProgress {
  // "replicas", "chunks", "events", "batches", "edits", "faults", "merges", "ticks", "pairs"
  std::string_view pass;
  std::size_t event_count = 0;
  std::uint32_t replica_count = 0;
  std::uint64_t tries = 0;  // candidates replayed so far
};

struct ShrinkOptions {
  // Budgets: no candidate is replayed once either is spent.
  double time_seconds = 60;
  std::uint64_t tries_max = 5000;
  // Run and replay in child processes (fork); a candidate's must finish within
  // `candidate_timeout_seconds` (0: ten times the input's replay, plus ten seconds). Needed for
  // an input that crashes the system under test, and for one whose candidates may.
  bool isolate = false;
  double candidate_timeout_seconds = 0;
  // Told at the start of each pass and after each candidate that kept the failure.
  std::function<void(const ShrinkProgress&)> progress;
  // Sees every candidate, valid by check_replayable, just before it is replayed (tests).
  std::function<void(const Scenario&)> candidate;
};

struct ShrinkResult {
  // The smallest failing scenario found: seed and options of the input (fewer replicas when
  // some were dropped) and the explicit event list; its comment is describe_shrink()'s text.
  Scenario scenario;
  // Its failure (same_failure as the input's), and the input's; a crash (is_crash) is at the
  // tick and replica of the event during which the system crashed, the last one.
  Failure failure;
  Failure original_failure;
  // The last lines of its trace (RunResult::recent_events), ending with the failure ("tN FAILED
  // ..."). For a crash, those of the events before the crashing one, then "tN CRASHED ...".
  std::vector<std::string> trace;
  std::size_t original_event_count = 0;
  std::uint32_t original_replica_count = 0;
  std::uint64_t tries = 0;     // candidates replayed
  std::uint64_t accepted = 0;  // candidates that kept the failure
  // Isolated candidates that crashed (other than the input does) or hung, and were rejected
  // for it (counted as tries).
  std::uint64_t crashed = 0;
  bool budget_spent = false;  // stopped by a budget before the passes ran dry
  double seconds = 0;
};

// Shrinks `input`, replaying every candidate with systems from `factory`. A scenario without
// events is first run from its seed and recorded. Errors: kFailedPrecondition if the input does
// not fail (the message says how it ended); kInvalidArgument if its events are not replayable;
// kUnsupported if, isolated, a seed's run crashes in a way its recorded events do not reproduce
// (a crash outside any event, e.g. while the schedule reads a replica) or a child process could
// not be run; kInternal if the shrunk scenario does not fail the same way on its own. Without
// `isolate`, an input that crashes the system under test crashes the caller.
Result<ShrinkResult> shrink_scenario(const Scenario& input, const ShrinkOptions& options,
                                     SystemFactory factory = in_process_factory());

// The human-readable account written into the shrunk scenario's comment: sizes before and
// after, the checker that fired with its message (the snapshot diff of a model mismatch) or the
// crash and the event it happened in, and the trace, one line per step, saying which replica
// did what.
std::string describe_shrink(const ShrinkResult& result);

}  // namespace treesim
