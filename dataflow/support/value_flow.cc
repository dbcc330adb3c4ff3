#include "dataflow/support/value_flow.h"

#include <algorithm>
#include <deque>
#include <utility>

#include "absl/container/flat_hash_set.h"

namespace flopscope::dataflow::support {
namespace {

using ir::Opcode;

constexpr absl::string_view kInsertMethods[] = {"append", "add",  "insert",     "setdefault",
                                                "appendleft", "put", "put_nowait", "push"};
constexpr absl::string_view kMergeMethods[] = {"extend", "update", "extendleft", "__iadd__",
                                               "union", "__ior__"};
constexpr absl::string_view kReadMethods[] = {"pop",   "popitem", "popleft", "get",  "values",
                                              "items", "keys",    "copy",    "setdefault",
                                              "get_nowait", "__getitem__", "__iter__", "__next__"};

template <size_t N>
bool Contains(const absl::string_view (&table)[N], absl::string_view name) {
  return std::find(std::begin(table), std::end(table), name) != std::end(table);
}

struct StateKey {
  int32_t fn, value, loc;
  bool content, written;
  absl::InlinedVector<CallSite, 4> calls;
  friend bool operator==(const StateKey& a, const StateKey& b) {
    return a.fn == b.fn && a.value == b.value && a.loc == b.loc && a.content == b.content &&
           a.written == b.written && a.calls == b.calls;
  }
  template <typename H>
  friend H AbslHashValue(H h, const StateKey& k) {
    h = H::combine(std::move(h), k.fn, k.value, k.loc, k.content, k.written);
    return H::combine_contiguous(std::move(h), k.calls.data(), k.calls.size());
  }
};

class Walker {
 public:
  Walker(const DefUse& du, const FlowOptions& options,
         const std::function<bool(const FlowResult&, int32_t)>& visit)
      : du_(du), options_(options), visit_(visit) {}

  FlowResult Run(const std::vector<FlowNode>& starts) {
    for (const FlowNode& start : starts) {
      FlowState s;
      s.node = start;
      s.written = start.content;
      for (const CallSite& c : options_.context) s.calls.push_back(c);
      Trim(s.calls);
      if (Add(std::move(s))) return std::move(result_);
    }
    while (next_ < result_.states.size()) {
      const int32_t index = static_cast<int32_t>(next_++);
      if (Expand(index)) break;
    }
    return std::move(result_);
  }

 private:
  using Calls = absl::InlinedVector<CallSite, 4>;

  void Trim(Calls& calls) const {
    while (calls.size() > options_.max_call_depth) calls.erase(calls.begin());
  }

  // Returns true when the walk must end (visitor stop or budget).
  bool Add(FlowState state) {
    if (result_.stopped || result_.truncated) return true;
    StateKey key{state.node.fn.value(), state.node.value.value(), state.node.loc.value(),
                 state.node.content, state.written, state.calls};
    if (!seen_.insert(std::move(key)).second) return false;
    if (result_.states.size() >= options_.max_states) {
      result_.truncated = true;
      return true;
    }
    result_.states.push_back(std::move(state));
    if (visit_ && visit_(result_, static_cast<int32_t>(result_.states.size() - 1))) {
      result_.stopped = true;
      return true;
    }
    return false;
  }

  bool Emit(int32_t parent, FlowNode node, FlowStep step, ValueRef at, const Calls& calls,
            bool written = false) {
    FlowState s;
    s.node = node;
    s.parent = parent;
    s.step = step;
    s.at = at;
    s.written = written && node.content;
    s.calls = calls;
    return Add(std::move(s));
  }

  bool Cut(ValueRef user) const { return options_.cut && options_.cut(du_, user); }
  bool Derives(uint32_t bit) const { return (options_.derive & bit) != 0; }

  // The Call that uses `attr` (a LoadAttr) as its callee, if any.
  ir::InstrId CallOfCallee(ValueRef attr) const {
    for (const Use& u : du_.Uses(attr)) {
      if (u.operand == 0 && du_.instr(ValueRef{attr.fn, u.user}).op == Opcode::kCall) {
        return u.user;
      }
    }
    return ir::InstrId();
  }

