// sim_fuzz: a whole simulation (many replicas, a faulty network, crashes, storage faults, fault
// points, forged ops) with every random choice read from the input bytes.
//
// The input is one BytesEntropy (sim/entropy.h) that run_bytes() (sim/simulation.h) reads in
// order: a swarm profile bounded to a short run (a few replicas, a few dozen ticks), the seed of
// the replicas' simulated disks, then every choice of the schedule, the workloads and the
// network in the order the run makes them. The safety phase ends when the bytes run out, so a
// short input is a short run; the liveness phase then heals everything and checks convergence.
// The simulator's checkers run after every step, as in a seeded sweep: the coverage feedback
// steers the same generator that `treesim sweep` drives from seeds.
//
// A failure prints the checker's report and the run as a scenario file with explicit events
// (save it as FILE.json; `treesim replay FILE.json` reproduces it and `treesim shrink FILE.json`
// minimizes it), then aborts so libFuzzer keeps the input. `treesim replay --from-fuzz-input
// INPUT --record FILE.json` makes the same file from the saved input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/choice_recorder.h"
#include "fuzz/fuzz_target.h"
#include "materializer/probes.h"
#include "sim/entropy.h"
#include "sim/file_io.h"
#include "sim/scenario.h"
#include "sim/simulation.h"

