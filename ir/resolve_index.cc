#include "ir/resolve_index.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace flopscope::ir::internal {
namespace {

// The spelling of a decorator expression's last name: `staticmethod`, `functools.cached_property`
// -> "cached_property", `x.setter` -> "setter".
absl::string_view DecoratorSpelling(const Function& parent, InstrId call) {
  const InstrId decorator = DecoratorValue(parent, call);
  if (!decorator.valid() || decorator.index() >= parent.instrs.size()) return "";
  const Instr& instr = parent.instr(decorator);
  if (instr.op == Opcode::kLoadVar || instr.op == Opcode::kLoadAttr) return instr.text;
  return "";
}

MethodKind ComputeMethodKind(const Program& program, const Function& fn) {
  if (!fn.method_of.valid() || fn.kind != FunctionKind::kFunction || !fn.parent.valid()) {
    return MethodKind::kNotMethod;
  }
  const Function& parent = program.function(fn.parent);
  MethodKind kind = MethodKind::kInstance;
  for (InstrId call : fn.decorator_calls) {
    const absl::string_view spelling = DecoratorSpelling(parent, call);
    if (spelling == "staticmethod") return MethodKind::kStatic;
    if (spelling == "classmethod") kind = MethodKind::kClass;
    if (spelling == "property" || spelling == "cached_property") kind = MethodKind::kProperty;
  }
  if (fn.params.empty() || fn.params[0].kind == ParamKind::kVarArgs ||
      fn.params[0].kind == ParamKind::kKeywordOnly ||
      fn.params[0].kind == ParamKind::kVarKeywords) {
    return MethodKind::kStatic;  // nothing receives the instance
  }
  return kind;
}

bool IsContainerLiteral(const Instr& instr) {
  return instr.op == Opcode::kBuildDict || instr.op == Opcode::kBuildList ||
         instr.op == Opcode::kBuildSet;
}

}  // namespace

ProgramIndex::ProgramIndex(const Program& program)
    : program_(program),
      modules_(program.modules().size()),
      classes_(program.classes().size()),
      returns_(program.functions().size()),
      method_kinds_(program.functions().size(), MethodKind::kNotMethod) {
  for (const Module& module : program.modules()) {
    absl::string_view name = module.name;
    for (size_t dot = name.find('.'); dot != absl::string_view::npos;
         dot = name.find('.', dot + 1)) {
      prefixes_.insert(std::string(name.substr(0, dot)));
    }
  }
  for (const Function& fn : program.functions()) {
    method_kinds_[fn.id.index()] = ComputeMethodKind(program, fn);
  }
  for (const Function& fn : program.functions()) IndexFunction(fn);
  IndexDecorators();
}

void ProgramIndex::IndexFunction(const Function& fn) {
  ModuleIndex& module = modules_[fn.module.index()];
  const bool instance_method = method_kind(fn.id) == MethodKind::kInstance ||
                               method_kind(fn.id) == MethodKind::kProperty;
  for (size_t i = 0; i < fn.instrs.size(); ++i) {
    const Instr& instr = fn.instrs[i];
    if (!instr.block.valid()) continue;  // removed by BuildSsa or unreachable
    switch (instr.op) {
      case Opcode::kStoreVar: {
        if (instr.operands.empty()) break;
        const auto scope = static_cast<VarScope>(instr.aux);
        if (scope == VarScope::kGlobal) {
          module.globals[instr.text].push_back({fn.id, instr.operands[0]});
          if (IsContainerLiteral(fn.instr(instr.operands[0]))) {
            literal_locations_[ValueRef{fn.id, instr.operands[0]}].push_back(
                absl::StrCat("g", fn.module.value(), ":", instr.text));
          }
        } else if (scope == VarScope::kClass && fn.kind == FunctionKind::kClassBody &&
                   fn.class_of_body.valid()) {
          classes_[fn.class_of_body.index()].attrs[instr.text].push_back(instr.operands[0]);
        } else if (scope == VarScope::kCell) {
          cells_[fn.id][instr.text].push_back(instr.operands[0]);
        }
        break;
      }
      case Opcode::kStoreAttr: {
        if (!instance_method || instr.operands.size() < 2) break;
        const Instr& object = fn.instr(instr.operands[0]);
        if (object.op == Opcode::kParam && object.aux == 0) {
          classes_[fn.method_of.index()].instance_attrs[instr.text].push_back(
              {fn.id, instr.operands[1]});
          if (IsContainerLiteral(fn.instr(instr.operands[1]))) {
            literal_locations_[ValueRef{fn.id, instr.operands[1]}].push_back(
                absl::StrCat("a", fn.method_of.value(), ":", instr.text));
          }
        }
        break;
      }
      case Opcode::kStoreSubscript:
      case Opcode::kCall:
        IndexContainerWrite(fn, InstrId(static_cast<int32_t>(i)), instr);
        break;
      case Opcode::kReturn:
        if (!instr.operands.empty()) returns_[fn.id.index()].push_back(instr.operands[0]);
        break;
      case Opcode::kImportStar: {
        std::string source = AbsoluteImportName(fn.module, instr.text, instr.aux);
        if (!source.empty()) module.star_sources.push_back(std::move(source));
        break;
      }
      default:
        break;
    }
  }
}

