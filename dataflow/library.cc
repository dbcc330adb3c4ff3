// What library code does to the ML facts: external functions by resolved qualified name
// (torch, transformers, transformer_lens, argparse, os, copy, builtins) and methods of abstract
// values (model.to(...), tensor.detach(), parser.add_argument(...), list.append(...)).
//
//   before: model {site L, cpu, fp32}        model.to("cuda", dtype=torch.bfloat16)
//   after:  model {site L, cuda, bf16}       (in place: later uses of `model` see it too)
//
//   before: out {tensor, attached}           out.detach() / .item() / .tolist() / .numpy()
//   after:  {tensor|number|list, detached}
#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "dataflow/transfer.h"

namespace flopscope::dataflow::internal {
namespace {

bool OneOf(absl::string_view name, std::initializer_list<absl::string_view> options) {
  return std::find(options.begin(), options.end(), name) != options.end();
}

AbstractValue Plain(uint32_t kinds) {
  AbstractValue v = AbstractValue::Bottom();
  v.kinds = KindSet::Of(kinds);
  return v;
}

AbstractValue Detached(uint32_t kinds) {
  AbstractValue v = Plain(kinds);
  v.grad = Attachment::Detached();
  return v;
}

// The boolean a constant argument spells, if it is a literal True/False.
std::optional<bool> ConstBool(const ir::Function& fn, ir::InstrId value) {
  if (!value.valid()) return std::nullopt;
  const ir::Instr& instr = fn.instr(value);
  if (instr.op != ir::Opcode::kConst || static_cast<ir::ConstKind>(instr.aux) != ir::ConstKind::kBool) {
    return std::nullopt;
  }
  return instr.text == "True";
}

struct DeviceFact {
  DeviceDomain device;
  ProvId prov;
};
struct DTypeFact {
  DTypeDomain dtype;
  ProvId prov;
};

// A device named by an argument: torch.device(...), a device string (through any constant
// propagation), a tensor (its device), or an int (cuda index, literal only).
std::optional<DeviceFact> DeviceOf(const AbstractValue& v) {
  if (v.kinds.IsTop() && v.strings.IsTop() && !v.device.HasValue()) return std::nullopt;
  if (!v.kinds.IsTop() && v.kinds.Only(kKindDeviceObj) && !v.device.IsBottom()) {
    return DeviceFact{v.device, v.device_prov};
  }
  if (!v.strings.IsTop() && !v.strings.IsBottom() && !v.strings.partial()) {
    DeviceDomain d = DeviceDomain::Bottom();
    for (const std::string& s : v.strings.values()) {
      const auto parsed = ParseDevice(s);
      if (!parsed) return std::nullopt;
      d = d.Join(DeviceDomain::Of(*parsed));
    }
    return DeviceFact{d, v.strings_prov};
  }
  if (!v.kinds.IsTop() && v.MayBe(kKindTensor) && !v.device.IsBottom()) {
    return DeviceFact{v.device, v.device_prov};
  }
  if (v.kinds.IsTop() || v.MayBe(kKindDeviceObj)) return DeviceFact{DeviceDomain::Top(), kNoProv};
  return std::nullopt;
}

std::optional<DTypeFact> DTypeOf(const AbstractValue& v) {
  if (!v.kinds.IsTop() && v.kinds.Only(kKindDTypeObj) && !v.dtype.IsBottom()) {
    return DTypeFact{v.dtype, v.dtype_prov};
  }
  if (!v.kinds.IsTop() && v.MayBe(kKindString) && !v.strings.IsTop() &&
      !v.strings.IsBottom() && !v.strings.partial()) {
    DTypeDomain d = DTypeDomain::Bottom();
    for (const std::string& s : v.strings.values()) {
      const auto parsed = ParseDType(s);
      if (!parsed) return std::nullopt;
      d = d.Join(DTypeDomain::Of(*parsed));
    }
    return DTypeFact{d, v.strings_prov};
  }
  if (!v.kinds.IsTop() && v.MayBe(kKindTensor) && !v.dtype.IsBottom()) {
    return DTypeFact{v.dtype, v.dtype_prov};
  }
  if (v.kinds.IsTop() || v.MayBe(kKindDTypeObj)) return DTypeFact{DTypeDomain::Top(), kNoProv};
  return std::nullopt;
}

bool IsLossFunction(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, "torch.nn.functional.")) return false;
  return absl::EndsWith(name, "_loss") || absl::EndsWith(name, "cross_entropy") ||
         OneOf(name, {"kl_div", "nll_loss", "mse_loss", "l1_loss", "binary_cross_entropy",
                      "binary_cross_entropy_with_logits", "cosine_embedding_loss"});
}

bool IsTensorFactory(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, "torch.")) return false;
  return OneOf(name, {"tensor", "as_tensor", "zeros", "ones", "empty", "full", "rand", "randn",
                      "randint", "arange", "linspace", "eye", "from_numpy", "randperm",
                      "zeros_like", "ones_like", "empty_like", "full_like", "rand_like",
                      "randn_like"});
}

// torch.* callables that are not tensor operations.
bool IsTorchNonTensorApi(absl::string_view name) {
  return absl::StartsWith(name, "torch.cuda.") || absl::StartsWith(name, "torch.backends.") ||
         absl::StartsWith(name, "torch.distributed.") || absl::StartsWith(name, "torch.utils.") ||
         absl::StartsWith(name, "torch.optim.") || absl::StartsWith(name, "torch.jit.") ||
         OneOf(name, {"torch.save", "torch.manual_seed", "torch.set_num_threads",
                      "torch.set_default_dtype", "torch.compile", "torch.is_tensor",
                      "torch.numel", "torch.set_printoptions", "torch.use_deterministic_algorithms",
                      "torch.is_grad_enabled", "torch.get_default_dtype"});
}

