// `treesim materialize`: an op-log file (JSON lines, core/jsonl_codec.h) in, the canonical
// snapshot and the visible tree out. The tool users reach for to look at a captured log.
#pragma once

#include <CLI/CLI.hpp>

namespace treesim {

// Registers the subcommand on `app`; when it runs, it stores its exit code in `*exit_code`.
void register_materialize_command(CLI::App& app, int* exit_code);

}  // namespace treesim
