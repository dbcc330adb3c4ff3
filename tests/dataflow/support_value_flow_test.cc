#include "dataflow/support/value_flow.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dataflow/support_program.h"

namespace flopscope::dataflow::support {
namespace {

using testing::SupportProgram;

// Walks from `start` and returns the first value state (in the given mode) whose instruction
// satisfies `pred`, or -1.
template <typename Pred>
int32_t FindState(const DefUse& du, FlowNode start, const FlowOptions& options, FlowResult* out,
                  Pred pred) {
  int32_t hit = -1;
  *out = ExploreFlow(du, {start}, options, [&](const FlowResult& r, int32_t i) {
    const FlowState& s = r.states[static_cast<size_t>(i)];
    if (s.node.is_location()) return false;
    if (pred(s)) {
      hit = i;
      return true;
    }
    return false;
  });
  return hit;
}

std::string Steps(const FlowResult& r, int32_t index) {
  std::string out;
  for (const FlowHop& hop : HopsTo(r, index)) {
    if (!out.empty()) out += " ";
    out += std::string(FlowStepName(hop.step));
  }
  return out;
}

TEST(SupportValueFlowTest, HandleReachesRemoveThroughAttributeContainer) {
  auto p = SupportProgram::Load({{"m", R"py(
class Probe:
    def __init__(self):
        self.handles = []

    def attach(self, layer):
        h = layer.register_forward_hook(print)
        self.handles.append(h)

    def detach(self):
        for h in self.handles:
            h.remove()
)py"}});
  ASSERT_NE(p, nullptr);
  const ValueRef reg = p->Call(p->Func("Probe.attach"), 7, "register_forward_hook");
  const ir::FuncId detach = p->Func("Probe.detach");
  FlowResult r;
  const int32_t hit = FindState(*p->du, FlowNode::Value(reg), FlowOptions{}, &r,
                                [&](const FlowState& s) {
                                  return !s.node.content && s.node.fn == detach &&
                                         p->du->instr(s.node.value_ref()).op == ir::Opcode::kForIter;
                                });
  ASSERT_GE(hit, 0);
  EXPECT_EQ(Steps(r, hit), "start into-container alias load alias from-container");
}

TEST(SupportValueFlowTest, ContainerFilledInCalleeIsSeenByCaller) {
  auto p = SupportProgram::Load({{"m", R"py(
def add(handles, layer):
    handles.append(layer.register_forward_hook(print))

def run(model):
    hs = []
    add(hs, model.a)
    for h in hs:
        h.remove()
)py"}});
  ASSERT_NE(p, nullptr);
  const ValueRef reg = p->Call(p->Func("add"), 3, "register_forward_hook");
  const ir::FuncId run = p->Func("run");
  FlowResult r;
  const int32_t hit = FindState(*p->du, FlowNode::Value(reg), FlowOptions{}, &r,
                                [&](const FlowState& s) {
                                  return !s.node.content && s.node.fn == run &&
                                         p->du->instr(s.node.value_ref()).op == ir::Opcode::kForIter;
                                });
  ASSERT_GE(hit, 0);
  // into hs (in add) -> alias back to run's list -> iter -> element
  EXPECT_EQ(Steps(r, hit), "start into-container alias alias from-container");
}

TEST(SupportValueFlowTest, ReturnsFollowTheCallStringBack) {
  auto p = SupportProgram::Load({{"m", R"py(
def ident(x):
    return x

def a(t):
    u = ident(t)
    return u

def b(t):
    v = ident(t)
    return v
)py"}});
  ASSERT_NE(p, nullptr);
  const ir::FuncId a = p->Func("a");
  const ir::FuncId b = p->Func("b");
  const ValueRef t_of_a{a, p->du->ParamInstr(a, 0)};
  FlowResult r;
  bool reached_b = false;
  bool reached_a_call = false;
  r = ExploreFlow(*p->du, {FlowNode::Value(t_of_a)}, FlowOptions{}, [&](const FlowResult& res,
                                                                        int32_t i) {
    const FlowState& s = res.states[static_cast<size_t>(i)];
    if (s.node.fn == b) reached_b = true;
    if (s.node.fn == a && s.step == FlowStep::kFromReturn) reached_a_call = true;
    return false;
  });
  EXPECT_TRUE(reached_a_call);
  EXPECT_FALSE(reached_b) << "a's argument must not come back out of b's call of ident";

  // Without a call string, a value inside ident returns to both callers.
  const ir::FuncId ident = p->Func("ident");
  bool to_a = false, to_b = false;
  ExploreFlow(*p->du, {FlowNode::Value(ValueRef{ident, p->du->ParamInstr(ident, 0)})},
              FlowOptions{}, [&](const FlowResult& res, int32_t i) {
                const FlowState& s = res.states[static_cast<size_t>(i)];
                to_a = to_a || s.node.fn == a;
                to_b = to_b || s.node.fn == b;
                return false;
              });
  EXPECT_TRUE(to_a);
  EXPECT_TRUE(to_b);
  // With a context naming a's call, only a.
  FlowOptions ctx;
  ctx.context = {CallSite{a, p->Call(a, 6, "ident").value}};
  to_a = to_b = false;
  ExploreFlow(*p->du, {FlowNode::Value(ValueRef{ident, p->du->ParamInstr(ident, 0)})}, ctx,
              [&](const FlowResult& res, int32_t i) {
                const FlowState& s = res.states[static_cast<size_t>(i)];
                to_a = to_a || s.node.fn == a;
                to_b = to_b || s.node.fn == b;
                return false;
              });
  EXPECT_TRUE(to_a);
  EXPECT_FALSE(to_b);
}

TEST(SupportValueFlowTest, DerivationsAreOptIn) {
  auto p = SupportProgram::Load({{"m", R"py(
def f(model, batch):
    out = model(batch)
    loss = out.loss * 2
    total = 0
    total += loss
    return total
)py"}});
  ASSERT_NE(p, nullptr);
  const ir::FuncId f = p->Func("f");
  const ValueRef out = p->Call(f, 3, "model");
  auto reaches_return = [&](uint32_t derive) {
    FlowOptions o;
    o.derive = derive;
    FlowResult r;
    return FindState(*p->du, FlowNode::Value(out), o, &r, [&](const FlowState& s) {
             for (const Use& u : p->du->Uses(s.node.value_ref())) {
               if (p->du->instr(ValueRef{f, u.user}).op == ir::Opcode::kReturn) return true;
             }
             return false;
           }) >= 0;
  };
  EXPECT_FALSE(reaches_return(0));
  EXPECT_FALSE(reaches_return(kDeriveAttribute));
  EXPECT_TRUE(reaches_return(kDeriveAttribute | kDeriveArithmetic));
}

TEST(SupportValueFlowTest, BudgetTruncates) {
  auto p = SupportProgram::Load({{"m", R"py(
def f(x):
    a = x + 1
    b = a + 1
    c = b + 1
    d = c + 1
    return d
)py"}});
  ASSERT_NE(p, nullptr);
  const ir::FuncId f = p->Func("f");
  FlowOptions o;
  o.derive = kDeriveAll;
  o.max_states = 3;
  const FlowResult r = ExploreFlow(*p->du, {FlowNode::Value(ValueRef{f, p->du->ParamInstr(f, 0)})},
                                   o, nullptr);
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.states.size(), 3u);
}

}  // namespace
}  // namespace flopscope::dataflow::support
