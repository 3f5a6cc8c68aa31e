// The benchmark driver: runs every registered benchmark with gbench's normal
// reporter, records each benchmark's ns/op, and then prints the "ratios"
// table: each candidate beside the baseline it was measured against in this
// same run, with its target and whether the target is met. Targets are
// reported, never asserted: the exit status does not depend on them.
//
//   tensormem_bench [--smoke] [gbench flags...]
//
// --smoke runs everything with a tiny minimum time (CI keeps the benchmarks
// working with it; the numbers it prints mean little). Every other flag goes
// to gbench, e.g. --benchmark_filter=mixed --benchmark_repetitions=3
// --benchmark_report_aggregates_only=true.
//
// ns/op is the wall-clock time per iteration: with repetitions, the median
// of the repetitions; otherwise the single run's figure. A row whose
// candidate or baseline did not run (filtered out, or failed) is skipped.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "bench_support.hpp"

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double median_of(std::vector<double> values) {
  if (values.empty()) return kNaN;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 != 0 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

// What one benchmark measured, from its iteration runs and/or aggregates.
struct Measurement {
  std::vector<double> run_ns;                              // one per repetition reported
  std::map<std::string, std::vector<double>> run_counters;  // likewise
  double median_ns = kNaN;                                 // from the "median" aggregate
  std::map<std::string, double> median_counters;
  std::int64_t repetitions = 0;

  [[nodiscard]] bool ran() const { return !run_ns.empty() || !std::isnan(median_ns); }
  [[nodiscard]] double ns() const { return std::isnan(median_ns) ? median_of(run_ns) : median_ns; }
  [[nodiscard]] double counter(const std::string& name) const {
    if (const auto it = median_counters.find(name); it != median_counters.end()) return it->second;
    if (const auto it = run_counters.find(name); it != run_counters.end()) return median_of(it->second);
    return kNaN;
  }
};

// Forwards everything to the reporter gbench would have used (console by
// default, or whatever --benchmark_format asks for) and records ns/op.
class RecordingReporter : public benchmark::BenchmarkReporter {
 public:
  explicit RecordingReporter(benchmark::BenchmarkReporter* inner) : inner_(inner) {}

  bool ReportContext(const Context& context) override { return inner_->ReportContext(context); }

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) record(run);
    inner_->ReportRuns(runs);
  }

  void Finalize() override { inner_->Finalize(); }

  [[nodiscard]] const Measurement* find(const std::string& name) const {
    const auto it = measurements_.find(name);
    return it != measurements_.end() && it->second.ran() ? &it->second : nullptr;
  }

 private:
  void record(const Run& run) {
    if (run.error_occurred) return;
    // function_name: the registered name, without "/real_time" and friends.
    Measurement& m = measurements_[run.run_name.function_name];
    const double ns = run.GetAdjustedRealTime() * (1e9 / benchmark::GetTimeUnitMultiplier(run.time_unit));
    if (run.run_type == Run::RT_Iteration) {
      m.run_ns.push_back(ns);
      for (const auto& [name, counter] : run.counters) m.run_counters[name].push_back(counter.value);
      m.repetitions = std::max<std::int64_t>(m.repetitions, static_cast<std::int64_t>(m.run_ns.size()));
    } else if (run.aggregate_name == "median") {
      m.median_ns = ns;
      for (const auto& [name, counter] : run.counters) m.median_counters[name] = counter.value;
      m.repetitions = std::max<std::int64_t>(m.repetitions, static_cast<std::int64_t>(run.iterations));
    }
  }

  benchmark::BenchmarkReporter* inner_;
  std::map<std::string, Measurement> measurements_;
};

// ---- the ratios table ------------------------------------------------------------------

std::string format_ns(double ns) { return ns < 10 ? fmt::format("{:.2f}", ns) : fmt::format("{:.1f}", ns); }

std::string format_target(const tmbench::Comparison& row) {
  std::string text;
  if (row.max_candidate_ns > 0) text = fmt::format("<= {:g} ns", row.max_candidate_ns);
  if (row.min_ratio > 0) {
    if (!text.empty()) text += " and ";
    text += fmt::format("{} {:g}x", row.strict_ratio ? ">" : ">=", row.min_ratio);
  }
  return text.empty() ? "(informative)" : text;
}

bool meets(const tmbench::Comparison& row, double candidate_ns, double ratio) {
  if (row.max_candidate_ns > 0 && !(candidate_ns <= row.max_candidate_ns)) return false;
  if (row.min_ratio > 0 && !(row.strict_ratio ? ratio > row.min_ratio : ratio >= row.min_ratio)) return false;
  return true;
}

bool has_target(const tmbench::Comparison& row) { return row.max_candidate_ns > 0 || row.min_ratio > 0; }

