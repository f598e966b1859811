#include "sim/shrink.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "sim/shrink_replay.h"

namespace treesim {
namespace {

using shrink_internal::Candidate;
using shrink_internal::events_of;
using shrink_internal::Item;
using shrink_internal::items_of;
using shrink_internal::link_ops;
using shrink_internal::prune;
using shrink_internal::record_in_child;
using shrink_internal::replay_following_ops;
using shrink_internal::replay_in_child;
using shrink_internal::Replayed;
using shrink_internal::trace_in_child;
using shrink_internal::without_replicas;
using Clock = std::chrono::steady_clock;

// The simpler variants of one event, simplest change first; none if it is as simple as it gets.
std::vector<Event> simpler_variants(const Event& event) {
  std::vector<Event> variants;
  const auto add = [&](auto change) {
    Event variant = event;
    change(variant);
    if (!(variant == event)) variants.push_back(std::move(variant));
  };
  if (event.kind == Event::Kind::kLocal) {
    const LocalEdit::Kind kind = event.edit.kind;
    if (kind == LocalEdit::Kind::kInsert || kind == LocalEdit::Kind::kSetPayload) {
      add([](Event& e) { e.edit.payload.reset(); });
    }
    if (kind == LocalEdit::Kind::kInsert || kind == LocalEdit::Kind::kMove) {
      add([](Event& e) { e.edit.placement = Placement::last(); });
      if (!event.edit.parent.is_trash()) add([](Event& e) { e.edit.parent = kRoot; });
    }
  }
  if (event.kind == Event::Kind::kLocal || event.kind == Event::Kind::kDeliver) {
    add([](Event& e) { e.read_through = false; });
  }
  if (event.kind == Event::Kind::kArmStorageFault || event.kind == Event::Kind::kArmFaultPoint) {
    add([](Event& e) { e.countdown = 1; });
    add([](Event& e) { e.countdown = std::max<std::uint64_t>(1, e.countdown / 2); });
  }
  return variants;
}

// The fault kinds dropped together by the faults pass.
const std::vector<std::vector<Event::Kind>>& fault_groups() {
  static const std::vector<std::vector<Event::Kind>> groups = {
      {Event::Kind::kForge},
      {Event::Kind::kArmFaultPoint},
      {Event::Kind::kArmStorageFault},
      {Event::Kind::kCrash, Event::Kind::kRestart},
      {Event::Kind::kPartition, Event::Kind::kHeal},
  };
  return groups;
}

class Shrinker {
 public:
  Shrinker(std::uint64_t seed, const ShrinkOptions& options, SystemFactory factory)
      : seed_(seed), options_(options), factory_(std::move(factory)), started_(Clock::now()) {}

  // Records the input's run if it has no events, then replays it (it must fail) and links its
  // ops. Isolated, both happen in child processes: the parent survives an input that crashes,
  // and the crash becomes the failure to keep.
  Status start(const Scenario& input) {
    std::vector<Event> events;
    std::optional<Failure> recorded_crash;
    if (input.events) {
      events = *input.events;
    } else if (options_.isolate) {
      TS_ASSIGN_OR_RETURN(shrink_internal::Recorded recorded,
                          record_in_child(seed_, input.options, factory_));
      events = std::move(recorded.events);
      recorded_crash = std::move(recorded.crash);
    } else {
      Simulation(seed_, input.options, factory_).run(&events);
    }
    original_event_count_ = events.size();
    TS_RETURN_IF_ERROR(check_replayable(input.options, events));
    const Candidate whole{input.options, items_of(events)};
    const auto replay_started = Clock::now();
    std::optional<Replayed> replayed = replay(whole, {}, /*timeout_seconds=*/0);
    if (!replayed) {
      return Status::unsupported("could not replay the scenario in a child process");
    }
    if (options_.isolate) {
      const double seconds = std::chrono::duration<double>(Clock::now() - replay_started).count();
      candidate_timeout_ = options_.candidate_timeout_seconds > 0
                               ? options_.candidate_timeout_seconds
                               : 10 * seconds + 10;
    }
    if (recorded_crash &&
        !(replayed->failure && same_failure(*recorded_crash, *replayed->failure))) {
      // The crash happened outside the events, e.g. in a read of the schedule's: no list of
      // events reproduces it.
      return Status::unsupported(
          "the seed's run crashes the system under test (" + recorded_crash->message +
          ") but the replay of its " + std::to_string(events.size()) + " recorded events " +
          (replayed->failure ? "fails otherwise: " + replayed->failure->to_display()
                             : std::string("passes")) +
          "; the crash is not in the events, and the shrinker shrinks lists of events");
    }
    if (!replayed->failure) {
      return Status::failed_precondition(
          "the scenario does not fail: its " + std::to_string(events.size()) +
          " events replay without a failure (trace " + seed_to_display(replayed->trace_hash) +
          "); there is nothing to shrink");
    }
    original_ = *replayed->failure;
    best_.options = input.options;
    best_.items = std::move(replayed->executed);  // up to the failing (or crashing) event
    link_ops(best_.items, replayed->minted);
    best_minted_ = std::move(replayed->minted);
    return Status::ok();
  }

