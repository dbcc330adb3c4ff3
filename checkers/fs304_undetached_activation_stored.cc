// FS304 undetached-activation-stored: a graph-attached tensor is stored into a list, dict,
// attribute or global that outlives the call, which keeps its whole autograd graph alive.
// User documentation: docs/rules/fs304_undetached_activation_stored.md
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "checkers/checker.h"
#include "checkers/graph_attachment.h"
#include "checkers/tensor_rule_support.h"
#include "dataflow/analysis.h"
#include "dataflow/support/def_use.h"
#include "dataflow/support/value_flow.h"
#include "ir/passes.h"

namespace flopscope::checkers {
namespace {

namespace tr = tensor_rules;
namespace sp = dataflow::support;
using dataflow::AbstractValue;
using dataflow::ContextId;
using ir::Opcode;

// A statement that puts a value somewhere: the value operand and where it goes.
struct Store {
  ir::InstrId instr;
  size_t operand = 0;        // index of the stored value in instr.operands
  std::string target;        // "module global `X`", "`cache[...]`", "`self.records`"
  std::optional<tr::Outlives> outlives;
};

class UndetachedActivationStoredChecker final : public Checker {
 public:
  void Run(const CheckContext& ctx, DiagnosticSink& sink) const override {
    const dataflow::Analysis& analysis = ctx.analysis();
    if (analysis.forward_calls().empty() || !tr::UsesTorch(ctx.program())) return;
    const tr::GraphAttachment attachment(ctx);
    for (const ir::Function& fn : ctx.program().functions()) {
      if (analysis.ContextsOf(fn.id).empty()) continue;
      for (const ir::Block& block : fn.blocks) {
        for (ir::InstrId id : block.instrs) {
          std::optional<Store> store = StoreAt(ctx, fn, id);
          if (store) Check(ctx, attachment, fn, *store, sink);
        }
      }
    }
  }

 private:
  // The store performed by `id`, when it writes into something that outlives the call.
  std::optional<Store> StoreAt(const CheckContext& ctx, const ir::Function& fn,
                               ir::InstrId id) const {
    const sp::DefUse& du = ctx.def_use();
    const ir::Instr& instr = fn.instr(id);
    Store s;
    s.instr = id;
    ir::InstrId container;
    switch (instr.op) {
      case Opcode::kStoreVar:
        if (static_cast<ir::VarScope>(instr.aux) != ir::VarScope::kGlobal) return std::nullopt;
        s.operand = 0;
        s.target = absl::StrCat("module global `", instr.text, "`");
        s.outlives = tr::Outlives{absl::StrCat("`", instr.text, "` is a module global")};
        return s;
      case Opcode::kStoreAttr:
        if (instr.operands.size() < 2) return std::nullopt;
        s.operand = 1;
        container = instr.operands[0];
        s.target = absl::StrCat("attribute `", tr::ExprName(fn, container).empty()
                                                   ? instr.text
                                                   : tr::ExprName(fn, container) + "." + instr.text,
                                "`");
        break;
      case Opcode::kStoreSubscript:
        if (instr.operands.size() < 3) return std::nullopt;
        s.operand = 2;
        container = instr.operands[0];
        if (fn.kind == ir::FunctionKind::kComprehension && IsBuild(fn.instr(container).op)) {
          return std::nullopt;
        }
        s.target = Named(fn, container, "container");
        break;
      case Opcode::kCall: {
        const sp::CallSite site{fn.id, id};
        if (!du.TargetsAt(site).empty()) return std::nullopt;  // an in-repo method, not a list
        const absl::string_view method = du.MethodName(site);
        if (!sp::IsContainerInsertMethod(method)) return std::nullopt;
        container = du.Receiver(site);
        if (!container.valid()) return std::nullopt;
        // A comprehension filling its own result is building a value, not storing into one.
        if (fn.kind == ir::FunctionKind::kComprehension && IsBuild(fn.instr(container).op)) {
          return std::nullopt;
        }
        s.operand = (method == "insert" || method == "setdefault") ? 2 : 1;
        if (s.operand >= instr.operands.size()) return std::nullopt;
        s.target = Named(fn, container, "container");
        break;
      }
      default:
        return std::nullopt;
    }
    s.outlives = tr::ContainerOutlivesCall(du, fn.id, container);
    if (!s.outlives) return std::nullopt;
    // A fresh container handed back to the caller holds only what this call stored (a dict of
    // loss components, one step's outputs): whatever the caller keeps is the caller's store.
    // Only a store repeated into it (inside a loop, or by a comprehension) accumulates graphs.
    if (s.outlives->returned && !StoreRepeats(fn, id, container)) return std::nullopt;
    return s;
  }

