// `treesim materialize`: an op-log file (JSON lines, core/jsonl_codec.h) in, the canonical
// snapshot and the visible tree out. The tool users reach for to look at a captured log. The
// log is folded by the production materializer (appended in file order, in batches, so a log
// out of canonical order exercises catch-up) or by the reference model; both print the same
// shape, so their outputs can be compared line for line.
#pragma once

#include <CLI/CLI.hpp>

namespace treesim {

// Registers the subcommand on `app`; when it runs, it stores its exit code in `*exit_code`.
void register_materialize_command(CLI::App& app, int* exit_code);

}  // namespace treesim
