#include "dataflow/support/def_use.h"

#include <algorithm>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dataflow/support_program.h"

namespace flopscope::dataflow::support {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;
using testing::SupportProgram;

constexpr char kProbe[] = R"py(
import torch
handles = []

class Probe:
    def __init__(self, model):
        self.model = model
        self.handles = []

    def attach(self, layer):
        h = layer.register_forward_hook(lambda *a: None)
        self.handles.append(h)

    def detach(self):
        for h in self.handles:
            h.remove()

def helper(x, y=2, *rest, scale=1.0, **kw):
    return x * scale

def main(model):
    p = Probe(model)
    p.attach(model.layer)
    z = helper(model, 3, scale=2.0)
    w = helper(model, 3, 4, 5, other=1, **{})
    handles.append(z)
    p.detach()
    return z
)py";

std::vector<uint32_t> Indices(const std::vector<ParamBinding>& bindings) {
  std::vector<uint32_t> out;
  for (const ParamBinding& b : bindings) out.push_back(b.param_index);
  return out;
}

TEST(SupportDefUseTest, AttributeLocationsAreSharedAcrossMethods) {
  auto p = SupportProgram::Load({{"m", kProbe}});
  ASSERT_NE(p, nullptr);
  const DefUse& du = *p->du;
  const ir::FuncId init = p->Func("Probe.__init__");
  const ir::FuncId detach = p->Func("Probe.detach");
  const ValueRef store = p->Find(init, ir::Opcode::kStoreAttr, 8, "handles");
  const ValueRef load = p->Find(detach, ir::Opcode::kLoadAttr, 15, "handles");
  const LocationId loc = du.StoredLocation(store);
  ASSERT_TRUE(loc.valid());
  EXPECT_EQ(du.LoadedLocation(load), loc);
  EXPECT_EQ(du.LocationName(loc), "Probe.handles");
  // The attach method's `self.handles` load is the same location.
  const ValueRef attach_load = p->Find(p->Func("Probe.attach"), ir::Opcode::kLoadAttr, 12, "handles");
  EXPECT_EQ(du.LoadedLocation(attach_load), loc);
  EXPECT_THAT(du.LoadsOf(loc), UnorderedElementsAre(load, attach_load));
  // A different attribute is a different location.
  EXPECT_NE(du.StoredLocation(p->Find(init, ir::Opcode::kStoreAttr, 7, "model")), loc);
}

TEST(SupportDefUseTest, ModuleGlobalsAreLocations) {
  auto p = SupportProgram::Load({{"m", kProbe}});
  ASSERT_NE(p, nullptr);
  const DefUse& du = *p->du;
  const ValueRef store = p->Find(p->Func("m"), ir::Opcode::kStoreVar, 3, "handles");
  const ValueRef load = p->Find(p->Func("main"), ir::Opcode::kLoadVar, 26, "handles");
  ASSERT_TRUE(du.StoredLocation(store).valid());
  EXPECT_EQ(du.StoredLocation(store), du.LoadedLocation(load));
  EXPECT_EQ(du.LocationName(du.StoredLocation(store)), "m.handles");
  EXPECT_EQ(du.StoredValues(du.StoredLocation(store)).size(), 1u);
}

