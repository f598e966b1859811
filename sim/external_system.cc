#include "sim/external_system.h"

#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <system_error>
#include <utility>

#include "core/json_values.h"
#include "core/snapshot_json.h"
#include "sim/adapter_protocol.h"

namespace treesim {
namespace {

using JsonValue = nlohmann::json;

// How long the destructor waits for an adapter to act on close before it kills it.
constexpr double kCloseSeconds = 5;
// How long an adapter that closed its output gets to exit, so its exit status can be reported.
constexpr double kExitSeconds = 5;

std::string seconds_to_display(double seconds) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g s", seconds);
  return buffer;
}

// The adapter's standard error, indented under the message, or nothing.
std::string stderr_block(const std::string& text) {
  if (text.empty()) return "";
  std::string block = "\n  adapter stderr (last " + std::to_string(text.size()) + " bytes):";
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    block += "\n    " + json::printable(std::string_view(text).substr(start, end - start), 400);
    start = end + 1;
  }
  return block;
}

// The value of `name` in a response that must be exactly {name: value}.
Result<const JsonValue*> only_field(const JsonValue& response, std::string_view name) {
  TS_RETURN_IF_ERROR(json::expect_object(response, "", {name}));
  const JsonValue* value = json::find_field(response, name);
  if (value == nullptr) return json::field_error(name, "required, but missing");
  return value;
}

// A response that must be {}.
Status empty_response(const JsonValue& response) { return json::expect_object(response, "", {}); }

// A request line: nlohmann::json's dump, with bytes that are not UTF-8 (a strange $TMPDIR)
// replaced instead of thrown about.
std::string request_line(const JsonValue& request) {
  return request.dump(-1, ' ', false, JsonValue::error_handler_t::replace);
}

}  // namespace

// A response line, parsed: either a success object or an error.
struct ExternalSystem::Response {
  JsonValue value;
  bool is_error = false;
  protocol::RemoteError error;
  std::string line;
};

// --- ExternalFailures ---

void ExternalFailures::note(Failure failure) {
  if (!first_) first_ = std::move(failure);
}

// --- ExternalSystem ---

ExternalSystem::ExternalSystem(ReplicaId replica, const ReplicaConfig& config,
                               ExternalOptions options, std::shared_ptr<RunDirectory> directory,
                               std::shared_ptr<ExternalFailures> failures)
    : replica_(std::move(replica)),
      config_(config),
      options_(std::move(options)),
      directory_(std::move(directory)),
      failures_(std::move(failures)) {
  TS_ASSERT(failures_ != nullptr);
  TS_ASSERT(options_.timeout_seconds > 0);
}

ExternalSystem::~ExternalSystem() {
  if (process_ && !broken_) {
    // A polite end: the adapter closes its stores and answers, and is then killed without
    // waiting for its exit (the protocol allows it; an adapter's exit can be slow, e.g. under a
    // leak checker). One that does not answer is killed too, without a failure: the run is over.
    const double seconds = std::min(options_.timeout_seconds, kCloseSeconds);
    process_->exchange(R"({"request":"close"})", seconds);
  }
  process_.reset();
}

std::string ExternalSystem::who() const {
  return "adapter of replica " + replica_.to_display() +
         (process_ ? " (pid " + std::to_string(process_->pid()) + ")" : "");
}

void ExternalSystem::break_with(FailureClass failure_class, const std::string& request,
                                const std::string& problem, const std::string& raw_line) {
  TS_ASSERT(!broken_);
  std::string message =
      who() + ": request '" + request + "' (#" + std::to_string(request_count_) + "): " + problem;
  if (!raw_line.empty()) message += "; raw line: " + json::printable(raw_line, 300);
  std::string error_text;
  if (process_) {
    process_->kill();
    error_text = process_->stderr_tail();
  }
  message += stderr_block(error_text);
  Failure failure;
  failure.failure_class = failure_class;
  failure.checker = failure_class == FailureClass::kUnresponsive ? "watchdog" : "protocol";
  failure.message = std::move(message);
  broken_ = failure;
  failures_->note(std::move(failure));
  drop_cache();
}

