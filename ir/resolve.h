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
#include <utility>
#include <vector>

#include "ir/ir.h"

namespace flopscope::ir {

// What a value may denote. kUnknown is the honest answer when resolution loses track.
//
// Naming conventions that dataflow and checkers match on (Symbol::QualifiedName):
//   - an attribute of an external symbol appends ".attr": `import torch.nn as nn;
//     nn.functional.relu` is "torch.nn.functional.relu";
//   - the result of calling an external symbol appends "()": `torch.no_grad()` is
//     "torch.no_grad()", `AutoModel.from_pretrained(p).to("cuda")` is
//     "transformers.AutoModel.from_pretrained().to()";
//   - an instance of an in-repo class is the class name plus "()": "pkg.mod.C()";
//   - builtins are "<builtin>.len", their call results "<builtin>.open()" and attributes of those
//     "<builtin>.open().read"; the object `super()` returns is "<builtin>.super()";
//   - a bound method prints as the function that runs: `child.step` inherited from Base is
//     "pkg.mod.Base.step";
//   - a namespace package (a directory of modules without __init__.py) is a kModule with an
//     invalid `module` and its dotted name in `name`.
// An attribute of an instance whose class has external bases and that no in-repo class
// defines is looked up on the first external base: `self.register_forward_hook` in a subclass of
// nn.Module is "torch.nn.Module.register_forward_hook".
struct Symbol {
  enum class Kind : uint8_t {
    kUnknown,
    kModule,       // an in-repo module (module)
    kFunction,     // an in-repo function (func)
    kClass,        // an in-repo class (cls)
    kInstance,     // an instance of an in-repo class (cls)
    kBoundMethod,  // cls's method func bound to an instance (func, cls)
    kExternal,     // something outside the repository, by qualified name (name)
    kBuiltin,      // a Python builtin (name = "len", printed as "<builtin>.len"); attributes of a
                   // builtin extend the name ("dict.fromkeys")
    kSuper,        // the proxy `super()` returns in a method of cls (func = that method): attribute
                   // lookup starts after cls in cls's MRO
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

// One SSA value of one function.
struct ValueRef {
  FuncId fn;
  InstrId value;
  friend bool operator==(const ValueRef& a, const ValueRef& b) {
    return a.fn == b.fn && a.value == b.value;
  }
  template <typename H>
  friend H AbslHashValue(H h, const ValueRef& ref) {
    return H::combine(std::move(h), ref.fn, ref.value);
  }
};

// Computes what values denote, lazily and memoized per value, for the whole program. Results are
// bounded (at most 8 possibilities, then unknown) and resolution terminates on every input
// (cycles through phis, globals and re-exports are cut). Not thread-safe: queries fill caches.
//
// Rules worth knowing when reading results:
//   - A module global is the union of every store to it (module body and `global` functions);
//     a name the module never binds is the builtin of that name, else what a `from x import *`
//     provides.
//   - `self` (first parameter of an instance method or property) is an instance of the defining
//     class, `cls` of a classmethod the class itself; other parameters are unknown (resolution is
//     not context-sensitive: dataflow owns that).
//   - Calling an in-repo function gives what its `return`s give (closures from factories,
//     wrappers returning a model); calling a class gives an instance; calling an instance runs
//     CallMethodOf; generators give unknown.
//   - `@d def f`: with an in-repo decorator d the name denotes what d returns (its wrapper);
//     with any other decorator (functools.lru_cache, torch.no_grad(), a library's) the name still
//     denotes f. `@x.setter` keeps the property x.
//   - Subscripts, unpacking and `for` over dict/list/tuple literals (found through Origins) give
//     the elements (the one under a constant key when it matches); `d.get(k)` likewise.
//   - `functools.partial(f, ...)` denotes f; `getattr(obj, "name")` with a constant is obj.name.
class Resolver {
 public:
  // Indexes module globals, class attributes and imports of every module in `program`. The
  // program's functions must be in SSA.
  explicit Resolver(const Program& program);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // What the value `value` of function `fn` may denote (one entry per possibility; a phi of two
  // imports gives two). When some but not all possibilities are known, a single kUnknown entry
  // comes last. Empty when nothing is known (also for plain data such as constants).
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

  // What calling an instance of `cls` runs: `__call__` through the MRO, else `forward` when the
  // class has external bases (the torch.nn.Module convention: `model(x)` runs forward). Invalid
  // when neither exists.
  FuncId CallMethodOf(ClassId cls) const;

  // The instructions whose values may flow into `value`: follows phis, loads of globals, cells
  // and class attributes to their stores (across modules and re-exports), attributes of modules,
  // classes and `self` (stores in methods) to their stores, calls of in-repo functions to their
  // return values, tuple unpacking and subscripts of dict/list/tuple literals to their elements.
  // The result holds the first instructions that are none of these (a Const, a Call of an
  // external, a Param...); at most 64 of them. Dataflow uses it to propagate constants across
  // modules.
  std::vector<ValueRef> Origins(FuncId fn, InstrId value) const;

  // Qualified names of fn's decorators (Function::decorators), outermost first; "" for one that
  // does not resolve. Works for a class body function too (the class's decorators).
  std::vector<std::string> DecoratorNames(FuncId fn) const;
  // Decorators that leave the function callable as itself (functools.lru_cache, functools.cache,
  // functools.wraps(...), torch.no_grad(), torch.inference_mode(), torch.enable_grad(),
  // contextlib.contextmanager, staticmethod, classmethod, property, dataclasses.dataclass, ...),
  // by qualified name as DecoratorNames reports them.
  static bool IsTransparentDecorator(absl::string_view qualified_name);
  // The function or class a Call instruction applies a decorator to; invalid when `site` is not a
  // decorator application.
  FuncId DecoratedFunctionAt(FuncId fn, InstrId site) const;
  ClassId DecoratedClassAt(FuncId fn, InstrId site) const;

  // True for a call shaped like a container write (`x.append(f)`, `x.add(f)`, `x.insert(i, f)`,
  // `x.setdefault(k, f)`): reading the container later gives f; the call itself runs nothing.
  bool IsContainerWrite(FuncId fn, InstrId site) const;

  // The absolute module name an Import/ImportStar (text, level) in `importer` refers to; "" when
  // a relative import climbs above the top-level package.
  std::string AbsoluteImportName(ModuleId importer, absl::string_view text, int level) const;

  // Python's builtin namespace (3.12).
  static bool IsBuiltinName(absl::string_view name);

  const Program& program() const { return program_; }

 private:
  struct Impl;
  const Program& program_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flopscope::ir

#endif  // FLOPSCOPE_IR_RESOLVE_H_
