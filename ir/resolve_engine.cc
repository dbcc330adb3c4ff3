// What each instruction denotes. Attribute lookup is in resolve_attrs.cc, the Origins walk in
// resolve_origins.cc.
#include "ir/resolve_engine.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace flopscope::ir::internal {
namespace {

// Deep enough for real code, shallow enough that the C++ stack never overflows.
constexpr int kMaxDepth = 400;
// Memoized nodes computed per query root before the rest of the query gives up as unknown.
constexpr int64_t kStepBudget = 200000;
// Names longer than this (long call chains) are not worth matching on.
constexpr size_t kMaxNameLength = 400;

uint64_t ValueKey(FuncId fn, InstrId value) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(fn.value())) << 32) |
         static_cast<uint32_t>(value.value());
}

Symbol MakeSymbol(Symbol::Kind kind) {
  Symbol symbol;
  symbol.kind = kind;
  return symbol;
}

}  // namespace

Symbol UnknownSymbol() { return Symbol(); }

SymbolList Unknown() { return SymbolList{UnknownSymbol()}; }

bool HasKnown(const SymbolList& set) { return !set.empty() && set.front().known(); }

namespace {

// A set that exceeded kMaxSymbols: one unknown entry marked by name. It absorbs everything added
// later, so a wide union never shrinks back to a misleading partial list.
constexpr absl::string_view kOverflow = "<overflow>";

bool IsOverflow(const SymbolList& set) {
  return set.size() == 1 && !set[0].known() && set[0].name == kOverflow;
}

}  // namespace

void AddSymbol(SymbolList& set, Symbol symbol) {
  if (IsOverflow(set)) return;
  const bool has_unknown = !set.empty() && !set.back().known();
  if (!symbol.known()) {
    if (symbol.name == kOverflow) {
      set = {std::move(symbol)};
    } else if (!has_unknown) {
      set.push_back(UnknownSymbol());
    }
    return;
  }
  if (!symbol.name.empty() && symbol.name.size() > kMaxNameLength) {
    AddSymbol(set, UnknownSymbol());
    return;
  }
  const size_t known = has_unknown ? set.size() - 1 : set.size();
  for (size_t i = 0; i < known; ++i) {
    if (set[i] == symbol) return;
  }
  if (known >= kMaxSymbols) {  // too many possibilities to be useful
    Symbol overflow;
    overflow.name = std::string(kOverflow);
    set = {std::move(overflow)};
    return;
  }
  set.insert(set.begin() + static_cast<std::ptrdiff_t>(known), std::move(symbol));
}

void AddAll(SymbolList& set, const SymbolList& other) {
  for (const Symbol& symbol : other) AddSymbol(set, symbol);
}

Engine::Engine(const Program& program) : program_(program), index_(program) {
  results_.emplace_back();
  results_.push_back(Unknown());
}

namespace {
constexpr uint32_t kEmptyResult = 0;
constexpr uint32_t kUnknownResult = 1;
}  // namespace

// Many values denote the same thing (every `self` of a class, every use of `torch`), so equal
// results share one entry: less memory, and far fewer allocations to free.
uint32_t Engine::Intern(SymbolList result) {
  if (result.empty()) return kEmptyResult;
  if (result.size() == 1 && result[0] == UnknownSymbol()) return kUnknownResult;
  uint64_t hash = result.size();
  for (const Symbol& symbol : result) {
    hash = absl::Hash<std::tuple<uint64_t, int, int32_t, int32_t, int32_t, absl::string_view>>()(
        {hash, static_cast<int>(symbol.kind), symbol.module.value(), symbol.func.value(),
         symbol.cls.value(), symbol.name});
  }
  auto [it, inserted] = result_by_hash_.try_emplace(hash, 0);
  if (!inserted && results_[it->second] == result) return it->second;
  results_.push_back(std::move(result));
  const auto index = static_cast<uint32_t>(results_.size() - 1);
  if (inserted) it->second = index;
  return index;
}