// Every definition records its decorator applications, so indexing them is a lookup; an
// application BuildSsa found unreachable is left out, as are the applications of a definition's
// later copies in a finally body (Function/Class::decorator_calls name the first copy's).
void ProgramIndex::IndexDecorators() {
  const auto live_call = [&](FuncId parent, InstrId call) {
    if (!parent.valid() || !call.valid()) return false;
    const Function& fn = program_.function(parent);
    return call.index() < fn.instrs.size() && fn.instr(call).block.valid() &&
           DecoratorValue(fn, call).valid();
  };
  for (const Function& fn : program_.functions()) {
    if (fn.kind == FunctionKind::kClassBody) continue;  // its class's decorators, indexed below
    for (InstrId call : fn.decorator_calls) {
      if (live_call(fn.parent, call)) decorated_functions_[ValueRef{fn.parent, call}] = fn.id;
    }
  }
  for (const Class& cls : program_.classes()) {
    for (InstrId call : cls.decorator_calls) {
      if (live_call(cls.defined_in, call)) {
        decorated_classes_[ValueRef{cls.defined_in, call}] = cls.id;
      }
    }
  }
}

std::string ProgramIndex::ContainerLocation(const Function& fn, InstrId object) const {
  const Instr& instr = fn.instr(object);
  if (IsContainerLiteral(instr)) return absl::StrCat("l", fn.id.value(), ":", object.value());
  if (instr.op == Opcode::kLoadVar && instr.aux == static_cast<int32_t>(VarScope::kGlobal)) {
    return absl::StrCat("g", fn.module.value(), ":", instr.text);
  }
  if (instr.op != Opcode::kLoadAttr || instr.operands.empty()) return "";
  const Instr& base = fn.instr(instr.operands[0]);
  if (base.op == Opcode::kParam && base.aux == 0 && fn.method_of.valid() &&
      (method_kind(fn.id) == MethodKind::kInstance || method_kind(fn.id) == MethodKind::kProperty)) {
    return absl::StrCat("a", fn.method_of.value(), ":", instr.text);
  }
  if (base.op == Opcode::kImport) {  // `registry.HANDLERS[k] = f` after `from . import registry`
    const ModuleId module =
        program_.FindModule(AbsoluteImportName(fn.module, base.text, base.aux));
    if (module.valid()) return absl::StrCat("g", module.value(), ":", instr.text);
  }
  return "";
}

void ProgramIndex::IndexContainerWrite(const Function& fn, InstrId id, const Instr& instr) {
  InstrId object;
  ContainerWrite write;
  if (instr.op == Opcode::kStoreSubscript) {
    if (instr.operands.size() < 3) return;
    object = instr.operands[0];
    write.key = {fn.id, instr.operands[1]};
    write.value = {fn.id, instr.operands[2]};
  } else {
    if (instr.operands.size() < 2) return;
    const Instr& method = fn.instr(instr.operands[0]);
    if (method.op != Opcode::kLoadAttr || method.operands.empty()) return;
    for (const std::string& name : instr.arg_names) {
      if (!name.empty()) return;  // keyword or splat arguments: not a plain container write
    }
    const size_t args = instr.operands.size() - 1;
    if ((method.text == "append" || method.text == "add") && args == 1) {
      write.value = {fn.id, instr.operands[1]};
    } else if (method.text == "insert" && args == 2) {
      write.value = {fn.id, instr.operands[2]};
    } else if (method.text == "setdefault" && args == 2) {
      write.key = {fn.id, instr.operands[1]};
      write.value = {fn.id, instr.operands[2]};
    } else {
      return;
    }
    object = method.operands[0];
    container_write_calls_.insert({fn.id, id});
  }
  std::string location = ContainerLocation(fn, object);
  if (!location.empty()) container_writes_[location].push_back(write);
}

std::vector<ContainerWrite> ProgramIndex::WritesInto(ValueRef literal) const {
  std::vector<ContainerWrite> writes;
  const auto add = [&](const std::string& location) {
    if (auto it = container_writes_.find(location); it != container_writes_.end()) {
      writes.insert(writes.end(), it->second.begin(), it->second.end());
    }
  };
  add(absl::StrCat("l", literal.fn.value(), ":", literal.value.value()));
  if (auto it = literal_locations_.find(literal); it != literal_locations_.end()) {
    for (const std::string& location : it->second) add(location);
  }
  return writes;
}

const std::vector<InstrId>* ProgramIndex::cell_stores(FuncId fn, absl::string_view name) const {
  auto it = cells_.find(fn);
  if (it == cells_.end()) return nullptr;
  auto cell = it->second.find(name);
  return cell == it->second.end() ? nullptr : &cell->second;
}

FuncId ProgramIndex::decorated_function(ValueRef call) const {
  auto it = decorated_functions_.find(call);
  return it == decorated_functions_.end() ? FuncId() : it->second;
}

ClassId ProgramIndex::decorated_class(ValueRef call) const {
  auto it = decorated_classes_.find(call);
  return it == decorated_classes_.end() ? ClassId() : it->second;
}

std::string ProgramIndex::AbsoluteImportName(ModuleId importer, absl::string_view text,
                                             int level) const {
  if (level <= 0) return std::string(text);
  const Module& module = program_.module(importer);
  absl::string_view base = module.name;
  // A plain module's own package is its name minus the last component; a package is its own.
  int drop = module.is_package ? level - 1 : level;
  for (; drop > 0; --drop) {
    const size_t dot = base.rfind('.');
    if (dot == absl::string_view::npos) {
      if (drop > 1 || base.empty()) return "";  // climbs above the top-level package
      base = "";
      continue;
    }
    base = base.substr(0, dot);
  }
  if (base.empty()) return std::string(text);
  if (text.empty()) return std::string(base);
  return absl::StrCat(base, ".", text);
}

}  // namespace flopscope::ir::internal
