// The flopscope binary as a user runs it: options, exit codes, notifications and the output of
// each subcommand on small trees made on the spot.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/driver/temp_tree.h"
#include "tests/integration/cli_runner.h"

#ifdef FLOPSCOPE_BINARY

namespace flopscope {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;
using ::testing::Not;
using testing::CliResult;
using testing::RunFlopscope;

class CliTest : public ::testing::Test {
 protected:
  CliResult Run(const std::vector<std::string>& args) {
    return RunFlopscope(args, scratch_.root());
  }
  testing::TempTree scratch_;  // captured output
  testing::TempTree tree_;     // the code under analysis
};

// A two-module project with a package, a class and calls across modules.
void WriteProject(testing::TempTree& tree) {
  tree.Write("proj/main.py",
             "from pkg.mod import Model, helper\n"
             "\n"
             "def run():\n"
             "    m = Model()\n"
             "    m.forward(1)\n"
             "    return helper(len([1]))\n"
             "\n"
             "run()\n");
  tree.Write("proj/pkg/__init__.py", "");
  tree.Write("proj/pkg/mod.py",
             "class Model:\n"
             "    def __init__(self):\n"
             "        self.w = 1\n"
             "\n"
             "    def forward(self, x):\n"
             "        return x\n"
             "\n"
             "def helper(v):\n"
             "    return v\n");
}

TEST_F(CliTest, VersionPrintsNameAndVersion) {
  const CliResult result = Run({"--version"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, "flopscope 0.1.0\n");
}

TEST_F(CliTest, HelpListsTheSubcommands) {
  const CliResult result = Run({"--help"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.out, AllOf(HasSubstr("check"), HasSubstr("ir"), HasSubstr("callgraph")));
  const CliResult check_help = Run({"check", "--help"});
  EXPECT_EQ(check_help.exit_code, 0);
  EXPECT_THAT(check_help.out, AllOf(HasSubstr("--stats"), HasSubstr("--root"),
                                    HasSubstr("--jobs"), HasSubstr("--list-files")));
}

TEST_F(CliTest, UsageErrorsExitWithTwo) {
  const CliResult missing = Run({"check", tree_.Path("does_not_exist")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("does_not_exist"));
  EXPECT_EQ(Run({"check", "--no-such-option", tree_.root()}).exit_code, 2);
  EXPECT_EQ(Run({}).exit_code, 2);  // a subcommand is required
  EXPECT_EQ(Run({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(Run({"ir", tree_.Mkdir("dir")}).exit_code, 2);  // ir takes a file
  tree_.Write("x.py", "x = 1\n");
  EXPECT_EQ(Run({"callgraph", tree_.Path("x.py"), "--format", "svg"}).exit_code, 2);
  EXPECT_EQ(Run({"check", tree_.Path("x.py"), "--root", tree_.Path("nope")}).exit_code, 2);
}

TEST_F(CliTest, CheckPrintsSummaryAndNotificationsWithoutFailing) {
  WriteProject(tree_);
  tree_.Write("proj/broken.py", "def f(:\n    return 1\n\nx = 2\n");
  tree_.Write("proj/latin.py", "s = '\xE9t\xE9'\n");  // not UTF-8, no coding declaration
  tree_.Symlink("missing.py", "proj/dangling.py");
  const CliResult result = Run({"check", tree_.Path("proj"), "--list-files"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("flopscope: 5 files analyzed (5 found)"));
  // The summary counts exactly the notification lines on stderr (one or more per broken file).
  const size_t notes = std::count(result.err.begin(), result.err.end(), '\n');
  EXPECT_GE(notes, 3u);
  EXPECT_THAT(result.out, HasSubstr(std::to_string(notes) + " notifications, 0 findings"));
  EXPECT_THAT(result.out, HasSubstr("analyzed pkg.mod " + tree_.Path("proj/pkg/mod.py")));
  EXPECT_THAT(result.err, HasSubstr(tree_.Path("proj/broken.py") + ":1:"));
  EXPECT_THAT(result.err, HasSubstr(": note: syntax error"));
  EXPECT_THAT(result.err, HasSubstr(tree_.Path("proj/latin.py") + ":1:6: note: not valid UTF-8"));
  EXPECT_THAT(result.err,
              HasSubstr(tree_.Path("proj/dangling.py") + ": note: not analyzed: dangling"));
}

TEST_F(CliTest, CheckStatsReportsEveryPhase) {
  WriteProject(tree_);
  const CliResult result = Run({"check", tree_.Path("proj"), "--stats", "--jobs", "2"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  for (const char* phase : {"read", "parse", "lower", "ssa", "resolve", "callgraph", "total"}) {
    EXPECT_THAT(result.out, HasSubstr(std::string("\n") + phase + " ")) << phase;
  }
  EXPECT_THAT(result.out, HasSubstr("files:      3 found, 3 analyzed"));
  EXPECT_THAT(result.out, HasSubstr("lines:      17 "));
  EXPECT_THAT(result.out, HasSubstr("total/parse-only:"));
}

TEST_F(CliTest, IrPrintsTheSsaFormOfOneFile) {
  const std::string file = tree_.Write("loop.py",
                                       "def f(xs):\n"
                                       "    total = 0\n"
                                       "    for x in xs:\n"
                                       "        if x:\n"
                                       "            total = total + x\n"
                                       "    return total\n");
  const CliResult result = Run({"ir", file});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  // The loop variable comes from for_iter, `total` merges in phis, and the function is created
  // by the module body.
  EXPECT_THAT(result.out, AllOf(HasSubstr("for_iter"), HasSubstr("phi"),
                                HasSubstr("make_function"), HasSubstr("binary_op"),
                                HasSubstr("return")));
  EXPECT_THAT(result.out, Not(HasSubstr("load_var local")));  // locals are SSA values now
}

// The call graph JSON, checked by Python's own json module: prints "KEY" lines for the keys and
// "CALLER -> CALLEE" lines for the edges, or fails.
std::vector<std::string> JsonKeysAndEdges(const std::string& json_path,
                                          const std::string& scratch) {
  const CliResult python = testing::RunProgram(
      "python3",
      {"-c",
       "import json, sys\n"
       "graph = json.load(open(sys.argv[1]))\n"
       "assert isinstance(graph, dict)\n"
       "for caller, callees in sorted(graph.items()):\n"
       "    assert isinstance(callees, list) and callees == sorted(callees), caller\n"
       "    print('KEY', caller)\n"
       "    for callee in callees:\n"
       "        print(caller, '->', callee)\n",
       json_path},
      scratch);
  EXPECT_EQ(python.exit_code, 0) << python.err;
  return absl::StrSplit(python.out, '\n', absl::SkipEmpty());
}

TEST_F(CliTest, CallGraphJsonIsAdjacencyByQualifiedName) {
  WriteProject(tree_);
  const CliResult result = Run({"callgraph", tree_.Path("proj"), "--format", "json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string json_path = tree_.Write("graph.json", result.out);
  const std::vector<std::string> lines = JsonKeysAndEdges(json_path, scratch_.root());
  EXPECT_THAT(lines, IsSupersetOf({"KEY main", "KEY main.run", "KEY pkg", "KEY pkg.mod",
                                   "KEY pkg.mod.helper", "KEY pkg.mod.Model.forward",
                                   "KEY pkg.mod.Model.__init__"}));
  EXPECT_THAT(lines, IsSupersetOf({"main -> main.run", "main.run -> pkg.mod.helper",
                                   "main.run -> <builtin>.len"}));
}

TEST_F(CliTest, CallGraphDotAndJsonAreDeterministicAcrossJobCounts) {
  WriteProject(tree_);
  for (int i = 0; i < 6; ++i) {
    tree_.Write("proj/gen/m" + std::to_string(i) + ".py",
                "from pkg.mod import helper\n\ndef g" + std::to_string(i) +
                    "():\n    return helper(" + std::to_string(i) + ")\n");
  }
  const CliResult one = Run({"callgraph", tree_.Path("proj"), "--jobs", "1"});
  const CliResult two = Run({"callgraph", tree_.Path("proj"), "--jobs", "2"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.out, two.out);
  EXPECT_THAT(one.out, HasSubstr("\"gen.m3.g3\""));
  const CliResult dot = Run({"callgraph", tree_.Path("proj"), "--format", "dot"});
  EXPECT_EQ(dot.exit_code, 0) << dot.err;
  EXPECT_THAT(dot.out, HasSubstr("digraph"));
  EXPECT_THAT(dot.out, HasSubstr("pkg.mod.helper"));
}

TEST_F(CliTest, EmptyDirectoryIsCleanRun) {
  const CliResult result = Run({"check", tree_.Mkdir("empty")});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.out, HasSubstr("flopscope: 0 files analyzed (0 found)"));
  EXPECT_EQ(result.err, "");
}

}  // namespace
}  // namespace flopscope

#endif  // FLOPSCOPE_BINARY
