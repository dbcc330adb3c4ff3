// FS305 cuda-tensor-saved: torch.save of a CUDA tensor or of a container holding one; also inside
// a helper that some caller hands such a value. A module's state dict is a weight checkpoint,
// not an activation, and is not reported.
// User documentation: docs/rules/fs305_cuda_tensor_saved.md
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "checkers/checker.h"
#include "checkers/tensor_device.h"
#include "checkers/tensor_rule_support.h"
#include "dataflow/analysis.h"

namespace flopscope::checkers {
namespace {

namespace tr = tensor_rules;
using dataflow::AbstractValue;
using dataflow::ContextId;
using ir::Opcode;

// What was found on the GPU: the value (the saved object or an element of a literal container
// passed to torch.save) and its abstract value.
struct CudaValue {
  ir::InstrId value;
  AbstractValue fact;
  bool element = false;     // inside a literal dict/list/tuple
  bool derived = false;     // device derived here, not the analysis's fact for the value
};

class CudaTensorSavedChecker final : public Checker {
 public:
  void Run(const CheckContext& ctx, DiagnosticSink& sink) const override {
    const dataflow::Analysis& analysis = ctx.analysis();
    if (!tr::UsesTorch(ctx.program())) return;
    const tr::TensorDevice devices(ctx);
    for (const ir::Function& fn : ctx.program().functions()) {
      if (analysis.ContextsOf(fn.id).empty()) continue;
      for (const ir::Block& block : fn.blocks) {
        for (ir::InstrId id : block.instrs) {
          const ir::Instr& instr = fn.instr(id);
          if (instr.op != Opcode::kCall || instr.operands.empty()) continue;
          if (ctx.resolver().QualifiedName(fn.id, instr.operands[0]) != "torch.save") continue;
          const std::optional<size_t> obj = SavedOperand(instr);
          if (obj) Check(ctx, devices, fn, id, *obj, sink);
        }
      }
    }
  }

 private:
  // torch.save(obj, f, ...): the first positional argument or `obj=`.
  static std::optional<size_t> SavedOperand(const ir::Instr& call) {
    for (size_t i = 1; i < call.operands.size(); ++i) {
      const size_t name = i - 1;
      const absl::string_view arg = name < call.arg_names.size() ? call.arg_names[name] : "";
      if (arg == "obj") return i;
    }
    for (size_t i = 1; i < call.operands.size(); ++i) {
      const size_t name = i - 1;
      const absl::string_view arg = name < call.arg_names.size() ? call.arg_names[name] : "";
      if (arg.empty()) return i;
      if (arg == "*" || arg == "**") return std::nullopt;
    }
    return std::nullopt;
  }

  static bool IsStateDictCall(const ir::Function& fn, ir::InstrId value) {
    const ir::Instr& def = fn.instr(value);
    if (def.op != Opcode::kCall || def.operands.empty()) return false;
    const ir::Instr& callee = fn.instr(def.operands[0]);
    return callee.op == Opcode::kLoadAttr && callee.text == "state_dict";
  }

  // A module's state dict is how weights are checkpointed, not an activation; `torch.load` with
  // `map_location` reads it anywhere, so the catalog's rule (activations kept on the GPU while
  // they are written) does not apply. Also when a helper's parameter receives the state dict
  // from the caller of `context`.
  static bool IsModuleStateDict(const CheckContext& ctx, const ir::Function& fn,
                                ContextId context, ir::InstrId value) {
    if (IsStateDictCall(fn, value)) return true;
    const ir::Instr& def = fn.instr(value);
    if (def.op != Opcode::kParam) return false;
    const std::vector<dataflow::ContextPath> paths = ctx.analysis().PathsTo(context, 1);
    if (paths.empty() || paths.front().empty()) return false;
    const dataflow::CallStep& step = paths.front().back();
    const ir::Function& caller = ctx.program().function(step.caller);
    for (const auto& arg : ctx.def_use().ArgumentsFor(fn.id, def.aux)) {
      if (arg.site.caller == step.caller && arg.site.site == step.site &&
          IsStateDictCall(caller, arg.value)) {
        return true;
      }
    }
    return false;
  }