  // `store` runs more than once per container: inside a loop the container was created before.
  static bool StoreRepeats(const ir::Function& fn, ir::InstrId store, ir::InstrId container) {
    if (fn.kind == ir::FunctionKind::kComprehension) return true;
    const ir::LoopId loop = ir::InnermostLoopOfInstr(fn, store);
    if (!loop.valid()) return false;
    const ir::InstrId root = tr::ChainRoot(fn, container);
    const ir::Instr& def = fn.instr(root);
    // Parameters and phis stand for a container made before the loop (or carried around it).
    if (def.op == Opcode::kParam || def.op == Opcode::kPhi) return true;
    return !ir::LoopContains(fn, loop, ir::InnermostLoopOfInstr(fn, root));
  }

  static bool IsBuild(Opcode op) {
    return op == Opcode::kBuildList || op == Opcode::kBuildDict || op == Opcode::kBuildSet ||
           op == Opcode::kBuildTuple;
  }

  static std::string Named(const ir::Function& fn, ir::InstrId value, absl::string_view what) {
    const std::string name = tr::ExprName(fn, value);
    if (!name.empty()) return absl::StrCat("`", name, "`");
    switch (fn.instr(value).op) {
      case Opcode::kBuildList: return "a list";
      case Opcode::kBuildDict: return "a dict";
      case Opcode::kBuildSet: return "a set";
      default: return std::string(what);
    }
  }

  // The tensor stored (or, for a literal list/dict/tuple stored whole, an element of it) that
  // holds a graph in `context`, with what that rests on; invalid value when none does.
  struct Attached {
    ir::InstrId value;
    tr::GraphAttachment::Result fact;
  };
  Attached AttachedIn(const tr::GraphAttachment& attachment, const ir::Function& fn,
                      ContextId context, ir::InstrId value, int depth) const {
    tr::GraphAttachment::Result fact = attachment.Of(fn.id, context, value);
    if (fact.attached) return Attached{value, std::move(fact)};
    const ir::Instr& def = fn.instr(value);
    if (depth < 3 && IsBuild(def.op)) {
      for (size_t i = 0; i < def.operands.size(); ++i) {
        if (def.op == Opcode::kBuildDict && i % 2 == 0) continue;  // keys
        Attached element = AttachedIn(attachment, fn, context, def.operands[i], depth + 1);
        if (element.value.valid()) return element;
      }
    }
    return Attached{};
  }

  // A registration whose hook the analysis gave the registration site's grad mode because it
  // could not tell which module the hook sits on (a layer path of a model of unknown origin): the
  // forward passes of the same model in the registering call decide instead. True when there are
  // such passes and all of them run without grad.
  // When the registering call runs no forward pass of that model (a helper or a method that
  // only installs hooks), the forward passes of its callers decide.
  static bool RegistrationRunsWithoutGrad(const CheckContext& ctx,
                                          const dataflow::HookRegistration& reg) {
    if (!reg.module_sites.IsTop() && !reg.module_sites.IsBottom()) return false;
    const dataflow::Analysis& analysis = ctx.analysis();
    const ir::Function& f = ctx.program().function(reg.fn);
    const ir::InstrId receiver = ctx.def_use().Receiver({reg.fn, reg.site});
    if (!receiver.valid()) return false;
    const ir::InstrId root = ModuleRoot(ctx, reg.fn, receiver);
    bool forward_seen = false;
    for (const dataflow::ForwardCall& call : analysis.forward_calls()) {
      if (call.fn != reg.fn || call.context != reg.context || call.is_generate) continue;
      const ir::Instr& c = f.instr(call.site);
      if (c.operands.empty() || ModuleRoot(ctx, reg.fn, c.operands[0]) != root) continue;
      forward_seen = true;
      if (call.mode.MayBeEnabled()) return false;
    }
    if (forward_seen) return true;
    for (const dataflow::ContextPath& path : analysis.PathsTo(reg.context, 8)) {
      if (path.empty()) break;
      const dataflow::CallStep& step = path.back();
      for (const dataflow::ForwardCall& call : analysis.forward_calls()) {
        if (call.fn != step.caller || call.context != step.caller_context || call.is_generate) {
          continue;
        }
        forward_seen = true;
        if (call.mode.MayBeEnabled()) return false;
      }
    }
    if (forward_seen) return true;
    // Registered by a method (often the constructor) of an object that wraps the model: the
    // hooks live with the object, and its methods run the forward passes.
    const ir::ClassId cls = ctx.program().function(OwningFunction(ctx, reg.fn)).method_of;
    if (!cls.valid()) return false;
    for (const dataflow::ForwardCall& call : analysis.forward_calls()) {
      if (call.is_generate ||
          ctx.program().function(OwningFunction(ctx, call.fn)).method_of != cls) {
        continue;
      }
      forward_seen = true;
      if (call.mode.MayBeEnabled()) return false;
    }
    return forward_seen;
  }

