#include "sim/report.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "core/assert.h"
#include "materializer/probes.h"

namespace treesim::report {
namespace {

using nlohmann::json;

// --- reading records ---

// A whole number >= 0 (built in memory it may be signed; parsed, it is unsigned).
bool is_count(const json& value) {
  return value.is_number_unsigned() || (value.is_number_integer() && value.get<std::int64_t>() >= 0);
}

std::uint64_t uint_of(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && is_count(*it) ? it->get<std::uint64_t>() : 0;
}

double number_of(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<double>() : 0.0;
}

std::string string_of(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int exit_code_of(const json& record) {
  const auto it = record.find("exit_code");
  return it != record.end() && it->is_number_integer() ? it->get<int>() : 0;
}

// Seeds are written as "0x" and hex digits; anything else is UINT64_MAX, which sorts last.
std::uint64_t seed_value(const json& record) {
  const std::string text = string_of(record, "seed");
  if (text.size() < 3 || text.size() > 18 || text.compare(0, 2, "0x") != 0 ||
      text.find_first_not_of("0123456789abcdefABCDEF", 2) != std::string::npos) {
    return UINT64_MAX;
  }
  return std::strtoull(text.c_str() + 2, nullptr, 16);
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

// --- escaping ---

// For HTML text and attributes, and for XML: the five special characters, and control
// characters other than tab and newline (not allowed in XML 1.0) as U+FFFD.
std::string escape_markup(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          out += "\xEF\xBF\xBD";
        } else {
          out += c;
        }
    }
  }
  return out;
}

// For a Markdown table cell: one line, pipes escaped.
std::string escape_cell(const std::string& text) {
  std::string out;
  for (const char c : first_line(text)) {
    if (c == '|') {
      out += "\\|";
    } else {
      out += c;
    }
  }
  return out;
}

// --- the parts' rows ---

struct ProbeRow {
  std::string name;
  std::uint64_t hits = 0;
};

std::vector<ProbeRow> probe_rows(const json& results) {
  std::vector<ProbeRow> rows;
  const json probes = results["summary"].value("probes", json::object());
  for (std::size_t i = 0; i < kProbeCount; ++i) {
    const std::string name = probe_name(static_cast<Probe>(i));
    rows.push_back({name, uint_of(probes, name.c_str())});
  }
  return rows;
}

struct CoverageRow {
  std::string file;
  double lines = 0;     // percent
  double branches = 0;  // percent
  std::uint64_t line_count = 0;
};

// Whether `path` (absolute or relative to the checkout) is a file of materializer/, the system
// under test; its tests (tests/materializer/) and any other directory named *materializer are not.
bool is_materializer_source(const std::string& path, std::size_t& at) {
  at = path.rfind("materializer/");
  if (at == std::string::npos || (at > 0 && path[at - 1] != '/')) return false;
  const std::string_view before = std::string_view(path).substr(0, at);
  return !(before == "tests/" || before.ends_with("/tests/"));
}

// Files of materializer/, and the totals of those files.
std::vector<CoverageRow> coverage_rows(const json& coverage, CoverageRow& totals) {
  std::vector<CoverageRow> rows;
  std::uint64_t lines = 0, lines_covered = 0, branches = 0, branches_covered = 0;
  for (const json& data : coverage.value("data", json::array())) {
    for (const json& file : data.value("files", json::array())) {
      std::string name = string_of(file, "filename");
      std::size_t at = 0;
      if (!is_materializer_source(name, at)) continue;
      name = name.substr(at);
      const json summary = file.value("summary", json::object());
      const json line = summary.value("lines", json::object());
      const json branch = summary.value("branches", json::object());
      rows.push_back({name, number_of(line, "percent"), number_of(branch, "percent"),
                      uint_of(line, "count")});
      lines += uint_of(line, "count");
      lines_covered += uint_of(line, "covered");
      branches += uint_of(branch, "count");
      branches_covered += uint_of(branch, "covered");
    }
  }
  std::sort(rows.begin(), rows.end(),
            [](const CoverageRow& a, const CoverageRow& b) { return a.file < b.file; });
  totals = {"materializer/ (all files)", lines ? 100.0 * lines_covered / lines : 0.0,
            branches ? 100.0 * branches_covered / branches : 0.0, lines};
  return rows;
}

std::string settings_line(const json& results) {
  const json sweep = results.value("sweep", json::object());
  std::string line = "seeds " + string_of(sweep, "seeds");
  if (sweep.contains("shards")) {
    line += ", " + std::to_string(sweep["shards"].size()) + " shards merged";
  } else if (!string_of(sweep, "shard").empty() && string_of(sweep, "shard") != "1/1") {
    line += ", shard " + string_of(sweep, "shard");
  }
  if (!string_of(sweep, "time").empty()) line += ", time budget " + string_of(sweep, "time");
  line += sweep.value("swarm", true) ? ", swarm" : ", default profile";
  line += ", safety ticks " + std::to_string(uint_of(sweep, "safety_ticks"));
  line += ", check every " + std::to_string(uint_of(sweep, "check_every"));
  if (!string_of(sweep, "mutant").empty()) line += ", mutant " + string_of(sweep, "mutant");
  if (sweep.value("verify_determinism", false)) line += ", determinism verified";
  return line;
}

// --- SVG ---

constexpr int kChartWidth = 720;

struct Point {
  double x = 0;
  double y = 0;
};

struct Series {
  std::string name;
  std::string color;
  std::vector<Point> points;
};

// A line chart of one or more series over shared axes, with optional red markers (x, y).
std::string svg_lines(const std::string& x_label, const std::string& y_label,
                      const std::vector<Series>& series, const std::vector<Point>& markers) {
  constexpr int kHeight = 260, kLeft = 60, kRight = 20, kTop = 20, kBottom = 40;
  double max_x = 0, max_y = 0;
  for (const Series& s : series) {
    for (const Point& p : s.points) {
      max_x = std::max(max_x, p.x);
      max_y = std::max(max_y, p.y);
    }
  }
  if (max_x <= 0) max_x = 1;
  if (max_y <= 0) max_y = 1;
  const double plot_w = kChartWidth - kLeft - kRight;
  const double plot_h = kHeight - kTop - kBottom;
  auto sx = [&](double x) { return kLeft + x / max_x * plot_w; };
  auto sy = [&](double y) { return kTop + plot_h - y / max_y * plot_h; };
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    std::to_string(kChartWidth) + "\" height=\"" + std::to_string(kHeight) +
                    "\" role=\"img\">";
  svg += "<line x1=\"" + fixed(kLeft, 0) + "\" y1=\"" + fixed(kTop + plot_h, 0) + "\" x2=\"" +
         fixed(kLeft + plot_w, 0) + "\" y2=\"" + fixed(kTop + plot_h, 0) +
         "\" stroke=\"#444\"/>";
  svg += "<line x1=\"" + fixed(kLeft, 0) + "\" y1=\"" + fixed(kTop, 0) + "\" x2=\"" +
         fixed(kLeft, 0) + "\" y2=\"" + fixed(kTop + plot_h, 0) + "\" stroke=\"#444\"/>";
  svg += "<text x=\"" + fixed(kLeft - 6, 0) + "\" y=\"" + fixed(kTop + 4, 0) +
         "\" text-anchor=\"end\" font-size=\"11\">" + escape_markup(fixed(max_y, max_y < 10 ? 1 : 0)) +
         "</text>";
  svg += "<text x=\"" + fixed(kLeft - 6, 0) + "\" y=\"" + fixed(kTop + plot_h, 0) +
         "\" text-anchor=\"end\" font-size=\"11\">0</text>";
  svg += "<text x=\"" + fixed(kLeft + plot_w, 0) + "\" y=\"" + fixed(kHeight - 22, 0) +
         "\" text-anchor=\"end\" font-size=\"11\">" + escape_markup(fixed(max_x, max_x < 10 ? 1 : 0)) +
         "</text>";
  svg += "<text x=\"" + fixed(kLeft + plot_w / 2, 0) + "\" y=\"" + fixed(kHeight - 6, 0) +
         "\" text-anchor=\"middle\" font-size=\"12\">" + escape_markup(x_label) + "</text>";
  svg += "<text x=\"14\" y=\"" + fixed(kTop + plot_h / 2, 0) +
         "\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 14 " +
         fixed(kTop + plot_h / 2, 0) + ")\">" + escape_markup(y_label) + "</text>";
  int legend = 0;
  for (const Series& s : series) {
    std::string points;
    for (const Point& p : s.points) points += fixed(sx(p.x), 1) + "," + fixed(sy(p.y), 1) + " ";
    svg += "<polyline fill=\"none\" stroke=\"" + s.color + "\" stroke-width=\"1.5\" points=\"" +
           points + "\"/>";
    if (series.size() > 1) {
      svg += "<text x=\"" + fixed(kLeft + 10, 0) + "\" y=\"" + fixed(kTop + 14 + 14 * legend, 0) +
             "\" font-size=\"11\" fill=\"" + s.color + "\">" + escape_markup(s.name) + "</text>";
      ++legend;
    }
  }
  for (const Point& p : markers) {
    svg += "<circle cx=\"" + fixed(sx(p.x), 1) + "\" cy=\"" + fixed(sy(p.y), 1) +
           "\" r=\"3.5\" fill=\"#c0392b\"/>";
  }
  return svg + "</svg>";
}

struct Bar {
  std::string label;
  double value = 0;
  std::string text;  // printed after the bar
  bool alert = false;
};

// Horizontal bars; `log_scale` for counts that span orders of magnitude.
std::string svg_bars(const std::vector<Bar>& bars, bool log_scale, double max_value = 0) {
  constexpr int kRow = 16, kLabel = 260, kTextRoom = 170;
  for (const Bar& bar : bars) max_value = std::max(max_value, bar.value);
  auto scaled = [&](double v) {
    if (max_value <= 0) return 0.0;
    if (!log_scale) return v / max_value;
    return std::log10(1 + v) / std::log10(1 + max_value);
  };
  const int height = kRow * static_cast<int>(bars.size()) + 8;
  const double plot_w = kChartWidth - kLabel - kTextRoom;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    std::to_string(kChartWidth) + "\" height=\"" + std::to_string(height) +
                    "\" role=\"img\">";
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const Bar& bar = bars[i];
    const double y = 4 + kRow * static_cast<double>(i);
    const double w = scaled(bar.value) * plot_w;
    svg += "<text x=\"" + fixed(kLabel - 6, 0) + "\" y=\"" + fixed(y + 11, 0) +
           "\" text-anchor=\"end\" font-size=\"11\"" +
           (bar.alert ? " fill=\"#c0392b\" font-weight=\"bold\"" : "") + ">" +
           escape_markup(bar.label) + "</text>";
    svg += "<rect x=\"" + fixed(kLabel, 0) + "\" y=\"" + fixed(y + 2, 0) + "\" width=\"" +
           fixed(w, 1) + "\" height=\"" + fixed(kRow - 4, 0) + "\" fill=\"" +
           (bar.alert ? "#c0392b" : "#2e86c1") + "\"/>";
    svg += "<text x=\"" + fixed(kLabel + w + 4, 1) + "\" y=\"" + fixed(y + 11, 0) +
           "\" font-size=\"11\">" + escape_markup(bar.text) + "</text>";
  }
  return svg + "</svg>";
}

