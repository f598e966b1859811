#include "sim/failure.h"

#include "sim/exit_codes.h"

namespace treesim {

const char* failure_class_name(FailureClass failure_class) {
  switch (failure_class) {
    case FailureClass::kCorrectness: return "correctness";
    case FailureClass::kRollback: return "rollback";
    case FailureClass::kDurability: return "durability";
    case FailureClass::kConvergence: return "convergence";
    case FailureClass::kNondeterminism: return "nondeterminism";
    case FailureClass::kUnresponsive: return "unresponsive";
  }
  return "unknown";
}

int failure_exit_code(FailureClass failure_class) {
  switch (failure_class) {
    case FailureClass::kCorrectness: return kExitCorrectness;
    case FailureClass::kRollback: return kExitRollback;
    case FailureClass::kDurability: return kExitDurability;
    case FailureClass::kConvergence: return kExitConvergence;
    case FailureClass::kNondeterminism: return kExitNondeterminism;
    case FailureClass::kUnresponsive: return kExitUnresponsive;
  }
  return kExitInternal;
}

std::string Failure::to_display() const {
  std::string out = std::string(failure_class_name(failure_class)) + "/" + checker + " at tick " +
                    std::to_string(tick);
  if (replica) out += ", replica " + std::to_string(*replica);
  return out + ": " + message;
}

}  // namespace treesim
