// `treesim report`: what a sweep's results file (`treesim sweep --results`) becomes for people
// and for CI.
//   treesim report merge --out ALL.json SHARD1.json SHARD2.json ...
//       one results file from the shards of a sweep run on many machines (--shard K/N)
//   treesim report render RESULTS.json --out-dir DIR [--fuzz F] [--coverage F] [--mutants F]
//       DIR/summary.md, DIR/index.html (self-contained) and DIR/junit.xml (sim/report.h)
// A malformed input file is an error naming the file and the field; nothing is written then.
#pragma once

#include <CLI/CLI.hpp>

namespace treesim {

void register_report_command(CLI::App& app, int* exit_code);

}  // namespace treesim
