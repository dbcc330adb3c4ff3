// Internal to the resolver: the one linear pass over the whole program that indexes what name
// resolution looks up (module globals, `from x import *` sources, class-body attributes, `self.x`
// stores, return values, cell stores, decorator applications, package prefixes). Built once in
// the Resolver's constructor; read-only afterwards.
#ifndef FLOPSCOPE_IR_RESOLVE_INDEX_H_
#define FLOPSCOPE_IR_RESOLVE_INDEX_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "ir/ir.h"
#include "ir/resolve.h"

namespace flopscope::ir::internal {

// How a function defined in a class body binds when read as an attribute, decided from the
// decorator expressions' spelling (`@staticmethod`, `@classmethod`, `@property`,
// `@functools.cached_property`): rebinding those builtins is not worth modelling.
enum class MethodKind : uint8_t { kNotMethod, kInstance, kStatic, kClass, kProperty };

struct ModuleIndex {
  // Every binding of a module-level name: StoreVar kGlobal in the module body and in functions
  // that declare the name `global`.
  absl::flat_hash_map<std::string, std::vector<ValueRef>> globals;
  // Absolute module names of `from x import *` in the module, in source order.
  std::vector<std::string> star_sources;
};

struct ClassIndex {
  // StoreVar kClass in the class body, by name (values in the body function).
  absl::flat_hash_map<std::string, std::vector<InstrId>> attrs;
  // `self.name = value` in the class's instance methods.
  absl::flat_hash_map<std::string, std::vector<ValueRef>> instance_attrs;
};

class ProgramIndex {
 public:
  explicit ProgramIndex(const Program& program);

  const Program& program() const { return program_; }
  const ModuleIndex& module(ModuleId id) const { return modules_[id.index()]; }
  const ClassIndex& klass(ClassId id) const { return classes_[id.index()]; }
  const std::vector<InstrId>& returns(FuncId fn) const { return returns_[fn.index()]; }
  // StoreVar kCell `name` in fn (closure variables the function owns or rebinds via nonlocal).
  const std::vector<InstrId>* cell_stores(FuncId fn, absl::string_view name) const;
  MethodKind method_kind(FuncId fn) const { return method_kinds_[fn.index()]; }

  // The function/class a decorator-application Call applies to, or invalid.
  FuncId decorated_function(ValueRef call) const;
  ClassId decorated_class(ValueRef call) const;

  // True when `dotted` is a proper prefix of some module name: a package directory, possibly a
  // namespace package with no __init__.py of its own.
  bool IsPackagePrefix(absl::string_view dotted) const { return prefixes_.contains(dotted); }

  std::string AbsoluteImportName(ModuleId importer, absl::string_view text, int level) const;

  // True when fn is a method whose first parameter is the instance (not static/class method).
  bool IsInstanceMethod(FuncId fn) const { return method_kind(fn) == MethodKind::kInstance; }

 private:
  void IndexFunction(const Function& fn);
  void IndexDecorators(const Function& fn);

  const Program& program_;
  std::vector<ModuleIndex> modules_;
  std::vector<ClassIndex> classes_;
  std::vector<std::vector<InstrId>> returns_;
  std::vector<MethodKind> method_kinds_;
  absl::flat_hash_map<FuncId, absl::flat_hash_map<std::string, std::vector<InstrId>>> cells_;
  absl::flat_hash_map<ValueRef, FuncId> decorated_functions_;
  absl::flat_hash_map<ValueRef, ClassId> decorated_classes_;
  absl::flat_hash_set<std::string> prefixes_;
};

}  // namespace flopscope::ir::internal

#endif  // FLOPSCOPE_IR_RESOLVE_INDEX_H_
