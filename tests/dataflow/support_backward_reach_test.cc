#include "dataflow/support/backward_reach.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dataflow/support_program.h"

namespace flopscope::dataflow::support {
namespace {

using testing::SupportProgram;

constexpr char kTrain[] = R"py(
import torch

def compute_loss(model, batch):
    out = model(**batch)
    return out.loss

def train_step(model, batch, optimizer):
    loss = compute_loss(model, batch)
    loss.backward()
    optimizer.step()

def train(model, loader, optimizer):
    for batch in loader:
        train_step(model, batch, optimizer)

def evaluate(model, loader):
    scores = []
    for batch in loader:
        l = compute_loss(model, batch)
        scores.append(l.item())
    return scores

def accumulate(model, loader):
    total = 0
    for batch in loader:
        total = total + model(batch).loss
    (total / len(loader)).backward()

def logged(model, loader):
    running = 0
    for batch in loader:
        loss = model(batch).loss
        running += loss.item()
        loss.backward()

def with_accelerator(model, batch, accelerator):
    loss = model(batch).loss
    accelerator.backward(loss)

def with_grad(model, batch, params):
    out = model(batch)
    return torch.autograd.grad(out.sum(), params)

def collect(model, batch, store):
    out = model(batch)
    store.append(out.logits.detach())
)py";

TEST(SupportBackwardReachTest, ForwardOutputReachesBackwardThroughReturn) {
  auto p = SupportProgram::Load({{"m", kTrain}});
  ASSERT_NE(p, nullptr);
  const BackwardReach reach(*p->du);
  const ir::FuncId compute = p->Func("compute_loss");
  const ValueRef out = p->Call(compute, 5, "model");
  // Some caller (train_step) calls backward on it.
  const std::optional<BackwardReach::Witness> any = reach.ReachesBackward(out);
  ASSERT_TRUE(any.has_value());
  EXPECT_EQ(any->sink.fn, p->Func("train_step"));
  EXPECT_EQ(any->path.front().at, out);

  // Under evaluate's call, it only reaches `.item()`.
  const ir::FuncId evaluate = p->Func("evaluate");
  const ValueRef eval_call = p->Call(evaluate, 20, "compute_loss");
  EXPECT_FALSE(reach.ReachesBackward(out, {CallSite{evaluate, eval_call.value}}).has_value());
  // Under train_step's call, it does.
  const ir::FuncId step = p->Func("train_step");
  const ValueRef step_call = p->Call(step, 9, "compute_loss");
  EXPECT_TRUE(reach.ReachesBackward(out, {CallSite{step, step_call.value}}).has_value());
  // evaluate's own view of the result: no.
  EXPECT_FALSE(reach.ReachesBackward(eval_call).has_value());
}

TEST(SupportBackwardReachTest, AccumulatedSumsAndItemCuts) {
  auto p = SupportProgram::Load({{"m", kTrain}});
  ASSERT_NE(p, nullptr);
  const BackwardReach reach(*p->du);
  const ir::FuncId acc = p->Func("accumulate");
  EXPECT_TRUE(reach.ReachesBackward(p->Call(acc, 27, "model")).has_value());

  const ir::FuncId logged = p->Func("logged");
  const ValueRef loss_out = p->Call(logged, 33, "model");
  EXPECT_TRUE(reach.ReachesBackward(loss_out).has_value());
  // The running sum is fed by `.item()`: it never reaches backward.
  const ValueRef running = p->Find(logged, ir::Opcode::kInplaceOp, 34);
  EXPECT_FALSE(reach.ReachesBackward(running).has_value());
}

TEST(SupportBackwardReachTest, FrameworkAndAutogradSinks) {
  auto p = SupportProgram::Load({{"m", kTrain}});
  ASSERT_NE(p, nullptr);
  const BackwardReach reach(*p->du);
  EXPECT_TRUE(reach.ReachesBackward(p->Call(p->Func("with_accelerator"), 38, "model")).has_value());
  EXPECT_TRUE(reach.ReachesBackward(p->Call(p->Func("with_grad"), 42, "model")).has_value());
  EXPECT_FALSE(reach.ReachesBackward(p->Call(p->Func("collect"), 46, "model")).has_value());
}

TEST(SupportBackwardReachTest, TrainingFunctions) {
  auto p = SupportProgram::Load({{"m", kTrain}});
  ASSERT_NE(p, nullptr);
  const BackwardReach reach(*p->du);
  EXPECT_TRUE(reach.IsTrainingFunction(p->Func("train_step")));
  EXPECT_TRUE(reach.IsTrainingFunction(p->Func("train")));
  EXPECT_TRUE(reach.IsTrainingFunction(p->Func("accumulate")));
  EXPECT_FALSE(reach.IsTrainingFunction(p->Func("evaluate")));
  EXPECT_FALSE(reach.IsTrainingFunction(p->Func("compute_loss")));
  EXPECT_FALSE(reach.IsTrainingFunction(p->Func("collect")));
  const std::vector<CallSite> chain = reach.TrainingWitness(p->Func("train"));
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_EQ(chain[0].caller, p->Func("train"));
  EXPECT_EQ(chain[1].caller, p->Func("train_step"));
  EXPECT_TRUE(reach.TrainingWitness(p->Func("evaluate")).empty());
}

TEST(SupportBackwardReachTest, OptimizerStepMakesTraining) {
  auto p = SupportProgram::Load({{"m", R"py(
import torch

def fit(model, data):
    opt = torch.optim.AdamW(model.parameters())
    for x in data:
        opt.step()

def tick(scheduler):
    scheduler.step()
)py"}});
  ASSERT_NE(p, nullptr);
  const BackwardReach reach(*p->du);
  EXPECT_TRUE(reach.IsTrainingFunction(p->Func("fit")));
  EXPECT_FALSE(reach.IsTrainingFunction(p->Func("tick")));
}

}  // namespace
}  // namespace flopscope::dataflow::support
