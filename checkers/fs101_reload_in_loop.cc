// FS101 reload-in-loop: a statement in a loop (re)loads, directly or through calls, a checkpoint
// that is the same on every iteration, and the loop modifies the loaded weights: the reload only
// undoes the previous iteration's edit. User documentation: docs/rules/fs101_reload_in_loop.md
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "checkers/checker.h"
#include "checkers/model_rule_support.h"
#include "dataflow/analysis.h"
#include "dataflow/support/def_use.h"
#include "dataflow/support/value_flow.h"
#include "ir/ir.h"
#include "ir/passes.h"

namespace flopscope::checkers {
namespace {

using dataflow::ModelLoad;
using dataflow::support::DefUse;
using dataflow::support::FlowNode;
using dataflow::support::FlowOptions;
using dataflow::support::FlowResult;
using dataflow::support::ValueRef;
using ir::Opcode;
using model_rules::Frame;

// Methods of a model whose result is the model itself or views of its weights (the tensors
// `parameters()`, `named_parameters()` and `state_dict()` yield share the weights' storage, so
// an in-place edit of one edits the model); the walk follows them as the same object and
// iterating or unpacking them as derived values.
const std::vector<std::string>& ModelIdentityMethods() {
  static const auto* const kMethods = new std::vector<std::string>{
      "to",         "cuda",         "cpu",        "half",          "bfloat16",
      "float",      "eval",         "train",      "requires_grad_", "parameters",
      "named_parameters", "state_dict", "modules", "named_modules", "children",
      "named_children",   "get_submodule", "get_parameter"};
  return *kMethods;
}

// PyTorch's naming convention: a trailing underscore marks an in-place tensor method (`mul_`,
// `copy_`, `zero_`, `torch.nn.init.normal_`). These change flags or gradients, not weights.
bool IsInPlaceMethod(absl::string_view name) {
  return name.size() > 1 && absl::EndsWith(name, "_") && !absl::StartsWith(name, "_") &&
         name != "requires_grad_" && name != "share_memory_" &&
         !absl::StartsWith(name, "clip_grad");
}

// `torch.optim.AdamW(...)` and the other optimizer classes (not the schedulers).
bool IsOptimizerClass(absl::string_view qualified) {
  if (!absl::ConsumePrefix(&qualified, "torch.optim.")) return false;
  if (absl::StartsWith(qualified, "lr_scheduler.")) return false;
  const size_t dot = qualified.rfind('.');
  const absl::string_view last = dot == absl::string_view::npos ? qualified : qualified.substr(dot + 1);
  return !last.empty() && last[0] >= 'A' && last[0] <= 'Z';
}

// Is the checkpoint a load reads (all of the load call's arguments) the same on every iteration
// of `loop`, which runs in frames[loop_level]? Values of deeper frames are fresh per call and are
// followed to the arguments their callers pass along the path.
class LoopInvariance {
 public:
  LoopInvariance(const CheckContext& ctx, const std::vector<Frame>& frames, size_t loop_level,
                 ir::LoopId loop)
      : ctx_(ctx), du_(ctx.def_use()), frames_(frames), loop_level_(loop_level), loop_(loop) {}

  bool ArgumentsInvariant(size_t level, ir::InstrId call) {
    const ir::Instr& instr = Fn(level).instr(call);
    for (size_t i = 1; i < instr.operands.size(); ++i) {
      if (!Invariant(level, instr.operands[i])) return false;
    }
    return true;
  }

 private:
  const ir::Function& Fn(size_t level) const {
    return ctx_.program().function(frames_[level].fn);
  }

  bool Invariant(size_t level, ir::InstrId value) {
    const auto key = std::make_pair(level, value.value());
    if (auto it = memo_.find(key); it != memo_.end()) return it->second;
    memo_[key] = false;  // cycles (phis around a loop) are not invariant
    const bool result = Compute(level, value);
    memo_[key] = result;
    return result;
  }

  bool AllOperands(size_t level, const ir::Instr& instr) {
    for (ir::InstrId op : instr.operands) {
      if (!Invariant(level, op)) return false;
    }
    return true;
  }

