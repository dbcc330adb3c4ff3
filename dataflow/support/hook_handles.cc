#include "dataflow/support/hook_handles.h"

#include <algorithm>
#include <deque>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"

namespace flopscope::dataflow::support {
namespace {

using ir::Opcode;

constexpr absl::string_view kRegistrationMethods[] = {
    "register_forward_hook",        "register_forward_pre_hook",
    "register_full_backward_hook",  "register_full_backward_pre_hook",
    "register_backward_hook",       "register_hook",
    "register_module_forward_hook", "register_module_forward_pre_hook",
    "register_module_full_backward_hook", "register_module_backward_hook"};

// Uses that look at a handle without keeping it.
bool KeepsValue(const ir::Instr& user) {
  switch (user.op) {
    case Opcode::kPhi:
    case Opcode::kCompare:
    case Opcode::kBranch:
    case Opcode::kFormatString:
    case Opcode::kUnaryOp:
    case Opcode::kDelVar:
      return false;
    default:
      return true;
  }
}

bool IsStoreLike(const ir::Instr& user) {
  switch (user.op) {
    case Opcode::kStoreVar:
    case Opcode::kStoreAttr:
    case Opcode::kStoreSubscript:
    case Opcode::kBuildList:
    case Opcode::kBuildTuple:
    case Opcode::kBuildSet:
    case Opcode::kBuildDict:
    case Opcode::kMakeFunction:
    case Opcode::kCall:
    case Opcode::kYield:
      return true;
    default:
      return false;
  }
}

constexpr int kMaxCallerDepth = 4;

}  // namespace

bool HookHandles::IsRegistrationMethod(absl::string_view name) {
  return std::find(std::begin(kRegistrationMethods), std::end(kRegistrationMethods), name) !=
         std::end(kRegistrationMethods);
}

HookHandles::HookHandles(const DefUse& du) : du_(du) {
  for (const ir::Function& fn : du.program().functions()) {
    for (const ir::Block& block : fn.blocks) {
      for (ir::InstrId id : block.instrs) {
        if (fn.instr(id).op != Opcode::kCall) continue;
        HookRegistration reg;
        reg.site = ValueRef{fn.id, id};
        if (!IsRegistration(reg.site, &reg.method)) continue;
        Classify(reg);
        by_site_.emplace(reg.site, registrations_.size());
        registrations_.push_back(std::move(reg));
      }
    }
  }
}

const HookRegistration* HookHandles::At(ValueRef site) const {
  auto it = by_site_.find(site);
  return it == by_site_.end() ? nullptr : &registrations_[it->second];
}

bool HookHandles::IsRegistration(ValueRef call, std::string* method) const {
  const CallSite site{call.fn, call.value};
  // A user class's own register_hook method is not a torch hook.
  if (!du_.TargetsAt(site).empty()) return false;
  const absl::string_view name = du_.MethodName(site);
  if (!name.empty()) {
    if (!IsRegistrationMethod(name)) return false;
    *method = std::string(name);
    return true;
  }
  const ir::Instr& instr = du_.instr(call);
  if (instr.operands.empty()) return false;
  const std::string qualified = du_.resolver().QualifiedName(call.fn, instr.operands[0]);
  const size_t dot = qualified.rfind('.');
  const absl::string_view last =
      dot == std::string::npos ? absl::string_view(qualified)
                               : absl::string_view(qualified).substr(dot + 1);
  if (!absl::StartsWith(last, "register_module_") || !IsRegistrationMethod(last)) return false;
  *method = std::string(last);
  return true;
}

void HookHandles::Classify(HookRegistration& reg) const {
  reg.result_unused = du_.Uses(reg.site).empty();
  reg.dropped_in = reg.site;
  reg.dropped_on_some_path =
      DroppedOnSomePath(reg.site, 0, &reg.dropped_in, &reg.stored, &reg.returned);
  FindRemoval(reg);
}

bool HookHandles::DroppedOnSomePath(ValueRef value, int depth, ValueRef* dropped_in,
                                    bool* stored, bool* returned) const {
  const ir::Function& fn = du_.program().function(value.fn);
  const LocalUses& local = du_.Local(value.fn);
  // The handle and the phis it flows into name the same object.
  std::vector<ir::InstrId> names = {value.value};
  absl::flat_hash_set<ir::InstrId> keeps;
  absl::flat_hash_set<ir::InstrId> seen_names = {value.value};
  bool is_returned = false;
  for (size_t i = 0; i < names.size(); ++i) {
    for (const Use& use : local.Of(names[i])) {
      const ir::Instr& user = fn.instr(use.user);
      if (user.op == Opcode::kPhi) {
        if (seen_names.insert(use.user).second) names.push_back(use.user);
        continue;
      }
      if (!KeepsValue(user)) continue;
      keeps.insert(use.user);
      if (IsStoreLike(user)) *stored = true;
      if (user.op == Opcode::kReturn) is_returned = true;
    }
  }
  if (is_returned) *returned = true;

  // Search a normal path to a `return` that meets no keeping use.
  const ir::Instr& def = fn.instr(value.value);
  if (!def.block.valid()) return false;
  const ir::BlockId def_block = def.block;
  const int32_t def_pos = local.PositionInBlock(value.value);
  auto block_keeps = [&](ir::BlockId b, int32_t from, int32_t to) {
    const std::vector<ir::InstrId>& list = fn.block(b).instrs;
    for (int32_t p = std::max(from, 0); p < to && p < static_cast<int32_t>(list.size()); ++p) {
      if (keeps.contains(list[static_cast<size_t>(p)])) return true;
    }
    return false;
  };
  auto terminator = [&](ir::BlockId b) -> const ir::Instr* {
    const std::vector<ir::InstrId>& list = fn.block(b).instrs;
    return list.empty() ? nullptr : &fn.instr(list.back());
  };
  const int32_t def_block_size = static_cast<int32_t>(fn.block(def_block).instrs.size());
  std::vector<bool> visited(fn.blocks.size(), false);
  std::deque<ir::BlockId> work;
  bool dropped = false;
  auto leave = [&](ir::BlockId b) {
    const ir::Instr* term = terminator(b);
    if (term == nullptr) return;
    if (term->op == Opcode::kReturn) {
      dropped = true;
      return;
    }
    if (term->op == Opcode::kRaise || term->op == Opcode::kUnreachable) return;
    for (ir::BlockId t : term->targets) {
      if (t.valid() && t.index() < visited.size() && !visited[t.index()]) {
        visited[t.index()] = true;
        work.push_back(t);
      }
    }
  };
  if (!block_keeps(def_block, def_pos + 1, def_block_size)) leave(def_block);
  while (!dropped && !work.empty()) {
    const ir::BlockId b = work.front();
    work.pop_front();
    if (b == def_block) {
      // Back at the registration: a new handle replaces the old one unless it was kept before.
      if (!block_keeps(b, 0, def_pos)) dropped = true;
      continue;
    }
    if (block_keeps(b, 0, static_cast<int32_t>(fn.block(b).instrs.size()))) continue;
    leave(b);
  }
  if (dropped) {
    *dropped_in = value;
    return true;
  }
  if (!is_returned || depth >= kMaxCallerDepth || fn.is_generator) return false;
  for (const CallSite& site : du_.CallSitesOf(value.fn)) {
    bool constructor = false;
    for (const CallTarget& t : du_.TargetsAt(site)) {
      constructor = constructor || (t.callee == value.fn && t.kind == ir::EdgeKind::kConstructor);
    }
    if (constructor) continue;
    bool caller_stored = false;
    bool caller_returned = false;
    if (DroppedOnSomePath(ValueRef{site.caller, site.site}, depth + 1, dropped_in,
                          &caller_stored, &caller_returned)) {
      return true;
    }
  }
  return false;
}

void HookHandles::FindRemoval(HookRegistration& reg) const {
  FlowOptions options;  // no derivations: the handle itself, wherever it is kept
  const FlowResult result = ExploreFlow(
      du_, {FlowNode::Value(reg.site)}, options, [&](const FlowResult& r, int32_t index) {
        const FlowState& s = r.states[static_cast<size_t>(index)];
        if (s.node.is_location() || s.node.content) return false;
        const ValueRef v = s.node.value_ref();
        for (const Use& use : du_.Uses(v)) {
          const ValueRef user{v.fn, use.user};
          const ir::Instr& u = du_.instr(user);
          bool removes = false;
          if (u.op == Opcode::kLoadAttr) removes = use.operand == 0 && u.text == "remove";
          if (u.op == Opcode::kWithEnter) removes = true;
          if (u.op == Opcode::kCall && use.operand >= 1 && !u.operands.empty()) {
            removes = absl::EndsWith(du_.resolver().QualifiedName(v.fn, u.operands[0]),
                                     "RemovableHandle.remove");
          }
          if (!removes) continue;
          reg.removed = true;
          reg.remove_site = user;
          reg.remove_path = HopsTo(r, index);
          return true;
        }
        return false;
      });
  if (result.truncated && !reg.removed) {
    reg.removed = true;
    reg.budget_exhausted = true;
  }
}

}  // namespace flopscope::dataflow::support
