#include "checkers/graph_attachment.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "dataflow/support/backward_reach.h"
#include "checkers/tensor_rule_support.h"
#include "dataflow/support/def_use.h"

namespace flopscope::checkers::tensor_rules {
namespace {

using dataflow::AbstractValue;
using dataflow::ContextId;
using ir::Opcode;

constexpr int kMaxDepth = 14;

// Attributes whose value carries no graph of the object.
constexpr absl::string_view kCutAttributes[] = {"grad",  "data",    "shape",   "ndim",
                                                "dtype", "device",  "is_cuda", "is_leaf",
                                                "requires_grad"};
// Tensor methods whose result has no graph: Python data, indices, booleans, sizes.
constexpr absl::string_view kCutMethods[] = {
    "detach", "detach_", "item",  "tolist", "numpy", "argmax", "argmin", "argsort",
    "nonzero", "size",   "dim",   "numel",  "long",  "int",    "bool",   "eq",
    "ne",     "gt",      "lt",    "ge",     "le",    "isnan",  "isinf",  "any",
    "all",    "equal",   "count_nonzero", "data_ptr", "stride", "__len__"};
// Builtins that turn a tensor into Python data.
constexpr absl::string_view kCutFunctions[] = {
    "<builtin>.float", "<builtin>.int",  "<builtin>.bool",       "<builtin>.str",
    "<builtin>.len",   "<builtin>.repr", "<builtin>.round",      "<builtin>.print",
    "<builtin>.hash",  "<builtin>.id",   "<builtin>.isinstance", "<builtin>.type"};

bool IsLossFunction(absl::string_view qualified) {
  return absl::StartsWith(qualified, "torch.nn.functional.") &&
         (absl::StrContains(qualified, "loss") || absl::StrContains(qualified, "entropy") ||
          absl::EndsWith(qualified, "nll_loss") || absl::EndsWith(qualified, "kl_div") ||
          absl::EndsWith(qualified, "mse_loss"));
}

// The element a subscript key names, if it is a literal: "#0", "#-1" for integers, the text of
// a string key.
std::optional<std::string> ConstKey(const ir::Function& f, ir::InstrId key) {
  bool negate = false;
  const ir::Instr* k = &f.instr(key);
  if (k->op == Opcode::kUnaryOp && k->text == "-" && !k->operands.empty()) {
    negate = true;
    k = &f.instr(k->operands[0]);
  }
  if (k->op != Opcode::kConst) return std::nullopt;
  if (k->aux == static_cast<int32_t>(ir::ConstKind::kString) && !negate && !k->text.empty()) {
    return k->text;
  }
  int32_t value = 0;
  if (k->aux != static_cast<int32_t>(ir::ConstKind::kInt) || !absl::SimpleAtoi(k->text, &value)) {
    return std::nullopt;
  }
  return absl::StrCat("#", negate ? -value : value);
}

// Position `element` ("#i") of a sequence of `size` items, or -1.
int32_t Position(const std::string& element, int32_t size) {
  int32_t at = 0;
  if (element.size() < 2 || element[0] != '#' || !absl::SimpleAtoi(element.substr(1), &at)) {
    return -1;
  }
  if (at < 0) at += size;
  return at >= 0 && at < size ? at : -1;
}

const std::string& kWhole() {
  static const std::string* const whole = new std::string();
  return *whole;
}

}  // namespace

GraphAttachment::GraphAttachment(const CheckContext& ctx)
    : ctx_(ctx), forwards_(ctx.analysis()) {}

GraphAttachment::Result GraphAttachment::Of(ir::FuncId fn, ContextId context,
                                            ir::InstrId value) const {
  absl::flat_hash_set<SeenKey> seen;
  return Walk(fn, context, value, kWhole(), 0, seen);
}

GraphAttachment::Result GraphAttachment::Walk(ir::FuncId fn, ContextId context,
                                              ir::InstrId value, const std::string& element,
                                              int depth,
                                              absl::flat_hash_set<SeenKey>& seen) const {
  if (depth > kMaxDepth || !value.valid() ||
      !seen.insert(SeenKey{fn.value(), value.value(), context, element}).second) {
    return {};
  }
  const dataflow::Analysis& analysis = ctx_.analysis();
  const AbstractValue v = analysis.ValueIn(context, value);
  if (v.IsBottom()) return {};
  // A sequence's own facts say nothing about one of its items: only the item's definition does.
  if (element.empty()) {
    if (v.grad.DefinitelyAttached() && !v.kinds.IsTop() && v.MayBe(dataflow::kKindTensor)) {
      Result r;
      r.attached = true;
      r.is_loss = v.kinds.Has(dataflow::kKindLoss);
      return r;
    }
    if (v.grad.DefinitelyDetached()) return {};
    if (!v.kinds.IsTop() && !v.MayBe(dataflow::kKindTensor)) return {};
  }

  const ir::Function& f = ctx_.program().function(fn);
  const ir::Instr& instr = f.instr(value);
  switch (instr.op) {
    case Opcode::kCall:
      return FromCall(fn, context, value, element, depth, seen);
    case Opcode::kLoadAttr: {
      if (instr.operands.empty() || OneOfNames(kCutAttributes, instr.text)) return {};
      Result r = Walk(fn, context, instr.operands[0], kWhole(), depth + 1, seen);
      if (r.attached && instr.text == "loss") r.is_loss = true;
      return r;
    }
    case Opcode::kLoadSubscript: {
      if (instr.operands.empty()) return {};
      // `pair[0]`, `result["loss"]` of a container some code built: that item. Otherwise (a
      // tensor, a model output, an unknown key) the whole value.
      const std::optional<std::string> key =
          element.empty() && instr.operands.size() > 1 ? ConstKey(f, instr.operands[1])
                                                       : std::nullopt;
      if (key) {
        Result r = Walk(fn, context, instr.operands[0], *key, depth + 1, seen);
        if (r.attached) return r;
      }
      return Walk(fn, context, instr.operands[0], kWhole(), depth + 1, seen);
    }
    case Opcode::kUnpackItem: {
      if (instr.operands.empty()) return {};
      Result r = Walk(fn, context, instr.operands[0], absl::StrCat("#", instr.aux), depth + 1,
                      seen);
      if (r.attached || !element.empty()) return r;
      // Unpacking a tensor or a model output (`logits, cache = out`) keeps its graph.
      return Walk(fn, context, instr.operands[0], kWhole(), depth + 1, seen);
    }
    case Opcode::kBuildTuple:
    case Opcode::kBuildList: {
      if (element.empty()) return {};
      for (const std::string& name : instr.arg_names) {
        if (name == "*") return {};  // a starred item: positions unknown
      }
      const int32_t at = Position(element, static_cast<int32_t>(instr.operands.size()));
      if (at < 0) return {};
      return Walk(fn, context, instr.operands[static_cast<size_t>(at)], kWhole(), depth + 1,
                  seen);
    }
    case Opcode::kBuildDict: {
      if (element.empty()) return {};
      for (size_t i = 0; i + 1 < instr.operands.size(); i += 2) {
        const bool spread = i / 2 < instr.arg_names.size() && instr.arg_names[i / 2] == "**";
        if (spread || ConstKey(f, instr.operands[i]) != element) continue;
        return Walk(fn, context, instr.operands[i + 1], kWhole(), depth + 1, seen);
      }
      // Filled in afterwards: `losses = {}; losses["total"] = ce + kl; return losses`.
      for (const dataflow::support::Use& use : ctx_.def_use().Uses({fn, value})) {
        const ir::Instr& u = f.instr(use.user);
        if (u.op != Opcode::kStoreSubscript || use.operand != 0 || u.operands.size() != 3 ||
            ConstKey(f, u.operands[1]) != element) {
          continue;
        }
        Result r = Walk(fn, context, u.operands[2], kWhole(), depth + 1, seen);
        if (r.attached) return r;
      }
      return {};
    }
    case Opcode::kUnaryOp:
      if (instr.text == "not" || instr.operands.empty()) return {};
      return Walk(fn, context, instr.operands[0], kWhole(), depth + 1, seen);
    case Opcode::kBinaryOp:
    case Opcode::kInplaceOp:
      for (ir::InstrId op : instr.operands) {
        Result r = Walk(fn, context, op, kWhole(), depth + 1, seen);
        if (r.attached) return r;
      }
      return {};
    case Opcode::kPhi:
      for (ir::InstrId op : instr.operands) {
        Result r = Walk(fn, context, op, element, depth + 1, seen);
        if (r.attached) return r;
      }
      return {};
    case Opcode::kParam:
      return FromParam(fn, context, value, element, depth, seen);
    default:
      return {};
  }
}

GraphAttachment::Result GraphAttachment::FromCall(ir::FuncId fn, ContextId context,
                                                  ir::InstrId call, const std::string& element,
                                                  int depth,
                                                  absl::flat_hash_set<SeenKey>& seen) const {
  const dataflow::Analysis& analysis = ctx_.analysis();
  const ir::Function& f = ctx_.program().function(fn);
  const ir::Instr& instr = f.instr(call);
  if (instr.operands.empty()) return {};

  // A forward pass the analysis saw, whose result it left unknown (model of unknown origin).
  if (const dataflow::ForwardCall* forward = forwards_.Find(fn, call, context)) {
    const dataflow::ForwardCall& event = *forward;
    if (event.is_generate || !event.mode.MayBeEnabled()) return {};
    ir::InstrId model = instr.operands[0];
    const ir::Instr& callee = f.instr(model);
    if (callee.op == Opcode::kLoadAttr && callee.text == "forward" && !callee.operands.empty()) {
      model = callee.operands[0];
    }
    AbstractValue typed = analysis.ValueIn(context, model);
    typed.sites = typed.sites.IsTop() ? event.model_sites : typed.sites.Join(event.model_sites);
    const ModelEvidence evidence = ModelEvidenceFor(ctx_, fn, model, typed, call);
    Result r;
    r.attached = true;
    r.derived = true;
    r.forward_fn = fn;
    r.forward_site = call;
    r.evidence = evidence.text;
    if (evidence.strength != Evidence::kNone) return r;
    // No typing from its members or name, but its output is backpropagated: only a
    // differentiable module's output has a graph to run backward() on.
    for (const dataflow::ContextPath& path : analysis.PathsTo(context, 4)) {
      bool exhausted = false;
      if (ctx_.backward_reach().ReachesBackward({fn, call}, CallString(path), &exhausted)) {
        const std::string name = ExprName(f, model);
        r.evidence = absl::StrCat("`", name.empty() ? "the callee" : name,
                                  "` of unknown origin, typed from use: its output is "
                                  "backpropagated");
        return r;
      }
    }
    return {};
  }

  // In-repo callees: what they return in the contexts this call created (also methods the
  // analysis dispatched on the receiver's class where the call graph has no edge).
  const std::vector<ContextId> inner_contexts = analysis.CalleeContexts(context, call);
  if (!inner_contexts.empty() || !ctx_.call_graph().CalleesAt(fn, call).empty()) {
    for (ContextId inner : inner_contexts) {
      const ir::FuncId g = analysis.context(inner).fn;
      if (analysis.context(inner).is_hook) continue;
      for (ir::InstrId ret : ctx_.def_use().Returns(g)) {
        Result r = Walk(g, inner, ret, element, depth + 1, seen);
        if (r.attached) return r;
      }
    }
    return {};
  }

  const std::string qualified = ctx_.resolver().QualifiedName(fn, instr.operands[0]);
  const ir::Instr& callee = f.instr(instr.operands[0]);
  if (qualified.empty() && callee.op == Opcode::kLoadAttr && !callee.operands.empty()) {
    // A method of a value: tensor methods keep the graph unless they yield Python data.
    if (OneOfNames(kCutMethods, callee.text)) return {};
    return Walk(fn, context, callee.operands[0], kWhole(), depth + 1, seen);
  }
  if (qualified.empty() || OneOfNames(kCutFunctions, qualified)) return {};
  // An external function of tensors (a loss, torch.cat of tensors, arithmetic helpers).
  for (size_t i = 1; i < instr.operands.size(); ++i) {
    Result r = Walk(fn, context, instr.operands[i], kWhole(), depth + 1, seen);
    if (!r.attached) continue;
    if (IsLossFunction(qualified)) r.is_loss = true;
    return r;
  }
  return {};
}

GraphAttachment::Result GraphAttachment::FromParam(ir::FuncId fn, ContextId context,
                                                   ir::InstrId param, const std::string& element,
                                                   int depth,
                                                   absl::flat_hash_set<SeenKey>& seen) const {
  const dataflow::Analysis& analysis = ctx_.analysis();
  const dataflow::support::DefUse& du = ctx_.def_use();
  const auto index = static_cast<uint32_t>(ctx_.program().function(fn).instr(param).aux);
  for (const dataflow::ContextPath& path : analysis.PathsTo(context, 4)) {
    if (path.empty()) continue;
    const dataflow::CallStep& step = path.back();
    const ir::Instr& call = ctx_.program().function(step.caller).instr(step.site);
    if (call.op != Opcode::kCall) continue;
    for (uint32_t i = 1; i < call.operands.size(); ++i) {
      for (const dataflow::support::ParamBinding& b : du.BindOperand({step.caller, step.site}, i)) {
        if (b.callee != fn || b.param_index != index) continue;
        Result r = Walk(step.caller, step.caller_context, call.operands[i], element, depth + 1,
                        seen);
        if (r.attached) return r;
      }
    }
  }
  return {};
}

void AddAttachmentSteps(const CheckContext& ctx, const GraphAttachment::Result& result,
                        dataflow::ProvId grad_prov, ir::FuncId fn, ir::InstrId at,
                        Diagnostic& diagnostic) {
  if (result.derived) {
    diagnostic.Step(ctx.LocationOf(result.forward_fn, result.forward_site),
                    ctx.DisplayName(result.forward_fn),
                    "forward pass with grad enabled produces it");
    return;
  }
  AddProvenanceSteps(ctx, grad_prov, 6, diagnostic, fn, at);
}

}  // namespace flopscope::checkers::tensor_rules
