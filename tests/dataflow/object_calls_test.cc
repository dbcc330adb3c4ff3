// Calls through objects: a module stored in an attribute and called (`self.crit(...)`), a method
// dispatched on the receiver's abstract class where the call graph has no edge (a trainer passed
// as a parameter), tuple elements of the result, and the inputs a forward hook receives.
#include "gtest/gtest.h"
#include "tests/dataflow/analyze_fixture.h"

namespace flopscope::dataflow {
namespace {

constexpr char kSource[] = R"py(import torch
from transformers import AutoModelForCausalLM

STORE = []


class Trainer:
    def __init__(self, model, optimizer):
        self.model = model
        self.optimizer = optimizer
        self.crit = torch.nn.CrossEntropyLoss()

    def step(self, x, y):
        out = self.model(x)
        loss = self.crit(out.logits, y)
        loss.backward()
        self.optimizer.step()
        return loss, 1


def run(trainer, x, y):
    loss, n = trainer.step(x, y)
    return loss


def hook(module, inputs, output):
    STORE.append(inputs[0])


def eval_hook(module, inputs, output):
    STORE.append(inputs[0])


def main(x, y):
    model = AutoModelForCausalLM.from_pretrained("gpt2")
    optimizer = torch.optim.AdamW(model.parameters())
    run(Trainer(model, optimizer), x, y)
    model.register_forward_hook(hook)
    model(x)


def evaluate(x):
    model = AutoModelForCausalLM.from_pretrained("gpt2")
    model.register_forward_hook(eval_hook)
    with torch.no_grad():
        model(x)
)py";

class ObjectCallsTest : public testing::SharedAnalysisTest {
 protected:
  static void SetUpTestSuite() { AnalyzeOnce(kSource); }
};

TEST_F(ObjectCallsTest, StoredModulesRunWhenCalled) {
  // The loss module held in `self.crit` computes a loss; it is not constructed again.
  const AbstractValue loss = a_->CallResult("m.Trainer.step", 15, "crit");
  EXPECT_TRUE(loss.IsKnownKind(kKindTensor)) << loss.ToString();
  EXPECT_FALSE(loss.MayBe(kKindModel)) << loss.ToString();
  EXPECT_TRUE(loss.grad.MayBeAttached());
  // `self.model(x)` is a forward pass of the model the constructor stored.
  bool forward = false;
  for (const ForwardCall& f : a_->analysis->forward_calls()) {
    forward = forward || (f.fn == a_->Fn("m.Trainer.step") &&
                          f.site == a_->Call("m.Trainer.step", 14, "model") && f.known_model);
  }
  EXPECT_TRUE(forward);
}

TEST_F(ObjectCallsTest, MethodOfAParameterIsDispatchedOnItsClass) {
  const ir::InstrId call = a_->Call("m.run", 22, "step");
  ASSERT_TRUE(call.valid());
  bool entered = false;
  for (ContextId context : a_->analysis->ContextsOf(a_->Fn("m.run"))) {
    for (ContextId inner : a_->analysis->CalleeContexts(context, call)) {
      entered = entered || a_->analysis->context(inner).fn == a_->Fn("m.Trainer.step");
    }
  }
  EXPECT_TRUE(entered);
  // The first element of the returned tuple is the attached loss.
  const AbstractValue loss = a_->Returned("m.run", 23);
  EXPECT_TRUE(loss.grad.DefinitelyAttached()) << loss.ToString();
}

TEST_F(ObjectCallsTest, ForwardHookInputsFollowTheFiringPass) {
  const ir::InstrId trained = a_->On("m.hook", 27, ir::Opcode::kLoadSubscript);
  const ir::InstrId evaluated = a_->On("m.eval_hook", 31, ir::Opcode::kLoadSubscript);
  ASSERT_TRUE(trained.valid());
  ASSERT_TRUE(evaluated.valid());
  EXPECT_TRUE(a_->analysis->Value(a_->Fn("m.hook"), trained).grad.DefinitelyAttached());
  EXPECT_TRUE(a_->analysis->Value(a_->Fn("m.eval_hook"), evaluated).grad.DefinitelyDetached());
}

}  // namespace
}  // namespace flopscope::dataflow
