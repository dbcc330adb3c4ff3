// Origins: the instructions whose values may flow into a value, across variables, modules,
// calls and literal containers. A bounded depth-first walk with a visited set, so it terminates
// on cycles; it asks the symbol resolver what attribute objects and callees are.
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "ir/resolve_engine.h"

namespace flopscope::ir::internal {
namespace {

constexpr size_t kMaxOrigins = 64;
constexpr int kMaxSteps = 4096;
// Containers found through containers (x[0][1]) nest walks; deeper ones stay opaque.
constexpr int kMaxNesting = 4;

bool IsConstString(const Instr& instr) {
  return instr.op == Opcode::kConst && instr.aux == static_cast<int32_t>(ConstKind::kString);
}

bool IsConstInt(const Instr& instr) {
  return instr.op == Opcode::kConst && instr.aux == static_cast<int32_t>(ConstKind::kInt);
}

bool SameConst(const Instr& a, const Instr& b) {
  return a.op == Opcode::kConst && b.op == Opcode::kConst && a.aux == b.aux && a.text == b.text;
}

class OriginWalk {
 public:
  OriginWalk(Engine& engine, int nesting)
      : engine_(engine), program_(engine.program()), nesting_(nesting) {}

  std::vector<ValueRef> Run(FuncId fn, InstrId value) {
    Push({fn, value});
    int steps = 0;
    while (!stack_.empty() && result_.size() < kMaxOrigins && ++steps < kMaxSteps) {
      const ValueRef ref = stack_.back();
      stack_.pop_back();
      if (!Forward(ref)) result_.push_back(ref);
    }
    return std::move(result_);
  }

 private:
  void Push(ValueRef ref) {
    if (!ref.fn.valid() || ref.fn.index() >= program_.functions().size()) return;
    if (!ref.value.valid() || ref.value.index() >= program_.function(ref.fn).instrs.size()) {
      return;
    }
    if (visited_.insert(ref).second) stack_.push_back(ref);
  }
  void PushAll(FuncId fn, const std::vector<InstrId>& values) {
    for (InstrId value : values) Push({fn, value});
  }
  void PushAll(const std::vector<ValueRef>& refs) {
    for (const ValueRef& ref : refs) Push(ref);
  }

  // Pushes what `ref` forwards to; false when `ref` is itself an origin.
  bool Forward(ValueRef ref) {
    const Function& fn = program_.function(ref.fn);
    const Instr& instr = fn.instr(ref.value);
    switch (instr.op) {
      case Opcode::kPhi:
        PushAll(ref.fn, std::vector<InstrId>(instr.operands.begin(), instr.operands.end()));
        return true;
      case Opcode::kAwait:
        if (instr.operands.empty()) return false;
        Push({ref.fn, instr.operands[0]});
        return true;
      case Opcode::kLoadVar:
        return ForwardLoadVar(fn, instr);
      case Opcode::kLoadAttr:
        return ForwardAttr(fn, instr);
      case Opcode::kCall:
        return ForwardCall(fn, ref.value, instr);
      case Opcode::kUnpackItem:
      case Opcode::kLoadSubscript:
        return ForwardElement(fn, instr);
      case Opcode::kForIter: {
        // `for x in [f, g]`: the loop variable is any element of the iterated literal.
        if (instr.operands.empty()) return false;
        const Instr& iter = fn.instr(instr.operands[0]);
        if (iter.op != Opcode::kGetIter || iter.operands.empty()) return false;
        return ForwardElement(fn, instr, iter.operands[0]);
      }
      default:
        return false;
    }
  }

  bool ForwardLoadVar(const Function& fn, const Instr& instr) {
    std::vector<ValueRef> sources;
    switch (static_cast<VarScope>(instr.aux)) {
      case VarScope::kGlobal:
        sources = engine_.GlobalStores(fn.module, instr.text);
        break;
      case VarScope::kClass:
        if (fn.class_of_body.valid()) {
          const ClassIndex& cls = engine_.index().klass(fn.class_of_body);
          if (auto it = cls.attrs.find(instr.text); it != cls.attrs.end()) {
            for (InstrId value : it->second) sources.push_back({fn.id, value});
          }
        }
        if (sources.empty()) sources = engine_.GlobalStores(fn.module, instr.text);
        break;
      case VarScope::kCell:
        sources = engine_.CellSources(fn.id, instr.text);
        break;
      case VarScope::kLocal:
        break;
    }
    if (sources.empty()) return false;
    PushAll(sources);
    return true;
  }

  // Attributes of modules, classes and instances read what was stored under that name.
  bool ForwardAttr(const Function& fn, const Instr& instr) {
    if (instr.operands.empty()) return false;
    const SymbolList objects = engine_.Value(fn.id, instr.operands[0]);
    if (!HasKnown(objects) || !objects.back().known()) return false;
    std::vector<ValueRef> sources;
    for (const Symbol& object : objects) {
      if (!AttrStores(object, instr.text, sources)) return false;
    }
    PushAll(sources);
    return !sources.empty();
  }

