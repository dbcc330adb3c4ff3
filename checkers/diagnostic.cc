#include "checkers/diagnostic.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace flopscope::checkers {

std::string RuleId::Code() const { return absl::StrFormat("FS%03d", number_); }

absl::string_view SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kCritical:
      return "critical";
    case Severity::kHigh:
      return "high";
    case Severity::kMedium:
      return "medium";
    case Severity::kLow:
      return "low";
  }
  return "medium";
}

Confidence::Level Confidence::level() const {
  if (score >= 0.8) return Level::kHigh;
  if (score >= 0.5) return Level::kMedium;
  return Level::kLow;
}

absl::string_view Confidence::Precision() const {
  if (score >= 0.95) return "very-high";
  if (score >= 0.8) return "high";
  if (score >= 0.5) return "medium";
  return "low";
}

absl::string_view ConfidenceLevelName(Confidence::Level level) {
  switch (level) {
    case Confidence::Level::kHigh:
      return "high";
    case Confidence::Level::kMedium:
      return "medium";
    case Confidence::Level::kLow:
      return "low";
  }
  return "low";
}

std::string PathStep::Text() const {
  if (function.empty()) return message;
  // A module body is not called, so it gets no parentheses.
  if (function == "<module>") return absl::StrCat("in <module>: ", message);
  return absl::StrCat("in ", function, "(): ", message);
}

Diagnostic Diagnostic::For(RuleId rule, Location location) {
  Diagnostic d;
  d.rule = rule;
  d.location = std::move(location);
  return d;
}

Diagnostic& Diagnostic::Message(std::string text) & {
  message = std::move(text);
  return *this;
}
Diagnostic&& Diagnostic::Message(std::string text) && { return std::move(Message(std::move(text))); }

Diagnostic& Diagnostic::Help(std::string text) & {
  help = std::move(text);
  return *this;
}
Diagnostic&& Diagnostic::Help(std::string text) && { return std::move(Help(std::move(text))); }

Diagnostic& Diagnostic::WithConfidence(double score, std::string evidence) & {
  confidence.score = std::clamp(score, 0.0, 1.0);
  confidence.evidence = std::move(evidence);
  return *this;
}
Diagnostic&& Diagnostic::WithConfidence(double score, std::string evidence) && {
  return std::move(WithConfidence(score, std::move(evidence)));
}

Diagnostic& Diagnostic::LogicalLocation(std::string qualified_name) & {
  logical_location = std::move(qualified_name);
  return *this;
}
Diagnostic&& Diagnostic::LogicalLocation(std::string qualified_name) && {
  return std::move(LogicalLocation(std::move(qualified_name)));
}

Diagnostic& Diagnostic::Step(Location location, std::string function, std::string message) & {
  call_path.push_back({std::move(location), std::move(function), std::move(message)});
  return *this;
}
Diagnostic&& Diagnostic::Step(Location location, std::string function, std::string message) && {
  return std::move(Step(std::move(location), std::move(function), std::move(message)));
}

Diagnostic& Diagnostic::Related(Location location, std::string message) & {
  related.push_back({std::move(location), std::move(message)});
  return *this;
}
Diagnostic&& Diagnostic::Related(Location location, std::string message) && {
  return std::move(Related(std::move(location), std::move(message)));
}

namespace {

auto SortKey(const Diagnostic& d) {
  const ir::SourceRange& r = d.location.range;
  return std::tie(d.location.path, r.line, r.col, r.end_line, r.end_col);
}

}  // namespace

bool DiagnosticLess(const Diagnostic& a, const Diagnostic& b) {
  if (SortKey(a) != SortKey(b)) return SortKey(a) < SortKey(b);
  if (a.rule != b.rule) return a.rule < b.rule;
  return a.message < b.message;
}

DiagnosticSink::DiagnosticSink(std::function<bool(RuleId)> enabled)
    : enabled_(std::move(enabled)) {}

void DiagnosticSink::Report(Diagnostic diagnostic) {
  if (enabled_ && !enabled_(diagnostic.rule)) return;
  std::lock_guard<std::mutex> lock(mu_);
  diagnostics_.push_back(std::move(diagnostic));
}

std::vector<Diagnostic> DiagnosticSink::Take() {
  std::vector<Diagnostic> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    out.swap(diagnostics_);
  }
  // stable_sort: when two checkers (or two contexts of one checker) report the same site, the
  // first report, which usually carries the shorter path, is the one kept.
  std::stable_sort(out.begin(), out.end(), DiagnosticLess);
  auto same_finding = [](const Diagnostic& a, const Diagnostic& b) {
    return a.rule == b.rule && a.location == b.location && a.message == b.message;
  };
  out.erase(std::unique(out.begin(), out.end(), same_finding), out.end());
  return out;
}

}  // namespace flopscope::checkers