void ExternalSystem::drop_cache() {
  head_.reset();
  frontier_.reset();
  version_vector_.reset();
  materialized_.reset();
}

void ExternalSystem::malformed(const std::string& request, const Status& problem,
                               const std::string& raw_line) {
  break_with(FailureClass::kCorrectness, request, "malformed response: " + problem.message(),
             raw_line);
}

Status ExternalSystem::broken_status() const {
  TS_ASSERT(broken_.has_value());
  std::string first_line = broken_->message.substr(0, broken_->message.find('\n'));
  return Status::internal("external system broken: " + first_line);
}

std::optional<ExternalSystem::Response> ExternalSystem::call(const std::string& name,
                                                             const std::string& request_text) {
  if (broken_) return std::nullopt;
  ++request_count_;
  if (!process_) {
    break_with(FailureClass::kCorrectness, name, "no adapter is running (internal error)", "");
    return std::nullopt;
  }
  AdapterProcess::Exchange exchange = process_->exchange(request_text, options_.timeout_seconds);
  switch (exchange.outcome) {
    case AdapterProcess::Outcome::kTimeout:
      break_with(
          FailureClass::kUnresponsive, name,
          "no response within " + seconds_to_display(options_.timeout_seconds) + " (--sut-timeout)",
          exchange.line);
      return std::nullopt;
    case AdapterProcess::Outcome::kClosed: {
      process_->close_and_wait(kExitSeconds);
      break_with(
          FailureClass::kCorrectness, name,
          "the adapter closed its output before answering; it " + process_->exit_description(),
          exchange.line);
      return std::nullopt;
    }
    case AdapterProcess::Outcome::kTooLong:
      break_with(FailureClass::kCorrectness, name,
                 "the response line is longer than " +
                     std::to_string(AdapterProcess::kLineBytesMax) + " bytes",
                 exchange.line);
      return std::nullopt;
    case AdapterProcess::Outcome::kLine:
      break;
  }
  auto parsed = json::parse(exchange.line, "response");
  if (!parsed.is_ok()) {
    break_with(FailureClass::kCorrectness, name,
               "the response is not a JSON line: " + parsed.status().message(), exchange.line);
    return std::nullopt;
  }
  Response response;
  response.line = std::move(exchange.line);
  response.value = *std::move(parsed);
  if (!response.value.is_object()) {
    break_with(FailureClass::kCorrectness, name,
               "the response is not a JSON object but " + json::describe(response.value),
               response.line);
    return std::nullopt;
  }
  if (const JsonValue* error = json::find_field(response.value, "error")) {
    if (response.value.size() != 1) {
      break_with(FailureClass::kCorrectness, name, "an error response holds other fields too",
                 response.line);
      return std::nullopt;
    }
    auto remote = protocol::error_from_json(*error, "error");
    if (!remote.is_ok()) {
      break_with(FailureClass::kCorrectness, name,
                 "malformed error response: " + remote.status().message(), response.line);
      return std::nullopt;
    }
    response.is_error = true;
    response.error = *std::move(remote);
  }
  return response;
}

std::optional<ExternalSystem::Response> ExternalSystem::call(const std::string& name,
                                                             JsonValue request) {
  request["request"] = name;
  return call(name, request_line(request));
}

Result<JsonValue> ExternalSystem::call_fallible(const std::string& name, JsonValue request) {
  std::optional<Response> response = call(name, std::move(request));
  if (!response) return broken_status();
  if (response->is_error) {
    needs_restart_ = response->error.needs_restart;
    return response->error.status;
  }
  return std::move(response->value);
}

std::optional<JsonValue> ExternalSystem::call_infallible(const std::string& name,
                                                         JsonValue request) {
  std::optional<Response> response = call(name, std::move(request));
  if (!response) return std::nullopt;
  if (response->is_error) {
    break_with(
        FailureClass::kCorrectness, name,
        "an error answer to a request that cannot fail: " + response->error.status.to_string(),
        response->line);
    return std::nullopt;
  }
  return std::move(response->value);
}