// --- shared table content ---

struct Table {
  std::vector<std::string> head;
  std::vector<std::vector<std::string>> rows;
};

std::string markdown_table(const Table& table) {
  std::string out = "|";
  for (const std::string& cell : table.head) out += " " + escape_cell(cell) + " |";
  out += "\n|";
  for (std::size_t i = 0; i < table.head.size(); ++i) out += "---|";
  out += "\n";
  for (const auto& row : table.rows) {
    out += "|";
    for (const std::string& cell : row) out += " " + escape_cell(cell) + " |";
    out += "\n";
  }
  return out;
}

std::string html_table(const Table& table) {
  std::string out = "<table><thead><tr>";
  for (const std::string& cell : table.head) out += "<th>" + escape_markup(cell) + "</th>";
  out += "</tr></thead><tbody>";
  for (const auto& row : table.rows) {
    out += "<tr>";
    for (const std::string& cell : row) out += "<td>" + escape_markup(cell) + "</td>";
    out += "</tr>";
  }
  return out + "</tbody></table>";
}

Table summary_table(const json& results) {
  const json& s = results["summary"];
  return {{"seeds", "failed", "ops delivered", "wall seconds", "jobs", "seeds/s", "ops/s per job"},
          {{std::to_string(uint_of(s, "seeds_run")), std::to_string(uint_of(s, "failed_count")),
            std::to_string(uint_of(s, "ops_delivered")), fixed(number_of(s, "seconds"), 1),
            std::to_string(uint_of(s, "jobs")), fixed(number_of(s, "seeds_per_second"), 2),
            fixed(number_of(s, "ops_per_second_per_job"), 0)}}};
}