  bool Expand(int32_t index) {
    // Copy: Emit may reallocate the state vector.
    const FlowState state = result_.states[static_cast<size_t>(index)];
    if (state.node.is_location()) return ExpandLocation(index, state);
    const ValueRef v = state.node.value_ref();
    if (state.node.content && state.written && ExpandSources(index, state, v)) return true;
    for (const Use& use : du_.Uses(v)) {
      const ValueRef user{v.fn, use.user};
      if (Cut(user)) continue;
      if (ExpandUse(index, state, user, use.operand)) return true;
    }
    return false;
  }

  bool ExpandLocation(int32_t index, const FlowState& state) {
    const LocationId loc = state.node.loc;
    if (state.written) {
      // Whatever was stored there is the same container: it holds the object too.
      for (const ValueRef& stored : du_.StoredValues(loc)) {
        if (Emit(index, FlowNode::Value(stored, true), FlowStep::kAlias, stored, no_calls_, true)) {
          return true;
        }
      }
    }
    for (const ValueRef& load : du_.LoadsOf(loc)) {
      if (Emit(index, FlowNode::Value(load, state.node.content), FlowStep::kLoad, load, no_calls_)) {
        return true;
      }
    }
    return false;
  }

  // Content mode only: a write into `v` is a write into every container `v` aliases.
  bool ExpandSources(int32_t index, const FlowState& state, ValueRef v) {
    const ir::Instr& def = du_.instr(v);
    auto alias = [&](ir::InstrId source, const Calls& calls) {
      return Emit(index, FlowNode::Value(ValueRef{v.fn, source}, true), FlowStep::kAlias, v,
                  calls, true);
    };
    switch (def.op) {
      case Opcode::kPhi:
        for (ir::InstrId op : def.operands) {
          if (alias(op, state.calls)) return true;
        }
        return false;
      case Opcode::kLoadVar:
      case Opcode::kLoadAttr: {
        const LocationId loc = du_.LoadedLocation(v);
        if (loc.valid()) {
          return Emit(index, FlowNode::At(loc, true), FlowStep::kAlias, v, no_calls_, true);
        }
        return false;
      }
      case Opcode::kLoadSubscript:
      case Opcode::kGetIter:
      case Opcode::kForIter:
      case Opcode::kUnpackItem:
      case Opcode::kUnpackStar:
      case Opcode::kWithEnter:
      case Opcode::kInplaceOp:
        return !def.operands.empty() && alias(def.operands[0], state.calls);
      case Opcode::kParam:
        return ExpandParamSources(index, state, v);
      case Opcode::kCall:
        return ExpandCallSources(index, state, v);
      default:
        return false;
    }
  }

  bool ExpandParamSources(int32_t index, const FlowState& state, ValueRef v) {
    const uint32_t param = static_cast<uint32_t>(du_.instr(v).aux);
    Calls calls = state.calls;
    const bool matched = !calls.empty();
    CallSite only;
    if (matched) {
      only = calls.back();
      calls.pop_back();
    }
    for (const DefUse::Argument& arg : du_.ArgumentsFor(v.fn, param)) {
      if (matched && !(arg.site == only)) continue;
      if (Emit(index, FlowNode::Value(ValueRef{arg.site.caller, arg.value}, true),
               FlowStep::kAlias, ValueRef{arg.site.caller, arg.site.site}, calls, true)) {
        return true;
      }
    }
    return false;
  }

  bool ExpandCallSources(int32_t index, const FlowState& state, ValueRef v) {
    const CallSite site{v.fn, v.value};
    const absl::Span<const CallTarget> targets = du_.TargetsAt(site);
    if (targets.empty()) {
      // `d.setdefault(k, [])`, `d.get(k)`, `d[k]` via __getitem__: the receiver's item.
      const absl::string_view method = du_.MethodName(site);
      const ir::InstrId receiver = du_.Receiver(site);
      if (receiver.valid() && IsContainerReadMethod(method) && method != "copy") {
        return Emit(index, FlowNode::Value(ValueRef{v.fn, receiver}, true), FlowStep::kAlias, v,
                    state.calls, true);
      }
      return false;
    }
    Calls calls = state.calls;
    calls.push_back(site);
    Trim(calls);
    for (const CallTarget& t : targets) {
      if (t.kind == ir::EdgeKind::kConstructor) continue;
      for (ir::InstrId ret : du_.Returns(t.callee)) {
        if (Emit(index, FlowNode::Value(ValueRef{t.callee, ret}, true), FlowStep::kAlias, v, calls,
                 true)) {
          return true;
        }
      }
    }
    return false;
  }

