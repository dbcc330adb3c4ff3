// Device domain on small programs: .to()/.cuda()/.cpu(), device= keywords, device_map, module
// constants, tensors made from tensors, model outputs on the model's device, in-place moves.
#include "gtest/gtest.h"
#include "tests/dataflow/analyze_fixture.h"

namespace flopscope::dataflow {
namespace {

constexpr char kSource[] = R"py(import torch
from transformers import AutoModelForCausalLM
DEVICE = torch.device("cuda:0")


def cuda_tensor():
    x = torch.ones(3)
    return x.cuda()


def back_to_cpu():
    x = torch.ones(3).cuda()
    return x.cpu()


def keyword():
    return torch.zeros(2, device="cuda")


def like():
    c = torch.zeros(2, device="cuda:1")
    return torch.zeros_like(c)


def through_constant():
    return torch.ones(3).to(DEVICE)


def arithmetic():
    x = torch.ones(3, device="cuda:1")
    return x * 2 + 1


def branchy(flag):
    x = torch.ones(3)
    if flag:
        x = x.cuda()
    return x


def device_map():
    return AutoModelForCausalLM.from_pretrained("gpt2", device_map="auto")


def moved_in_place():
    m = AutoModelForCausalLM.from_pretrained("gpt2")
    m.to("cuda:0")
    return m


def output(ids):
    m = AutoModelForCausalLM.from_pretrained("gpt2").cuda()
    return m(ids)


def default_cpu():
    return AutoModelForCausalLM.from_pretrained("gpt2")


def comprehension(batches):
    m = AutoModelForCausalLM.from_pretrained("gpt2")
    m = m.cuda()
    outs = [m(b) for b in batches]
    for i, o in enumerate(outs):
        return o


def accumulated_in_loop(total):
    parts, n = [], 0
    while n < total:
        part = torch.ones(4).to("cuda")
        parts.append(part)
        n += part.shape[0]
    return torch.cat(parts)
)py";

class DeviceFlowTest : public testing::SharedAnalysisTest {
 protected:
  static void SetUpTestSuite() { AnalyzeOnce(kSource); }
  static DeviceDomain Returned(const std::string& fn, uint32_t line) {
    return a_->Returned("m." + fn, line).device;
  }
};

TEST_F(DeviceFlowTest, TensorMoves) {
  EXPECT_EQ(Returned("cuda_tensor", 8), DeviceDomain::Cuda());
  EXPECT_EQ(Returned("back_to_cpu", 13), DeviceDomain::Cpu());
  EXPECT_EQ(Returned("keyword", 17), DeviceDomain::Cuda());
  EXPECT_EQ(Returned("like", 22), DeviceDomain::Cuda(1));
  EXPECT_EQ(Returned("through_constant", 26), DeviceDomain::Cuda(0));
  EXPECT_EQ(Returned("arithmetic", 31), DeviceDomain::Cuda(1));
}

TEST_F(DeviceFlowTest, MergeOfDifferentDevicesIsUnknown) {
  EXPECT_TRUE(Returned("branchy", 38).IsTop());
}

TEST_F(DeviceFlowTest, Models) {
  EXPECT_EQ(Returned("device_map", 42), DeviceDomain::Cuda());
  EXPECT_EQ(Returned("default_cpu", 57), DeviceDomain::Cpu());
  // model.to(...) moves the model itself: later uses of the same value see it.
  EXPECT_EQ(Returned("moved_in_place", 48), DeviceDomain::Cuda(0));
  // A forward pass's output lives on the model's device.
  EXPECT_EQ(Returned("output", 53), DeviceDomain::Cuda());
  bool cast = false;
  for (const ModelCast& c : a_->analysis->model_casts()) {
    cast = cast || (c.fn == a_->Fn("m.moved_in_place") && c.device == DeviceDomain::Cuda(0));
  }
  EXPECT_TRUE(cast);
}

TEST_F(DeviceFlowTest, ComprehensionSeesTheOwnersLatestValueThroughEnumerate) {
  // The closure variable `m` held the cpu model, then the cuda one; the comprehension runs after.
  EXPECT_EQ(Returned("comprehension", 65), DeviceDomain::Cuda());
  EXPECT_TRUE(a_->Returned("m.comprehension", 65).grad.DefinitelyAttached());
}

// The list is read by torch.cat after the loop, possibly before the solver has visited the loop
// body that fills it: the not-yet-written items must not pin the result to "unknown device".
TEST_F(DeviceFlowTest, ConcatenationOfAListFilledInALoop) {
  EXPECT_EQ(Returned("accumulated_in_loop", 74), DeviceDomain::Cuda());
}

}  // namespace
}  // namespace flopscope::dataflow