bool IsCapitalized(absl::string_view segment) {
  return !segment.empty() && absl::ascii_isupper(static_cast<unsigned char>(segment[0]));
}

absl::string_view LastSegment(absl::string_view name) {
  const size_t dot = name.rfind('.');
  return dot == absl::string_view::npos ? name : name.substr(dot + 1);
}

}  // namespace

std::optional<AbstractValue> FunctionProblem::SymbolValue(ir::InstrId id) {
  const std::vector<ir::Symbol>& symbols = e_.resolver.Resolve(fn_.id, id);
  if (symbols.empty()) return std::nullopt;
  AbstractValue v = AbstractValue::Bottom();
  for (const ir::Symbol& s : symbols) {
    switch (s.kind) {
      case ir::Symbol::Kind::kUnknown:
      case ir::Symbol::Kind::kInstance:
        return std::nullopt;  // dataflow knows more than "some instance"
      case ir::Symbol::Kind::kModule:
        v = v.Join(Plain(kKindModule));
        break;
      case ir::Symbol::Kind::kFunction:
      case ir::Symbol::Kind::kClass:
      case ir::Symbol::Kind::kBoundMethod:
      case ir::Symbol::Kind::kSuper:
      case ir::Symbol::Kind::kBuiltin:
        v = v.Join(Plain(kKindFunction));
        break;
      case ir::Symbol::Kind::kExternal: {
        if (absl::StrContains(s.name, "()")) return std::nullopt;  // a call result: ours
        if (auto dtype = DTypeFromQualifiedName(s.name)) {
          AbstractValue d = Plain(kKindDTypeObj);
          d.dtype = DTypeDomain::Of(*dtype);
          v = v.Join(Made(d, id, s.name));
          break;
        }
        if (s.name == "os.environ") {
          AbstractValue env = Plain(kKindDict);
          env.strings = ConstStrings::Top();
          v = v.Join(env);
          break;
        }
        return std::nullopt;  // an external object: we do not know what it is
      }
    }
  }
  return v;
}

std::optional<AbstractValue> FunctionProblem::BuiltinAttr(ir::InstrId id,
                                                          const AbstractValue& obj,
                                                          absl::string_view name) {
  if (obj.kinds.IsTop() || obj.IsBottom()) return std::nullopt;
  if (name == "device" && (obj.MayBe(kKindModel) || obj.MayBe(kKindTensor))) {
    AbstractValue d = Plain(kKindDeviceObj);
    d.device = obj.device;
    d.device_prov = obj.device_prov;
    return d;
  }
  if (name == "dtype" && (obj.MayBe(kKindModel) || obj.MayBe(kKindTensor))) {
    AbstractValue d = Plain(kKindDTypeObj);
    d.dtype = obj.dtype;
    d.dtype_prov = obj.dtype_prov;
    return d;
  }
  if (obj.MayBe(kKindTensor) && !obj.MayBe(kKindModel)) {
    if (OneOf(name, {"grad", "data"})) {
      AbstractValue t = obj;
      t.kinds = KindSet::Of(kKindTensor);
      t.grad = Attachment::Detached();
      return Made(t, id, absl::StrCat(".", name, " holds no graph"));
    }
    if (OneOf(name, {"shape", "ndim", "requires_grad", "is_cuda", "is_leaf"})) {
      return Detached(kKindNumber);
    }
    AbstractValue t = obj;  // .logits, .loss, .last_hidden_state, .hidden_states, .T ...
    t.kinds = KindSet::Of(name == "loss" ? (kKindTensor | kKindLoss)
                                         : (obj.kinds.bits() & (kKindTensor | kKindLoss)));
    if (name != "loss") t.kinds = KindSet::Of(kKindTensor);
    return t;
  }
  if (obj.MayBe(kKindModel)) {
    if (OneOf(name, {"weight", "bias"})) {
      AbstractValue t = obj;  // a parameter: a leaf, no graph of its own
      t.kinds = KindSet::Of(kKindTensor);
      t.grad = Attachment::Detached();
      return t;
    }
    if (OneOf(name, {"config", "generation_config"})) return Plain(kKindObject);
    if (OneOf(name, {"training"})) return Detached(kKindNumber);
    AbstractValue sub = obj;  // a submodule is part of the same model
    sub.kinds = KindSet::Of(kKindModel);
    return sub;
  }
  return std::nullopt;
}