  // The function a comprehension or lambda runs as part of (itself otherwise).
  static ir::FuncId OwningFunction(const CheckContext& ctx, ir::FuncId fn) {
    for (int guard = 0; guard < 64; ++guard) {
      const ir::Function& f = ctx.program().function(fn);
      if ((f.kind != ir::FunctionKind::kComprehension && f.kind != ir::FunctionKind::kLambda) ||
          !f.parent.valid()) {
        return fn;
      }
      fn = f.parent;
    }
    return fn;
  }

  // The model a module value was taken from: through attribute and index chains
  // (`model.model.layers[3]`) and through iteration over them (`for i, layer in
  // enumerate(model.model.layers)`, `for name, mod in model.named_modules()`).
  static ir::InstrId ModuleRoot(const CheckContext& ctx, ir::FuncId fn, ir::InstrId value) {
    const ir::Function& f = ctx.program().function(fn);
    for (int guard = 0; guard < 64 && value.valid(); ++guard) {
      value = tr::ChainRoot(f, value);
      const ir::Instr& instr = f.instr(value);
      if ((instr.op == Opcode::kUnpackItem || instr.op == Opcode::kForIter ||
           instr.op == Opcode::kGetIter) &&
          !instr.operands.empty()) {
        value = instr.operands[0];
        continue;
      }
      if (instr.op != Opcode::kCall || instr.operands.empty()) break;
      const sp::CallSite site{fn, value};
      const absl::string_view method = ctx.def_use().MethodName(site);
      const ir::InstrId receiver = ctx.def_use().Receiver(site);
      if (receiver.valid() && ctx.def_use().TargetsAt(site).empty() &&
          (method == "modules" || method == "named_modules" || method == "children" ||
           method == "named_children")) {
        value = receiver;
        continue;
      }
      const std::string callee = ctx.resolver().QualifiedName(fn, instr.operands[0]);
      if (instr.operands.size() >= 2 &&
          (callee == "<builtin>.enumerate" || callee == "<builtin>.reversed" ||
           callee == "<builtin>.list" || callee == "<builtin>.iter")) {
        value = instr.operands[1];
        continue;
      }
      break;
    }
    return value;
  }

  // For a hook: the grad-enabled forward pass, in the registering call, that runs the hook.
  static void AddFiringForward(const CheckContext& ctx, const dataflow::ContextPath& path,
                               Diagnostic& d) {
    const dataflow::Analysis& analysis = ctx.analysis();
    for (size_t i = 0; i < path.size(); ++i) {
      const dataflow::CallStep& step = path[i];
      for (const dataflow::HookRegistration& reg : analysis.hook_registrations()) {
        if (reg.fn != step.caller || reg.site != step.site || reg.context != step.caller_context) {
          continue;
        }
        const ir::Function& f = ctx.program().function(reg.fn);
        const ir::InstrId receiver = ctx.def_use().Receiver({reg.fn, reg.site});
        const ir::InstrId root =
            receiver.valid() ? ModuleRoot(ctx, reg.fn, receiver) : ir::InstrId();
        for (const dataflow::ForwardCall& call : analysis.forward_calls()) {
          if (call.is_generate || !call.mode.MayBeEnabled()) continue;
          bool fires = false;
          if (!reg.module_sites.IsTop() && !reg.module_sites.IsBottom() &&
              !call.model_sites.IsTop()) {
            for (dataflow::SiteId site : reg.module_sites.elements()) {
              fires = fires || call.model_sites.Contains(site);
            }
          } else if (call.fn == reg.fn && call.context == reg.context && root.valid()) {
            const ir::Instr& c = f.instr(call.site);
            fires = !c.operands.empty() && ModuleRoot(ctx, reg.fn, c.operands[0]) == root;
          }
          if (!fires) continue;
          d.Step(ctx.LocationOf(call.fn, call.site), ctx.DisplayName(call.fn),
                 "forward pass with grad enabled runs the hook");
          return;
        }
        // Registered by a helper that runs no forward pass itself: its caller's passes, or those
        // of the other methods of its class, fire it (as RegistrationRunsWithoutGrad() judges).
        const ir::ClassId cls = ctx.program().function(OwningFunction(ctx, reg.fn)).method_of;
        for (const dataflow::ForwardCall& call : analysis.forward_calls()) {
          if (call.is_generate || !call.mode.MayBeEnabled()) continue;
          const bool in_caller = i > 0 && call.fn == path[i - 1].caller &&
                                 call.context == path[i - 1].caller_context;
          const bool in_class =
              cls.valid() && ctx.program().function(OwningFunction(ctx, call.fn)).method_of == cls;
          if (!in_caller && !in_class) continue;
          d.Step(ctx.LocationOf(call.fn, call.site), ctx.DisplayName(call.fn),
                 "forward pass with grad enabled runs the hook");
          return;
        }
      }
    }
  }

