// Whole-program name resolution: what a value denotes, through imports (absolute, relative,
// `import a.b as c`, `from x import y` through __init__ re-exports), module globals, class
// attributes, aliases and assignments. Names that leave the repository become external qualified
// names ("torch.no_grad", "transformers.AutoModelForCausalLM.from_pretrained") however the user
// spelled them, so checkers match on meaning, not text.
//
// Users: call graph construction, dataflow transfer functions, checkers (via dataflow).
#ifndef FLOPSCOPE_IR_RESOLVE_H_
#define FLOPSCOPE_IR_RESOLVE_H_

#include <memory>
#include <string>
#include <vector>

#include "ir/ir.h"

namespace flopscope::ir {

// What a value may denote. kUnknown is the honest answer when resolution loses track.
struct Symbol {
  enum class Kind : uint8_t {
    kUnknown,
    kModule,       // an in-repo module (module)
    kFunction,     // an in-repo function (func)
    kClass,        // an in-repo class (cls)
    kInstance,     // an instance of an in-repo class (cls)
    kBoundMethod,  // cls's method func bound to an instance (func, cls)
    kExternal,     // something outside the repository, by qualified name (name)
    kBuiltin,      // a Python builtin (name = "len", printed as "<builtin>.len")
  };
  Kind kind = Kind::kUnknown;
  ModuleId module;
  FuncId func;
  ClassId cls;
  std::string name;  // kExternal: "torch.nn.Module.register_forward_hook"; kBuiltin: "len"

  bool known() const { return kind != Kind::kUnknown; }
  // "pkg.mod.f", "pkg.mod.C", "torch.no_grad", "<builtin>.len"; "" when unknown.
  std::string QualifiedName(const Program& program) const;
  friend bool operator==(const Symbol& a, const Symbol& b) {
    return a.kind == b.kind && a.module == b.module && a.func == b.func && a.cls == b.cls &&
           a.name == b.name;
  }
};

class Resolver {
 public:
  // Indexes module globals, class attributes and imports of every module in `program`. The
  // program's functions must be in SSA.
  explicit Resolver(const Program& program);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // What the value `value` of function `fn` may denote (one entry per possibility; a phi of two
  // imports gives two). Empty when nothing is known.
  const std::vector<Symbol>& Resolve(FuncId fn, InstrId value) const;

  // The single qualified name of the value when all possibilities agree, else "".
  std::string QualifiedName(FuncId fn, InstrId value) const;

  // The module-level binding `name` in `module` (following re-exports), or an empty list.
  const std::vector<Symbol>& ResolveGlobal(ModuleId module, absl::string_view name) const;

  // Classes in C3 method resolution order, starting with `cls` itself; external bases are
  // skipped (their qualified names are in ExternalBases).
  std::vector<ClassId> Mro(ClassId cls) const;
  std::vector<std::string> ExternalBases(ClassId cls) const;

  // The method `name` found on `cls` through its MRO, or invalid.
  FuncId LookupMethod(ClassId cls, absl::string_view name) const;

  const Program& program() const { return program_; }

 private:
  struct Impl;
  const Program& program_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flopscope::ir

#endif  // FLOPSCOPE_IR_RESOLVE_H_