Table failures_table(const std::vector<Bucket>& buckets) {
  Table table{{"class", "checker", "first difference", "seeds", "first seed", "message",
               "reproduce"},
              {}};
  for (const Bucket& b : buckets) {
    table.rows.push_back({b.failure_class, b.checker,
                          b.first_difference.empty() ? "-" : b.first_difference,
                          std::to_string(b.seeds.size()), b.seeds.front(), b.message,
                          b.reproduce});
  }
  return table;
}

Table probes_table(const json& results) {
  Table table{{"probe", "hits"}, {}};
  for (const ProbeRow& row : probe_rows(results)) {
    table.rows.push_back({row.name, row.hits == 0 ? "0 (not hit)" : std::to_string(row.hits)});
  }
  return table;
}

Table fuzz_table(const json& fuzz) {
  Table table{{"target", "runs", "exec/s", "corpus before", "corpus after", "crashes"}, {}};
  for (const json& target : fuzz.value("targets", json::array())) {
    const json crashes = target.value("crashes", json::array());
    std::string crash_text = std::to_string(crashes.size());
    for (const json& path : crashes) crash_text += " " + path.get<std::string>();
    table.rows.push_back({string_of(target, "name"), std::to_string(uint_of(target, "runs")),
                          fixed(number_of(target, "exec_per_second"), 0),
                          std::to_string(uint_of(target, "corpus_before")),
                          std::to_string(uint_of(target, "corpus_after")), crash_text});
  }
  return table;
}

