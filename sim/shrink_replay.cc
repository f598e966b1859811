#include "sim/shrink_replay.h"

#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>

#include "core/assert.h"
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
                              const SystemFactory& factory, const ReplayListener& listener) {
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
    if (listener.executing) listener.executing(index, out.executed.back());
    return true;
  };
  hooks.minted = [&](const Op& op) {
    const std::uint64_t edit = candidate.items[current].id;
    out.minted[edit] = op;
    if (listener.minted) listener.minted(edit, op);
  };
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

// Where the end of a child's standard error is kept: the line that matters (an assertion's, a
// sanitizer's report) comes last, or near the start of a report of a few kilobytes.
constexpr std::size_t kErrorTextMax = 64 * 1024;

bool write_all(int fd, std::string_view text) {
  for (std::size_t written = 0; written < text.size();) {
    const ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    written += static_cast<std::size_t>(n);
  }
  return true;
}

// The child's end of the pipe to its parent.
class Channel {
 public:
  explicit Channel(int fd) : fd_(fd) {}

  // Sends `text` at once, unbuffered: what was sent reaches the parent even if the child
  // crashes right after. A parent that stopped listening has no use for the child.
  void send(std::string_view text) const {
    if (!write_all(fd_, text)) _exit(1);
  }

 private:
  int fd_;
};

// How a child process ended.
struct ChildRun {
  bool started = false;
  bool hung = false;  // killed at its timeout
  int wait_status = 0;
  std::string output;      // everything it sent, up to its end or its crash
  std::string error_text;  // the end of its standard error

  bool finished() const {
    return started && !hung && WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
  }
  bool crashed() const { return started && !hung && !finished(); }
};

// Runs `body` in a child process with its standard error captured, and collects what it sends
// and writes until it ends; one that runs past `timeout_seconds` (0: no limit) is killed and
// counts as hung. The child ends with _exit: no atexit handlers, no leak check of a process
// that is only a probe.
ChildRun run_in_child(const std::function<void(const Channel&)>& body, double timeout_seconds) {
  ChildRun run;
  int output_pipe[2];
  int error_pipe[2];
  if (pipe(output_pipe) != 0) return run;
  if (pipe(error_pipe) != 0) {
    close(output_pipe[0]);
    close(output_pipe[1]);
    return run;
  }
  std::fflush(nullptr);
  const pid_t child = fork();
  if (child < 0) {
    for (const int fd : {output_pipe[0], output_pipe[1], error_pipe[0], error_pipe[1]}) close(fd);
    return run;
  }
  if (child == 0) {
    close(output_pipe[0]);
    close(error_pipe[0]);
    dup2(error_pipe[1], STDERR_FILENO);
    close(error_pipe[1]);
    body(Channel(output_pipe[1]));
    _exit(0);
  }
  run.started = true;
  close(output_pipe[1]);
  close(error_pipe[1]);

  // Both pipes are drained together: a child blocked on a full one would never end.
  const auto deadline =
      std::chrono::steady_clock::now() +
      std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(timeout_seconds * 1000)));
  const int fds[2] = {output_pipe[0], error_pipe[0]};
  std::string* texts[2] = {&run.output, &run.error_text};
  bool open[2] = {true, true};
  while (open[0] || open[1]) {
    int wait_milliseconds = -1;
    if (timeout_seconds > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        run.hung = true;
        break;
      }
      wait_milliseconds = static_cast<int>(std::min<std::int64_t>(left.count(), 1000));
    }
    pollfd polled[2];
    int which[2];
    nfds_t count = 0;
    for (int i = 0; i < 2; ++i) {
      if (!open[i]) continue;
      polled[count] = pollfd{fds[i], POLLIN, 0};
      which[count++] = i;
    }
    const int ready = poll(polled, count, wait_milliseconds);
    if (ready < 0 && errno != EINTR) {
      run.hung = true;  // no way left to hear it out: given up on, like a hang
      break;
    }
    for (nfds_t k = 0; k < count && ready > 0; ++k) {
      if (polled[k].revents == 0) continue;
      char buffer[1 << 16];
      const ssize_t n = read(fds[which[k]], buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        open[which[k]] = false;
        continue;
      }
      texts[which[k]]->append(buffer, static_cast<std::size_t>(n));
      if (which[k] == 1 && run.error_text.size() > 2 * kErrorTextMax) {
        run.error_text.erase(0, run.error_text.size() - kErrorTextMax);
      }
    }
  }
  if (run.hung) kill(child, SIGKILL);
  while (waitpid(child, &run.wait_status, 0) < 0) {
    if (errno != EINTR) {
      run.started = false;  // no status to judge by
      break;
    }
  }
  close(fds[0]);
  close(fds[1]);
  return run;
}

