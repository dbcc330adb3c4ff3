// FS401 fp32-model-load: a model that is not known to be small is loaded in fp32 (by default or
// explicitly) and reaches its forward passes in fp32 on some path. Reported at the load.
// User documentation: docs/rules/fs401_fp32_model_load.md
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "checkers/checker.h"
#include "checkers/model_rule_support.h"
#include "dataflow/analysis.h"
#include "dataflow/support/def_use.h"
#include "dataflow/support/value_flow.h"
#include "ir/ir.h"

namespace flopscope::checkers {
namespace {

using dataflow::AbstractValue;
using dataflow::ContextId;
using dataflow::DType;
using dataflow::ModelLoad;
using dataflow::Site;
using dataflow::support::FlowNode;
using dataflow::support::FlowOptions;
using dataflow::support::FlowResult;
using dataflow::support::ValueRef;
using ir::Opcode;

// Methods that return the model itself without changing its dtype (`.to(device)` included: a
// `.to(dtype=...)` result carries its new dtype, which the checks along the path see).
const std::vector<std::string>& SameModelMethods() {
  static const auto* const kMethods =
      new std::vector<std::string>{"to", "cuda", "cpu", "eval", "train", "requires_grad_"};
  return *kMethods;
}

// The dtype the load produces in its context. `torch_dtype=None` (a dtype parameter whose default
// a caller kept) means the loader's fp32 default.
bool LoadsFp32(const CheckContext& ctx, const ModelLoad& load) {
  if (load.dtype.HasValue()) return load.dtype.value() == DType::kFloat32;
  if (!load.dtype.IsTop()) return false;
  const ir::Instr& call = ctx.program().function(load.fn).instr(load.site);
  bool none_dtype = false;
  for (size_t i = 1; i < call.operands.size(); ++i) {
    const std::string& name = i - 1 < call.arg_names.size() ? call.arg_names[i - 1] : "";
    if (name == "**" || name == "*") return false;  // a mapping may carry a dtype
    if (name != "torch_dtype" && name != "dtype") continue;
    const AbstractValue v = ctx.analysis().OperandIn(load.context, load.site, i);
    if (v.kinds.IsTop() || !v.kinds.Only(dataflow::kKindNone)) return false;
    none_dtype = true;
  }
  return none_dtype;
}

// The dtype operand `index` of `instr` has where the walk passes it, joined over contexts:
// reduced precision means an in-place cast (`model.half()` as a statement) happened before.
bool CastBefore(const dataflow::Analysis& analysis, ValueRef at, const ir::Instr& instr,
                ir::InstrId value) {
  for (size_t k = 0; k < instr.operands.size(); ++k) {
    if (instr.operands[k] != value) continue;
    const dataflow::DTypeDomain dtype = analysis.Operand(at.fn, at.value, k).dtype;
    if (dtype.HasValue() && dataflow::IsReducedPrecision(dtype.value())) return true;
  }
  return false;
}

// A forward pass run on the tracked model value: `m(...)`, `m.generate(...)`, `m.forward(...)`.
// Returns the call and the instruction that reads the model (the call or the attribute load).
struct ForwardUse {
  ir::InstrId call;
  ir::InstrId reader;
};
std::optional<ForwardUse> ForwardUseOf(const CheckContext& ctx, ValueRef value) {
  const dataflow::support::DefUse& du = ctx.def_use();
  const ir::Function& fn = ctx.program().function(value.fn);
  for (const dataflow::support::Use& use : du.Uses(value)) {
    const ir::Instr& user = fn.instr(use.user);
    if (user.op == Opcode::kCall && use.operand == 0) return ForwardUse{use.user, use.user};
    if (user.op != Opcode::kLoadAttr) continue;
    if (user.text != "generate" && user.text != "forward" && user.text != "__call__") continue;
    for (const dataflow::support::Use& call : du.Uses(ValueRef{value.fn, use.user})) {
      if (fn.instr(call.user).op == Opcode::kCall && call.operand == 0) {
        return ForwardUse{call.user, use.user};
      }
    }
  }
  return std::nullopt;
}

struct Verdict {
  bool report = false;
  ValueRef fp32_forward;  // the forward pass fp32 reaches, when one was found
};

// Follows the loaded model (through variables, phis, arguments, returns, containers, attributes
// and dtype-preserving methods; not through `.half()`-style casts, whose results are other
// values) to its forward passes. fp32 reaches a forward pass unless some point on the way sees
// the model already cast in place. With no forward pass in the repository, the load counts as
// fp32 unless the model is cast somewhere.
Verdict Decide(const CheckContext& ctx, const ModelLoad& load,
               const std::vector<model_rules::Frame>& frames) {
  const dataflow::Analysis& analysis = ctx.analysis();
  FlowOptions options;
  options.identity_methods = SameModelMethods();
  options.context = model_rules::CallString(frames, frames.size() - 1);
  options.max_states = 4000;
  bool any_forward = false;
  Verdict verdict;
  dataflow::support::ExploreFlow(
      ctx.def_use(), {FlowNode::Value(ValueRef{load.fn, load.site})}, options,
      [&](const FlowResult& r, int32_t index) {
        const FlowNode& node = r.states[static_cast<size_t>(index)].node;
        if (node.is_location() || node.content) return false;
        std::optional<ForwardUse> use = ForwardUseOf(ctx, node.value_ref());
        if (!use) return false;
        any_forward = true;
        const ir::Function& fn = ctx.program().function(node.fn);
        if (CastBefore(analysis, ValueRef{node.fn, use->reader}, fn.instr(use->reader),
                       node.value)) {
          return false;
        }
        // Walk back along the hops: an in-place cast before any of them cuts this path.
        const std::vector<const dataflow::support::FlowState*> path = r.PathTo(index);
        for (size_t i = 1; i < path.size(); ++i) {
          const dataflow::support::FlowState& parent = *path[i - 1];
          const ValueRef at = path[i]->at;
          if (parent.node.is_location() || !at.fn.valid() || at.fn != parent.node.fn) continue;
          const ir::Instr& instr = ctx.program().function(at.fn).instr(at.value);
          if (CastBefore(analysis, at, instr, parent.node.value)) return false;
        }
        verdict = Verdict{true, ValueRef{node.fn, use->call}};
        return true;
      });
  if (verdict.report || any_forward) return verdict;
  for (const dataflow::ModelCast& cast : analysis.model_casts()) {
    if (cast.model_sites.IsTop() || !cast.model_sites.Contains(load.model_site)) continue;
    if (cast.dtype.HasValue() && dataflow::IsReducedPrecision(cast.dtype.value())) {
      return Verdict{};  // cast somewhere; with no forward pass to check, give it the benefit
    }
  }
  return Verdict{true, ValueRef{}};
}

bool TrainedWithOptimizer(const dataflow::Analysis& analysis, const ModelLoad& load) {
  for (const dataflow::OptimizerUse& use : analysis.optimizer_uses()) {
    if (!use.model_sites.IsTop() && use.model_sites.Contains(load.model_site)) return true;
  }
  return false;
}

// The load names its dtype (torch_dtype=torch.float32) rather than relying on the default.
bool ExplicitDtype(const ir::Instr& call) {
  for (const std::string& name : call.arg_names) {
    if (name == "torch_dtype" || name == "dtype") return true;
  }
  return false;
}

class Fp32ModelLoadChecker final : public Checker {
 public:
  void Run(const CheckContext& ctx, DiagnosticSink& sink) const override {
    const dataflow::Analysis& analysis = ctx.analysis();
    absl::flat_hash_set<std::pair<int32_t, int32_t>> reported;
    for (const ModelLoad& load : analysis.model_loads()) {
      const Site& site = model_rules::SiteOf(analysis, load);
      if (!site.is_model || site.loader == dataflow::LoaderKind::kFromConfig) continue;
      if (!LoadsFp32(ctx, load)) continue;
      // Known to be small: fp32 costs little.
      if (site.parameters && *site.parameters < model_rules::kLargeModelParameters) continue;
      if (reported.contains({load.fn.value(), load.site.value()})) continue;
      Verdict verdict;
      std::vector<model_rules::Frame> frames;
      for (const dataflow::ContextPath& path : analysis.PathsTo(load.context, 4)) {
        frames = model_rules::FramesOf(path, load.fn, load.context, load.site);
        verdict = Decide(ctx, load, frames);
        if (verdict.report) break;
      }
      if (!verdict.report) continue;
      reported.insert({load.fn.value(), load.site.value()});
      Report(ctx, load, site, verdict, frames, sink);
    }
  }