namespace treesim::fuzz {
namespace {

constexpr std::string_view kTarget = "sim_fuzz";

std::span<const std::uint8_t> as_bytes(std::string_view bytes) {
  return std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

std::string scenario_text(const DrawnRun& run, const std::vector<Event>& events,
                          std::string comment) {
  return scenario_to_json_text(Scenario{std::move(comment), run.seed, run.options, events});
}

// The failure, the last events and the run as a scenario file (recorded by a second run of the
// same input: the first one does not pay for recording).
std::string report(std::string_view bytes, const DrawnRun& run) {
  TS_ASSERT(run.result.failure.has_value());
  std::string out = run.result.failure->to_display() + "\nprofile: " + run.options.to_display() +
                    "\nlast events:\n";
  for (const std::string& line : run.result.recent_events) out += "  " + line + "\n";
  std::vector<Event> events;
  const DrawnRun again = run_bytes(as_bytes(bytes), &events);
  if (again.result.trace_hash != run.result.trace_hash) {
    return out + "the input's second run gave another trace hash: the run is not deterministic\n";
  }
  out +=
      "the input as a scenario (save it as FILE.json; `treesim replay FILE.json` reproduces "
      "it, `treesim shrink FILE.json` minimizes it; `treesim replay --from-fuzz-input INPUT "
      "--record FILE.json` writes it from the saved input):\n";
  out += scenario_text(run, events, "sim_fuzz input: " + run.result.failure->to_display());
  return out;
}

void check_input(std::string_view bytes) {
  const DrawnRun run = run_bytes(as_bytes(bytes));
  if (run.result.failure) fail(kTarget, report(bytes, run));
}

bool has_event(const std::vector<Event>& events, Event::Kind kind) {
  for (const Event& event : events) {
    if (event.kind == kind) return true;
  }
  return false;
}

bool any_store(const Options& options, StoreKind store) {
  for (const ReplicaConfig& replica : options.replicas) {
    if (replica.store == store) return true;
  }
  return false;
}

// What a seed is kept for: the kinds of run the corpus should start from. A run is "calm" when
// its profile has no network fault and no fault of any kind fired; the others name the fault
// that happened in it (and, for storage faults, on which store).
std::vector<std::string> kinds_of(const DrawnRun& run, const std::vector<Event>& events) {
  const Options& options = run.options;
  std::vector<std::string> kinds;
  const bool partition = has_event(events, Event::Kind::kPartition);
  const bool crash = has_event(events, Event::Kind::kCrash);
  const bool storage_fault = has_event(events, Event::Kind::kArmStorageFault);
  const bool fault_point = has_event(events, Event::Kind::kArmFaultPoint);
  const bool forge = has_event(events, Event::Kind::kForge);
  const bool chaos = options.drop_per_mille > 0 && options.duplicate_per_mille > 0 &&
                     options.reorder_ticks_max > 0;
  const bool quiet_network = options.drop_per_mille == 0 && options.duplicate_per_mille == 0 &&
                             options.reorder_ticks_max == 0;
  if (quiet_network && !partition && !crash && !storage_fault && !fault_point && !forge) {
    kinds.push_back("calm");
  }
  if (chaos) kinds.push_back("network-chaos");
  if (partition) kinds.push_back("partition");
  if (crash) kinds.push_back("crash");
  if (storage_fault && any_store(options, StoreKind::kMemory)) {
    kinds.push_back("storage-fault-memory");
  }
  if (storage_fault && any_store(options, StoreKind::kSqlite)) {
    kinds.push_back("storage-fault-sqlite");
  }
  if (fault_point) kinds.push_back("fault-point");
  if (forge) kinds.push_back("forge");
  if (run.result.probes.count(Probe::kDeferredCatchUp) > 0) kinds.push_back("deferred-catch-up");
  if (run.result.probes.count(Probe::kRecoveryOnReopen) > 0) {
    kinds.push_back("recovery-on-reopen");
  }
  return kinds;
}

}  // namespace

// Draws runs from seeded generators through a ChoiceRecorder (inputs of 80 to 1000 bytes) and
// keeps, for each kind of run (kinds_of()), the first run of that kind: a calm run, network chaos,
// a partition, a crash, storage faults on each store, a fault point, a forgery, a deferred catch-up
// and a recovery on reopen. A file is named after the kinds it was kept for, e.g.
// "partition+crash". Every kept input is checked to decode, as bytes, to the run it recorded.
Result<std::size_t> write_seeds(const std::string& directory,
                                const std::vector<std::string>& sources) {
  if (!sources.empty()) {
    return Status::invalid_argument("sim_fuzz makes its seeds from nothing: no sources");
  }
  // The search stops once every kind is found. Runs of at most kDrawnSafetyTicksMax (16) ticks
  // make a recovery on reopen rare (a restart that finds a catch-up pending): none of the first
  // 400 generator seeds has one.
  constexpr std::uint64_t kGeneratorSeeds = 2000;
  // Small seeds replay fast in ctest and leave libFuzzer room to grow them.
  constexpr std::size_t kSeedBytesMin = 80;
  constexpr std::size_t kSeedBytesMax = 1000;
  const std::set<std::string> wanted = {"calm",
                                        "network-chaos",
                                        "partition",
                                        "crash",
                                        "storage-fault-memory",
                                        "storage-fault-sqlite",
                                        "fault-point",
                                        "forge",
                                        "deferred-catch-up",
                                        "recovery-on-reopen"};
  std::set<std::string> covered;
  std::vector<std::pair<std::string, std::string>> kept;  // name, bytes
  for (std::uint64_t seed = 1; seed <= kGeneratorSeeds && covered.size() < wanted.size(); ++seed) {
    Rng rng = Rng(seed).fork("sim_fuzz seeds");
    // Inputs of a random length: the recorder ends where the input would, and the run's safety
    // phase with it.
    ChoiceRecorder recorder(rng, rng.in_range(kSeedBytesMin, kSeedBytesMax));
    std::vector<Event> events;
    const DrawnRun run = run_drawn(recorder, &events);
    if (run.result.failure) {
      return Status::internal("generator seed " + std::to_string(seed) +
                              " found a failure: " + report(recorder.bytes(), run));
    }
    const DrawnRun replayed = run_bytes(as_bytes(recorder.bytes()));
    if (replayed.result.trace_hash != run.result.trace_hash) {
      return Status::internal("generator seed " + std::to_string(seed) +
                              ": the recorded bytes decode to another run");
    }
    std::vector<std::string> reasons;
    for (const std::string& kind : kinds_of(run, events)) {
      if (covered.insert(kind).second) reasons.push_back(kind);
    }
    if (reasons.empty()) continue;
    std::string name;
    for (const std::string& reason : reasons) name += (name.empty() ? "" : "+") + reason;
    kept.emplace_back(std::move(name), recorder.bytes());
  }
  for (const auto& [name, bytes] : kept) {
    TS_RETURN_IF_ERROR(write_file(directory + "/" + name, bytes));
  }
  if (covered.size() < wanted.size()) {
    std::fprintf(stderr, "%zu of %zu kinds of run not found in %llu generator seeds\n",
                 wanted.size() - covered.size(), wanted.size(),
                 static_cast<unsigned long long>(kGeneratorSeeds));
  }
  return kept.size();
}

std::string describe_input(std::string_view bytes) {
  std::vector<Event> events;
  const DrawnRun run = run_bytes(as_bytes(bytes), &events);
  std::string out = scenario_text(run, events, "sim_fuzz input");
  out += run.result.failure ? "fails: " + run.result.failure->to_display() + "\n"
                            : "passes, trace " + seed_to_display(run.result.trace_hash) + "\n";
  out += "probes:";
  for (std::size_t i = 0; i < kProbeCount; ++i) {
    const auto probe = static_cast<Probe>(i);
    if (run.result.probes.count(probe) != 0) {
      out += std::string(" ") + probe_name(probe) + "=" +
             std::to_string(run.result.probes.count(probe));
    }
  }
  return out + "\n";
}

}  // namespace treesim::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  treesim::fuzz::check_input(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