  bool Compute(size_t level, ir::InstrId value) {
    const ir::Function& fn = Fn(level);
    if (!value.valid() || value.index() >= fn.instrs.size()) return false;
    const ir::Instr& instr = fn.instr(value);
    if (level == loop_level_) {
      // Computed before the loop: one value for every iteration.
      if (!ir::InstrInLoop(fn, loop_, value)) return true;
      if (instr.op == Opcode::kPhi && instr.block == fn.loops[loop_.index()].header) return false;
    }
    switch (instr.op) {
      case Opcode::kConst:
      case Opcode::kUndefined:
      case Opcode::kImport:
      case Opcode::kMakeFunction:
      case Opcode::kMakeClass:
        return true;
      case Opcode::kLoadVar:
        // Module constants, class attributes, closure variables: bound once, outside the loop.
        return true;
      case Opcode::kParam:
        return level > loop_level_ && ParamInvariant(level, instr);
      case Opcode::kLoadAttr:
      case Opcode::kLoadSubscript:
      case Opcode::kBinaryOp:
      case Opcode::kUnaryOp:
      case Opcode::kCompare:
      case Opcode::kFormatString:
      case Opcode::kBuildTuple:
      case Opcode::kBuildList:
      case Opcode::kBuildDict:
      case Opcode::kBuildSlice:
      case Opcode::kPhi:
      case Opcode::kCall:  // a call computed from invariant inputs (os.path.join(DIR, NAME))
        return AllOperands(level, instr);
      default:
        return false;  // loop variables (ForIter, unpacking of them), exceptions, unknown code
    }
  }

  // A parameter of frames[level]: what the caller passes at its call site on the path.
  bool ParamInvariant(size_t level, const ir::Instr& param) {
    const Frame& caller = frames_[level - 1];
    const ir::FuncId callee = frames_[level].fn;
    const auto index = static_cast<uint32_t>(param.aux);
    const dataflow::support::CallSite site{caller.fn, caller.site};
    const ir::Instr& call = Fn(level - 1).instr(caller.site);
    if (call.op != Opcode::kCall) return false;
    for (const dataflow::support::ParamBinding& b : du_.BindReceiver(site)) {
      if (b.callee != callee || b.param_index != index) continue;
      const ir::InstrId receiver = du_.Receiver(site);
      if (!receiver.valid() || !Invariant(level - 1, receiver)) return false;
    }
    for (uint32_t operand = 1; operand < call.operands.size(); ++operand) {
      for (const dataflow::support::ParamBinding& b : du_.BindOperand(site, operand)) {
        if (b.callee != callee || b.param_index != index) continue;
        if (!Invariant(level - 1, call.operands[operand])) return false;
      }
    }
    // Every binding is invariant; an unpassed parameter takes its default, evaluated once when
    // the function was defined.
    return true;
  }