template <typename Key, typename Compute>
const SymbolList& Engine::Memo(absl::flat_hash_map<Key, uint32_t>& done,
                               absl::flat_hash_map<Key, int>& active, const Key& key,
                               Compute&& compute) {
  if (auto it = done.find(key); it != done.end()) return results_[it->second];
  if (auto it = active.find(key); it != active.end()) {
    low_ = std::min(low_, it->second);
    return results_[kEmptyResult];
  }
  if (depth_ >= kMaxDepth || ++steps_ > kStepBudget) return results_[kUnknownResult];
  const int my_depth = depth_++;
  active.emplace(key, my_depth);
  const int saved_low = low_;
  low_ = INT_MAX;
  const uint32_t result = Intern(compute());
  active.erase(key);
  --depth_;
  if (low_ >= my_depth) {
    done.emplace(key, result);
    low_ = saved_low;
  } else {
    low_ = std::min(saved_low, low_);  // part of an unfinished cycle: recomputed when asked again
  }
  return results_[result];
}

void Engine::BeginRoot() {
  if (depth_ == 0) {
    steps_ = 0;
    low_ = INT_MAX;
  }
}

const SymbolList& Engine::ResolveRoot(FuncId fn, InstrId value) {
  BeginRoot();
  return Value(fn, value);  // a root depends on nothing unfinished, so it is cached
}

const SymbolList& Engine::GlobalRoot(ModuleId module, absl::string_view name) {
  BeginRoot();
  return Global(module, name);
}

const SymbolList& Engine::Value(FuncId fn, InstrId value) {
  if (!fn.valid() || fn.index() >= program_.functions().size() || !value.valid() ||
      value.index() >= program_.function(fn).instrs.size()) {
    return results_[kUnknownResult];
  }
  return Memo(value_done_, value_active_, ValueKey(fn, value),
              [&] { return ComputeValue(fn, value); });
}

uint64_t Engine::GlobalKey(ModuleId module, absl::string_view name) {
  auto it = name_ids_.find(name);  // heterogeneous lookup: no allocation for known names
  if (it == name_ids_.end()) {
    it = name_ids_.emplace(std::string(name), static_cast<uint32_t>(name_ids_.size())).first;
  }
  return (static_cast<uint64_t>(static_cast<uint32_t>(module.value())) << 32) | it->second;
}

const SymbolList& Engine::Global(ModuleId module, absl::string_view name) {
  return Memo(global_done_, global_active_, GlobalKey(module, name),
              [&] { return ComputeGlobal(module, name); });
}

const SymbolList& Engine::Returns(FuncId fn) {
  return Memo(returns_done_, returns_active_, static_cast<uint64_t>(fn.index()), [&] {
    SymbolList result;
    for (InstrId value : index_.returns(fn)) AddAll(result, Value(fn, value));
    return result;
  });
}

SymbolList Engine::ComputeValue(FuncId fn_id, InstrId id) {
  const Function& fn = program_.function(fn_id);
  const Instr& instr = fn.instr(id);
  switch (instr.op) {
    case Opcode::kConst:
    case Opcode::kBuildTuple:
    case Opcode::kBuildList:
    case Opcode::kBuildSet:
    case Opcode::kBuildDict:
    case Opcode::kFormatString:
    case Opcode::kUndefined:
      return {};  // data, not a symbol
    case Opcode::kParam:
      return ParamSymbols(fn, instr);
    case Opcode::kLoadVar:
      return LoadVarSymbols(fn, instr);
    case Opcode::kLoadAttr:
      if (instr.operands.empty()) return Unknown();
      return Attribute(Value(fn_id, instr.operands[0]), instr.text);
    case Opcode::kCall:
      return CallSymbols(fn, id, instr);
    case Opcode::kMakeFunction: {
      if (instr.aux < 0 || static_cast<size_t>(instr.aux) >= program_.functions().size()) {
        return Unknown();
      }
      Symbol symbol = MakeSymbol(Symbol::Kind::kFunction);
      symbol.func = FuncId(instr.aux);
      symbol.module = program_.function(symbol.func).module;
      return {symbol};
    }
    case Opcode::kMakeClass: {
      if (instr.aux < 0 || static_cast<size_t>(instr.aux) >= program_.classes().size()) {
        return Unknown();
      }
      Symbol symbol = MakeSymbol(Symbol::Kind::kClass);
      symbol.cls = ClassId(instr.aux);
      symbol.module = program_.klass(symbol.cls).module;
      return {symbol};
    }
    case Opcode::kImport:
      return ImportSymbols(fn.module, instr.text, instr.aux);
    case Opcode::kPhi: {
      SymbolList result;
      for (InstrId operand : instr.operands) AddAll(result, Value(fn_id, operand));
      return result;
    }
    case Opcode::kAwait:
      // A call of an in-repo async function already resolves to what it returns.
      if (instr.operands.empty()) return Unknown();
      return Value(fn_id, instr.operands[0]);
    case Opcode::kUnpackItem:
    case Opcode::kLoadSubscript:
    case Opcode::kForIter:
      return ThroughOrigins(fn_id, id);
    case Opcode::kWithEnter:
      return WithEnterSymbols(fn_id, instr);
    default:
      return Unknown();
  }
}