std::optional<AbstractValue> FunctionProblem::ExternalCall(ir::InstrId id,
                                                           const std::string& name,
                                                           const CallArgs& args) {
  // Grad-mode context managers.
  if (OneOf(name, {"torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad",
                   "torch.autograd.grad_mode.no_grad", "torch.autograd.inference_mode",
                   "torch.autograd.grad_mode.inference_mode"})) {
    AbstractValue v = Plain(kKindGradContext);
    v.ctx_mode = GradMode::Disabled();
    return v;
  }
  if (OneOf(name, {"torch.enable_grad", "torch.autograd.enable_grad"})) {
    AbstractValue v = Plain(kKindGradContext);
    v.ctx_mode = GradMode::Enabled();
    return v;
  }
  if (OneOf(name, {"torch.set_grad_enabled", "torch.autograd.set_grad_enabled",
                   "torch.autograd.grad_mode.set_grad_enabled"})) {
    GradMode mode = GradMode::Top();
    if (const CallArg* arg = args.Get(0, "mode")) {
      if (auto b = ConstBool(fn_, arg->instr)) {
        mode = *b ? GradMode::Enabled() : GradMode::Disabled();
      }
    }
    AbstractValue v = Plain(kKindGradContext);
    v.ctx_mode = mode;
    // As a plain statement it switches grad mode from here on; under `with` the region does.
    if (!info_.entered_by_with.contains(id.value()) && state_ != nullptr) state_->set_mode(mode);
    return v;
  }
  if (name == "contextlib.nullcontext") return Plain(kKindObject);

  // Model loaders and tokenizers.
  if (const LoaderKind loader = ClassifyLoader(name); loader != LoaderKind::kNone) {
    return LoadModel(id, name, loader, args);
  }
  if (IsTokenizerLoader(name)) {
    AbstractValue v = Plain(kKindTokenizer);
    return Made(v, id, absl::StrCat(name, "()"));
  }
  if (name == "transformers.BitsAndBytesConfig") {
    AbstractValue v = Plain(kKindObject);
    if (const CallArg* a = args.Keyword("load_in_4bit"); a && ConstBool(fn_, a->instr) == true) {
      v.dtype = DTypeDomain::Of(DType::kInt4);
    } else if (const CallArg* b = args.Keyword("load_in_8bit");
               b && ConstBool(fn_, b->instr) == true) {
      v.dtype = DTypeDomain::Of(DType::kInt8);
    } else {
      v.dtype = DTypeDomain::Top();
    }
    return Made(v, id, "BitsAndBytesConfig(...)");
  }

  // Devices, dtypes and tensors.
  if (name == "torch.device") {
    AbstractValue v = Plain(kKindDeviceObj);
    v.device = DeviceDomain::Top();
    if (const CallArg* arg = args.Get(0, "type")) {
      if (auto d = DeviceOf(arg->value)) {
        v.device = d->device;
        v.device_prov = d->prov != kNoProv ? e_.Step(d->prov, fn_.id, id, "torch.device(...)")
                                           : kNoProv;
      }
    }
    return v;
  }
  if (IsTensorFactory(name)) {
    AbstractValue v = Detached(kKindTensor);
    const bool like = absl::EndsWith(name, "_like");
    const AbstractValue* source = like && !args.positional.empty() ? &args.positional[0].value
                                                                    : nullptr;
    v.device = source ? source->device : DeviceDomain::Cpu();
    v.dtype = source ? source->dtype
                     : (OneOf(name, {"torch.tensor", "torch.as_tensor", "torch.from_numpy",
                                     "torch.randint", "torch.arange", "torch.randperm"})
                            ? DTypeDomain::Top()
                            : DTypeDomain::Of(DType::kFloat32));
    v = Made(v, id, absl::StrCat(name, "(...)"));
    if (const CallArg* d = args.Keyword("device")) {
      if (auto dev = DeviceOf(d->value)) {
        v.device = dev->device;
        v.device_prov = e_.Step(dev->prov, fn_.id, id, "device= argument");
      }
    }
    if (const CallArg* t = args.Keyword("dtype")) {
      if (auto dt = DTypeOf(t->value)) {
        v.dtype = dt->dtype;
        v.dtype_prov = e_.Step(dt->prov, fn_.id, id, "dtype= argument");
      }
    }
    return v;
  }
  if (name == "torch.save") return Plain(kKindNone);
  if (absl::StartsWith(name, "torch.nn.") && !absl::StartsWith(name, "torch.nn.functional.") &&
      IsCapitalized(LastSegment(name)) && !absl::StartsWith(name, "torch.nn.utils.") &&
      !absl::StartsWith(name, "torch.nn.init.") && name != "torch.nn.Parameter") {
    Site site;
    site.kind = Site::Kind::kNnModule;
    site.fn = fn_.id;
    site.instr = id;
    site.name = name;
    site.is_model = true;
    site.is_loss_module = absl::EndsWith(name, "Loss");
    const SiteId sid =
        e_.InternSite(absl::StrCat("nn:", fn_.id.value(), ":", id.value()), std::move(site));
    AbstractValue v = Plain(kKindModel);
    v.sites = SiteSet::Of(sid);
    v.device = DeviceDomain::Cpu();
    v.dtype = DTypeDomain::Of(DType::kFloat32);
    return Made(v, id, absl::StrCat(name, "(...)"));
  }
  if (absl::StartsWith(name, "torch.optim.") && IsCapitalized(LastSegment(name)) &&
      !absl::StartsWith(name, "torch.optim.lr_scheduler.")) {
    Site site;
    site.kind = Site::Kind::kOptimizer;
    site.fn = fn_.id;
    site.instr = id;
    site.name = name;
    const SiteId sid =
        e_.InternSite(absl::StrCat("optim:", fn_.id.value(), ":", id.value()), std::move(site));
    OptimizerUse use;
    use.context = id_;
    use.fn = fn_.id;
    use.site = id;
    if (const CallArg* params = args.Get(0, "params")) use.model_sites = params->value.sites;
    c_.optimizers[id.value()] = use;
    AbstractValue v = Plain(kKindOptimizer);
    v.sites = SiteSet::Of(sid);
    return Made(v, id, absl::StrCat(name, "(...)"));
  }
  if (absl::StartsWith(name, "torch.") && !IsTorchNonTensorApi(name) &&
      !IsCapitalized(LastSegment(name))) {
    // A tensor operation: attached if an input may be and grad is enabled here.
    AbstractValue v = Plain(IsLossFunction(name) ? (kKindTensor | kKindLoss) : kKindTensor);
    Attachment grad = Attachment::Bottom();
    DeviceDomain device = DeviceDomain::Bottom();
    DTypeDomain dtype = DTypeDomain::Bottom();
    ProvId grad_prov = kNoProv, device_prov = kNoProv;
    auto visit = [&](const AbstractValue& a) {
      if (!a.kinds.IsTop() && !a.MayBe(kKindTensor) && !a.MayBe(kKindList)) return;
      grad = grad.Combine(a.kinds.IsTop() ? Attachment::Top() : a.grad);
      if (grad_prov == kNoProv && a.grad.MayBeAttached()) grad_prov = a.grad_prov;
      device = device.Join(a.device);
      if (device_prov == kNoProv) device_prov = a.device_prov;
      dtype = dtype.Join(a.dtype);
    };
    // A list whose items are not written yet (an accumulator filled later in a loop that the
    // solver has not visited yet) contributes nothing for now: answering Top here would stick,
    // since a result slot only grows. The call is re-evaluated when the items are written.
    bool only_unwritten_items = false;
    for (const CallArg& a : args.positional) {
      if (!a.value.kinds.IsTop() && a.value.MayBe(kKindList) && !a.value.sites.IsTop()) {
        for (SiteId site : a.value.sites.elements()) {
          const AbstractValue items = e_.ReadCell({CellKind::kHeapItem, site, "*"});
          if (items.IsBottom()) {
            only_unwritten_items = true;
            continue;
          }
          visit(items);
        }
      } else {
        visit(a.value);
      }
    }
    if (!device.IsBottom() || !dtype.IsBottom() || !grad.IsBottom()) only_unwritten_items = false;
    if (mode_.DefinitelyDisabled()) grad = Attachment::Detached();
    v.grad = grad.IsBottom() && !only_unwritten_items ? Attachment::Detached() : grad;
    v.grad_prov = grad_prov;
    v.device = device.IsBottom() && !only_unwritten_items ? DeviceDomain::Top() : device;
    v.device_prov = device_prov;
    v.dtype = dtype.IsBottom() && !only_unwritten_items ? DTypeDomain::Top() : dtype;
    return v;
  }

  // Python and the standard library.
  if (name == "copy.deepcopy" || name == "copy.copy") {
    if (const CallArg* arg = args.Positional(0)) {
      return e_.WithStep(arg->value, fn_.id, id, absl::StrCat(name, "(...)"));
    }
  }
  if (name == "os.environ.get" || name == "os.getenv") {
    AbstractValue v = Plain(kKindString | kKindNone);
    v.strings = ConstStrings::Top();
    if (const CallArg* def = args.Get(1, "default")) {
      v = def->value;
      v.kinds = v.kinds.Join(KindSet::Of(kKindString));
      v.strings = v.strings.WithOverridable(true);
      std::string var = "an environment variable";
      if (const CallArg* key = args.Get(0, "key"); key && key->value.strings.IsSingleton()) {
        var = absl::StrCat("$", key->value.strings.values()[0]);
      }
      v.strings_prov = e_.Step(v.strings_prov, fn_.id, id,
                               absl::StrCat("default of ", var, " (overridable)"));
    }
    return v;
  }
  if (name == "argparse.ArgumentParser") {
    Site site;
    site.kind = Site::Kind::kArgParser;
    site.fn = fn_.id;
    site.instr = id;
    site.name = name;
    const SiteId sid =
        e_.InternSite(absl::StrCat("argparse:", fn_.id.value(), ":", id.value()), std::move(site));
    AbstractValue v = Plain(kKindArgParser);
    v.sites = SiteSet::Of(sid);
    return v;
  }
  if (OneOf(name, {"<builtin>.float", "<builtin>.int", "<builtin>.bool", "<builtin>.len",
                   "<builtin>.isinstance", "<builtin>.hasattr", "<builtin>.round",
                   "<builtin>.abs"})) {
    return Detached(kKindNumber);
  }
  if (OneOf(name, {"<builtin>.str", "<builtin>.repr"})) {
    AbstractValue v = Detached(kKindString);
    v.strings = ConstStrings::Top();
    return v;
  }
  if (name == "<builtin>.print") return Plain(kKindNone);
  if (OneOf(name, {"<builtin>.list", "<builtin>.tuple", "<builtin>.set", "<builtin>.sorted",
                   "<builtin>.dict"})) {
    // A fresh container holding the argument's elements.
    Site site;
    site.kind = Site::Kind::kContainer;
    site.fn = fn_.id;
    site.instr = id;
    site.name = std::string(LastSegment(name));
    const SiteId sid =
        e_.InternSite(absl::StrCat("build:", fn_.id.value(), ":", id.value()), std::move(site));
    if (const CallArg* arg = args.Positional(0)) {
      if (!arg->value.sites.IsTop()) {
        for (SiteId other : arg->value.sites.elements()) {
          const AbstractValue all = e_.ReadCell({CellKind::kHeapItem, other, "*"});
          e_.WriteCell({CellKind::kHeapItem, sid, "?"}, all);
          e_.WriteCell({CellKind::kHeapItem, sid, "*"}, all);
        }
      }
    }
    for (const CallArg& kw : args.keyword) {
      e_.WriteCell({CellKind::kHeapItem, sid, kw.name}, kw.value);
      e_.WriteCell({CellKind::kHeapItem, sid, "*"}, kw.value);
    }
    AbstractValue v = Plain(name == "<builtin>.dict" ? kKindDict : kKindList);
    v.sites = SiteSet::Of(sid);
    return v;
  }
  if (OneOf(name, {"<builtin>.enumerate", "<builtin>.zip", "<builtin>.reversed", "<builtin>.iter",
                   "<builtin>.filter"})) {
    // Iterators over the arguments' elements; enumerate/zip yield tuples of them.
    std::vector<AbstractValue> parts;
    if (name == "<builtin>.enumerate") parts.push_back(Detached(kKindNumber));
    const size_t first = name == "<builtin>.filter" ? 1 : 0;
    for (size_t i = first; i < args.positional.size(); ++i) {
      parts.push_back(ItemsOf(args.positional[i].value));
    }
    if (name == "<builtin>.filter" || name == "<builtin>.reversed" || name == "<builtin>.iter") {
      parts.resize(std::min<size_t>(parts.size(), 1));
      if (parts.empty()) return AbstractValue::Top();
      return NewContainer(id, "iter", {}, parts[0], kKindList);
    }
    const AbstractValue tuple = NewContainer(id, "tuple", parts, AbstractValue::Bottom(), kKindList);
    return NewContainer(id, name == "<builtin>.zip" ? "zip" : "enumerate", {}, tuple, kKindList);
  }
  if (name == "<builtin>.sum") {
    // sum(losses): a tensor sum keeps the graph.
    if (const CallArg* arg = args.Positional(0); arg && !arg->value.sites.IsTop()) {
      AbstractValue items = AbstractValue::Bottom();
      for (SiteId site : arg->value.sites.elements()) {
        items = items.Join(e_.ReadCell({CellKind::kHeapItem, site, "*"}));
      }
      if (!items.kinds.IsTop() && items.MayBe(kKindTensor)) return items;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

AbstractValue FunctionProblem::ItemsOf(const AbstractValue& container) {
  if (container.kinds.IsTop() || container.sites.IsTop() || container.sites.IsBottom()) {
    if (!container.kinds.IsTop() && container.MayBe(kKindTensor)) return container;
    return AbstractValue::Top();
  }
  AbstractValue items = AbstractValue::Bottom();
  for (SiteId site : container.sites.elements()) {
    items = items.Join(e_.ReadCell({CellKind::kHeapItem, site, "*"}));
  }
  return items.IsBottom() ? AbstractValue::Top() : items;
}

AbstractValue FunctionProblem::NewContainer(ir::InstrId id, absl::string_view tag,
                                            const std::vector<AbstractValue>& positions,
                                            const AbstractValue& any_item, uint32_t kind) {
  Site site;
  site.kind = Site::Kind::kContainer;
  site.fn = fn_.id;
  site.instr = id;
  site.name = std::string(tag);
  const SiteId sid = e_.InternSite(
      absl::StrCat("container:", tag, ":", fn_.id.value(), ":", id.value()), std::move(site));
  for (size_t i = 0; i < positions.size(); ++i) {
    e_.WriteCell({CellKind::kHeapItem, sid, absl::StrCat("#", i)}, positions[i]);
    e_.WriteCell({CellKind::kHeapItem, sid, "*"}, positions[i]);
  }
  if (!any_item.IsBottom()) {
    e_.WriteCell({CellKind::kHeapItem, sid, "?"}, any_item);
    e_.WriteCell({CellKind::kHeapItem, sid, "*"}, any_item);
  }
  AbstractValue v = Plain(kind);
  v.sites = SiteSet::Of(sid);
  return v;
}

AbstractValue FunctionProblem::LoadModel(ir::InstrId id, const std::string& name,
                                         LoaderKind loader, const CallArgs& args) {
  const CallArg* ckpt_arg = nullptr;
  switch (loader) {
    case LoaderKind::kPretrained:
    case LoaderKind::kFromConfig:
      ckpt_arg = args.Get(0, "pretrained_model_name_or_path");
      break;
    case LoaderKind::kTransformerLens:
      ckpt_arg = args.Get(0, "model_name");
      break;
    case LoaderKind::kTorchLoad:
      ckpt_arg = args.Get(0, "f");
      break;
    case LoaderKind::kPipeline:
      ckpt_arg = args.Keyword("model");
      if (ckpt_arg == nullptr) ckpt_arg = args.Positional(1);
      break;
    case LoaderKind::kSentenceTransformer:
      ckpt_arg = args.Get(0, "model_name_or_path");
      break;
    case LoaderKind::kNone:
      break;
  }
  // pipeline(model=existing_model) wraps a model we already know.
  if (ckpt_arg != nullptr && !ckpt_arg->value.kinds.IsTop() &&
      ckpt_arg->value.MayBe(kKindModel)) {
    return ckpt_arg->value;
  }
  ConstStrings checkpoint = ConstStrings::Top();
  ProvId checkpoint_prov = kNoProv;
  if (loader == LoaderKind::kFromConfig) {
    checkpoint = ConstStrings::Top();  // architecture only: no checkpoint is read
  } else if (ckpt_arg != nullptr && !ckpt_arg->value.strings.IsBottom()) {
    checkpoint = ckpt_arg->value.strings;
    checkpoint_prov = ckpt_arg->value.strings_prov;
  }

  // Dtype: explicit keywords, then a **kwargs mapping's items, then the loader's default.
  DTypeDomain dtype = DTypeDomain::Bottom();
  ProvId dtype_prov = kNoProv;
  auto consider = [&](absl::string_view key, const AbstractValue& value, ir::InstrId instr) {
    if (key == "torch_dtype" || key == "dtype") {
      if (auto d = DTypeOf(value)) {
        dtype = dtype.Join(d->dtype);
        dtype_prov = e_.Step(d->prov, fn_.id, id, absl::StrCat(key, "=", d->dtype.ToString()));
      } else {
        dtype = DTypeDomain::Top();
      }
    } else if (key == "load_in_8bit" || key == "load_in_4bit") {
      const std::optional<bool> b = instr.valid() ? ConstBool(fn_, instr) : std::nullopt;
      if (b == false) return;
      dtype = dtype.Join(b ? DTypeDomain::Of(key == "load_in_8bit" ? DType::kInt8 : DType::kInt4)
                           : DTypeDomain::Top());
      dtype_prov = e_.Step(kNoProv, fn_.id, id, absl::StrCat(key, "=True"));
    } else if (key == "quantization_config") {
      dtype = dtype.Join(value.dtype.IsBottom() ? DTypeDomain::Top() : value.dtype);
      dtype_prov = e_.Step(value.dtype_prov, fn_.id, id, "quantization_config");
    }
  };
  for (const CallArg& kw : args.keyword) consider(kw.name, kw.value, kw.instr);
  bool unknown_kwargs = false;
  for (const CallArg& dstar : args.dstar) {
    if (dstar.value.sites.IsTop() || dstar.value.sites.IsBottom()) {
      unknown_kwargs = true;
      continue;
    }
    for (const char* key :
         {"torch_dtype", "dtype", "load_in_8bit", "load_in_4bit", "quantization_config"}) {
      AbstractValue item = AbstractValue::Bottom();
      for (SiteId site : dstar.value.sites.elements()) {
        item = item.Join(e_.ReadCell({CellKind::kHeapItem, site, key}));
      }
      if (!item.IsBottom()) consider(key, item, ir::InstrId());
    }
    for (SiteId site : dstar.value.sites.elements()) {
      if (!e_.ReadCell({CellKind::kHeapItem, site, "?"}).IsBottom()) unknown_kwargs = true;
    }
  }
  if (dtype.IsBottom()) {
    if (unknown_kwargs || loader == LoaderKind::kTorchLoad) {
      dtype = DTypeDomain::Top();
    } else {
      dtype = DTypeDomain::Of(DType::kFloat32);
      dtype_prov = e_.Step(kNoProv, fn_.id, id,
                           absl::StrCat(LoaderKindName(loader),
                                        " loads fp32 weights by default (no torch_dtype)"));
    }
  }

  // Device: device_map / device / map_location, else the loader's default.
  DeviceDomain device = DeviceDomain::Bottom();
  ProvId device_prov = kNoProv;
  const char* device_key = loader == LoaderKind::kTorchLoad ? "map_location"
                           : (loader == LoaderKind::kTransformerLens ||
                              loader == LoaderKind::kSentenceTransformer ||
                              loader == LoaderKind::kPipeline)
                               ? "device"
                               : "device_map";
  if (const CallArg* d = args.Keyword(device_key)) {
    const AbstractValue& v = d->value;
    bool placed = false;
    if (!v.strings.IsTop() && !v.strings.IsBottom() && !v.strings.partial()) {
      DeviceDomain joined = DeviceDomain::Bottom();
      for (const std::string& s : v.strings.values()) {
        if (OneOf(s, {"auto", "balanced", "balanced_low_0", "sequential"})) {
          joined = joined.Join(DeviceDomain::Cuda());
        } else if (auto parsed = ParseDevice(s)) {
          joined = joined.Join(DeviceDomain::Of(*parsed));
        } else {
          joined = DeviceDomain::Top();
        }
      }
      device = joined;
      device_prov = e_.Step(v.strings_prov, fn_.id, id, absl::StrCat(device_key, "="));
      placed = true;
    }
    if (!placed) {
      if (auto dev = DeviceOf(v)) {
        device = dev->device;
        device_prov = e_.Step(dev->prov, fn_.id, id, absl::StrCat(device_key, "="));
      } else {
        device = DeviceDomain::Top();
      }
    }
  } else if (loader == LoaderKind::kPretrained || loader == LoaderKind::kFromConfig ||
             loader == LoaderKind::kPipeline) {
    device = DeviceDomain::Cpu();
    device_prov = e_.Step(kNoProv, fn_.id, id, "loaded on the cpu (no device_map)");
  } else {
    device = DeviceDomain::Top();
  }

  Site site;
  site.kind = Site::Kind::kModelLoad;
  site.fn = fn_.id;
  site.instr = id;
  site.name = name;
  site.loader = loader;
  site.checkpoint = checkpoint;
  site.checkpoint_prov = checkpoint_prov;
  site.is_model = loader != LoaderKind::kTorchLoad;
  if (!checkpoint.IsTop() && !checkpoint.IsBottom()) {
    for (const std::string& c : checkpoint.values()) {
      const auto params = EstimateParameterCount(c);
      if (!params) {
        site.parameters.reset();
        break;
      }
      site.parameters = std::max(site.parameters.value_or(0), *params);
    }
  }
  const SiteId sid = e_.InternSite(
      absl::StrCat("load:", fn_.id.value(), ":", id.value(), ":", checkpoint.ToString()),
      std::move(site));

  ModelLoad load;
  load.context = id_;
  load.fn = fn_.id;
  load.site = id;
  load.model_site = sid;
  load.dtype = dtype;
  load.dtype_prov = dtype_prov;
  load.device = device;
  load.mode = mode_;
  c_.loads[id.value()] = load;

  AbstractValue v = AbstractValue::Bottom();
  v.kinds = loader == LoaderKind::kTorchLoad ? KindSet::Top() : KindSet::Of(kKindModel);
  v.sites = SiteSet::Of(sid);
  v.sites_prov = e_.Step(checkpoint_prov, fn_.id, id,
                         absl::StrCat("loaded by ", name, "(", checkpoint.ToString(), ")"));
  v.kinds_prov = v.sites_prov;
  v.device = device;
  v.device_prov = device_prov;
  v.dtype = dtype;
  v.dtype_prov = dtype_prov;
  if (loader == LoaderKind::kTorchLoad) {
    v.strings = ConstStrings::Top();
    v.grad = Attachment::Top();
    v.ctx_mode = GradMode::Top();
  }
  return v;
}

std::optional<AbstractValue> FunctionProblem::MethodCall(ir::InstrId id,
                                                         ir::InstrId receiver_instr,
                                                         const AbstractValue& receiver,
                                                         absl::string_view method,
                                                         const CallArgs& args) {
  const bool unknown = receiver.kinds.IsTop();
  const bool model = !unknown && receiver.MayBe(kKindModel);
  const bool tensor = !unknown && receiver.MayBe(kKindTensor);
  const bool tensorish = unknown || model || tensor;
  const std::string here = Here(id);

  if (tensorish && OneOf(method, {"to", "cuda", "cpu", "half", "bfloat16", "float", "double"})) {
    AbstractValue v = receiver;
    std::optional<DeviceFact> device;
    std::optional<DTypeFact> dtype;
    if (method == "to") {
      for (const CallArg& a : args.positional) {
        if (!device && (a.value.MayBe(kKindDeviceObj) || a.value.MayBe(kKindString) ||
                        (!a.value.kinds.IsTop() && a.value.MayBe(kKindTensor)))) {
          if (auto d = DeviceOf(a.value); d && !a.value.MayBe(kKindDTypeObj)) device = d;
        }
        if (!dtype && !a.value.kinds.IsTop() &&
            (a.value.MayBe(kKindDTypeObj) || a.value.MayBe(kKindTensor))) {
          dtype = DTypeOf(a.value);
        }
        if (a.value.kinds.IsTop() && !device && a.value.strings.IsTop()) {
          device = DeviceFact{DeviceDomain::Top(), kNoProv};  // .to(something unknown)
        }
      }
      if (const CallArg* d = args.Keyword("device")) device = DeviceOf(d->value);
      if (const CallArg* t = args.Keyword("dtype")) dtype = DTypeOf(t->value);
    } else if (method == "cuda") {
      device = DeviceFact{DeviceDomain::Cuda(), kNoProv};
    } else if (method == "cpu") {
      device = DeviceFact{DeviceDomain::Cpu(), kNoProv};
    } else {
      const DType t = method == "half"       ? DType::kFloat16
                      : method == "bfloat16" ? DType::kBFloat16
                      : method == "float"    ? DType::kFloat32
                                             : DType::kFloat64;
      dtype = DTypeFact{DTypeDomain::Of(t), kNoProv};
    }
    std::string text = absl::StrCat(".", method, "(");
    if (device) {
      v.device = device->device;
      v.device_prov = e_.Step(device->prov, fn_.id, id,
                              absl::StrCat(".", method, "() moves it to ", device->device.ToString()));
    }
    if (dtype) {
      v.dtype = dtype->dtype;
      v.dtype_prov = e_.Step(dtype->prov, fn_.id, id,
                             absl::StrCat(".", method, "() casts it to ", dtype->dtype.ToString()));
    }
    if (method == "cpu" || method == "to") {
      // Moving keeps the graph (`.cpu()` does not detach).
    }
    if (model || (unknown && !receiver.sites.IsTop() && !receiver.sites.IsBottom())) {
      // Modules change in place and return themselves.
      Refine(receiver_instr, v);
      ModelCast cast;
      cast.context = id_;
      cast.fn = fn_.id;
      cast.site = id;
      cast.model_sites = receiver.sites;
      cast.dtype = dtype ? dtype->dtype : DTypeDomain::Bottom();
      cast.device = device ? device->device : DeviceDomain::Bottom();
      if (model) c_.casts[id.value()] = cast;
    }
    return v;
  }
  if (tensorish && OneOf(method, {"detach", "detach_"})) {
    AbstractValue v = receiver;
    v.grad = Attachment::Detached();
    v.grad_prov = e_.Step(kNoProv, fn_.id, id, ".detach() cuts the graph");
    return v;
  }
  if (tensorish && method == "item") {
    AbstractValue v = Detached(kKindNumber);
    v.grad_prov = e_.Step(kNoProv, fn_.id, id, ".item() is a Python number");
    return v;
  }
  if (tensorish && method == "tolist") {
    AbstractValue v = Detached(kKindList | kKindNumber);
    v.grad_prov = e_.Step(kNoProv, fn_.id, id, ".tolist() is Python data");
    return v;
  }
  if (tensorish && method == "numpy") {
    AbstractValue v = Detached(kKindObject);
    v.device = DeviceDomain::Cpu();
    v.grad_prov = e_.Step(kNoProv, fn_.id, id, ".numpy() holds no graph");
    return v;
  }
  if (tensorish && method == "backward") return Plain(kKindNone);
  if ((model || unknown) &&
      OneOf(method, {"eval", "train", "requires_grad_", "zero_grad", "share_memory"})) {
    return method == "zero_grad" ? Plain(kKindNone) : receiver;
  }
  if ((model || unknown) && OneOf(method, {"parameters", "named_parameters", "buffers",
                                           "modules", "children", "named_modules"})) {
    AbstractValue v = Detached(kKindList);
    v.sites = receiver.sites;  // the model's weights (an optimizer over them trains the model)
    v.sites_prov = receiver.sites_prov;
    v.device = receiver.device;
    v.dtype = receiver.dtype;
    return v;
  }
  if (model && method == "state_dict") {
    AbstractValue v = Detached(kKindDict);
    v.device = receiver.device;
    v.device_prov = receiver.device_prov;
    v.dtype = receiver.dtype;
    return v;
  }
  if (!unknown && receiver.MayBe(kKindHookHandle) && method == "remove") return Plain(kKindNone);
  if (!unknown && receiver.MayBe(kKindOptimizer) && OneOf(method, {"step", "zero_grad"})) {
    return Plain(kKindNone);
  }
  if (!unknown && receiver.MayBe(kKindArgParser) && !receiver.sites.IsTop()) {
    return ArgParserMethod(id, receiver, method, args);
  }
  const bool container = !unknown && !receiver.sites.IsTop() && !receiver.sites.IsBottom() &&
                          (receiver.MayBe(kKindList) || receiver.MayBe(kKindDict));
  if (container) {
    auto write = [&](const std::string& key, const AbstractValue& value) {
      for (SiteId site : receiver.sites.elements()) {
        e_.WriteCell({CellKind::kHeapItem, site, key}, value);
        e_.WriteCell({CellKind::kHeapItem, site, "*"}, value);
      }
    };
    auto read = [&](const std::string& key) {
      AbstractValue v = AbstractValue::Bottom();
      for (SiteId site : receiver.sites.elements()) {
        v = v.Join(e_.ReadCell({CellKind::kHeapItem, site, key}));
      }
      return v;
    };
    if (OneOf(method, {"append", "add", "appendleft"}) && !args.positional.empty()) {
      write("?", args.positional.back().value);
      return Plain(kKindNone);
    }
    if (method == "insert" && args.positional.size() >= 2) {
      write("?", args.positional[1].value);
      return Plain(kKindNone);
    }
    if (method == "extend" && !args.positional.empty()) {
      const AbstractValue& other = args.positional[0].value;
      if (!other.sites.IsTop()) {
        for (SiteId site : other.sites.elements()) {
          write("?", e_.ReadCell({CellKind::kHeapItem, site, "*"}));
        }
      }
      return Plain(kKindNone);
    }
    if (OneOf(method, {"get", "pop", "setdefault"}) && !args.positional.empty()) {
      const CallArg& key = args.positional[0];
      std::optional<std::string> const_key = ConstKeyOf(fn_, key.instr);
      if (!const_key && key.value.strings.IsSingleton()) const_key = key.value.strings.values()[0];
      AbstractValue v = const_key ? read(*const_key).Join(read("?")) : read("*");
      if (args.positional.size() >= 2) {
        if (method == "setdefault") write(const_key ? *const_key : "?", args.positional[1].value);
        v = v.Join(args.positional[1].value);
      } else if (method == "get") {
        v = v.Join(Plain(kKindNone));
      }
      return v.IsBottom() ? AbstractValue::Top() : v;
    }
    if (method == "update") {
      for (const CallArg& kw : args.keyword) write(kw.name, kw.value);
      for (const CallArg& a : args.positional) {
        if (a.value.sites.IsTop()) continue;
        for (SiteId site : a.value.sites.elements()) {
          write("?", e_.ReadCell({CellKind::kHeapItem, site, "*"}));
        }
      }
      return Plain(kKindNone);
    }
    if (method == "copy") return receiver;
    if (OneOf(method, {"values", "keys", "items"})) {
      const AbstractValue values = read("*");
      AbstractValue keys = Plain(kKindString | kKindNumber);
      keys.strings = ConstStrings::Top();
      if (method == "values") return NewContainer(id, "values", {}, values, kKindList);
      if (method == "keys") return NewContainer(id, "keys", {}, keys, kKindList);
      const AbstractValue pair = NewContainer(id, "item", {keys, values}, AbstractValue::Bottom(),
                                              kKindList);
      return NewContainer(id, "items", {}, pair, kKindList);
    }
  }
  if (!unknown && receiver.kinds.Only(kKindString)) {
    AbstractValue v = Plain(kKindString);
    v.strings = ConstStrings::Top();
    if (OneOf(method, {"split", "splitlines"})) v.kinds = KindSet::Of(kKindList);
    return v;
  }
  if (tensor && !model) {
    // Any other tensor method: same device; differentiable unless it yields indices/booleans.
    AbstractValue v = receiver;
    v.kinds = KindSet::Of(receiver.kinds.bits() & (kKindTensor | kKindLoss));
    if (!OneOf(method, {"sum", "mean"})) v.kinds = KindSet::Of(kKindTensor);
    v.sites = SiteSet::Bottom();
    if (OneOf(method, {"argmax", "argmin", "argsort", "nonzero", "eq", "ne", "gt", "lt", "ge",
                       "le", "isnan", "isinf", "long", "int", "bool", "size", "dim", "numel"})) {
      v.grad = Attachment::Detached();
      v.dtype = DTypeDomain::Of(DType::kInteger);
      if (OneOf(method, {"size", "dim", "numel"})) v = Detached(kKindNumber);
    } else if (mode_.DefinitelyDisabled()) {
      v.grad = Attachment::Detached();
    }
    return v;
  }
  (void)here;
  return std::nullopt;
}

AbstractValue FunctionProblem::ArgParserMethod(ir::InstrId id, const AbstractValue& receiver,
                                               absl::string_view method,
                                               const CallArgs& args) {
  if (method == "add_argument") {
    std::string dest;
    for (const CallArg& a : args.positional) {
      if (!a.value.strings.IsSingleton()) continue;
      absl::string_view flag = a.value.strings.values()[0];
      if (absl::StartsWith(flag, "--")) {
        dest = absl::StrReplaceAll(flag.substr(2), {{"-", "_"}});
        break;
      }
      if (dest.empty()) dest = absl::StrReplaceAll(absl::StripPrefix(flag, "-"), {{"-", "_"}});
    }
    if (const CallArg* d = args.Keyword("dest"); d && d->value.strings.IsSingleton()) {
      dest = d->value.strings.values()[0];
    }
    if (dest.empty()) return Plain(kKindNone);
    AbstractValue value = AbstractValue::Bottom();
    if (const CallArg* def = args.Keyword("default")) value = def->value;
    if (const CallArg* choices = args.Keyword("choices")) {
      if (!choices->value.sites.IsTop()) {
        for (SiteId site : choices->value.sites.elements()) {
          value = value.Join(e_.ReadCell({CellKind::kHeapItem, site, "*"}));
        }
      }
    }
    if (value.IsBottom()) {
      const CallArg* action = args.Keyword("action");
      value = action != nullptr ? Detached(kKindNumber) : Plain(kKindString | kKindNone);
      if (action == nullptr) value.strings = ConstStrings::Top();
    }
    value.strings = value.strings.WithOverridable(true);
    value = e_.WithStep(value, fn_.id, id,
                        absl::StrCat("command-line option `--", dest,
                                     "` default (overridable)"));
    for (SiteId site : receiver.sites.elements()) {
      e_.WriteCell({CellKind::kHeapAttr, site, dest}, value);
    }
    return Plain(kKindObject);
  }
  if (method == "set_defaults") {
    for (const CallArg& kw : args.keyword) {
      AbstractValue value = kw.value;
      value.strings = value.strings.WithOverridable(true);
      for (SiteId site : receiver.sites.elements()) {
        e_.WriteCell({CellKind::kHeapAttr, site, kw.name}, value);
      }
    }
    return Plain(kKindNone);
  }
  // add_argument_group, add_mutually_exclusive_group, parse_args, parse_known_args, ...: the
  // same namespace of options.
  return receiver;
}

}  // namespace flopscope::dataflow::internal