TEST(SupportDefUseTest, BindsPositionalKeywordAndExtraArguments) {
  auto p = SupportProgram::Load({{"m", kProbe}});
  ASSERT_NE(p, nullptr);
  const DefUse& du = *p->du;
  const ir::FuncId main = p->Func("main");
  const ValueRef call = p->Call(main, 24, "helper");
  const CallSite site{call.fn, call.value};
  ASSERT_EQ(du.TargetsAt(site).size(), 1u);
  EXPECT_EQ(du.TargetsAt(site)[0].implicit_args, 0);
  EXPECT_THAT(Indices(du.BindOperand(site, 1)), ElementsAre(0));  // model -> x
  EXPECT_THAT(Indices(du.BindOperand(site, 2)), ElementsAre(1));  // 3 -> y
  EXPECT_THAT(Indices(du.BindOperand(site, 3)), ElementsAre(3));  // scale=
  EXPECT_TRUE(du.BindOperand(site, 4).empty());                    // no such operand
  // helper(model, 3, 4, 5, other=1, **{}): extras land in *rest, unknown keywords in **kw, and
  // **{} may fill every keyword-capable parameter after the positional ones.
  const ValueRef call2 = p->Call(main, 25, "helper");
  const CallSite site2{call2.fn, call2.value};
  EXPECT_THAT(Indices(du.BindOperand(site2, 3)), ElementsAre(2));
  EXPECT_THAT(Indices(du.BindOperand(site2, 4)), ElementsAre(2));
  EXPECT_THAT(Indices(du.BindOperand(site2, 5)), ElementsAre(4));
  EXPECT_THAT(Indices(du.BindOperand(site2, 6)), ElementsAre(3, 4));
  // The bound parameter's Param instruction is found when the callee reads it.
  const std::vector<ParamBinding> x = du.BindOperand(site, 1);
  ASSERT_EQ(x.size(), 1u);
  EXPECT_EQ(du.instr(ValueRef{x[0].callee, x[0].param}).op, ir::Opcode::kParam);
}

TEST(SupportDefUseTest, MethodsAndConstructorsBindSelfImplicitly) {
  auto p = SupportProgram::Load({{"m", kProbe}});
  ASSERT_NE(p, nullptr);
  const DefUse& du = *p->du;
  const ir::FuncId main = p->Func("main");
  const ValueRef attach = p->Call(main, 23, "attach");
  const CallSite attach_site{attach.fn, attach.value};
  ASSERT_EQ(du.TargetsAt(attach_site).size(), 1u);
  EXPECT_EQ(du.TargetsAt(attach_site)[0].implicit_args, 1);
  EXPECT_THAT(Indices(du.BindOperand(attach_site, 1)), ElementsAre(1));  // layer
  EXPECT_THAT(Indices(du.BindReceiver(attach_site)), ElementsAre(0));    // self
  EXPECT_EQ(du.MethodName(attach_site), "attach");

  const ValueRef ctor = p->Call(main, 22, "Probe");
  const CallSite ctor_site{ctor.fn, ctor.value};
  ASSERT_EQ(du.TargetsAt(ctor_site).size(), 1u);
  EXPECT_EQ(du.TargetsAt(ctor_site)[0].kind, ir::EdgeKind::kConstructor);
  EXPECT_THAT(Indices(du.BindOperand(ctor_site, 1)), ElementsAre(1));  // model

  // Arguments of Probe.__init__'s `model`: main's parameter.
  const std::vector<DefUse::Argument> args = du.ArgumentsFor(p->Func("Probe.__init__"), 1);
  ASSERT_EQ(args.size(), 1u);
  EXPECT_EQ(du.instr(ValueRef{args[0].site.caller, args[0].value}).op, ir::Opcode::kParam);
  // `self` of attach is main's `p`, the constructor call's value.
  const std::vector<DefUse::Argument> selfs = du.ArgumentsFor(p->Func("Probe.attach"), 0);
  ASSERT_EQ(selfs.size(), 1u);
  EXPECT_EQ(selfs[0].value, ctor.value);
  // The hook lambda is a callback of the registration, not a target of it.
  const ValueRef reg = p->Call(p->Func("Probe.attach"), 11, "register_forward_hook");
  EXPECT_TRUE(du.TargetsAt(CallSite{reg.fn, reg.value}).empty());
}

TEST(SupportDefUseTest, ReturnsAndCallSites) {
  auto p = SupportProgram::Load({{"m", kProbe}});
  ASSERT_NE(p, nullptr);
  const DefUse& du = *p->du;
  const ir::FuncId helper = p->Func("helper");
  ASSERT_EQ(du.Returns(helper).size(), 1u);
  EXPECT_EQ(du.instr(ValueRef{helper, du.Returns(helper)[0]}).op, ir::Opcode::kBinaryOp);
  EXPECT_EQ(du.CallSitesOf(helper).size(), 2u);
  EXPECT_TRUE(du.CallSitesOf(p->Func("main")).empty());
}

}  // namespace
}  // namespace flopscope::dataflow::support