  std::optional<CudaValue> CudaIn(const dataflow::Analysis& analysis,
                                  const tr::TensorDevice& devices, const ir::Function& fn,
                                  ContextId context, ir::InstrId instr, size_t operand,
                                  int depth) const {
    AbstractValue v = analysis.OperandIn(context, instr, operand);
    const ir::InstrId value = fn.instr(instr).operands[operand];
    if (IsStateDictCall(fn, value)) return std::nullopt;
    const bool holds_tensors = v.kinds.IsTop() || v.MayBe(dataflow::kKindTensor) ||
                               v.MayBe(dataflow::kKindDict) || v.MayBe(dataflow::kKindModel);
    if (v.device.IsDefinitelyCuda() && holds_tensors) {
      return CudaValue{value, v, depth > 0};
    }
    if (!v.device.HasValue() && holds_tensors) {
      // Unknown to the analysis (a model of unknown origin moved to the GPU, a joined context,
      // an item read back from a container): derive it from the facts around the value.
      const tr::TensorDevice::Result derived = devices.Of(fn.id, context, value);
      if (derived.device.IsDefinitelyCuda()) {
        v.device = derived.device;
        v.device_prov = derived.prov;
        CudaValue found{value, v, depth > 0};
        found.derived = true;
        return found;
      }
    }
    const ir::Instr& def = fn.instr(value);
    if (depth < 4 && (def.op == Opcode::kBuildList || def.op == Opcode::kBuildTuple ||
                      def.op == Opcode::kBuildDict || def.op == Opcode::kBuildSet)) {
      for (size_t i = 0; i < def.operands.size(); ++i) {
        if (def.op == Opcode::kBuildDict && i % 2 == 0) continue;  // keys
        if (auto found = CudaIn(analysis, devices, fn, context, value, i, depth + 1)) {
          return found;
        }
      }
    }
    return std::nullopt;
  }

  void Check(const CheckContext& ctx, const tr::TensorDevice& devices, const ir::Function& fn,
             ir::InstrId call, size_t operand, DiagnosticSink& sink) const {
    const dataflow::Analysis& analysis = ctx.analysis();
    for (ContextId context : analysis.ContextsOf(fn.id)) {
      if (analysis.context(context).gave_up) continue;
      const std::optional<CudaValue> found =
          CudaIn(analysis, devices, fn, context, call, operand, 0);
      if (!found || IsModuleStateDict(ctx, fn, context, found->value)) continue;
      Report(ctx, fn, call, context, *found, sink);
      return;  // one caller handing a GPU value is enough
    }
  }

  void Report(const CheckContext& ctx, const ir::Function& fn, ir::InstrId call,
              ContextId context, const CudaValue& found, DiagnosticSink& sink) const {
    const dataflow::Analysis& analysis = ctx.analysis();
    std::vector<dataflow::ContextPath> paths = analysis.PathsTo(context, 1);
    const dataflow::ContextPath path = paths.empty() ? dataflow::ContextPath{} : paths.front();
    const std::string name = tr::ExprName(fn, found.value);
    std::string shown = name.empty() ? "the saved value" : absl::StrCat("`", name, "`");
    const std::string device = found.fact.device.ToString();

    double score = 0.9;
    std::string why = absl::StrCat("device tracked to ", device);
    const auto chain = analysis.Provenance(found.fact.device_prov);
    if (!chain.empty()) absl::StrAppend(&why, " (", chain.back()->text, ")");
    if (!path.empty()) {
      score = 0.8;
      absl::StrAppend(&why, "; the GPU value arrives through the calls shown");
    }
    if (found.derived) {
      score -= 0.05;
      absl::StrAppend(&why, "; derived from the model's device at the forward pass or call that "
                            "produced it");
    }
    if (found.element) {
      score -= 0.05;
      absl::StrAppend(&why, "; inside the saved container");
    }

    std::string what = found.element ? absl::StrCat("a container holding ", shown) : shown;
    Diagnostic d = Diagnostic::For(RuleId::kFS305, ctx.LocationOf(fn.id, call));
    d.Message(absl::StrCat("`torch.save` writes ", what, " while it is on ", device,
                           ": the file records the GPU device, so loading it needs that GPU (or "
                           "a `map_location`) and first allocates the tensors in GPU memory"))
        .Help("save a CPU copy: `torch.save(x.cpu(), path)` (for a dict, move each tensor with "
              "`.cpu()`)")
        .WithConfidence(score, why)
        .LogicalLocation(ctx.QualifiedName(fn.id));
    tr::AddCallerSteps(ctx, path, fn.id, " with a GPU value", d);
    tr::AddProvenanceSteps(ctx, found.fact.device_prov, 6, d, fn.id, call);
    tr::DedupeSteps(d);
    sink.Report(std::move(d));
  }
};

}  // namespace

std::unique_ptr<Checker> MakeCudaTensorSavedChecker() {
  return std::make_unique<CudaTensorSavedChecker>();
}

}  // namespace flopscope::checkers
