// ExternalSystem: a replica's system under test in another process, driven over the stdio
// protocol of docs/sut-protocol.md. Any materializer in any language plugs into the simulator
// through an adapter program that speaks it; `treesim-adapter` (sim/adapter_main.cc) is the
// project's own materializer behind it.
//
// Fault model. A crash is a real process crash: crash() kills the adapter's process group with
// SIGKILL and reaps it, and open() starts a new adapter on the same directory, which must come
// back with exactly the acknowledged ops (the simulator's durability checker). The kill hits
// the adapter between two requests, since requests are synchronous; page-cache writes survive
// it, power loss is not simulated (an in-process SQLite replica on SimVfs covers that).
// Storage faults and fault points are injected by the adapter if it advertises the capability
// (fail_next_storage_call, fault_points) and are otherwise refused (arm_* return false, so the
// simulator does not expect them). A fault armed and not yet fired belongs to the environment,
// not to the process: before a kill its remaining countdown is read (pending_faults) and the
// next adapter is armed with it, as the in-process replica's faults outlive its crash.
//
// Transport failures. An adapter that does not answer a request within the watchdog's timeout
// (ExternalOptions::timeout_seconds, wall clock), answers with a line that is not a valid
// response, announces another protocol version, answers a request that cannot fail with an
// error, or exits, breaks the system: the process is killed, the failure is noted in the
// factory's ExternalFailures (class unresponsive for a timeout, correctness with checker
// "protocol" otherwise; the message names the replica, the request, the raw line and the end of
// the adapter's standard error), and from then on every call answers at once with an internal
// error (or an empty value), which makes the simulator fail at that event. The command line then
// reports the noted failure instead (adopt_external_failure). The clock only bounds the wait
// for an answer and never reaches the trace: a healthy run's trace is the same however fast the
// adapter is.
//
// Reads that cannot change the adapter's state (head, frontier, version vector, materialized
// snapshot) are cached between the calls that can, since the simulator reads them around every
// call; every request that may change the replica (and a failed read) drops the cache.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "sim/adapter_process.h"
#include "sim/adapter_run_directory.h"
#include "sim/failure.h"
#include "sim/options.h"
#include "sim/simulation.h"
#include "sim/system_under_test.h"

namespace treesim {

struct ExternalOptions {
  // The adapter command, run with /bin/sh -c (e.g. "treesim-adapter --store sqlite").
  std::string command;
  // The per-request watchdog, in wall-clock seconds.
  double timeout_seconds = 10;
  // Where each run's directory is made; empty: $TMPDIR, else /tmp.
  std::string temp_parent;
};

// The first transport failure of any system a factory made (shared by the factory and its
// systems). The simulator itself sees only the internal errors a broken system answers with.
class ExternalFailures {
 public:
  // Keeps `failure` unless one is kept already.
  void note(Failure failure);
  const std::optional<Failure>& first() const { return first_; }
  void clear() { first_.reset(); }

 private:
  std::optional<Failure> first_;
};

class ExternalSystem final : public SystemUnderTest {
 public:
  ExternalSystem(ReplicaId replica, const ReplicaConfig& config, ExternalOptions options,
                 std::shared_ptr<RunDirectory> directory,
                 std::shared_ptr<ExternalFailures> failures);
  // Sends close to a healthy adapter and waits briefly for it; kills it otherwise.
  ~ExternalSystem() override;

  Status open() override;
  bool is_open() const override { return opened_; }
  void crash() override;
  bool needs_restart() const override { return needs_restart_; }

  Result<AppendResult> append(const std::vector<Op>& batch) override;
  Result<LocalResult> local(const LocalEdit& edit) override;
  Status ensure_materialized() override;

  Result<Snapshot> snapshot() override;
  Snapshot materialized_snapshot() override;
  Head head() override;
  Frontier frontier() override;
  VersionVector version_vector() override;
  Result<std::vector<Op>> ops_missing_from(const VersionVector& known) override;
  std::optional<std::string> check_invariants() override;
  bool answers_queries() const override;
  Result<QueryAnswers> query(NodeId node) override;

  bool arm_storage_fault(std::uint64_t n) override;
  bool arm_fault_point(std::uint64_t n) override;
  void clear_faults() override;
  Probes probes() const override;

  // The transport failure that broke this system, if any.
  const std::optional<Failure>& broken() const { return broken_; }

 private:
  struct Response;

  // Sends one request and reads its response. A transport failure breaks the system and
  // returns none; an error response is returned as such (is_error) for the caller to judge.
  std::optional<Response> call(const std::string& name, const std::string& request_text);
  std::optional<Response> call(const std::string& name, nlohmann::json request);
  // Breaks the system: kills the adapter and notes the failure.
  void break_with(FailureClass failure_class, const std::string& request,
                  const std::string& problem, const std::string& raw_line);
  // A call that may fail as a materializer call may: its error is a Status. Transport failures
  // are kInternal.
  Result<nlohmann::json> call_fallible(const std::string& name, nlohmann::json request);
  // A read that must not fail: an error response is a protocol violation (and none returned).
  std::optional<nlohmann::json> call_infallible(const std::string& name, nlohmann::json request);
  // Breaks the system for a response that does not have the request's shape.
  void malformed(const std::string& request, const Status& problem, const std::string& raw_line);
  Status broken_status() const;
  void drop_cache();
  // Starts an adapter and says hello; false (and broken) on any failure.
  bool start_adapter();
  // Reads head, frontier and version vector into the cache.
  bool load_state();
  // Before a kill: adds the adapter's probes to probes_of_closed_ and records its pending
  // faults, so the next adapter is armed with them.
  void collect_before_kill();
  // The adapter's probe counters (capability probes), or none if that broke the system.
  std::optional<Probes> fetch_probes();
  // The snapshot of a {"snapshot": ...} response; a malformed one breaks the system.
  Result<Snapshot> read_snapshot(const std::string& request, const nlohmann::json& response);
  // Arms a fault the adapter injects with `capability`; false if it cannot.
  bool arm(const std::string& request, std::string_view capability, std::uint64_t n);
  bool has(std::string_view capability) const {
    return capabilities_.contains(std::string(capability));
  }
  std::string who() const;

  ReplicaId replica_;
  ReplicaConfig config_;
  ExternalOptions options_;
  std::shared_ptr<RunDirectory> directory_;
  std::shared_ptr<ExternalFailures> failures_;
  std::unique_ptr<AdapterProcess> process_;
  std::set<std::string> capabilities_;
  bool opened_ = false;
  bool needs_restart_ = false;
  std::optional<Failure> broken_;
  // The cached reads (see above).
  std::optional<Head> head_;
  std::optional<Frontier> frontier_;
  std::optional<VersionVector> version_vector_;
  std::optional<Snapshot> materialized_;
  // Faults armed in the environment that the next adapter inherits.
  std::optional<std::uint64_t> pending_storage_fault_;
  std::optional<std::uint64_t> pending_fault_point_;
  // The probes of the adapters killed so far.
  Probes probes_of_closed_;
  std::uint64_t request_count_ = 0;
};

// Makes ExternalSystems that run `options.command`, one adapter process per replica, the
// replicas of one run in one RunDirectory. Transport failures go to `failures` (may be null).
SystemFactory external_factory(ExternalOptions options,
                               std::shared_ptr<ExternalFailures> failures = nullptr);

// If `failures` holds a transport failure, it replaces the run's failure (whatever checker the
// broken system's answers tripped), at that failure's tick. Clears `failures` for the next run.
void adopt_external_failure(ExternalFailures& failures, RunResult& result);

}  // namespace treesim
