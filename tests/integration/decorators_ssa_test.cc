// Decorators recorded by the lowering stay meaningful after BuildSsa. A decorator is usually a
// name, and BuildSsa removes the loads of names: a module body's global load is forwarded to the
// stored value, a function body's local load is promoted away. Function/Class::decorator_calls
// name the applications instead, whose callee operand BuildSsa rewrites to the live value.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/ir.h"
#include "ir/resolve.h"
#include "tests/integration/testing/load_program.h"

namespace flopscope::testing {
namespace {

using ::testing::ElementsAre;

ir::Program Load(const std::string& text) {
  absl::StatusOr<ir::Program> program = LoadSources({{"m.py", text}});
  EXPECT_TRUE(program.ok()) << program.status();
  return program.ok() ? *std::move(program) : ir::Program();
}

// The live decorator value of each application, checking that the application itself is live.
std::vector<ir::InstrId> LiveDecoratorValues(const ir::Function& parent,
                                             const std::vector<ir::InstrId>& calls) {
  std::vector<ir::InstrId> values;
  for (ir::InstrId call : calls) {
    EXPECT_TRUE(parent.instr(call).block.valid()) << "application %" << call.value();
    const ir::InstrId value = ir::DecoratorValue(parent, call);
    EXPECT_TRUE(value.valid());
    if (value.valid()) {
      EXPECT_TRUE(parent.instr(value).block.valid()) << "decorator %" << value.value();
      values.push_back(value);
    }
  }
  return values;
}

TEST(DecoratorsAfterSsaTest, ForwardedModuleGlobalDecoratorStaysLive) {
  const ir::Program program = Load(R"py(
def deco(f):
    return f

@deco
def g():
    pass
)py");
  const ir::FuncId g = FindFunction(program, "m.g");
  const ir::FuncId deco = FindFunction(program, "m.deco");
  ASSERT_TRUE(g.valid() && deco.valid());
  const ir::Function& fn = program.function(g);
  const ir::Function& module = program.function(fn.parent);
  ASSERT_EQ(fn.decorator_calls.size(), 1u);
  const std::vector<ir::InstrId> values = LiveDecoratorValues(module, fn.decorator_calls);
  ASSERT_EQ(values.size(), 1u);
  // The load of `deco` was forwarded to the definition it reads.
  EXPECT_EQ(module.instr(values[0]).op, ir::Opcode::kMakeFunction);
  EXPECT_EQ(module.instr(values[0]).aux, deco.value());

  const ir::Resolver resolver(program);
  EXPECT_THAT(resolver.DecoratorNames(g), ElementsAre("m.deco"));
  EXPECT_EQ(resolver.DecoratedFunctionAt(module.id, fn.decorator_calls[0]), g);
}

TEST(DecoratorsAfterSsaTest, LocalDecoratorsOfNestedFunctionAndClassResolve) {
  const ir::Program program = Load(R"py(
import torch

def outer():
    from functools import lru_cache
    from dataclasses import dataclass
    no_grad = torch.no_grad

    @lru_cache
    @no_grad()
    def inner():
        return 1

    @dataclass
    class Point:
        x: int = 0

    return inner(), Point()
)py");
  const ir::FuncId inner = FindFunction(program, "m.outer.inner");
  const ir::FuncId body = FindFunction(program, "m.outer.Point");
  ASSERT_TRUE(inner.valid() && body.valid());
  const ir::Function& outer = program.function(program.function(inner).parent);
  const ir::Class& point = program.klass(program.function(body).class_of_body);
  EXPECT_EQ(LiveDecoratorValues(outer, program.function(inner).decorator_calls).size(), 2u);
  EXPECT_EQ(LiveDecoratorValues(outer, point.decorator_calls).size(), 1u);

  const ir::Resolver resolver(program);
  EXPECT_THAT(resolver.DecoratorNames(inner),
              ElementsAre("functools.lru_cache", "torch.no_grad()"));
  EXPECT_THAT(resolver.DecoratorNames(body), ElementsAre("dataclasses.dataclass"));
  for (ir::InstrId call : program.function(inner).decorator_calls) {
    EXPECT_EQ(resolver.DecoratedFunctionAt(outer.id, call), inner);
  }
  EXPECT_EQ(resolver.DecoratedClassAt(outer.id, point.decorator_calls[0]), point.id);
}

}  // namespace
}  // namespace flopscope::testing
