#include "driver/commands.h"

#include <chrono>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "checkers/registry.h"
#include "driver/config.h"
#include "driver/output.h"
#include "driver/report_text.h"
#include "ir/passes.h"

namespace flopscope::driver {
namespace {

PipelineOptions PipelineOptionsFrom(const Options& options) {
  PipelineOptions pipeline_options;
  pipeline_options.discover.root = options.root;
  pipeline_options.jobs = options.jobs;
  pipeline_options.verify_ir = options.verify_ir;
  return pipeline_options;
}

void PrintNotifications(const std::vector<ir::Problem>& problems, std::ostream& err) {
  for (const ir::Problem& problem : problems) err << FormatNotification(problem) << '\n';
}

double Milliseconds(std::chrono::nanoseconds duration) {
  return std::chrono::duration<double, std::milli>(duration).count();
}

}  // namespace

std::string FormatNotification(const ir::Problem& problem) {
  if (!problem.range.valid()) return absl::StrCat(problem.path, ": note: ", problem.message);
  return absl::StrCat(problem.path, ":", problem.range.line, ":", problem.range.col,
                      ": note: ", problem.message);
}

std::string FormatStats(const PipelineStats& stats) {
  std::string text = absl::StrFormat(
      "files:      %d found, %d analyzed\n"
      "lines:      %d (%.1f MiB)\n"
      "functions:  %d\n"
      "call edges: %d in-repo, %d to external or builtin names\n"
      "%-11s %12s %12s\n",
      stats.files_found, stats.files_analyzed, stats.lines,
      static_cast<double>(stats.bytes) / (1 << 20), stats.functions, stats.call_edges,
      stats.external_calls, "phase", "wall ms", "busy ms");
  std::chrono::nanoseconds parse_only{0};
  for (const PhaseStat& phase : stats.phases) {
    absl::StrAppendFormat(&text, "%-11s %12.1f %12.1f\n", phase.name, Milliseconds(phase.wall),
                          Milliseconds(phase.busy));
    if (phase.name == "discover" || phase.name == "read" || phase.name == "parse") {
      parse_only += phase.wall;
    }
  }
  const std::chrono::nanoseconds total = stats.TotalWall();
  absl::StrAppendFormat(&text, "%-11s %12.1f\n", "total", Milliseconds(total));
  const double ratio =
      parse_only.count() > 0 ? static_cast<double>(total.count()) / parse_only.count() : 0.0;
  absl::StrAppendFormat(&text, "parse-only (discover+read+parse): %.1f ms; total/parse-only: %.2fx\n",
                        Milliseconds(parse_only), ratio);
  return text;
}

absl::StatusOr<int> RunCheck(const Options& options, std::ostream& out, std::ostream& err) {
  // Bad --format/--select/--ignore values fail before any file is read.
  const absl::StatusOr<OutputFormat> format = ParseOutputFormat(options.format);
  if (!format.ok()) return format.status();
  ProjectConfig config;
  if (!options.no_config) {
    absl::StatusOr<ProjectConfig> loaded = LoadProjectConfig(options.paths, options.config);
    if (!loaded.ok()) return loaded.status();
    config = *std::move(loaded);
  }
  // The command line wins over the configuration for `select`; `ignore` lists add up.
  const std::vector<std::string> select =
      !options.select.empty() ? options.select : config.select.value_or(options.select);
  std::vector<std::string> ignore = config.ignore;
  ignore.insert(ignore.end(), options.ignore.begin(), options.ignore.end());
  const absl::StatusOr<std::vector<const checkers::RuleInfo*>> rules =
      checkers::Registry::Default().Select(select, ignore);
  if (!rules.ok()) {
    if (config.path.empty()) return rules.status();
    return absl::Status(rules.status().code(),
                        absl::StrCat(rules.status().message(), " (settings from ", config.path,
                                     " and the command line)"));
  }

  PipelineOptions pipeline_options = PipelineOptionsFrom(options);
  pipeline_options.discover.exclude = config.exclude;
  pipeline_options.discover.exclude_base = config.base_dir;
  Pipeline pipeline(std::move(pipeline_options));
  if (absl::Status status = pipeline.Run(options.paths); !status.ok()) return status;
  const std::vector<ir::Problem> notifications = pipeline.Notifications();
  PrintNotifications(notifications, err);

  // The dataflow analysis is built once, as its own phase, and shared by every checker.
  // Deliberately never destroyed: the process exits right after this command, and freeing the
  // analysis (millions of small contexts, cells and values) took about 5% of a large run. Only
  // the check command does this; the context holds nothing that must be flushed or closed.
  checkers::CheckContext& ctx = *new checkers::CheckContext(
      pipeline.program(), pipeline.resolver(), pipeline.call_graph());
  if (!rules->empty()) pipeline.RunPhase("dataflow", [&] { ctx.analysis(); });
  Report report = pipeline.RunPhase(
      "checkers", [&] { return BuildReport(pipeline, ctx, *rules, options.root.value_or("")); });
  const size_t finding_count = report.findings.size();
  // Text goes to the terminal with the summary line below; notifications are already on `err`.
  // JSON and SARIF are documents: stdout carries nothing else, so the summary moves to `err`.
  std::ostream& summary_out = *format == OutputFormat::kText ? out : err;
  if (*format == OutputFormat::kText) {
    report.notifications.clear();
    const std::string text = RenderText(report, /*with_summary=*/false);
    if (options.output.empty()) {
      out << text;
    } else if (absl::Status status = WriteReport(report, *format, options.output, out);
               !status.ok()) {
      return status;
    }
  } else if (absl::Status status = WriteReport(report, *format, options.output, out);
             !status.ok()) {
    return status;
  }

  if (options.list_files) {
    for (const DiscoveredFile& file : pipeline.analyzed_files()) {
      summary_out << "analyzed " << file.module_name << ' ' << file.path << '\n';
    }
  }
  const PipelineStats& stats = pipeline.stats();
  summary_out << absl::StrFormat(
      "flopscope: %d files analyzed (%d found), %d functions, %d call edges, %d notifications, "
      "%d findings%s\n",
      stats.files_analyzed, stats.files_found, stats.functions, stats.call_edges,
      notifications.size(), finding_count,
      report.suppressed.empty() ? ""
                                : absl::StrFormat(" (%d suppressed in the source)",
                                                  report.suppressed.size()));
  if (options.stats) summary_out << FormatStats(stats);
  return finding_count > 0 ? 1 : 0;
}

absl::StatusOr<int> RunIr(const Options& options, std::ostream& out, std::ostream& err) {
  if (options.paths.size() != 1) {
    return absl::InvalidArgumentError("ir takes exactly one file");
  }
  Pipeline pipeline(PipelineOptionsFrom(options));
  if (absl::Status status = pipeline.Run(options.paths); !status.ok()) return status;
  PrintNotifications(pipeline.Notifications(), err);
  if (pipeline.discovered_file_count() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(options.paths[0], " is not a Python file (ir takes one file)"));
  }
  if (pipeline.program().modules().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(options.paths[0], " could not be analyzed"));
  }
  out << ir::PrintModule(pipeline.program(), ir::ModuleId(0));
  return 0;
}

absl::StatusOr<int> RunCallGraph(const Options& options, std::ostream& out, std::ostream& err) {
  if (options.graph_format != "json" && options.graph_format != "dot") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown call graph format `", options.graph_format, "` (json or dot)"));
  }
  Pipeline pipeline(PipelineOptionsFrom(options));
  if (absl::Status status = pipeline.Run(options.paths); !status.ok()) return status;
  PrintNotifications(pipeline.Notifications(), err);
  out << (options.graph_format == "json" ? pipeline.call_graph().ToJson()
                                         : pipeline.call_graph().ToDot());
  return 0;
}

absl::StatusOr<int> RunCommand(const Options& options, std::ostream& out, std::ostream& err) {
  switch (options.command) {
    case Options::Command::kCheck:
      return RunCheck(options, out, err);
    case Options::Command::kIr:
      return RunIr(options, out, err);
    case Options::Command::kCallGraph:
      return RunCallGraph(options, out, err);
    case Options::Command::kFacts:
      return RunFacts(options, out, err);
    case Options::Command::kRule:
      return RunRuleCommand(checkers::Registry::Default(), options.rule, options.all_rules, out);
  }
  return absl::InternalError("unknown command");
}

}  // namespace flopscope::driver
