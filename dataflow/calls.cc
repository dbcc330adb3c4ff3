// Call sites: argument binding, callee contexts and their summaries, forward passes, hook
// registration, and the "already loaded?" guards that make a model load a cache.
//
//   caller (mode m)        helper(model, name="gpt2")
//     r = helper(M, CKPT)  ──bind──▶ context (helper, m, [M, CKPT]) ──solve──▶ summary
//     r ◀── return value + "returned by helper()" step, in-place effects on M applied here
#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "dataflow/transfer.h"

namespace flopscope::dataflow::internal {
namespace {

bool IsHookMethod(absl::string_view method) {
  return method == "register_forward_hook" || method == "register_forward_pre_hook" ||
         method == "register_full_backward_hook" || method == "register_backward_hook" ||
         method == "register_full_backward_pre_hook" || method == "register_hook";
}

bool IsSelfParam(const ir::Function& f) {
  return f.method_of.valid() && !f.params.empty() &&
         (f.params[0].name == "self" || f.params[0].name == "cls") &&
         f.params[0].kind != ir::ParamKind::kVarArgs;
}

AbstractValue TensorValue(const GradMode& mode) {
  AbstractValue v = AbstractValue::OfKind(kKindTensor);
  v.sites = SiteSet::Bottom();
  v.strings = ConstStrings::Bottom();
  v.ctx_mode = GradMode::Bottom();
  v.grad = Attachment::UnderMode(mode);
  return v;
}

}  // namespace

AbstractValue FunctionProblem::EvalCall(ir::InstrId id, const ir::Instr& instr) {
  if (instr.operands.empty()) return AbstractValue::Top();
  const ir::InstrId callee_instr = instr.operands[0];
  const AbstractValue callee = Operand(id, 0);
  CallArgs args;
  for (size_t i = 1; i < instr.operands.size(); ++i) {
    CallArg arg;
    arg.name = i - 1 < instr.arg_names.size() ? instr.arg_names[i - 1] : "";
    arg.instr = instr.operands[i];
    arg.value = Operand(id, i);
    if (arg.name.empty()) {
      args.positional.push_back(std::move(arg));
    } else if (arg.name == "*") {
      args.star.push_back(std::move(arg));
    } else if (arg.name == "**") {
      args.dstar.push_back(std::move(arg));
    } else {
      args.keyword.push_back(std::move(arg));
    }
  }
  const ir::Instr* callee_def =
      callee_instr.valid() && callee_instr.index() < fn_.instrs.size() ? &fn_.instr(callee_instr)
                                                                       : nullptr;
  const bool is_method = callee_def != nullptr && callee_def->op == ir::Opcode::kLoadAttr &&
                         !callee_def->operands.empty();
  const ir::InstrId receiver_instr = is_method ? callee_def->operands[0] : ir::InstrId();
  const AbstractValue receiver = is_method ? Val(receiver_instr) : AbstractValue::Bottom();
  const std::string method = is_method ? callee_def->text : "";

  // Hooks first: the callback runs at forward time, not here.
  if (is_method && IsHookMethod(method)) return RegisterHook(id, receiver, method, args);

  AbstractValue result = AbstractValue::Bottom();
  bool handled = false;
  std::vector<ContextId> callee_contexts;
  bool receiver_is_class = false;
  if (is_method) {
    for (const ir::Symbol& s : e_.resolver.Resolve(fn_.id, receiver_instr)) {
      receiver_is_class = receiver_is_class || s.kind == ir::Symbol::Kind::kClass;
    }
  }
  if (auto it = info_.edges_at.find(id.value()); it != info_.edges_at.end()) {
    for (const ir::CallEdge& edge : it->second) {
      const ir::Function& target = e_.program.function(edge.callee);
      if (edge.kind == ir::EdgeKind::kCallback) {
        // A function passed as a value to an external call (map, Thread(target=...)): it runs
        // in this grad mode with arguments we do not know.
        const ContextId cb = e_.ContextFor(edge.callee, mode_, {}, /*is_hook=*/false);
        e_.ctx(cb).summary_readers.insert(id_);
        if (!e_.ctx(cb).analyzed || e_.ctx(cb).dirty) e_.Analyze(cb);
        callee_contexts.push_back(cb);
        continue;
      }
      std::optional<AbstractValue> bound_receiver;
      AbstractValue instance = AbstractValue::Bottom();
      if (edge.kind == ir::EdgeKind::kConstructor) {
        ir::ClassId cls = target.method_of;
        for (const ir::Symbol& s : e_.resolver.Resolve(fn_.id, callee_instr)) {
          if (s.kind == ir::Symbol::Kind::kClass) cls = s.cls;
        }
        if (cls.valid()) instance = InstanceValue(id, cls);
        bound_receiver = instance;
      } else if (IsSelfParam(target) && is_method && !receiver_is_class) {
        bound_receiver = receiver;
      } else if (IsSelfParam(target) && !is_method) {
        bound_receiver = callee;  // calling an instance runs its __call__/forward
      }
      ContextId cid = -1;
      AbstractValue ret = CallInRepo(id, edge.callee, args, bound_receiver, &cid);
      if (cid >= 0) callee_contexts.push_back(cid);
      result = result.Join(edge.kind == ir::EdgeKind::kConstructor ? instance : ret);
      handled = true;
    }
  }
  // `trainer.step(b)` on a parameter the resolver could not type: the analysis knows which
  // in-repo classes the receiver's instances belong to, so their method runs.
  if (!handled && is_method && !receiver.kinds.IsTop() && !receiver.sites.IsTop() &&
      info_.edges_at.find(id.value()) == info_.edges_at.end()) {
    for (SiteId site : receiver.sites.elements()) {
      const Site& s = e_.sites[static_cast<size_t>(site)];
      if (s.kind != Site::Kind::kInstance || !s.cls.valid()) continue;
      const ir::FuncId target = e_.resolver.LookupMethod(s.cls, method);
      if (!target.valid() || !IsSelfParam(e_.program.function(target))) continue;
      AbstractValue self = receiver;
      self.sites = SiteSet::Of(site);
      e_.funcs[target.index()].dispatched = true;
      ContextId cid = -1;
      result = result.Join(CallInRepo(id, target, args, self, &cid));
      if (cid >= 0) callee_contexts.push_back(cid);
      handled = true;
    }
  }
  if (!callee_contexts.empty() || handled) c_.callees_at[id.value()] = callee_contexts;

  // Forward passes are events whether or not the model's class is in the repository.
  const bool callee_may_be_model =
      !callee.kinds.IsTop() ? callee.MayBe(kKindModel) : false;
  if (!is_method && (callee_may_be_model ||
                     (callee.kinds.IsTop() && !handled && !callee.sites.IsTop() &&
                      !callee.sites.IsBottom() &&
                      e_.resolver.QualifiedName(fn_.id, callee_instr).empty()))) {
    AbstractValue out = ForwardPass(id, callee, /*is_generate=*/false);
    if (!handled) {
      handled = true;
      result = callee_may_be_model ? out : AbstractValue::Top();
    }
  }
  // `self.crit(out, y)`, `self.model(x)`: the attribute holds a module of its own (stored in the
  // object), so calling it runs that module. An attribute that is the receiver itself seen as a
  // submodule (`model.eval` on a model) is a method, not a stored module. A stored value of
  // unknown kind but known identity (a parameter nobody binds, kept in `self.model`) is called
  // like one: a forward pass whose result is unknown.
  // On a model receiver the attribute also reads as the receiver's own submodule: the module
  // called is what the attribute holds beyond the receiver.
  AbstractValue stored = callee;
  stored.sites = SiteSet::Bottom();
  if (is_method && !callee.sites.IsTop()) {
    for (SiteId site : callee.sites.elements()) {
      if (!receiver.sites.Contains(site)) stored.sites = stored.sites.Join(SiteSet::Of(site));
    }
  }
  const bool stored_value = is_method && !handled && !receiver.kinds.IsTop() &&
                            !receiver.kinds.Only(kKindTensor) && !stored.sites.IsBottom();
  if (stored_value && callee_may_be_model) {
    result = ForwardPass(id, stored, /*is_generate=*/false);
    handled = true;
  } else if (stored_value && callee.kinds.IsTop() && !receiver.MayBe(kKindModel) &&
             e_.resolver.QualifiedName(fn_.id, callee_instr).empty()) {
    ForwardPass(id, stored, /*is_generate=*/false);
    result = AbstractValue::Top();
    handled = true;
  }
  if (is_method && (method == "forward" || method == "generate") &&
      (receiver.kinds.IsTop() || receiver.MayBe(kKindModel))) {
    AbstractValue out = ForwardPass(id, receiver, method == "generate");
    if (!handled) {
      handled = true;
      result = out;
    }
  }
  if (handled) return result;

  // Not in the repository: methods of abstract values, then external functions by name.
  if (is_method && !receiver.kinds.IsTop()) {
    if (auto v = MethodCall(id, receiver_instr, receiver, method, args)) return *v;
  }
  const std::string name = e_.resolver.QualifiedName(fn_.id, callee_instr);
  if (!name.empty()) {
    if (auto v = ExternalCall(id, name, args)) return *v;
  }
  if (is_method) {
    if (auto v = MethodCall(id, receiver_instr, receiver, method, args)) return *v;
  }
  // An in-repo class without __init__ (a dataclass): keyword arguments become its fields.
  for (const ir::Symbol& s : e_.resolver.Resolve(fn_.id, callee_instr)) {
    if (s.kind != ir::Symbol::Kind::kClass || !s.cls.valid()) continue;
    AbstractValue instance = InstanceValue(id, s.cls);
    const SiteId site = instance.sites.elements()[0];
    for (const CallArg& arg : args.keyword) {
      e_.WriteCell({CellKind::kHeapAttr, site, arg.name}, arg.value);
    }
    return instance;
  }
  if (!callee.kinds.IsTop() && callee.MayBe(kKindTokenizer)) {
    // Tokenizing: integer tensors on the cpu, no graph.
    AbstractValue v = AbstractValue::OfKind(kKindTensor | kKindDict);
    v.device = DeviceDomain::Cpu();
    v.dtype = DTypeDomain::Of(DType::kInteger);
    v.grad = Attachment::Detached();
    return Made(v, id, "tokenizer output (cpu)");
  }
  return AbstractValue::Top();
}

AbstractValue FunctionProblem::InstanceValue(ir::InstrId id, ir::ClassId cls) {
  const SiteId site = e_.InstanceSite(cls);
  AbstractValue v = AbstractValue::Bottom();
  const bool model = e_.IsModelSite(site);
  v.kinds = KindSet::Of(model ? (kKindModel | kKindObject) : kKindObject);
  v.sites = SiteSet::Of(site);
  if (model) {
    v.device = DeviceDomain::Cpu();  // nn.Module parameters start on the cpu
    v.dtype = DTypeDomain::Of(DType::kFloat32);
  }
  return Made(v, id, absl::StrCat(e_.sites[static_cast<size_t>(site)].name, "() instance"));
}

AbstractValue FunctionProblem::CallInRepo(ir::InstrId id, ir::FuncId callee_fn,
                                          const CallArgs& args,
                                          const std::optional<AbstractValue>& receiver,
                                          ContextId* out_context) {
  const ir::Function& f = e_.program.function(callee_fn);
  std::vector<AbstractValue> bound(f.params.size(), AbstractValue::Bottom());
  std::vector<ir::InstrId> from_instr(f.params.size());
  const std::string label = e_.FunctionLabel(callee_fn);
  size_t next = 0;
  if (receiver && !f.params.empty()) {
    bound[0] = *receiver;
    next = 1;
  }
  auto pass = [&](size_t p, const CallArg& arg) {
    if (p >= bound.size()) return;
    bound[p] = bound[p].Join(e_.WithStep(
        arg.value, fn_.id, id, absl::StrCat("passed as `", f.params[p].name, "` to ", label, "()")));
    from_instr[p] = arg.instr;
  };
  for (const CallArg& arg : args.positional) {
    while (next < f.params.size() && f.params[next].kind != ir::ParamKind::kPositional &&
           f.params[next].kind != ir::ParamKind::kPositionalOnly) {
      if (f.params[next].kind == ir::ParamKind::kVarArgs) break;
      ++next;
    }
    if (next >= f.params.size() || f.params[next].kind == ir::ParamKind::kVarArgs) break;
    pass(next++, arg);
  }
  if (!args.star.empty()) {
    // *args: the remaining positional parameters get whatever the sequence holds.
    AbstractValue items = AbstractValue::Top();
    for (size_t p = next; p < f.params.size(); ++p) {
      if (f.params[p].kind == ir::ParamKind::kPositional ||
          f.params[p].kind == ir::ParamKind::kPositionalOnly) {
        if (bound[p].IsBottom()) bound[p] = items;
      }
    }
  }
  for (const CallArg& arg : args.keyword) {
    bool matched = false;
    for (size_t p = 0; p < f.params.size(); ++p) {
      if (f.params[p].name == arg.name && f.params[p].kind != ir::ParamKind::kPositionalOnly &&
          f.params[p].kind != ir::ParamKind::kVarArgs &&
          f.params[p].kind != ir::ParamKind::kVarKeywords) {
        pass(p, arg);
        matched = true;
        break;
      }
    }
    (void)matched;
  }
  for (const CallArg& arg : args.dstar) {
    // **kwargs: parameters take the mapping's items by name when its keys are known.
    for (size_t p = 0; p < f.params.size(); ++p) {
      if (!bound[p].IsBottom() || f.params[p].kind == ir::ParamKind::kVarArgs ||
          f.params[p].kind == ir::ParamKind::kVarKeywords) {
        continue;
      }
      if (arg.value.sites.IsTop() || arg.value.sites.IsBottom()) continue;
      AbstractValue item = AbstractValue::Bottom();
      for (SiteId site : arg.value.sites.elements()) {
        item = item.Join(e_.ReadCell({CellKind::kHeapItem, site, f.params[p].name}));
      }
      if (!item.IsBottom()) bound[p] = item;
    }
  }
  // A nested function called by the owner of its closure variables sees their current values.
  std::vector<std::pair<std::string, AbstractValue>> cells;
  if (f.parent == fn_.id && state_ != nullptr) {
    for (size_t k = 0; k < fn_.cell_vars.size(); ++k) {
      if (std::find(f.free_vars.begin(), f.free_vars.end(), fn_.cell_vars[k]) ==
          f.free_vars.end()) {
        continue;
      }
      const int32_t held = state_->CellValue(static_cast<int32_t>(k));
      if (held >= 0) cells.emplace_back(fn_.cell_vars[k], Val(ir::InstrId(held)));
    }
  }
  const ContextId cid =
      e_.ContextFor(callee_fn, mode_, std::move(bound), /*is_hook=*/false, std::move(cells));
  *out_context = cid;
  ContextData& callee = e_.ctx(cid);
  callee.summary_readers.insert(id_);
  if (!callee.analyzed || callee.dirty) e_.Analyze(cid);
  ContextData& done = e_.ctx(cid);
  // In-place effects on arguments (a helper that calls model.half()).
  for (size_t p = 0; p < done.param_exit.size() && p < from_instr.size(); ++p) {
    if (!done.param_exit[p] || !from_instr[p].valid()) continue;
    const Refinement& r = *done.param_exit[p];
    AbstractValue arg = Val(from_instr[p]);
    AbstractValue changed = arg;
    changed.device = r.refined.device;
    changed.device_prov = r.refined.device_prov;
    changed.dtype = r.refined.dtype;
    changed.dtype_prov = r.refined.dtype_prov;
    Refine(from_instr[p], r.partial ? arg.Join(changed) : changed);
  }
  if (done.ret.IsBottom()) return AbstractValue::Bottom();
  return e_.WithStep(done.ret, fn_.id, id, absl::StrCat("returned by ", label, "()"));
}

AbstractValue FunctionProblem::ForwardPass(ir::InstrId id, const AbstractValue& model,
                                           bool is_generate) {
  ForwardCall event;
  event.context = id_;
  event.fn = fn_.id;
  event.site = id;
  event.model_sites = model.sites;
  event.known_model = !model.kinds.IsTop() && model.MayBe(kKindModel);
  event.is_generate = is_generate;
  event.mode = mode_;
  c_.forwards[id.value()] = event;
  const GradMode effective = is_generate ? GradMode::Disabled() : mode_;
  const std::string text =
      is_generate ? "generate() output (generate disables grad)"
                  : absl::StrCat("forward pass output, grad ", mode_.ToString(), " here");
  if (!is_generate && !model.sites.IsTop()) {
    AbstractValue mode_fact = AbstractValue::Bottom();
    mode_fact.ctx_mode = mode_;
    mode_fact.grad_prov = e_.Step(kNoProv, fn_.id, id,
                                  absl::StrCat("forward pass with grad ", mode_.ToString()));
    for (SiteId site : model.sites.elements()) {
      e_.WriteCell({CellKind::kForwardMode, site, ""}, mode_fact);
    }
  }
  AbstractValue out = TensorValue(effective);
  if (is_generate) out.dtype = DTypeDomain::Of(DType::kInteger);
  out = Made(out, id, text);
  out.device = model.device;
  out.device_prov = model.device.HasValue()
                        ? e_.Step(model.device_prov, fn_.id, id, "model output on model's device")
                        : kNoProv;
  if (!is_generate) {
    out.dtype = model.dtype;
    out.dtype_prov = model.dtype_prov;
  }
  return out;
}

AbstractValue FunctionProblem::RegisterHook(ir::InstrId id, const AbstractValue& module,
                                            absl::string_view method, const CallArgs& args) {
  HookRegistration event;
  event.context = id_;
  event.fn = fn_.id;
  event.site = id;
  event.method = std::string(method);
  event.module_sites = module.sites;

  std::vector<ir::FuncId> callbacks;
  if (auto it = info_.edges_at.find(id.value()); it != info_.edges_at.end()) {
    for (const ir::CallEdge& edge : it->second) callbacks.push_back(edge.callee);
  }
  if (callbacks.empty() && !args.positional.empty()) {
    for (const ir::Symbol& s : e_.resolver.Resolve(fn_.id, args.positional[0].instr)) {
      if ((s.kind == ir::Symbol::Kind::kFunction || s.kind == ir::Symbol::Kind::kBoundMethod) &&
          s.func.valid()) {
        callbacks.push_back(s.func);
      }
    }
  }
  std::sort(callbacks.begin(), callbacks.end());
  callbacks.erase(std::unique(callbacks.begin(), callbacks.end()), callbacks.end());

  const bool forward = method == "register_forward_hook";
  const bool pre = method == "register_forward_pre_hook";
  GradMode hook_mode = GradMode::Bottom();
  ProvId mode_prov = kNoProv;
  if (forward || pre) {
    // The hook runs inside the forward passes of this module: their grad mode.
    if (!module.sites.IsTop()) {
      for (SiteId site : module.sites.elements()) {
        const AbstractValue fact = e_.ReadCell({CellKind::kForwardMode, site, ""});
        if (mode_prov == kNoProv) mode_prov = fact.grad_prov;
        hook_mode = hook_mode.Join(fact.ctx_mode);
      }
    }
    if (hook_mode.IsBottom()) {
      hook_mode = mode_;  // no forward pass known: the registration site's mode
      mode_prov = e_.Step(kNoProv, fn_.id, id,
                          absl::StrCat("hook registered with grad ", mode_.ToString()));
    }
  } else {
    hook_mode = GradMode::Disabled();  // backward hooks and tensor hooks see gradients
  }
  event.hook_mode = hook_mode;

  AbstractValue module_arg = module;
  // The positional inputs the module receives: activations of the same pass (a layer's hidden
  // states), so they carry its graph like the output does.
  AbstractValue input = TensorValue(hook_mode);
  input.grad_prov =
      e_.Step(mode_prov, fn_.id, id,
              absl::StrCat("hook registered here sees the module's inputs (grad ",
                           hook_mode.ToString(), ")"));
  input.kinds_prov = input.grad_prov;
  AbstractValue output = TensorValue(hook_mode);
  output.device = module.device;
  output.dtype = module.dtype;
  output.grad_prov =
      e_.Step(mode_prov, fn_.id, id,
              absl::StrCat("hook registered here sees the forward output (grad ",
                           hook_mode.ToString(), ")"));
  output.kinds_prov = output.grad_prov;
  AbstractValue grad = TensorValue(GradMode::Disabled());
  bool with_kwargs = false;
  if (const CallArg* kw = args.Keyword("with_kwargs")) {
    const ir::Instr& k = fn_.instr(kw->instr);
    with_kwargs = k.op == ir::Opcode::kConst && k.text == "True";
  }
  std::vector<AbstractValue> hook_args;
  if (forward) {
    hook_args = with_kwargs
                    ? std::vector<AbstractValue>{module_arg, input, AbstractValue::Top(), output}
                    : std::vector<AbstractValue>{module_arg, input, output};
  } else if (pre) {
    hook_args = {module_arg, input};
  } else if (method == "register_hook") {
    hook_args = {grad};
  } else {
    hook_args = {module_arg, grad, grad};
  }
  std::vector<ContextId> contexts;
  // functools.partial(hook, name): the arguments bound by the partial come before the hook's.
  ir::InstrId hook_expr = args.positional.empty() ? ir::InstrId() : args.positional[0].instr;
  std::vector<AbstractValue> partial_args;
  if (hook_expr.valid()) {
    const ir::Instr& a = fn_.instr(hook_expr);
    if (a.op == ir::Opcode::kCall && a.operands.size() >= 2 &&
        e_.resolver.QualifiedName(fn_.id, a.operands[0]) == "functools.partial") {
      hook_expr = a.operands[1];
      for (size_t i = 2; i < a.operands.size(); ++i) {
        if (i - 1 < a.arg_names.size() && !a.arg_names[i - 1].empty()) continue;  // keywords
        partial_args.push_back(Val(a.operands[i]));
      }
    }
  }
  for (ir::FuncId cb : callbacks) {
    const ir::Function& f = e_.program.function(cb);
    std::vector<AbstractValue> bound = hook_args;
    bound.insert(bound.begin(), partial_args.begin(), partial_args.end());
    if (IsSelfParam(f)) {
      AbstractValue self = AbstractValue::Top();
      if (hook_expr.valid()) {
        const ir::Instr& a = fn_.instr(hook_expr);
        if (a.op == ir::Opcode::kLoadAttr && !a.operands.empty()) self = Val(a.operands[0]);
      }
      bound.insert(bound.begin(), self);
    }
    const ContextId cid = e_.ContextFor(cb, hook_mode, std::move(bound), /*is_hook=*/true);
    e_.ctx(cid).summary_readers.insert(id_);
    if (!e_.ctx(cid).analyzed || e_.ctx(cid).dirty) e_.Analyze(cid);
    contexts.push_back(cid);
  }
  event.callbacks = callbacks;
  event.callback_contexts = contexts;
  c_.callees_at[id.value()] = contexts;

  Site handle;
  handle.kind = Site::Kind::kHookHandle;
  handle.fn = fn_.id;
  handle.instr = id;
  handle.name = std::string(method);
  event.handle_site =
      e_.InternSite(absl::StrCat("hook:", fn_.id.value(), ":", id.value()), std::move(handle));
  c_.hooks[id.value()] = event;
  AbstractValue v = AbstractValue::Bottom();
  v.kinds = KindSet::Of(kKindHookHandle);
  v.sites = SiteSet::Of(event.handle_site);
  return Made(v, id, absl::StrCat(method, "() handle"));
}

// --- "Already loaded?" guards ---------------------------------------------------------------

namespace {

// Does `cond` test the location that `store` writes (is None / is not None / truthiness /
// `key in memo` / hasattr(self, "x"))?
bool TestsLocation(const ir::Function& fn, const ir::Resolver& resolver, ir::InstrId cond,
                   const ir::Instr& store) {
  auto same_location = [&](ir::InstrId v) {
    if (!v.valid()) return false;
    const ir::Instr& load = fn.instr(v);
    switch (store.op) {
      case ir::Opcode::kStoreVar:
        return load.op == ir::Opcode::kLoadVar && load.text == store.text;
      case ir::Opcode::kStoreAttr:
        return load.op == ir::Opcode::kLoadAttr && load.text == store.text;
      case ir::Opcode::kStoreSubscript: {
        const ir::InstrId container = store.operands[0];
        if (v == container) return true;
        const ir::Instr& c = fn.instr(container);
        return load.op == c.op && load.text == c.text &&
               (load.op == ir::Opcode::kLoadVar || load.op == ir::Opcode::kLoadAttr);
      }
      default:
        return false;
    }
  };
  for (int depth = 0; depth < 3 && cond.valid(); ++depth) {
    const ir::Instr& c = fn.instr(cond);
    if (same_location(cond)) return true;
    if (c.op == ir::Opcode::kUnaryOp && c.text == "not" && !c.operands.empty()) {
      cond = c.operands[0];
      continue;
    }
    if (c.op == ir::Opcode::kCompare && c.operands.size() == 2) {
      if (c.text == "in" || c.text == "not in") return same_location(c.operands[1]);
      return same_location(c.operands[0]) || same_location(c.operands[1]);
    }
    if (c.op == ir::Opcode::kCall && c.operands.size() >= 3 &&
        resolver.QualifiedName(fn.id, c.operands[0]) == "<builtin>.hasattr" &&
        store.op == ir::Opcode::kStoreAttr) {
      const ir::Instr& name = fn.instr(c.operands[2]);
      return name.op == ir::Opcode::kConst && name.text == store.text;
    }
    return false;
  }
  return false;
}

}  // namespace

void FunctionProblem::RecordCacheGuard(ir::InstrId store, const AbstractValue& stored) {
  if (stored.sites.IsTop() || stored.sites.IsBottom()) return;
  std::vector<SiteId> loads;
  for (SiteId site : stored.sites.elements()) {
    if (e_.sites[static_cast<size_t>(site)].kind == Site::Kind::kModelLoad) loads.push_back(site);
  }
  if (loads.empty()) return;
  const ir::Instr& instr = fn_.instr(store);
  ir::BlockId b = instr.block.valid() ? instr.block : block_;
  for (int step = 0; step < 6 && b.valid(); ++step) {
    const ir::Block& block = fn_.block(b);
    if (block.preds.size() != 1) break;
    const ir::Block& pred = fn_.block(block.preds[0]);
    if (!pred.instrs.empty()) {
      const ir::Instr& term = fn_.instr(pred.instrs.back());
      if (term.op == ir::Opcode::kBranch && !term.operands.empty() &&
          TestsLocation(fn_, e_.resolver, term.operands[0], instr)) {
        const std::string reason =
            absl::StrCat("stored under an \"already loaded?\" test at ", Here(store));
        for (SiteId site : loads) e_.singleton_cached.emplace(site, reason);
        return;
      }
    }
    b = block.preds[0];
  }
}

}  // namespace flopscope::dataflow::internal
