// Dtype domain on small programs: torch_dtype= (keyword, **kwargs dict, "auto"), load_in_8bit,
// quantization_config, .half()/.bfloat16() in place and through a helper, .to(dtype=), the fp32
// default of from_pretrained, transformer_lens' dtype=.
#include "gtest/gtest.h"
#include "tests/dataflow/analyze_fixture.h"

namespace flopscope::dataflow {
namespace {

constexpr char kSource[] = R"py(import torch
from transformers import AutoModelForCausalLM, BitsAndBytesConfig
from transformer_lens import HookedTransformer


def default_fp32():
    return AutoModelForCausalLM.from_pretrained("gpt2-xl")


def keyword():
    return AutoModelForCausalLM.from_pretrained("x", torch_dtype=torch.float16)


def auto():
    return AutoModelForCausalLM.from_pretrained("x", torch_dtype="auto")


def kwargs_dict():
    kw = dict(torch_dtype=torch.bfloat16)
    return AutoModelForCausalLM.from_pretrained("x", **kw)


def kwargs_literal():
    kw = {"device_map": "auto", "torch_dtype": torch.float16}
    return AutoModelForCausalLM.from_pretrained("x", **kw)


def eight_bit():
    return AutoModelForCausalLM.from_pretrained("x", load_in_8bit=True)


def four_bit():
    q = BitsAndBytesConfig(load_in_4bit=True)
    return AutoModelForCausalLM.from_pretrained("x", quantization_config=q)


def half_in_place():
    m = AutoModelForCausalLM.from_pretrained("x")
    m.half()
    return m


def to_dtype():
    m = AutoModelForCausalLM.from_pretrained("x")
    return m.to(dtype=torch.bfloat16)


def cast(model):
    model.bfloat16()


def via_helper():
    m = AutoModelForCausalLM.from_pretrained("x")
    cast(m)
    return m


def lens():
    return HookedTransformer.from_pretrained("gpt2", dtype="float16")


def unknown_kwargs(**kwargs):
    return AutoModelForCausalLM.from_pretrained("x", **kwargs)
)py";

class DTypeFlowTest : public testing::SharedAnalysisTest {
 protected:
  static void SetUpTestSuite() { AnalyzeOnce(kSource); }
  static DTypeDomain Returned(const std::string& fn, uint32_t line) {
    return a_->Returned("m." + fn, line).dtype;
  }
};

DTypeDomain Of(DType t) { return DTypeDomain::Of(t); }

TEST_F(DTypeFlowTest, LoadDtypes) {
  EXPECT_EQ(Returned("default_fp32", 7), Of(DType::kFloat32));
  EXPECT_EQ(Returned("keyword", 11), Of(DType::kFloat16));
  EXPECT_EQ(Returned("auto", 15), Of(DType::kAuto));
  EXPECT_EQ(Returned("kwargs_dict", 20), Of(DType::kBFloat16));
  EXPECT_EQ(Returned("kwargs_literal", 25), Of(DType::kFloat16));
  EXPECT_EQ(Returned("eight_bit", 29), Of(DType::kInt8));
  EXPECT_EQ(Returned("four_bit", 34), Of(DType::kInt4));
  EXPECT_EQ(Returned("lens", 59), Of(DType::kFloat16));
  // A **kwargs of unknown contents may carry torch_dtype: unknown, not fp32.
  EXPECT_TRUE(Returned("unknown_kwargs", 63).IsTop());
}

TEST_F(DTypeFlowTest, LoadEventKeepsTheAsLoadedDtypeWithProvenance) {
  bool found = false;
  for (const ModelLoad& load : a_->analysis->model_loads()) {
    if (load.fn != a_->Fn("m.default_fp32")) continue;
    found = true;
    EXPECT_EQ(load.dtype, Of(DType::kFloat32));
    ASSERT_FALSE(a_->Chain(load.dtype_prov).empty());
    EXPECT_NE(a_->Chain(load.dtype_prov).back().find("fp32 weights by default"),
              std::string::npos);
    EXPECT_DOUBLE_EQ(*a_->analysis->site(load.model_site).parameters, 1.5e9);
  }
  EXPECT_TRUE(found);
}

TEST_F(DTypeFlowTest, Casts) {
  EXPECT_EQ(Returned("half_in_place", 40), Of(DType::kFloat16));
  EXPECT_EQ(Returned("to_dtype", 45), Of(DType::kBFloat16));
  // The helper's in-place cast of its parameter is an effect in its summary.
  EXPECT_EQ(Returned("via_helper", 55), Of(DType::kBFloat16));
  int casts = 0;
  for (const ModelCast& c : a_->analysis->model_casts()) casts += c.dtype.HasValue() ? 1 : 0;
  EXPECT_EQ(casts, 3);
}

}  // namespace
}  // namespace flopscope::dataflow