bool ExternalSystem::start_adapter() {
  TS_ASSERT(!process_);
  if (directory_ == nullptr) {
    break_with(FailureClass::kCorrectness, "open", "no run directory could be made (see TMPDIR)",
               "");
    return false;
  }
  auto started = AdapterProcess::start(options_.command);
  if (!started.is_ok()) {
    break_with(FailureClass::kCorrectness, "hello", started.status().message(), "");
    return false;
  }
  process_ = *std::move(started);
  capabilities_.clear();
  JsonValue hello = JsonValue::object();
  hello["protocol"] = protocol::kVersion;
  std::optional<Response> response = call("hello", std::move(hello));
  if (!response) return false;
  if (response->is_error) {
    break_with(FailureClass::kCorrectness, "hello",
               "the adapter refused protocol version " + std::to_string(protocol::kVersion) + ": " +
                   response->error.status.to_string(),
               response->line);
    return false;
  }
  const JsonValue& value = response->value;
  Status shape = json::expect_object(value, "", {"protocol", "name", "capabilities"});
  const JsonValue* version = json::find_field(value, "protocol");
  if (shape.is_ok() && version == nullptr) {
    shape = json::field_error("protocol", "required in a hello response, but missing");
  }
  if (shape.is_ok()) {
    auto number = json::to_uint(*version, "protocol");
    if (!number.is_ok()) {
      shape = number.status();
    } else if (*number != protocol::kVersion) {
      break_with(FailureClass::kCorrectness, "hello",
                 "the adapter speaks protocol version " + std::to_string(*number) +
                     "; this build speaks version " + std::to_string(protocol::kVersion),
                 response->line);
      return false;
    }
  }
  if (const JsonValue* list = json::find_field(value, "capabilities"); shape.is_ok() && list) {
    if (!list->is_array()) {
      shape = json::field_error("capabilities",
                                "expected an array of names, got " + json::describe(*list));
    }
    for (std::size_t i = 0; shape.is_ok() && list->is_array() && i < list->size(); ++i) {
      if (!(*list)[i].is_string()) {
        shape = json::field_error("capabilities[" + std::to_string(i) + "]",
                                  "expected a string, got " + json::describe((*list)[i]));
      } else {
        capabilities_.insert((*list)[i].get<std::string>());
      }
    }
  }
  if (!shape.is_ok()) {
    break_with(FailureClass::kCorrectness, "hello", "malformed response: " + shape.message(),
               response->line);
    return false;
  }
  // Faults armed before the crash are still armed: the environment outlives the process.
  if (pending_storage_fault_ && has(protocol::kCapabilityStorageFaults)) {
    if (!call_infallible("fail_next_storage_call", {{"n", *pending_storage_fault_}})) return false;
  }
  if (pending_fault_point_ && has(protocol::kCapabilityFaultPoints)) {
    if (!call_infallible("arm_fault_point", {{"n", *pending_fault_point_}})) return false;
  }
  pending_storage_fault_.reset();
  pending_fault_point_.reset();
  return true;
}

Status ExternalSystem::open() {
  if (broken_) return broken_status();
  TS_ASSERT(!is_open());
  if (!process_ && !start_adapter()) return broken_status();
  auto directory = directory_->replica_directory(replica_);
  if (!directory.is_ok()) {
    break_with(FailureClass::kCorrectness, "open", directory.status().message(), "");
    return broken_status();
  }
  JsonValue request = JsonValue::object();
  request["replica"] = replica_.to_hex();
  request["dir"] = *directory;
  request["config"] = protocol::config_to_json(config_);
  drop_cache();
  needs_restart_ = false;
  auto response = call_fallible("open", std::move(request));
  if (!response.is_ok()) return response.status();
  if (Status shape = empty_response(*response); !shape.is_ok()) {
    malformed("open", shape, response->dump());
    return broken_status();
  }
  opened_ = true;
  return Status::ok();
}

std::optional<Probes> ExternalSystem::fetch_probes() {
  auto response = call_infallible("probes", JsonValue::object());
  if (!response) return std::nullopt;
  auto counts = only_field(*response, "probes");
  auto probes = counts.is_ok() ? protocol::probes_from_json(**counts, "probes")
                               : Result<Probes>(counts.status());
  if (!probes.is_ok()) {
    malformed("probes", probes.status(), response->dump());
    return std::nullopt;
  }
  return *probes;
}