  void shrink() {
    bool progress = true;
    while (progress && !budget_spent()) {
      progress = false;
      progress |= drop_replicas();
      progress |= drop_chunks("chunks", best_.items.size() / 2, 2);
      progress |= drop_chunks("events", 1, 1);
      progress |= drop_batch_ops();
      progress |= simplify_events();
      progress |= drop_fault_events();
      progress |= merge_deliveries();
      progress |= close_tick_gaps();
      // The costliest pass last, and only once the others ran dry.
      if (!progress) progress |= drop_edit_pairs();
    }
  }

  const Candidate& best() const { return best_; }
  const Failure& original() const { return original_; }
  std::uint64_t tries() const { return tries_; }
  std::uint64_t accepted() const { return accepted_; }
  std::uint64_t crashed() const { return crashed_; }
  std::size_t original_event_count() const { return original_event_count_; }
  double candidate_timeout() const { return candidate_timeout_; }
  bool stopped_by_budget() const { return stopped_by_budget_; }
  double seconds() const { return std::chrono::duration<double>(Clock::now() - started_).count(); }

 private:
  // A replay in this process, or isolated in a child (none if the child hung or could not be
  // run; a crash is the replay's failure).
  std::optional<Replayed> replay(const Candidate& candidate,
                                 const std::map<std::uint64_t, Op>& previous,
                                 double timeout_seconds) const {
    if (options_.isolate) {
      return replay_in_child(seed_, candidate, previous, factory_, timeout_seconds);
    }
    return replay_following_ops(seed_, candidate, previous, factory_);
  }

  bool budget_spent() const {
    return tries_ >= options_.tries_max || seconds() >= options_.time_seconds;
  }

  void report(std::string_view pass) const {
    if (!options_.progress) return;
    options_.progress(
        ShrinkProgress{pass, best_.items.size(), best_.options.replica_count, tries_});
  }

  // Replays `candidate` and keeps it if it fails the same way; false if it does not or a
  // budget is spent.
  bool attempt(Candidate candidate, std::string_view pass) {
    if (budget_spent()) {
      stopped_by_budget_ = true;
      return false;
    }
    prune(candidate.items);
    std::vector<Event> events = events_of(candidate.items);
    // Every edit keeps the list replayable; a candidate that is not would be a shrinker bug,
    // and it must not reach the executor's assertions.
    if (!check_replayable(candidate.options, events).is_ok()) return false;
    if (options_.candidate) {
      options_.candidate(Scenario{"", seed_, candidate.options, std::move(events)});
    }
    ++tries_;
    std::optional<Replayed> replayed = replay(candidate, best_minted_, candidate_timeout_);
    if (!replayed) {  // hung
      ++crashed_;
      return false;
    }
    if (!replayed->failure || !same_failure(original_, *replayed->failure)) {
      if (replayed->failure && is_crash(*replayed->failure)) ++crashed_;
      return false;
    }
    ++accepted_;
    best_.options = std::move(candidate.options);
    best_.items = std::move(replayed->executed);
    best_minted_ = std::move(replayed->minted);
    report(pass);
    return true;
  }

