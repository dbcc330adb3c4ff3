// Whole-program resolution and the call graph on real Python: the fixtures under
// tests/fixtures/callgraph (a package with relative imports, __init__ re-exports, a class
// hierarchy with super(), a forward hook, a closure factory, a dispatch dict and decorators) and
// tests/fixtures/aliasing (an external class reached through two levels of aliasing).
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/call_graph.h"
#include "ir/resolve.h"
#include "tests/integration/testing/load_program.h"

namespace flopscope {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

std::string Fixture(const std::string& name) {
  return std::string(FLOPSCOPE_SOURCE_DIR) + "/tests/fixtures/" + name;
}

class CallGraphFixtureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<ir::Program> program = testing::LoadProgram(Fixture("callgraph"));
    ASSERT_TRUE(program.ok()) << program.status();
    program_ = std::make_unique<ir::Program>(*std::move(program));
    resolver_ = std::make_unique<ir::Resolver>(*program_);
    graph_ = std::make_unique<ir::CallGraph>(*program_, *resolver_);
  }

  ir::FuncId Fn(const std::string& name) {
    const ir::FuncId id = testing::FindFunction(*program_, name);
    EXPECT_TRUE(id.valid()) << name;
    return id;
  }

  // The in-repo callees of fn with the given edge kind, by name.
  std::vector<std::string> CalleesOfKind(const std::string& fn, ir::EdgeKind kind) {
    std::vector<std::string> names;
    for (const ir::CallEdge& edge : graph_->Callees(Fn(fn))) {
      if (edge.kind == kind) names.push_back(graph_->FunctionName(edge.callee));
    }
    return names;
  }

  std::unique_ptr<ir::Program> program_;
  std::unique_ptr<ir::Resolver> resolver_;
  std::unique_ptr<ir::CallGraph> graph_;
};

// The expected graph, written from Python's semantics:
// - `super().__init__()` in Base (an nn.Module) reaches torch; in Encoder it reaches Base.__init__.
// - `TinyNet(...)` runs the inherited Encoder.__init__; `net(...)` runs TinyNet.forward (an
//   nn.Module subclass called as a function).
// - `scaler_factory` is make_scaler re-exported by app/__init__.py; what it returns is `scale`.
// - `register_forward_hook(record_activation)` links the hook as a callback of __init__.
// - `HANDLERS[command](args)` may run either dict value; `handle_eval` is wrapped by the
//   in-repo decorator `traced`, so the dict holds `traced.wrapper`, which calls `fn`: the
//   function `traced` decorates, handle_eval. `functools.wraps(fn)` does not call it.
// - `load_vocab` keeps its identity through functools.lru_cache.
// - Calls of call results (`functools.lru_cache(...)(f)`, `self.proj(x)`, `open(p).read()`)
//   name no function and are left out, as are comprehension scopes.
TEST_F(CallGraphFixtureTest, JsonIsTheExactEdgeList) {
  EXPECT_EQ(graph_->ToJson(), R"({
  "app": [],
  "app.hooks": [],
  "app.hooks.record_activation": [],
  "app.models": [],
  "app.models.Base": [],
  "app.models.Base.__init__": ["<builtin>.super", "torch.nn.Module.__init__"],
  "app.models.Base.describe": ["app.models.Base.name", "app.utils.log"],
  "app.models.Base.name": [],
  "app.models.Encoder": [],
  "app.models.Encoder.__init__": ["<builtin>.super", "app.hooks.record_activation", "app.models.Base.__init__", "torch.nn.Linear"],
  "app.models.Encoder.forward": [],
  "app.models.Encoder.name": ["<builtin>.super", "app.models.Base.name"],
  "app.models.TinyNet": [],
  "app.models.TinyNet.forward": ["<builtin>.super", "app.models.Base.describe", "app.models.Encoder.forward"],
  "app.registry": ["app.registry.handle_eval", "app.utils.traced"],
  "app.registry.dispatch": ["app.registry.handle_train", "app.utils.traced.wrapper"],
  "app.registry.handle_eval": ["app.utils.log"],
  "app.registry.handle_train": ["app.utils.log"],
  "app.utils": ["functools.lru_cache"],
  "app.utils.load_vocab": ["<builtin>.open"],
  "app.utils.log": ["<builtin>.print"],
  "app.utils.make_scaler": [],
  "app.utils.make_scaler.scale": [],
  "app.utils.traced": ["functools.wraps"],
  "app.utils.traced.wrapper": ["app.registry.handle_eval", "app.utils.log"],
  "main": ["main.run"],
  "main.run": ["<builtin>.len", "<builtin>.sorted", "app.models.Encoder.__init__", "app.models.TinyNet.forward", "app.registry.dispatch", "app.utils.load_vocab", "app.utils.make_scaler", "app.utils.make_scaler.scale", "main.run.<lambda1>", "torch.ones"],
  "main.run.<lambda1>": ["<builtin>.len"]
}
)");
}

