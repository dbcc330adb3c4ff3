#include "driver/report_text.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace flopscope::driver {
namespace {

std::string Position(const checkers::Location& location, bool with_column) {
  const ir::SourceRange& r = location.range;
  if (!r.valid()) return location.path;
  if (!with_column || r.col == 0) return absl::StrCat(location.path, ":", r.line);
  return absl::StrCat(location.path, ":", r.line, ":", r.col);
}

// Keeps every report line a single line even if a message carries a newline.
std::string OneLine(absl::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

}  // namespace

std::string TextSummary(const Report& report) {
  std::map<std::string, int> by_rule;
  for (const checkers::Diagnostic& d : report.findings) ++by_rule[d.rule.Code()];
  std::set<std::string> problem_files;
  for (const Notification& n : report.notifications) {
    if (!n.path.empty()) problem_files.insert(n.path);
  }
  size_t count = report.findings.size();
  std::string out =
      count == 0 ? "No findings"
                 : absl::StrCat("Found ", count, count == 1 ? " finding (" : " findings (",
                                absl::StrJoin(by_rule, ", ", absl::PairFormatter(": ")), ")");
  absl::StrAppend(&out, " in ", report.files.size(), report.files.size() == 1 ? " file" : " files");
  if (!problem_files.empty()) {
    absl::StrAppend(&out, "; ", problem_files.size(),
                    problem_files.size() == 1 ? " file had problems" : " files had problems");
  }
  out.push_back('.');
  return out;
}

std::string RenderText(const Report& report, bool with_summary) {
  std::string out;
  for (const checkers::Diagnostic& d : report.findings) {
    const checkers::RuleInfo& rule = report.RuleOf(d);
    absl::StrAppend(&out, Position(d.location, true), ": ", rule.Code(), " ", OneLine(d.message),
                    " [", rule.slug, "]\n");
    for (const checkers::PathStep& step : d.call_path) {
      absl::StrAppend(&out, "    ", Position(step.location, false), ": ", OneLine(step.Text()),
                      "\n");
    }
    for (const checkers::RelatedLocation& rel : d.related) {
      absl::StrAppend(&out, "    ", Position(rel.location, false), ": note: ",
                      OneLine(rel.message), "\n");
    }
    if (!d.help.empty()) absl::StrAppend(&out, "    fix: ", OneLine(d.help), "\n");
  }
  for (const Notification& n : report.notifications) {
    std::string where = n.path.empty() ? "flopscope" : Position({n.path, n.range}, true);
    absl::StrAppend(&out, where, ": ", NotificationLevelName(n.level), ": ", OneLine(n.message),
                    n.id.empty() ? "" : absl::StrCat(" [", n.id, "]"), "\n");
  }
  if (with_summary) absl::StrAppend(&out, TextSummary(report), "\n");
  return out;
}

}  // namespace flopscope::driver
