// FS201 grad-enabled-inference: a forward pass runs with autograd enabled in some calling context
// and its output never reaches backward(), so the graph and its activations are kept for nothing.
// User documentation: docs/rules/fs201_grad_enabled_inference.md
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "checkers/checker.h"
#include "checkers/model_rule_support.h"
#include "checkers/tensor_rule_support.h"
#include "dataflow/analysis.h"
#include "dataflow/support/backward_reach.h"

namespace flopscope::checkers {
namespace {

namespace tr = tensor_rules;
using dataflow::ContextId;
using dataflow::ContextPath;
using dataflow::ForwardCall;

// One grad-enabled context of a forward call whose output is not trained on, with the path that
// shows it.
struct Offending {
  const ForwardCall* event = nullptr;
  ContextPath path;
};

class GradEnabledInferenceChecker final : public Checker {
 public:
  void Run(const CheckContext& ctx, DiagnosticSink& sink) const override {
    const dataflow::Analysis& analysis = ctx.analysis();
    if (analysis.forward_calls().empty() || !tr::UsesTorch(ctx.program())) return;
    // Events are per (context, site); a site is reported once, for its first offending context.
    std::map<std::pair<int32_t, int32_t>, std::vector<const ForwardCall*>> by_site;
    for (const ForwardCall& call : analysis.forward_calls()) {
      if (call.is_generate) continue;  // generate() runs under no_grad itself
      by_site[{call.fn.value(), call.site.value()}].push_back(&call);
    }
    for (const auto& [key, events] : by_site) Check(ctx, events, sink);
  }

 private:
  void Check(const CheckContext& ctx, const std::vector<const ForwardCall*>& events,
             DiagnosticSink& sink) const {
    const dataflow::Analysis& analysis = ctx.analysis();
    const dataflow::support::BackwardReach& reach = ctx.backward_reach();
    std::optional<Offending> found;
    for (const ForwardCall* event : events) {
      if (!event->mode.MayBeEnabled()) continue;
      std::vector<ContextPath> paths = analysis.PathsTo(event->context, 8);
      if (paths.empty()) paths.emplace_back();
      for (ContextPath& path : paths) {
        // Inside a model's own forward(), the outer call is the one to report.
        if (tr::InsideForwardMethod(ctx.program(), path, event->fn)) continue;
        bool exhausted = false;
        const auto witness = reach.ReachesBackward(ir::ValueRef{event->fn, event->site},
                                                   tr::CallString(path), &exhausted);
        if (witness || exhausted) continue;
        found = Offending{event, std::move(path)};
        break;
      }
      if (found) break;
    }
    if (!found) return;
    Report(ctx, *found, sink);
  }

  void Report(const CheckContext& ctx, const Offending& offending, DiagnosticSink& sink) const {
    const dataflow::Analysis& analysis = ctx.analysis();
    const ForwardCall& event = *offending.event;
    const ir::Function& fn = ctx.program().function(event.fn);
    const ir::Instr& call = fn.instr(event.site);
    // The model: the callee of `model(...)`, the receiver of `model.forward(...)`.
    ir::InstrId model = call.operands.empty() ? ir::InstrId() : call.operands[0];
    if (model.valid() && fn.instr(model).op == ir::Opcode::kLoadAttr &&
        fn.instr(model).text == "forward" && !fn.instr(model).operands.empty()) {
      model = fn.instr(model).operands[0];
    }
    const dataflow::AbstractValue callee = analysis.ValueIn(event.context, model);
    dataflow::AbstractValue typed = callee;
    // The event knows which module ran: `self.criterion(...)` on a model object reads as the
    // object and the loss module it holds, but only the loss module runs.
    if (!event.model_sites.IsTop() && !event.model_sites.IsBottom()) {
      typed.sites = event.model_sites;
    } else {
      typed.sites = callee.sites.IsTop() ? event.model_sites : callee.sites.Join(event.model_sites);
    }
    const tr::ModelEvidence evidence =
        tr::ModelEvidenceFor(ctx, event.fn, model, typed, event.site);
    if (evidence.strength == tr::Evidence::kNone) return;

    const bool root = offending.path.empty();
    const bool certain_mode = event.mode.DefinitelyEnabled();
    double score = 0.9;
    std::string why = evidence.text;
    switch (evidence.strength) {
      case tr::Evidence::kIdentified: score = 0.9; break;
      case tr::Evidence::kUse: score = 0.7; break;
      default: score = 0.45; break;
    }
    if (root && fn.kind != ir::FunctionKind::kModule) {
      score = std::min(score, 0.7);
      absl::StrAppend(&why, "; ", ctx.DisplayName(event.fn),
                      "() has no caller in the repository, so grad is Python's default (enabled)");
    } else if (!root) {
      absl::StrAppend(&why, "; grad enabled on the call path shown");
    }
    if (!certain_mode) {
      score = std::min(score, 0.6);
      absl::StrAppend(&why, "; grad is enabled on only some paths to this call");
    }

    const std::string name = tr::ExprName(fn, model);
    const std::string shown = name.empty() ? "the model" : absl::StrCat("`", name, "`");
    std::string model_desc;
    if (evidence.strength == tr::Evidence::kIdentified && evidence.parameters) {
      model_desc = absl::StrCat(" (", evidence.checkpoint.empty() ? "" : evidence.checkpoint + ", ",
                                "about ", model_rules::ParametersText(*evidence.parameters),
                                " parameters)");
    }
    Diagnostic d = Diagnostic::For(RuleId::kFS201, ctx.LocationOf(event.fn, event.site));
    d.Message(absl::StrCat(
         "forward pass of ", shown, model_desc,
         " runs with autograd enabled but its output never reaches `backward()`: autograd "
         "records the graph and keeps every intermediate activation alive (typically 2-4x the "
         "activation memory of a no_grad pass); `model.eval()` does not turn this off"))
        .Help("run inference under `with torch.inference_mode():` (or decorate the function "
              "with `@torch.no_grad()`)")
        .WithConfidence(score, why)
        .LogicalLocation(ctx.QualifiedName(event.fn));
    tr::AddCallerSteps(ctx, offending.path, event.fn, " with grad enabled", d);
    if (evidence.origin_fn.valid() && evidence.origin_instr.valid()) {
      d.Related(ctx.LocationOf(evidence.origin_fn, evidence.origin_instr),
                absl::StrCat("model ", evidence.origin_what));
    }
    tr::DedupeSteps(d);
    sink.Report(std::move(d));
  }
};

}  // namespace

std::unique_ptr<Checker> MakeGradEnabledInferenceChecker() {
  return std::make_unique<GradEnabledInferenceChecker>();
}

}  // namespace flopscope::checkers