TEST_F(CallGraphFixtureTest, EdgeKindsAndSites) {
  EXPECT_THAT(CalleesOfKind("main.run", ir::EdgeKind::kConstructor),
              ElementsAre("app.models.Encoder.__init__"));
  EXPECT_THAT(CalleesOfKind("main.run", ir::EdgeKind::kCallback),
              ElementsAre("main.run.<lambda1>"));
  EXPECT_THAT(CalleesOfKind("app.models.Encoder.__init__", ir::EdgeKind::kCallback),
              ElementsAre("app.hooks.record_activation"));
  EXPECT_THAT(CalleesOfKind("app.registry", ir::EdgeKind::kDecorator),
              ElementsAre("app.utils.traced"));
  // The decorated function is handed to the in-repo decorator, which may run it.
  EXPECT_THAT(CalleesOfKind("app.registry", ir::EdgeKind::kCallback),
              ElementsAre("app.registry.handle_eval"));

  // Every edge keeps its call site: the hook is registered on line 23 of models.py.
  const ir::FuncId init = Fn("app.models.Encoder.__init__");
  const ir::Function& fn = program_->function(init);
  const std::vector<ir::InstrId> calls = testing::CallsOnLine(fn, 23);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_THAT(graph_->CalleesAt(init, calls[0]), ElementsAre(Fn("app.hooks.record_activation")));
  EXPECT_THAT(graph_->Callers(Fn("app.hooks.record_activation")),
              ElementsAre(::testing::Field(&ir::CallEdge::site, calls[0])));
}

TEST_F(CallGraphFixtureTest, ExternalCallsKeepQualifiedNames) {
  std::vector<std::string> names;
  for (const ir::ExternalCall& call : graph_->ExternalCallees(Fn("app.models.Encoder.__init__"))) {
    names.push_back(call.name);
  }
  EXPECT_THAT(names, UnorderedElementsAre("<builtin>.super", "torch.nn.Linear",
                                          "torch.nn.Linear().register_forward_hook"));
}

TEST_F(CallGraphFixtureTest, DecoratorsAreReportedByName) {
  EXPECT_THAT(resolver_->DecoratorNames(Fn("app.utils.load_vocab")),
              ElementsAre("functools.lru_cache()"));
  EXPECT_THAT(resolver_->DecoratorNames(Fn("app.registry.handle_eval")),
              ElementsAre("app.utils.traced"));
  EXPECT_THAT(resolver_->DecoratorNames(Fn("app.utils.traced.wrapper")),
              ElementsAre("functools.wraps()"));
}

TEST_F(CallGraphFixtureTest, SccsAreBottomUp) {
  const auto& sccs = graph_->SccsBottomUp();
  std::vector<size_t> position(program_->functions().size());
  size_t total = 0;
  for (size_t i = 0; i < sccs.size(); ++i) {
    for (ir::FuncId fn : sccs[i]) position[fn.index()] = i;
    total += sccs[i].size();
  }
  EXPECT_EQ(total, program_->functions().size());
  // No recursion in the fixture: every edge goes from a later component to an earlier one.
  for (const ir::Function& fn : program_->functions()) {
    for (const ir::CallEdge& edge : graph_->Callees(fn.id)) {
      EXPECT_GT(position[edge.caller.index()], position[edge.callee.index()])
          << graph_->FunctionName(edge.caller) << " -> " << graph_->FunctionName(edge.callee);
    }
  }
}

