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

// An element written into a container after it was built: `d[k] = v`, `xs.append(v)`,
// `s.add(v)`, `xs.insert(i, v)`, `d.setdefault(k, v)`. `key` is invalid for list-like writes.
struct ContainerWrite {
  ValueRef key;
  ValueRef value;
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
  // Every decorator application of a function: call -> decorated function.
  const absl::flat_hash_map<ValueRef, FuncId>& decorated_functions() const {
    return decorated_functions_;
  }
  ClassId decorated_class(ValueRef call) const;

  // True when `dotted` is a proper prefix of some module name: a package directory, possibly a
  // namespace package with no __init__.py of its own.
  bool IsPackagePrefix(absl::string_view dotted) const { return prefixes_.contains(dotted); }

  std::string AbsoluteImportName(ModuleId importer, absl::string_view text, int level) const;

  // Writes into the dict/list/set literal `literal` (a Build* instruction): writes through the
  // literal's value itself, through the module global it is stored in (also as `mod.NAME` from
  // other modules), and through the `self.attr` it is stored in. Found syntactically, so the
  // index is built without resolution.
  std::vector<ContainerWrite> WritesInto(ValueRef literal) const;
  // True for a call shaped like a container write (`x.append(v)`, ...), whatever x is.
  bool IsContainerWriteCall(ValueRef call) const { return container_write_calls_.contains(call); }

  // True when fn is a method whose first parameter is the instance (not static/class method).
  bool IsInstanceMethod(FuncId fn) const { return method_kind(fn) == MethodKind::kInstance; }

 private:
  void IndexFunction(const Function& fn);
  void IndexDecorators();
  void IndexContainerWrite(const Function& fn, InstrId id, const Instr& instr);
  // The location key ("l<fn>:<instr>", "g<module>:<name>", "a<class>:<attr>") a container
  // expression names, or "" when it is none of those.
  std::string ContainerLocation(const Function& fn, InstrId object) const;

  const Program& program_;
  std::vector<ModuleIndex> modules_;
  std::vector<ClassIndex> classes_;
  std::vector<std::vector<InstrId>> returns_;
  std::vector<MethodKind> method_kinds_;
  absl::flat_hash_map<FuncId, absl::flat_hash_map<std::string, std::vector<InstrId>>> cells_;
  absl::flat_hash_map<ValueRef, FuncId> decorated_functions_;
  absl::flat_hash_map<ValueRef, ClassId> decorated_classes_;
  absl::flat_hash_set<std::string> prefixes_;
  absl::flat_hash_map<std::string, std::vector<ContainerWrite>> container_writes_;
  absl::flat_hash_set<ValueRef> container_write_calls_;
  // Literal -> the global / self attribute locations it is stored in.
  absl::flat_hash_map<ValueRef, std::vector<std::string>> literal_locations_;
};

}  // namespace flopscope::ir::internal

#endif  // FLOPSCOPE_IR_RESOLVE_INDEX_H_