  bool ExpandUse(int32_t index, const FlowState& state, ValueRef user, uint32_t operand) {
    const ir::Instr& u = du_.instr(user);
    const bool content = state.node.content;
    const Calls& calls = state.calls;
    auto value = [&](FlowStep step, bool as_content = false) {
      return Emit(index, FlowNode::Value(user, as_content), step, user, calls);
    };
    auto both = [&](FlowStep step) { return value(step, false) || value(step, true); };
    switch (u.op) {
      case Opcode::kPhi:
        return value(FlowStep::kPhi, content);
      case Opcode::kStoreVar:
      case Opcode::kStoreAttr: {
        if (u.op == Opcode::kStoreAttr && operand != 1) return false;
        const LocationId loc = du_.StoredLocation(user);
        return loc.valid() && Emit(index, FlowNode::At(loc, content), FlowStep::kStore, user, no_calls_);
      }
      case Opcode::kStoreSubscript:
        if (operand == 0) return false;
        return Emit(index, FlowNode::Value(ValueRef{user.fn, u.operands[0]}, true),
                    FlowStep::kIntoContainer, user, calls, true);
      case Opcode::kLoadAttr:
        return operand == 0 && ExpandAttribute(index, state, user);
      case Opcode::kLoadSubscript:
        if (operand != 0) return false;
        if (content) return both(FlowStep::kFromContainer);
        return Derives(kDeriveSubscript) && value(FlowStep::kDerived);
      case Opcode::kGetIter:
        if (content) return value(FlowStep::kAlias, true);
        return Derives(kDeriveSubscript) && value(FlowStep::kDerived);
      case Opcode::kForIter:
      case Opcode::kUnpackItem:
      case Opcode::kUnpackStar:
        if (content) return both(FlowStep::kFromContainer);
        return Derives(kDeriveSubscript) && value(FlowStep::kDerived);
      case Opcode::kWithEnter:
        // `with x as y`: y is usually x itself; for a generator context manager it is the
        // yielded item.
        return content ? both(FlowStep::kFromContainer) : value(FlowStep::kAlias);
      case Opcode::kBinaryOp:
      case Opcode::kInplaceOp:
      case Opcode::kUnaryOp:
        if (content) {
          // `a + b` of lists holds both; `lst += [x]` writes into lst itself.
          return u.op != Opcode::kUnaryOp && u.text == "+" &&
                 Emit(index, FlowNode::Value(user, true), FlowStep::kAlias, user, calls,
                      /*written=*/u.op == Opcode::kInplaceOp);
        }
        return Derives(kDeriveArithmetic) && value(FlowStep::kDerived);
      case Opcode::kBuildTuple:
      case Opcode::kBuildList:
      case Opcode::kBuildSet:
      case Opcode::kBuildDict:
        return Emit(index, FlowNode::Value(user, true), FlowStep::kIntoContainer, user, calls);
      case Opcode::kAwait:
        return value(FlowStep::kAlias, content);
      case Opcode::kCall:
        return ExpandCall(index, state, user, operand);
      case Opcode::kReturn:
        return ExpandReturn(index, state, user, /*yielded=*/false);
      case Opcode::kYield:
        return ExpandReturn(index, state, user, /*yielded=*/true);
      case Opcode::kMakeFunction:
        return ExpandMakeFunction(index, state, user, operand);
      case Opcode::kOpaque:
        if (content) return value(FlowStep::kAlias, true);
        return Derives(kDeriveCallResult) && value(FlowStep::kDerived);
      default:
        return false;
    }
  }