// `self` of an instance method is an instance of the defining class; `cls` of a classmethod is
// the class. Other parameters are unknown: resolution is not context-sensitive.
SymbolList Engine::ParamSymbols(const Function& fn, const Instr& instr) {
  if (instr.aux != 0 || !fn.method_of.valid()) return Unknown();
  const MethodKind kind = index_.method_kind(fn.id);
  Symbol symbol;
  if (kind == MethodKind::kInstance || kind == MethodKind::kProperty) {
    symbol.kind = Symbol::Kind::kInstance;
  } else if (kind == MethodKind::kClass) {
    symbol.kind = Symbol::Kind::kClass;
  } else {
    return Unknown();
  }
  symbol.cls = fn.method_of;
  symbol.module = program_.klass(fn.method_of).module;
  return {symbol};
}

SymbolList Engine::LoadVarSymbols(const Function& fn, const Instr& instr) {
  switch (static_cast<VarScope>(instr.aux)) {
    case VarScope::kGlobal:
      return Global(fn.module, instr.text);
    case VarScope::kClass: {
      // A class-body read not forwarded by SSA: the body's own stores, else module scope.
      SymbolList result;
      if (fn.class_of_body.valid()) {
        const ClassIndex& cls = index_.klass(fn.class_of_body);
        if (auto it = cls.attrs.find(instr.text); it != cls.attrs.end()) {
          for (InstrId value : it->second) AddAll(result, Value(fn.id, value));
        }
      }
      AddAll(result, Global(fn.module, instr.text));
      return result;
    }
    case VarScope::kCell: {
      SymbolList result;
      for (const ValueRef& source : CellSources(fn.id, instr.text)) {
        AddAll(result, Value(source.fn, source.value));
      }
      if (result.empty()) return Unknown();
      return result;
    }
    case VarScope::kLocal:
      return Unknown();
  }
  return Unknown();
}

std::vector<ValueRef> Engine::CellSources(FuncId fn_id, absl::string_view name) {
  std::vector<ValueRef> sources;
  const std::string cell_label = absl::StrCat("cell:", name);
  for (FuncId current = fn_id; current.valid();) {
    const Function& fn = program_.function(current);
    const FuncId parent = fn.parent;
    if (!parent.valid()) break;
    const Function& owner = program_.function(parent);
    if (fn.definition.valid() && fn.definition.index() < owner.instrs.size()) {
      const Instr& def = owner.instr(fn.definition);
      if (def.op == Opcode::kMakeFunction) {
        for (size_t i = 0; i < def.operands.size() && i < def.arg_names.size(); ++i) {
          if (def.arg_names[i] == cell_label) sources.push_back({parent, def.operands[i]});
        }
      }
    }
    if (const std::vector<InstrId>* stores = index_.cell_stores(parent, name)) {
      for (InstrId value : *stores) sources.push_back({parent, value});
    }
    if (!sources.empty()) break;
    current = parent;  // the variable lives further out
  }
  return sources;
}