Table coverage_table(const json& coverage) {
  CoverageRow totals;
  const std::vector<CoverageRow> rows = coverage_rows(coverage, totals);
  Table table{{"file", "lines", "line coverage %", "branch coverage %"}, {}};
  for (const CoverageRow& row : rows) {
    table.rows.push_back({row.file, std::to_string(row.line_count), fixed(row.lines, 1),
                          fixed(row.branches, 1)});
  }
  table.rows.push_back({totals.file, std::to_string(totals.line_count), fixed(totals.lines, 1),
                        fixed(totals.branches, 1)});
  return table;
}

Table mutants_table(const json& mutants) {
  Table table{{"mutant", "detected", "seeds", "seconds", "class/checker", "shrunk events"}, {}};
  for (const json& m : mutants.value("mutants", json::array())) {
    const bool detected = m.value("detected", false);
    const json shrunk = m.value("shrunk", json::object());
    table.rows.push_back(
        {string_of(m, "mutant"), detected ? "yes" : "NO (survived)",
         std::to_string(uint_of(m, "seeds_run")), fixed(number_of(m, "seconds"), 1),
         detected ? string_of(m, "class") + "/" + string_of(m, "checker") : "-",
         shrunk.contains("events") ? std::to_string(uint_of(shrunk, "events")) + " of " +
                                         std::to_string(uint_of(shrunk, "original_events"))
                                   : "-"});
  }
  return table;
}

// Seeds finished over the run, per part for merged shards (each part's own clock), failures
// marked.
std::string seeds_chart(const json& results) {
  std::vector<std::pair<double, bool>> finished;
  for (const json& record : results["seeds"]) {
    finished.emplace_back(number_of(record, "finished_at"), exit_code_of(record) != 0);
  }
  std::sort(finished.begin(), finished.end());
  Series series{"seeds", "#2e86c1", {{0, 0}}};
  std::vector<Point> failures;
  for (std::size_t i = 0; i < finished.size(); ++i) {
    series.points.push_back({finished[i].first, static_cast<double>(i + 1)});
    if (finished[i].second) failures.push_back({finished[i].first, static_cast<double>(i + 1)});
  }
  return svg_lines("seconds into the run", "seeds finished", {series}, failures);
}

std::string corpus_chart(const json& fuzz) {
  static const char* kColors[] = {"#2e86c1", "#27ae60", "#8e44ad", "#d35400", "#16a085"};
  std::vector<Series> series;
  for (const json& target : fuzz.value("targets", json::array())) {
    // Targets run at rates orders of magnitude apart: each one's x axis is its own run count as
    // a share of its last sample's, so every target spans the chart.
    Series s{string_of(target, "name"), kColors[series.size() % 5], {}};
    double last_runs = 0;
    for (const json& sample : target.value("samples", json::array())) {
      if (sample.is_array() && sample.size() >= 2 && sample[0].is_number() &&
          sample[1].is_number()) {
        s.points.push_back({sample[0].get<double>(), sample[1].get<double>()});
        last_runs = std::max(last_runs, sample[0].get<double>());
      }
    }
    for (Point& point : s.points) point.x = last_runs > 0 ? 100 * point.x / last_runs : 0;
    if (!s.points.empty()) series.push_back(std::move(s));
  }
  if (series.empty()) return "";
  return svg_lines("% of the target's inputs run", "corpus size", series, {});
}

Status require(bool ok, const std::string& where, const std::string& what) {
  return ok ? Status::ok() : Status::invalid_argument(where + ": " + what);
}

}  // namespace

std::string utc_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

void SummaryFold::add(const json& record) {
  if (probe_counts_.empty()) probe_counts_.assign(kProbeCount, 0);
  ++seeds_;
  ops_ += uint_of(record, "ops_delivered");
  const int exit_code = exit_code_of(record);
  if (exit_code != 0) {
    ++failures_;
    failed_.push_back({{"seed", string_of(record, "seed")},
                       {"exit_code", exit_code},
                       {"report", string_of(record, "report")}});
  }
  const json probes = record.value("probes", json::object());
  for (std::size_t i = 0; i < kProbeCount; ++i) {
    probe_counts_[i] += uint_of(probes, probe_name(static_cast<Probe>(i)));
  }
}

json SummaryFold::finish(double seconds, std::uint64_t jobs, bool verify_determinism) const {
  json probes = json::object();
  std::vector<std::string> unhit;
  for (std::size_t i = 0; i < kProbeCount; ++i) {
    const std::string name = probe_name(static_cast<Probe>(i));
    const std::uint64_t count = probe_counts_.empty() ? 0 : probe_counts_[i];
    probes[name] = count;
    if (count == 0) unhit.push_back(name);
  }
  const double done = static_cast<double>(seeds_);
  return {{"seeds_run", seeds_},
          {"failed_count", failures_},
          {"failed", failed_},
          {"ops_delivered", ops_},
          {"seconds", seconds},
          {"jobs", jobs},
          {"seeds_per_second", seconds > 0 ? done / seconds : 0.0},
          {"ops_per_second_per_job",
           seconds > 0 && jobs > 0 ? static_cast<double>(ops_) / seconds / static_cast<double>(jobs)
                                   : 0.0},
          {"probes", std::move(probes)},
          {"probes_not_hit", unhit},
          {"verify_determinism", verify_determinism}};
}

