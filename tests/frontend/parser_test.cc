// Parser: grammar ABI, syntax errors as Problems with positions, and inputs that stress the
// parser and the lowering's recursion (deep nesting, NUL bytes, CRLF, huge lines).
#include <string>

#include "frontend/frontend.h"
#include "frontend/parsed_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

extern "C" const TSLanguage* tree_sitter_python(void);

namespace flopscope::frontend {
namespace {

using ::testing::HasSubstr;

SourceFile Source(std::string text) {
  SourceFile source;
  source.path = "t.py";
  source.module_name = "t";
  source.text = std::move(text);
  return source;
}

ir::ModuleUnit LowerText(std::string text) {
  absl::StatusOr<ir::ModuleUnit> unit = ParseAndLower(Source(std::move(text)));
  EXPECT_TRUE(unit.ok()) << unit.status();
  return unit.ok() ? *std::move(unit) : ir::ModuleUnit();
}

int CountProblems(const ir::ModuleUnit& unit, ir::Problem::Kind kind) {
  int n = 0;
  for (const ir::Problem& p : unit.module.problems) n += p.kind == kind ? 1 : 0;
  return n;
}

TEST(GrammarAbi, PinnedGrammarLoadsInTheRuntime) {
  // If this fails, cmake/TreeSitterPython.cmake pins a grammar whose ABI the installed
  // tree-sitter runtime cannot load (0.25+ declares ABI 15; Debian's runtime loads <= 14).
  const uint32_t version = ts_language_version(tree_sitter_python());
  EXPECT_TRUE(CheckLanguageVersion(version).ok())
      << "grammar ABI " << version << " is not loadable: " << CheckLanguageVersion(version);
  EXPECT_TRUE(Parse(Source("x = 1\n")).ok());
}

TEST(GrammarAbi, MismatchIsFailedPrecondition) {
  const absl::Status newer = CheckLanguageVersion(TREE_SITTER_LANGUAGE_VERSION + 1);
  EXPECT_EQ(newer.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(newer.message()), HasSubstr("ABI"));
  EXPECT_EQ(CheckLanguageVersion(TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION - 1).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(SyntaxErrors, ReportedWithLineAndRestStillLowered) {
  const ir::ModuleUnit unit = LowerText("a = 1\nb = (2 +\nc = 3\ndef f():\n    return 4\n");
  ASSERT_GE(CountProblems(unit, ir::Problem::Kind::kSyntaxError), 1);
  const ir::Problem& problem = unit.module.problems.front();
  EXPECT_EQ(problem.path, "t.py");
  EXPECT_GE(problem.range.line, 2u);
  EXPECT_LE(problem.range.line, 3u);
  EXPECT_THAT(problem.message, HasSubstr("syntax error"));
  // The function after the error is still lowered.
  bool found_f = false;
  for (const ir::Function& fn : unit.functions) found_f = found_f || fn.qualname == "f";
  EXPECT_TRUE(found_f);
}

TEST(SyntaxErrors, MissingTokenNamed) {
  const ir::ModuleUnit unit = LowerText("def f(:\n    pass\nprint((1)\n");
  ASSERT_GE(CountProblems(unit, ir::Problem::Kind::kSyntaxError), 1);
  bool any_opaque = false;
  for (const ir::Instr& instr : unit.functions[0].instrs) {
    any_opaque = any_opaque || instr.op == ir::Opcode::kOpaque;
  }
  EXPECT_TRUE(any_opaque);
}

TEST(SyntaxErrors, BreakOutsideLoopIsReported) {
  const ir::ModuleUnit unit = LowerText("def f():\n    break\n");
  ASSERT_EQ(CountProblems(unit, ir::Problem::Kind::kSyntaxError), 1);
  EXPECT_EQ(unit.module.problems[0].range.line, 2u);
  EXPECT_THAT(unit.module.problems[0].message, HasSubstr("break outside loop"));
}

TEST(SyntaxErrors, PythonTwoStatementsAreReported) {
  const ir::ModuleUnit unit = LowerText("print 'x'\nexec code in scope\nprint('fine')\n");
  EXPECT_EQ(CountProblems(unit, ir::Problem::Kind::kSyntaxError), 2);
}

TEST(SyntaxErrors, CleanFileHasNoProblems) {
  const ir::ModuleUnit unit = LowerText("import os\n\ndef f(x):\n    return os.path.join(x)\n");
  EXPECT_TRUE(unit.module.problems.empty());
}

TEST(SyntaxErrors, ManyErrorsAreCapped) {
  std::string text;
  for (int i = 0; i < 500; ++i) text += "x = = 1\n";
  const ir::ModuleUnit unit = LowerText(text);
  EXPECT_LE(unit.module.problems.size(), kMaxSyntaxProblems + 1);
  EXPECT_GE(unit.module.problems.size(), 2u);
}

TEST(Robustness, DeepParenthesesBecomeOpaqueAndTooDeep) {
  const std::string text = "x = " + std::string(10000, '(') + "1" + std::string(10000, ')') + "\n";
  const ir::ModuleUnit unit = LowerText(text);
  EXPECT_EQ(CountProblems(unit, ir::Problem::Kind::kTooDeep), 1);
}

TEST(Robustness, DeepListsAndCalls) {
  LowerText("x = " + std::string(20000, '[') + std::string(20000, ']') + "\n");
  std::string calls = "y = ";
  for (int i = 0; i < 5000; ++i) calls += "f(";
  calls += std::string(5000, ')') + "\n";
  const ir::ModuleUnit unit = LowerText(calls);
  EXPECT_GE(CountProblems(unit, ir::Problem::Kind::kTooDeep), 1);
}

TEST(Robustness, DeepIfNesting) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += std::string(i, ' ') + "if x:\n";
  text += std::string(2000, ' ') + "pass\n";
  LowerText(text);  // must not crash; tree-sitter may or may not accept this indentation
}

TEST(Robustness, LongFlatChainsAreNotTooDeep) {
  std::string sum = "x = 0";
  for (int i = 0; i < 20000; ++i) sum += " + a";
  std::string ors = "\ny = a";
  for (int i = 0; i < 20000; ++i) ors += " or b";
  std::string elifs = "\nif a:\n    pass\n";
  for (int i = 0; i < 20000; ++i) elifs += "elif a:\n    pass\n";
  const ir::ModuleUnit unit = LowerText(sum + ors + elifs + "\n");
  EXPECT_EQ(CountProblems(unit, ir::Problem::Kind::kTooDeep), 0);
}

TEST(Robustness, OddBytesAndLayouts) {
  const ir::ModuleUnit empty = LowerText("");
  ASSERT_EQ(empty.functions.size(), 1u);
  EXPECT_EQ(empty.functions[0].kind, ir::FunctionKind::kModule);
  EXPECT_EQ(empty.module.line_count, 0u);
  LowerText("# only a comment\n# another\n");
  LowerText(std::string("x = 1\0y = 2\n", 12));
  const ir::ModuleUnit crlf = LowerText("def f(a):\r\n\treturn a\r\n\r\nf(1)\r\n");
  EXPECT_TRUE(crlf.module.problems.empty());
  EXPECT_EQ(crlf.functions.size(), 2u);
  LowerText("x = '" + std::string(1 << 20, 'a') + "'\n");
  LowerText("\xef\xbb\xbfx = 1\n");  // byte-order mark
}

}  // namespace
}  // namespace flopscope::frontend
