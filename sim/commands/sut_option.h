// The system-under-test options of `treesim run`, `sweep`, `replay` and `shrink`:
//   --sut in-process|external   the project's materializer in this process (the default), or
//                               an adapter process per replica (sim/external_system.h)
//   --sut-cmd 'CMD ARGS'        the adapter command, run with /bin/sh -c (required with
//                               --sut external)
//   --sut-timeout SECONDS       the per-request watchdog of an external system (default 10)
// Reproduce lines carry them (sut_flags()), so a failure found through an adapter is
// reproduced through the same adapter.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "core/status.h"
#include "sim/external_system.h"
#include "sim/simulation.h"

namespace treesim {

struct SutOptions {
  std::string kind = "in-process";
  std::string command;
  double timeout_seconds = ExternalOptions{}.timeout_seconds;
};

// Adds --sut, --sut-cmd and --sut-timeout to `command`, storing into `options`.
void add_sut_options(CLI::App& command, SutOptions& options);

// The systems a command's runs use, and how a run's result is reported through them.
class SystemChoice {
 public:
  // Checks the options (an external SUT needs a command; the timeout is positive). The error
  // names the option.
  static Result<SystemChoice> from_options(const SutOptions& options);

  const SystemFactory& factory() const { return factory_; }
  bool external() const { return failures_ != nullptr; }
  // A run through this choice's factory, with an external system's transport failure (a hung,
  // malformed or vanished adapter) adopted as the run's failure.
  RunResult finish(RunResult result) const;
  // " --sut external --sut-cmd 'CMD'" (and the timeout unless it is the default), or "" for
  // the in-process default: appended to reproduce lines.
  const std::string& flags() const { return flags_; }

 private:
  SystemFactory factory_;
  std::shared_ptr<ExternalFailures> failures_;
  std::string flags_;
};

// `text` quoted for a POSIX shell when it needs quoting.
std::string shell_quote(const std::string& text);

}  // namespace treesim
