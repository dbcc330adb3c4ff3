#include "driver/output.h"

#include <fstream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "checkers/check_context.h"
#include "dataflow/analysis.h"
#include "driver/report_json.h"
#include "driver/report_text.h"
#include "driver/rules_doc.h"
#include "driver/sarif.h"

namespace flopscope::driver {

absl::StatusOr<OutputFormat> ParseOutputFormat(absl::string_view name) {
  std::string lower = absl::AsciiStrToLower(name);
  if (lower == "text") return OutputFormat::kText;
  if (lower == "json") return OutputFormat::kJson;
  if (lower == "sarif") return OutputFormat::kSarif;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown output format '", name, "' (text, json or sarif)"));
}

std::string RenderReport(const Report& report, OutputFormat format) {
  switch (format) {
    case OutputFormat::kText:
      return RenderText(report);
    case OutputFormat::kJson:
      return RenderJson(report);
    case OutputFormat::kSarif:
      return RenderSarif(report);
  }
  return RenderText(report);
}

absl::Status WriteReport(const Report& report, OutputFormat format,
                         const std::string& output_path, std::ostream& out) {
  std::string text = RenderReport(report, format);
  if (output_path.empty()) {
    out << text;
    out.flush();
    return out ? absl::OkStatus() : absl::InternalError("cannot write the report to stdout");
  }
  std::ofstream file(output_path, std::ios::binary | std::ios::trunc);
  if (!file) return absl::InvalidArgumentError(absl::StrCat("cannot open ", output_path));
  file << text;
  file.close();
  if (!file) return absl::InvalidArgumentError(absl::StrCat("cannot write ", output_path));
  return absl::OkStatus();
}

namespace {

// Moves each finding whose reported line carries a suppression comment for its rule to
// report.suppressed. Only the primary location counts: a comment on a line of the call path does
// not hide the finding, since the fix belongs where the finding is.
void SplitSuppressed(const ir::Program& program, std::vector<checkers::Diagnostic> findings,
                     Report& report) {
  absl::flat_hash_map<absl::string_view, const std::vector<ir::Suppression>*> by_path;
  for (const ir::Module& module : program.modules()) {
    if (!module.suppressions.empty()) by_path[module.path] = &module.suppressions;
  }
  for (checkers::Diagnostic& d : findings) {
    bool suppressed = false;
    if (auto it = by_path.find(d.location.path); it != by_path.end()) {
      for (const ir::Suppression& s : *it->second) {
        if (s.line == d.location.range.line && s.Covers(d.rule.Code())) {
          suppressed = true;
          break;
        }
      }
    }
    (suppressed ? report.suppressed : report.findings).push_back(std::move(d));
  }
}

}  // namespace

Report BuildReport(const Pipeline& pipeline, const checkers::CheckContext& ctx,
                   const std::vector<const checkers::RuleInfo*>& rules, const std::string& root) {
  Report report;
  SplitSuppressed(ctx.program(), checkers::RunCheckers(rules, ctx), report);
  for (const DiscoveredFile& file : pipeline.analyzed_files()) report.files.push_back(file.path);
  for (const ir::Problem& problem : pipeline.Notifications()) {
    report.notifications.push_back(Notification::FromProblem(problem));
  }
  // Where the analysis gave up (work budget spent), findings may be missing: say so. Only when
  // rules ran, since otherwise nothing asked for the analysis and it was never built.
  if (!rules.empty()) {
    for (const dataflow::Notification& problem : ctx.analysis().notifications()) {
      Notification n;
      n.level = Notification::Level::kWarning;
      n.id = "analysis-incomplete";
      if (problem.fn.valid()) {
        const ir::Function& fn = ctx.program().function(problem.fn);
        n.path = ctx.program().module(fn.module).path;
        n.range = fn.range;
      }
      n.message = problem.message;
      report.notifications.push_back(std::move(n));
    }
  }
  report.root = root;
  return report;
}

absl::StatusOr<int> RunRuleCommand(const checkers::Registry& registry,
                                   absl::string_view code_or_slug, bool all, std::ostream& out) {
  if (all || code_or_slug.empty()) {
    out << RuleListing(registry);
    return 0;
  }
  absl::StatusOr<std::string> page = RuleDocumentation(registry, code_or_slug);
  if (!page.ok()) return page.status();
  out << *page;
  return 0;
}

}  // namespace flopscope::driver