  bool AttrStores(const Symbol& object, const std::string& attr, std::vector<ValueRef>& out) {
    const size_t before = out.size();
    if (object.kind == Symbol::Kind::kModule && object.module.valid()) {
      for (const ValueRef& store : engine_.GlobalStores(object.module, attr)) out.push_back(store);
    } else if (object.kind == Symbol::Kind::kClass || object.kind == Symbol::Kind::kInstance) {
      for (ClassId klass : engine_.Mro(object.cls)) {
        const ClassIndex& index = engine_.index().klass(klass);
        if (auto it = index.attrs.find(attr); it != index.attrs.end()) {
          for (InstrId value : it->second) out.push_back({program_.klass(klass).body, value});
          break;
        }
        if (object.kind != Symbol::Kind::kInstance) continue;
        if (auto it = index.instance_attrs.find(attr); it != index.instance_attrs.end()) {
          for (const ValueRef& store : it->second) out.push_back(store);
        }
      }
    }
    return out.size() > before;
  }

  // Calls of in-repo functions forward to their return values; transparent decorator
  // applications to the decorated function.
  bool ForwardCall(const Function& fn, InstrId id, const Instr& instr) {
    if (instr.operands.empty()) return false;
    if (engine_.index().decorated_function({fn.id, id}).valid() && instr.operands.size() > 1) {
      return false;  // the decorated function's value is its MakeFunction: an origin here
    }
    const SymbolList callees = engine_.Value(fn.id, instr.operands[0]);
    if (!HasKnown(callees) || !callees.back().known()) return false;
    std::vector<ValueRef> sources;
    for (const Symbol& callee : callees) {
      if (callee.kind != Symbol::Kind::kFunction && callee.kind != Symbol::Kind::kBoundMethod) {
        return false;
      }
      if (program_.function(callee.func).is_generator) return false;
      for (InstrId value : engine_.index().returns(callee.func)) {
        sources.push_back({callee.func, value});
      }
    }
    PushAll(sources);
    return true;
  }

  // x[k] / unpacking of a literal tuple, list or dict found through the container's origins.
  bool ForwardElement(const Function& fn, const Instr& instr) {
    if (instr.operands.empty()) return false;
    return ForwardElement(fn, instr, instr.operands[0]);
  }

  bool ForwardElement(const Function& fn, const Instr& instr, InstrId container_value) {
    if (nesting_ >= kMaxNesting) return false;
    const Instr* key = nullptr;
    if (instr.op == Opcode::kLoadSubscript && instr.operands.size() > 1) {
      key = &fn.instr(instr.operands[1]);
    }
    std::vector<ValueRef> elements;
    OriginWalk inner(engine_, nesting_ + 1);
    for (const ValueRef& container : inner.Run(fn.id, container_value)) {
      if (!Elements(container, instr, key, elements)) return false;
    }
    if (elements.empty()) return false;
    PushAll(elements);
    return true;
  }

  bool Elements(ValueRef container, const Instr& access, const Instr* key,
                std::vector<ValueRef>& out) {
    const Function& fn = program_.function(container.fn);
    const Instr& literal = fn.instr(container.value);
    if (access.op == Opcode::kForIter) {
      if (literal.op != Opcode::kBuildTuple && literal.op != Opcode::kBuildList &&
          literal.op != Opcode::kBuildSet && literal.op != Opcode::kBuildDict) {
        return false;
      }
      const size_t step = literal.op == Opcode::kBuildDict ? 2 : 1;  // a dict iterates its keys
      for (size_t i = 0; i < literal.operands.size(); i += step) {
        out.push_back({container.fn, literal.operands[i]});
      }
      return true;
    }
    if (literal.op == Opcode::kBuildDict) {
      if (access.op != Opcode::kLoadSubscript) return false;
      std::vector<ValueRef> all;
      for (size_t i = 0; i + 1 < literal.operands.size(); i += 2) {
        if (i / 2 < literal.arg_names.size() && literal.arg_names[i / 2] == "**") return false;
        const ValueRef value{container.fn, literal.operands[i + 1]};
        if (key != nullptr && SameConst(*key, fn.instr(literal.operands[i]))) {
          out.push_back(value);
          return true;
        }
        all.push_back(value);
      }
      if (key != nullptr && IsConstString(*key)) return true;  // constant key not in the literal
      out.insert(out.end(), all.begin(), all.end());
      return true;
    }
    if (literal.op != Opcode::kBuildTuple && literal.op != Opcode::kBuildList) return false;
    for (const std::string& name : literal.arg_names) {
      if (name == "*") return false;  // starred items shift positions
    }
    const auto size = static_cast<int64_t>(literal.operands.size());
    int64_t index = -1;
    bool exact = false;
    if (access.op == Opcode::kUnpackItem) {
      index = access.aux;
      exact = true;
    } else if (key != nullptr && IsConstInt(*key)) {
      exact = absl::SimpleAtoi(key->text, &index);
    }
    if (exact) {
      if (index < 0) index += size;
      if (index < 0 || index >= size) return true;  // out of range: contributes nothing
      out.push_back({container.fn, literal.operands[static_cast<size_t>(index)]});
      return true;
    }
    for (InstrId element : literal.operands) out.push_back({container.fn, element});
    return true;
  }

  Engine& engine_;
  const Program& program_;
  const int nesting_;
  std::vector<ValueRef> stack_;
  std::vector<ValueRef> result_;
  absl::flat_hash_set<ValueRef> visited_;
};

}  // namespace

std::vector<ValueRef> Engine::Origins(FuncId fn, InstrId value) {
  return OriginWalk(*this, 0).Run(fn, value);
}

}  // namespace flopscope::ir::internal
