// Test helper: writes small SSA-form modules by hand, for resolver and call-graph unit tests
// that must not depend on the frontend. Every function is one block; names are bound with
// explicit StoreVar kGlobal / kClass as lowering does for module and class scopes.
#ifndef FLOPSCOPE_TESTS_IR_HAND_BUILT_MODULE_H_
#define FLOPSCOPE_TESTS_IR_HAND_BUILT_MODULE_H_

#include <string>
#include <utility>
#include <vector>

#include "ir/ir.h"

namespace flopscope::ir::testing {

class HandBuiltModule {
 public:
  static constexpr int kBody = 0;

  explicit HandBuiltModule(std::string name, bool is_package = false) {
    unit_.module.name = std::move(name);
    unit_.module.path = unit_.module.name + ".py";
    unit_.module.is_package = is_package;
    unit_.module.body = FuncId(0);
    NewFunction(FunctionKind::kModule, "<module>", "<module>", -1);
  }

  Function& fn(int index) { return unit_.functions[static_cast<size_t>(index)]; }

  InstrId Emit(int f, Opcode op, absl::InlinedVector<InstrId, 2> operands = {},
               std::string text = {}, int32_t aux = 0) {
    FunctionBuilder builder(fn(f));
    builder.SetInsertBlock(BlockId(0));
    return builder.Emit(op, SourceRange{1, 1, 1, 2}, std::move(operands), std::move(text), aux);
  }
  InstrId Const(int f, std::string text, ConstKind kind = ConstKind::kString) {
    return Emit(f, Opcode::kConst, {}, std::move(text), static_cast<int32_t>(kind));
  }
  InstrId Load(int f, std::string name, VarScope scope = VarScope::kGlobal) {
    return Emit(f, Opcode::kLoadVar, {}, std::move(name), static_cast<int32_t>(scope));
  }
  void Store(int f, std::string name, InstrId value, VarScope scope = VarScope::kGlobal) {
    Emit(f, Opcode::kStoreVar, {value}, std::move(name), static_cast<int32_t>(scope));
  }
  InstrId Import(int f, std::string text, int level = 0) {
    return Emit(f, Opcode::kImport, {}, std::move(text), level);
  }
  InstrId Attr(int f, InstrId object, std::string attr) {
    return Emit(f, Opcode::kLoadAttr, {object}, std::move(attr));
  }
  void StoreAttr(int f, InstrId object, std::string attr, InstrId value) {
    Emit(f, Opcode::kStoreAttr, {object, value}, std::move(attr));
  }
  InstrId Call(int f, InstrId callee, std::vector<InstrId> args = {},
               std::vector<std::string> names = {}) {
    absl::InlinedVector<InstrId, 2> operands = {callee};
    for (InstrId arg : args) operands.push_back(arg);
    const InstrId id = Emit(f, Opcode::kCall, std::move(operands));
    names.resize(args.size());
    fn(f).instr(id).arg_names = std::move(names);
    return id;
  }
  InstrId Param(int f, int index) {
    return Emit(f, Opcode::kParam, {}, fn(f).params[static_cast<size_t>(index)].name, index);
  }
  void Return(int f, InstrId value) { Emit(f, Opcode::kReturn, {value}); }

  // `def name(params)` inside function `parent`, bound to `name` in the parent's namespace
  // (global, class attribute, or a returned/used value when `bind` is false). Decorators are
  // values already emitted in `parent`, outermost first. Returns the new function's index.
  int Def(int parent, const std::string& name, std::vector<std::string> params = {},
          std::vector<InstrId> decorators = {}, bool bind = true) {
    // Copies, not references: NewFunction may reallocate the function vector.
    const FunctionKind parent_kind = fn(parent).kind;
    const ClassId parent_class = fn(parent).class_of_body;
    std::string qualname = name;
    if (parent_kind != FunctionKind::kModule) qualname = fn(parent).qualname + "." + name;
    const int index = NewFunction(FunctionKind::kFunction, name, qualname, parent);
    for (std::string& param : params) fn(index).params.push_back({std::move(param)});
    if (parent_kind == FunctionKind::kClassBody) {
      fn(index).method_of = parent_class;
      unit_.classes[parent_class.index()].methods[name] = FuncId(index);
    }
    InstrId value = Emit(parent, Opcode::kMakeFunction, {}, {}, index);
    fn(index).definition = value;
    last_definition_ = value;
    std::vector<InstrId> calls(decorators.size());
    for (size_t i = decorators.size(); i-- > 0;) {
      value = Call(parent, decorators[i], {value});
      calls[i] = value;
    }
    fn(index).decorator_calls = std::move(calls);
    last_value_ = value;
    if (bind) Store(parent, name, value, ScopeOf(parent));
    return index;
  }

  // `class name(bases)` in `parent`; returns the class body function's index (its class id is
  // fn(index).class_of_body).
  int Class(int parent, const std::string& name, std::vector<InstrId> bases = {}) {
    const ClassId cls(static_cast<int32_t>(unit_.classes.size()));
    std::string qualname = name;
    if (fn(parent).kind != FunctionKind::kModule) qualname = fn(parent).qualname + "." + name;
    const int body = NewFunction(FunctionKind::kClassBody, name, qualname, parent);
    fn(body).class_of_body = cls;
    ir::Class& klass = unit_.classes.emplace_back();
    klass.id = cls;
    klass.name = name;
    klass.qualname = qualname;
    klass.body = FuncId(body);
    klass.defined_in = FuncId(parent);
    absl::InlinedVector<InstrId, 2> operands(bases.begin(), bases.end());
    const InstrId value = Emit(parent, Opcode::kMakeClass, operands, {}, cls.value());
    fn(parent).instr(value).arg_names.assign(bases.size(), "");
    klass.definition = value;
    last_value_ = value;
    Store(parent, name, value, ScopeOf(parent));
    return body;
  }

  InstrId last_value() const { return last_value_; }
  InstrId last_definition() const { return last_definition_; }

  // Terminates every function with `return None` and computes CFG edges.
  ModuleUnit Finish() {
    for (Function& f : unit_.functions) {
      FunctionBuilder builder(f);
      builder.SetInsertBlock(BlockId(0));
      if (!builder.BlockTerminated()) {
        const InstrId none = builder.EmitConst(ConstKind::kNone, "None", SourceRange{});
        builder.Emit(Opcode::kReturn, SourceRange{}, {none});
      }
      f.in_ssa = true;
      ComputeCfg(f);
    }
    return std::move(unit_);
  }

 private:
  int NewFunction(FunctionKind kind, std::string name, std::string qualname, int parent) {
    const int index = static_cast<int>(unit_.functions.size());
    Function& f = unit_.functions.emplace_back();
    f.id = FuncId(index);
    f.kind = kind;
    f.name = std::move(name);
    f.qualname = std::move(qualname);
    if (parent >= 0) f.parent = FuncId(parent);
    FunctionBuilder builder(f);
    f.entry = builder.NewBlock();
    return index;
  }
  VarScope ScopeOf(int f) {
    switch (fn(f).kind) {
      case FunctionKind::kModule:
        return VarScope::kGlobal;
      case FunctionKind::kClassBody:
        return VarScope::kClass;
      default:
        return VarScope::kLocal;
    }
  }

  ModuleUnit unit_;
  InstrId last_value_;
  InstrId last_definition_;
};

}  // namespace flopscope::ir::testing

#endif  // FLOPSCOPE_TESTS_IR_HAND_BUILT_MODULE_H_