std::string first_line(std::string_view text) {
  std::string line(text.substr(0, text.find('\n')));
  if (line.ends_with('\r')) line.pop_back();
  return line;
}

// The line of `text` that holds position `at`.
std::string line_at(const std::string& text, std::size_t at) {
  const std::size_t start = text.rfind('\n', at);
  return first_line(std::string_view(text).substr(start == std::string::npos ? 0 : start + 1));
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

// Ops travel in the op-log form that also holds a forgery (sim/scenario.h writes them so).
Json op_to_wire(const Op& op) { return encode_unvalidated_op_json_line(op); }

std::optional<Op> op_from_wire(const Json& value) {
  const Json parsed = Json::parse(value.get<std::string>(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return std::nullopt;
  auto op = unvalidated_op_from_json(parsed);
  if (!op.is_ok()) return std::nullopt;
  return *std::move(op);
}

// Strings of a failure travel as hex: a message may hold any bytes.
Json failure_to_wire(const Failure& failure) {
  return {{"class", static_cast<int>(failure.failure_class)},
          {"checker", to_hex(failure.checker)},
          {"tick", failure.tick},
          {"replica", failure.replica ? Json(*failure.replica) : Json(nullptr)},
          {"message", to_hex(failure.message)},
          {"first_difference", to_hex(failure.first_difference)}};
}

Failure failure_from_wire(const Json& in) {
  const auto text_of = [&](const char* field) {
    return from_hex(in.at(field).get<std::string>()).value_or("");
  };
  Failure failure;
  failure.failure_class = static_cast<FailureClass>(in.at("class").get<int>());
  failure.checker = text_of("checker");
  failure.tick = in.at("tick").get<std::uint64_t>();
  if (!in.at("replica").is_null()) failure.replica = in.at("replica").get<std::uint32_t>();
  failure.message = text_of("message");
  failure.first_difference = text_of("first_difference");
  return failure;
}

// The replica an event happens at, for the failure of a crash during it.
std::optional<std::uint32_t> replica_of(const Event& event) {
  switch (event.kind) {
    case Event::Kind::kLocal:
    case Event::Kind::kDeliver:
    case Event::Kind::kSync:
    case Event::Kind::kCrash:
    case Event::Kind::kRestart:
    case Event::Kind::kArmStorageFault:
    case Event::Kind::kArmFaultPoint:
    case Event::Kind::kForge:
      return event.replica;
    case Event::Kind::kPartition:
    case Event::Kind::kHeal:
    case Event::Kind::kLiveness:
    case Event::Kind::kEnd:
      return std::nullopt;
  }
  TS_UNREACHABLE();
}

// The stream of a replay in a child (sim/shrink_replay.h): one JSON object a line,
//   {"item": P, "ops": [...], "links": [...]}  candidate.items[P] executes (ops and links for a
//                                              delivery or forge: as it executes them)
//   {"minted": ID, "op": ...}                   the local edit ID minted the op
//   {"end": {"trace_hash": H, "failure": ...}}  the replay finished
ReplayListener streaming_to(const Channel& channel) {
  ReplayListener listener;
  listener.executing = [&channel](std::size_t position, const Item& item) {
    Json line = {{"item", position}};
    if (has_ops(item.event.kind)) {
      Json ops = Json::array();
      for (const Op& op : item.event.ops) ops.push_back(op_to_wire(op));
      Json links = Json::array();
      for (const auto& link : item.links) links.push_back(link ? Json(*link) : Json(nullptr));
      line["ops"] = std::move(ops);
      line["links"] = std::move(links);
    }
    channel.send(line.dump() + "\n");
  };
  listener.minted = [&channel](std::uint64_t edit, const Op& op) {
    channel.send(Json{{"minted", edit}, {"op", op_to_wire(op)}}.dump() + "\n");
  };
  return listener;
}

void send_end(const Channel& channel, const Replayed& replayed) {
  Json end = {{"trace_hash", replayed.trace_hash}};
  if (replayed.failure) end["failure"] = failure_to_wire(*replayed.failure);
  channel.send(Json{{"end", std::move(end)}}.dump() + "\n");
}

// What the stream says; `ended` tells whether it held the end. None if it is not a stream of
// `candidate`'s replay.
std::optional<Replayed> read_stream(const std::string& text, const Candidate& candidate,
                                    bool& ended) {
  ended = false;
  Replayed replayed;
  try {
    for (std::size_t start = 0; start < text.size();) {
      const std::size_t newline = text.find('\n', start);
      if (newline == std::string::npos) return std::nullopt;  // lines are sent whole
      const Json line = Json::parse(std::string_view(text).substr(start, newline - start));
      start = newline + 1;
      if (ended) return std::nullopt;  // nothing follows the end
      if (const auto item = line.find("item"); item != line.end()) {
        const std::size_t position = item->get<std::size_t>();
        if (position >= candidate.items.size()) return std::nullopt;
        const Item& planned = candidate.items[position];
        Item executed{planned.id, planned.event, {}};
        if (has_ops(planned.event.kind)) {
          const Json& ops = line.at("ops");
          const Json& links = line.at("links");
          if (ops.size() != links.size() || ops.empty()) return std::nullopt;
          executed.event.ops.clear();
          for (std::size_t i = 0; i < ops.size(); ++i) {
            std::optional<Op> op = op_from_wire(ops[i]);
            if (!op) return std::nullopt;
            executed.event.ops.push_back(*std::move(op));
            executed.links.push_back(
                links[i].is_null() ? std::nullopt : std::optional(links[i].get<std::uint64_t>()));
          }
        }
        replayed.executed.push_back(std::move(executed));
      } else if (const auto edit = line.find("minted"); edit != line.end()) {
        std::optional<Op> op = op_from_wire(line.at("op"));
        if (!op) return std::nullopt;
        replayed.minted[edit->get<std::uint64_t>()] = *std::move(op);
      } else {
        const Json& end = line.at("end");
        replayed.trace_hash = end.at("trace_hash").get<std::uint64_t>();
        if (const auto failure = end.find("failure"); failure != end.end()) {
          replayed.failure = failure_from_wire(*failure);
        }
        ended = true;
      }
    }
  } catch (const Json::exception&) {
    return std::nullopt;  // a child that wrote garbage is a child that failed
  }
  return replayed;
}

// --- recording a run that crashes ---

// A counter in memory shared with a child process, which survives the child's crash.
class SharedCounter {
 public:
  SharedCounter() {
    void* memory = mmap(nullptr, sizeof(std::uint64_t), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (memory != MAP_FAILED) value_ = static_cast<std::uint64_t*>(memory);
  }
  ~SharedCounter() {
    if (value_ != nullptr) munmap(value_, sizeof(std::uint64_t));
  }
  SharedCounter(const SharedCounter&) = delete;
  SharedCounter& operator=(const SharedCounter&) = delete;

  bool mapped() const { return value_ != nullptr; }
  std::uint64_t& value() { return *value_; }

 private:
  std::uint64_t* value_ = nullptr;
};

// The calls of a recording run into its systems under test (record_in_child): each is counted,
// and from call number `intercept_at` on (0: never) they are answered without the system.
struct CallCounter {
  std::uint64_t* calls = nullptr;  // in shared memory
  std::uint64_t intercept_at = 0;
  // The events the run recorded so far, and their count at the first intercepted call.
  const std::vector<Event>* recorded = nullptr;
  std::optional<std::size_t> recorded_at_interception;
  // Sends the recorded events and ends the child: the event of the intercepted call is in.
  std::function<void()> report_and_exit;

  // Before each call: whether the system must not see it.
  bool intercept() {
    if (recorded_at_interception && recorded->size() > *recorded_at_interception) {
      report_and_exit();
    }
    ++*calls;
    if (intercept_at != 0 && *calls == intercept_at) recorded_at_interception = recorded->size();
    return recorded_at_interception.has_value();
  }
};

// A system under test whose calls a CallCounter counts, and, once it intercepts, answers each
// with an error or an empty value: the simulator reports that as a checker failure (a failed
// call without an armed fault, a snapshot unlike the model's, broken invariants), which ends
// the run after the event is recorded.
class CountedSystem final : public SystemUnderTest {
 public:
  CountedSystem(std::unique_ptr<SystemUnderTest> inner, CallCounter& counter)
      : inner_(std::move(inner)), counter_(counter) {}

  Status open() override { return counter_.intercept() ? refused() : inner_->open(); }
  bool is_open() const override { return !counter_.intercept() && inner_->is_open(); }
  void crash() override {
    if (!counter_.intercept()) inner_->crash();
  }
  bool needs_restart() const override { return !counter_.intercept() && inner_->needs_restart(); }
  Result<AppendResult> append(const std::vector<Op>& batch) override {
    if (counter_.intercept()) return refused();
    return inner_->append(batch);
  }
  Result<LocalResult> local(const LocalEdit& edit) override {
    if (counter_.intercept()) return refused();
    return inner_->local(edit);
  }
  Status ensure_materialized() override {
    return counter_.intercept() ? refused() : inner_->ensure_materialized();
  }
  Result<Snapshot> snapshot() override {
    if (counter_.intercept()) return refused();
    return inner_->snapshot();
  }
  Snapshot materialized_snapshot() override {
    return counter_.intercept() ? Snapshot{} : inner_->materialized_snapshot();
  }
  VisibleTree materialized_visible_tree() override {
    return counter_.intercept() ? VisibleTree{} : inner_->materialized_visible_tree();
  }
  Head head() override { return counter_.intercept() ? Head{} : inner_->head(); }
  Frontier frontier() override { return counter_.intercept() ? Frontier{} : inner_->frontier(); }
  VersionVector version_vector() override {
    return counter_.intercept() ? VersionVector{} : inner_->version_vector();
  }
  Result<std::vector<Op>> ops_missing_from(const VersionVector& known) override {
    if (counter_.intercept()) return refused();
    return inner_->ops_missing_from(known);
  }
  std::optional<std::string> check_invariants() override {
    if (counter_.intercept()) return std::string("the recording answers in place of the system");
    return inner_->check_invariants();
  }
  bool answers_queries() const override { return inner_->answers_queries(); }
  Result<QueryAnswers> query(NodeId node) override {
    if (counter_.intercept()) return refused();
    return inner_->query(node);
  }
  bool arm_storage_fault(std::uint64_t n) override {
    return !counter_.intercept() && inner_->arm_storage_fault(n);
  }
  bool arm_fault_point(std::uint64_t n) override {
    return !counter_.intercept() && inner_->arm_fault_point(n);
  }
  void clear_faults() override {
    if (!counter_.intercept()) inner_->clear_faults();
  }
  Probes probes() const override { return counter_.intercept() ? Probes{} : inner_->probes(); }

 private:
  static Status refused() {
    return Status::internal("the recording answers in place of the system");
  }

  std::unique_ptr<SystemUnderTest> inner_;
  CallCounter& counter_;
};

}  // namespace

Failure crash_failure(int wait_status, const std::string& error_text) {
  Failure failure;
  failure.failure_class = FailureClass::kCorrectness;
  const std::size_t assertion = error_text.rfind("assertion failed:");
  const std::size_t undefined = error_text.find("runtime error:");
  const std::size_t sanitizer = error_text.find("Sanitizer");
  if (assertion != std::string::npos) {
    failure.checker = "assertion";
    failure.message = first_line(std::string_view(error_text).substr(assertion));
  } else if (undefined != std::string::npos) {
    // "FILE:LINE:COLUMN: runtime error: WHAT": what first, where last (the gist stops at the
    // first digit).
    failure.checker = "sanitizer";
    const std::string line = line_at(error_text, undefined);
    const std::size_t what = line.find("runtime error:");
    std::string where = line.substr(0, what);
    while (!where.empty() && (where.back() == ' ' || where.back() == ':')) where.pop_back();
    failure.message = line.substr(what) + (where.empty() ? "" : " at " + where);
  } else if (sanitizer != std::string::npos) {
    // "==1234==ERROR: AddressSanitizer: heap-use-after-free on address ...", less the pid.
    failure.checker = "sanitizer";
    std::string line = line_at(error_text, sanitizer);
    if (line.starts_with("==")) {
      const std::size_t end = line.find("==", 2);
      if (end != std::string::npos) line.erase(0, end + 2);
    }
    failure.message = line;
  } else {
    failure.checker = WIFSIGNALED(wait_status) ? "signal " + std::to_string(WTERMSIG(wait_status))
                                               : "exit " + std::to_string(WEXITSTATUS(wait_status));
    std::string text = error_text;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    failure.message = text.empty() ? "the process died without a word on standard error"
                                   : line_at(text, text.size() - 1);
  }
  return failure;
}

std::optional<Replayed> replay_in_child(std::uint64_t seed, const Candidate& candidate,
                                        const std::map<std::uint64_t, Op>& previous,
                                        const SystemFactory& factory, double timeout_seconds) {
  const ChildRun run = run_in_child(
      [&](const Channel& channel) {
        const Replayed replayed =
            replay_following_ops(seed, candidate, previous, factory, streaming_to(channel));
        send_end(channel, replayed);
      },
      timeout_seconds);
  if (!run.finished() && !run.crashed()) return std::nullopt;  // hung, or never ran
  bool ended = false;
  std::optional<Replayed> replayed = read_stream(run.output, candidate, ended);
  if (!replayed) return std::nullopt;
  if (run.finished()) return ended ? replayed : std::nullopt;
  if (ended) return std::nullopt;  // it crashed after the end: not the replay's doing
  Failure crash = crash_failure(run.wait_status, run.error_text);
  if (!replayed->executed.empty()) {
    const Event& crashing = replayed->executed.back().event;
    crash.tick = crashing.tick;
    crash.replica = replica_of(crashing);
  }
  replayed->failure = std::move(crash);
  replayed->trace_hash = 0;
  return replayed;
}

Result<Recorded> record_in_child(std::uint64_t seed, const Options& options,
                                 const SystemFactory& factory) {
  SharedCounter calls;
  if (!calls.mapped()) {
    return Status::unsupported("could not map memory to share with a recording child process");
  }
  const auto record = [&](std::uint64_t intercept_at) {
    calls.value() = 0;
    return run_in_child(
        [&](const Channel& channel) {
          std::vector<Event> events;
          CallCounter counter;
          counter.calls = &calls.value();
          counter.intercept_at = intercept_at;
          counter.recorded = &events;
          counter.report_and_exit = [&] {
            channel.send(events_to_text(seed, options, events));
            _exit(0);
          };
          const SystemFactory counted = [&](const ReplicaId& id, const ReplicaConfig& config,
                                            std::uint64_t replica_seed) {
            return std::make_unique<CountedSystem>(factory(id, config, replica_seed), counter);
          };
          Simulation(seed, options, counted).run(&events);
          // With an interception, only a run that recorded the intercepted event reports.
          const bool complete =
              intercept_at == 0 || (counter.recorded_at_interception &&
                                    events.size() > *counter.recorded_at_interception);
          if (complete) channel.send(events_to_text(seed, options, events));
        },
        /*timeout_seconds=*/0);
  };
  const ChildRun first = record(/*intercept_at=*/0);
  if (first.finished()) {
    std::optional<std::vector<Event>> events = events_from_text(first.output);
    if (!events) return Status::unsupported("the recording child process reported nonsense");
    return Recorded{*std::move(events), std::nullopt};
  }
  if (!first.crashed()) {
    return Status::unsupported("could not run a child process to record the seed's run");
  }
  Failure crash = crash_failure(first.wait_status, first.error_text);
  const std::uint64_t crashing_call = calls.value();
  if (crashing_call == 0) {
    return Status::unsupported(
        "the seed's run crashes the system under test before any call into it (" + crash.message +
        "): there is no event to shrink");
  }
  const ChildRun second = record(crashing_call);
  std::optional<std::vector<Event>> events;
  if (second.finished()) events = events_from_text(second.output);
  if (!events) {
    return Status::unsupported(
        "the seed's run crashes the system under test (" + crash.message +
        "), and a second run that answers the crashing call in place of the system did not "
        "record the event it crashed in" +
        (second.crashed()
             ? " (it crashed: " + crash_failure(second.wait_status, second.error_text).message + ")"
             : std::string()));
  }
  return Recorded{*std::move(events), std::move(crash)};
}

std::optional<std::vector<std::string>> trace_in_child(std::uint64_t seed, const Options& options,
                                                       const std::vector<Event>& events,
                                                       const SystemFactory& factory) {
  const ChildRun run = run_in_child(
      [&](const Channel& channel) {
        const RunResult result = run_scenario(Scenario{"", seed, options, events}, factory);
        Json lines = Json::array();
        for (const std::string& line : result.recent_events) lines.push_back(to_hex(line));
        channel.send(lines.dump());
      },
      /*timeout_seconds=*/0);
  if (!run.finished()) return std::nullopt;
  const Json lines = Json::parse(run.output, nullptr, /*allow_exceptions=*/false);
  if (!lines.is_array()) return std::nullopt;
  std::vector<std::string> trace;
  for (const Json& line : lines) {
    if (!line.is_string()) return std::nullopt;
    trace.push_back(from_hex(line.get<std::string>()).value_or(""));
  }
  return trace;
}

}  // namespace treesim::shrink_internal
