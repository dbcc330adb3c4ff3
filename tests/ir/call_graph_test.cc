#include "ir/call_graph.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/resolve.h"
#include "tests/ir/hand_built_module.h"

namespace flopscope::ir {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;
using testing::HandBuiltModule;
constexpr int kBody = HandBuiltModule::kBody;

std::vector<std::string> CalleeNames(const CallGraph& graph, FuncId fn) {
  std::vector<std::string> names;
  for (const CallEdge& edge : graph.Callees(fn)) names.push_back(graph.FunctionName(edge.callee));
  return names;
}

TEST(CallGraphTest, SccsOfMutualRecursionComeBeforeTheirCallers) {
  HandBuiltModule m("main");
  const int a = m.Def(kBody, "a");
  const int b = m.Def(kBody, "b");
  const int c = m.Def(kBody, "c");
  m.Call(a, m.Load(a, "b"));
  m.Call(b, m.Load(b, "a"));
  m.Call(c, m.Load(c, "a"));
  m.Call(kBody, m.Load(kBody, "c"));
  Program program;
  program.AddModule(m.Finish());
  Resolver resolver(program);
  CallGraph graph(program, resolver);
  const auto& sccs = graph.SccsBottomUp();
  ASSERT_EQ(sccs.size(), 3u);
  EXPECT_THAT(sccs[0], UnorderedElementsAre(FuncId(a), FuncId(b)));
  EXPECT_THAT(sccs[1], ElementsAre(FuncId(c)));
  EXPECT_THAT(sccs[2], ElementsAre(FuncId(kBody)));
  EXPECT_THAT(CalleeNames(graph, FuncId(a)), ElementsAre("main.b"));
  EXPECT_THAT(CalleeNames(graph, FuncId(kBody)), ElementsAre("main.c"));
}

TEST(CallGraphTest, ConstructorsInstancesAndMethods) {
  HandBuiltModule m("main");
  const int base = m.Class(kBody, "Base");
  const int init = m.Def(base, "__init__", {"self"});
  const int call = m.Def(base, "__call__", {"self"});
  m.Class(kBody, "Child", {m.Load(kBody, "Base")});
  const int f = m.Def(kBody, "f");
  const InstrId make = m.Call(f, m.Load(f, "Child"));
  const InstrId invoke = m.Call(f, make);
  Program program;
  program.AddModule(m.Finish());
  Resolver resolver(program);
  CallGraph graph(program, resolver);
  ASSERT_EQ(graph.Callees(FuncId(f)).size(), 2u);
  const CallEdge& construct = graph.Callees(FuncId(f))[0];
  EXPECT_EQ(construct.site, make);
  EXPECT_EQ(construct.callee, FuncId(init));
  EXPECT_EQ(construct.kind, EdgeKind::kConstructor);
  EXPECT_THAT(graph.CalleesAt(FuncId(f), invoke), ElementsAre(FuncId(call)));
  EXPECT_EQ(graph.Callees(FuncId(f))[1].kind, EdgeKind::kDirect);
  ASSERT_EQ(graph.Callers(FuncId(init)).size(), 1u);
  EXPECT_EQ(graph.Callers(FuncId(init))[0].caller, FuncId(f));
}

TEST(CallGraphTest, FunctionsPassedAsArgumentsAreCallbacks) {
  HandBuiltModule m("main");
  const int hook = m.Def(kBody, "hook", {"x"});
  const int f = m.Def(kBody, "f", {"model"});
  const InstrId site = m.Call(f, m.Load(f, "map"), {m.Load(f, "hook"), m.Param(f, 0)});
  Program program;
  program.AddModule(m.Finish());
  Resolver resolver(program);
  CallGraph graph(program, resolver);
  ASSERT_EQ(graph.Callees(FuncId(f)).size(), 1u);
  EXPECT_EQ(graph.Callees(FuncId(f))[0].callee, FuncId(hook));
  EXPECT_EQ(graph.Callees(FuncId(f))[0].kind, EdgeKind::kCallback);
  EXPECT_EQ(graph.Callees(FuncId(f))[0].site, site);
  ASSERT_EQ(graph.ExternalCallees(FuncId(f)).size(), 1u);
  EXPECT_EQ(graph.ExternalCallees(FuncId(f))[0].name, "<builtin>.map");
}

TEST(CallGraphTest, ClosureReturnedByAFactoryIsCalled) {
  HandBuiltModule m("main");
  const int factory = m.Def(kBody, "make_adder", {"n"});
  const int inner = m.Def(factory, "add", {"x"}, {}, /*bind=*/false);
  m.Return(factory, m.last_value());
  const int f = m.Def(kBody, "f");
  const InstrId adder = m.Call(f, m.Load(f, "make_adder"), {m.Const(f, "1", ConstKind::kInt)});
  const InstrId site = m.Call(f, adder, {m.Const(f, "2", ConstKind::kInt)});
  Program program;
  program.AddModule(m.Finish());
  Resolver resolver(program);
  CallGraph graph(program, resolver);
  EXPECT_THAT(graph.CalleesAt(FuncId(f), site), ElementsAre(FuncId(inner)));
  EXPECT_THAT(CalleeNames(graph, FuncId(f)), ElementsAre("main.make_adder", "main.make_adder.add"));
}

TEST(CallGraphTest, JsonFoldsComprehensionsIntoTheirFunction) {
  HandBuiltModule m("main");
  const int f = m.Def(kBody, "f");
  const int comp = m.Def(f, "<listcomp1>", {".0"}, {}, /*bind=*/false);
  m.fn(comp).kind = FunctionKind::kComprehension;
  m.Call(f, m.last_value(), {m.Const(f, "xs")});
  m.Call(comp, m.Load(comp, "len"), {m.Param(comp, 0)});
  m.Call(f, m.Load(f, "print"));
  const int lambda = m.Def(f, "<lambda1>", {}, {}, /*bind=*/false);
  m.fn(lambda).kind = FunctionKind::kLambda;
  m.Call(lambda, m.Load(lambda, "sorted"));
  m.Call(f, m.last_value());
  Program program;
  program.AddModule(m.Finish());
  Resolver resolver(program);
  CallGraph graph(program, resolver);
  EXPECT_EQ(graph.ToJson(), R"({
  "main": [],
  "main.f": ["<builtin>.len", "<builtin>.print", "main.f.<lambda1>"],
  "main.f.<lambda1>": ["<builtin>.sorted"]
}
)");
  // The comprehension is still a function of its own in the graph itself.
  EXPECT_THAT(CalleeNames(graph, FuncId(f)), ElementsAre("main.f.<listcomp1>", "main.f.<lambda1>"));
}

TEST(CallGraphTest, EmptyProgram) {
  Program program;
  Resolver resolver(program);
  CallGraph graph(program, resolver);
  EXPECT_EQ(graph.ToJson(), "{}\n");
  EXPECT_TRUE(graph.SccsBottomUp().empty());
  EXPECT_THAT(graph.ToDot(), ::testing::HasSubstr("digraph G {"));
}

}  // namespace
}  // namespace flopscope::ir
