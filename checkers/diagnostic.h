// What a checker reports: one Diagnostic per finding, carrying everything every output format
// needs (text, JSON, SARIF): the rule, the primary location, the message and fix, how confident
// flopscope is and what that rests on, the call path from the reported line to the fact's origin,
// related locations, and a logical location (function qualified name) for stable fingerprints.
//
// Checkers build Diagnostics and hand them to a DiagnosticSink; the driver takes the sorted,
// de-duplicated list from the sink and renders it. Severity and slug are not stored here: they
// belong to the rule and are looked up in the checkers::Registry by the output code.
//
// Users: every checker (reporting), driver/report_*.cc and driver/sarif.cc (rendering).
#ifndef FLOPSCOPE_CHECKERS_DIAGNOSTIC_H_
#define FLOPSCOPE_CHECKERS_DIAGNOSTIC_H_

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "ir/ir.h"

namespace flopscope::checkers {

// A rule's number: FS101 is RuleId(101). Every rule listed in checkers/rules.def also gets a
// named constant, RuleId::kFS101, so checkers cannot report a code that is not registered.
class RuleId {
 public:
  constexpr RuleId() = default;
  constexpr explicit RuleId(int number) : number_(number) {}
  constexpr int number() const { return number_; }
  constexpr bool valid() const { return number_ > 0; }
  // "FS101".
  std::string Code() const;
  friend constexpr bool operator==(RuleId a, RuleId b) { return a.number_ == b.number_; }
  friend constexpr bool operator!=(RuleId a, RuleId b) { return a.number_ != b.number_; }
  friend constexpr bool operator<(RuleId a, RuleId b) { return a.number_ < b.number_; }

#define FS_RULE(code, name, slug, severity, summary) static const RuleId kFS##code;
#include "checkers/rules.def"
#undef FS_RULE

 private:
  int number_ = 0;
};

#define FS_RULE(code, name, slug, severity, summary) \
  inline constexpr RuleId RuleId::kFS##code = RuleId(code);
#include "checkers/rules.def"
#undef FS_RULE

// The catalog's severity of the anti-pattern (how much compute or memory it wastes), not how sure
// flopscope is about one finding: that is Confidence.
enum class Severity : uint8_t { kCritical, kHigh, kMedium, kLow };

// "critical", "high", "medium", "low".
absl::string_view SeverityName(Severity severity);

// How sure flopscope is that one finding is real, and what the judgement rests on ("model
// identified from the from_pretrained call", "parameter typed from use: .register_forward_hook").
struct Confidence {
  enum class Level : uint8_t { kHigh, kMedium, kLow };

  double score = 1.0;    // 0..1
  std::string evidence;  // short, lowercase, no trailing period

  // high >= 0.8 > medium >= 0.5 > low.
  Level level() const;
  // SARIF/CodeQL precision word: very-high >= 0.95 > high >= 0.8 > medium >= 0.5 > low.
  absl::string_view Precision() const;
};

// "high", "medium", "low".
absl::string_view ConfidenceLevelName(Confidence::Level level);

// A place in a source file. `path` is the module's path as the driver recorded it (relative to the
// working directory or absolute); `range` uses the IR's 1-based line and UTF-8 byte columns.
struct Location {
  std::string path;
  ir::SourceRange range;

  friend bool operator==(const Location& a, const Location& b) {
    return a.path == b.path && a.range.line == b.range.line && a.range.col == b.range.col &&
           a.range.end_line == b.range.end_line && a.range.end_col == b.range.end_col;
  }
};

// One step of a finding's explanation: where, in which function, and what happens there
// ("calls models.load()", "model loaded from `gpt2-xl` here").
struct PathStep {
  Location location;
  std::string function;  // display name of the enclosing function ("layer_sweep"); may be empty
  std::string message;

  // "in layer_sweep(): calls models.load()", or just the message when no function is known.
  std::string Text() const;
};

// A location that helps understand the finding without being on its path (the first load for
// FS103, the loop header for FS101).
struct RelatedLocation {
  Location location;
  std::string message;
};

struct Diagnostic {
  RuleId rule;
  Location location;
  std::string message;  // what is wrong here; offending names in backticks; no trailing period
  std::string help;     // the fix, one line
  Confidence confidence;
  // The qualified name of the function holding the primary location ("pkg.models.load"), or the
  // module name at top level. Fingerprints use it instead of line numbers.
  std::string logical_location;
  // From the reported line to the fact's origin. Empty when the finding is local.
  std::vector<PathStep> call_path;
  std::vector<RelatedLocation> related;

  // Fluent construction for checkers:
  //   sink.Report(Diagnostic::For(RuleId::kFS101, loc).Message(...).Help(...).Step(...));
  static Diagnostic For(RuleId rule, Location location);
  Diagnostic& Message(std::string text) &;
  Diagnostic&& Message(std::string text) &&;
  Diagnostic& Help(std::string text) &;
  Diagnostic&& Help(std::string text) &&;
  Diagnostic& WithConfidence(double score, std::string evidence) &;
  Diagnostic&& WithConfidence(double score, std::string evidence) &&;
  Diagnostic& LogicalLocation(std::string qualified_name) &;
  Diagnostic&& LogicalLocation(std::string qualified_name) &&;
  Diagnostic& Step(Location location, std::string function, std::string message) &;
  Diagnostic&& Step(Location location, std::string function, std::string message) &&;
  Diagnostic& Related(Location location, std::string message) &;
  Diagnostic&& Related(Location location, std::string message) &&;
};

// Total order used for output: path, line, column, rule, message.
bool DiagnosticLess(const Diagnostic& a, const Diagnostic& b);

// Collects diagnostics from checkers. Report may be called from several threads at once.
class DiagnosticSink {
 public:
  // Keeps only diagnostics whose rule passes `enabled` (all when empty): --select/--ignore apply
  // even to a checker that reports more than one rule.
  explicit DiagnosticSink(std::function<bool(RuleId)> enabled = {});

  void Report(Diagnostic diagnostic);

  // Everything reported so far, sorted by DiagnosticLess, exact duplicates (same rule, location
  // and message) removed; the sink is empty afterwards.
  std::vector<Diagnostic> Take();

 private:
  std::function<bool(RuleId)> enabled_;
  std::mutex mu_;
  std::vector<Diagnostic> diagnostics_;
};

}  // namespace flopscope::checkers

#endif  // FLOPSCOPE_CHECKERS_DIAGNOSTIC_H_
