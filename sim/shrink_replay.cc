#include "sim/shrink_replay.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/hex.h"
#include "core/jsonl_codec.h"
#include "sim/scenario.h"

namespace treesim::shrink_internal {
namespace {

bool has_ops(Event::Kind kind) {
  return kind == Event::Kind::kDeliver || kind == Event::Kind::kForge;
}

// A forged equivocation rebuilt on the op its edit minted this time: the fields in which the
// forgery differed from the op it copied keep their forged values, the others are the new op's.
Op rebase_forgery(const Op& copied, const Op& forged, const Op& minted) {
  Op out = minted;
  if (forged.lamport != copied.lamport) out.lamport = forged.lamport;
  if (forged.known_state != copied.known_state) out.known_state = forged.known_state;
  if (forged.kind != copied.kind) out.kind = forged.kind;
  if (forged.node != copied.node) out.node = forged.node;
  if (forged.parent != copied.parent) out.parent = forged.parent;
  if (forged.order_key != copied.order_key) out.order_key = forged.order_key;
  if (forged.payload != copied.payload) out.payload = forged.payload;
  return out;
}

// The candidate without replica `gone` (sim/shrink_replay.h: without_replicas); later replicas
// move down one index.
Candidate without_replica(const Candidate& candidate, std::uint32_t gone,
                          const std::optional<ReplicaId>& author) {
  Candidate out;
  out.options = candidate.options;
  out.options.replica_count -= 1;
  out.options.replicas.erase(out.options.replicas.begin() + gone);
  const auto renumber = [gone](std::uint32_t index) { return index > gone ? index - 1 : index; };
  for (const Item& original : candidate.items) {
    Item item = original;
    Event& event = item.event;
    switch (event.kind) {
      case Event::Kind::kSync:
        if (event.replica == gone || event.peer == gone) continue;
        event.replica = renumber(event.replica);
        event.peer = renumber(event.peer);
        break;
      case Event::Kind::kPartition: {
        std::set<std::uint32_t> side;
        for (const std::uint32_t member : event.side) {
          if (member != gone) side.insert(renumber(member));
        }
        event.side = std::move(side);
        break;
      }
      case Event::Kind::kHeal:
      case Event::Kind::kLiveness:
      case Event::Kind::kEnd:
        break;
      case Event::Kind::kLocal:
      case Event::Kind::kDeliver:
      case Event::Kind::kCrash:
      case Event::Kind::kRestart:
      case Event::Kind::kArmStorageFault:
      case Event::Kind::kArmFaultPoint:
      case Event::Kind::kForge:
        if (event.replica == gone) continue;
        event.replica = renumber(event.replica);
        break;
    }
    if (event.kind == Event::Kind::kDeliver && author) {
      // Linked ops of its edits vanish in prune(); this catches the unlinked ones.
      for (std::size_t i = event.ops.size(); i-- > 0;) {
        if (!item.links[i] && event.ops[i].id.replica == *author) {
          event.ops.erase(event.ops.begin() + static_cast<std::ptrdiff_t>(i));
          item.links.erase(item.links.begin() + static_cast<std::ptrdiff_t>(i));
        }
      }
      if (event.ops.empty()) continue;
    }
    out.items.push_back(std::move(item));
  }
  return out;
}

}  // namespace

std::vector<Event> events_of(const std::vector<Item>& items) {
  std::vector<Event> events;
  events.reserve(items.size());
  for (const Item& item : items) events.push_back(item.event);
  return events;
}

std::vector<Item> items_of(const std::vector<Event>& events) {
  std::vector<Item> items;
  items.reserve(events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    items.push_back(Item{i, events[i], {}});
    if (has_ops(events[i].kind)) items.back().links.assign(events[i].ops.size(), std::nullopt);
  }
  return items;
}

Replayed replay_following_ops(std::uint64_t seed, const Candidate& candidate,
                              const std::map<std::uint64_t, Op>& previous,
                              const SystemFactory& factory) {
  Replayed out;
  std::size_t current = 0;
  Simulation::ReplayHooks hooks;
  hooks.before = [&](std::size_t index, Event& event) {
    current = index;
    const Item& item = candidate.items[index];
    std::vector<std::optional<std::uint64_t>> links = item.links;
    if (event.kind == Event::Kind::kDeliver) {
      std::vector<Op> ops;
      std::vector<std::optional<std::uint64_t>> kept;
      for (std::size_t i = 0; i < event.ops.size(); ++i) {
        if (!links[i]) {
          ops.push_back(event.ops[i]);
          kept.push_back(std::nullopt);
          continue;
        }
        const auto minted = out.minted.find(*links[i]);
        if (minted == out.minted.end()) continue;  // its edit is gone, or failed this time
        ops.push_back(minted->second);
        kept.push_back(links[i]);
      }
      if (ops.empty()) return false;  // the executor requires at least one op
      event.ops = std::move(ops);
      links = std::move(kept);
    } else if (event.kind == Event::Kind::kForge && links.front()) {
      const auto minted = out.minted.find(*links.front());
      const auto copied = previous.find(*links.front());
      if (minted == out.minted.end() || copied == previous.end()) return false;
      const Op forged = rebase_forgery(copied->second, event.ops.front(), minted->second);
      // Equal to the op, it is no forgery; invalid, it would test the other rejection.
      if (forged == minted->second || !validate_op(forged).is_ok()) return false;
      event.ops.front() = forged;
    }
    out.executed.push_back(Item{item.id, event, std::move(links)});
    return true;
  };
  hooks.minted = [&](const Op& op) { out.minted[candidate.items[current].id] = op; };
  const RunResult result =
      Simulation(seed, candidate.options, factory).replay(events_of(candidate.items), hooks);
  out.failure = result.failure;
  out.trace_hash = result.trace_hash;
  return out;
}

void link_ops(std::vector<Item>& items, const std::map<std::uint64_t, Op>& minted) {
  std::map<OpId, std::pair<std::uint64_t, const Op*>> by_id;
  for (const auto& [edit, op] : minted) by_id.try_emplace(op.id, edit, &op);
  for (Item& item : items) {
    if (!has_ops(item.event.kind)) continue;
    item.links.assign(item.event.ops.size(), std::nullopt);
    for (std::size_t i = 0; i < item.event.ops.size(); ++i) {
      const Op& op = item.event.ops[i];
      const auto found = by_id.find(op.id);
      if (found == by_id.end()) continue;
      const bool same = *found->second.second == op;
      const bool forgery = item.event.kind == Event::Kind::kForge && validate_op(op).is_ok();
      if (same || forgery) item.links[i] = found->second.first;
    }
  }
}

void prune(std::vector<Item>& items) {
  std::set<std::uint64_t> edits;
  for (const Item& item : items) {
    if (item.event.kind == Event::Kind::kLocal) edits.insert(item.id);
  }
  const auto dangling = [&](const std::optional<std::uint64_t>& link) {
    return link && !edits.contains(*link);
  };
  std::vector<Item> kept;
  kept.reserve(items.size());
  for (Item& item : items) {
    if (has_ops(item.event.kind)) {
      std::vector<Op> ops;
      std::vector<std::optional<std::uint64_t>> links;
      for (std::size_t i = 0; i < item.event.ops.size(); ++i) {
        if (dangling(item.links[i])) continue;
        ops.push_back(std::move(item.event.ops[i]));
        links.push_back(item.links[i]);
      }
      if (ops.empty()) continue;
      item.event.ops = std::move(ops);
      item.links = std::move(links);
    }
    kept.push_back(std::move(item));
  }
  items = std::move(kept);
}

Candidate without_replicas(const Candidate& candidate, const std::set<std::uint32_t>& gone,
                           const std::map<std::uint32_t, ReplicaId>& authors) {
  Candidate out = candidate;
  // Highest first: removing a replica renumbers only the ones after it.
  for (auto replica = gone.rbegin(); replica != gone.rend(); ++replica) {
    const auto author = authors.find(*replica);
    out = without_replica(
        out, *replica,
        author == authors.end() ? std::nullopt : std::optional<ReplicaId>(author->second));
  }
  return out;
}

// --- in a child process ---

namespace {

using Json = nlohmann::json;

// Runs `body` in a child process that has `timeout_seconds` to finish (0: no limit), its
// standard error silenced (a crashing candidate's assertion message is no news), and returns
// what it wrote; none if it did not exit normally (a signal: an assertion's abort, the
// timeout's alarm), or no child could be started.
std::optional<std::string> output_of_child(const std::function<std::string()>& body,
                                           double timeout_seconds) {
  int channel[2];
  if (pipe(channel) != 0) return std::nullopt;
  std::fflush(nullptr);
  const pid_t child = fork();
  if (child < 0) {
    close(channel[0]);
    close(channel[1]);
    return std::nullopt;
  }
  if (child == 0) {
    close(channel[0]);
    if (const int null = open("/dev/null", O_WRONLY); null >= 0) dup2(null, STDERR_FILENO);
    if (timeout_seconds > 0) alarm(static_cast<unsigned>(std::ceil(timeout_seconds)));
    const std::string output = body();
    for (std::size_t written = 0; written < output.size();) {
      const ssize_t n = write(channel[1], output.data() + written, output.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) _exit(1);
      written += static_cast<std::size_t>(n);
    }
    // _exit: no atexit handlers, no leak check of a process that is only a probe.
    _exit(0);
  }
  close(channel[1]);
  std::string output;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = read(channel[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buffer, static_cast<std::size_t>(n));
  }
  close(channel[0]);
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) return std::nullopt;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return output;
}

// Events travel as scenario text: the file format, validated again when it is read back.
std::string events_to_text(std::uint64_t seed, const Options& options,
                           const std::vector<Event>& events) {
  return scenario_to_json_text(Scenario{"", seed, options, events});
}

std::optional<std::vector<Event>> events_from_text(const std::string& text) {
  auto scenario = scenario_from_json_text(text);
  if (!scenario.is_ok() || !scenario->events) return std::nullopt;
  return std::move(*scenario->events);
}

// Strings of a failure travel as hex: a message may hold any bytes.
std::string encode_replayed(std::uint64_t seed, const Options& options, const Replayed& replayed) {
  Json out = Json::object();
  out["events"] = events_to_text(seed, options, events_of(replayed.executed));
  Json ids = Json::array();
  Json links = Json::array();
  for (const Item& item : replayed.executed) {
    ids.push_back(item.id);
    Json item_links = Json::array();
    for (const auto& link : item.links) item_links.push_back(link ? Json(*link) : Json(nullptr));
    links.push_back(std::move(item_links));
  }
  out["ids"] = std::move(ids);
  out["links"] = std::move(links);
  Json minted = Json::array();
  for (const auto& [edit, op] : replayed.minted) minted.push_back({edit, op_to_json(op)});
  out["minted"] = std::move(minted);
  out["trace_hash"] = replayed.trace_hash;
  if (const auto& failure = replayed.failure) {
    out["failure"] = {{"class", static_cast<int>(failure->failure_class)},
                      {"checker", to_hex(failure->checker)},
                      {"tick", failure->tick},
                      {"replica", failure->replica ? Json(*failure->replica) : Json(nullptr)},
                      {"message", to_hex(failure->message)},
                      {"first_difference", to_hex(failure->first_difference)}};
  }
  return out.dump();
}

std::optional<Replayed> decode_replayed(const std::string& text) {
  try {
    const Json in = Json::parse(text);
    std::optional<std::vector<Event>> events = events_from_text(in.at("events").get<std::string>());
    const Json& ids = in.at("ids");
    const Json& links = in.at("links");
    if (!events || ids.size() != events->size() || links.size() != events->size()) {
      return std::nullopt;
    }
    Replayed replayed;
    for (std::size_t i = 0; i < events->size(); ++i) {
      Item item{ids[i].get<std::uint64_t>(), std::move((*events)[i]), {}};
      for (const Json& link : links[i]) {
        item.links.push_back(link.is_null() ? std::nullopt
                                            : std::optional(link.get<std::uint64_t>()));
      }
      replayed.executed.push_back(std::move(item));
    }
    for (const Json& entry : in.at("minted")) {
      auto op = op_from_json(entry.at(1));
      if (!op.is_ok()) return std::nullopt;
      replayed.minted.emplace(entry.at(0).get<std::uint64_t>(), *std::move(op));
    }
    replayed.trace_hash = in.at("trace_hash").get<std::uint64_t>();
    if (const auto failure = in.find("failure"); failure != in.end()) {
      const auto text_of = [&](const char* field) {
        return from_hex(failure->at(field).get<std::string>()).value_or("");
      };
      Failure decoded;
      decoded.failure_class = static_cast<FailureClass>(failure->at("class").get<int>());
      decoded.checker = text_of("checker");
      decoded.tick = failure->at("tick").get<std::uint64_t>();
      if (!failure->at("replica").is_null()) {
        decoded.replica = failure->at("replica").get<std::uint32_t>();
      }
      decoded.message = text_of("message");
      decoded.first_difference = text_of("first_difference");
      replayed.failure = std::move(decoded);
    }
    return replayed;
  } catch (const Json::exception&) {
    return std::nullopt;  // a child that wrote garbage is a child that failed
  }
}

}  // namespace

std::optional<Replayed> replay_in_child(std::uint64_t seed, const Candidate& candidate,
                                        const std::map<std::uint64_t, Op>& previous,
                                        const SystemFactory& factory, double timeout_seconds) {
  const std::optional<std::string> output = output_of_child(
      [&] {
        return encode_replayed(seed, candidate.options,
                               replay_following_ops(seed, candidate, previous, factory));
      },
      timeout_seconds);
  if (!output) return std::nullopt;
  return decode_replayed(*output);
}

std::optional<std::vector<Event>> record_in_child(std::uint64_t seed, const Options& options,
                                                  const SystemFactory& factory) {
  const std::optional<std::string> output = output_of_child(
      [&] {
        std::vector<Event> events;
        Simulation(seed, options, factory).run(&events);
        return events_to_text(seed, options, events);
      },
      /*timeout_seconds=*/0);
  if (!output) return std::nullopt;
  return events_from_text(*output);
}

}  // namespace treesim::shrink_internal
