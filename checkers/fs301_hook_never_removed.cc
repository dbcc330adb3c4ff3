// FS301 hook-never-removed: a register_*hook handle is dropped on some normal path, or kept only
// where nothing ever calls remove() on it, so the hook stays on the module for good.
// User documentation: docs/rules/fs301_hook_never_removed.md
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "checkers/checker.h"
#include "checkers/tensor_rule_support.h"
#include "dataflow/analysis.h"
#include "dataflow/support/def_use.h"
#include "dataflow/support/hook_handles.h"
#include "dataflow/support/value_flow.h"

namespace flopscope::checkers {
namespace {

namespace tr = tensor_rules;
namespace sp = dataflow::support;
using dataflow::kKindModel;
using dataflow::kKindTensor;

class HookNeverRemovedChecker final : public Checker {
 public:
  void Run(const CheckContext& ctx, DiagnosticSink& sink) const override {
    const sp::HookHandles& hooks = ctx.hook_handles();
    if (hooks.Registrations().empty() || !tr::UsesTorch(ctx.program())) return;
    for (const sp::HookRegistration& reg : hooks.Registrations()) {
      if (!reg.dropped_on_some_path && reg.removed) continue;
      Check(ctx, reg, sink);
    }
  }

 private:
  void Check(const CheckContext& ctx, const sp::HookRegistration& reg,
             DiagnosticSink& sink) const {
    const sp::DefUse& du = ctx.def_use();
    const dataflow::Analysis& analysis = ctx.analysis();
    const ir::Function& fn = ctx.program().function(reg.site.fn);
    const ir::InstrId receiver = du.Receiver({reg.site.fn, reg.site.value});
    const dataflow::AbstractValue module =
        receiver.valid() ? analysis.Value(reg.site.fn, receiver) : dataflow::AbstractValue::Top();
    const bool module_hook = reg.method != "register_hook";
    // A tensor hook (`t.register_hook`) lives and dies with its tensor; only a module keeps it.
    const bool known_kinds = !module.kinds.IsTop() && !module.IsBottom();
    if (!module_hook && known_kinds && !module.MayBe(kKindModel)) return;
    if (known_kinds && !module.MayBe(kKindModel) && !module.MayBe(kKindTensor)) return;
    const tr::ModelEvidence evidence =
        receiver.valid() ? tr::ModelEvidenceFor(ctx, reg.site.fn, receiver, module)
                         : tr::ModelEvidence{};
    if (!module_hook && evidence.strength != tr::Evidence::kIdentified &&
        evidence.strength != tr::Evidence::kUse) {
      return;  // `x.register_hook` on something not known to be a module
    }

    const std::string name = receiver.valid() ? tr::ExprName(fn, receiver) : "";
    const std::string shown = name.empty() ? "the module" : absl::StrCat("`", name, "`");
    const bool dropped_here = reg.dropped_on_some_path && reg.dropped_in == reg.site;
    const bool dropped_by_caller = reg.dropped_on_some_path && !dropped_here;
    std::string problem;
    double score = 0.9;
    std::string why;
    if (reg.result_unused) {
      problem = absl::StrCat("the handle `", reg.method,
                             "` returns is discarded, so the hook can never be removed");
      why = "the handle is never stored";
    } else if (dropped_here) {
      problem = "the handle is dropped on a path that returns without calling `remove()`";
      why = "the handle goes out of scope on a normal path without `remove()`";
    } else if (dropped_by_caller) {
      score = 0.8;
      problem = absl::StrCat("the handle returned from here is dropped by ",
                             ctx.DisplayName(reg.dropped_in.fn), "()");
      why = "the handle travels through calls and one caller drops it";
    } else {
      score = 0.75;
      problem = "the handle is kept, but nothing ever calls `remove()` on it";
      why = "no `remove()` is reachable from where the handle is kept";
    }
    switch (evidence.strength) {
      case tr::Evidence::kIdentified:
        absl::StrAppend(&why, "; ", evidence.text);
        break;
      case tr::Evidence::kUse:
        score -= 0.05;
        absl::StrAppend(&why, "; ", evidence.text);
        break;
      default:
        score = std::min(score, 0.6);
        absl::StrAppend(&why, "; receiver recognised as a module only by the method `",
                        reg.method, "`");
        break;
    }

    Diagnostic d = Diagnostic::For(RuleId::kFS301, ctx.LocationOf(reg.site.fn, reg.site.value));
    d.Message(absl::StrCat("hook registered on ", shown, " with `", reg.method, "` is never removed: ",
                           problem, "; it keeps running on every later forward pass and "
                           "every call of this code stacks another one"))
        .Help("keep the handle and call `handle.remove()` in a `finally` block (or register "
              "inside a context manager that removes it on exit)")
        .WithConfidence(score, why)
        .LogicalLocation(ctx.QualifiedName(reg.site.fn));
    AddHandleSteps(ctx, reg, d);
    sink.Report(std::move(d));
  }

  // Where the handle goes: through returns up to the caller that drops or keeps it.
  void AddHandleSteps(const CheckContext& ctx, const sp::HookRegistration& reg,
                      Diagnostic& d) const {
    const sp::DefUse& du = ctx.def_use();
    sp::FlowOptions options;
    options.max_states = 2000;
    int32_t last_return = -1;
    const sp::FlowResult flow =
        sp::ExploreFlow(du, {sp::FlowNode::Value(reg.site)}, options,
                        [&](const sp::FlowResult& r, int32_t index) {
                          const sp::FlowState& s = r.states[static_cast<size_t>(index)];
                          if (s.step == sp::FlowStep::kFromReturn) last_return = index;
                          return false;
                        });
    if (reg.dropped_on_some_path && !(reg.dropped_in == reg.site)) {
      // Prefer the path into the caller that drops it.
      for (size_t i = 0; i < flow.states.size(); ++i) {
        const sp::FlowState& s = flow.states[i];
        if (!s.node.is_location() && s.node.value_ref() == reg.dropped_in) {
          last_return = static_cast<int32_t>(i);
          break;
        }
      }
    }
    if (last_return < 0) return;
    for (const sp::FlowState* s : flow.PathTo(last_return)) {
      if (s->step != sp::FlowStep::kFromReturn || s->node.is_location()) continue;
      const ir::ValueRef at = s->node.value_ref();
      const ir::Function& caller = ctx.program().function(at.fn);
      if (caller.kind == ir::FunctionKind::kComprehension) continue;
      const bool from_comprehension =
          ctx.program().function(s->at.fn).kind == ir::FunctionKind::kComprehension;
      std::string message =
          from_comprehension
              ? std::string("collects the handles in a comprehension")
              : absl::StrCat("receives the handle from ", ctx.DisplayName(s->at.fn), "()");
      if (at == reg.dropped_in) {
        absl::StrAppend(&message, " and drops it");
      }
      d.Step(ctx.LocationOf(at.fn, at.value), ctx.DisplayName(at.fn), std::move(message));
    }
  }
};

}  // namespace

std::unique_ptr<Checker> MakeHookNeverRemovedChecker() {
  return std::make_unique<HookNeverRemovedChecker>();
}

}  // namespace flopscope::checkers
