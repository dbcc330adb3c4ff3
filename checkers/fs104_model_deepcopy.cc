// FS104 model-deepcopy: `copy.deepcopy` of a whole model, also inside a helper that some caller
// hands a model. User documentation: docs/rules/fs104_model_deepcopy.md
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "checkers/checker.h"
#include "checkers/model_rule_support.h"
#include "checkers/tensor_rule_support.h"
#include "dataflow/analysis.h"
#include "ir/call_graph.h"
#include "ir/ir.h"

namespace flopscope::checkers {
namespace {

using dataflow::AbstractValue;
using dataflow::ContextId;
using dataflow::Site;
using dataflow::SiteId;

// What the copied value is, in one calling context, and how sure that is.
struct CopiedModel {
  ContextId context = -1;
  double score = 0;
  std::string evidence;
  const Site* site = nullptr;  // when identified
  AbstractValue value;
};

// A model whose creation the analysis followed: a load or an nn.Module subclass instance.
// Single torch layers (nn.Linear probes) are cheap to copy and not reported.
const Site* IdentifiedModel(const dataflow::Analysis& analysis, const AbstractValue& v) {
  if (v.sites.IsTop()) return nullptr;
  for (SiteId id : analysis.ModelSites(v.sites)) {
    const Site& site = analysis.site(id);
    if (site.is_loss_module) continue;
    if (site.kind == Site::Kind::kModelLoad || site.kind == Site::Kind::kInstance) return &site;
  }
  return nullptr;
}

std::optional<CopiedModel> Classify(const CheckContext& ctx, ir::FuncId fn, ir::InstrId site,
                                    ContextId context) {
  const dataflow::Analysis& analysis = ctx.analysis();
  const ir::Instr& call = ctx.program().function(fn).instr(site);
  if (call.operands.size() < 2 || call.arg_names.empty() || !call.arg_names[0].empty()) {
    return std::nullopt;
  }
  const AbstractValue v = analysis.OperandIn(context, site, 1);
  CopiedModel out;
  out.context = context;
  out.value = v;
  if (const Site* model = IdentifiedModel(analysis, v)) {
    out.site = model;
    const bool instance = model->kind == Site::Kind::kInstance;
    out.score = instance ? 0.75 : 0.9;
    out.evidence = absl::StrCat("the copied value is ",
                                instance ? "an instance of nn.Module subclass `" : "the model ",
                                instance ? absl::StrCat(model->name, "`")
                                         : absl::StrCat("loaded by ", dataflow::LoaderKindName(
                                                                          model->loader)));
    return out;
  }
  // Unknown origin (a parameter nobody in the repository binds): typed from its use, or by name.
  const ir::Function& function = ctx.program().function(fn);
  const ir::InstrId arg = call.operands[1];
  if (function.instr(arg).op != ir::Opcode::kParam) return std::nullopt;
  if (!v.sites.IsTop()) {
    for (SiteId id : v.sites.elements()) {
      if (analysis.site(id).kind != Site::Kind::kUnknownParam) return std::nullopt;
    }
  }
  const tensor_rules::ModelEvidence evidence =
      tensor_rules::ModelEvidenceFor(ctx, fn, arg, v);
  if (evidence.strength == tensor_rules::Evidence::kUse) {
    out.score = 0.6;
  } else if (evidence.strength == tensor_rules::Evidence::kName) {
    out.score = 0.3;
  } else {
    return std::nullopt;
  }
  out.evidence = evidence.text;
  return out;
}

class ModelDeepcopyChecker final : public Checker {
 public:
  void Run(const CheckContext& ctx, DiagnosticSink& sink) const override {
    const ir::Program& program = ctx.program();
    for (const ir::Function& fn : program.functions()) {
      for (const ir::ExternalCall& call : ctx.call_graph().ExternalCallees(fn.id)) {
        if (call.name != "copy.deepcopy") continue;
        std::optional<CopiedModel> best;
        for (ContextId context : ctx.analysis().ContextsOf(fn.id)) {
          std::optional<CopiedModel> copied = Classify(ctx, fn.id, call.site, context);
          if (copied && (!best || copied->score > best->score)) best = std::move(copied);
        }
        if (best) Report(ctx, fn.id, call.site, *best, sink);
      }
    }
  }