  bool ExpandAttribute(int32_t index, const FlowState& state, ValueRef attr) {
    const ir::Instr& a = du_.instr(attr);
    const ir::InstrId call = CallOfCallee(attr);
    const bool content = state.node.content;
    if (call.valid()) {
      const ValueRef call_ref{attr.fn, call};
      if (Cut(call_ref)) return false;
      const CallSite site{attr.fn, call};
      // An in-repo method: the receiver becomes `self`.
      Calls inner = state.calls;
      inner.push_back(site);
      Trim(inner);
      for (const ParamBinding& b : du_.BindReceiver(site)) {
        if (b.param.valid() &&
            Emit(index, FlowNode::Value(ValueRef{b.callee, b.param}, content),
                 FlowStep::kIntoParam, call_ref, inner)) {
          return true;
        }
      }
      if (content && IsContainerReadMethod(a.text)) {
        if (a.text == "copy" || a.text == "values" || a.text == "items" || a.text == "keys" ||
            a.text == "__iter__") {
          return Emit(index, FlowNode::Value(call_ref, true), FlowStep::kAlias, call_ref,
                      state.calls);
        }
        return Emit(index, FlowNode::Value(call_ref, false), FlowStep::kFromContainer, call_ref,
                    state.calls) ||
               Emit(index, FlowNode::Value(call_ref, true), FlowStep::kFromContainer, call_ref,
                    state.calls);
      }
      if (!content) {
        const auto& ids = options_.identity_methods;
        if (std::find(ids.begin(), ids.end(), a.text) != ids.end()) {
          return Emit(index, FlowNode::Value(call_ref), FlowStep::kAlias, call_ref, state.calls);
        }
        if (Derives(kDeriveMethodResult) && du_.TargetsAt(site).empty() &&
            Emit(index, FlowNode::Value(call_ref), FlowStep::kDerived, call_ref, state.calls)) {
          return true;
        }
      }
    }
    if (!content && Derives(kDeriveAttribute)) {
      return Emit(index, FlowNode::Value(attr), FlowStep::kDerived, attr, state.calls);
    }
    return false;
  }

  bool ExpandCall(int32_t index, const FlowState& state, ValueRef call, uint32_t operand) {
    const bool content = state.node.content;
    const CallSite site{call.fn, call.value};
    if (operand == 0) {
      // Calling the tracked value itself (`model(x)`).
      if (content || !Derives(kDeriveMethodResult)) return false;
      return Emit(index, FlowNode::Value(call), FlowStep::kDerived, call, state.calls);
    }
    const absl::Span<const CallTarget> targets = du_.TargetsAt(site);
    if (!targets.empty()) {
      Calls inner = state.calls;
      inner.push_back(site);
      Trim(inner);
      for (const ParamBinding& b : du_.BindOperand(site, operand)) {
        if (b.param.valid() && Emit(index, FlowNode::Value(ValueRef{b.callee, b.param}, content),
                                    FlowStep::kIntoParam, call, inner)) {
          return true;
        }
      }
      return false;
    }
    const absl::string_view method = du_.MethodName(site);
    const ir::InstrId receiver = du_.Receiver(site);
    if (receiver.valid() && (IsContainerInsertMethod(method) ||
                             (content && IsContainerMergeMethod(method)))) {
      // `setdefault(key, default)` stores the default; its key is not an item worth tracking.
      if (!(method == "setdefault" && operand == 1)) {
        return Emit(index, FlowNode::Value(ValueRef{call.fn, receiver}, true),
                    FlowStep::kIntoContainer, call, state.calls, true);
      }
      return false;
    }
    if (content) {
      // list(xs), tuple(xs), zip(xs, ys), sorted(xs), enumerate(xs): the same items.
      if (Emit(index, FlowNode::Value(call, true), FlowStep::kAlias, call, state.calls)) {
        return true;
      }
      return Derives(kDeriveAggregate) &&
             Emit(index, FlowNode::Value(call), FlowStep::kDerived, call, state.calls);
    }
    return Derives(kDeriveCallResult) &&
           Emit(index, FlowNode::Value(call), FlowStep::kDerived, call, state.calls);
  }

