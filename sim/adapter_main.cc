// treesim-adapter: the project's own materializer as an external system under test, speaking
// the stdio protocol of docs/sut-protocol.md (one request line in, one response line out).
//
//   treesim run --seed 7 --swarm --sut external --sut-cmd treesim-adapter
//   treesim-adapter --store sqlite      every replica on SQLite, whatever the simulator asks
//   treesim-adapter --mutant NAME       with a planted bug active (builds with mutants only)
//
// It ends at `close` or at the end of its input (the simulator went away), with status 0.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <string>

#include "sim/adapter_server.h"
#include "sim/commands/mutant_option.h"

int main(int argc, char** argv) {
  CLI::App app{"treesim-adapter: the treesim materializer behind the external SUT protocol"};
  std::string store;
  app.add_option("--store", store,
                 "Put every replica on this store (default: the store the simulator's open asks "
                 "for)")
      ->check(CLI::IsMember({"sqlite", "memory"}));
  std::string mutant;
  treesim::add_mutant_option(app, mutant);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }
  if (treesim::Status status = treesim::activate_mutant(mutant); !status.is_ok()) {
    std::cerr << "treesim-adapter: " << status.message() << "\n";
    return 2;
  }
  treesim::AdapterServer::Options options;
  if (!store.empty()) options.store = treesim::store_kind_from_name(store);
  treesim::AdapterServer server(options);

  std::ios::sync_with_stdio(false);
  std::string line;
  while (!server.is_closed() && std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string response = server.handle(line);
    std::fwrite(response.data(), 1, response.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }
  return 0;
}
