#include "core/status.h"

#include <cstdio>
#include <cstdlib>

namespace treesim {

namespace internal {
void assertion_failed(const char* expression, const char* file, int line) {
  std::fprintf(stderr, "assertion failed: %s at %s:%d\n", expression, file, line);
  std::fflush(stderr);
  std::abort();
}

void check_assertion(bool holds, const char* expression, const char* file, int line) {
  if (!holds) assertion_failed(expression, file, line);
}
}  // namespace internal

const char* status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid argument";
    case StatusCode::kCorruption: return "corruption";
    case StatusCode::kEquivocation: return "equivocation";
    case StatusCode::kIoError: return "I/O error";
    case StatusCode::kStorageFull: return "storage full";
    case StatusCode::kFaultInjected: return "fault injected";
    case StatusCode::kFailedPrecondition: return "failed precondition";
    case StatusCode::kNotFound: return "not found";
    case StatusCode::kUnsupported: return "unsupported";
    case StatusCode::kInternal: return "internal error";
  }
  return "unknown";
}

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  return std::string(status_code_name(code_)) + ": " + message_;
}

Status Status::with_context(const std::string& context) const {
  if (is_ok()) return *this;
  return Status(code_, context + ": " + message_);
}

}  // namespace treesim
