#include "sim/commands/materialize_command.h"

#include <iostream>
#include <memory>

#include "core/jsonl_codec.h"
#include "core/snapshot_json.h"
#include "model/model.h"
#include "sim/exit_codes.h"
#include "sim/file_io.h"

namespace treesim {
namespace {

struct MaterializeOptions {
  std::string ops_path;
  std::string engine = "model";
  std::string format = "json";
};

int run_materialize(const MaterializeOptions& options) {
  auto text = read_file(options.ops_path);
  if (!text.is_ok()) {
    std::cerr << "treesim materialize: " << text.status().message() << "\n";
    return kExitBadInput;
  }
  auto ops = decode_op_log(*text);
  if (!ops.is_ok()) {
    std::cerr << "treesim materialize: " << options.ops_path << ": " << ops.status().message()
              << "\n";
    return kExitBadInput;
  }
  model::Model model;
  for (std::size_t i = 0; i < ops->size(); ++i) {
    // Duplicates in a captured log are normal (an op delivered twice); equivocation is not.
    if (Status status = model.add((*ops)[i]); !status.is_ok()) {
      std::cerr << "treesim materialize: " << options.ops_path << ": op " << i + 1 << ": "
                << status.message() << "\n";
      return kExitBadInput;
    }
  }
  const Snapshot snapshot = model.snapshot();
  const VisibleTree tree = derive_visible_tree(snapshot);
  if (options.format == "text") {
    std::cout << tree.to_text(snapshot);
    std::cout << "# " << model.op_count() << " ops, " << snapshot.rows.size() << " nodes, "
              << tree.preorder().size() - 1 << " visible\n";
  } else {
    nlohmann::json out = {{"engine", options.engine},
                          {"op_count", model.op_count()},
                          {"snapshot", snapshot_to_json(snapshot)},
                          {"visible", visible_tree_to_json(snapshot, tree)}};
    std::cout << out.dump(2) << "\n";
  }
  return kExitSuccess;
}

}  // namespace

void register_materialize_command(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<MaterializeOptions>();
  CLI::App* command = app.add_subcommand(
      "materialize", "Fold an op log (JSON lines) into the canonical snapshot and visible tree");
  command->add_option("--ops", options->ops_path, "Op-log file, one JSON op per line ('-' = stdin)")
      ->required();
  command->add_option("--engine", options->engine, "Which implementation folds the log")
      ->check(CLI::IsMember({"model"}))
      ->capture_default_str();
  command->add_flag_callback(
      "--model", [options] { options->engine = "model"; },
      "Use the reference model (same as --engine model)");
  command->add_option("--format", options->format, "json (snapshot + visible tree) or text")
      ->check(CLI::IsMember({"json", "text"}))
      ->capture_default_str();
  command->callback([options, exit_code] { *exit_code = run_materialize(*options); });
}

}  // namespace treesim