  const CheckContext& ctx_;
  const DefUse& du_;
  const std::vector<Frame>& frames_;
  size_t loop_level_;
  ir::LoopId loop_;
  absl::flat_hash_map<std::pair<size_t, int32_t>, bool> memo_;
};

enum class WriteKind : uint8_t {
  kEdit,           // an in-place change of the weights
  kLoadStateDict,  // `model.load_state_dict(other)`: other weights copied over the reloaded ones
  kTraining,       // `optimizer.step()` of an optimizer over the model's parameters
};

struct WeightWrite {
  ValueRef at;
  WriteKind kind = WriteKind::kEdit;
};

// The Call that uses `attr` (a LoadAttr) as its callee.
std::optional<ir::InstrId> CallOfMethod(const DefUse& du, ValueRef attr) {
  const ir::Function& fn = du.program().function(attr.fn);
  for (const dataflow::support::Use& call : du.Uses(attr)) {
    if (fn.instr(call.user).op == Opcode::kCall && call.operand == 0) return call.user;
  }
  return std::nullopt;
}

// The `.step()` calls of the optimizer made at `optimizer` (wherever it is passed).
std::vector<ValueRef> OptimizerSteps(const CheckContext& ctx, ValueRef optimizer) {
  std::vector<ValueRef> steps;
  FlowOptions options;
  options.max_states = 2000;
  dataflow::support::ExploreFlow(
      ctx.def_use(), {FlowNode::Value(optimizer)}, options,
      [&](const FlowResult& result, int32_t index) {
        const FlowNode& node = result.states[static_cast<size_t>(index)].node;
        if (node.is_location() || node.content) return false;
        const ir::Function& fn = ctx.program().function(node.fn);
        for (const dataflow::support::Use& use : ctx.def_use().Uses(node.value_ref())) {
          const ir::Instr& user = fn.instr(use.user);
          if (user.op != Opcode::kLoadAttr || use.operand != 0 || user.text != "step") continue;
          if (auto call = CallOfMethod(ctx.def_use(), ValueRef{node.fn, use.user})) {
            steps.push_back(ValueRef{node.fn, *call});
          }
        }
        return steps.size() >= 8;
      });
  return steps;
}

// The writes through `value` into the weights of the model it was derived from: `w.data += d`,
// `w[:, i] = 0`, `w.mul_(s)`, `layer.weight = new`, `torch.nn.init.zeros_(w)`,
// `model.load_state_dict(other)` (except `reset`, the call that performs the reload itself), and
// the `.step()` of an optimizer built over it.
std::vector<WeightWrite> WeightWritesThrough(const CheckContext& ctx, ValueRef value,
                                             ir::InstrId reset) {
  const DefUse& du = ctx.def_use();
  const ir::Function& fn = ctx.program().function(value.fn);
  std::vector<WeightWrite> out;
  auto edit = [&](ir::InstrId at) { out.push_back(WeightWrite{ValueRef{value.fn, at}}); };
  for (const dataflow::support::Use& use : du.Uses(value)) {
    const ir::Instr& user = fn.instr(use.user);
    switch (user.op) {
      case Opcode::kInplaceOp:
      case Opcode::kStoreSubscript:
        if (use.operand == 0) edit(use.user);
        break;
      case Opcode::kStoreAttr: {
        if (use.operand != 0 || user.operands.size() < 2) break;
        const dataflow::AbstractValue stored = ctx.analysis().Value(value.fn, user.operands[1]);
        if (user.text == "data" || stored.IsKnownKind(dataflow::kKindTensor) ||
            stored.IsKnownKind(dataflow::kKindModel)) {
          edit(use.user);
        }
        break;
      }
      case Opcode::kLoadAttr: {
        if (use.operand != 0) break;
        const std::optional<ir::InstrId> call = CallOfMethod(du, ValueRef{value.fn, use.user});
        if (!call) break;
        if (IsInPlaceMethod(user.text)) edit(*call);
        if (user.text == "load_state_dict" && *call != reset) {
          out.push_back(WeightWrite{ValueRef{value.fn, *call}, WriteKind::kLoadStateDict});
        }
        break;
      }
      case Opcode::kCall: {
        if (use.operand == 0) break;
        const std::string callee = ctx.resolver().QualifiedName(value.fn, user.operands[0]);
        const size_t dot = callee.rfind('.');
        if (absl::StartsWith(callee, "torch.") &&
            IsInPlaceMethod(absl::string_view(callee).substr(dot + 1))) {
          edit(use.user);
        } else if (IsOptimizerClass(callee)) {
          for (const ValueRef& step : OptimizerSteps(ctx, ValueRef{value.fn, use.user})) {
            out.push_back(WeightWrite{step, WriteKind::kTraining});
          }
        }
        break;
      }
      default:
        break;
    }
  }
  return out;
}

// The object whose weights a load resets: the loaded model, or for
// `model.load_state_dict(torch.load(path))` the receiver `model` (and `reset`, that call).
struct ResetTarget {
  ValueRef target;
  ir::InstrId reset;
};

ResetTarget ResetTargetOf(const CheckContext& ctx, const dataflow::Site& site, ValueRef load) {
  if (site.loader != dataflow::LoaderKind::kTorchLoad) return ResetTarget{load, {}};
  const DefUse& du = ctx.def_use();
  const ir::Function& fn = ctx.program().function(load.fn);
  for (const dataflow::support::Use& use : du.Uses(load)) {
    const ir::Instr& user = fn.instr(use.user);
    if (user.op != Opcode::kCall || use.operand == 0) continue;
    const dataflow::support::CallSite call{load.fn, use.user};
    if (du.MethodName(call) != "load_state_dict") continue;
    const ir::InstrId receiver = du.Receiver(call);
    if (receiver.valid()) return ResetTarget{ValueRef{load.fn, receiver}, use.user};
  }
  return ResetTarget{load, {}};
}

// A write, during one iteration of `loop` (in frames[level]), into the weights of `target`.
std::optional<WeightWrite> FindWeightWriteInLoop(const CheckContext& ctx,
                                                 const std::vector<Frame>& frames, size_t level,
                                                 ir::LoopId loop, const ResetTarget& reset) {
  const ValueRef target = reset.target;
  const ir::FuncId loop_fn = frames[level].fn;
  const ir::Function& loop_function = ctx.program().function(loop_fn);
  const absl::flat_hash_set<ir::FuncId> run_by_loop =
      model_rules::FunctionsRunByLoop(ctx, loop_fn, loop);
  FlowOptions options;
  options.derive = dataflow::support::kDeriveAttribute | dataflow::support::kDeriveSubscript;
  options.identity_methods = ModelIdentityMethods();
  options.context = model_rules::CallString(frames, frames.size() - 1);
  options.max_states = 4000;
  // Gradients are not weights: `p.grad.zero_()` edits nothing the reload restores.
  options.cut = [](const DefUse& du, ValueRef user) {
    const ir::Instr& instr = du.instr(user);
    return instr.op == Opcode::kLoadAttr && instr.text == "grad";
  };
  auto during_loop = [&](ValueRef at) {
    if (at.fn == loop_fn) return ir::InstrInLoop(loop_function, loop, at.value);
    return run_by_loop.contains(at.fn);
  };
  std::optional<WeightWrite> found;
  dataflow::support::ExploreFlow(
      ctx.def_use(), {FlowNode::Value(target)}, options,
      [&](const FlowResult& result, int32_t index) {
        const FlowNode& node = result.states[static_cast<size_t>(index)].node;
        if (node.is_location() || node.content) return false;
        for (const WeightWrite& write : WeightWritesThrough(ctx, node.value_ref(), reset.reset)) {
          if (!during_loop(write.at)) continue;
          // The same weights loaded over it on every iteration: the pair of loads is itself one
          // loop-invariant (read-only) reload, which undoes nothing.
          if (write.kind == WriteKind::kLoadStateDict && write.at.fn == loop_fn &&
              LoopInvariance(ctx, frames, level, loop).ArgumentsInvariant(level, write.at.value)) {
            continue;
          }
          // Edits are the strongest evidence; keep looking past training for one.
          if (!found || (found->kind == WriteKind::kTraining && write.kind != WriteKind::kTraining)) {
            found = write;
          }
          if (found->kind == WriteKind::kEdit) return true;
        }
        return false;
      });
  return found;
}

const char* HelpFor(WriteKind kind) {
  switch (kind) {
    case WriteKind::kTraining:
      return "load the model once before the loop, keep a copy of its initial state dict in "
             "memory (`{k: v.detach().clone() for k, v in model.state_dict().items()}`) and "
             "`load_state_dict` it at the start of each run (reset the optimizer too)";
    case WriteKind::kLoadStateDict:
      return "load the model once before the loop and `load_state_dict` each set of weights "
             "into it; keep an in-memory copy of the original weights if the loop needs them back";
    case WriteKind::kEdit:
      break;
  }
  return "load the model once before the loop; clone the weights the loop edits and restore "
         "them after each iteration, or apply the edit with a forward hook";
}

class ReloadInLoopChecker final : public Checker {
 public:
  void Run(const CheckContext& ctx, DiagnosticSink& sink) const override {
    const dataflow::Analysis& analysis = ctx.analysis();
    if (analysis.model_loads().empty()) return;
    absl::flat_hash_set<std::pair<int32_t, int32_t>> reported;
    for (const ModelLoad& load : analysis.model_loads()) {
      const dataflow::Site& site = model_rules::SiteOf(analysis, load);
      if (site.loader == dataflow::LoaderKind::kFromConfig) continue;  // no checkpoint is read
      for (const dataflow::ContextPath& path : analysis.PathsTo(load.context, 8)) {
        const std::vector<Frame> frames =
            model_rules::FramesOf(path, load.fn, load.context, load.site);
        if (CheckPath(ctx, load, site, frames, reported, sink)) break;
      }
    }
  }