// Prints rows as a markdown table with padded columns (plain text that
// pastes straight into markdown).
void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<bool>& right_aligned, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    width[c] = std::max<std::size_t>(header[c].size(), 3);
    for (const auto& row : rows) width[c] = std::max(width[c], row[c].size());
  }
  const auto print_row = [&](const std::vector<std::string>& cells) {
    out << '|';
    for (std::size_t c = 0; c < cells.size(); ++c) {
      out << ' ' << (right_aligned[c] ? fmt::format("{:>{}}", cells[c], width[c]) : fmt::format("{:<{}}", cells[c], width[c]))
          << " |";
    }
    out << '\n';
  };
  print_row(header);
  out << '|';
  for (std::size_t c = 0; c < header.size(); ++c) {
    out << ' ' << std::string(width[c] - 1, '-') << (right_aligned[c] ? ':' : '-') << " |";
  }
  out << '\n';
  for (const auto& row : rows) print_row(row);
}

std::string statistic_text(const Measurement& m) {
  return m.repetitions > 1 ? fmt::format("median of {}", m.repetitions) : std::string("1 run");
}

void print_ratios(std::ostream& out, const RecordingReporter& recorded) {
  std::vector<std::vector<std::string>> rows;
  int met = 0;
  int missed = 0;
  for (const tmbench::Comparison& row : tmbench::comparisons()) {
    const Measurement* candidate = recorded.find(row.candidate);
    const Measurement* baseline = recorded.find(row.baseline);
    if (candidate == nullptr || baseline == nullptr) continue;  // filtered out or failed
    const double cand_ns = candidate->ns();
    const double base_ns = baseline->ns();
    const double ratio = base_ns / cand_ns;
    std::string verdict = "-";
    if (has_target(row)) {
      const bool ok = meets(row, cand_ns, ratio);
      verdict = ok ? "yes" : "NO";
      ++(ok ? met : missed);
    }
    rows.push_back({row.candidate, row.baseline, format_ns(cand_ns), format_ns(base_ns), fmt::format("{:.2f}", ratio),
                    format_target(row), verdict, statistic_text(*candidate)});
  }

  std::vector<std::vector<std::string>> counter_rows;
  for (const tmbench::CounterCheck& check : tmbench::counter_checks()) {
    const Measurement* m = recorded.find(check.benchmark);
    if (m == nullptr) continue;
    const double value = m->counter(check.counter);
    if (std::isnan(value)) continue;
    std::string verdict = "-";
    if (check.max_value) {
      const bool ok = value <= *check.max_value;
      verdict = ok ? "yes" : "NO";
      ++(ok ? met : missed);
    }
    counter_rows.push_back({check.benchmark, check.counter, fmt::format("{:.3f}", value),
                            check.max_value ? fmt::format("<= {:g}", *check.max_value) : "(informative)", verdict});
  }
  if (rows.empty() && counter_rows.empty()) return;

  out << '\n'
      << "ratios (" << tmbench::kPlatform
      << "): ratio = baseline ns/op / candidate ns/op; >1 means the candidate is faster than its baseline\n\n";
  if (!rows.empty()) {
    print_table(out, {"candidate", "baseline", "cand ns/op", "base ns/op", "ratio", "target", "met?", "ns/op is"},
                {false, false, true, true, true, false, false, false}, rows);
  }
  if (!counter_rows.empty()) {
    if (!rows.empty()) out << '\n';
    print_table(out, {"benchmark", "counter", "value", "target", "met?"}, {false, false, true, false, false},
                counter_rows);
  }
  out << '\n' << "targets met: " << met << ", missed: " << missed << " (reported, not enforced)\n";
}

}  // namespace

int main(int argc, char** argv) {
  // --smoke: strip it and put a tiny minimum time in front of the caller's
  // flags (a later --benchmark_min_time still wins). gbench 1.7.1 takes the
  // minimum time as a double, in seconds.
  static char smoke_min_time[] = "--benchmark_min_time=0.01";
  std::vector<char*> args;
  args.reserve(static_cast<std::size_t>(argc) + 1);
  bool smoke = false;
  bool console = true;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i > 0 && arg == "--smoke") {
      smoke = true;
      continue;
    }
    if (arg.substr(0, 19) == "--benchmark_format=" && arg != "--benchmark_format=console") console = false;
    args.push_back(argv[i]);
  }
  if (smoke) args.insert(args.begin() + 1, smoke_min_time);
  int args_count = static_cast<int>(args.size());
  args.push_back(nullptr);

  benchmark::Initialize(&args_count, args.data());
  if (benchmark::ReportUnrecognizedArguments(args_count, args.data())) return 1;

  RecordingReporter reporter(benchmark::CreateDefaultDisplayReporter());
  benchmark::RunSpecifiedBenchmarks(&reporter);
  std::cout.flush();
  // With --benchmark_format=json or csv, stdout is machine-readable: the
  // table goes to stderr instead.
  print_ratios(console ? std::cout : std::cerr, reporter);
  (console ? std::cout : std::cerr).flush();
  benchmark::Shutdown();
  return 0;
}
