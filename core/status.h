// Status and Result<T>: expected failures as values.
//
// Bad input, storage errors and injected faults are not exceptional in this project: every
// caller must look at them. Programmer errors are assertions (core/assert.h), never a Status.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

#include "core/assert.h"

namespace treesim {

enum class StatusCode : std::uint8_t {
  kOk = 0,
  kInvalidArgument,     // malformed op, file, option: the caller's input is wrong
  kCorruption,          // stored or encoded bytes do not decode
  kEquivocation,        // an op id reused with different content
  kIoError,             // the storage layer failed
  kStorageFull,         // the storage layer ran out of space
  kFaultInjected,       // a fault point fired (tests and simulation only)
  kFailedPrecondition,  // the call is not valid in the current state
  kNotFound,
  kUnsupported,  // e.g. a newer format or schema version
  kInternal,     // an invariant was found broken at run time
};

const char* status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {
    TS_ASSERT(code != StatusCode::kOk);
  }

  static Status ok() { return Status(); }
  static Status invalid_argument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status equivocation(std::string m) { return {StatusCode::kEquivocation, std::move(m)}; }
  static Status io_error(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status storage_full(std::string m) { return {StatusCode::kStorageFull, std::move(m)}; }
  static Status fault_injected(std::string m) { return {StatusCode::kFaultInjected, std::move(m)}; }
  static Status failed_precondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status not_found(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
  static Status internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool is_ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "ok", or "<code name>: <message>".
  std::string to_string() const;

  // Returns a copy whose message is "<context>: <message>" (no-op for ok).
  Status with_context(const std::string& context) const;

  friend bool operator==(const Status&, const Status&) = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the Status saying why there is none. Holding an ok Status is a programmer error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : state_(std::move(status)) {  // NOLINT: implicit by design
    TS_ASSERT(!std::get<Status>(state_).is_ok());
  }

  bool is_ok() const { return std::holds_alternative<T>(state_); }
  const Status& status() const {
    static const Status kOk;
    return is_ok() ? kOk : std::get<Status>(state_);
  }
  const T& value() const& {
    TS_ASSERT(is_ok());
    return std::get<T>(state_);
  }
  T& value() & {
    TS_ASSERT(is_ok());
    return std::get<T>(state_);
  }
  T&& value() && {
    TS_ASSERT(is_ok());
    return std::get<T>(std::move(state_));
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace treesim

#define TS_CONCAT_INNER(a, b) a##b
#define TS_CONCAT(a, b) TS_CONCAT_INNER(a, b)

// Propagates a non-ok Status out of the enclosing function. Temporaries get unique names
// (__COUNTER__) so the macros nest inside lambdas without shadowing.
#define TS_RETURN_IF_ERROR(expr) TS_RETURN_IF_ERROR_IMPL(TS_CONCAT(ts_status_, __COUNTER__), expr)
#define TS_RETURN_IF_ERROR_IMPL(name, expr) \
  do {                                      \
    ::treesim::Status name = (expr);        \
    if (!name.is_ok()) return name;         \
  } while (false)

// TS_ASSIGN_OR_RETURN(auto x, expr): binds the value of a Result or returns its Status.
#define TS_ASSIGN_OR_RETURN(lhs, expr) \
  TS_ASSIGN_OR_RETURN_IMPL(TS_CONCAT(ts_result_, __COUNTER__), lhs, expr)
#define TS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.is_ok()) return tmp.status();         \
  lhs = std::move(tmp).value()