void ExternalSystem::collect_before_kill() {
  if (!process_ || broken_) return;
  if (has(protocol::kCapabilityProbes)) {
    const std::optional<Probes> probes = fetch_probes();
    if (!probes) return;
    probes_of_closed_.add(*probes);
  }
  if (!has(protocol::kCapabilityStorageFaults) && !has(protocol::kCapabilityFaultPoints)) return;
  auto response = call_infallible("pending_faults", JsonValue::object());
  if (!response) return;
  Status shape = json::expect_object(*response, "", {"storage", "fault_point"});
  for (const auto& [field, slot] : {std::pair{"storage", &pending_storage_fault_},
                                    std::pair{"fault_point", &pending_fault_point_}}) {
    const JsonValue* value = json::find_field(*response, field);
    if (!shape.is_ok() || value == nullptr || value->is_null()) continue;
    auto count = json::to_uint(*value, field, 1);
    if (!count.is_ok()) {
      shape = count.status();
      break;
    }
    *slot = *count;
  }
  if (!shape.is_ok()) malformed("pending_faults", shape, response->dump());
}

void ExternalSystem::crash() {
  collect_before_kill();
  if (process_) process_->kill();
  process_.reset();
  opened_ = false;
  needs_restart_ = false;
  drop_cache();
}

Result<AppendResult> ExternalSystem::append(const std::vector<Op>& batch) {
  TS_ASSERT(is_open() || broken_);
  drop_cache();
  std::optional<Response> response =
      call("append", R"({"request":"append","ops":)" + protocol::ops_to_json_text(batch) + "}");
  if (!response) return broken_status();
  if (response->is_error) {
    needs_restart_ = response->error.needs_restart;
    return response->error.status;
  }
  auto result = protocol::append_result_from_json(response->value, "");
  if (!result.is_ok()) {
    malformed("append", result.status(), response->line);
    return broken_status();
  }
  return result;
}

Result<LocalResult> ExternalSystem::local(const LocalEdit& edit) {
  TS_ASSERT(is_open() || broken_);
  drop_cache();
  auto response = call_fallible("local", {{"edit", protocol::edit_to_json(edit)}});
  if (!response.is_ok()) return response.status();
  const auto read = [&]() -> Result<LocalResult> {
    TS_RETURN_IF_ERROR(json::expect_object(*response, "", {"op", "result"}));
    TS_ASSIGN_OR_RETURN(const JsonValue* op,
                        json::require_field(*response, "", "op", "in a local response"));
    TS_ASSIGN_OR_RETURN(const JsonValue* result,
                        json::require_field(*response, "", "result", "in a local response"));
    TS_ASSIGN_OR_RETURN(std::vector<Op> ops,
                        protocol::ops_from_json(JsonValue::array({*op}), "op"));
    TS_ASSIGN_OR_RETURN(AppendResult append, protocol::append_result_from_json(*result, "result"));
    return LocalResult{std::move(ops.front()), std::move(append)};
  };
  auto local = read();
  if (!local.is_ok()) {
    malformed("local", local.status(), response->dump());
    return broken_status();
  }
  return local;
}

Status ExternalSystem::ensure_materialized() {
  TS_ASSERT(is_open() || broken_);
  drop_cache();
  auto response = call_fallible("ensure_materialized", JsonValue::object());
  if (!response.is_ok()) return response.status();
  if (Status shape = empty_response(*response); !shape.is_ok()) {
    malformed("ensure_materialized", shape, response->dump());
    return broken_status();
  }
  return Status::ok();
}

Result<Snapshot> ExternalSystem::read_snapshot(const std::string& request,
                                               const JsonValue& response) {
  auto value = only_field(response, "snapshot");
  auto snapshot = value.is_ok() ? snapshot_from_json(**value) : Result<Snapshot>(value.status());
  if (snapshot.is_ok()) return snapshot;
  malformed(request, snapshot.status().with_context("field 'snapshot'"), response.dump());
  return broken_status();
}

