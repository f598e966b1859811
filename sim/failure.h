// Failure: what a checker reports. The class decides treesim's exit code; checker, tick,
// replica and the first snapshot difference say where to look; the reproduce line says how to
// see it again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace treesim {

enum class FailureClass : std::uint8_t {
  kCorrectness,     // a replica disagrees with the model, or an invariant broke
  kRollback,        // a failed call left a trace
  kDurability,      // an acknowledged op was lost, or a failed call's op survived a crash
  kConvergence,     // replicas did not converge after the liveness phase
  kNondeterminism,  // the same seed produced two different traces
  kUnresponsive,    // an external system under test did not answer a request in time
};

const char* failure_class_name(FailureClass failure_class);
int failure_exit_code(FailureClass failure_class);

struct Failure {
  FailureClass failure_class = FailureClass::kCorrectness;
  std::string checker;  // "model", "invariants", "rollback", "durability", "affected", ...
  std::uint64_t tick = 0;
  std::optional<std::uint32_t> replica;
  std::string message;
  // The field of the first snapshot difference ("parent", "tombstoned", ...), if any: part of
  // the failure's bucket and of what the shrinker preserves.
  std::string first_difference;

  // "correctness/model at tick 41, replica 2: ..."
  std::string to_display() const;
};

}  // namespace treesim