SymbolList Engine::ComputeGlobal(ModuleId module, absl::string_view name) {
  const ModuleIndex& index = index_.module(module);
  if (auto it = index.globals.find(name); it != index.globals.end()) {
    SymbolList result;
    for (const ValueRef& store : it->second) AddAll(result, Value(store.fn, store.value));
    return result;
  }
  SymbolList result;
  for (const std::string& source : index.star_sources) {
    const ModuleId from = program_.FindModule(source);
    if (from.valid() && Exports(from, name, 0)) AddAll(result, Global(from, name));
  }
  if (!result.empty()) return result;
  if (Resolver::IsBuiltinName(name)) {
    Symbol symbol = MakeSymbol(Symbol::Kind::kBuiltin);
    symbol.name = std::string(name);
    return {symbol};
  }
  if (std::optional<std::string> external = ExternalStarName(module, name)) {
    Symbol symbol = MakeSymbol(Symbol::Kind::kExternal);
    symbol.name = *std::move(external);
    return {symbol};
  }
  if (absl::StartsWith(name, "__") && absl::EndsWith(name, "__")) return {};  // __name__, ...
  return Unknown();
}

// The first `from x import *` of a module outside the repository may define any name.
std::optional<std::string> Engine::ExternalStarName(ModuleId module, absl::string_view name) {
  for (const std::string& source : index_.module(module).star_sources) {
    if (!program_.FindModule(source).valid()) return absl::StrCat(source, ".", name);
  }
  return std::nullopt;
}

const std::vector<std::string>* Engine::DunderAll(ModuleId module) {
  auto [it, inserted] = dunder_all_.try_emplace(module);
  if (!inserted) return it->second ? &*it->second : nullptr;
  const ModuleIndex& index = index_.module(module);
  auto all = index.globals.find("__all__");
  if (all == index.globals.end() || all->second.size() != 1) return nullptr;
  const ValueRef store = all->second.front();
  const Function& fn = program_.function(store.fn);
  const Instr& list = fn.instr(store.value);
  if (list.op != Opcode::kBuildList && list.op != Opcode::kBuildTuple) return nullptr;
  std::vector<std::string> names;
  for (InstrId element : list.operands) {
    const Instr& item = fn.instr(element);
    if (item.op != Opcode::kConst || item.aux != static_cast<int32_t>(ConstKind::kString)) {
      return nullptr;  // not a constant list: fall back to public names
    }
    names.push_back(item.text);
  }
  it->second = std::move(names);
  return &*it->second;
}

// Whether `from module import *` binds `name`.
bool Engine::Exports(ModuleId module, absl::string_view name, int depth) {
  if (const std::vector<std::string>* all = DunderAll(module)) {
    return std::find(all->begin(), all->end(), name) != all->end();
  }
  if (absl::StartsWith(name, "_")) return false;
  const ModuleIndex& index = index_.module(module);
  if (index.globals.contains(name)) return true;
  if (depth > 8) return false;  // star-import cycles
  for (const std::string& source : index.star_sources) {
    const ModuleId from = program_.FindModule(source);
    if (from.valid() && Exports(from, name, depth + 1)) return true;
  }
  return false;
}

std::vector<ValueRef> Engine::GlobalStores(ModuleId module, absl::string_view name, int depth) {
  const ModuleIndex& index = index_.module(module);
  if (auto it = index.globals.find(name); it != index.globals.end()) return it->second;
  std::vector<ValueRef> stores;
  if (depth > 8) return stores;
  for (const std::string& source : index.star_sources) {
    const ModuleId from = program_.FindModule(source);
    if (!from.valid() || !Exports(from, name, 0)) continue;
    for (const ValueRef& store : GlobalStores(from, name, depth + 1)) stores.push_back(store);
  }
  return stores;
}

SymbolList Engine::ImportSymbols(ModuleId importer, absl::string_view text, int level) {
  std::string name = index_.AbsoluteImportName(importer, text, level);
  if (name.empty()) return Unknown();
  if (level == 0 && !program_.FindModule(name).valid()) {
    // A script importing a sibling (`import helpers` next to it) runs with its own directory on
    // sys.path: try the importer's package when the name is not a top-level module.
    const std::string& importer_name = program_.module(importer).name;
    const size_t dot = importer_name.rfind('.');
    const absl::string_view first = absl::string_view(name).substr(0, name.find('.'));
    if (dot != std::string::npos && !program_.FindModule(first).valid() &&
        !index_.IsPackagePrefix(first)) {
      std::string sibling = absl::StrCat(importer_name.substr(0, dot), ".", name);
      if (program_.FindModule(sibling).valid() || index_.IsPackagePrefix(sibling)) {
        name = std::move(sibling);
      }
    }
  }
  return ModuleByName(name);
}

