// The input every output format renders: the findings of one run, the problems met while reading
// and parsing (notifications, never findings), the analysis root and access to the analyzed files'
// text (SARIF needs it for UTF-16 columns and line hashes).
//
// Users: the driver's pipeline builds a Report; driver/report_text.cc, report_json.cc and
// sarif.cc render it.
#ifndef FLOPSCOPE_DRIVER_REPORT_H_
#define FLOPSCOPE_DRIVER_REPORT_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "checkers/diagnostic.h"
#include "checkers/registry.h"
#include "ir/ir.h"

namespace flopscope::driver {

// A problem with the run that is not a finding: a file that could not be read, a syntax error.
struct Notification {
  enum class Level : uint8_t { kError, kWarning, kNote };
  Level level = Level::kWarning;
  std::string id;  // stable kind: "syntax-error", "unreadable-file", "not-utf8", ...
  std::string path;         // may be empty for problems not tied to a file
  ir::SourceRange range;    // may be invalid (whole file)
  std::string message;

  // The notification for a frontend/driver Problem: syntax errors and too-deep nesting are
  // warnings (the rest of the file is still analyzed), unreadable or non-UTF-8 files are errors.
  static Notification FromProblem(const ir::Problem& problem);
};

// "error", "warning", "note".
absl::string_view NotificationLevelName(Notification::Level level);

struct Report {
  // Rule metadata (slug, severity, summary, index); every finding's rule must be in it.
  const checkers::Registry* registry = &checkers::Registry::Default();
  std::vector<checkers::Diagnostic> findings;  // sorted (checkers::DiagnosticLess)
  // Findings on a line whose comment suppresses their rule (`# noqa: FS401`): not reported as
  // findings; SARIF keeps them as results with an inSource suppression so dashboards can audit
  // them. Sorted like `findings`.
  std::vector<checkers::Diagnostic> suppressed;
  std::vector<Notification> notifications;
  // Absolute directory that SARIF URIs are relative to (%SRCROOT%); "" means the current
  // working directory.
  std::string root;
  // Every analyzed file, as the diagnostics name it (SARIF run.artifacts).
  std::vector<std::string> files;
  // File text by path, as the diagnostics name it. Files not listed here are read from disk when
  // needed; when neither works, columns stay UTF-8 byte columns and no line hash is emitted.
  std::map<std::string, std::string, std::less<>> sources;

  // The rule of `diagnostic` (FS_CHECK that it is registered).
  const checkers::RuleInfo& RuleOf(const checkers::Diagnostic& diagnostic) const;
};

// Text of analyzed files for one rendering: Report::sources first, then the file on disk (a
// relative path is taken relative to the working directory). Results are cached.
class SourceTexts {
 public:
  explicit SourceTexts(const Report& report) : report_(report) {}
  // The file's text, or nullptr when it is neither in the report nor readable.
  const std::string* Get(absl::string_view path);

 private:
  const Report& report_;
  std::map<std::string, std::optional<std::string>, std::less<>> cache_;
};

// Line `line` (1-based) of `text` without its line terminator ("\n", "\r\n" or "\r"); empty
// when out of range.
absl::string_view LineOf(absl::string_view text, uint32_t line);

}  // namespace flopscope::driver

#endif  // FLOPSCOPE_DRIVER_REPORT_H_
