// Transfer functions of plain instructions (calls are in calls.cc).
//
//   x = "cuda"              x: string {"cuda"}            (provenance: the constant)
//   DEVICE = x  (global)    cell Global(mod, DEVICE) ⊒ x  (+ step "global DEVICE")
//   d = {"m": CKPT}         d: dict, site D; cell Item(D, "m") ⊒ CKPT
//   d["m"]                  Item(D, "m") ⊔ Item(D, "?")
//   f"{ORG}/{name}"         the cross product of the parts' constant strings, "{?}" for holes
#include "dataflow/transfer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "ir/passes.h"
#include "util/check.h"

namespace flopscope::dataflow::internal {
namespace {

constexpr size_t kMaxTrackedString = 256;

std::string Shorten(absl::string_view text) {
  if (text.size() <= 60) return std::string(text);
  return absl::StrCat(text.substr(0, 57), "...");
}

bool IsTensorLike(const AbstractValue& v) {
  return !v.kinds.IsTop() && v.kinds.Has(kKindTensor);
}

}  // namespace

const CallArg* CallArgs::Keyword(absl::string_view name) const {
  for (const CallArg& arg : keyword) {
    if (arg.name == name) return &arg;
  }
  return nullptr;
}

const CallArg* CallArgs::Positional(size_t index) const {
  return index < positional.size() ? &positional[index] : nullptr;
}

const CallArg* CallArgs::Get(size_t index, absl::string_view name) const {
  if (const CallArg* arg = Positional(index)) return arg;
  return Keyword(name);
}

std::optional<std::string> ConstKeyOf(const ir::Function& fn, ir::InstrId value) {
  if (!value.valid() || value.index() >= fn.instrs.size()) return std::nullopt;
  const ir::Instr& instr = fn.instr(value);
  if (instr.op != ir::Opcode::kConst) return std::nullopt;
  const auto kind = static_cast<ir::ConstKind>(instr.aux);
  if (kind == ir::ConstKind::kString) return instr.text;
  if (kind == ir::ConstKind::kInt) return absl::StrCat("#", instr.text);
  return std::nullopt;
}

FunctionProblem::FunctionProblem(Engine& engine, ContextId id)
    : e_(engine),
      id_(id),
      c_(engine.ctx(id)),
      fn_(engine.program.function(engine.ctx(id).info.fn)),
      info_(engine.funcs[engine.ctx(id).info.fn.index()]),
      param_instrs_(info_.param_instrs) {}

FlowState FunctionProblem::EntryState() { return FlowState::Entry(c_.info.entry_mode); }

AbstractValue FunctionProblem::Val(ir::InstrId value) const {
  if (!value.valid() || value.index() >= c_.values.size()) return AbstractValue::Top();
  const AbstractValue& base = c_.values[value.index()];
  return state_ == nullptr ? base : state_->Apply(value.value(), base);
}

AbstractValue FunctionProblem::Operand(ir::InstrId instr, size_t index) {
  const ir::Instr& in = fn_.instr(instr);
  if (index >= in.operands.size()) return AbstractValue::Top();
  const ir::InstrId op = in.operands[index];
  AbstractValue v = Val(op);
  if (state_ != nullptr && state_->Find(op.value()) != nullptr) {
    c_.refined_operands[{instr.value(), static_cast<int32_t>(index)}] = v;
  }
  return v;
}

AbstractValue FunctionProblem::Made(AbstractValue v, ir::InstrId instr, absl::string_view text) {
  const ProvId step = e_.Step(kNoProv, fn_.id, instr, text);
  auto set = [&](ProvId& p, bool interesting) {
    if (interesting) p = p == kNoProv ? step : e_.Step(p, fn_.id, instr, text);
  };
  set(v.kinds_prov, !v.kinds.IsTop() && !v.kinds.IsBottom());
  set(v.strings_prov, !v.strings.IsTop() && !v.strings.IsBottom());
  set(v.sites_prov, !v.sites.IsTop() && !v.sites.IsBottom());
  set(v.device_prov, v.device.HasValue());
  set(v.dtype_prov, v.dtype.HasValue());
  set(v.grad_prov, !v.grad.IsTop() && !v.grad.IsBottom());
  return v;
}

void FunctionProblem::Refine(ir::InstrId value, const AbstractValue& refined) {
  if (state_ == nullptr || !value.valid()) return;
  state_->Refine(value.value(), refined);
}

GradMode FunctionProblem::LexicalMode(ir::BlockId block, const GradMode& flow) const {
  const std::vector<ir::RegionId> regions = ir::EnclosingWithRegions(fn_, block);
  GradMode mode = flow;
  for (auto it = regions.rbegin(); it != regions.rend(); ++it) {
    if (!it->valid() || it->index() >= fn_.with_regions.size()) continue;
    const ir::InstrId enter = fn_.with_regions[it->index()].enter;
    if (!enter.valid() || fn_.instr(enter).operands.empty()) continue;
    const AbstractValue& manager = c_.values[fn_.instr(enter).operands[0].index()];
    if (manager.kinds.IsTop() || !manager.MayBe(kKindGradContext) ||
        manager.ctx_mode.IsBottom()) {
      continue;
    }
    mode = manager.kinds.Only(kKindGradContext) ? manager.ctx_mode
                                                : mode.Join(manager.ctx_mode);
  }
  return mode;
}

FlowState FunctionProblem::TransferBlock(ir::BlockId block, const FlowState& in, int visits,
                                         std::vector<ir::InstrId>& changed) {
  FlowState state = in;
  state_ = &state;
  block_ = block;
  mode_ = LexicalMode(block, state.mode());
  const bool widen = info_.order.is_loop_header[block.index()] && visits > 3;
  for (ir::InstrId id : fn_.block(block).instrs) {
    if (aborted_) break;
    if (++e_.transfers > e_.budget) {
      e_.budget_exhausted = true;
      aborted_ = true;
      break;
    }
    const ir::Instr& instr = fn_.instr(id);
    const GradMode flow_before = state.mode();
    c_.modes[id.index()] = static_cast<uint8_t>(mode_.bits());
    AbstractValue v = Eval(id, instr);
    if (!(state.mode() == flow_before)) mode_ = LexicalMode(block, state.mode());
    if (!ir::HasResult(instr.op)) continue;
    AbstractValue& slot = c_.values[id.index()];
    AbstractValue next = slot.Join(v);
    if (widen && instr.op == ir::Opcode::kPhi) next = slot.Widen(next);
    if (!(next == slot)) {
      slot = std::move(next);
      changed.push_back(id);
    }
  }
  c_.block_in[block.index()] = in;
  state_ = nullptr;
  return state;
}

AbstractValue FunctionProblem::Eval(ir::InstrId id, const ir::Instr& instr) {
  using ir::Opcode;
  switch (instr.op) {
    case Opcode::kConst: {
      AbstractValue v = AbstractValue::Bottom();
      switch (static_cast<ir::ConstKind>(instr.aux)) {
        case ir::ConstKind::kString:
          v.kinds = KindSet::Of(kKindString);
          v.strings = instr.text.size() <= kMaxTrackedString ? ConstStrings::Of(instr.text)
                                                             : ConstStrings::Top();
          if (instr.text.size() <= kMaxTrackedString) {
            v.strings_prov =
                e_.Step(kNoProv, fn_.id, id, absl::StrCat("\"", Shorten(instr.text), "\""));
          }
          return v;
        case ir::ConstKind::kNone:
          v.kinds = KindSet::Of(kKindNone);
          return v;
        case ir::ConstKind::kBytes:
          v.kinds = KindSet::Of(kKindString);
          v.strings = ConstStrings::Top();
          return v;
        case ir::ConstKind::kEllipsis:
          v.kinds = KindSet::Of(kKindObject);
          return v;
        default:
          v.kinds = KindSet::Of(kKindNumber);
          v.grad = Attachment::Detached();
          return v;
      }
    }
    case Opcode::kParam: {
      const auto index = static_cast<size_t>(instr.aux);
      if (index >= fn_.params.size()) return AbstractValue::Top();
      const ir::Param& param = fn_.params[index];
      AbstractValue v = index < c_.info.args.size() ? c_.info.args[index] : AbstractValue::Top();
      if (v.IsBottom()) {
        if (param.kind == ir::ParamKind::kVarArgs) return AbstractValue::OfKind(kKindList);
        if (param.kind == ir::ParamKind::kVarKeywords) return AbstractValue::OfKind(kKindDict);
        if (!param.has_default) return AbstractValue::Top();
        v = e_.ReadCell({CellKind::kDefault, fn_.id.value(), param.name});
        if (v.IsBottom()) return v;  // the definition has not run yet
        v = e_.WithStep(v, fn_.id, id,
                        absl::StrCat("default of parameter `", param.name, "` of ",
                                     e_.FunctionLabel(fn_.id), "()"));
      }
      return v;
    }
    case Opcode::kLoadVar:
      return EvalLoadVar(id, instr);
    case Opcode::kStoreVar:
      EvalStoreVar(id, instr);
      return AbstractValue::Bottom();
    case Opcode::kLoadAttr:
      return EvalLoadAttr(id, instr);
    case Opcode::kStoreAttr:
      EvalStoreAttr(id, instr);
      return AbstractValue::Bottom();
    case Opcode::kLoadSubscript: {
      const AbstractValue obj = Operand(id, 0);
      const AbstractValue key = Operand(id, 1);
      if (fn_.instr(instr.operands[1]).op == ir::Opcode::kBuildSlice) return EvalSlice(id, obj);
      std::optional<std::string> const_key = ConstKeyOf(fn_, instr.operands[1]);
      if (!const_key && key.strings.IsSingleton()) const_key = key.strings.values()[0];
      return EvalSubscript(id, obj, key, const_key);
    }
    case Opcode::kStoreSubscript:
      EvalStoreSubscript(id, instr);
      return AbstractValue::Bottom();
    case Opcode::kBinaryOp:
    case Opcode::kInplaceOp:
      return EvalBinary(id, instr);
    case Opcode::kUnaryOp: {
      AbstractValue x = Operand(id, 0);
      if (instr.text == "not") {
        AbstractValue v = AbstractValue::OfKind(kKindNumber);
        v.grad = Attachment::Detached();
        return v;
      }
      return x;
    }
    case Opcode::kCompare: {
      AbstractValue v = AbstractValue::Bottom();
      v.kinds = KindSet::Of(kKindNumber);
      v.grad = Attachment::Detached();
      return v;
    }
    case Opcode::kCall:
      return EvalCall(id, instr);
    case Opcode::kMakeFunction:
      EvalMakeFunction(id, instr);
      return AbstractValue::OfKind(kKindFunction);
    case Opcode::kMakeClass:
      EvalMakeClass(id, instr);
      return AbstractValue::OfKind(kKindFunction);
    case Opcode::kImport:
      return AbstractValue::OfKind(kKindModule);
    case Opcode::kBuildTuple:
    case Opcode::kBuildList:
    case Opcode::kBuildSet:
    case Opcode::kBuildDict:
      return EvalBuild(id, instr);
    case Opcode::kFormatString:
      return EvalFormat(id, instr);
    case Opcode::kGetIter:
    case Opcode::kForIter: {
      // The iterator stands for its elements; ForIter yields them.
      const AbstractValue iterable = Operand(id, 0);
      if (instr.op == Opcode::kForIter) return iterable;
      if (!iterable.sites.IsTop() && !iterable.sites.IsBottom() &&
          !iterable.kinds.IsTop() && (iterable.MayBe(kKindList) || iterable.MayBe(kKindDict))) {
        AbstractValue items = AbstractValue::Bottom();
        for (SiteId site : iterable.sites.elements()) {
          items = items.Join(e_.ReadCell({CellKind::kHeapItem, site, "*"}));
        }
        return items.IsBottom() ? AbstractValue::Top() : items;
      }
      if (IsTensorLike(iterable) || (!iterable.kinds.IsTop() && iterable.MayBe(kKindModel))) {
        return iterable;
      }
      return AbstractValue::Top();
    }
    case Opcode::kUnpackItem: {
      const AbstractValue seq = Operand(id, 0);
      return EvalSubscript(id, seq, AbstractValue::Top(), absl::StrCat("#", instr.aux));
    }
    case Opcode::kWithEnter:
      return Operand(id, 0);
    case Opcode::kUndefined:
      return AbstractValue::Bottom();
    case Opcode::kPhi: {
      AbstractValue v = AbstractValue::Bottom();
      for (size_t i = 0; i < instr.operands.size(); ++i) v = v.Join(Operand(id, i));
      return v;
    }
    case Opcode::kReturn:
      EvalReturn(id, instr);
      return AbstractValue::Bottom();
    default:
      for (size_t i = 0; i < instr.operands.size(); ++i) Operand(id, i);
      return ir::HasResult(instr.op) ? AbstractValue::Top() : AbstractValue::Bottom();
  }
}

ir::FuncId FunctionProblem::CellOwner(absl::string_view name) const {
  ir::FuncId f = fn_.id;
  while (f.valid()) {
    const ir::Function& fn = e_.program.function(f);
    for (const std::string& cell : fn.cell_vars) {
      if (cell == name) return f;
    }
    f = fn.parent;
  }
  return fn_.parent.valid() ? fn_.parent : fn_.id;
}

AbstractValue FunctionProblem::EvalLoadVar(ir::InstrId id, const ir::Instr& instr) {
  AbstractValue v = AbstractValue::Bottom();
  switch (static_cast<ir::VarScope>(instr.aux)) {
    case ir::VarScope::kGlobal:
      v = e_.ReadCell({CellKind::kGlobal, fn_.module.value(), instr.text});
      break;
    case ir::VarScope::kCell: {
      // The owner's value at our direct call, when the owner told us; else the cell.
      bool bound = false;
      for (const auto& [name, value] : c_.info.cell_values) {
        if (name == instr.text) {
          v = value;
          bound = true;
        }
      }
      if (!bound && state_ != nullptr) {
        // The owner itself reading its own closure variable after binding it here.
        for (size_t k = 0; k < fn_.cell_vars.size(); ++k) {
          if (fn_.cell_vars[k] != instr.text) continue;
          const int32_t held = state_->CellValue(static_cast<int32_t>(k));
          if (held >= 0) {
            v = Val(ir::InstrId(held));
            bound = true;
          }
        }
      }
      if (!bound) v = e_.ReadCell({CellKind::kClosure, CellOwner(instr.text).value(), instr.text});
      break;
    }
    case ir::VarScope::kClass:
      if (fn_.class_of_body.valid()) {
        v = e_.ReadCell({CellKind::kClassAttr, fn_.class_of_body.value(), instr.text});
      }
      break;
    case ir::VarScope::kLocal:
      break;
  }
  if (auto symbol = SymbolValue(id)) {
    // Imports, functions, classes and external names resolve statically.
    if (v.IsBottom() || !symbol->kinds.IsTop()) v = v.Join(*symbol);
  }
  return v.IsBottom() ? AbstractValue::Top() : v;
}

void FunctionProblem::EvalStoreVar(ir::InstrId id, const ir::Instr& instr) {
  if (instr.operands.empty()) return;
  const AbstractValue value = Operand(id, 0);
  switch (static_cast<ir::VarScope>(instr.aux)) {
    case ir::VarScope::kGlobal:
      e_.WriteCell({CellKind::kGlobal, fn_.module.value(), instr.text},
                   e_.WithStep(value, fn_.id, id, absl::StrCat("assigned to global `",
                                                               instr.text, "`")));
      RecordCacheGuard(id, value);
      break;
    case ir::VarScope::kCell:
      e_.WriteCell({CellKind::kClosure, CellOwner(instr.text).value(), instr.text}, value);
      for (size_t k = 0; k < fn_.cell_vars.size() && state_ != nullptr; ++k) {
        if (fn_.cell_vars[k] == instr.text) {
          state_->BindCell(static_cast<int32_t>(k), instr.operands[0].value());
        }
      }
      break;
    case ir::VarScope::kClass:
      if (fn_.class_of_body.valid()) {
        e_.WriteCell({CellKind::kClassAttr, fn_.class_of_body.value(), instr.text},
                     e_.WithStep(value, fn_.id, id,
                                 absl::StrCat("class attribute `", instr.text, "`")));
      }
      break;
    case ir::VarScope::kLocal:
      break;
  }
}

AbstractValue FunctionProblem::EvalLoadAttr(ir::InstrId id, const ir::Instr& instr) {
  const AbstractValue obj = Operand(id, 0);
  AbstractValue v = AbstractValue::Bottom();
  bool known = false;
  // An attribute of an in-repo module: that module's global.
  for (const ir::Symbol& symbol : e_.resolver.Resolve(fn_.id, instr.operands[0])) {
    if (symbol.kind != ir::Symbol::Kind::kModule || !symbol.module.valid()) continue;
    known = true;
    v = v.Join(e_.WithStep(e_.ReadCell({CellKind::kGlobal, symbol.module.value(), instr.text}),
                           fn_.id, id,
                           absl::StrCat("read `", e_.program.module(symbol.module).name, ".",
                                        instr.text, "`")));
  }
  // Attributes of abstract objects: heap cells, then class attributes through the MRO.
  if (!obj.sites.IsTop()) {
    for (SiteId site : obj.sites.elements()) {
      AbstractValue attr = e_.ReadCell({CellKind::kHeapAttr, site, instr.text});
      const Site& s = e_.sites[static_cast<size_t>(site)];
      if (attr.IsBottom() && s.kind == Site::Kind::kInstance) {
        for (ir::ClassId cls : e_.resolver.Mro(s.cls)) {
          attr = e_.ReadCell({CellKind::kClassAttr, cls.value(), instr.text});
          if (!attr.IsBottom()) break;
        }
        if (!attr.IsBottom() && e_.ClassIsDataclass(s.cls)) {
          attr.strings = attr.strings.WithOverridable(true);
        }
      }
      if (!attr.IsBottom()) {
        known = true;
        v = v.Join(attr);
      }
    }
  }
  if (auto builtin = BuiltinAttr(id, obj, instr.text)) {
    known = true;
    v = v.Join(*builtin);
  }
  if (auto symbol = SymbolValue(id)) {
    if (!known || !symbol->kinds.IsTop()) {
      known = true;
      v = v.Join(*symbol);
    }
  }
  return known && !v.IsBottom() ? v : AbstractValue::Top();
}

void FunctionProblem::EvalStoreAttr(ir::InstrId id, const ir::Instr& instr) {
  if (instr.operands.size() < 2) return;
  const AbstractValue obj = Operand(id, 0);
  const AbstractValue value = Operand(id, 1);
  for (const ir::Symbol& symbol : e_.resolver.Resolve(fn_.id, instr.operands[0])) {
    if (symbol.kind == ir::Symbol::Kind::kModule && symbol.module.valid()) {
      e_.WriteCell({CellKind::kGlobal, symbol.module.value(), instr.text}, value);
    }
  }
  if (obj.sites.IsTop() || obj.sites.IsBottom()) return;
  const AbstractValue stored =
      e_.WithStep(value, fn_.id, id, absl::StrCat("stored in attribute `.", instr.text, "`"));
  for (SiteId site : obj.sites.elements()) {
    e_.WriteCell({CellKind::kHeapAttr, site, instr.text}, stored);
  }
  RecordCacheGuard(id, value);
}

AbstractValue FunctionProblem::EvalSubscript(ir::InstrId id, const AbstractValue& obj,
                                             const AbstractValue& key,
                                             std::optional<std::string> const_key) {
  if (obj.kinds.IsTop() && (obj.sites.IsTop() || obj.sites.IsBottom())) {
    return AbstractValue::Top();
  }
  AbstractValue v = AbstractValue::Bottom();
  bool known = false;
  if (!obj.sites.IsTop()) {
    for (SiteId site : obj.sites.elements()) {
      const Site& s = e_.sites[static_cast<size_t>(site)];
      if (s.kind != Site::Kind::kContainer && s.kind != Site::Kind::kOther &&
          s.kind != Site::Kind::kUnknownParam) {
        continue;
      }
      AbstractValue item = const_key
                               ? e_.ReadCell({CellKind::kHeapItem, site, *const_key})
                                     .Join(e_.ReadCell({CellKind::kHeapItem, site, "?"}))
                               : e_.ReadCell({CellKind::kHeapItem, site, "*"});
      if (s.kind == Site::Kind::kContainer || !item.IsBottom()) known = true;
      v = v.Join(item);
    }
  }
  if (!obj.kinds.IsTop()) {
    // Indexing a tensor or a model output keeps its facts; a ModuleList index is a submodule;
    // parse_known_args()[0] is the namespace itself.
    if (obj.MayBe(kKindTensor) || obj.MayBe(kKindModel) || obj.MayBe(kKindArgParser)) {
      AbstractValue part = obj;
      part.kinds = KindSet::Of(obj.kinds.bits() &
                               (kKindTensor | kKindLoss | kKindModel | kKindArgParser));
      v = v.Join(part);
      known = true;
    }
  }
  if (!known) return AbstractValue::Top();
  if (v.IsBottom()) return AbstractValue::Top();  // an empty container read: nothing known yet
  return v;
}

AbstractValue FunctionProblem::EvalSlice(ir::InstrId id, const AbstractValue& obj) {
  // A slice of a container is a new container holding some of its elements (positions lost);
  // a slice of a tensor or model keeps their facts.
  if (obj.kinds.IsTop() || obj.MayBe(kKindTensor) || obj.MayBe(kKindModel) ||
      obj.sites.IsTop() || obj.sites.IsBottom()) {
    return obj.kinds.IsTop() ? AbstractValue::Top() : obj;
  }
  Site site;
  site.kind = Site::Kind::kContainer;
  site.fn = fn_.id;
  site.instr = id;
  site.name = "slice";
  const SiteId sid =
      e_.InternSite(absl::StrCat("slice:", fn_.id.value(), ":", id.value()), std::move(site));
  for (SiteId from : obj.sites.elements()) {
    const AbstractValue all = e_.ReadCell({CellKind::kHeapItem, from, "*"});
    e_.WriteCell({CellKind::kHeapItem, sid, "?"}, all);
    e_.WriteCell({CellKind::kHeapItem, sid, "*"}, all);
  }
  AbstractValue v = obj;
  v.sites = SiteSet::Of(sid);
  return v;
}

void FunctionProblem::EvalStoreSubscript(ir::InstrId id, const ir::Instr& instr) {
  if (instr.operands.size() < 3) return;
  const AbstractValue obj = Operand(id, 0);
  const AbstractValue key = Operand(id, 1);
  const AbstractValue value = Operand(id, 2);
  if (obj.sites.IsTop() || obj.sites.IsBottom()) return;
  std::optional<std::string> const_key = ConstKeyOf(fn_, instr.operands[1]);
  if (!const_key && key.strings.IsSingleton()) const_key = key.strings.values()[0];
  for (SiteId site : obj.sites.elements()) {
    e_.WriteCell({CellKind::kHeapItem, site, const_key ? *const_key : "?"}, value);
    e_.WriteCell({CellKind::kHeapItem, site, "*"}, value);
  }
  RecordCacheGuard(id, value);
}

AbstractValue FunctionProblem::EvalBinary(ir::InstrId id, const ir::Instr& instr) {
  const AbstractValue a = Operand(id, 0);
  const AbstractValue b = Operand(id, 1);
  if (IsTensorLike(a) || IsTensorLike(b)) {
    // Arithmetic on tensors: attached if an input is and grad is enabled here.
    AbstractValue v = AbstractValue::Bottom();
    uint32_t kinds = kKindTensor;
    if ((IsTensorLike(a) && a.MayBe(kKindLoss)) || (IsTensorLike(b) && b.MayBe(kKindLoss))) {
      kinds |= kKindLoss;
    }
    if (a.kinds.IsTop() || b.kinds.IsTop()) kinds = KindSet::kAll;
    v.kinds = KindSet::Of(kinds);
    Attachment grad = Attachment::Bottom();
    for (const AbstractValue* x : {&a, &b}) {
      if (x->kinds.IsTop() || x->MayBe(kKindTensor)) grad = grad.Combine(x->grad);
    }
    if (mode_.DefinitelyDisabled()) grad = Attachment::Detached();
    v.grad = grad.IsBottom() ? Attachment::Top() : grad;
    v.grad_prov = IsTensorLike(a) && a.grad.MayBeAttached() ? a.grad_prov : b.grad_prov;
    v.device = a.device.Join(b.device);
    v.device_prov = a.device.HasValue() ? a.device_prov : b.device_prov;
    v.dtype = IsTensorLike(a) && IsTensorLike(b) ? a.dtype.Join(b.dtype)
                                                 : (IsTensorLike(a) ? a.dtype : b.dtype);
    v.dtype_prov = IsTensorLike(a) ? a.dtype_prov : b.dtype_prov;
    v.sites = SiteSet::Bottom();
    v.strings = ConstStrings::Bottom();
    v.ctx_mode = GradMode::Bottom();
    if (a.kinds.IsTop() || b.kinds.IsTop()) {
      v.sites = SiteSet::Top();
      v.strings = ConstStrings::Top();
    }
    return v;
  }
  if (!a.kinds.IsTop() && !b.kinds.IsTop() && a.kinds.Only(kKindString) &&
      b.kinds.Only(kKindString) && instr.text == "+") {
    AbstractValue v = AbstractValue::Bottom();
    v.kinds = KindSet::Of(kKindString);
    v.strings = a.strings.Concat(b.strings);
    v.strings_prov = a.strings_prov != kNoProv ? a.strings_prov : b.strings_prov;
    return v;
  }
  if (!a.kinds.IsTop() && !b.kinds.IsTop() && a.kinds.Only(kKindNumber) &&
      b.kinds.Only(kKindNumber)) {
    AbstractValue v = AbstractValue::Bottom();
    v.kinds = KindSet::Of(kKindNumber);
    v.grad = Attachment::Detached();
    return v;
  }
  if (!a.kinds.IsTop() && !b.kinds.IsTop() && a.kinds.Only(kKindList) &&
      b.kinds.Only(kKindList)) {
    AbstractValue v = a.Join(b);  // list concatenation: elements of both
    return v;
  }
  return AbstractValue::Top();
}

AbstractValue FunctionProblem::EvalBuild(ir::InstrId id, const ir::Instr& instr) {
  const bool is_dict = instr.op == ir::Opcode::kBuildDict;
  Site site;
  site.kind = Site::Kind::kContainer;
  site.fn = fn_.id;
  site.instr = id;
  site.name = is_dict ? "dict" : "list";
  const SiteId sid =
      e_.InternSite(absl::StrCat("build:", fn_.id.value(), ":", id.value()), std::move(site));
  if (is_dict) {
    for (size_t pair = 0; 2 * pair + 1 < instr.operands.size(); ++pair) {
      const bool dstar = pair < instr.arg_names.size() && instr.arg_names[pair] == "**";
      const AbstractValue key = Operand(id, 2 * pair);
      const AbstractValue value = Operand(id, 2 * pair + 1);
      if (dstar) {
        // {**other}: copy what is known of the other mapping under "?" (keys unknown here).
        if (!value.sites.IsTop()) {
          for (SiteId other : value.sites.elements()) {
            const AbstractValue all = e_.ReadCell({CellKind::kHeapItem, other, "*"});
            e_.WriteCell({CellKind::kHeapItem, sid, "?"}, all);
            e_.WriteCell({CellKind::kHeapItem, sid, "*"}, all);
          }
        }
        continue;
      }
      std::optional<std::string> const_key = ConstKeyOf(fn_, instr.operands[2 * pair]);
      if (!const_key && key.strings.IsSingleton()) const_key = key.strings.values()[0];
      e_.WriteCell({CellKind::kHeapItem, sid, const_key ? *const_key : "?"}, value);
      e_.WriteCell({CellKind::kHeapItem, sid, "*"}, value);
    }
  } else {
    bool starred_before = false;
    for (size_t i = 0; i < instr.operands.size(); ++i) {
      const bool starred = i < instr.arg_names.size() && instr.arg_names[i] == "*";
      AbstractValue value = Operand(id, i);
      if (starred) {
        starred_before = true;
        value = EvalSubscript(id, value, AbstractValue::Top(), std::nullopt);
      }
      const std::string key = starred || starred_before ? "?" : absl::StrCat("#", i);
      e_.WriteCell({CellKind::kHeapItem, sid, key}, value);
      e_.WriteCell({CellKind::kHeapItem, sid, "*"}, value);
    }
  }
  AbstractValue v = AbstractValue::Bottom();
  v.kinds = KindSet::Of(is_dict ? kKindDict : kKindList);
  v.sites = SiteSet::Of(sid);
  return v;
}

AbstractValue FunctionProblem::EvalFormat(ir::InstrId id, const ir::Instr& instr) {
  // Split the template at each "{}" and splice in the parts' possible strings.
  std::vector<std::string> literals = {""};
  for (size_t i = 0; i < instr.text.size(); ++i) {
    if (instr.text[i] == '{' && i + 1 < instr.text.size() && instr.text[i + 1] == '}') {
      literals.emplace_back();
      ++i;
      continue;
    }
    literals.back().push_back(instr.text[i]);
  }
  ConstStrings result = ConstStrings::Of(literals[0]);
  ProvId prov = kNoProv;
  for (size_t i = 0; i < instr.operands.size(); ++i) {
    const AbstractValue part = Operand(id, i);
    ConstStrings piece;
    if (!part.kinds.IsTop() && part.kinds.Only(kKindString) && !part.strings.IsTop() &&
        !part.strings.IsBottom()) {
      piece = part.strings;
      if (prov == kNoProv) prov = part.strings_prov;
    } else {
      piece = ConstStrings::Of("{?}", false, /*partial=*/true);
    }
    result = result.Concat(piece);
    if (i + 1 < literals.size()) result = result.Concat(ConstStrings::Of(literals[i + 1]));
  }
  AbstractValue v = AbstractValue::Bottom();
  v.kinds = KindSet::Of(kKindString);
  v.strings = result;
  if (!result.IsTop()) {
    v.strings_prov = e_.Step(prov, fn_.id, id, "f-string");
  }
  return v;
}

void FunctionProblem::EvalReturn(ir::InstrId id, const ir::Instr& instr) {
  AbstractValue v = instr.operands.empty() ? AbstractValue::Bottom() : Operand(id, 0);
  if (v.IsBottom() && instr.operands.empty()) v.kinds = KindSet::Of(kKindNone);
  c_.ret = c_.ret.Join(v);
  const bool first_return = !c_.returns;
  c_.returns = true;
  for (size_t i = 0; i < param_instrs_.size(); ++i) {
    if (!param_instrs_[i].valid() || state_ == nullptr) continue;
    const Refinement* r = state_->Find(param_instrs_[i].value());
    std::optional<Refinement>& slot = c_.param_exit[i];
    if (r == nullptr) {
      if (slot) slot->partial = true;
      continue;
    }
    if (!slot) {
      slot = *r;
      if (!first_return) slot->partial = true;
    } else {
      slot->refined = slot->refined.Join(r->refined);
      slot->partial = slot->partial || r->partial;
    }
  }
}

void FunctionProblem::EvalMakeFunction(ir::InstrId id, const ir::Instr& instr) {
  const ir::FuncId callee(instr.aux);
  if (!callee.valid() || callee.index() >= e_.program.functions().size()) return;
  for (size_t i = 0; i < instr.operands.size() && i < instr.arg_names.size(); ++i) {
    const std::string& name = instr.arg_names[i];
    if (name.rfind("cell:", 0) == 0) continue;
    const AbstractValue value = Operand(id, i);
    e_.WriteCell({CellKind::kDefault, callee.value(), name}, value);
  }
}

void FunctionProblem::EvalMakeClass(ir::InstrId id, const ir::Instr& instr) {
  for (size_t i = 0; i < instr.operands.size(); ++i) Operand(id, i);
  const ir::ClassId cls(instr.aux);
  if (!cls.valid() || cls.index() >= e_.program.classes().size()) return;
  const ir::FuncId body = e_.program.klass(cls).body;
  if (!body.valid()) return;
  // The class body runs here, once, in this grad mode.
  const ContextId callee = e_.ContextFor(body, mode_, {}, /*is_hook=*/false);
  e_.ctx(callee).summary_readers.insert(id_);
  if (!e_.ctx(callee).analyzed || e_.ctx(callee).dirty) e_.Analyze(callee);
  c_.callees_at[id.value()] = {callee};
}

bool SolveContext(Engine& engine, ContextId id) {
  ContextData& c = engine.ctx(id);
  const ir::Function& fn = engine.program.function(c.info.fn);
  FunctionProblem problem(engine, id);
  const SolverResult<FlowState> result =
      Solve(fn, engine.funcs[fn.id.index()].order, problem);
  return result.converged && !problem.aborted();
}

}  // namespace flopscope::dataflow::internal