 private:
  void Report(const CheckContext& ctx, const ModelLoad& load, const Site& site,
              const Verdict& verdict, const std::vector<model_rules::Frame>& frames,
              DiagnosticSink& sink) const {
    const dataflow::Analysis& analysis = ctx.analysis();
    const ir::Instr& call = ctx.program().function(load.fn).instr(load.site);
    const bool explicit_dtype = ExplicitDtype(call) && load.dtype.HasValue();
    const bool training = TrainedWithOptimizer(analysis, load);
    const std::string checkpoint = model_rules::CheckpointText(site.checkpoint);
    const std::string how = explicit_dtype ? "in fp32" : "in fp32 (the loader's default)";
    std::string message;
    double score;
    std::string evidence;
    if (training) {
      message = absl::StrCat(checkpoint, " is loaded ", how,
                             " and trained with an optimizer: fp32 weights are often deliberate "
                             "for training (master weights)");
      if (site.parameters) {
        absl::StrAppend(&message, ", but for a ~", model_rules::ParametersText(*site.parameters),
                        " model they alone take ",
                        model_rules::GigabytesText(*site.parameters, 4.0), " (",
                        model_rules::GigabytesText(*site.parameters, 2.0), " in bf16)");
      }
      score = 0.35;
      evidence = "fp32 weights feed an optimizer, where full precision may be intended";
    } else if (site.parameters) {
      message = absl::StrCat(checkpoint, " is loaded ", how, ": a ~",
                             model_rules::ParametersText(*site.parameters), " model needs ",
                             model_rules::GigabytesText(*site.parameters, 4.0),
                             " in fp32 where bf16 needs ",
                             model_rules::GigabytesText(*site.parameters, 2.0));
      const bool overridable = site.checkpoint.overridable();
      score = overridable ? 0.75 : 0.85;
      evidence = absl::StrCat("checkpoint size (~", model_rules::ParametersText(*site.parameters),
                              ") from its name",
                              overridable ? " (a default that may be overridden at run time)" : "",
                              "; fp32 weights reach a forward pass");
    } else {
      message = absl::StrCat(checkpoint, " is loaded ", how,
                             ": its size is unknown, and every 1B parameters take about 4 GB in "
                             "fp32 where bf16 needs about 2 GB");
      score = 0.55;
      evidence = "checkpoint size unknown (it may be a small model); fp32 weights reach a "
                 "forward pass";
    }
    const bool tl = site.loader == dataflow::LoaderKind::kTransformerLens;
    std::string help =
        training ? "if the training recipe does not need fp32 master weights, load with "
                   "torch_dtype=torch.bfloat16 (or train under bf16 autocast)"
        : tl ? "pass dtype=torch.bfloat16 (or torch.float16) to HookedTransformer.from_pretrained"
             : "pass torch_dtype=torch.bfloat16 (or torch.float16, or \"auto\") to the loader";
    Diagnostic diagnostic = Diagnostic::For(RuleId::kFS401, ctx.LocationOf(load.fn, load.site))
                                .Message(std::move(message))
                                .Help(std::move(help))
                                .WithConfidence(score, std::move(evidence))
                                .LogicalLocation(ctx.QualifiedName(load.fn));
    AddSteps(ctx, load, verdict, frames, diagnostic);
    model_rules::AddCheckpointOrigin(ctx, site, diagnostic);
    sink.Report(std::move(diagnostic));
  }