nlohmann::json summarize(const json& seeds, double seconds, std::uint64_t jobs,
                         bool verify_determinism) {
  SummaryFold fold;
  for (const json& record : seeds) fold.add(record);
  return fold.finish(seconds, jobs, verify_determinism);
}

nlohmann::json make_results(json settings, json seeds, double seconds, std::uint64_t jobs,
                            bool verify_determinism, std::string created) {
  json summary = summarize(seeds, seconds, jobs, verify_determinism);
  return {{"format", kResultsFormat},      {"version", kResultsVersion},
          {"created", std::move(created)}, {"sweep", std::move(settings)},
          {"summary", std::move(summary)}, {"seeds", std::move(seeds)}};
}

Result<ResultsWriter> ResultsWriter::create(const std::string& path, const json& settings,
                                            const std::string& created) {
  std::FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) {
    return Status::io_error("cannot write '" + path + "': " + std::strerror(errno));
  }
  ResultsWriter writer(file, path);
  const json header = {{"format", kResultsFormat}, {"version", kResultsVersion},
                       {"created", created}, {"sweep", settings}};
  // The header's members, then the seeds array opened: the records follow one per line.
  std::string text = header.dump(1);
  text.pop_back();  // the closing brace
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  text += ",\n \"seeds\": [";
  TS_RETURN_IF_ERROR(
      writer.check(std::fwrite(text.data(), 1, text.size(), file) == text.size(), "writing"));
  return writer;
}

ResultsWriter::ResultsWriter(ResultsWriter&& other) noexcept
    : file_(std::exchange(other.file_, nullptr)),
      path_(std::move(other.path_)),
      first_(other.first_) {}

ResultsWriter& ResultsWriter::operator=(ResultsWriter&& other) noexcept {
  if (this != &other) {
    if (file_ != nullptr) std::fclose(file_);
    file_ = std::exchange(other.file_, nullptr);
    path_ = std::move(other.path_);
    first_ = other.first_;
  }
  return *this;
}

ResultsWriter::~ResultsWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

Status ResultsWriter::check(bool ok, const char* doing) {
  if (ok) return Status::ok();
  return Status::io_error(std::string(doing) + " '" + path_ + "' failed: " + std::strerror(errno));
}

Status ResultsWriter::add(const json& record) {
  TS_ASSERT(file_ != nullptr);
  const std::string line = (first_ ? "\n  " : ",\n  ") + record.dump();
  first_ = false;
  return check(std::fwrite(line.data(), 1, line.size(), file_) == line.size(), "writing");
}

Status ResultsWriter::finish(const json& summary) {
  TS_ASSERT(file_ != nullptr);
  const std::string tail = (first_ ? "],\n \"summary\": " : "\n ],\n \"summary\": ") +
                           summary.dump(1) + "\n}\n";
  const bool written = std::fwrite(tail.data(), 1, tail.size(), file_) == tail.size();
  const bool closed = std::fclose(std::exchange(file_, nullptr)) == 0;
  return check(written && closed, "writing");
}

Status validate_results(const json& results, const std::string& where) {
  TS_RETURN_IF_ERROR(require(results.is_object(), where, "not a JSON object"));
  TS_RETURN_IF_ERROR(require(string_of(results, "format") == kResultsFormat, where,
                             std::string("\"format\" is not \"") + kResultsFormat +
                                 "\" (not a results file of treesim sweep --results)"));
  const auto version = results.find("version");
  TS_RETURN_IF_ERROR(require(version != results.end() && version->is_number_integer(), where,
                             "\"version\" is missing or not an integer"));
  TS_RETURN_IF_ERROR(require(version->get<int>() == kResultsVersion, where,
                             "results version " + version->dump() + " is not the version " +
                                 std::to_string(kResultsVersion) + " this treesim reads"));
  TS_RETURN_IF_ERROR(require(results.contains("sweep") && results["sweep"].is_object(), where,
                             "\"sweep\" is missing or not an object"));
  TS_RETURN_IF_ERROR(require(results.contains("summary") && results["summary"].is_object(), where,
                             "\"summary\" is missing or not an object"));
  const json& summary = results["summary"];
  TS_RETURN_IF_ERROR(require(summary.contains("seconds") && summary["seconds"].is_number(), where,
                             "\"summary.seconds\" is missing or not a number"));
  TS_RETURN_IF_ERROR(require(summary.contains("jobs") && is_count(summary["jobs"]),
                             where, "\"summary.jobs\" is missing or not a count"));
  TS_RETURN_IF_ERROR(require(results.contains("seeds") && results["seeds"].is_array(), where,
                             "\"seeds\" is missing or not an array"));
  for (std::size_t i = 0; i < results["seeds"].size(); ++i) {
    const json& record = results["seeds"][i];
    const std::string at = "seeds[" + std::to_string(i) + "]";
    TS_RETURN_IF_ERROR(require(record.is_object(), where, at + " is not an object"));
    TS_RETURN_IF_ERROR(require(seed_value(record) != UINT64_MAX, where,
                               at + ".seed is missing or not a hex seed such as 0x1f"));
    TS_RETURN_IF_ERROR(require(record.contains("exit_code") && record["exit_code"].is_number_integer(),
                               where, at + ".exit_code is missing or not an integer"));
    for (const char* count : {"ops_delivered"}) {
      TS_RETURN_IF_ERROR(require(!record.contains(count) || is_count(record[count]),
                                 where, at + "." + count + " is not a count"));
    }
    TS_RETURN_IF_ERROR(require(!record.contains("probes") || record["probes"].is_object(), where,
                               at + ".probes is not an object"));
    if (record.contains("probes")) {
      for (const auto& [name, count] : record["probes"].items()) {
        TS_RETURN_IF_ERROR(require(is_count(count), where,
                                   at + ".probes." + name + " is not a count"));
      }
    }
  }
  return Status::ok();
}