  // A call path into `context` that does not pass through a registration whose hook runs
  // without grad; nullopt when every path does.
  static std::optional<dataflow::ContextPath> PathWithGrad(const CheckContext& ctx,
                                                           ContextId context) {
    const dataflow::Analysis& analysis = ctx.analysis();
    std::vector<dataflow::ContextPath> paths = analysis.PathsTo(context, 8);
    if (paths.empty()) return dataflow::ContextPath{};
    for (dataflow::ContextPath& path : paths) {
      bool without_grad = false;
      for (const dataflow::CallStep& step : path) {
        for (const dataflow::HookRegistration& reg : analysis.hook_registrations()) {
          if (reg.fn == step.caller && reg.site == step.site &&
              reg.context == step.caller_context && RegistrationRunsWithoutGrad(ctx, reg)) {
            without_grad = true;
          }
        }
      }
      if (!without_grad) return std::move(path);
    }
    return std::nullopt;
  }

  void Check(const CheckContext& ctx, const tr::GraphAttachment& attachment,
             const ir::Function& fn, const Store& store, DiagnosticSink& sink) const {
    const dataflow::Analysis& analysis = ctx.analysis();
    const ir::InstrId stored = fn.instr(store.instr).operands[store.operand];
    for (ContextId context : analysis.ContextsOf(fn.id)) {
      if (analysis.context(context).gave_up) continue;
      Attached found = AttachedIn(attachment, fn, context, stored, 0);
      if (!found.value.valid()) continue;
      std::optional<dataflow::ContextPath> path = PathWithGrad(ctx, context);
      if (!path) continue;
      Report(ctx, fn, store, context, *path, found, sink);
      return;  // one context is enough
    }
  }

  void Report(const CheckContext& ctx, const ir::Function& fn, const Store& store,
              ContextId context, const dataflow::ContextPath& path, const Attached& found,
              DiagnosticSink& sink) const {
    const dataflow::Analysis& analysis = ctx.analysis();
    const dataflow::ContextInfo& info = analysis.context(context);
    const ir::InstrId tensor = found.value;
    const AbstractValue value = analysis.ValueIn(context, tensor);

    const std::string name = tr::ExprName(fn, tensor);
    const std::string shown = name.empty() ? "a tensor" : absl::StrCat("`", name, "`");
    double score = 0.85;
    std::string why = "tensor produced by a forward pass with grad enabled and not detached";
    if (info.is_hook || !path.empty()) {
      score = 0.75;
      absl::StrAppend(&why, info.is_hook ? " (in a hook, judged in the context of the forward "
                                           "pass that fires it)"
                                         : " (through the calls shown)");
    }
    if (found.fact.derived) {
      score -= 0.1;
      absl::StrAppend(&why, "; the forward pass's model is ", found.fact.evidence);
    }
    absl::StrAppend(&why, "; ", store.outlives->why);

    Diagnostic d = Diagnostic::For(RuleId::kFS304, ctx.LocationOf(fn.id, store.instr));
    d.Message(absl::StrCat(shown, " is stored in ", store.target,
                           " while still attached to the autograd graph (",
                           store.outlives->why,
                           "): every stored tensor keeps its forward pass's whole graph and "
                           "intermediate activations alive; `.cpu()` and `.to()` do not detach"))
        .Help("store a detached copy: `.detach()` (plus `.cpu()` to free GPU memory), or "
              "`.item()`/`.tolist()` for numbers")
        .WithConfidence(score, why)
        .LogicalLocation(ctx.QualifiedName(fn.id));
    tr::AddAttachmentSteps(ctx, found.fact, info.is_hook ? dataflow::kNoProv : value.grad_prov,
                           fn.id, store.instr, d);
    tr::AddCallerSteps(ctx, path, fn.id, "", d);
    if (info.is_hook) AddFiringForward(ctx, path, d);
    tr::DedupeSteps(d);
    sink.Report(std::move(d));
  }
};

}  // namespace

std::unique_ptr<Checker> MakeUndetachedActivationStoredChecker() {
  return std::make_unique<UndetachedActivationStoredChecker>();
}

}  // namespace flopscope::checkers
