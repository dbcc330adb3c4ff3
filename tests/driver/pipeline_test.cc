#include "driver/pipeline.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/passes.h"
#include "tests/driver/temp_tree.h"

namespace flopscope::driver {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

void WriteProject(testing::TempTree& tree) {
  tree.Write("proj/app.py",
             "from pkg import util\n"
             "\n"
             "def main(n):\n"
             "    for i in range(n):\n"
             "        util.step(i)\n");
  tree.Write("proj/pkg/__init__.py", "");
  tree.Write("proj/pkg/util.py", "def step(i):\n    return i + 1\n");
  for (int i = 0; i < 8; ++i) {
    tree.Write("proj/pkg/gen" + std::to_string(i) + ".py",
               "from .util import step\n\ndef f():\n    return step(" + std::to_string(i) +
                   ")\n");
  }
}

std::vector<std::string> ModuleNames(const ir::Program& program) {
  std::vector<std::string> names;
  for (const ir::Module& module : program.modules()) names.push_back(module.name);
  return names;
}

TEST(PipelineTest, BuildsTheWholeProgramInModuleOrder) {
  testing::TempTree tree;
  WriteProject(tree);
  Pipeline pipeline(PipelineOptions{});
  ASSERT_TRUE(pipeline.Run({tree.Path("proj")}).ok());
  const ir::Program& program = pipeline.program();
  EXPECT_THAT(ModuleNames(program),
              ElementsAre("app", "pkg", "pkg.gen0", "pkg.gen1", "pkg.gen2", "pkg.gen3",
                          "pkg.gen4", "pkg.gen5", "pkg.gen6", "pkg.gen7", "pkg.util"));
  const ir::ModuleId util = program.FindModule("pkg.util");
  ASSERT_TRUE(util.valid());
  EXPECT_EQ(program.module(util).path, tree.Path("proj/pkg/util.py"));
  EXPECT_TRUE(program.module(program.FindModule("pkg")).is_package);
  for (const ir::Function& fn : program.functions()) {
    EXPECT_TRUE(fn.in_ssa) << fn.qualname;
    EXPECT_TRUE(ir::Verify(fn).ok()) << fn.qualname;
  }
  // The loop in app.main was found, and the call graph links it to pkg.util.step.
  const ir::Function& main_fn = program.functions()[1];
  EXPECT_EQ(main_fn.name, "main");
  EXPECT_EQ(main_fn.loops.size(), 1u);
  EXPECT_THAT(pipeline.call_graph().ToJson(), HasSubstr("\"app.main\": [\"<builtin>.range\", "
                                                        "\"pkg.util.step\"]"));
  EXPECT_EQ(pipeline.analyzed_files().size(), 11u);
  EXPECT_EQ(pipeline.analyzed_files()[0].module_name, "app");
}

TEST(PipelineTest, SameResultWithOneOrTwoThreads) {
  testing::TempTree tree;
  WriteProject(tree);
  auto render = [&](int jobs) {
    PipelineOptions options;
    options.jobs = jobs;
    Pipeline pipeline(options);
    EXPECT_TRUE(pipeline.Run({tree.Path("proj")}).ok());
    std::string text;
    for (const ir::Module& module : pipeline.program().modules()) {
      text += ir::PrintModule(pipeline.program(), module.id);
    }
    return text + pipeline.call_graph().ToJson();
  };
  const std::string one = render(1);
  EXPECT_EQ(one, render(2));
  EXPECT_THAT(one, HasSubstr("pkg.gen7"));
}

TEST(PipelineTest, RecordsEveryPhaseAndLaterPhasesAreOneCall) {
  testing::TempTree tree;
  WriteProject(tree);
  Pipeline pipeline(PipelineOptions{});
  ASSERT_TRUE(pipeline.Run({tree.Path("proj")}).ok());
  const int functions = pipeline.RunPhase("dataflow", [&] {
    return static_cast<int>(pipeline.program().functions().size());
  });
  EXPECT_GT(functions, 11);
  std::vector<std::string> phases;
  for (const PhaseStat& phase : pipeline.stats().phases) phases.push_back(phase.name);
  EXPECT_THAT(phases, ElementsAre("discover", "read", "parse", "lower", "merge", "ssa", "resolve",
                                  "callgraph", "dataflow"));
  const PipelineStats& stats = pipeline.stats();
  EXPECT_EQ(stats.files_found, 11u);
  EXPECT_EQ(stats.files_analyzed, 11u);
  EXPECT_EQ(stats.lines, 5u + 2u + 8u * 4u);
  EXPECT_EQ(stats.functions, pipeline.program().functions().size());
  EXPECT_GE(stats.call_edges, 9u);  // app.main -> step, gen*.f -> step
  EXPECT_GT(stats.TotalWall().count(), 0);
  EXPECT_GT(stats.Find("parse")->busy.count(), 0);
}

TEST(PipelineTest, ProblemsBecomeNotificationsAndTheRunGoesOn) {
  testing::TempTree tree;
  tree.Write("proj/good.py", "def f():\n    return 1\n");
  tree.Write("proj/broken.py", "def g(:\n    pass\n\ndef h():\n    return 2\n");
  tree.Write("proj/latin.py", "x = '\xE9'\n");
  tree.Write("proj/big.py", "x = '" + std::string(200, 'a') + "'\n");
  tree.Write("proj/nul.py", std::string("x = 1\0\n", 7));
  tree.Symlink("nowhere.py", "proj/dangling.py");
  PipelineOptions options;
  options.read.max_bytes = 100;
  Pipeline pipeline(options);
  ASSERT_TRUE(pipeline.Run({tree.Path("proj")}).ok());
  EXPECT_THAT(ModuleNames(pipeline.program()), ElementsAre("broken", "good", "latin"));
  EXPECT_EQ(pipeline.stats().files_found, 5u);
  EXPECT_EQ(pipeline.stats().files_analyzed, 3u);

  // A file that was analyzed keeps its problems on its module; a skipped one is global.
  const ir::Module& latin = pipeline.program().module(pipeline.program().FindModule("latin"));
  ASSERT_EQ(latin.problems.size(), 1u);
  EXPECT_EQ(latin.problems[0].kind, ir::Problem::Kind::kNotUtf8);
  const ir::Module& broken = pipeline.program().module(pipeline.program().FindModule("broken"));
  ASSERT_FALSE(broken.problems.empty());
  EXPECT_EQ(broken.problems[0].kind, ir::Problem::Kind::kSyntaxError);
  EXPECT_EQ(broken.problems[0].range.line, 1u);
  bool lowered_after_error = false;  // the rest of the broken file is still analyzed
  for (const ir::Function& fn : pipeline.program().functions()) {
    lowered_after_error |= fn.module == broken.id && fn.name == "h";
  }
  EXPECT_TRUE(lowered_after_error);

  std::vector<std::string> paths;
  for (const ir::Problem& problem : pipeline.Notifications()) {
    if (paths.empty() || paths.back() != problem.path) paths.push_back(problem.path);
  }
  EXPECT_THAT(paths, ElementsAre(tree.Path("proj/big.py"), tree.Path("proj/broken.py"),
                                 tree.Path("proj/dangling.py"), tree.Path("proj/latin.py"),
                                 tree.Path("proj/nul.py")));
}

TEST(PipelineTest, DuplicateModulesAreBothKeptAndThePackageWins) {
  testing::TempTree tree;
  tree.Write("proj/foo.py", "A = 1\n");
  tree.Write("proj/foo/__init__.py", "B = 2\n");
  Pipeline pipeline(PipelineOptions{});
  ASSERT_TRUE(pipeline.Run({tree.Path("proj")}).ok());
  EXPECT_THAT(ModuleNames(pipeline.program()), ElementsAre("foo", "foo"));
  const ir::Module& found = pipeline.program().module(pipeline.program().FindModule("foo"));
  EXPECT_TRUE(found.is_package);
  bool notified = false;
  for (const ir::Problem& problem : pipeline.Notifications()) {
    notified |= absl::StrContains(problem.message, "duplicate module name `foo`");
  }
  EXPECT_TRUE(notified);
}

TEST(PipelineTest, ModuleBodiesKeepLoadsOfGlobalsThatFunctionsRebind) {
  testing::TempTree tree;
  tree.Write("proj/state.py",
             "X = 1\n"
             "Y = 1\n"
             "def bump():\n"
             "    global X\n"
             "    X = 2\n"
             "bump()\n"
             "print(X, Y)\n");
  Pipeline pipeline(PipelineOptions{});
  ASSERT_TRUE(pipeline.Run({tree.Path("proj")}).ok());
  const ir::Program& program = pipeline.program();
  const ir::Function& body = program.function(program.module(program.FindModule("state")).body);
  std::vector<std::string> global_loads;
  for (const ir::Block& block : body.blocks) {
    for (ir::InstrId id : block.instrs) {
      const ir::Instr& instr = body.instr(id);
      if (instr.op == ir::Opcode::kLoadVar &&
          instr.aux == static_cast<int32_t>(ir::VarScope::kGlobal)) {
        global_loads.push_back(instr.text);
      }
    }
  }
  // `bump` may change X, so the body reads it again; Y is forwarded from its store.
  EXPECT_THAT(global_loads, ::testing::Contains("X"));
  EXPECT_THAT(global_loads, ::testing::Not(::testing::Contains("Y")));
}

TEST(PipelineTest, UnusableArgumentsFailTheRun) {
  testing::TempTree tree;
  Pipeline pipeline(PipelineOptions{});
  EXPECT_EQ(pipeline.Run({tree.Path("missing")}).code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace flopscope::driver