Result<nlohmann::json> merge_results(const std::vector<json>& parts,
                                     const std::vector<std::string>& names) {
  TS_ASSERT(parts.size() == names.size());
  if (parts.empty()) return Status::invalid_argument("nothing to merge");
  std::map<std::uint64_t, std::size_t> owner;  // seed -> part
  json seeds = json::array();
  double seconds = 0;
  std::uint64_t jobs = 0;
  bool verified = true;
  json shards = json::array();
  std::string created;
  for (std::size_t p = 0; p < parts.size(); ++p) {
    const json& part = parts[p];
    for (const json& record : part["seeds"]) {
      const auto [it, fresh] = owner.emplace(seed_value(record), p);
      if (!fresh) {
        return Status::invalid_argument("seed " + string_of(record, "seed") + " is in both " +
                                        names[it->second] + " and " + names[p]);
      }
      seeds.push_back(record);
    }
    seconds = std::max(seconds, number_of(part["summary"], "seconds"));
    jobs += uint_of(part["summary"], "jobs");
    verified = verified && part["summary"].value("verify_determinism", false);
    shards.push_back(part["sweep"].value("shard", std::string("1/1")));
    created = std::max(created, string_of(part, "created"));
  }
  std::sort(seeds.begin(), seeds.end(),
            [](const json& a, const json& b) { return seed_value(a) < seed_value(b); });
  json settings = parts.front()["sweep"];
  std::string ranges;  // each part's range once, in order: "1..100" or "1..50 + 51..100"
  std::vector<std::string> seen;
  for (const json& part : parts) {
    const std::string range = string_of(part["sweep"], "seeds");
    if (std::find(seen.begin(), seen.end(), range) != seen.end()) continue;
    seen.push_back(range);
    ranges += (ranges.empty() ? "" : " + ") + range;
  }
  settings["seeds"] = ranges;
  settings["shards"] = std::move(shards);
  json merged = make_results(std::move(settings), std::move(seeds), seconds, jobs, verified, created);
  merged["merged_from"] = names;
  return merged;
}

std::vector<Bucket> bucket_failures(const json& results) {
  std::map<std::tuple<std::string, std::string, std::string>, Bucket> buckets;
  std::vector<std::tuple<std::string, std::string, std::string>> order;
  for (const json& record : results["seeds"]) {
    if (exit_code_of(record) == 0) continue;
    const json failure = record.value("failure", json::object());
    std::string failure_class = string_of(failure, "class");
    if (failure_class.empty()) failure_class = "exit " + std::to_string(exit_code_of(record));
    const auto key = std::make_tuple(failure_class, string_of(failure, "checker"),
                                     string_of(failure, "first_difference"));
    auto [it, fresh] = buckets.try_emplace(key);
    Bucket& bucket = it->second;
    if (fresh) {
      order.push_back(key);
      bucket.failure_class = std::get<0>(key);
      bucket.checker = std::get<1>(key);
      bucket.first_difference = std::get<2>(key);
      bucket.reproduce = string_of(record, "reproduce");
      bucket.message = first_line(string_of(failure, "message"));
    }
    bucket.seeds.push_back(string_of(record, "seed"));
  }
  std::vector<Bucket> out;
  for (const auto& key : order) out.push_back(std::move(buckets[key]));
  // The biggest bucket first; ties keep seed order.
  std::stable_sort(out.begin(), out.end(),
                   [](const Bucket& a, const Bucket& b) { return a.seeds.size() > b.seeds.size(); });
  return out;
}