  // The position of the item called `id`, if it is still there.
  std::optional<std::size_t> find(std::uint64_t id) const {
    for (std::size_t i = 0; i < best_.items.size(); ++i) {
      if (best_.items[i].id == id) return i;
    }
    return std::nullopt;
  }

  // Delta debugging over replicas: halves of them at once, then quarters, ..., then one by one,
  // the highest first.
  bool drop_replicas() {
    report("replicas");
    bool progress = false;
    for (std::uint32_t size = best_.options.replica_count / 2; size >= 1; size /= 2) {
      std::uint32_t end = best_.options.replica_count;
      while (end > 0 && best_.options.replica_count > 1 && !budget_spent()) {
        const std::uint32_t begin = end > size ? end - size : 0;
        std::set<std::uint32_t> gone;
        for (std::uint32_t replica = begin; replica < end; ++replica) gone.insert(replica);
        if (gone.size() >= best_.options.replica_count) break;
        if (attempt(without_replicas(best_, gone, authors()), "replicas")) {
          progress = true;
          end = std::min(begin, best_.options.replica_count);
        } else {
          end = begin;
        }
      }
    }
    return progress;
  }

  // The id each replica's ops carry, from an op one of its edits minted.
  std::map<std::uint32_t, ReplicaId> authors() const {
    std::map<std::uint32_t, ReplicaId> authors;
    for (const Item& item : best_.items) {
      const auto minted = best_minted_.find(item.id);
      if (item.event.kind == Event::Kind::kLocal && minted != best_minted_.end()) {
        authors.try_emplace(item.event.replica, minted->second.id.replica);
      }
    }
    return authors;
  }

  // Delta debugging: drops chunks of `size`, then of half that size, down to `size_min`,
  // walking from the end (later events depend on earlier ones far more often than the reverse).
  bool drop_chunks(std::string_view pass, std::size_t size, std::size_t size_min) {
    report(pass);
    bool progress = false;
    for (; size >= size_min && size >= 1; size /= 2) {
      std::size_t end = best_.items.size();
      while (end > 0 && !budget_spent()) {
        const std::size_t begin = end > size ? end - size : 0;
        Candidate candidate = best_;
        candidate.items.erase(candidate.items.begin() + static_cast<std::ptrdiff_t>(begin),
                              candidate.items.begin() + static_cast<std::ptrdiff_t>(end));
        if (attempt(std::move(candidate), pass)) {
          progress = true;
          end = std::min(begin, best_.items.size());
        } else {
          end = begin;
        }
      }
      if (size == 1) break;
    }
    return progress;
  }

  // Drops halves of each delivery's batch, then single ops (never all of them: dropping the
  // whole delivery is the events pass's job).
  bool drop_batch_ops() {
    report("batches");
    bool progress = false;
    for (std::size_t position = best_.items.size(); position-- > 0;) {
      if (position >= best_.items.size()) continue;
      const std::uint64_t id = best_.items[position].id;
      if (best_.items[position].event.kind != Event::Kind::kDeliver) continue;
      for (std::size_t size = best_.items[position].event.ops.size() / 2; size >= 1; size /= 2) {
        std::optional<std::size_t> at = find(id);
        std::size_t end = at ? best_.items[*at].event.ops.size() : 0;
        while (at && end > 0 && !budget_spent()) {
          const std::size_t count = best_.items[*at].event.ops.size();
          const std::size_t begin = end > size ? end - size : 0;
          if (end - begin >= count) break;
          Candidate candidate = best_;
          Item& item = candidate.items[*at];
          item.event.ops.erase(item.event.ops.begin() + static_cast<std::ptrdiff_t>(begin),
                               item.event.ops.begin() + static_cast<std::ptrdiff_t>(end));
          item.links.erase(item.links.begin() + static_cast<std::ptrdiff_t>(begin),
                           item.links.begin() + static_cast<std::ptrdiff_t>(end));
          if (attempt(std::move(candidate), "batches")) {
            progress = true;
            at = find(id);
            end = at ? std::min(begin, best_.items[*at].event.ops.size()) : 0;
          } else {
            end = begin;
          }
        }
        if (size == 1) break;
      }
    }
    return progress;
  }