 private:
  void Report(const CheckContext& ctx, ir::FuncId fn, ir::InstrId site, const CopiedModel& copied,
              DiagnosticSink& sink) const {
    const ir::Function& function = ctx.program().function(fn);
    const ir::InstrId arg = function.instr(site).operands[1];
    std::string name = tensor_rules::ExprName(function, arg);
    std::string message = absl::StrCat("`copy.deepcopy` duplicates the whole model",
                                       name.empty() ? "" : absl::StrCat(" `", name, "`"));
    if (copied.site != nullptr && copied.site->parameters) {
      const std::optional<double> bytes =
          copied.value.dtype.HasValue() ? dataflow::BytesPerElement(copied.value.dtype.value())
                                        : std::nullopt;
      absl::StrAppend(&message, " (~", model_rules::ParametersText(*copied.site->parameters),
                      " parameters): ",
                      model_rules::GigabytesText(*copied.site->parameters, bytes.value_or(2.0)),
                      " more in ",
                      bytes ? dataflow::ElementToString(copied.value.dtype.value()) : "bf16");
    } else {
      absl::StrAppend(&message, ": every parameter and buffer is copied");
    }
    Diagnostic diagnostic =
        Diagnostic::For(RuleId::kFS104, ctx.LocationOf(fn, site))
            .Message(std::move(message))
            .Help("clone only the tensors you change (`w.detach().clone()`) and restore them "
                  "afterwards, or precompute what the copy was kept for")
            .WithConfidence(copied.score, copied.evidence)
            .LogicalLocation(ctx.QualifiedName(fn));
    AddOriginSteps(ctx, fn, site, copied, diagnostic);
    tensor_rules::DedupeSteps(diagnostic);
    if (copied.site != nullptr && copied.site->fn.valid() && copied.site->instr.valid()) {
      diagnostic.Related(ctx.LocationOf(copied.site->fn, copied.site->instr),
                         "the copied model is created here");
    }
    sink.Report(std::move(diagnostic));
  }

  // From the deepcopy to where the model comes from: the provenance of its identity (how the
  // model reached this argument), else the calling context.
  void AddOriginSteps(const CheckContext& ctx, ir::FuncId fn, ir::InstrId site,
                      const CopiedModel& copied, Diagnostic& diagnostic) const {
    const dataflow::Analysis& analysis = ctx.analysis();
    diagnostic.Step(ctx.LocationOf(fn, site), ctx.DisplayName(fn), "deep-copies the model");
    size_t added = 0;
    if (copied.site != nullptr) {
      for (const dataflow::ProvStep* step : analysis.Provenance(copied.value.sites_prov)) {
        if (step->fn == fn && step->instr == site) continue;
        if (!step->fn.valid() || !step->instr.valid()) continue;
        diagnostic.Step(ctx.LocationOf(step->fn, step->instr), ctx.DisplayName(step->fn),
                        step->text);
        if (++added >= 10) break;
      }
    }
    if (added > 0) return;
    std::vector<dataflow::ContextPath> paths = analysis.PathsTo(copied.context, 1);
    if (paths.empty()) return;
    const dataflow::ContextPath& path = paths.front();
    for (size_t i = path.size(); i-- > 0;) {
      diagnostic.Step(ctx.LocationOf(path[i].caller, path[i].site),
                      ctx.DisplayName(path[i].caller),
                      absl::StrCat("calls ", model_rules::CalleeText(ctx, path[i].caller,
                                                                     path[i].site)));
    }
  }
};

}  // namespace

std::unique_ptr<Checker> MakeModelDeepcopyChecker() {
  return std::make_unique<ModelDeepcopyChecker>();
}

}  // namespace flopscope::checkers