TEST_F(CallGraphFixtureTest, DotNamesFunctionsAndEdgeKinds) {
  const std::string dot = graph_->ToDot();
  EXPECT_THAT(dot, ::testing::HasSubstr("digraph G {"));
  EXPECT_THAT(dot, ::testing::HasSubstr("[label=\"app.hooks.record_activation\"]"));
  EXPECT_THAT(dot, ::testing::HasSubstr("[label=callback]"));
  EXPECT_THAT(dot, ::testing::HasSubstr("[label=constructor]"));
}

class AliasingFixtureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<ir::Program> program = testing::LoadProgram(Fixture("aliasing"));
    ASSERT_TRUE(program.ok()) << program.status();
    program_ = std::make_unique<ir::Program>(*std::move(program));
    resolver_ = std::make_unique<ir::Resolver>(*program_);
  }

  // The callee operand of the only call on `line` of `fn`.
  std::string CalleeName(const std::string& fn_name, uint32_t line) {
    const ir::FuncId fn = testing::FindFunction(*program_, fn_name);
    EXPECT_TRUE(fn.valid()) << fn_name;
    const std::vector<ir::InstrId> calls = testing::CallsOnLine(program_->function(fn), line);
    EXPECT_EQ(calls.size(), 1u) << fn_name << ":" << line;
    if (calls.size() != 1) return "";
    return resolver_->QualifiedName(fn, program_->function(fn).instr(calls[0]).operands[0]);
  }

  std::unique_ptr<ir::Program> program_;
  std::unique_ptr<ir::Resolver> resolver_;
};

// a.py: import transformers as tf; Auto = tf.AutoModelForCausalLM
// b.py: from .a import Auto as Loader; L2 = Loader; L2.from_pretrained(name)
TEST_F(AliasingFixtureTest, ExternalSymbolThroughTwoAliases) {
  EXPECT_EQ(CalleeName("models.b.load", 7), "transformers.AutoModelForCausalLM.from_pretrained");
}

// main.py reaches the same class through the package's re-export (`from .b import L2 as Model`),
// and the result of the in-repo wrapper `load` is the loader's result.
TEST_F(AliasingFixtureTest, ReExportAndWrapperResult) {
  EXPECT_EQ(CalleeName("main", 4), "transformers.AutoModelForCausalLM.from_pretrained");
  EXPECT_EQ(CalleeName("main", 6), "transformers.AutoModelForCausalLM.from_pretrained().generate");
  ir::CallGraph graph(*program_, *resolver_);
  std::vector<std::string> externals;
  for (const ir::ExternalCall& call : graph.ExternalCallees(testing::FindFunction(*program_, "main"))) {
    externals.push_back(call.name);
  }
  EXPECT_THAT(externals, Contains("transformers.AutoModelForCausalLM.from_pretrained"));
  EXPECT_THAT(graph.CalleesAt(testing::FindFunction(*program_, "main"),
                              testing::CallsOnLine(program_->function(
                                                       testing::FindFunction(*program_, "main")),
                                                   5)[0]),
              ElementsAre(testing::FindFunction(*program_, "models.b.load")));
}

}  // namespace
}  // namespace flopscope

namespace flopscope {
namespace {

// Resolution on small inline programs: each case names a function, a line, and what the callee
// of the single call on that line (or the call's result) must resolve to.
class ResolvePythonTest : public ::testing::Test {
 protected:
  void Load(std::vector<testing::SourceSpec> sources) {
    absl::StatusOr<ir::Program> program = testing::LoadSources(sources);
    ASSERT_TRUE(program.ok()) << program.status();
    program_ = std::make_unique<ir::Program>(*std::move(program));
    resolver_ = std::make_unique<ir::Resolver>(*program_);
    graph_ = std::make_unique<ir::CallGraph>(*program_, *resolver_);
  }