  // Simpler local edits, no read-through, smaller fault countdowns.
  bool simplify_events() {
    report("edits");
    bool progress = false;
    for (std::size_t position = best_.items.size(); position-- > 0;) {
      if (position >= best_.items.size()) continue;
      const std::uint64_t id = best_.items[position].id;
      for (bool changed = true; changed && !budget_spent();) {
        changed = false;
        const std::optional<std::size_t> at = find(id);
        if (!at) break;
        for (Event& variant : simpler_variants(best_.items[*at].event)) {
          Candidate candidate = best_;
          candidate.items[*at].event = std::move(variant);
          if (attempt(std::move(candidate), "edits")) {
            progress = changed = true;
            break;
          }
        }
      }
    }
    return progress;
  }

  // Every fault event of a kind at once, then of a kind at one replica.
  bool drop_fault_events() {
    report("faults");
    bool progress = false;
    for (const std::vector<Event::Kind>& group : fault_groups()) {
      const auto in_group = [&](const Item& item) {
        return std::find(group.begin(), group.end(), item.event.kind) != group.end();
      };
      const auto try_without = [&](auto drop) {
        if (std::none_of(best_.items.begin(), best_.items.end(), drop)) return false;
        Candidate candidate = best_;
        std::erase_if(candidate.items, drop);
        return attempt(std::move(candidate), "faults");
      };
      if (try_without(in_group)) {
        progress = true;
        continue;
      }
      // Partitions and heals name no replica.
      if (group.front() == Event::Kind::kPartition) continue;
      for (std::uint32_t replica = 0; replica < best_.options.replica_count; ++replica) {
        progress |= try_without(
            [&](const Item& item) { return in_group(item) && item.event.replica == replica; });
      }
    }
    return progress;
  }

  // Postpones each delivery into the next delivery to the same replica: one append of both
  // batches, the earlier batch first. The network may hold a message back and deliver it
  // together with a later one (it batches what falls due at one tick, in any order), so the
  // candidate is a run the simulator could make: every op still arrives after its edit minted
  // it, only later.
  bool merge_deliveries() {
    report("merges");
    bool progress = false;
    for (std::size_t position = best_.items.size(); position-- > 0;) {
      if (budget_spent()) break;
      if (position >= best_.items.size()) continue;
      const Item& earlier = best_.items[position];
      if (earlier.event.kind != Event::Kind::kDeliver) continue;
      std::optional<std::size_t> later;
      for (std::size_t next = position + 1; next < best_.items.size(); ++next) {
        const Event& event = best_.items[next].event;
        if (event.kind == Event::Kind::kDeliver && event.replica == earlier.event.replica) {
          later = next;
          break;
        }
      }
      if (!later) continue;
      Candidate candidate = best_;
      Item& into = candidate.items[*later];
      Item& from = candidate.items[position];
      into.event.ops.insert(into.event.ops.begin(), from.event.ops.begin(), from.event.ops.end());
      into.links.insert(into.links.begin(), from.links.begin(), from.links.end());
      into.event.read_through = into.event.read_through || from.event.read_through;
      candidate.items.erase(candidate.items.begin() + static_cast<std::ptrdiff_t>(position));
      progress |= attempt(std::move(candidate), "merges");
    }
    return progress;
  }

  // Drops two local edits of different replicas at once. An edit raises its replica's Lamport
  // clock, and with it the clock of every later op the replica mints or makes others mint: a
  // failure that needs one replica's ops to sort after another's (a late op) survives dropping
  // an edit of each where it does not survive dropping either alone. Quadratic in the edits,
  // so the shrink loop runs it only once the cheaper passes are done, and only on a list of at
  // most kPairEditsMax edits.
  bool drop_edit_pairs() {
    static constexpr std::size_t kPairEditsMax = 48;
    report("pairs");
    std::vector<std::uint64_t> edits;
    for (const Item& item : best_.items) {
      if (item.event.kind == Event::Kind::kLocal) edits.push_back(item.id);
    }
    if (edits.size() > kPairEditsMax) return false;
    bool progress = false;
    // Later edits first, as in the other passes: fewer events depend on them.
    for (std::size_t second = edits.size(); second-- > 1;) {
      for (std::size_t first = second; first-- > 0;) {
        if (budget_spent()) return progress;
        const std::optional<std::size_t> at_second = find(edits[second]);
        if (!at_second) break;
        const std::optional<std::size_t> at_first = find(edits[first]);
        if (!at_first) continue;
        if (best_.items[*at_first].event.replica == best_.items[*at_second].event.replica) {
          continue;
        }
        Candidate candidate = best_;
        candidate.items.erase(candidate.items.begin() + static_cast<std::ptrdiff_t>(*at_second));
        candidate.items.erase(candidate.items.begin() + static_cast<std::ptrdiff_t>(*at_first));
        if (attempt(std::move(candidate), "pairs")) {
          progress = true;
          break;
        }
      }
    }
    return progress;
  }

