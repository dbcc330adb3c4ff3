#include "driver/report_json.h"

#include <map>

#include "absl/strings/str_cat.h"

namespace flopscope::driver {

using json::Value;

namespace {

// {path, line, column, end_line, end_column}; positions are omitted when unknown.
void SetLocation(Value& out, const checkers::Location& location) {
  out.Set("path", location.path);
  const ir::SourceRange& r = location.range;
  if (!r.valid()) return;
  out.Set("line", r.line);
  out.Set("column", r.col);
  out.Set("end_line", r.end_line);
  out.Set("end_column", r.end_col);
}

Value Finding(const Report& report, const checkers::Diagnostic& d) {
  const checkers::RuleInfo& rule = report.RuleOf(d);
  Value f = Value::Object();
  f.Set("rule", rule.Code());
  f.Set("slug", rule.slug);
  f.Set("severity", checkers::SeverityName(rule.severity));
  Value confidence = Value::Object();
  confidence.Set("score", d.confidence.score);
  confidence.Set("level", checkers::ConfidenceLevelName(d.confidence.level()));
  confidence.Set("evidence", d.confidence.evidence);
  f.Set("confidence", std::move(confidence));
  SetLocation(f, d.location);
  f.Set("function", d.logical_location);
  f.Set("message", d.message);
  f.Set("fix", d.help);
  Value path = Value::Array();
  for (const checkers::PathStep& step : d.call_path) {
    Value s = Value::Object();
    SetLocation(s, step.location);
    s.Set("function", step.function);
    s.Set("message", step.message);
    s.Set("text", step.Text());
    path.Push(std::move(s));
  }
  f.Set("call_path", std::move(path));
  Value related = Value::Array();
  for (const checkers::RelatedLocation& rel : d.related) {
    Value r = Value::Object();
    SetLocation(r, rel.location);
    r.Set("message", rel.message);
    related.Push(std::move(r));
  }
  f.Set("related", std::move(related));
  return f;
}

}  // namespace

Value BuildJsonReport(const Report& report) {
  Value findings = Value::Array();
  std::map<std::string, int> by_rule;
  for (const checkers::Diagnostic& d : report.findings) {
    findings.Push(Finding(report, d));
    ++by_rule[d.rule.Code()];
  }
  Value notifications = Value::Array();
  for (const Notification& n : report.notifications) {
    Value v = Value::Object();
    v.Set("level", NotificationLevelName(n.level));
    v.Set("kind", n.id);
    SetLocation(v, checkers::Location{n.path, n.range});
    v.Set("message", n.message);
    notifications.Push(std::move(v));
  }
  Value summary = Value::Object();
  summary.Set("files", report.files.size());
  summary.Set("findings", report.findings.size());
  summary.Set("suppressed", report.suppressed.size());
  summary.Set("notifications", report.notifications.size());
  Value counts = Value::Object();
  for (const auto& [code, count] : by_rule) counts.Set(code, count);
  summary.Set("by_rule", std::move(counts));

  Value out = Value::Object();
  out.Set("version", kJsonReportVersion);
  out.Set("tool", "flopscope");
  out.Set("findings", std::move(findings));
  out.Set("notifications", std::move(notifications));
  out.Set("summary", std::move(summary));
  return out;
}

std::string RenderJson(const Report& report) {
  return absl::StrCat(BuildJsonReport(report).Serialize(2), "\n");
}

}  // namespace flopscope::driver