// An in-repo module, a namespace package inside the repo, or an external module.
SymbolList Engine::ModuleByName(const std::string& dotted) {
  Symbol symbol;
  if (const ModuleId module = program_.FindModule(dotted); module.valid()) {
    symbol.kind = Symbol::Kind::kModule;
    symbol.module = module;
  } else if (index_.IsPackagePrefix(dotted)) {
    symbol.kind = Symbol::Kind::kModule;  // namespace package: no module of its own
    symbol.name = dotted;
  } else {
    symbol.kind = Symbol::Kind::kExternal;
    symbol.name = dotted;
  }
  return {symbol};
}

SymbolList Engine::CallSymbols(const Function& fn, InstrId id, const Instr& instr) {
  if (instr.operands.empty()) return Unknown();
  if (index_.decorated_function({fn.id, id}).valid() ||
      index_.decorated_class({fn.id, id}).valid()) {
    return DecoratorResult(fn, instr);
  }
  const Instr& callee_instr = fn.instr(instr.operands[0]);
  if (callee_instr.op == Opcode::kLoadAttr &&
      (callee_instr.text == "get" || callee_instr.text == "pop" ||
       callee_instr.text == "setdefault")) {
    SymbolList from_dict = ContainerGet(fn.id, instr);
    if (!from_dict.empty()) return from_dict;
  }
  SymbolList result;
  const SymbolList& callees = Value(fn.id, instr.operands[0]);
  for (const Symbol& callee : callees) AddAll(result, CallResult(fn, instr, callee));
  if (callees.empty()) return Unknown();
  return result;
}

SymbolList Engine::CallResult(const Function& fn, const Instr& call, const Symbol& callee) {
  switch (callee.kind) {
    case Symbol::Kind::kFunction:
    case Symbol::Kind::kBoundMethod: {
      if (program_.function(callee.func).is_generator) return Unknown();
      // An async function's coroutine is identified with what awaiting it gives.
      return Returns(callee.func);
    }
    case Symbol::Kind::kClass: {
      Symbol instance = MakeSymbol(Symbol::Kind::kInstance);
      instance.cls = callee.cls;
      instance.module = callee.module;
      return {instance};
    }
    case Symbol::Kind::kInstance: {
      const FuncId method = CallMethodOf(callee.cls);
      if (!method.valid()) return Unknown();
      return Returns(method);
    }
    case Symbol::Kind::kExternal: {
      if (callee.name == "functools.partial" && call.operands.size() > 1) {
        return Value(fn.id, call.operands[1]);  // calling the partial runs the wrapped callable
      }
      Symbol result = MakeSymbol(Symbol::Kind::kExternal);
      result.name = absl::StrCat(callee.name, "()");
      return {result};
    }
    case Symbol::Kind::kBuiltin:
      return BuiltinCallResult(fn, call, callee);
    default:
      return Unknown();
  }
}

SymbolList Engine::BuiltinCallResult(const Function& fn, const Instr& call, const Symbol& callee) {
  const std::string& name = callee.name;
  if (name == "super") return SuperSymbols(fn, call);
  if ((name == "staticmethod" || name == "classmethod" || name == "property") &&
      call.operands.size() > 1) {
    return Value(fn.id, call.operands[1]);
  }
  if (name == "getattr" && call.operands.size() >= 3) {
    const Instr& attr = fn.instr(call.operands[2]);
    if (attr.op == Opcode::kConst && attr.aux == static_cast<int32_t>(ConstKind::kString)) {
      return Attribute(Value(fn.id, call.operands[1]), attr.text);
    }
    return Unknown();
  }
  Symbol result = MakeSymbol(Symbol::Kind::kBuiltin);
  result.name = absl::StrCat(name, "()");
  return {result};
}

