// Shared fixtures for the output-format tests: a test-only rule table (so the formats are tested
// independently of which rules rules.def lists) and a small two-file project with findings.
#ifndef FLOPSCOPE_TESTS_DRIVER_OUTPUT_TEST_UTIL_H_
#define FLOPSCOPE_TESTS_DRIVER_OUTPUT_TEST_UTIL_H_

#include <string>
#include <vector>

#include "checkers/diagnostic.h"
#include "checkers/registry.h"
#include "driver/report.h"

namespace flopscope::driver::testing {

inline const checkers::Registry& TestRegistry() {
  using checkers::RuleId;
  using checkers::RuleInfo;
  using checkers::Severity;
  static const checkers::Registry* const registry = new checkers::Registry({
      RuleInfo{RuleId(905), "TestLow", "test-low", Severity::kLow, "a low rule", nullptr},
      RuleInfo{RuleId(901), "TestCritical", "test-critical", Severity::kCritical,
               "a critical rule", nullptr},
      RuleInfo{RuleId(903), "TestMedium", "test-medium", Severity::kMedium, "a medium rule",
               nullptr},
  });
  return *registry;
}

inline checkers::Location Loc(std::string path, uint32_t line, uint32_t col, uint32_t end_line,
                              uint32_t end_col) {
  return checkers::Location{std::move(path), ir::SourceRange{line, col, end_line, end_col}};
}

constexpr char kRoot[] = "/work/project";
constexpr char kMainPath[] = "/work/project/pkg/main.py";
constexpr char kModelsPath[] = "/work/project/pkg/models.py";

// main.py line 4 has a non-ASCII string before the call, to exercise UTF-16 columns.
inline std::string MainText(int blank_lines_above = 0) {
  std::string text;
  for (int i = 0; i < blank_lines_above; ++i) text += "import os  # unrelated\n";
  text +=
      "from pkg import models\n"
      "\n"
      "def sweep(vectors):\n"
      "    for v in vectors: label = \"\xc3\xa9\xf0\x9f\x98\x80\"; m = models.load()\n"
      "    return m\n";
  return text;
}

inline std::string ModelsText() {
  return "import torch\n"
         "\n"
         "def load():\n"
         "    return torch.load(\"ckpt.pt\")\n";
}

// A report with one cross-file finding (with a call path and a related location), one local
// finding and one notification. `shift` moves everything in main.py down by that many lines (as
// if unrelated lines were inserted at the top).
inline Report SampleReport(int shift = 0) {
  using checkers::Diagnostic;
  using checkers::RuleId;
  uint32_t s = static_cast<uint32_t>(shift);
  Report report;
  report.registry = &TestRegistry();
  report.root = kRoot;
  report.files = {kMainPath, kModelsPath};
  report.sources[kMainPath] = MainText(shift);
  report.sources[kModelsPath] = ModelsText();
  // Byte column of `models.load()` on main.py line 4: 4 spaces + "for v in vectors: label = "
  // (26) + the 8-byte quoted string + "; m = " (6) -> byte offset 44, column 45.
  report.findings.push_back(
      Diagnostic::For(RuleId(901), Loc(kMainPath, 4 + s, 45, 4 + s, 58))
          .Message("`ckpt.pt` is reloaded on every iteration")
          .Help("load once before the loop")
          .WithConfidence(0.9, "checkpoint is a constant")
          .LogicalLocation("pkg.main.sweep")
          .Step(Loc(kMainPath, 4 + s, 45, 4 + s, 58), "sweep", "calls models.load()")
          .Step(Loc(kModelsPath, 4, 12, 4, 32), "load", "checkpoint `ckpt.pt` loaded here")
          .Related(Loc(kMainPath, 4 + s, 5, 4 + s, 22), "loop starts here"));
  report.findings.push_back(Diagnostic::For(RuleId(903), Loc(kModelsPath, 4, 12, 4, 32))
                                .Message("say \"hi\" \\ tab\there\nnewline \x01 ctl")
                                .Help("one-line fix")
                                .WithConfidence(0.4, "named like a model")
                                .LogicalLocation("pkg.models.load"));
  Notification syntax;
  syntax.level = Notification::Level::kWarning;
  syntax.id = "syntax-error";
  syntax.path = "/work/project/pkg/broken.py";
  syntax.range = ir::SourceRange{2, 1, 2, 5};
  syntax.message = "syntax error: unexpected `)`";
  report.notifications.push_back(syntax);
  return report;
}

}  // namespace flopscope::driver::testing

#endif  // FLOPSCOPE_TESTS_DRIVER_OUTPUT_TEST_UTIL_H_
