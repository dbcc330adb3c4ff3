#include "dataflow/support/backward_reach.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace flopscope::dataflow::support {
namespace {

using ir::Opcode;

constexpr absl::string_view kBackwardMethods[] = {"backward", "manual_backward"};
constexpr absl::string_view kAutogradFunctions[] = {"torch.autograd.backward",
                                                    "torch.autograd.grad"};
// Attribute loads whose value carries no autograd graph of the object.
constexpr absl::string_view kCutAttributes[] = {
    "item", "detach", "detach_", "tolist", "numpy", "data", "grad", "shape",
    "size", "dtype",  "device",  "ndim",   "dim",   "numel", "requires_grad"};
constexpr absl::string_view kCutBuiltins[] = {
    "<builtin>.float", "<builtin>.int",        "<builtin>.bool",  "<builtin>.str",
    "<builtin>.len",   "<builtin>.repr",       "<builtin>.round", "<builtin>.print",
    "<builtin>.isinstance", "<builtin>.hash", "<builtin>.id",    "<builtin>.type"};

template <size_t N>
bool In(const absl::string_view (&table)[N], absl::string_view s) {
  return std::find(std::begin(table), std::end(table), s) != std::end(table);
}

bool NamedLikeOptimizer(absl::string_view name) {
  return absl::StrContains(absl::AsciiStrToLower(name), "optim");
}

}  // namespace

BackwardReach::BackwardReach(const DefUse& du) : du_(du) {
  const ir::Program& program = du.program();
  const size_t n = program.functions().size();
  training_.assign(n, false);
  next_.assign(n, CallSite{});
  for (const ir::Function& fn : program.functions()) {
    if (fn.name == "training_step" && fn.method_of.valid()) has_training_step_ = true;
    for (const ir::Block& block : fn.blocks) {
      for (ir::InstrId id : block.instrs) {
        const ValueRef call{fn.id, id};
        if (fn.instr(id).op != Opcode::kCall) continue;
        const bool backward = IsBackwardSite(call);
        if (!backward && !IsOptimizerStep(call)) continue;
        if (backward) value_sinks_.insert(call);
        sites_.push_back(call);
        if (!training_[fn.id.index()]) {
          training_[fn.id.index()] = true;
          next_[fn.id.index()] = CallSite{fn.id, id};
        }
      }
    }
  }
  // Bottom-up over SCCs: callees first, so one pass settles acyclic parts; a recursive SCC is
  // iterated until stable (monotone, at most |SCC| rounds).
  const ir::CallGraph& cg = du.call_graph();
  for (const std::vector<ir::FuncId>& scc : cg.SccsBottomUp()) {
    bool changed = true;
    for (size_t round = 0; changed && round <= scc.size(); ++round) {
      changed = false;
      for (ir::FuncId f : scc) {
        if (training_[f.index()]) continue;
        for (const ir::CallEdge& e : cg.Callees(f)) {
          // Hook callbacks run at forward time, not where they are registered.
          if (e.kind == ir::EdgeKind::kCallback) continue;
          if (!e.callee.valid() || !training_[e.callee.index()]) continue;
          training_[f.index()] = true;
          next_[f.index()] = CallSite{f, e.site};
          changed = true;
          break;
        }
      }
    }
  }
}

bool BackwardReach::IsBackwardSite(ValueRef call) const {
  const CallSite site{call.fn, call.value};
  if (In(kBackwardMethods, du_.MethodName(site))) return true;
  const ir::Instr& instr = du_.instr(call);
  if (instr.operands.empty()) return false;
  return In(kAutogradFunctions, du_.resolver().QualifiedName(call.fn, instr.operands[0]));
}

bool BackwardReach::IsOptimizerStep(ValueRef call) const {
  const CallSite site{call.fn, call.value};
  if (du_.MethodName(site) != "step") return false;
  const ir::InstrId receiver = du_.Receiver(site);
  if (!receiver.valid()) return false;
  const std::string qualified = du_.resolver().QualifiedName(call.fn, receiver);
  if (absl::StartsWith(qualified, "torch.optim.") || NamedLikeOptimizer(qualified)) return true;
  // By name: `optimizer.step()`, `self.optim.step()`, a parameter `opt` is too weak to count.
  const ir::Instr& r = du_.instr(ValueRef{call.fn, receiver});
  switch (r.op) {
    case Opcode::kLoadAttr:
    case Opcode::kLoadVar:
    case Opcode::kPhi:
      return NamedLikeOptimizer(r.text);
    case Opcode::kParam: {
      const ir::Function& fn = du_.program().function(call.fn);
      const auto index = static_cast<size_t>(r.aux);
      return index < fn.params.size() && NamedLikeOptimizer(fn.params[index].name);
    }
    default:
      return false;
  }
}