Result<Snapshot> ExternalSystem::snapshot() {
  TS_ASSERT(is_open() || broken_);
  drop_cache();
  auto response = call_fallible("snapshot", JsonValue::object());
  if (!response.is_ok()) return response.status();
  return read_snapshot("snapshot", *response);
}

Snapshot ExternalSystem::materialized_snapshot() {
  if (broken_) return Snapshot{};
  if (materialized_) return *materialized_;
  auto response = call_infallible("materialized_snapshot", JsonValue::object());
  if (!response) return Snapshot{};
  auto snapshot = read_snapshot("materialized_snapshot", *response);
  if (!snapshot.is_ok()) return Snapshot{};
  materialized_ = *std::move(snapshot);
  return *materialized_;
}

bool ExternalSystem::load_state() {
  // With the capability one request answers all three; without it, one request each.
  const bool batched = has(protocol::kCapabilityState);
  std::optional<JsonValue> state;
  if (batched) {
    state = call_infallible("state", JsonValue::object());
    if (!state) return false;
    if (Status shape = json::expect_object(*state, "", {"head", "frontier", "version_vector"});
        !shape.is_ok()) {
      malformed("state", shape, state->dump());
      return false;
    }
  }
  for (const char* field : {"head", "frontier", "version_vector"}) {
    std::optional<JsonValue> single;
    if (!batched) {
      single = call_infallible(field, JsonValue::object());
      if (!single) return false;
    }
    const JsonValue& response = batched ? *state : *single;
    const auto read = [&]() -> Status {
      TS_ASSIGN_OR_RETURN(const JsonValue* value,
                          batched ? json::require_field(response, "", field, "in a state response")
                                  : only_field(response, field));
      if (std::string_view(field) == "head") {
        TS_ASSIGN_OR_RETURN(head_, protocol::head_from_json(*value, field));
      } else if (std::string_view(field) == "frontier") {
        TS_ASSIGN_OR_RETURN(frontier_, protocol::frontier_from_json(*value, field));
      } else {
        TS_ASSIGN_OR_RETURN(version_vector_, json::to_vv(*value, field));
      }
      return Status::ok();
    };
    if (Status read_status = read(); !read_status.is_ok()) {
      malformed(batched ? "state" : field, read_status, response.dump());
      return false;
    }
  }
  return true;
}

Head ExternalSystem::head() {
  if (!broken_ && !head_ && !load_state()) return Head{};
  return broken_ ? Head{} : *head_;
}

Frontier ExternalSystem::frontier() {
  if (!broken_ && !frontier_ && !load_state()) return Frontier{};
  return broken_ ? Frontier{} : *frontier_;
}

VersionVector ExternalSystem::version_vector() {
  if (!broken_ && !version_vector_ && !load_state()) return VersionVector{};
  return broken_ ? VersionVector{} : *version_vector_;
}

Result<std::vector<Op>> ExternalSystem::ops_missing_from(const VersionVector& known) {
  TS_ASSERT(is_open() || broken_);
  auto response = call_fallible("ops_missing_from", {{"known", json::from_vv(known)}});
  if (!response.is_ok()) {
    // A failed read may have left the store needing a restart; read everything afresh.
    drop_cache();
    return response.status();
  }
  auto ops = only_field(*response, "ops");
  auto parsed =
      ops.is_ok() ? protocol::ops_from_json(**ops, "ops") : Result<std::vector<Op>>(ops.status());
  if (!parsed.is_ok()) {
    malformed("ops_missing_from", parsed.status(), response->dump());
    return broken_status();
  }
  return parsed;
}

bool ExternalSystem::answers_queries() const { return has(protocol::kCapabilityQueries); }

Result<QueryAnswers> ExternalSystem::query(NodeId node) {
  TS_ASSERT(is_open() || broken_);
  drop_cache();  // a query catches up a pending frontier first
  auto response = call_fallible("query", {{"node", json::from_node(node)}});
  if (!response.is_ok()) return response.status();
  auto answers = protocol::query_answers_from_json(*response, "");
  if (answers.is_ok()) return answers;
  malformed("query", answers.status(), response->dump());
  return broken_status();
}

