// Grad-state domain on small programs: with-regions, decorators, set_grad_enabled as a statement
// and as a context manager, the cuts (.detach/.item/.tolist/.numpy; .cpu() is not one),
// generate(), loss accumulation, a helper called only under no_grad, and the mode after a
// `while True` left by break.
#include "gtest/gtest.h"
#include "tests/dataflow/analyze_fixture.h"

namespace flopscope::dataflow {
namespace {

constexpr char kSource[] = R"py(import torch
from transformers import AutoModelForCausalLM

M = AutoModelForCausalLM.from_pretrained("gpt2")


def plain(x):
    return M(x)


def region(x):
    with torch.no_grad():
        y = M(x)
    z = M(x)
    return y, z


@torch.no_grad()
def decorated(x):
    return M(x)


@torch.inference_mode()
def inference(x):
    return M(x)


def statement(x):
    torch.set_grad_enabled(False)
    return M(x)


def managed(x):
    with torch.set_grad_enabled(False):
        y = M(x)
    return M(x)


def cuts(x):
    out = M(x)
    a = out.logits.detach()
    b = out.logits.item()
    c = out.logits.tolist()
    d = out.logits.cpu()
    e = out.logits.numpy()
    return a, b, c, d, e


def accumulate(batches):
    total = 0
    for b in batches:
        loss = M(b).loss
        total += loss
    return total


def generate(x):
    return M.generate(x)


def helper(x):
    return M(x)


def only_no_grad_caller(x):
    with torch.no_grad():
        return helper(x)


def after_infinite_loop(x, q):
    while True:
        torch.set_grad_enabled(False)
        if q.empty():
            break
    return M(x)


def after_conditional_loop(x, q):
    while q:
        torch.set_grad_enabled(False)
        if q.empty():
            break
    return M(x)
)py";

class GradStateFlowTest : public testing::SharedAnalysisTest {
 protected:
  static void SetUpTestSuite() { AnalyzeOnce(kSource); }
  static Attachment Forward(const std::string& fn, uint32_t line) {
    const ir::InstrId call = a_->Call("m." + fn, line, "M");
    EXPECT_TRUE(call.valid()) << fn << ":" << line;
    return a_->analysis->Value(a_->Fn("m." + fn), call).grad;
  }
  static GradMode ModeAt(const std::string& fn, uint32_t line) {
    return a_->analysis->GradModeAt(a_->Fn("m." + fn), a_->On("m." + fn, line, ir::Opcode::kCall));
  }
};

TEST_F(GradStateFlowTest, ModesAndForwardOutputs) {
  EXPECT_TRUE(Forward("plain", 8).DefinitelyAttached());
  EXPECT_TRUE(ModeAt("plain", 8).DefinitelyEnabled());
  EXPECT_TRUE(Forward("region", 13).DefinitelyDetached());
  EXPECT_TRUE(ModeAt("region", 13).DefinitelyDisabled());
  // After the with block ends, grad is back on.
  EXPECT_TRUE(Forward("region", 14).DefinitelyAttached());
  EXPECT_TRUE(Forward("decorated", 20).DefinitelyDetached());
  EXPECT_TRUE(Forward("inference", 25).DefinitelyDetached());
  EXPECT_TRUE(Forward("statement", 30).DefinitelyDetached());
  EXPECT_TRUE(Forward("managed", 35).DefinitelyDetached());
  EXPECT_TRUE(Forward("managed", 36).DefinitelyAttached());
}

TEST_F(GradStateFlowTest, CutsDetachButCpuDoesNot) {
  const ir::FuncId fn = a_->Fn("m.cuts");
  const ir::InstrId ret = a_->On("m.cuts", 46, ir::Opcode::kReturn);
  ASSERT_TRUE(ret.valid());
  const ir::Instr& tuple = a_->program.function(fn).instr(a_->program.function(fn).instr(ret).operands[0]);
  ASSERT_EQ(tuple.operands.size(), 5u);
  auto grad = [&](size_t i) { return a_->analysis->Value(fn, tuple.operands[i]).grad; };
  EXPECT_TRUE(grad(0).DefinitelyDetached());
  EXPECT_TRUE(grad(1).DefinitelyDetached());
  EXPECT_TRUE(grad(2).DefinitelyDetached());
  EXPECT_TRUE(grad(3).DefinitelyAttached());  // .cpu() keeps the graph
  EXPECT_TRUE(grad(4).DefinitelyDetached());
  EXPECT_TRUE(a_->analysis->Value(fn, tuple.operands[1]).IsKnownKind(kKindNumber));
}

TEST_F(GradStateFlowTest, AccumulatedLossStaysAttached) {
  const AbstractValue total = a_->Returned("m.accumulate", 54);
  EXPECT_TRUE(total.MayBe(kKindLoss)) << total.ToString();
  EXPECT_TRUE(total.grad.MayBeAttached());
  const ir::InstrId add = a_->On("m.accumulate", 53, ir::Opcode::kInplaceOp);
  ASSERT_TRUE(add.valid());
  const AbstractValue loss = a_->analysis->Operand(a_->Fn("m.accumulate"), add, 1);
  EXPECT_TRUE(loss.IsKnownKind(kKindLoss));
  EXPECT_TRUE(loss.grad.DefinitelyAttached());
}

TEST_F(GradStateFlowTest, GenerateDisablesGrad) {
  const AbstractValue out = a_->Returned("m.generate", 58);
  EXPECT_TRUE(out.grad.DefinitelyDetached()) << out.ToString();
  bool event = false;
  for (const ForwardCall& f : a_->analysis->forward_calls()) {
    event = event || (f.fn == a_->Fn("m.generate") && f.is_generate);
  }
  EXPECT_TRUE(event);
}

TEST_F(GradStateFlowTest, HelperCalledOnlyUnderNoGradRunsUnderNoGrad) {
  EXPECT_TRUE(ModeAt("helper", 62).DefinitelyDisabled());
  EXPECT_TRUE(Forward("helper", 62).DefinitelyDetached());
}

// `while True` is left only through `break`, after set_grad_enabled(False): the forward after it
// runs without grad. A conditional `while` can also end on its test, before the first iteration
// switched grad off, so there the mode after the loop stays unknown.
TEST_F(GradStateFlowTest, ModeAfterWhileTrueComesFromTheBreakOnly) {
  EXPECT_TRUE(ModeAt("after_infinite_loop", 75).DefinitelyDisabled());
  EXPECT_TRUE(Forward("after_infinite_loop", 75).DefinitelyDetached());
  EXPECT_TRUE(ModeAt("after_conditional_loop", 83).MayBeEnabled());
  EXPECT_TRUE(Forward("after_conditional_loop", 83).MayBeAttached());
}

}  // namespace
}  // namespace flopscope::dataflow
