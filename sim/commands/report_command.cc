#include "sim/commands/report_command.h"

#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/exit_codes.h"
#include "sim/file_io.h"
#include "sim/report.h"

namespace treesim {
namespace {

struct ReportOptions {
  std::vector<std::string> inputs;
  std::string out;  // merge: the merged file; render: the directory
  std::string fuzz;
  std::string coverage;
  std::string mutants;
};

Result<nlohmann::json> read_json(const std::string& path) {
  TS_ASSIGN_OR_RETURN(const std::string text, read_file(path));
  nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return Status::invalid_argument(path + ": not valid JSON");
  return value;
}

Result<nlohmann::json> read_results(const std::string& path) {
  TS_ASSIGN_OR_RETURN(nlohmann::json results, read_json(path));
  TS_RETURN_IF_ERROR(report::validate_results(results, path));
  return results;
}

int fail(const std::string& command, const Status& status) {
  std::cerr << "treesim report " << command << ": " << status.message() << "\n";
  return kExitBadInput;
}

int merge(const ReportOptions& options) {
  std::vector<nlohmann::json> parts;
  for (const std::string& path : options.inputs) {
    auto part = read_results(path);
    if (!part.is_ok()) return fail("merge", part.status());
    parts.push_back(std::move(*part));
  }
  auto merged = report::merge_results(parts, options.inputs);
  if (!merged.is_ok()) return fail("merge", merged.status());
  if (Status status = write_file(options.out, merged->dump(1) + "\n"); !status.is_ok()) {
    return fail("merge", status);
  }
  const nlohmann::json& summary = (*merged)["summary"];
  std::cout << "merged " << parts.size() << " results: " << summary["seeds_run"] << " seeds, "
            << summary["failed_count"] << " failed -> " << options.out << "\n";
  return kExitSuccess;
}

int render(const ReportOptions& options) {
  auto results = read_results(options.inputs.front());
  if (!results.is_ok()) return fail("render", results.status());
  report::Extras extras;
  const std::pair<const std::string*, std::optional<nlohmann::json>*> parts[] = {
      {&options.fuzz, &extras.fuzz},
      {&options.coverage, &extras.coverage},
      {&options.mutants, &extras.mutants}};
  for (const auto& [path, slot] : parts) {
    if (path->empty()) continue;
    auto value = read_json(*path);
    if (!value.is_ok()) return fail("render", value.status());
    *slot = std::move(*value);
  }
  if (Status status = report::validate_extras(extras); !status.is_ok()) {
    return fail("render", status);
  }
  std::error_code error;
  std::filesystem::create_directories(options.out, error);
  if (error) {
    return fail("render", Status::invalid_argument("--out-dir " + options.out + ": " +
                                                   error.message()));
  }
  const std::pair<const char*, std::string> files[] = {
      {"summary.md", report::render_markdown(*results, extras)},
      {"index.html", report::render_html(*results, extras)},
      {"junit.xml", report::render_junit(*results, extras)}};
  for (const auto& [name, contents] : files) {
    if (Status status = write_file(options.out + "/" + name, contents); !status.is_ok()) {
      return fail("render", status);
    }
  }
  std::cout << "wrote " << options.out << "/summary.md, index.html, junit.xml ("
            << (*results)["summary"]["seeds_run"] << " seeds, "
            << (*results)["summary"]["failed_count"] << " failed)\n";
  return kExitSuccess;
}

}  // namespace

void register_report_command(CLI::App& app, int* exit_code) {
  CLI::App* command =
      app.add_subcommand("report", "Merge sweep results and render them (Markdown, HTML, JUnit)");
  command->require_subcommand(1);

  auto merge_options = std::make_shared<ReportOptions>();
  CLI::App* merge_command =
      command->add_subcommand("merge", "Merge the results files of a sweep's shards into one");
  merge_command->add_option("inputs", merge_options->inputs, "Results files (treesim sweep --results)")
      ->required()
      ->check(CLI::ExistingFile);
  merge_command->add_option("--out", merge_options->out, "The merged results file")->required();
  merge_command->callback([merge_options, exit_code] { *exit_code = merge(*merge_options); });

  auto render_options = std::make_shared<ReportOptions>();
  CLI::App* render_command = command->add_subcommand(
      "render", "Write summary.md, a self-contained index.html and junit.xml from a results file");
  render_command->add_option("results", render_options->inputs, "A results file")
      ->required()
      ->expected(1)
      ->check(CLI::ExistingFile);
  render_command->add_option("--out-dir", render_options->out, "Where to write the three files")
      ->required();
  render_command->add_option("--fuzz", render_options->fuzz,
                             "Fuzz statistics of the nightly run (scripts/nightly writes them)")
      ->check(CLI::ExistingFile);
  render_command->add_option("--coverage", render_options->coverage,
                             "Coverage summary: llvm-cov export -summary-only")
      ->check(CLI::ExistingFile);
  render_command->add_option("--mutants", render_options->mutants,
                             "The mutants matrix: treesim mutants --json FILE")
      ->check(CLI::ExistingFile);
  render_command->callback([render_options, exit_code] { *exit_code = render(*render_options); });
}

}  // namespace treesim