Status validate_extras(const Extras& extras) {
  if (extras.fuzz) {
    TS_RETURN_IF_ERROR(require(extras.fuzz->is_object() && extras.fuzz->contains("targets") &&
                                   (*extras.fuzz)["targets"].is_array(),
                               "fuzz statistics", "\"targets\" is missing or not an array"));
    for (const json& target : (*extras.fuzz)["targets"]) {
      TS_RETURN_IF_ERROR(require(target.is_object() && !string_of(target, "name").empty(),
                                 "fuzz statistics", "a target without a \"name\""));
      TS_RETURN_IF_ERROR(require(
          !target.contains("crashes") || (target["crashes"].is_array() &&
                                          std::all_of(target["crashes"].begin(),
                                                      target["crashes"].end(),
                                                      [](const json& c) { return c.is_string(); })),
          "fuzz statistics", string_of(target, "name") + ".crashes is not a list of paths"));
    }
  }
  if (extras.coverage) {
    TS_RETURN_IF_ERROR(require(extras.coverage->is_object() && extras.coverage->contains("data") &&
                                   (*extras.coverage)["data"].is_array(),
                               "coverage summary",
                               "\"data\" is missing (expected llvm-cov export -summary-only)"));
  }
  if (extras.mutants) {
    TS_RETURN_IF_ERROR(require(extras.mutants->is_object() && extras.mutants->contains("mutants") &&
                                   (*extras.mutants)["mutants"].is_array(),
                               "mutants matrix",
                               "\"mutants\" is missing (expected treesim mutants --json)"));
  }
  return Status::ok();
}

std::string render_markdown(const json& results, const Extras& extras) {
  const std::vector<Bucket> buckets = bucket_failures(results);
  std::string out = "# treesim report\n\n" + string_of(results, "created") + ": " +
                    settings_line(results) + "\n\n## Sweep\n\n" +
                    markdown_table(summary_table(results));
  out += "\n## Failures\n\n";
  if (buckets.empty()) {
    out += "No seed failed.\n";
  } else {
    out += "Bucketed by (class, checker, first differing snapshot field), biggest first.\n\n" +
           markdown_table(failures_table(buckets));
  }
  const json unhit = results["summary"].value("probes_not_hit", json::array());
  out += "\n## Probes\n\n";
  if (!unhit.empty()) {
    out += "Not hit by any seed:";
    for (const json& name : unhit) out += " `" + name.get<std::string>() + "`";
    out += "\n\n";
  }
  out += markdown_table(probes_table(results));
  if (extras.fuzz) out += "\n## Fuzzing\n\n" + markdown_table(fuzz_table(*extras.fuzz));
  if (extras.coverage) {
    out += "\n## Coverage of materializer/\n\n" + markdown_table(coverage_table(*extras.coverage));
  }
  if (extras.mutants) {
    out += "\n## Planted bugs\n\n" + markdown_table(mutants_table(*extras.mutants));
  }
  return out;
}

std::string render_html(const json& results, const Extras& extras) {
  const std::vector<Bucket> buckets = bucket_failures(results);
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>treesim "
      "report</title><style>body{font-family:sans-serif;margin:2em;max-width:1100px}"
      "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;"
      "font-size:13px;text-align:left;vertical-align:top}th{background:#eee}"
      ".bad{color:#c0392b;font-weight:bold}.ok{color:#1e8449;font-weight:bold}</style></head>"
      "<body>\n<h1>treesim report</h1>\n<p>" +
      escape_markup(string_of(results, "created") + ": " + settings_line(results)) + "</p>\n";
  const std::uint64_t failed = uint_of(results["summary"], "failed_count");
  out += failed == 0 ? "<p class=\"ok\">Every seed passed.</p>\n"
                     : "<p class=\"bad\">" + std::to_string(failed) + " seeds failed in " +
                           std::to_string(buckets.size()) + " buckets.</p>\n";
  out += "<h2>Sweep</h2>\n" + html_table(summary_table(results)) + "\n";
  out += "<h3>Seeds over the run (failures in red)</h3>\n" + seeds_chart(results) + "\n";
  out += "<h2>Failures</h2>\n";
  out += buckets.empty() ? "<p>No seed failed.</p>\n"
                         : "<p>Bucketed by (class, checker, first differing snapshot field), "
                           "biggest first.</p>\n" +
                               html_table(failures_table(buckets)) + "\n";
  out += "<h2>Probe hits per materializer path</h2>\n<p>Log scale; a probe no seed hit is red.</p>\n";
  std::vector<Bar> bars;
  for (const ProbeRow& row : probe_rows(results)) {
    bars.push_back({row.name, static_cast<double>(row.hits), std::to_string(row.hits), row.hits == 0});
  }
  out += svg_bars(bars, /*log_scale=*/true) + "\n";
  if (extras.coverage) {
    CoverageRow totals;
    std::vector<Bar> coverage_bars;
    for (const CoverageRow& row : coverage_rows(*extras.coverage, totals)) {
      coverage_bars.push_back({row.file, row.lines,
                               fixed(row.lines, 1) + "% lines, " + fixed(row.branches, 1) + "% br",
                               row.lines < 50});
    }
    out += "<h2>Coverage of materializer/</h2>\n<p>" +
           escape_markup(fixed(totals.lines, 1) + "% of lines and " + fixed(totals.branches, 1) +
                         "% of branches over " + std::to_string(totals.line_count) + " lines") +
           "</p>\n" + svg_bars(coverage_bars, /*log_scale=*/false, 100) + "\n" +
           html_table(coverage_table(*extras.coverage)) + "\n";
  }
  if (extras.fuzz) {
    out += "<h2>Fuzzing</h2>\n" + html_table(fuzz_table(*extras.fuzz)) + "\n";
    std::vector<Bar> rates;
    for (const json& target : (*extras.fuzz)["targets"]) {
      rates.push_back({string_of(target, "name"), number_of(target, "exec_per_second"),
                       fixed(number_of(target, "exec_per_second"), 0) + " exec/s",
                       !target.value("crashes", json::array()).empty()});
    }
    out += "<h3>Executions per second</h3>\n" + svg_bars(rates, /*log_scale=*/true) + "\n";
    const std::string growth = corpus_chart(*extras.fuzz);
    if (!growth.empty()) out += "<h3>Corpus growth</h3>\n" + growth + "\n";
  }
  if (extras.mutants) {
    out += "<h2>Planted bugs</h2>\n" + html_table(mutants_table(*extras.mutants)) + "\n";
  }
  return out + "</body></html>\n";
}

