#include "sim/commands/sut_option.h"

#include <cstdio>

namespace treesim {

void add_sut_options(CLI::App& command, SutOptions& options) {
  command
      .add_option("--sut", options.kind,
                  "The system under test: the materializer in this process, or an external "
                  "adapter process per replica (docs/sut-protocol.md)")
      ->check(CLI::IsMember({"in-process", "external"}))
      ->capture_default_str();
  command.add_option("--sut-cmd", options.command,
                     "The adapter command of --sut external, run with /bin/sh -c");
  command
      .add_option("--sut-timeout", options.timeout_seconds,
                  "Seconds an external adapter has to answer each request")
      ->capture_default_str();
}

Result<SystemChoice> SystemChoice::from_options(const SutOptions& options) {
  SystemChoice choice;
  if (options.kind == "in-process") {
    if (!options.command.empty()) {
      return Status::invalid_argument("--sut-cmd needs --sut external");
    }
    choice.factory_ = in_process_factory();
    return choice;
  }
  if (options.command.empty()) {
    return Status::invalid_argument("--sut external needs --sut-cmd 'CMD ARGS'");
  }
  if (!(options.timeout_seconds > 0)) {
    return Status::invalid_argument("--sut-timeout must be a positive number of seconds");
  }
  ExternalOptions external;
  external.command = options.command;
  external.timeout_seconds = options.timeout_seconds;
  choice.failures_ = std::make_shared<ExternalFailures>();
  choice.factory_ = external_factory(external, choice.failures_);
  choice.flags_ = " --sut external --sut-cmd " + shell_quote(options.command);
  if (options.timeout_seconds != ExternalOptions{}.timeout_seconds) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%g", options.timeout_seconds);
    choice.flags_ += std::string(" --sut-timeout ") + buffer;
  }
  return choice;
}

RunResult SystemChoice::finish(RunResult result) const {
  if (failures_ != nullptr) adopt_external_failure(*failures_, result);
  return result;
}

std::string shell_quote(const std::string& text) {
  const bool plain = !text.empty() && text.find_first_not_of(
                                          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                          "0123456789_./:=@%+,-") == std::string::npos;
  if (plain) return text;
  std::string quoted = "'";
  for (const char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace treesim
