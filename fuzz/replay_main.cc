// The main of a fuzz target built without libFuzzer: replays inputs, writes seeds, describes an
// input (fuzz/fuzz_target.h).
//
//   TARGET PATH...                         run every input: a file, or every regular file of a
//                                          directory (recursively, in name order)
//   TARGET --write-seeds DIR [SOURCE...]   write the target's seed corpus into DIR
//   TARGET --describe FILE                 print what the target makes of one input
//
// Replaying exits 0 after at least one input ran, 2 when there was nothing to run (an empty or
// missing corpus must not pass as a clean one) and 1 when an input could not be read. A failing
// input never returns: the target aborts, and the file named last on standard error is the one.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "fuzz/fuzz_target.h"
#include "sim/file_io.h"

namespace {

constexpr int kUsageExit = 2;

int usage(const char* program) {
  std::fprintf(stderr,
               "usage: %s PATH...\n"
               "       %s --write-seeds DIR [SOURCE...]\n"
               "       %s --describe FILE\n",
               program, program, program);
  return kUsageExit;
}

// The inputs named by `path`: itself, or the regular files under it in name order (so a replay
// runs in the same order everywhere).
std::vector<std::string> inputs_of(const std::string& path, std::error_code& error) {
  std::vector<std::string> files;
  if (!std::filesystem::is_directory(path, error)) {
    if (!error) files.push_back(path);
    return files;
  }
  for (auto it = std::filesystem::recursive_directory_iterator(path, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (it->is_regular_file(error)) files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return usage(argv[0]);

  if (args[0] == "--write-seeds") {
    if (args.size() < 2) return usage(argv[0]);
    const std::vector<std::string> sources(args.begin() + 2, args.end());
    auto written = treesim::fuzz::write_seeds(args[1], sources);
    if (!written.is_ok()) {
      std::fprintf(stderr, "%s\n", written.status().to_string().c_str());
      return 1;
    }
    std::printf("wrote %zu seeds into %s\n", *written, args[1].c_str());
    return 0;
  }

  if (args[0] == "--describe") {
    if (args.size() != 2) return usage(argv[0]);
    auto bytes = treesim::read_file(args[1]);
    if (!bytes.is_ok()) {
      std::fprintf(stderr, "%s\n", bytes.status().to_string().c_str());
      return 1;
    }
    std::fputs(treesim::fuzz::describe_input(*bytes).c_str(), stdout);
    return 0;
  }

  std::size_t ran = 0;
  for (const std::string& path : args) {
    std::error_code error;
    const std::vector<std::string> files = inputs_of(path, error);
    if (error) {
      std::fprintf(stderr, "cannot list '%s': %s\n", path.c_str(), error.message().c_str());
      return 1;
    }
    for (const std::string& file : files) {
      auto bytes = treesim::read_file(file);
      if (!bytes.is_ok()) {
        std::fprintf(stderr, "%s\n", bytes.status().to_string().c_str());
        return 1;
      }
      // Named before it runs: if the input aborts, this is the last line before the report.
      std::fprintf(stderr, "running %s\n", file.c_str());
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes->data()), bytes->size());
      ++ran;
    }
  }
  std::printf("%s: ran %zu inputs\n", argv[0], ran);
  if (ran == 0) {
    std::fprintf(stderr, "no inputs found: an empty corpus replays nothing\n");
    return kUsageExit;
  }
  return 0;
}
