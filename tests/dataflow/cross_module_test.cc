// Issue 3 acceptance: facts that cross functions and modules, on the fixtures in
// tests/fixtures/dataflow/.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "dataflow/analysis.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dataflow/analyze_fixture.h"

namespace flopscope::dataflow {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

MATCHER_P(StepContaining, text, "") { return absl::StrContains(arg, text); }

TEST(CrossModuleTest, CheckpointFromConfigThroughDefaultArgumentIsOneCheckpointAtBothCallSites) {
  auto analyzed = testing::AnalyzeFixture("checkpoint_flow");
  ASSERT_TRUE(analyzed.ok()) << analyzed.status();
  const testing::Analyzed& a = **analyzed;

  const AbstractValue first = a.CallResult("experiments.first_experiment", 6, "load");
  const AbstractValue second = a.CallResult("experiments.second_experiment", 11, "load");
  ASSERT_TRUE(first.sites.IsSingleton()) << first.ToString();
  ASSERT_TRUE(second.sites.IsSingleton()) << second.ToString();
  EXPECT_EQ(first.sites, second.sites);
  EXPECT_TRUE(first.IsKnownKind(kKindModel));

  const Site& site = a.analysis->site(first.sites.elements()[0]);
  EXPECT_EQ(site.kind, Site::Kind::kModelLoad);
  EXPECT_EQ(site.loader, LoaderKind::kPretrained);
  ASSERT_TRUE(site.checkpoint.IsSingleton());
  EXPECT_EQ(site.checkpoint.values()[0], "meta-llama/Llama-2-7b-hf");
  EXPECT_FALSE(site.checkpoint.overridable());
  ASSERT_TRUE(site.parameters.has_value());
  EXPECT_DOUBLE_EQ(*site.parameters, 7e9);
  EXPECT_EQ(first.dtype, DTypeDomain::Of(DType::kFloat32));

  // The provenance was recorded on the way: config constant, f-string, default argument.
  const std::vector<std::string> chain = a.Chain(first.sites_prov);
  EXPECT_THAT(chain, Contains(StepContaining("config.py:2: assigned to global `CHECKPOINT`")));
  EXPECT_THAT(chain, Contains(StepContaining("default of parameter `name` of models.load()")));
  EXPECT_THAT(chain, Contains(StepContaining("experiments.py:6: returned by models.load()")));

  // One load event inside models.load, reached from both experiments.
  std::vector<ModelLoad> loads;
  for (const ModelLoad& load : a.analysis->model_loads()) {
    if (load.fn == a.Fn("models.load")) loads.push_back(load);
  }
  ASSERT_EQ(loads.size(), 1u);
  EXPECT_FALSE(loads[0].cached);
  const std::vector<ContextPath> paths = a.analysis->PathsTo(loads[0].context);
  ASSERT_EQ(paths.size(), 2u);
  std::vector<std::string> callers;
  for (const ContextPath& path : paths) {
    ASSERT_FALSE(path.empty());
    callers.push_back(a.analysis->Location(path.back().caller, path.back().site));
  }
  std::sort(callers.begin(), callers.end());
  EXPECT_EQ(callers, (std::vector<std::string>{"experiments.py:11", "experiments.py:6"}));
}

TEST(CrossModuleTest, CheckpointThroughModuleAttributeAndDtypeThroughKwargsDict) {
  auto analyzed = testing::AnalyzeFixture("checkpoint_flow");
  ASSERT_TRUE(analyzed.ok()) << analyzed.status();
  const testing::Analyzed& a = **analyzed;
  const AbstractValue small = a.CallResult("experiments.small_experiment", 16, "load_half");
  ASSERT_TRUE(small.sites.IsSingleton());
  const Site& site = a.analysis->site(small.sites.elements()[0]);
  ASSERT_TRUE(site.checkpoint.IsSingleton());
  EXPECT_EQ(site.checkpoint.values()[0], "EleutherAI/pythia-410m");
  EXPECT_DOUBLE_EQ(*site.parameters, 4.1e8);
  EXPECT_EQ(small.dtype, DTypeDomain::Of(DType::kBFloat16));
  EXPECT_THAT(a.Chain(small.dtype_prov), Contains(StepContaining("torch_dtype=bf16")));
}

TEST(CrossModuleTest, HelperIsGradEnabledOnlyInTheGradEnabledCallersContext) {
  auto analyzed = testing::AnalyzeFixture("grad_context");
  ASSERT_TRUE(analyzed.ok()) << analyzed.status();
  const testing::Analyzed& a = **analyzed;
  const ir::FuncId score = a.Fn("helpers.score");
  const ir::InstrId forward = a.On("helpers.score", 2, ir::Opcode::kCall);
  ASSERT_TRUE(forward.valid());
  const std::vector<ContextId>& contexts = a.analysis->ContextsOf(score);
  ASSERT_EQ(contexts.size(), 2u);
  int enabled = 0, disabled = 0;
  for (ContextId c : contexts) {
    const GradMode mode = a.analysis->GradModeIn(c, forward);
    const std::vector<ContextPath> paths = a.analysis->PathsTo(c);
    ASSERT_EQ(paths.size(), 1u);
    const ir::FuncId caller = paths[0].back().caller;
    if (mode.DefinitelyEnabled()) {
      ++enabled;
      EXPECT_EQ(caller, a.Fn("main.train_step"));
    } else {
      ASSERT_TRUE(mode.DefinitelyDisabled()) << mode.ToString();
      ++disabled;
      EXPECT_EQ(caller, a.Fn("main.evaluate"));
    }
    // The forward output follows the context's grad mode.
    const AbstractValue out = a.analysis->ValueIn(c, forward);
    EXPECT_EQ(out.grad.DefinitelyAttached(), mode.DefinitelyEnabled()) << out.ToString();
  }
  EXPECT_EQ(enabled, 1);
  EXPECT_EQ(disabled, 1);
  const std::optional<ContextId> some = a.analysis->ContextWithGradEnabled(score, forward);
  ASSERT_TRUE(some.has_value());
  EXPECT_EQ(a.analysis->PathsTo(*some)[0].back().caller, a.Fn("main.train_step"));
  EXPECT_TRUE(a.analysis->GradModeAt(score, forward).IsTop());

  int events = 0;
  for (const ForwardCall& call : a.analysis->forward_calls()) {
    if (call.fn != score) continue;
    ++events;
    EXPECT_TRUE(call.known_model);
  }
  EXPECT_EQ(events, 2);
  // The optimizer is built over the loaded model's weights.
  ASSERT_EQ(a.analysis->optimizer_uses().size(), 1u);
  EXPECT_FALSE(a.analysis->ModelSites(a.analysis->optimizer_uses()[0].model_sites).empty());
}

TEST(CrossModuleTest, DeviceConstantFlowsThroughToInAnotherModule) {
  auto analyzed = testing::AnalyzeFixture("device_flow");
  ASSERT_TRUE(analyzed.ok()) << analyzed.status();
  const testing::Analyzed& a = **analyzed;
  const AbstractValue batch = a.Returned("train.make_batch", 8);
  ASSERT_TRUE(batch.device.HasValue()) << batch.ToString();
  EXPECT_EQ(batch.device, DeviceDomain::Cuda(1));
  EXPECT_THAT(a.Chain(batch.device_prov), Contains(StepContaining("settings.py:1")));
  EXPECT_THAT(a.Chain(batch.device_prov), Contains(StepContaining(".to() moves it to cuda:1")));

  // torch.save in the helper: cuda:1 in the context called with that batch, cpu in the other.
  const ir::FuncId save = a.Fn("train.save");
  const ir::InstrId call = a.Call("train.save", 12, "save");
  ASSERT_TRUE(call.valid());
  std::vector<std::string> devices;
  for (ContextId c : a.analysis->ContextsOf(save)) {
    devices.push_back(a.analysis->OperandIn(c, call, 1).device.ToString());
  }
  std::sort(devices.begin(), devices.end());
  EXPECT_EQ(devices, (std::vector<std::string>{"cpu", "cuda:1"}));
  EXPECT_TRUE(a.analysis->Operand(save, call, 1).device.IsTop());
}

TEST(CrossModuleTest, ForwardHookClosureStoresGraphAttachedTensorOnlyWhenForwardHasGrad) {
  auto analyzed = testing::AnalyzeFixture("hook_grad");
  ASSERT_TRUE(analyzed.ok()) << analyzed.status();
  const testing::Analyzed& a = **analyzed;
  // acts.append(output) in the hook of collect(): the forward pass runs with grad enabled.
  const ir::InstrId append = a.Call("collect.collect.hook", 9, "append");
  ASSERT_TRUE(append.valid());
  const AbstractValue stored = a.analysis->Operand(a.Fn("collect.collect.hook"), append, 1);
  EXPECT_TRUE(stored.grad.DefinitelyAttached()) << stored.ToString();
  EXPECT_TRUE(stored.IsKnownKind(kKindTensor));
  // saved.append(output) in collect_no_grad(): its forward pass is under torch.no_grad().
  const ir::InstrId save = a.Call("collect.collect_no_grad.save_hook", 21, "append");
  ASSERT_TRUE(save.valid());
  const AbstractValue kept = a.analysis->Operand(a.Fn("collect.collect_no_grad.save_hook"), save, 1);
  EXPECT_TRUE(kept.grad.DefinitelyDetached()) << kept.ToString();

  ASSERT_EQ(a.analysis->hook_registrations().size(), 2u);
  for (const HookRegistration& hook : a.analysis->hook_registrations()) {
    ASSERT_EQ(hook.callbacks.size(), 1u);
    ASSERT_EQ(hook.callback_contexts.size(), 1u);
    EXPECT_TRUE(a.analysis->context(hook.callback_contexts[0]).is_hook);
    EXPECT_FALSE(a.analysis->ModelSites(hook.module_sites).empty());
    if (hook.fn == a.Fn("collect.collect")) {
      EXPECT_TRUE(hook.hook_mode.DefinitelyEnabled());
    } else {
      EXPECT_TRUE(hook.hook_mode.DefinitelyDisabled());
    }
  }
}

TEST(CrossModuleTest, MutualRecursionAndRecursiveLoaderTerminateWithSoundFacts) {
  auto analyzed = testing::AnalyzeFixture("recursion");
  ASSERT_TRUE(analyzed.ok()) << analyzed.status();
  const testing::Analyzed& a = **analyzed;
  EXPECT_FALSE(a.analysis->stats().budget_exhausted);
  EXPECT_TRUE(a.analysis->notifications().empty());
  // is_even returns its argument either unmoved (cpu) or after .to("cuda"): both are possible.
  const AbstractValue y = a.CallResult("rec.run", 34, "is_even");
  EXPECT_TRUE(y.IsKnownKind(kKindTensor));
  EXPECT_TRUE(y.device.IsTop()) << y.ToString();
  EXPECT_EQ(y.dtype, DTypeDomain::Of(DType::kFloat32));
  // The recursive loader may load either name (the recursion walks the list) or return None.
  const AbstractValue m = a.CallResult("rec.run", 35, "load_with_fallback");
  EXPECT_TRUE(m.MayBe(kKindModel));
  EXPECT_TRUE(m.MayBe(kKindNone));
  ASSERT_FALSE(m.sites.IsTop());
  bool saw_both = false;
  for (SiteId s : m.sites.elements()) {
    const ConstStrings& c = a.analysis->site(s).checkpoint;
    saw_both = saw_both || (c.values() == std::vector<std::string>{"bert-base-uncased", "gpt2"});
    EXPECT_EQ(a.analysis->site(s).kind, Site::Kind::kModelLoad);
  }
  EXPECT_TRUE(saw_both);
  EXPECT_EQ(m.device, DeviceDomain::Cuda());
  // chain() never returns: nothing flows out of it.
  EXPECT_TRUE(a.CallResult("rec.run", 36, "chain").IsBottom());
}

TEST(CrossModuleTest, BudgetExhaustionGoesToTopWithANotification) {
  AnalysisOptions options;
  options.budget_base = 40;
  options.budget_per_instruction = 0;
  auto analyzed = testing::AnalyzeFixture("checkpoint_flow", options);
  ASSERT_TRUE(analyzed.ok()) << analyzed.status();
  const testing::Analyzed& a = **analyzed;
  EXPECT_TRUE(a.analysis->stats().budget_exhausted);
  ASSERT_FALSE(a.analysis->notifications().empty());
  EXPECT_THAT(a.analysis->notifications().back().message, HasSubstr("budget"));
  // Whatever was not finished reads as unknown (Top), never as a wrong definite fact.
  int gave_up = 0;
  for (const ir::Function& fn : a.program.functions()) {
    for (ContextId c : a.analysis->ContextsOf(fn.id)) {
      if (!a.analysis->context(c).gave_up) continue;
      ++gave_up;
      for (const ir::Block& block : fn.blocks) {
        for (ir::InstrId id : block.instrs) {
          if (ir::HasResult(fn.instr(id).op)) EXPECT_TRUE(a.analysis->ValueIn(c, id).IsTop());
        }
      }
    }
  }
  EXPECT_GT(gave_up, 0);
}

// A script imports a sibling module whose name sorts after its own (`run.py` imports
// `settings.py` next to it, found through the script-directory fallback): Python runs the
// imported module first, so its class attributes are known when the script's main() reads them,
// whatever the file names.
TEST(CrossModuleTest, SiblingModuleRunsBeforeTheScriptThatImportsIt) {
  auto analyzed = testing::AnalyzeSources(
      {{"proj/run.py",
        "import torch\n"
        "from settings import Settings\n"
        "\n"
        "def main():\n"
        "    s = Settings()\n"
        "    return torch.ones(3).to(s.device)\n"
        "\n"
        "main()\n"},
       {"proj/settings.py",
        "from dataclasses import dataclass\n"
        "\n"
        "@dataclass\n"
        "class Settings:\n"
        "    device: str = \"cuda\"\n"}});
  ASSERT_TRUE(analyzed.ok()) << analyzed.status();
  EXPECT_EQ((*analyzed)->Returned("proj.run.main", 6).device, DeviceDomain::Cuda());
}

}  // namespace
}  // namespace flopscope::dataflow
