#include "dataflow/support/liveness.h"

#include <algorithm>
#include <deque>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "dataflow/support/value_flow.h"
#include "ir/passes.h"

namespace flopscope::dataflow::support {
namespace {

using ir::Opcode;

// Methods whose result is the model object itself.
const std::vector<std::string>& IdentityMethods() {
  static const std::vector<std::string> kMethods = {
      "to",   "cuda", "cpu",   "half",  "float",          "bfloat16",      "double",
      "eval", "train", "requires_grad_", "share_memory", "zero_grad_", "type"};
  return kMethods;
}

// External callables whose result keeps a reference to a model passed to them.
constexpr absl::string_view kWrapperSuffixes[] = {
    "torch.compile", ".pipeline",   "DataParallel", "DistributedDataParallel",
    "get_peft_model", "PeftModel.from_pretrained", ".prepare", "prepare_model"};

constexpr size_t kMaxAliases = 64;
constexpr int kMaxContainerDepth = 3;
constexpr int kMaxLiftDepth = 4;

bool IsWrapper(absl::string_view qualified) {
  for (absl::string_view s : kWrapperSuffixes) {
    if (absl::EndsWith(qualified, s)) return true;
  }
  return false;
}

bool IsContainerBuild(Opcode op) {
  return op == Opcode::kBuildList || op == Opcode::kBuildTuple || op == Opcode::kBuildSet ||
         op == Opcode::kBuildDict;
}

int32_t Position(const ir::Function& fn, ir::InstrId id) {
  const ir::BlockId b = fn.instr(id).block;
  if (!b.valid()) return -1;
  const std::vector<ir::InstrId>& list = fn.block(b).instrs;
  auto it = std::find(list.begin(), list.end(), id);
  return it == list.end() ? -1 : static_cast<int32_t>(it - list.begin());
}

}  // namespace

bool Liveness::RunsBefore(ir::FuncId fid, ir::InstrId from, ir::InstrId to) const {
  const ir::Function& fn = du_.program().function(fid);
  const ir::BlockId bf = fn.instr(from).block;
  const ir::BlockId bt = fn.instr(to).block;
  if (!bf.valid() || !bt.valid()) return false;
  if (bf == bt && Position(fn, from) < Position(fn, to)) return true;
  std::vector<bool> seen(fn.blocks.size(), false);
  std::deque<ir::BlockId> work;
  for (ir::BlockId s : fn.block(bf).succs) {
    if (s.valid() && !seen[s.index()]) {
      seen[s.index()] = true;
      work.push_back(s);
    }
  }
  while (!work.empty()) {
    const ir::BlockId b = work.front();
    work.pop_front();
    if (b == bt) return true;
    for (ir::BlockId s : fn.block(b).succs) {
      if (s.valid() && !seen[s.index()]) {
        seen[s.index()] = true;
        work.push_back(s);
      }
    }
  }
  return false;
}

Liveness::CallEffect Liveness::EffectOfCall(CallSite site, uint32_t operand) const {
  CallEffect effect;
  std::vector<FlowNode> starts;
  for (const ParamBinding& b : du_.BindOperand(site, operand)) {
    if (b.param.valid()) starts.push_back(FlowNode::Value(ValueRef{b.callee, b.param}));
  }
  if (starts.empty()) return effect;
  FlowOptions options;
  options.identity_methods = IdentityMethods();
  options.context = {site};
  options.max_states = 2000;
  ExploreFlow(du_, starts, options, [&](const FlowResult& r, int32_t i) {
    const FlowState& s = r.states[static_cast<size_t>(i)];
    if (s.node.is_location() || s.step == FlowStep::kStore) effect.escapes = true;
    if (!s.node.is_location() && s.node.fn == site.caller && s.node.value == site.site &&
        s.step == FlowStep::kFromReturn && !s.node.content) {
      effect.returns = true;
    }
    // Put into a container that came from the caller (a parameter's list): kept there.
    if (!s.node.is_location() && s.node.content && s.written &&
        du_.instr(s.node.value_ref()).op == Opcode::kParam) {
      effect.escapes = true;
    }
    return effect.escapes && effect.returns;
  });
  return effect;
}

std::vector<ir::InstrId> Liveness::Aliases(ValueRef value) const {
  const ir::Function& fn = du_.program().function(value.fn);
  std::vector<ir::InstrId> out = {value.value};
  absl::flat_hash_set<ir::InstrId> seen = {value.value};
  auto add = [&](ir::InstrId id) {
    if (out.size() < kMaxAliases && seen.insert(id).second) out.push_back(id);
  };
  for (size_t i = 0; i < out.size(); ++i) {
    for (const Use& use : du_.Uses(ValueRef{value.fn, out[i]})) {
      const ir::Instr& u = fn.instr(use.user);
      if (u.op == Opcode::kPhi) {
        add(use.user);
      } else if (u.op == Opcode::kLoadAttr && use.operand == 0) {
        const auto& ids = IdentityMethods();
        if (std::find(ids.begin(), ids.end(), u.text) == ids.end()) continue;
        for (const Use& call : du_.Uses(ValueRef{value.fn, use.user})) {
          if (call.operand == 0 && fn.instr(call.user).op == Opcode::kCall) add(call.user);
        }
      } else if (u.op == Opcode::kCall && use.operand >= 1) {
        const CallSite site{value.fn, use.user};
        if (!du_.TargetsAt(site).empty()) {
          if (EffectOfCall(site, use.operand).returns) add(use.user);
        } else if (IsWrapper(du_.resolver().QualifiedName(value.fn, u.operands[0]))) {
          add(use.user);
        }
      }
    }
  }
  return out;
}

std::optional<ValueRef> Liveness::LaterUse(ir::FuncId fid, ir::InstrId alias,
                                           ir::InstrId point) const {
  const ir::Function& fn = du_.program().function(fid);
  const LocalUses& local = du_.Local(fid);
  absl::flat_hash_set<ir::InstrId> users;
  for (const Use& u : local.Of(alias)) {
    const Opcode op = fn.instr(u.user).op;
    if (op != Opcode::kDelVar) users.insert(u.user);
  }
  if (users.empty()) return std::nullopt;
  // Scan forward from `point` (inclusive); a path ends at alias's definition (the next value of
  // the same computation) or at a use.
  auto scan = [&](ir::BlockId b, size_t from, std::optional<ValueRef>* found) {
    const std::vector<ir::InstrId>& list = fn.block(b).instrs;
    for (size_t i = from; i < list.size(); ++i) {
      if (list[i] == alias) return false;  // redefined: this path holds nothing more
      const ir::Instr& instr = fn.instr(list[i]);
      if (instr.op != Opcode::kPhi && users.contains(list[i])) {
        *found = ValueRef{fid, list[i]};
        return false;
      }
    }
    return true;  // fell off the end: continue to successors
  };
  // A phi reads its operand at the end of the incoming block.
  auto phi_use_from = [&](ir::BlockId from, ir::BlockId to) -> std::optional<ValueRef> {
    for (ir::InstrId id : fn.block(to).instrs) {
      const ir::Instr& phi = fn.instr(id);
      if (phi.op != Opcode::kPhi) break;
      for (size_t k = 0; k < phi.operands.size() && k < phi.targets.size(); ++k) {
        if (phi.operands[k] == alias && phi.targets[k] == from) return ValueRef{fid, id};
      }
    }
    return std::nullopt;
  };
  const ir::BlockId start = fn.instr(point).block;
  const int32_t pos = Position(fn, point);
  if (!start.valid() || pos < 0) return std::nullopt;
  std::optional<ValueRef> found;
  std::vector<bool> visited(fn.blocks.size(), false);
  std::deque<ir::BlockId> work;
  auto leave = [&](ir::BlockId b) {
    for (ir::BlockId s : fn.block(b).succs) {
      if (!s.valid()) continue;
      if (std::optional<ValueRef> phi = phi_use_from(b, s)) {
        found = phi;
        return;
      }
      if (!visited[s.index()]) {
        visited[s.index()] = true;
        work.push_back(s);
      }
    }
  };
  if (scan(start, static_cast<size_t>(pos), &found)) leave(start);
  while (!found && !work.empty()) {
    const ir::BlockId b = work.front();
    work.pop_front();
    if (scan(b, 0, &found) && !found) leave(b);
  }
  return found;
}

bool Liveness::ReturnedBy(ValueRef value) const {
  const ir::Function& fn = du_.program().function(value.fn);
  if (fn.is_generator) return false;
  for (ir::InstrId alias : Aliases(value)) {
    for (const Use& use : du_.Uses(ValueRef{value.fn, alias})) {
      if (fn.instr(use.user).op == Opcode::kReturn) return true;
    }
  }
  return false;
}

std::optional<Liveness::Holder> Liveness::HeldAt(ValueRef value, ir::InstrId point) const {
  return HeldAtImpl(value, point, 0, /*across_iterations=*/false);
}

std::optional<Liveness::Holder> Liveness::HeldAcrossIterations(ValueRef value) const {
  const ir::Function& fn = du_.program().function(value.fn);
  const ir::BlockId b = fn.instr(value.value).block;
  if (!b.valid() || !fn.block(b).loop.valid()) return std::nullopt;
  return HeldAtImpl(value, value.value, 0, /*across_iterations=*/true);
}

std::optional<Liveness::Holder> Liveness::HeldAtImpl(ValueRef value, ir::InstrId point,
                                                     int depth, bool across_iterations) const {
  const ir::Function& fn = du_.program().function(value.fn);
  const ir::Loop* loop = nullptr;
  if (across_iterations) {
    const ir::LoopId l = fn.block(fn.instr(value.value).block).loop;
    loop = &fn.loops[l.index()];
  }
  auto in_loop = [&](ir::InstrId id) {
    return loop != nullptr && ir::LoopHasBlock(*loop, fn.instr(id).block);
  };
  for (ir::InstrId alias : Aliases(value)) {
    const ir::Instr& a = fn.instr(alias);
    if (a.op == Opcode::kParam) return Holder{HolderKind::kCaller, ValueRef{value.fn, alias}, {}};
    // Across iterations only a phi carries the previous object; the others are this iteration's.
    if (!across_iterations || a.op == Opcode::kPhi) {
      if (std::optional<ValueRef> use = LaterUse(value.fn, alias, point)) {
        return Holder{HolderKind::kUse, *use, {}};
      }
    }
    for (const Use& use : du_.Uses(ValueRef{value.fn, alias})) {
      const ValueRef user{value.fn, use.user};
      const ir::Instr& u = fn.instr(use.user);
      if (!RunsBefore(value.fn, use.user, point)) continue;
      // Stored into a location that outlives the function.
      if ((u.op == Opcode::kStoreVar && use.operand == 0) ||
          (u.op == Opcode::kStoreAttr && use.operand == 1)) {
        const LocationId loc = du_.StoredLocation(user);
        if (!loc.valid()) continue;
        bool deleted = false;
        for (const ValueRef& del : du_.DeletesOf(loc)) {
          deleted = deleted || (del.fn == value.fn && RunsBefore(value.fn, use.user, del.value) &&
                                RunsBefore(value.fn, del.value, point));
        }
        if (!deleted) return Holder{HolderKind::kLocation, user, loc};
        continue;
      }
      if (u.op == Opcode::kMakeFunction && du_.CellOperandLocation(user, use.operand).valid()) {
        return Holder{HolderKind::kLocation, user, du_.CellOperandLocation(user, use.operand)};
      }
      // Put into a container: held while the container is.
      ir::InstrId container;
      if (IsContainerBuild(u.op)) container = use.user;
      if (u.op == Opcode::kStoreSubscript && use.operand == 2) container = u.operands[0];
      if (u.op == Opcode::kCall && use.operand >= 1) {
        const CallSite site{value.fn, use.user};
        if (du_.TargetsAt(site).empty()) {
          if (IsContainerInsertMethod(du_.MethodName(site))) container = du_.Receiver(site);
        } else if (EffectOfCall(site, use.operand).escapes) {
          return Holder{HolderKind::kLocation, user, {}};
        }
      }
      if (!container.valid()) continue;
      const ir::Instr& c = fn.instr(container);
      if (c.op == Opcode::kParam) return Holder{HolderKind::kContainer, user, {}};
      const LocationId loc = du_.LoadedLocation(ValueRef{value.fn, container});
      if (loc.valid()) return Holder{HolderKind::kLocation, user, loc};
      // A container made inside the loop is a new one each iteration: it does not carry the
      // previous object unless it is itself carried (then it is held via a phi below).
      if (across_iterations && in_loop(container)) {
        if (depth < kMaxContainerDepth &&
            HeldAtImpl(ValueRef{value.fn, container}, point, depth + 1, true)) {
          return Holder{HolderKind::kContainer, user, {}};
        }
        continue;
      }
      if (depth < kMaxContainerDepth &&
          HeldAtImpl(ValueRef{value.fn, container}, point, depth + 1, false)) {
        return Holder{HolderKind::kContainer, user, {}};
      }
    }
  }
  // Across iterations the name is rebound by the load itself (the judgment call above).
  if (!across_iterations) return BoundAt(value, point);
  return std::nullopt;
}

std::optional<Liveness::Holder> Liveness::BoundAt(ValueRef value, ir::InstrId point) const {
  const ir::Function& fn = du_.program().function(value.fn);
  if (fn.local_bindings.empty()) return std::nullopt;
  const std::vector<ir::InstrId> aliases = Aliases(value);
  const absl::flat_hash_set<ir::InstrId> of_value(aliases.begin(), aliases.end());
  std::optional<absl::flat_hash_set<std::string>> rebound;  // names point's result goes to
  for (size_t i = 0; i < fn.local_bindings.size(); ++i) {
    const ir::LocalBinding& b = fn.local_bindings[i];
    if (!b.value.valid() || !of_value.contains(b.value)) continue;
    if (!BindingReaches(fn, i, point)) continue;
    if (!rebound) {
      rebound.emplace();
      const std::vector<ir::InstrId> results = Aliases(ValueRef{value.fn, point});
      const absl::flat_hash_set<ir::InstrId> of_point(results.begin(), results.end());
      for (const ir::LocalBinding& r : fn.local_bindings) {
        if (r.value.valid() && of_point.contains(r.value)) rebound->insert(r.name);
      }
    }
    if (rebound->contains(b.name)) continue;
    return Holder{HolderKind::kName, ValueRef{value.fn, b.value}, {}, b.name};
  }
  return std::nullopt;
}

bool Liveness::BindingReaches(const ir::Function& fn, size_t index, ir::InstrId point) const {
  const ir::LocalBinding& b = fn.local_bindings[index];
  if (!b.anchor.valid() || !fn.instr(b.anchor).block.valid()) return false;
  // Where the name is bound again (or deleted): the walk stops just before those instructions.
  absl::flat_hash_set<ir::InstrId> rebinds;
  for (size_t j = 0; j < fn.local_bindings.size(); ++j) {
    const ir::LocalBinding& other = fn.local_bindings[j];
    if (other.name != b.name || !other.anchor.valid()) continue;
    if (j > index && other.anchor == b.anchor) return false;  // overridden at once
    rebinds.insert(other.anchor);
  }
  const ir::BlockId start = fn.instr(b.anchor).block;
  // Scans `block` from position `from`; true to continue into the successors.
  bool found = false;
  auto scan = [&](ir::BlockId block, size_t from, bool at_start) {
    const std::vector<ir::InstrId>& list = fn.block(block).instrs;
    for (size_t i = from; i < list.size(); ++i) {
      if (!(at_start && i == from) && rebinds.contains(list[i])) return false;
      if (list[i] == point) {
        found = true;
        return false;
      }
    }
    return true;
  };
  const int32_t pos = Position(fn, b.anchor);
  if (pos < 0) return false;
  std::vector<bool> visited(fn.blocks.size(), false);
  std::deque<ir::BlockId> work;
  auto leave = [&](ir::BlockId block) {
    for (ir::BlockId s : fn.block(block).succs) {
      if (s.valid() && !visited[s.index()]) {
        visited[s.index()] = true;
        work.push_back(s);
      }
    }
  };
  if (scan(start, static_cast<size_t>(pos), true)) leave(start);
  while (!found && !work.empty()) {
    const ir::BlockId block = work.front();
    work.pop_front();
    if (scan(block, 0, false)) leave(block);
  }
  return found;
}

bool Liveness::ArgumentsVaryInLoop(ValueRef call) const {
  const ir::Function& fn = du_.program().function(call.fn);
  const ir::Instr& instr = fn.instr(call.value);
  const ir::BlockId block = instr.block;
  if (instr.op != Opcode::kCall || !block.valid() || !fn.block(block).loop.valid()) return false;
  const ir::Loop& loop = fn.loops[fn.block(block).loop.index()];
  auto in_loop = [&](ir::InstrId id) { return ir::LoopHasBlock(loop, fn.instr(id).block); };
  // Computed (within a few steps) from the loop's iteration value or a value carried around it.
  absl::flat_hash_set<ir::InstrId> seen;
  std::vector<std::pair<ir::InstrId, int>> work;
  for (size_t i = 1; i < instr.operands.size(); ++i) work.push_back({instr.operands[i], 0});
  while (!work.empty()) {
    const auto [id, depth] = work.back();
    work.pop_back();
    if (!id.valid() || !seen.insert(id).second || !in_loop(id)) continue;
    const ir::Instr& v = fn.instr(id);
    if (v.op == Opcode::kForIter) return true;
    if (v.op == Opcode::kPhi && v.block == loop.header) return true;
    if (depth >= 6 || v.op == Opcode::kLoadVar) continue;
    for (ir::InstrId op : v.operands) work.push_back({op, depth + 1});
  }
  return false;
}

bool Liveness::SameCachedCall(ir::FuncId fid, ir::InstrId a, ir::InstrId b) const {
  const ir::Function& fn = du_.program().function(fid);
  const ir::Instr& x = fn.instr(a);
  const ir::Instr& y = fn.instr(b);
  if (x.op != Opcode::kCall || y.op != Opcode::kCall) return false;
  if (x.operands.size() != y.operands.size() || x.arg_names != y.arg_names) return false;
  auto callees = [&](ir::InstrId call) {
    std::vector<int32_t> out;
    for (const CallTarget& t : du_.TargetsAt(CallSite{fid, call})) out.push_back(t.callee.value());
    std::sort(out.begin(), out.end());
    return out;
  };
  const std::vector<int32_t> cx = callees(a);
  if (cx.empty() || cx != callees(b)) return false;
  for (size_t i = 1; i < x.operands.size(); ++i) {
    if (!SameArgument(fn, x.operands[i], y.operands[i], 0)) return false;
  }
  return true;
}

// Two argument expressions that evaluate to the same value in one run: the same SSA value, the
// same constant, the same global, or the same attribute of such a value (`args.model` read
// twice from one namespace). A write to the attribute between the reads is not looked for.
bool Liveness::SameArgument(const ir::Function& fn, ir::InstrId p, ir::InstrId q, int depth) {
  if (p == q) return true;
  const ir::Instr& pi = fn.instr(p);
  const ir::Instr& qi = fn.instr(q);
  if (pi.op != qi.op || pi.aux != qi.aux || pi.text != qi.text) return false;
  switch (pi.op) {
    case Opcode::kConst:
      return true;
    case Opcode::kLoadVar:
      return pi.aux != static_cast<int32_t>(ir::VarScope::kLocal);
    case Opcode::kLoadAttr:
      return depth < 4 && pi.operands.size() == 1 && qi.operands.size() == 1 &&
             SameArgument(fn, pi.operands[0], qi.operands[0], depth + 1);
    default:
      return false;
  }
}

bool Liveness::RepeatsEarlierCachedCall(
    const CallSite& point, const absl::flat_hash_map<ValueRef, ir::FuncId>& cached_by) const {
  if (!cached_by.contains(ValueRef{point.caller, point.site})) return false;
  const ir::Function& fn = du_.program().function(point.caller);
  for (const ir::Block& block : fn.blocks) {
    for (ir::InstrId other : block.instrs) {
      if (other == point.site || fn.instr(other).op != Opcode::kCall) continue;
      if (!cached_by.contains(ValueRef{point.caller, other})) continue;
      if (SameCachedCall(point.caller, other, point.site) &&
          RunsBefore(point.caller, other, point.site)) {
        return true;
      }
    }
  }
  return false;
}

std::vector<Liveness::Overlap> Liveness::FindOverlaps(
    const std::vector<ValueRef>& models, const absl::flat_hash_set<ir::FuncId>& memoized) const {
  std::vector<Overlap> out;
  absl::flat_hash_set<std::pair<ValueRef, ValueRef>> seen;  // (first, point as ValueRef)
  auto report = [&](Overlap o) {
    if (seen.insert({o.first, ValueRef{o.point.caller, o.point.site}}).second) {
      out.push_back(std::move(o));
    }
  };
  // Where each model comes into existence, per function: its own definition, and the call sites
  // (up to kMaxLiftDepth calls up) whose execution loads it.
  struct Birth {
    CallSite point;
    ValueRef model;
  };
  absl::flat_hash_map<ir::FuncId, std::vector<Birth>> births;
  for (const ValueRef& m : models) {
    births[m.fn].push_back(Birth{CallSite{m.fn, m.value}, m});
    std::vector<std::pair<ir::FuncId, int>> work = {{m.fn, 0}};
    absl::flat_hash_set<ir::FuncId> visited = {m.fn};
    for (size_t i = 0; i < work.size(); ++i) {
      const auto [f, depth] = work[i];
      if (depth >= kMaxLiftDepth) continue;
      for (const CallSite& site : du_.CallSitesOf(f)) {
        births[site.caller].push_back(Birth{site, m});
        if (visited.insert(site.caller).second) work.push_back({site.caller, depth + 1});
      }
    }
  }
  // The objects: each model value, and the call results it is returned to (same object). A
  // call result that passed through a memoized function is also kept by that function's cache.
  std::vector<ValueRef> objects;
  absl::flat_hash_map<ValueRef, ir::FuncId> cached_by;
  absl::flat_hash_set<ValueRef> known;
  for (const ValueRef& m : models) {
    struct Item {
      ValueRef v;
      int depth;
      ir::FuncId cache;
    };
    std::vector<Item> work = {{m, 0, ir::FuncId()}};
    for (size_t i = 0; i < work.size(); ++i) {
      const Item item = work[i];
      if (item.cache.valid()) cached_by.emplace(item.v, item.cache);
      if (!known.insert(item.v).second) continue;
      objects.push_back(item.v);
      if (item.depth >= kMaxLiftDepth || !ReturnedBy(item.v)) continue;
      const ir::FuncId cache = memoized.contains(item.v.fn) ? item.v.fn : item.cache;
      for (const CallSite& site : du_.CallSitesOf(item.v.fn)) {
        work.push_back({ValueRef{site.caller, site.site}, item.depth + 1, cache});
      }
    }
  }
  for (const ValueRef& first : objects) {
    auto it = births.find(first.fn);
    if (it == births.end()) continue;
    const auto cache = cached_by.find(first);
    for (const Birth& b : it->second) {
      // The load that produces `first` itself (directly or through the call returning it).
      if (b.point.site == first.value) continue;
      if (!RunsBefore(first.fn, first.value, b.point.site)) continue;
      if (cache != cached_by.end()) {
        // Calling the memoized loader again with the same arguments returns the cached model.
        if (SameCachedCall(first.fn, first.value, b.point.site)) continue;
        const std::string name = du_.program().function(cache->second).qualname;
        report(Overlap{first, b.model, b.point, Holder{HolderKind::kCache, first, {}, name},
                       false});
        continue;
      }
      // A memoized call that repeats an earlier call's arguments loads nothing new.
      if (RepeatsEarlierCachedCall(b.point, cached_by)) continue;
      if (std::optional<Holder> h = HeldAt(first, b.point.site)) {
        report(Overlap{first, b.model, b.point, *h, false});
      }
    }
  }
  // The same load repeated by a loop while earlier results are kept (by the program, or by the
  // cache of a memoized loader called with a different argument on each iteration).
  for (const auto& [fn, list] : births) {
    for (const Birth& b : list) {
      const ValueRef at{b.point.caller, b.point.site};
      if (const auto cache = cached_by.find(at);
          cache != cached_by.end() && ArgumentsVaryInLoop(at)) {
        const std::string name = du_.program().function(cache->second).qualname;
        report(Overlap{at, b.model, b.point, Holder{HolderKind::kCache, at, {}, name}, true});
        continue;
      }
      if (std::optional<Holder> h = HeldAcrossIterations(at)) {
        report(Overlap{at, b.model, b.point, *h, true});
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const Overlap& a, const Overlap& b) {
    auto key = [](const Overlap& o) {
      return std::make_tuple(o.point.caller.value(), o.point.site.value(), o.first.fn.value(),
                             o.first.value.value(), o.second.fn.value(), o.second.value.value());
    };
    return key(a) < key(b);
  });
  return out;
}

}  // namespace flopscope::dataflow::support
