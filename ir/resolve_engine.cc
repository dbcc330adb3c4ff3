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

// A set that exceeded kMaxSymbols: one unknown entry marked by name. It absorbs everything added
// later, so a wide union never shrinks back to a misleading partial list.
constexpr absl::string_view kOverflow = "<overflow>";

bool IsOverflow(const SymbolList& set) {
  return set.size() == 1 && !set[0].known() && set[0].name == kOverflow;
}

}  // namespace

Symbol UnknownSymbol() { return Symbol(); }

SymbolList Unknown() { return SymbolList{UnknownSymbol()}; }

bool HasKnown(const SymbolList& set) { return !set.empty() && set.front().known(); }

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
    const Function& function = program_.function(fn);
    for (InstrId value : index_.returns(fn)) {
      // A returned parameter depends on the call: CallReturns binds it to the argument.
      if (function.instr(value).op == Opcode::kParam) continue;
      AddAll(result, Value(fn, value));
    }
    return result;
  });
}

const std::vector<ValueRef>& Engine::DecoratedArguments(FuncId fn) {
  static const std::vector<ValueRef>* const kNone = new std::vector<ValueRef>();
  if (decorator_index_state_ == DecoratorIndexState::kNotBuilt) {
    // Built once, on first need: resolving every decorator expression of the program. While it
    // is being built, decorator parameters read as unknown (no recursion into the index).
    decorator_index_state_ = DecoratorIndexState::kBuilding;
    std::vector<std::pair<ValueRef, FuncId>> applications(
        index_.decorated_functions().begin(), index_.decorated_functions().end());
    std::sort(applications.begin(), applications.end(), [](const auto& a, const auto& b) {
      return std::tie(a.first.fn, a.first.value) < std::tie(b.first.fn, b.first.value);
    });
    for (const auto& [call, decorated] : applications) {
      const Instr& instr = program_.function(call.fn).instr(call.value);
      for (const Symbol& decorator : Value(call.fn, instr.operands[0])) {
        if (decorator.kind == Symbol::Kind::kFunction) {
          decorated_arguments_[decorator.func].push_back({call.fn, instr.operands[1]});
        }
      }
    }
    decorator_index_state_ = DecoratorIndexState::kBuilt;
  }
  if (decorator_index_state_ != DecoratorIndexState::kBuilt) return *kNone;
  auto it = decorated_arguments_.find(fn);
  return it == decorated_arguments_.end() ? *kNone : it->second;
}

const std::vector<int>& Engine::PassthroughParams(FuncId fn) {
  auto [it, inserted] = passthrough_.try_emplace(fn);
  if (inserted) {
    const Function& function = program_.function(fn);
    for (InstrId value : index_.returns(fn)) {
      const Instr& instr = function.instr(value);
      if (instr.op == Opcode::kParam &&
          std::find(it->second.begin(), it->second.end(), instr.aux) == it->second.end()) {
        it->second.push_back(instr.aux);
      }
    }
  }
  return it->second;
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
  if (instr.aux == 0 && !fn.method_of.valid()) {
    // A decorator's first parameter is the function it decorates (registries store it, wrappers
    // call it). It may also be called directly with other values: unknown stays in the set.
    SymbolList result;
    for (const ValueRef& argument : DecoratedArguments(fn.id)) {
      AddAll(result, Value(argument.fn, argument.value));
    }
    AddSymbol(result, UnknownSymbol());
    return result;
  }
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

}  // namespace flopscope::ir::internal