  ir::InstrId CallOn(const std::string& fn_name, uint32_t line, ir::FuncId* fn) {
    *fn = testing::FindFunction(*program_, fn_name);
    EXPECT_TRUE(fn->valid()) << fn_name;
    if (!fn->valid()) return ir::InstrId();
    const std::vector<ir::InstrId> calls = testing::CallsOnLine(program_->function(*fn), line);
    EXPECT_FALSE(calls.empty()) << fn_name << ":" << line;
    return calls.empty() ? ir::InstrId() : calls.back();  // the outermost call of the line
  }
  std::string Callee(const std::string& fn_name, uint32_t line) {
    ir::FuncId fn;
    const ir::InstrId call = CallOn(fn_name, line, &fn);
    if (!call.valid()) return "<no call>";
    return resolver_->QualifiedName(fn, program_->function(fn).instr(call).operands[0]);
  }
  std::string Result(const std::string& fn_name, uint32_t line) {
    ir::FuncId fn;
    const ir::InstrId call = CallOn(fn_name, line, &fn);
    if (!call.valid()) return "<no call>";
    return resolver_->QualifiedName(fn, call);
  }
  std::vector<std::string> Targets(const std::string& fn_name, uint32_t line) {
    ir::FuncId fn;
    const ir::InstrId call = CallOn(fn_name, line, &fn);
    std::vector<std::string> names;
    if (!call.valid()) return names;
    for (ir::FuncId target : graph_->CalleesAt(fn, call)) {
      names.push_back(graph_->FunctionName(target));
    }
    return names;
  }