// `@d def f` binds f to d(f). An in-repo decorator gives what it returns; `@x.setter` keeps the
// property x; any other decorator (functools.lru_cache, torch.no_grad(), an unknown library one)
// is taken to return a callable that runs f, so the name still denotes f.
SymbolList Engine::DecoratorResult(const Function& fn, const Instr& call) {
  const Instr& decorator = fn.instr(call.operands[0]);
  if (decorator.op == Opcode::kLoadAttr && !decorator.operands.empty() &&
      (decorator.text == "setter" || decorator.text == "deleter" || decorator.text == "getter")) {
    return Value(fn.id, decorator.operands[0]);
  }
  SymbolList result;
  bool in_repo = false;
  for (const Symbol& symbol : Value(fn.id, call.operands[0])) {
    if (symbol.kind == Symbol::Kind::kFunction || symbol.kind == Symbol::Kind::kBoundMethod) {
      in_repo = true;
      AddAll(result, Returns(symbol.func));
    } else if (symbol.kind == Symbol::Kind::kClass || symbol.kind == Symbol::Kind::kInstance) {
      in_repo = true;
      AddAll(result, CallResult(fn, call, symbol));
    }
  }
  if (!in_repo) return Value(fn.id, call.operands[1]);
  return result;
}

// Zero-argument super() in a method (or in a function nested in it) of class C, or super(C, x).
SymbolList Engine::SuperSymbols(const Function& fn, const Instr& call) {
  Symbol proxy = MakeSymbol(Symbol::Kind::kSuper);
  if (call.operands.size() >= 2) {
    for (const Symbol& symbol : Value(fn.id, call.operands[1])) {
      if (symbol.kind == Symbol::Kind::kClass) {
        proxy.cls = symbol.cls;
        proxy.module = symbol.module;
        return {proxy};
      }
    }
    return Unknown();
  }
  for (const Function* current = &fn;;) {
    if (current->method_of.valid()) {
      proxy.cls = current->method_of;
      proxy.func = current->id;
      proxy.module = program_.klass(proxy.cls).module;
      return {proxy};
    }
    if (!current->parent.valid() || current->kind == FunctionKind::kClassBody) break;
    current = &program_.function(current->parent);
  }
  return Unknown();
}

// Unpacking, subscripts and iteration read elements of literals found through Origins.
SymbolList Engine::ThroughOrigins(FuncId fn, InstrId value) {
  SymbolList result;
  for (const ValueRef& origin : Origins(fn, value)) {
    if (origin.fn == fn && origin.value == value) {
      AddSymbol(result, UnknownSymbol());
    } else {
      AddAll(result, Value(origin.fn, origin.value));
    }
  }
  return result;
}

// d.get(k) / d.pop(k) / d.setdefault(k) on a dict literal: the values stored under k (or all).
SymbolList Engine::ContainerGet(FuncId fn_id, const Instr& call) {
  const Function& fn = program_.function(fn_id);
  const Instr& method = fn.instr(call.operands[0]);
  if (method.operands.empty()) return {};
  SymbolList result;
  for (const ValueRef& origin : Origins(fn_id, method.operands[0])) {
    const Instr& dict = program_.function(origin.fn).instr(origin.value);
    if (dict.op != Opcode::kBuildDict) return {};
    for (size_t i = 1; i < dict.operands.size(); i += 2) {
      AddAll(result, Value(origin.fn, dict.operands[i]));
    }
  }
  return result;
}

SymbolList Engine::WithEnterSymbols(FuncId fn, const Instr& instr) {
  if (instr.operands.empty()) return Unknown();
  SymbolList result;
  for (const Symbol& manager : Value(fn, instr.operands[0])) {
    if (manager.kind == Symbol::Kind::kInstance) {
      const FuncId enter = LookupMethod(manager.cls, "__enter__");
      AddAll(result, enter.valid() ? Returns(enter) : Unknown());
    } else if (manager.kind == Symbol::Kind::kExternal || manager.kind == Symbol::Kind::kBuiltin) {
      Symbol entered = manager;
      entered.name = absl::StrCat(manager.name, ".__enter__()");
      AddSymbol(result, std::move(entered));
    } else {
      AddSymbol(result, UnknownSymbol());
    }
  }
  if (result.empty()) return Unknown();
  return result;
}

}  // namespace flopscope::ir::internal