std::string render_junit(const json& results, const Extras& extras) {
  std::string suites;
  std::uint64_t total_tests = 0;
  std::uint64_t total_failures = 0;
  auto add_suite = [&](const std::string& name, const std::vector<std::string>& cases,
                       std::uint64_t failures, double seconds) {
    suites += "  <testsuite name=\"" + escape_markup(name) + "\" tests=\"" +
              std::to_string(cases.size()) + "\" failures=\"" + std::to_string(failures) +
              "\" errors=\"0\" time=\"" + fixed(seconds, 3) + "\">\n";
    for (const std::string& c : cases) suites += c;
    suites += "  </testsuite>\n";
    total_tests += cases.size();
    total_failures += failures;
  };
  auto test_case = [](const std::string& suite, const std::string& name, double seconds,
                      const std::optional<std::pair<std::string, std::string>>& failure) {
    std::string out = "    <testcase classname=\"" + escape_markup(suite) + "\" name=\"" +
                      escape_markup(name) + "\" time=\"" + fixed(seconds, 3) + "\"";
    if (!failure) return out + "/>\n";
    return out + ">\n      <failure message=\"" + escape_markup(failure->first) + "\">" +
           escape_markup(failure->second) + "</failure>\n    </testcase>\n";
  };

  std::vector<std::string> cases;
  std::uint64_t failures = 0;
  for (const json& record : results["seeds"]) {
    std::optional<std::pair<std::string, std::string>> failure;
    if (exit_code_of(record) != 0) {
      ++failures;
      const json f = record.value("failure", json::object());
      failure = std::make_pair(
          string_of(f, "class") + "/" + string_of(f, "checker") + ": " +
              first_line(string_of(f, "message")),
          string_of(f, "message") + "\nprofile: " + string_of(record, "profile") +
              "\nreproduce: " + string_of(record, "reproduce") + "\n");
    }
    cases.push_back(test_case("treesim.sweep", "seed " + string_of(record, "seed"),
                              number_of(record, "seconds"), failure));
  }
  add_suite("treesim.sweep", cases, failures, number_of(results["summary"], "seconds"));

  if (extras.fuzz) {
    cases.clear();
    failures = 0;
    for (const json& target : (*extras.fuzz)["targets"]) {
      const json crashes = target.value("crashes", json::array());
      std::optional<std::pair<std::string, std::string>> failure;
      if (!crashes.empty()) {
        ++failures;
        std::string paths;
        for (const json& path : crashes) paths += path.get<std::string>() + "\n";
        failure = std::make_pair(std::to_string(crashes.size()) + " failing inputs", paths);
      }
      cases.push_back(test_case("treesim.fuzz", string_of(target, "name"),
                                number_of(target, "seconds"), failure));
    }
    add_suite("treesim.fuzz", cases, failures, number_of(*extras.fuzz, "seconds"));
  }
  if (extras.mutants) {
    cases.clear();
    failures = 0;
    double seconds = 0;
    for (const json& m : (*extras.mutants)["mutants"]) {
      std::optional<std::pair<std::string, std::string>> failure;
      if (!m.value("detected", false)) {
        ++failures;
        failure = std::make_pair("survived " + std::to_string(uint_of(m, "seeds_run")) + " seeds",
                                 string_of(m, "description") + "\n");
      }
      seconds += number_of(m, "seconds");
      cases.push_back(test_case("treesim.mutants", string_of(m, "mutant"),
                                number_of(m, "seconds"), failure));
    }
    add_suite("treesim.mutants", cases, failures, seconds);
  }
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"treesim\" tests=\"" +
         std::to_string(total_tests) + "\" failures=\"" + std::to_string(total_failures) +
         "\">\n" + suites + "</testsuites>\n";
}

}  // namespace treesim::report