 private:
  // Reports the innermost loop on this path that reloads and edits; true when it reported.
  bool CheckPath(const CheckContext& ctx, const ModelLoad& load, const dataflow::Site& site,
                 const std::vector<Frame>& frames,
                 absl::flat_hash_set<std::pair<int32_t, int32_t>>& reported,
                 DiagnosticSink& sink) const {
    const size_t load_level = frames.size() - 1;
    for (size_t level = frames.size(); level-- > 0;) {
      const Frame& frame = frames[level];
      const ir::Function& fn = ctx.program().function(frame.fn);
      for (ir::LoopId loop : model_rules::LoopsAround(fn, frame.site)) {
        LoopInvariance invariance(ctx, frames, level, loop);
        if (!invariance.ArgumentsInvariant(load_level, load.site)) continue;
        const ResetTarget target = ResetTargetOf(ctx, site, ValueRef{load.fn, load.site});
        std::optional<WeightWrite> write =
            FindWeightWriteInLoop(ctx, frames, level, loop, target);
        if (!write) continue;
        if (!reported.insert({frame.fn.value(), frame.site.value()}).second) return true;
        Report(ctx, load, site, frames, level, loop, *write, sink);
        return true;
      }
    }
    return false;
  }

  void Report(const CheckContext& ctx, const ModelLoad& load, const dataflow::Site& site,
              const std::vector<Frame>& frames, size_t level, ir::LoopId loop,
              const WeightWrite& write, DiagnosticSink& sink) const {
    const Frame& frame = frames[level];
    const std::string checkpoint = model_rules::CheckpointText(site.checkpoint);
    const bool known = model_rules::SingleCheckpoint(site.checkpoint).has_value();
    const bool direct = level + 1 == frames.size();
    std::string message =
        direct ? absl::StrCat(checkpoint, " is reloaded on every iteration")
               : absl::StrCat("`", model_rules::CalleeText(ctx, frame.fn, frame.site),
                              "` reloads ", checkpoint, " on every iteration");
    switch (write.kind) {
      case WriteKind::kTraining:
        absl::StrAppend(&message, " to restart training from the same weights");
        break;
      case WriteKind::kLoadStateDict:
        absl::StrAppend(&message,
                        " only to have other weights copied over it with load_state_dict()");
        break;
      case WriteKind::kEdit:
        absl::StrAppend(&message, " to undo the loop's weight edits");
        break;
    }
    if (site.parameters) {
      std::optional<double> bytes = load.dtype.HasValue()
                                        ? dataflow::BytesPerElement(load.dtype.value())
                                        : std::nullopt;
      const double per = bytes.value_or(2.0);
      absl::StrAppend(&message, ": every iteration reads a ~",
                      model_rules::ParametersText(*site.parameters), " model again (",
                      model_rules::GigabytesText(*site.parameters, per), " in ",
                      bytes ? dataflow::ElementToString(load.dtype.value()) : "bf16", ")");
    } else {
      absl::StrAppend(&message, ": a reload costs a full model load per iteration");
    }
    const char* what = "the loop writes to the reloaded weights";
    if (write.kind == WriteKind::kLoadStateDict) {
      what = "the loop copies other weights over the reloaded ones with load_state_dict()";
    } else if (write.kind == WriteKind::kTraining) {
      what = "the loop trains the reloaded weights with an optimizer (when training dominates "
             "the run time, the saving is relatively small)";
    }
    const std::string evidence = absl::StrCat(
        known ? "checkpoint is a constant, identical on every iteration; "
              : "checkpoint is unknown but does not change inside the loop; ",
        what);
    double confidence = known ? 0.9 : 0.65;
    if (write.kind == WriteKind::kTraining) confidence -= 0.15;
    const ir::Function& loop_fn = ctx.program().function(frame.fn);
    Location loop_location{ctx.program().module(loop_fn.module).path,
                           loop_fn.loops[loop.index()].range};
    Diagnostic diagnostic =
        Diagnostic::For(RuleId::kFS101, ctx.LocationOf(frame.fn, frame.site))
            .Message(std::move(message))
            .Help(HelpFor(write.kind))
            .WithConfidence(confidence, evidence)
            .LogicalLocation(ctx.QualifiedName(frame.fn));
    model_rules::AddFrameSteps(
        ctx, frames, level,
        absl::StrCat("loads ", checkpoint, " with ", dataflow::LoaderKindName(site.loader)),
        diagnostic);
    diagnostic.Related(std::move(loop_location), "the loop starts here");
    diagnostic.Related(ctx.LocationOf(write.at.fn, write.at.value),
                       write.kind == WriteKind::kTraining
                           ? "the loop updates the reloaded weights here (optimizer step)"
                           : "the loop modifies the reloaded weights here");
    sink.Report(std::move(diagnostic));
  }
};

}  // namespace

std::unique_ptr<Checker> MakeReloadInLoopChecker() {
  return std::make_unique<ReloadInLoopChecker>();
}

}  // namespace flopscope::checkers