std::optional<std::string> ExternalSystem::check_invariants() {
  if (broken_) return broken_status().message();
  if (!has(protocol::kCapabilityCheckInvariants)) return std::nullopt;
  auto response = call_infallible("check_invariants", JsonValue::object());
  if (!response) return broken_status().message();
  auto violation = only_field(*response, "violation");
  if (violation.is_ok() && (*violation)->is_null()) return std::nullopt;
  if (violation.is_ok() && (*violation)->is_string()) return (*violation)->get<std::string>();
  const Status problem = violation.is_ok()
                             ? json::field_error("violation", "expected null or a string, got " +
                                                                  json::describe(**violation))
                             : violation.status();
  malformed("check_invariants", problem, response->dump());
  return broken_status().message();
}

bool ExternalSystem::arm(const std::string& request, std::string_view capability, std::uint64_t n) {
  TS_ASSERT(n >= 1);
  if (broken_ || !process_ || !has(capability)) return false;
  auto response = call_infallible(request, {{"n", n}});
  if (!response) return false;
  auto armed = only_field(*response, "armed");
  auto value = armed.is_ok() ? json::to_bool(**armed, "armed") : Result<bool>(armed.status());
  if (value.is_ok()) return *value;
  malformed(request, value.status(), response->dump());
  return false;
}

bool ExternalSystem::arm_storage_fault(std::uint64_t n) {
  return arm("fail_next_storage_call", protocol::kCapabilityStorageFaults, n);
}

bool ExternalSystem::arm_fault_point(std::uint64_t n) {
  return arm("arm_fault_point", protocol::kCapabilityFaultPoints, n);
}

void ExternalSystem::clear_faults() {
  pending_storage_fault_.reset();
  pending_fault_point_.reset();
  if (broken_ || !process_) return;
  if (!has(protocol::kCapabilityStorageFaults) && !has(protocol::kCapabilityFaultPoints)) return;
  auto response = call_infallible("clear_faults", JsonValue::object());
  if (!response) return;
  if (Status shape = empty_response(*response); !shape.is_ok()) {
    malformed("clear_faults", shape, response->dump());
  }
}

Probes ExternalSystem::probes() const {
  Probes total = probes_of_closed_;
  if (broken_ || !process_ || !has(protocol::kCapabilityProbes)) return total;
  // Reading the counters changes nothing the simulator can observe; the interface is const
  // because an in-process replica's probes are a plain read.
  if (auto probes = const_cast<ExternalSystem*>(this)->fetch_probes()) total.add(*probes);
  return total;
}

// --- the factory ---

SystemFactory external_factory(ExternalOptions options,
                               std::shared_ptr<ExternalFailures> failures) {
  if (failures == nullptr) failures = std::make_shared<ExternalFailures>();
  // The run directory of the replicas being made: a factory call for a replica id the current
  // directory already holds starts the next run (replicas of one run are made together).
  auto current = std::make_shared<std::weak_ptr<RunDirectory>>();
  return [options = std::move(options), failures, current](
             const ReplicaId& id, const ReplicaConfig& config, std::uint64_t /*seed*/) {
    std::shared_ptr<RunDirectory> directory = current->lock();
    if (directory == nullptr || directory->has(id)) {
      auto made = RunDirectory::create(options.temp_parent);
      directory = made.is_ok() ? *std::move(made) : nullptr;
      *current = directory;
    }
    if (directory != nullptr && !directory->replica_directory(id).is_ok()) directory = nullptr;
    return std::make_unique<ExternalSystem>(id, config, options, directory, failures);
  };
}

void adopt_external_failure(ExternalFailures& failures, RunResult& result) {
  if (!failures.first()) return;
  Failure failure = *failures.first();
  failures.clear();
  if (result.failure) {
    failure.tick = result.failure->tick;
    failure.replica = result.failure->replica;
  } else {
    failure.tick = result.stats.ticks;
  }
  const std::string first_line = failure.message.substr(0, failure.message.find('\n'));
  result.recent_events.push_back("t" + std::to_string(failure.tick) + " " +
                                 failure_class_name(failure.failure_class) + "/" + failure.checker +
                                 ": " + first_line);
  result.failure = std::move(failure);
}

}  // namespace treesim
