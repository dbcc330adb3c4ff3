// Calls: what a call evaluates to (returns of in-repo functions, with arguments passed straight
// through; instances; external results), decorator applications, super(), builtins with known
// meaning, dict.get on literals and `with` targets.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ir/resolve_engine.h"

namespace flopscope::ir::internal {
namespace {

Symbol MakeSymbol(Symbol::Kind kind) {
  Symbol symbol;
  symbol.kind = kind;
  return symbol;
}

}  // namespace

SymbolList Engine::CallSymbols(const Function& fn, InstrId id, const Instr& instr) {
  if (instr.operands.empty()) return Unknown();
  if (index_.decorated_function({fn.id, id}).valid() ||
      index_.decorated_class({fn.id, id}).valid()) {
    return DecoratorResult(fn, instr);
  }
  const Instr& callee_instr = fn.instr(instr.operands[0]);
  if (callee_instr.op == Opcode::kLoadAttr &&
      (callee_instr.text == "get" || callee_instr.text == "pop" ||
       callee_instr.text == "setdefault")) {
    SymbolList from_dict = ContainerGet(fn.id, instr);
    if (!from_dict.empty()) return from_dict;
  }
  SymbolList result;
  const SymbolList& callees = Value(fn.id, instr.operands[0]);
  for (const Symbol& callee : callees) AddAll(result, CallResult(fn, instr, callee));
  if (callees.empty()) return Unknown();
  return result;
}

SymbolList Engine::CallResult(const Function& fn, const Instr& call, const Symbol& callee) {
  switch (callee.kind) {
    case Symbol::Kind::kFunction:
      return CallReturns(fn, call, callee.func, 0, Symbol());
    case Symbol::Kind::kBoundMethod: {
      const MethodKind kind = index_.method_kind(callee.func);
      if (kind == MethodKind::kStatic) return CallReturns(fn, call, callee.func, 0, Symbol());
      Symbol receiver = MakeSymbol(kind == MethodKind::kClass ? Symbol::Kind::kClass
                                                              : Symbol::Kind::kInstance);
      receiver.cls = callee.cls;
      if (callee.cls.valid()) receiver.module = program_.klass(callee.cls).module;
      return CallReturns(fn, call, callee.func, 1, receiver);
    }
    case Symbol::Kind::kClass: {
      Symbol instance = MakeSymbol(Symbol::Kind::kInstance);
      instance.cls = callee.cls;
      instance.module = callee.module;
      return {instance};
    }
    case Symbol::Kind::kInstance: {
      const FuncId method = CallMethodOf(callee.cls);
      if (!method.valid()) return Unknown();
      return CallReturns(fn, call, method, 1, callee);
    }
    case Symbol::Kind::kExternal: {
      if (callee.name == "functools.partial" && call.operands.size() > 1) {
        return Value(fn.id, call.operands[1]);  // calling the partial runs the wrapped callable
      }
      Symbol result = MakeSymbol(Symbol::Kind::kExternal);
      result.name = absl::StrCat(callee.name, "()");
      return {result};
    }
    case Symbol::Kind::kBuiltin:
      return BuiltinCallResult(fn, call, callee);
    default:
      return Unknown();
  }
}

InstrId BoundArgument(const Instr& call, const Function& callee, int param, int implicit) {
  if (param < implicit || static_cast<size_t>(param) >= callee.params.size()) return InstrId();
  const Param& target = callee.params[static_cast<size_t>(param)];
  const bool by_position =
      target.kind == ParamKind::kPositionalOnly || target.kind == ParamKind::kPositional;
  // Positional arguments fill parameters from `implicit` on; a keyword names one. Anything
  // after a *args / **kwargs splat could land anywhere.
  int position = implicit;
  for (size_t i = 1; i < call.operands.size(); ++i) {
    const absl::string_view label =
        i - 1 < call.arg_names.size() ? absl::string_view(call.arg_names[i - 1]) : "";
    if (label == "*" || label == "**") return InstrId();
    if (label.empty() ? (by_position && position++ == param) : label == target.name) {
      return call.operands[i];
    }
  }
  return InstrId();
}

SymbolList Engine::CallReturns(const Function& fn, const Instr& call, FuncId target,
                               int implicit, const Symbol& receiver) {
  const Function& callee = program_.function(target);
  if (callee.is_generator) return Unknown();
  // An async function's coroutine is identified with what awaiting it gives.
  SymbolList result = Returns(target);
  for (const int param : PassthroughParams(target)) {
    if (param < implicit) {
      AddSymbol(result, receiver);
      continue;
    }
    const InstrId bound = BoundArgument(call, callee, param, implicit);
    if (bound.valid()) {
      AddAll(result, Value(fn.id, bound));
    } else {
      AddSymbol(result, UnknownSymbol());  // behind *args/**kwargs, or the (untracked) default
    }
  }
  return result;
}

SymbolList Engine::BuiltinCallResult(const Function& fn, const Instr& call, const Symbol& callee) {
  const std::string& name = callee.name;
  if (name == "super") return SuperSymbols(fn, call);
  if ((name == "staticmethod" || name == "classmethod" || name == "property") &&
      call.operands.size() > 1) {
    return Value(fn.id, call.operands[1]);
  }
  if (name == "getattr" && call.operands.size() >= 3) {
    const Instr& attr = fn.instr(call.operands[2]);
    if (attr.op == Opcode::kConst && attr.aux == static_cast<int32_t>(ConstKind::kString)) {
      return Attribute(Value(fn.id, call.operands[1]), attr.text);
    }
    return Unknown();
  }
  Symbol result = MakeSymbol(Symbol::Kind::kBuiltin);
  result.name = absl::StrCat(name, "()");
  return {result};
}

// `@d def f` binds f to d(f). An in-repo decorator gives what it returns; `@x.setter` keeps the
// property x; any other decorator (functools.lru_cache, torch.no_grad(), an unknown library one)
// is taken to return a callable that runs f, so the name still denotes f.
SymbolList Engine::DecoratorResult(const Function& fn, const Instr& call) {
  const Instr& decorator = fn.instr(call.operands[0]);
  if (decorator.op == Opcode::kLoadAttr && !decorator.operands.empty() &&
      (decorator.text == "setter" || decorator.text == "deleter" || decorator.text == "getter")) {
    return Value(fn.id, decorator.operands[0]);
  }
  SymbolList result;
  bool in_repo = false;
  for (const Symbol& symbol : Value(fn.id, call.operands[0])) {
    if (symbol.kind == Symbol::Kind::kFunction || symbol.kind == Symbol::Kind::kBoundMethod ||
        symbol.kind == Symbol::Kind::kClass || symbol.kind == Symbol::Kind::kInstance) {
      in_repo = true;
      AddAll(result, CallResult(fn, call, symbol));
    }
  }
  if (!in_repo) return Value(fn.id, call.operands[1]);
  return result;
}

// Zero-argument super() in a method (or in a function nested in it) of class C, or super(C, x).
SymbolList Engine::SuperSymbols(const Function& fn, const Instr& call) {
  Symbol proxy = MakeSymbol(Symbol::Kind::kSuper);
  if (call.operands.size() >= 2) {
    for (const Symbol& symbol : Value(fn.id, call.operands[1])) {
      if (symbol.kind == Symbol::Kind::kClass) {
        proxy.cls = symbol.cls;
        proxy.module = symbol.module;
        return {proxy};
      }
    }
    return Unknown();
  }
  for (const Function* current = &fn;;) {
    if (current->method_of.valid()) {
      proxy.cls = current->method_of;
      proxy.func = current->id;
      proxy.module = program_.klass(proxy.cls).module;
      return {proxy};
    }
    if (!current->parent.valid() || current->kind == FunctionKind::kClassBody) break;
    current = &program_.function(current->parent);
  }
  return Unknown();
}

// d.get(k) / d.pop(k) / d.setdefault(k) on a dict literal: the values stored under k (or all).
SymbolList Engine::ContainerGet(FuncId fn_id, const Instr& call) {
  const Function& fn = program_.function(fn_id);
  const Instr& method = fn.instr(call.operands[0]);
  if (method.operands.empty()) return {};
  SymbolList result;
  for (const ValueRef& origin : Origins(fn_id, method.operands[0])) {
    const Instr& dict = program_.function(origin.fn).instr(origin.value);
    if (dict.op != Opcode::kBuildDict) return {};
    for (size_t i = 1; i < dict.operands.size(); i += 2) {
      AddAll(result, Value(origin.fn, dict.operands[i]));
    }
  }
  return result;
}

SymbolList Engine::WithEnterSymbols(FuncId fn, const Instr& instr) {
  if (instr.operands.empty()) return Unknown();
  SymbolList result;
  for (const Symbol& manager : Value(fn, instr.operands[0])) {
    if (manager.kind == Symbol::Kind::kInstance) {
      const FuncId enter = LookupMethod(manager.cls, "__enter__");
      if (!enter.valid()) {
        AddSymbol(result, UnknownSymbol());
        continue;
      }
      AddAll(result, Returns(enter));
      const std::vector<int>& passthrough = PassthroughParams(enter);
      if (std::find(passthrough.begin(), passthrough.end(), 0) != passthrough.end()) {
        AddSymbol(result, manager);  // `return self`
      }
    } else if (manager.kind == Symbol::Kind::kExternal || manager.kind == Symbol::Kind::kBuiltin) {
      Symbol entered = manager;
      entered.name = absl::StrCat(manager.name, ".__enter__()");
      AddSymbol(result, std::move(entered));
    } else {
      AddSymbol(result, UnknownSymbol());
    }
  }
  if (result.empty()) return Unknown();
  return result;
}

}  // namespace flopscope::ir::internal
