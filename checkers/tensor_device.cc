#include "checkers/tensor_device.h"

#include <algorithm>
#include <string>

#include "checkers/tensor_rule_support.h"
#include "dataflow/support/def_use.h"

namespace flopscope::checkers::tensor_rules {
namespace {

using dataflow::AbstractValue;
using dataflow::ContextId;
using dataflow::DeviceDomain;
using ir::Opcode;

constexpr int kMaxDepth = 16;

// Results that live on the CPU (or are not tensors) whatever the receiver's device.
constexpr absl::string_view kToCpu[] = {"cpu", "numpy", "tolist", "item"};
// Attributes that are not the tensor's data.
constexpr absl::string_view kNotData[] = {"shape", "ndim", "dtype", "device", "is_cuda",
                                          "requires_grad"};
// Builtins that make Python data.
constexpr absl::string_view kPythonData[] = {"<builtin>.float", "<builtin>.int",
                                             "<builtin>.bool",  "<builtin>.str",
                                             "<builtin>.len",   "<builtin>.round"};

bool Known(const DeviceDomain& d) { return d.HasValue(); }

std::optional<std::string> ConstKey(const ir::Function& fn, ir::InstrId key) {
  if (!key.valid()) return std::nullopt;
  const ir::Instr& k = fn.instr(key);
  if (k.op != Opcode::kConst) return std::nullopt;
  return k.text;
}

}  // namespace

TensorDevice::TensorDevice(const CheckContext& ctx) : ctx_(ctx), forwards_(ctx.analysis()) {}

TensorDevice::Result TensorDevice::Of(ir::FuncId fn, ContextId context, ir::InstrId value) const {
  absl::flat_hash_set<Key> seen;
  return Walk(fn, context, value, 0, {}, seen);
}

TensorDevice::Result TensorDevice::Walk(ir::FuncId fn, ContextId context, ir::InstrId value,
                                        int depth, const Stack& stack,
                                        absl::flat_hash_set<Key>& seen) const {
  if (depth > kMaxDepth || !value.valid() ||
      !seen.insert(Key{fn.value(), value.value(), context}).second) {
    return {};
  }
  const AbstractValue v = ctx_.analysis().ValueIn(context, value);
  if (Known(v.device)) return Result{v.device, v.device_prov, depth > 0};
  if (!v.kinds.IsTop() && !v.IsBottom() &&
      !(v.MayBe(dataflow::kKindTensor) || v.MayBe(dataflow::kKindDict) ||
        v.MayBe(dataflow::kKindList) || v.MayBe(dataflow::kKindModel))) {
    return {};  // numbers, strings, None: no device
  }
  const ir::Function& f = ctx_.program().function(fn);
  const ir::Instr& instr = f.instr(value);
  auto next = [&](ir::InstrId op) { return Walk(fn, context, op, depth + 1, stack, seen); };
  switch (instr.op) {
    case Opcode::kCall:
      return FromCall(fn, context, value, depth, stack, seen);
    case Opcode::kLoadAttr:
      if (instr.operands.empty() || OneOfNames(kNotData, instr.text)) return {};
      return next(instr.operands[0]);
    case Opcode::kLoadSubscript: {
      if (instr.operands.empty()) return {};
      Result item = FromItem(fn, context, instr.operands[0],
                             instr.operands.size() > 1 ? instr.operands[1] : ir::InstrId(), depth,
                             stack, seen);
      if (Known(item.device)) return item;
      return next(instr.operands[0]);  // a slice of a tensor lives where the tensor does
    }
    case Opcode::kUnaryOp:
      return instr.operands.empty() || instr.text == "not" ? Result{} : next(instr.operands[0]);
    case Opcode::kBinaryOp:
    case Opcode::kInplaceOp:
      // A GPU operand puts the result on the GPU (mixing devices would fail otherwise).
      for (ir::InstrId op : instr.operands) {
        Result r = next(op);
        if (r.device.IsDefinitelyCuda()) return r;
      }
      return {};
    case Opcode::kPhi: {
      Result joined;
      for (ir::InstrId op : instr.operands) {
        Result r = next(op);
        if (r.device.IsBottom()) continue;
        if (joined.device.IsBottom()) joined.prov = r.prov;
        joined.device = joined.device.Join(r.device);
        joined.derived = true;
      }
      return Known(joined.device) ? joined : Result{};
    }
    case Opcode::kParam:
      return FromParam(fn, context, value, depth, stack, seen);
    case Opcode::kLoadVar:
      if (static_cast<ir::VarScope>(instr.aux) != ir::VarScope::kCell) return {};
      return FromCell(fn, value, depth, stack, seen);
    case Opcode::kGetIter:
    case Opcode::kForIter:
    case Opcode::kUnpackItem:
    case Opcode::kUnpackStar:
      // Elements of a container (or of enumerate/zip over one) live where its items do.
      return instr.operands.empty() ? Result{} : next(instr.operands[0]);
    case Opcode::kBuildList:
    case Opcode::kBuildTuple:
    case Opcode::kBuildSet:
    case Opcode::kBuildDict:
      // A container "is on the GPU" for saving when one of its items is.
      return FromItem(fn, context, value, ir::InstrId(), depth, stack, seen);
    default:
      return {};
  }
}

TensorDevice::Result TensorDevice::FromCall(ir::FuncId fn, ContextId context, ir::InstrId call,
                                            int depth, const Stack& stack,
                                            absl::flat_hash_set<Key>& seen) const {
  const dataflow::Analysis& analysis = ctx_.analysis();
  const ir::Function& f = ctx_.program().function(fn);
  const ir::Instr& instr = f.instr(call);
  if (instr.operands.empty()) return {};
  const ir::Instr& callee = f.instr(instr.operands[0]);
  const bool method = callee.op == Opcode::kLoadAttr && !callee.operands.empty();

  // A forward pass: the output is on the model's device as the call sees it.
  if (const dataflow::ForwardCall* forward = forwards_.Find(fn, call, context)) {
    if (forward->is_generate) return {};
    const bool via_forward = method && callee.text == "forward";
    const AbstractValue model = via_forward
                                    ? analysis.OperandIn(context, instr.operands[0], 0)
                                    : analysis.OperandIn(context, call, 0);
    if (Known(model.device)) return Result{model.device, model.device_prov, true};
    const ir::InstrId model_value = via_forward ? callee.operands[0] : instr.operands[0];
    return Walk(fn, context, model_value, depth + 1, stack, seen);
  }

  // In-repo callees: their return values in the contexts this call created.
  const std::vector<ir::FuncId> callees = ctx_.call_graph().CalleesAt(fn, call);
  if (!callees.empty()) {
    Stack inner = stack;
    inner.push_back(dataflow::CallStep{fn, context, call});
    for (ir::FuncId g : callees) {
      for (ContextId c : analysis.ContextsOf(g)) {
        bool matched = false;
        for (const dataflow::ContextPath& path : analysis.PathsTo(c, 32)) {
          matched = matched || (!path.empty() && path.back().caller == fn &&
                                path.back().site == call && path.back().caller_context == context);
        }
        if (!matched) continue;
        for (ir::InstrId ret : ctx_.def_use().Returns(g)) {
          Result r = Walk(g, c, ret, depth + 1, inner, seen);
          if (Known(r.device)) return r;
        }
      }
    }
    return {};
  }

  const std::string qualified = ctx_.resolver().QualifiedName(fn, instr.operands[0]);
  if (qualified.empty() && method) {
    if (OneOfNames(kToCpu, callee.text)) {
      return Result{DeviceDomain::Cpu(), dataflow::kNoProv, true};
    }
    if (callee.text == "cuda") return Result{DeviceDomain::Cuda(), dataflow::kNoProv, true};
    if (callee.text == "to") return {};  // the analysis read its argument already
    return Walk(fn, context, callee.operands[0], depth + 1, stack, seen);
  }
  if (qualified.empty() || OneOfNames(kPythonData, qualified)) return {};
  // An external tensor function (torch.stack, torch.cat, F.normalize): its inputs' device.
  for (size_t i = 1; i < instr.operands.size(); ++i) {
    Result r = Walk(fn, context, instr.operands[i], depth + 1, stack, seen);
    if (Known(r.device)) return r;
  }
  return {};
}

TensorDevice::Result TensorDevice::FromParam(ir::FuncId fn, ContextId context, ir::InstrId param,
                                             int depth, const Stack& stack,
                                             absl::flat_hash_set<Key>& seen) const {
  const dataflow::Analysis& analysis = ctx_.analysis();
  const dataflow::support::DefUse& du = ctx_.def_use();
  const auto index = static_cast<uint32_t>(ctx_.program().function(fn).instr(param).aux);
  std::vector<dataflow::CallStep> callers;
  Stack outer = stack;
  if (!stack.empty()) {
    callers.push_back(stack.back());  // back to the call the walk came through
    outer.pop_back();
  } else {
    for (const dataflow::ContextPath& path : analysis.PathsTo(context, 8)) {
      if (!path.empty()) callers.push_back(path.back());
    }
  }
  for (const dataflow::CallStep& step : callers) {
    const ir::Instr& call = ctx_.program().function(step.caller).instr(step.site);
    if (call.op != Opcode::kCall) continue;
    for (uint32_t i = 1; i < call.operands.size(); ++i) {
      for (const dataflow::support::ParamBinding& b : du.BindOperand({step.caller, step.site}, i)) {
        if (b.callee != fn || b.param_index != index) continue;
        // As the call sees it: in-place moves of a model before the call count.
        const AbstractValue arg = analysis.OperandIn(step.caller_context, step.site, i);
        if (Known(arg.device)) return Result{arg.device, arg.device_prov, true};
        Result r = Walk(step.caller, step.caller_context, call.operands[i], depth + 1, outer, seen);
        if (Known(r.device)) return r;
      }
    }
  }
  return {};
}

TensorDevice::Result TensorDevice::FromCell(ir::FuncId fn, ir::InstrId load, int depth,
                                            const Stack& stack,
                                            absl::flat_hash_set<Key>& seen) const {
  const dataflow::Analysis& analysis = ctx_.analysis();
  const dataflow::support::DefUse& du = ctx_.def_use();
  const dataflow::support::LocationId loc = du.LoadedLocation({fn, load});
  if (!loc.valid()) return {};
  for (const ir::ValueRef& stored : du.StoredValues(loc)) {
    // The owner's context: the one the walk came through when it entered this closure or
    // comprehension, else every context of the owner.
    std::vector<ContextId> contexts;
    Stack outer = stack;
    while (!outer.empty() && outer.back().caller != stored.fn) outer.pop_back();
    if (!outer.empty()) {
      contexts.push_back(outer.back().caller_context);
    } else {
      contexts = analysis.ContextsOf(stored.fn);
    }
    const ir::Function& owner = ctx_.program().function(stored.fn);
    for (ContextId c : contexts) {
      Result r = Walk(stored.fn, c, stored.value, depth + 1, outer, seen);
      if (Known(r.device)) return r;
      // The cell holds the object, not a snapshot: a module moved in place after the closure
      // was made (`model.to("cuda")`, `model.cuda()`) is on the GPU when the closure runs.
      const AbstractValue object = analysis.ValueIn(c, stored.value);
      if (!object.kinds.IsTop() && !object.MayBe(dataflow::kKindModel)) continue;
      for (const dataflow::support::Use& use : du.Uses(stored)) {
        const ir::Instr& attr = owner.instr(use.user);
        if (attr.op != Opcode::kLoadAttr || use.operand != 0 ||
            (attr.text != "to" && attr.text != "cuda")) {
          continue;
        }
        for (const dataflow::support::Use& call : du.Uses({stored.fn, use.user})) {
          if (call.operand != 0 || owner.instr(call.user).op != Opcode::kCall) continue;
          const AbstractValue moved = analysis.ValueIn(c, call.user);
          if (Known(moved.device)) return Result{moved.device, moved.device_prov, true};
        }
      }
    }
  }
  return {};
}

TensorDevice::Result TensorDevice::FromItem(ir::FuncId fn, ContextId context,
                                            ir::InstrId container, ir::InstrId key, int depth,
                                            const Stack& stack,
                                            absl::flat_hash_set<Key>& seen) const {
  const ir::Function& f = ctx_.program().function(fn);
  const ir::Instr& c = f.instr(container);
  const std::optional<std::string> wanted = ConstKey(f, key);
  auto item = [&](ir::InstrId value) { return Walk(fn, context, value, depth + 1, stack, seen); };
  // A dict literal with constant keys: the entry under the key.
  if (c.op == Opcode::kBuildDict) {
    for (size_t i = 0; i + 1 < c.operands.size(); i += 2) {
      const std::optional<std::string> k = ConstKey(f, c.operands[i]);
      if (wanted && k && *k != *wanted) continue;
      Result r = item(c.operands[i + 1]);
      if (Known(r.device)) return r;
    }
  }
  if (c.op == Opcode::kLoadSubscript && !c.operands.empty()) {
    // `results[best]["direction"]`: the items written into `results`, then their entry.
    const ir::InstrId outer = c.operands[0];
    for (const dataflow::support::Use& use : ctx_.def_use().Uses({fn, outer})) {
      const ir::Instr& u = f.instr(use.user);
      if (u.op != Opcode::kStoreSubscript || use.operand != 0 || u.operands.size() < 3) continue;
      Result r = FromItem(fn, context, u.operands[2], key, depth + 1, stack, seen);
      if (Known(r.device)) return r;
    }
  }
  if (c.op == Opcode::kBuildList || c.op == Opcode::kBuildTuple || c.op == Opcode::kBuildSet) {
    for (ir::InstrId element : c.operands) {
      Result r = item(element);
      if (Known(r.device)) return r;
    }
  }
  if (c.op == Opcode::kBuildDict || c.op == Opcode::kBuildList) {
    // Items written into a local container after it was built.
    for (const dataflow::support::Use& use : ctx_.def_use().Uses({fn, container})) {
      const ir::Instr& u = f.instr(use.user);
      if (u.op == Opcode::kLoadAttr && use.operand == 0 &&
          (u.text == "append" || u.text == "add" || u.text == "insert")) {
        for (const dataflow::support::Use& call : ctx_.def_use().Uses({fn, use.user})) {
          const ir::Instr& c2 = f.instr(call.user);
          if (c2.op != Opcode::kCall || call.operand != 0 || c2.operands.size() < 2) continue;
          Result r = item(c2.operands.back());
          if (Known(r.device)) return r;
        }
        continue;
      }
      if (u.op == Opcode::kStoreSubscript && use.operand == 0 && u.operands.size() >= 3) {
        const std::optional<std::string> k = ConstKey(f, u.operands[1]);
        if (wanted && k && *k != *wanted) continue;
        Result r = item(u.operands[2]);
        if (Known(r.device)) return r;
      }
    }
  }
  return {};
}

}  // namespace flopscope::checkers::tensor_rules
