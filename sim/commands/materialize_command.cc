#include "sim/commands/materialize_command.h"

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/jsonl_codec.h"
#include "core/snapshot_json.h"
#include "materializer/materializer.h"
#include "materializer/memory_store.h"
#include "model/model.h"
#include "sim/exit_codes.h"
#include "sim/file_io.h"

namespace treesim {
namespace {

struct MaterializeOptions {
  std::string ops_path;
  std::string engine = "materializer";
  std::string strategy = "rewind";
  // Ops per append; 0 appends the whole log at once.
  std::size_t batch = 0;
  std::string format = "json";
};

// What an engine folded the log into.
struct Folded {
  Snapshot snapshot;
  std::uint64_t op_count = 0;
};

// The exit code for a failed call of an engine: the log's fault (an op equivocates) or ours.
int exit_code_for(const Status& status) {
  const bool bad_input =
      status.code() == StatusCode::kEquivocation || status.code() == StatusCode::kInvalidArgument;
  return bad_input ? kExitBadInput : kExitInternal;
}

// Folds the log with the reference model, one op at a time in file order. Returns an exit code.
int fold_with_model(const std::string& path, const std::vector<Op>& ops, Folded& out) {
  model::Model model;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    // Duplicates in a captured log are normal (an op delivered twice); equivocation is not.
    if (Status status = model.add(ops[i]); !status.is_ok()) {
      std::cerr << "treesim materialize: " << path << ": op " << i + 1 << ": " << status.message()
                << "\n";
      return exit_code_for(status);
    }
  }
  out.snapshot = model.snapshot();
  out.op_count = model.op_count();
  return kExitSuccess;
}

// Folds the log with the production materializer over a MemoryStore, appending `batch` ops at
// a time in file order, so a log out of canonical order makes it catch up. Returns an exit code.
int fold_with_materializer(const MaterializeOptions& options, const std::vector<Op>& ops,
                           Folded& out) {
  MaterializerOptions materializer_options;
  materializer_options.strategy = *catch_up_strategy_from_name(options.strategy);
  MemoryStore store;
  // Only remote ops are appended, so the replica id the document is opened as never shows.
  auto opened = Materializer::open(store, ReplicaId::of("treesim"), materializer_options);
  if (!opened.is_ok()) {
    std::cerr << "treesim materialize: " << opened.status().to_string() << "\n";
    return kExitInternal;
  }
  Materializer& materializer = **opened;
  const std::size_t batch_size =
      options.batch == 0 ? std::max<std::size_t>(ops.size(), 1) : options.batch;
  for (std::size_t first = 0; first < ops.size(); first += batch_size) {
    const std::size_t last = std::min(ops.size(), first + batch_size);
    const std::vector<Op> batch(ops.begin() + static_cast<std::ptrdiff_t>(first),
                                ops.begin() + static_cast<std::ptrdiff_t>(last));
    if (materializer.append(batch).is_ok()) continue;
    // A failed append changes nothing, so appending the batch's ops one by one finds the op to
    // blame, by its position in the log.
    for (std::size_t i = first; i < last; ++i) {
      if (auto result = materializer.append({ops[i]}); !result.is_ok()) {
        std::cerr << "treesim materialize: " << options.ops_path << ": op " << i + 1 << ": "
                  << result.status().message() << "\n";
        return exit_code_for(result.status());
      }
    }
    std::cerr << "treesim materialize: " << options.ops_path << ": ops " << first + 1 << ".."
              << last << " fail together but not one by one\n";
    return kExitInternal;
  }
  auto snapshot = materializer.snapshot();
  if (!snapshot.is_ok()) {
    std::cerr << "treesim materialize: " << snapshot.status().to_string() << "\n";
    return kExitInternal;
  }
  if (std::optional<std::string> broken = materializer.check_invariants()) {
    std::cerr << "treesim materialize: materializer invariant broken: " << *broken << "\n";
    return kExitCorrectness;
  }
  out.snapshot = std::move(*snapshot);
  out.op_count = materializer.head().seq;
  return kExitSuccess;
}

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
  Folded folded;
  const int code = options.engine == "model" ? fold_with_model(options.ops_path, *ops, folded)
                                             : fold_with_materializer(options, *ops, folded);
  if (code != kExitSuccess) return code;
  const Snapshot& snapshot = folded.snapshot;
  const VisibleTree tree = derive_visible_tree(snapshot);
  if (options.format == "text") {
    std::cout << tree.to_text(snapshot);
    std::cout << "# " << folded.op_count << " ops, " << snapshot.rows.size() << " nodes, "
              << tree.preorder().size() - 1 << " visible\n";
  } else {
    nlohmann::json out = {{"engine", options.engine},
                          {"op_count", folded.op_count},
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
  command
      ->add_option("--engine", options->engine,
                   "Which implementation folds the log: the production materializer (over an "
                   "in-memory store) or the reference model")
      ->check(CLI::IsMember({"materializer", "model"}))
      ->capture_default_str();
  command->add_flag_callback(
      "--model", [options] { options->engine = "model"; },
      "Use the reference model (same as --engine model)");
  CLI::Option* strategy =
      command
          ->add_option("--strategy", options->strategy,
                       "Materializer only: how it catches up ops that arrive out of order")
          ->check(CLI::IsMember({"rebuild", "prefix-replay", "rewind"}))
          ->capture_default_str();
  CLI::Option* batch = command
                           ->add_option("--batch", options->batch,
                                        "Materializer only: ops per append, in file order "
                                        "(default: the whole log in one append)")
                           ->check(CLI::Validator(
                               [](const std::string& value) {
                                 const bool positive =
                                     !value.empty() &&
                                     value.find_first_not_of("0123456789") == std::string::npos &&
                                     value.find_first_not_of('0') != std::string::npos;
                                 return positive ? std::string() : "expected a whole number >= 1";
                               },
                               "N>=1"));
  command->add_option("--format", options->format, "json (snapshot + visible tree) or text")
      ->check(CLI::IsMember({"json", "text"}))
      ->capture_default_str();
  command->callback([options, exit_code, strategy, batch] {
    if (options->engine == "model" && (strategy->count() > 0 || batch->count() > 0)) {
      std::cerr << "treesim materialize: --strategy and --batch apply to --engine materializer "
                   "only\n";
      *exit_code = kExitUsage;
      return;
    }
    *exit_code = run_materialize(*options);
  });
}

}  // namespace treesim
