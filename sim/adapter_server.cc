#include "sim/adapter_server.h"

#include <utility>

#include "core/json_values.h"
#include "core/jsonl_codec.h"
#include "core/snapshot_json.h"
#include "sim/adapter_protocol.h"

namespace treesim {
namespace {

using JsonValue = nlohmann::json;

JsonValue empty_object() { return JsonValue::object(); }

// The field `name` of a request, which the protocol requires.
Result<const JsonValue*> request_field(const JsonValue& request, std::string_view name) {
  return json::require_field(request, "", name, "in this request");
}

JsonValue count_or_null(std::optional<std::uint64_t> count) {
  return count ? JsonValue(*count) : JsonValue(nullptr);
}

}  // namespace

AdapterServer::~AdapterServer() {
  // The materializer lets go of its store before the store goes.
  materializer_.reset();
  faults_.reset();
  sqlite_.reset();
  memory_.reset();
}

bool AdapterServer::needs_restart() const { return sqlite_ != nullptr && sqlite_->is_unusable(); }

std::string AdapterServer::handle(std::string_view line) {
  JsonValue response;
  auto request = json::parse(line, "request");
  std::string name;
  if (request.is_ok() && request->is_object()) {
    const JsonValue* field = json::find_field(*request, "request");
    if (field != nullptr && field->is_string()) name = field->get<std::string>();
  }
  if (!request.is_ok()) {
    response = protocol::error_to_json(request.status(), false);
  } else if (name.empty()) {
    response = protocol::error_to_json(
        Status::invalid_argument("a request is a JSON object with a string field 'request'"),
        false);
  } else {
    auto result = dispatch(name, *request);
    response = result.is_ok() ? *std::move(result)
                              : protocol::error_to_json(result.status(), needs_restart());
  }
  return response.dump(-1, ' ', false, JsonValue::error_handler_t::replace);
}

Result<JsonValue> AdapterServer::dispatch(const std::string& name, const JsonValue& request) {
  if (name == "hello") {
    TS_ASSIGN_OR_RETURN(const JsonValue* version, request_field(request, "protocol"));
    TS_ASSIGN_OR_RETURN(std::uint64_t number, json::to_uint(*version, "protocol"));
    if (number != protocol::kVersion) {
      return Status::unsupported("protocol version " + std::to_string(number) +
                                 " requested; this adapter speaks version " +
                                 std::to_string(protocol::kVersion));
    }
    JsonValue capabilities = JsonValue::array();
    if (!options_.store) capabilities.push_back(protocol::kCapabilityStore);
    for (const std::string_view capability :
         {protocol::kCapabilityStrategy, protocol::kCapabilityState,
          protocol::kCapabilityCheckInvariants, protocol::kCapabilityStorageFaults,
          protocol::kCapabilityFaultPoints, protocol::kCapabilityProbes,
          protocol::kCapabilityQueries}) {
      capabilities.push_back(capability);
    }
    return JsonValue{{"protocol", protocol::kVersion},
                     {"name", "treesim-adapter"},
                     {"capabilities", std::move(capabilities)}};
  }
  if (name == "open") return open(request);
  if (name == "close") {
    // Everything is closed before the answer: the simulator may kill the process right after.
    materializer_.reset();
    faults_.reset();
    sqlite_.reset();
    memory_.reset();
    closed_ = true;
    return empty_object();
  }
  if (name == "fail_next_storage_call" || name == "arm_fault_point") {
    TS_ASSIGN_OR_RETURN(const JsonValue* n, request_field(request, "n"));
    TS_ASSIGN_OR_RETURN(std::uint64_t count, json::to_uint(*n, "n", 1));
    if (name == "arm_fault_point") {
      fault_points_.arm(count);
    } else if (faults_) {
      faults_->fail_after(count);
    } else {
      storage_countdown_before_open_ = count;
    }
    return JsonValue{{"armed", true}};
  }
  if (name == "pending_faults") {
    const auto storage = faults_ ? faults_->remaining() : storage_countdown_before_open_;
    return JsonValue{{"storage", count_or_null(storage)},
                     {"fault_point", count_or_null(fault_points_.remaining())}};
  }
  if (name == "clear_faults") {
    if (faults_) faults_->clear();
    storage_countdown_before_open_.reset();
    fault_points_.clear();
    return empty_object();
  }
  if (name == "probes") {
    const Probes probes = materializer_ ? materializer_->probes() : Probes();
    return JsonValue{{"probes", protocol::probes_to_json(probes)}};
  }

  // Everything else needs an open replica.
  Materializer* materializer = materializer_.get();
  const bool known = name == "append" || name == "local" || name == "ensure_materialized" ||
                     name == "snapshot" || name == "materialized_snapshot" || name == "head" ||
                     name == "frontier" || name == "version_vector" || name == "state" ||
                     name == "ops_missing_from" || name == "check_invariants" || name == "query";
  if (!known) {
    return Status::unsupported("unknown request \"" + json::printable(name) + "\"");
  }
  if (materializer == nullptr) {
    return Status::failed_precondition("request \"" + name + "\" before a successful open");
  }
  if (name == "append") {
    TS_ASSIGN_OR_RETURN(const JsonValue* ops, request_field(request, "ops"));
    TS_ASSIGN_OR_RETURN(std::vector<Op> batch, protocol::ops_from_json(*ops, "ops"));
    TS_ASSIGN_OR_RETURN(AppendResult result, materializer->append(batch));
    return protocol::append_result_to_json(result);
  }
  if (name == "local") return local(request);
  if (name == "ensure_materialized") {
    TS_RETURN_IF_ERROR(materializer->ensure_materialized());
    return empty_object();
  }
  if (name == "snapshot") {
    TS_ASSIGN_OR_RETURN(Snapshot snapshot, materializer->snapshot());
    return JsonValue{{"snapshot", snapshot_to_json(snapshot)}};
  }
  if (name == "materialized_snapshot") {
    return JsonValue{{"snapshot", snapshot_to_json(materializer->materialized_snapshot())}};
  }
  if (name == "head") return JsonValue{{"head", protocol::head_to_json(materializer->head())}};
  if (name == "frontier") {
    return JsonValue{{"frontier", protocol::frontier_to_json(materializer->frontier())}};
  }
  if (name == "version_vector") {
    return JsonValue{{"version_vector", json::from_vv(materializer->version_vector())}};
  }
  if (name == "state") {
    return JsonValue{{"head", protocol::head_to_json(materializer->head())},
                     {"frontier", protocol::frontier_to_json(materializer->frontier())},
                     {"version_vector", json::from_vv(materializer->version_vector())}};
  }
  if (name == "ops_missing_from") {
    TS_ASSIGN_OR_RETURN(const JsonValue* known_field, request_field(request, "known"));
    TS_ASSIGN_OR_RETURN(VersionVector known_ids, json::to_vv(*known_field, "known"));
    TS_ASSIGN_OR_RETURN(std::vector<Op> ops, materializer->ops_missing_from(known_ids));
    JsonValue list = JsonValue::array();
    for (const Op& op : ops) list.push_back(op_to_json(op));
    return JsonValue{{"ops", std::move(list)}};
  }
  if (name == "query") {
    TS_ASSIGN_OR_RETURN(const JsonValue* node_field, request_field(request, "node"));
    TS_ASSIGN_OR_RETURN(NodeId node, json::to_node(*node_field, "node"));
    TS_ASSIGN_OR_RETURN(QueryAnswers answers, query_materializer(*materializer, node));
    return protocol::query_answers_to_json(answers);
  }
  TS_ASSERT(name == "check_invariants");
  return check_invariants();
}

Result<JsonValue> AdapterServer::open(const JsonValue& request) {
  if (materializer_) return Status::failed_precondition("the replica is open already");
  TS_RETURN_IF_ERROR(json::expect_object(request, "", {"request", "replica", "dir", "config"}));
  TS_ASSIGN_OR_RETURN(const JsonValue* replica_field, request_field(request, "replica"));
  TS_ASSIGN_OR_RETURN(ReplicaId replica, json::to_replica(*replica_field, "replica"));
  TS_ASSIGN_OR_RETURN(const JsonValue* dir, request_field(request, "dir"));
  if (!dir->is_string() || dir->get_ref<const std::string&>().empty()) {
    return json::field_error("dir", "expected a directory path, got " + json::describe(*dir));
  }
  const std::string directory = dir->get<std::string>();
  ReplicaConfig config;
  if (const JsonValue* config_field = json::find_field(request, "config")) {
    TS_ASSIGN_OR_RETURN(config, protocol::config_from_json(*config_field, "config"));
  }
  const StoreKind kind = options_.store.value_or(config.store);
  if ((sqlite_ || memory_) && kind != store_kind_) {
    return Status::failed_precondition(
        "this process holds a " + std::string(store_kind_name(store_kind_)) +
        " store; it cannot open a " + store_kind_name(kind) + " one");
  }
  store_kind_ = kind;
  // A store that opened stays open across a failed Materializer::open, as in process.
  if (kind == StoreKind::kSqlite && !sqlite_) {
    SqliteStoreOptions sqlite_options;
    sqlite_options.path = directory + "/" + kSqliteFile;
    TS_ASSIGN_OR_RETURN(sqlite_, SqliteStore::open(sqlite_options));
  }
  if (kind == StoreKind::kMemory && !memory_) {
    TS_ASSIGN_OR_RETURN(memory_, JournaledMemoryStore::open(directory + "/" + kJournalFile));
  }
  if (!faults_) {
    Store& store = kind == StoreKind::kSqlite ? static_cast<Store&>(*sqlite_) : *memory_;
    faults_ = std::make_unique<FaultyStore>(store);
    if (storage_countdown_before_open_) faults_->fail_after(*storage_countdown_before_open_);
    storage_countdown_before_open_.reset();
  }
  MaterializerOptions options;
  options.strategy = config.strategy;
  options.deferred = config.deferred;
  options.undo_retention = config.undo_retention;
  options.fault_points = &fault_points_;
  TS_ASSIGN_OR_RETURN(materializer_, Materializer::open(*faults_, replica, options));
  return empty_object();
}

Result<JsonValue> AdapterServer::local(const JsonValue& request) {
  TS_ASSIGN_OR_RETURN(const JsonValue* edit_field, request_field(request, "edit"));
  TS_ASSIGN_OR_RETURN(LocalEdit edit, protocol::edit_from_json(*edit_field, "edit"));
  Materializer& materializer = *materializer_;
  Result<LocalResult> result = Status::internal("unreachable");
  switch (edit.kind) {
    case LocalEdit::Kind::kInsert:
      result = materializer.insert(edit.parent, edit.node, edit.placement, edit.payload);
      break;
    case LocalEdit::Kind::kMove:
      result = materializer.move(edit.node, edit.parent, edit.placement);
      break;
    case LocalEdit::Kind::kRemove:
      result = materializer.remove(edit.node);
      break;
    case LocalEdit::Kind::kSetPayload:
      result = materializer.set_payload(edit.node, edit.payload);
      break;
  }
  if (!result.is_ok()) return result.status();
  return JsonValue{{"op", op_to_json(result->op)},
                   {"result", protocol::append_result_to_json(result->result)}};
}

JsonValue AdapterServer::check_invariants() {
  // The checks read the store; they must not consume (or trigger) an armed fault.
  faults_->set_paused(true);
  std::optional<std::string> broken = materializer_->check_invariants();
  if (!broken && sqlite_) {
    if (Status status = sqlite_->check_invariants(); !status.is_ok()) {
      broken = "sqlite store: " + status.to_string();
    }
  }
  faults_->set_paused(false);
  if (!broken && memory_) memory_->memory().check_invariants();
  return JsonValue{{"violation", broken ? JsonValue(*broken) : JsonValue(nullptr)}};
}

}  // namespace treesim
