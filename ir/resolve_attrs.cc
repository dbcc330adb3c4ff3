// Attribute lookup (modules, classes through the MRO, instances, super()) and the class
// hierarchy (C3 linearization, external bases).
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ir/resolve_engine.h"

namespace flopscope::ir::internal {
namespace {

Symbol Make(Symbol::Kind kind) {
  Symbol symbol;
  symbol.kind = kind;
  return symbol;
}

// C3 merge of the bases' linearizations; false when the hierarchy has no consistent order.
bool C3Merge(std::vector<std::vector<ClassId>> sequences, std::vector<ClassId>& out) {
  while (true) {
    sequences.erase(std::remove_if(sequences.begin(), sequences.end(),
                                   [](const std::vector<ClassId>& s) { return s.empty(); }),
                    sequences.end());
    if (sequences.empty()) return true;
    ClassId chosen;
    for (const std::vector<ClassId>& candidate_seq : sequences) {
      const ClassId candidate = candidate_seq.front();
      bool in_tail = false;
      for (const std::vector<ClassId>& seq : sequences) {
        in_tail = in_tail || std::find(seq.begin() + 1, seq.end(), candidate) != seq.end();
      }
      if (!in_tail) {
        chosen = candidate;
        break;
      }
    }
    if (!chosen.valid()) return false;
    out.push_back(chosen);
    for (std::vector<ClassId>& seq : sequences) {
      if (!seq.empty() && seq.front() == chosen) seq.erase(seq.begin());
    }
  }
}

}  // namespace

SymbolList Engine::Attribute(const SymbolList& objects, absl::string_view attr) {
  SymbolList result;
  for (const Symbol& object : objects) {
    switch (object.kind) {
      case Symbol::Kind::kModule:
        AddAll(result, ModuleAttr(object, attr));
        break;
      case Symbol::Kind::kExternal: {
        std::string name = absl::StrCat(object.name, ".", attr);
        if (program_.FindModule(name).valid()) {
          AddAll(result, ModuleByName(name));  // an in-repo module reached by a dotted path
        } else {
          Symbol symbol = Make(Symbol::Kind::kExternal);
          symbol.name = std::move(name);
          AddSymbol(result, std::move(symbol));
        }
        break;
      }
      case Symbol::Kind::kBuiltin: {
        Symbol symbol = Make(Symbol::Kind::kBuiltin);
        symbol.name = absl::StrCat(object.name, ".", attr);
        AddSymbol(result, std::move(symbol));
        break;
      }
      case Symbol::Kind::kClass:
        AddAll(result, ClassAttr(object.cls, attr, /*on_instance=*/false, object.cls, 0));
        break;
      case Symbol::Kind::kInstance:
        AddAll(result, InstanceAttr(object.cls, attr));
        break;
      case Symbol::Kind::kSuper:
        AddAll(result, SuperAttr(object, attr));
        break;
      default:
        AddSymbol(result, UnknownSymbol());
        break;
    }
  }
  if (objects.empty()) return Unknown();
  return result;
}

// module.attr: the module's global, else its submodule, else (namespace package) a deeper one.
SymbolList Engine::ModuleAttr(const Symbol& module, absl::string_view attr) {
  const std::string dotted =
      module.module.valid() ? program_.module(module.module).name : module.name;
  SymbolList result;
  if (module.module.valid()) {
    const ModuleIndex& index = index_.module(module.module);
    if (index.globals.contains(attr) || !GlobalStores(module.module, attr).empty()) {
      result = Global(module.module, attr);
    }
  }
  if (HasKnown(result)) return result;
  const std::string sub = absl::StrCat(dotted, ".", attr);
  if (program_.FindModule(sub).valid() || index_.IsPackagePrefix(sub)) return ModuleByName(sub);
  if (!result.empty()) return result;
  if (module.module.valid()) {
    if (std::optional<std::string> external = ExternalStarName(module.module, attr)) {
      Symbol symbol = Make(Symbol::Kind::kExternal);
      symbol.name = *std::move(external);
      return {symbol};
    }
  }
  return Unknown();
}

// Binds functions found on a class: through an instance they become bound methods (static
// methods stay functions, properties give what the getter returns); through the class only
// classmethods bind.
SymbolList Engine::Bind(const SymbolList& raw, bool on_instance, ClassId receiver) {
  SymbolList result;
  for (const Symbol& symbol : raw) {
    if (symbol.kind != Symbol::Kind::kFunction) {
      AddSymbol(result, symbol);
      continue;
    }
    const MethodKind kind = index_.method_kind(symbol.func);
    const FunctionKind fn_kind = program_.function(symbol.func).kind;
    Symbol bound = symbol;
    bound.kind = Symbol::Kind::kBoundMethod;
    bound.cls = receiver;
    if (kind == MethodKind::kStatic) {
      AddSymbol(result, symbol);
    } else if (kind == MethodKind::kClass) {
      AddSymbol(result, bound);
    } else if (kind == MethodKind::kProperty) {
      if (on_instance) {
        AddAll(result, Returns(symbol.func));
      } else {
        AddSymbol(result, symbol);
      }
    } else if (on_instance &&
               (fn_kind == FunctionKind::kFunction || fn_kind == FunctionKind::kLambda)) {
      AddSymbol(result, bound);  // plain functions stored on a class bind too
    } else {
      AddSymbol(result, symbol);
    }
  }
  return result;
}

// The first class in cls's MRO (after skipping `skip` entries) that defines attr in its body.
SymbolList Engine::ClassAttr(ClassId cls, absl::string_view attr, bool on_instance,
                             ClassId receiver, size_t skip) {
  const std::vector<ClassId> mro = Mro(cls);
  for (size_t i = skip; i < mro.size(); ++i) {
    const Class& klass = program_.klass(mro[i]);
    const ClassIndex& index = index_.klass(mro[i]);
    if (auto it = index.attrs.find(attr); it != index.attrs.end()) {
      SymbolList raw;
      for (InstrId value : it->second) AddAll(raw, Value(klass.body, value));
      return Bind(raw, on_instance, receiver);
    }
    if (auto it = klass.methods.find(attr); it != klass.methods.end()) {
      Symbol fn = Make(Symbol::Kind::kFunction);
      fn.func = it->second;
      fn.module = klass.module;
      return Bind({fn}, on_instance, receiver);
    }
  }
  return ExternalBaseAttr(cls, attr);
}

SymbolList Engine::InstanceAttr(ClassId cls, absl::string_view attr) {
  const std::vector<ClassId> mro = Mro(cls);
  for (ClassId klass : mro) {
    const ClassIndex& index = index_.klass(klass);
    if (index.attrs.contains(attr) || program_.klass(klass).methods.contains(attr)) {
      return ClassAttr(cls, attr, /*on_instance=*/true, cls, 0);
    }
  }
  SymbolList result;
  for (ClassId klass : mro) {
    const ClassIndex& index = index_.klass(klass);
    if (auto it = index.instance_attrs.find(attr); it != index.instance_attrs.end()) {
      for (const ValueRef& store : it->second) AddAll(result, Value(store.fn, store.value));
    }
  }
  if (!result.empty()) return result;
  return ExternalBaseAttr(cls, attr);
}

SymbolList Engine::ExternalBaseAttr(ClassId cls, absl::string_view attr) {
  const std::vector<std::string> external = ExternalBases(cls);
  if (external.empty()) return Unknown();
  const std::string& base = external.front();
  const bool builtin = base.rfind("<builtin>.", 0) == 0;
  Symbol symbol = Make(builtin ? Symbol::Kind::kBuiltin : Symbol::Kind::kExternal);
  symbol.name = absl::StrCat(builtin ? base.substr(10) : base, ".", attr);
  return {symbol};
}

SymbolList Engine::SuperAttr(const Symbol& proxy, absl::string_view attr) {
  const bool on_instance =
      !proxy.func.valid() || index_.method_kind(proxy.func) != MethodKind::kClass;
  return ClassAttr(proxy.cls, attr, on_instance, proxy.cls, /*skip=*/1);
}

const ClassBases& Engine::Bases(ClassId cls) {
  auto [it, inserted] = bases_.try_emplace(cls, nullptr);
  if (!inserted) return *it->second;
  it->second = std::make_unique<ClassBases>();  // placeholder while computing: cuts cycles
  ClassBases bases;
  const Class& klass = program_.klass(cls);
  if (klass.defined_in.valid() && klass.definition.valid()) {
    const Function& fn = program_.function(klass.defined_in);
    const Instr& def = fn.instr(klass.definition);
    for (size_t i = 0; i < def.operands.size(); ++i) {
      if (i < def.arg_names.size() && !def.arg_names[i].empty()) continue;  // metaclass= etc.
      for (const Symbol& base : Value(fn.id, def.operands[i])) {
        if (base.kind == Symbol::Kind::kClass && base.cls != cls) {
          bases.in_repo.push_back(base.cls);
        } else if (base.kind == Symbol::Kind::kExternal) {
          bases.external.push_back(base.name);
        } else if (base.kind == Symbol::Kind::kBuiltin && base.name != "object") {
          bases.external.push_back(absl::StrCat("<builtin>.", base.name));
        }
      }
    }
  }
  auto& slot = bases_[cls];
  *slot = std::move(bases);
  return *slot;
}

const std::vector<ClassId>& Engine::Mro(ClassId cls) {
  if (auto it = mro_.find(cls); it != mro_.end()) return *it->second;
  std::vector<ClassId> mro = ComputeMro(cls);
  auto [it, inserted] = mro_.try_emplace(cls, nullptr);
  if (inserted) it->second = std::make_unique<std::vector<ClassId>>(std::move(mro));
  return *it->second;
}

std::vector<ClassId> Engine::ComputeMro(ClassId cls) {
  if (mro_active_.contains(cls)) return {cls};  // inheritance cycle through odd aliasing
  mro_active_.insert(cls);
  const std::vector<ClassId> bases = Bases(cls).in_repo;
  std::vector<std::vector<ClassId>> sequences;
  for (ClassId base : bases) sequences.push_back(Mro(base));
  sequences.push_back(bases);
  std::vector<ClassId> mro = {cls};
  if (!C3Merge(sequences, mro)) {
    // Python rejects such a class; keep a depth-first, duplicate-free order so lookups work.
    mro = {cls};
    for (ClassId base : bases) {
      for (ClassId klass : Mro(base)) {
        if (std::find(mro.begin(), mro.end(), klass) == mro.end()) mro.push_back(klass);
      }
    }
  }
  mro_active_.erase(cls);
  return mro;
}

std::vector<std::string> Engine::ExternalBases(ClassId cls) {
  std::vector<std::string> result;
  for (ClassId klass : Mro(cls)) {
    for (const std::string& base : Bases(klass).external) {
      if (std::find(result.begin(), result.end(), base) == result.end()) result.push_back(base);
    }
  }
  return result;
}

FuncId Engine::LookupMethod(ClassId cls, absl::string_view name) {
  for (ClassId klass : Mro(cls)) {
    const Class& c = program_.klass(klass);
    if (auto it = c.methods.find(name); it != c.methods.end()) return it->second;
  }
  return FuncId();
}

FuncId Engine::CallMethodOf(ClassId cls) {
  const FuncId call = LookupMethod(cls, "__call__");
  if (call.valid()) return call;
  if (ExternalBases(cls).empty()) return FuncId();
  return LookupMethod(cls, "forward");
}

}  // namespace flopscope::ir::internal
