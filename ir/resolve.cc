// Resolver: the public face of the resolution engine (resolve_engine.h). The engine memoizes, so
// the const queries below mutate caches through the Impl pointer.
#include "ir/resolve.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "ir/resolve_engine.h"

namespace flopscope::ir {
namespace {

std::string FunctionQualifiedName(const Program& program, FuncId id) {
  const Function& fn = program.function(id);
  const std::string& module = program.module(fn.module).name;
  if (fn.kind == FunctionKind::kModule) return module;
  return absl::StrCat(module, ".", fn.qualname);
}

std::string ClassQualifiedName(const Program& program, ClassId id) {
  const Class& cls = program.klass(id);
  return absl::StrCat(program.module(cls.module).name, ".", cls.qualname);
}

const std::vector<Symbol>& Public(const std::vector<Symbol>& symbols) {
  static const std::vector<Symbol>* const kEmpty = new std::vector<Symbol>();
  return internal::HasKnown(symbols) ? symbols : *kEmpty;
}

}  // namespace

std::string Symbol::QualifiedName(const Program& program) const {
  switch (kind) {
    case Kind::kUnknown:
      return "";
    case Kind::kModule:
      return module.valid() ? program.module(module).name : name;
    case Kind::kFunction:
    case Kind::kBoundMethod:
      return FunctionQualifiedName(program, func);
    case Kind::kClass:
      return ClassQualifiedName(program, cls);
    case Kind::kInstance:
      return absl::StrCat(ClassQualifiedName(program, cls), "()");
    case Kind::kExternal:
      return name;
    case Kind::kBuiltin:
      return absl::StrCat("<builtin>.", name);
    case Kind::kSuper:
      return "<builtin>.super()";
  }
  return "";
}

struct Resolver::Impl {
  explicit Impl(const Program& program) : engine(program), resolved(program.functions().size()) {}
  internal::Engine engine;
  // Resolve's answers by function and value: a root query is always memoized by the engine, so
  // this only skips the engine's hash lookup, which dominates when the dataflow asks millions
  // of times. Sized per function on its first query.
  std::vector<std::vector<const std::vector<Symbol>*>> resolved;
};

Resolver::Resolver(const Program& program)
    : program_(program), impl_(std::make_unique<Impl>(program)) {}

Resolver::~Resolver() = default;

const std::vector<Symbol>& Resolver::Resolve(FuncId fn, InstrId value) const {
  if (!fn.valid() || fn.index() >= impl_->resolved.size() || !value.valid() ||
      value.index() >= program_.function(fn).instrs.size()) {
    return Public(impl_->engine.ResolveRoot(fn, value));
  }
  std::vector<const std::vector<Symbol>*>& by_value = impl_->resolved[fn.index()];
  if (by_value.empty()) by_value.resize(program_.function(fn).instrs.size(), nullptr);
  const std::vector<Symbol>*& answer = by_value[value.index()];
  if (answer == nullptr) answer = &Public(impl_->engine.ResolveRoot(fn, value));
  return *answer;
}

std::string Resolver::QualifiedName(FuncId fn, InstrId value) const {
  const std::vector<Symbol>& symbols = Resolve(fn, value);
  std::string name;
  for (const Symbol& symbol : symbols) {
    if (!symbol.known()) return "";
    std::string candidate = symbol.QualifiedName(program_);
    if (!name.empty() && candidate != name) return "";
    name = std::move(candidate);
  }
  return name;
}

const std::vector<Symbol>& Resolver::ResolveGlobal(ModuleId module, absl::string_view name) const {
  return Public(impl_->engine.GlobalRoot(module, name));
}

std::vector<ClassId> Resolver::Mro(ClassId cls) const { return impl_->engine.Mro(cls); }

std::vector<std::string> Resolver::ExternalBases(ClassId cls) const {
  return impl_->engine.ExternalBases(cls);
}

FuncId Resolver::LookupMethod(ClassId cls, absl::string_view name) const {
  return impl_->engine.LookupMethod(cls, name);
}

FuncId Resolver::CallMethodOf(ClassId cls) const { return impl_->engine.CallMethodOf(cls); }

std::vector<ValueRef> Resolver::Origins(FuncId fn, InstrId value) const {
  return impl_->engine.Origins(fn, value);
}

std::vector<std::string> Resolver::DecoratorNames(FuncId fn_id) const {
  const Function& fn = program_.function(fn_id);
  FuncId parent = fn.parent;
  const std::vector<InstrId>* calls = &fn.decorator_calls;
  if (fn.kind == FunctionKind::kClassBody && fn.class_of_body.valid()) {
    const Class& cls = program_.klass(fn.class_of_body);
    parent = cls.defined_in;
    calls = &cls.decorator_calls;
  }
  std::vector<std::string> names;
  if (!parent.valid()) return names;
  for (InstrId call : *calls) {
    const InstrId decorator = DecoratorValue(program_.function(parent), call);
    names.push_back(decorator.valid() ? QualifiedName(parent, decorator) : "");
  }
  return names;
}

FuncId Resolver::DecoratedFunctionAt(FuncId fn, InstrId site) const {
  return impl_->engine.index().decorated_function({fn, site});
}

ClassId Resolver::DecoratedClassAt(FuncId fn, InstrId site) const {
  return impl_->engine.index().decorated_class({fn, site});
}

bool Resolver::IsContainerWrite(FuncId fn, InstrId site) const {
  return impl_->engine.index().IsContainerWriteCall({fn, site});
}

std::string Resolver::AbsoluteImportName(ModuleId importer, absl::string_view text,
                                         int level) const {
  return impl_->engine.index().AbsoluteImportName(importer, text, level);
}

}  // namespace flopscope::ir
