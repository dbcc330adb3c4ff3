#include "dataflow/support/def_use.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "util/check.h"

namespace flopscope::dataflow::support {
namespace {

bool IsPositionalKind(ir::ParamKind kind) {
  return kind == ir::ParamKind::kPositionalOnly || kind == ir::ParamKind::kPositional;
}

bool HasDecorator(const std::vector<std::string>& names, absl::string_view wanted) {
  return std::find(names.begin(), names.end(), wanted) != names.end();
}

template <typename Fn>
void ForEachLiveInstr(const ir::Function& fn, Fn&& visit) {
  for (const ir::Block& block : fn.blocks) {
    for (ir::InstrId id : block.instrs) {
      if (id.valid() && id.index() < fn.instrs.size()) visit(id, fn.instr(id));
    }
  }
}

}  // namespace

DefUse::DefUse(const ir::Program& program, const ir::Resolver& resolver,
               const ir::CallGraph& calls)
    : program_(program), resolver_(resolver), calls_(calls) {
  const size_t n = program.functions().size();
  local_.reserve(n);
  returns_.resize(n);
  yields_.resize(n);
  instr_location_.resize(n);
  // Attribute names that some code stores: only loads of those can read an in-repo location.
  for (const ir::Function& fn : program.functions()) {
    ForEachLiveInstr(fn, [&](ir::InstrId, const ir::Instr& instr) {
      const bool class_store = instr.op == ir::Opcode::kStoreVar &&
                               instr.aux == static_cast<int32_t>(ir::VarScope::kClass);
      if (instr.op == ir::Opcode::kStoreAttr || class_store) stored_attr_names_[instr.text] = true;
    });
  }
  for (const ir::Function& fn : program.functions()) {
    local_.emplace_back(fn);
    IndexFunction(fn);
  }
  IndexCallSites();
}

LocationId DefUse::Intern(Location loc) {
  int32_t a = -1;
  switch (loc.kind) {
    case Location::Kind::kGlobal:
      a = loc.module.value();
      break;
    case Location::Kind::kAttribute:
      a = loc.cls.value();
      break;
    case Location::Kind::kCell:
      a = loc.owner.value();
      break;
  }
  Key key{loc.kind, a, loc.name};
  auto [it, inserted] = location_index_.try_emplace(key, LocationId());
  if (!inserted) return it->second;
  const LocationId id(static_cast<int32_t>(locations_.size()));
  it->second = id;
  if (loc.kind == Location::Kind::kAttribute) attrs_by_name_[loc.name].push_back(id);
  locations_.push_back(std::move(loc));
  stores_.emplace_back();
  loads_.emplace_back();
  deletes_.emplace_back();
  return id;
}

ir::FuncId DefUse::CellOwner(ir::FuncId fn, absl::string_view name) const {
  // Bounded by lexical nesting depth; the parent chain has no cycles in a well-formed program,
  // but a malformed one must not hang us.
  ir::FuncId f = fn;
  for (int depth = 0; f.valid() && depth < 256; ++depth) {
    const ir::Function& func = program_.function(f);
    for (const std::string& cell : func.cell_vars) {
      if (cell == name) return f;
    }
    f = func.parent;
  }
  return fn;
}

ir::ClassId DefUse::RootClass(ir::ClassId cls) {
  auto it = root_class_.find(cls);
  if (it != root_class_.end()) return it->second;
  const std::vector<ir::ClassId> mro = resolver_.Mro(cls);
  const ir::ClassId root = mro.empty() ? cls : mro.back();
  root_class_.emplace(cls, root);
  return root;
}

LocationId DefUse::VarLocation(const ir::Function& fn, const ir::Instr& instr) {
  Location loc;
  loc.name = instr.text;
  switch (static_cast<ir::VarScope>(instr.aux)) {
    case ir::VarScope::kLocal:
      return LocationId();
    case ir::VarScope::kGlobal:
      loc.kind = Location::Kind::kGlobal;
      loc.module = fn.module;
      break;
    case ir::VarScope::kClass:
      if (!fn.class_of_body.valid()) return LocationId();
      loc.kind = Location::Kind::kAttribute;
      loc.cls = RootClass(fn.class_of_body);
      break;
    case ir::VarScope::kCell:
      loc.kind = Location::Kind::kCell;
      loc.owner = CellOwner(fn.id, instr.text);
      break;
  }
  return Intern(std::move(loc));
}

LocationId DefUse::AttrLocation(const ir::Function& fn, ir::InstrId object,
                                const std::string& name) {
  bool all_external = false;
  const std::vector<ir::Symbol>& symbols = resolver_.Resolve(fn.id, object);
  for (const ir::Symbol& s : symbols) {
    switch (s.kind) {
      case ir::Symbol::Kind::kModule:
        return Intern(Location{Location::Kind::kGlobal, s.module, {}, {}, name});
      case ir::Symbol::Kind::kClass:
      case ir::Symbol::Kind::kInstance:
      case ir::Symbol::Kind::kSuper:
        if (s.cls.valid()) {
          return Intern(Location{Location::Kind::kAttribute, {}, RootClass(s.cls), {}, name});
        }
        break;
      case ir::Symbol::Kind::kExternal:
      case ir::Symbol::Kind::kBuiltin:
        all_external = true;
        continue;
      default:
        break;
    }
    all_external = false;
    break;
  }
  // `self` in an instance method, even when the resolver could not type it.
  const ir::Instr& obj = fn.instr(object);
  if (obj.op == ir::Opcode::kParam && obj.aux == 0 && fn.method_of.valid()) {
    const std::vector<std::string> decorators = resolver_.DecoratorNames(fn.id);
    if (!HasDecorator(decorators, "<builtin>.staticmethod")) {
      return Intern(Location{Location::Kind::kAttribute, {}, RootClass(fn.method_of), {}, name});
    }
  }
  if (all_external) return LocationId();
  return Intern(Location{Location::Kind::kAttribute, {}, ir::ClassId(), {}, name});
}

void DefUse::IndexFunction(const ir::Function& fn) {
  const size_t f = fn.id.index();
  instr_location_[f].assign(fn.instrs.size(), -1);
  ForEachLiveInstr(fn, [&](ir::InstrId id, const ir::Instr& instr) {
    const ValueRef self{fn.id, id};
    LocationId loc;
    switch (instr.op) {
      case ir::Opcode::kReturn:
        if (!instr.operands.empty()) returns_[f].push_back(instr.operands[0]);
        break;
      case ir::Opcode::kYield:
        if (!instr.operands.empty()) yields_[f].push_back(instr.operands[0]);
        break;
      case ir::Opcode::kStoreVar:
        loc = VarLocation(fn, instr);
        if (loc.valid() && !instr.operands.empty()) {
          stores_[loc.index()].push_back(ValueRef{fn.id, instr.operands[0]});
        }
        break;
      case ir::Opcode::kLoadVar:
        loc = VarLocation(fn, instr);
        if (loc.valid()) loads_[loc.index()].push_back(self);
        break;
      case ir::Opcode::kDelVar:
        loc = VarLocation(fn, instr);
        if (loc.valid()) deletes_[loc.index()].push_back(self);
        break;
      case ir::Opcode::kStoreAttr:
        if (instr.operands.size() >= 2) {
          loc = AttrLocation(fn, instr.operands[0], instr.text);
          if (loc.valid()) stores_[loc.index()].push_back(ValueRef{fn.id, instr.operands[1]});
        }
        break;
      case ir::Opcode::kLoadAttr:
        if (!instr.operands.empty() && stored_attr_names_.contains(instr.text)) {
          loc = AttrLocation(fn, instr.operands[0], instr.text);
          if (loc.valid()) loads_[loc.index()].push_back(self);
        }
        break;
      case ir::Opcode::kDelAttr:
        if (!instr.operands.empty() && stored_attr_names_.contains(instr.text)) {
          loc = AttrLocation(fn, instr.operands[0], instr.text);
          if (loc.valid()) deletes_[loc.index()].push_back(self);
        }
        break;
      case ir::Opcode::kMakeFunction:
        for (uint32_t k = 0; k < instr.operands.size() && k < instr.arg_names.size(); ++k) {
          absl::string_view name = instr.arg_names[k];
          if (!absl::ConsumePrefix(&name, "cell:")) continue;
          const LocationId cell = Intern(
              Location{Location::Kind::kCell, {}, {}, CellOwner(fn.id, name), std::string(name)});
          stores_[cell.index()].push_back(ValueRef{fn.id, instr.operands[k]});
          cell_operands_[self].push_back({k, cell});
        }
        break;
      default:
        break;
    }
    if (loc.valid()) instr_location_[f][id.index()] = loc.value();
  });
}

void DefUse::IndexCallSites() {
  call_sites_.resize(program_.functions().size());
  for (const ir::Function& fn : program_.functions()) {
    for (const ir::CallEdge& edge : calls_.Callees(fn.id)) {
      if (edge.kind == ir::EdgeKind::kCallback || !edge.callee.valid()) continue;
      if (!edge.site.valid() || edge.site.index() >= fn.instrs.size() ||
          fn.instr(edge.site).op != ir::Opcode::kCall) {
        continue;
      }
      const CallSite site{edge.caller, edge.site};
      call_sites_[edge.callee.index()].push_back(site);
      absl::InlinedVector<CallTarget, 1>& targets = targets_[site];
      bool seen = false;
      for (const CallTarget& t : targets) seen = seen || t.callee == edge.callee;
      if (!seen) targets.push_back(CallTarget{edge.callee, edge.kind, ImplicitArgs(site, edge)});
    }
  }
  for (std::vector<CallSite>& sites : call_sites_) {
    std::sort(sites.begin(), sites.end(), [](const CallSite& a, const CallSite& b) {
      return a.caller != b.caller ? a.caller < b.caller : a.site < b.site;
    });
    sites.erase(std::unique(sites.begin(), sites.end()), sites.end());
  }
}

ir::InstrId DefUse::ParamInstr(ir::FuncId fn, uint32_t index) const {
  const ir::Function& func = program_.function(fn);
  // Param instructions sit at the top of the entry block; scanning it is short.
  if (!func.entry.valid()) return ir::InstrId();
  for (ir::InstrId id : func.block(func.entry).instrs) {
    const ir::Instr& instr = func.instr(id);
    if (instr.op == ir::Opcode::kParam && instr.aux == static_cast<int32_t>(index)) return id;
  }
  return ir::InstrId();
}

uint8_t DefUse::ImplicitArgs(CallSite call, const ir::CallEdge& edge) const {
  if (edge.kind == ir::EdgeKind::kConstructor) return 1;
  if (edge.kind != ir::EdgeKind::kDirect) return 0;
  const ir::Function& callee = program_.function(edge.callee);
  if (!callee.method_of.valid()) return 0;
  const std::vector<std::string> decorators = resolver_.DecoratorNames(edge.callee);
  if (HasDecorator(decorators, "<builtin>.staticmethod")) return 0;
  if (HasDecorator(decorators, "<builtin>.classmethod")) return 1;
  const ir::Function& caller = program_.function(call.caller);
  const ir::Instr& site = caller.instr(call.site);
  if (site.operands.empty()) return 0;
  const ir::InstrId callee_value = site.operands[0];
  for (const ir::Symbol& s : resolver_.Resolve(call.caller, callee_value)) {
    if (s.kind == ir::Symbol::Kind::kBoundMethod || s.kind == ir::Symbol::Kind::kInstance) {
      return 1;
    }
    if (s.kind == ir::Symbol::Kind::kFunction) return 0;
  }
  const ir::Instr& callee_instr = caller.instr(callee_value);
  if (callee_instr.op != ir::Opcode::kLoadAttr || callee_instr.operands.empty()) return 0;
  // `C.m(obj, x)` passes self explicitly; `obj.m(x)` binds it.
  for (const ir::Symbol& s : resolver_.Resolve(call.caller, callee_instr.operands[0])) {
    if (s.kind == ir::Symbol::Kind::kClass) return 0;
  }
  return 1;
}

absl::Span<const CallTarget> DefUse::TargetsAt(CallSite call) const {
  auto it = targets_.find(call);
  if (it == targets_.end()) return {};
  return it->second;
}

ir::InstrId DefUse::Receiver(CallSite call) const {
  const ir::Function& fn = program_.function(call.caller);
  const ir::Instr& site = fn.instr(call.site);
  if (site.op != ir::Opcode::kCall || site.operands.empty()) return ir::InstrId();
  const ir::Instr& callee = fn.instr(site.operands[0]);
  if (callee.op != ir::Opcode::kLoadAttr || callee.operands.empty()) return ir::InstrId();
  return callee.operands[0];
}

absl::string_view DefUse::MethodName(CallSite call) const {
  const ir::Function& fn = program_.function(call.caller);
  const ir::Instr& site = fn.instr(call.site);
  if (site.op != ir::Opcode::kCall || site.operands.empty()) return {};
  const ir::Instr& callee = fn.instr(site.operands[0]);
  if (callee.op != ir::Opcode::kLoadAttr) return {};
  return callee.text;
}

std::vector<ParamBinding> DefUse::BindOperand(CallSite call, uint32_t operand) const {
  std::vector<ParamBinding> out;
  const ir::Instr& site = program_.function(call.caller).instr(call.site);
  if (site.op != ir::Opcode::kCall || operand == 0 || operand >= site.operands.size()) return out;
  auto arg_name = [&](uint32_t op) -> absl::string_view {
    return op - 1 < site.arg_names.size() ? absl::string_view(site.arg_names[op - 1]) : "";
  };
  uint32_t positional_before = 0;
  bool star_before = false;
  for (uint32_t k = 1; k < operand; ++k) {
    if (arg_name(k).empty()) ++positional_before;
    if (arg_name(k) == "*") star_before = true;
  }
  const absl::string_view name = arg_name(operand);
  for (const CallTarget& target : TargetsAt(call)) {
    const std::vector<ir::Param>& params = program_.function(target.callee).params;
    const uint32_t first = target.implicit_args + positional_before;
    auto bind = [&](uint32_t index) {
      out.push_back(ParamBinding{target.callee, index, ParamInstr(target.callee, index)});
    };
    uint32_t positional_count = 0;
    while (positional_count < params.size() && IsPositionalKind(params[positional_count].kind)) {
      ++positional_count;
    }
    for (uint32_t i = 0; i < params.size(); ++i) {
      const ir::Param& p = params[i];
      bool binds = false;
      if (name.empty() && !star_before) {
        // Exactly the i-th positional slot, or *args once the positional ones run out.
        binds = (IsPositionalKind(p.kind) && i == first) ||
                (p.kind == ir::ParamKind::kVarArgs && first >= positional_count);
      } else if (name.empty() || name == "*") {
        binds = (IsPositionalKind(p.kind) && i >= first) || p.kind == ir::ParamKind::kVarArgs;
      } else if (name == "**") {
        binds = (p.kind == ir::ParamKind::kPositional && i >= first) ||
                p.kind == ir::ParamKind::kKeywordOnly || p.kind == ir::ParamKind::kVarKeywords;
      } else {
        binds = (p.kind == ir::ParamKind::kPositional || p.kind == ir::ParamKind::kKeywordOnly) &&
                p.name == name;
      }
      if (binds) bind(i);
    }
    // An unknown keyword lands in **kwargs.
    if (!name.empty() && name != "*" && name != "**") {
      bool named = false;
      for (const ParamBinding& b : out) named = named || b.callee == target.callee;
      for (uint32_t i = 0; !named && i < params.size(); ++i) {
        if (params[i].kind == ir::ParamKind::kVarKeywords) bind(i);
      }
    }
  }
  return out;
}

std::vector<ParamBinding> DefUse::BindReceiver(CallSite call) const {
  std::vector<ParamBinding> out;
  for (const CallTarget& target : TargetsAt(call)) {
    if (target.implicit_args != 1) continue;
    if (program_.function(target.callee).params.empty()) continue;
    out.push_back(ParamBinding{target.callee, 0, ParamInstr(target.callee, 0)});
  }
  return out;
}

std::vector<DefUse::Argument> DefUse::ArgumentsFor(ir::FuncId callee,
                                                   uint32_t param_index) const {
  std::vector<Argument> out;
  for (const CallSite& site : CallSitesOf(callee)) {
    const ir::Instr& call = program_.function(site.caller).instr(site.site);
    for (const CallTarget& target : TargetsAt(site)) {
      if (target.callee != callee) continue;
      if (param_index == 0 && target.implicit_args == 1) {
        // The receiver of a bound method, or the new object of a constructor call.
        ir::InstrId self = target.kind == ir::EdgeKind::kConstructor ? site.site : Receiver(site);
        if (!self.valid() && !call.operands.empty()) self = call.operands[0];
        out.push_back(Argument{site, self});
      }
    }
    for (uint32_t k = 1; k < call.operands.size(); ++k) {
      for (const ParamBinding& b : BindOperand(site, k)) {
        if (b.callee == callee && b.param_index == param_index) {
          out.push_back(Argument{site, call.operands[k]});
          break;
        }
      }
    }
  }
  return out;
}

LocationId DefUse::StoredLocation(ValueRef store) const {
  const ir::Instr& instr = this->instr(store);
  if (instr.op != ir::Opcode::kStoreVar && instr.op != ir::Opcode::kStoreAttr) return LocationId();
  const int32_t loc = instr_location_[store.fn.index()][store.value.index()];
  return LocationId(loc);
}

LocationId DefUse::LoadedLocation(ValueRef load) const {
  const ir::Instr& instr = this->instr(load);
  if (instr.op != ir::Opcode::kLoadVar && instr.op != ir::Opcode::kLoadAttr) return LocationId();
  return LocationId(instr_location_[load.fn.index()][load.value.index()]);
}

LocationId DefUse::CellOperandLocation(ValueRef make_function, uint32_t operand) const {
  auto it = cell_operands_.find(make_function);
  if (it == cell_operands_.end()) return LocationId();
  for (const auto& [k, loc] : it->second) {
    if (k == operand) return loc;
  }
  return LocationId();
}

std::vector<ValueRef> DefUse::LoadsOf(LocationId loc) const {
  std::vector<ValueRef> out = loads_[loc.index()];
  const Location& l = location(loc);
  if (l.kind != Location::Kind::kAttribute) return out;
  auto it = attrs_by_name_.find(l.name);
  if (it == attrs_by_name_.end()) return out;
  for (LocationId other : it->second) {
    if (other == loc) continue;
    // Unknown-object loads read every class's attribute; a class's loads read unknown stores.
    if (!l.cls.valid() || !location(other).cls.valid()) {
      const std::vector<ValueRef>& more = loads_[other.index()];
      out.insert(out.end(), more.begin(), more.end());
    }
  }
  return out;
}

std::string DefUse::LocationName(LocationId loc) const {
  const Location& l = location(loc);
  switch (l.kind) {
    case Location::Kind::kGlobal:
      return absl::StrCat(program_.module(l.module).name, ".", l.name);
    case Location::Kind::kAttribute:
      if (!l.cls.valid()) return absl::StrCat("<object>.", l.name);
      return absl::StrCat(program_.klass(l.cls).qualname, ".", l.name);
    case Location::Kind::kCell:
      return absl::StrCat(program_.function(l.owner).qualname, ".<cell ", l.name, ">");
  }
  return l.name;
}

}  // namespace flopscope::dataflow::support