  std::unique_ptr<ir::Program> program_;
  std::unique_ptr<ir::Resolver> resolver_;
  std::unique_ptr<ir::CallGraph> graph_;
};

TEST_F(ResolvePythonTest, MethodKindsPropertiesAndClosuresOverSelf) {
  Load({{"net.py", R"(import torch
import torch.nn as nn


class Net(nn.Module):
    scale = torch.tensor(2.0)

    def __init__(self):
        super().__init__()
        self.acts = []
        self.lin = nn.Linear(2, 2)

    @property
    def device(self):
        return torch.device("cuda")

    @staticmethod
    def make():
        return Net()

    @classmethod
    def build(cls):
        return cls()

    def forward(self, x):
        def hook(m, i, o):
            self.lin.weight.add_(o)
        self.lin.register_forward_hook(hook)
        return self.lin(x) * self.scale.item()


def load():
    return Net(), torch.zeros(1)


def main():
    net, t = load()
    net.device.index()
    Net.build().forward(t)
    Net.make().forward(t)
    net(t)
)"}});
  EXPECT_EQ(Callee("net.Net.forward.hook", 27), "torch.nn.Linear().weight.add_");
  EXPECT_EQ(Callee("net.Net.forward", 29), "torch.tensor().item");
  EXPECT_EQ(Callee("net.main", 38), "torch.device().index");
  EXPECT_EQ(Callee("net.main", 39), "net.Net.forward");
  EXPECT_EQ(Callee("net.main", 40), "net.Net.forward");
  EXPECT_THAT(Targets("net.main", 41), ElementsAre("net.Net.forward"));
  EXPECT_THAT(Targets("net.Net.build", 23), ElementsAre("net.Net.__init__"));
  EXPECT_EQ(Result("net.Net.make", 19), "net.Net()");
}

TEST_F(ResolvePythonTest, ImportForms) {
  Load({{"pkg/__init__.py", "from .core import *\n"},
        {"pkg/core.py", "__all__ = ['run']\n\ndef run():\n    pass\n\ndef _hidden():\n    pass\n"},
        {"ns/tools/helper.py", "def assist():\n    pass\n"},
        {"scripts/train.py", R"(import os.path
import ns.tools.helper
import pkg as p
import sibling
from functools import partial
from ns.tools import helper as h


def go():
    os.path.join("a", "b")
    ns.tools.helper.assist()
    p.run()
    sibling.util()
    partial(h.assist)()
    getattr(p, "run")()
)"},
        {"scripts/sibling.py", "def util():\n    pass\n"}});
  EXPECT_EQ(Callee("scripts.train.go", 10), "os.path.join");
  EXPECT_EQ(Callee("scripts.train.go", 11), "ns.tools.helper.assist");  // namespace package
  EXPECT_EQ(Callee("scripts.train.go", 12), "pkg.core.run");            // star re-export
  EXPECT_EQ(Callee("scripts.train.go", 13), "scripts.sibling.util");    // script-relative
  EXPECT_EQ(Callee("scripts.train.go", 14), "ns.tools.helper.assist");  // functools.partial
  EXPECT_EQ(Callee("scripts.train.go", 15), "pkg.core.run");            // getattr, constant
}

TEST_F(ResolvePythonTest, ContainersAndLoops) {
  Load({{"main.py", R"(def a():
    pass


def b():
    pass


PIPELINE = [a, b]
TABLE = {"a": a, "b": b}


def run(key):
    for step in PIPELINE:
        step()
    first, second = a, b
    second()
    TABLE["a"]()
    TABLE.get(key)()
)"}});
  EXPECT_THAT(Targets("main.run", 15), UnorderedElementsAre("main.a", "main.b"));
  EXPECT_THAT(Targets("main.run", 17), ElementsAre("main.b"));
  EXPECT_THAT(Targets("main.run", 18), ElementsAre("main.a"));
  EXPECT_THAT(Targets("main.run", 19), UnorderedElementsAre("main.a", "main.b"));
}

TEST_F(ResolvePythonTest, RegistriesAndPassThroughDecorators) {
  Load({{"registry.py", R"(REGISTRY = {}
CALLBACKS = []


def register(name):
    def deco(fn):
        REGISTRY[name] = fn
        return fn
    return deco


def on_step(fn):
    CALLBACKS.append(fn)
    return fn
)"},
        {"main.py", R"(from registry import REGISTRY, CALLBACKS, register, on_step
import registry


@register("train")
def train():
    pass


@on_step
def log_step():
    pass


class Runner:
    def to(self, device):
        return self

    def run(self):
        pass


def main(name):
    REGISTRY[name]()
    registry.REGISTRY["train"]()
    for callback in CALLBACKS:
        callback()
    train()
    Runner().to("cuda").run()
)"}});
  // The registering decorator returns its argument: the names still denote the functions.
  EXPECT_THAT(Targets("main.main", 28), ElementsAre("main.train"));
  // Functions written into a registry dict or list are what reading it gives.
  EXPECT_THAT(Targets("main.main", 24), ElementsAre("main.train"));
  EXPECT_THAT(Targets("main.main", 25), ElementsAre("main.train"));
  EXPECT_THAT(Targets("main.main", 27), ElementsAre("main.log_step"));
  EXPECT_THAT(Targets("main.main", 29), ElementsAre("main.Runner.run"));  // `return self`
  EXPECT_THAT(Targets("main", 5), ElementsAre("registry.register"));
  // The application on the def line: the decorator runs, and receives the function.
  EXPECT_THAT(Targets("main", 6), UnorderedElementsAre("registry.register.deco", "main.train"));
}

TEST_F(ResolvePythonTest, RecursionAndCyclesTerminate) {
  Load({{"a.py", "from b import g\n\ndef f(n):\n    return g(n - 1) if n else f\n"},
        {"b.py", "from a import f\n\ndef g(n):\n    return f(n)\n\nx = y\ny = x\n"}});
  EXPECT_EQ(Callee("a.f", 4), "b.g");
  EXPECT_EQ(Result("a.f", 4), "a.f");  // g returns f(...), which returns f itself
  EXPECT_THAT(resolver_->ResolveGlobal(program_->FindModule("b"), "x"), ::testing::IsEmpty());
  const auto& sccs = graph_->SccsBottomUp();
  bool together = false;
  for (const auto& scc : sccs) {
    together = together || scc.size() == 2;
  }
  EXPECT_TRUE(together) << "f and g call each other";
}

}  // namespace
}  // namespace flopscope
