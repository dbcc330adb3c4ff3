// Model-identity domain on small programs: checkpoint strings through argparse defaults and
// choices, os.environ.get, dataclass field defaults, dict lookups with constant keys, self
// attributes; loaders; caches (lru_cache, module singleton, memo dict).
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/dataflow/analyze_fixture.h"

namespace flopscope::dataflow {
namespace {

constexpr char kSource[] = R"py(import argparse
import functools
import os
from dataclasses import dataclass

import torch
from transformers import AutoModel
from transformer_lens import HookedTransformer

parser = argparse.ArgumentParser()
parser.add_argument("--model-name", default="gpt2-medium", choices=["gpt2-medium", "gpt2-large"])
args = parser.parse_args()
MODELS = {"small": "gpt2", "big": "gpt2-xl"}


@dataclass
class Config:
    model_name: str = "meta-llama/Llama-2-13b-hf"


def from_args():
    return AutoModel.from_pretrained(args.model_name)


def from_env():
    return AutoModel.from_pretrained(os.environ.get("MODEL", "EleutherAI/pythia-70m"))


def from_config():
    cfg = Config()
    return AutoModel.from_pretrained(cfg.model_name)


def from_dict():
    return AutoModel.from_pretrained(MODELS["big"])


@functools.lru_cache(maxsize=None)
def cached(name):
    return AutoModel.from_pretrained(name)


def use_cached():
    return cached("gpt2")


_MODEL = None


def singleton():
    global _MODEL
    if _MODEL is None:
        _MODEL = AutoModel.from_pretrained("roberta-base")
    return _MODEL


_CACHE = {}


def memo(name):
    if name not in _CACHE:
        _CACHE[name] = AutoModel.from_pretrained(name)
    return _CACHE[name]


def use_memo():
    return memo("bert-base-uncased")


def uncached():
    return AutoModel.from_pretrained("t5-small")


def lens():
    return HookedTransformer.from_pretrained("pythia-410m")


def checkpoint_file():
    return torch.load("ckpt.pt", map_location="cpu")


class Wrapper:
    def __init__(self, name):
        self.model = AutoModel.from_pretrained(name)


def wrapped():
    w = Wrapper("distilgpt2")
    return w.model
)py";

class ModelIdentityFlowTest : public testing::SharedAnalysisTest {
 protected:
  static void SetUpTestSuite() { AnalyzeOnce(kSource); }
  // The single model site a function's `return` on `line` yields.
  static const Site& ReturnedSite(const std::string& fn, uint32_t line) {
    const AbstractValue v = a_->Returned("m." + fn, line);
    EXPECT_TRUE(v.sites.IsSingleton()) << fn << ": " << v.ToString();
    static const Site kNone;
    if (!v.sites.IsSingleton()) return kNone;
    return a_->analysis->site(v.sites.elements()[0]);
  }
  static const ModelLoad* LoadIn(const std::string& fn) {
    for (const ModelLoad& load : a_->analysis->model_loads()) {
      if (load.fn == a_->Fn("m." + fn)) return &load;
    }
    return nullptr;
  }
};

TEST_F(ModelIdentityFlowTest, ArgparseDefaultAndChoicesAreOverridable) {
  const Site& site = ReturnedSite("from_args", 22);
  EXPECT_EQ(site.checkpoint.values(), (std::vector<std::string>{"gpt2-large", "gpt2-medium"}));
  EXPECT_TRUE(site.checkpoint.overridable());
  EXPECT_DOUBLE_EQ(*site.parameters, 7.74e8);
}

TEST_F(ModelIdentityFlowTest, EnvironmentDefaultIsOverridable) {
  const Site& site = ReturnedSite("from_env", 26);
  ASSERT_EQ(site.checkpoint.values().size(), 1u);
  EXPECT_EQ(site.checkpoint.values()[0], "EleutherAI/pythia-70m");
  EXPECT_TRUE(site.checkpoint.overridable());
  EXPECT_DOUBLE_EQ(*site.parameters, 7e7);
}

TEST_F(ModelIdentityFlowTest, DataclassFieldDefaultIsOverridable) {
  const Site& site = ReturnedSite("from_config", 31);
  ASSERT_EQ(site.checkpoint.values().size(), 1u);
  EXPECT_EQ(site.checkpoint.values()[0], "meta-llama/Llama-2-13b-hf");
  EXPECT_TRUE(site.checkpoint.overridable());
  EXPECT_DOUBLE_EQ(*site.parameters, 13e9);
}

TEST_F(ModelIdentityFlowTest, DictLookupWithConstantKey) {
  const Site& site = ReturnedSite("from_dict", 35);
  ASSERT_TRUE(site.checkpoint.IsSingleton());
  EXPECT_EQ(site.checkpoint.values()[0], "gpt2-xl");
  EXPECT_FALSE(site.checkpoint.overridable());
}

TEST_F(ModelIdentityFlowTest, Caches) {
  ASSERT_NE(LoadIn("cached"), nullptr);
  EXPECT_TRUE(LoadIn("cached")->cached);
  EXPECT_TRUE(a_->analysis->IsCacheDecorated(a_->Fn("m.cached")));
  ASSERT_NE(LoadIn("singleton"), nullptr);
  EXPECT_TRUE(LoadIn("singleton")->cached) << "module-level singleton";
  ASSERT_NE(LoadIn("memo"), nullptr);
  EXPECT_TRUE(LoadIn("memo")->cached) << "memo dict";
  ASSERT_NE(LoadIn("uncached"), nullptr);
  EXPECT_FALSE(LoadIn("uncached")->cached);
  // The singleton global holds the load; the memo dict's item is the load.
  EXPECT_TRUE(a_->Returned("m.singleton", 54).MayBe(kKindModel));
  EXPECT_EQ(ReturnedSite("use_memo", 67).checkpoint.values()[0], "bert-base-uncased");
}

TEST_F(ModelIdentityFlowTest, Loaders) {
  EXPECT_EQ(ReturnedSite("lens", 75).loader, LoaderKind::kTransformerLens);
  EXPECT_EQ(ReturnedSite("uncached", 71).loader, LoaderKind::kPretrained);
  const Site& file = ReturnedSite("checkpoint_file", 79);
  EXPECT_EQ(file.loader, LoaderKind::kTorchLoad);
  EXPECT_EQ(file.checkpoint.values()[0], "ckpt.pt");
  EXPECT_EQ(a_->Returned("m.checkpoint_file", 79).device, DeviceDomain::Cpu());
  // A model kept in self.model by a constructor, read back from the instance.
  const Site& wrapped = ReturnedSite("wrapped", 89);
  EXPECT_EQ(wrapped.checkpoint.values()[0], "distilgpt2");
  EXPECT_DOUBLE_EQ(*wrapped.parameters, 8.2e7);
}

}  // namespace
}  // namespace flopscope::dataflow