  // Consecutive ticks for events at different ticks (events at one tick stay together).
  bool close_tick_gaps() {
    report("ticks");
    std::map<std::uint64_t, std::uint64_t> renumbered;
    for (const Item& item : best_.items) renumbered.try_emplace(item.event.tick, 0);
    std::uint64_t next = 0;
    for (auto& [tick, dense] : renumbered) dense = next++;
    const auto dense_at_or_after = [&](std::uint64_t tick) {
      const auto at = renumbered.lower_bound(tick);
      return at == renumbered.end() ? next : at->second;
    };
    Candidate candidate = best_;
    bool changed = false;
    for (Item& item : candidate.items) {
      const std::uint64_t tick = renumbered.at(item.event.tick);
      const std::uint64_t until =
          item.event.kind == Event::Kind::kPartition ? dense_at_or_after(item.event.until) : 0;
      changed |= tick != item.event.tick || until != item.event.until;
      item.event.tick = tick;
      item.event.until = until;
    }
    return changed && attempt(std::move(candidate), "ticks");
  }

  std::uint64_t seed_;
  const ShrinkOptions& options_;
  SystemFactory factory_;
  Clock::time_point started_;
  Failure original_;
  Candidate best_;
  // What each local edit of best_ minted in its run.
  std::map<std::uint64_t, Op> best_minted_;
  std::uint64_t tries_ = 0;
  std::uint64_t accepted_ = 0;
  std::uint64_t crashed_ = 0;
  std::size_t original_event_count_ = 0;
  double candidate_timeout_ = 0;
  bool stopped_by_budget_ = false;
};

}  // namespace

std::string failure_gist(const Failure& failure) {
  std::string gist = failure.message.substr(0, failure.message.find('\n'));
  if (gist.starts_with("assertion failed: ")) {
    std::erase_if(gist, [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
    return gist;
  }
  const std::size_t particular = gist.find_first_of("0123456789{(\"'");
  if (particular != std::string::npos) gist.resize(particular);
  // An op id's replica ("a:" of "a:3") is a particular too: replicas are renumbered.
  if (gist.ends_with(':')) {
    std::size_t start = gist.size() - 1;
    while (start > 0 && std::isalpha(static_cast<unsigned char>(gist[start - 1]))) --start;
    if (start < gist.size() - 1 && (start == 0 || gist[start - 1] == ' ')) gist.resize(start);
  }
  return gist;
}

bool is_crash(const Failure& failure) {
  return failure.checker == "assertion" || failure.checker == "sanitizer" ||
         failure.checker.starts_with("signal ") || failure.checker.starts_with("exit ");
}

bool same_failure(const Failure& original, const Failure& candidate) {
  return candidate.failure_class == original.failure_class &&
         candidate.checker == original.checker &&
         candidate.first_difference == original.first_difference &&
         failure_gist(candidate) == failure_gist(original);
}

Status check_replayable(const Options& options, const std::vector<Event>& events) {
  Options normalized = options;
  if (Status status = normalized.normalize(); !status.is_ok()) return status;
  if (normalized != options) return Status::invalid_argument("options: not normalized");
  const std::uint32_t count = options.replica_count;
  std::uint64_t previous_tick = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Event& event = events[i];
    const std::string at = "events[" + std::to_string(i) + "]: ";
    const auto error = [&](const std::string& message) {
      return Status::invalid_argument(at + message);
    };
    if (event.tick < previous_tick) return error("tick goes back in time");
    previous_tick = event.tick;
    // The executor asserts the replica field of every event, used or not.
    if (event.replica >= count)
      return error("replica " + std::to_string(event.replica) + " is not below the replica count");
    switch (event.kind) {
      case Event::Kind::kSync:
        if (event.peer >= count) return error("peer is not below the replica count");
        if (event.peer == event.replica) return error("a replica syncs with itself");
        break;
      case Event::Kind::kPartition:
        for (const std::uint32_t member : event.side) {
          if (member >= count) return error("partition member is not below the replica count");
        }
        break;
      case Event::Kind::kDeliver:
        if (event.ops.empty()) return error("a delivery without ops");
        for (const Op& op : event.ops) {
          if (Status status = validate_op(op); !status.is_ok()) {
            return error("delivered op: " + status.to_string());
          }
        }
        break;
      case Event::Kind::kForge:
        if (event.ops.size() != 1) return error("a forge of other than one op");
        break;
      case Event::Kind::kArmStorageFault:
      case Event::Kind::kArmFaultPoint:
        if (event.countdown < 1) return error("a countdown of 0");
        break;
      case Event::Kind::kLocal:
      case Event::Kind::kHeal:
      case Event::Kind::kCrash:
      case Event::Kind::kRestart:
      case Event::Kind::kLiveness:
      case Event::Kind::kEnd:
        break;
    }
  }
  return Status::ok();
}

Result<ShrinkResult> shrink_scenario(const Scenario& input, const ShrinkOptions& options,
                                     SystemFactory factory) {
  const auto started = Clock::now();
  Shrinker shrinker(input.seed, options, factory);
  TS_RETURN_IF_ERROR(shrinker.start(input));
  shrinker.shrink();

  // The shrunk list as it executed replays to the same run without the shrinker's hooks; a
  // plain replay confirms it (and gives the trace). A checker's failure replays in this
  // process: the same calls did not crash in any child. A crash replays in a child again (its
  // items carry no links, so nothing is rewritten: the plain replay), and the trace is that of
  // the events before the crashing one, which ran through in that child.
  ShrinkResult result;
  const Candidate& best = shrinker.best();
  result.scenario.seed = input.seed;
  result.scenario.options = best.options;
  result.scenario.events = events_of(best.items);
  TS_RETURN_IF_ERROR(check_replayable(best.options, *result.scenario.events));
  const auto differs = [](const std::optional<Failure>& failure) {
    return Status::internal(
        "the shrunk scenario does not fail the same way when replayed on its own: " +
        (failure ? failure->to_display() : std::string("it passes")));
  };
  if (is_crash(shrinker.original())) {
    const std::vector<Event>& events = *result.scenario.events;
    const std::optional<Replayed> replayed =
        replay_in_child(input.seed, Candidate{best.options, items_of(events)}, {}, factory,
                        shrinker.candidate_timeout());
    if (!replayed) return Status::internal("the shrunk scenario hangs when replayed on its own");
    if (!replayed->failure || !same_failure(shrinker.original(), *replayed->failure)) {
      return differs(replayed->failure);
    }
    result.failure = *replayed->failure;
    // Without an executed event, the system crashed while the replicas opened: no trace.
    if (!replayed->executed.empty()) {
      const std::vector<Event> before_crash(
          events.begin(),
          events.begin() + static_cast<std::ptrdiff_t>(replayed->executed.size() - 1));
      std::optional<std::vector<std::string>> trace =
          trace_in_child(input.seed, best.options, before_crash, factory);
      if (!trace) {
        return Status::internal("the events before the crashing one crash on their own");
      }
      result.trace = *std::move(trace);
    }
    result.trace.push_back("t" + std::to_string(result.failure.tick) + " CRASHED " +
                           result.failure.checker + ": " + result.failure.message);
  } else {
    const RunResult replayed = run_scenario(result.scenario, factory);
    if (!replayed.failure || !same_failure(shrinker.original(), *replayed.failure)) {
      return differs(replayed.failure);
    }
    result.failure = *replayed.failure;
    result.trace = replayed.recent_events;
  }
  result.original_failure = shrinker.original();
  result.original_event_count = shrinker.original_event_count();
  result.original_replica_count = input.options.replica_count;
  result.tries = shrinker.tries();
  result.accepted = shrinker.accepted();
  result.crashed = shrinker.crashed();
  result.budget_spent = shrinker.stopped_by_budget();
  result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  result.scenario.comment = describe_shrink(result);
  return result;
}

namespace {

std::string ops_to_display(const std::vector<Op>& ops) {
  std::string out;
  for (const Op& op : ops) out += (out.empty() ? "" : ", ") + op.to_display();
  return out;
}

// One event in words: "t3 r1 receives a:1@1 insert 0x1 -> ROOT key=fff0".
std::string event_to_display(const Event& event) {
  const std::string at = "t" + std::to_string(event.tick) + " ";
  const std::string who = at + "r" + std::to_string(event.replica) + " ";
  const std::string read_through = event.read_through ? " (the check reads through)" : "";
  switch (event.kind) {
    case Event::Kind::kLocal:
      return who + "local " + event.edit.to_display() + read_through;
    case Event::Kind::kDeliver:
      return who + "receives " + ops_to_display(event.ops) + read_through;
    case Event::Kind::kSync:
      return who + "answers the sync request of r" + std::to_string(event.peer) + ", which knew " +
             event.known.to_display();
    case Event::Kind::kPartition: {
      std::string side;
      for (const std::uint32_t member : event.side) side += " r" + std::to_string(member);
      return at + "partition {" + side + " } until t" + std::to_string(event.until);
    }
    case Event::Kind::kHeal:
      return at + "the partition heals";
    case Event::Kind::kCrash:
      return who + "crashes and restarts";
    case Event::Kind::kRestart:
      return who + "restarts (if down)";
    case Event::Kind::kArmStorageFault:
      return who + "arms a storage fault: store call " + std::to_string(event.countdown) +
             " from now fails";
    case Event::Kind::kArmFaultPoint:
      return who + "arms a fault point: site " + std::to_string(event.countdown) +
             " from now fires";
    case Event::Kind::kForge:
      return who + "receives the forged " + ops_to_display(event.ops);
    case Event::Kind::kLiveness:
      return at + "liveness: faults off, down replicas restart";
    case Event::Kind::kEnd:
      return at + "end: logs must be equal, then convergence";
  }
  TS_UNREACHABLE();
}

}  // namespace

std::string describe_shrink(const ShrinkResult& result) {
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.1f", result.seconds);
  const std::size_t event_count = result.scenario.events ? result.scenario.events->size() : 0;
  std::string out = "shrunk by treesim shrink from " + std::to_string(result.original_event_count) +
                    " events at " + std::to_string(result.original_replica_count) +
                    " replicas to " + std::to_string(event_count) + " events at " +
                    std::to_string(result.scenario.options.replica_count) + " replicas in " +
                    std::to_string(result.tries) + " tries, " + seconds + " s" +
                    (result.budget_spent ? " (budget spent)" : "") + ".\n";
  const bool crash = is_crash(result.failure);
  if (crash) {
    // No checker fired: the process died in the last event.
    out += "It crashes the system under test (crash/" + result.failure.checker + ") at tick " +
           std::to_string(result.failure.tick) +
           (result.failure.replica ? ", replica " + std::to_string(*result.failure.replica)
                                   : std::string()) +
           ", in its last event: " + result.failure.message;
  } else {
    out += "It fails with " + result.failure.to_display();
  }
  if (!result.failure.first_difference.empty()) {
    out += "\n(first difference: " + result.failure.first_difference + ")";
  }
  out += "\nEvents (rN is replica N):\n";
  for (const Event& event : *result.scenario.events) out += "  " + event_to_display(event) + "\n";
  out += "Trace of the replay:\n";
  // The failure (or the crash) closes the trace; its message was printed above.
  const std::string failed =
      "t" + std::to_string(result.failure.tick) + (crash ? " CRASHED " : " FAILED ");
  for (const std::string& line : result.trace) {
    if (line.starts_with(failed)) break;
    out += "  " + line + "\n";
  }
  return out;
}

}  // namespace treesim