  // From the load to why it is fp32 (the dtype's provenance), then the callers whose path keeps
  // it in fp32, innermost first, then the forward pass that runs in fp32.
  void AddSteps(const CheckContext& ctx, const ModelLoad& load, const Verdict& verdict,
                const std::vector<model_rules::Frame>& frames, Diagnostic& diagnostic) const {
    const dataflow::Analysis& analysis = ctx.analysis();
    for (const dataflow::ProvStep* step : analysis.Provenance(load.dtype_prov)) {
      if (!step->fn.valid() || !step->instr.valid()) continue;
      diagnostic.Step(ctx.LocationOf(step->fn, step->instr), ctx.DisplayName(step->fn),
                      step->text);
    }
    if (load.dtype_prov == dataflow::kNoProv) {
      diagnostic.Step(ctx.LocationOf(load.fn, load.site), ctx.DisplayName(load.fn),
                      "torch_dtype is None here: the loader's fp32 default");
    }
    for (size_t i = frames.size() - 1; i-- > 0;) {
      diagnostic.Step(ctx.LocationOf(frames[i].fn, frames[i].site),
                      ctx.DisplayName(frames[i].fn),
                      absl::StrCat("calls ",
                                   model_rules::CalleeText(ctx, frames[i].fn, frames[i].site),
                                   " on a path that keeps fp32"));
    }
    if (verdict.fp32_forward.fn.valid()) {
      diagnostic.Related(ctx.LocationOf(verdict.fp32_forward.fn, verdict.fp32_forward.value),
                         "the model runs a forward pass in fp32 here");
    }
  }
};

}  // namespace

std::unique_ptr<Checker> MakeFp32ModelLoadChecker() {
  return std::make_unique<Fp32ModelLoadChecker>();
}

}  // namespace flopscope::checkers