bool BackwardReach::IsBackwardUse(ValueRef user, uint32_t operand) const {
  const ir::Instr& u = du_.instr(user);
  if (u.op == Opcode::kLoadAttr) {
    if (operand != 0 || u.text != "backward") return false;
    for (const Use& use : du_.Uses(user)) {
      if (use.operand == 0 && du_.instr(ValueRef{user.fn, use.user}).op == Opcode::kCall) {
        return true;
      }
    }
    return false;
  }
  if (u.op == Opcode::kCall && operand >= 1) return value_sinks_.contains(user);
  if (u.op == Opcode::kReturn) {
    const ir::Function& fn = du_.program().function(user.fn);
    return fn.name == "training_step" && fn.method_of.valid();
  }
  return false;
}

bool BackwardReach::Cut(ValueRef user) const {
  const ir::Instr& u = du_.instr(user);
  switch (u.op) {
    case Opcode::kLoadAttr:
      return In(kCutAttributes, u.text);
    case Opcode::kCall:
      return !u.operands.empty() &&
             In(kCutBuiltins, du_.resolver().QualifiedName(user.fn, u.operands[0]));
    case Opcode::kCompare:
    case Opcode::kFormatString:
      return true;
    default:
      return false;
  }
}

std::optional<BackwardReach::Witness> BackwardReach::ReachesBackward(
    ValueRef value, const std::vector<CallSite>& context, bool* budget_exhausted) const {
  if (budget_exhausted != nullptr) *budget_exhausted = false;
  // Nothing to reach: most programs (and all of the stdlib) never call backward.
  if (value_sinks_.empty() && !has_training_step_) return std::nullopt;
  FlowOptions options;
  options.derive = kDeriveAll;
  options.context = context;
  options.cut = [this](const DefUse&, ValueRef user) {
    // Sinks are never cut; they end the walk through the visitor.
    return Cut(user);
  };
  std::optional<Witness> found;
  const FlowResult result = ExploreFlow(
      du_, {FlowNode::Value(value)}, options, [&](const FlowResult& r, int32_t index) {
        const FlowState& s = r.states[static_cast<size_t>(index)];
        if (s.node.is_location()) return false;
        const ValueRef v = s.node.value_ref();
        for (const Use& use : du_.Uses(v)) {
          const ValueRef user{v.fn, use.user};
          // Inside a container, only a returned one counts: Lightning backpropagates the
          // "loss" of the dict a training_step returns.
          if (s.node.content && du_.instr(user).op != Opcode::kReturn) continue;
          if (!IsBackwardUse(user, use.operand)) continue;
          Witness w;
          w.path = HopsTo(r, index);
          w.sink = user;
          found = std::move(w);
          return true;
        }
        return false;
      });
  if (budget_exhausted != nullptr) *budget_exhausted = result.truncated;
  return found;
}

std::vector<CallSite> BackwardReach::TrainingWitness(ir::FuncId fn) const {
  std::vector<CallSite> chain;
  ir::FuncId f = fn;
  // Each step moves to a callee that became "training" earlier, so the chain ends at a backward
  // site; the bound guards against a malformed graph.
  for (size_t i = 0; f.valid() && training_[f.index()] && i < training_.size(); ++i) {
    const CallSite step = next_[f.index()];
    chain.push_back(step);
    const ValueRef call{step.caller, step.site};
    if (std::find(sites_.begin(), sites_.end(), call) != sites_.end()) break;
    ir::FuncId callee;
    for (const ir::CallEdge& e : du_.call_graph().Callees(f)) {
      if (e.site == step.site && e.kind != ir::EdgeKind::kCallback && e.callee.valid() &&
          training_[e.callee.index()]) {
        callee = e.callee;
        break;
      }
    }
    f = callee;
  }
  return chain;
}

}  // namespace flopscope::dataflow::support
