// AdapterProcess: one running adapter of an external system under test, and the line channel to
// it (docs/sut-protocol.md). The simulator writes a request line to the adapter's standard
// input and reads one response line from its standard output; everything the adapter writes to
// standard error is kept (the last kStderrKeptBytes) for failure messages.
//
// The command runs as `/bin/sh -c COMMAND` in a process group of its own, so a crash kills the
// shell and everything it started at once (SIGKILL to the group). Standard input and output
// are the two directions of one socket pair (a write to an adapter that died fails with EPIPE
// instead of raising SIGPIPE in the simulator); standard error is a pipe. Every descriptor the
// simulator keeps is close-on-exec, so one adapter never inherits another's channel (which would
// hide the end of file it sees when the simulator goes away).
//
// Wall time enters here and only here: each exchange has a deadline. While waiting, standard
// error is drained too, so an adapter that writes much to it never blocks on a full pipe.
// Not thread-safe; one exchange at a time.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <string>

#include "core/status.h"

namespace treesim {

class AdapterProcess {
 public:
  static constexpr std::size_t kStderrKeptBytes = 4096;
  // A response line longer than this is an error, not an allocation without end.
  static constexpr std::size_t kLineBytesMax = std::size_t{256} << 20;

  // Starts `command` with `/bin/sh -c`. Errors (kInternal) name the system call that failed.
  static Result<std::unique_ptr<AdapterProcess>> start(const std::string& command);

  AdapterProcess(const AdapterProcess&) = delete;
  AdapterProcess& operator=(const AdapterProcess&) = delete;
  // Kills the process group if it still runs, and reaps the shell.
  ~AdapterProcess();

  enum class Outcome {
    kLine,     // a complete response line (without its '\n')
    kTimeout,  // no complete line before the deadline
    kClosed,   // the adapter closed its output (it exited, most likely) before a complete line
    kTooLong,  // the line passed kLineBytesMax
  };
  struct Exchange {
    Outcome outcome = Outcome::kLine;
    // The line; for kClosed and kTimeout, whatever partial line had arrived.
    std::string line;
  };
  // Writes `request` and a '\n', then reads the next line, all within `timeout_seconds`.
  Exchange exchange(const std::string& request, double timeout_seconds);

  // SIGKILL to the process group, then reaps the shell. Idempotent.
  void kill();
  // Closes the channel (the adapter reads end of file) and waits up to `timeout_seconds` for it
  // to exit; kills it after that. Idempotent.
  void close_and_wait(double timeout_seconds);

  // How the shell ended, once it did: "exited with status 3", "killed by signal 6"; otherwise
  // "still running". Reaps the shell without blocking if it has ended.
  std::string exit_description();
  // The last kStderrKeptBytes written to standard error so far (drained without blocking first).
  std::string stderr_tail();
  pid_t pid() const { return pid_; }

 private:
  AdapterProcess() = default;

  // Reads what standard error holds now, without blocking.
  void drain_stderr();
  void keep_stderr(const char* data, std::size_t size);
  // Reaps the shell if it ended (or, with `block`, waits for it).
  void reap(bool block);

  pid_t pid_ = -1;
  bool reaped_ = false;
  int wait_status_ = 0;
  int channel_ = -1;     // socket: requests out, responses in
  int stderr_ = -1;      // pipe read end
  std::string pending_;  // response bytes after the last complete line
  std::string stderr_text_;
};

}  // namespace treesim
