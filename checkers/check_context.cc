#include "checkers/check_context.h"

#include "absl/strings/str_cat.h"

namespace flopscope::checkers {

CheckContext::CheckContext(const ir::Program& program, const ir::Resolver& resolver,
                           const ir::CallGraph& call_graph)
    : program_(program), resolver_(resolver), call_graph_(call_graph) {}

// Out of line so the shared_ptr's deleter, captured where the Analysis was created, runs here
// without this translation unit knowing the type.
CheckContext::~CheckContext() = default;

Location CheckContext::LocationOf(ir::FuncId fn, ir::InstrId instr) const {
  const ir::Function& function = program_.function(fn);
  return Location{program_.module(function.module).path, function.instr(instr).range};
}

Location CheckContext::LocationOfFunction(ir::FuncId fn) const {
  const ir::Function& function = program_.function(fn);
  return Location{program_.module(function.module).path, function.range};
}

std::string CheckContext::QualifiedName(ir::FuncId fn) const {
  const ir::Function& function = program_.function(fn);
  const ir::Module& module = program_.module(function.module);
  if (function.kind == ir::FunctionKind::kModule || function.qualname.empty()) return module.name;
  return absl::StrCat(module.name, ".", function.qualname);
}

std::string CheckContext::DisplayName(ir::FuncId fn) const {
  const ir::Function& function = program_.function(fn);
  // A comprehension is lowered as its own function, but users wrote it inside the enclosing
  // one: name that ("load_zoo", not "load_zoo.<dictcomp1>").
  if (function.kind == ir::FunctionKind::kComprehension && function.parent.valid()) {
    return DisplayName(function.parent);
  }
  if (function.kind == ir::FunctionKind::kModule) return "<module>";
  return function.qualname.empty() ? function.name : function.qualname;
}

}  // namespace flopscope::checkers