  bool ExpandReturn(int32_t index, const FlowState& state, ValueRef ret, bool yielded) {
    const ir::FuncId fn = ret.fn;
    Calls calls = state.calls;
    const bool matched = !calls.empty();
    CallSite only;
    if (matched) {
      only = calls.back();
      calls.pop_back();
    }
    // A yielded item is content of the generator the call returns; a generator's `return`
    // value is not what the call returns.
    const bool generator = du_.program().function(fn).is_generator;
    if (generator && !yielded) return false;
    const bool content = yielded || state.node.content;
    for (const CallSite& site : du_.CallSitesOf(fn)) {
      if (matched && !(site == only)) continue;
      bool constructor = false;
      for (const CallTarget& t : du_.TargetsAt(site)) {
        constructor = constructor || (t.callee == fn && t.kind == ir::EdgeKind::kConstructor);
      }
      if (constructor) continue;
      if (Emit(index, FlowNode::Value(ValueRef{site.caller, site.site}, content),
               yielded ? FlowStep::kIntoContainer : FlowStep::kFromReturn, ret, calls)) {
        return true;
      }
    }
    return false;
  }

  bool ExpandMakeFunction(int32_t index, const FlowState& state, ValueRef make,
                          uint32_t operand) {
    const LocationId cell = du_.CellOperandLocation(make, operand);
    if (cell.valid()) {
      return Emit(index, FlowNode::At(cell, state.node.content), FlowStep::kStore, make, no_calls_);
    }
    // A default value flows into its parameter whenever the caller omits the argument.
    const ir::Instr& mk = du_.instr(make);
    if (operand >= mk.arg_names.size()) return false;
    const ir::FuncId fn(mk.aux);
    if (!fn.valid() || fn.index() >= du_.program().functions().size()) return false;
    const std::vector<ir::Param>& params = du_.program().function(fn).params;
    for (uint32_t i = 0; i < params.size(); ++i) {
      if (params[i].name != mk.arg_names[operand]) continue;
      const ir::InstrId param = du_.ParamInstr(fn, i);
      return param.valid() && Emit(index, FlowNode::Value(ValueRef{fn, param}, state.node.content),
                                   FlowStep::kIntoParam, make, no_calls_);
    }
    return false;
  }

  const DefUse& du_;
  const FlowOptions& options_;
  const std::function<bool(const FlowResult&, int32_t)>& visit_;
  FlowResult result_;
  absl::flat_hash_set<StateKey> seen_;
  size_t next_ = 0;
  const Calls no_calls_;
};

}  // namespace

absl::string_view FlowStepName(FlowStep step) {
  switch (step) {
    case FlowStep::kStart: return "start";
    case FlowStep::kPhi: return "phi";
    case FlowStep::kDerived: return "derived";
    case FlowStep::kIntoParam: return "into-param";
    case FlowStep::kFromReturn: return "from-return";
    case FlowStep::kIntoContainer: return "into-container";
    case FlowStep::kFromContainer: return "from-container";
    case FlowStep::kStore: return "store";
    case FlowStep::kLoad: return "load";
    case FlowStep::kAlias: return "alias";
  }
  return "?";
}

bool IsContainerInsertMethod(absl::string_view name) { return Contains(kInsertMethods, name); }
bool IsContainerMergeMethod(absl::string_view name) { return Contains(kMergeMethods, name); }
bool IsContainerReadMethod(absl::string_view name) { return Contains(kReadMethods, name); }

std::vector<const FlowState*> FlowResult::PathTo(int32_t index) const {
  std::vector<const FlowState*> path;
  // Parents always precede children, so this terminates within states.size() steps.
  while (index >= 0 && static_cast<size_t>(index) < states.size()) {
    path.push_back(&states[static_cast<size_t>(index)]);
    index = states[static_cast<size_t>(index)].parent;
  }
  std::reverse(path.begin(), path.end());
  return path;
}

std::vector<FlowHop> HopsTo(const FlowResult& result, int32_t index) {
  std::vector<FlowHop> hops;
  for (const FlowState* s : result.PathTo(index)) {
    hops.push_back(FlowHop{s->step, s->step == FlowStep::kStart && !s->node.is_location()
                                        ? s->node.value_ref()
                                        : s->at});
  }
  return hops;
}

FlowResult ExploreFlow(const DefUse& du, const std::vector<FlowNode>& starts,
                       const FlowOptions& options,
                       const std::function<bool(const FlowResult&, int32_t index)>& visit) {
  return Walker(du, options, visit).Run(starts);
}

}  // namespace flopscope::dataflow::support
